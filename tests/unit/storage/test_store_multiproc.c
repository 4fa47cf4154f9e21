/*
 * tests/unit/storage/test_store_multiproc.c: two processes on one store,
 * as when solstice-admin writes while the daemon runs. A child process
 * (this binary again) grows the map far past ours; our next read and write must adopt the new
 * size (MDB_MAP_RESIZED) instead of failing, and see the child's records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/mem.h"
#include "storage/store.h"

static const struct store_coll_def colls[] = {{"blobs", NULL, 0}};
static const struct store_schema schema = {colls, 1};

struct put {
	const char *id;
	size_t n;
};

static enum err put_fn(struct store_wtxn *w, void *arg)
{
	const struct put *p = arg;
	char *rec = xmalloc(p->n);
	enum err rc;

	memset(rec, 'x', p->n);
	rc = store_put(w, "blobs", str_from(p->id), (struct str){rec, p->n});
	mem_free(rec);
	return rc;
}

/* The child: its own environment, ~24 MiB of records into a 1 MiB map. */
static int child_fill(const char *dir)
{
	struct store_opts o = {.map_size = 1u << 20, .no_sync = true};
	struct store *s = NULL;
	char id[32];

	if (store_open(dir, &schema, &o, &s, NULL) != SE_OK)
		return 1;
	for (int i = 0; i < 24; i++) {
		struct put p = {id, 1u << 20};

		snprintf(id, sizeof(id), "child-%02d", i);
		if (store_write(s, put_fn, &p, NULL) != SE_OK)
			return 2;
	}
	store_close(s);
	return 0;
}

/*
 * The child is this binary run again with "--child DIR": a fresh process,
 * as solstice-admin is (no environment inherited across fork, which LMDB
 * and ThreadSanitizer both dislike).
 */
static pid_t spawn_child(const char *dir)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_store_multiproc", "--child", dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_adopt_grown_map(void **state)
{
	struct store_opts o = {.map_size = 1u << 20, .no_sync = true};
	char dir[] = "/tmp/sol-mproc-XXXXXX";
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct store_stats st;
	struct str rec;
	struct put p = {"parent-2", 1000};
	char path[96];
	pid_t pid;
	int status = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &schema, &o, &s, NULL), SE_OK);
	p.id = "parent-1";
	assert_int_equal(store_write(s, put_fn, &p, NULL), SE_OK);
	/* a read transaction now, so our map is in use before the child grows the file */
	assert_int_equal(store_read_begin(s, &t), SE_OK);
	store_read_end(t);

	pid = spawn_child(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* reads see the child's records past our old map */
	assert_int_equal(store_read_begin(s, &t), SE_OK);
	assert_int_equal(store_get(t, "blobs", STR_LIT("child-23"), &rec), SE_OK);
	assert_int_equal(rec.n, 1u << 20);
	assert_int_equal(store_get(t, "blobs", STR_LIT("parent-1"), &rec), SE_OK);
	store_read_end(t);
	store_stats_get(s, &st);
	assert_true(st.map_size >= 24u << 20);
	/* and writes go on */
	p.id = "parent-2";
	assert_int_equal(store_write(s, put_fn, &p, NULL), SE_OK);
	assert_int_equal(store_read_begin(s, &t), SE_OK);
	assert_int_equal(store_get(t, "blobs", STR_LIT("parent-2"), &rec), SE_OK);
	store_read_end(t);
	store_close(s);

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	remove(path);
	remove(dir);
}

/* The same with the write coming first: the committer adopts the size. */
static void test_adopt_on_write(void **state)
{
	struct store_opts o = {.map_size = 1u << 20, .no_sync = true};
	char dir[] = "/tmp/sol-mproc-XXXXXX";
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct str rec;
	struct put p = {"parent-1", 1000};
	char path[96];
	pid_t pid;
	int status = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &schema, &o, &s, NULL), SE_OK);
	assert_int_equal(store_write(s, put_fn, &p, NULL), SE_OK);
	pid = spawn_child(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	p.id = "parent-2";
	p.n = 2u << 20;
	assert_int_equal(store_write(s, put_fn, &p, NULL), SE_OK);
	assert_int_equal(store_read_begin(s, &t), SE_OK);
	assert_int_equal(store_get(t, "blobs", STR_LIT("parent-2"), &rec), SE_OK);
	assert_int_equal(rec.n, 2u << 20);
	assert_int_equal(store_get(t, "blobs", STR_LIT("child-00"), &rec), SE_OK);
	store_read_end(t);
	store_close(s);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	remove(path);
	remove(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_adopt_grown_map),
	    cmocka_unit_test(test_adopt_on_write),
	};

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child_fill(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
