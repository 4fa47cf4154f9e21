/*
 * tests/integration/test_acks.c: PUT /channels/{id}/ack/{message} and
 * PUT|POST /servers/{id}/ack against the real daemon: unread state in
 * GET /sync/unreads, the ChannelAck event on the private topic, another
 * user's forbidden cases, unknown ids and bad ids.
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

static struct td *d;
static struct tc_user alice, bob;

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};

	(void)state;
	d = tc_start(extra, START_MS);
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

#define MSG1 "01J0000000000000000000MSG1"
#define MSG2 "01J0000000000000000000MSG2"
#define NOPE "01J00000000000000000000000"

/* The unread record of `channel` in `u`'s GET /sync/unreads (new ref), or NULL. */
static json_t *unread_of(const struct tc_user *u, const char *channel)
{
	json_t *v = NULL, *e, *found = NULL;
	size_t i;

	assert_int_equal(tc_call(d, "GET", "/api/sync/unreads", u->token, NULL, &v), 200);
	json_array_foreach(v, i, e)
	{
		if (strcmp(tc_sval(json_object_get(e, "_id"), "channel"), channel) == 0)
			found = json_incref(e);
	}
	json_decref(v);
	return found;
}

static void make_group(const struct tc_user *u, char id[32])
{
	json_t *v = NULL;

	assert_int_equal(
	    tc_call(d, "POST", "/api/channels/create", u->token, "{\"name\":\"G\"}", &v), 200);
	snprintf(id, 32, "%s", tc_sval(v, "_id"));
	json_decref(v);
}

static void test_channel_ack(void **state)
{
	char gid[32], path[160], q[256], sub[128];
	struct wsc *c = NULL;
	json_t *v, *ev = NULL;

	(void)state;
	make_group(&alice, gid);
	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", alice.token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, 5000, &c), SE_OK);
	snprintf(sub, sizeof(sub), "{\"type\":\"Subscribe\",\"server_id\":\"%s!\"}", alice.id);
	assert_int_equal(wsc_send_text(c, str_from(sub)), SE_OK);
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", gid, MSG1);
	for (int i = 0; i < 50 && !ev; i++) {
		assert_int_equal(tc_call(d, "PUT", path, alice.token, NULL, NULL), 204);
		ev = tc_ws_wait(c, "ChannelAck", 200);
	}
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "id"), gid);
	assert_string_equal(tc_sval(ev, "user"), alice.id);
	assert_string_equal(tc_sval(ev, "message_id"), MSG1);
	json_decref(ev);
	wsc_close(c);
	v = unread_of(&alice, gid);
	assert_non_null(v);
	assert_string_equal(tc_sval(v, "last_id"), MSG1);
	assert_string_equal(tc_sval(json_object_get(v, "_id"), "user"), alice.id);
	json_decref(v);
	/* a later ack moves it on */
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", gid, MSG2);
	tc_expect(d, "PUT", path, alice.token, NULL, 204, NULL);
	v = unread_of(&alice, gid);
	assert_string_equal(tc_sval(v, "last_id"), MSG2);
	json_decref(v);
	/* bob is not in the group: MissingPermission, and nothing is written */
	tc_expect(d, "PUT", path, bob.token, NULL, 403, "MissingPermission");
	assert_null(unread_of(&bob, gid));
	/* unknown channel, bad message id, no session */
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", NOPE, MSG1);
	tc_expect(d, "PUT", path, alice.token, NULL, 404, "UnknownChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/ack/not-a-message", gid);
	tc_expect(d, "PUT", path, alice.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", gid, MSG1);
	tc_expect(d, "PUT", path, NULL, NULL, 401, NULL);
}

static void test_server_ack(void **state)
{
	char sid[32], cid[32], path[160];
	json_t *v;

	(void)state;
	tc_server_make(d, &alice, sid, cid);
	snprintf(path, sizeof(path), "/api/servers/%s/ack", sid);
	tc_expect(d, "PUT", path, alice.token, NULL, 204, NULL);
	v = unread_of(&alice, cid);
	assert_non_null(v);
	assert_int_equal(strlen(tc_sval(v, "last_id")), 26);
	assert_null(json_object_get(v, "mentions"));
	json_decref(v);
	tc_expect(d, "POST", path, alice.token, NULL, 204, NULL);
	/* not a member: NotFound, as the backend answers */
	tc_expect(d, "PUT", path, bob.token, NULL, 404, "NotFound");
	tc_expect(d, "POST", path, bob.token, NULL, 404, "NotFound");
	assert_null(unread_of(&bob, cid));
	snprintf(path, sizeof(path), "/api/servers/%s/ack", NOPE);
	tc_expect(d, "PUT", path, alice.token, NULL, 404, "NotFound");
	tc_expect(d, "PUT", path, NULL, NULL, 401, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_channel_ack),
	    cmocka_unit_test(test_server_ack),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
