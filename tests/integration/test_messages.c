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

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000
/* a well-formed id nothing has (and 2016-old: too old to bulk delete) */
#define NOBODY "01ARZ3NDEKTSV4RRFFQ69G5FAV"

static struct td *d;
static struct tc_user alice, bob, carol;
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

static void join(const struct tc_user *u, const char *channel)
{
	char path[96];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", channel);
	assert_int_equal(tc_call(d, "POST", path, alice.token, "{}", &v), 200);
	snprintf(path, sizeof(path), "/api/invites/%s", tc_sval(v, "_id"));
	json_decref(v);
	assert_int_equal(tc_call(d, "POST", path, u->token, "{}", NULL), 200);
}

/* Send `body` to `channel` as `u`; the message (new reference) on 200. */
static json_t *send_msg(const struct tc_user *u, const char *channel, const char *body)
{
	char path[96];
	json_t *v = NULL;
	long s;

	snprintf(path, sizeof(path), "/api/channels/%s/messages", channel);
	s = tc_call(d, "POST", path, u->token, body, &v);
	if (s != 200)
		fail_msg("send %s: %ld %s", body, s, v ? json_dumps(v, 0) : "");
	return v;
}

static int setup(void **state)
{
	static const char *const extra[] = {"--dev", NULL};
	json_t *v = NULL;

	(void)state;
	d = tc_start(extra, START_MS);
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", alice.token, "{\"name\":\"Msgs\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, sizeof(cid), "%s",
	         tc_sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
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
	assert_string_equal(tc_sval(m, "channel"), cid);
	assert_string_equal(tc_sval(m, "author"), alice.id);
	assert_non_null(tc_sval(m, "nonce"));
	assert_string_equal(tc_sval(json_object_get(m, "user"), "_id"), alice.id);
	assert_non_null(json_object_get(m, "member"));
	/* carol is no member: only bob is mentioned; an unknown role is dropped */
	assert_int_equal(json_array_size(json_object_get(m, "mentions")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "mentions"), 0)),
	                    bob.id);
	assert_null(json_object_get(m, "role_mentions"));
	/* fetch it; others and unknown ids */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, tc_sval(m, "_id"));
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "_id"), tc_sval(m, "_id"));
	assert_null(json_object_get(v, "user"));
	json_decref(v);
	tc_expect_perm(d, "GET", path, carol.token, NULL, "ViewChannel");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, NOBODY);
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", NOBODY, tc_sval(m, "_id"));
	tc_expect(d, "GET", path, alice.token, NULL, 404, "UnknownChannel");
	/* the channel knows its last message */
	snprintf(path, sizeof(path), "/api/channels/%s", cid);
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "last_message_id"), tc_sval(m, "_id"));
	json_decref(v);
	/* bad bodies and limits */
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	tc_expect(d, "POST", path, alice.token, "{}", 422, "EmptyMessage");
	tc_expect(d, "POST", path, alice.token, "{\"content\":\"\"}", 422, "EmptyMessage");
	tc_expect(d, "POST", path, alice.token, "{\"content\":5}", 400, "FailedValidation");
	tc_expect(d, "POST", path, alice.token, "[1]", 400, "FailedValidation");
	memset(big, 'x', 2001);
	big[2001] = '\0';
	snprintf(body, sizeof(body), "{\"content\":\"%s\"}", big);
	tc_expect(d, "POST", path, alice.token, body, 400, "FailedValidation");
	big[1500] = '\0';
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"embeds\":[{\"description\":\"%s\"}]}",
	         big, big);
	tc_expect(d, "POST", path, alice.token, body, 422, "PayloadTooLarge");
	snprintf(body, sizeof(body), "{\"content\":\"x\",\"replies\":[%s]}",
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false},"
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false},"
	         "{\"id\":\"a\",\"mention\":false},{\"id\":\"a\",\"mention\":false}");
	tc_expect(d, "POST", path, alice.token, body, 400, "TooManyReplies");
	tc_expect(d, "POST", path, alice.token,
	          "{\"embeds\":[{\"title\":\"a\"},{\"title\":\"a\"},{\"title\":\"a\"},"
	          "{\"title\":\"a\"},{\"title\":\"a\"},{\"title\":\"a\"}]}",
	          400, "TooManyEmbeds");
	tc_expect(d, "POST", path, alice.token,
	          "{\"attachments\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}", 400,
	          "TooManyAttachments");
	tc_expect(d, "POST", path, alice.token, "{\"attachments\":[\"nope\"]}", 400,
	          "UnknownAttachment");
	tc_expect(d, "POST", path, alice.token, "{\"content\":\"x\",\"flags\":8}", 400,
	          "InvalidProperty");
	tc_expect(d, "POST", path, alice.token, "{\"content\":\"x\",\"flags\":2}", 400, "IsNotBot");
	tc_expect(d, "POST", path, alice.token,
	          "{\"content\":\"x\",\"masquerade\":{\"name\":\"\"}}", 400, "FailedValidation");
	tc_expect(d, "POST", path, alice.token,
	          "{\"content\":\"x\",\"interactions\":{\"restrict_reactions\":true}}", 400,
	          "InvalidProperty");
	/* permissions: bob lacks Masquerade and MentionEveryone; carol everything */
	tc_expect_perm(d, "POST", path, bob.token,
	               "{\"content\":\"x\",\"masquerade\":{\"name\":\"m\"}}", "Masquerade");
	tc_expect_perm(d, "POST", path, bob.token, "{\"content\":\"hey @everyone\"}",
	               "MentionEveryone");
	tc_expect_perm(d, "POST", path, carol.token, "{\"content\":\"x\"}", "SendMessage");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", NOBODY);
	tc_expect(d, "POST", path, alice.token, "{\"content\":\"x\"}", 404, "UnknownChannel");
	/* the owner may: masquerade, embeds, @everyone, silent flag */
	v = send_msg(&alice, cid,
	             "{\"content\":\"@everyone\",\"flags\":1,\"masquerade\":{\"name\":\"M\","
	             "\"colour\":\"red\"},\"embeds\":[{\"title\":\"T\",\"colour\":\"#fff\"}]}");
	assert_int_equal(json_integer_value(json_object_get(v, "flags")), 3);
	assert_string_equal(tc_sval(json_array_get(json_object_get(v, "embeds"), 0), "type"),
	                    "Text");
	assert_string_equal(tc_sval(json_object_get(v, "masquerade"), "colour"), "red");
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
	         tc_sval(m, "_id"));
	v = send_msg(&bob, cid, body);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "replies"), 0)),
	                    tc_sval(m, "_id"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "mentions"), 0)),
	                    alice.id);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	snprintf(body, sizeof(body),
	         "{\"content\":\"re\",\"replies\":[{\"id\":\"%s\",\"mention\":false}]}", NOBODY);
	tc_expect(d, "POST", path, bob.token, body, 404, "NotFound");
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
	assert_string_equal(tc_sval(v, "nonce"), "key-1");
	json_decref(v);
	assert_int_equal(
	    call_h("POST", path, bob.token, "Idempotency-Key: key-1", "{\"content\":\"a\"}", &v),
	    409);
	assert_string_equal(tc_sval(v, "type"), "DuplicateNonce");
	json_decref(v);
	v = send_msg(&bob, cid, "{\"content\":\"a\",\"nonce\":\"n-1\"}");
	json_decref(v);
	tc_expect(d, "POST", path, bob.token, "{\"content\":\"a\",\"nonce\":\"n-1\"}", 409,
	          "DuplicateNonce");
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
		snprintf(ids[i], sizeof(ids[i]), "%s", tc_sval(m, "_id"));
		json_decref(m);
	}
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=3", cid);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(tc_sval(json_array_get(v, 0), "_id"), ids[4]);
	assert_string_equal(tc_sval(json_array_get(v, 2), "_id"), ids[2]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Oldest&after=%s&limit=2", cid,
	         ids[1]);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(tc_sval(json_array_get(v, 0), "_id"), ids[2]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?before=%s&limit=1", cid, ids[1]);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_not_equal(tc_sval(json_array_get(v, 0), "_id"), ids[1]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?nearby=%s&limit=2", cid, ids[2]);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 4);
	assert_string_equal(tc_sval(json_array_get(v, 0), "_id"), ids[2]);
	assert_string_equal(tc_sval(json_array_get(v, 1), "_id"), ids[3]);
	assert_string_equal(tc_sval(json_array_get(v, 2), "_id"), ids[1]);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?include_users=true&limit=5", cid);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_int_equal(json_array_size(json_object_get(v, "messages")), 5);
	assert_int_equal(json_array_size(json_object_get(v, "users")), 1);
	assert_string_equal(tc_sval(json_array_get(json_object_get(v, "users"), 0), "_id"),
	                    alice.id);
	assert_int_equal(json_array_size(json_object_get(v, "members")), 1);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Relevance", cid);
	tc_expect(d, "GET", path, bob.token, NULL, 400, "InvalidOperation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?sort=Sideways", cid);
	tc_expect(d, "GET", path, bob.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=0", cid);
	tc_expect(d, "GET", path, bob.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=101", cid);
	tc_expect(d, "GET", path, bob.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages?before=short", cid);
	tc_expect(d, "GET", path, bob.token, NULL, 400, "FailedValidation");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	tc_expect_perm(d, "GET", path, carol.token, NULL, "ReadMessageHistory");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", NOBODY);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "UnknownChannel");
}

static void test_edit_delete(void **state)
{
	char path[256], body[512];
	json_t *m, *m2, *v = NULL;

	(void)state;
	m = send_msg(&alice, cid, "{\"content\":\"before\",\"embeds\":[{\"title\":\"e\"}]}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, tc_sval(m, "_id"));
	tc_expect(d, "PATCH", path, bob.token, "{\"content\":\"x\"}", 403, "CannotEditMessage");
	tc_expect(d, "PATCH", path, alice.token, "{\"content\":\"\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"embeds\":{}}", 400, "FailedValidation");
	assert_int_equal(tc_call(d, "PATCH", path, alice.token, "{\"content\":\"after\"}", &v),
	                 200);
	assert_string_equal(tc_sval(v, "content"), "after");
	assert_non_null(tc_sval(v, "edited"));
	assert_int_equal(json_array_size(json_object_get(v, "embeds")), 1);
	json_decref(v);
	tc_expect_perm(d, "DELETE", path, bob.token, "{}", "ManageMessages");
	tc_expect(d, "DELETE", path, alice.token, "{}", 204, NULL);
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	tc_expect(d, "DELETE", path, alice.token, "{}", 404, "NotFound");
	tc_expect(d, "PATCH", path, alice.token, "{\"content\":\"x\"}", 404, "NotFound");
	/* an author deletes their own without ManageMessages */
	m2 = send_msg(&bob, cid, "{\"content\":\"mine\"}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, tc_sval(m2, "_id"));
	tc_expect(d, "DELETE", path, bob.token, "{}", 204, NULL);
	json_decref(m2);
	json_decref(m);
	/* bulk */
	m = send_msg(&bob, cid, "{\"content\":\"b1\"}");
	m2 = send_msg(&bob, cid, "{\"content\":\"b2\"}");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/bulk", cid);
	snprintf(body, sizeof(body), "{\"ids\":[\"%s\",\"%s\"]}", tc_sval(m, "_id"),
	         tc_sval(m2, "_id"));
	tc_expect_perm(d, "DELETE", path, bob.token, body, "ManageMessages");
	tc_expect(d, "DELETE", path, alice.token, "{\"ids\":[]}", 400, "FailedValidation");
	tc_expect(d, "DELETE", path, alice.token, "{}", 400, "FailedValidation");
	tc_expect(d, "DELETE", path, alice.token, "{\"ids\":[\"bad\"]}", 400, "InvalidOperation");
	tc_expect(d, "DELETE", path, alice.token, "{\"ids\":[\"" NOBODY "\"]}", 400,
	          "InvalidOperation");
	tc_expect(d, "DELETE", path, alice.token, body, 204, NULL);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, tc_sval(m2, "_id"));
	tc_expect(d, "GET", path, alice.token, NULL, 404, "NotFound");
	json_decref(m2);
	json_decref(m);
}

/* The newest message of `channel` as `u` (new reference). */
static json_t *newest(const struct tc_user *u, const char *channel)
{
	char path[128];
	json_t *v = NULL, *m;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=1", channel);
	assert_int_equal(tc_call(d, "GET", path, u->token, NULL, &v), 200);
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
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, tc_sval(m, "_id"));
	tc_expect_perm(d, "POST", path, bob.token, "{}", "ManageMessages");
	tc_expect(d, "POST", path, alice.token, "{}", 204, NULL);
	tc_expect(d, "POST", path, alice.token, "{}", 400, "AlreadyPinned");
	sys = newest(&bob, cid);
	assert_string_equal(tc_sval(sys, "author"), "00000000000000000000000000");
	assert_string_equal(tc_sval(json_object_get(sys, "system"), "type"), "message_pinned");
	assert_string_equal(tc_sval(json_object_get(sys, "system"), "id"), tc_sval(m, "_id"));
	assert_string_equal(tc_sval(json_object_get(sys, "system"), "by"), alice.id);
	json_decref(sys);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, tc_sval(m, "_id"));
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "pinned")));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, tc_sval(m, "_id"));
	tc_expect_perm(d, "DELETE", path, bob.token, "{}", "ManageMessages");
	tc_expect(d, "DELETE", path, alice.token, "{}", 204, NULL);
	tc_expect(d, "DELETE", path, alice.token, "{}", 400, "NotPinned");
	sys = newest(&bob, cid);
	assert_string_equal(tc_sval(json_object_get(sys, "system"), "type"), "message_unpinned");
	json_decref(sys);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/pin", cid, NOBODY);
	tc_expect(d, "POST", path, alice.token, "{}", 404, "NotFound");
	json_decref(m);
}

static void test_channel_fetch_edit(void **state)
{
	char path[128];
	json_t *v = NULL;

	(void)state;
	snprintf(path, sizeof(path), "/api/channels/%s", cid);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "channel_type"), "TextChannel");
	json_decref(v);
	tc_expect_perm(d, "GET", path, carol.token, NULL, "ViewChannel");
	tc_expect(d, "GET", "/api/channels/" NOBODY, alice.token, NULL, 404, "UnknownChannel");
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"name\":\"x\"}", "ManageChannel");
	tc_expect(d, "PATCH", path, alice.token, "{\"name\":\"\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"nsfw\":\"yes\"}", 400, "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"remove\":[\"Bogus\"]}", 400,
	          "FailedValidation");
	tc_expect(d, "PATCH", path, alice.token, "{\"owner\":\"" NOBODY "\"}", 400,
	          "InvalidOperation");
	tc_expect(d, "PATCH", path, alice.token, "{\"icon\":\"nope\"}", 400, "UnknownAttachment");
	tc_expect(d, "PATCH", "/api/channels/" NOBODY, alice.token, "{\"name\":\"x\"}", 404,
	          "UnknownChannel");
	assert_int_equal(tc_call(d, "PATCH", path, alice.token,
	                         "{\"name\":\"renamed\",\"description\":\"d\",\"nsfw\":true}", &v),
	                 200);
	assert_string_equal(tc_sval(v, "name"), "renamed");
	assert_string_equal(tc_sval(v, "description"), "d");
	assert_true(json_is_true(json_object_get(v, "nsfw")));
	json_decref(v);
	assert_int_equal(tc_call(d, "PATCH", path, alice.token,
	                         "{\"remove\":[\"Description\"],\"nsfw\":false}", &v),
	                 200);
	assert_null(json_object_get(v, "description"));
	assert_null(json_object_get(v, "nsfw"));
	json_decref(v);
}

static void befriend(const struct tc_user *a, const struct tc_user *b)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/users/%s/friend", b->id);
	assert_int_equal(tc_call(d, "PUT", path, a->token, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/users/%s/friend", a->id);
	assert_int_equal(tc_call(d, "PUT", path, b->token, "{}", NULL), 200);
}

static void test_groups_and_dms(void **state)
{
	char path[128], body[256], gid[32], dm[32];
	json_t *v = NULL, *m;

	(void)state;
	befriend(&alice, &bob);
	snprintf(body, sizeof(body), "{\"name\":\"g\",\"users\":[\"%s\"]}", bob.id);
	assert_int_equal(tc_call(d, "POST", "/api/channels/create", alice.token, body, &v), 200);
	snprintf(gid, sizeof(gid), "%s", tc_sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s", gid);
	assert_int_equal(tc_call(d, "PATCH", path, alice.token, "{\"name\":\"g2\"}", &v), 200);
	json_decref(v);
	m = newest(&bob, gid);
	assert_string_equal(tc_sval(json_object_get(m, "system"), "type"), "channel_renamed");
	assert_string_equal(tc_sval(json_object_get(m, "system"), "name"), "g2");
	json_decref(m);
	/* a group member may post; mentions of non-recipients are dropped */
	snprintf(body, sizeof(body), "{\"content\":\"<@%s> <@%s>\"}", alice.id, carol.id);
	m = send_msg(&bob, gid, body);
	assert_int_equal(json_array_size(json_object_get(m, "mentions")), 1);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", gid);
	tc_expect_perm(d, "POST", path, carol.token, "{\"content\":\"x\"}", "SendMessage");
	/* ownership moves with a system message */
	snprintf(path, sizeof(path), "/api/channels/%s", gid);
	tc_expect(d, "PATCH", path, bob.token, "{\"owner\":\"x\"}", 403, "NotOwner");
	snprintf(body, sizeof(body), "{\"owner\":\"%s\"}", bob.id);
	assert_int_equal(tc_call(d, "PATCH", path, alice.token, body, &v), 200);
	assert_string_equal(tc_sval(v, "owner"), bob.id);
	json_decref(v);
	m = newest(&bob, gid);
	assert_string_equal(tc_sval(json_object_get(m, "system"), "type"),
	                    "channel_ownership_changed");
	json_decref(m);
	/* a DM becomes active with its first message */
	snprintf(path, sizeof(path), "/api/users/%s/dm", bob.id);
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	snprintf(dm, sizeof(dm), "%s", tc_sval(v, "_id"));
	json_decref(v);
	m = send_msg(&alice, dm, "{\"content\":\"psst\"}");
	snprintf(path, sizeof(path), "/api/channels/%s", dm);
	assert_int_equal(tc_call(d, "GET", path, bob.token, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "active")));
	assert_string_equal(tc_sval(v, "last_message_id"), tc_sval(m, "_id"));
	json_decref(v);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", dm);
	tc_expect_perm(d, "GET", path, carol.token, NULL, "ReadMessageHistory");
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
	assert_int_equal(tc_call(d, "PATCH", path, alice.token, body, NULL), 200);
	join(&carol, cid);
	m = newest(&alice, cid);
	assert_string_equal(tc_sval(json_object_get(m, "system"), "type"), "user_joined");
	assert_string_equal(tc_sval(json_object_get(m, "system"), "id"), carol.id);
	json_decref(m);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, carol.id);
	assert_int_equal(tc_call(d, "DELETE", path, alice.token, "{}", NULL), 204);
	m = newest(&alice, cid);
	assert_string_equal(tc_sval(json_object_get(m, "system"), "type"), "user_kicked");
	json_decref(m);
	join(&carol, cid);
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	assert_int_equal(tc_call(d, "DELETE", path, carol.token, "{}", NULL), 204);
	m = newest(&alice, cid);
	assert_string_equal(tc_sval(json_object_get(m, "system"), "type"), "user_left");
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
