/*
 * core/arena.c: chunked bump allocator with deferred releases.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"

#define CHUNK_MIN 4096
#define ALIGN 16

struct arena_chunk {
	struct arena_chunk *prev;
	size_t size, off;
	_Alignas(ALIGN) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	arena_defer_fn *fn;
	void *p;
};

void arena_init(struct arena *a, size_t max)
{
	*a = (struct arena)ARENA_INIT(max);
}

void arena_release(struct arena *a)
{
	struct arena_defer *d = a->defers;
	struct arena_chunk *c = a->chunk;

	/* Defer records live in the arena, so run them before freeing chunks. */
	while (d) {
		d->fn(d->p);
		d = d->next;
	}
	while (c) {
		struct arena_chunk *prev = c->prev;

		mem_free(c);
		c = prev;
	}
	arena_init(a, a->max);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->chunk;
	size_t want = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	size_t size;

	if (want < n)
		return NULL;
	if (c && c->size - c->off >= want) {
		void *p = c->data + c->off;

		c->off += want;
		return p;
	}
	size = want > CHUNK_MIN ? want : CHUNK_MIN;
	if (c && size < c->size * 2 && c->size * 2 <= 1u << 20)
		size = c->size * 2;
	if (size > a->max || a->used > a->max - size) {
		size = want;
		if (size > a->max || a->used > a->max - size)
			return NULL;
	}
	c = mem_try_alloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->prev = a->chunk;
	c->size = size;
	c->off = want;
	a->chunk = c;
	a->used += size;
	return c->data;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	if (p)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

struct str arena_str(struct arena *a, struct str s)
{
	char *p = arena_strndup(a, s.p, s.n);

	return p ? (struct str){p, s.n} : STR_NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int arena_defer(struct arena *a, arena_defer_fn *fn, void *p)
{
	struct arena_defer *d = arena_alloc(a, sizeof(*d));

	if (!d) {
		fn(p);
		return -1;
	}
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
	return 0;
}
