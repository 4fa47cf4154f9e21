/*
 * tests/integration/test_users.c: the Users routes against the real daemon:
 * fetching users as others see them, editing the own user, changing the
 * username, friend requests (with the pending cap), blocks, mutual
 * connections, DMs and saved messages, flags and the default avatars.
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
#define PASSWORD "correct horse battery"

struct who {
	char token[128];
	char id[32];
	char tag[64]; /* username#discriminator */
};

static json_t *body_json(const struct td_resp *r)
{
	json_t *v = json_loadb(r->body ? r->body : "", r->body_len, JSON_DECODE_ANY, NULL);

	if (!v)
		fail_msg("not JSON (status %ld): '%s'", r->status, r->body ? r->body : "");
	return v;
}

static long call(struct td *d, const char *method, const char *path, const char *token,
                 const char *body, json_t **out)
{
	char h1[160];
	const char *hdrs[2] = {NULL, NULL};
	struct td_resp r;
	long status;

	if (token) {
		snprintf(h1, sizeof(h1), "X-Session-Token: %s", token);
		hdrs[0] = h1;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out)
		*out = r.body_len ? body_json(&r) : NULL;
	td_resp_release(&r);
	return status;
}

static const char *sget(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static void expect_error(struct td *d, const char *method, const char *path, const char *token,
                         const char *body, long status, const char *type)
{
	json_t *v = NULL;
	long s = call(d, method, path, token, body, &v);

	if (s != status || !sget(v, "type") || strcmp(sget(v, "type"), type) != 0)
		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         v ? json_dumps(v, 0) : "(no body)", status, type);
	json_decref(v);
}

/* Call and check the status; returns the body (caller decrefs). */
static json_t *ok(struct td *d, const char *method, const char *path, const char *token,
                  const char *body, long want)
{
	json_t *v = NULL;
	long s = call(d, method, path, token, body, &v);

	if (s != want)
		fail_msg("%s %s: got %ld %s", method, path, s, v ? json_dumps(v, 0) : "");
	return v;
}

/* The relationship field of `path` fetched by `token`, checked against `want`. */
static void expect_rel(struct td *d, const char *path, const char *token, const char *want)
{
	json_t *v = ok(d, "GET", path, token, NULL, 200);

	assert_string_equal(sget(v, "relationship"), want);
	json_decref(v);
}

static void make_user(struct td *d, const char *name, struct who *w)
{
	char body[256];
	json_t *v;

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         PASSWORD);
	assert_int_equal(call(d, "POST", "/api/auth/account/create", NULL, body, NULL), 204);
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s@example.org\",\"password\":\"%s\",\"friendly_name\":\"t\"}", name,
	         PASSWORD);
	v = ok(d, "POST", "/api/auth/session/login", NULL, body, 200);
	snprintf(w->token, sizeof(w->token), "%s", sget(v, "token"));
	snprintf(w->id, sizeof(w->id), "%s", sget(v, "user_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	v = ok(d, "POST", "/api/onboard/complete", w->token, body, 200);
	snprintf(w->tag, sizeof(w->tag), "%s#%s", sget(v, "username"), sget(v, "discriminator"));
	json_decref(v);
}

static struct td *start(void)
{
	static const char *const args[] = {"--dev", NULL};
	struct td *d;

	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(args, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	return d;
}

static void path(char *out, size_t n, const char *id, const char *tail)
{
	snprintf(out, n, "/api/users/%s%s", id, tail);
}

static void test_fetch_and_edit(void **state)
{
	struct td *d = start();
	struct who a, b;
	char p[128];
	json_t *v;

	(void)state;
	make_user(d, "alice", &a);
	make_user(d, "bob", &b);
	v = ok(d, "GET", "/api/users/@me", a.token, NULL, 200);
	assert_string_equal(sget(v, "_id"), a.id);
	assert_string_equal(sget(v, "relationship"), "User");
	assert_true(json_is_false(json_object_get(v, "online")));
	assert_null(json_object_get(v, "relations"));
	json_decref(v);
	expect_error(d, "GET", "/api/users/@me", NULL, NULL, 401, "NotAuthenticated");
	/* a stranger: no Access */
	path(p, sizeof(p), b.id, "");
	expect_error(d, "GET", p, a.token, NULL, 403, "MissingPermission");
	path(p, sizeof(p), b.id, "/profile");
	expect_error(d, "GET", p, a.token, NULL, 403, "MissingPermission");
	expect_error(d, "GET", "/api/users/01ARZ3NDEKTSV4RRFFQ69G5FAV", a.token, NULL, 404,
	             "UnknownUser");
	/* oneself by id */
	path(p, sizeof(p), a.id, "");
	expect_rel(d, p, a.token, "User");
	/* flags need no session; unknown users have 0 */
	path(p, sizeof(p), b.id, "/flags");
	v = ok(d, "GET", p, NULL, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 0);
	json_decref(v);
	v = ok(d, "GET", "/api/users/nobody/flags", NULL, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 0);
	json_decref(v);

	/* edits */
	v = ok(d, "PATCH", "/api/users/@me", a.token,
	       "{\"display_name\":\"Al\",\"status\":{\"text\":\"hi\",\"presence\":\"Busy\"},"
	       "\"profile\":{\"content\":\"about me\"}}",
	       200);
	assert_string_equal(sget(v, "display_name"), "Al");
	assert_string_equal(sget(json_object_get(v, "status"), "text"), "hi");
	assert_string_equal(sget(json_object_get(v, "status"), "presence"), "Busy");
	assert_null(json_object_get(v, "profile"));
	json_decref(v);
	v = ok(d, "GET", "/api/users/@me", a.token, NULL, 200);
	assert_string_equal(sget(v, "display_name"), "Al");
	json_decref(v);
	path(p, sizeof(p), a.id, "/profile");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_string_equal(sget(v, "content"), "about me");
	json_decref(v);
	/* remove, and Invisible is not shown */
	v = ok(
	    d, "PATCH", "/api/users/@me", a.token,
	    "{\"remove\":[\"StatusText\",\"DisplayName\"],\"status\":{\"presence\":\"Invisible\"}}",
	    200);
	assert_null(json_object_get(v, "display_name"));
	assert_null(json_object_get(v, "status"));
	json_decref(v);
	v = ok(d, "PATCH", "/api/users/@me", a.token, "{}", 200);
	assert_string_equal(sget(v, "_id"), a.id);
	json_decref(v);
	path(p, sizeof(p), a.id, "");
	v = ok(d, "PATCH", p, a.token, "{\"remove\":[\"StatusPresence\",\"ProfileContent\"]}", 200);
	assert_null(json_object_get(v, "status"));
	json_decref(v);
	{
		static const char *const bad[] = {
		    "{\"display_name\":\"A\"}",
		    "{\"display_name\":\"a\\nb\"}",
		    "{\"display_name\":\"ab\\u200bc\"}",
		    "{\"display_name\":\"123456789012345678901234567890123\"}",
		    "{\"display_name\":5}",
		    "{\"status\":{\"presence\":\"Sleeping\"}}",
		    "{\"status\":\"x\"}",
		    "{\"remove\":[\"Bogus\"]}",
		    "{\"remove\":\"Avatar\"}",
		    "{\"avatar\":\"\"}",
		    "[1]",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
			expect_error(d, "PATCH", "/api/users/@me", a.token, bad[i], 400,
			             "FailedValidation");
	}
	{
		char text[200], big[256];

		memset(text, 'x', 129);
		text[129] = '\0';
		snprintf(big, sizeof(big), "{\"status\":{\"text\":\"%s\"}}", text);
		expect_error(d, "PATCH", "/api/users/@me", a.token, big, 400, "FailedValidation");
	}
	expect_error(d, "PATCH", "/api/users/@me", a.token, "{\"avatar\":\"abc\"}", 400,
	             "UnknownAttachment");
	expect_error(d, "PATCH", "/api/users/@me", a.token, "{\"badges\":1}", 403, "NotPrivileged");
	path(p, sizeof(p), b.id, "");
	expect_error(d, "PATCH", p, a.token, "{\"display_name\":\"Bobby\"}", 403, "NotPrivileged");

	/* username */
	expect_error(d, "PATCH", "/api/users/@me/username", a.token,
	             "{\"username\":\"alice2\",\"password\":\"wrong password!\"}", 401,
	             "InvalidCredentials");
	expect_error(d, "PATCH", "/api/users/@me/username", a.token,
	             "{\"username\":\"alice2\",\"password\":\"short\"}", 400, "FailedValidation");
	expect_error(d, "PATCH", "/api/users/@me/username", a.token,
	             "{\"username\":\"a b\",\"password\":\"" PASSWORD "\"}", 400,
	             "FailedValidation");
	expect_error(d, "PATCH", "/api/users/@me/username", a.token,
	             "{\"username\":\"admin\",\"password\":\"" PASSWORD "\"}", 400,
	             "InvalidUsername");
	v = ok(d, "PATCH", "/api/users/@me/username", a.token,
	       "{\"username\":\"Alice\",\"password\":\"" PASSWORD "\"}", 200);
	assert_string_equal(sget(v, "username"), "Alice");
	assert_string_equal(sget(v, "discriminator"), strchr(a.tag, '#') + 1);
	json_decref(v);
	v = ok(d, "PATCH", "/api/users/@me/username", a.token,
	       "{\"username\":\"carla\",\"password\":\"" PASSWORD "\"}", 200);
	assert_string_equal(sget(v, "username"), "carla");
	/* the discriminator is kept while it is free under the new name */
	assert_string_equal(sget(v, "discriminator"), strchr(a.tag, '#') + 1);
	json_decref(v);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_relationships(void **state)
{
	struct td *d = start();
	struct who a, b, c, x[6];
	char p[128], body[160];
	json_t *v;

	(void)state;
	make_user(d, "alice", &a);
	make_user(d, "bob", &b);
	make_user(d, "carol", &c);

	/* friend request by tag */
	expect_error(d, "POST", "/api/users/friend", a.token, "{\"username\":\"bob\"}", 400,
	             "InvalidProperty");
	expect_error(d, "POST", "/api/users/friend", a.token, "{\"username\":\"bob#0000\"}", 404,
	             "UnknownUser");
	expect_error(d, "POST", "/api/users/friend", a.token, "{\"username\":5}", 400,
	             "FailedValidation");
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", b.tag);
	v = ok(d, "POST", "/api/users/friend", a.token, body, 200);
	assert_string_equal(sget(v, "_id"), b.id);
	assert_string_equal(sget(v, "relationship"), "Outgoing");
	json_decref(v);
	expect_error(d, "POST", "/api/users/friend", a.token, body, 409, "AlreadySentRequest");
	path(p, sizeof(p), a.id, "");
	expect_rel(d, p, b.token, "Incoming");
	/* accept */
	path(p, sizeof(p), a.id, "/friend");
	v = ok(d, "PUT", p, b.token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "Friend");
	json_decref(v);
	expect_error(d, "PUT", p, b.token, "{}", 409, "AlreadyFriends");
	v = ok(d, "GET", "/api/users/@me", a.token, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(v, "relations")), 1);
	assert_string_equal(sget(json_array_get(json_object_get(v, "relations"), 0), "_id"), b.id);
	assert_string_equal(sget(json_array_get(json_object_get(v, "relations"), 0), "status"),
	                    "Friend");
	json_decref(v);
	/* friends see profiles; the other's relations are never shown */
	path(p, sizeof(p), b.id, "");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_null(json_object_get(v, "relations"));
	json_decref(v);
	path(p, sizeof(p), b.id, "/profile");
	json_decref(ok(d, "GET", p, a.token, NULL, 200));
	/* mutual */
	path(p, sizeof(p), b.id, "/mutual");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_true(json_is_array(json_object_get(v, "users")));
	assert_int_equal(json_array_size(json_object_get(v, "servers")), 0);
	assert_int_equal(json_array_size(json_object_get(v, "channels")), 0);
	json_decref(v);
	path(p, sizeof(p), a.id, "/mutual");
	expect_error(d, "GET", p, a.token, NULL, 400, "InvalidOperation");
	path(p, sizeof(p), c.id, "/mutual");
	expect_error(d, "GET", p, a.token, NULL, 403, "MissingPermission");
	/* remove */
	path(p, sizeof(p), b.id, "/friend");
	expect_rel(d, "/api/users/@me", a.token, "User");
	v = ok(d, "DELETE", p, a.token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "None");
	json_decref(v);
	expect_error(d, "DELETE", p, a.token, "{}", 200, "NoEffect");
	v = ok(d, "GET", "/api/users/@me", b.token, NULL, 200);
	assert_null(json_object_get(v, "relations"));
	json_decref(v);
	/* oneself */
	path(p, sizeof(p), a.id, "/friend");
	expect_error(d, "PUT", p, a.token, "{}", 200, "NoEffect");
	path(p, sizeof(p), a.id, "/block");
	expect_error(d, "PUT", p, a.token, "{}", 200, "NoEffect");
	expect_error(d, "PUT", "/api/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/friend", a.token, "{}", 404,
	             "UnknownUser");

	/* blocks */
	path(p, sizeof(p), c.id, "/block");
	v = ok(d, "PUT", p, a.token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "Blocked");
	json_decref(v);
	expect_error(d, "PUT", p, a.token, "{}", 200, "NoEffect");
	path(p, sizeof(p), a.id, "");
	expect_rel(d, p, c.token, "BlockedOther");
	path(p, sizeof(p), a.id, "/friend");
	expect_error(d, "PUT", p, c.token, "{}", 403, "BlockedByOther");
	path(p, sizeof(p), c.id, "/friend");
	expect_error(d, "PUT", p, a.token, "{}", 409, "Blocked");
	path(p, sizeof(p), a.id, "/dm");
	expect_error(d, "GET", p, c.token, NULL, 403, "MissingPermission");
	/* both block, then unblock one side at a time */
	path(p, sizeof(p), a.id, "/block");
	json_decref(ok(d, "PUT", p, c.token, "{}", 200));
	path(p, sizeof(p), c.id, "");
	expect_rel(d, p, a.token, "Blocked");
	path(p, sizeof(p), c.id, "/block");
	v = ok(d, "DELETE", p, a.token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "BlockedOther");
	json_decref(v);
	expect_error(d, "DELETE", p, a.token, "{}", 200, "NoEffect");
	path(p, sizeof(p), a.id, "/block");
	v = ok(d, "DELETE", p, c.token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "None");
	json_decref(v);
	v = ok(d, "GET", "/api/users/@me", a.token, NULL, 200);
	assert_null(json_object_get(v, "relations"));
	json_decref(v);

	/* a new account may have 5 outgoing requests pending */
	for (int i = 0; i < 6; i++) {
		char name[24];

		snprintf(name, sizeof(name), "extra%d", i);
		make_user(d, name, &x[i]);
	}
	for (int i = 0; i < 5; i++) {
		path(p, sizeof(p), x[i].id, "/friend");
		json_decref(ok(d, "PUT", p, a.token, "{}", 200));
	}
	path(p, sizeof(p), x[5].id, "/friend");
	v = NULL;
	assert_int_equal(call(d, "PUT", p, a.token, "{}", &v), 400);
	assert_string_equal(sget(v, "type"), "TooManyPendingFriendRequests");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 5);
	json_decref(v);
	/* incoming requests do not count: x5 may still ask alice */
	path(p, sizeof(p), a.id, "/friend");
	v = ok(d, "PUT", p, x[5].token, "{}", 200);
	assert_string_equal(sget(v, "relationship"), "Outgoing");
	json_decref(v);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_dms_and_avatars(void **state)
{
	struct td *d = start();
	struct who a, b;
	char p[128], ctype[64], cache[128], dm_id[32];
	struct td_resp r;
	json_t *v;

	(void)state;
	make_user(d, "alice", &a);
	make_user(d, "bob", &b);
	/* strangers may not open a DM */
	path(p, sizeof(p), b.id, "/dm");
	expect_error(d, "GET", p, a.token, NULL, 403, "MissingPermission");
	expect_error(d, "GET", "/api/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/dm", a.token, NULL, 404,
	             "UnknownUser");
	/* friends may */
	snprintf(p, sizeof(p), "{\"username\":\"%s\"}", b.tag);
	json_decref(ok(d, "POST", "/api/users/friend", a.token, p, 200));
	path(p, sizeof(p), a.id, "/friend");
	json_decref(ok(d, "PUT", p, b.token, "{}", 200));
	path(p, sizeof(p), b.id, "/dm");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_string_equal(sget(v, "channel_type"), "DirectMessage");
	assert_true(json_is_true(json_object_get(v, "active")));
	assert_int_equal(json_array_size(json_object_get(v, "recipients")), 2);
	snprintf(dm_id, sizeof(dm_id), "%s", sget(v, "_id"));
	json_decref(v);
	/* the same channel from either side */
	path(p, sizeof(p), a.id, "/dm");
	v = ok(d, "GET", p, b.token, NULL, 200);
	assert_string_equal(sget(v, "_id"), dm_id);
	json_decref(v);
	/* saved messages for oneself */
	path(p, sizeof(p), a.id, "/dm");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_string_equal(sget(v, "channel_type"), "SavedMessages");
	assert_string_equal(sget(v, "user"), a.id);
	json_decref(v);
	v = ok(d, "GET", "/api/users/dms", a.token, NULL, 200);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	v = ok(d, "GET", "/api/users/dms", b.token, NULL, 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(sget(json_array_get(v, 0), "_id"), dm_id);
	json_decref(v);
	/* the DM is a mutual channel */
	path(p, sizeof(p), b.id, "/mutual");
	v = ok(d, "GET", p, a.token, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(v, "channels")), 1);
	json_decref(v);

	/* default avatars: PNG, no session, one per final character class */
	path(p, sizeof(p), a.id, "/default_avatar");
	assert_int_equal(td_http(td_http_port(d), "GET", p, NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(td_resp_header(&r, "content-type", ctype, sizeof(ctype)));
	assert_string_equal(ctype, "image/png");
	assert_non_null(td_resp_header(&r, "cache-control", cache, sizeof(cache)));
	assert_non_null(strstr(cache, "max-age"));
	assert_true(r.body_len > 8);
	assert_memory_equal(r.body, "\x89PNG\r\n\x1a\n", 8);
	td_resp_release(&r);
	{
		const char *ids[] = {"x0", "x4", "x8", "xC", "xG", "xM", "xY"};
		size_t lens[7];

		for (int i = 0; i < 7; i++) {
			snprintf(p, sizeof(p), "/api/users/%s/default_avatar", ids[i]);
			assert_int_equal(td_http(td_http_port(d), "GET", p, NULL, NULL, &r), 0);
			assert_int_equal(r.status, 200);
			lens[i] = r.body_len;
			td_resp_release(&r);
		}
		assert_true(lens[0] > 0 && lens[6] > 0);
	}
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fetch_and_edit),
	    cmocka_unit_test(test_relationships),
	    cmocka_unit_test(test_dms_and_avatars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
