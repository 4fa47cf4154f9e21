/*
 * tests/unit/federation/test_resolve.c: actor document validation (ids on
 * the fetched host, actor types, keys as object/array, Multikeys, hostile
 * shapes), WebFinger JRD self links, and the resolver's negative cache,
 * per-host breaker and key cache.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fetch.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/keys.h"
#include "federation/resolve.h"
#include "federation/resolve_int.h"

#define PEM "-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----\\n"
#define MB "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

/* A Mastodon-shaped actor on x.example. */
#define MASTODON                                                                                   \
	"{\"@context\":[\"https://www.w3.org/ns/activitystreams\"],"                               \
	"\"id\":\"https://x.example/users/alice\",\"type\":\"Person\","                            \
	"\"preferredUsername\":\"alice\",\"name\":\"Alice \\u0007A.\","                            \
	"\"inbox\":\"https://x.example/users/alice/inbox\","                                       \
	"\"outbox\":\"https://x.example/users/alice/outbox\","                                     \
	"\"followers\":\"https://x.example/users/alice/followers\","                               \
	"\"endpoints\":{\"sharedInbox\":\"https://x.example/inbox\"},"                             \
	"\"url\":\"https://x.example/@alice\","                                                    \
	"\"icon\":{\"type\":\"Image\",\"url\":\"https://cdn.x.example/a.png\"},"                   \
	"\"alsoKnownAs\":[\"https://old.example/users/alice\",\"javascript:alert(1)\"],"           \
	"\"manuallyApprovesFollowers\":true,"                                                      \
	"\"publicKey\":{\"id\":\"https://x.example/users/alice#main-key\","                        \
	"\"owner\":\"https://x.example/users/alice\",\"publicKeyPem\":\"" PEM "\"},"               \
	"\"assertionMethod\":[{\"id\":\"https://x.example/users/alice#ed25519-key\","              \
	"\"type\":\"Multikey\",\"controller\":\"https://x.example/users/alice\","                  \
	"\"publicKeyMultibase\":\"" MB "\"}]}"

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad test JSON: %s at %d: %s", e.text, e.position, s);
	return v;
}

static void test_mastodon(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	char user[128], disp[128];
	json_t *doc = load(MASTODON), *ap = NULL;
	char *s;

	(void)state;
	assert_int_equal(
	    fres_actor_parse(doc, "https://x.example/users/alice", 42, false, &ap, user, disp, &ei),
	    SE_OK);
	assert_string_equal(user, "alice@x.example");
	assert_string_equal(disp, "Alice A."); /* the control byte is gone */
	s = jx_dump(ap);
	assert_string_equal(
	    s, "{\"id\":\"https://x.example/users/alice\",\"type\":\"Person\","
	       "\"inbox\":\"https://x.example/users/alice/inbox\","
	       "\"shared_inbox\":\"https://x.example/inbox\","
	       "\"outbox\":\"https://x.example/users/alice/outbox\","
	       "\"followers\":\"https://x.example/users/alice/followers\","
	       "\"url\":\"https://x.example/@alice\",\"icon\":\"https://cdn.x.example/a.png\","
	       "\"host\":\"x.example\",\"preferred_username\":\"alice\","
	       "\"keys\":[{\"id\":\"https://x.example/users/alice#main-key\",\"pem\":\"" PEM "\"}],"
	       "\"ed_keys\":[{\"id\":\"https://x.example/users/alice#ed25519-key\","
	       "\"multibase\":\"" MB "\"}],"
	       "\"also_known_as\":[\"https://old.example/users/alice\"],\"locked\":true,"
	       "\"fetched_at\":42}");
	mem_free(s);
	json_decref(ap);
	json_decref(doc);
}

/* Variants of the Mastodon actor: {json-patch applied to the doc, fetched url, want}. */
struct variant {
	const char *key;   /* top-level key to set (NULL: none) */
	const char *value; /* its JSON value ("null": delete the key) */
	const char *url;
	bool allow_http;
	enum err want;
	const char *user; /* expected username when SE_OK */
};

static const struct variant variants[] = {
    /* the anti-spoofing rule: the id must be on the host we fetched from */
    {NULL, NULL, "https://evil.example/users/alice", false, SE_INVAL, NULL},
    {NULL, NULL, "https://x.example:8443/users/alice", false, SE_INVAL, NULL},
    {"id", "\"https://evil.example/users/alice\"", "https://x.example/users/alice", false, SE_INVAL,
     NULL},
    /* a redirect to the same host is fine */
    {NULL, NULL, "https://x.example/@alice", false, SE_OK, "alice@x.example"},
    {"id", "\"http://x.example/users/alice\"", "http://x.example/users/alice", false, SE_INVAL,
     NULL},
    {"id", "\"http://x.example/users/alice\"", "http://x.example/users/alice", true, SE_OK,
     "alice@x.example"},
    {"id", "null", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"id", "42", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"type", "\"Note\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"type", "null", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"type", "\"Service\"", "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"type", "\"Group\"", "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"inbox", "null", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"inbox", "\"not a url\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "null", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"a@b\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"a b\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"a\\nb\"", "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
     "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"preferredUsername", "\"\\u00e9lise\"", "https://x.example/users/alice", false, SE_OK,
     "\xc3\xa9lise@x.example"},
    /* keys: a key on another host is a spoofing attempt */
    {"publicKey", "{\"id\":\"https://evil.example/k#main-key\",\"publicKeyPem\":\"" PEM "\"}",
     "https://x.example/users/alice", false, SE_INVAL, NULL},
    {"publicKey",
     "[{\"id\":\"https://x.example/users/alice#k1\",\"publicKeyPem\":\"" PEM
     "\"},{\"id\":\"https://x.example/users/alice#k2\",\"publicKeyPem\":\"" PEM "\"}]",
     "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    /* no RSA key but a Multikey still identifies the actor */
    {"publicKey", "null", "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"publicKey", "\"https://x.example/users/alice#main-key\"", "https://x.example/users/alice",
     false, SE_OK, "alice@x.example"},
    {"assertionMethod",
     "{\"id\":\"https://x.example/users/alice#ed\",\"type\":\"Key\","
     "\"publicKeyMultibase\":\"" MB "\"}",
     "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"name", "[1,2]", "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"icon", "[{\"url\":[{\"href\":\"https://cdn.x.example/b.png\"}]}]",
     "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
    {"endpoints", "\"x\"", "https://x.example/users/alice", false, SE_OK, "alice@x.example"},
};

static void test_variants(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *t = &variants[i];
		struct err_info ei = ERR_INFO_INIT;
		char user[128] = "", disp[128];
		json_t *doc = load(MASTODON), *ap = NULL;
		enum err rc;

		if (t->key && strcmp(t->value, "null") == 0)
			json_object_del(doc, t->key);
		else if (t->key)
			json_object_set_new(doc, t->key, load(t->value));
		rc = fres_actor_parse(doc, t->url, 1, t->allow_http, &ap, user, disp, &ei);
		if (rc != t->want)
			fail_msg("variant %zu (%s): got %s (%s), want %s", i, t->key ? t->key : "-",
			         err_type(rc), ei.detail, err_type(t->want));
		if (!rc)
			assert_string_equal(user, t->user);
		json_decref(ap);
		json_decref(doc);
	}
}

static void test_no_keys(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	char user[128], disp[128];
	json_t *doc = load(MASTODON), *ap = NULL;

	(void)state;
	json_object_del(doc, "publicKey");
	json_object_del(doc, "assertionMethod");
	assert_int_equal(
	    fres_actor_parse(doc, "https://x.example/users/alice", 1, false, &ap, user, disp, &ei),
	    SE_INVAL);
	assert_null(ap);
	json_decref(doc);
	/* not objects at all */
	doc = load("[1]");
	assert_int_equal(
	    fres_actor_parse(doc, "https://x.example/users/alice", 1, false, &ap, user, disp, &ei),
	    SE_INVAL);
	json_decref(doc);
	assert_int_equal(
	    fres_actor_parse(NULL, "https://x.example/", 1, false, &ap, user, disp, &ei), SE_INVAL);
	doc = load(MASTODON);
	assert_int_equal(fres_actor_parse(doc, "", 1, false, &ap, user, disp, &ei), SE_INVAL);
	json_decref(doc);
}

static void test_display_cut(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	char user[128], disp[128];
	json_t *doc = load(MASTODON), *ap = NULL;

	(void)state;
	/* 40 x "é" (2 bytes each): cut at 32 characters, never inside one */
	json_object_set_new(
	    doc, "name",
	    json_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
	assert_int_equal(
	    fres_actor_parse(doc, "https://x.example/users/alice", 1, false, &ap, user, disp, &ei),
	    SE_OK);
	assert_int_equal(strlen(disp), 64);
	json_decref(ap);
	json_decref(doc);
}

static void test_jrd(void **state)
{
	static const struct {
		const char *jrd;
		bool allow_http;
		enum err want;
		const char *href;
	} cases[] = {
	    {"{\"subject\":\"acct:a@x.example\",\"links\":[{\"rel\":\"http://webfinger.net/rel/"
	     "profile-page\",\"type\":\"text/html\",\"href\":\"https://x.example/@a\"},"
	     "{\"rel\":\"self\",\"type\":\"application/activity+json\",\"href\":\"https://"
	     "x.example/users/a\"}]}",
	     false, SE_OK, "https://x.example/users/a"},
	    {"{\"links\":[{\"rel\":\"self\",\"type\":\"application/ld+json; "
	     "profile=\\\"https://www.w3.org/ns/activitystreams\\\"\",\"href\":\"https://x.example/"
	     "u/a\"}]}",
	     false, SE_OK, "https://x.example/u/a"},
	    /* plain ld+json without the AS2 profile is not an actor link */
	    {"{\"links\":[{\"rel\":\"self\",\"type\":\"application/ld+json\",\"href\":\"https://"
	     "x.example/u/a\"}]}",
	     false, SE_NOT_FOUND, NULL},
	    {"{\"links\":[{\"rel\":\"self\",\"type\":\"application/"
	     "activity+json\",\"href\":\"http://"
	     "x.example/u/a\"}]}",
	     false, SE_NOT_FOUND, NULL},
	    {"{\"links\":[{\"rel\":\"self\",\"type\":\"application/"
	     "activity+json\",\"href\":\"http://"
	     "x.example/u/a\"}]}",
	     true, SE_OK, "http://x.example/u/a"},
	    {"{\"links\":[{\"rel\":\"self\",\"type\":\"application/activity+json\",\"href\":"
	     "\"javascript:x\"}]}",
	     false, SE_NOT_FOUND, NULL},
	    {"{\"links\":{}}", false, SE_INVAL, NULL},
	    {"{}", false, SE_INVAL, NULL},
	    {"[]", false, SE_INVAL, NULL},
	    {"{\"links\":[1,null,\"x\",{\"rel\":5}]}", false, SE_NOT_FOUND, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		char href[2048] = "";
		json_t *j = load(cases[i].jrd);
		enum err rc = fres_jrd_self(j, cases[i].allow_http, href, &ei);

		if (rc != cases[i].want)
			fail_msg("jrd case %zu: got %s want %s", i, err_type(rc),
			         err_type(cases[i].want));
		if (!rc)
			assert_string_equal(href, cases[i].href);
		json_decref(j);
	}
}

static void test_cache(void **state)
{
	struct fres_cache *c = fres_cache_new();
	const char *u = "https://x.example/users/a";
	int64_t t = 1000000;

	(void)state;
	assert_false(fres_cache_negative(c, u, t));
	fres_cache_fail(c, u, "x.example", t);
	assert_true(fres_cache_negative(c, u, t + 1));
	assert_true(fres_cache_negative(c, u, t + FRES_NEGATIVE_MS - 1));
	assert_false(fres_cache_negative(c, u, t + FRES_NEGATIVE_MS));
	assert_false(fres_cache_negative(c, "https://x.example/users/b", t + 1));
	/* breaker: opens after FRES_BREAKER_FAILS consecutive failures */
	assert_false(fres_cache_host_open(c, "x.example", t));
	for (int i = 1; i < FRES_BREAKER_FAILS; i++)
		fres_cache_fail(c, "https://x.example/other", "x.example", t);
	assert_true(fres_cache_host_open(c, "x.example", t + 1));
	assert_false(fres_cache_host_open(c, "y.example", t + 1));
	assert_false(fres_cache_host_open(c, "x.example", t + FRES_NEGATIVE_MS + 1));
	/* a success closes it and clears the URL */
	fres_cache_ok(c, u, "x.example");
	assert_false(fres_cache_host_open(c, "x.example", t + 1));
	assert_false(fres_cache_negative(c, u, t + 1));
	/* refresh throttle */
	assert_false(fres_cache_refresh_too_soon(c, u, t));
	assert_true(fres_cache_refresh_too_soon(c, u, t + 1000));
	assert_false(fres_cache_refresh_too_soon(c, u, t + FRES_REFRESH_MIN_MS + 1));
	fres_cache_free(c);
	fres_cache_free(NULL);
}

static void test_key_cache(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct fres_cache *c = fres_cache_new();
	char uid[32], actor[2048];
	void *k = NULL, *got = NULL;

	(void)state;
	assert_int_equal(fkeys_parse_multibase(
	                     STR_LIT("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"), &k, &ei),
	                 SE_OK);
	assert_false(fres_cache_key_get(c, "https://x.example/a#k", 0, &got, uid, actor));
	fres_cache_key_put(c, "https://x.example/a#k", k, "01HUSER000000000000000000A",
	                   "https://x.example/a", 0);
	fkeys_pkey_free(k); /* the cache holds its own reference */
	assert_true(fres_cache_key_get(c, "https://x.example/a#k", 10, &got, uid, actor));
	assert_string_equal(uid, "01HUSER000000000000000000A");
	assert_string_equal(actor, "https://x.example/a");
	fkeys_pkey_free(got);
	/* stale after the TTL, and gone when the actor is refetched */
	assert_false(
	    fres_cache_key_get(c, "https://x.example/a#k", FRES_KEY_TTL_MS + 1, &got, uid, actor));
	fres_cache_key_drop_actor(c, "https://x.example/a");
	assert_false(fres_cache_key_get(c, "https://x.example/a#k", 10, &got, uid, actor));
	fres_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mastodon),  cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_no_keys),   cmocka_unit_test(test_display_cut),
	    cmocka_unit_test(test_jrd),       cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_key_cache),
	};

	jx_init();
	if (fetch_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
