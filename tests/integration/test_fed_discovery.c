/*
 * tests/integration/test_fed_discovery.c: federation discovery against the
 * real daemon: WebFinger (handles in any case, actor URLs, profile URLs,
 * the instance actor, wrong hosts, hostile resources), host-meta, NodeInfo
 * 2.0 / 2.1 with usage counts, actor documents (fields, content types,
 * negotiation with browsers, a cache that follows profile edits), bots as
 * Service, Tombstones for disabled accounts, and everything off with
 * federation.enabled=false.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000
#define AS2 "application/activity+json"
#define LDJSON "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
#define BROWSER "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

struct fx {
	struct td *d;
	char base[96], host[64];
	struct tc_user alice, bob;
	char alice_handle[64], bob_handle[64];
};

/* GET `path` with `accept` (NULL: no Accept header); the response in *r. */
static void get(struct fx *f, const char *path, const char *accept, struct td_resp *r)
{
	char h[256];
	const char *hdrs[2] = {NULL, NULL};

	if (accept) {
		snprintf(h, sizeof(h), "Accept: %s", accept);
		hdrs[0] = h;
	}
	assert_int_equal(td_http(td_http_port(f->d), "GET", path, hdrs, NULL, r), 0);
}

/* GET expecting `status` and a Content-Type starting with `type`; JSON body (owned). */
static json_t *get_json(struct fx *f, const char *path, const char *accept, long status,
                        const char *type)
{
	struct td_resp r;
	char ct[256];
	json_t *v;

	get(f, path, accept, &r);
	if (r.status != status)
		fail_msg("GET %s: status %ld want %ld: %s", path, r.status, status,
		         r.body ? r.body : "");
	if (type && (!td_resp_header(&r, "content-type", ct, sizeof(ct)) ||
	             strncmp(ct, type, strlen(type)) != 0))
		fail_msg("GET %s: content type '%s' want '%s'", path, ct, type);
	v = json_loadb(r.body ? r.body : "", r.body_len, 0, NULL);
	if (!v)
		fail_msg("GET %s: not JSON: %s", path, r.body ? r.body : "");
	td_resp_release(&r);
	return v;
}

static long status_of(struct fx *f, const char *path, const char *accept)
{
	struct td_resp r;
	long s;

	get(f, path, accept, &r);
	s = r.status;
	td_resp_release(&r);
	return s;
}

static void handle_of(struct fx *f, const struct tc_user *u, char out[64])
{
	json_t *me = tc_ok(f->d, "GET", "/api/users/@me", u->token, NULL, 200);

	snprintf(out, 64, "%s_%s", tc_sget(me, "username"), tc_sget(me, "discriminator"));
	json_decref(me);
}

static int setup(void **state)
{
	static const char *const args[] = {"--dev", NULL};
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->d = tc_start(args, START_MS);
	assert_non_null(f->d);
	snprintf(f->host, sizeof(f->host), "127.0.0.1:%d", td_http_port(f->d));
	snprintf(f->base, sizeof(f->base), "http://%s", f->host);
	tc_user_make(f->d, "alice", &f->alice);
	tc_user_make(f->d, "bob", &f->bob);
	handle_of(f, &f->alice, f->alice_handle);
	handle_of(f, &f->bob, f->bob_handle);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(td_stop(f->d, STOP_MS, false), 0);
	free(f);
	return 0;
}

/* The href of the link with rel and type in a JRD. */
static const char *link_href(const json_t *jrd, const char *rel, const char *type)
{
	size_t i;
	const json_t *l;

	json_array_foreach(json_object_get(jrd, "links"), i, l)
	{
		if (strcmp(tc_sval(l, "rel") ?: "", rel) == 0 &&
		    strcmp(tc_sval(l, "type") ?: "", type) == 0)
			return tc_sval(l, "href");
	}
	return NULL;
}

static void test_webfinger(void **state)
{
	struct fx *f = *state;
	char path[512], actor[256], page[256], subject[256], upper[64];
	json_t *v;
	struct td_resp r;
	char hv[128];

	snprintf(actor, sizeof(actor), "%s/users/%s", f->base, f->alice.id);
	snprintf(page, sizeof(page), "%s/@%s", f->base, f->alice_handle);
	snprintf(subject, sizeof(subject), "acct:%s@%s", f->alice_handle, f->host);

	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%s@%s", f->alice_handle,
	         f->host);
	v = get_json(f, path, NULL, 200, "application/jrd+json");
	assert_string_equal(tc_sget(v, "subject"), subject);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "aliases"), 0)),
	                    actor);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "aliases"), 1)),
	                    page);
	assert_string_equal(link_href(v, "self", AS2) ?: "", actor);
	assert_string_equal(link_href(v, "self", LDJSON) ?: "", actor);
	assert_string_equal(
	    link_href(v, "http://webfinger.net/rel/profile-page", "text/html") ?: "", page);
	json_decref(v);
	/* CORS for browser clients */
	get(f, path, NULL, &r);
	assert_non_null(td_resp_header(&r, "access-control-allow-origin", hv, sizeof(hv)));
	assert_string_equal(hv, "*");
	td_resp_release(&r);

	/* case variants of the handle and the scheme answer the canonical subject */
	snprintf(upper, sizeof(upper), "%s", f->alice_handle);
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=ACCT:%s@%s", upper, f->host);
	v = get_json(f, path, NULL, 200, "application/jrd+json");
	assert_string_equal(tc_sget(v, "subject"), subject);
	json_decref(v);
	/* the actor URL and the profile URL as resources (percent-encoded, as clients send) */
	snprintf(path, sizeof(path),
	         "/.well-known/webfinger?resource=http%%3A%%2F%%2F%s%%2Fusers%%2F%s", f->host,
	         f->alice.id);
	v = get_json(f, path, NULL, 200, "application/jrd+json");
	assert_string_equal(tc_sget(v, "subject"), subject);
	json_decref(v);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=%s", page);
	v = get_json(f, path, NULL, 200, "application/jrd+json");
	assert_string_equal(tc_sget(v, "subject"), subject);
	json_decref(v);

	/* the instance actor */
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:127.0.0.1@%s", f->host);
	v = get_json(f, path, NULL, 200, "application/jrd+json");
	snprintf(actor, sizeof(actor), "%s/actor", f->base);
	assert_string_equal(link_href(v, "self", AS2) ?: "", actor);
	json_decref(v);

	/* unknown users, other hosts, our own port missing: 404 */
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:nobody_0001@%s",
	         f->host);
	assert_int_equal(status_of(f, path, NULL), 404);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%s@other.example",
	         f->alice_handle);
	assert_int_equal(status_of(f, path, NULL), 404);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%s@127.0.0.1",
	         f->alice_handle);
	assert_int_equal(status_of(f, path, NULL), 404);
	snprintf(path, sizeof(path),
	         "/.well-known/webfinger?resource=%s/users/01HZY3M5T6XQ8V9W0ABCDEFGHJ", f->base);
	assert_int_equal(status_of(f, path, NULL), 404);

	/* missing or garbled resources: 400 */
	assert_int_equal(status_of(f, "/.well-known/webfinger", NULL), 400);
	assert_int_equal(status_of(f, "/.well-known/webfinger?resource=", NULL), 400);
	assert_int_equal(status_of(f, "/.well-known/webfinger?resource=acct:", NULL), 400);
	assert_int_equal(status_of(f, "/.well-known/webfinger?resource=alice", NULL), 400);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:al%%01ice_0001@%s",
	         f->host);
	assert_int_equal(status_of(f, path, NULL), 400);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%%0d%%0aX:%s@%s",
	         f->alice_handle, f->host);
	assert_int_equal(status_of(f, path, NULL), 400);
	{
		char big[1200] = "/.well-known/webfinger?resource=acct:";
		size_t n = strlen(big);

		memset(big + n, 'a', sizeof(big) - n - 20);
		snprintf(big + sizeof(big) - 20, 20, "_0001@%s", "x");
		assert_int_equal(status_of(f, big, NULL), 400);
	}
	assert_int_equal(status_of(f, "/.well-known/webfinger?resource=javascript:alert(1)", NULL),
	                 400);
}

static void test_host_meta_nodeinfo(void **state)
{
	struct fx *f = *state;
	struct td_resp r;
	char ct[128], want[256], path[64];
	json_t *v, *u;
	char bot_id[32], bot_token[80];

	get(f, "/.well-known/host-meta", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(td_resp_header(&r, "content-type", ct, sizeof(ct)));
	assert_true(strncmp(ct, "application/xrd+xml", 19) == 0);
	snprintf(want, sizeof(want),
	         "<Link rel=\"lrdd\" template=\"%s/.well-known/webfinger?resource={uri}\"/>",
	         f->base);
	assert_non_null(strstr(r.body, want));
	td_resp_release(&r);
	v = get_json(f, "/.well-known/host-meta.json", NULL, 200, "application/json");
	snprintf(want, sizeof(want), "%s/.well-known/webfinger?resource={uri}", f->base);
	assert_string_equal(tc_sget(json_array_get(json_object_get(v, "links"), 0), "template"),
	                    want);
	json_decref(v);

	/* a bot is a user but not an account: not counted */
	tc_bot_make(f->d, &f->alice, "countbot", bot_id, bot_token);
	v = get_json(f, "/.well-known/nodeinfo", NULL, 200, "application/json");
	for (int i = 0; i < 2; i++) {
		const json_t *l = json_array_get(json_object_get(v, "links"), (size_t)i);

		snprintf(want, sizeof(want), "http://nodeinfo.diaspora.software/ns/schema/2.%d", i);
		assert_string_equal(tc_sget(l, "rel"), want);
		snprintf(want, sizeof(want), "%s/nodeinfo/2.%d", f->base, i);
		assert_string_equal(tc_sget(l, "href"), want);
	}
	json_decref(v);
	for (int i = 0; i < 2; i++) {
		char type[128];

		snprintf(path, sizeof(path), "/nodeinfo/2.%d", i);
		snprintf(type, sizeof(type),
		         "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/"
		         "2.%d#\"",
		         i);
		v = get_json(f, path, NULL, 200, type);
		snprintf(want, sizeof(want), "2.%d", i);
		assert_string_equal(tc_sget(v, "version"), want);
		assert_string_equal(tc_sget(json_object_get(v, "software"), "name"), "solstice");
		assert_non_null(tc_sval(json_object_get(v, "software"), "version"));
		assert_string_equal(
		    json_string_value(json_array_get(json_object_get(v, "protocols"), 0)),
		    "activitypub");
		assert_true(json_is_true(json_object_get(v, "openRegistrations")));
		assert_true(
		    json_is_array(json_object_get(json_object_get(v, "services"), "inbound")));
		u = json_object_get(json_object_get(v, "usage"), "users");
		assert_int_equal(json_integer_value(json_object_get(u, "total")), 2);
		assert_int_equal(json_integer_value(json_object_get(u, "activeMonth")), 2);
		assert_int_equal(json_integer_value(json_object_get(u, "activeHalfyear")), 2);
		assert_string_equal(tc_sget(json_object_get(v, "metadata"), "nodeName"), f->host);
		json_decref(v);
	}
	assert_int_equal(status_of(f, "/nodeinfo/2.2", NULL), 404);
	assert_int_equal(status_of(f, "/nodeinfo/x", NULL), 404);
}

/* publicKey: a 2048-bit RSA SPKI PEM OpenSSL reads; assertionMethod: an Ed25519 Multikey. */
static void check_keys(const json_t *v, const char *actor)
{
	const json_t *pk = json_object_get(v, "publicKey");
	const json_t *am = json_array_get(json_object_get(v, "assertionMethod"), 0);
	const char *pem = tc_sget(pk, "publicKeyPem");
	char want[256];
	BIO *bio;
	EVP_PKEY *key;

	snprintf(want, sizeof(want), "%s#main-key", actor);
	assert_string_equal(tc_sget(pk, "id"), want);
	assert_string_equal(tc_sget(pk, "owner"), actor);
	bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	assert_non_null(bio);
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!key)
		fail_msg("publicKeyPem does not parse: %s", pem);
	assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(key), 2048);
	EVP_PKEY_free(key);
	snprintf(want, sizeof(want), "%s#ed25519-key", actor);
	assert_string_equal(tc_sget(am, "id"), want);
	assert_string_equal(tc_sget(am, "type"), "Multikey");
	assert_string_equal(tc_sget(am, "controller"), actor);
	assert_true(strncmp(tc_sget(am, "publicKeyMultibase"), "z6Mk", 4) == 0);
}

static void check_actor(struct fx *f, const json_t *v, const char *id, const char *handle,
                        const char *type)
{
	char want[256];

	snprintf(want, sizeof(want), "%s/users/%s", f->base, id);
	assert_string_equal(tc_sget(v, "id"), want);
	assert_string_equal(tc_sget(v, "type"), type);
	assert_string_equal(tc_sget(v, "preferredUsername"), handle);
	snprintf(want, sizeof(want), "%s/users/%s/inbox", f->base, id);
	assert_string_equal(tc_sget(v, "inbox"), want);
	snprintf(want, sizeof(want), "%s/users/%s/followers", f->base, id);
	assert_string_equal(tc_sget(v, "followers"), want);
	snprintf(want, sizeof(want), "%s/inbox", f->base);
	assert_string_equal(tc_sget(json_object_get(v, "endpoints"), "sharedInbox"), want);
	snprintf(want, sizeof(want), "%s/@%s", f->base, handle);
	assert_string_equal(tc_sget(v, "url"), want);
	assert_true(json_is_array(json_object_get(v, "@context")));
	/* fedify drops assertionMethod unless the context defines the term */
	assert_non_null(
	    json_object_get(json_array_get(json_object_get(v, "@context"), 3), "assertionMethod"));
	assert_non_null(tc_sval(v, "published"));
	check_keys(v, tc_sget(v, "id"));
}

static void test_actor(void **state)
{
	struct fx *f = *state;
	char path[256], ct[256];
	struct td_resp r;
	json_t *v;
	char bot_id[32], bot_token[80], bot_handle[64];

	assert_int_equal(tc_call(f->d, "PATCH", "/api/users/@me", f->alice.token,
	                         "{\"display_name\":\"Alice <b>\",\"profile\":{\"content\":"
	                         "\"**bold** <script>alert(1)</script>\"}}",
	                         NULL),
	                 200);
	snprintf(path, sizeof(path), "/users/%s", f->alice.id);
	/* every AS2 spelling, no Accept and * / * get the document */
	{
		static const char *const accepts[] = {
		    AS2, LDJSON, "application/ld+json", "application/json", "*/*", NULL};

		for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
			v = get_json(f, path, accepts[i], 200, "application/activity+json");
			check_actor(f, v, f->alice.id, f->alice_handle, "Person");
			assert_string_equal(tc_sget(v, "name"), "Alice <b>");
			assert_non_null(strstr(tc_sget(v, "summary"), "<strong>bold</strong>"));
			assert_null(strstr(tc_sget(v, "summary"), "<script"));
			assert_true(json_is_true(json_object_get(v, "manuallyApprovesFollowers")));
			json_decref(v);
		}
	}
	/* the same key on every fetch */
	{
		json_t *a = get_json(f, path, AS2, 200, AS2),
		       *b = get_json(f, path, NULL, 200, AS2);

		assert_string_equal(tc_sget(json_object_get(a, "publicKey"), "publicKeyPem"),
		                    tc_sget(json_object_get(b, "publicKey"), "publicKeyPem"));
		json_decref(a);
		json_decref(b);
	}
	/* an edit shows at once (the cache follows the record) */
	assert_int_equal(tc_call(f->d, "PATCH", "/api/users/@me", f->alice.token,
	                         "{\"display_name\":\"Alice Two\"}", NULL),
	                 200);
	v = get_json(f, path, AS2, 200, "application/activity+json");
	assert_string_equal(tc_sget(v, "name"), "Alice Two");
	json_decref(v);

	/* browsers get the HTML page, with the name escaped and the actor linked */
	get(f, path, BROWSER, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(td_resp_header(&r, "content-type", ct, sizeof(ct)));
	assert_true(strncmp(ct, "text/html", 9) == 0);
	assert_non_null(strstr(r.body, "Alice Two"));
	assert_null(strstr(r.body, "<script"));
	snprintf(ct, sizeof(ct), "type=\"application/activity+json\" href=\"%s/users/%s\"", f->base,
	         f->alice.id);
	assert_non_null(strstr(r.body, ct));
	td_resp_release(&r);
	/* the profile page itself, and AS2 from it for peers that ask */
	snprintf(path, sizeof(path), "/@%s", f->alice_handle);
	get(f, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
	assert_non_null(strstr(r.body, "Alice Two"));
	td_resp_release(&r);
	v = get_json(f, path, AS2, 200, "application/activity+json");
	check_actor(f, v, f->alice.id, f->alice_handle, "Person");
	json_decref(v);

	/* the instance actor */
	v = get_json(f, "/actor", AS2, 200, "application/activity+json");
	snprintf(path, sizeof(path), "%s/actor", f->base);
	assert_string_equal(tc_sget(v, "id"), path);
	assert_string_equal(tc_sget(v, "type"), "Application");
	assert_string_equal(tc_sget(v, "preferredUsername"), "127.0.0.1");
	check_keys(v, path);
	json_decref(v);

	/* bots are Service */
	tc_bot_make(f->d, &f->bob, "servbot", bot_id, bot_token);
	snprintf(path, sizeof(path), "/users/%s", bot_id);
	v = get_json(f, path, AS2, 200, "application/activity+json");
	snprintf(bot_handle, sizeof(bot_handle), "%s", tc_sget(v, "preferredUsername"));
	check_actor(f, v, bot_id, bot_handle, "Service");
	json_decref(v);

	/* unknown and malformed ids */
	assert_int_equal(status_of(f, "/users/01HZY3M5T6XQ8V9W0ABCDEFGHJ", AS2), 404);
	assert_int_equal(status_of(f, "/users/nope", AS2), 404);
	assert_int_equal(status_of(f, "/@nobody_0001", NULL), 404);
	assert_int_equal(status_of(f, "/@nobody", NULL), 404);
}

static void test_gone(void **state)
{
	struct fx *f = *state;
	char path[512], ticket[200], session[200], want[256];
	const char *hdrs[3];
	struct td_resp r;
	json_t *v;

	v = tc_ok(f->d, "PUT", "/api/auth/mfa/ticket", f->bob.token,
	          "{\"password\":\"correct horse battery\"}", 200);
	snprintf(ticket, sizeof(ticket), "X-MFA-Ticket: %s", tc_sget(v, "token"));
	json_decref(v);
	snprintf(session, sizeof(session), "X-Session-Token: %s", f->bob.token);
	hdrs[0] = session;
	hdrs[1] = ticket;
	hdrs[2] = NULL;
	snprintf(path, sizeof(path), "/users/%s", f->bob.id);
	/* cached while live */
	v = get_json(f, path, AS2, 200, "application/activity+json");
	json_decref(v);
	assert_int_equal(
	    td_http(td_http_port(f->d), "POST", "/api/auth/account/disable", hdrs, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	td_resp_release(&r);
	v = get_json(f, path, AS2, 410, "application/activity+json");
	snprintf(want, sizeof(want), "%s/users/%s", f->base, f->bob.id);
	assert_string_equal(tc_sget(v, "id"), want);
	assert_string_equal(tc_sget(v, "type"), "Tombstone");
	assert_string_equal(tc_sget(v, "formerType"), "Person");
	json_decref(v);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%s@%s", f->bob_handle,
	         f->host);
	assert_int_equal(status_of(f, path, NULL), 410);
	/* browsers get a page saying so, on both URLs */
	snprintf(path, sizeof(path), "/users/%s", f->bob.id);
	get(f, path, BROWSER, &r);
	assert_int_equal(r.status, 410);
	assert_non_null(strstr(r.body, "gone"));
	td_resp_release(&r);
	snprintf(path, sizeof(path), "/@%s", f->bob_handle);
	assert_int_equal(status_of(f, path, BROWSER), 410);
	v = get_json(f, path, AS2, 410, "application/activity+json");
	assert_string_equal(tc_sget(v, "type"), "Tombstone");
	json_decref(v);
}

static void test_disabled(void **state)
{
	struct td *d;
	struct td_resp r;

	(void)state;
	setenv("SOLSTICE_FEDERATION_ENABLED", "false", 1);
	d = tc_start(NULL, START_MS);
	unsetenv("SOLSTICE_FEDERATION_ENABLED");
	assert_non_null(d);
	assert_int_equal(td_http(td_http_port(d), "GET",
	                         "/.well-known/webfinger?resource=acct:a_0001@x", NULL, NULL, &r),
	                 0);
	assert_int_equal(r.status, 404);
	td_resp_release(&r);
	assert_int_equal(td_http(td_http_port(d), "GET", "/.well-known/nodeinfo", NULL, NULL, &r),
	                 0);
	assert_int_equal(r.status, 404);
	td_resp_release(&r);
	assert_int_equal(td_http(td_http_port(d), "GET", "/actor", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	td_resp_release(&r);
	/* Revolt's API is unaffected */
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	td_resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_authorized_fetch(void **state)
{
	struct fx f;
	struct td_resp r;
	char path[512];
	json_t *v;

	(void)state;
	memset(&f, 0, sizeof(f));
	setenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH", "true", 1);
	f.d = tc_start(NULL, START_MS);
	unsetenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH");
	assert_non_null(f.d);
	snprintf(f.host, sizeof(f.host), "127.0.0.1:%d", td_http_port(f.d));
	snprintf(f.base, sizeof(f.base), "http://%s", f.host);
	tc_user_make(f.d, "carol", &f.alice);
	handle_of(&f, &f.alice, f.alice_handle);
	/* an unsigned AS2 GET of a user is refused, by actor URL and by profile URL */
	snprintf(path, sizeof(path), "/users/%s", f.alice.id);
	assert_int_equal(status_of(&f, path, AS2), 401);
	assert_int_equal(status_of(&f, path, NULL), 401);
	snprintf(path, sizeof(path), "/@%s", f.alice_handle);
	assert_int_equal(status_of(&f, path, AS2), 401);
	/* browsers still get the page; peers still find and verify us */
	snprintf(path, sizeof(path), "/users/%s", f.alice.id);
	get(&f, path, BROWSER, &r);
	assert_int_equal(r.status, 200);
	td_resp_release(&r);
	v = get_json(&f, "/actor", AS2, 200, "application/activity+json");
	json_decref(v);
	snprintf(path, sizeof(path), "/.well-known/webfinger?resource=acct:%s@%s", f.alice_handle,
	         f.host);
	v = get_json(&f, path, NULL, 200, "application/jrd+json");
	json_decref(v);
	v = get_json(&f, "/nodeinfo/2.1", NULL, 200, "application/json");
	json_decref(v);
	assert_int_equal(td_stop(f.d, STOP_MS, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_webfinger, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_meta_nodeinfo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gone, setup, teardown),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_authorized_fetch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
