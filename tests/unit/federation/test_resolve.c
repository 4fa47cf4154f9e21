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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "federation/inbox.h"
#include "federation/keys.h"
#include "federation/objmap.h"
#include "federation/policy.h"
#include "federation/resolve.h"
#include "federation/resolve_int.h"
#include "storage/record.h"
#include "storage/store.h"
#include "tests/support/lsrv.h"
#include "users/user.h"

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

/* Every allocation failure on the way gives SE_NOMEM (or success), never a crash or a leak. */
static void test_parse_oom(void **state)
{
	json_t *doc = load(MASTODON);
	unsigned long i;

	(void)state;
	for (i = 1; i < 10000; i++) {
		struct err_info ei = ERR_INFO_INIT;
		char user[128], disp[128];
		json_t *ap = NULL;
		enum err rc;

		mem_fail_at(i, 0);
		rc = fres_actor_parse(doc, "https://x.example/users/alice", 1, false, &ap, user,
		                      disp, &ei);
		mem_fail_at(0, 0);
		json_decref(ap);
		if (rc == SE_OK)
			break;
		if (rc != SE_NOMEM)
			fail_msg("allocation %lu: got %s (%s)", i, err_type(rc), ei.detail);
	}
	assert_true(i > 1 && i < 10000);
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
	/* fetch slots */
	for (int i = 0; i < FRES_INFLIGHT_MAX; i++)
		assert_true(fres_cache_fetch_begin(c));
	assert_false(fres_cache_fetch_begin(c));
	fres_cache_fetch_end(c);
	assert_true(fres_cache_fetch_begin(c));
	assert_false(fres_cache_fetch_begin(c));
	fres_cache_free(c);
	fres_cache_free(NULL);
	assert_true(fres_cache_fetch_begin(NULL));
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

/* ---- against a loopback "remote" server (struct fed on a real store) ---- */

struct srv {
	struct lsrv *l;
	int port;
	pthread_mutex_t mu;
	char name[64]; /* alice's display name */
	bool fail;     /* answer 500 to everything */
	char *pem;     /* alice's key */
};

static struct srv sv;

static void reply(int c, int status, const char *type, const char *body)
{
	char head[256];

	snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, type, strlen(body));
	if (write(c, head, strlen(head)) < 0 || write(c, body, strlen(body)) < 0)
		fprintf(stderr, "srv: write failed\n");
}

static char *actor_json(const char *name, const char *id_host, const char *key_suffix,
                        const char *display)
{
	char id[256], kid[300];
	json_t *d;
	char *s;

	snprintf(id, sizeof(id), "http://%s/users/%s", id_host, name);
	snprintf(kid, sizeof(kid), "%s%s", id, key_suffix);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id", id, "type", "Person",
	              "preferredUsername", name, "name", display, "inbox", id, "publicKey", "id",
	              kid, "owner", id, "publicKeyPem", sv.pem);
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return s;
}

static void srv_one(struct lsrv *l, int c, void *arg)
{
	char req[4096], path[512] = "", self[64], *body = NULL;

	(void)l;
	(void)arg;
	lsrv_read_request(c, req, sizeof(req));
	sscanf(req, "GET %511s", path);
	snprintf(self, sizeof(self), "127.0.0.1:%d", sv.port);
	pthread_mutex_lock(&sv.mu);
	if (sv.fail) {
		pthread_mutex_unlock(&sv.mu);
		reply(c, 500, "application/json", "{}");
		return;
	}
	if (strcmp(path, "/users/alice") == 0) {
		body = actor_json("alice", self, "#main-key", sv.name);
	} else if (strcmp(path, "/users/mallory") == 0) {
		body = actor_json("mallory", "evil.example", "#main-key", "M");
	} else if (strcmp(path, "/users/gts") == 0) {
		body = actor_json("gts", self, "/main-key", "G");
	} else if (strcmp(path, "/users/gts/main-key") == 0) {
		char owner[128];
		json_t *d;

		snprintf(owner, sizeof(owner), "http://%s/users/gts", self);
		d = json_pack("{s:s%, s:s, s:{s:s%, s:s, s:s}}", "id", owner, strlen(owner), "type",
		              "Person", "publicKey", "id", owner, strlen(owner), "owner", owner,
		              "publicKeyPem", sv.pem);
		json_object_set_new(d, "id", json_sprintf("%s/main-key", owner));
		json_object_del(d, "type");
		body = json_dumps(d, JSON_COMPACT);
		json_decref(d);
	} else if (strncmp(path, "/.well-known/webfinger?resource=acct:alice@", 43) == 0) {
		body = NULL;
		pthread_mutex_unlock(&sv.mu);
		{
			char jrd[512];

			snprintf(
			    jrd, sizeof(jrd),
			    "{\"subject\":\"acct:alice@%s\",\"links\":[{\"rel\":\"self\",\"type\":"
			    "\"application/activity+json\",\"href\":\"http://%s/users/alice\"}]}",
			    self, self);
			reply(c, 200, "application/jrd+json", jrd);
		}
		return;
	}
	pthread_mutex_unlock(&sv.mu);
	if (body)
		reply(c, 200, "application/activity+json", body);
	else
		reply(c, 404, "application/json", "{}");
	free(body);
	close(c);
}

static unsigned hits(void)
{
	return lsrv_hits(sv.l);
}

struct netfx {
	char dir[64];
	struct cfg cfg;
	struct store *s;
	struct fed f;
	EVP_PKEY *key;
};

static int net_setup(void **state)
{
	struct netfx *x = calloc(1, sizeof(*x));
	struct store_opts o = {.no_sync = true};
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/sol-resolve-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(store_open(x->dir, api_schema(), &o, &x->s, NULL), SE_OK);
	cfg_init(&x->cfg);
	x->f.cfg = &x->cfg;
	x->f.store = x->s;
	x->f.base = (char *)"http://127.0.0.1:1";
	x->f.host = (char *)"127.0.0.1:1";
	x->f.allow_private = true;
	x->f.user_agent = (char *)"test_resolve";
	assert_int_equal(finbox_start(&x->f, NULL), SE_OK);

	memset(&sv, 0, sizeof(sv));
	pthread_mutex_init(&sv.mu, NULL);
	snprintf(sv.name, sizeof(sv.name), "Alice");
	x->key = EVP_RSA_gen(2048);
	assert_non_null(x->key);
	assert_int_equal(PEM_write_bio_PUBKEY(b, x->key), 1);
	n = BIO_get_mem_data(b, &p);
	sv.pem = strndup(p, (size_t)n);
	BIO_free(b);
	sv.l = lsrv_start(srv_one, NULL);
	assert_non_null(sv.l);
	sv.port = lsrv_port(sv.l);
	*state = x;
	return 0;
}

static int net_teardown(void **state)
{
	struct netfx *x = *state;
	char p[128];

	lsrv_stop(sv.l);
	free(sv.pem);
	finbox_stop(&x->f);
	store_close(x->s);
	cfg_release(&x->cfg);
	EVP_PKEY_free(x->key);
	snprintf(p, sizeof(p), "%s/data.mdb", x->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", x->dir);
	unlink(p);
	rmdir(x->dir);
	free(x);
	return 0;
}

static json_t *user_rec(struct netfx *x, const char *id)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;

	assert_int_equal(store_read_begin(x->s, &t), SE_OK);
	assert_int_equal(user_load(t, str_from(id), &rec), SE_OK);
	store_read_end(t);
	return rec;
}

static enum err block_all(struct store_wtxn *w, void *arg)
{
	(void)arg;
	return policy_block_add(w, STR_LIT("127.0.0.1"), STR_LIT("test"));
}

struct age_op {
	const char *id;
};

/* Makes the user's "ap" look fetched long ago. */
static enum err age_fn(struct store_wtxn *w, void *arg)
{
	struct age_op *op = arg;
	json_t *rec = NULL;
	enum err rc = user_load(store_wtxn_read(w), str_from(op->id), &rec);

	if (rc)
		return rc;
	json_object_set_new(json_object_get(rec, "ap"), "fetched_at", json_integer(1));
	rc = user_save(w, rec);
	json_decref(rec);
	return rc;
}

static void test_net(void **state)
{
	struct netfx *x = *state;
	struct err_info ei = ERR_INFO_INIT;
	char url[128], id[32], id2[32], actor[2048], handle[128], want[128];
	unsigned h;
	json_t *rec;
	void *k = NULL;

	/* first sight: fetched, validated, a user record with its "ap" */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice", sv.port);
	assert_int_equal(fres_actor(&x->f, url, false, id, &ei), SE_OK);
	assert_int_equal(hits(), 1);
	rec = user_rec(x, id);
	snprintf(want, sizeof(want), "alice@127.0.0.1:%d", sv.port);
	assert_string_equal(json_string_value(json_object_get(rec, "username")), want);
	assert_string_equal(json_string_value(json_object_get(rec, "display_name")), "Alice");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "ap"), "id")),
	                    url);
	assert_int_equal(strlen(json_string_value(json_object_get(rec, "discriminator"))), 4);
	json_decref(rec);
	/* cached: no second fetch */
	assert_int_equal(fres_actor(&x->f, url, false, id2, &ei), SE_OK);
	assert_string_equal(id, id2);
	assert_int_equal(hits(), 1);
	/* refresh: refetched, same user, new display name */
	pthread_mutex_lock(&sv.mu);
	snprintf(sv.name, sizeof(sv.name), "Alice Two");
	pthread_mutex_unlock(&sv.mu);
	assert_int_equal(fres_actor(&x->f, url, true, id2, &ei), SE_OK);
	assert_string_equal(id, id2);
	assert_int_equal(hits(), 2);
	rec = user_rec(x, id);
	assert_string_equal(json_string_value(json_object_get(rec, "display_name")), "Alice Two");
	json_decref(rec);

	/* a stale key is refetched; while the host fails, the stale key still serves */
	{
		struct age_op op = {id};

		assert_int_equal(store_write(x->s, age_fn, &op, NULL), SE_OK);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice", sv.port);
		fres_cache_key_drop_actor(finbox_cache(&x->f), url);
		pthread_mutex_lock(&sv.mu);
		sv.fail = true;
		pthread_mutex_unlock(&sv.mu);
		h = hits();
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice#main-key", sv.port);
		assert_int_equal(fres_key(&x->f, url, false, &k, id2, actor, &ei), SE_OK);
		assert_int_equal(hits(), h + 1);
		assert_string_equal(id2, id);
		fkeys_pkey_free(k);
		k = NULL;
		pthread_mutex_lock(&sv.mu);
		sv.fail = false;
		pthread_mutex_unlock(&sv.mu);
	}

	/* keys: by keyId, and a keyId the actor does not have */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice#main-key", sv.port);
	assert_int_equal(fres_key(&x->f, url, false, &k, id2, actor, &ei), SE_OK);
	assert_non_null(k);
	assert_string_equal(id2, id);
	fkeys_pkey_free(k);
	k = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice#other", sv.port);
	assert_int_not_equal(fres_key(&x->f, url, false, &k, id2, actor, &ei), SE_OK);
	assert_null(k);

	/* GoToSocial's "<actor>/main-key": the stub names its owner */
	h = hits();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/gts/main-key", sv.port);
	assert_int_equal(fres_key(&x->f, url, false, &k, id2, actor, &ei), SE_OK);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/users/gts", sv.port);
	assert_string_equal(actor, want);
	fkeys_pkey_free(k);
	k = NULL;
	assert_int_equal(hits(), h + 2);
	/* cached key: no fetch */
	assert_int_equal(fres_key(&x->f, url, false, &k, id2, actor, &ei), SE_OK);
	fkeys_pkey_free(k);
	k = NULL;
	assert_int_equal(hits(), h + 2);

	/* spoofing: a document about another host is refused */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/mallory", sv.port);
	assert_int_equal(fres_actor(&x->f, url, false, id2, &ei), SE_INVAL);

	/* 404, then negatively cached: no second request */
	h = hits();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/nobody", sv.port);
	assert_int_equal(fres_actor(&x->f, url, false, id2, &ei), SE_NOT_FOUND);
	assert_int_equal(hits(), h + 1);
	assert_int_equal(fres_actor(&x->f, url, false, id2, &ei), SE_RETRY);
	assert_int_equal(hits(), h + 1);

	/* WebFinger handles */
	snprintf(handle, sizeof(handle), "alice@127.0.0.1:%d", sv.port);
	assert_int_equal(fres_handle(&x->f, str_from(handle), id2, &ei), SE_OK);
	assert_string_equal(id2, id);
	snprintf(handle, sizeof(handle), "@alice@127.0.0.1:%d", sv.port);
	assert_int_equal(fres_handle(&x->f, str_from(handle), id2, &ei), SE_OK);
	assert_string_equal(id2, id);
	h = hits();
	assert_int_equal(fres_handle(&x->f, STR_LIT("alice"), id2, &ei), SE_INVAL);
	assert_int_equal(fres_handle(&x->f, STR_LIT("@alice@"), id2, &ei), SE_INVAL);
	assert_int_equal(fres_handle(&x->f, STR_LIT("a/b@127.0.0.1"), id2, &ei), SE_INVAL);
	assert_int_equal(fres_handle(&x->f, STR_LIT("a@127.0.0.1/x"), id2, &ei), SE_INVAL);
	assert_int_equal(fres_handle(&x->f, STR_LIT("a b@127.0.0.1"), id2, &ei), SE_INVAL);
	assert_int_equal(hits(), h);

	/* our own actors are never fetched */
	assert_int_equal(fres_actor(&x->f, "http://127.0.0.1:1/users/01HAAAAAAAAAAAAAAAAAAAAAAA",
	                            false, id2, &ei),
	                 SE_OK);
	assert_string_equal(id2, "01HAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(fres_actor(&x->f, "http://127.0.0.1:1/actor", false, id2, &ei), SE_INVAL);
	assert_int_equal(hits(), h);

	/* a blocked domain: refused before any request */
	assert_int_equal(store_write(x->s, block_all, NULL, NULL), SE_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/alice", sv.port);
	assert_int_equal(fres_actor(&x->f, url, true, id2, &ei), SE_MissingPermission);
	assert_int_equal(hits(), h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mastodon),
	    cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_no_keys),
	    cmocka_unit_test(test_display_cut),
	    cmocka_unit_test(test_parse_oom),
	    cmocka_unit_test(test_jrd),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_key_cache),
	    cmocka_unit_test_setup_teardown(test_net, net_setup, net_teardown),
	};

	jx_init();
	if (fetch_global_init() || cry_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
