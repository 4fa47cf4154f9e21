/*
 * files/multipart.c: streaming multipart/form-data (RFC 7578, RFC 2046
 * section 5.1). The body is scanned for "\r\n--boundary" with a match count
 * instead of a lookbehind buffer: '\r' occurs only at the start of the
 * delimiter, so a failed match restarts at 0 and the matched bytes are the
 * delimiter's own prefix. Only part headers are buffered.
 */
#include "files/multipart.h"

#include <string.h>

#include "core/buf.h"

enum {
	S_SCAN,    /* preamble (!in_part) or part data: looking for the delimiter */
	S_AFTER,   /* a whole delimiter matched; the next byte decides */
	S_DASH,    /* delimiter and one '-' */
	S_PAD,     /* transport padding after the delimiter */
	S_LF,      /* CR after the delimiter line */
	S_HEADERS, /* part headers, buffered in hdr */
	S_END,     /* after the close delimiter: epilogue, ignored */
	S_FAILED,
};

static const struct mp_callbacks no_callbacks = {NULL, NULL, NULL};

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 7230 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2045 tspecials: the characters a backslash escapes inside quotes */
static bool is_tspecial(unsigned char c)
{
	return c && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* RFC 2046 bchars */
static bool is_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("'()+_,-./:=? ", c) != NULL;
}

static bool valid_boundary(struct str b)
{
	if (b.n < 1 || b.n > MP_BOUNDARY_MAX || b.p[b.n - 1] == ' ')
		return false;
	for (size_t i = 0; i < b.n; i++)
		if (!is_bchar((unsigned char)b.p[i]))
			return false;
	return true;
}

/* The type of a header value (trimmed), leaving `; params...` in *rest. */
static struct str split_type(struct str v, struct str *rest)
{
	long i = str_index(v, ';');
	size_t k = i < 0 ? v.n : (size_t)i;

	*rest = (struct str){v.p + k, v.n - k};
	return str_trim((struct str){v.p, k});
}

static struct str skip_ows(struct str s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	return s;
}

/*
 * The next `; name=value` parameter of a header value. On SE_OK with
 * name->n == 0 there are no more. `val` is the raw value: inside the quotes
 * for a quoted-string (*quoted set), escapes not yet removed.
 */
static enum err next_param(struct str *rest, struct str *name, struct str *val, bool *quoted)
{
	struct str s = str_trim(*rest);
	size_t i = 0, j;

	*name = STR_NULL;
	if (!s.n)
		goto done;
	if (s.p[0] != ';')
		return SE_PARSE;
	s.p++;
	s.n--;
	s = skip_ows(s);
	if (!s.n)
		goto done;
	while (i < s.n && is_tchar((unsigned char)s.p[i]))
		i++;
	if (!i)
		return SE_PARSE;
	*name = (struct str){s.p, i};
	while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t'))
		i++;
	if (i == s.n || s.p[i] != '=')
		return SE_PARSE;
	i++;
	while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t'))
		i++;
	if (i < s.n && s.p[i] == '"') {
		for (j = i + 1;; j++) {
			unsigned char c;

			if (j >= s.n)
				return SE_PARSE;
			c = (unsigned char)s.p[j];
			if (c == '"')
				break;
			/*
			 * As Go's mime package: a backslash escapes only a
			 * tspecial, because MSIE sends Windows paths unescaped
			 * ("C:\dir\a.txt").
			 */
			if (c == '\\' && j + 1 < s.n && is_tspecial((unsigned char)s.p[j + 1]))
				j++;
			else if (is_ctl(c) && c != '\t')
				return SE_PARSE;
		}
		*val = (struct str){s.p + i + 1, j - i - 1};
		*quoted = true;
		i = j + 1;
	} else {
		for (j = i; j < s.n; j++) {
			unsigned char c = (unsigned char)s.p[j];

			if (c == ';' || c == ' ' || c == '"' || is_ctl(c))
				break;
		}
		if (j == i)
			return SE_PARSE;
		*val = (struct str){s.p + i, j - i};
		*quoted = false;
		i = j;
	}
	s.p += i;
	s.n -= i;
done:
	*rest = s;
	return SE_OK;
}

/*
 * Removes the escapes of a quoted value into dst (at most cap bytes; dst may
 * be val.p itself). Returns the length, or cap + 1 if it does not fit.
 */
static size_t unquote(struct str val, bool quoted, char *dst, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < val.n; i++) {
		char c = val.p[i];

		if (quoted && c == '\\' && i + 1 < val.n &&
		    is_tspecial((unsigned char)val.p[i + 1]))
			c = val.p[++i];
		if (n == cap)
			return cap + 1;
		dst[n++] = c;
	}
	return n;
}

enum err mp_boundary_from_content_type(struct str content_type, char out[MP_BOUNDARY_MAX + 1],
                                       size_t *len)
{
	struct str rest, name, val;
	struct str type = split_type(content_type, &rest);
	char b[MP_BOUNDARY_MAX];
	size_t n = 0;
	bool quoted, found = false;

	if (!str_eq_nocase(type, STR_LIT("multipart/form-data")))
		return SE_PARSE;
	for (;;) {
		if (next_param(&rest, &name, &val, &quoted))
			return SE_PARSE;
		if (!name.n)
			break;
		if (!str_eq_nocase(name, STR_LIT("boundary")))
			continue;
		if (found)
			return SE_PARSE;
		found = true;
		n = unquote(val, quoted, b, sizeof(b));
		if (n > sizeof(b) || !valid_boundary((struct str){b, n}))
			return SE_PARSE;
	}
	if (!found)
		return SE_PARSE;
	memcpy(out, b, n);
	out[n] = '\0';
	*len = n;
	return SE_OK;
}

/* Content-Disposition: form-data; name="..."; filename="..." (in place) */
static enum err parse_disposition(char *v, size_t vn, struct mp_part_headers *h)
{
	struct str rest, name, val;
	struct str type = split_type((struct str){v, vn}, &rest);
	bool quoted, have_name = false;

	if (!str_eq_nocase(type, STR_LIT("form-data")))
		return SE_PARSE;
	for (;;) {
		char *dst;
		struct str *slot;

		if (next_param(&rest, &name, &val, &quoted))
			return SE_PARSE;
		if (!name.n)
			return SE_OK;
		if (str_eq_nocase(name, STR_LIT("name"))) {
			if (have_name)
				return SE_PARSE;
			have_name = true;
			slot = &h->name;
		} else if (str_eq_nocase(name, STR_LIT("filename"))) {
			if (h->has_filename)
				return SE_PARSE;
			h->has_filename = true;
			slot = &h->filename;
		} else {
			/* filename* (RFC 5987) among them: RFC 7578 4.2 */
			continue;
		}
		/* decoding never lengthens, so it can overwrite the raw bytes */
		dst = v + (val.p - v);
		*slot = (struct str){dst, unquote(val, quoted, dst, val.n)};
	}
}

/* The header block: lines each ending in CRLF (checked while buffering). */
static enum err parse_headers(char *blk, size_t n, struct mp_part_headers *h)
{
	bool have_cd = false, have_ct = false;
	size_t i = 0;
	enum err rc;

	*h = (struct mp_part_headers){STR_NULL, STR_NULL, false, STR_NULL};
	while (i < n) {
		char *line = blk + i;
		const char *eol = memchr(line, '\r', n - i);
		size_t ll, nl = 0;
		struct str val;

		if (!eol)
			return SE_PARSE;
		ll = (size_t)(eol - line);
		i += ll + 2;
		while (nl < ll && is_tchar((unsigned char)line[nl]))
			nl++;
		/* also rejects obs-fold continuation lines */
		if (!nl || nl == ll || line[nl] != ':')
			return SE_PARSE;
		for (size_t k = nl + 1; k < ll; k++)
			if (is_ctl((unsigned char)line[k]) && line[k] != '\t')
				return SE_PARSE;
		val = str_trim((struct str){line + nl + 1, ll - nl - 1});
		if (str_eq_nocase((struct str){line, nl}, STR_LIT("content-disposition"))) {
			if (have_cd)
				return SE_PARSE;
			have_cd = true;
			rc = parse_disposition(line + (val.p - line), val.n, h);
			if (rc)
				return rc;
		} else if (str_eq_nocase((struct str){line, nl}, STR_LIT("content-type"))) {
			if (have_ct)
				return SE_PARSE;
			have_ct = true;
			h->content_type = val;
		}
	}
	return have_cd ? SE_OK : SE_PARSE;
}

void mp_init(struct mp_parser *p, struct str boundary, const struct mp_callbacks *cb, void *ctx)
{
	p->cb = cb ? cb : &no_callbacks;
	p->ctx = ctx;
	p->in_part = false;
	p->parts = 0;
	p->hdr_len = 0;
	p->dlen = 0;
	p->match = 0;
	if (!valid_boundary(boundary)) {
		p->state = S_FAILED;
		p->err = SE_PARSE;
		return;
	}
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary.p, boundary.n);
	p->dlen = 4 + boundary.n;
	p->state = S_SCAN;
	p->err = SE_OK;
	/*
	 * The first delimiter may open the body without a CRLF: start as if
	 * "\r\n" had been seen; a mismatch only discards preamble.
	 */
	p->match = 2;
}

static enum err emit(struct mp_parser *p, const void *d, size_t n)
{
	if (!n || !p->in_part || !p->cb->on_part_data)
		return SE_OK;
	return p->cb->on_part_data(p->ctx, d, n);
}

/* The delimiter ended the current part (if any). */
static enum err end_part(struct mp_parser *p)
{
	if (!p->in_part)
		return SE_OK;
	p->in_part = false;
	return p->cb->on_part_end ? p->cb->on_part_end(p->ctx) : SE_OK;
}

/* S_SCAN over d[0..n): emits data, stops after a whole delimiter. */
static enum err scan(struct mp_parser *p, const unsigned char *d, size_t n, size_t *used)
{
	/* a match carried in from an earlier chunk lives only in delim */
	bool carried = p->match > 0;
	size_t i = 0, start = 0, cand = 0;
	enum err rc;

	while (i < n) {
		if (!p->match) {
			const unsigned char *cr = memchr(d + i, '\r', n - i);

			if (!cr) {
				i = n;
				break;
			}
			i = (size_t)(cr - d);
			cand = i++;
			carried = false;
			p->match = 1;
			continue;
		}
		if (d[i] == (unsigned char)p->delim[p->match]) {
			i++;
			if (++p->match < p->dlen)
				continue;
			p->match = 0;
			p->state = S_AFTER;
			*used = i;
			return carried ? SE_OK : emit(p, d + start, cand - start);
		}
		/* not a delimiter: the matched bytes are data; recheck d[i] */
		if (carried) {
			rc = emit(p, p->delim, p->match);
			if (rc)
				return rc;
			start = i;
			carried = false;
		}
		p->match = 0;
	}
	*used = n;
	if (carried)
		return SE_OK;
	return emit(p, d + start, (p->match ? cand : n) - start);
}

/* S_HEADERS: buffer up to the blank line, checking CRLFs on the way. */
static enum err headers(struct mp_parser *p, const unsigned char *d, size_t n, size_t *used)
{
	struct mp_part_headers h;
	size_t i = 0;
	enum err rc;

	while (i < n) {
		unsigned char c = d[i++];
		bool after_cr = p->hdr_len && p->hdr[p->hdr_len - 1] == '\r';

		if (after_cr != (c == '\n'))
			return SE_PARSE;
		if (c == '\0')
			return SE_PARSE;
		if (p->hdr_len == sizeof(p->hdr))
			return SE_TOO_LARGE;
		p->hdr[p->hdr_len++] = (char)c;
		if (c != '\n')
			continue;
		if (p->hdr_len != 2 && (p->hdr_len < 4 || p->hdr[p->hdr_len - 4] != '\r' ||
		                        p->hdr[p->hdr_len - 3] != '\n'))
			continue;
		rc = parse_headers(p->hdr, p->hdr_len - 2, &h);
		if (!rc && p->cb->on_part_begin)
			rc = p->cb->on_part_begin(p->ctx, &h);
		if (rc)
			return rc;
		p->in_part = true;
		p->state = S_SCAN;
		break;
	}
	*used = i;
	return SE_OK;
}

/* One byte of the delimiter line (states S_AFTER, S_DASH, S_PAD, S_LF). */
static enum err line_byte(struct mp_parser *p, unsigned char c, bool *consumed)
{
	*consumed = true;
	switch (p->state) {
	case S_AFTER:
		if (c == '-') {
			p->state = S_DASH;
			return SE_OK;
		}
		/*
		 * As Go's mime/multipart: "--boundaryX" is data, not a
		 * delimiter for "boundary". A bare LF is an error, not data.
		 */
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			*consumed = false;
			p->state = S_SCAN;
			return emit(p, p->delim, p->dlen);
		}
		if (c == '\n')
			return SE_PARSE;
		p->state = c == '\r' ? S_LF : S_PAD;
		return end_part(p);
	case S_DASH:
		if (c != '-') {
			enum err rc = emit(p, p->delim, p->dlen);

			*consumed = false;
			p->state = S_SCAN;
			return rc ? rc : emit(p, "-", 1);
		}
		p->state = S_END;
		return end_part(p);
	case S_PAD:
		if (c == '\r')
			p->state = S_LF;
		else if (c != ' ' && c != '\t')
			return SE_PARSE;
		return SE_OK;
	case S_LF:
		if (c != '\n')
			return SE_PARSE;
		if (p->parts == LIM_MULTIPART_PARTS)
			return SE_TOO_LARGE;
		p->parts++;
		p->hdr_len = 0;
		p->state = S_HEADERS;
		return SE_OK;
	default:
		return SE_PARSE;
	}
}

static enum err fail(struct mp_parser *p, enum err e)
{
	p->err = e;
	p->state = S_FAILED;
	p->in_part = false;
	return e;
}

enum err mp_feed(struct mp_parser *p, const void *data, size_t len)
{
	const unsigned char *d = data;
	size_t i = 0, used = 0;
	bool consumed = false;
	enum err rc = SE_OK;

	if (p->state == S_FAILED)
		return p->err;
	while (i < len && p->state != S_END) {
		switch (p->state) {
		case S_SCAN:
			rc = scan(p, d + i, len - i, &used);
			i += used;
			break;
		case S_HEADERS:
			rc = headers(p, d + i, len - i, &used);
			i += used;
			break;
		default:
			rc = line_byte(p, d[i], &consumed);
			i += consumed;
			break;
		}
		if (rc)
			return fail(p, rc);
	}
	return SE_OK;
}

enum err mp_finish(struct mp_parser *p)
{
	if (p->state == S_FAILED)
		return p->err;
	if (p->state != S_END)
		return fail(p, SE_PARSE);
	return SE_OK;
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its value; 0 if invalid. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len;
	unsigned long c, min;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] < 0xf0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* C1 controls and the bidi controls that make "gpj.exe" display as "exe.jpg" */
static bool is_hidden_cp(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

enum err mp_safe_filename(struct str raw, struct buf *out)
{
	char name[LIM_UPLOAD_FILENAME];
	size_t n = 0, start = 0, i;
	bool dots = true;

	for (i = 0; i < raw.n; i++)
		if (raw.p[i] == '/' || raw.p[i] == '\\')
			start = i + 1;
	for (i = start; i < raw.n;) {
		const unsigned char *s = (const unsigned char *)raw.p + i;
		unsigned long cp = s[0];
		size_t len = 1;

		if (s[0] >= 0x80) {
			len = utf8_char(s, raw.n - i, &cp);
			if (!len) {
				/* an invalid byte shows as '_' */
				s = (const unsigned char *)"_";
				cp = '_';
				len = 1;
				i++;
			} else {
				i += len;
			}
		} else {
			i++;
		}
		if ((cp < 0x80 && is_ctl((unsigned char)cp)) || is_hidden_cp(cp))
			continue;
		if (cp == ' ' && !n)
			continue;
		if (n + len > sizeof(name))
			break;
		memcpy(name + n, s, len);
		n += len;
	}
	while (n && name[n - 1] == ' ')
		n--;
	for (i = 0; i < n; i++)
		if (name[i] != '.')
			dots = false;
	if (dots)
		buf_puts(out, MP_DEFAULT_FILENAME);
	else
		buf_append(out, name, n);
	return buf_err(out);
}
