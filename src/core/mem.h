/*
 * core/mem.h: the only allocator entry points.
 *
 * Owns: the two tiers of allocation failure (STYLE rule 9). xmalloc and
 * friends are for small fixed-size internal objects and abort on OOM;
 * mem_try_* return NULL and are the only allocators behind buf and arena,
 * so sizes that come from outside input can never abort the process.
 * Test builds (-DSOL_TESTING) can make the Nth mem_try_* call fail.
 * Threads: any thread.
 */
#ifndef SOL_CORE_MEM_H
#define SOL_CORE_MEM_H

#include <stddef.h>

/* Abort-on-OOM tier. Returned memory is owned: free with mem_free. */
void *xmalloc(size_t n) __attribute__((malloc, alloc_size(1)));
void *xcalloc(size_t nmemb, size_t size) __attribute__((malloc));
void *xrealloc(void *p, size_t n);
/* Owned copy of a NUL-terminated string (abort on OOM). */
char *xstrdup(const char *s) __attribute__((malloc));
/* Owned NUL-terminated copy of n bytes (abort on OOM). */
char *xstrndup(const char *s, size_t n) __attribute__((malloc));

/* Fallible tier: NULL on failure (or on an injected failure in tests). */
void *mem_try_alloc(size_t n) __attribute__((malloc));
void *mem_try_realloc(void *p, size_t n);

/* Frees memory from either tier; accepts NULL. */
void mem_free(void *p);

/*
 * Test hook: make the `n`th following mem_try_* call (1-based) fail, and
 * every later one too if `sticky`. n = 0 disables injection. Returns the
 * number of mem_try_* calls since the last mem_fail_at(). Compiled in only
 * with -DSOL_TESTING; otherwise a no-op returning 0.
 */
unsigned long mem_fail_at(unsigned long n, int sticky);

#endif /* SOL_CORE_MEM_H */
