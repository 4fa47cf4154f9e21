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
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 20000
#define STOP_MS 15000

struct user {
	char token[128];
	char id[32];
};

static struct td *d;
static struct user alice, bob;

static long call(const char *method, const char *path, const char *token, const char *body,
                 json_t **out)
{
	char h[160];
	const char *hdrs[2] = {NULL, NULL};
	struct td_resp r;
	long status;

	if (token) {
		snprintf(h, sizeof(h), "X-Session-Token: %s", token);
		hdrs[0] = h;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out) {
		*out = r.body_len ? json_loadb(r.body, r.body_len, JSON_DECODE_ANY, NULL) : NULL;
		if (r.body_len && !*out)
			fail_msg("%s %s: not JSON: '%s'", method, path, r.body);
	}
	td_resp_release(&r);
	return status;
}

static const char *sval(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static void expect(const char *method, const char *path, const char *token, const char *body,
                   long status, const char *type)
{
	json_t *v = NULL;
	long s = call(method, path, token, body, &v);
	const char *t = v ? sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
}

static void make_user(const char *name, struct user *u)
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(call("POST", "/api/auth/account/create", NULL, body, NULL), 204);
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s@example.org\",\"password\":\"correct horse battery\"}", name);
	assert_int_equal(call("POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(u->token, sizeof(u->token), "%s", sval(v, "token"));
	snprintf(u->id, sizeof(u->id), "%s", sval(v, "user_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(call("POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *ws_wait(struct wsc *c, const char *type, int ms)
{
	struct buf got = BUF_INIT(1 << 20);
	int64_t end = now_ms() + ms;
	json_t *v = NULL;

	while (now_ms() < end) {
		buf_reset(&got);
		if (wsc_recv_text(c, &got, 100) != SE_OK)
			continue;
		v = json_loads(buf_cstr(&got), 0, NULL);
		if (v && sval(v, "type") && strcmp(sval(v, "type"), type) == 0)
			break;
		json_decref(v);
		v = NULL;
	}
	buf_release(&got);
	return v;
}

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	if (!d)
		return -1;
	make_user("alice", &alice);
	make_user("bob", &bob);
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
static json_t *unread_of(const struct user *u, const char *channel)
{
	json_t *v = NULL, *e, *found = NULL;
	size_t i;

	assert_int_equal(call("GET", "/api/sync/unreads", u->token, NULL, &v), 200);
	json_array_foreach(v, i, e)
	{
		if (strcmp(sval(json_object_get(e, "_id"), "channel"), channel) == 0)
			found = json_incref(e);
	}
	json_decref(v);
	return found;
}

static void make_group(const struct user *u, char id[32])
{
	json_t *v = NULL;

	assert_int_equal(call("POST", "/api/channels/create", u->token, "{\"name\":\"G\"}", &v),
	                 200);
	snprintf(id, 32, "%s", sval(v, "_id"));
	json_decref(v);
}

static void make_server(const struct user *u, char sid[32], char cid[32])
{
	json_t *v = NULL;

	assert_int_equal(call("POST", "/api/servers/create", u->token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, 32, "%s", sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, 32, "%s", sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
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
		assert_int_equal(call("PUT", path, alice.token, NULL, NULL), 204);
		ev = ws_wait(c, "ChannelAck", 200);
	}
	assert_non_null(ev);
	assert_string_equal(sval(ev, "id"), gid);
	assert_string_equal(sval(ev, "user"), alice.id);
	assert_string_equal(sval(ev, "message_id"), MSG1);
	json_decref(ev);
	wsc_close(c);
	v = unread_of(&alice, gid);
	assert_non_null(v);
	assert_string_equal(sval(v, "last_id"), MSG1);
	assert_string_equal(sval(json_object_get(v, "_id"), "user"), alice.id);
	json_decref(v);
	/* a later ack moves it on */
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", gid, MSG2);
	expect("PUT", path, alice.token, NULL, 204, NULL);
	v = unread_of(&alice, gid);
	assert_string_equal(sval(v, "last_id"), MSG2);
	json_decref(v);
	/* bob is not in the group: MissingPermission, and nothing is written */
	expect("PUT", path, bob.token, NULL, 403, "MissingPermission");
	assert_null(unread_of(&bob, gid));
	/* unknown channel, bad message id, no session */
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", NOPE, MSG1);
	expect("PUT", path, alice.token, NULL, 404, "UnknownChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/ack/not-a-message", gid);
	expect("PUT", path, alice.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", gid, MSG1);
	expect("PUT", path, NULL, NULL, 401, NULL);
}

static void test_server_ack(void **state)
{
	char sid[32], cid[32], path[160];
	json_t *v;

	(void)state;
	make_server(&alice, sid, cid);
	snprintf(path, sizeof(path), "/api/servers/%s/ack", sid);
	expect("PUT", path, alice.token, NULL, 204, NULL);
	v = unread_of(&alice, cid);
	assert_non_null(v);
	assert_int_equal(strlen(sval(v, "last_id")), 26);
	assert_null(json_object_get(v, "mentions"));
	json_decref(v);
	expect("POST", path, alice.token, NULL, 204, NULL);
	/* not a member: NotFound, as the backend answers */
	expect("PUT", path, bob.token, NULL, 404, "NotFound");
	expect("POST", path, bob.token, NULL, 404, "NotFound");
	assert_null(unread_of(&bob, cid));
	snprintf(path, sizeof(path), "/api/servers/%s/ack", NOPE);
	expect("PUT", path, alice.token, NULL, 404, "NotFound");
	expect("PUT", path, NULL, NULL, 401, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_channel_ack),
	    cmocka_unit_test(test_server_ack),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
