/*
 * federation/markdown.c: Revolt Markdown -> safe HTML (and plain text).
 *
 * cmark parses (CommonMark, UTF-8 validated, newlines as hard breaks); we
 * walk its tree with cmark's iterator (no recursion, so nesting cannot blow
 * the stack) and write the HTML ourselves, so that every element, attribute
 * and URL that reaches the output is one this file chose: raw HTML in the
 * input is shown as text (what Revolt clients show), link destinations must
 * be http(s) or mailto, text is escaped, and Revolt's own syntax (mentions,
 * custom emoji, bare URLs) is handled in the text runs, never in code.
 */
#include "federation/markdown.h"

#include <string.h>

#include <cmark.h>

#define ULID_LEN 26
#define RESOLVED_MAX 512 /* bytes of a resolver's URL or handle we accept */

struct md_writer {
	const struct fmd_opts *o;
	struct buf *out;
	bool html;       /* false: plain text */
	unsigned nest;   /* open block quotes, lists, items, emphasis */
	unsigned links;  /* open links and images (no nested <a>, no autolinks) */
	struct buf text; /* a run of adjacent text nodes */
};

static bool is_ulid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static bool is_ulid_at(struct str s, size_t i)
{
	if (s.n - i < ULID_LEN)
		return false;
	for (size_t k = 0; k < ULID_LEN; k++)
		if (!is_ulid_char(s.p[i + k]))
			return false;
	return true;
}

static bool has_prefix_nocase(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

/* http(s) with something after the scheme, or mailto; no control bytes. */
static bool url_allowed(const char *url, bool mailto)
{
	size_t n;

	if (!url)
		return false;
	n = strlen(url);
	if (n == 0 || n > 4096)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return false;
	if (has_prefix_nocase(url, n, "https://"))
		return n > 8;
	if (has_prefix_nocase(url, n, "http://"))
		return n > 7;
	return mailto && has_prefix_nocase(url, n, "mailto:") && n > 7;
}

static void esc_html(struct buf *out, const char *p, size_t n)
{
	buf_html_escape(out, (struct str){p, n});
}

/* An href value: HTML-escaped, spaces and quotes percent-encoded. */
static void put_href(struct buf *out, const char *url, size_t n)
{
	for (const char *c = url; c < url + n; c++) {
		if (*c == ' ')
			buf_puts(out, "%20");
		else if (*c == '"')
			buf_puts(out, "%22");
		else if (*c == '<')
			buf_puts(out, "%3C");
		else if (*c == '>')
			buf_puts(out, "%3E");
		else if (*c == '`')
			buf_puts(out, "%60");
		else
			esc_html(out, c, 1);
	}
}

static void put_text(struct md_writer *w, const char *p, size_t n)
{
	if (w->html)
		esc_html(w->out, p, n);
	else
		buf_append(w->out, p, n);
}

/* Length of a bare URL starting at s[i] ("http://" or "https://"), or 0. */
static size_t autolink_len(struct str s, size_t i)
{
	size_t start = i, end, open = 0, close = 0;

	if (i > 0) {
		char b = s.p[i - 1];

		if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))
			return 0;
	}
	if (has_prefix_nocase(s.p + i, s.n - i, "https://"))
		i += 8;
	else if (has_prefix_nocase(s.p + i, s.n - i, "http://"))
		i += 7;
	else
		return 0;
	end = i;
	while (end < s.n) {
		unsigned char c = (unsigned char)s.p[end];

		if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`' || c == 0x7f)
			break;
		end++;
	}
	/* trailing punctuation belongs to the sentence; ")" only if unbalanced */
	for (size_t k = i; k < end; k++) {
		open += s.p[k] == '(';
		close += s.p[k] == ')';
	}
	while (end > i) {
		char c = s.p[end - 1];

		if (c == ')' && close > open) {
			close--;
			end--;
		} else if (c != '\0' && strchr(".,:;!?'*_~", c)) {
			end--;
		} else {
			break;
		}
	}
	if (end == i)
		return 0;
	return end - start;
}

static bool bounded(const char *s)
{
	return s && *s && strnlen(s, RESOLVED_MAX + 1) <= RESOLVED_MAX;
}

/* "<@ULID>" at s[i]: true if rendered (the resolver knew the user). */
static bool put_mention(struct md_writer *w, struct str s, size_t i)
{
	const char *url = NULL, *handle = NULL;

	if (!w->o || !w->o->user)
		return false;
	if (!w->o->user(w->o->ctx, (struct str){s.p + i + 2, ULID_LEN}, &url, &handle))
		return false;
	if (!bounded(handle) || !bounded(url) || !url_allowed(url, false))
		return false;
	if (!w->html) {
		buf_putc(w->out, '@');
		buf_puts(w->out, handle);
		return true;
	}
	if (w->links > 0) {
		/* inside a link: no nested anchor */
		buf_putc(w->out, '@');
		esc_html(w->out, handle, strlen(handle));
		return true;
	}
	buf_puts(w->out, "<span class=\"h-card\"><a href=\"");
	put_href(w->out, url, strlen(url));
	buf_puts(w->out, "\" class=\"u-url mention\">@<span>");
	esc_html(w->out, handle, strlen(handle));
	buf_puts(w->out, "</span></a></span>");
	return true;
}

/* ":ULID:" at s[i]: true if the resolver gave a shortcode. */
static bool put_emoji(struct md_writer *w, struct str s, size_t i)
{
	const char *name = NULL;

	if (!w->o || !w->o->emoji)
		return false;
	if (!w->o->emoji(w->o->ctx, (struct str){s.p + i + 1, ULID_LEN}, &name))
		return false;
	if (!bounded(name))
		return false;
	buf_putc(w->out, ':');
	put_text(w, name, strlen(name));
	buf_putc(w->out, ':');
	return true;
}

/* A run of text: mentions, custom emoji and bare URLs, the rest escaped. */
static void flush_text(struct md_writer *w)
{
	struct str s = buf_str(&w->text);
	size_t run = 0, i = 0;

	while (i < s.n) {
		size_t len = 0;
		bool done = false;

		if (s.p[i] == '<' && i + 1 < s.n && s.p[i + 1] == '@' && i + 2 < s.n &&
		    is_ulid_at(s, i + 2) && i + 2 + ULID_LEN < s.n &&
		    s.p[i + 2 + ULID_LEN] == '>') {
			len = ULID_LEN + 3;
			put_text(w, s.p + run, i - run);
			done = put_mention(w, s, i);
		} else if (s.p[i] == ':' && i + 1 < s.n && is_ulid_at(s, i + 1) &&
		           i + 1 + ULID_LEN < s.n && s.p[i + 1 + ULID_LEN] == ':') {
			len = ULID_LEN + 2;
			put_text(w, s.p + run, i - run);
			done = put_emoji(w, s, i);
		} else if (w->html && w->links == 0 && (s.p[i] == 'h' || s.p[i] == 'H') &&
		           (len = autolink_len(s, i)) > 0) {
			put_text(w, s.p + run, i - run);
			buf_puts(w->out, "<a href=\"");
			put_href(w->out, s.p + i, len);
			buf_puts(w->out, "\" rel=\"nofollow noopener noreferrer\">");
			esc_html(w->out, s.p + i, len);
			buf_puts(w->out, "</a>");
			done = true;
		}
		if (len == 0) {
			i++;
			continue;
		}
		if (!done)
			put_text(w, s.p + i, len);
		i += len;
		run = i;
	}
	put_text(w, s.p + run, s.n - run);
	buf_reset(&w->text);
}

static void tag(struct md_writer *w, const char *t)
{
	if (w->html)
		buf_puts(w->out, t);
}

/* Blocks in plain text start on a new line (not right after a "- "). */
static void text_block_break(struct md_writer *w)
{
	size_t n = w->out->len;
	const char *p = w->out->ptr;

	if (w->html || n == 0 || p[n - 1] == '\n')
		return;
	if (n >= 2 && p[n - 2] == '-' && p[n - 1] == ' ' && (n == 2 || p[n - 3] == '\n'))
		return;
	buf_putc(w->out, '\n');
}

/* A literal without its trailing newlines (HTML blocks). */
static void put_block_literal(struct md_writer *w, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);
	size_t len = lit ? strlen(lit) : 0;

	while (len > 0 && lit[len - 1] == '\n')
		len--;
	put_text(w, lit, len);
}

static bool in_tight_list(cmark_node *para)
{
	cmark_node *item = cmark_node_parent(para);
	cmark_node *list = item ? cmark_node_parent(item) : NULL;

	return item && list && cmark_node_get_type(item) == CMARK_NODE_ITEM &&
	       cmark_node_get_list_tight(list);
}

/* Containers that count towards FMD_NEST_MAX. */
static bool nested(cmark_node_type t)
{
	return t == CMARK_NODE_BLOCK_QUOTE || t == CMARK_NODE_LIST || t == CMARK_NODE_ITEM ||
	       t == CMARK_NODE_EMPH || t == CMARK_NODE_STRONG;
}

static void put_literal(struct md_writer *w, cmark_node *n)
{
	const char *lit = cmark_node_get_literal(n);

	if (lit)
		put_text(w, lit, strlen(lit));
}

static void on_link(struct md_writer *w, cmark_node *n, bool enter)
{
	bool ok = w->html && url_allowed(cmark_node_get_url(n), true);

	if (enter) {
		if (ok && w->links == 0) {
			buf_puts(w->out, "<a href=\"");
			put_href(w->out, cmark_node_get_url(n), strlen(cmark_node_get_url(n)));
			buf_puts(w->out, "\" rel=\"nofollow noopener noreferrer\">");
		}
		w->links++;
	} else {
		w->links--;
		if (ok && w->links == 0)
			buf_puts(w->out, "</a>");
	}
}

static void on_list(struct md_writer *w, cmark_node *n, bool enter, bool show)
{
	bool ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;

	if (!show)
		return;
	if (!enter) {
		tag(w, ordered ? "</ol>" : "</ul>");
		return;
	}
	if (ordered && cmark_node_get_list_start(n) != 1 && w->html)
		buf_printf(w->out, "<ol start=\"%d\">", cmark_node_get_list_start(n));
	else
		tag(w, ordered ? "<ol>" : "<ul>");
}

static void on_node(struct md_writer *w, cmark_node *n, bool enter)
{
	cmark_node_type t = cmark_node_get_type(n);
	bool show;

	if (t != CMARK_NODE_TEXT && w->text.len > 0)
		flush_text(w);
	if (nested(t) && enter)
		w->nest++;
	show = w->nest <= FMD_NEST_MAX;
	switch (t) {
	case CMARK_NODE_TEXT:
		buf_puts(&w->text, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
		if (w->html)
			buf_puts(w->out, "<br>");
		else
			buf_putc(w->out, '\n');
		break;
	case CMARK_NODE_CODE:
		tag(w, "<code>");
		put_literal(w, n);
		tag(w, "</code>");
		break;
	case CMARK_NODE_HTML_INLINE:
		put_literal(w, n);
		break;
	case CMARK_NODE_HTML_BLOCK:
		text_block_break(w);
		tag(w, "<p>");
		put_block_literal(w, n);
		tag(w, "</p>");
		break;
	case CMARK_NODE_CODE_BLOCK:
		text_block_break(w);
		tag(w, "<pre><code>");
		put_literal(w, n);
		tag(w, "</code></pre>");
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		text_block_break(w);
		tag(w, "<hr>");
		break;
	case CMARK_NODE_PARAGRAPH:
		if (enter)
			text_block_break(w);
		if (!in_tight_list(n))
			tag(w, enter ? "<p>" : "</p>");
		break;
	case CMARK_NODE_HEADING:
		if (enter)
			text_block_break(w);
		tag(w, enter ? "<p><strong>" : "</strong></p>");
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		if (enter)
			text_block_break(w);
		if (show)
			tag(w, enter ? "<blockquote>" : "</blockquote>");
		break;
	case CMARK_NODE_LIST:
		if (enter)
			text_block_break(w);
		on_list(w, n, enter, show);
		break;
	case CMARK_NODE_ITEM:
		if (enter) {
			text_block_break(w);
			if (!w->html)
				buf_puts(w->out, "- ");
		}
		if (show)
			tag(w, enter ? "<li>" : "</li>");
		break;
	case CMARK_NODE_EMPH:
		if (show)
			tag(w, enter ? "<em>" : "</em>");
		break;
	case CMARK_NODE_STRONG:
		if (show)
			tag(w, enter ? "<strong>" : "</strong>");
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		on_link(w, n, enter);
		break;
	default:
		/* document, custom nodes: nothing of their own */
		break;
	}
	if (nested(t) && !enter)
		w->nest--;
}

static enum err render(struct str md, const struct fmd_opts *o, struct buf *out, bool html,
                       struct err_info *ei)
{
	struct md_writer w = {o, out, html, 0, 0, BUF_INIT(FMD_INPUT_MAX * 2)};
	cmark_parser *p = NULL;
	cmark_node *doc = NULL;
	cmark_iter *it = NULL;
	cmark_event_type ev;
	enum err rc = SE_OK;

	if (md.n > FMD_INPUT_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "markdown over %u bytes", FMD_INPUT_MAX);
	p = cmark_parser_new(CMARK_OPT_DEFAULT | CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8);
	if (!p)
		return SE_RAISE(ei, SE_NOMEM);
	if (md.n > 0)
		cmark_parser_feed(p, md.p, md.n);
	doc = cmark_parser_finish(p);
	if (!doc) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	it = cmark_iter_new(doc);
	if (!it) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		on_node(&w, cmark_iter_get_node(it), ev == CMARK_EVENT_ENTER);
		if (buf_err(out) != SE_OK || buf_err(&w.text) != SE_OK)
			break;
	}
	if (w.text.len > 0 && buf_err(out) == SE_OK)
		flush_text(&w);
	if (buf_err(&w.text) != SE_OK)
		rc = SE_RAISEF(ei, buf_err(&w.text), "markdown text run");
	else if (buf_err(out) != SE_OK)
		rc = SE_RAISEF(ei, buf_err(out), "markdown output over its maximum");
out:
	buf_release(&w.text);
	if (it)
		cmark_iter_free(it);
	if (doc)
		cmark_node_free(doc);
	cmark_parser_free(p);
	return rc;
}

enum err fmd_to_html_opts(struct str md, const struct fmd_opts *o, struct buf *out,
                          struct err_info *ei)
{
	return render(md, o, out, true, ei);
}

enum err fmd_to_html(struct str md, struct buf *out, struct err_info *ei)
{
	return render(md, NULL, out, true, ei);
}

enum err fmd_to_text(struct str md, const struct fmd_opts *o, struct buf *out, struct err_info *ei)
{
	return render(md, o, out, false, ei);
}
