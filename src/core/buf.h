/*
 * core/buf.h: the growable byte buffer with a maximum and a sticky error.
 *
 * Owns: its bytes (always NUL-terminated once anything was appended). Every
 * buffer gets a maximum at init; appending past it, or failing to allocate,
 * sets a sticky error after which appends do nothing; callers check
 * buf_err() once at the end (curl dynbuf, SQLite sqlite3_str).
 * Memory: through mem_try_*; buf_release/buf_take hand the bytes back.
 * Threads: one caller at a time per buffer.
 */
#ifndef SOL_CORE_BUF_H
#define SOL_CORE_BUF_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct buf {
	char *ptr;
	size_t len, cap, max;
	enum err err; /* SE_OK, SE_TOO_LARGE or SE_NOMEM; sticky */
};

#define BUF_INIT(maxbytes)                                                                         \
	{                                                                                          \
		NULL, 0, 0, (maxbytes), SE_OK                                                      \
	}

void buf_init(struct buf *b, size_t max);
/* Frees the bytes and returns the buffer to its BUF_INIT state (same max). */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its allocation and clearing the error. */
void buf_reset(struct buf *b);
/* Ensure room for `extra` more bytes; sets the sticky error on failure. */
enum err buf_grow(struct buf *b, size_t extra);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_append_str(struct buf *b, struct str s);
/* Append `s` with & < > " ' as HTML/XML character references (safe in text and in
 * quoted attribute values). */
void buf_html_escape(struct buf *b, struct str s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline enum err buf_err(const struct buf *b)
{
	return b->err;
}

/* The contents as a slice (borrowed until the next change). */
struct str buf_str(const struct buf *b);
/* The contents as a C string ("" when empty), borrowed. */
const char *buf_cstr(const struct buf *b);
/*
 * Hands the bytes (NUL-terminated, owned: free with mem_free) to the caller
 * and resets the buffer. Returns NULL when the buffer is in error; an empty
 * buffer gives an allocated "".
 */
char *buf_take(struct buf *b, size_t *len);

#endif /* SOL_CORE_BUF_H */
