/*
 * tests/integration/test_fed_sync.c: FEP-8fcf followers synchronisation
 * between two real solstice --dev daemons on loopback. alice on A and bob
 * on B become friends (so alice follows bob). bob's profile edit sends
 * Update{Person} to his followers: the delivery to A carries a signed
 * Collection-Synchronization header and A finds its view (alice) equal to
 * B's digest. Then A is made to hold a follow B does not know (carol on A
 * following bob, written into A's store by this process while A runs:
 * LMDB is multi-process); bob's next edit makes A see the mismatch, fetch
 * B's partial followers collection (?domain=A) and end carol's follow with
 * an Undo{Follow}, while alice's follow and friendship stay. Every wait is
 * a bounded poll.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/support/api_client.h"
#include "api/api.h"
#include "core/err.h"
#include "federation/follows.h"
#include "storage/store.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"

struct fx {
	struct fpair p;
	struct tc_user carol; /* on A */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	if (fpair_open(&f->p) != 0)
		return -1;
	tc_user_make(f->p.a, "carol", &f->carol);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	/* both daemons shut down cleanly (sanitizer builds exit non-zero on a leak) */
	int rc = fpair_close(&f->p);

	free(f);
	return rc;
}

/* ---- A's store, opened by this process while A runs ---- */

struct fol {
	const char *er, *ee;
};

static enum err add_fn(struct store_wtxn *w, void *arg)
{
	const struct fol *p = arg;

	return ffollow_add(w, str_from(p->er), str_from(p->ee), STR_NULL, FFOLLOW_ACCEPTED,
	                   tc_now_ms(), NULL);
}

static struct store *open_db(struct td *d)
{
	struct store *s = NULL;
	struct err_info ei = ERR_INFO_INIT;
	char db[300];

	snprintf(db, sizeof(db), "%s/db", td_data_dir(d));
	if (store_open(db, api_schema(), NULL, &s, &ei) != SE_OK)
		fail_msg("cannot open %s: %s", db, ei.detail);
	return s;
}

/* Whether `er` follows `ee` (accepted) in `d`'s store. */
static bool follows(struct td *d, const char *er, const char *ee)
{
	struct store *s = open_db(d);
	struct store_txn *t = NULL;
	struct ffollow fo;
	bool yes;

	assert_int_equal(store_read_begin(s, &t), SE_OK);
	yes = ffollow_get(t, str_from(er), str_from(ee), &fo) == SE_OK &&
	      fo.state == FFOLLOW_ACCEPTED;
	store_read_end(t);
	store_close(s);
	return yes;
}

static void bob_edits(struct fx *f, const char *name)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"display_name\":\"%s\"}", name);
	json_decref(tc_ok(f->p.b, "PATCH", "/api/users/@me", f->p.bob.token, body, 200));
}

static void test_followers_sync(void **state)
{
	struct fx *f = *state;
	char path[256], needle[128];
	json_t *v;
	int64_t end;

	/* alice and bob become friends: alice follows bob (and bob alice) */
	fpair_friends(&f->p);
	assert_true(follows(f->p.a, f->p.alice.id, f->p.bob_on_a));

	/* 1. bob's Update{Person} carries the header; A's view (alice) matches B's digest */
	bob_edits(f, "Bob One");
	snprintf(needle, sizeof(needle), "csync: followers of %s in sync (1 here)", f->p.bob_on_a);
	if (!td_log_has(f->p.a, needle, FPAIR_WAIT_MS))
		fail_msg("A did not check bob's followers digest");

	/* 2. A holds a follow B does not know: carol -> bob */
	{
		struct store *s = open_db(f->p.a);
		struct fol p = {f->carol.id, f->p.bob_on_a};
		struct err_info ei = ERR_INFO_INIT;

		assert_int_equal(store_write(s, add_fn, &p, &ei), SE_OK);
		store_close(s);
	}
	assert_true(follows(f->p.a, f->carol.id, f->p.bob_on_a));

	/* 3. bob's next edit: A sees the mismatch, reads B's list, ends carol's follow */
	bob_edits(f, "Bob Two");
	snprintf(needle, sizeof(needle), "csync: followers of %s differ (2 here)", f->p.bob_on_a);
	if (!td_log_has(f->p.a, needle, FPAIR_WAIT_MS))
		fail_msg("A did not see the mismatch");
	end = tc_now_ms() + FPAIR_WAIT_MS;
	while (tc_now_ms() < end && follows(f->p.a, f->carol.id, f->p.bob_on_a))
		fpair_nap();
	assert_false(follows(f->p.a, f->carol.id, f->p.bob_on_a));
	snprintf(needle, sizeof(needle), "no longer lists local follower %s", f->carol.id);
	assert_true(td_log_has(f->p.a, needle, 1000));
	/* B got carol's Undo{Follow} (a follow it never had: nothing to undo) */
	assert_true(td_log_has(f->p.b, "Undo", FPAIR_WAIT_MS));
	/* alice's follow and the friendship stay */
	assert_true(follows(f->p.a, f->p.alice.id, f->p.bob_on_a));
	fpair_wait_relation(f->p.a, f->p.alice.token, f->p.bob_on_a, "Friend", NULL);

	/* 4. the list A read: B's partial collection names alice only */
	{
		static const char *const as2[] = {"Accept: application/activity+json", NULL};
		char alice_actor[256];
		struct td_resp r;

		snprintf(alice_actor, sizeof(alice_actor), "http://127.0.0.1:%d/users/%s",
		         td_http_port(f->p.a), f->p.alice.id);
		snprintf(path, sizeof(path), "/users/%s/followers?domain=127.0.0.1:%d", f->p.bob.id,
		         td_http_port(f->p.a));
		assert_int_equal(td_http(td_http_port(f->p.b), "GET", path, as2, NULL, &r), 0);
		assert_int_equal(r.status, 200);
		v = json_loads(r.body, 0, NULL);
		assert_non_null(v);
		assert_int_equal(json_array_size(json_object_get(v, "orderedItems")), 1);
		assert_string_equal(
		    json_string_value(json_array_get(json_object_get(v, "orderedItems"), 0)),
		    alice_actor);
		json_decref(v);
		td_resp_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_followers_sync),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
