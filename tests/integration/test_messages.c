/*
 * tests/integration/test_messages.c: the messaging routes against the real
 * daemon: send (validation, limits, permissions, mentions, replies,
 * idempotency), fetch, history pages, edit, delete, bulk delete, pins,
 * channel fetch/edit, and the system messages of groups and servers; a
 * second user's forbidden cases and unknown ids throughout.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000
/* a well-formed id nothing has (and 2016-old: too old to bulk delete) */
#define NOBODY "01ARZ3NDEKTSV4RRFFQ69G5FAV"

struct user {
	char token[128];
	char id[32];
};

static struct td *d;
static struct user alice, bob, carol;
static char sid[32], cid[32];

static long call_h(const char *method, const char *path, const char *token, const char *extra,
                   const char *body, json_t **out)
{
	char h[160];
	const char *hdrs[3] = {NULL, NULL, NULL};
	struct td_resp r;
	long status;
	int k = 0;

	if (token) {
		snprintf(h, sizeof(h), "X-Session-Token: %s", token);
		hdrs[k++] = h;
	}
	if (extra)
		hdrs[k++] = extra;
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
	return call_h(method, path, token, NULL, body, out);
}

static const char *sval(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static void expect(const char *method, const char *path, const struct user *u, const char *body,
                   long status, const char *type)
{
	json_t *v = NULL;
	long s = call(method, path, u ? u->token : NULL, body, &v);
	const char *t = v ? sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %.200s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
}

static void expect_perm(const char *method, const char *path, const struct user *u,
                        const char *body, const char *permission)
{
	json_t *v = NULL;
	long s = call(method, path, u->token, body, &v);

	if (s != 403 || !sval(v, "permission") || strcmp(sval(v, "permission"), permission))
		fail_msg("%s %s: got %ld %s, want MissingPermission %s", method, path, s,
		         v ? json_dumps(v, 0) : "", permission);
	json_decref(v);
}

static void make_user(const char *name, struct user *u)
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(call("POST", "/api/auth/account/create", NULL, body, NULL), 204);
	assert_int_equal(call("POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(u->token, sizeof(u->token), "%s", sval(v, "token"));
	snprintf(u->id, sizeof(u->id), "%s", sval(v, "user_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(call("POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

static void join(const struct user *u, const char *channel)
{
	char path[96];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", channel);
	assert_int_equal(call("POST", path, alice.token, "{}", &v), 200);
	snprintf(path, sizeof(path), "/api/invites/%s", sval(v, "_id"));
	json_decref(v);
	assert_int_equal(call("POST", path, u->token, "{}", NULL), 200);
}

/* Send `body` to `channel` as `u`; the message (new reference) on 200. */
static json_t *send_msg(const struct user *u, const char *channel, const char *body)
{
	char path[96];
	json_t *v = NULL;
	long s;

	snprintf(path, sizeof(path), "/api/channels/%s/messages", channel);
	s = call("POST", path, u->token, body, &v);
	if (s != 200)
		fail_msg("send %s: %ld %s", body, s, v ? json_dumps(v, 0) : "");
	return v;
}

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};
	json_t *v = NULL;

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	if (!d)
		return -1;
	make_user("alice", &alice);
	make_user("bob", &bob);
	make_user("carol", &carol);
	assert_int_equal(
	    call("POST", "/api/servers/create", alice.token, "{\"name\":\"Msgs\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, sizeof(cid), "%s",
	         sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	join(&bob, cid);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_send(void **state)
{
	char path[128], body[8400], big[2100];
	json_t *m, *v = NULL;

	(void)state;
	snprintf(body, sizeof(body), "{\"content\":\"hi <@%s> <@%s> <%%%s>\"}", bob.id, carol.id,
	         NOBODY);
	m = send_msg(&alice, cid, body);
	assert_string_equal(sval(m, "channel"), cid);
	assert_string_equal(sval(m, "author"), alice.id);
	assert_non_null(sval(m, "nonce"));
	assert_string_equal(sval(json_object_get(m, "user"), "_id"), alice.id);
	assert_non_null(json_object_get(m, "member"));
	/* carol is no member: only bob is mentioned; an unknown role is dropped */
	assert_int_equal(json_array_size(json_object_get(m, "mentions")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "mentions"), 0)),
	                    bob.id);
	assert_null(json_object_get(m, "role_mentions"));
	/* fetch it; others and unknown ids */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, sval(m, "_id"));
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_string_equal(sval(v, "_id"), sval(m, "_id"));
	assert_null(json_object_get(v, "user"));
	json_decref(v);
	expect_perm("GET", path, &carol, NULL, "ViewChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, NOBODY);
	expect("GET", path, &alice, NULL, 404, "NotFound");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", NOBODY, sval(m, "_id"));
	expect("GET", path, &alice, NULL, 404, "UnknownChannel");
	/* the channel knows its last message */
	snprintf(path, sizeof(path), "/api/channels/%s", cid);
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(sval(v, "last_message_id"), sval(m, "_id"));
	json_decref(v);
	/* bad bodies and limits */
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	expect("POST", path, &alice, "{}", 422, "EmptyMessage");
	expect("POST", path, &alice, "{\"content\":\"\"}", 422, "EmptyMessage");
	expect("POST", path, &alice, "{\"content\":5}", 400, "FailedValidation");
	expect("POST", path, &alice, "[1]", 400, "FailedValidation");
	memset(big, 'x', 2001);
	big[2001] = '\0';
	snprintf(body, sizeof(body), "{\"content\":\"%s\"}", big);
	expect("POST", path, &alice, body, 400, "FailedValidation");
	big[1500] = '\0';
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"embeds\":[{\"description\":\"%s\"}]}",
	         big, big);
	expect("POST", path, &alice, body, 422, "PayloadTooLarge");
	snprintf(body, sizeof(body), "{\"content\":\"x\",\"replies\":[%s]}",
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false},"
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false},"
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false}");
	expect("POST", path, &alice, body, 400, "TooManyReplies");
	expect("POST", path, &alice,
	       "{\"embeds\":[{\"title\":\"a\"},{\"title\":\"a\"},{\"title\":\"a\"},"
	       "{\"title\":\"a\"},{\"title\":\"a\"},{\"title\":\"a\"}]}",
	       400, "TooManyEmbeds");
	expect("POST", path, &alice, "{\"attachments\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}", 400,
	       "TooManyAttachments");
	expect("POST", path, &alice, "{\"attachments\":[\"nope\"]}", 400, "UnknownAttachment");
	expect("POST", path, &alice, "{\"content\":\"x\",\"flags\":8}", 400, "InvalidProperty");
	expect("POST", path, &alice, "{\"content\":\"x\",\"flags\":2}", 400, "IsNotBot");
	expect("POST", path, &alice, "{\"content\":\"x\",\"masquerade\":{\"name\":\"\"}}", 400,
	       "FailedValidation");
	expect("POST", path, &alice,
	       "{\"content\":\"x\",\"interactions\":{\"restrict_reactions\":true}}", 400,
	       "InvalidProperty");
	/* permissions: bob lacks Masquerade and MentionEveryone; carol everything */
	expect_perm("POST", path, &bob, "{\"content\":\"x\",\"masquerade\":{\"name\":\"m\"}}",
	            "Masquerade");
	expect_perm("POST", path, &bob, "{\"content\":\"hey @everyone\"}", "MentionEveryone");
	expect_perm("POST", path, &carol, "{\"content\":\"x\"}", "SendMessage");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", NOBODY);
	expect("POST", path, &alice, "{\"content\":\"x\"}", 404, "UnknownChannel");
	/* the owner may: masquerade, embeds, @everyone, silent flag */
	v = send_msg(&alice, cid,
	             "{\"content\":\"@everyone\",\"flags\":1,\"masquerade\":{\"name\":\"M\","
	             "\"colour\":\"red\"},\"embeds\":[{\"title\":\"T\",\"colour\":\"#fff\"}]}");
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 3);
	assert_string_equal(sval(json_array_get(json_object_get(v, "embeds"), 0), "type"), "Text");
	assert_string_equal(sval(json_object_get(v, "masquerade"), "colour"), "red");
	json_decref(v);
	json_decref(m);
}

static void test_replies_and_idempotency(void **state)
{
	char path[128], body[512];
	json_t *m, *v = NULL;

	(void)state;
	m = send_msg(&alice, cid, "{\"content\":\"first\"}");
	snprintf(body, sizeof(body),
	         "{\"content\":\"re\",\"replies\":[{\"id\":\"%s\",\"mention\":true}]}",
	         sval(m, "_id"));
	v = send_msg(&bob, cid, body);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "replies"), 0)),
	                    sval(m, "_id"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "mentions"), 0)),
	                    alice.id);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	snprintf(body, sizeof(body),
	         "{\"content\":\"re\",\"replies\":[{\"id\":\"%s\",\"mention\":false}]}", NOBODY);
	expect("POST", path, &bob, body, 404, "NotFound");
	snprintf(body, sizeof(body),
	         "{\"content\":\"re\",\"replies\":[{\"id\":\"%s\",\"mention\":false,"
	         "\"fail_if_not_exists\":false}]}",
	         NOBODY);
	v = send_msg(&bob, cid, body);
	assert_null(json_object_get(v, "replies"));
	json_decref(v);
	/* Idempotency-Key, then the deprecated nonce */
	assert_int_equal(
	    call_h("POST", path, bob.token, "Idempotency-Key: key-1", "{\"content\":\"a\"}", &v),
	    200);
	assert_string_equal(sval(v, "nonce"), "key-1");
	json_decref(v);
	assert_int_equal(
	    call_h("POST", path, bob.token, "Idempotency-Key: key-1", "{\"content\":\"a\"}", &v),
	    409);
	assert_string_equal(sval(v, "type"), "DuplicateNonce");
	json_decref(v);
	v = send_msg(&bob, cid, "{\"content\":\"a\",\"nonce\":\"n-1\"}");
	json_decref(v);
	expect("POST", path, &bob, "{\"content\":\"a\",\"nonce\":\"n-1\"}", 409, "DuplicateNonce");
	json_decref(m);
}

static void test_history(void **state)
{
	char path[256], ids[5][32];
	json_t *v = NULL;

	(void)state;
	for (int i = 0; i < 5; i++) {
		char body[64];
		json_t *m;

		snprintf(body, sizeof(body), "{\"content\":\"h%d\"}", i);
		m = send_msg(&alice, cid, body);
		snprintf(ids[i], sizeof(ids[i]), "%s", sval(m, "_id"));
		json_decref(m);
	}
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=3", cid);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(sval(json_array_get(v, 0), "_id"), ids[4]);
	assert_string_equal(sval(json_array_get(v, 2), "_id"), ids[2]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Oldest&after=%s&limit=2", cid,
	         ids[1]);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(sval(json_array_get(v, 0), "_id"), ids[2]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?before=%s&limit=1", cid, ids[1]);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_not_equal(sval(json_array_get(v, 0), "_id"), ids[1]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?nearby=%s&limit=2", cid, ids[2]);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 4);
	assert_string_equal(sval(json_array_get(v, 0), "_id"), ids[2]);
	assert_string_equal(sval(json_array_get(v, 1), "_id"), ids[3]);
	assert_string_equal(sval(json_array_get(v, 2), "_id"), ids[1]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?include_users=true&limit=5", cid);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "messages")), 5);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 1);
	assert_string_equal(sval(json_array_get(json_object_get(v, "users"), 0), "_id"), alice.id);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 1);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Relevance", cid);
	expect("GET", path, &bob, NULL, 400, "InvalidOperation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Sideways", cid);
	expect("GET", path, &bob, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=0", cid);
	expect("GET", path, &bob, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=101", cid);
	expect("GET", path, &bob, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?before=short", cid);
	expect("GET", path, &bob, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	expect_perm("GET", path, &carol, NULL, "ReadMessageHistory");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", NOBODY);
	expect("GET", path, &bob, NULL, 404, "UnknownChannel");
}

static void test_edit_delete(void **state)
{
	char path[256], body[512];
	json_t *m, *m2, *v = NULL;

	(void)state;
	m = send_msg(&alice, cid, "{\"content\":\"before\",\"embeds\":[{\"title\":\"e\"}]}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, sval(m, "_id"));
	expect("PATCH", path, &bob, "{\"content\":\"x\"}", 403, "CannotEditMessage");
	expect("PATCH", path, &alice, "{\"content\":\"\"}", 400, "FailedValidation");
	expect("PATCH", path, &alice, "{\"embeds\":{}}", 400, "FailedValidation");
	assert_int_equal(call("PATCH", path, alice.token, "{\"content\":\"after\"}", &v), 200);
	assert_string_equal(sval(v, "content"), "after");
	assert_non_null(sval(v, "edited"));
	assert_int_equal(json_array_size(json_object_get(v, "embeds")), 1);
	json_decref(v);
	expect_perm("DELETE", path, &bob, "{}", "ManageMessages");
	expect("DELETE", path, &alice, "{}", 204, NULL);
	expect("GET", path, &alice, NULL, 404, "NotFound");
	expect("DELETE", path, &alice, "{}", 404, "NotFound");
	expect("PATCH", path, &alice, "{\"content\":\"x\"}", 404, "NotFound");
	/* an author deletes their own without ManageMessages */
	m2 = send_msg(&bob, cid, "{\"content\":\"mine\"}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, sval(m2, "_id"));
	expect("DELETE", path, &bob, "{}", 204, NULL);
	json_decref(m2);
	json_decref(m);
	/* bulk */
	m = send_msg(&bob, cid, "{\"content\":\"b1\"}");
	m2 = send_msg(&bob, cid, "{\"content\":\"b2\"}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/bulk", cid);
	snprintf(body, sizeof(body), "{\"ids\":[\"%s\",\"%s\"]}", sval(m, "_id"), sval(m2, "_id"));
	expect_perm("DELETE", path, &bob, body, "ManageMessages");
	expect("DELETE", path, &alice, "{\"ids\":[]}", 400, "FailedValidation");
	expect("DELETE", path, &alice, "{}", 400, "FailedValidation");
	expect("DELETE", path, &alice, "{\"ids\":[\"bad\"]}", 400, "InvalidOperation");
	expect("DELETE", path, &alice, "{\"ids\":[\"" NOBODY "\"]}", 400, "InvalidOperation");
	expect("DELETE", path, &alice, body, 204, NULL);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, sval(m2, "_id"));
	expect("GET", path, &alice, NULL, 404, "NotFound");
	json_decref(m2);
	json_decref(m);
}

/* The newest message of `channel` as `u` (new reference). */
static json_t *newest(const struct user *u, const char *channel)
{
	char path[128];
	json_t *v = NULL, *m;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=1", channel);
	assert_int_equal(call("GET", path, u->token, NULL, &v), 200);
	m = json_incref(json_array_get(v, 0));
	json_decref(v);
	assert_non_null(m);
	return m;
}

static void test_pins(void **state)
{
	char path[256];
	json_t *m, *v = NULL, *sys;

	(void)state;
	m = send_msg(&bob, cid, "{\"content\":\"pin me\"}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, sval(m, "_id"));
	expect_perm("POST", path, &bob, "{}", "ManageMessages");
	expect("POST", path, &alice, "{}", 204, NULL);
	expect("POST", path, &alice, "{}", 400, "AlreadyPinned");
	sys = newest(&bob, cid);
	assert_string_equal(sval(sys, "author"), "00000000000000000000000000");
	assert_string_equal(sval(json_object_get(sys, "system"), "type"), "message_pinned");
	assert_string_equal(sval(json_object_get(sys, "system"), "id"), sval(m, "_id"));
	assert_string_equal(sval(json_object_get(sys, "system"), "by"), alice.id);
	json_decref(sys);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, sval(m, "_id"));
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "pinned")));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, sval(m, "_id"));
	expect_perm("DELETE", path, &bob, "{}", "ManageMessages");
	expect("DELETE", path, &alice, "{}", 204, NULL);
	expect("DELETE", path, &alice, "{}", 400, "NotPinned");
	sys = newest(&bob, cid);
	assert_string_equal(sval(json_object_get(sys, "system"), "type"), "message_unpinned");
	json_decref(sys);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, NOBODY);
	expect("POST", path, &alice, "{}", 404, "NotFound");
	json_decref(m);
}

static void test_channel_fetch_edit(void **state)
{
	char path[128];
	json_t *v = NULL;

	(void)state;
	snprintf(path, sizeof(path), "/api/channels/%s", cid);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_string_equal(sval(v, "channel_type"), "TextChannel");
	json_decref(v);
	expect_perm("GET", path, &carol, NULL, "ViewChannel");
	expect("GET", "/api/channels/" NOBODY, &alice, NULL, 404, "UnknownChannel");
	expect_perm("PATCH", path, &bob, "{\"name\":\"x\"}", "ManageChannel");
	expect("PATCH", path, &alice, "{\"name\":\"\"}", 400, "FailedValidation");
	expect("PATCH", path, &alice, "{\"nsfw\":\"yes\"}", 400, "FailedValidation");
	expect("PATCH", path, &alice, "{\"remove\":[\"Bogus\"]}", 400, "FailedValidation");
	expect("PATCH", path, &alice, "{\"owner\":\"" NOBODY "\"}", 400, "InvalidOperation");
	expect("PATCH", path, &alice, "{\"icon\":\"nope\"}", 400, "UnknownAttachment");
	expect("PATCH", "/api/channels/" NOBODY, &alice, "{\"name\":\"x\"}", 404, "UnknownChannel");
	assert_int_equal(call("PATCH", path, alice.token,
	                      "{\"name\":\"renamed\",\"description\":\"d\",\"nsfw\":true}", &v),
	                 200);
	assert_string_equal(sval(v, "name"), "renamed");
	assert_string_equal(sval(v, "description"), "d");
	assert_true(json_is_true(json_object_get(v, "nsfw")));
	json_decref(v);
	assert_int_equal(
	    call("PATCH", path, alice.token, "{\"remove\":[\"Description\"],\"nsfw\":false}", &v),
	    200);
	assert_null(json_object_get(v, "description"));
	assert_null(json_object_get(v, "nsfw"));
	json_decref(v);
}

static void befriend(const struct user *a, const struct user *b)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/users/%s/friend", b->id);
	assert_int_equal(call("PUT", path, a->token, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/users/%s/friend", a->id);
	assert_int_equal(call("PUT", path, b->token, "{}", NULL), 200);
}

static void test_groups_and_dms(void **state)
{
	char path[128], body[256], gid[32], dm[32];
	json_t *v = NULL, *m;

	(void)state;
	befriend(&alice, &bob);
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\"]}", bob.id);
	assert_int_equal(call("POST", "/api/channels/create", alice.token, body, &v), 200);
	snprintf(gid, sizeof(gid), "%s", sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s", gid);
	assert_int_equal(call("PATCH", path, alice.token, "{\"name\":\"g2\"}", &v), 200);
	json_decref(v);
	m = newest(&bob, gid);
	assert_string_equal(sval(json_object_get(m, "system"), "type"), "channel_renamed");
	assert_string_equal(sval(json_object_get(m, "system"), "name"), "g2");
	json_decref(m);
	/* a group member may post; mentions of non-recipients are dropped */
	snprintf(body, sizeof(body), "{\"content\":\"<@%s> <@%s>\"}", alice.id, carol.id);
	m = send_msg(&bob, gid, body);
	assert_int_equal(json_array_size(json_object_get(m, "mentions")), 1);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", gid);
	expect_perm("POST", path, &carol, "{\"content\":\"x\"}", "SendMessage");
	/* ownership moves with a system message */
	snprintf(path, sizeof(path), "/api/channels/%s", gid);
	expect("PATCH", path, &bob, "{\"owner\":\"x\"}", 403, "NotOwner");
	snprintf(body, sizeof(body), "{\"owner\":\"%s\"}", bob.id);
	assert_int_equal(call("PATCH", path, alice.token, body, &v), 200);
	assert_string_equal(sval(v, "owner"), bob.id);
	json_decref(v);
	m = newest(&bob, gid);
	assert_string_equal(sval(json_object_get(m, "system"), "type"),
	                    "channel_ownership_changed");
	json_decref(m);
	/* a DM becomes active with its first message */
	snprintf(path, sizeof(path), "/api/users/%s/dm", bob.id);
	assert_int_equal(call("GET", path, alice.token, NULL, &v), 200);
	snprintf(dm, sizeof(dm), "%s", sval(v, "_id"));
	json_decref(v);
	m = send_msg(&alice, dm, "{\"content\":\"psst\"}");
	snprintf(path, sizeof(path), "/api/channels/%s", dm);
	assert_int_equal(call("GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "active")));
	assert_string_equal(sval(v, "last_message_id"), sval(m, "_id"));
	json_decref(v);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", dm);
	expect_perm("GET", path, &carol, NULL, "ReadMessageHistory");
}

static void test_server_system_messages(void **state)
{
	char path[128], body[256];
	json_t *m;

	(void)state;
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	snprintf(body, sizeof(body),
	         "{\"system_messages\":{\"user_joined\":\"%s\",\"user_left\":\"%s\","
	         "\"user_kicked\":\"%s\",\"user_banned\":\"%s\"}}",
	         cid, cid, cid, cid);
	assert_int_equal(call("PATCH", path, alice.token, body, NULL), 200);
	join(&carol, cid);
	m = newest(&alice, cid);
	assert_string_equal(sval(json_object_get(m, "system"), "type"), "user_joined");
	assert_string_equal(sval(json_object_get(m, "system"), "id"), carol.id);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, carol.id);
	assert_int_equal(call("DELETE", path, alice.token, "{}", NULL), 204);
	m = newest(&alice, cid);
	assert_string_equal(sval(json_object_get(m, "system"), "type"), "user_kicked");
	json_decref(m);
	join(&carol, cid);
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	assert_int_equal(call("DELETE", path, carol.token, "{}", NULL), 204);
	m = newest(&alice, cid);
	assert_string_equal(sval(json_object_get(m, "system"), "type"), "user_left");
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_send),           cmocka_unit_test(test_replies_and_idempotency),
	    cmocka_unit_test(test_history),        cmocka_unit_test(test_edit_delete),
	    cmocka_unit_test(test_pins),           cmocka_unit_test(test_channel_fetch_edit),
	    cmocka_unit_test(test_groups_and_dms), cmocka_unit_test(test_server_system_messages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
