/*
 * tests/integration/test_members.c: server members and bans against the real
 * daemon: join through an invite, list / fetch / query members, edits with
 * Revolt's permission and ranking rules, kicks, bans and unbans, with the
 * forbidden cases for a second user, unknown ids and bad bodies.
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

static void join(const struct user *u, const char *code)
{
	char path[64];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(call("POST", path, u->token, "{}", &v), 200);
	assert_string_equal(sval(v, "type"), "Server");
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

static void test_members(void **state)
{
	struct user alice, bob, carol;
	char sid[32], cid[32], code[16], path[256], p2[300];
	json_t *v = NULL;

	(void)state;
	make_user("alice", &alice);
	make_user("bob", &bob);
	make_user("carol", &carol);
	make_server(&alice, sid, cid);
	make_invite(&alice, cid, code);
	join(&bob, code);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	expect("POST", path, bob.token, "{}", 409, "AlreadyInServer");

	/* listing: members and users line up, sorted by user id */
	snprintf(path, sizeof(path), "/api/servers/%s/members", sid);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_array_get(json_object_get(v, "members"), i);
		json_t *u = json_array_get(json_object_get(v, "users"), i);

		assert_string_equal(sval(json_object_get(m, "_id"), "user"), sval(u, "_id"));
		assert_string_equal(sval(json_object_get(m, "_id"), "server"), sid);
		assert_non_null(sval(m, "joined_at"));
		assert_null(json_object_get(u, "relations"));
		assert_non_null(sval(u, "relationship"));
	}
	json_decref(v);
	expect("GET", path, carol.token, NULL, 404, "NotFound");
	expect("GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/members", bob.token, NULL, 404,
	       "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/members?exclude_offline=true", sid);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_array(json_object_get(v, "members")));
	json_decref(v);

	/* one member, with and without roles */
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(sval(json_object_get(v, "_id"), "user"), bob.id);
	json_decref(v);
	snprintf(p2, sizeof(p2), "%s?roles=true", path);
	assert_int_equal(call("GET", p2, alice.token, NULL, &v), 200);
	assert_non_null(json_object_get(v, "member"));
	assert_true(json_is_object(json_object_get(v, "roles")));
	json_decref(v);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	expect("GET", p2, alice.token, NULL, 404, "NotFound");
	expect("GET", path, carol.token, NULL, 404, "NotFound");

	/* edits: nickname for self, bad bodies */
	assert_int_equal(call("PATCH", path, bob.token, "{\"nickname\":\"Bobby\"}", &v), 200);
	assert_string_equal(sval(v, "nickname"), "Bobby");
	json_decref(v);
	expect("PATCH", path, bob.token, "{\"nickname\":\"\"}", 400, "FailedValidation");
	expect("PATCH", path, bob.token, "{\"nickname\":\"123456789012345678901234567890123\"}",
	       400, "FailedValidation");
	expect("PATCH", path, bob.token, "{\"nickname\":5}", 400, "FailedValidation");
	expect("PATCH", path, bob.token, "{\"remove\":[\"Bogus\"]}", 400, "FailedValidation");
	expect("PATCH", path, alice.token, "{\"timeout\":\"tomorrow\"}", 400, "FailedValidation");
	expect("PATCH", path, bob.token, "{\"timeout\":\"2099-01-01T00:00:00Z\"}", 400,
	       "CannotTimeoutYourself");
	expect("PATCH", path, bob.token, "{\"roles\":[\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}", 403,
	       "MissingPermission");
	expect("PATCH", path, alice.token, "{\"roles\":[\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}", 404,
	       "InvalidRole");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, alice.id);
	expect_perm("PATCH", p2, bob.token, "{\"nickname\":\"boss\"}", "ManageNicknames");
	expect("PATCH", p2, bob.token, "{\"avatar\":\"x\"}", 400, "InvalidOperation");
	/* the owner may time bob out and clear it again */
	assert_int_equal(
	    call("PATCH", path, alice.token, "{\"timeout\":\"2099-01-01T00:00:00+01:00\"}", &v),
	    200);
	assert_string_equal(sval(v, "timeout"), "2098-12-31T23:00:00.000Z");
	json_decref(v);
	/* a timed-out member keeps only ViewChannel and ReadMessageHistory */
	expect_perm("PATCH", path, bob.token, "{\"nickname\":\"B\"}", "ChangeNickname");
	assert_int_equal(
	    call("PATCH", path, alice.token, "{\"remove\":[\"Timeout\",\"Nickname\"]}", &v), 200);
	assert_null(json_object_get(v, "timeout"));
	assert_null(json_object_get(v, "nickname"));
	json_decref(v);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	expect("PATCH", p2, alice.token, "{}", 404, "NotFound");

	/* the experimental query */
	snprintf(p2, sizeof(p2), "/api/servers/%s/members_experimental_query?query=bo", sid);
	expect("GET", p2, bob.token, NULL, 500, "InternalError");
	snprintf(p2, sizeof(p2),
	         "/api/servers/%s/members_experimental_query?query=bo&experimental_api=true", sid);
	assert_int_equal(call("GET", p2, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 1);
	assert_string_equal(sval(json_array_get(json_object_get(v, "users"), 0), "username"),
	                    "bob");
	json_decref(v);
	expect("GET", p2, carol.token, NULL, 404, "NotFound");

	/* kicks */
	join(&carol, code);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	expect_perm("DELETE", p2, bob.token, "{}", "KickMembers");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, alice.id);
	expect("DELETE", p2, bob.token, "{}", 400, "InvalidOperation");
	expect("DELETE", path, bob.token, "{}", 400, "CannotRemoveYourself");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	expect("DELETE", p2, alice.token, "{}", 204, NULL);
	expect("DELETE", p2, alice.token, "{}", 404, "NotFound");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members", sid);
	expect("GET", p2, carol.token, NULL, 404, "NotFound");
}

static void test_bans(void **state)
{
	struct user owner, mallory;
	char sid[32], cid[32], code[16], path[256], p2[300];
	char reason[1100];
	json_t *v = NULL;

	(void)state;
	make_user("owner", &owner);
	make_user("mallory", &mallory);
	make_server(&owner, sid, cid);
	make_invite(&owner, cid, code);
	join(&mallory, code);

	snprintf(path, sizeof(path), "/api/servers/%s/bans", sid);
	expect_perm("GET", path, mallory.token, NULL, "BanMembers");
	snprintf(path, sizeof(path), "/api/servers/%s/bans/%s", sid, owner.id);
	expect("PUT", path, mallory.token, "{}", 400, "InvalidOperation");
	expect("PUT", path, owner.token, "{}", 400, "CannotRemoveYourself");
	snprintf(path, sizeof(path), "/api/servers/%s/bans/%s", sid, mallory.id);
	expect("PUT", path, mallory.token, "{}", 400, "CannotRemoveYourself");
	snprintf(reason, sizeof(reason), "{\"reason\":\"%01025d\"}", 0);
	expect("PUT", path, owner.token, reason, 400, "FailedValidation");
	expect("PUT", path, owner.token, "{\"reason\":7}", 400, "FailedValidation");
	assert_int_equal(call("PUT", path, owner.token, "{\"reason\":\"spam\"}", &v), 200);
	assert_string_equal(sval(v, "reason"), "spam");
	assert_string_equal(sval(json_object_get(v, "_id"), "user"), mallory.id);
	json_decref(v);

	/* banned: no longer a member, and cannot come back */
	snprintf(p2, sizeof(p2), "/api/servers/%s/members", sid);
	expect("GET", p2, mallory.token, NULL, 404, "NotFound");
	snprintf(p2, sizeof(p2), "/api/invites/%s", code);
	expect("POST", p2, mallory.token, "{}", 403, "Banned");
	snprintf(p2, sizeof(p2), "/api/servers/%s/bans", sid);
	assert_int_equal(call("GET", p2, owner.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bans")), 1);
	assert_string_equal(sval(json_array_get(json_object_get(v, "users"), 0), "_id"),
	                    mallory.id);
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(v, "users"), 0), "avatar")));
	json_decref(v);

	/* a ban without a reason has reason null */
	snprintf(p2, sizeof(p2), "/api/servers/%s/bans/01ARZ3NDEKTSV4RRFFQ69G5FAV", sid);
	assert_int_equal(call("PUT", p2, owner.token, "{}", &v), 200);
	assert_true(json_is_null(json_object_get(v, "reason")));
	json_decref(v);
	expect("DELETE", p2, owner.token, "{}", 204, NULL);

	/* unban */
	expect_perm("DELETE", path, mallory.token, "{}", "BanMembers");
	expect("DELETE", path, owner.token, "{}", 204, NULL);
	expect("DELETE", path, owner.token, "{}", 404, "NotFound");
	join(&mallory, code);
	expect("PUT", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/bans/01ARZ3NDEKTSV4RRFFQ69G5FAV",
	       owner.token, "{}", 404, "NotFound");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_bans),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
