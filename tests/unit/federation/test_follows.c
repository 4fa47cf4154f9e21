/*
 * tests/unit/federation/test_follows.c: the ap_follows collection: add,
 * re-add (idempotent, state never lowered), accept, remove, lookup by
 * Follow activity id, paged lists per state with cursors, counts, and
 * hostile ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mem.h"
#include "federation/follows.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

static const struct store_coll_def colls[] = {FFOLLOW_COLL_DEF};
static const struct store_schema schema = {colls, 1};

static int setup(void **state)
{
	*state = tstore_open("follows", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

/* One write op, described by a struct so the tests read as tables. */
enum op_kind { OP_ADD, OP_ACCEPT, OP_REMOVE };
struct op {
	enum op_kind kind;
	const char *er, *ee, *act;
	enum ffollow_state st;
	bool created;
};

static enum err op_fn(struct store_wtxn *w, void *arg)
{
	struct op *o = arg;

	switch (o->kind) {
	case OP_ADD:
		return ffollow_add(w, str_from(o->er), str_from(o->ee), str_from(o->act), o->st,
		                   1000, &o->created);
	case OP_ACCEPT:
		return ffollow_accept(w, str_from(o->er), str_from(o->ee));
	case OP_REMOVE:
		return ffollow_remove(w, str_from(o->er), str_from(o->ee));
	}
	return SE_INVAL;
}

static enum err run(struct tstore *f, struct op *o)
{
	return store_write(f->s, op_fn, o, NULL);
}

static enum err get(struct tstore *f, const char *er, const char *ee, struct ffollow *out)
{
	struct store_txn *t = NULL;
	enum err rc = store_read_begin(f->s, &t);

	if (!rc)
		rc = ffollow_get(t, str_from(er), str_from(ee), out);
	store_read_end(t);
	return rc;
}

#define A "01AAAAAAAAAAAAAAAAAAAAAAAA"
#define B "01BBBBBBBBBBBBBBBBBBBBBBBB"
#define C "01CCCCCCCCCCCCCCCCCCCCCCCC"

static void test_lifecycle(void **state)
{
	struct tstore *f = *state;
	struct ffollow fo;
	struct op add = {OP_ADD, A, B, "https://r.example/f/1", FFOLLOW_PENDING, false};
	struct op again = {OP_ADD, A, B, "", FFOLLOW_PENDING, true};
	struct op acc = {OP_ACCEPT, A, B, NULL, FFOLLOW_PENDING, false};
	struct op rm = {OP_REMOVE, A, B, NULL, FFOLLOW_PENDING, false};

	assert_int_equal(get(f, A, B, &fo), SE_NOT_FOUND);
	assert_int_equal(run(f, &add), SE_OK);
	assert_true(add.created);
	assert_int_equal(get(f, A, B, &fo), SE_OK);
	assert_string_equal(fo.follower, A);
	assert_string_equal(fo.followee, B);
	assert_int_equal(fo.state, FFOLLOW_PENDING);
	assert_string_equal(fo.activity, "https://r.example/f/1");
	assert_int_equal(fo.created, 1000);
	/* the reverse direction is a different follow */
	assert_int_equal(get(f, B, A, &fo), SE_NOT_FOUND);
	/* replay: no second record; an empty activity keeps the old one */
	assert_int_equal(run(f, &again), SE_OK);
	assert_false(again.created);
	assert_int_equal(get(f, A, B, &fo), SE_OK);
	assert_string_equal(fo.activity, "https://r.example/f/1");
	assert_int_equal(run(f, &acc), SE_OK);
	assert_int_equal(get(f, A, B, &fo), SE_OK);
	assert_int_equal(fo.state, FFOLLOW_ACCEPTED);
	/* a new Follow of an accepted pair keeps it accepted, takes the new id */
	again.act = "https://r.example/f/2";
	assert_int_equal(run(f, &again), SE_OK);
	assert_int_equal(get(f, A, B, &fo), SE_OK);
	assert_int_equal(fo.state, FFOLLOW_ACCEPTED);
	assert_string_equal(fo.activity, "https://r.example/f/2");
	assert_int_equal(run(f, &rm), SE_OK);
	assert_int_equal(get(f, A, B, &fo), SE_NOT_FOUND);
	assert_int_equal(run(f, &rm), SE_NOT_FOUND);
	assert_int_equal(run(f, &acc), SE_NOT_FOUND);
}

static void test_by_activity(void **state)
{
	struct tstore *f = *state;
	struct store_txn *t = NULL;
	struct ffollow fo;
	struct op a1 = {OP_ADD, A, B, "https://r.example/f/1", FFOLLOW_PENDING, false};
	struct op a2 = {OP_ADD, C, B, "https://r.example/f/3", FFOLLOW_PENDING, false};
	struct op re = {OP_ADD, A, B, "https://r.example/f/9", FFOLLOW_PENDING, false};

	assert_int_equal(run(f, &a1), SE_OK);
	assert_int_equal(run(f, &a2), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(ffollow_by_activity(t, STR_LIT("https://r.example/f/1"), &fo), SE_OK);
	assert_string_equal(fo.follower, A);
	assert_int_equal(ffollow_by_activity(t, STR_LIT("https://r.example/f/3"), &fo), SE_OK);
	assert_string_equal(fo.follower, C);
	assert_int_equal(ffollow_by_activity(t, STR_LIT("https://r.example/f/2"), &fo),
	                 SE_NOT_FOUND);
	assert_int_equal(ffollow_by_activity(t, STR_NULL, &fo), SE_NOT_FOUND);
	store_read_end(t);
	/* a new Follow id replaces the old one in the index */
	assert_int_equal(run(f, &re), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(ffollow_by_activity(t, STR_LIT("https://r.example/f/1"), &fo),
	                 SE_NOT_FOUND);
	assert_int_equal(ffollow_by_activity(t, STR_LIT("https://r.example/f/9"), &fo), SE_OK);
	store_read_end(t);
}

static void test_hostile_ids(void **state)
{
	static const struct {
		const char *er, *ee;
		enum err want;
	} cases[] = {
	    {"", B, SE_INVAL},
	    {A, "", SE_INVAL},
	    {A, A, SE_INVAL},
	    {"a/b", B, SE_INVAL},
	    {A, "x|y", SE_INVAL},
	    {"sp ace", B, SE_INVAL},
	    {"0123456789012345678901234567890123456789012345678901234567890123456789", B, SE_INVAL},
	};
	struct tstore *f = *state;
	char big[FFOLLOW_ACTIVITY_MAX + 10];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct op o = {OP_ADD, cases[i].er, cases[i].ee, "", FFOLLOW_PENDING, false};

		if (run(f, &o) != cases[i].want)
			fail_msg("case %zu", i);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		struct op o = {OP_ADD, A, B, big, FFOLLOW_PENDING, false};

		assert_int_equal(run(f, &o), SE_TOO_LARGE);
	}
}

/* 25 followers of B (half accepted), walked in pages of 7 per state. */
static void test_lists(void **state)
{
	struct tstore *f = *state;
	struct store_txn *t = NULL;
	struct ffollow *page = xcalloc(FFOLLOW_PAGE_MAX, sizeof(*page));
	char ids[25][27];
	size_t n, total, count;
	bool more;

	for (int i = 0; i < 25; i++) {
		struct op o = {OP_ADD, ids[i], B, "", i % 2 ? FFOLLOW_ACCEPTED : FFOLLOW_PENDING,
		               false};

		snprintf(ids[i], sizeof(ids[i]), "01F%023d", i);
		assert_int_equal(run(f, &o), SE_OK);
	}
	/* B follows 3 of them */
	for (int i = 0; i < 3; i++) {
		struct op o = {OP_ADD, B, ids[i], "", FFOLLOW_ACCEPTED, false};

		assert_int_equal(run(f, &o), SE_OK);
	}
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	for (int st = 0; st < 2; st++) {
		char cursor[FFOLLOW_USER_MAX] = "";
		int prev = -1;

		total = 0;
		for (int guard = 0; guard < 10; guard++) {
			assert_int_equal(ffollow_list(t, FFOLLOW_FOLLOWERS, STR_LIT(B),
			                              (enum ffollow_state)st,
			                              cursor[0] ? str_from(cursor) : STR_NULL, page,
			                              7, &n, &more),
			                 SE_OK);
			for (size_t k = 0; k < n; k++) {
				int idx = (int)strtol(page[k].follower + 3, NULL, 10);

				assert_true(idx > prev);
				assert_int_equal(idx % 2, st == FFOLLOW_ACCEPTED ? 1 : 0);
				assert_int_equal(page[k].state, (enum ffollow_state)st);
				assert_string_equal(page[k].followee, B);
				prev = idx;
			}
			total += n;
			if (!more)
				break;
			snprintf(cursor, sizeof(cursor), "%s", page[n - 1].follower);
		}
		assert_int_equal(total, st == FFOLLOW_ACCEPTED ? 12 : 13);
		assert_int_equal(ffollow_count(t, FFOLLOW_FOLLOWERS, STR_LIT(B),
		                               (enum ffollow_state)st, 1000, &count),
		                 SE_OK);
		assert_int_equal(count, total);
	}
	assert_int_equal(
	    ffollow_count(t, FFOLLOW_FOLLOWERS, STR_LIT(B), FFOLLOW_ACCEPTED, 5, &count), SE_OK);
	assert_int_equal(count, 5);
	assert_int_equal(
	    ffollow_count(t, FFOLLOW_FOLLOWING, STR_LIT(B), FFOLLOW_ACCEPTED, 1000, &count), SE_OK);
	assert_int_equal(count, 3);
	assert_int_equal(ffollow_list(t, FFOLLOW_FOLLOWING, STR_LIT(B), FFOLLOW_ACCEPTED, STR_NULL,
	                              page, FFOLLOW_PAGE_MAX, &n, &more),
	                 SE_OK);
	assert_int_equal(n, 3);
	assert_false(more);
	assert_string_equal(page[0].followee, ids[0]);
	/* nobody follows C */
	assert_int_equal(ffollow_list(t, FFOLLOW_FOLLOWERS, STR_LIT(C), FFOLLOW_ACCEPTED, STR_NULL,
	                              page, 7, &n, &more),
	                 SE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ffollow_list(t, FFOLLOW_FOLLOWERS, STR_LIT(C), FFOLLOW_ACCEPTED, STR_NULL,
	                              page, FFOLLOW_PAGE_MAX + 1, &n, &more),
	                 SE_INVAL);
	store_read_end(t);
	mem_free(page);
}

/* Count walks more than one scan batch. */
static void test_count_many(void **state)
{
	struct tstore *f = *state;
	struct store_txn *t = NULL;
	size_t count;
	char id[27];

	for (int i = 0; i < 150; i++) {
		struct op o = {OP_ADD, id, C, "", FFOLLOW_ACCEPTED, false};

		snprintf(id, sizeof(id), "01G%023d", i);
		assert_int_equal(run(f, &o), SE_OK);
	}
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(
	    ffollow_count(t, FFOLLOW_FOLLOWERS, STR_LIT(C), FFOLLOW_ACCEPTED, 100000, &count),
	    SE_OK);
	assert_int_equal(count, 150);
	assert_int_equal(
	    ffollow_count(t, FFOLLOW_FOLLOWERS, STR_LIT(C), FFOLLOW_PENDING, 100000, &count),
	    SE_OK);
	assert_int_equal(count, 0);
	store_read_end(t);
}

/* The relationship table: blocks kept, one-way follows are requests, both accepted is Friend. */
static void test_relation(void **state)
{
	enum { NO, PE, AC };
	static const struct {
		enum perm_relationship cur;
		int out, in;
		enum perm_relationship want;
	} cases[] = {
	    {PERM_REL_NONE, NO, NO, PERM_REL_NONE},
	    {PERM_REL_FRIEND, NO, NO, PERM_REL_NONE},
	    {PERM_REL_NONE, NO, PE, PERM_REL_INCOMING},
	    {PERM_REL_NONE, NO, AC, PERM_REL_INCOMING},
	    {PERM_REL_NONE, PE, NO, PERM_REL_OUTGOING},
	    {PERM_REL_FRIEND, AC, NO, PERM_REL_OUTGOING},
	    {PERM_REL_OUTGOING, AC, AC, PERM_REL_FRIEND},
	    {PERM_REL_OUTGOING, PE, AC, PERM_REL_OUTGOING},
	    {PERM_REL_FRIEND, PE, AC, PERM_REL_FRIEND},
	    {PERM_REL_INCOMING, AC, PE, PERM_REL_INCOMING},
	    {PERM_REL_BLOCKED, AC, AC, PERM_REL_BLOCKED},
	    {PERM_REL_BLOCKED_OTHER, NO, NO, PERM_REL_BLOCKED_OTHER},
	};
	struct ffollow fo, fi;

	(void)state;
	memset(&fo, 0, sizeof(fo));
	memset(&fi, 0, sizeof(fi));
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		fo.state = cases[i].out == AC ? FFOLLOW_ACCEPTED : FFOLLOW_PENDING;
		fi.state = cases[i].in == AC ? FFOLLOW_ACCEPTED : FFOLLOW_PENDING;
		if (ffollow_relation(cases[i].cur, cases[i].out == NO ? NULL : &fo,
		                     cases[i].in == NO ? NULL : &fi) != cases[i].want)
			fail_msg("case %zu", i);
	}
	assert_int_equal(ffollow_relation_mirror(PERM_REL_OUTGOING), PERM_REL_INCOMING);
	assert_int_equal(ffollow_relation_mirror(PERM_REL_INCOMING), PERM_REL_OUTGOING);
	assert_int_equal(ffollow_relation_mirror(PERM_REL_FRIEND), PERM_REL_FRIEND);
	assert_int_equal(ffollow_relation_mirror(PERM_REL_BLOCKED), PERM_REL_BLOCKED_OTHER);
	assert_int_equal(ffollow_relation_mirror(PERM_REL_NONE), PERM_REL_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_by_activity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_count_many, setup, teardown),
	    cmocka_unit_test(test_relation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
