/*
 * federation/html.c: remote HTML -> Revolt Markdown (the sanitiser).
 *
 * The input is first made valid UTF-8 without NULs (U+FFFD for anything
 * else), so libxml2 never falls back to another encoding. libxml2's HTML
 * parser (recover mode, no network, HTML has no DTD entity expansion) gives
 * a tree; we walk it with parent/next pointers (no recursion) and write
 * Markdown through one writer that owns line prefixes (quotes, list
 * indentation), whitespace collapsing, escaping and the output limit.
 * Elements not in the allowlist give only their text; dropped elements
 * (scripts, media, forms, ...) give nothing.
 */
#include "federation/html.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define ELLIPSIS "\xe2\x80\xa6"
#define ZWSP "\xe2\x80\x8b"
#define LINK_TEXT_MAX 4096 /* bytes of a link's or code span's text we keep */
#define HREF_MAX 2048

enum ctx_kind { CTX_QUOTE, CTX_LIST };

struct ctx {
	enum ctx_kind kind;
	bool ordered;
	unsigned counter; /* next item number */
	unsigned width;   /* marker width of the current item ("- " = 2) */
};

struct writer {
	const struct fhtml_opts *o;
	struct buf *out;
	size_t start; /* out->len when we began */
	size_t limit; /* max bytes we may add (SIZE_MAX: none) */
	bool stopped; /* limit reached: write nothing more */
	bool truncated;
	struct ctx ctx[FHTML_NEST_MAX];
	unsigned n_ctx;    /* entries in ctx */
	unsigned deep_ctx; /* quotes/lists past FHTML_NEST_MAX (flattened) */
	unsigned nl;       /* pending line breaks: 0, 1 (newline) or 2 (blank line) */
	bool line_start;   /* nothing but the prefix written on this line */
	bool space;        /* a collapsed space is pending */
	bool item_pending; /* the innermost list's marker goes before the next text */
	bool digits_only;  /* the line so far is digits (an ordered-list lookalike) */
	char marks[32];    /* emphasis opened but not yet written (no text yet) */
	size_t n_marks;
	unsigned strong, em, del, pre, links;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* ---- output with the limit ---- */

static void emit_raw(struct writer *w, const char *p, size_t n)
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
		buf_puts(w->out, ELLIPSIS);
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
 * across text), so a ZWSP goes between "<" and "@"/"%" and before the last
 * letter of "@everyone"/"@online", however the pieces arrived.
 */
static void emit(struct writer *w, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !w->stopped; i++) {
		char c = p[i];
		const struct buf *o = w->out;
		char prev = o->len > w->start ? o->ptr[o->len - 1] : '\0';

		if (((c == '@' || c == '%') && prev == '<') ||
		    ((c | 0x20) == 'e' && (ends_with_nocase(o, w->start, "@everyon") ||
		                           ends_with_nocase(o, w->start, "@onlin"))))
			emit_raw(w, ZWSP, 3);
		emit_raw(w, p + i, 1);
	}
}

static void emits(struct writer *w, const char *s)
{
	emit(w, s, strlen(s));
}

/* ---- lines and prefixes ---- */

static void put_prefix(struct writer *w, bool blank)
{
	char tmp[16];

	for (unsigned i = 0; i < w->n_ctx; i++) {
		const struct ctx *c = &w->ctx[i];
		bool innermost_list = c->kind == CTX_LIST && i + 1 == w->n_ctx;

		if (c->kind == CTX_QUOTE) {
			emits(w, blank && i + 1 == w->n_ctx ? ">" : "> ");
		} else if (innermost_list && w->item_pending && !blank) {
			if (c->ordered) {
				int k = snprintf(tmp, sizeof(tmp), "%u. ", c->counter);

				emit(w, tmp, (size_t)k);
			} else {
				emits(w, "- ");
			}
		} else if (!blank) {
			for (unsigned s = 0; s < c->width; s++)
				emit(w, " ", 1);
		}
	}
	if (!blank)
		w->item_pending = false;
}

static void break_line(struct writer *w, unsigned n)
{
	if (n > w->nl)
		w->nl = n;
}

/* Before content: pending line breaks, the prefix, a pending space, marks. */
static void begin(struct writer *w)
{
	if (w->nl > 0 && w->out->len > w->start) {
		emit(w, "\n", 1);
		if (w->nl > 1) {
			put_prefix(w, true);
			emit(w, "\n", 1);
		}
		w->line_start = true;
	}
	w->nl = 0;
	if (w->line_start || w->out->len == w->start) {
		put_prefix(w, false);
		w->line_start = false;
		w->space = false;
		w->digits_only = true;
	}
	if (w->space) {
		emit(w, " ", 1);
		w->space = false;
		w->digits_only = false;
	}
	if (w->n_marks > 0) {
		emit(w, w->marks, w->n_marks);
		w->n_marks = 0;
		w->digits_only = false;
	}
}

/* ---- escaping ---- */

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* One text character at p[0] (rest of the run follows) as Markdown. */
static void put_char(struct writer *w, const char *p, size_t n)
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
			if (!is_word(p[k])) {
				esc = k > 1 && p[k] == ':';
				break;
			}
		}
		break;
	case '#':
	case '-':
	case '+':
	case '=':
		esc = w->line_start || w->out->len == w->start || w->nl > 0;
		break;
	case '.':
	case ')':
		esc = w->digits_only && !w->line_start;
		break;
	default:
		break;
	}
	begin(w);
	if (esc)
		emit(w, "\\", 1);
	emit(w, p, 1);
	if (!(c >= '0' && c <= '9'))
		w->digits_only = false;
}

/* Text of a text node: whitespace collapsed, characters escaped. */
static void put_text(struct writer *w, const char *p, size_t n)
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
 * Literal text (code): backtick runs broken after two with a ZWSP, so no
 * "```" closes our fence early (mentions are neutralised by emit()).
 */
static void put_code_text(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '`' && i >= 2 && p[i - 1] == '`' && p[i - 2] == '`')
			buf_puts(b, ZWSP);
		buf_append(b, p + i, 1);
	}
}

/* ---- element classes ---- */

static bool name_in(const xmlChar *name, const char *const *list)
{
	for (; *list; list++)
		if (xmlStrcasecmp(name, (const xmlChar *)*list) == 0)
			return true;
	return false;
}

/* Dropped with everything inside. */
static bool is_dropped(const xmlChar *name)
{
	static const char *const dropped[] = {
	    "script",   "style",    "iframe",   "object", "svg",    "math",
	    "template", "noscript", "head",     "title",  "form",   "button",
	    "select",   "textarea", "audio",    "video",  "canvas", "picture",
	    "applet",   "frame",    "frameset", "map",    "dialog", "noembed",
	    "noframes", "portal",   "slot",     "option", NULL,
	};

	return name_in(name, dropped);
}

/*
 * Void elements: nothing of their own is kept, but libxml2 2.9 nests the
 * following siblings inside some of them (embed), so their children are
 * walked as if they were siblings.
 */
static bool is_void(const xmlChar *name)
{
	static const char *const voids[] = {
	    "img",  "embed", "source", "track", "param", "area",   "base",
	    "link", "meta",  "input",  "wbr",   "col",   "keygen", NULL,
	};

	return name_in(name, voids);
}

static bool is_block(const xmlChar *name)
{
	static const char *const blocks[] = {
	    "div",     "section", "article",    "header", "footer",  "aside",   "nav",
	    "main",    "figure",  "figcaption", "table",  "thead",   "tbody",   "tfoot",
	    "tr",      "dl",      "dt",         "dd",     "address", "details", "summary",
	    "caption", "center",  "hr",         NULL,
	};

	return name_in(name, blocks);
}

static bool is_heading(const xmlChar *name)
{
	return name[0] && (name[0] | 0x20) == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2];
}

static bool is_name(const xmlChar *name, const char *want)
{
	return xmlStrcasecmp(name, (const xmlChar *)want) == 0;
}

/* The class attribute has `token` as one of its space-separated words. */
static bool has_class(xmlNode *n, const char *token)
{
	xmlChar *cls = xmlGetProp(n, (const xmlChar *)"class");
	bool found = false;
	size_t k = strlen(token);

	if (!cls)
		return false;
	for (const char *p = (const char *)cls; *p && !found;) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		len = strcspn(p, " \t\n");
		found = len == k && strncasecmp(p, token, k) == 0;
		p += len;
	}
	xmlFree(cls);
	return found;
}

static bool href_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > HREF_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] < 0x20 || h[i] == 0x7f)
			return false;
	if (strncasecmp(h, "https://", 8) == 0)
		return n > 8;
	return strncasecmp(h, "http://", 7) == 0 && n > 7;
}

/* ---- subtree text, iteratively (links, code, mentions) ---- */

static void subtree_text(xmlNode *root, struct buf *b)
{
	xmlNode *n = root->children;
	unsigned depth = 1;

	while (n && buf_err(b) == SE_OK) {
		bool descend = false;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				buf_puts(b, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE) {
			if (is_name(n->name, "br"))
				buf_putc(b, '\n');
			else if (!is_dropped(n->name) && depth < FHTML_DEPTH_MAX)
				descend = n->children != NULL;
		}
		if (descend) {
			n = n->children;
			depth++;
			continue;
		}
		while (!n->next) {
			n = n->parent;
			if (--depth == 0 || !n)
				return;
		}
		n = n->next;
	}
}

/* Whitespace collapsed, trimmed copy of a subtree's text into `b`. */
static void subtree_text_flat(xmlNode *root, struct buf *b)
{
	struct buf raw = BUF_INIT(LINK_TEXT_MAX);
	struct str s;
	bool space = false;

	subtree_text(root, &raw);
	s = buf_str(&raw);
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			space = b->len > 0;
			continue;
		}
		if (space)
			buf_putc(b, ' ');
		space = false;
		buf_putc(b, c);
	}
	buf_release(&raw);
}

/* ---- elements that are written whole ---- */

/*
 * Inline code. Revolt's mention parser (messages/mentions.c) pairs code
 * markers by their length and treats "```" as a fence to the end of the
 * line, so a span whose text holds a backtick is written as plain escaped
 * text instead: markers we write always pair up.
 */
static void put_code_span(struct writer *w, xmlNode *n)
{
	struct buf t = BUF_INIT(LINK_TEXT_MAX);
	struct buf c = BUF_INIT(LINK_TEXT_MAX * 3);
	struct str s;

	subtree_text_flat(n, &t);
	s = buf_str(&t);
	if (s.n == 0)
		goto out;
	if (memchr(s.p, '`', s.n)) {
		put_text(w, s.p, s.n);
		goto out;
	}
	begin(w);
	if (w->out->len > w->start && w->out->ptr[w->out->len - 1] == '`')
		emit(w, " ", 1);
	emit(w, "`", 1);
	put_code_text(&c, s.p, s.n);
	emit(w, c.ptr ? c.ptr : "", c.len);
	emit(w, "`", 1);
	w->digits_only = false;
out:
	buf_release(&t);
	buf_release(&c);
}

static void put_pre(struct writer *w, xmlNode *n)
{
	struct buf t = BUF_INIT(FHTML_INPUT_MAX);
	struct buf c = BUF_INIT(FHTML_INPUT_MAX * 3);
	size_t len;
	struct str s;

	subtree_text(n, &t);
	s = buf_str(&t);
	len = s.n;
	while (len > 0 && (s.p[len - 1] == '\n' || s.p[len - 1] == '\r'))
		len--;
	put_code_text(&c, s.p, len);
	break_line(w, 2);
	w->space = false;
	w->n_marks = 0;
	begin(w);
	emit(w, "```", 3);
	s = buf_str(&c);
	for (size_t i = 0; i < s.n; i++) {
		if (i == 0 || s.p[i - 1] == '\n') {
			emit(w, "\n", 1);
			put_prefix(w, false);
		}
		if (s.p[i] != '\n' && s.p[i] != '\r')
			emit(w, s.p + i, 1);
	}
	emit(w, "\n", 1);
	put_prefix(w, false);
	emit(w, "```", 3);
	break_line(w, 2);
	buf_release(&t);
	buf_release(&c);
}

/* host[:port] of an http(s) URL into b. */
static void url_host(const char *href, struct buf *b)
{
	const char *p = strstr(href, "://");
	size_t n;

	if (!p)
		return;
	p += 3;
	n = strcspn(p, "/?#@");
	if (p[n] == '@') {
		/* userinfo: skip it */
		p += n + 1;
		n = strcspn(p, "/?#");
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		buf_putc(b, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
}

static void put_mention(struct writer *w, xmlNode *n, const char *href)
{
	struct buf t = BUF_INIT(LINK_TEXT_MAX);
	struct buf h = BUF_INIT(LINK_TEXT_MAX + 300);
	struct buf r = BUF_INIT(1024);
	struct str s;

	subtree_text_flat(n, &t);
	s = buf_str(&t);
	while (s.n > 0 && s.p[0] == '@') {
		s.p++;
		s.n--;
	}
	if (s.n == 0 || memchr(s.p, ' ', s.n)) {
		/* not a handle after all: its text */
		put_text(w, buf_cstr(&t), t.len);
		goto out;
	}
	buf_putc(&h, '@');
	buf_append(&h, s.p, s.n);
	if (!memchr(s.p, '@', s.n)) {
		buf_putc(&h, '@');
		url_host(href, &h);
	}
	if (buf_err(&h) != SE_OK)
		goto out;
	if (w->o && w->o->mention && w->o->mention(w->o->ctx, href, buf_cstr(&h) + 1, &r) &&
	    buf_err(&r) == SE_OK && r.len > 0) {
		begin(w);
		emit_raw(w, r.ptr, r.len);
		w->digits_only = false;
		goto out;
	}
	put_text(w, buf_cstr(&h), h.len);
out:
	buf_release(&t);
	buf_release(&h);
	buf_release(&r);
}

static void put_href(struct writer *w, const char *h)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const char *p = h; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '(' || c == ')' || c == '<' || c == '>' || c == ' ' || c == '\\' ||
		    c == '[' || c == ']' || c == '`' || c == '"') {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

			emit(w, enc, 3);
		} else {
			emit(w, p, 1);
		}
	}
}

/* True when the link text is just the URL (Mastodon splits it in spans). */
static bool text_is_url(struct str t, const char *href)
{
	const char *h = href;
	size_t n = strlen(h);

	if (t.n == n && memcmp(t.p, h, n) == 0)
		return true;
	h = strstr(href, "://");
	if (!h)
		return false;
	h += 3;
	n = strlen(h);
	while (t.n > 0 && t.p[t.n - 1] == ELLIPSIS[2] && t.n >= 3 &&
	       memcmp(t.p + t.n - 3, ELLIPSIS, 3) == 0)
		t.n -= 3;
	return t.n > 0 && t.n <= n && memcmp(t.p, h, t.n) == 0;
}

static void put_link(struct writer *w, xmlNode *n, const char *href)
{
	struct buf t = BUF_INIT(LINK_TEXT_MAX);
	struct str s;

	subtree_text_flat(n, &t);
	s = buf_str(&t);
	begin(w);
	w->digits_only = false;
	if (s.n == 0 || text_is_url(s, href)) {
		emit(w, "<", 1);
		put_href(w, href);
		emit(w, ">", 1);
	} else {
		emit(w, "[", 1);
		put_text(w, s.p, s.n);
		emit(w, "](", 2);
		put_href(w, href);
		emit(w, ")", 1);
	}
	buf_release(&t);
}

/* <a>: true if written whole (the walk skips its children). */
static bool on_anchor(struct writer *w, xmlNode *n)
{
	xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
	bool whole = true;

	if (href && href_ok((const char *)href) && has_class(n, "mention") &&
	    !has_class(n, "hashtag"))
		put_mention(w, n, (const char *)href);
	else if (href && href_ok((const char *)href) && !has_class(n, "hashtag") && w->links == 0)
		put_link(w, n, (const char *)href);
	else
		whole = false; /* its text, through the walk */
	if (href)
		xmlFree(href);
	return whole;
}

static void put_img_alt(struct writer *w, xmlNode *n)
{
	xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
	size_t len = alt ? strlen((const char *)alt) : 0;

	/* custom emoji (Akkoma, Misskey): keep ":name:", drop everything else */
	if (len > 2 && len < 64 && alt[0] == ':' && alt[len - 1] == ':') {
		bool ok = true;

		for (size_t i = 1; i + 1 < len; i++)
			ok = ok && (is_word((char)alt[i]) || alt[i] == '-' || alt[i] == '+');
		if (ok)
			put_text(w, (const char *)alt, len);
	}
	if (alt)
		xmlFree(alt);
}

/* ---- the walk ---- */

static void push_ctx(struct writer *w, enum ctx_kind k, bool ordered, unsigned start)
{
	if (w->n_ctx >= FHTML_NEST_MAX) {
		w->deep_ctx++;
		return;
	}
	w->ctx[w->n_ctx++] = (struct ctx){k, ordered, start, 0};
}

static void pop_ctx(struct writer *w)
{
	if (w->deep_ctx > 0)
		w->deep_ctx--;
	else if (w->n_ctx > 0)
		w->n_ctx--;
}

static void open_mark(struct writer *w, unsigned *depth, const char *mark)
{
	size_t k = strlen(mark);

	if ((*depth)++ > 0 || w->n_marks + k > sizeof(w->marks))
		return;
	memcpy(w->marks + w->n_marks, mark, k);
	w->n_marks += k;
}

static void close_mark(struct writer *w, unsigned *depth, const char *mark)
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
	emit(w, mark, k);
}

static unsigned list_start(xmlNode *n)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"start");
	unsigned long s = 1;

	if (v) {
		char *end = NULL;

		s = strtoul((const char *)v, &end, 10);
		if (!end || *end || s > 1000000)
			s = 1;
		xmlFree(v);
	}
	return (unsigned)s;
}

/* Entering element n: true if leave() must follow (after its children). */
static bool enter(struct writer *w, xmlNode *n)
{
	const xmlChar *name = n->name;

	if (is_dropped(name))
		return false;
	if (is_void(name)) {
		if (is_name(name, "img"))
			put_img_alt(w, n);
		return true;
	}
	if (is_name(name, "br")) {
		break_line(w, w->nl + 1 > 2 ? 2 : w->nl + 1);
		w->space = false;
		return false;
	}
	if (is_name(name, "pre")) {
		put_pre(w, n);
		return false;
	}
	if (is_name(name, "code") || is_name(name, "kbd") || is_name(name, "samp") ||
	    is_name(name, "tt")) {
		put_code_span(w, n);
		return false;
	}
	if (is_name(name, "a") && on_anchor(w, n))
		return false;
	if (is_name(name, "a"))
		w->links++;
	else if (is_name(name, "p"))
		break_line(w, 2);
	else if (is_block(name))
		break_line(w, 1);
	else if (is_heading(name)) {
		break_line(w, 2);
		open_mark(w, &w->strong, "**");
	} else if (is_name(name, "blockquote")) {
		break_line(w, 2);
		push_ctx(w, CTX_QUOTE, false, 0);
	} else if (is_name(name, "ul") || is_name(name, "ol")) {
		break_line(w, w->n_ctx > 0 && w->ctx[w->n_ctx - 1].kind == CTX_LIST ? 1 : 2);
		push_ctx(w, CTX_LIST, is_name(name, "ol"), is_name(name, "ol") ? list_start(n) : 0);
	} else if (is_name(name, "li")) {
		break_line(w, 1);
		if (w->deep_ctx == 0 && w->n_ctx > 0 && w->ctx[w->n_ctx - 1].kind == CTX_LIST) {
			struct ctx *c = &w->ctx[w->n_ctx - 1];

			w->item_pending = true;
			c->width = c->ordered ? (unsigned)snprintf(NULL, 0, "%u. ", c->counter) : 2;
		}
	} else if (is_name(name, "strong") || is_name(name, "b")) {
		open_mark(w, &w->strong, "**");
	} else if (is_name(name, "em") || is_name(name, "i") || is_name(name, "cite")) {
		open_mark(w, &w->em, "*");
	} else if (is_name(name, "del") || is_name(name, "s") || is_name(name, "strike")) {
		open_mark(w, &w->del, "~~");
	} else if (is_name(name, "td") || is_name(name, "th")) {
		w->space = w->out->len > w->start && !w->line_start;
	}
	return true;
}

static void leave(struct writer *w, xmlNode *n)
{
	const xmlChar *name = n->name;

	if (is_name(name, "a"))
		w->links--;
	else if (is_name(name, "p"))
		break_line(w, 2);
	else if (is_block(name))
		break_line(w, 1);
	else if (is_heading(name)) {
		close_mark(w, &w->strong, "**");
		break_line(w, 2);
	} else if (is_name(name, "blockquote")) {
		pop_ctx(w);
		break_line(w, 2);
	} else if (is_name(name, "ul") || is_name(name, "ol")) {
		pop_ctx(w);
		w->item_pending = false;
		break_line(w, w->n_ctx > 0 && w->ctx[w->n_ctx - 1].kind == CTX_LIST ? 1 : 2);
	} else if (is_name(name, "li")) {
		if (w->deep_ctx == 0 && w->n_ctx > 0 && w->ctx[w->n_ctx - 1].kind == CTX_LIST) {
			struct ctx *c = &w->ctx[w->n_ctx - 1];

			if (!w->item_pending)
				c->counter++;
			w->item_pending = false;
		}
		break_line(w, 1);
	} else if (is_name(name, "strong") || is_name(name, "b")) {
		close_mark(w, &w->strong, "**");
	} else if (is_name(name, "em") || is_name(name, "i") || is_name(name, "cite")) {
		close_mark(w, &w->em, "*");
	} else if (is_name(name, "del") || is_name(name, "s") || is_name(name, "strike")) {
		close_mark(w, &w->del, "~~");
	}
}

/* Depth-first over root's subtree with parent/next pointers. */
static void walk(struct writer *w, xmlNode *root)
{
	xmlNode *n = root;
	unsigned depth = 0;

	for (;;) {
		if (w->stopped || buf_err(w->out) != SE_OK)
			return;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				put_text(w, (const char *)n->content,
				         strlen((const char *)n->content));
		} else if (n->type == XML_ELEMENT_NODE && depth < FHTML_DEPTH_MAX && enter(w, n)) {
			if (n->children) {
				n = n->children;
				depth++;
				continue;
			}
			leave(w, n);
		}
		/* the next sibling, or climb, leaving elements on the way */
		for (;;) {
			if (depth == 0)
				return;
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
			depth--;
			leave(w, n);
		}
	}
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

static void clean_utf8(struct str s, struct buf *out)
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
	struct writer w = {0};

	w.out = out;
	w.start = out->len;
	w.limit = (size_t)-1;
	w.line_start = true;
	clean_utf8(s, &clean);
	if (buf_err(&clean) != SE_OK) {
		out->err = buf_err(&clean);
		buf_release(&clean);
		return;
	}
	put_text(&w, clean.ptr ? clean.ptr : "", clean.len);
	buf_release(&clean);
}

enum err fhtml_to_markdown_opts(struct str html, const struct fhtml_opts *o, struct buf *out,
                                bool *truncated, struct err_info *ei)
{
	struct buf clean = BUF_INIT(FHTML_INPUT_MAX * 3 + 16);
	struct writer w = {0};
	htmlDocPtr doc = NULL;
	enum err rc = SE_OK;

	if (truncated)
		*truncated = false;
	if (html.n > FHTML_INPUT_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "html over %u bytes", FHTML_INPUT_MAX);
	if (html.n == 0)
		return SE_OK;
	clean_utf8(html, &clean);
	if (buf_err(&clean) != SE_OK) {
		rc = SE_RAISE(ei, buf_err(&clean));
		goto out;
	}
	pthread_once(&xml_once, xml_init);
	doc = htmlReadMemory(clean.ptr, (int)clean.len, NULL, "UTF-8",
	                     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                         HTML_PARSE_RECOVER);
	if (!doc) {
		rc = SE_RAISEF(ei, SE_PARSE, "html: no document");
		goto out;
	}
	w.o = o;
	w.out = out;
	w.start = out->len;
	w.limit = o && o->max_bytes ? o->max_bytes : (size_t)-1;
	w.line_start = true;
	for (xmlNode *n = doc->children; n && !w.stopped; n = n->next) {
		if (n->type == XML_ELEMENT_NODE || n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE)
			walk(&w, n);
	}
	if (buf_err(out) != SE_OK) {
		rc = SE_RAISEF(ei, buf_err(out), "markdown output over its maximum");
		goto out;
	}
	if (truncated)
		*truncated = w.truncated;
out:
	if (doc)
		xmlFreeDoc(doc);
	buf_release(&clean);
	return rc;
}

enum err fhtml_to_markdown(struct str html, struct buf *out, struct err_info *ei)
{
	return fhtml_to_markdown_opts(html, NULL, out, NULL, ei);
}
