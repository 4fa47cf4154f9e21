/*
 * federation/httpsig.c: signing strings and signature bases (draft-cavage-12
 * section 2.3, RFC 9421 section 2.5), body digests (RFC 3230 Digest, RFC 9530
 * Content-Digest), HTTP dates, verification and signing for
 * federation/httpsig.h. The parsers are in httpsig_parse.c.
 */
#include "federation/httpsig.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/mem.h"

/* bytes of a signing string / signature base we build */
#define BASE_MAX (64u << 10)
/* entries of a Digest / Content-Digest list we look at */
#define DIGEST_ENTRIES_MAX 16
/* bytes of one header value joined from several instances */
#define JOIN_MAX (64u << 10)

/* ---- headers ---- */

bool hsig_header_get(const struct hsig_request *r, const char *name, struct buf *tmp,
                     struct str *out)
{
	struct str want = str_from(name), first = STR_NULL;
	size_t n = r->n_headers < HSIG_REQ_HEADERS_MAX ? r->n_headers : HSIG_REQ_HEADERS_MAX;
	size_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		struct str v;

		if (!str_eq_nocase(r->headers[i].name, want))
			continue;
		v = str_trim(r->headers[i].value);
		if (hits == 0) {
			first = v;
		} else {
			/* several instances: one value joined with ", " (RFC 9110 5.3) */
			if (hits == 1) {
				buf_reset(tmp);
				buf_append_str(tmp, first);
			}
			buf_puts(tmp, ", ");
			buf_append_str(tmp, v);
		}
		hits++;
	}
	if (!hits)
		return false;
	*out = hits == 1 ? first : buf_str(tmp);
	return true;
}

static bool has_component(const struct hsig_parsed *p, const char *name)
{
	for (size_t i = 0; i < p->n_components; i++)
		if (strcmp(p->components[i], name) == 0)
			return true;
	return false;
}

static struct str req_authority(const struct hsig_request *r, struct buf *tmp)
{
	struct str v;

	if (r->authority.n)
		return r->authority;
	if (hsig_header_get(r, "host", tmp, &v))
		return v;
	return STR_NULL;
}

static void put_lower(struct buf *b, struct str s)
{
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		buf_putc(b, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
	}
}

/* ---- signing string / signature base ---- */

/* A value that would add or end a line of the signing string is refused: no
 * two requests may share one signing string (RFC 9421 2.1: CR/LF forbidden). */
static bool value_ok(struct str v)
{
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
			return false;
	return true;
}

static enum err cavage_line(const struct hsig_request *r, const struct hsig_parsed *p,
                            const char *c, bool with_query, struct buf *out, struct buf *tmp,
                            struct err_info *ei)
{
	struct str v;

	if (strcmp(c, "(request-target)") == 0) {
		struct str t = r->target;
		long q = str_index(t, '?');

		if (!with_query && q >= 0)
			t.n = (size_t)q;
		buf_puts(out, "(request-target): ");
		put_lower(out, str_from(r->method));
		buf_putc(out, ' ');
		buf_append_str(out, t);
		return SE_OK;
	}
	if (strcmp(c, "(created)") == 0 || strcmp(c, "(expires)") == 0) {
		int64_t t = c[1] == 'c' ? p->created : p->expires;

		if (t < 0)
			return SE_RAISEF(ei, SE_PARSE, "signature: %s covered but not given", c);
		buf_printf(out, "%s: %lld", c, (long long)t);
		return SE_OK;
	}
	if (c[0] == '(')
		return SE_RAISEF(ei, SE_INVAL, "signature: unsupported pseudo-header %s", c);
	if (strcmp(c, "host") == 0) {
		v = req_authority(r, tmp);
		if (!v.n)
			return SE_RAISEF(ei, SE_PARSE, "signature: covered header host missing");
	} else if (!hsig_header_get(r, c, tmp, &v)) {
		return SE_RAISEF(ei, SE_PARSE, "signature: covered header %s missing", c);
	}
	if (!value_ok(v))
		return SE_RAISEF(ei, SE_PARSE, "signature: line break in header %s", c);
	buf_printf(out, "%s: ", c);
	buf_append_str(out, v);
	return SE_OK;
}

static enum err rfc9421_line(const struct hsig_request *r, const char *c, struct buf *out,
                             struct buf *tmp, struct err_info *ei)
{
	struct str t = r->target, v;
	long q = str_index(t, '?');

	buf_printf(out, "\"%s\": ", c);
	if (c[0] != '@') {
		if (!hsig_header_get(r, c, tmp, &v))
			return SE_RAISEF(ei, SE_PARSE, "signature: covered field %s missing", c);
		if (!value_ok(v))
			return SE_RAISEF(ei, SE_PARSE, "signature: line break in field %s", c);
		buf_append_str(out, v);
	} else if (strcmp(c, "@method") == 0) {
		buf_puts(out, r->method);
	} else if (strcmp(c, "@authority") == 0) {
		put_lower(out, req_authority(r, tmp));
	} else if (strcmp(c, "@scheme") == 0) {
		put_lower(out, r->scheme);
	} else if (strcmp(c, "@target-uri") == 0) {
		put_lower(out, r->scheme);
		buf_puts(out, "://");
		put_lower(out, req_authority(r, tmp));
		buf_append_str(out, t);
	} else if (strcmp(c, "@request-target") == 0) {
		buf_append_str(out, t);
	} else if (strcmp(c, "@path") == 0) {
		if (q >= 0)
			t.n = (size_t)q;
		if (t.n)
			buf_append_str(out, t);
		else
			buf_putc(out, '/');
	} else if (strcmp(c, "@query") == 0) {
		if (q >= 0)
			buf_append(out, t.p + q, t.n - (size_t)q);
		else
			buf_putc(out, '?');
	} else {
		return SE_RAISEF(ei, SE_INVAL, "signature: unsupported component %s", c);
	}
	return SE_OK;
}

enum err hsig_signing_string(const struct hsig_request *r, const struct hsig_parsed *p,
                             bool with_query, struct buf *out, struct err_info *ei)
{
	struct buf tmp = BUF_INIT(JOIN_MAX);
	enum err rc = SE_OK;

	buf_reset(out);
	if (!value_ok(r->target) || !value_ok(r->authority) || !value_ok(r->scheme) ||
	    !value_ok(str_from(r->method)))
		return SE_RAISEF(ei, SE_PARSE, "signature: line break in the request line");
	for (size_t i = 0; i < p->n_components; i++) {
		if (p->scheme == HSIG_CAVAGE) {
			if (i)
				buf_putc(out, '\n');
			rc = cavage_line(r, p, p->components[i], with_query, out, &tmp, ei);
		} else {
			rc = rfc9421_line(r, p->components[i], out, &tmp, ei);
			buf_putc(out, '\n');
		}
		if (rc)
			goto out;
	}
	if (p->scheme == HSIG_RFC9421) {
		buf_puts(out, "\"@signature-params\": ");
		buf_append(out, p->params, p->params_len);
	}
	if (buf_err(&tmp) || buf_err(out))
		rc = SE_RAISEF(ei, SE_TOO_LARGE, "signature: signing string over its limit");
out:
	buf_release(&tmp);
	return rc;
}

/* ---- digests ---- */

static void sha512(struct str body, unsigned char out[64])
{
	unsigned int n = 64;

	if (!EVP_Digest(body.n ? body.p : "", body.n, out, &n, EVP_sha512(), NULL))
		memset(out, 0, 64); /* only on allocation failure; compares unequal */
}

static void put_b64(struct buf *b, const unsigned char *p, size_t n)
{
	size_t len = 4 * ((n + 2) / 3);

	if (buf_grow(b, len + 1))
		return;
	EVP_EncodeBlock((unsigned char *)b->ptr + b->len, p, (int)n);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void hsig_digest_sha256(struct str body, struct buf *out)
{
	unsigned char d[32];

	cry_sha256(body.p, body.n, d);
	buf_puts(out, "SHA-256=");
	put_b64(out, d, sizeof(d));
}

void hsig_content_digest_sha256(struct str body, struct buf *out)
{
	unsigned char d[32];

	cry_sha256(body.p, body.n, d);
	buf_puts(out, "sha-256=:");
	put_b64(out, d, sizeof(d));
	buf_putc(out, ':');
}

/*
 * One Digest (`content` false: "SHA-256=<b64>", names case-insensitive) or
 * Content-Digest (`content`: "sha-256=:<b64>:") list: every recognised entry
 * must match; `*known` counts them.
 */
static enum err digest_list(struct str v, bool content, struct str body, int *known,
                            struct err_info *ei)
{
	const char *what = content ? "Content-Digest" : "Digest";
	unsigned char d256[32], d512[64], got[64];
	bool have256 = false, have512 = false;
	size_t entries = 0;

	while (v.n) {
		struct str item = str_trim(str_cut(&v, ',')), name, val;
		const unsigned char *want;
		size_t wn, n = 0;
		long eq = str_index(item, '=');

		if (++entries > DIGEST_ENTRIES_MAX)
			return SE_RAISEF(ei, SE_INVAL, "%s: too many entries", what);
		if (eq <= 0)
			return SE_RAISEF(ei, SE_INVAL, "%s: malformed entry", what);
		name = str_trim((struct str){item.p, (size_t)eq});
		val = str_trim((struct str){item.p + eq + 1, item.n - (size_t)eq - 1});
		if (content ? str_eq_cstr(name, "sha-256")
		            : str_eq_nocase(name, STR_LIT("sha-256"))) {
			if (!have256)
				cry_sha256(body.p, body.n, d256);
			have256 = true;
			want = d256;
			wn = 32;
		} else if (content ? str_eq_cstr(name, "sha-512")
		                   : str_eq_nocase(name, STR_LIT("sha-512"))) {
			if (!have512)
				sha512(body, d512);
			have512 = true;
			want = d512;
			wn = 64;
		} else {
			continue; /* unknown algorithms are ignored (RFC 9530 4, fedify) */
		}
		if (content) {
			if (val.n < 2 || val.p[0] != ':' || val.p[val.n - 1] != ':')
				return SE_RAISEF(ei, SE_INVAL, "%s: value is not a byte sequence",
				                 what);
			val = (struct str){val.p + 1, val.n - 2};
		}
		if (cry_base64_decode(val, got, sizeof(got), &n) != SE_OK || n != wn)
			return SE_RAISEF(ei, SE_INVAL, "%s: bad base64", what);
		if (memcmp(got, want, wn) != 0)
			return SE_RAISEF(ei, SE_INVAL,
			                 "%s mismatch: the body is not what was signed", what);
		(*known)++;
	}
	return SE_OK;
}

static enum err digest_header(const struct hsig_request *r, const char *name, bool content,
                              bool required, int *known, struct err_info *ei)
{
	struct buf tmp = BUF_INIT(JOIN_MAX);
	struct str v;
	enum err rc = SE_OK;

	if (!hsig_header_get(r, name, &tmp, &v)) {
		if (required)
			rc = SE_RAISEF(ei, SE_INVAL, "%s header missing", name);
	} else if (buf_err(&tmp)) {
		rc = SE_RAISEF(ei, SE_INVAL, "%s header too large", name);
	} else {
		rc = digest_list(v, content, r->body, known, ei);
	}
	buf_release(&tmp);
	return rc;
}

enum err hsig_check_digest(const struct hsig_request *r, struct err_info *ei)
{
	int known = 0;
	enum err rc;

	rc = digest_header(r, "digest", false, false, &known, ei);
	if (!rc)
		rc = digest_header(r, "content-digest", true, false, &known, ei);
	if (!rc && known == 0)
		rc = SE_RAISEF(ei, SE_INVAL, "no SHA-256/SHA-512 Digest or Content-Digest");
	return rc;
}

/* ---- dates ---- */

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void hsig_http_date(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		buf_puts(out, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
	           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int64_t hsig_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool num(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return true;
}

bool hsig_parse_http_date(struct str s, int64_t *out)
{
	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes, fixed positions */
	unsigned d, y, hh, mm, ss, mon = 12, wd = 7;
	const char *p = s.p;

	if (s.n != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || memcmp(p + 25, " GMT", 4) != 0)
		return false;
	for (unsigned i = 0; i < 7; i++)
		if (memcmp(p, wdays[i], 3) == 0)
			wd = i;
	for (unsigned i = 0; i < 12; i++)
		if (memcmp(p + 8, months[i], 3) == 0)
			mon = i;
	if (wd == 7 || mon == 12 || !num(p + 5, 2, &d) || !num(p + 12, 4, &y) ||
	    !num(p + 17, 2, &hh) || !num(p + 20, 2, &mm) || !num(p + 23, 2, &ss))
		return false;
	if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970)
		return false;
	*out = hsig_days_from_civil(y, mon + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return true;
}

/* ---- verification ---- */

enum key_kind {
	KEY_RSA,
	KEY_ED25519,
	KEY_OTHER,
};

static enum key_kind key_kind(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return KEY_RSA;
	case EVP_PKEY_ED25519:
		return KEY_ED25519;
	default:
		return KEY_OTHER;
	}
}

/* The algorithm the signature must use with this key, or an error. */
static enum err pick_alg(const struct hsig_parsed *p, enum key_kind k, struct err_info *ei)
{
	const char *a = p->alg;
	bool rsa_named = !strcmp(a, "rsa-sha256") || !strcmp(a, "rsa-v1_5-sha256");
	bool ed_named = !strcmp(a, "ed25519");

	if (k == KEY_OTHER)
		return SE_RAISEF(ei, SE_INVAL, "wrong key type: only RSA and Ed25519 keys");
	if ((rsa_named && k != KEY_RSA) || (ed_named && k != KEY_ED25519))
		return SE_RAISEF(ei, SE_INVAL, "wrong key type for algorithm %s", a);
	/* "", "hs2019": the key decides (hs2019 with RSA is PKCS#1 v1.5 SHA-256 in
	 * practice: Mastodon, GoToSocial, Akkoma) */
	return SE_OK;
}

/* `pss`: RSASSA-PSS with SHA-512, what draft-cavage-12 means by hs2019 with
 * an RSA key (deployed peers use PKCS#1 v1.5 SHA-256, tried first) */
static bool evp_verify(EVP_PKEY *key, enum key_kind k, bool pss, struct str tbs,
                       const unsigned char *sig, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = k == KEY_RSA ? (pss ? EVP_sha512() : EVP_sha256()) : NULL;
	bool ok = false;

	if (!ctx)
		return false;
	if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) == 1 &&
	    (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1)) &&
	    EVP_DigestVerify(ctx, sig, n, (const unsigned char *)tbs.p, tbs.n) == 1)
		ok = true;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool is_body_method(const struct hsig_request *r)
{
	return r->has_body || !strcmp(r->method, "POST") || !strcmp(r->method, "PUT") ||
	       !strcmp(r->method, "PATCH");
}

static enum err check_coverage(const struct hsig_request *r, const struct hsig_parsed *p,
                               struct err_info *ei)
{
	bool body = is_body_method(r);

	if (p->scheme == HSIG_CAVAGE) {
		if (!has_component(p, "(request-target)"))
			return SE_RAISEF(ei, SE_INVAL, "signature does not cover (request-target)");
		if (!has_component(p, "host"))
			return SE_RAISEF(ei, SE_INVAL, "signature does not cover host");
		if (!has_component(p, "date") && !has_component(p, "(created)"))
			return SE_RAISEF(ei, SE_INVAL,
			                 "signature covers neither date nor (created)");
	} else {
		if (!has_component(p, "@method"))
			return SE_RAISEF(ei, SE_INVAL, "signature does not cover @method");
		if (!has_component(p, "@target-uri") && !has_component(p, "@request-target") &&
		    !has_component(p, "@path"))
			return SE_RAISEF(ei, SE_INVAL, "signature does not cover @target-uri");
		if (!has_component(p, "@authority") && !has_component(p, "host"))
			return SE_RAISEF(ei, SE_INVAL, "signature does not cover @authority");
		if (p->created < 0)
			return SE_RAISEF(ei, SE_INVAL, "signature has no created parameter");
	}
	if (body && !has_component(p, "digest") && !has_component(p, "content-digest"))
		return SE_RAISEF(ei, SE_INVAL, "signature does not cover digest on %s", r->method);
	return SE_OK;
}

static enum err check_time(const struct hsig_request *r, const struct hsig_parsed *p, int64_t now,
                           int64_t skew, struct err_info *ei)
{
	if (has_component(p, "date")) {
		struct buf tmp = BUF_INIT(256);
		struct str v;
		int64_t t = 0;
		bool ok = hsig_header_get(r, "date", &tmp, &v) && hsig_parse_http_date(v, &t);

		buf_release(&tmp);
		if (!ok)
			return SE_RAISEF(ei, SE_INVAL, "Date header missing or malformed");
		if (t < now - skew)
			return SE_RAISEF(ei, SE_INVAL, "Date too old (%llds)",
			                 (long long)(now - t));
		if (t > now + skew)
			return SE_RAISEF(ei, SE_INVAL, "Date in the future (%llds)",
			                 (long long)(t - now));
	}
	if (p->created >= 0) {
		if (p->created > now + skew)
			return SE_RAISEF(ei, SE_INVAL, "created in the future");
		if (p->created < now - skew)
			return SE_RAISEF(ei, SE_INVAL, "created too old");
	}
	if (p->expires >= 0 && p->expires + skew < now)
		return SE_RAISEF(ei, SE_INVAL, "signature expired");
	return SE_OK;
}

enum err hsig_verify(const struct hsig_request *r, const struct hsig_parsed *p, void *evp_pkey_pub,
                     int64_t now_s, unsigned skew_s, struct err_info *ei)
{
	EVP_PKEY *key = evp_pkey_pub;
	struct buf base = BUF_INIT(BASE_MAX);
	enum key_kind kind;
	int known = 0;
	bool ok = false, pss;
	enum err rc;

	if (!key)
		return SE_RAISEF(ei, SE_INVAL, "no key");
	rc = check_coverage(r, p, ei);
	if (!rc)
		rc = check_time(r, p, now_s, (int64_t)skew_s, ei);
	if (!rc && has_component(p, "digest"))
		rc = digest_header(r, "digest", false, true, &known, ei);
	if (!rc && has_component(p, "content-digest"))
		rc = digest_header(r, "content-digest", true, true, &known, ei);
	if (!rc && (has_component(p, "digest") || has_component(p, "content-digest")) && !known)
		rc = SE_RAISEF(ei, SE_INVAL, "no SHA-256/SHA-512 entry in the covered digest");
	if (rc)
		return rc;
	kind = key_kind(key);
	rc = pick_alg(p, kind, ei);
	if (rc)
		return rc;
	if (kind == KEY_RSA && EVP_PKEY_get_bits(key) < 1024)
		return SE_RAISEF(ei, SE_INVAL, "RSA key under 1024 bits");
	rc = hsig_signing_string(r, p, true, &base, ei);
	if (rc)
		goto out;
	if (kind == KEY_ED25519 && p->sig_len != 64) {
		rc = SE_RAISEF(ei, SE_INVAL, "bad signature: Ed25519 signatures are 64 bytes");
		goto out;
	}
	pss = p->scheme == HSIG_CAVAGE && kind == KEY_RSA && !strcmp(p->alg, "hs2019");
	ok = evp_verify(key, kind, false, buf_str(&base), p->sig, p->sig_len) ||
	     (pss && evp_verify(key, kind, true, buf_str(&base), p->sig, p->sig_len));
	/* fedify and old Pleroma sign (request-target) without the query */
	if (!ok && p->scheme == HSIG_CAVAGE && str_index(r->target, '?') >= 0) {
		rc = hsig_signing_string(r, p, false, &base, ei);
		if (rc)
			goto out;
		ok = evp_verify(key, kind, false, buf_str(&base), p->sig, p->sig_len) ||
		     (pss && evp_verify(key, kind, true, buf_str(&base), p->sig, p->sig_len));
	}
	if (!ok)
		rc = SE_RAISEF(ei, SE_INVAL, "bad signature (%s, key %s)",
		               p->scheme == HSIG_CAVAGE ? "cavage" : "RFC 9421",
		               kind == KEY_RSA ? "RSA" : "Ed25519");
out:
	buf_release(&base);
	if (rc && rc != SE_NOMEM && rc != SE_INVAL)
		rc = SE_INVAL; /* a missing covered header etc.: detail already set */
	return rc;
}

/* ---- signing ---- */

void hsig_out_release(struct hsig_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->lines[i])
			cry_wipe(o->lines[i], strlen(o->lines[i]));
		mem_free(o->lines[i]);
		o->lines[i] = NULL;
	}
	o->n = 0;
}

static enum err out_add(struct hsig_out *o, const char *name, struct str value)
{
	struct buf b = BUF_INIT(BASE_MAX);
	char *line;

	if (o->n >= HSIG_OUT_MAX)
		return SE_FULL;
	buf_puts(&b, name);
	buf_puts(&b, ": ");
	buf_append_str(&b, value);
	line = buf_take(&b, NULL);
	if (!line) {
		enum err e = buf_err(&b);

		buf_release(&b);
		return e ? e : SE_NOMEM;
	}
	o->lines[o->n++] = line;
	o->lines[o->n] = NULL;
	return SE_OK;
}

static bool key_id_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;

	if (n == 0 || n >= HSIG_KEYID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f || k[i] == '"' ||
		    k[i] == '\\')
			return false;
	return true;
}

static enum err evp_sign(EVP_PKEY *key, enum key_kind k, struct str tbs, struct buf *b64)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[HSIG_SIG_MAX];
	size_t n = sizeof(sig);
	enum err rc = SE_INVAL;

	if (!ctx)
		return SE_NOMEM;
	if (EVP_DigestSignInit(ctx, NULL, k == KEY_RSA ? EVP_sha256() : NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)tbs.p, tbs.n) == 1 &&
	    n <= sizeof(sig) &&
	    EVP_DigestSign(ctx, sig, &n, (const unsigned char *)tbs.p, tbs.n) == 1) {
		put_b64(b64, sig, n);
		rc = SE_OK;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* What hsig_sign covers, by scheme and body. */
static void sign_components(enum hsig_scheme s, const struct hsig_request *r, bool body,
                            struct hsig_parsed *p)
{
	static const char *const cav_post[] = {"(request-target)", "host", "date", "digest"};
	static const char *const cav_get[] = {"(request-target)", "host", "date", "accept"};
	static const char *const rfc[] = {"@method", "@target-uri", "@authority", "content-digest"};
	const char *const *list = s == HSIG_RFC9421 ? rfc : body ? cav_post : cav_get;
	struct buf tmp = BUF_INIT(JOIN_MAX);
	size_t n = 4;
	struct str v;

	if (!body && (s == HSIG_RFC9421 || !hsig_header_get(r, "accept", &tmp, &v)))
		n = 3;
	buf_release(&tmp);
	p->n_components = n;
	for (size_t i = 0; i < n; i++)
		snprintf(p->components[i], sizeof(p->components[i]), "%s", list[i]);
}

/*
 * An extra header hsig_sign_cover may cover: a lower-case token, not one the
 * signer writes itself or covers anyway, present in `r`, not named twice.
 */
static bool cover_ok(const struct hsig_request *r, const struct hsig_parsed *p, const char *name)
{
	static const char *const own[] = {"date",      "digest",          "content-digest", "host",
	                                  "signature", "signature-input", "authorization"};
	struct buf tmp = BUF_INIT(JOIN_MAX);
	size_t n = name ? strlen(name) : 0;
	struct str v;
	bool ok;

	if (n == 0 || n >= HSIG_COMPONENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-' || name[i] == '_' || name[i] == '.'))
			return false;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(name, own[i]) == 0)
			return false;
	if (has_component(p, name))
		return false;
	ok = hsig_header_get(r, name, &tmp, &v);
	buf_release(&tmp);
	return ok;
}

enum err hsig_sign(enum hsig_scheme s, const struct hsig_request *r, const char *key_id,
                   void *evp_pkey_priv, int64_t now_s, struct hsig_out *out, struct err_info *ei)
{
	return hsig_sign_cover(s, r, key_id, evp_pkey_priv, now_s, NULL, 0, out, ei);
}

enum err hsig_sign_cover(enum hsig_scheme s, const struct hsig_request *r, const char *key_id,
                         void *evp_pkey_priv, int64_t now_s, const char *const *cover,
                         size_t n_cover, struct hsig_out *out, struct err_info *ei)
{
	EVP_PKEY *key = evp_pkey_priv;
	struct hsig_header hs[HSIG_REQ_HEADERS_MAX + 3];
	struct buf date = BUF_INIT(64), dig = BUF_INIT(256), base = BUF_INIT(BASE_MAX);
	struct buf sig = BUF_INIT(BASE_MAX);
	struct hsig_parsed *p = NULL;
	struct hsig_request rr = *r;
	bool body = is_body_method(r);
	size_t n = 0,
	       nh = r->n_headers < HSIG_REQ_HEADERS_MAX ? r->n_headers : HSIG_REQ_HEADERS_MAX;
	enum key_kind kind;
	enum err rc;

	if (!key || (kind = key_kind(key)) == KEY_OTHER)
		return SE_RAISEF(ei, SE_INVAL, "sign: only RSA and Ed25519 keys");
	if (!key_id_ok(key_id))
		return SE_RAISEF(ei, SE_INVAL, "sign: unusable keyId");
	p = mem_try_alloc(sizeof(*p));
	if (!p)
		return SE_RAISE(ei, SE_NOMEM);
	memset(p, 0, sizeof(*p));
	p->scheme = s;
	p->created = s == HSIG_RFC9421 ? now_s : -1;
	p->expires = -1;
	/* the request as the peer will see it: our Date, digest and Host */
	for (size_t i = 0; i < nh; i++) {
		struct str nm = r->headers[i].name;

		if (str_eq_nocase(nm, STR_LIT("date")) || str_eq_nocase(nm, STR_LIT("digest")) ||
		    str_eq_nocase(nm, STR_LIT("content-digest")) ||
		    str_eq_nocase(nm, STR_LIT("host")) || str_eq_nocase(nm, STR_LIT("signature")) ||
		    str_eq_nocase(nm, STR_LIT("signature-input")))
			continue;
		hs[n++] = r->headers[i];
	}
	hsig_http_date(now_s, &date);
	hs[n++] = (struct hsig_header){STR_LIT("date"), buf_str(&date)};
	hs[n++] = (struct hsig_header){STR_LIT("host"), r->authority};
	if (body) {
		if (s == HSIG_CAVAGE)
			hsig_digest_sha256(r->body, &dig);
		else
			hsig_content_digest_sha256(r->body, &dig);
		hs[n++] = (struct hsig_header){s == HSIG_CAVAGE ? STR_LIT("digest")
		                                                : STR_LIT("content-digest"),
		                               buf_str(&dig)};
	}
	rr.headers = hs;
	rr.n_headers = n;
	sign_components(s, &rr, body, p);
	if (n_cover > HSIG_SIGN_COVER_MAX) {
		rc = SE_RAISEF(ei, SE_INVAL, "sign: more than %d extra headers",
		               HSIG_SIGN_COVER_MAX);
		goto out;
	}
	for (size_t i = 0; i < n_cover; i++) {
		if (!cover_ok(&rr, p, cover[i])) {
			rc = SE_RAISEF(ei, SE_INVAL, "sign: cannot cover header '%.64s'",
			               cover[i] ? cover[i] : "");
			goto out;
		}
		snprintf(p->components[p->n_components++], HSIG_COMPONENT_MAX, "%s", cover[i]);
	}
	if (s == HSIG_RFC9421) {
		struct buf pb = BUF_INIT(HSIG_PARAMS_MAX - 1);

		buf_putc(&pb, '(');
		for (size_t i = 0; i < p->n_components; i++)
			buf_printf(&pb, "%s\"%s\"", i ? " " : "", p->components[i]);
		buf_printf(&pb, ");created=%lld;keyid=\"%s\";alg=\"%s\"", (long long)now_s, key_id,
		           kind == KEY_RSA ? "rsa-v1_5-sha256" : "ed25519");
		if (buf_err(&pb)) {
			buf_release(&pb);
			rc = SE_RAISEF(ei, SE_TOO_LARGE, "sign: signature params too long");
			goto out;
		}
		memcpy(p->params, pb.ptr, pb.len + 1);
		p->params_len = pb.len;
		buf_release(&pb);
	}
	rc = hsig_signing_string(&rr, p, true, &base, ei);
	if (rc)
		goto out;
	rc = evp_sign(key, kind, buf_str(&base), &sig);
	if (rc) {
		rc = SE_RAISEF(ei, rc, "sign: the key cannot sign");
		goto out;
	}
	rc = out_add(out, "Date", buf_str(&date));
	if (!rc && body)
		rc = out_add(out, s == HSIG_CAVAGE ? "Digest" : "Content-Digest", buf_str(&dig));
	if (!rc && s == HSIG_RFC9421) {
		struct buf v = BUF_INIT(HSIG_PARAMS_MAX + 8);

		buf_puts(&v, "sig1=");
		buf_append(&v, p->params, p->params_len);
		rc = buf_err(&v) ? buf_err(&v) : out_add(out, "Signature-Input", buf_str(&v));
		buf_release(&v);
		if (!rc) {
			buf_reset(&base);
			buf_puts(&base, "sig1=:");
			buf_append_str(&base, buf_str(&sig));
			buf_putc(&base, ':');
			rc = buf_err(&base) ? buf_err(&base)
			                    : out_add(out, "Signature", buf_str(&base));
		}
	} else if (!rc) {
		buf_reset(&base);
		buf_printf(&base, "keyId=\"%s\",algorithm=\"%s\",headers=\"", key_id,
		           kind == KEY_RSA ? "rsa-sha256" : "hs2019");
		for (size_t i = 0; i < p->n_components; i++)
			buf_printf(&base, "%s%s", i ? " " : "", p->components[i]);
		buf_puts(&base, "\",signature=\"");
		buf_append_str(&base, buf_str(&sig));
		buf_putc(&base, '"');
		rc = buf_err(&base) ? buf_err(&base) : out_add(out, "Signature", buf_str(&base));
	}
	if (rc)
		rc = SE_RAISEF(ei, rc, "sign: cannot build the headers");
	if (!rc && (buf_err(&date) || buf_err(&dig) || buf_err(&sig)))
		rc = SE_RAISEF(ei, SE_NOMEM, "sign: out of memory");
out:
	if (rc)
		hsig_out_release(out);
	buf_release(&date);
	buf_release(&dig);
	buf_release(&base);
	buf_release(&sig);
	mem_free(p);
	return rc;
}
