/*
 * core/mem.c: allocation wrappers and the OOM injection hook (STYLE rule 9,
 * SQLite faultsim / curl torture style).
 */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SOL_TESTING
#include <stdatomic.h>
static atomic_ulong fail_at;
static atomic_ulong fail_count;
static atomic_int fail_sticky;

static int inject(void)
{
	unsigned long n = atomic_fetch_add(&fail_count, 1) + 1;
	unsigned long at = atomic_load(&fail_at);

	if (at == 0)
		return 0;
	return n == at || (atomic_load(&fail_sticky) && n > at);
}

unsigned long mem_fail_at(unsigned long n, int sticky)
{
	unsigned long prev = atomic_exchange(&fail_count, 0);

	atomic_store(&fail_sticky, sticky);
	atomic_store(&fail_at, n);
	return prev;
}
#else
#define inject() 0
unsigned long mem_fail_at(unsigned long n, int sticky)
{
	(void)n;
	(void)sticky;
	return 0;
}
#endif

static void oom(size_t n)
{
	/* Not through log.h: logging may itself need memory. */
	fprintf(stderr, "mem: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void *mem_try_alloc(size_t n)
{
	if (inject())
		return NULL;
	return malloc(n ? n : 1);
}

void *mem_try_realloc(void *p, size_t n)
{
	if (inject())
		return NULL;
	return realloc(p, n ? n : 1);
}

void mem_free(void *p)
{
	free(p);
}
