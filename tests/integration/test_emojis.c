/*
 * tests/integration/test_emojis.c: custom emoji error paths against the
 * real daemon (files are not stored yet, so no emoji can be created):
 * validation, Detached parents, unknown servers, ManageCustomisation,
 * UnknownAttachment, fetch/delete of unknown emojis, the server list.
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
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_emojis(void **state)
{
	struct user kim, lee;
	char sid[32], body[256], path[128];
	json_t *v = NULL;
	const char *e = "/api/custom/emoji/01ARZ3NDEKTSV4RRFFQ69G5FAV";

	(void)state;
	make_user("kim", &kim);
	make_user("lee", &lee);
	assert_int_equal(call("POST", "/api/servers/create", kim.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	json_decref(v);

	expect("PUT", e, kim.token, "{}", 400, "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"Bad Name\",\"parent\":{\"type\":\"Detached\"}}",
	       400, "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Nope\"}}", 400,
	       "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Detached\"}}", 400,
	       "InvalidOperation");
	expect("PUT", e, kim.token,
	       "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":"
	       "\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}}",
	       404, "NotFound");
	snprintf(body, sizeof(body),
	         "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);
	expect("PUT", e, lee.token, body, 403, "MissingPermission");
	expect("PUT", e, NULL, body, 401, NULL);
	/* no upload can be claimed until files are stored */
	expect("PUT", e, kim.token, body, 400, "UnknownAttachment");

	expect("GET", e, NULL, NULL, 404, "NotFound");
	expect("DELETE", e, kim.token, "{}", 404, "NotFound");

	snprintf(path, sizeof(path), "/api/servers/%s/emojis", sid);
	assert_int_equal(call("GET", path, kim.token, NULL, &v), 200);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	expect("GET", path, lee.token, NULL, 404, "NotFound");
	expect("GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/emojis", kim.token, NULL, 404,
	       "NotFound");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emojis),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
