/*
 * tests/integration/test_bots.c: bots against the real daemon: create (name
 * rules, the per-owner cap), x-bot-token on a delta route, owner-only
 * fetch/edit/delete, token reset, IsBot for bot callers, the public view
 * and inviting a bot to a server and a group.
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

/* A bot of `owner` named `name`: its id and token. */
static void make_bot(const struct user *owner, const char *name, char id[32], char token[80])
{
	char body[128];
	json_t *v = NULL, *u;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	assert_int_equal(call("POST", "/api/bots/create", owner->token, body, &v), 200);
	snprintf(id, 32, "%s", sval(v, "_id"));
	snprintf(token, 80, "%s", sval(v, "token"));
	assert_int_equal(strlen(id), 26);
	assert_int_equal(strlen(token), 64);
	assert_string_equal(sval(v, "owner"), owner->id);
	assert_true(json_is_false(json_object_get(v, "public")));
	u = json_object_get(v, "user");
	assert_string_equal(sval(u, "_id"), id);
	assert_string_equal(sval(u, "username"), name);
	assert_int_equal(strlen(sval(u, "discriminator")), 4);
	assert_string_equal(sval(json_object_get(u, "bot"), "owner"), owner->id);
	json_decref(v);
}

static int setup(void **state)
{
	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_bots(void **state)
{
	struct user alice, bob;
	char id[32], token[80], id2[32], token2[80], path[160], old[80];
	json_t *v = NULL;

	(void)state;
	make_user("alice", &alice);
	make_user("bob", &bob);
	make_bot(&alice, "helper", id, token);

	/* bad bodies */
	expect("POST", "/api/bots/create", alice.token, "{}", 400, "FailedValidation");
	expect("POST", "/api/bots/create", alice.token, "{\"name\":\"a\"}", 400,
	       "FailedValidation");
	expect("POST", "/api/bots/create", alice.token, "{\"name\":\"has space\"}", 400,
	       "FailedValidation");
	expect("POST", "/api/bots/create", alice.token, "{\"name\":\"admin\"}", 400,
	       "InvalidUsername");
	expect("POST", "/api/bots/create", NULL, "{\"name\":\"x1\"}", 401, NULL);

	/* the token works on delta routes; a bot may not create bots */
	assert_int_equal(call_h("GET", "/api/users/@me", "X-Bot-Token", token, NULL, &v), 200);
	assert_string_equal(sval(v, "_id"), id);
	assert_string_equal(sval(json_object_get(v, "bot"), "owner"), alice.id);
	json_decref(v);
	expect_h("POST", "/api/bots/create", "X-Bot-Token", token, "{\"name\":\"botbot\"}", 400,
	         "IsBot");
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	expect_h("GET", path, "X-Bot-Token", token, NULL, 400, "IsBot");
	expect_h("GET", "/api/users/@me", "X-Bot-Token", "nope", NULL, 401, NULL);

	/* owner-only */
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(sval(json_object_get(v, "bot"), "token"), token);
	assert_string_equal(sval(json_object_get(v, "user"), "_id"), id);
	json_decref(v);
	expect("GET", path, bob.token, NULL, 404, "NotFound");
	expect("PATCH", path, bob.token, "{\"public\":true}", 404, "NotFound");
	expect("DELETE", path, bob.token, "{}", 404, "NotFound");
	expect("GET", "/api/bots/01ARZ3NDEKTSV4RRFFQ69G5FAV", alice.token, NULL, 404, "NotFound");

	/* the private bot's public view and invites */
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	expect("GET", path, bob.token, NULL, 404, "NotFound");
	expect("GET", path, NULL, NULL, 404, "NotFound");
	expect("POST", path, bob.token, "{\"group\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}", 403,
	       "BotIsPrivate");
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(sval(v, "_id"), id);
	assert_string_equal(sval(v, "username"), "helper");
	json_decref(v);

	/* edit: public, rename, token reset */
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	expect("PATCH", path, alice.token, "{\"remove\":[\"Nope\"]}", 400, "FailedValidation");
	expect("PATCH", path, alice.token, "{\"public\":\"yes\"}", 400, "FailedValidation");
	assert_int_equal(call("PATCH", path, alice.token,
	                      "{\"public\":true,\"analytics\":true,\"name\":\"helper2\","
	                      "\"interactions_url\":\"https://example.org/i\"}",
	                      &v),
	                 200);
	assert_true(json_is_true(json_object_get(v, "public")));
	assert_true(json_is_true(json_object_get(v, "analytics")));
	assert_string_equal(sval(v, "interactions_url"), "https://example.org/i");
	assert_string_equal(sval(json_object_get(v, "user"), "username"), "helper2");
	assert_string_equal(sval(v, "token"), token);
	json_decref(v);
	snprintf(old, sizeof(old), "%s", token);
	assert_int_equal(
	    call("PATCH", path, alice.token, "{\"remove\":[\"Token\",\"InteractionsURL\"]}", &v),
	    200);
	snprintf(token, sizeof(token), "%s", sval(v, "token"));
	assert_int_equal(strlen(token), 64);
	assert_string_not_equal(token, old);
	assert_null(json_object_get(v, "interactions_url"));
	json_decref(v);
	expect_h("GET", "/api/users/@me", "X-Bot-Token", old, NULL, 401, NULL);
	assert_int_equal(call_h("GET", "/api/users/@me", "X-Bot-Token", token, NULL, NULL), 200);

	/* public now: anyone sees it */
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_string_equal(sval(v, "username"), "helper2");
	json_decref(v);

	/* the cap: a new account owns at most 2 */
	make_bot(&alice, "helper3", id2, token2);
	expect("POST", "/api/bots/create", alice.token, "{\"name\":\"helper4\"}", 400,
	       "ReachedMaximumBots");
	assert_int_equal(call("GET", "/api/bots/@me", alice.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bots")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	assert_string_equal(sval(json_array_get(json_object_get(v, "bots"), 0), "_id"),
	                    sval(json_array_get(json_object_get(v, "users"), 0), "_id"));
	json_decref(v);
	assert_int_equal(call("GET", "/api/bots/@me", bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bots")), 0);
	json_decref(v);

	/* delete: the bot user is marked deleted, its token stops working */
	snprintf(path, sizeof(path), "/api/bots/%s", id2);
	assert_int_equal(call("DELETE", path, alice.token, "{}", NULL), 204);
	expect("GET", path, alice.token, NULL, 404, "NotFound");
	expect_h("GET", "/api/users/@me", "X-Bot-Token", token2, NULL, 401, NULL);
	snprintf(path, sizeof(path), "/api/users/%s/flags", id2);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 2);
	json_decref(v);
	/* the slot is free again */
	make_bot(&alice, "helper5", id2, token2);
}

static void test_bot_invites(void **state)
{
	struct user carol, dave;
	char id[32], token[80], path[160], body[128], sid[32];
	json_t *v = NULL;

	(void)state;
	make_user("carol", &carol);
	make_user("dave", &dave);
	make_bot(&carol, "inviter", id, token);
	assert_int_equal(call("POST", "/api/servers/create", carol.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	json_decref(v);

	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	expect("POST", path, carol.token, "{}", 400, "FailedValidation");
	expect("POST", path, carol.token, "{\"server\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}", 404,
	       "NotFound");
	expect_h("POST", path, "X-Bot-Token", token, "{}", 400, "IsBot");
	snprintf(body, sizeof(body), "{\"server\":\"%s\"}", sid);
	assert_int_equal(call("POST", path, carol.token, body, NULL), 204);
	expect("POST", path, carol.token, body, 409, "AlreadyInServer");

	/* the bot sees the server now */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	assert_int_equal(call_h("GET", path, "X-Bot-Token", token, NULL, NULL), 200);
	/* bots cannot join through invites or create servers */
	expect_h("POST", "/api/servers/create", "X-Bot-Token", token, "{\"name\":\"B\"}", 400,
	         "IsBot");

	/* dave (not a member) may not invite a now-public bot to carol's server */
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	assert_int_equal(call("PATCH", path, carol.token, "{\"public\":true}", NULL), 200);
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	assert_int_equal(call("POST", path, dave.token, body, &v), 403);
	assert_string_equal(sval(v, "type"), "MissingPermission");
	assert_string_equal(sval(v, "permission"), "ManageServer");
	json_decref(v);

	/* a group of dave's */
	assert_int_equal(call("POST", "/api/channels/create", dave.token, "{\"name\":\"G\"}", &v),
	                 200);
	snprintf(body, sizeof(body), "{\"group\":\"%s\"}", sval(v, "_id"));
	json_decref(v);
	assert_int_equal(call("POST", path, dave.token, body, NULL), 204);
	expect("POST", path, dave.token, body, 409, "AlreadyInGroup");
	expect("POST", path, carol.token, body, 403, "MissingPermission");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bots),
	    cmocka_unit_test(test_bot_invites),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
