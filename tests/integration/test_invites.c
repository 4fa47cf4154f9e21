/*
 * tests/integration/test_invites.c: channel invites against the real daemon:
 * create (InviteOthers), the public view, joining (server and group), the
 * server's list (ManageServer), deletion by the creator or a manager, and
 * unknown codes.
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

/* One request; returns the status and the JSON body in *out when asked. */
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

static void expect_perm(const char *method, const char *path, const char *token, const char *body,
                        const char *permission)
{
	json_t *v = NULL;

	assert_int_equal(call(method, path, token, body, &v), 403);
	assert_string_equal(sval(v, "type"), "MissingPermission");
	assert_string_equal(sval(v, "permission"), permission);
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

/* A server owned by `u`: its id and its first channel's id. */
static void make_server(const struct user *u, char sid[32], char cid[32])
{
	json_t *v = NULL;

	assert_int_equal(call("POST", "/api/servers/create", u->token, "{\"name\":\"Test\"}", &v),
	                 200);
	snprintf(sid, 32, "%s", sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, 32, "%s", sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
}

static void make_invite(const struct user *u, const char *cid, char code[16])
{
	char path[128];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	assert_int_equal(call("POST", path, u->token, "{}", &v), 200);
	snprintf(code, 16, "%s", sval(v, "_id"));
	assert_int_equal(strlen(code), 8);
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

static void test_invites(void **state)
{
	struct user ann, ben, cid_user;
	char sid[32], cid[32], code[16], code2[16], path[256];
	json_t *v = NULL;

	(void)state;
	make_user("ann", &ann);
	make_user("ben", &ben);
	make_user("cy", &cid_user);
	make_server(&ann, sid, cid);
	make_invite(&ann, cid, code);

	/* unknown channel, unknown invite */
	expect("POST", "/api/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/invites", ann.token, "{}", 404,
	       "NotFound");
	expect("GET", "/api/invites/zzzzzzzz", NULL, NULL, 404, "NotFound");
	expect("POST", "/api/invites/zzzzzzzz", ben.token, "{}", 404, "NotFound");
	expect("DELETE", "/api/invites/zzzzzzzz", ben.token, "{}", 404, "NotFound");
	/* a non-member cannot invite */
	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	expect_perm("POST", path, ben.token, "{}", "InviteOthers");
	expect("POST", path, NULL, "{}", 401, NULL);

	/* the public view needs no session */
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_string_equal(sval(v, "type"), "Server");
	assert_string_equal(sval(v, "code"), code);
	assert_string_equal(sval(v, "server_id"), sid);
	assert_string_equal(sval(v, "server_name"), "Test");
	assert_string_equal(sval(v, "channel_id"), cid);
	assert_non_null(sval(v, "channel_name"));
	assert_string_equal(sval(v, "user_name"), "ann");
	assert_int_equal(json_integer_value(json_object_get(v, "member_count")), 1);
	json_decref(v);

	/* joining answers the server and the channels the user can see */
	expect("POST", path, NULL, "{}", 401, NULL);
	assert_int_equal(call("POST", path, ben.token, "{}", &v), 200);
	assert_string_equal(sval(v, "type"), "Server");
	assert_string_equal(sval(json_object_get(v, "server"), "_id"), sid);
	assert_int_equal(json_array_size(json_object_get(v, "channels")), 1);
	json_decref(v);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_int_equal(json_integer_value(json_object_get(v, "member_count")), 2);
	json_decref(v);

	/* the server's list needs ManageServer */
	snprintf(path, sizeof(path), "/api/servers/%s/invites", sid);
	expect_perm("GET", path, ben.token, NULL, "ManageServer");
	assert_int_equal(call("GET", path, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(sval(json_array_get(v, 0), "_id"), code);
	assert_string_equal(sval(json_array_get(v, 0), "creator"), ann.id);
	assert_string_equal(sval(json_array_get(v, 0), "server"), sid);
	assert_string_equal(sval(json_array_get(v, 0), "channel"), cid);
	json_decref(v);

	/* members may invite (default permissions); creators delete their own */
	make_invite(&ben, cid, code2);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	expect_perm("DELETE", path, ben.token, "{}", "ManageServer");
	snprintf(path, sizeof(path), "/api/invites/%s", code2);
	expect("DELETE", path, ben.token, "{}", 204, NULL);
	expect("GET", path, NULL, NULL, 404, "NotFound");
	/* the owner deletes anyone's */
	make_invite(&ben, cid, code2);
	snprintf(path, sizeof(path), "/api/invites/%s", code2);
	expect("DELETE", path, ann.token, "{}", 204, NULL);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	expect("DELETE", path, ann.token, "{}", 204, NULL);
	expect("POST", path, cid_user.token, "{}", 404, "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/invites", sid);
	assert_int_equal(call("GET", path, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

/* Group invites, when the group routes are there. */
static void test_group_invites(void **state)
{
	struct user gina, hal;
	char gid[32], code[16], path[128];
	json_t *v = NULL;
	long s;

	(void)state;
	make_user("gina", &gina);
	make_user("hal", &hal);
	s = call("POST", "/api/channels/create", gina.token, "{\"name\":\"Group\"}", &v);
	if (s != 200) {
		json_decref(v);
		skip();
	}
	snprintf(gid, sizeof(gid), "%s", sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/invites", gid);
	expect_perm("POST", path, hal.token, "{}", "InviteOthers");
	assert_int_equal(call("POST", path, gina.token, "{}", &v), 200);
	assert_string_equal(sval(v, "type"), "Group");
	assert_null(json_object_get(v, "server"));
	snprintf(code, sizeof(code), "%s", sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_string_equal(sval(v, "type"), "Group");
	assert_string_equal(sval(v, "channel_id"), gid);
	assert_string_equal(sval(v, "channel_name"), "Group");
	assert_string_equal(sval(v, "user_name"), "gina");
	assert_null(json_object_get(v, "member_count"));
	json_decref(v);
	assert_int_equal(call("POST", path, hal.token, "{}", &v), 200);
	assert_string_equal(sval(v, "type"), "Group");
	assert_string_equal(sval(json_object_get(v, "channel"), "_id"), gid);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(v, "channel"), "recipients")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	json_decref(v);
	expect("POST", path, hal.token, "{}", 409, "AlreadyInGroup");
	expect_perm("DELETE", path, hal.token, "{}", "ManageServer");
	expect("DELETE", path, gina.token, "{}", 204, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invites),
	    cmocka_unit_test(test_group_invites),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
