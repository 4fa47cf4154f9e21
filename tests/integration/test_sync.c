/*
 * tests/integration/test_sync.c: /sync/settings/{fetch,set}, /sync/unreads
 * and /policy/acknowledge against the real daemon: revisions only move
 * forward, one user never sees another's settings, the UserSettingsUpdate
 * event on the private topic, bad bodies and missing sessions.
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
#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 20000
#define STOP_MS 15000

static struct td *d;
static struct tc_user alice, bob;

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};

	(void)state;
	d = tc_start(extra, START_MS);
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

/* {key: [revision, value]} from a fetch of `keys` (a JSON array text). */
static json_t *fetch(const struct tc_user *u, const char *keys)
{
	char body[512];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"keys\":%s}", keys);
	assert_int_equal(tc_call(d, "POST", "/api/sync/settings/fetch", u->token, body, &v), 200);
	assert_true(json_is_object(v));
	return v;
}

static void set(const struct tc_user *u, const char *query, const char *body)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/sync/settings/set%s", query);
	assert_int_equal(tc_call(d, "POST", path, u->token, body, NULL), 204);
}

static int64_t rev_of(const json_t *v, const char *key)
{
	return json_integer_value(json_array_get(json_object_get(v, key), 0));
}

static const char *val_of(const json_t *v, const char *key)
{
	return json_string_value(json_array_get(json_object_get(v, key), 1));
}

static void test_settings_revisions(void **state)
{
	json_t *v;
	int64_t t0;

	(void)state;
	v = fetch(&alice, "[\"theme\"]");
	assert_int_equal(json_object_size(v), 0);
	json_decref(v);
	set(&alice, "?timestamp=1000",
	    "{\"theme\":\"{\\\"dark\\\":true}\",\"locale\":\"\\\"en\\\"\"}");
	v = fetch(&alice, "[\"theme\",\"locale\",\"missing\"]");
	assert_int_equal(json_object_size(v), 2);
	assert_int_equal(rev_of(v, "theme"), 1000);
	assert_string_equal(val_of(v, "theme"), "{\"dark\":true}");
	assert_string_equal(val_of(v, "locale"), "\"en\"");
	json_decref(v);
	/* an older revision does not overwrite a newer one */
	set(&alice, "?timestamp=500", "{\"theme\":\"stale\"}");
	v = fetch(&alice, "[\"theme\"]");
	assert_int_equal(rev_of(v, "theme"), 1000);
	assert_string_equal(val_of(v, "theme"), "{\"dark\":true}");
	json_decref(v);
	/* a newer one does, and leaves the other keys alone */
	set(&alice, "?timestamp=2000", "{\"theme\":\"light\"}");
	v = fetch(&alice, "[\"theme\",\"locale\"]");
	assert_int_equal(rev_of(v, "theme"), 2000);
	assert_string_equal(val_of(v, "theme"), "light");
	assert_int_equal(rev_of(v, "locale"), 1000);
	json_decref(v);
	/* no timestamp: now; a future one is clamped to now */
	t0 = tc_now_ms();
	set(&alice, "", "{\"a\":\"1\"}");
	set(&alice, "?timestamp=99999999999999", "{\"b\":\"2\"}");
	v = fetch(&alice, "[\"a\",\"b\"]");
	assert_true(rev_of(v, "a") >= t0 - 1000 && rev_of(v, "a") <= tc_now_ms() + 1000);
	assert_true(rev_of(v, "b") >= t0 - 1000 && rev_of(v, "b") <= tc_now_ms() + 1000);
	json_decref(v);
	/* an empty update is fine */
	set(&alice, "", "{}");
	/* bob sees none of it */
	v = fetch(&bob, "[\"theme\",\"locale\",\"a\",\"b\"]");
	assert_int_equal(json_object_size(v), 0);
	json_decref(v);
}

static void test_settings_bad_requests(void **state)
{
	char body[512], key[200];

	(void)state;
	tc_expect(d, "POST", "/api/sync/settings/fetch", alice.token, "{}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":\"theme\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":[1]}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/set", alice.token, "{\"theme\":1}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/set", alice.token, "{\"theme\":null}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/set", alice.token, "[\"theme\"]", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/set?timestamp=soon", alice.token, "{\"a\":\"b\"}",
	          400, "FailedValidation");
	memset(key, 'k', 129);
	key[129] = '\0';
	snprintf(body, sizeof(body), "{\"%s\":\"v\"}", key);
	tc_expect(d, "POST", "/api/sync/settings/set", alice.token, body, 400, "FailedValidation");
	tc_expect(d, "POST", "/api/sync/settings/set", alice.token, "{\"\":\"v\"}", 400,
	          "FailedValidation");
	/* no session */
	tc_expect(d, "POST", "/api/sync/settings/fetch", NULL, "{\"keys\":[]}", 401, NULL);
	tc_expect(d, "POST", "/api/sync/settings/set", NULL, "{}", 401, NULL);
	tc_expect(d, "POST", "/api/sync/settings/fetch", "not-a-token", "{\"keys\":[]}", 401,
	          "InvalidSession");
}

static void test_settings_event(void **state)
{
	char q[256], sub[128];
	struct wsc *c = NULL;
	json_t *ev = NULL, *upd;

	(void)state;
	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", alice.token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, 5000, &c), SE_OK);
	snprintf(sub, sizeof(sub), "{\"type\":\"Subscribe\",\"server_id\":\"%s!\"}", alice.id);
	assert_int_equal(wsc_send_text(c, str_from(sub)), SE_OK);
	/* the subscription lands on the gateway thread: repeat until seen */
	for (int i = 0; i < 50 && !ev; i++) {
		snprintf(q, sizeof(q), "{\"ev\":\"%d\"}", i);
		set(&alice, "", q);
		ev = tc_ws_wait(c, "UserSettingsUpdate", 200);
	}
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "id"), alice.id);
	upd = json_object_get(json_object_get(ev, "update"), "ev");
	assert_true(json_is_array(upd));
	assert_true(json_is_integer(json_array_get(upd, 0)));
	assert_true(json_is_string(json_array_get(upd, 1)));
	json_decref(ev);
	/* a stale revision changes nothing and announces nothing */
	set(&alice, "?timestamp=1", "{\"ev\":\"old\"}");
	ev = tc_ws_wait(c, "UserSettingsUpdate", 300);
	assert_null(ev);
	wsc_close(c);
}

static void test_unreads_and_policy(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(tc_call(d, "GET", "/api/sync/unreads", alice.token, NULL, &v), 200);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	tc_expect(d, "GET", "/api/sync/unreads", NULL, NULL, 401, NULL);
	/* delta answers `()`: 200 and no body; again is fine */
	v = NULL;
	assert_int_equal(tc_call(d, "POST", "/api/policy/acknowledge", alice.token, "{}", &v), 200);
	assert_null(v);
	assert_int_equal(tc_call(d, "POST", "/api/policy/acknowledge", alice.token, NULL, NULL),
	                 200);
	tc_expect(d, "POST", "/api/policy/acknowledge", NULL, "{}", 401, NULL);
	/* the 0.8 alias */
	assert_int_equal(tc_call(d, "GET", "/api/0.8/sync/unreads", bob.token, NULL, NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings_revisions),
	    cmocka_unit_test(test_settings_bad_requests),
	    cmocka_unit_test(test_settings_event),
	    cmocka_unit_test(test_unreads_and_policy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
