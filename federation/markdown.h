/*
 * federation/markdown.h: Revolt Markdown -> safe HTML, for the `content` of
 * outbound Notes and the `summary` of local actors.
 *
 * Owns: the Markdown parse (cmark, CommonMark with raw HTML dropped and
 * every newline a line break, as chat clients show it), our own HTML writer
 * over cmark's tree, and the Revolt specifics: "<@ULID>" user mentions become
 * Mastodon-style h-card mention links (through a caller resolver), custom
 * emoji ":ULID:" become ":shortcode:" text (optional resolver), role and
 * channel mentions "<%ID>" "<#ID>" and spoilers "!!x!!" stay plain text,
 * bare http(s) URLs are autolinked.
 * Guarantees: the output never holds raw HTML from the input, script or
 * style elements, attributes other than href/class/rel, or a link whose
 * destination is not http(s) or mailto. Elements used: p br a span strong
 * em del code pre blockquote ul ol li (headings become bold paragraphs).
 * Structural nesting deeper than FMD_NEST_MAX is flattened (text kept).
 * Does not own: who the mentioned users are (the resolver), Mention/Emoji
 * tags of the Note (the caller collects them from its resolvers).
 * Threads: reentrant; no state. Memory: output is appended to the caller's
 * buf (its maximum bounds the output; see FMD_OUTPUT_MAX); strings a
 * resolver hands back are borrowed until the resolver is called again or
 * the function returns.
 */
#ifndef SOL_FED_MARKDOWN_H
#define SOL_FED_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Markdown accepted, in bytes (a Revolt message is at most 2,000 chars). */
#define FMD_INPUT_MAX (32u << 10)
/* A buf maximum that always holds the HTML of FMD_INPUT_MAX of Markdown
 * with resolvers returning URLs and handles of up to 512 bytes. */
#define FMD_OUTPUT_MAX (1u << 20)
/* Nested block quotes, lists and emphasis rendered as elements. */
#define FMD_NEST_MAX 16

/*
 * Resolves the user id of a "<@ULID>" mention. On true, *actor_url (an
 * http(s) URL) and *handle (shown after "@", e.g. "alice_0042@host") are
 * set, borrowed until the next call. False leaves the mention as text.
 */
typedef bool fmd_user_fn(void *ctx, struct str user_id, const char **actor_url,
                         const char **handle);
/* Resolves a custom emoji id of ":ULID:" to its name; false keeps the id. */
typedef bool fmd_emoji_fn(void *ctx, struct str emoji_id, const char **shortcode);

struct fmd_opts {
	fmd_user_fn *user;   /* may be NULL: mentions stay text */
	fmd_emoji_fn *emoji; /* may be NULL: ":ULID:" stays as is */
	void *ctx;           /* passed to both */
};

/*
 * Render `md` (any bytes: NULs and invalid UTF-8 become U+FFFD) as HTML
 * appended to `out`. `o` may be NULL (no resolvers). Returns SE_OK,
 * SE_TOO_LARGE (md longer than FMD_INPUT_MAX, or `out` reached its maximum)
 * or SE_NOMEM; on error `out` may hold a partial document.
 */
enum err fmd_to_html_opts(struct str md, const struct fmd_opts *o, struct buf *out,
                          struct err_info *ei) __attribute__((warn_unused_result));
/* fmd_to_html_opts without resolvers (the plan's interface). */
enum err fmd_to_html(struct str md, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Plain text of `md` for places that show no markup (a `name`, a preview):
 * emphasis and code markers removed, links as their text, block boundaries
 * as newlines, mentions resolved like fmd_to_html_opts ("@handle"). Not
 * HTML-escaped. Same errors.
 */
enum err fmd_to_text(struct str md, const struct fmd_opts *o, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_FED_MARKDOWN_H */
