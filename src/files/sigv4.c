/*
 * files/sigv4.c: AWS Signature Version 4 (AWS General Reference, "Create a
 * signed AWS API request"; S3 API Reference, "Signature Calculations for
 * the Authorization Header"). HMAC-SHA-256 and SHA-256 come from core/crypto.
 */
#include "files/sigv4.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/crypto.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

void sigv4_uri_encode(struct buf *out, const char *s, bool keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_unreserved(*p) || (keep_slash && *p == '/'))
			buf_putc(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int cmp_nocase(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return lower((unsigned char)*a) - lower((unsigned char)*b);
}

/* Insertion sort of at most SIGV4_*_MAX indexes: tiny and stable. */
static void sort_idx(size_t *idx, size_t n, const struct sigv4_kv *kv, int by_encoded)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;

		while (j > 0) {
			const struct sigv4_kv *a = &kv[idx[j - 1]], *b = &kv[v];
			int c =
			    by_encoded ? strcmp(a->name, b->name) : cmp_nocase(a->name, b->name);

			if (by_encoded && c == 0)
				c = strcmp(a->value, b->value);
			if (c <= 0)
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

static void put_lower(struct buf *out, const char *s)
{
	for (; *s; s++)
		buf_putc(out, (char)lower((unsigned char)*s));
}

/* Value trimmed, inner runs of spaces folded to one (the "Trimall" rule). */
static void put_trimmed(struct buf *out, const char *s)
{
	int space = 0, any = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = any;
			continue;
		}
		if (space)
			buf_putc(out, ' ');
		buf_putc(out, *s);
		space = 0;
		any = 1;
	}
}

static void signed_headers(const struct sigv4_req *r, const size_t *idx, struct buf *out)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		if (i)
			buf_putc(out, ';');
		put_lower(out, r->headers[idx[i]].name);
	}
}

static enum err check(const struct sigv4_req *r)
{
	const char *d = r->amz_date;

	if (r->n_headers > SIGV4_HEADERS_MAX || r->n_query > SIGV4_QUERY_MAX)
		return SE_INVAL;
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return SE_INVAL;
	return SE_OK;
}

enum err sigv4_canonical_request(const struct sigv4_req *r, struct buf *out)
{
	size_t hidx[SIGV4_HEADERS_MAX], qidx[SIGV4_QUERY_MAX];
	enum err rc = check(r);

	if (rc)
		return rc;
	for (size_t i = 0; i < r->n_headers; i++)
		hidx[i] = i;
	for (size_t i = 0; i < r->n_query; i++)
		qidx[i] = i;
	sort_idx(hidx, r->n_headers, r->headers, 0);
	/* parameters sort by encoded name; our names are unreserved, so raw order is the same */
	sort_idx(qidx, r->n_query, r->query, 1);

	buf_puts(out, r->method);
	buf_putc(out, '\n');
	sigv4_uri_encode(out, r->path, true);
	buf_putc(out, '\n');
	for (size_t i = 0; i < r->n_query; i++) {
		if (i)
			buf_putc(out, '&');
		sigv4_uri_encode(out, r->query[qidx[i]].name, false);
		buf_putc(out, '=');
		sigv4_uri_encode(out, r->query[qidx[i]].value, false);
	}
	buf_putc(out, '\n');
	for (size_t i = 0; i < r->n_headers; i++) {
		put_lower(out, r->headers[hidx[i]].name);
		buf_putc(out, ':');
		put_trimmed(out, r->headers[hidx[i]].value);
		buf_putc(out, '\n');
	}
	buf_putc(out, '\n');
	signed_headers(r, hidx, out);
	buf_putc(out, '\n');
	buf_puts(out, r->payload_hash);
	return buf_err(out);
}

static void scope(const struct sigv4_req *r, struct buf *out)
{
	buf_printf(out, "%.8s/%s/%s/aws4_request", r->amz_date, r->region, r->service);
}

enum err sigv4_string_to_sign(const struct sigv4_req *r, struct buf *out)
{
	struct buf canon = BUF_INIT(1u << 20);
	unsigned char h[32];
	char hh[65];
	enum err rc;

	rc = sigv4_canonical_request(r, &canon);
	if (rc)
		goto out;
	cry_sha256(canon.ptr, canon.len, h);
	hex(h, 32, hh);
	buf_printf(out, "AWS4-HMAC-SHA256\n%s\n", r->amz_date);
	scope(r, out);
	buf_printf(out, "\n%s", hh);
	rc = buf_err(out);
out:
	buf_release(&canon);
	return rc;
}

enum err sigv4_signature(const struct sigv4_req *r, const char *secret, char out[65])
{
	struct buf sts = BUF_INIT(1u << 20);
	struct buf k0 = BUF_INIT(256);
	unsigned char k[32], sig[32];
	enum err rc;

	rc = sigv4_string_to_sign(r, &sts);
	if (rc)
		goto out;
	buf_printf(&k0, "AWS4%s", secret);
	rc = buf_err(&k0);
	if (rc)
		goto out;
	cry_hmac_sha256(k0.ptr, k0.len, r->amz_date, 8, k);
	cry_hmac_sha256(k, 32, r->region, strlen(r->region), k);
	cry_hmac_sha256(k, 32, r->service, strlen(r->service), k);
	cry_hmac_sha256(k, 32, "aws4_request", 12, k);
	cry_hmac_sha256(k, 32, sts.ptr, sts.len, sig);
	hex(sig, 32, out);
out:
	cry_wipe(k, sizeof(k));
	if (k0.ptr)
		cry_wipe(k0.ptr, k0.len);
	buf_release(&k0);
	buf_release(&sts);
	return rc;
}

enum err sigv4_authorization(const struct sigv4_req *r, const char *access_key, const char *secret,
                             struct buf *out)
{
	size_t hidx[SIGV4_HEADERS_MAX];
	char sig[65];
	enum err rc;

	rc = sigv4_signature(r, secret, sig);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->n_headers; i++)
		hidx[i] = i;
	sort_idx(hidx, r->n_headers, r->headers, 0);
	buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/", access_key);
	scope(r, out);
	buf_puts(out, ", SignedHeaders=");
	signed_headers(r, hidx, out);
	buf_printf(out, ", Signature=%s", sig);
	return buf_err(out);
}

void sigv4_amz_date(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
