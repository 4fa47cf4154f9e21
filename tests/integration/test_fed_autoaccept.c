/*
 * tests/integration/test_fed_autoaccept.c: the per-user auto-accept setting
 * (federation/prefs.h) between two real solstice --dev daemons on loopback,
 * both with the instance default (federation.auto_accept_follows off).
 * carol on A follows bob on B first: a friend request, nobody in bob's
 * followers. bob turns the setting on through the Revolt settings sync
 * (POST /sync/settings/set, key "solstice:federation"); a malformed value
 * is refused. bob's actor document (fetched before, so cached) now says
 * manuallyApprovesFollowers false; alice's Follow is accepted at once: she
 * is in bob's followers on B and bob is in her following on A without bob
 * doing anything, while carol still waits. Turning it off flips the
 * document back; turning it on again sends Update{Person} to alice's
 * instance, whose copy of bob (read from A's store: "ap".locked) follows.
 * Every wait is a bounded poll.
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

#include <cmocka.h>

#include "tests/support/api_client.h"
#include "api/api.h"
#include "core/err.h"
#include "storage/store.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"
#include "users/user.h"

#define PREF_ON "{\"solstice:federation\":\"{\\\"auto_accept_follows\\\":true}\"}"
#define PREF_OFF "{\"solstice:federation\":\"{\\\"auto_accept_follows\\\":false}\"}"

struct fx {
	struct td *a, *b;
	struct tc_user alice, carol, bob;
	char bob_handle[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	f->a = fpair_start(NULL);
	f->b = fpair_start(NULL);
	if (!f->a || !f->b)
		return -1;
	tc_user_make(f->a, "alice", &f->alice);
	tc_user_make(f->a, "carol", &f->carol);
	tc_user_make(f->b, "bob", &f->bob);
	fpair_handle(f->b, &f->bob, f->bob_handle, sizeof(f->bob_handle));
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct td *d[2] = {f->a, f->b};

	free(f);
	return fpair_stop(d, 2);
}

/* GET `path` on d as AS2; the parsed document (owned). */
static json_t *as2_get(struct td *d, const char *path)
{
	static const char *const as2[] = {"Accept: application/activity+json", NULL};
	struct td_resp r;
	json_t *v;

	assert_int_equal(td_http(td_http_port(d), "GET", path, as2, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	v = json_loads(r.body, 0, NULL);
	td_resp_release(&r);
	assert_non_null(v);
	return v;
}

static bool bob_manual(struct fx *f)
{
	char path[128];
	json_t *v;
	bool manual;

	snprintf(path, sizeof(path), "/users/%s", f->bob.id);
	v = as2_get(f->b, path);
	assert_true(json_is_boolean(json_object_get(v, "manuallyApprovesFollowers")));
	manual = json_is_true(json_object_get(v, "manuallyApprovesFollowers"));
	json_decref(v);
	return manual;
}

/* totalItems of `user`'s followers/following collection on d. */
static long long total(struct td *d, const char *user, const char *which)
{
	char path[128];
	json_t *v;
	long long n;

	snprintf(path, sizeof(path), "/users/%s/%s", user, which);
	v = as2_get(d, path);
	n = json_integer_value(json_object_get(v, "totalItems"));
	json_decref(v);
	return n;
}

static void wait_total(struct td *d, const char *user, const char *which, long long want)
{
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;
	long long n = -1;

	while (tc_now_ms() < end && (n = total(d, user, which)) != want)
		fpair_nap();
	assert_int_equal(n, want);
}

/* A's copy of remote user `id`: its "ap".locked (manuallyApprovesFollowers); -1 if unreadable. */
static int locked_on(struct td *d, const char *id)
{
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct err_info ei = ERR_INFO_INIT;
	json_t *rec = NULL;
	char db[300];
	int v = -1;

	snprintf(db, sizeof(db), "%s/db", td_data_dir(d));
	if (store_open(db, api_schema(), NULL, &s, &ei) != SE_OK)
		fail_msg("cannot open %s: %s", db, ei.detail);
	if (store_read_begin(s, &t) == SE_OK && user_load(t, str_from(id), &rec) == SE_OK &&
	    json_is_boolean(json_object_get(json_object_get(rec, "ap"), "locked")))
		v = json_is_true(json_object_get(json_object_get(rec, "ap"), "locked"));
	store_read_end(t);
	store_close(s);
	json_decref(rec);
	return v;
}

static void wait_locked(struct td *d, const char *id, int want)
{
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;
	int v = -1;

	while (tc_now_ms() < end && (v = locked_on(d, id)) != want)
		fpair_nap();
	assert_int_equal(v, want);
}

static void follow_bob(struct fx *f, const struct tc_user *u)
{
	char body[256];
	json_t *v;

	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", f->bob_handle);
	v = tc_ok(f->a, "POST", "/api/users/friend", u->token, body, 200);
	assert_string_equal(tc_sget(v, "relationship"), "Outgoing");
	json_decref(v);
}

static void test_per_user_auto_accept(void **state)
{
	struct fx *f = *state;
	char got[32], bob_on_a[32];
	json_t *v;

	/* the instance default: bob approves followers by hand */
	assert_true(bob_manual(f));
	follow_bob(f, &f->carol);
	fpair_wait_relation(f->b, f->bob.token, NULL, "Incoming", NULL);
	assert_int_equal(total(f->b, f->bob.id, "followers"), 0);

	/* a malformed value of our key is refused; other keys stay the clients' own */
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token,
	          "{\"solstice:federation\":\"{\\\"auto_accept_follows\\\":\\\"yes\\\"}\"}", 400,
	          "FailedValidation");
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token,
	          "{\"solstice:federation\":\"not json\"}", 400, "FailedValidation");
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token,
	          "{\"theme\":\"not json either\"}", 204, NULL);
	assert_true(bob_manual(f));

	/* bob turns it on through the settings sync; Revolt clients read it back as any key */
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token, PREF_ON, 204, NULL);
	v = tc_ok(f->b, "POST", "/api/sync/settings/fetch", f->bob.token,
	          "{\"keys\":[\"solstice:federation\"]}", 200);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(v, "solstice:federation"), 1)),
	    "{\"auto_accept_follows\":true}");
	json_decref(v);
	/* the cached actor document follows the setting */
	assert_false(bob_manual(f));

	/* alice's Follow: accepted at once (B lists her, A gets the Accept), carol still waits */
	follow_bob(f, &f->alice);
	wait_total(f->b, f->bob.id, "followers", 1);
	wait_total(f->a, f->alice.id, "following", 1);
	assert_int_equal(total(f->a, f->carol.id, "following"), 0);

	/* off again: the document says so (and A's copy, by Update or its first fetch) */
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token, PREF_OFF, 204, NULL);
	assert_true(bob_manual(f));
	fpair_relation(f->a, f->alice.token, NULL, got, bob_on_a);
	assert_string_equal(got, "Outgoing");
	wait_locked(f->a, bob_on_a, 1);
	/* on again: only the Update{Person} to alice's instance can make its copy say so */
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token, PREF_ON, 204, NULL);
	wait_locked(f->a, bob_on_a, 0);
	/* the same value once more changes nothing */
	tc_expect(f->b, "POST", "/api/sync/settings/set", f->bob.token, PREF_ON, 204, NULL);
	assert_false(bob_manual(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_per_user_auto_accept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
