/*
 * tests/unit/storage/test_queue.c: due times, leases, backoff, dead letters
 * and stale lease tokens of storage/queue.h, with an explicit clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/mem.h"
#include "storage/queue.h"
#include "storage/store.h"

static const struct store_coll_def colls[] = {QUEUE_COLL_DEF};
static const struct store_schema schema = {colls, 1};

static const struct queue_def QA = {"deliver", 1000, 8000, 4};
static const struct queue_def QB = {"push", 10, 10, 1};

struct fx {
	char dir[64];
	struct store *s;
	struct arena a;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_opts o = {.no_sync = true};

	memcpy(f->dir, "/tmp/sol-queue-XXXXXX", 22);
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(f->dir, &schema, &o, &f->s, NULL), SE_OK);
	arena_init(&f->a, 1 << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	store_close(f->s);
	arena_release(&f->a);
	snprintf(p, sizeof(p), "%s/data.mdb", f->dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", f->dir);
	remove(p);
	remove(f->dir);
	mem_free(f);
	return 0;
}

struct enq {
	const struct queue_def *q;
	const char *payload;
	int64_t now, due;
	char id[ULID_LEN + 1];
};

static enum err enq_cb(struct store_wtxn *w, void *arg)
{
	struct enq *e = arg;

	return queue_enqueue(w, e->q, str_from(e->payload), e->now, e->due, e->id);
}

static void enqueue(struct fx *f, const struct queue_def *q, const char *payload, int64_t due,
                    char *id_out)
{
	struct enq e = {q, payload, 1, due, ""};

	assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_OK);
	if (id_out)
		memcpy(id_out, e.id, sizeof(e.id));
}

static enum err claim(struct fx *f, const struct queue_def *q, int64_t now, int64_t lease,
                      struct queue_item *it)
{
	return queue_claim_one(f->s, q, now, lease, &f->a, it, NULL);
}

static void test_due_order(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *payload;
		int64_t due;
	} items[] = {{"c", 300}, {"a", 100}, {"b", 200}, {"d", 100000}};
	static const struct {
		int64_t now;
		enum err want;
		const char *payload;
	} claims[] = {
	    {50, SE_NOT_FOUND, NULL},  {100, SE_OK, "a"},
	    {150, SE_NOT_FOUND, NULL}, {400, SE_OK, "b"},
	    {400, SE_OK, "c"},         {400, SE_NOT_FOUND, NULL},
	    {100000, SE_OK, "d"},      {100000, SE_NOT_FOUND, NULL},
	};
	struct queue_item it;
	struct store_txn *t;
	size_t n;

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		enqueue(f, &QA, items[i].payload, items[i].due, NULL);
	/* another queue's items are invisible */
	enqueue(f, &QB, "other", 0, NULL);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &QA, &n), SE_OK);
	assert_int_equal(n, 4);
	store_read_end(t);
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		enum err rc = claim(f, &QA, claims[i].now, 1000000, &it);

		if (rc != claims[i].want)
			fail_msg("claim %zu: %s", i, err_type(rc));
		if (rc)
			continue;
		assert_true(str_eq_cstr(it.payload, claims[i].payload));
		assert_int_equal(it.attempts, 1);
		assert_int_equal(it.due, claims[i].now + 1000000);
		assert_int_equal(queue_ack_one(f->s, &QA, it.id, it.token, NULL), SE_OK);
	}
	assert_int_equal(claim(f, &QB, 0, 10, &it), SE_OK);
	assert_true(str_eq_cstr(it.payload, "other"));
}

static void test_lease_expiry_and_stale_token(void **state)
{
	struct fx *f = *state;
	struct queue_item a, b;
	bool dead = true;

	enqueue(f, &QA, "job", 0, NULL);
	assert_int_equal(claim(f, &QA, 10, 100, &a), SE_OK);
	/* leased until 110 */
	assert_int_equal(claim(f, &QA, 109, 100, &b), SE_NOT_FOUND);
	/* the worker died: claimable again after the lease */
	assert_int_equal(claim(f, &QA, 110, 100, &b), SE_OK);
	assert_string_equal(a.id, b.id);
	assert_int_equal(b.attempts, 2);
	assert_true(a.token != b.token);
	/* the first worker comes back with its old token */
	assert_int_equal(queue_ack_one(f->s, &QA, a.id, a.token, NULL), SE_BUSY);
	assert_int_equal(queue_retry_one(f->s, &QA, a.id, a.token, 111, STR_LIT("x"), &dead, NULL),
	                 SE_BUSY);
	assert_int_equal(queue_ack_one(f->s, &QA, b.id, 0, NULL), SE_BUSY);
	assert_int_equal(queue_ack_one(f->s, &QB, b.id, b.token, NULL), SE_NOT_FOUND);
	assert_int_equal(queue_ack_one(f->s, &QA, b.id, b.token, NULL), SE_OK);
	assert_int_equal(queue_ack_one(f->s, &QA, b.id, b.token, NULL), SE_NOT_FOUND);
}

static void test_backoff_and_dead_letter(void **state)
{
	struct fx *f = *state;
	/* QA: base 1000, cap 8000, 4 attempts */
	static const int64_t delays[] = {1000, 2000, 4000};
	struct queue_item it, dl[4];
	struct store_txn *t;
	int64_t now = 1000;
	bool dead = false;
	size_t n;
	char id[ULID_LEN + 1];

	enqueue(f, &QA, "flaky", now, id);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(claim(f, &QA, now, 50, &it), SE_OK);
		assert_int_equal(it.attempts, i + 1);
		assert_int_equal(queue_retry_one(f->s, &QA, it.id, it.token, now + 10,
		                                 STR_LIT("503 from remote"), &dead, NULL),
		                 SE_OK);
		assert_false(dead);
		assert_int_equal(claim(f, &QA, now + 10 + delays[i] - 1, 50, &it), SE_NOT_FOUND);
		now = now + 10 + delays[i];
	}
	assert_int_equal(claim(f, &QA, now, 50, &it), SE_OK);
	assert_true(str_eq_cstr(it.error, "503 from remote"));
	assert_int_equal(
	    queue_retry_one(f->s, &QA, it.id, it.token, now, STR_LIT("gone"), &dead, NULL), SE_OK);
	assert_true(dead);
	assert_int_equal(claim(f, &QA, now + 1000000, 50, &it), SE_NOT_FOUND);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_dead_list(t, &QA, NULL, dl, 4, &n), SE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(dl[0].id, id);
	assert_true(str_eq_cstr(dl[0].payload, "flaky"));
	assert_true(str_eq_cstr(dl[0].error, "gone"));
	assert_int_equal(queue_dead_list(t, &QA, id, dl, 4, &n), SE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(queue_dead_list(t, &QB, NULL, dl, 4, &n), SE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(queue_pending_count(t, &QA, &n), SE_OK);
	assert_int_equal(n, 0);
	store_read_end(t);
}

struct rq {
	const char *id;
	int64_t now;
	const struct queue_def *q;
};

static enum err requeue_cb(struct store_wtxn *w, void *arg)
{
	struct rq *r = arg;

	return queue_dead_requeue(w, r->q, r->id, r->now);
}

static void test_requeue(void **state)
{
	struct fx *f = *state;
	struct queue_item it;
	char id[ULID_LEN + 1];
	struct rq r = {id, 500, &QB};
	bool dead = false;

	/* QB: one attempt, then dead */
	enqueue(f, &QB, "p", 0, id);
	assert_int_equal(store_write(f->s, requeue_cb, &r, NULL), SE_NOT_FOUND);
	assert_int_equal(claim(f, &QB, 0, 5, &it), SE_OK);
	assert_int_equal(queue_retry_one(f->s, &QB, it.id, it.token, 1, STR_NULL, &dead, NULL),
	                 SE_OK);
	assert_true(dead);
	r.q = &QA;
	assert_int_equal(store_write(f->s, requeue_cb, &r, NULL), SE_NOT_FOUND);
	r.q = &QB;
	assert_int_equal(store_write(f->s, requeue_cb, &r, NULL), SE_OK);
	assert_int_equal(claim(f, &QB, 499, 5, &it), SE_NOT_FOUND);
	assert_int_equal(claim(f, &QB, 500, 5, &it), SE_OK);
	assert_int_equal(it.attempts, 1);
	assert_int_equal(queue_ack_one(f->s, &QB, it.id, it.token, NULL), SE_OK);
}

static void test_invalid(void **state)
{
	struct fx *f = *state;
	static const struct queue_def bad[] = {
	    {"", 1, 1, 1},
	    {NULL, 1, 1, 1},
	    {"x", 10, 5, 1},
	    {"x", 1, 1, 0},
	    {"this-queue-name-is-far-too-long-for-a-key", 1, 1, 1},
	};
	struct enq e = {&QA, "x", 1, -1, ""};
	struct queue_item it;

	assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_INVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = (struct enq){&bad[i], "x", 1, 1, ""};
		assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_INVAL);
		assert_int_equal(claim(f, &bad[i], 1, 1, &it), SE_INVAL);
	}
}

struct at_arg {
	const char *id;
	uint64_t token;
	int64_t now, due;
	bool defer, dead;
};

static enum err at_cb(struct store_wtxn *w, void *arg)
{
	struct at_arg *a = arg;

	if (a->defer)
		return queue_defer(w, &QA, a->id, a->token, a->due);
	return queue_retry_at(w, &QA, a->id, a->token, a->now, a->due, STR_LIT("later"), &a->dead);
}

static int64_t next_due(struct fx *f, enum err *rc)
{
	struct store_txn *t;
	int64_t due = -1;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	*rc = queue_next_due(t, &QA, &due);
	store_read_end(t);
	return due;
}

static void test_retry_at_and_defer(void **state)
{
	struct fx *f = *state;
	struct queue_item it;
	struct at_arg a;
	char id[ULID_LEN + 1];
	enum err rc;

	assert_int_equal(next_due(f, &rc), -1);
	assert_int_equal(rc, SE_NOT_FOUND);
	enqueue(f, &QA, "x", 100, id);
	assert_int_equal(next_due(f, &rc), 100);
	assert_int_equal(claim(f, &QA, 100, 50, &it), SE_OK);
	/* a claimed item is due at its lease end */
	assert_int_equal(next_due(f, &rc), 150);
	/* explicit due time far beyond the queue's own backoff (cap 8000) */
	a = (struct at_arg){it.id, it.token, 110, 90000, false, true};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_OK);
	assert_false(a.dead);
	assert_int_equal(next_due(f, &rc), 90000);
	assert_int_equal(claim(f, &QA, 89999, 50, &it), SE_NOT_FOUND);
	/* stale token refused */
	a = (struct at_arg){id, it.token + 7, 110, 200, false, false};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_BUSY);
	assert_int_equal(claim(f, &QA, 90000, 50, &it), SE_OK);
	assert_int_equal(it.attempts, 2);
	assert_true(str_eq_cstr(it.error, "later"));
	/* due before now is refused */
	a = (struct at_arg){it.id, it.token, 90010, 90009, false, false};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_INVAL);
	/* defer does not count the claim: attempts stays 2 after the next claim... */
	a = (struct at_arg){it.id, it.token, 0, 95000, true, false};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_OK);
	assert_int_equal(next_due(f, &rc), 95000);
	assert_int_equal(claim(f, &QA, 94999, 50, &it), SE_NOT_FOUND);
	assert_int_equal(claim(f, &QA, 95000, 50, &it), SE_OK);
	assert_int_equal(it.attempts, 2);
	/* ...and the last error survives a defer */
	assert_true(str_eq_cstr(it.error, "later"));
	/* QA allows 4 attempts: the 3rd and 4th retry_at, then dead */
	a = (struct at_arg){it.id, it.token, 95000, 96000, false, true};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_OK);
	assert_false(a.dead);
	assert_int_equal(claim(f, &QA, 96000, 50, &it), SE_OK);
	assert_int_equal(it.attempts, 3);
	a = (struct at_arg){it.id, it.token, 96000, 97000, false, true};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_OK);
	assert_int_equal(claim(f, &QA, 97000, 50, &it), SE_OK);
	assert_int_equal(it.attempts, 4);
	a = (struct at_arg){it.id, it.token, 97000, 98000, false, false};
	assert_int_equal(store_write(f->s, at_cb, &a, NULL), SE_OK);
	assert_true(a.dead);
	assert_int_equal(next_due(f, &rc), -1);
	assert_int_equal(rc, SE_NOT_FOUND);
}

struct multi_arg {
	struct queue_item it[4];
	enum err rc[4];
};

static enum err multi_cb(struct store_wtxn *w, void *arg)
{
	struct multi_arg *m = arg;

	for (int i = 0; i < 4; i++)
		m->rc[i] = queue_claim(w, &QA, 500, 1000, &m->it[i]);
	return SE_OK;
}

/* several claims in one write: each item once, then nothing (ids were garbled once) */
static void test_claim_many_in_one_write(void **state)
{
	struct fx *f = *state;
	struct multi_arg m;
	char ids[3][ULID_LEN + 1];

	for (int i = 0; i < 3; i++)
		enqueue(f, &QA, "x", 100 + i, ids[i]);
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_write(f->s, multi_cb, &m, NULL), SE_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(m.rc[i], SE_OK);
		assert_string_equal(m.it[i].id, ids[i]);
	}
	assert_int_equal(m.rc[3], SE_NOT_FOUND);
}

static void test_oom_claim(void **state)
{
	struct fx *f = *state;
	struct queue_item it;
	enum err rc = SE_NOMEM;
	unsigned long i;

	enqueue(f, &QA, "oom", 0, NULL);
	/* each failure must leave the item unclaimed (attempts stays 0) */
	for (i = 1; i < 100 && rc == SE_NOMEM; i++) {
		mem_fail_at(i, 0);
		rc = claim(f, &QA, 10, 5, &it);
		mem_fail_at(0, 0);
	}
	assert_int_equal(rc, SE_OK);
	assert_int_equal(it.attempts, 1);
	assert_true(str_eq_cstr(it.payload, "oom"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_due_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_expiry_and_stale_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backoff_and_dead_letter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requeue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_at_and_defer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_many_in_one_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_claim, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
