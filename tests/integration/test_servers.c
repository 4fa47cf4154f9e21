/*
 * tests/integration/test_servers.c: servers, server channels, roles and
 * permission overrides against the real daemon over HTTP: the owner's
 * paths, a second user who is not a member, unknown ids, bad bodies, and
 * the caps (TooManyServers, TooManyChannels, TooManyRoles).
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

static void test_server_lifecycle(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	struct tc_user alice, bob;
	char path[256], body[512], sid[32], cid[32], vid[32];
	json_t *v, *server, *ch;

	(void)state;
	assert_non_null(d);
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);

	/* bad bodies */
	tc_expect(d, "POST", "/api/servers/create", alice.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/servers/create", alice.token, "{\"name\":\"\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/servers/create", alice.token,
	          "{\"name\":\"123456789012345678901234567890123\"}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/servers/create", alice.token, "{\"name\":7}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/servers/create", alice.token,
	          "{\"name\":\"x\",\"nsfw\":\"yes\"}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/servers/create", NULL, "{\"name\":\"x\"}", 401,
	          "NotAuthenticated");

	/* create: the server, the General channel, the owner as member */
	v = tc_ok(
	    d, "POST", "/api/servers/create", alice.token,
	    "{\"name\":\"Ünïcode server 32 characters ok\",\"description\":\"d\",\"nsfw\":true}",
	    200);
	server = json_object_get(v, "server");
	ch = json_array_get(json_object_get(v, "channels"), 0);
	assert_string_equal(tc_sget(server, "owner"), alice.id);
	assert_int_equal(json_integer_value(json_object_get(server, "default_permissions")),
	                 4000322560ll);
	assert_true(json_is_true(json_object_get(server, "nsfw")));
	assert_null(json_object_get(server, "roles"));
	assert_string_equal(tc_sget(ch, "channel_type"), "TextChannel");
	assert_string_equal(tc_sget(ch, "name"), "General");
	assert_string_equal(tc_sget(ch, "server"), tc_sget(server, "_id"));
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(server, "channels"), 0)),
	    tc_sget(ch, "_id"));
	snprintf(sid, sizeof(sid), "%s", tc_sget(server, "_id"));
	snprintf(cid, sizeof(cid), "%s", tc_sget(ch, "_id"));
	json_decref(v);

	/* fetch */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	assert_string_equal(tc_sget(v, "_id"), sid);
	assert_true(json_is_string(json_array_get(json_object_get(v, "channels"), 0)));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/0.8/servers/%s?include_channels=true", sid);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	assert_string_equal(tc_sget(json_array_get(json_object_get(v, "channels"), 0), "name"),
	                    "General");
	json_decref(v);
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "NotFound");
	tc_expect(d, "GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV", alice.token, NULL, 404,
	          "NotFound");

	/* edit */
	v = tc_ok(d, "PATCH", path, alice.token, "{\"name\":\"Renamed\",\"description\":\"about\"}",
	          200);
	assert_string_equal(tc_sget(v, "name"), "Renamed");
	assert_string_equal(tc_sget(v, "description"), "about");
	json_decref(v);
	v = tc_ok(d, "PATCH", path, alice.token, "{\"remove\":[\"Description\"]}", 200);
	assert_null(json_object_get(v, "description"));
	json_decref(v);
	snprintf(body, sizeof(body),
	         "{\"categories\":[{\"id\":\"c1\",\"title\":\"Text\",\"channels\":[\"%s\","
	         "\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}],\"system_messages\":{\"user_joined\":\"%s\"}}",
	         cid, cid);
	v = tc_ok(d, "PATCH", path, alice.token, body, 200);
	ch = json_array_get(json_object_get(v, "categories"), 0);
	assert_int_equal(json_array_size(json_object_get(ch, "channels")), 1);
	assert_string_equal(tc_sget(json_object_get(v, "system_messages"), "user_joined"), cid);
	json_decref(v);
	snprintf(body, sizeof(body),
	         "{\"categories\":[{\"id\":\"a\",\"title\":\"A\",\"channels\":[\"%s\"]},"
	         "{\"id\":\"b\",\"title\":\"B\",\"channels\":[\"%s\"]}]}",
	         cid, cid);
	tc_expect(d, "PATCH", path, alice.token, body, 400, "InvalidOperation");
	tc_expect(d, "PATCH", path, alice.token,
	          "{\"system_messages\":{\"user_left\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}}", 404,
	          "NotFound");
	tc_expect(d, "PATCH", path, alice.token,
	          "{\"categories\":[{\"id\":\"\",\"title\":\"A\","
	          "\"channels\":[]}]}",
	          400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"remove\":[\"Name\"]}", 400,
	          "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"flags\":1}", 403, "NotPrivileged");
	tc_expect(d, "PATCH", path, alice.token, "{\"name\":\"\"}", 400, "FailedValidation");
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"name\":\"mine\"}", "ManageServer");
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"categories\":[]}", "ManageChannel");
	tc_expect(d, "PATCH", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV", alice.token,
	          "{\"name\":\"x\"}", 404, "NotFound");

	/* server channels */
	snprintf(path, sizeof(path), "/api/servers/%s/channels", sid);
	v = tc_ok(d, "POST", path, alice.token,
	          "{\"type\":\"Voice\",\"name\":\"voice\",\"description\":\"talk\"}", 200);
	assert_string_equal(tc_sget(v, "channel_type"), "VoiceChannel");
	assert_string_equal(tc_sget(v, "server"), sid);
	assert_string_equal(tc_sget(v, "description"), "talk");
	snprintf(vid, sizeof(vid), "%s", tc_sget(v, "_id"));
	json_decref(v);
	v = tc_ok(d, "POST", path, alice.token, "{\"name\":\"text\"}", 200);
	assert_string_equal(tc_sget(v, "channel_type"), "TextChannel");
	json_decref(v);
	tc_expect(d, "POST", path, alice.token, "{\"type\":\"Group\",\"name\":\"x\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", path, alice.token, "{\"name\":\"\"}", 400, "FailedValidation");
	tc_expect_perm(d, "POST", path, bob.token, "{\"name\":\"x\"}", "ManageChannel");
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(v, "channels")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "channels"), 1)),
	                    vid);
	json_decref(v);

	/* ack */
	snprintf(path, sizeof(path), "/api/servers/%s/ack", sid);
	json_decref(tc_ok(d, "PUT", path, alice.token, "{}", 204));
	tc_expect(d, "PUT", path, bob.token, "{}", 404, "NotFound");

	/* delete: a non-member cannot; the owner deletes everything */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	tc_expect(d, "DELETE", path, bob.token, "{}", 404, "NotFound");
	json_decref(tc_ok(d, "DELETE", path, alice.token, "{}", 204));
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/channels", sid);
	tc_expect(d, "POST", path, alice.token, "{\"name\":\"x\"}", 404, "NotFound");
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/default", cid);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 404,
	          "NotFound");

	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_roles_and_permissions(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	struct tc_user alice, bob;
	char path[256], body[512], sid[32], cid[32], r1[32], r2[32];
	json_t *v, *role;

	(void)state;
	assert_non_null(d);
	tc_user_make(d, "carol", &alice);
	tc_user_make(d, "dave", &bob);
	tc_server_create(d, &alice, "roles", sid, cid);

	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	tc_expect(d, "POST", path, alice.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", path, alice.token, "{\"name\":\"123456789012345678901234567890123\"}",
	          400, "FailedValidation");
	tc_expect_perm(d, "POST", path, bob.token, "{\"name\":\"x\"}", "ManageRole");
	v = tc_ok(d, "POST", path, alice.token, "{\"name\":\"Mods\",\"rank\":5}", 200);
	role = json_object_get(v, "role");
	assert_string_equal(tc_sget(role, "name"), "Mods");
	assert_int_equal(json_integer_value(json_object_get(role, "rank")), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(role, "permissions"), "a")), 0);
	snprintf(r1, sizeof(r1), "%s", tc_sget(v, "id"));
	json_decref(v);
	v = tc_ok(d, "POST", path, alice.token, "{\"name\":\"Members\"}", 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "role"), "rank")),
	                 1);
	snprintf(r2, sizeof(r2), "%s", tc_sget(v, "id"));
	json_decref(v);

	/* fetch */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, r1);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	assert_string_equal(tc_sget(v, "name"), "Mods");
	json_decref(v);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s/roles/01ARZ3NDEKTSV4RRFFQ69G5FAV", sid);
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	tc_expect(d, "PATCH", path, alice.token, "{\"name\":\"x\"}", 404, "NotFound");
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "NotFound");

	/* edit */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, r1);
	v = tc_ok(d, "PATCH", path, alice.token,
	          "{\"name\":\"Moderators\",\"colour\":\"#FF00aa\",\"hoist\":true}", 200);
	assert_string_equal(tc_sget(v, "name"), "Moderators");
	assert_string_equal(tc_sget(v, "colour"), "#FF00aa");
	assert_true(json_is_true(json_object_get(v, "hoist")));
	json_decref(v);
	v = tc_ok(
	    d, "PATCH", path, alice.token,
	    "{\"colour\":\"linear-gradient(30deg, red 10%, var(--accent), rgba(1, 2, 3, 4) 0)\"}",
	    200);
	json_decref(v);
	v = tc_ok(d, "PATCH", path, alice.token, "{\"remove\":[\"Colour\"],\"hoist\":false}", 200);
	assert_null(json_object_get(v, "colour"));
	assert_null(json_object_get(v, "hoist"));
	json_decref(v);
	tc_expect(d, "PATCH", path, alice.token, "{\"colour\":\"url(javascript:x)\"}", 400,
	          "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"colour\":\"\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"remove\":[\"Name\"]}", 400,
	          "FailedValidation");
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"name\":\"x\"}", "ManageRole");

	/* ranks */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/ranks", sid);
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\"]}", r2, r1);
	v = tc_ok(d, "PATCH", path, alice.token, body, 200);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(v, "roles"), r2), "rank")),
	                 0);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(v, "roles"), r1), "rank")),
	                 1);
	json_decref(v);
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\"]}", r2);
	tc_expect(d, "PATCH", path, alice.token, body, 400, "InvalidOperation");
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\"]}", r2, r2);
	tc_expect(d, "PATCH", path, alice.token, body, 400, "InvalidOperation");
	tc_expect(d, "PATCH", path, alice.token, "{\"ranks\":\"x\"}", 400, "FailedValidation");
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\"]}", r1, r2);
	tc_expect_perm(d, "PATCH", path, bob.token, body, "ManageRole");

	/* server permissions */
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/default", sid);
	v = tc_ok(d, "PUT", path, alice.token, "{\"permissions\":1048576}", 200);
	assert_int_equal(json_integer_value(json_object_get(v, "default_permissions")), 1048576);
	json_decref(v);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":1,\"deny\":0}}", 400,
	          "FailedValidation");
	tc_expect(d, "PUT", path, alice.token, "{}", 400, "FailedValidation");
	tc_expect_perm(d, "PUT", path, bob.token, "{\"permissions\":0}", "ManagePermissions");
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, r1);
	v = tc_ok(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":8,\"deny\":4194304}}",
	          200);
	role = json_object_get(json_object_get(v, "roles"), r1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(role, "permissions"), "a")), 8);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(role, "permissions"), "d")),
	    4194304);
	json_decref(v);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":5}", 400, "FailedValidation");
	tc_expect_perm(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}",
	               "ManagePermissions");
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/01ARZ3NDEKTSV4RRFFQ69G5FAV", sid);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 404,
	          "NotFound");

	/* channel permissions */
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/default", cid);
	v = tc_ok(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":0,\"deny\":4194304}}",
	          200);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(v, "default_permissions"), "d")),
	    4194304);
	json_decref(v);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":5}", 400, "InvalidOperation");
	tc_expect_perm(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}",
	               "ManagePermissions");
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, r2);
	v = tc_ok(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":4194304,\"deny\":0}}",
	          200);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(v, "role_permissions"), r2), "a")),
	                 4194304);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/01ARZ3NDEKTSV4RRFFQ69G5FAV",
	         cid);
	tc_expect(d, "PUT", path, alice.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 404,
	          "NotFound");
	tc_expect(d, "PUT", "/api/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/permissions/default",
	          alice.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 404, "NotFound");

	/* delete a role: gone from the server and from channel overrides */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, r2);
	tc_expect_perm(d, "DELETE", path, bob.token, "{}", "ManageRole");
	json_decref(tc_ok(d, "DELETE", path, alice.token, "{}", 204));
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	snprintf(path, sizeof(path), "/api/servers/%s?include_channels=true", sid);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	assert_null(
	    json_object_get(json_array_get(json_object_get(v, "channels"), 0), "role_permissions"));
	assert_null(json_object_get(json_object_get(v, "roles"), r2));
	json_decref(v);

	/* TooManyRoles: 200 at most */
	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	for (int i = 1; i < 200; i++)
		json_decref(tc_ok(d, "POST", path, alice.token, "{\"name\":\"r\"}", 200));
	v = NULL;
	assert_int_equal(tc_call(d, "POST", path, alice.token, "{\"name\":\"r\"}", &v), 400);
	assert_string_equal(tc_sget(v, "type"), "TooManyRoles");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 200);
	json_decref(v);

	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_limits(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	struct tc_user alice;
	char path[128], sid[32];
	json_t *v = NULL;

	(void)state;
	assert_non_null(d);
	tc_user_make(d, "erin", &alice);
	/* a new account (< 72 h) may be in 50 servers */
	for (int i = 0; i < 50; i++)
		tc_server_create(d, &alice, "s", sid, NULL);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", alice.token, "{\"name\":\"s\"}", &v), 400);
	assert_string_equal(tc_sget(v, "type"), "TooManyServers");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 50);
	json_decref(v);

	/* 200 channels at most (the server has General) */
	snprintf(path, sizeof(path), "/api/servers/%s/channels", sid);
	for (int i = 1; i < 200; i++)
		json_decref(tc_ok(d, "POST", path, alice.token, "{\"name\":\"c\"}", 200));
	assert_int_equal(tc_call(d, "POST", path, alice.token, "{\"name\":\"c\"}", &v), 400);
	assert_string_equal(tc_sget(v, "type"), "TooManyChannels");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 200);
	json_decref(v);

	/* deleting a server frees a slot */
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	json_decref(tc_ok(d, "DELETE", path, alice.token, "{}", 204));
	tc_server_create(d, &alice, "again", sid, NULL);

	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server_lifecycle),
	    cmocka_unit_test(test_roles_and_permissions),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
