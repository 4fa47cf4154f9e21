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

static void test_invites(void **state)
{
	struct tc_user ann, ben, cid_user;
	char sid[32], cid[32], code[16], code2[16], path[256];
	json_t *v = NULL;

	(void)state;
	tc_user_make(d, "ann", &ann);
	tc_user_make(d, "ben", &ben);
	tc_user_make(d, "cy", &cid_user);
	tc_server_make(d, &ann, sid, cid);
	tc_invite_make(d, &ann, cid, code);

	/* unknown channel, unknown invite */
	tc_expect(d, "POST", "/api/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/invites", ann.token, "{}",
	          404, "NotFound");
	tc_expect(d, "GET", "/api/invites/zzzzzzzz", NULL, NULL, 404, "NotFound");
	tc_expect(d, "POST", "/api/invites/zzzzzzzz", ben.token, "{}", 404, "NotFound");
	tc_expect(d, "DELETE", "/api/invites/zzzzzzzz", ben.token, "{}", 404, "NotFound");
	/* a non-member cannot invite */
	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	tc_expect_perm(d, "POST", path, ben.token, "{}", "InviteOthers");
	tc_expect(d, "POST", path, NULL, "{}", 401, NULL);

	/* the public view needs no session */
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Server");
	assert_string_equal(tc_sval(v, "code"), code);
	assert_string_equal(tc_sval(v, "server_id"), sid);
	assert_string_equal(tc_sval(v, "server_name"), "Test");
	assert_string_equal(tc_sval(v, "channel_id"), cid);
	assert_non_null(tc_sval(v, "channel_name"));
	assert_string_equal(tc_sval(v, "user_name"), "ann");
	assert_int_equal(json_integer_value(json_object_get(v, "member_count")), 1);
	json_decref(v);

	/* joining answers the server and the channels the user can see */
	tc_expect(d, "POST", path, NULL, "{}", 401, NULL);
	assert_int_equal(tc_call(d, "POST", path, ben.token, "{}", &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Server");
	assert_string_equal(tc_sval(json_object_get(v, "server"), "_id"), sid);
	assert_int_equal(json_array_size(json_object_get(v, "channels")), 1);
	json_decref(v);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_int_equal(json_integer_value(json_object_get(v, "member_count")), 2);
	json_decref(v);

	/* the server's list needs ManageServer */
	snprintf(path, sizeof(path), "/api/servers/%s/invites", sid);
	tc_expect_perm(d, "GET", path, ben.token, NULL, "ManageServer");
	assert_int_equal(tc_call(d, "GET", path, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(tc_sval(json_array_get(v, 0), "_id"), code);
	assert_string_equal(tc_sval(json_array_get(v, 0), "creator"), ann.id);
	assert_string_equal(tc_sval(json_array_get(v, 0), "server"), sid);
	assert_string_equal(tc_sval(json_array_get(v, 0), "channel"), cid);
	json_decref(v);

	/* members may invite (default permissions); creators delete their own */
	tc_invite_make(d, &ben, cid, code2);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	tc_expect_perm(d, "DELETE", path, ben.token, "{}", "ManageServer");
	snprintf(path, sizeof(path), "/api/invites/%s", code2);
	tc_expect(d, "DELETE", path, ben.token, "{}", 204, NULL);
	tc_expect(d, "GET", path, NULL, NULL, 404, "NotFound");
	/* the owner deletes anyone's */
	tc_invite_make(d, &ben, cid, code2);
	snprintf(path, sizeof(path), "/api/invites/%s", code2);
	tc_expect(d, "DELETE", path, ann.token, "{}", 204, NULL);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	tc_expect(d, "DELETE", path, ann.token, "{}", 204, NULL);
	tc_expect(d, "POST", path, cid_user.token, "{}", 404, "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/invites", sid);
	assert_int_equal(tc_call(d, "GET", path, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

/* Group invites, when the group routes are there. */
static void test_group_invites(void **state)
{
	struct tc_user gina, hal;
	char gid[32], code[16], path[128];
	json_t *v = NULL;
	long s;

	(void)state;
	tc_user_make(d, "gina", &gina);
	tc_user_make(d, "hal", &hal);
	s = tc_call(d, "POST", "/api/channels/create", gina.token, "{\"name\":\"Group\"}", &v);
	if (s != 200) {
		json_decref(v);
		skip();
	}
	snprintf(gid, sizeof(gid), "%s", tc_sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/invites", gid);
	tc_expect_perm(d, "POST", path, hal.token, "{}", "InviteOthers");
	assert_int_equal(tc_call(d, "POST", path, gina.token, "{}", &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Group");
	assert_null(json_object_get(v, "server"));
	snprintf(code, sizeof(code), "%s", tc_sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Group");
	assert_string_equal(tc_sval(v, "channel_id"), gid);
	assert_string_equal(tc_sval(v, "channel_name"), "Group");
	assert_string_equal(tc_sval(v, "user_name"), "gina");
	assert_null(json_object_get(v, "member_count"));
	json_decref(v);
	assert_int_equal(tc_call(d, "POST", path, hal.token, "{}", &v), 200);
	assert_string_equal(tc_sval(v, "type"), "Group");
	assert_string_equal(tc_sval(json_object_get(v, "channel"), "_id"), gid);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(v, "channel"), "recipients")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 2);
	json_decref(v);
	tc_expect(d, "POST", path, hal.token, "{}", 409, "AlreadyInGroup");
	tc_expect_perm(d, "DELETE", path, hal.token, "{}", "ManageServer");
	tc_expect(d, "DELETE", path, gina.token, "{}", 204, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invites),
	    cmocka_unit_test(test_group_invites),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
