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

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static struct td *d;

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
	struct tc_user hal, ivy;
	char sid[32], cid[32], wid[32], wtok[80], path[200];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "hal", &hal);
	tc_user_make(d, "ivy", &ivy);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", hal.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, sizeof(cid), "%s",
	         tc_sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);

	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	tc_expect(d, "POST", path, hal.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", path, hal.token, "{\"name\":\"\"}", 400, "FailedValidation");
	tc_expect(d, "POST", path, hal.token, "{\"name\":\"123456789012345678901234567890123\"}",
	          400, "FailedValidation");
	tc_expect(d, "POST", path, hal.token, "{\"name\":\"W\",\"avatar\":\"nofile\"}", 400,
	          "UnknownAttachment");
	tc_expect(d, "POST", path, ivy.token, "{\"name\":\"W\"}", 403, "MissingPermission");
	tc_expect(d, "POST", "/api/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks", hal.token,
	          "{\"name\":\"W\"}", 404, "NotFound");
	assert_int_equal(tc_call(d, "POST", path, hal.token, "{\"name\":\"Hook\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", tc_sval(v, "id"));
	snprintf(wtok, sizeof(wtok), "%s", tc_sval(v, "token"));
	assert_int_equal(strlen(wid), 26);
	assert_int_equal(strlen(wtok), 64);
	assert_string_equal(tc_sval(v, "name"), "Hook");
	assert_string_equal(tc_sval(v, "creator_id"), hal.id);
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	assert_int_equal(json_integer_value(json_object_get(v, "permissions")), 876609536);
	json_decref(v);

	/* list */
	assert_int_equal(tc_call(d, "GET", path, hal.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(tc_sval(json_array_get(v, 0), "id"), wid);
	json_decref(v);
	tc_expect(d, "GET", path, ivy.token, NULL, 403, "MissingPermission");

	/* fetch by session: ResponseWebhook, no token */
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	assert_int_equal(tc_call(d, "GET", path, hal.token, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "id"), wid);
	assert_null(json_object_get(v, "token"));
	assert_true(json_is_null(json_object_get(v, "avatar")));
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	json_decref(v);
	tc_expect(d, "GET", path, ivy.token, NULL, 403, "MissingPermission");
	tc_expect(d, "GET", "/api/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV", hal.token, NULL, 404,
	          "NotFound");

	/* by token */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "token"), wtok);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/wrongtoken", wid);
	tc_expect(d, "GET", path, NULL, NULL, 401, "NotAuthenticated");
	tc_expect(d, "PATCH", path, NULL, "{\"name\":\"x\"}", 401, "NotAuthenticated");
	tc_expect(d, "DELETE", path, NULL, "{}", 401, "NotAuthenticated");

	/* edit by session and by token */
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	tc_expect(d, "PATCH", path, ivy.token, "{\"name\":\"x\"}", 403, "MissingPermission");
	tc_expect(d, "PATCH", path, hal.token, "{\"remove\":[\"Name\"]}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, hal.token, "{\"permissions\":-1}", 400, "FailedValidation");
	assert_int_equal(tc_call(d, "PATCH", path, hal.token,
	                         "{\"name\":\"Renamed\",\"permissions\":4194304}", &v),
	                 200);
	assert_string_equal(tc_sval(v, "name"), "Renamed");
	assert_int_equal(json_integer_value(json_object_get(v, "permissions")), 4194304);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(tc_call(d, "PATCH", path, NULL, "{\"name\":\"ByToken\"}", &v), 200);
	assert_string_equal(tc_sval(v, "name"), "ByToken");
	json_decref(v);

	/* delete by token; then it is gone */
	tc_expect(d, "DELETE", path, NULL, "{}", 204, NULL);
	tc_expect(d, "GET", path, NULL, NULL, 404, "NotFound");

	/* a second one, deleted by session */
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	assert_int_equal(tc_call(d, "POST", path, hal.token, "{\"name\":\"Two\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", tc_sval(v, "id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s", wid);
	tc_expect(d, "DELETE", path, ivy.token, "{}", 403, "MissingPermission");
	tc_expect(d, "DELETE", path, hal.token, "{}", 204, NULL);
	tc_expect(d, "DELETE", path, hal.token, "{}", 404, "NotFound");

	/* saved messages cannot have webhooks */
	snprintf(path, sizeof(path), "/api/users/%s/dm", hal.id);
	assert_int_equal(tc_call(d, "GET", path, hal.token, NULL, &v), 200);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", tc_sval(v, "_id"));
	json_decref(v);
	tc_expect(d, "POST", path, hal.token, "{\"name\":\"W\"}", 400, "InvalidOperation");
}

/* The newest message of channel `cid` (new reference) and the count. */
static json_t *newest(const char *token, const char *cid, size_t *count)
{
	char path[128];
	json_t *v = NULL, *m;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=100", cid);
	assert_int_equal(tc_call(d, "GET", path, token, NULL, &v), 200);
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
	struct tc_user kai, lou;
	char cid[32], wid[32], wtok[80], w2[32], w2tok[80], path[200];
	json_t *v = NULL, *m;
	size_t n0, n1;

	(void)state;
	tc_user_make(d, "kai", &kai);
	tc_user_make(d, "lou", &lou);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", kai.token, "{\"name\":\"X\"}", &v), 200);
	snprintf(cid, sizeof(cid), "%s",
	         tc_sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks", cid);
	assert_int_equal(tc_call(d, "POST", path, kai.token, "{\"name\":\"Poster\"}", &v), 200);
	snprintf(wid, sizeof(wid), "%s", tc_sval(v, "id"));
	snprintf(wtok, sizeof(wtok), "%s", tc_sval(v, "token"));
	json_decref(v);
	assert_int_equal(tc_call(d, "POST", path, kai.token, "{\"name\":\"Mute\"}", &v), 200);
	snprintf(w2, sizeof(w2), "%s", tc_sval(v, "id"));
	snprintf(w2tok, sizeof(w2tok), "%s", tc_sval(v, "token"));
	json_decref(v);

	/* execute: the Message, authored by the webhook */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, wtok);
	assert_int_equal(tc_call(d, "POST", path, NULL, "{\"content\":\"hello from a hook\"}", &v),
	                 200);
	assert_string_equal(tc_sval(v, "author"), wid);
	assert_string_equal(tc_sval(v, "channel"), cid);
	assert_string_equal(tc_sval(v, "content"), "hello from a hook");
	assert_string_equal(tc_sval(json_object_get(v, "webhook"), "name"), "Poster");
	json_decref(v);
	m = newest(kai.token, cid, &n0);
	assert_string_equal(tc_sval(m, "content"), "hello from a hook");
	assert_string_equal(tc_sval(json_object_get(m, "webhook"), "name"), "Poster");
	json_decref(m);

	/* bad bodies, wrong tokens, unknown webhooks */
	tc_expect(d, "POST", path, NULL, "{}", 422, "EmptyMessage");
	tc_expect(d, "POST", path, NULL, "{\"content\":5}", 400, "FailedValidation");
	tc_expect(d, "POST", path, NULL, "[1", 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", wid, w2tok);
	tc_expect(d, "POST", path, NULL, "{\"content\":\"x\"}", 401, "NotAuthenticated");
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s/github", wid, w2tok);
	tc_expect_h(d, "POST", path, "X-GitHub-Event", "push", push_event, 401, "NotAuthenticated");
	snprintf(path, sizeof(path), "/api/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV/%s", wtok);
	tc_expect(d, "POST", path, NULL, "{\"content\":\"x\"}", 404, "NotFound");

	/* a webhook without SendMessage; a session user cannot lend it one */
	snprintf(path, sizeof(path), "/api/webhooks/%s", w2);
	tc_expect(d, "PATCH", path, lou.token, "{\"permissions\":4194304}", 403,
	          "MissingPermission");
	assert_int_equal(
	    tc_call(d, "PATCH", path, kai.token, "{\"name\":\"Mute\",\"permissions\":0}", &v), 200);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", w2, w2tok);
	tc_expect(d, "POST", path, NULL, "{\"content\":\"x\"}", 403, "MissingPermission");

	/* GitHub: a push becomes a message with a Text embed; ping posts nothing */
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s/github", wid, wtok);
	m = newest(kai.token, cid, &n0);
	json_decref(m);
	{
		json_t *r = NULL;
		long st = tc_call_h(d, "POST", path, "X-GitHub-Event", "push", push_event, &r);

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
		assert_string_equal(tc_sval(e, "type"), "Text");
		/* the embed names the repository and the commit message */
		assert_non_null(strstr(text, "o/r"));
		assert_non_null(strstr(text, "fix the thing"));
		free(text);
	}
	json_decref(m);
	{
		json_t *r = NULL;
		long st =
		    tc_call_h(d, "POST", path, "X-GitHub-Event", "ping", "{\"zen\":\"hi\"}", &r);

		assert_true(st == 200 || st == 204);
		json_decref(r);
	}
	m = newest(kai.token, cid, &n0);
	assert_int_equal(n0, n1);
	json_decref(m);
	tc_expect_h(d, "POST", path, "X-GitHub-Event", "gollum", push_event, 400,
	            "InvalidOperation");
	tc_expect_h(d, "POST", path, NULL, NULL, push_event, 400, "InvalidOperation");
	tc_expect_h(d, "POST", path, "X-GitHub-Event", "push", "{\"ref\":\"refs/heads/main\"}", 400,
	            "InvalidOperation");
}

/* Without api.webhooks_enabled the /webhooks/ mount is absent. */
static void test_disabled(void **state)
{
	struct td *saved = d;
	struct tc_user jo;
	char path[200];
	json_t *v = NULL;

	(void)state;
	d = tc_start(NULL, START_MS);
	assert_non_null(d);
	tc_user_make(d, "jo", &jo);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", jo.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(path, sizeof(path), "/api/channels/%s/webhooks",
	         tc_sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	/* the channel routes stay */
	assert_int_equal(tc_call(d, "POST", path, jo.token, "{\"name\":\"W\"}", &v), 200);
	snprintf(path, sizeof(path), "/api/webhooks/%s/%s", tc_sval(v, "id"), tc_sval(v, "token"));
	json_decref(v);
	tc_expect(d, "GET", path, NULL, NULL, 404, NULL);
	tc_expect(d, "POST", path, NULL, "{\"content\":\"x\"}", 404, NULL);
	strncat(path, "/github", sizeof(path) - strlen(path) - 1);
	tc_expect_h(d, "POST", path, "X-GitHub-Event", "ping", "{}", 404, NULL);
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
