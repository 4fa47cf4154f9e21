/*
 * core/buf.c: bounded growable buffer with a sticky error.
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"

void buf_init(struct buf *b, size_t max)
{
	*b = (struct buf)BUF_INIT(max);
}

void buf_release(struct buf *b)
{
	size_t max = b->max;

	mem_free(b->ptr);
	buf_init(b, max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = SE_OK;
	if (b->ptr)
		b->ptr[0] = '\0';
}

enum err buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->err)
		return b->err;
	/* len + extra + 1 (the NUL) must fit in size_t and in the maximum. */
	if (extra > b->max || b->len > b->max - extra || b->len + extra == (size_t)-1) {
		b->err = SE_TOO_LARGE;
		return b->err;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return SE_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	/* Written so that max == SIZE_MAX cannot overflow. */
	if (cap - 1 > b->max)
		cap = b->max + 1;
	p = mem_try_realloc(b->ptr, cap);
	if (!p) {
		b->err = SE_NOMEM;
		return b->err;
	}
	b->ptr = p;
	b->cap = cap;
	return SE_OK;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n))
		return;
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_append_str(struct buf *b, struct str s)
{
	buf_append(b, s.p, s.n);
}

void buf_html_escape(struct buf *b, struct str s)
{
	size_t run = 0;

	for (size_t i = 0; i < s.n; i++) {
		const char *rep;

		switch (s.p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		buf_append(b, s.p + run, i - run);
		buf_puts(b, rep);
		run = i + 1;
	}
	if (s.n > run)
		buf_append(b, s.p + run, s.n - run);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = SE_INVAL;
		return;
	}
	if (buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

struct str buf_str(const struct buf *b)
{
	return (struct str){b->ptr ? b->ptr : "", b->len};
}

const char *buf_cstr(const struct buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *buf_take(struct buf *b, size_t *len)
{
	char *p;

	if (b->err)
		return NULL;
	if (!b->ptr && buf_grow(b, 0))
		return NULL;
	p = b->ptr;
	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}
