/*
 * tests/integration/test_webhooks.c: channel webhooks against the real
 * daemon (api.webhooks_enabled on): create and list (ManageWebhooks),
 * fetch / edit / delete by session and by token, hostile bodies, unknown
 * ids, executing (a message as the webhook; GitHub events as an embed),
 * and the /webhooks/ mount answering 404 when the feature is off.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

struct user {
	char token[128];
	char id[32];
};

static struct td *d;

/* One request with header "<hname>: <token>"; the status, and the JSON body when asked. */
static long call_h(const char *method, const char *path, const char *hname, const char *token,
                   const char *body, json_t **out)
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

static long call(const char *method, const char *path, const char *token, const char *body,
                 json_t **out)
{
	return call_h(method, path, "X-Session-Token", token, body, out);
}

static const char *sval(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static void expect_h(const char *method, const char *path, const char *hname, const char *token,
                     const char *body, long status, const char *type)
{
	json_t *v = NULL;
	long s = call_h(method, path, hname, token, body, &v);
	const char *t = v ? sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
}

static void expect(const char *method, const char *path, const char *token, const char *body,
                   long status, const char *type)
{
	expect_h(method, path, "X-Session-Token", token, body, status, type);
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

static int setup(void **state)
{
	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	setenv("SOLSTICE_API_WEBHOOKS_ENABLED", "true", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_API_WEBHOOKS_ENABLED");
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_webhooks(void **state)
{
	struct user hal, ivy;
	char sid[32], cid[32], wid[32], wtok[80], path[200];
	json_t *v = NULL;

	(void)state;
	make_user("hal", &hal);
	make_user("ivy", &ivy);
	assert_int_equal(call("POST", "/api/servers/create", hal.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, sizeof(cid), "%s",
	         sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);

	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	expect("POST", path, hal.token, "{}", 400, "FailedValidation");
	expect("POST", path, hal.token, "{\"name\":\"\"}", 400, "FailedValidation");
	expect("POST", path, hal.token, "{\"name\":\"123456789012345678901234567890123\"}", 400,
	       "FailedValidation");
	expect("POST", path, hal.token, "{\"name\":\"W\",\"avatar\":\"nofile\"}", 400,
	       "UnknownAttachment");
	expect("POST", path, ivy.token, "{\"name\":\"W\"}", 403, "MissingPermission");
	expect("POST", "/api/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks", hal.token,
	       "{\"name\":\"W\"}", 404, "NotFound");
	assert_int_equal(call("POST", path, hal.token, "{\"name\":\"Hook\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", sval(v, "id"));
	snprintf(wtok, sizeof(wtok), "%s", sval(v, "token"));
	assert_int_equal(strlen(wid), 26);
	assert_int_equal(strlen(wtok), 64);
	assert_string_equal(sval(v, "name"), "Hook");
	assert_string_equal(sval(v, "creator_id"), hal.id);
	assert_string_equal(sval(v, "channel_id"), cid);
	assert_int_equal(json_integer_value(json_object_get(v, "permissions")), 876609536);
	json_decref(v);

	/* list */
	assert_int_equal(call("GET", path, hal.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(sval(json_array_get(v, 0), "id"), wid);
	json_decref(v);
	expect("GET", path, ivy.token, NULL, 403, "MissingPermission");

	/* fetch by session: ResponseWebhook, no token */
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	assert_int_equal(call("GET", path, hal.token, NULL, &v), 200);
	assert_string_equal(sval(v, "id"), wid);
	assert_null(json_object_get(v, "token"));
	assert_true(json_is_null(json_object_get(v, "avatar")));
	assert_string_equal(sval(v, "channel_id"), cid);
	json_decref(v);
	expect("GET", path, ivy.token, NULL, 403, "MissingPermission");
	expect("GET", "/api/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV", hal.token, NULL, 404, "NotFound");

	/* by token */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_string_equal(sval(v, "token"), wtok);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/wrongtoken", wid);
	expect("GET", path, NULL, NULL, 401, "NotAuthenticated");
	expect("PATCH", path, NULL, "{\"name\":\"x\"}", 401, "NotAuthenticated");
	expect("DELETE", path, NULL, "{}", 401, "NotAuthenticated");

	/* edit by session and by token */
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	expect("PATCH", path, ivy.token, "{\"name\":\"x\"}", 403, "MissingPermission");
	expect("PATCH", path, hal.token, "{\"remove\":[\"Name\"]}", 400, "FailedValidation");
	expect("PATCH", path, hal.token, "{\"permissions\":-1}", 400, "FailedValidation");
	assert_int_equal(
	    call("PATCH", path, hal.token, "{\"name\":\"Renamed\",\"permissions\":4194304}", &v),
	    200);
	assert_string_equal(sval(v, "name"), "Renamed");
	assert_int_equal(json_integer_value(json_object_get(v, "permissions")), 4194304);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(call("PATCH", path, NULL, "{\"name\":\"ByToken\"}", &v), 200);
	assert_string_equal(sval(v, "name"), "ByToken");
	json_decref(v);

	/* delete by token; then it is gone */
	expect("DELETE", path, NULL, "{}", 204, NULL);
	expect("GET", path, NULL, NULL, 404, "NotFound");

	/* a second one, deleted by session */
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	assert_int_equal(call("POST", path, hal.token, "{\"name\":\"Two\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", sval(v, "id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	expect("DELETE", path, ivy.token, "{}", 403, "MissingPermission");
	expect("DELETE", path, hal.token, "{}", 204, NULL);
	expect("DELETE", path, hal.token, "{}", 404, "NotFound");

	/* saved messages cannot have webhooks */
	snprintf(path, sizeof(path), "/api/users/%s/dm", hal.id);
	assert_int_equal(call("GET", path, hal.token, NULL, &v), 200);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", sval(v, "_id"));
	json_decref(v);
	expect("POST", path, hal.token, "{\"name\":\"W\"}", 400, "InvalidOperation");
}

/* The newest message of channel `cid` (new reference) and the count. */
static json_t *newest(const char *token, const char *cid, size_t *count)
{
	char path[128];
	json_t *v = NULL, *m;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=100", cid);
	assert_int_equal(call("GET", path, token, NULL, &v), 200);
	assert_true(json_is_array(v));
	*count = json_array_size(v);
	m = json_incref(json_array_get(v, 0));
	json_decref(v);
	return m;
}

static const char push_event[] =
    "{\"ref\":\"refs/heads/main\",\"before\":\"0000000000\",\"after\":"
    "\"abcdef0123456789\",\"created\":false,\"deleted\":false,\"forced\":false,"
    "\"compare\":\"https://github.com/o/r/compare/a...b\",\"commits\":[{\"id\":"
    "\"1234567890abcdef\",\"message\":\"fix the thing\",\"url\":"
    "\"https://github.com/o/r/commit/1234567\",\"author\":{\"name\":\"Octo Cat\"}}],"
    "\"sender\":{\"login\":\"octocat\",\"avatar_url\":"
    "\"https://avatars.githubusercontent.com/u/1\",\"html_url\":"
    "\"https://github.com/octocat\"},\"repository\":{\"full_name\":\"o/r\",\"html_url\":"
    "\"https://github.com/o/r\"}}";

static void test_execute(void **state)
{
	struct user kai, lou;
	char cid[32], wid[32], wtok[80], w2[32], w2tok[80], path[200];
	json_t *v = NULL, *m;
	size_t n0, n1;

	(void)state;
	make_user("kai", &kai);
	make_user("lou", &lou);
	assert_int_equal(call("POST", "/api/servers/create", kai.token, "{\"name\":\"X\"}", &v),
	                 200);
	snprintf(cid, sizeof(cid), "%s",
	         sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	assert_int_equal(call("POST", path, kai.token, "{\"name\":\"Poster\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", sval(v, "id"));
	snprintf(wtok, sizeof(wtok), "%s", sval(v, "token"));
	json_decref(v);
	assert_int_equal(call("POST", path, kai.token, "{\"name\":\"Mute\"}", &v), 200);
	snprintf(w2, sizeof(w2), "%s", sval(v, "id"));
	snprintf(w2tok, sizeof(w2tok), "%s", sval(v, "token"));
	json_decref(v);

	/* execute: the Message, authored by the webhook */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(call("POST", path, NULL, "{\"content\":\"hello from a hook\"}", &v), 200);
	assert_string_equal(sval(v, "author"), wid);
	assert_string_equal(sval(v, "channel"), cid);
	assert_string_equal(sval(v, "content"), "hello from a hook");
	assert_string_equal(sval(json_object_get(v, "webhook"), "name"), "Poster");
	json_decref(v);
	m = newest(kai.token, cid, &n0);
	assert_string_equal(sval(m, "content"), "hello from a hook");
	assert_string_equal(sval(json_object_get(m, "webhook"), "name"), "Poster");
	json_decref(m);

	/* bad bodies, wrong tokens, unknown webhooks */
	expect("POST", path, NULL, "{}", 422, "EmptyMessage");
	expect("POST", path, NULL, "{\"content\":5}", 400, "FailedValidation");
	expect("POST", path, NULL, "[1", 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, w2tok);
	expect("POST", path, NULL, "{\"content\":\"x\"}", 401, "NotAuthenticated");
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s/github", wid, w2tok);
	expect_h("POST", path, "X-GitHub-Event", "push", push_event, 401, "NotAuthenticated");
	snprintf(path, sizeof(path), "/api/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV/%s", wtok);
	expect("POST", path, NULL, "{\"content\":\"x\"}", 404, "NotFound");

	/* a webhook without SendMessage; a session user cannot lend it one */
	snprintf(path, sizeof(path), "/api/webhooks/%s", w2);
	expect("PATCH", path, lou.token, "{\"permissions\":4194304}", 403, "MissingPermission");
	assert_int_equal(
	    call("PATCH", path, kai.token, "{\"name\":\"Mute\",\"permissions\":0}", &v), 200);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", w2, w2tok);
	expect("POST", path, NULL, "{\"content\":\"x\"}", 403, "MissingPermission");

	/* GitHub: a push becomes a message with a Text embed; ping posts nothing */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s/github", wid, wtok);
	m = newest(kai.token, cid, &n0);
	json_decref(m);
	{
		json_t *r = NULL;
		long st = call_h("POST", path, "X-GitHub-Event", "push", push_event, &r);

		if (st != 200 && st != 204)
			fail_msg("github push: %ld %s", st, r ? json_dumps(r, 0) : "");
		json_decref(r);
	}
	m = newest(kai.token, cid, &n1);
	assert_int_equal(n1, n0 + 1);
	assert_non_null(json_object_get(m, "webhook"));
	{
		const json_t *e = json_array_get(json_object_get(m, "embeds"), 0);
		char *text = json_dumps(e, 0);

		assert_non_null(e);
		assert_string_equal(sval(e, "type"), "Text");
		/* the embed names the repository and the commit message */
		assert_non_null(strstr(text, "o/r"));
		assert_non_null(strstr(text, "fix the thing"));
		free(text);
	}
	json_decref(m);
	{
		json_t *r = NULL;
		long st = call_h("POST", path, "X-GitHub-Event", "ping", "{\"zen\":\"hi\"}", &r);

		assert_true(st == 200 || st == 204);
		json_decref(r);
	}
	m = newest(kai.token, cid, &n0);
	assert_int_equal(n0, n1);
	json_decref(m);
	expect_h("POST", path, "X-GitHub-Event", "gollum", push_event, 400, "InvalidOperation");
	expect_h("POST", path, NULL, NULL, push_event, 400, "InvalidOperation");
	expect_h("POST", path, "X-GitHub-Event", "push", "{\"ref\":\"refs/heads/main\"}", 400,
	         "InvalidOperation");
}

/* Without api.webhooks_enabled the /webhooks/ mount is absent. */
static void test_disabled(void **state)
{
	struct td *saved = d;
	struct user jo;
	char path[200];
	json_t *v = NULL;

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	make_user("jo", &jo);
	assert_int_equal(call("POST", "/api/servers/create", jo.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks",
	         sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	/* the channel routes stay */
	assert_int_equal(call("POST", path, jo.token, "{\"name\":\"W\"}", &v), 200);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", sval(v, "id"), sval(v, "token"));
	json_decref(v);
	expect("GET", path, NULL, NULL, 404, NULL);
	expect("POST", path, NULL, "{\"content\":\"x\"}", 404, NULL);
	strncat(path, "/github", sizeof(path) - strlen(path) - 1);
	expect_h("POST", path, "X-GitHub-Event", "ping", "{}", 404, NULL);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
	d = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_webhooks),
	    cmocka_unit_test(test_execute),
	    cmocka_unit_test(test_disabled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
