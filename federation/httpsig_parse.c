/*
 * federation/httpsig_parse.c: the pure parsers of federation/httpsig.h:
 * draft-cavage-12 section 2.1 parameter lists, and the RFC 8941 structured
 * fields RFC 9421 section 4 uses (Signature-Input: dictionary of inner lists
 * with parameters; Signature: dictionary of byte sequences).
 * No I/O, no clock, never reads past the slices it is given.
 */
#include "federation/httpsig.h"

#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/mem.h"

/* ---- small helpers ---- */

static bool is_lc(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 tchar, used by cavage parameter names and sf-tokens */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void skip_ows(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

static void parsed_init(struct hsig_parsed *o, enum hsig_scheme s)
{
	memset(o, 0, sizeof(*o));
	o->scheme = s;
	o->created = -1;
	o->expires = -1;
}

/* Copies `v` (NUL-terminated) into `dst`; SE_TOO_LARGE when it does not fit. */
static enum err copy_field(char *dst, size_t cap, struct str v, const char *what,
                           struct err_info *ei)
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

static enum err add_component(struct hsig_parsed *o, struct str name, bool lowercase,
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
		char c = lowercase ? lower(name.p[i]) : name.p[i];

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
static bool parse_time(struct str v, int64_t *out)
{
	uint64_t u;

	if (v.n == 0 || v.n > 12 || !str_to_u64(v, 999999999999ULL, &u))
		return false;
	*out = (int64_t)u;
	return true;
}

static enum err decode_sig(struct str b64, struct hsig_parsed *o, struct err_info *ei)
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

	while (p < end && is_tchar(*p))
		p++;
	if (p == s)
		return SE_RAISEF(ei, SE_PARSE, "signature: expected a parameter name");
	*name = (struct str){s, (size_t)(p - s)};
	skip_ows(&p, end);
	if (p >= end || *p != '=')
		return SE_RAISEF(ei, SE_PARSE, "signature: parameter without '='");
	p++;
	skip_ows(&p, end);
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
		while (p < end && is_tchar(*p))
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

enum cavage_seen {
	SEEN_KEYID = 1 << 0,
	SEEN_ALG = 1 << 1,
	SEEN_HEADERS = 1 << 2,
	SEEN_SIG = 1 << 3,
	SEEN_CREATED = 1 << 4,
	SEEN_EXPIRES = 1 << 5,
};

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
		rc = add_component(o, item, true, ei);
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
	} known[] = {{"keyid", SEEN_KEYID},   {"algorithm", SEEN_ALG},   {"headers", SEEN_HEADERS},
	             {"signature", SEEN_SIG}, {"created", SEEN_CREATED}, {"expires", SEEN_EXPIRES}};
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
	case SEEN_KEYID:
		if (!v.n)
			return SE_RAISEF(ei, SE_PARSE, "signature: empty keyId");
		return copy_field(o->key_id, sizeof(o->key_id), v, "keyId", ei);
	case SEEN_ALG:
		if (v.n >= sizeof(o->alg))
			return SE_RAISEF(ei, SE_INVAL, "signature: unsupported algorithm");
		for (size_t i = 0; i < v.n; i++)
			o->alg[i] = lower(v.p[i]);
		o->alg[v.n] = '\0';
		if (strcmp(o->alg, "rsa-sha256") && strcmp(o->alg, "hs2019") &&
		    strcmp(o->alg, "ed25519"))
			return SE_RAISEF(ei, SE_INVAL, "signature: unsupported algorithm '%s'",
			                 o->alg);
		return SE_OK;
	case SEEN_HEADERS:
		return cavage_headers(o, v, ei);
	case SEEN_SIG:
		return decode_sig(v, o, ei);
	case SEEN_CREATED:
		if (!parse_time(v, &o->created))
			return SE_RAISEF(ei, SE_PARSE, "signature: bad created");
		return SE_OK;
	default:
		if (!parse_time(v, &o->expires))
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
	parsed_init(o, HSIG_CAVAGE);
	skip_ows(&p, end);
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
		skip_ows(&p, end);
		if (p >= end)
			break;
		if (*p != ',') {
			rc = SE_RAISEF(ei, SE_PARSE, "signature: expected ',' between parameters");
			goto out;
		}
		p++;
		skip_ows(&p, end);
		if (p >= end) {
			rc = SE_RAISEF(ei, SE_PARSE, "signature: trailing ','");
			goto out;
		}
	}
	if (!(seen & SEEN_KEYID)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature: no keyId");
		goto out;
	}
	if (!(seen & SEEN_SIG)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature: no signature parameter");
		goto out;
	}
	/* draft-cavage-12 2.1.6 says "(created)"; every deployed peer (Mastodon
	 * signed_request.rb, the joyent library) defaults to "date" */
	if (!(seen & SEEN_HEADERS)) {
		rc = add_component(o, STR_LIT("date"), true, ei);
		if (rc)
			goto out;
	}
	memcpy(out, o, sizeof(*o));
out:
	buf_release(&vbuf);
	mem_free(o);
	return rc;
}

/* ---- RFC 8941 structured fields ---- */

/* sf-key: ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static bool sf_key(const char **pp, const char *end, struct str *key)
{
	const char *p = *pp;

	if (p >= end || !(is_lc(*p) || *p == '*'))
		return false;
	while (p < end &&
	       (is_lc(*p) || is_digit(*p) || *p == '_' || *p == '-' || *p == '.' || *p == '*'))
		p++;
	*key = (struct str){*pp, (size_t)(p - *pp)};
	*pp = p;
	return true;
}

enum sf_kind {
	SF_INT,
	SF_DEC,
	SF_STR,
	SF_TOKEN,
	SF_BYTES,
	SF_BOOL,
};

struct sf_item {
	enum sf_kind kind;
	struct str raw;  /* whole text of the item */
	struct str text; /* string contents (escapes kept), token, bytes base64, digits */
	int64_t num;
};

static bool sf_bare_item(const char **pp, const char *end, struct sf_item *it)
{
	const char *p = *pp, *s;

	if (p >= end)
		return false;
	if (*p == '"') {
		s = ++p;
		for (;;) {
			if (p >= end)
				return false;
			if (*p == '\\') {
				if (p + 1 >= end || (p[1] != '"' && p[1] != '\\'))
					return false;
				p += 2;
				continue;
			}
			if (*p == '"')
				break;
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				return false;
			p++;
		}
		it->kind = SF_STR;
		it->text = (struct str){s, (size_t)(p - s)};
		p++;
	} else if (*p == ':') {
		s = ++p;
		while (p < end && *p != ':') {
			if (!((*p >= 'A' && *p <= 'Z') || is_lc(*p) || is_digit(*p) || *p == '+' ||
			      *p == '/' || *p == '='))
				return false;
			p++;
		}
		if (p >= end)
			return false;
		it->kind = SF_BYTES;
		it->text = (struct str){s, (size_t)(p - s)};
		p++;
	} else if (*p == '?') {
		if (p + 1 >= end || (p[1] != '0' && p[1] != '1'))
			return false;
		it->kind = SF_BOOL;
		it->num = p[1] == '1';
		p += 2;
	} else if (*p == '-' || is_digit(*p)) {
		bool neg = *p == '-', dot = false;
		size_t digits = 0, frac = 0;
		int64_t v = 0;

		s = p;
		if (neg)
			p++;
		if (p >= end || !is_digit(*p))
			return false;
		while (p < end && (is_digit(*p) || (*p == '.' && !dot))) {
			if (*p == '.') {
				dot = true;
				if (digits > 12)
					return false;
			} else if (dot) {
				frac++;
			} else {
				digits++;
				v = v * 10 + (*p - '0');
			}
			if (digits > 15 || frac > 3)
				return false;
			p++;
		}
		if (dot && frac == 0)
			return false;
		it->kind = dot ? SF_DEC : SF_INT;
		it->num = neg ? -v : v;
		it->text = (struct str){s, (size_t)(p - s)};
	} else if ((*p >= 'A' && *p <= 'Z') || is_lc(*p) || *p == '*') {
		s = p;
		while (p < end && (is_tchar(*p) || *p == ':' || *p == '/'))
			p++;
		it->kind = SF_TOKEN;
		it->text = (struct str){s, (size_t)(p - s)};
	} else {
		return false;
	}
	it->raw = (struct str){*pp, (size_t)(p - *pp)};
	*pp = p;
	return true;
}

/* What the caller wants from the parameters of one member. */
struct sf_param_sink {
	struct hsig_parsed *o; /* NULL: only validate */
	unsigned seen;
	enum err rc; /* first semantic error */
	struct err_info *ei;
};

static void sig_param(struct sf_param_sink *k, struct str key, const struct sf_item *v)
{
	struct hsig_parsed *o = k->o;
	unsigned bit = 0;

	if (k->rc)
		return;
	if (str_eq_cstr(key, "created"))
		bit = SEEN_CREATED;
	else if (str_eq_cstr(key, "expires"))
		bit = SEEN_EXPIRES;
	else if (str_eq_cstr(key, "keyid"))
		bit = SEEN_KEYID;
	else if (str_eq_cstr(key, "alg"))
		bit = SEEN_ALG;
	if (!bit)
		return; /* nonce, tag, unknown: not ours to check */
	if (k->seen & bit) {
		k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: duplicate parameter '%.*s'",
		                  (int)key.n, key.p);
		return;
	}
	k->seen |= bit;
	if (bit == SEEN_CREATED || bit == SEEN_EXPIRES) {
		if (v->kind != SF_INT || v->num < 0) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: bad %.*s", (int)key.n,
			                  key.p);
			return;
		}
		if (bit == SEEN_CREATED)
			o->created = v->num;
		else
			o->expires = v->num;
		return;
	}
	if (v->kind != SF_STR) {
		k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: %.*s is not a string",
		                  (int)key.n, key.p);
		return;
	}
	if (bit == SEEN_KEYID) {
		/* keyid values never need escapes in practice; keep them literal */
		if (memchr(v->text.p, '\\', v->text.n)) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: escaped keyid");
			return;
		}
		if (!v->text.n) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: empty keyid");
			return;
		}
		k->rc = copy_field(o->key_id, sizeof(o->key_id), v->text, "keyid", k->ei);
		return;
	}
	if (v->text.n >= sizeof(o->alg) ||
	    (!str_eq_cstr(v->text, "rsa-v1_5-sha256") && !str_eq_cstr(v->text, "ed25519"))) {
		k->rc = SE_RAISEF(k->ei, SE_INVAL, "signature-input: unsupported alg \"%.*s\"",
		                  (int)(v->text.n > 40 ? 40 : v->text.n), v->text.p);
		return;
	}
	memcpy(o->alg, v->text.p, v->text.n);
	o->alg[v->text.n] = '\0';
}

/* *( ";" OWS key [ "=" bare-item ] ); hands them to `k` when it has a target. */
static bool sf_params(const char **pp, const char *end, struct sf_param_sink *k)
{
	const char *p = *pp;

	while (p < end && *p == ';') {
		struct sf_item v = {.kind = SF_BOOL, .num = 1};
		struct str key;

		p++;
		while (p < end && *p == ' ')
			p++;
		if (!sf_key(&p, end, &key))
			return false;
		if (p < end && *p == '=') {
			p++;
			if (!sf_bare_item(&p, end, &v))
				return false;
		}
		if (k && k->o)
			sig_param(k, key, &v);
	}
	*pp = p;
	return true;
}

/* An inner list "(" *SP [ item *( 1*SP item ) *SP ] ")" parameters. With a
 * sink, its items become components (strings without parameters only). */
static bool sf_inner_list(const char **pp, const char *end, struct sf_param_sink *k)
{
	const char *p = *pp;

	if (p >= end || *p != '(')
		return false;
	p++;
	for (;;) {
		struct sf_item it;
		const char *ps;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return false;
		if (*p == ')') {
			p++;
			break;
		}
		if (!sf_bare_item(&p, end, &it))
			return false;
		ps = p;
		if (!sf_params(&p, end, NULL))
			return false;
		if (k && k->o && !k->rc) {
			if (it.kind != SF_STR)
				k->rc = SE_RAISEF(k->ei, SE_PARSE,
				                  "signature-input: component is not a string");
			else if (p != ps)
				k->rc =
				    SE_RAISEF(k->ei, SE_INVAL,
				              "signature-input: component parameters unsupported");
			else if (memchr(it.text.p, '\\', it.text.n))
				k->rc = SE_RAISEF(k->ei, SE_PARSE,
				                  "signature-input: escaped component name");
			else
				for (size_t i = 0; i < it.text.n && !k->rc; i++)
					if (it.text.p[i] >= 'A' && it.text.p[i] <= 'Z')
						k->rc = SE_RAISEF(
						    k->ei, SE_PARSE,
						    "signature-input: upper-case component");
			if (!k->rc)
				k->rc = add_component(k->o, it.text, false, k->ei);
		}
		if (p < end && *p != ' ' && *p != ')')
			return false;
	}
	if (!sf_params(&p, end, k))
		return false;
	*pp = p;
	return true;
}

/* One dictionary member value: an item or an inner list, with parameters. */
static bool sf_member(const char **pp, const char *end, struct sf_param_sink *k, struct sf_item *it)
{
	if (*pp < end && **pp == '(') {
		it->kind = SF_TOKEN;
		it->raw = STR_NULL;
		return sf_inner_list(pp, end, k);
	}
	if (!sf_bare_item(pp, end, it))
		return false;
	return sf_params(pp, end, NULL);
}

/*
 * Walks a dictionary; for the member named `want` (or, with want empty, each
 * member in turn until `pick` accepts one) records its value span. Returns
 * false on a syntax error anywhere in the field.
 */
struct sf_found {
	struct str key;
	struct str span; /* member value with parameters */
	struct sf_item item;
	bool found;
};

static bool sf_dict_find(struct str field, struct str want, struct sf_found *f)
{
	const char *p = field.p, *end = field.p + field.n;

	memset(f, 0, sizeof(*f));
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return false;
	while (p < end) {
		struct sf_item it = {.kind = SF_BOOL, .num = 1};
		struct str key;
		const char *vs;

		if (!sf_key(&p, end, &key))
			return false;
		vs = p;
		if (p < end && *p == '=') {
			p++;
			vs = p;
			if (!sf_member(&p, end, NULL, &it))
				return false;
		} else if (!sf_params(&p, end, NULL)) {
			return false;
		}
		/* RFC 8941 4.2.2: a later duplicate overrides; we refuse ambiguity */
		if (str_eq(key, want)) {
			if (f->found)
				return false;
			f->found = true;
			f->key = key;
			f->span = (struct str){vs, (size_t)(p - vs)};
			f->item = it;
		}
		skip_ows(&p, end);
		if (p >= end)
			break;
		if (*p != ',')
			return false;
		p++;
		skip_ows(&p, end);
		if (p >= end)
			return false;
	}
	return true;
}

/* The first key of a dictionary, for label selection. */
static bool sf_dict_first_key_with(struct str input, struct str sig, struct str *label)
{
	const char *p = input.p, *end = input.p + input.n;

	while (p < end) {
		struct sf_item it;
		struct str key;
		struct sf_found f;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		bool list;

		if (!sf_key(&p, end, &key))
			return false;
		list = p + 1 < end && p[0] == '=' && p[1] == '(';
		if (p < end && *p == '=') {
			p++;
			if (!sf_member(&p, end, NULL, &it))
				return false;
		}
		if (list && sf_dict_find(sig, key, &f) && f.found && f.item.kind == SF_BYTES) {
			*label = key;
			return true;
		}
	}
	return false;
}

enum err hsig_parse_rfc9421(struct str sig_input, struct str sig, struct str label,
                            struct hsig_parsed *out, struct err_info *ei)
{
	struct hsig_parsed *o;
	struct sf_found fi, fs;
	struct sf_param_sink k;
	const char *p;
	enum err rc = SE_OK;

	if (sig_input.n > HSIG_HEADER_MAX || sig.n > HSIG_HEADER_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature: header over %d bytes",
		                 HSIG_HEADER_MAX);
	if (!label.n) {
		if (!sf_dict_find(sig_input, STR_LIT("sig1"), &fi))
			return SE_RAISEF(ei, SE_PARSE, "signature-input: not a dictionary");
		if (fi.found)
			label = STR_LIT("sig1");
		else if (!sf_dict_first_key_with(sig_input, sig, &label))
			return SE_RAISEF(ei, SE_PARSE,
			                 "signature: no label present in both Signature-Input and "
			                 "Signature");
	}
	if (!sf_dict_find(sig_input, label, &fi))
		return SE_RAISEF(ei, SE_PARSE, "signature-input: not a dictionary");
	if (!fi.found)
		return SE_RAISEF(ei, SE_PARSE, "signature-input: no label '%.*s'",
		                 (int)(label.n > 32 ? 32 : label.n), label.p);
	if (!sf_dict_find(sig, label, &fs))
		return SE_RAISEF(ei, SE_PARSE, "signature: not a dictionary");
	if (!fs.found || fs.item.kind != SF_BYTES)
		return SE_RAISEF(ei, SE_PARSE, "signature: no byte sequence for label '%.*s'",
		                 (int)(label.n > 32 ? 32 : label.n), label.p);
	if (fi.span.n == 0 || fi.span.p[0] != '(')
		return SE_RAISEF(ei, SE_PARSE, "signature-input: member is not an inner list");
	if (fi.span.n >= HSIG_PARAMS_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "signature-input: over %d bytes",
		                 HSIG_PARAMS_MAX - 1);
	o = mem_try_alloc(sizeof(*o));
	if (!o)
		return SE_RAISE(ei, SE_NOMEM);
	parsed_init(o, HSIG_RFC9421);
	k = (struct sf_param_sink){o, 0, SE_OK, ei};
	p = fi.span.p;
	if (!sf_inner_list(&p, fi.span.p + fi.span.n, &k)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature-input: bad inner list");
		goto out;
	}
	if (k.rc) {
		rc = k.rc;
		goto out;
	}
	if (o->n_components == 0) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature-input: no covered components");
		goto out;
	}
	if (!(k.seen & SEEN_KEYID)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature-input: no keyid");
		goto out;
	}
	memcpy(o->params, fi.span.p, fi.span.n);
	o->params[fi.span.n] = '\0';
	o->params_len = fi.span.n;
	rc = copy_field(o->label, sizeof(o->label), label, "label", ei);
	if (rc)
		goto out;
	rc = decode_sig(fs.item.text, o, ei);
	if (rc)
		goto out;
	memcpy(out, o, sizeof(*o));
out:
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
