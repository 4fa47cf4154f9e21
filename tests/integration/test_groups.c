/*
 * tests/integration/test_groups.c: groups and closing channels against the
 * real daemon: create (validation, friends only), add and remove
 * recipients, list members, leave (ownership passes on; the last one out
 * deletes the group), close a DM, saved messages; forbidden cases for
 * users outside the group, unknown ids, and the events on the private and
 * channel topics.
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
/* a well-formed id nothing has */
#define NOBODY "01ARZ3NDEKTSV4RRFFQ69G5FAV"

static struct td *d;
static struct tc_user alice, bob, carol, dave;

static void befriend(const struct tc_user *a, const struct tc_user *b)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/users/%s/friend", b->id);
	assert_int_equal(tc_call(d, "PUT", path, a->token, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/users/%s/friend", a->id);
	assert_int_equal(tc_call(d, "PUT", path, b->token, "{}", NULL), 200);
}

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};

	(void)state;
	d = tc_start(extra, START_MS);
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	tc_user_make(d, "dave", &dave);
	befriend(&alice, &bob);
	befriend(&alice, &carol);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

/* POST /channels/create as `u`; the group's id into id (when 200). */
static json_t *create(const struct tc_user *u, const char *body)
{
	json_t *v = NULL;
	long s = tc_call(d, "POST", "/api/channels/create", u->token, body, &v);

	if (s != 200)
		fail_msg("create %s: %ld %s", body, s, v ? json_dumps(v, 0) : "");
	return v;
}

/* The ids of GET /channels/{id}/members as `u`, in order, joined with ','. */
static void members(const struct tc_user *u, const char *id, char *out, size_t n)
{
	char path[96];
	json_t *v = NULL, *m;
	size_t i, k = 0;

	snprintf(path, sizeof(path), "/api/channels/%s/members", id);
	assert_int_equal(tc_call(d, "GET", path, u->token, NULL, &v), 200);
	assert_true(json_is_array(v));
	out[0] = '\0';
	json_array_foreach(v, i, m)
	{
		assert_non_null(tc_sval(m, "username"));
		assert_non_null(tc_sval(m, "relationship"));
		if (strcmp(tc_sval(m, "_id"), u->id) != 0)
			assert_null(json_object_get(m, "relations"));
		k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "", tc_sval(m, "_id"));
	}
	json_decref(v);
}

static void test_create_validation(void **state)
{
	char body[4096], name[200];
	json_t *v;
	size_t k;

	(void)state;
	tc_expect(d, "POST", "/api/channels/create", alice.token, "{}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token, "{\"name\":\"\"}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token, "{\"name\":7}", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token,
	          "{\"name\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token, "[]", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token, "{\"name\":", 400,
	          "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token,
	          "{\"name\":\"g\",\"users\":\"x\"}", 400, "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token, "{\"name\":\"g\",\"users\":[1]}",
	          400, "FailedValidation");
	tc_expect(d, "POST", "/api/channels/create", alice.token,
	          "{\"name\":\"g\",\"nsfw\":\"yes\"}", 400, "FailedValidation");
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"description\":\"%01025d\"}", 0);
	tc_expect(d, "POST", "/api/channels/create", alice.token, body, 400, "FailedValidation");
	/* 50 distinct ids fail validation; 49 pass it and meet the friend check */
	k = (size_t)snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[");
	for (int i = 0; i < 50; i++)
		k += (size_t)snprintf(body + k, sizeof(body) - k,
		                      "%s\"01ARZ3NDEKTSV4RRFFQ69G%04d\"", i ? "," : "", i);
	snprintf(body + k, sizeof(body) - k, "]}");
	tc_expect(d, "POST", "/api/channels/create", alice.token, body, 400, "FailedValidation");
	k = (size_t)snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[");
	for (int i = 0; i < 49; i++)
		k += (size_t)snprintf(body + k, sizeof(body) - k,
		                      "%s\"01ARZ3NDEKTSV4RRFFQ69G%04d\"", i ? "," : "", i);
	snprintf(body + k, sizeof(body) - k, "]}");
	tc_expect(d, "POST", "/api/channels/create", alice.token, body, 403, "NotFriends");
	/* strangers are refused */
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\"]}", dave.id);
	tc_expect(d, "POST", "/api/channels/create", alice.token, body, 403, "NotFriends");
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\",\"%s\"]}", bob.id, dave.id);
	tc_expect(d, "POST", "/api/channels/create", alice.token, body, 403, "NotFriends");
	tc_expect(d, "POST", "/api/channels/create", alice.token,
	          "{\"name\":\"g\",\"icon\":\"abc\"}", 400, "UnknownAttachment");
	tc_expect(d, "POST", "/api/channels/create", NULL, "{\"name\":\"g\"}", 401, NULL);
	/* 32 characters of two bytes each is a valid name; the caller may list themself */
	k = 0;
	for (int i = 0; i < 32; i++)
		k += (size_t)snprintf(name + k, sizeof(name) - k, "\xc3\xa9");
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"users\":[\"%s\"]}", name, alice.id);
	v = create(&alice, body);
	assert_string_equal(tc_sval(v, "channel_type"), "Group");
	assert_string_equal(tc_sval(v, "name"), name);
	assert_string_equal(tc_sval(v, "owner"), alice.id);
	assert_int_equal(json_array_size(json_object_get(v, "recipients")), 1);
	assert_null(json_object_get(v, "nsfw"));
	assert_null(json_object_get(v, "description"));
	assert_int_equal(strlen(tc_sval(v, "_id")), 26);
	json_decref(v);
}

static void test_group_lifecycle(void **state)
{
	char body[512], id[32], path[160], list[256];
	json_t *v;

	(void)state;
	snprintf(body, sizeof(body),
	         "{\"name\":\"trio\",\"description\":\"d\",\"nsfw\":true,"
	         "\"users\":[\"%s\",\"%s\",\"%s\"]}",
	         bob.id, carol.id, bob.id);
	v = create(&alice, body);
	snprintf(id, sizeof(id), "%s", tc_sval(v, "_id"));
	assert_string_equal(tc_sval(v, "description"), "d");
	assert_true(json_is_true(json_object_get(v, "nsfw")));
	assert_int_equal(json_array_size(json_object_get(v, "recipients")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "recipients"), 0)),
	                    alice.id);
	json_decref(v);
	/* members as bob sees them */
	members(&bob, id, list, sizeof(list));
	snprintf(body, sizeof(body), "%s,%s,%s", alice.id, bob.id, carol.id);
	assert_string_equal(list, body);
	snprintf(path, sizeof(path), "/api/channels/%s/members", id);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_string_equal(tc_sval(json_array_get(v, 0), "relationship"), "Friend");
	assert_string_equal(tc_sval(json_array_get(v, 1), "relationship"), "User");
	assert_string_equal(tc_sval(json_array_get(v, 2), "relationship"), "None");
	json_decref(v);
	/* outsiders */
	tc_expect_perm(d, "GET", path, dave.token, NULL, "ViewChannel");
	snprintf(path, sizeof(path), "/api/channels/%s", id);
	tc_expect_perm(d, "DELETE", path, dave.token, "{}", "ViewChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, dave.id);
	tc_expect_perm(d, "PUT", path, dave.token, "{}", "InviteOthers");
	/* unknown ids */
	tc_expect(d, "GET", "/api/channels/" NOBODY "/members", alice.token, NULL, 404,
	          "UnknownChannel");
	tc_expect(d, "DELETE", "/api/channels/" NOBODY, alice.token, "{}", 404, "UnknownChannel");
	snprintf(path, sizeof(path), "/api/channels/" NOBODY "/recipients/%s", bob.id);
	tc_expect(d, "PUT", path, alice.token, "{}", 404, "UnknownChannel");
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "UnknownChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/" NOBODY, id);
	tc_expect(d, "PUT", path, alice.token, "{}", 404, "UnknownUser");
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "UnknownUser");
	/* adding */
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, dave.id);
	tc_expect(d, "PUT", path, alice.token, "{}", 403, "NotFriends");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, bob.id);
	tc_expect(d, "PUT", path, alice.token, "{}", 409, "AlreadyInGroup");
	/* removing: owner only, never yourself, only recipients */
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, carol.id);
	tc_expect_perm(d, "DELETE", path, bob.token, "{}", "ManageChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, alice.id);
	tc_expect(d, "DELETE", path, alice.token, "{}", 400, "CannotRemoveYourself");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, dave.id);
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "NotInGroup");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, carol.id);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	snprintf(path, sizeof(path), "/api/channels/%s/members", id);
	tc_expect_perm(d, "GET", path, carol.token, NULL, "ViewChannel");
	members(&alice, id, list, sizeof(list));
	snprintf(body, sizeof(body), "%s,%s", alice.id, bob.id);
	assert_string_equal(list, body);
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, carol.id);
	assert_int_equal(tc_call(d, "PUT", path, alice.token, "{}", NULL), 204);
	members(&carol, id, list, sizeof(list));
	snprintf(body, sizeof(body), "%s,%s,%s", alice.id, bob.id, carol.id);
	assert_string_equal(list, body);
	/* a query value that is not a boolean */
	snprintf(path, sizeof(path), "/api/channels/%s?leave_silently=maybe", id);
	tc_expect(d, "DELETE", path, alice.token, "{}", 400, "FailedValidation");
	/* the owner leaves: bob, next in line, owns it and may remove carol */
	snprintf(path, sizeof(path), "/api/channels/%s", id);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	snprintf(path, sizeof(path), "/api/channels/%s/members", id);
	tc_expect_perm(d, "GET", path, alice.token, NULL, "ViewChannel");
	members(&bob, id, list, sizeof(list));
	snprintf(body, sizeof(body), "%s,%s", bob.id, carol.id);
	assert_string_equal(list, body);
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", id, carol.id);
	assert_int_equal(tc_call(d, "DELETE", path, bob.token, "{}", NULL), 204);
	/* the last one out deletes it */
	snprintf(path, sizeof(path), "/api/channels/%s?leave_silently=true", id);
	assert_int_equal(tc_call(d, "DELETE", path, bob.token, "{}", NULL), 204);
	snprintf(path, sizeof(path), "/api/channels/%s/members", id);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "UnknownChannel");
}

/* The DM or saved-messages channel of `u` with `other`. */
static void open_dm(const struct tc_user *u, const struct tc_user *other, char id[32])
{
	char path[96];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/users/%s/dm", other->id);
	assert_int_equal(tc_call(d, "GET", path, u->token, NULL, &v), 200);
	snprintf(id, 32, "%s", tc_sval(v, "_id"));
	json_decref(v);
}

static json_t *find_channel(const struct tc_user *u, const char *id)
{
	json_t *v = NULL, *c, *found = NULL;
	size_t i;

	assert_int_equal(tc_call(d, "GET", "/api/users/dms", u->token, NULL, &v), 200);
	json_array_foreach(v, i, c)
	{
		if (strcmp(tc_sval(c, "_id"), id) == 0)
			found = json_incref(c);
	}
	json_decref(v);
	return found;
}

static void test_dm_and_saved(void **state)
{
	char dm[32], saved[32], path[96];
	json_t *c;

	(void)state;
	open_dm(&alice, &bob, dm);
	snprintf(path, sizeof(path), "/api/channels/%s", dm);
	tc_expect_perm(d, "DELETE", path, dave.token, "{}", "ViewChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/members", dm);
	tc_expect(d, "GET", path, alice.token, NULL, 400, "InvalidOperation");
	snprintf(path, sizeof(path), "/api/channels/%s/recipients/%s", dm, carol.id);
	tc_expect(d, "PUT", path, alice.token, "{}", 400, "InvalidOperation");
	tc_expect(d, "DELETE", path, alice.token, "{}", 400, "InvalidOperation");
	snprintf(path, sizeof(path), "/api/channels/%s", dm);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	c = find_channel(&bob, dm);
	assert_non_null(c);
	assert_string_equal(tc_sval(c, "channel_type"), "DirectMessage");
	assert_true(json_is_false(json_object_get(c, "active")));
	json_decref(c);
	/* closing again is harmless */
	assert_int_equal(tc_call(d, "DELETE", path, bob.token, "{}", NULL), 204);
	/* saved messages cannot be deleted: NoEffect is a 200 error */
	open_dm(&alice, &alice, saved);
	snprintf(path, sizeof(path), "/api/channels/%s", saved);
	tc_expect(d, "DELETE", path, alice.token, "{}", 200, "NoEffect");
	tc_expect_perm(d, "DELETE", path, bob.token, "{}", "ViewChannel");
}

static void warm_up(struct wsc *c, const struct tc_user *u)
{
	char body[64];
	json_t *ev = NULL;

	/* subscriptions land on the gateway thread in order: once an event on
	 * the last topic arrives, the earlier ones are in place too */
	for (int i = 0; i < 50 && !ev; i++) {
		snprintf(body, sizeof(body), "{\"warm\":\"%d\"}", i);
		assert_int_equal(tc_call(d, "POST", "/api/sync/settings/set", u->token, body, NULL),
		                 204);
		ev = tc_ws_wait(c, "UserSettingsUpdate", 200);
	}
	assert_non_null(ev);
	json_decref(ev);
}

static void subscribe(struct wsc *c, const char *topic)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "{\"type\":\"Subscribe\",\"server_id\":\"%s\"}", topic);
	assert_int_equal(wsc_send_text(c, str_from(sub)), SE_OK);
}

static void test_events(void **state)
{
	char q[256], topic[64], id[32], body[256], path[96];
	struct wsc *c = NULL;
	json_t *ev, *v;

	(void)state;
	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", bob.token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, 5000, &c), SE_OK);
	snprintf(topic, sizeof(topic), "%s!", bob.id);
	subscribe(c, topic);
	warm_up(c, &bob);
	/* ChannelCreate reaches every recipient's private topic */
	snprintf(body, sizeof(body), "{\"name\":\"ev\",\"users\":[\"%s\"]}", bob.id);
	v = create(&alice, body);
	snprintf(id, sizeof(id), "%s", tc_sval(v, "_id"));
	json_decref(v);
	ev = tc_ws_wait(c, "ChannelCreate", 5000);
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "_id"), id);
	assert_string_equal(tc_sval(ev, "channel_type"), "Group");
	assert_string_equal(tc_sval(ev, "owner"), alice.id);
	json_decref(ev);
	/* the channel's own topic: ownership change, leave, delete */
	subscribe(c, id);
	subscribe(c, topic);
	warm_up(c, &bob);
	snprintf(path, sizeof(path), "/api/channels/%s", id);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	ev = tc_ws_wait(c, "ChannelUpdate", 5000);
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "id"), id);
	assert_string_equal(tc_sval(json_object_get(ev, "data"), "owner"), bob.id);
	json_decref(ev);
	ev = tc_ws_wait(c, "ChannelGroupLeave", 5000);
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "id"), id);
	assert_string_equal(tc_sval(ev, "user"), alice.id);
	json_decref(ev);
	assert_int_equal(tc_call(d, "DELETE", path, bob.token, "{}", NULL), 204);
	ev = tc_ws_wait(c, "ChannelDelete", 5000);
	assert_non_null(ev);
	assert_string_equal(tc_sval(ev, "id"), id);
	json_decref(ev);
	wsc_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_validation),
	    cmocka_unit_test(test_group_lifecycle),
	    cmocka_unit_test(test_dm_and_saved),
	    cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
