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
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 20000
#define STOP_MS 15000

struct user {
	char token[128];
	char id[32];
};

static struct td *d;
static struct user alice, bob;

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

static void expect(const char *method, const char *path, const char *token, const char *body,
                   long status, const char *type)
{
	json_t *v = NULL;
	long s = call(method, path, token, body, &v);
	const char *t = v ? sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	if (!d)
		return -1;
	make_user("alice", &alice);
	make_user("bob", &bob);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

/* {key: [revision, value]} from a fetch of `keys` (a JSON array text). */
static json_t *fetch(const struct user *u, const char *keys)
{
	char body[512];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"keys\":%s}", keys);
	assert_int_equal(call("POST", "/api/sync/settings/fetch", u->token, body, &v), 200);
	assert_true(json_is_object(v));
	return v;
}

static void set(const struct user *u, const char *query, const char *body)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/sync/settings/set%s", query);
	assert_int_equal(call("POST", path, u->token, body, NULL), 204);
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
	t0 = now_ms();
	set(&alice, "", "{\"a\":\"1\"}");
	set(&alice, "?timestamp=99999999999999", "{\"b\":\"2\"}");
	v = fetch(&alice, "[\"a\",\"b\"]");
	assert_true(rev_of(v, "a") >= t0 - 1000 && rev_of(v, "a") <= now_ms() + 1000);
	assert_true(rev_of(v, "b") >= t0 - 1000 && rev_of(v, "b") <= now_ms() + 1000);
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
	expect("POST", "/api/sync/settings/fetch", alice.token, "{}", 400, "FailedValidation");
	expect("POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":\"theme\"}", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":[1]}", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/fetch", alice.token, "{\"keys\":", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/set", alice.token, "{\"theme\":1}", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/set", alice.token, "{\"theme\":null}", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/set", alice.token, "[\"theme\"]", 400,
	       "FailedValidation");
	expect("POST", "/api/sync/settings/set?timestamp=soon", alice.token, "{\"a\":\"b\"}", 400,
	       "FailedValidation");
	memset(key, 'k', 129);
	key[129] = '\0';
	snprintf(body, sizeof(body), "{\"%s\":\"v\"}", key);
	expect("POST", "/api/sync/settings/set", alice.token, body, 400, "FailedValidation");
	expect("POST", "/api/sync/settings/set", alice.token, "{\"\":\"v\"}", 400,
	       "FailedValidation");
	/* no session */
	expect("POST", "/api/sync/settings/fetch", NULL, "{\"keys\":[]}", 401, NULL);
	expect("POST", "/api/sync/settings/set", NULL, "{}", 401, NULL);
	expect("POST", "/api/sync/settings/fetch", "not-a-token", "{\"keys\":[]}", 401,
	       "InvalidSession");
}

/* Read messages until one of `type` arrives (bounded); its JSON or NULL. */
static json_t *ws_wait(struct wsc *c, const char *type, int ms)
{
	struct buf got = BUF_INIT(1 << 20);
	int64_t end = now_ms() + ms;
	json_t *v = NULL;

	while (now_ms() < end) {
		buf_reset(&got);
		if (wsc_recv_text(c, &got, 100) != SE_OK)
			continue;
		v = json_loads(buf_cstr(&got), 0, NULL);
		if (v && sval(v, "type") && strcmp(sval(v, "type"), type) == 0)
			break;
		json_decref(v);
		v = NULL;
	}
	buf_release(&got);
	return v;
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
		ev = ws_wait(c, "UserSettingsUpdate", 200);
	}
	assert_non_null(ev);
	assert_string_equal(sval(ev, "id"), alice.id);
	upd = json_object_get(json_object_get(ev, "update"), "ev");
	assert_true(json_is_array(upd));
	assert_true(json_is_integer(json_array_get(upd, 0)));
	assert_true(json_is_string(json_array_get(upd, 1)));
	json_decref(ev);
	/* a stale revision changes nothing and announces nothing */
	set(&alice, "?timestamp=1", "{\"ev\":\"old\"}");
	ev = ws_wait(c, "UserSettingsUpdate", 300);
	assert_null(ev);
	wsc_close(c);
}

static void test_unreads_and_policy(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(call("GET", "/api/sync/unreads", alice.token, NULL, &v), 200);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	expect("GET", "/api/sync/unreads", NULL, NULL, 401, NULL);
	/* delta answers `()`: 200 and no body; again is fine */
	v = NULL;
	assert_int_equal(call("POST", "/api/policy/acknowledge", alice.token, "{}", &v), 200);
	assert_null(v);
	assert_int_equal(call("POST", "/api/policy/acknowledge", alice.token, NULL, NULL), 200);
	expect("POST", "/api/policy/acknowledge", NULL, "{}", 401, NULL);
	/* the 0.8 alias */
	assert_int_equal(call("GET", "/api/0.8/sync/unreads", bob.token, NULL, NULL), 200);
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
