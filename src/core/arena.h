/*
 * core/arena.h: a bump allocator per request and per job (h2o mem pool).
 *
 * Owns: every allocation made from it, plus deferred release callbacks for
 * non-arena resources (a json_t, a read transaction) registered with
 * arena_defer. arena_release frees it all, running the callbacks in reverse
 * order of registration. Total size is capped at init.
 * Memory: chunks come from mem_try_alloc, so failures return NULL.
 * Threads: one thread at a time per arena.
 */
#ifndef SOL_CORE_ARENA_H
#define SOL_CORE_ARENA_H

#include <stddef.h>

#include "core/str.h"

typedef void arena_defer_fn(void *);

struct arena_chunk;
struct arena_defer;

struct arena {
	struct arena_chunk *chunk;  /* current chunk, linked to older ones */
	struct arena_defer *defers; /* most recent first */
	size_t used, max;           /* bytes taken from mem_try_alloc, limit */
};

#define ARENA_INIT(maxbytes)                                                                       \
	{                                                                                          \
		NULL, NULL, 0, (maxbytes)                                                          \
	}

void arena_init(struct arena *a, size_t max);
/* Runs deferred callbacks, frees every chunk; leaves the arena reusable. */
void arena_release(struct arena *a);

/* n bytes aligned for any type, or NULL (limit reached or OOM). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
/* NUL-terminated copy of n bytes, or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* NUL-terminated copy of a slice, returned as a slice; {NULL,0} on failure. */
struct str arena_str(struct arena *a, struct str s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Run fn(p) when the arena is released. Returns 0, or -1 on OOM, in which case
 * fn(p) has already been run (so ownership is always taken: "steals").
 */
int arena_defer(struct arena *a, arena_defer_fn *fn, void *p);

#endif /* SOL_CORE_ARENA_H */
