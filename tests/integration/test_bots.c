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

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static struct td *d;

static int setup(void **state)
{
	(void)state;
	d = tc_start(NULL, START_MS);
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_bots(void **state)
{
	struct tc_user alice, bob;
	char id[32], token[80], id2[32], token2[80], path[160], old[80];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_bot_make(d, &alice, "helper", id, token);

	/* bad bodies */
	tc_expect(d, "POST", "/api/bots/create", alice.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/bots/create", alice.token, "{\"name\":\"a\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/bots/create", alice.token, "{\"name\":\"has space\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/bots/create", alice.token, "{\"name\":\"admin\"}", 400,
	          "InvalidUsername");
	tc_expect(d, "POST", "/api/bots/create", NULL, "{\"name\":\"x1\"}", 401, NULL);

	/* the token works on delta routes; a bot may not create bots */
	assert_int_equal(tc_call_h(d, "GET", "/api/users/@me", "X-Bot-Token", token, NULL, &v),
	                 200);
	assert_string_equal(tc_sval(v, "_id"), id);
	assert_string_equal(tc_sval(json_object_get(v, "bot"), "owner"), alice.id);
	json_decref(v);
	tc_expect_h(d, "POST", "/api/bots/create", "X-Bot-Token", token, "{\"name\":\"botbot\"}",
	            400, "IsBot");
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	tc_expect_h(d, "GET", path, "X-Bot-Token", token, NULL, 400, "IsBot");
	tc_expect_h(d, "GET", "/api/users/@me", "X-Bot-Token", "nope", NULL, 401, NULL);

	/* owner-only */
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(tc_sval(json_object_get(v, "bot"), "token"), token);
	assert_string_equal(tc_sval(json_object_get(v, "user"), "_id"), id);
	json_decref(v);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "NotFound");
	tc_expect(d, "PATCH", path, bob.token, "{\"public\":true}", 404, "NotFound");
	tc_expect(d, "DELETE", path, bob.token, "{}", 404, "NotFound");
	tc_expect(d, "GET", "/api/bots/01ARZ3NDEKTSV4RRFFQ69G5FAV", alice.token, NULL, 404,
	          "NotFound");

	/* the private bot's public view and invites */
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "NotFound");
	tc_expect(d, "GET", path, NULL, NULL, 404, "NotFound");
	tc_expect(d, "POST", path, bob.token, "{\"group\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}", 403,
	          "BotIsPrivate");
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "_id"), id);
	assert_string_equal(tc_sval(v, "username"), "helper");
	json_decref(v);

	/* edit: public, rename, token reset */
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	tc_expect(d, "PATCH", path, alice.token, "{\"remove\":[\"Nope\"]}", 400,
	          "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"public\":\"yes\"}", 400, "FailedValidation");
	assert_int_equal(tc_call(d, "PATCH", path, alice.token,
	                         "{\"public\":true,\"analytics\":true,\"name\":\"helper2\","
	                         "\"interactions_url\":\"https://example.org/i\"}",
	                         &v),
	                 200);
	assert_true(json_is_true(json_object_get(v, "public")));
	assert_true(json_is_true(json_object_get(v, "analytics")));
	assert_string_equal(tc_sval(v, "interactions_url"), "https://example.org/i");
	assert_string_equal(tc_sval(json_object_get(v, "user"), "username"), "helper2");
	assert_string_equal(tc_sval(v, "token"), token);
	json_decref(v);
	snprintf(old, sizeof(old), "%s", token);
	assert_int_equal(tc_call(d, "PATCH", path, alice.token,
	                         "{\"remove\":[\"Token\",\"InteractionsURL\"]}", &v),
	                 200);
	snprintf(token, sizeof(token), "%s", tc_sval(v, "token"));
	assert_int_equal(strlen(token), 64);
	assert_string_not_equal(token, old);
	assert_null(json_object_get(v, "interactions_url"));
	json_decref(v);
	tc_expect_h(d, "GET", "/api/users/@me", "X-Bot-Token", old, NULL, 401, NULL);
	assert_int_equal(tc_call_h(d, "GET", "/api/users/@me", "X-Bot-Token", token, NULL, NULL),
	                 200);

	/* public now: anyone sees it */
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "username"), "helper2");
	json_decref(v);

	/* the cap: a new account owns at most 2 */
	tc_bot_make(d, &alice, "helper3", id2, token2);
	tc_expect(d, "POST", "/api/bots/create", alice.token, "{\"name\":\"helper4\"}", 400,
	          "ReachedMaximumBots");
	assert_int_equal(tc_call(d, "GET", "/api/bots/@me", alice.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bots")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	assert_string_equal(tc_sval(json_array_get(json_object_get(v, "bots"), 0), "_id"),
	                    tc_sval(json_array_get(json_object_get(v, "users"), 0), "_id"));
	json_decref(v);
	assert_int_equal(tc_call(d, "GET", "/api/bots/@me", bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bots")), 0);
	json_decref(v);

	/* delete: the bot user is marked deleted, its token stops working */
	snprintf(path, sizeof(path), "/api/bots/%s", id2);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	tc_expect_h(d, "GET", "/api/users/@me", "X-Bot-Token", token2, NULL, 401, NULL);
	snprintf(path, sizeof(path), "/api/users/%s/flags", id2);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 2);
	json_decref(v);
	/* the slot is free again */
	tc_bot_make(d, &alice, "helper5", id2, token2);
}

static void test_bot_invites(void **state)
{
	struct tc_user carol, dave;
	char id[32], token[80], path[160], body[128], sid[32];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "carol", &carol);
	tc_user_make(d, "dave", &dave);
	tc_bot_make(d, &carol, "inviter", id, token);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", carol.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	json_decref(v);

	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	tc_expect(d, "POST", path, carol.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", path, carol.token, "{\"server\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}", 404,
	          "NotFound");
	tc_expect_h(d, "POST", path, "X-Bot-Token", token, "{}", 400, "IsBot");
	snprintf(body, sizeof(body), "{\"server\":\"%s\"}", sid);
	assert_int_equal(tc_call(d, "POST", path, carol.token, body, NULL), 204);
	tc_expect(d, "POST", path, carol.token, body, 409, "AlreadyInServer");

	/* the bot sees the server now */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	assert_int_equal(tc_call_h(d, "GET", path, "X-Bot-Token", token, NULL, NULL), 200);
	/* bots cannot join through invites or create servers */
	tc_expect_h(d, "POST", "/api/servers/create", "X-Bot-Token", token, "{\"name\":\"B\"}", 400,
	            "IsBot");

	/* dave (not a member) may not invite a now-public bot to carol's server */
	snprintf(path, sizeof(path), "/api/bots/%s", id);
	assert_int_equal(tc_call(d, "PATCH", path, carol.token, "{\"public\":true}", NULL), 200);
	snprintf(path, sizeof(path), "/api/bots/%s/invite", id);
	assert_int_equal(tc_call(d, "POST", path, dave.token, body, &v), 403);
	assert_string_equal(tc_sval(v, "type"), "MissingPermission");
	assert_string_equal(tc_sval(v, "permission"), "ManageServer");
	json_decref(v);

	/* a group of dave's */
	assert_int_equal(
	    tc_call(d, "POST", "/api/channels/create", dave.token, "{\"name\":\"G\"}", &v), 200);
	snprintf(body, sizeof(body), "{\"group\":\"%s\"}", tc_sval(v, "_id"));
	json_decref(v);
	assert_int_equal(tc_call(d, "POST", path, dave.token, body, NULL), 204);
	tc_expect(d, "POST", path, dave.token, body, 409, "AlreadyInGroup");
	tc_expect(d, "POST", path, carol.token, body, 403, "MissingPermission");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bots),
	    cmocka_unit_test(test_bot_invites),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
