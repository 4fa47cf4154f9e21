/*
 * tests/support/api_client.c: see api_client.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/buf.h"
#include "tests/support/api_client.h"

struct td *tc_start(const char *const *extra, int timeout_ms)
{
	struct td *d;

	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, NULL, timeout_ms);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	return d;
}

long tc_call_h(struct td *d, const char *method, const char *path, const char *hname,
               const char *token, const char *body, json_t **out)
{
	char h[200];
	const char *hdrs[2] = {NULL, NULL};
	struct td_resp r;
	long status;

	if (token) {
		snprintf(h, sizeof(h), "%s: %s", hname, token);
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

long tc_call(struct td *d, const char *method, const char *path, const char *token,
             const char *body, json_t **out)
{
	return tc_call_h(d, method, path, "X-Session-Token", token, body, out);
}

json_t *tc_ok(struct td *d, const char *method, const char *path, const char *token,
              const char *body, long status)
{
	json_t *v = NULL;
	long s = tc_call(d, method, path, token, body, &v);

	if (s != status) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld", method, path, body ? body : "", s,
		         text ? text : "(no body)", status);
	}
	return v;
}

const char *tc_sval(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

const char *tc_sget(const json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));

	assert_non_null(s);
	return s;
}

void tc_expect_h(struct td *d, const char *method, const char *path, const char *hname,
                 const char *token, const char *body, long status, const char *type)
{
	json_t *v = NULL;
	long s = tc_call_h(d, method, path, hname, token, body, &v);
	const char *t = v ? tc_sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
}

void tc_expect(struct td *d, const char *method, const char *path, const char *token,
               const char *body, long status, const char *type)
{
	tc_expect_h(d, method, path, "X-Session-Token", token, body, status, type);
}

void tc_expect_perm(struct td *d, const char *method, const char *path, const char *token,
                    const char *body, const char *permission)
{
	json_t *v = NULL;

	assert_int_equal(tc_call(d, method, path, token, body, &v), 403);
	assert_string_equal(tc_sval(v, "type"), "MissingPermission");
	assert_string_equal(tc_sval(v, "permission"), permission);
	json_decref(v);
}

void tc_user_make(struct td *d, const char *name, struct tc_user *u)
{
	char body[256];
	json_t *v = NULL;

	memset(u, 0, sizeof(*u));
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(tc_call(d, "POST", "/api/auth/account/create", NULL, body, NULL), 204);
	assert_int_equal(tc_call(d, "POST", "/api/auth/session/login", NULL, body, &v), 200);
	assert_non_null(tc_sval(v, "token"));
	assert_non_null(tc_sval(v, "user_id"));
	snprintf(u->token, sizeof(u->token), "%s", tc_sval(v, "token"));
	snprintf(u->id, sizeof(u->id), "%s", tc_sval(v, "user_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(tc_call(d, "POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

void tc_server_create(struct td *d, const struct tc_user *u, const char *name, char sid[32],
                      char cid[32])
{
	char body[128];
	json_t *v;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	v = tc_ok(d, "POST", "/api/servers/create", u->token, body, 200);
	snprintf(sid, 32, "%s", tc_sget(json_object_get(v, "server"), "_id"));
	if (cid)
		snprintf(cid, 32, "%s",
		         tc_sget(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
}

void tc_server_make(struct td *d, const struct tc_user *u, char sid[32], char cid[32])
{
	tc_server_create(d, u, "Test", sid, cid);
}

void tc_invite_make(struct td *d, const struct tc_user *u, const char *cid, char code[16])
{
	char path[128];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	assert_int_equal(tc_call(d, "POST", path, u->token, "{}", &v), 200);
	snprintf(code, 16, "%s", tc_sval(v, "_id"));
	assert_int_equal(strlen(code), 8);
	json_decref(v);
}

void tc_join(struct td *d, const struct tc_user *owner, const struct tc_user *u, const char *cid)
{
	char path[128];
	json_t *v;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	v = tc_ok(d, "POST", path, owner->token, "{}", 200);
	snprintf(path, sizeof(path), "/api/invites/%s", tc_sget(v, "_id"));
	json_decref(v);
	json_decref(tc_ok(d, "POST", path, u->token, "{}", 200));
}

void tc_bot_make(struct td *d, const struct tc_user *owner, const char *name, char id[32],
                 char token[80])
{
	char body[128];
	json_t *v = NULL, *u;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	assert_int_equal(tc_call(d, "POST", "/api/bots/create", owner->token, body, &v), 200);
	snprintf(id, 32, "%s", tc_sval(v, "_id"));
	snprintf(token, 80, "%s", tc_sval(v, "token"));
	assert_int_equal(strlen(id), 26);
	assert_int_equal(strlen(token), 64);
	assert_string_equal(tc_sval(v, "owner"), owner->id);
	assert_true(json_is_false(json_object_get(v, "public")));
	u = json_object_get(v, "user");
	assert_string_equal(tc_sval(u, "_id"), id);
	assert_string_equal(tc_sval(u, "username"), name);
	assert_int_equal(strlen(tc_sval(u, "discriminator")), 4);
	assert_string_equal(tc_sval(json_object_get(u, "bot"), "owner"), owner->id);
	json_decref(v);
}

int64_t tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *tc_ws_wait(struct wsc *c, const char *type, int ms)
{
	struct buf got = BUF_INIT(1 << 20);
	int64_t end = tc_now_ms() + ms;
	json_t *v = NULL;

	while (tc_now_ms() < end) {
		buf_reset(&got);
		if (wsc_recv_text(c, &got, 100) != SE_OK)
			continue;
		v = json_loads(buf_cstr(&got), 0, NULL);
		if (v && tc_sval(v, "type") && strcmp(tc_sval(v, "type"), type) == 0)
			break;
		json_decref(v);
		v = NULL;
	}
	buf_release(&got);
	return v;
}
