/*
 * tests/integration/test_events_live.c: live events of REST changes on the
 * WebSocket against the real daemon (test_events.c covers the handshake,
 * Ready and visibility): ServerUpdate, ServerRoleUpdate, MessageUpdate,
 * MessageReact and MessageDelete reach a second member and not a
 * non-member; the author snapshot of a Message carries the relationship
 * as each recipient sees the author; UserRelationship reaches both users
 * of a friend request; Subscribe{server_id} expires on time without the
 * socket sending anything (the daemon runs with a 1 s expiry through the
 * test-only SOLSTICE_TEST_WS_SUBSCRIBE_EXPIRY_MS).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/buf.h"
#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 20000
#define STOP_MS 15000
#define WAIT_MS 5000
/* how long a socket waits to show that an event did NOT arrive */
#define QUIET_MS 400
#define EXPIRY_MS 1000
#define THUMBS "%F0%9F%91%8D"

static struct td *d;
/* alice owns the server; bob and carol are members; dave is not; alice and bob are friends */
static struct tc_user alice, bob, carol, dave;
static char sid[32], cid[32];

static struct wsc *connect_as(const struct tc_user *u)
{
	char q[256];
	struct wsc *c = NULL;
	json_t *v;

	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", u->token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, WAIT_MS, &c), SE_OK);
	v = tc_ws_wait(c, "Ready", WAIT_MS);
	assert_non_null(v);
	json_decref(v);
	return c;
}

/* Read for QUIET_MS and fail if a message of `type` (about `id`, if given) arrives. */
static void expect_none(struct wsc *c, const char *type, const char *id)
{
	struct buf got = BUF_INIT(1 << 20);
	int64_t end = tc_now_ms() + QUIET_MS;

	while (tc_now_ms() < end) {
		json_t *v;

		buf_reset(&got);
		if (wsc_recv_text(c, &got, 100) != SE_OK)
			continue;
		v = json_loads(buf_cstr(&got), 0, NULL);
		if (v && tc_sval(v, "type") && strcmp(tc_sval(v, "type"), type) == 0 &&
		    (!id || (tc_sval(v, "id") && strcmp(tc_sval(v, "id"), id) == 0)))
			fail_msg("unexpected %s: %s", type, buf_cstr(&got));
		json_decref(v);
	}
	buf_release(&got);
}

static void subscribe(struct wsc *c, const char *server)
{
	char m[128];

	snprintf(m, sizeof(m), "{\"type\":\"Subscribe\",\"server_id\":\"%s\"}", server);
	assert_int_equal(wsc_send_text(c, str_from(m)), SE_OK);
}

static int setup(void **state)
{
	char path[96];

	(void)state;
	setenv("SOLSTICE_TEST_WS_SUBSCRIBE_EXPIRY_MS", "1000", 1);
	d = tc_start(NULL, START_MS);
	unsetenv("SOLSTICE_TEST_WS_SUBSCRIBE_EXPIRY_MS");
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	tc_user_make(d, "dave", &dave);
	tc_server_make(d, &alice, sid, cid);
	tc_join(d, &alice, &bob, cid);
	tc_join(d, &alice, &carol, cid);
	snprintf(path, sizeof(path), "/api/users/%s/friend", bob.id);
	json_decref(tc_ok(d, "PUT", path, alice.token, "{}", 200));
	snprintf(path, sizeof(path), "/api/users/%s/friend", alice.id);
	json_decref(tc_ok(d, "PUT", path, bob.token, "{}", 200));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

/* The relationship in a Message's author snapshot as `c` receives it. */
static void expect_relationship(struct wsc *c, const char *mid, const char *rel)
{
	json_t *v = tc_ws_wait(c, "Message", WAIT_MS);

	assert_non_null(v);
	assert_string_equal(tc_sget(v, "_id"), mid);
	assert_string_equal(tc_sget(v, "author"), alice.id);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "relationship"), rel);
	json_decref(v);
}

static void test_message_relationship(void **state)
{
	struct wsc *wa = connect_as(&alice), *wb = connect_as(&bob), *wc = connect_as(&carol);
	char path[96];
	json_t *m;

	(void)state;
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	m = tc_ok(d, "POST", path, alice.token, "{\"content\":\"hello\"}", 200);
	expect_relationship(wb, tc_sget(m, "_id"), "Friend");
	expect_relationship(wc, tc_sget(m, "_id"), "None");
	expect_relationship(wa, tc_sget(m, "_id"), "User");
	json_decref(m);

	/* carol blocks alice: her socket learns it through UserRelationship */
	snprintf(path, sizeof(path), "/api/users/%s/block", alice.id);
	json_decref(tc_ok(d, "PUT", path, carol.token, NULL, 200));
	json_decref(tc_ws_wait(wc, "UserRelationship", WAIT_MS));
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	m = tc_ok(d, "POST", path, alice.token, "{\"content\":\"again\"}", 200);
	expect_relationship(wc, tc_sget(m, "_id"), "Blocked");
	expect_relationship(wb, tc_sget(m, "_id"), "Friend");
	json_decref(m);
	snprintf(path, sizeof(path), "/api/users/%s/block", alice.id);
	json_decref(tc_ok(d, "DELETE", path, carol.token, NULL, 200));
	wsc_close(wa);
	wsc_close(wb);
	wsc_close(wc);
}

/* bob (member) gets `type` about `id`; dave (non-member) does not. */
static void expect_member_only(struct wsc *wb, struct wsc *wd, const char *type, const char *id)
{
	json_t *v = tc_ws_wait(wb, type, WAIT_MS);

	if (!v)
		fail_msg("no %s for the member", type);
	if (id && tc_sval(v, "id"))
		assert_string_equal(tc_sval(v, "id"), id);
	json_decref(v);
	expect_none(wd, type, NULL);
}

static void test_rest_events(void **state)
{
	struct wsc *wb = connect_as(&bob), *wd = connect_as(&dave);
	char path[256], mpath[160];
	json_t *m, *r;

	(void)state;
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	json_decref(tc_ok(d, "PATCH", path, alice.token, "{\"name\":\"Renamed\"}", 200));
	expect_member_only(wb, wd, "ServerUpdate", sid);

	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	r = tc_ok(d, "POST", path, alice.token, "{\"name\":\"Mods\"}", 200);
	expect_member_only(wb, wd, "ServerRoleUpdate", sid);
	json_decref(r);

	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	m = tc_ok(d, "POST", path, alice.token, "{\"content\":\"first\"}", 200);
	expect_member_only(wb, wd, "Message", NULL);
	snprintf(mpath, sizeof(mpath), "/api/channels/%s/messages/%s", cid, tc_sget(m, "_id"));
	json_decref(tc_ok(d, "PATCH", mpath, alice.token, "{\"content\":\"edited\"}", 200));
	expect_member_only(wb, wd, "MessageUpdate", tc_sget(m, "_id"));

	snprintf(path, sizeof(path), "%s/reactions/%s", mpath, THUMBS);
	tc_expect(d, "PUT", path, bob.token, NULL, 204, NULL);
	expect_member_only(wb, wd, "MessageReact", tc_sget(m, "_id"));

	tc_expect(d, "DELETE", mpath, alice.token, NULL, 204, NULL);
	expect_member_only(wb, wd, "MessageDelete", tc_sget(m, "_id"));
	json_decref(m);
	wsc_close(wb);
	wsc_close(wd);
}

static void test_friend_request(void **state)
{
	struct wsc *wc = connect_as(&carol), *wd = connect_as(&dave);
	char path[96];
	json_t *v;

	(void)state;
	snprintf(path, sizeof(path), "/api/users/%s/friend", dave.id);
	json_decref(tc_ok(d, "PUT", path, carol.token, "{}", 200));
	v = tc_ws_wait(wc, "UserRelationship", WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "_id"), dave.id);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "relationship"), "Outgoing");
	json_decref(v);
	v = tc_ws_wait(wd, "UserRelationship", WAIT_MS);
	assert_non_null(v);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "_id"), carol.id);
	assert_string_equal(tc_sget(json_object_get(v, "user"), "relationship"), "Incoming");
	json_decref(v);
	wsc_close(wc);
	wsc_close(wd);
}

/* carol changes her status text; member-activity subscribers get UserUpdate. */
static void carol_status(const char *text)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"status\":{\"text\":\"%s\"}}", text);
	json_decref(tc_ok(d, "PATCH", "/api/users/@me", carol.token, body, 200));
}

static void test_subscribe_expiry(void **state)
{
	struct wsc *wb = connect_as(&bob);
	json_t *v;
	struct timespec ts = {EXPIRY_MS * 2 / 1000, 0};

	(void)state;
	/* without Subscribe bob (not carol's friend) hears nothing of her */
	carol_status("one");
	expect_none(wb, "UserUpdate", carol.id);
	subscribe(wb, sid);
	/* the Subscribe is handled before the next request */
	v = NULL;
	for (int i = 0; i < 10 && !v; i++) {
		carol_status(i % 2 ? "two" : "three");
		v = tc_ws_wait(wb, "UserUpdate", 300);
		if (v && strcmp(tc_sget(v, "id"), carol.id) != 0) {
			json_decref(v);
			v = NULL;
		}
	}
	assert_non_null(v);
	json_decref(v);
	/* the socket stays silent; the topic expires on time all the same */
	nanosleep(&ts, NULL);
	carol_status("four");
	expect_none(wb, "UserUpdate", carol.id);
	wsc_close(wb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_relationship),
	    cmocka_unit_test(test_rest_events),
	    cmocka_unit_test(test_friend_request),
	    cmocka_unit_test(test_subscribe_expiry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
