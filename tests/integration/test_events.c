/*
 * tests/integration/test_events.c: the Revolt event protocol against the
 * real daemon: handshake with the token query and with Authenticate, bad
 * tokens, the authentication deadline, Ready's contents and its `ready`
 * selection, live events of REST changes reaching the right sockets only,
 * the visibility change of joining and leaving a server, visibility
 * recomputed when overrides and roles change, presence, typing
 * (and its flood limit), Ping/Pong, and Logout when a session is deleted.
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

#include "core/buf.h"
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 20000
#define STOP_MS 15000
/* how long a socket waits to show that an event did NOT arrive */
#define QUIET_MS 400

struct user {
	char token[128];
	char id[32];
	char session[32];
};

static struct td *d;
static struct user alice, bob, carol;

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

static void login(const char *name, struct user *u)
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body),
	         "{\"email\":\"%s@example.org\",\"password\":\"correct horse battery\"}", name);
	assert_int_equal(call("POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(u->token, sizeof(u->token), "%s", sval(v, "token"));
	snprintf(u->id, sizeof(u->id), "%s", sval(v, "user_id"));
	snprintf(u->session, sizeof(u->session), "%s", sval(v, "_id"));
	json_decref(v);
}

static void make_user(const char *name, struct user *u)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(call("POST", "/api/auth/account/create", NULL, body, NULL), 204);
	login(name, u);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(call("POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next message as JSON within ms, or NULL. */
static json_t *next(struct wsc *c, int ms)
{
	struct buf got = BUF_INIT(1 << 22);
	json_t *v = NULL;

	if (wsc_recv_text(c, &got, ms) == SE_OK)
		v = json_loads(buf_cstr(&got), 0, NULL);
	buf_release(&got);
	return v;
}

/* Read until a message of `type` (and, if given, "id" == id) arrives (bounded). */
static json_t *wait_for(struct wsc *c, const char *type, const char *id, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		json_t *v = next(c, 100);

		if (v && sval(v, "type") && strcmp(sval(v, "type"), type) == 0 &&
		    (!id || (sval(v, "id") && strcmp(sval(v, "id"), id) == 0)))
			return v;
		json_decref(v);
	}
	return NULL;
}

/* Connect as `u` and read Authenticated then Ready; the Ready into *ready (may be NULL). */
static struct wsc *connect_as(const struct user *u, const char *extra, json_t **ready)
{
	char q[512];
	struct wsc *c = NULL;
	json_t *v;

	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s%s", u->token, extra ? extra : "");
	assert_int_equal(wsc_connect(td_ws_port(d), q, 5000, &c), SE_OK);
	v = next(c, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "type"), "Authenticated");
	json_decref(v);
	v = next(c, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "type"), "Ready");
	if (ready)
		*ready = v;
	else
		json_decref(v);
	return c;
}

/* An id-keyed entry of array `arr` ("_id" equal to id), borrowed, or NULL. */
static json_t *find_id(const json_t *arr, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (sval(v, "_id") && strcmp(sval(v, "_id"), id) == 0)
			return v;
	}
	return NULL;
}

/* {"type":type, key:value} */
static void send_msg(struct wsc *c, const char *type, const char *key, const char *value)
{
	char m[256];

	snprintf(m, sizeof(m), "{\"type\":\"%s\",\"%s\":\"%s\"}", type, key, value);
	assert_int_equal(wsc_send_text(c, str_from(m)), SE_OK);
}

/* A server of alice's, its first channel, and an invite code. */
static void make_server(const struct user *u, char sid[32], char cid[32], char code[32])
{
	char path[96];
	json_t *v = NULL;

	assert_int_equal(call("POST", "/api/servers/create", u->token, "{\"name\":\"ev\"}", &v),
	                 200);
	snprintf(sid, 32, "%s", sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, 32, "%s", sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	assert_int_equal(call("POST", path, u->token, "{}", &v), 200);
	snprintf(code, 32, "%s", sval(v, "_id"));
	json_decref(v);
}

static void rename_server(const struct user *u, const char *sid, const char *name)
{
	char path[96], body[96];

	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	assert_int_equal(call("PATCH", path, u->token, body, NULL), 200);
}

static int setup(void **state)
{
	char path[96];

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	setenv("SOLSTICE_WS_AUTH_TIMEOUT", "2", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	unsetenv("SOLSTICE_WS_AUTH_TIMEOUT");
	if (!d)
		return -1;
	make_user("alice", &alice);
	make_user("bob", &bob);
	make_user("carol", &carol);
	/* alice and bob are friends */
	snprintf(path, sizeof(path), "/api/users/%s/friend", bob.id);
	assert_int_equal(call("PUT", path, alice.token, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/users/%s/friend", alice.id);
	assert_int_equal(call("PUT", path, bob.token, "{}", NULL), 200);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_handshake_query(void **state)
{
	json_t *ready = NULL, *users, *me;
	struct wsc *c;
	const char *arrays[] = {"users",   "servers", "channels",
	                        "members", "emojis",  "policy_changes"};

	(void)state;
	c = connect_as(&alice, NULL, &ready);
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		assert_true(json_is_array(json_object_get(ready, arrays[i])));
	/* without `ready`, neither settings nor unreads are sent */
	assert_null(json_object_get(ready, "user_settings"));
	assert_null(json_object_get(ready, "channel_unreads"));
	users = json_object_get(ready, "users");
	me = json_array_get(users, json_array_size(users) - 1);
	assert_string_equal(sval(me, "_id"), alice.id);
	assert_string_equal(sval(me, "relationship"), "User");
	assert_true(json_is_true(json_object_get(me, "online")));
	/* the friend is known, with the relationship alice has */
	assert_string_equal(sval(find_id(users, bob.id), "relationship"), "Friend");
	assert_null(find_id(users, carol.id));
	json_decref(ready);
	/* Ping data comes back as sent; a Ping with "responded" gets nothing */
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":123456789012}")),
	                 SE_OK);
	ready = wait_for(c, "Pong", NULL, 3000);
	assert_non_null(ready);
	assert_int_equal(json_integer_value(json_object_get(ready, "data")), 123456789012LL);
	json_decref(ready);
	wsc_close(c);
}

static void test_handshake_authenticate(void **state)
{
	struct wsc *c = NULL;
	json_t *v;

	(void)state;
	assert_int_equal(wsc_connect(td_ws_port(d), "/any/path?version=1&format=json", 5000, &c),
	                 SE_OK);
	/* garbage before authenticating is ignored */
	assert_int_equal(wsc_send_text(c, STR_LIT("{nope")), SE_OK);
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"BeginTyping\",\"channel\":\"x\"}")),
	                 SE_OK);
	send_msg(c, "Authenticate", "token", bob.token);
	v = next(c, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "type"), "Authenticated");
	json_decref(v);
	v = next(c, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "type"), "Ready");
	json_decref(v);
	/* a second Authenticate changes nothing: no second Ready */
	send_msg(c, "Authenticate", "token", bob.token);
	v = wait_for(c, "Ready", NULL, QUIET_MS);
	assert_null(v);
	wsc_close(c);
}

static void expect_invalid_session(struct wsc *c)
{
	json_t *v = next(c, 5000);
	struct buf got = BUF_INIT(4096);
	int64_t end = now_ms() + 5000;

	assert_non_null(v);
	assert_string_equal(sval(v, "type"), "Error");
	assert_string_equal(sval(json_object_get(v, "data"), "type"), "InvalidSession");
	json_decref(v);
	/* then the socket is closed */
	while (now_ms() < end && wsc_recv_text(c, &got, 200) != SE_IO)
		;
	assert_true(wsc_close_code(c) != 0);
	buf_release(&got);
}

static void test_bad_token(void **state)
{
	struct wsc *c = NULL;

	(void)state;
	assert_int_equal(wsc_connect(td_ws_port(d), "/?version=1&format=json&token=nope", 5000, &c),
	                 SE_OK);
	expect_invalid_session(c);
	wsc_close(c);
	c = NULL;
	assert_int_equal(wsc_connect(td_ws_port(d), "/", 5000, &c), SE_OK);
	assert_int_equal(
	    wsc_send_text(c, STR_LIT("{\"type\":\"Authenticate\",\"token\":\"also-nope\"}")),
	    SE_OK);
	expect_invalid_session(c);
	wsc_close(c);
}

static void test_auth_timeout(void **state)
{
	struct wsc *c = NULL;
	struct buf got = BUF_INIT(4096);
	int64_t start = now_ms(), end = start + 8000;
	enum err rc = SE_TIMEOUT;

	(void)state;
	assert_int_equal(wsc_connect(td_ws_port(d), "/?version=1", 5000, &c), SE_OK);
	/* Pings are answered meanwhile, but do not count as authenticating */
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":1}")), SE_OK);
	while (now_ms() < end && rc != SE_IO) {
		buf_reset(&got);
		rc = wsc_recv_text(c, &got, 200);
	}
	assert_int_equal(rc, SE_IO);
	/* configured at 2 s */
	assert_true(now_ms() - start >= 1500);
	buf_release(&got);
	wsc_close(c);
}

static void test_ready_contents(void **state)
{
	char sid[32], cid[32], code[32], dm[32], group[32], body[128], path[96];
	json_t *ready = NULL, *v = NULL, *m;
	struct wsc *c;

	(void)state;
	make_server(&alice, sid, cid, code);
	snprintf(path, sizeof(path), "/api/users/%s/dm", bob.id);
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	snprintf(dm, sizeof(dm), "%s", sval(v, "_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\"]}", bob.id);
	assert_int_equal(call("POST", "/api/channels/create", alice.token, body, &v), 200);
	snprintf(group, sizeof(group), "%s", sval(v, "_id"));
	json_decref(v);

	c = connect_as(&alice, NULL, &ready);
	assert_non_null(find_id(json_object_get(ready, "servers"), sid));
	assert_non_null(find_id(json_object_get(ready, "channels"), cid));
	assert_string_equal(sval(find_id(json_object_get(ready, "channels"), dm), "channel_type"),
	                    "DirectMessage");
	assert_string_equal(
	    sval(find_id(json_object_get(ready, "channels"), group), "channel_type"), "Group");
	m = json_array_get(json_object_get(ready, "members"), 0);
	assert_non_null(m);
	assert_string_equal(sval(json_object_get(m, "_id"), "server"), sid);
	assert_string_equal(sval(json_object_get(m, "_id"), "user"), alice.id);
	json_decref(ready);
	wsc_close(c);

	/* bob sees the DM and group, not alice's server */
	c = connect_as(&bob, NULL, &ready);
	assert_null(find_id(json_object_get(ready, "servers"), sid));
	assert_null(find_id(json_object_get(ready, "channels"), cid));
	assert_non_null(find_id(json_object_get(ready, "channels"), dm));
	assert_non_null(find_id(json_object_get(ready, "users"), alice.id));
	json_decref(ready);
	wsc_close(c);

	/* `ready` selects fields: only servers and a settings key */
	assert_int_equal(
	    call("POST", "/api/sync/settings/set", alice.token, "{\"theme\":\"{}\"}", NULL), 204);
	c = connect_as(&alice, "&ready=servers&ready=user_settings[theme]&ready=channel_unreads",
	               &ready);
	assert_true(json_is_array(json_object_get(ready, "servers")));
	assert_null(json_object_get(ready, "users"));
	assert_null(json_object_get(ready, "channels"));
	assert_null(json_object_get(ready, "members"));
	assert_null(json_object_get(ready, "emojis"));
	assert_null(json_object_get(ready, "policy_changes"));
	assert_true(json_is_array(json_object_get(ready, "channel_unreads")));
	assert_true(
	    json_is_array(json_object_get(json_object_get(ready, "user_settings"), "theme")));
	json_decref(ready);
	wsc_close(c);
}

static void test_live_events_and_visibility(void **state)
{
	char sid[32], cid[32], code[32], path[96];
	struct wsc *a, *b, *cc;
	json_t *v;

	(void)state;
	make_server(&alice, sid, cid, code);
	a = connect_as(&alice, NULL, NULL);
	b = connect_as(&bob, NULL, NULL);
	cc = connect_as(&carol, NULL, NULL);
	/* a server change reaches its member, not the others */
	rename_server(&alice, sid, "one");
	v = wait_for(a, "ServerUpdate", sid, 5000);
	assert_non_null(v);
	assert_string_equal(sval(json_object_get(v, "data"), "name"), "one");
	json_decref(v);
	assert_null(wait_for(b, "ServerUpdate", sid, QUIET_MS));
	assert_null(wait_for(cc, "ServerUpdate", sid, 50));

	/* bob joins by invite: ServerCreate, then the server's events reach him */
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(call("POST", path, bob.token, "{}", NULL), 200);
	v = wait_for(b, "ServerCreate", sid, 5000);
	assert_non_null(v);
	json_decref(v);
	v = wait_for(a, "ServerMemberJoin", sid, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "user"), bob.id);
	json_decref(v);
	/* the subscription lands when ServerCreate is written: retry until seen */
	v = NULL;
	for (int i = 0; i < 20 && !v; i++) {
		rename_server(&alice, sid, i % 2 ? "two" : "three");
		v = wait_for(b, "ServerUpdate", sid, 250);
	}
	assert_non_null(v);
	json_decref(v);
	assert_null(wait_for(cc, "ServerUpdate", sid, QUIET_MS));

	/* bob leaves: his own leave event, then nothing more from the server */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	assert_int_equal(call("DELETE", path, bob.token, "{}", NULL), 204);
	v = wait_for(b, "ServerMemberLeave", sid, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "user"), bob.id);
	json_decref(v);
	rename_server(&alice, sid, "four");
	v = wait_for(a, "ServerUpdate", sid, 5000);
	assert_non_null(v);
	json_decref(v);
	assert_null(wait_for(b, "ServerUpdate", sid, QUIET_MS));

	/* deleting the server: alice is told and unsubscribed */
	assert_int_equal(call("DELETE", path, alice.token, "{}", NULL), 204);
	v = wait_for(a, "ServerDelete", sid, 5000);
	assert_non_null(v);
	json_decref(v);
	wsc_close(a);
	wsc_close(b);
	wsc_close(cc);
}

/* Does `v` (an event, or one inside a Bulk) have `type` and "id"/"_id" == id? */
static bool event_is(const json_t *v, const char *type, const char *id)
{
	const char *vid = sval(v, "id") ? sval(v, "id") : sval(v, "_id");

	return sval(v, "type") && strcmp(sval(v, "type"), type) == 0 && vid && strcmp(vid, id) == 0;
}

/*
 * Read until `type` for `id` arrives alone or inside a Bulk (bounded); the
 * message that carried it (a Bulk or the event) into *msg when given.
 */
static bool wait_in_bulk(struct wsc *c, const char *type, const char *id, int ms, json_t **msg)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		json_t *v = next(c, 100), *x;
		bool hit = v && event_is(v, type, id);
		size_t i;

		if (v && sval(v, "type") && strcmp(sval(v, "type"), "Bulk") == 0)
			json_array_foreach(json_object_get(v, "v"), i, x)
			{
				hit = hit || event_is(x, type, id);
			}
		if (hit) {
			if (msg)
				*msg = v;
			else
				json_decref(v);
			return true;
		}
		json_decref(v);
	}
	return false;
}

static void set_channel_perms(const struct user *u, const char *cid, const char *role,
                              unsigned long long allow, unsigned long long deny)
{
	char path[128], body[128];

	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, role);
	snprintf(body, sizeof(body), "{\"permissions\":{\"allow\":%llu,\"deny\":%llu}}", allow,
	         deny);
	assert_int_equal(call("PUT", path, u->token, body, NULL), 200);
}

/* Typing by `from` in `cid` reaches `to` (bounded retries) or, with !reach, does not. */
static void expect_typing(struct wsc *from, struct wsc *to, const char *cid, bool reach)
{
	json_t *v = NULL;

	for (int i = 0; i < (reach ? 10 : 1) && !v; i++) {
		send_msg(from, "BeginTyping", "channel", cid);
		v = wait_for(to, "ChannelStartTyping", cid, reach ? 500 : QUIET_MS);
	}
	if (reach)
		assert_non_null(v);
	else
		assert_null(v);
	json_decref(v);
}

static void test_visibility_changes(void **state)
{
	char sid[32], cid[32], code[32], rid[32], path[128], body[128];
	struct wsc *a, *b;
	json_t *v = NULL, *last;

	(void)state;
	make_server(&alice, sid, cid, code);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(call("POST", path, bob.token, "{}", NULL), 200);
	a = connect_as(&alice, NULL, NULL);
	b = connect_as(&bob, NULL, NULL);
	expect_typing(a, b, cid, true);

	/* the default override denies ViewChannel: bob's channel goes away */
	set_channel_perms(&alice, cid, "default", 0, 1048576);
	assert_true(wait_in_bulk(b, "ChannelDelete", cid, 5000, NULL));
	/* the owner still sees it and gets the update itself */
	v = wait_for(a, "ChannelUpdate", cid, 5000);
	assert_non_null(v);
	json_decref(v);
	expect_typing(a, b, cid, false);

	/* allowed again: ChannelCreate with the whole channel, and events flow */
	set_channel_perms(&alice, cid, "default", 0, 0);
	v = NULL;
	assert_true(wait_in_bulk(b, "ChannelCreate", cid, 5000, &v));
	if (strcmp(sval(v, "type"), "ChannelCreate") == 0) {
		assert_string_equal(sval(v, "channel_type"), "TextChannel");
		assert_string_equal(sval(v, "server"), sid);
	}
	json_decref(v);
	expect_typing(a, b, cid, true);

	/* a role with ViewChannel on a channel whose default denies it */
	set_channel_perms(&alice, cid, "default", 0, 1048576);
	assert_true(wait_in_bulk(b, "ChannelDelete", cid, 5000, NULL));
	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	assert_int_equal(call("POST", path, alice.token, "{\"name\":\"viewers\"}", &v), 200);
	snprintf(rid, sizeof(rid), "%s", sval(v, "id"));
	json_decref(v);
	set_channel_perms(&alice, cid, rid, 1048576, 0);
	/* bob does not hold the role: he hears nothing of the channel */
	assert_false(wait_in_bulk(b, "ChannelUpdate", cid, QUIET_MS, NULL));
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	snprintf(body, sizeof(body), "{\"roles\":[\"%s\"]}", rid);
	assert_int_equal(call("PATCH", path, alice.token, body, NULL), 200);
	v = NULL;
	assert_true(wait_in_bulk(b, "ChannelCreate", cid, 5000, &v));
	/* a Bulk ending with the member update itself */
	assert_string_equal(sval(v, "type"), "Bulk");
	last =
	    json_array_get(json_object_get(v, "v"), json_array_size(json_object_get(v, "v")) - 1);
	assert_string_equal(sval(last, "type"), "ServerMemberUpdate");
	json_decref(v);
	expect_typing(a, b, cid, true);

	/* the role taken away again: ChannelDelete */
	assert_int_equal(call("PATCH", path, alice.token, "{\"remove\":[\"Roles\"]}", NULL), 200);
	assert_true(wait_in_bulk(b, "ChannelDelete", cid, 5000, NULL));
	expect_typing(a, b, cid, false);

	/* the server's default permissions without ViewChannel hide the channel */
	set_channel_perms(&alice, cid, "default", 0, 0);
	assert_true(wait_in_bulk(b, "ChannelCreate", cid, 5000, NULL));
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/default", sid);
	snprintf(body, sizeof(body), "{\"permissions\":%llu}", 4000322560ULL & ~1048576ULL);
	assert_int_equal(call("PUT", path, alice.token, body, NULL), 200);
	v = NULL;
	assert_true(wait_in_bulk(b, "ChannelDelete", cid, 5000, &v));
	assert_string_equal(sval(v, "type"), "Bulk");
	last =
	    json_array_get(json_object_get(v, "v"), json_array_size(json_object_get(v, "v")) - 1);
	assert_string_equal(sval(last, "type"), "ServerUpdate");
	json_decref(v);
	snprintf(body, sizeof(body), "{\"permissions\":%llu}", 4000322560ULL);
	assert_int_equal(call("PUT", path, alice.token, body, NULL), 200);
	assert_true(wait_in_bulk(b, "ChannelCreate", cid, 5000, NULL));
	expect_typing(a, b, cid, true);
	wsc_close(a);
	wsc_close(b);
}

static void test_presence(void **state)
{
	char path[96];
	struct wsc *a, *b;
	json_t *v = NULL;

	(void)state;
	b = connect_as(&bob, NULL, NULL);
	snprintf(path, sizeof(path), "/api/users/%s", alice.id);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_false(json_is_true(json_object_get(v, "online")));
	json_decref(v);
	a = connect_as(&alice, NULL, NULL);
	v = wait_for(b, "UserUpdate", alice.id, 5000);
	assert_non_null(v);
	assert_true(json_is_true(json_object_get(json_object_get(v, "data"), "online")));
	json_decref(v);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "online")));
	json_decref(v);
	wsc_close(a);
	v = wait_for(b, "UserUpdate", alice.id, 5000);
	assert_non_null(v);
	assert_true(json_is_false(json_object_get(json_object_get(v, "data"), "online")));
	json_decref(v);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_false(json_is_true(json_object_get(v, "online")));
	json_decref(v);
	wsc_close(b);
}

static void test_typing(void **state)
{
	char path[96], dm[32];
	struct wsc *a, *b, *cc;
	json_t *v = NULL;
	int got = 0;

	(void)state;
	snprintf(path, sizeof(path), "/api/users/%s/dm", bob.id);
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	snprintf(dm, sizeof(dm), "%s", sval(v, "_id"));
	json_decref(v);
	a = connect_as(&alice, NULL, NULL);
	b = connect_as(&bob, NULL, NULL);
	cc = connect_as(&carol, NULL, NULL);
	send_msg(a, "BeginTyping", "channel", dm);
	v = wait_for(b, "ChannelStartTyping", dm, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "user"), alice.id);
	json_decref(v);
	send_msg(a, "EndTyping", "channel", dm);
	v = wait_for(b, "ChannelStopTyping", dm, 5000);
	assert_non_null(v);
	json_decref(v);
	/* carol cannot see the DM: her typing goes nowhere, and she hears nothing */
	send_msg(cc, "BeginTyping", "channel", dm);
	assert_null(wait_for(b, "ChannelStartTyping", dm, QUIET_MS));
	assert_null(wait_for(cc, "ChannelStartTyping", dm, 50));
	/* a flood is cut down to the burst */
	for (int i = 0; i < 200; i++)
		send_msg(a, "BeginTyping", "channel", dm);
	while ((v = wait_for(b, "ChannelStartTyping", dm, QUIET_MS))) {
		got++;
		json_decref(v);
	}
	assert_true(got > 0);
	assert_true(got <= 40);
	wsc_close(a);
	wsc_close(b);
	wsc_close(cc);
}

static void test_logout(void **state)
{
	struct user second;
	char path[96];
	struct wsc *one, *two;
	struct buf got = BUF_INIT(4096);
	json_t *v;
	int64_t end;

	(void)state;
	login("carol", &second);
	one = connect_as(&carol, NULL, NULL);
	two = connect_as(&second, NULL, NULL);
	snprintf(path, sizeof(path), "/api/auth/session/%s", second.session);
	assert_int_equal(call("DELETE", path, carol.token, "{}", NULL), 204);
	v = wait_for(two, "Logout", NULL, 5000);
	assert_non_null(v);
	json_decref(v);
	end = now_ms() + 5000;
	while (now_ms() < end && wsc_recv_text(two, &got, 200) != SE_IO)
		;
	assert_int_equal(wsc_close_code(two), 1000);
	/* the other session hears about it as an Auth event and stays */
	v = wait_for(one, "Auth", NULL, 5000);
	assert_non_null(v);
	assert_string_equal(sval(v, "event_type"), "DeleteSession");
	json_decref(v);
	assert_int_equal(wsc_send_text(one, STR_LIT("{\"type\":\"Ping\",\"data\":7}")), SE_OK);
	v = wait_for(one, "Pong", NULL, 3000);
	assert_non_null(v);
	json_decref(v);
	buf_release(&got);
	wsc_close(one);
	wsc_close(two);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_query),
	    cmocka_unit_test(test_handshake_authenticate),
	    cmocka_unit_test(test_bad_token),
	    cmocka_unit_test(test_auth_timeout),
	    cmocka_unit_test(test_ready_contents),
	    cmocka_unit_test(test_live_events_and_visibility),
	    cmocka_unit_test(test_visibility_changes),
	    cmocka_unit_test(test_presence),
	    cmocka_unit_test(test_typing),
	    cmocka_unit_test(test_logout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
