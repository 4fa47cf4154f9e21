/*
 * federation/httpsig_parse.c: the pure parsers of federation/httpsig.h:
 * draft-cavage-12 section 2.1 parameter lists, finding the signature of a
 * request, and the helpers the RFC 9421 parser (httpsig_sf.c) shares.
 * No I/O, no clock, never reads past the slices it is given.
 */
#include "federation/httpsig.h"
#include "federation/httpsig_int.h"

#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/mem.h"

/* ---- small helpers ---- */

void hsig_parsed_init(struct hsig_parsed *o, enum hsig_scheme s)
{
	memset(o, 0, sizeof(*o));
	o->scheme = s;
	o->created = -1;
	o->expires = -1;
}

/* Copies `v` (NUL-terminated) into `dst`; SE_TOO_LARGE when it does not fit. */
enum err hsig_copy_field(char *dst, size_t cap, struct str v, const char *what, struct err_info *ei)
{
	if (v.n >= cap)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: %s longer than %zu bytes", what,
		                 cap - 1);
	if (memchr(v.p, '\0', v.n))
		return SE_RAISEF(ei, SE_PARSE, "signature: NUL byte in %s", what);
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return SE_OK;
}

enum err hsig_add_component(struct hsig_parsed *o, struct str name, bool lowercase,
                            struct err_info *ei)
{
	char tmp[HSIG_COMPONENT_MAX];

	if (name.n == 0)
		return SE_RAISEF(ei, SE_PARSE, "signature: empty component name");
	if (o->n_components >= HSIG_COMPONENTS_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: more than %d covered components",
		                 HSIG_COMPONENTS_MAX);
	if (name.n >= HSIG_COMPONENT_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: component name over %d bytes",
		                 HSIG_COMPONENT_MAX - 1);
	for (size_t i = 0; i < name.n; i++) {
		char c = lowercase ? hsig_lower(name.p[i]) : name.p[i];

		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f || c == '"')
			return SE_RAISEF(ei, SE_PARSE, "signature: bad byte in a component name");
		tmp[i] = c;
	}
	tmp[name.n] = '\0';
	for (size_t i = 0; i < o->n_components; i++)
		if (strcmp(o->components[i], tmp) == 0)
			return SE_RAISEF(ei, SE_PARSE, "signature: component '%s' covered twice",
			                 tmp);
	memcpy(o->components[o->n_components++], tmp, name.n + 1);
	return SE_OK;
}

/* created/expires: 1 to 12 digits (unix seconds up to year 33658) */
bool hsig_parse_time(struct str v, int64_t *out)
{
	uint64_t u;

	if (v.n == 0 || v.n > 12 || !str_to_u64(v, 999999999999ULL, &u))
		return false;
	*out = (int64_t)u;
	return true;
}

enum err hsig_decode_sig(struct str b64, struct hsig_parsed *o, struct err_info *ei)
{
	size_t n = 0;
	enum err rc;

	if (b64.n == 0)
		return SE_RAISEF(ei, SE_PARSE, "signature: empty signature value");
	rc = cry_base64_decode(b64, o->sig, sizeof(o->sig), &n);
	if (rc == SE_TOO_LARGE)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: signature over %d bytes",
		                 HSIG_SIG_MAX);
	if (rc != SE_OK || n == 0)
		return SE_RAISEF(ei, SE_PARSE, "signature: signature is not base64");
	o->sig_len = n;
	return SE_OK;
}

/* ---- draft-cavage ---- */

/*
 * One `name=value` of a cavage list; the value is a quoted-string (with
 * backslash escapes, RFC 9110 5.6.4) or a token (numbers for created and
 * expires). Unescaped values land in `vbuf`.
 */
static enum err cavage_param(const char **pp, const char *end, struct str *name, struct buf *vbuf,
                             struct err_info *ei)
{
	const char *p = *pp, *s = p;

	while (p < end && hsig_is_tchar(*p))
		p++;
	if (p == s)
		return SE_RAISEF(ei, SE_PARSE, "signature: expected a parameter name");
	*name = (struct str){s, (size_t)(p - s)};
	hsig_skip_ows(&p, end);
	if (p >= end || *p != '=')
		return SE_RAISEF(ei, SE_PARSE, "signature: parameter without '='");
	p++;
	hsig_skip_ows(&p, end);
	buf_reset(vbuf);
	if (p < end && *p == '"') {
		p++;
		for (;;) {
			if (p >= end)
				return SE_RAISEF(ei, SE_PARSE,
				                 "signature: unterminated quoted string");
			if (*p == '"')
				break;
			if (*p == '\\') {
				p++;
				if (p >= end)
					return SE_RAISEF(ei, SE_PARSE,
					                 "signature: unterminated quoted string");
			}
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return SE_RAISEF(ei, SE_PARSE,
				                 "signature: control byte in a quoted string");
			buf_putc(vbuf, *p);
			p++;
		}
		p++;
	} else {
		s = p;
		while (p < end && hsig_is_tchar(*p))
			p++;
		if (p == s)
			return SE_RAISEF(ei, SE_PARSE, "signature: empty parameter value");
		buf_append(vbuf, s, (size_t)(p - s));
	}
	if (buf_err(vbuf))
		return SE_RAISEF(ei, buf_err(vbuf), "signature: parameter value too large");
	*pp = p;
	return SE_OK;
}

static enum err cavage_headers(struct hsig_parsed *o, struct str v, struct err_info *ei)
{
	enum err rc;

	while (v.n) {
		struct str item;
		size_t i = 0;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		v.p += i;
		v.n -= i;
		if (!v.n)
			break;
		for (i = 0; i < v.n && v.p[i] != ' ' && v.p[i] != '\t'; i++)
			;
		item = (struct str){v.p, i};
		v.p += i;
		v.n -= i;
		rc = hsig_add_component(o, item, true, ei);
		if (rc)
			return rc;
	}
	if (o->n_components == 0)
		return SE_RAISEF(ei, SE_PARSE, "signature: empty headers list");
	return SE_OK;
}

static enum err cavage_apply(struct hsig_parsed *o, struct str name, struct str v, unsigned *seen,
                             struct err_info *ei)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {{"keyid", HSIG_SEEN_KEYID},     {"algorithm", HSIG_SEEN_ALG},
	             {"headers", HSIG_SEEN_HEADERS}, {"signature", HSIG_SEEN_SIG},
	             {"created", HSIG_SEEN_CREATED}, {"expires", HSIG_SEEN_EXPIRES}};
	unsigned bit = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (str_eq_nocase(name, str_from(known[i].name)))
			bit = known[i].bit;
	if (!bit)
		return SE_OK; /* unknown parameters are ignored (draft-cavage 2.1) */
	if (*seen & bit)
		return SE_RAISEF(ei, SE_PARSE, "signature: duplicate parameter '%.*s'",
		                 (int)(name.n > 32 ? 32 : name.n), name.p);
	*seen |= bit;
	switch (bit) {
	case HSIG_SEEN_KEYID:
		if (!v.n)
			return SE_RAISEF(ei, SE_PARSE, "signature: empty keyId");
		return hsig_copy_field(o->key_id, sizeof(o->key_id), v, "keyId", ei);
	case HSIG_SEEN_ALG:
		if (v.n >= sizeof(o->alg))
			return SE_RAISEF(ei, SE_INVAL, "signature: unsupported algorithm");
		for (size_t i = 0; i < v.n; i++)
			o->alg[i] = hsig_lower(v.p[i]);
		o->alg[v.n] = '\0';
		if (strcmp(o->alg, "rsa-sha256") && strcmp(o->alg, "hs2019") &&
		    strcmp(o->alg, "ed25519"))
			return SE_RAISEF(ei, SE_INVAL, "signature: unsupported algorithm '%s'",
			                 o->alg);
		return SE_OK;
	case HSIG_SEEN_HEADERS:
		return cavage_headers(o, v, ei);
	case HSIG_SEEN_SIG:
		return hsig_decode_sig(v, o, ei);
	case HSIG_SEEN_CREATED:
		if (!hsig_parse_time(v, &o->created))
			return SE_RAISEF(ei, SE_PARSE, "signature: bad created");
		return SE_OK;
	default:
		if (!hsig_parse_time(v, &o->expires))
			return SE_RAISEF(ei, SE_PARSE, "signature: bad expires");
		return SE_OK;
	}
}

enum err hsig_parse_cavage(struct str value, struct hsig_parsed *out, struct err_info *ei)
{
	struct hsig_parsed *o = NULL;
	struct buf vbuf = BUF_INIT(HSIG_HEADER_MAX);
	const char *p = value.p, *end = value.p + value.n;
	unsigned seen = 0;
	enum err rc = SE_OK;

	if (value.n > HSIG_HEADER_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: header over %d bytes",
		                 HSIG_HEADER_MAX);
	o = mem_try_alloc(sizeof(*o));
	if (!o)
		return SE_RAISE(ei, SE_NOMEM);
	hsig_parsed_init(o, HSIG_CAVAGE);
	hsig_skip_ows(&p, end);
	if (p >= end) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature: empty header");
		goto out;
	}
	while (p < end) {
		struct str name = STR_NULL;

		rc = cavage_param(&p, end, &name, &vbuf, ei);
		if (rc)
			goto out;
		rc = cavage_apply(o, name, buf_str(&vbuf), &seen, ei);
		if (rc)
			goto out;
		hsig_skip_ows(&p, end);
		if (p >= end)
			break;
		if (*p != ',') {
			rc = SE_RAISEF(ei, SE_PARSE, "signature: expected ',' between parameters");
			goto out;
		}
		p++;
		hsig_skip_ows(&p, end);
		if (p >= end) {
			rc = SE_RAISEF(ei, SE_PARSE, "signature: trailing ','");
			goto out;
		}
	}
	if (!(seen & HSIG_SEEN_KEYID)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature: no keyId");
		goto out;
	}
	if (!(seen & HSIG_SEEN_SIG)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature: no signature parameter");
		goto out;
	}
	/* draft-cavage-12 2.1.6 says "(created)"; every deployed peer (Mastodon
	 * signed_request.rb, the joyent library) defaults to "date" */
	if (!(seen & HSIG_SEEN_HEADERS)) {
		rc = hsig_add_component(o, STR_LIT("date"), true, ei);
		if (rc)
			goto out;
	}
	memcpy(out, o, sizeof(*o));
out:
	buf_release(&vbuf);
	mem_free(o);
	return rc;
}

/* ---- finding the signature in a request ---- */

enum err hsig_parse(const struct hsig_request *r, struct hsig_parsed *out, struct err_info *ei)
{
	struct buf t1 = BUF_INIT(HSIG_HEADER_MAX + 1), t2 = BUF_INIT(HSIG_HEADER_MAX + 1);
	struct str input, sig, auth;
	bool has_input, has_sig;
	enum err rc;

	has_input = hsig_header_get(r, "signature-input", &t1, &input);
	has_sig = hsig_header_get(r, "signature", &t2, &sig);
	if (buf_err(&t1) || buf_err(&t2)) {
		rc =
		    SE_RAISEF(ei, SE_TOO_LARGE, "signature: header over %d bytes", HSIG_HEADER_MAX);
		goto out;
	}
	if (has_input) {
		if (!has_sig) {
			rc =
			    SE_RAISEF(ei, SE_PARSE, "signature: Signature-Input without Signature");
			goto out;
		}
		rc = hsig_parse_rfc9421(input, sig, STR_NULL, out, ei);
		goto out;
	}
	if (has_sig) {
		rc = hsig_parse_cavage(sig, out, ei);
		goto out;
	}
	/* `Authorization: Signature ...` (draft-cavage 3.1); leniency for old peers */
	buf_reset(&t1);
	if (hsig_header_get(r, "authorization", &t1, &auth) && auth.n > 10 &&
	    str_eq_nocase((struct str){auth.p, 9}, STR_LIT("signature")) &&
	    (auth.p[9] == ' ' || auth.p[9] == '\t')) {
		rc = hsig_parse_cavage((struct str){auth.p + 10, auth.n - 10}, out, ei);
		if (rc == SE_OK)
			out->from_authorization = true;
		goto out;
	}
	rc = SE_RAISEF(ei, SE_NOT_FOUND, "signature: request is not signed");
out:
	buf_release(&t1);
	buf_release(&t2);
	return rc;
}
