/*
 * files/multipart.h: a streaming (push) parser for multipart/form-data
 * (RFC 7578 over RFC 2046 section 5.1), for Autumn uploads.
 *
 * Owns: the boundary from a Content-Type value, splitting a body fed in
 * chunks of any size into parts (headers parsed, data streamed through
 * callbacks), and the display-safe form of an uploaded filename.
 * Does not own: where part data goes (the caller's callbacks write it to
 * disk), the request body limit, MIME sniffing, HTTP.
 * Threads: one caller at a time per parser; everything else is pure.
 * Memory: a parser is caller-provided storage of fixed size (about
 * LIM_MULTIPART_HEADER_BYTES) and never allocates; memory use does not
 * depend on the body size. See docs/internals/multipart.md.
 */
#ifndef SOL_FILES_MULTIPART_H
#define SOL_FILES_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/str.h"

struct buf;

/* bytes of a boundary (RFC 2046: 1 to 70) */
#define MP_BOUNDARY_MAX LIM_MULTIPART_BOUNDARY
/* the name mp_safe_filename gives a file without a usable one (Autumn's) */
#define MP_DEFAULT_FILENAME "unnamed-file"

/*
 * What on_part_begin learns about a part. Every slice is borrowed from the
 * parser and valid only until the callback returns; copy what you keep.
 * name and filename are the decoded quoted-string (or token) values of the
 * Content-Disposition parameters, otherwise raw as sent: no percent-decoding
 * and no path stripping (use mp_safe_filename). RFC 5987 `filename*` is
 * ignored, since RFC 7578 section 4.2 forbids senders to use it.
 */
struct mp_part_headers {
	struct str name;         /* empty if the parameter is absent */
	struct str filename;     /* meaningful only if has_filename */
	bool has_filename;       /* true even for filename="" (no file chosen) */
	struct str content_type; /* trimmed Content-Type value; empty if absent */
};

/*
 * Callbacks; each may be NULL. A non-OK return aborts the parse: mp_feed
 * returns that code and no callback runs again. on_part_data gets n > 0
 * bytes (borrowed until it returns); a part's data may arrive in any number
 * of calls, split anywhere. on_part_end runs once the delimiter after the
 * part is seen; a part cut short by an error or truncation gets no
 * on_part_end, so the caller discards what it wrote when mp_feed or
 * mp_finish fails.
 */
typedef enum err mp_part_begin_fn(void *ctx, const struct mp_part_headers *h);
typedef enum err mp_part_data_fn(void *ctx, const void *p, size_t n);
typedef enum err mp_part_end_fn(void *ctx);

struct mp_callbacks {
	mp_part_begin_fn *on_part_begin;
	mp_part_data_fn *on_part_data;
	mp_part_end_fn *on_part_end;
};

/* Parser state; the fields are private to multipart.c. */
struct mp_parser {
	const struct mp_callbacks *cb; /* borrowed for the parser's life */
	void *ctx;
	int state;
	enum err err;   /* sticky once set */
	bool in_part;   /* data goes to the callbacks (not the preamble) */
	size_t match;   /* bytes of delim matched so far */
	size_t dlen;    /* "\r\n--" + boundary */
	size_t parts;   /* parts begun */
	size_t hdr_len; /* bytes in hdr */
	char delim[4 + MP_BOUNDARY_MAX];
	char hdr[LIM_MULTIPART_HEADER_BYTES];
};

/*
 * Extracts the boundary of a `multipart/form-data` Content-Type value (type
 * case-insensitive, parameters separated by `;`, `boundary=` a token or a
 * quoted-string). `out` gets the boundary, NUL-terminated, and `*len` its
 * length; both are written only on success.
 * Returns SE_OK or SE_PARSE (another type, no or duplicate boundary, a
 * boundary that is not 1-70 RFC 2046 bchars, bad syntax).
 */
enum err mp_boundary_from_content_type(struct str content_type, char out[MP_BOUNDARY_MAX + 1],
                                       size_t *len) __attribute__((warn_unused_result));

/*
 * Sets up `p` for a body with the given boundary (copied). `cb` and `ctx`
 * are borrowed until the last mp_feed/mp_finish. A boundary
 * mp_boundary_from_content_type would not return leaves the parser failed:
 * mp_feed and mp_finish then return SE_PARSE.
 */
void mp_init(struct mp_parser *p, struct str boundary, const struct mp_callbacks *cb, void *ctx);

/*
 * Feeds the next `len` bytes of the body (borrowed for the call). Any split
 * of the body into calls gives the same callbacks, up to how data is cut
 * into on_part_data calls. The preamble and the epilogue are ignored.
 * Returns SE_OK; SE_PARSE for malformed input (bad delimiter line, header
 * syntax, no Content-Disposition: form-data); SE_TOO_LARGE past
 * LIM_MULTIPART_PARTS parts or LIM_MULTIPART_HEADER_BYTES of one part's
 * headers; or the code a callback returned. Errors are sticky.
 */
enum err mp_feed(struct mp_parser *p, const void *data, size_t len)
    __attribute__((warn_unused_result));

/*
 * Ends the body. Returns SE_OK if the close delimiter ("--boundary--") was
 * seen, the sticky error if one was raised, SE_PARSE otherwise (truncated).
 */
enum err mp_finish(struct mp_parser *p) __attribute__((warn_unused_result));

/*
 * Appends to `out` a display-safe form of an uploaded filename `raw` (as
 * sent): only the part after the last '/' or '\\', without ASCII and C1
 * control characters, bidi controls and invalid UTF-8 (each bad byte becomes
 * '_'), trimmed of spaces, cut to LIM_UPLOAD_FILENAME bytes on a character
 * boundary. A result that is empty or only dots becomes
 * MP_DEFAULT_FILENAME. It is not a storage path and still needs escaping
 * when put into a header.
 * Returns SE_OK or out's error (SE_TOO_LARGE, SE_NOMEM).
 */
enum err mp_safe_filename(struct str raw, struct buf *out) __attribute__((warn_unused_result));

#endif /* SOL_FILES_MULTIPART_H */
