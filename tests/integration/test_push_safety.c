/*
 * tests/integration/test_push_safety.c: Web Push subscriptions (session
 * only, replaced, removed) and content reports (validation, unknown
 * targets, CannotReportYourself, IsBot) against the real daemon.
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

static void test_push(void **state)
{
	struct user erin;
	char id[32], token[80];
	static const char sub[] =
	    "{\"endpoint\":\"https://push.example.org/x\",\"p256dh\":\"k\",\"auth\":\"a\"}";

	(void)state;
	make_user("erin", &erin);
	expect("POST", "/api/push/subscribe", erin.token, "{}", 400, "FailedValidation");
	expect("POST", "/api/push/subscribe", erin.token,
	       "{\"endpoint\":1,\"p256dh\":\"k\",\"auth\":\"a\"}", 400, "FailedValidation");
	expect("POST", "/api/push/subscribe", NULL, sub, 401, NULL);
	assert_int_equal(call("POST", "/api/push/subscribe", erin.token, sub, NULL), 204);
	assert_int_equal(call("POST", "/api/push/subscribe", erin.token, sub, NULL), 204);
	assert_int_equal(call("POST", "/api/push/unsubscribe", erin.token, "{}", NULL), 204);
	assert_int_equal(call("POST", "/api/push/unsubscribe", erin.token, "{}", NULL), 204);
	/* sessions only: a bot token is refused */
	make_bot(&erin, "pushbot", id, token);
	expect_h("POST", "/api/push/subscribe", "X-Bot-Token", token, sub, 401, NULL);
}

static void test_reports(void **state)
{
	struct user fay, gus;
	char id[32], token[80], body[512], sid[32], ctx[1100];
	json_t *v = NULL;

	(void)state;
	make_user("fay", &fay);
	make_user("gus", &gus);
	expect("POST", "/api/safety/report", fay.token, "{}", 400, "FailedValidation");
	expect("POST", "/api/safety/report", fay.token,
	       "{\"content\":{\"type\":\"Nope\",\"id\":\"x\",\"report_reason\":\"Illegal\"}}", 400,
	       "FailedValidation");
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"Illegal\"}}",
	         gus.id);
	/* Illegal is a content reason, not a user reason */
	expect("POST", "/api/safety/report", fay.token, body, 400, "FailedValidation");
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"SpamAbuse\"},"
	         "\"additional_context\":\"spam\"}",
	         gus.id);
	assert_int_equal(call("POST", "/api/safety/report", fay.token, body, NULL), 200);
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"SpamAbuse\"}}",
	         fay.id);
	expect("POST", "/api/safety/report", fay.token, body, 400, "CannotReportYourself");
	expect("POST", "/api/safety/report", fay.token,
	       "{\"content\":{\"type\":\"User\",\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
	       "\"report_reason\":\"SpamAbuse\"}}",
	       404, "NotFound");
	expect("POST", "/api/safety/report", fay.token,
	       "{\"content\":{\"type\":\"Message\",\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
	       "\"report_reason\":\"Malware\"}}",
	       404, "NotFound");
	/* servers: the owner cannot report their own */
	assert_int_equal(call("POST", "/api/servers/create", gus.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	json_decref(v);
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"Server\",\"id\":\"%s\",\"report_reason\":\"Raid\"}}",
	         sid);
	expect("POST", "/api/safety/report", gus.token, body, 400, "CannotReportYourself");
	assert_int_equal(call("POST", "/api/safety/report", fay.token, body, NULL), 200);
	/* context over 1000 characters */
	memset(ctx, 'x', 1001);
	ctx[1001] = '\0';
	{
		char big[1400];

		snprintf(
		    big, sizeof(big),
		    "{\"content\":{\"type\":\"Server\",\"id\":\"%s\",\"report_reason\":\"Raid\"},"
		    "\"additional_context\":\"%s\"}",
		    sid, ctx);
		expect("POST", "/api/safety/report", fay.token, big, 400, "FailedValidation");
	}
	/* bots may not report */
	make_bot(&fay, "reporter", id, token);
	expect_h("POST", "/api/safety/report", "X-Bot-Token", token, body, 400, "IsBot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push),
	    cmocka_unit_test(test_reports),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
