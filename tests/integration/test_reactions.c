/*
 * tests/integration/test_reactions.c: PUT/DELETE /channels/{id}/messages/
 * {msg}/reactions/{emoji} and DELETE .../reactions against the real daemon
 * in a server channel: reacting, the 20-emoji limit, emoji validation,
 * restrict_reactions, removing one's own / another's (ManageMessages) /
 * every user's reaction, clearing, a non-member's and a member's forbidden
 * cases, unknown ids; and POST /channels/{id}/search over the same messages.
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

static struct td *d;
static struct tc_user alice, bob, carol;

static char sid[32], cid[32];

#define NOPE "01J00000000000000000000000"
#define THUMBS "%F0%9F%91%8D"
#define THUMBS_RAW "\xf0\x9f\x91\x8d"

static int setup(void **state)
{
	char path[128], code[16];
	json_t *v = NULL;

	(void)state;
	d = tc_start(NULL, START_MS);
	if (!d)
		return -1;
	tc_user_make(d, "alice", &alice);
	tc_user_make(d, "bob", &bob);
	tc_user_make(d, "carol", &carol);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", alice.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	snprintf(cid, sizeof(cid), "%s",
	         tc_sval(json_array_get(json_object_get(v, "channels"), 0), "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	assert_int_equal(tc_call(d, "POST", path, alice.token, "{}", &v), 200);
	snprintf(code, sizeof(code), "%s", tc_sval(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/invites/%s", code);
	assert_int_equal(tc_call(d, "POST", path, bob.token, "{}", NULL), 200);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void post(const struct tc_user *u, const char *body, char id[32])
{
	char path[128];
	json_t *v = NULL;

	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	assert_int_equal(tc_call(d, "POST", path, u->token, body, &v), 200);
	snprintf(id, 32, "%s", tc_sval(v, "_id"));
	json_decref(v);
}

static json_t *reactions_of(const char *mid)
{
	char path[128];
	json_t *v = NULL, *r;

	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", cid, mid);
	assert_int_equal(tc_call(d, "GET", path, alice.token, NULL, &v), 200);
	r = json_incref(json_object_get(v, "reactions"));
	json_decref(v);
	return r;
}

static void rpath(char *out, size_t n, const char *mid, const char *emoji, const char *query)
{
	snprintf(out, n, "/api/channels/%s/messages/%s/reactions/%s%s", cid, mid, emoji, query);
}

static void test_react_and_unreact(void **state)
{
	char mid[32], path[256];
	json_t *r;

	(void)state;
	post(&alice, "{\"content\":\"hello reactions\"}", mid);
	rpath(path, sizeof(path), mid, THUMBS, "");
	tc_expect(d, "PUT", path, bob.token, NULL, 204, NULL);
	tc_expect(d, "PUT", path, alice.token, NULL, 204, NULL);
	tc_expect(d, "PUT", path, bob.token, NULL, 204, NULL); /* again: no change */
	r = reactions_of(mid);
	assert_int_equal(json_object_size(r), 1);
	assert_int_equal(json_array_size(json_object_get(r, THUMBS_RAW)), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, THUMBS_RAW), 0)),
	                    bob.id);
	json_decref(r);
	/* not an emoji; a custom emoji id that does not exist */
	rpath(path, sizeof(path), mid, "abc", "");
	tc_expect(d, "PUT", path, bob.token, NULL, 400, "InvalidOperation");
	rpath(path, sizeof(path), mid, "%F0%9F", "");
	tc_expect(d, "PUT", path, bob.token, NULL, 400, "InvalidOperation");
	rpath(path, sizeof(path), mid, NOPE, "");
	tc_expect(d, "PUT", path, bob.token, NULL, 404, "NotFound");
	/* carol is not a member; unknown message and channel */
	rpath(path, sizeof(path), mid, THUMBS, "");
	tc_expect(d, "PUT", path, carol.token, NULL, 403, "MissingPermission");
	tc_expect(d, "DELETE", path, carol.token, NULL, 403, "MissingPermission");
	rpath(path, sizeof(path), NOPE, THUMBS, "");
	tc_expect(d, "PUT", path, bob.token, NULL, 404, "UnknownMessage");
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions/%s", NOPE, mid,
	         THUMBS);
	tc_expect(d, "PUT", path, bob.token, NULL, 404, "UnknownChannel");
	tc_expect(d, "PUT", path, NULL, NULL, 401, NULL);
	/* bob removes his own; twice is NotFound */
	rpath(path, sizeof(path), mid, THUMBS, "");
	tc_expect(d, "DELETE", path, bob.token, NULL, 204, NULL);
	tc_expect(d, "DELETE", path, bob.token, NULL, 404, "NotFound");
	/* removing another's needs ManageMessages */
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "?user_id=%s", alice.id);
	tc_expect(d, "DELETE", path, bob.token, NULL, 403, "MissingPermission");
	rpath(path, sizeof(path), mid, THUMBS, "?remove_all=true");
	tc_expect(d, "DELETE", path, bob.token, NULL, 403, "MissingPermission");
	/* the owner may */
	tc_expect(d, "PUT", path, bob.token, NULL, 204, NULL);
	rpath(path, sizeof(path), mid, THUMBS, "");
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "?user_id=%s", bob.id);
	tc_expect(d, "DELETE", path, alice.token, NULL, 204, NULL);
	r = reactions_of(mid);
	assert_int_equal(json_array_size(json_object_get(r, THUMBS_RAW)), 1);
	json_decref(r);
	rpath(path, sizeof(path), mid, THUMBS, "?remove_all=true");
	tc_expect(d, "DELETE", path, alice.token, NULL, 204, NULL);
	r = reactions_of(mid);
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
}

static void test_limit_and_clear(void **state)
{
	char mid[32], path[256], emoji[32];
	json_t *r;

	(void)state;
	post(&alice, "{\"content\":\"many\"}", mid);
	/* U+1F600.. : 20 distinct emojis, then the 21st is refused */
	for (int i = 0; i < 21; i++) {
		snprintf(emoji, sizeof(emoji), "%%F0%%9F%%98%%%02X", 0x80 + i);
		rpath(path, sizeof(path), mid, emoji, "");
		tc_expect(d, "PUT", path, bob.token, NULL, i < 20 ? 204 : 400,
		          i < 20 ? NULL : "InvalidOperation");
	}
	/* an existing one can still be joined */
	rpath(path, sizeof(path), mid, "%F0%9F%98%80", "");
	tc_expect(d, "PUT", path, alice.token, NULL, 204, NULL);
	r = reactions_of(mid);
	assert_int_equal(json_object_size(r), 20);
	json_decref(r);
	/* clearing needs ManageMessages */
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions", cid, mid);
	tc_expect(d, "DELETE", path, bob.token, NULL, 403, "MissingPermission");
	tc_expect(d, "DELETE", path, alice.token, NULL, 204, NULL);
	r = reactions_of(mid);
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
}

static void test_restricted(void **state)
{
	char mid[32], path[256];

	(void)state;
	post(&alice,
	     "{\"content\":\"vote\",\"interactions\":{\"reactions\":[\"" THUMBS_RAW
	     "\"],\"restrict_reactions\":true}}",
	     mid);
	rpath(path, sizeof(path), mid, "%F0%9F%98%80", "");
	tc_expect(d, "PUT", path, bob.token, NULL, 400, "InvalidOperation");
	rpath(path, sizeof(path), mid, THUMBS, "");
	tc_expect(d, "PUT", path, bob.token, NULL, 204, NULL);
}

static size_t search(const struct tc_user *u, const char *body, long status, const char *type)
{
	char path[128];
	json_t *v = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/api/channels/%s/search", cid);
	tc_expect(d, "POST", path, u->token, body, status, type);
	if (status != 200)
		return 0;
	assert_int_equal(tc_call(d, "POST", path, u->token, body, &v), 200);
	n = json_is_array(v) ? json_array_size(v) : json_array_size(json_object_get(v, "messages"));
	json_decref(v);
	return n;
}

static void test_search(void **state)
{
	char a[32], b[32], c[32];

	(void)state;
	post(&alice, "{\"content\":\"Searching for the Quick brown fox\"}", a);
	post(&bob, "{\"content\":\"a quick reply, no animals\"}", b);
	post(&alice, "{\"content\":\"the FOX is quick again\"}", c);
	/*
	 * Hit counts of text queries are covered by tests/unit/messages/
	 * test_search.c; here: the route answers, and listings without a query.
	 */
	(void)a;
	(void)b;
	(void)c;
	search(&bob, "{\"query\":\"quick fox\"}", 200, NULL);
	search(&bob, "{\"query\":\"fox\",\"include_users\":true,\"sort\":\"Relevance\"}", 200,
	       NULL);
	assert_int_equal(search(&bob, "{\"limit\":2}", 200, NULL), 2);
	assert_int_equal(search(&bob, "{\"sort\":\"Oldest\",\"limit\":3}", 200, NULL), 3);
	assert_int_equal(search(&bob, "{\"limit\":2,\"include_users\":true}", 200, NULL), 2);
	assert_int_equal(search(&bob, "{\"pinned\":true}", 200, NULL), 0);
	/* bad bodies */
	search(&bob, "{\"query\":\"\"}", 400, "FailedValidation");
	search(&bob,
	       "{\"query\":\"12345678901234567890123456789012345678901234567890123456789012345\"}",
	       400, "FailedValidation");
	search(&bob, "{\"query\":\"x\",\"limit\":0}", 400, "FailedValidation");
	search(&bob, "{\"query\":\"x\",\"limit\":101}", 400, "FailedValidation");
	search(&bob, "{\"query\":\"x\",\"sort\":\"Random\"}", 400, "FailedValidation");
	search(&bob, "{\"query\":\"x\",\"before\":\"short\"}", 400, "FailedValidation");
	search(&bob, "{\"query\":\"x\",\"pinned\":true}", 400, "InvalidOperation");
	/* carol is not a member */
	search(&carol, "{\"query\":\"fox\"}", 403, "MissingPermission");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_react_and_unreact),
	    cmocka_unit_test(test_limit_and_clear),
	    cmocka_unit_test(test_restricted),
	    cmocka_unit_test(test_search),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
