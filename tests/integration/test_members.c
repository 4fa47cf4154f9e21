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

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static struct td *d;

static void join(const struct tc_user *u, const char *code)
{
	char path[64];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(tc_call(d, "POST", path, u->token, "{}", &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Server");
	json_decref(v);
}

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

static void test_members(void **state)
{
	struct tc_user alice, bob, carol;
	char sid[32], cid[32], code[16], path[256], p2[300];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	tc_server_make(d, &alice, sid, cid);
	tc_invite_make(d, &alice, cid, code);
	join(&bob, code);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	tc_expect(d, "POST", path, bob.token, "{}", 409, "AlreadyInServer");

	/* listing: members and users line up, sorted by user id */
	snprintf(path, sizeof(path), "/api/servers/%s/members", sid);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_array_get(json_object_get(v, "members"), i);
		json_t *u = json_array_get(json_object_get(v, "users"), i);

		assert_string_equal(tc_sval(json_object_get(m, "_id"), "user"), tc_sval(u, "_id"));
		assert_string_equal(tc_sval(json_object_get(m, "_id"), "server"), sid);
		assert_non_null(tc_sval(m, "joined_at"));
		assert_null(json_object_get(u, "relations"));
		assert_non_null(tc_sval(u, "relationship"));
	}
	json_decref(v);
	tc_expect(d, "GET", path, carol.token, NULL, 404, "NotFound");
	tc_expect(d, "GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/members", bob.token, NULL, 404,
	          "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/members?exclude_offline=true", sid);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_array(json_object_get(v, "members")));
	json_decref(v);

	/* one member, with and without roles */
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(tc_sval(json_object_get(v, "_id"), "user"), bob.id);
	json_decref(v);
	snprintf(p2, sizeof(p2), "%s?roles=true", path);
	assert_int_equal(tc_call(d, "GET", p2, alice.token, NULL, &v), 200);
	assert_non_null(json_object_get(v, "member"));
	assert_true(json_is_object(json_object_get(v, "roles")));
	json_decref(v);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	tc_expect(d, "GET", p2, alice.token, NULL, 404, "NotFound");
	tc_expect(d, "GET", path, carol.token, NULL, 404, "NotFound");

	/* edits: nickname for self, bad bodies */
	assert_int_equal(tc_call(d, "PATCH", path, bob.token, "{\"nickname\":\"Bobby\"}", &v), 200);
	assert_string_equal(tc_sval(v, "nickname"), "Bobby");
	json_decref(v);
	tc_expect(d, "PATCH", path, bob.token, "{\"nickname\":\"\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, bob.token,
	          "{\"nickname\":\"123456789012345678901234567890123\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, bob.token, "{\"nickname\":5}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, bob.token, "{\"remove\":[\"Bogus\"]}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"timeout\":\"tomorrow\"}", 400,
	          "FailedValidation");
	tc_expect(d, "PATCH", path, bob.token, "{\"timeout\":\"2099-01-01T00:00:00Z\"}", 400,
	          "CannotTimeoutYourself");
	tc_expect(d, "PATCH", path, bob.token, "{\"roles\":[\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}", 403,
	          "MissingPermission");
	tc_expect(d, "PATCH", path, alice.token, "{\"roles\":[\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}",
	          404, "InvalidRole");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, alice.id);
	tc_expect_perm(d, "PATCH", p2, bob.token, "{\"nickname\":\"boss\"}", "ManageNicknames");
	tc_expect(d, "PATCH", p2, bob.token, "{\"avatar\":\"x\"}", 400, "InvalidOperation");
	/* the owner may time bob out and clear it again */
	assert_int_equal(tc_call(d, "PATCH", path, alice.token,
	                         "{\"timeout\":\"2099-01-01T00:00:00+01:00\"}", &v),
	                 200);
	assert_string_equal(tc_sval(v, "timeout"), "2098-12-31T23:00:00.000Z");
	json_decref(v);
	/* a timed-out member keeps only ViewChannel and ReadMessageHistory */
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"nickname\":\"B\"}", "ChangeNickname");
	assert_int_equal(
	    tc_call(d, "PATCH", path, alice.token, "{\"remove\":[\"Timeout\",\"Nickname\"]}", &v),
	    200);
	assert_null(json_object_get(v, "timeout"));
	assert_null(json_object_get(v, "nickname"));
	json_decref(v);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	tc_expect(d, "PATCH", p2, alice.token, "{}", 404, "NotFound");

	/* the experimental query */
	snprintf(p2, sizeof(p2), "/api/servers/%s/members_experimental_query?query=bo", sid);
	tc_expect(d, "GET", p2, bob.token, NULL, 500, "InternalError");
	snprintf(p2, sizeof(p2),
	         "/api/servers/%s/members_experimental_query?query=bo&experimental_api=true", sid);
	assert_int_equal(tc_call(d, "GET", p2, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 1);
	assert_string_equal(tc_sval(json_array_get(json_object_get(v, "users"), 0), "username"),
	                    "bob");
	json_decref(v);
	tc_expect(d, "GET", p2, carol.token, NULL, 404, "NotFound");

	/* kicks */
	join(&carol, code);
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	tc_expect_perm(d, "DELETE", p2, bob.token, "{}", "KickMembers");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, alice.id);
	tc_expect(d, "DELETE", p2, bob.token, "{}", 400, "InvalidOperation");
	tc_expect(d, "DELETE", path, bob.token, "{}", 400, "CannotRemoveYourself");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members/%s", sid, carol.id);
	tc_expect(d, "DELETE", p2, alice.token, "{}", 204, NULL);
	tc_expect(d, "DELETE", p2, alice.token, "{}", 404, "NotFound");
	snprintf(p2, sizeof(p2), "/api/servers/%s/members", sid);
	tc_expect(d, "GET", p2, carol.token, NULL, 404, "NotFound");
}

static void test_bans(void **state)
{
	struct tc_user owner, mallory;
	char sid[32], cid[32], code[16], path[256], p2[300];
	char reason[1100];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "owner", &owner);
	tc_user_make(d, "mallory", &mallory);
	tc_server_make(d, &owner, sid, cid);
	tc_invite_make(d, &owner, cid, code);
	join(&mallory, code);

	snprintf(path, sizeof(path), "/api/servers/%s/bans", sid);
	tc_expect_perm(d, "GET", path, mallory.token, NULL, "BanMembers");
	snprintf(path, sizeof(path), "/api/servers/%s/bans/%s", sid, owner.id);
	tc_expect(d, "PUT", path, mallory.token, "{}", 400, "InvalidOperation");
	tc_expect(d, "PUT", path, owner.token, "{}", 400, "CannotRemoveYourself");
	snprintf(path, sizeof(path), "/api/servers/%s/bans/%s", sid, mallory.id);
	tc_expect(d, "PUT", path, mallory.token, "{}", 400, "CannotRemoveYourself");
	snprintf(reason, sizeof(reason), "{\"reason\":\"%01025d\"}", 0);
	tc_expect(d, "PUT", path, owner.token, reason, 400, "FailedValidation");
	tc_expect(d, "PUT", path, owner.token, "{\"reason\":7}", 400, "FailedValidation");
	assert_int_equal(tc_call(d, "PUT", path, owner.token, "{\"reason\":\"spam\"}", &v), 200);
	assert_string_equal(tc_sval(v, "reason"), "spam");
	assert_string_equal(tc_sval(json_object_get(v, "_id"), "user"), mallory.id);
	json_decref(v);

	/* banned: no longer a member, and cannot come back */
	snprintf(p2, sizeof(p2), "/api/servers/%s/members", sid);
	tc_expect(d, "GET", p2, mallory.token, NULL, 404, "NotFound");
	snprintf(p2, sizeof(p2), "/api/invites/%s", code);
	tc_expect(d, "POST", p2, mallory.token, "{}", 403, "Banned");
	snprintf(p2, sizeof(p2), "/api/servers/%s/bans", sid);
	assert_int_equal(tc_call(d, "GET", p2, owner.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "bans")), 1);
	assert_string_equal(tc_sval(json_array_get(json_object_get(v, "users"), 0), "_id"),
	                    mallory.id);
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(v, "users"), 0), "avatar")));
	json_decref(v);

	/* a ban without a reason has reason null */
	snprintf(p2, sizeof(p2), "/api/servers/%s/bans/01ARZ3NDEKTSV4RRFFQ69G5FAV", sid);
	assert_int_equal(tc_call(d, "PUT", p2, owner.token, "{}", &v), 200);
	assert_true(json_is_null(json_object_get(v, "reason")));
	json_decref(v);
	tc_expect(d, "DELETE", p2, owner.token, "{}", 204, NULL);

	/* unban */
	tc_expect_perm(d, "DELETE", path, mallory.token, "{}", "BanMembers");
	tc_expect(d, "DELETE", path, owner.token, "{}", 204, NULL);
	tc_expect(d, "DELETE", path, owner.token, "{}", 404, "NotFound");
	join(&mallory, code);
	tc_expect(d, "PUT",
	          "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/bans/01ARZ3NDEKTSV4RRFFQ69G5FAV",
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
