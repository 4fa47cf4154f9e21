/*
 * federation/html.h: remote HTML (a Note's `content`, an actor's `summary`)
 * -> Revolt Markdown.
 *
 * Owns: the sanitiser. libxml2's HTML parser (no network, no DTD entities,
 * recover mode) builds a tree that is walked without recursion against an
 * allowlist: p/div/br -> line breaks, a -> [text](href) for http(s) hrefs
 * only, mention links (class "mention") -> "@user@host" text, hashtags ->
 * "#tag", strong/b/em/i/u/del/s/code/pre/blockquote/ul/ol/li -> Markdown,
 * h1-h6 -> bold lines, anything else -> its text; script, style, iframe,
 * object, embed, img, svg, math, template, noscript, head, title, form
 * parts and comments are dropped with their content. Text is escaped so
 * that remote content cannot produce Revolt mentions ("<@ULID>", "<%ULID>",
 * "@everyone", "@online"), custom emoji, spoilers or formatting it did not
 * have. The output is valid UTF-8 without NUL bytes.
 * Does not own: deciding who a mention is (the optional callback), the
 * length limit of Revolt messages (the caller's buf maximum, or max_bytes).
 * Threads: reentrant (libxml2 is initialised once, thread-safely).
 * Memory: output appended to the caller's buf; nothing kept.
 */
#ifndef SOL_FED_HTML_H
#define SOL_FED_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* HTML accepted, in bytes (Misskey/Akkoma long posts stay well below). */
#define FHTML_INPUT_MAX (512u << 10)
/* Elements deeper than this are not looked into (their text is dropped). */
#define FHTML_DEPTH_MAX 256
/* Nested quotes and lists rendered as Markdown structure. */
#define FHTML_NEST_MAX 8

/*
 * Called for a mention link: `href` (the link target, borrowed) and
 * `handle` ("user@host", without "@", borrowed). Return true after
 * appending the replacement to `out` as raw Markdown (e.g. "<@ULID>" for a
 * local user); false renders "@user@host" as escaped text.
 */
typedef bool fhtml_mention_fn(void *ctx, const char *href, const char *handle, struct buf *out);

struct fhtml_opts {
	fhtml_mention_fn *mention; /* may be NULL */
	void *ctx;
	/* Stop after this many output bytes (at a UTF-8 boundary, "…"
	 * appended) instead of failing; 0 = no limit but the buf's. With a
	 * limit, only the first 32 * max_bytes (at least 64 KiB, at most
	 * FHTML_INPUT_MAX) bytes of input are parsed, a longer input is cut
	 * (and the result marked truncated) rather than refused. */
	size_t max_bytes;
};

/*
 * Convert `html` (any bytes) to Markdown appended to `out`. `o` may be
 * NULL. `*truncated` (may be NULL) tells whether max_bytes cut the text.
 * Returns SE_OK, SE_TOO_LARGE (html longer than FHTML_INPUT_MAX without
 * max_bytes, or `out` reached its maximum), SE_NOMEM or SE_PARSE (libxml2
 * gave no document).
 */
enum err fhtml_to_markdown_opts(struct str html, const struct fhtml_opts *o, struct buf *out,
                                bool *truncated, struct err_info *ei)
    __attribute__((warn_unused_result));
/* fhtml_to_markdown_opts without options (the plan's interface). */
enum err fhtml_to_markdown(struct str html, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Remote Markdown (a `source` with mediaType text/markdown: Lemmy, another
 * Solstice) made safe to store as Revolt content: formatting kept, but
 * valid UTF-8 without NULs and no Revolt mention or mass ping ("<@", "<%",
 * "@everyone", "@online" broken with a ZWSP, as fhtml_to_markdown does).
 * `max_bytes` truncates like fhtml_opts.max_bytes (0: the buf's maximum
 * only). Returns SE_OK, SE_TOO_LARGE (over FHTML_INPUT_MAX, or `out` full)
 * or SE_NOMEM.
 */
enum err fhtml_markdown_safe(struct str md, size_t max_bytes, struct buf *out, bool *truncated,
                             struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Append `s` to `out` escaped as Markdown text (the escaping above), for
 * callers that put remote plain text (a display name, a `name`) into
 * Markdown. Invalid UTF-8 becomes U+FFFD.
 */
void fhtml_escape_text(struct str s, struct buf *out);

#endif /* SOL_FED_HTML_H */
