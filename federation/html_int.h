/*
 * federation/html_int.h: the Markdown writer shared by federation/html.c
 * (the libxml2 tree walk) and federation/html_write.c (output, line
 * prefixes, escaping, the mention-safe emit). Nothing outside
 * federation/html*.c includes this.
 */
#ifndef SOL_FED_HTML_INT_H
#define SOL_FED_HTML_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"
#include "federation/html.h"

#define FHTML_ELLIPSIS "\xe2\x80\xa6"
#define FHTML_ZWSP "\xe2\x80\x8b"

enum fhtml_ctx_kind { FHTML_CTX_QUOTE, FHTML_CTX_LIST };

struct fhtml_ctx {
	enum fhtml_ctx_kind kind;
	bool ordered;
	unsigned counter; /* next item number */
	unsigned width;   /* marker width of the current item ("- " = 2) */
};

struct fhtml_writer {
	const struct fhtml_opts *o;
	struct buf *out;
	size_t start; /* out->len when we began */
	size_t limit; /* max bytes we may add (SIZE_MAX: none) */
	bool stopped; /* limit reached: write nothing more */
	bool truncated;
	struct fhtml_ctx ctx[FHTML_NEST_MAX];
	unsigned n_ctx;    /* entries in ctx */
	unsigned deep_ctx; /* quotes/lists past FHTML_NEST_MAX (flattened) */
	unsigned nl;       /* pending line breaks: 0, 1 (newline) or 2 (blank line) */
	unsigned nl_ctx;   /* contexts open through the whole pending break */
	bool line_start;   /* nothing but the prefix written on this line */
	bool space;        /* a collapsed space is pending */
	bool item_pending; /* the innermost list's marker goes before the next text */
	bool digits_only;  /* the line so far is digits (an ordered-list lookalike) */
	char marks[32];    /* emphasis opened but not yet written (no text yet) */
	size_t n_marks;
	unsigned strong, em, del, pre, links;
};

static inline bool fhtml_is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Output through the limit; fhtml_emit also neutralises mentions and mass pings. */
void fhtml_emit_raw(struct fhtml_writer *w, const char *p, size_t n);
void fhtml_emit(struct fhtml_writer *w, const char *p, size_t n);
void fhtml_emits(struct fhtml_writer *w, const char *s);
/* Line structure: the quote/list prefix, pending breaks, content start. */
void fhtml_put_prefix(struct fhtml_writer *w, bool blank);
void fhtml_break_line(struct fhtml_writer *w, unsigned n);
void fhtml_begin(struct fhtml_writer *w);
/* Text, whitespace collapsed and escaped; code text with fences kept safe. */
void fhtml_put_text(struct fhtml_writer *w, const char *p, size_t n);
void fhtml_put_code_text(struct buf *b, const char *p, size_t n);
/* Quote/list contexts and emphasis markers. */
void fhtml_push_ctx(struct fhtml_writer *w, enum fhtml_ctx_kind k, bool ordered, unsigned start);
void fhtml_pop_ctx(struct fhtml_writer *w);
void fhtml_open_mark(struct fhtml_writer *w, unsigned *depth, const char *mark);
void fhtml_close_mark(struct fhtml_writer *w, unsigned *depth, const char *mark);
/* `s` as valid UTF-8 without NULs (U+FFFD for the rest) into `out`. */
void fhtml_clean_utf8(struct str s, struct buf *out);

#endif /* SOL_FED_HTML_INT_H */
