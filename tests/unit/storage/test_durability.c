/*
 * tests/unit/storage/test_durability.c: a forked child commits records
 * through store_write from several threads and reports each acknowledged id
 * over a pipe; the parent SIGKILLs it at a random moment, reopens the store
 * and checks that every acknowledged record and its index entry survived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/store.h"

#define ROUNDS 8
#define CHILD_THREADS 4
/* ids are "r<round>-<thread>-<seq>", fixed width */
#define ID_LEN 16
#define MAX_ACKED 200000

static enum err ex_name(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	/* record is "name:<id>" */
	return store_keys_add(out, rec);
}

static const struct store_index_def idx[] = {{"name", true, ex_name, NULL}};
static const struct store_coll_def colls[] = {{"recs", idx, 1}};
static const struct store_schema schema = {colls, 1};

struct child_arg {
	struct store *s;
	int round, t, fd;
	pthread_mutex_t *mu;
};

struct one {
	const char *id, *rec;
};

static enum err put_cb(struct store_wtxn *w, void *arg)
{
	struct one *o = arg;

	return store_create(w, "recs", str_from(o->id), str_from(o->rec));
}

static void *child_thread(void *p)
{
	struct child_arg *c = p;
	char id[ID_LEN + 2], rec[ID_LEN + 8];

	for (int seq = 0; seq < 1000000; seq++) {
		struct one o = {id, rec};

		snprintf(id, sizeof(id), "r%01d-%01d-%011d", c->round, c->t, seq);
		snprintf(rec, sizeof(rec), "name:%s", id);
		if (store_write(c->s, put_cb, &o, NULL) != SE_OK)
			_exit(3);
		/* acknowledged: durable now; report it */
		id[ID_LEN] = '\n';
		pthread_mutex_lock(c->mu);
		if (write(c->fd, id, ID_LEN + 1) != ID_LEN + 1)
			_exit(4);
		pthread_mutex_unlock(c->mu);
	}
	return NULL;
}

static void run_child(const char *dir, int round, int fd)
{
	struct child_arg args[CHILD_THREADS];
	pthread_t th[CHILD_THREADS];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct store *s;

	if (store_open(dir, &schema, NULL, &s, NULL) != SE_OK)
		_exit(2);
	for (int i = 0; i < CHILD_THREADS; i++) {
		args[i] = (struct child_arg){s, round, i, fd, &mu};
		pthread_create(&th[i], NULL, child_thread, &args[i]);
	}
	for (int i = 0; i < CHILD_THREADS; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check(struct store *s, const char *ids, size_t n)
{
	struct store_txn *t;

	assert_int_equal(store_read_begin(s, &t), SE_OK);
	for (size_t i = 0; i < n; i++) {
		char id[ID_LEN + 1], rec[ID_LEN + 8];
		struct str got, gid;
		size_t k = 0;

		memcpy(id, ids + i * ID_LEN, ID_LEN);
		id[ID_LEN] = '\0';
		snprintf(rec, sizeof(rec), "name:%s", id);
		if (store_get(t, "recs", str_from(id), &got) != SE_OK)
			fail_msg("acknowledged record '%s' lost", id);
		assert_true(str_eq_cstr(got, rec));
		assert_int_equal(
		    store_index_find(t, "recs", "name", str_from(rec), &gid, 1, &k, NULL), SE_OK);
		assert_int_equal(k, 1);
		assert_true(str_eq_cstr(gid, id));
	}
	store_read_end(t);
}

static void test_sigkill_rounds(void **state)
{
	char dir[] = "/tmp/sol-dur-XXXXXX", p[128];
	char *acked = malloc((size_t)MAX_ACKED * ID_LEN);
	size_t n_acked = 0;
	struct store *s;

	(void)state;
	assert_non_null(acked);
	assert_non_null(mkdtemp(dir));
	for (int round = 0; round < ROUNDS; round++) {
		int fds[2], status;
		unsigned r = 0;
		char line[ID_LEN + 1], rbuf[4096];
		size_t have = 0;
		long kill_at, start = now_ms();
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			run_child(dir, round, fds[1]);
		}
		close(fds[1]);
		assert_int_equal(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
		kill_at = start + 50 + (long)(r % 400);
		/* read acks until the kill time, then kill, then drain */
		for (int killed = 0;;) {
			struct pollfd pfd = {fds[0], POLLIN, 0};
			ssize_t got;

			if (!killed && now_ms() >= kill_at) {
				kill(pid, SIGKILL);
				killed = 1;
			}
			if (now_ms() - start > 10000)
				fail_msg("round %d: child did not stop", round);
			if (poll(&pfd, 1, 10) <= 0)
				continue;
			got = read(fds[0], rbuf, sizeof(rbuf));
			if (got <= 0)
				break;
			for (ssize_t i = 0; i < got; i++) {
				if (rbuf[i] != '\n') {
					if (have < ID_LEN)
						line[have++] = rbuf[i];
					continue;
				}
				assert_int_equal(have, ID_LEN);
				if (n_acked < MAX_ACKED)
					memcpy(acked + n_acked++ * ID_LEN, line, ID_LEN);
				have = 0;
			}
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		assert_int_equal(store_open(dir, &schema, NULL, &s, NULL), SE_OK);
		check(s, acked, n_acked);
		store_close(s);
	}
	print_message("durability: %zu acknowledged records verified over %d kills\n", n_acked,
	              ROUNDS);
	assert_true(n_acked > 0);
	free(acked);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	remove(p);
	remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill_rounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
