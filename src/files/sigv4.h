/*
 * files/sigv4.h: AWS Signature Version 4 for S3 requests.
 *
 * Owns: the canonical request, the string to sign, the signing-key
 * derivation and the Authorization header value (AWS "Create a signed AWS
 * API request"; the S3 header-based variant).
 * Does not own: sending anything (files/blob_s3.c), the clock (callers pass
 * the date), payload hashing (callers pass the hex hash or
 * "UNSIGNED-PAYLOAD").
 * Threads: pure and reentrant; no state. Memory: every input is borrowed;
 * output goes to the caller's buf.
 */
#ifndef SOL_FILES_SIGV4_H
#define SOL_FILES_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h" /* enum err */

struct buf;

/* signed headers one request may carry */
#define SIGV4_HEADERS_MAX 16
/* query parameters one request may carry */
#define SIGV4_QUERY_MAX 16

/* A name/value pair, both borrowed, NUL-terminated, not yet encoded. */
struct sigv4_kv {
	const char *name;
	const char *value;
};

/*
 * One request to sign. `path` is the raw object path starting with '/'; it
 * is URI-encoded once with '/' kept, as S3 wants (other services
 * double-encode: do not use this for them when paths hold reserved bytes).
 * `query` is raw and gets encoded and sorted. `headers` lists every header
 * to sign, "host" and "x-amz-date" included; names are lowercased, values
 * trimmed with inner runs of spaces folded, then sorted by name.
 */
struct sigv4_req {
	const char *method;
	const char *path;
	const struct sigv4_kv *query;
	size_t n_query;
	const struct sigv4_kv *headers;
	size_t n_headers;
	const char *payload_hash; /* 64 hex digits or "UNSIGNED-PAYLOAD" */
	const char *amz_date;     /* "YYYYMMDDTHHMMSSZ", also in the x-amz-date header */
	const char *region;       /* "us-east-1" */
	const char *service;      /* "s3" */
};

/* Appends RFC 3986 percent-encoding of `s` (unreserved bytes kept; '/' kept when `keep_slash`). */
void sigv4_uri_encode(struct buf *out, const char *s, bool keep_slash);

/*
 * Append the canonical request / the string to sign to `out`.
 * Errors: SE_INVAL (too many headers or parameters, a malformed date),
 * SE_TOO_LARGE or SE_NOMEM from `out`.
 */
enum err sigv4_canonical_request(const struct sigv4_req *r, struct buf *out)
    __attribute__((warn_unused_result));
enum err sigv4_string_to_sign(const struct sigv4_req *r, struct buf *out)
    __attribute__((warn_unused_result));

/* The lowercase hex signature under `secret` (borrowed). Errors as above. */
enum err sigv4_signature(const struct sigv4_req *r, const char *secret, char out[65])
    __attribute__((warn_unused_result));

/*
 * Append the Authorization header value: "AWS4-HMAC-SHA256
 * Credential=AK/date/region/service/aws4_request, SignedHeaders=...,
 * Signature=...". Errors as above.
 */
enum err sigv4_authorization(const struct sigv4_req *r, const char *access_key, const char *secret,
                             struct buf *out) __attribute__((warn_unused_result));

/* Formats unix time `t` (UTC) as "YYYYMMDDTHHMMSSZ". */
void sigv4_amz_date(int64_t t, char out[17]);

#endif /* SOL_FILES_SIGV4_H */
