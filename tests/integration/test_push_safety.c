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

static void test_push(void **state)
{
	struct tc_user erin;
	char id[32], token[80];
	static const char sub[] =
	    "{\"endpoint\":\"https://push.example.org/x\",\"p256dh\":\"k\",\"auth\":\"a\"}";

	(void)state;
	tc_user_make(d, "erin", &erin);
	tc_expect(d, "POST", "/api/push/subscribe", erin.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/push/subscribe", erin.token,
	          "{\"endpoint\":1,\"p256dh\":\"k\",\"auth\":\"a\"}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/push/subscribe", NULL, sub, 401, NULL);
	assert_int_equal(tc_call(d, "POST", "/api/push/subscribe", erin.token, sub, NULL), 204);
	assert_int_equal(tc_call(d, "POST", "/api/push/subscribe", erin.token, sub, NULL), 204);
	assert_int_equal(tc_call(d, "POST", "/api/push/unsubscribe", erin.token, "{}", NULL), 204);
	assert_int_equal(tc_call(d, "POST", "/api/push/unsubscribe", erin.token, "{}", NULL), 204);
	/* sessions only: a bot token is refused */
	tc_bot_make(d, &erin, "pushbot", id, token);
	tc_expect_h(d, "POST", "/api/push/subscribe", "X-Bot-Token", token, sub, 401, NULL);
}

static void test_reports(void **state)
{
	struct tc_user fay, gus;
	char id[32], token[80], body[512], sid[32], ctx[1100];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "fay", &fay);
	tc_user_make(d, "gus", &gus);
	tc_expect(d, "POST", "/api/safety/report", fay.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/safety/report", fay.token,
	          "{\"content\":{\"type\":\"Nope\",\"id\":\"x\",\"report_reason\":\"Illegal\"}}",
	          400, "FailedValidation");
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"Illegal\"}}",
	         gus.id);
	/* Illegal is a content reason, not a user reason */
	tc_expect(d, "POST", "/api/safety/report", fay.token, body, 400, "FailedValidation");
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"SpamAbuse\"},"
	         "\"additional_context\":\"spam\"}",
	         gus.id);
	assert_int_equal(tc_call(d, "POST", "/api/safety/report", fay.token, body, NULL), 200);
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"User\",\"id\":\"%s\",\"report_reason\":\"SpamAbuse\"}}",
	         fay.id);
	tc_expect(d, "POST", "/api/safety/report", fay.token, body, 400, "CannotReportYourself");
	tc_expect(d, "POST", "/api/safety/report", fay.token,
	          "{\"content\":{\"type\":\"User\",\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
	          "\"report_reason\":\"SpamAbuse\"}}",
	          404, "NotFound");
	tc_expect(d, "POST", "/api/safety/report", fay.token,
	          "{\"content\":{\"type\":\"Message\",\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
	          "\"report_reason\":\"Malware\"}}",
	          404, "NotFound");
	/* servers: the owner cannot report their own */
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", gus.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	json_decref(v);
	snprintf(body, sizeof(body),
	         "{\"content\":{\"type\":\"Server\",\"id\":\"%s\",\"report_reason\":\"Raid\"}}",
	         sid);
	tc_expect(d, "POST", "/api/safety/report", gus.token, body, 400, "CannotReportYourself");
	assert_int_equal(tc_call(d, "POST", "/api/safety/report", fay.token, body, NULL), 200);
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
		tc_expect(d, "POST", "/api/safety/report", fay.token, big, 400, "FailedValidation");
	}
	/* bots may not report */
	tc_bot_make(d, &fay, "reporter", id, token);
	tc_expect_h(d, "POST", "/api/safety/report", "X-Bot-Token", token, body, 400, "IsBot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push),
	    cmocka_unit_test(test_reports),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
