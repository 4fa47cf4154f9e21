/*
 * tests/integration/test_events_rest.c: every event the REST API publishes
 * that test_events.c and test_events_live.c do not assert, received over
 * the WebSocket by the sockets that should get it and not by the others:
 * ServerRoleUpdate (create), ServerRoleRanksUpdate, ServerRoleDelete;
 * WebhookCreate/Update/Delete; EmojiCreate/Delete; ChannelCreate of a
 * group, ChannelGroupJoin/Leave (and the subscription following them);
 * MessageUnreact, MessageRemoveReaction, BulkMessageDelete; ChannelAck and
 * UserSettingsUpdate to the user's own sockets only; UserUpdate of a profile
 * edit to friends and, after Subscribe{server_id}, to server members.
 * Also Ready's policy_changes: a change recorded with solstice-admin
 * ($SOLSTICE_ADMIN_BIN, else next to $SOLSTICE_BIN) is listed until the user
 * acknowledges it, and never for users created after it.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
#define THUMBS "%%F0%%9F%%91%%8D"

static struct td *d;
/*
 * alice owns the server; bob, carol and erin are members; dave is not.
 * alice is friends with bob and carol; erin is nobody's friend.
 */
static struct tc_user alice, bob, carol, dave, erin;
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

/* Read for QUIET_MS and fail if a message of `type` (with "id" == id, if given) arrives. */
static void expect_none_id(struct wsc *c, const char *type, const char *id)
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

static void expect_none(struct wsc *c, const char *type)
{
	expect_none_id(c, type, NULL);
}

/* The next `type` on c (owned); fails after WAIT_MS. */
static json_t *expect(struct wsc *c, const char *type)
{
	json_t *v = tc_ws_wait(c, type, WAIT_MS);

	if (!v)
		fail_msg("no %s arrived", type);
	return v;
}

/* The next `type` on c whose string field `key` is `want` (others skipped; owned). */
static json_t *expect_match(struct wsc *c, const char *type, const char *key, const char *want)
{
	int64_t end = tc_now_ms() + WAIT_MS;

	while (tc_now_ms() < end) {
		json_t *v = tc_ws_wait(c, type, (int)(end - tc_now_ms()));

		if (v && tc_sval(v, key) && strcmp(tc_sval(v, key), want) == 0)
			return v;
		json_decref(v);
	}
	fail_msg("no %s with %s=%s arrived", type, key, want);
	return NULL;
}

static void expect_field(struct wsc *c, const char *type, const char *key, const char *want)
{
	json_decref(expect_match(c, type, key, want));
}

/* A Ping round trip: every event published before it has been delivered. */
static void sync_ping(struct wsc *c)
{
	json_t *v;

	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":7}")), SE_OK);
	v = expect(c, "Pong");
	json_decref(v);
}

static void befriend(const struct tc_user *a, const struct tc_user *b)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/users/%s/friend", b->id);
	json_decref(tc_ok(d, "PUT", path, a->token, "{}", 200));
	snprintf(path, sizeof(path), "/api/users/%s/friend", a->id);
	json_decref(tc_ok(d, "PUT", path, b->token, "{}", 200));
}

static int setup(void **state)
{
	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	setenv("SOLSTICE_API_WEBHOOKS_ENABLED", "true", 1);
	d = tc_start(NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	unsetenv("SOLSTICE_API_WEBHOOKS_ENABLED");
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	tc_user_make(d, "dave", &dave);
	tc_user_make(d, "erin", &erin);
	tc_server_make(d, &alice, sid, cid);
	tc_join(d, &alice, &bob, cid);
	tc_join(d, &alice, &carol, cid);
	tc_join(d, &alice, &erin, cid);
	befriend(&alice, &bob);
	befriend(&alice, &carol);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

/* A new role of the server; its id into `rid`. */
static void role_create(const char *name, char rid[32])
{
	char path[96], body[96];
	json_t *v;

	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	v = tc_ok(d, "POST", path, alice.token, body, 200);
	snprintf(rid, 32, "%s", tc_sval(v, "id"));
	json_decref(v);
}

static void test_roles(void **state)
{
	struct wsc *b = connect_as(&bob), *x = connect_as(&dave);
	char r1[32], r2[32], path[128], body[128];
	json_t *v, *ranks;

	(void)state;
	role_create("first", r1);
	expect_field(b, "ServerRoleUpdate", "role_id", r1);
	role_create("second", r2);
	expect_field(b, "ServerRoleUpdate", "role_id", r2);

	snprintf(path, sizeof(path), "/api/servers/%s/roles/ranks", sid);
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\"]}", r2, r1);
	json_decref(tc_ok(d, "PATCH", path, alice.token, body, 200));
	v = expect(b, "ServerRoleRanksUpdate");
	assert_string_equal(tc_sval(v, "id"), sid);
	ranks = json_object_get(v, "ranks");
	assert_int_equal(json_array_size(ranks), 2);
	assert_string_equal(json_string_value(json_array_get(ranks, 0)), r2);
	assert_string_equal(json_string_value(json_array_get(ranks, 1)), r1);
	json_decref(v);

	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, r1);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, NULL, NULL), 204);
	v = expect(b, "ServerRoleDelete");
	assert_string_equal(tc_sval(v, "id"), sid);
	assert_string_equal(tc_sval(v, "role_id"), r1);
	json_decref(v);

	/* dave is not in the server */
	expect_none(x, "ServerRoleUpdate");
	expect_none(x, "ServerRoleRanksUpdate");
	expect_none(x, "ServerRoleDelete");
	wsc_close(b);
	wsc_close(x);
}

static void test_webhooks(void **state)
{
	struct wsc *b = connect_as(&bob), *x = connect_as(&dave);
	char path[128], wid[32];
	json_t *v;

	(void)state;
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	v = tc_ok(d, "POST", path, alice.token, "{\"name\":\"hook\"}", 200);
	snprintf(wid, sizeof(wid), "%s", tc_sval(v, "id"));
	json_decref(v);
	v = expect(b, "WebhookCreate");
	assert_string_equal(tc_sval(v, "id"), wid);
	assert_string_equal(tc_sval(v, "name"), "hook");
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	json_decref(v);

	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	json_decref(tc_ok(d, "PATCH", path, alice.token, "{\"name\":\"renamed\"}", 200));
	v = expect(b, "WebhookUpdate");
	assert_string_equal(tc_sval(v, "id"), wid);
	assert_string_equal(tc_sval(json_object_get(v, "data"), "name"), "renamed");
	json_decref(v);

	assert_int_equal(tc_call(d, "DELETE", path, alice.token, NULL, NULL), 204);
	expect_field(b, "WebhookDelete", "id", wid);

	expect_none(x, "WebhookCreate");
	expect_none(x, "WebhookUpdate");
	expect_none(x, "WebhookDelete");
	wsc_close(b);
	wsc_close(x);
}

/* ---- emojis: a real upload to /autumn/emojis ---- */

/* A 4x4 red RGB PNG. */
static const unsigned char png4[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26,
    0x93, 0x09, 0x29, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
    0xcf, 0xc0, 0x00, 0x47, 0x0c, 0xc4, 0x71, 0x00, 0xae, 0x93, 0x0f, 0xf1, 0xd0, 0x5f, 0x23,
    0x9e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	buf_append(b, p, sz * n);
	return sz * n;
}

/* POST the PNG as a multipart "file" part to /autumn/emojis; the file id. */
static void upload_emoji(const char *token, char id[64])
{
	static const char head[] = "--XyZzY\r\nContent-Disposition: form-data; name=\"file\"; "
	                           "filename=\"e.png\"\r\nContent-Type: image/png\r\n\r\n";
	static const char tail[] = "\r\n--XyZzY--\r\n";
	struct buf body = BUF_INIT(1 << 16), out = BUF_INIT(1 << 16);
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	char url[128], h[200];
	long status = 0;
	json_t *v;

	assert_non_null(c);
	buf_append(&body, head, sizeof(head) - 1);
	buf_append(&body, png4, sizeof(png4));
	buf_append(&body, tail, sizeof(tail) - 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/autumn/emojis", td_http_port(d));
	snprintf(h, sizeof(h), "X-Session-Token: %s", token);
	hl = curl_slist_append(hl, h);
	hl = curl_slist_append(hl, "Content-Type: multipart/form-data; boundary=XyZzY");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.ptr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (status != 200)
		fail_msg("upload: %ld %s", status, buf_cstr(&out));
	v = json_loads(buf_cstr(&out), 0, NULL);
	assert_non_null(tc_sval(v, "id"));
	snprintf(id, 64, "%s", tc_sval(v, "id"));
	json_decref(v);
	buf_release(&body);
	buf_release(&out);
}

static void test_emojis(void **state)
{
	struct wsc *b = connect_as(&bob), *x = connect_as(&dave);
	char id[64], path[128], body[160];
	json_t *v;

	(void)state;
	upload_emoji(alice.token, id);
	snprintf(path, sizeof(path), "/api/custom/emoji/%s", id);
	snprintf(body, sizeof(body),
	         "{\"name\":\"red\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);
	json_decref(tc_ok(d, "PUT", path, alice.token, body, 200));
	v = expect(b, "EmojiCreate");
	assert_string_equal(tc_sval(v, "_id"), id);
	assert_string_equal(tc_sval(v, "name"), "red");
	assert_string_equal(tc_sval(json_object_get(v, "parent"), "id"), sid);
	json_decref(v);

	assert_int_equal(tc_call(d, "DELETE", path, alice.token, NULL, NULL), 204);
	expect_field(b, "EmojiDelete", "id", id);

	expect_none(x, "EmojiCreate");
	expect_none(x, "EmojiDelete");
	wsc_close(b);
	wsc_close(x);
}

/* A message in `channel` by `u`; its id into mid. */
static void post(const struct tc_user *u, const char *channel, const char *text, char mid[32])
{
	char path[96], body[128];
	json_t *v;

	snprintf(path, sizeof(path), "/api/channels/%s/messages", channel);
	snprintf(body, sizeof(body), "{\"content\":\"%s\"}", text);
	v = tc_ok(d, "POST", path, u->token, body, 200);
	snprintf(mid, 32, "%s", tc_sval(v, "_id"));
	json_decref(v);
}

static void test_groups(void **state)
{
	struct wsc *b = connect_as(&bob), *c = connect_as(&carol), *x = connect_as(&dave);
	char gid[32], mid[32], path[128], body[96];
	json_t *v;

	(void)state;
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\"]}", bob.id);
	v = tc_ok(d, "POST", "/api/channels/create", alice.token, body, 200);
	snprintf(gid, sizeof(gid), "%s", tc_sval(v, "_id"));
	json_decref(v);
	expect_field(b, "ChannelCreate", "_id", gid);

	/* carol joins: bob hears of it, carol gets the group and its messages */
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", gid, carol.id);
	assert_int_equal(tc_call(d, "PUT", path, alice.token, NULL, NULL), 204);
	v = expect(b, "ChannelGroupJoin");
	assert_string_equal(tc_sval(v, "id"), gid);
	assert_string_equal(tc_sval(v, "user"), carol.id);
	json_decref(v);
	expect_field(c, "ChannelCreate", "_id", gid);
	sync_ping(c);
	post(&alice, gid, "hello group", mid);
	expect_field(c, "Message", "_id", mid);

	/* carol is removed: both hear of it, and carol no longer gets the group's messages */
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, NULL, NULL), 204);
	v = expect(b, "ChannelGroupLeave");
	assert_string_equal(tc_sval(v, "id"), gid);
	assert_string_equal(tc_sval(v, "user"), carol.id);
	json_decref(v);
	expect_field(c, "ChannelGroupLeave", "user", carol.id);
	sync_ping(c);
	post(&alice, gid, "after carol", mid);
	expect_field(b, "Message", "_id", mid);
	expect_none(c, "Message");

	expect_none(x, "ChannelCreate");
	expect_none(x, "ChannelGroupJoin");
	expect_none(x, "ChannelGroupLeave");
	wsc_close(b);
	wsc_close(c);
	wsc_close(x);
}

static void test_messages(void **state)
{
	struct wsc *c = connect_as(&carol), *x = connect_as(&dave);
	char m1[32], m2[32], m3[32], path[192], body[128];
	json_t *v, *ids;

	(void)state;
	post(&bob, cid, "one", m1);
	post(&bob, cid, "two", m2);
	post(&bob, cid, "three", m3);

	/* bob reacts and takes it back */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions/" THUMBS, cid, m1);
	assert_int_equal(tc_call(d, "PUT", path, bob.token, NULL, NULL), 204);
	assert_int_equal(tc_call(d, "DELETE", path, bob.token, NULL, NULL), 204);
	v = expect(c, "MessageUnreact");
	assert_string_equal(tc_sval(v, "id"), m1);
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	assert_string_equal(tc_sval(v, "user_id"), bob.id);
	assert_string_equal(tc_sval(v, "emoji_id"), "\xf0\x9f\x91\x8d");
	json_decref(v);

	/* bob reacts again; the owner removes the reaction for everyone */
	assert_int_equal(tc_call(d, "PUT", path, bob.token, NULL, NULL), 204);
	snprintf(path, sizeof(path),
	         "/api/channels/%s/messages/%s/reactions/" THUMBS "?remove_all=true", cid, m1);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, NULL, NULL), 204);
	v = expect(c, "MessageRemoveReaction");
	assert_string_equal(tc_sval(v, "id"), m1);
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	assert_string_equal(tc_sval(v, "emoji_id"), "\xf0\x9f\x91\x8d");
	json_decref(v);

	snprintf(path, sizeof(path), "/api/channels/%s/messages/bulk", cid);
	snprintf(body, sizeof(body), "{\"ids\":[\"%s\",\"%s\"]}", m2, m3);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, body, NULL), 204);
	v = expect(c, "BulkMessageDelete");
	assert_string_equal(tc_sval(v, "channel"), cid);
	ids = json_object_get(v, "ids");
	assert_int_equal(json_array_size(ids), 2);
	assert_true(strcmp(json_string_value(json_array_get(ids, 0)), m2) == 0 ||
	            strcmp(json_string_value(json_array_get(ids, 1)), m2) == 0);
	assert_true(strcmp(json_string_value(json_array_get(ids, 0)), m3) == 0 ||
	            strcmp(json_string_value(json_array_get(ids, 1)), m3) == 0);
	json_decref(v);

	expect_none(x, "MessageUnreact");
	expect_none(x, "MessageRemoveReaction");
	expect_none(x, "BulkMessageDelete");
	wsc_close(c);
	wsc_close(x);
}

/* ChannelAck and UserSettingsUpdate go to every socket of the user, and nobody else. */
static void test_private_events(void **state)
{
	struct wsc *b1 = connect_as(&bob), *b2 = connect_as(&bob), *a = connect_as(&alice);
	char mid[32], path[128];
	json_t *v;

	(void)state;
	post(&alice, cid, "read me", mid);
	snprintf(path, sizeof(path), "/api/channels/%s/ack/%s", cid, mid);
	assert_int_equal(tc_call(d, "PUT", path, bob.token, NULL, NULL), 204);
	for (int i = 0; i < 2; i++) {
		v = expect(i ? b2 : b1, "ChannelAck");
		assert_string_equal(tc_sval(v, "id"), cid);
		assert_string_equal(tc_sval(v, "user"), bob.id);
		assert_string_equal(tc_sval(v, "message_id"), mid);
		json_decref(v);
	}

	assert_int_equal(tc_call(d, "POST", "/api/sync/settings/set", bob.token,
	                         "{\"theme\":\"{\\\"dark\\\":true}\"}", NULL),
	                 204);
	for (int i = 0; i < 2; i++) {
		v = expect(i ? b2 : b1, "UserSettingsUpdate");
		assert_string_equal(tc_sval(v, "id"), bob.id);
		/* update: {key: [timestamp, value]} */
		assert_string_equal(json_string_value(json_array_get(
		                        json_object_get(json_object_get(v, "update"), "theme"), 1)),
		                    "{\"dark\":true}");
		json_decref(v);
	}
	expect_none(a, "ChannelAck");
	expect_none(a, "UserSettingsUpdate");
	wsc_close(b1);
	wsc_close(b2);
	wsc_close(a);
}

/*
 * The next UserUpdate of `id` carrying a status text (presence updates of
 * the same user are skipped); fails unless it is `text`.
 */
static void expect_status(struct wsc *c, const char *id, const char *text)
{
	int64_t end = tc_now_ms() + WAIT_MS;

	while (tc_now_ms() < end) {
		json_t *v = expect_match(c, "UserUpdate", "id", id);
		const char *got =
		    tc_sval(json_object_get(json_object_get(v, "data"), "status"), "text");

		if (got) {
			assert_string_equal(got, text);
			json_decref(v);
			return;
		}
		json_decref(v);
	}
	fail_msg("no status update of %s arrived", id);
}

/* A profile edit reaches friends, and members only through Subscribe{server_id}. */
static void test_user_update(void **state)
{
	struct wsc *b = connect_as(&bob), *e = connect_as(&erin), *x = connect_as(&dave);
	char m[128];

	(void)state;
	json_decref(tc_ok(d, "PATCH", "/api/users/@me", alice.token,
	                  "{\"status\":{\"text\":\"busy\"}}", 200));
	expect_status(b, alice.id, "busy");
	/* erin shares the server but is no friend and has not subscribed */
	expect_none_id(e, "UserUpdate", alice.id);

	snprintf(m, sizeof(m), "{\"type\":\"Subscribe\",\"server_id\":\"%s\"}", sid);
	assert_int_equal(wsc_send_text(e, str_from(m)), SE_OK);
	sync_ping(e);
	json_decref(tc_ok(d, "PATCH", "/api/users/@me", alice.token,
	                  "{\"status\":{\"text\":\"away\"}}", 200));
	expect_status(e, alice.id, "away");
	expect_status(b, alice.id, "away");
	expect_none_id(x, "UserUpdate", alice.id);
	wsc_close(b);
	wsc_close(e);
	wsc_close(x);
}

/* ---- policy changes ---- */

/*
 * Run solstice-admin --data <daemon's data> `args` (a shell-safe string);
 * its first output line into out (may be NULL); the exit status.
 */
static int admin(const char *args, char *out, size_t outn)
{
	const char *a = getenv("SOLSTICE_ADMIN_BIN"), *s = getenv("SOLSTICE_BIN");
	const char *slash = s ? strrchr(s, '/') : NULL;
	char bin[512], cmd[2048], line[512] = "";
	FILE *p;
	int st;

	if (a && *a)
		snprintf(bin, sizeof(bin), "%s", a);
	else if (slash)
		snprintf(bin, sizeof(bin), "%.*s/solstice-admin", (int)(slash - s), s);
	else
		snprintf(bin, sizeof(bin), "build/release/solstice-admin");
	snprintf(cmd, sizeof(cmd), "timeout 20 '%s' --data '%s' %s 2>&1", bin, td_data_dir(d),
	         args);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (out)
		snprintf(out, outn, "%s", line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Ready's policy_changes for u (owned; NULL when absent). */
static json_t *ready_policy(const struct tc_user *u, const char *extra)
{
	char q[300];
	struct wsc *c = NULL;
	json_t *v, *p;

	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s%s", u->token, extra);
	assert_int_equal(wsc_connect(td_ws_port(d), q, WAIT_MS, &c), SE_OK);
	v = tc_ws_wait(c, "Ready", WAIT_MS);
	assert_non_null(v);
	p = json_incref(json_object_get(v, "policy_changes"));
	json_decref(v);
	wsc_close(c);
	return p;
}

static void test_policy_changes(void **state)
{
	struct tc_user late;
	char id[64], line[512];
	json_t *p, *e;

	(void)state;
	/* nothing recorded yet */
	p = ready_policy(&bob, "");
	assert_true(json_is_array(p));
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
	/* bad input is refused */
	assert_int_equal(
	    admin("policy-change add --description x --url ftp://example.org", NULL, 0), 2);
	assert_int_equal(admin("policy-change add --url https://example.org", NULL, 0), 2);

	assert_int_equal(admin("policy-change add --description 'New terms' --url "
	                       "https://example.org/terms --effective-in-days 7",
	                       id, sizeof(id)),
	                 0);
	assert_int_equal(strlen(id), 26);
	p = ready_policy(&bob, "");
	assert_int_equal(json_array_size(p), 1);
	e = json_array_get(p, 0);
	assert_string_equal(tc_sval(e, "description"), "New terms");
	assert_string_equal(tc_sval(e, "url"), "https://example.org/terms");
	/* ISO 8601 with milliseconds; effective a week after created */
	assert_int_equal(strlen(tc_sval(e, "created_time")), 24);
	assert_int_equal(tc_sval(e, "created_time")[23], 'Z');
	assert_true(strcmp(tc_sval(e, "effective_time"), tc_sval(e, "created_time")) > 0);
	json_decref(p);
	/* the ready selection leaves it out */
	assert_null(ready_policy(&bob, "&ready=users"));

	/* acknowledged: gone for bob, still there for carol */
	assert_int_equal(tc_call(d, "POST", "/api/policy/acknowledge", bob.token, NULL, NULL), 200);
	p = ready_policy(&bob, "");
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
	p = ready_policy(&carol, "");
	assert_int_equal(json_array_size(p), 1);
	json_decref(p);
	/* an account made after the change never sees it */
	tc_user_make(d, "late", &late);
	p = ready_policy(&late, "");
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);

	assert_int_equal(admin("policy-change list", line, sizeof(line)), 0);
	assert_int_equal(strncmp(line, id, 26), 0);
	assert_non_null(strstr(line, "https://example.org/terms\tNew terms"));
	snprintf(line, sizeof(line), "policy-change remove %s", id);
	assert_int_equal(admin(line, NULL, 0), 0);
	assert_int_equal(admin(line, NULL, 0), 1);
	p = ready_policy(&carol, "");
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roles),       cmocka_unit_test(test_webhooks),
	    cmocka_unit_test(test_emojis),      cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_messages),    cmocka_unit_test(test_private_events),
	    cmocka_unit_test(test_user_update), cmocka_unit_test(test_policy_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
