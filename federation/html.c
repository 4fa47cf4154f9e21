/*
 * federation/html.c: remote HTML -> Revolt Markdown (the sanitiser).
 *
 * The input is first made valid UTF-8 without NULs (U+FFFD for anything
 * else), so libxml2 never falls back to another encoding. libxml2's HTML
 * parser (recover mode, no network, HTML has no DTD entity expansion) gives
 * a tree; we walk it with parent/next pointers (no recursion) and write
 * Markdown through one writer (federation/html_write.c) that owns line
 * prefixes (quotes, list indentation), whitespace collapsing, escaping and
 * the output limit.
 * Elements not in the allowlist give only their text; dropped elements
 * (scripts, media, forms, ...) give nothing.
 */
#include "federation/html.h"
#include "federation/html_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/* With max_bytes, only the first max_bytes * RATIO (at least MIN) input bytes are parsed. */
#define FHTML_INPUT_RATIO 32
#define FHTML_INPUT_MIN (64u << 10)
#define LINK_TEXT_MAX 4096 /* bytes of a link's or code span's text we keep */
#define HREF_MAX 2048

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* ---- element classes ---- */

enum el {
	EL_OTHER, /* its text only */
	EL_DROP,  /* dropped with everything inside */
	EL_VOID,  /* nothing of its own (libxml2 2.9 nests following siblings in some) */
	EL_IMG,   /* void; a custom emoji's alt text kept */
	EL_BR,
	EL_PRE,
	EL_CODE,
	EL_A,
	EL_P,
	EL_BLOCK, /* a line of its own */
	EL_HEADING,
	EL_QUOTE,
	EL_UL,
	EL_OL,
	EL_LI,
	EL_STRONG,
	EL_EM,
	EL_DEL,
	EL_CELL,
};

/* Sorted by name (bsearch). */
static const struct el_row {
	const char *name;
	enum el kind;
} el_table[] = {
    {"a", EL_A},           {"address", EL_BLOCK},
    {"applet", EL_DROP},   {"area", EL_VOID},
    {"article", EL_BLOCK}, {"aside", EL_BLOCK},
    {"audio", EL_DROP},    {"b", EL_STRONG},
    {"base", EL_VOID},     {"blockquote", EL_QUOTE},
    {"br", EL_BR},         {"button", EL_DROP},
    {"canvas", EL_DROP},   {"caption", EL_BLOCK},
    {"center", EL_BLOCK},  {"cite", EL_EM},
    {"code", EL_CODE},     {"col", EL_VOID},
    {"dd", EL_BLOCK},      {"del", EL_DEL},
    {"details", EL_BLOCK}, {"dialog", EL_DROP},
    {"div", EL_BLOCK},     {"dl", EL_BLOCK},
    {"dt", EL_BLOCK},      {"em", EL_EM},
    {"embed", EL_VOID},    {"figcaption", EL_BLOCK},
    {"figure", EL_BLOCK},  {"footer", EL_BLOCK},
    {"form", EL_DROP},     {"frame", EL_DROP},
    {"frameset", EL_DROP}, {"h1", EL_HEADING},
    {"h2", EL_HEADING},    {"h3", EL_HEADING},
    {"h4", EL_HEADING},    {"h5", EL_HEADING},
    {"h6", EL_HEADING},    {"head", EL_DROP},
    {"header", EL_BLOCK},  {"hr", EL_BLOCK},
    {"i", EL_EM},          {"iframe", EL_DROP},
    {"img", EL_IMG},       {"input", EL_VOID},
    {"kbd", EL_CODE},      {"keygen", EL_VOID},
    {"li", EL_LI},         {"link", EL_VOID},
    {"main", EL_BLOCK},    {"map", EL_DROP},
    {"math", EL_DROP},     {"meta", EL_VOID},
    {"nav", EL_BLOCK},     {"noembed", EL_DROP},
    {"noframes", EL_DROP}, {"noscript", EL_DROP},
    {"object", EL_DROP},   {"ol", EL_OL},
    {"option", EL_DROP},   {"p", EL_P},
    {"param", EL_VOID},    {"picture", EL_DROP},
    {"portal", EL_DROP},   {"pre", EL_PRE},
    {"s", EL_DEL},         {"samp", EL_CODE},
    {"script", EL_DROP},   {"section", EL_BLOCK},
    {"select", EL_DROP},   {"slot", EL_DROP},
    {"source", EL_VOID},   {"strike", EL_DEL},
    {"strong", EL_STRONG}, {"style", EL_DROP},
    {"summary", EL_BLOCK}, {"svg", EL_DROP},
    {"table", EL_BLOCK},   {"tbody", EL_BLOCK},
    {"td", EL_CELL},       {"template", EL_DROP},
    {"textarea", EL_DROP}, {"tfoot", EL_BLOCK},
    {"th", EL_CELL},       {"thead", EL_BLOCK},
    {"title", EL_DROP},    {"tr", EL_BLOCK},
    {"track", EL_VOID},    {"tt", EL_CODE},
    {"ul", EL_UL},         {"video", EL_DROP},
    {"wbr", EL_VOID},
};

static int el_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct el_row *)row)->name);
}

/* The element's class, by its name lowercased (libxml2 already does). */
static enum el el_of(const xmlNode *n)
{
	char name[16];
	const struct el_row *r;
	size_t i;

	if (!n->name)
		return EL_OTHER;
	for (i = 0; n->name[i] && i < sizeof(name) - 1; i++) {
		char c = (char)n->name[i];

		name[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	if (n->name[i])
		return EL_OTHER;
	name[i] = '\0';
	r = bsearch(name, el_table, sizeof(el_table) / sizeof(el_table[0]), sizeof(el_table[0]),
	            el_cmp);
	return r ? r->kind : EL_OTHER;
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
			enum el k = el_of(n);

			if (k == EL_BR)
				buf_putc(b, '\n');
			else if (k != EL_DROP && depth < FHTML_DEPTH_MAX)
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
static void put_code_span(struct fhtml_writer *w, xmlNode *n)
{
	struct buf t = BUF_INIT(LINK_TEXT_MAX);
	struct buf c = BUF_INIT(LINK_TEXT_MAX * 3);
	struct str s;

	subtree_text_flat(n, &t);
	s = buf_str(&t);
	if (s.n == 0)
		goto out;
	if (memchr(s.p, '`', s.n)) {
		fhtml_put_text(w, s.p, s.n);
		goto out;
	}
	fhtml_begin(w);
	if (w->out->len > w->start && w->out->ptr[w->out->len - 1] == '`')
		fhtml_emit(w, " ", 1);
	fhtml_emit(w, "`", 1);
	fhtml_put_code_text(&c, s.p, s.n);
	fhtml_emit(w, c.ptr ? c.ptr : "", c.len);
	fhtml_emit(w, "`", 1);
	w->digits_only = false;
out:
	buf_release(&t);
	buf_release(&c);
}

static void put_pre(struct fhtml_writer *w, xmlNode *n)
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
	fhtml_put_code_text(&c, s.p, len);
	fhtml_break_line(w, 2);
	w->space = false;
	w->n_marks = 0;
	fhtml_begin(w);
	fhtml_emit(w, "```", 3);
	s = buf_str(&c);
	for (size_t i = 0; i < s.n; i++) {
		if (i == 0 || s.p[i - 1] == '\n') {
			fhtml_emit(w, "\n", 1);
			fhtml_put_prefix(w, false);
		}
		if (s.p[i] != '\n' && s.p[i] != '\r')
			fhtml_emit(w, s.p + i, 1);
	}
	fhtml_emit(w, "\n", 1);
	fhtml_put_prefix(w, false);
	fhtml_emit(w, "```", 3);
	fhtml_break_line(w, 2);
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

static void put_mention(struct fhtml_writer *w, xmlNode *n, const char *href)
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
		fhtml_put_text(w, buf_cstr(&t), t.len);
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
		fhtml_begin(w);
		fhtml_emit_raw(w, r.ptr, r.len);
		w->digits_only = false;
		goto out;
	}
	fhtml_put_text(w, buf_cstr(&h), h.len);
out:
	buf_release(&t);
	buf_release(&h);
	buf_release(&r);
}

static void put_href(struct fhtml_writer *w, const char *h)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const char *p = h; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '(' || c == ')' || c == '<' || c == '>' || c == ' ' || c == '\\' ||
		    c == '[' || c == ']' || c == '`' || c == '"') {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

			fhtml_emit(w, enc, 3);
		} else {
			fhtml_emit(w, p, 1);
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
	while (t.n > 0 && t.p[t.n - 1] == FHTML_ELLIPSIS[2] && t.n >= 3 &&
	       memcmp(t.p + t.n - 3, FHTML_ELLIPSIS, 3) == 0)
		t.n -= 3;
	return t.n > 0 && t.n <= n && memcmp(t.p, h, t.n) == 0;
}

static void put_link(struct fhtml_writer *w, xmlNode *n, const char *href)
{
	struct buf t = BUF_INIT(LINK_TEXT_MAX);
	struct str s;

	subtree_text_flat(n, &t);
	s = buf_str(&t);
	fhtml_begin(w);
	w->digits_only = false;
	if (s.n == 0 || text_is_url(s, href)) {
		fhtml_emit(w, "<", 1);
		put_href(w, href);
		fhtml_emit(w, ">", 1);
	} else {
		fhtml_emit(w, "[", 1);
		fhtml_put_text(w, s.p, s.n);
		fhtml_emit(w, "](", 2);
		put_href(w, href);
		fhtml_emit(w, ")", 1);
	}
	buf_release(&t);
}

/* <a>: true if written whole (the walk skips its children). */
static bool on_anchor(struct fhtml_writer *w, xmlNode *n)
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

static void put_img_alt(struct fhtml_writer *w, xmlNode *n)
{
	xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
	size_t len = alt ? strlen((const char *)alt) : 0;

	/* custom emoji (Akkoma, Misskey): keep ":name:", drop everything else */
	if (len > 2 && len < 64 && alt[0] == ':' && alt[len - 1] == ':') {
		bool ok = true;

		for (size_t i = 1; i + 1 < len; i++)
			ok = ok && (fhtml_is_word((char)alt[i]) || alt[i] == '-' || alt[i] == '+');
		if (ok)
			fhtml_put_text(w, (const char *)alt, len);
	}
	if (alt)
		xmlFree(alt);
}

/* ---- the walk ---- */

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

static bool inner_is_list(const struct fhtml_writer *w)
{
	return w->n_ctx > 0 && w->ctx[w->n_ctx - 1].kind == FHTML_CTX_LIST;
}

/* Entering element n: true if leave() must follow (after its children). */
static bool enter(struct fhtml_writer *w, xmlNode *n)
{
	switch (el_of(n)) {
	case EL_DROP:
		return false;
	case EL_IMG:
		put_img_alt(w, n);
		return true;
	case EL_BR:
		fhtml_break_line(w, w->nl + 1 > 2 ? 2 : w->nl + 1);
		w->space = false;
		return false;
	case EL_PRE:
		put_pre(w, n);
		return false;
	case EL_CODE:
		put_code_span(w, n);
		return false;
	case EL_A:
		if (on_anchor(w, n))
			return false;
		w->links++;
		break;
	case EL_P:
		fhtml_break_line(w, 2);
		break;
	case EL_BLOCK:
		fhtml_break_line(w, 1);
		break;
	case EL_HEADING:
		fhtml_break_line(w, 2);
		fhtml_open_mark(w, &w->strong, "**");
		break;
	case EL_QUOTE:
		fhtml_break_line(w, 2);
		fhtml_push_ctx(w, FHTML_CTX_QUOTE, false, 0);
		break;
	case EL_UL:
	case EL_OL:
		fhtml_break_line(w, inner_is_list(w) ? 1 : 2);
		fhtml_push_ctx(w, FHTML_CTX_LIST, el_of(n) == EL_OL,
		               el_of(n) == EL_OL ? list_start(n) : 0);
		break;
	case EL_LI:
		fhtml_break_line(w, 1);
		if (w->deep_ctx == 0 && inner_is_list(w)) {
			struct fhtml_ctx *c = &w->ctx[w->n_ctx - 1];

			w->item_pending = true;
			c->width = c->ordered ? (unsigned)snprintf(NULL, 0, "%u. ", c->counter) : 2;
		}
		break;
	case EL_STRONG:
		fhtml_open_mark(w, &w->strong, "**");
		break;
	case EL_EM:
		fhtml_open_mark(w, &w->em, "*");
		break;
	case EL_DEL:
		fhtml_open_mark(w, &w->del, "~~");
		break;
	case EL_CELL:
		w->space = w->out->len > w->start && !w->line_start;
		break;
	case EL_VOID:
	case EL_OTHER:
		break;
	}
	return true;
}

static void leave(struct fhtml_writer *w, xmlNode *n)
{
	switch (el_of(n)) {
	case EL_A:
		w->links--;
		break;
	case EL_P:
		fhtml_break_line(w, 2);
		break;
	case EL_BLOCK:
		fhtml_break_line(w, 1);
		break;
	case EL_HEADING:
		fhtml_close_mark(w, &w->strong, "**");
		fhtml_break_line(w, 2);
		break;
	case EL_QUOTE:
		fhtml_pop_ctx(w);
		fhtml_break_line(w, 2);
		break;
	case EL_UL:
	case EL_OL:
		fhtml_pop_ctx(w);
		w->item_pending = false;
		fhtml_break_line(w, inner_is_list(w) ? 1 : 2);
		break;
	case EL_LI:
		if (w->deep_ctx == 0 && inner_is_list(w)) {
			struct fhtml_ctx *c = &w->ctx[w->n_ctx - 1];

			if (!w->item_pending)
				c->counter++;
			w->item_pending = false;
		}
		fhtml_break_line(w, 1);
		break;
	case EL_STRONG:
		fhtml_close_mark(w, &w->strong, "**");
		break;
	case EL_EM:
		fhtml_close_mark(w, &w->em, "*");
		break;
	case EL_DEL:
		fhtml_close_mark(w, &w->del, "~~");
		break;
	default:
		break;
	}
}

/* Depth-first over root's subtree with parent/next pointers. */
static void walk(struct fhtml_writer *w, xmlNode *root)
{
	xmlNode *n = root;
	unsigned depth = 0;

	for (;;) {
		if (w->stopped || buf_err(w->out) != SE_OK)
			return;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				fhtml_put_text(w, (const char *)n->content,
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

enum err fhtml_to_markdown_opts(struct str html, const struct fhtml_opts *o, struct buf *out,
                                bool *truncated, struct err_info *ei)
{
	struct buf clean = BUF_INIT(FHTML_INPUT_MAX * 3 + 16);
	struct fhtml_writer w = {0};
	htmlDocPtr doc = NULL;
	enum err rc = SE_OK;
	size_t cap;
	bool cut = false;

	if (truncated)
		*truncated = false;
	if (o && o->max_bytes) {
		/* a truncated result needs only the beginning of a long input */
		cap = o->max_bytes < FHTML_INPUT_MAX / FHTML_INPUT_RATIO
		          ? o->max_bytes * FHTML_INPUT_RATIO
		          : FHTML_INPUT_MAX;
		if (cap < FHTML_INPUT_MIN)
			cap = FHTML_INPUT_MIN;
		if (html.n > cap) {
			html.n = cap;
			cut = true;
		}
	}
	if (html.n > FHTML_INPUT_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "html over %u bytes", FHTML_INPUT_MAX);
	if (html.n == 0)
		return SE_OK;
	fhtml_clean_utf8(html, &clean);
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
	if (cut && !w.stopped) {
		/* the input was cut: say so, within the limit */
		fhtml_emit_raw(&w, FHTML_ELLIPSIS, 3);
		w.truncated = true;
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
