/*
 * tests/support/tstore.h: the unit tests' throw-away store: a fresh LMDB
 * store (no_sync) on a given schema in its own /tmp/sol-<tag>-XXXXXX
 * directory, and its removal.
 *
 * Failures fail the running cmocka test (assert_*). Threads: the test
 * thread opens and closes; the store itself is as thread-safe as store.h.
 */
#ifndef SOL_TESTS_SUPPORT_TSTORE_H
#define SOL_TESTS_SUPPORT_TSTORE_H

#include "storage/store.h"

struct tstore {
	char dir[64];    /* the store's directory */
	struct store *s; /* owned */
};

/* A new store on `schema` in a new directory named after `tag` (a short word); owned. */
struct tstore *tstore_open(const char *tag, const struct store_schema *schema);

/* Closes the store and removes its files and directory; NULL is a no-op. */
void tstore_close(struct tstore *t);

#endif
