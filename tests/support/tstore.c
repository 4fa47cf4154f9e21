/*
 * tests/support/tstore.c: the unit tests' throw-away store (see tstore.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "tests/support/tstore.h"

struct tstore *tstore_open(const char *tag, const struct store_schema *schema)
{
	struct tstore *t = xcalloc(1, sizeof(*t));
	struct store_opts o = {.no_sync = true};
	int n = snprintf(t->dir, sizeof(t->dir), "/tmp/sol-%s-XXXXXX", tag);

	assert_true(n > 0 && (size_t)n < sizeof(t->dir));
	assert_non_null(mkdtemp(t->dir));
	assert_int_equal(store_open(t->dir, schema, &o, &t->s, NULL), SE_OK);
	return t;
}

void tstore_close(struct tstore *t)
{
	char p[128];

	if (!t)
		return;
	store_close(t->s);
	snprintf(p, sizeof(p), "%s/data.mdb", t->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", t->dir);
	unlink(p);
	rmdir(t->dir);
	mem_free(t);
}
