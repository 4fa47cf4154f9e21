/*
 * tests/unit/storage/test_store.c: records, index maintenance, unique
 * violations (also racing threads), range scans, map growth, group commit,
 * backup and error paths of storage/store.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/ulid.h"
#include "storage/store.h"

/* ---- schema: users "name\ttag,tag", msgs "channel\tbody" ---- */

static enum err ex_username(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	long tab = str_index(rec, '\t');

	(void)id;
	(void)arg;
	if (tab <= 0)
		return tab == 0 ? SE_OK : SE_PARSE;
	return store_keys_add(out, (struct str){rec.p, (size_t)tab});
}

static enum err ex_tags(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	long tab = str_index(rec, '\t');
	struct str rest;
	enum err rc = SE_OK;

	(void)id;
	(void)arg;
	if (tab < 0)
		return SE_PARSE;
	rest = (struct str){rec.p + tab + 1, rec.n - (size_t)tab - 1};
	while (rest.n && !rc) {
		struct str t = str_cut(&rest, ',');

		if (t.n)
			rc = store_keys_add(out, t);
	}
	return rc;
}

static enum err ex_chan(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	long tab = str_index(rec, '\t');
	struct store_key k;
	struct ulid u;
	enum err rc;

	(void)arg;
	if (tab < 0)
		return SE_PARSE;
	rc = ulid_parse(id, &u, NULL);
	if (!rc)
		rc = store_key_compose((struct str){rec.p, (size_t)tab}, &u, &k);
	if (!rc)
		rc = store_keys_add(out, (struct str){k.b, k.n});
	return rc;
}

static const struct store_index_def user_idx[] = {
    {"username", true, ex_username, NULL},
    {"tag", false, ex_tags, NULL},
};
static const struct store_index_def msg_idx[] = {
    {"chan", false, ex_chan, NULL},
};
static const struct store_coll_def colls[] = {
    {"users", user_idx, 2},
    {"msgs", msg_idx, 1},
};
static const struct store_schema schema = {colls, 2};

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct store *s;
};

static void rm_dir(const char *dir)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	remove(p);
	remove(dir);
}

static struct fx *fx_open(size_t map)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_opts o = {.map_size = map};
	struct err_info ei = ERR_INFO_INIT;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/sol-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (store_open(f->dir, &schema, &o, &f->s, &ei) != SE_OK)
		fail_msg("open: %s", ei.detail);
	return f;
}

static void fx_close(struct fx *f)
{
	store_close(f->s);
	rm_dir(f->dir);
	free(f);
}

static int setup(void **state)
{
	*state = fx_open(0);
	return 0;
}

static int teardown(void **state)
{
	fx_close(*state);
	return 0;
}

/* ---- a write made of a list of ops ---- */

enum opk { OP_CREATE, OP_PUT, OP_UPDATE, OP_DELETE, OP_FAIL };

struct op {
	enum opk k;
	const char *coll, *id, *rec;
};

struct ops {
	const struct op *v;
	size_t n;
	bool ignore_errors; /* keep going and return SE_OK */
	int runs;
};

static enum err ops_cb(struct store_wtxn *w, void *arg)
{
	struct ops *o = arg;
	enum err rc = SE_OK;

	o->runs++;
	for (size_t i = 0; i < o->n; i++) {
		const struct op *p = &o->v[i];
		struct str id = str_from(p->id), rec = str_from(p->rec);

		switch (p->k) {
		case OP_CREATE:
			rc = store_create(w, p->coll, id, rec);
			break;
		case OP_PUT:
			rc = store_put(w, p->coll, id, rec);
			break;
		case OP_UPDATE:
			rc = store_update(w, p->coll, id, rec);
			break;
		case OP_DELETE:
			rc = store_delete(w, p->coll, id);
			break;
		case OP_FAIL:
			rc = SE_INVAL;
			break;
		}
		if (rc && !o->ignore_errors)
			return rc;
	}
	return SE_OK;
}

static enum err run1(struct store *s, enum opk k, const char *coll, const char *id, const char *rec)
{
	struct op op = {k, coll, id, rec};
	struct ops o = {&op, 1, false, 0};

	return store_write(s, ops_cb, &o, NULL);
}

/* "" when absent */
static void expect_rec(struct store *s, const char *coll, const char *id, const char *want)
{
	struct store_txn *t;
	struct str rec;
	enum err rc;

	assert_int_equal(store_read_begin(s, &t), SE_OK);
	rc = store_get(t, coll, str_from(id), &rec);
	if (!want[0]) {
		assert_int_equal(rc, SE_NOT_FOUND);
	} else {
		assert_int_equal(rc, SE_OK);
		assert_true(str_eq_cstr(rec, want));
	}
	store_read_end(t);
}

/* ids under key joined by ',' */
static void expect_idx(struct store *s, const char *index, const char *key, const char *want)
{
	struct store_txn *t;
	struct str ids[8];
	char got[256] = "";
	size_t n = 0;

	assert_int_equal(store_read_begin(s, &t), SE_OK);
	assert_int_equal(store_index_find(t, "users", index, str_from(key), ids, 8, &n, NULL),
	                 SE_OK);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(got, ",");
		strncat(got, ids[i].p, ids[i].n);
	}
	store_read_end(t);
	if (strcmp(got, want) != 0)
		fail_msg("index %s '%s': got '%s' want '%s'", index, key, got, want);
}

/* ---- tests ---- */

static void test_crud(void **state)
{
	struct fx *f = *state;
	static const struct {
		enum opk k;
		const char *id, *rec;
		enum err want;
		const char *after; /* record of id afterwards */
	} steps[] = {
	    {OP_CREATE, "u1", "alice\ta", SE_OK, "alice\ta"},
	    {OP_CREATE, "u1", "alice\tb", SE_EXISTS, "alice\ta"},
	    {OP_UPDATE, "u1", "alice\tb", SE_OK, "alice\tb"},
	    {OP_UPDATE, "u2", "bob\t", SE_NOT_FOUND, ""},
	    {OP_PUT, "u2", "bob\t", SE_OK, "bob\t"},
	    {OP_PUT, "u2", "bobby\t", SE_OK, "bobby\t"},
	    {OP_DELETE, "u2", NULL, SE_OK, ""},
	    {OP_DELETE, "u2", NULL, SE_NOT_FOUND, ""},
	    {OP_CREATE, "", "x\t", SE_TOO_LARGE, ""},
	    {OP_CREATE, "u3", "no-tab", SE_PARSE, ""},
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum err rc = run1(f->s, steps[i].k, "users", steps[i].id, steps[i].rec);

		if (rc != steps[i].want)
			fail_msg("step %zu: got %s", i, err_type(rc));
		if (steps[i].id[0])
			expect_rec(f->s, "users", steps[i].id, steps[i].after);
	}
	assert_int_equal(run1(f->s, OP_CREATE, "nope", "x", "y"), SE_INVAL);
}

static void test_index_maintenance(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	size_t n;

	assert_int_equal(run1(f->s, OP_CREATE, "users", "u1", "alice\ta,b"), SE_OK);
	assert_int_equal(run1(f->s, OP_CREATE, "users", "u2", "bob\tb"), SE_OK);
	expect_idx(f->s, "username", "alice", "u1");
	expect_idx(f->s, "tag", "b", "u1,u2");
	assert_int_equal(run1(f->s, OP_UPDATE, "users", "u1", "alicia\tb,c,c"), SE_OK);
	expect_idx(f->s, "username", "alice", "");
	expect_idx(f->s, "username", "alicia", "u1");
	expect_idx(f->s, "tag", "a", "");
	expect_idx(f->s, "tag", "b", "u1,u2");
	expect_idx(f->s, "tag", "c", "u1");
	/* the freed name can be taken by someone else */
	assert_int_equal(run1(f->s, OP_UPDATE, "users", "u2", "alice\t"), SE_OK);
	expect_idx(f->s, "username", "alice", "u2");
	expect_idx(f->s, "tag", "b", "u1");
	assert_int_equal(run1(f->s, OP_DELETE, "users", "u1", NULL), SE_OK);
	assert_int_equal(run1(f->s, OP_DELETE, "users", "u2", NULL), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	for (int i = 0; i < 3; i++) {
		static const char *const idx[] = {NULL, "username", "tag"};

		assert_int_equal(store_count(t, "users", idx[i], &n), SE_OK);
		assert_int_equal(n, 0);
	}
	assert_int_equal(store_count(t, "users", "nope", &n), SE_INVAL);
	store_read_end(t);
}

static void test_unique_violation_atomic(void **state)
{
	struct fx *f = *state;
	static const struct op batch_fail[] = {
	    {OP_CREATE, "users", "u7", "carol\t"},
	    {OP_CREATE, "users", "u8", "alice\tz"},
	};
	struct ops o = {batch_fail, 2, false, 0};
	struct err_info ei = ERR_INFO_INIT;

	assert_int_equal(run1(f->s, OP_CREATE, "users", "u1", "alice\ta"), SE_OK);
	assert_int_equal(run1(f->s, OP_CREATE, "users", "u2", "alice\tb"), SE_EXISTS);
	expect_rec(f->s, "users", "u2", "");
	expect_idx(f->s, "tag", "b", "");
	assert_int_equal(run1(f->s, OP_CREATE, "users", "u2", "bob\tb"), SE_OK);
	assert_int_equal(run1(f->s, OP_UPDATE, "users", "u2", "alice\tb"), SE_EXISTS);
	expect_rec(f->s, "users", "u2", "bob\tb");
	/* a failing write rolls back all of its ops */
	assert_int_equal(store_write(f->s, ops_cb, &o, &ei), SE_EXISTS);
	assert_non_null(strstr(ei.detail, "username"));
	expect_rec(f->s, "users", "u7", "");
	expect_idx(f->s, "username", "carol", "");
	/* a failed op changes nothing even if the write goes on */
	o.ignore_errors = true;
	assert_int_equal(store_write(f->s, ops_cb, &o, NULL), SE_OK);
	expect_rec(f->s, "users", "u7", "carol\t");
	expect_rec(f->s, "users", "u8", "");
	expect_idx(f->s, "tag", "z", "");
	expect_idx(f->s, "username", "alice", "u1");
}

#define RACE_THREADS 8
#define RACE_ROUNDS 40

struct race {
	struct store *s;
	int t;
	int won[RACE_ROUNDS];
	pthread_barrier_t *bar;
};

static void *race_main(void *p)
{
	struct race *r = p;
	char id[32], rec[32];

	for (int i = 0; i < RACE_ROUNDS; i++) {
		snprintf(id, sizeof(id), "r%d-%d", i, r->t);
		snprintf(rec, sizeof(rec), "name%d\t", i);
		pthread_barrier_wait(r->bar);
		r->won[i] = run1(r->s, OP_CREATE, "users", id, rec) == SE_OK;
	}
	return NULL;
}

static void test_unique_race(void **state)
{
	struct fx *f = *state;
	static struct race rs[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	pthread_barrier_t bar;
	struct store_txn *t;
	size_t n;

	pthread_barrier_init(&bar, NULL, RACE_THREADS);
	for (int i = 0; i < RACE_THREADS; i++) {
		rs[i] = (struct race){f->s, i, {0}, &bar};
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &rs[i]), 0);
	}
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	for (int r = 0; r < RACE_ROUNDS; r++) {
		int wins = 0;

		for (int i = 0; i < RACE_THREADS; i++)
			wins += rs[i].won[r];
		assert_int_equal(wins, 1);
	}
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_count(t, "users", NULL, &n), SE_OK);
	assert_int_equal(n, RACE_ROUNDS);
	assert_int_equal(store_count(t, "users", "username", &n), SE_OK);
	assert_int_equal(n, RACE_ROUNDS);
	store_read_end(t);
}

/* ---- range scans ---- */

#define CHAN_A "01AAAAAAAAAAAAAAAAAAAAAAAA"
#define CHAN_B "01BBBBBBBBBBBBBBBBBBBBBBBB"
#define NMSG 50

static char msg_ids[NMSG][ULID_LEN + 1];

struct msgs_arg {
	int from, to;
	const char *chan;
};

static enum err msgs_cb(struct store_wtxn *w, void *arg)
{
	struct msgs_arg *m = arg;
	char rec[64];
	enum err rc = SE_OK;

	for (int i = m->from; i < m->to && !rc; i++) {
		snprintf(rec, sizeof(rec), "%s\tmsg %d", m->chan, i);
		rc = store_create(w, "msgs", str_from(msg_ids[i]), str_from(rec));
	}
	return rc;
}

static void load_msgs(struct store *s)
{
	static const uint8_t rnd[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	struct msgs_arg a = {0, NMSG, CHAN_A}, b = {NMSG - 5, NMSG, CHAN_B};
	struct ulid u;

	for (int i = 0; i < NMSG; i++) {
		assert_int_equal(ulid_from_parts(1000 + (uint64_t)i, rnd, &u), SE_OK);
		ulid_encode(&u, msg_ids[i]);
	}
	/* channel A: messages 0..44, channel B: 45..49 */
	a.to = NMSG - 5;
	assert_int_equal(store_write(s, msgs_cb, &a, NULL), SE_OK);
	assert_int_equal(store_write(s, msgs_cb, &b, NULL), SE_OK);
}

static void test_range_scans(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *chan;
		int after, before; /* message index, -1: unbounded */
		enum store_dir dir;
		size_t limit;
		int first; /* index of the first hit, -1: none */
		size_t count;
	} cases[] = {
	    {CHAN_A, -1, -1, STORE_DESC, 10, 44, 10},
	    {CHAN_A, -1, 20, STORE_DESC, 10, 19, 10},
	    {CHAN_A, -1, 3, STORE_DESC, 10, 2, 3},
	    {CHAN_A, -1, 0, STORE_DESC, 10, -1, 0},
	    {CHAN_A, -1, -1, STORE_ASC, 10, 0, 10},
	    {CHAN_A, 20, -1, STORE_ASC, 10, 21, 10},
	    {CHAN_A, 40, -1, STORE_ASC, 10, 41, 4},
	    {CHAN_A, 44, -1, STORE_ASC, 10, -1, 0},
	    {CHAN_A, 10, 15, STORE_ASC, 10, 11, 4},
	    {CHAN_A, 10, 15, STORE_DESC, 10, 14, 4},
	    {CHAN_A, 10, 11, STORE_DESC, 10, -1, 0},
	    {CHAN_A, -1, -1, STORE_ASC, 100, 0, 45},
	    {CHAN_B, -1, -1, STORE_DESC, 100, 49, 5},
	    {CHAN_B, -1, -1, STORE_ASC, 100, 45, 5},
	    {CHAN_B, -1, 46, STORE_DESC, 100, 45, 1},
	    {CHAN_B, 3, -1, STORE_ASC, 2, 45, 2},
	    {"01CCCCCCCCCCCCCCCCCCCCCCCC", -1, -1, STORE_DESC, 10, -1, 0},
	    {"01CCCCCCCCCCCCCCCCCCCCCCCC", -1, -1, STORE_ASC, 10, -1, 0},
	    {"", -1, -1, STORE_DESC, 3, 49, 3},
	};
	struct store_hit hits[100];
	struct store_txn *t;

	load_msgs(f->s);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct store_range r = {str_from(cases[c].chan), STR_NULL, STR_NULL, cases[c].dir};
		size_t n = 999;

		if (cases[c].after >= 0)
			r.after = (struct str){msg_ids[cases[c].after], ULID_LEN};
		if (cases[c].before >= 0)
			r.before = (struct str){msg_ids[cases[c].before], ULID_LEN};
		assert_int_equal(store_index_scan(t, "msgs", "chan", &r, hits, cases[c].limit, &n),
		                 SE_OK);
		if (n != cases[c].count)
			fail_msg("case %zu: %zu hits, want %zu", c, n, cases[c].count);
		for (size_t i = 0; i < n; i++) {
			int step = cases[c].dir == STORE_ASC ? 1 : -1;
			int want = cases[c].first + step * (int)i;

			assert_true(str_eq_cstr(hits[i].id, msg_ids[want]));
			assert_int_equal(hits[i].key.n, 2 * ULID_LEN);
		}
	}
	store_read_end(t);
}

/* ---- map growth, group commit ---- */

#define GC_THREADS 32
#define GC_PER 100

struct gc {
	struct store *s;
	int t;
	int fails;
	size_t rec_len;
};

static void *gc_main(void *p)
{
	struct gc *g = p;
	char id[32], *rec = malloc(g->rec_len + 1);

	memset(rec, ',', g->rec_len);
	rec[g->rec_len] = '\0';
	for (int i = 0; i < GC_PER; i++) {
		snprintf(id, sizeof(id), "g%02d-%04d", g->t, i);
		memcpy(rec, id, strlen(id));
		rec[strlen(id)] = '\t';
		if (run1(g->s, OP_CREATE, "users", id, rec) != SE_OK)
			g->fails++;
	}
	free(rec);
	return NULL;
}

static void run_gc(struct store *s, size_t rec_len)
{
	static struct gc gs[GC_THREADS];
	pthread_t th[GC_THREADS];
	struct store_txn *t;
	struct store_stats st;
	size_t n;

	for (int i = 0; i < GC_THREADS; i++) {
		gs[i] = (struct gc){s, i, 0, rec_len};
		assert_int_equal(pthread_create(&th[i], NULL, gc_main, &gs[i]), 0);
	}
	for (int i = 0; i < GC_THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < GC_THREADS; i++)
		assert_int_equal(gs[i].fails, 0);
	assert_int_equal(store_read_begin(s, &t), SE_OK);
	assert_int_equal(store_count(t, "users", NULL, &n), SE_OK);
	assert_int_equal(n, GC_THREADS * GC_PER);
	assert_int_equal(store_count(t, "users", "username", &n), SE_OK);
	assert_int_equal(n, GC_THREADS * GC_PER);
	store_read_end(t);
	store_stats_get(s, &st);
	assert_int_equal(st.writes, GC_THREADS * GC_PER);
	assert_true(st.commits <= st.writes);
}

static void test_group_commit(void **state)
{
	struct fx *f = *state;
	struct store_stats st;

	run_gc(f->s, 40);
	store_stats_get(f->s, &st);
	/* many writers share commits */
	assert_true(st.commits < st.writes);
}

static void test_map_growth(void **state)
{
	struct fx *f = fx_open(64 << 10);
	struct store_stats st;

	(void)state;
	run_gc(f->s, 2000);
	store_stats_get(f->s, &st);
	assert_true(st.grows > 0);
	assert_true(st.map_size > (64 << 10));
	fx_close(f);
}

/* ---- error paths ---- */

static enum err bad_ops_cb(struct store_wtxn *w, void *arg)
{
	char big[STORE_ID_MAX + 2];
	enum err rc;

	(void)arg;
	memset(big, 'i', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_create(w, "users", str_from(big), STR_LIT("x\t")), SE_TOO_LARGE);
	assert_int_equal(store_get(store_wtxn_read(w), "nope", STR_LIT("x"), &(struct str){0}),
	                 SE_INVAL);
	rc = store_create(w, "users", STR_LIT("ok"), STR_LIT("okname\t"));
	if (rc)
		return rc;
	return SE_RAISEF(store_wtxn_ei(w), SE_NoEffect, "test: give up");
}

static void test_error_paths(void **state)
{
	struct fx *f = *state;
	struct err_info ei = ERR_INFO_INIT;
	struct store_keys ks = {0};
	struct store_key k;
	struct ulid u = {{0}};
	char longkey[STORE_KEY_MAX + 1];

	assert_int_equal(store_write(f->s, bad_ops_cb, NULL, &ei), SE_NoEffect);
	assert_string_equal(ei.detail, "test: give up");
	expect_rec(f->s, "users", "ok", "");
	memset(longkey, 'k', sizeof(longkey));
	assert_int_equal(store_keys_add(&ks, (struct str){longkey, sizeof(longkey)}), SE_TOO_LARGE);
	assert_int_equal(store_keys_add(&ks, STR_NULL), SE_TOO_LARGE);
	for (int i = 0; i < STORE_KEYS_MAX; i++)
		assert_int_equal(store_keys_add(&ks, STR_LIT("k")), SE_OK);
	assert_int_equal(store_keys_add(&ks, STR_LIT("k")), SE_FULL);
	assert_int_equal(store_key_compose((struct str){longkey, STORE_KEY_MAX - 10}, &u, &k),
	                 SE_TOO_LARGE);
	/* an extractor yielding too many keys fails the op */
	memset(longkey, ',', sizeof(longkey));
	memcpy(longkey, "many\t", 5);
	for (int i = 5; i < 200; i += 2)
		longkey[i] = 'a' + (char)(i % 26);
	longkey[200] = '\0';
	assert_int_equal(run1(f->s, OP_CREATE, "users", "many", longkey), SE_FULL);
	expect_rec(f->s, "users", "many", "");
}

static void test_bad_schema(void **state)
{
	static const struct store_coll_def dup[] = {{"a", NULL, 0}, {"a", NULL, 0}};
	static const struct store_index_def noext[] = {{"x", false, NULL, NULL}};
	static const struct store_coll_def bad_idx[] = {{"a", noext, 1}};
	static const struct store_schema cases[] = {{dup, 2}, {bad_idx, 1}, {NULL, 1}};
	struct store *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(store_open("/tmp/sol-never", &cases[i], NULL, &s, NULL), SE_INVAL);
	assert_null(s);
}

static void test_backup(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/sol-backup-XXXXXX";
	struct store *b = NULL;

	assert_int_equal(run1(f->s, OP_CREATE, "users", "u1", "alice\ta"), SE_OK);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_backup(f->s, dir, NULL), SE_OK);
	assert_int_equal(store_open(dir, &schema, NULL, &b, NULL), SE_OK);
	expect_rec(b, "users", "u1", "alice\ta");
	store_close(b);
	rm_dir(dir);
}

static void test_close_drains(void **state)
{
	struct fx *f = fx_open(0);

	(void)state;
	store_close(NULL);
	run_gc(f->s, 10);
	fx_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_maintenance, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unique_violation_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unique_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_scans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test(test_map_growth),
	    cmocka_unit_test_setup_teardown(test_error_paths, setup, teardown),
	    cmocka_unit_test(test_bad_schema),
	    cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	    cmocka_unit_test(test_close_drains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
