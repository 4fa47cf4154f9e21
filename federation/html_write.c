/*
 * federation/html_write.c: the Markdown writer of the HTML sanitiser: the
 * output limit and truncation, line prefixes for quotes and lists,
 * whitespace collapsing, escaping of remote text, the neutralising of
 * Revolt mentions and mass pings, and the UTF-8 clean-up of the input.
 */
#include "federation/html_int.h"

#include <stdio.h>
#include <string.h>

/* ---- output with the limit ---- */

void fhtml_emit_raw(struct fhtml_writer *w, const char *p, size_t n)
{
	size_t used, room, target;

	if (w->stopped || n == 0)
		return;
	used = w->out->len - w->start;
	if (w->limit == (size_t)-1 || used + n <= w->limit) {
		buf_append(w->out, p, n);
		return;
	}
	/* cut at a character boundary, keeping room for the ellipsis */
	target = w->limit > 3 ? w->limit - 3 : 0;
	if (used > target) {
		size_t len = w->start + target;

		while (len > w->start && ((unsigned char)w->out->ptr[len] & 0xc0) == 0x80)
			len--;
		w->out->len = len;
		w->out->ptr[len] = '\0';
	} else {
		room = target - used < n ? target - used : n;
		while (room > 0 && room < n && ((unsigned char)p[room] & 0xc0) == 0x80)
			room--;
		buf_append(w->out, p, room);
	}
	if (w->limit >= 3)
		buf_puts(w->out, FHTML_ELLIPSIS);
	w->stopped = true;
	w->truncated = true;
}

static bool ends_with_nocase(const struct buf *b, size_t from, const char *tail)
{
	size_t k = strlen(tail);

	if (b->len - from < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = b->ptr[b->len - k + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != tail[i])
			return false;
	}
	return true;
}

/*
 * Everything but a mention callback's replacement goes out here. The
 * message parser (messages/mentions.c) must never see a mention or a mass
 * ping in remote text; a backslash is not enough (its escapes pair up
 * across text), so a FHTML_ZWSP goes between "<" and "@"/"%" and before the last
 * letter of "@everyone"/"@online", however the pieces arrived.
 */
void fhtml_emit(struct fhtml_writer *w, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !w->stopped; i++) {
		char c = p[i];
		const struct buf *o = w->out;
		char prev = o->len > w->start ? o->ptr[o->len - 1] : '\0';

		if (((c == '@' || c == '%') && prev == '<') ||
		    ((c | 0x20) == 'e' && (ends_with_nocase(o, w->start, "@everyon") ||
		                           ends_with_nocase(o, w->start, "@onlin"))))
			fhtml_emit_raw(w, FHTML_ZWSP, 3);
		fhtml_emit_raw(w, p + i, 1);
	}
}

void fhtml_emits(struct fhtml_writer *w, const char *s)
{
	fhtml_emit(w, s, strlen(s));
}

/* ---- lines and prefixes ---- */

void fhtml_put_prefix(struct fhtml_writer *w, bool blank)
{
	char tmp[16];
	/* a blank line belongs to the contexts open on both of its sides */
	unsigned n = blank && w->nl_ctx < w->n_ctx ? w->nl_ctx : w->n_ctx;

	for (unsigned i = 0; i < n; i++) {
		const struct fhtml_ctx *c = &w->ctx[i];
		bool innermost_list = c->kind == FHTML_CTX_LIST && i + 1 == w->n_ctx;

		if (c->kind == FHTML_CTX_QUOTE) {
			fhtml_emits(w, blank && i + 1 == n ? ">" : "> ");
		} else if (innermost_list && w->item_pending && !blank) {
			if (c->ordered) {
				int k = snprintf(tmp, sizeof(tmp), "%u. ", c->counter);

				fhtml_emit(w, tmp, (size_t)k);
			} else {
				fhtml_emits(w, "- ");
			}
		} else if (!blank) {
			for (unsigned s = 0; s < c->width; s++)
				fhtml_emit(w, " ", 1);
		}
	}
	if (!blank)
		w->item_pending = false;
}

void fhtml_break_line(struct fhtml_writer *w, unsigned n)
{
	if (w->nl == 0 || w->n_ctx < w->nl_ctx)
		w->nl_ctx = w->n_ctx;
	if (n > w->nl)
		w->nl = n;
}

/* Before content: pending line breaks, the prefix, a pending space, marks. */
void fhtml_begin(struct fhtml_writer *w)
{
	if (w->nl > 0 && w->out->len > w->start) {
		fhtml_emit(w, "\n", 1);
		if (w->nl > 1) {
			fhtml_put_prefix(w, true);
			fhtml_emit(w, "\n", 1);
		}
		w->line_start = true;
	}
	w->nl = 0;
	if (w->line_start || w->out->len == w->start) {
		fhtml_put_prefix(w, false);
		w->line_start = false;
		w->space = false;
		w->digits_only = true;
	}
	if (w->space) {
		fhtml_emit(w, " ", 1);
		w->space = false;
		w->digits_only = false;
	}
	if (w->n_marks > 0) {
		fhtml_emit(w, w->marks, w->n_marks);
		w->n_marks = 0;
		w->digits_only = false;
	}
}

/* ---- escaping ---- */

/* One text character at p[0] (rest of the run follows) as Markdown. */
static void put_char(struct fhtml_writer *w, const char *p, size_t n)
{
	char c = p[0];
	bool esc = false;

	switch (c) {
	case '\\':
	case '*':
	case '_':
	case '~':
	case '`':
	case '[':
	case ']':
	case '<':
	case '>':
	case '|':
	case '$':
	case '&':
		esc = true;
		break;
	case '!':
		esc = n > 1 && p[1] == '!';
		break;
	case ':':
		/* a complete ":shortcode:" only (not "host:port", "10:30") */
		for (size_t k = 1; k < n && k < 64; k++) {
			if (!fhtml_is_word(p[k])) {
				esc = k > 1 && p[k] == ':';
				break;
			}
		}
		break;
	case '#':
	case '-':
	case '+':
	case '=':
		/* block markers at a line start: "# ", "- ", "+ ", "---", "===" */
		if (w->line_start || w->out->len == w->start || w->nl > 0) {
			size_t k = 1;

			while (c == '#' && k < n && k < 7 && p[k] == '#')
				k++;
			esc = k == n || p[k] == ' ' || p[k] == '\t' || (c == '-' && p[k] == '-') ||
			      c == '=';
		}
		break;
	case '.':
	case ')':
		esc = w->digits_only && !w->line_start;
		break;
	default:
		break;
	}
	fhtml_begin(w);
	if (esc)
		fhtml_emit(w, "\\", 1);
	fhtml_emit(w, p, 1);
	if (!(c >= '0' && c <= '9'))
		w->digits_only = false;
}

/* Text of a text node: whitespace collapsed, characters escaped. */
void fhtml_put_text(struct fhtml_writer *w, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !w->stopped; i++) {
		char c = p[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (!w->line_start && w->out->len > w->start)
				w->space = true;
			continue;
		}
		put_char(w, p + i, n - i);
	}
}

/*
 * Literal text (code): backtick runs broken after two with a FHTML_ZWSP, so no
 * "```" closes our fence early (mentions are neutralised by fhtml_emit()).
 */
void fhtml_put_code_text(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '`' && i >= 2 && p[i - 1] == '`' && p[i - 2] == '`')
			buf_puts(b, FHTML_ZWSP);
		buf_append(b, p + i, 1);
	}
}

void fhtml_push_ctx(struct fhtml_writer *w, enum fhtml_ctx_kind k, bool ordered, unsigned start)
{
	if (w->n_ctx >= FHTML_NEST_MAX) {
		w->deep_ctx++;
		return;
	}
	w->ctx[w->n_ctx++] = (struct fhtml_ctx){k, ordered, start, 0};
}

void fhtml_pop_ctx(struct fhtml_writer *w)
{
	if (w->deep_ctx > 0)
		w->deep_ctx--;
	else if (w->n_ctx > 0)
		w->n_ctx--;
}

void fhtml_open_mark(struct fhtml_writer *w, unsigned *depth, const char *mark)
{
	size_t k = strlen(mark);

	if ((*depth)++ > 0 || w->n_marks + k > sizeof(w->marks))
		return;
	memcpy(w->marks + w->n_marks, mark, k);
	w->n_marks += k;
}

void fhtml_close_mark(struct fhtml_writer *w, unsigned *depth, const char *mark)
{
	size_t k = strlen(mark);

	if (*depth == 0 || --(*depth) > 0)
		return;
	if (w->n_marks >= k && memcmp(w->marks + w->n_marks - k, mark, k) == 0) {
		w->n_marks -= k; /* nothing inside: no markers at all */
		return;
	}
	if (w->line_start || w->nl > 0)
		return; /* the marks opened on an earlier line: leave them */
	fhtml_emit(w, mark, k);
}

/* ---- input clean-up ---- */

/* Length of a valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t k;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

void fhtml_clean_utf8(struct str s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, run = 0;

	while (i < s.n) {
		size_t k = p[i] == 0 ? 0 : utf8_len(p + i, s.n - i);

		if (k > 0) {
			i += k;
			continue;
		}
		buf_append(out, s.p + run, i - run);
		buf_puts(out, "\xef\xbf\xbd");
		i++;
		run = i;
	}
	buf_append(out, s.p + run, s.n - run);
}

void fhtml_escape_text(struct str s, struct buf *out)
{
	struct buf clean = BUF_INIT(s.n * 3 + 16);
	struct fhtml_writer w = {0};

	w.out = out;
	w.start = out->len;
	w.limit = (size_t)-1;
	w.line_start = true;
	fhtml_clean_utf8(s, &clean);
	if (buf_err(&clean) != SE_OK) {
		out->err = buf_err(&clean);
		buf_release(&clean);
		return;
	}
	fhtml_put_text(&w, clean.ptr ? clean.ptr : "", clean.len);
	buf_release(&clean);
}

enum err fhtml_markdown_safe(struct str md, size_t max_bytes, struct buf *out, bool *truncated,
                             struct err_info *ei)
{
	struct buf clean = BUF_INIT(FHTML_INPUT_MAX * 3 + 16);
	struct fhtml_writer w = {0};
	enum err rc = SE_OK;

	if (truncated)
		*truncated = false;
	if (md.n > FHTML_INPUT_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "markdown over %u bytes", FHTML_INPUT_MAX);
	fhtml_clean_utf8(md, &clean);
	if (buf_err(&clean) != SE_OK) {
		rc = SE_RAISE(ei, buf_err(&clean));
		goto out;
	}
	w.out = out;
	w.start = out->len;
	w.limit = max_bytes ? max_bytes : (size_t)-1;
	fhtml_emit(&w, clean.ptr ? clean.ptr : "", clean.len);
	if (buf_err(out) != SE_OK) {
		rc = SE_RAISEF(ei, buf_err(out), "markdown output over its maximum");
		goto out;
	}
	if (truncated)
		*truncated = w.truncated;
out:
	buf_release(&clean);
	return rc;
}
