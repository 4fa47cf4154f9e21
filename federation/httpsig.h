/*
 * federation/httpsig.h: HTTP message signatures for ActivityPub (prefix hsig_).
 *
 * Owns: parsing draft-cavage-12 `Signature:` (and `Authorization: Signature`)
 * and RFC 9421 `Signature-Input`/`Signature` (RFC 8941 structured fields),
 * rebuilding the signing string / signature base, the body digests (`Digest`,
 * RFC 9530 `Content-Digest`), the time window, verification (RSA PKCS#1 v1.5
 * SHA-256, Ed25519) and signing outgoing requests.
 * Does not own: fetching keys (federation/resolve.h), key storage
 * (federation/keys.h), domain policy, the clock (callers pass `now_s`).
 * Threads: every function is reentrant; the module keeps no state.
 * Memory: parse results are plain values inside `struct hsig_parsed`; signing
 * output is owned by `struct hsig_out` (hsig_out_release). Nothing here keeps
 * a pointer after returning. Keys are OpenSSL `EVP_PKEY *` passed as void *
 * (borrowed) so that this header does not pull in OpenSSL.
 */
#ifndef SOL_FEDERATION_HTTPSIG_H
#define SOL_FEDERATION_HTTPSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct buf;

/* bytes of one Signature / Signature-Input header value we look at */
#define HSIG_HEADER_MAX 8192
/* covered components (cavage headers= entries, RFC 9421 inner-list items) */
#define HSIG_COMPONENTS_MAX 32
/* bytes of one component name */
#define HSIG_COMPONENT_MAX 64
/* bytes of a decoded signature (RSA-8192) */
#define HSIG_SIG_MAX 1024
/* bytes of keyId */
#define HSIG_KEYID_MAX 1024
/* bytes of the RFC 9421 signature-params value as received */
#define HSIG_PARAMS_MAX 4096
/* headers a request may carry into hsig (the rest are ignored by the caller) */
#define HSIG_REQ_HEADERS_MAX 128
/* lines hsig_sign produces at most */
#define HSIG_OUT_MAX 6

enum hsig_scheme {
	HSIG_CAVAGE,
	HSIG_RFC9421,
};

/* One request header, as received; names are compared case-insensitively. */
struct hsig_header {
	struct str name;
	struct str value;
};

/* What a verifier sees / a signer signs. All slices borrowed. */
struct hsig_request {
	const char *method;   /* "POST", "GET" (upper case as sent) */
	struct str target;    /* path + optional "?query" as sent */
	struct str authority; /* Host header value (host[:port]) */
	struct str scheme;    /* "https" / "http", for @target-uri and @scheme */
	const struct hsig_header *headers;
	size_t n_headers; /* at most HSIG_REQ_HEADERS_MAX are looked at */
	struct str body;
	bool has_body; /* POST/PUT/PATCH carry a body (maybe empty) */
};

/* A parsed signature; plain values, no pointers. */
struct hsig_parsed {
	enum hsig_scheme scheme;
	char key_id[HSIG_KEYID_MAX]; /* as sent, "#fragment" kept */
	char alg[32];                /* lower-cased algorithm/alg parameter, "" if absent */
	char label[64];              /* RFC 9421 label ("sig1"), "" for cavage */
	int64_t created, expires;    /* unix seconds, -1 if absent */
	size_t n_components;
	/* cavage: lower-cased headers= entries ("(request-target)", "host", ...);
	 * RFC 9421: component identifiers without quotes ("@method", "date", ...) */
	char components[HSIG_COMPONENTS_MAX][HSIG_COMPONENT_MAX];
	unsigned char sig[HSIG_SIG_MAX];
	size_t sig_len;
	char params[HSIG_PARAMS_MAX]; /* RFC 9421: the inner list + parameters as received */
	size_t params_len;
	bool from_authorization; /* cavage read from `Authorization: Signature ...` */
};

/* Headers to send, produced by hsig_sign: "Name: value" lines, NUL-terminated
 * strings, owned by the struct, lines[n] == NULL (so `lines` can be appended to
 * a fetch_req header list). */
struct hsig_out {
	size_t n;
	char *lines[HSIG_OUT_MAX + 1];
};
#define HSIG_OUT_INIT                                                                              \
	{                                                                                          \
		0,                                                                                 \
		{                                                                                  \
			NULL                                                                       \
		}                                                                                  \
	}
/* Frees the lines; leaves HSIG_OUT_INIT. Accepts an empty struct. */
void hsig_out_release(struct hsig_out *o);

/*
 * The combined value of header `name` (lower case) in `r`: several instances
 * are joined with ", " into `tmp` (RFC 9110 5.3). Returns false when absent.
 * `*out` borrows from `r` or `tmp`.
 */
bool hsig_header_get(const struct hsig_request *r, const char *name, struct buf *tmp,
                     struct str *out);

/*
 * Finds and parses the signature of `r`: RFC 9421 (`Signature-Input` +
 * `Signature`, label "sig1" if present, else the first label of
 * Signature-Input that has a Signature) when a Signature-Input header is
 * present, else draft-cavage from `Signature:` or `Authorization: Signature`.
 * Pure: no I/O, no clock. Returns SE_OK, SE_NOT_FOUND (no signature at all),
 * SE_PARSE (malformed: ei->detail says what), SE_TOO_LARGE (a header or a
 * field over its limit), SE_INVAL (well-formed but unsupported, e.g. an
 * algorithm we do not implement or a component with parameters).
 * `out` is written on SE_OK only.
 */
enum err hsig_parse(const struct hsig_request *r, struct hsig_parsed *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Parse one cavage parameter list (the Signature header value, without the
 * "Signature " scheme word). Same errors as hsig_parse. */
enum err hsig_parse_cavage(struct str value, struct hsig_parsed *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Parse RFC 9421 header values; `label` (may be STR_NULL) selects the
 * signature, else "sig1", else the first. Same errors as hsig_parse. */
enum err hsig_parse_rfc9421(struct str sig_input, struct str sig, struct str label,
                            struct hsig_parsed *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Build the exact signing string (cavage) / signature base (RFC 9421) of `p`
 * over `r` into `out` (reset first). `with_query` false drops "?query" from
 * cavage's (request-target) (fedify signs without it). SE_PARSE when a
 * covered header is missing, SE_INVAL for an unsupported component,
 * SE_TOO_LARGE.
 */
enum err hsig_signing_string(const struct hsig_request *r, const struct hsig_parsed *p,
                             bool with_query, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Checks the body digest: every recognised entry of `Digest` (SHA-256,
 * SHA-512; names case-insensitive) and of `Content-Digest` (sha-256,
 * sha-512) present in `r` must match r->body, and at least one recognised
 * entry must exist in one of them. SE_OK or SE_INVAL (reason in ei->detail).
 */
enum err hsig_check_digest(const struct hsig_request *r, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Full check of a parsed signature:
 * - required coverage: cavage "(request-target)", "host", "date" or
 *   "(created)", and "digest" when the request has a body; RFC 9421
 *   "@method", "@target-uri" or "@request-target"/"@path", "@authority" or
 *   "host", `created` parameter, and "content-digest" (or "digest") with a
 *   body;
 * - a covered Date header within now_s +- skew_s; created not after
 *   now_s + skew_s and not before now_s - skew_s; expires + skew_s not passed;
 * - a covered digest matches the body (hsig_check_digest);
 * - the signature is valid for `pub` (EVP_PKEY *: RSA or Ed25519, borrowed):
 *   cavage rsa-sha256 / hs2019 / none (RSA: PKCS#1 v1.5 SHA-256, and for
 *   hs2019 also RSASSA-PSS SHA-512; Ed25519 key with hs2019/ed25519/none), RFC 9421 rsa-v1_5-sha256
 * / ed25519 (absent alg: by key type). Cavage tries the (request-target) with the query string,
 * then without. Returns SE_OK, or SE_INVAL with the reason in ei->detail ("signature does not cover
 * digest", "Date too old", "Digest mismatch", ...), SE_NOMEM. Reasons a fresh copy of the key may
 * fix (rotation) start with "bad signature" or "wrong key type"; callers may rely on these
 * prefixes.
 */
enum err hsig_verify(const struct hsig_request *r, const struct hsig_parsed *p, void *evp_pkey_pub,
                     int64_t now_s, unsigned skew_s, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Sign `r` as `key_id` with `evp_pkey_priv` (EVP_PKEY *, RSA or Ed25519,
 * borrowed) at `now_s`. Appends to `out` (which must be empty):
 * - always "Date: <IMF-fixdate of now_s>";
 * - cavage: "Digest: SHA-256=<b64>" when r->has_body, then "Signature:
 *   keyId=...,algorithm=\"rsa-sha256\"|\"hs2019\" (Ed25519),headers=...,
 *   signature=..." over "(request-target) host date digest" (POST) or
 *   "(request-target) host date" plus "accept" when r carries an Accept
 *   header (GET);
 * - RFC 9421: "Content-Digest: sha-256=:<b64>:" when r->has_body,
 *   "Signature-Input: sig1=(\"@method\" \"@target-uri\" \"@authority\"
 *   [\"content-digest\"]);created=..;keyid=\"..\";alg=\"rsa-v1_5-sha256\"|\"ed25519\""
 *   and "Signature: sig1=:<b64>:".
 * The Host header itself is the caller's (libcurl sends r->authority).
 * Returns SE_OK, SE_INVAL (unsupported key type, key_id with a quote or
 * control byte), SE_NOMEM, SE_TOO_LARGE.
 */
enum err hsig_sign(enum hsig_scheme s, const struct hsig_request *r, const char *key_id,
                   void *evp_pkey_priv, int64_t now_s, struct hsig_out *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * hsig_sign that also covers the request headers `cover` (lower-case names,
 * each present in r->headers, at most HSIG_SIGN_COVER_MAX, none of date,
 * digest, content-digest, host, signature, signature-input, authorization,
 * nor one already covered): cavage appends them to headers= after the fixed
 * set, RFC 9421 adds them as components before `created`. The caller sends
 * those headers itself, with the values given in `r`. SE_INVAL for a name
 * that cannot be covered; otherwise as hsig_sign.
 */
#define HSIG_SIGN_COVER_MAX 8
enum err hsig_sign_cover(enum hsig_scheme s, const struct hsig_request *r, const char *key_id,
                         void *evp_pkey_priv, int64_t now_s, const char *const *cover,
                         size_t n_cover, struct hsig_out *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/* "SHA-256=<b64>" of `body` appended to `out`. */
void hsig_digest_sha256(struct str body, struct buf *out);
/* "sha-256=:<b64>:" of `body` appended to `out`. */
void hsig_content_digest_sha256(struct str body, struct buf *out);
/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of `t` appended to `out`. */
void hsig_http_date(int64_t t, struct buf *out);
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12; Hinnant's algorithm). */
int64_t hsig_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Parse an IMF-fixdate; the obsolete RFC 850 and asctime forms are refused (false). */
bool hsig_parse_http_date(struct str s, int64_t *out);

#endif /* SOL_FEDERATION_HTTPSIG_H */
