/*
 * federation/httpsig_sf.c: RFC 9421 section 4 Signature-Input / Signature
 * through the RFC 8941 structured fields they use (dictionaries of inner
 * lists with parameters, byte sequences). Strict: a syntax error anywhere
 * fails the field. Pure, like httpsig_parse.c.
 */
#include "federation/httpsig.h"
#include "federation/httpsig_int.h"

#include <string.h>

#include "core/mem.h"

/* ---- RFC 8941 structured fields ---- */

/* sf-key: ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static bool sf_key(const char **pp, const char *end, struct str *key)
{
	const char *p = *pp;

	if (p >= end || !(hsig_is_lc(*p) || *p == '*'))
		return false;
	while (p < end && (hsig_is_lc(*p) || hsig_is_digit(*p) || *p == '_' || *p == '-' ||
	                   *p == '.' || *p == '*'))
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
			if (!((*p >= 'A' && *p <= 'Z') || hsig_is_lc(*p) || hsig_is_digit(*p) ||
			      *p == '+' || *p == '/' || *p == '='))
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
	} else if (*p == '-' || hsig_is_digit(*p)) {
		bool neg = *p == '-', dot = false;
		size_t digits = 0, frac = 0;
		int64_t v = 0;

		s = p;
		if (neg)
			p++;
		if (p >= end || !hsig_is_digit(*p))
			return false;
		while (p < end && (hsig_is_digit(*p) || (*p == '.' && !dot))) {
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
	} else if ((*p >= 'A' && *p <= 'Z') || hsig_is_lc(*p) || *p == '*') {
		s = p;
		while (p < end && (hsig_is_tchar(*p) || *p == ':' || *p == '/'))
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
		bit = HSIG_SEEN_CREATED;
	else if (str_eq_cstr(key, "expires"))
		bit = HSIG_SEEN_EXPIRES;
	else if (str_eq_cstr(key, "keyid"))
		bit = HSIG_SEEN_KEYID;
	else if (str_eq_cstr(key, "alg"))
		bit = HSIG_SEEN_ALG;
	if (!bit)
		return; /* nonce, tag, unknown: not ours to check */
	if (k->seen & bit) {
		k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: duplicate parameter '%.*s'",
		                  (int)key.n, key.p);
		return;
	}
	k->seen |= bit;
	if (bit == HSIG_SEEN_CREATED || bit == HSIG_SEEN_EXPIRES) {
		if (v->kind != SF_INT || v->num < 0) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: bad %.*s", (int)key.n,
			                  key.p);
			return;
		}
		if (bit == HSIG_SEEN_CREATED)
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
	if (bit == HSIG_SEEN_KEYID) {
		/* keyid values never need escapes in practice; keep them literal */
		if (memchr(v->text.p, '\\', v->text.n)) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: escaped keyid");
			return;
		}
		if (!v->text.n) {
			k->rc = SE_RAISEF(k->ei, SE_PARSE, "signature-input: empty keyid");
			return;
		}
		k->rc = hsig_copy_field(o->key_id, sizeof(o->key_id), v->text, "keyid", k->ei);
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
				k->rc = hsig_add_component(k->o, it.text, false, k->ei);
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
		hsig_skip_ows(&p, end);
		if (p >= end)
			break;
		if (*p != ',')
			return false;
		p++;
		hsig_skip_ows(&p, end);
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
	hsig_parsed_init(o, HSIG_RFC9421);
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
	if (!(k.seen & HSIG_SEEN_KEYID)) {
		rc = SE_RAISEF(ei, SE_PARSE, "signature-input: no keyid");
		goto out;
	}
	memcpy(o->params, fi.span.p, fi.span.n);
	o->params[fi.span.n] = '\0';
	o->params_len = fi.span.n;
	rc = hsig_copy_field(o->label, sizeof(o->label), label, "label", ei);
	if (rc)
		goto out;
	rc = hsig_decode_sig(fs.item.text, o, ei);
	if (rc)
		goto out;
	memcpy(out, o, sizeof(*o));
out:
	mem_free(o);
	return rc;
}
