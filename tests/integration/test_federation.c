/*
 * tests/integration/test_federation.c: two real solstice --dev daemons on
 * loopback federating with each other. alice on A sends a friend request
 * to bob on B by handle ("bob_XXXX@127.0.0.1:PORT"): B shows an incoming
 * request; bob accepts and both sides end up Friend (Follow / Accept /
 * Follow back). Then the DM: alice's message reaches bob with its content,
 * bob's reply reaches alice as a reply, alice's edit and delete reach bob,
 * bob's reaction reaches alice; A's followers collection lists bob's actor.
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
#include <time.h>

#include <cmocka.h>

#include "tests/support/api_client.h"
#include "core/err.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"
#include "tests/support/wsclient.h"

#define THUMBS "%F0%9F%91%8D"
#define THUMBS_RAW "\xf0\x9f\x91\x8d"

struct fx {
	struct fpair p;
	char dm_a[32], dm_b[32]; /* the DM channel on each side */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	if (fpair_open(&f->p) != 0)
		return -1;
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

/* The first message of channel `cid` satisfying `pred`, polled (owned), or NULL. */
static json_t *wait_message(struct td *d, const char *token, const char *cid,
                            bool (*pred)(const json_t *m, const void *arg), const void *arg)
{
	char path[128];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=50", cid);
	while (tc_now_ms() < end) {
		json_t *list = tc_ok(d, "GET", path, token, NULL, 200), *m;
		size_t i;

		json_array_foreach(list, i, m)
		{
			if (pred(m, arg)) {
				json_incref(m);
				json_decref(list);
				return m;
			}
		}
		json_decref(list);
		fpair_nap();
	}
	return NULL;
}

static bool has_content(const json_t *m, const void *arg)
{
	const char *c = tc_sval(m, "content");

	return c && !strcmp(c, arg);
}

static bool has_reaction(const json_t *m, const void *arg)
{
	const json_t *users = json_object_get(json_object_get(m, "reactions"), THUMBS_RAW);
	size_t i;
	json_t *u;

	json_array_foreach(users, i, u)
	{
		if (json_is_string(u) && !strcmp(json_string_value(u), arg))
			return true;
	}
	return false;
}

static struct wsc *ws_as(struct td *d, const struct tc_user *u)
{
	char q[256];
	struct wsc *c = NULL;
	json_t *v;

	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", u->token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, FPAIR_WAIT_MS, &c), SE_OK);
	v = tc_ws_wait(c, "Ready", FPAIR_WAIT_MS);
	assert_non_null(v);
	json_decref(v);
	return c;
}

static void test_friends_and_dm(void **state)
{
	struct fx *f = *state;
	char body[512], path[256], got[32], mid_a[32], mid_b[32], reply_b[32];
	json_t *v, *m;
	int64_t end, t0;
	struct wsc *wa, *wb = ws_as(f->p.b, &f->p.bob);

	/* 1. alice -> "bob_XXXX@127.0.0.1:PORT": WebFinger + actor fetch + Follow */
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", f->p.bob_handle);
	v = tc_ok(f->p.a, "POST", "/api/users/friend", f->p.alice.token, body, 200);
	snprintf(f->p.bob_on_a, sizeof(f->p.bob_on_a), "%s", tc_sget(v, "_id"));
	assert_string_equal(tc_sget(v, "relationship"), "Outgoing");
	assert_non_null(strchr(tc_sget(v, "username"), '@'));
	json_decref(v);

	/* 2. B shows bob an incoming request from alice's remote user (REST and WS) */
	v = tc_ws_wait(wb, "UserRelationship", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "relationship"), "Incoming");
	json_decref(v);
	fpair_wait_relation(f->p.b, f->p.bob.token, NULL, "Incoming", NULL);
	{
		json_t *me = tc_ok(f->p.b, "GET", "/api/users/@me", f->p.bob.token, NULL, 200);

		snprintf(f->p.alice_on_b, sizeof(f->p.alice_on_b), "%s",
		         tc_sget(json_array_get(json_object_get(me, "relations"), 0), "_id"));
		json_decref(me);
	}
	snprintf(path, sizeof(path), "/api/users/%s", f->p.alice_on_b);
	v = tc_ok(f->p.b, "GET", path, f->p.bob.token, NULL, 200);
	assert_non_null(strstr(tc_sget(v, "username"), "@127.0.0.1:"));
	json_decref(v);

	/* 3. bob accepts: Friend on B at once, on A once the Accept and the Follow back land */
	snprintf(path, sizeof(path), "/api/users/%s/friend", f->p.alice_on_b);
	json_decref(tc_ok(f->p.b, "PUT", path, f->p.bob.token, "{}", 200));
	fpair_relation(f->p.b, f->p.bob.token, f->p.alice_on_b, got, NULL);
	assert_string_equal(got, "Friend");
	fpair_wait_relation(f->p.a, f->p.alice.token, f->p.bob_on_a, "Friend", NULL);
	/* and B stays Friend once A's Accept of bob's Follow arrives */
	fpair_wait_relation(f->p.b, f->p.bob.token, f->p.alice_on_b, "Friend", NULL);

	/* 4. alice's DM reaches bob with its Markdown intact */
	snprintf(path, sizeof(path), "/api/users/%s/dm", f->p.bob_on_a);
	v = tc_ok(f->p.a, "GET", path, f->p.alice.token, NULL, 200);
	snprintf(f->dm_a, sizeof(f->dm_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", f->dm_a);
	t0 = tc_now_ms();
	v = tc_ok(f->p.a, "POST", path, f->p.alice.token, "{\"content\":\"hello **bob**\"}", 200);
	snprintf(mid_a, sizeof(mid_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	v = tc_ws_wait(wb, "Message", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(v, "content"), "hello **bob**");
	json_decref(v);
	/* a measurement, not a check: POST on A to the WS event on B */
	printf("federation: DM from A reached B's WebSocket after %lld ms\n",
	       (long long)(tc_now_ms() - t0));
	fpair_find_dm(f->p.b, f->p.bob.token, f->p.alice_on_b, f->dm_b);
	m = wait_message(f->p.b, f->p.bob.token, f->dm_b, has_content, "hello **bob**");
	assert_non_null(m);
	assert_string_equal(tc_sget(m, "author"), f->p.alice_on_b);
	snprintf(mid_b, sizeof(mid_b), "%s", tc_sget(m, "_id"));
	json_decref(m);

	/* 5. bob replies: alice sees it as a reply to her message */
	wa = ws_as(f->p.a, &f->p.alice);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", f->dm_b);
	snprintf(body, sizeof(body),
	         "{\"content\":\"hi alice\",\"replies\":[{\"id\":\"%s\",\"mention\":false}]}",
	         mid_b);
	v = tc_ok(f->p.b, "POST", path, f->p.bob.token, body, 200);
	snprintf(reply_b, sizeof(reply_b), "%s", tc_sget(v, "_id"));
	json_decref(v);
	v = tc_ws_wait(wa, "Message", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(v, "content"), "hi alice");
	json_decref(v);
	m = wait_message(f->p.a, f->p.alice.token, f->dm_a, has_content, "hi alice");
	assert_non_null(m);
	assert_string_equal(tc_sget(m, "author"), f->p.bob_on_a);
	assert_non_null(json_string_value(json_array_get(json_object_get(m, "replies"), 0)));
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "replies"), 0)),
	                    mid_a);
	json_decref(m);

	/* 6. alice edits: bob sees the new content, marked edited */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", f->dm_a, mid_a);
	json_decref(tc_ok(f->p.a, "PATCH", path, f->p.alice.token,
	                  "{\"content\":\"hello _edited_\"}", 200));
	v = tc_ws_wait(wb, "MessageUpdate", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(v, "id"), mid_b);
	json_decref(v);
	m = wait_message(f->p.b, f->p.bob.token, f->dm_b, has_content, "hello _edited_");
	assert_non_null(m);
	assert_string_equal(tc_sget(m, "_id"), mid_b);
	assert_non_null(tc_sval(m, "edited"));
	json_decref(m);

	/* 7. bob reacts: alice sees bob's reaction on her message */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions/%s", f->dm_b, mid_b,
	         THUMBS);
	assert_int_equal(tc_call(f->p.b, "PUT", path, f->p.bob.token, NULL, NULL), 204);
	v = tc_ws_wait(wa, "MessageReact", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(v, "id"), mid_a);
	assert_string_equal(tc_sget(v, "user_id"), f->p.bob_on_a);
	assert_string_equal(tc_sget(v, "emoji_id"), THUMBS_RAW);
	json_decref(v);
	m = wait_message(f->p.a, f->p.alice.token, f->dm_a, has_reaction, f->p.bob_on_a);
	assert_non_null(m);
	assert_string_equal(tc_sget(m, "_id"), mid_a);
	json_decref(m);

	/* 8. alice deletes: gone on bob's side */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", f->dm_a, mid_a);
	assert_int_equal(tc_call(f->p.a, "DELETE", path, f->p.alice.token, NULL, NULL), 204);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", f->dm_b, mid_b);
	end = tc_now_ms() + FPAIR_WAIT_MS;
	while (tc_now_ms() < end && tc_call(f->p.b, "GET", path, f->p.bob.token, NULL, NULL) != 404)
		fpair_nap();
	assert_int_equal(tc_call(f->p.b, "GET", path, f->p.bob.token, NULL, NULL), 404);
	v = tc_ws_wait(wb, "MessageDelete", FPAIR_WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(v, "id"), mid_b);
	json_decref(v);
	/* bob's own reply is a DM Note: not public, 404 to an unsigned GET */
	{
		static const char *const as2[] = {"Accept: application/activity+json", NULL};
		struct td_resp r;

		snprintf(path, sizeof(path), "/objects/%s", reply_b);
		assert_int_equal(td_http(td_http_port(f->p.b), "GET", path, as2, NULL, &r), 0);
		assert_int_equal(r.status, 404);
		td_resp_release(&r);
		/* nor to a GET whose signature names the participant's host but does not verify */
		{
			char sig[256];
			const char *forged[] = {"Accept: application/activity+json", sig, NULL};

			snprintf(sig, sizeof(sig),
			         "Signature: keyId=\"http://127.0.0.1:%d/users/%s#main-key\","
			         "headers=\"date\",signature=\"AAAA\"",
			         td_http_port(f->p.a), f->p.alice.id);
			assert_int_equal(
			    td_http(td_http_port(f->p.b), "GET", path, forged, NULL, &r), 0);
			assert_int_equal(r.status, 404);
			td_resp_release(&r);
		}
	}
	wsc_close(wa);
	wsc_close(wb);
}

/* A's followers collection of alice lists bob's actor on B; the DM Note is not public. */
static void test_collections(void **state)
{
	struct fx *f = *state;
	static const char *const as2[] = {"Accept: application/activity+json", NULL};
	char path[256], bob_actor[256];
	struct td_resp r;
	json_t *v;

	snprintf(bob_actor, sizeof(bob_actor), "http://127.0.0.1:%d/users/%s", td_http_port(f->p.b),
	         f->p.bob.id);
	snprintf(path, sizeof(path), "/users/%s/followers", f->p.alice.id);
	assert_int_equal(td_http(td_http_port(f->p.a), "GET", path, as2, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	v = json_loads(r.body, 0, NULL);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_object_get(v, "totalItems")), 1);
	assert_string_equal(tc_sget(v, "type"), "OrderedCollection");
	json_decref(v);
	td_resp_release(&r);
	snprintf(path, sizeof(path), "/users/%s/followers?page=1", f->p.alice.id);
	assert_int_equal(td_http(td_http_port(f->p.a), "GET", path, as2, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	v = json_loads(r.body, 0, NULL);
	assert_non_null(v);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(v, "orderedItems"), 0)), bob_actor);
	json_decref(v);
	td_resp_release(&r);
	/* FEP-8fcf partial collection: bob's host has him, another host nobody */
	snprintf(path, sizeof(path), "/users/%s/followers?domain=127.0.0.1:%d", f->p.alice.id,
	         td_http_port(f->p.b));
	assert_int_equal(td_http(td_http_port(f->p.a), "GET", path, as2, NULL, &r), 0);
	v = json_loads(r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(v, "totalItems")), 1);
	json_decref(v);
	td_resp_release(&r);
	snprintf(path, sizeof(path), "/users/%s/followers?domain=elsewhere.example", f->p.alice.id);
	assert_int_equal(td_http(td_http_port(f->p.a), "GET", path, as2, NULL, &r), 0);
	v = json_loads(r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(v, "totalItems")), 0);
	json_decref(v);
	td_resp_release(&r);
	/* outbox and featured exist and are empty; unknown users are 404 */
	snprintf(path, sizeof(path), "/users/%s/outbox", f->p.alice.id);
	assert_int_equal(td_http(td_http_port(f->p.a), "GET", path, as2, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	td_resp_release(&r);
	assert_int_equal(td_http(td_http_port(f->p.a), "GET",
	                         "/users/01J00000000000000000000000/followers", as2, NULL, &r),
	                 0);
	assert_int_equal(r.status, 404);
	td_resp_release(&r);
}

/* A profile edit reaches the followers' copy; unfriending ends it on both sides; Block / unblock.
 */
static void test_profile_and_unfriend(void **state)
{
	struct fx *f = *state;
	char path[256], got[32];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;
	const char *dn = NULL;
	json_t *v = NULL;

	json_decref(tc_ok(f->p.a, "PATCH", "/api/users/@me", f->p.alice.token,
	                  "{\"display_name\":\"Alice Federated\"}", 200));
	snprintf(path, sizeof(path), "/api/users/%s", f->p.alice_on_b);
	while (tc_now_ms() < end) {
		json_decref(v);
		v = tc_ok(f->p.b, "GET", path, f->p.bob.token, NULL, 200);
		dn = tc_sval(v, "display_name");
		if (dn && !strcmp(dn, "Alice Federated"))
			break;
		fpair_nap();
	}
	assert_non_null(dn);
	assert_string_equal(dn, "Alice Federated");
	json_decref(v);
	/* bob removes alice: Undo{Follow} + Reject{Follow}; A falls back to None */
	snprintf(path, sizeof(path), "/api/users/%s/friend", f->p.alice_on_b);
	json_decref(tc_ok(f->p.b, "DELETE", path, f->p.bob.token, NULL, 200));
	fpair_relation(f->p.b, f->p.bob.token, f->p.alice_on_b, got, NULL);
	assert_string_equal(got, "");
	fpair_wait_relation(f->p.a, f->p.alice.token, NULL, "", NULL);
	/* bob blocks alice: Block; A shows BlockedOther; unblocking (Undo{Block}) clears it */
	snprintf(path, sizeof(path), "/api/users/%s/block", f->p.alice_on_b);
	json_decref(tc_ok(f->p.b, "PUT", path, f->p.bob.token, NULL, 200));
	fpair_wait_relation(f->p.a, f->p.alice.token, f->p.bob_on_a, "BlockedOther", NULL);
	json_decref(tc_ok(f->p.b, "DELETE", path, f->p.bob.token, NULL, 200));
	fpair_wait_relation(f->p.a, f->p.alice.token, NULL, "", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_friends_and_dm),
	    cmocka_unit_test(test_collections),
	    cmocka_unit_test(test_profile_and_unfriend),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
