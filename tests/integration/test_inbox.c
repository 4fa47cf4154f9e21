/*
 * tests/integration/test_inbox.c: the inbox of a real solstice --dev against
 * fake remote actors served by a loopback HTTP thread in this test (which
 * counts the daemon's fetches), with activities signed by the library's own
 * hsig_sign: valid (cavage and RFC 9421) -> 202 and processed once, replay,
 * bad signature, wrong digest, old Date, garbage JSON, oversized body,
 * unknown local inbox, key rotation, and a blocked domain refused with 403
 * before any key fetch.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/httpsig.h"
#include "federation/policy.h"
#include "storage/store.h"
#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/lsrv.h"

#define START_MS 20000
#define STOP_MS 15000
#define WAIT_MS 8000
#define NAMES 4

/* ---- the fake remote server ---- */

struct actor {
	const char *name;
	EVP_PKEY *key; /* the key it publishes (and signs with) */
};

struct fake {
	struct lsrv *l;
	int port;
	pthread_mutex_t mu;
	struct actor actors[NAMES];
	unsigned fetches[NAMES];    /* GETs of each actor */
	unsigned fetches_localhost; /* GETs that came for Host: localhost:<port> */
};

static struct fake fk;

static EVP_PKEY *rsa_new(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

static char *pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *out;
	long n;

	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &p);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, p, (size_t)n);
	BIO_free(b);
	return out;
}

/* The actor document of `a` as served from host `host`. */
static char *actor_doc(const struct actor *a, const char *host)
{
	char *pem = pem_of(a->key), *s;
	char id[600];
	json_t *d;

	snprintf(id, sizeof(id), "http://%s/users/%s", host, a->name);
	d = json_pack("{s:[s,s], s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}}", "@context",
	              "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", "id",
	              id, "type", "Person", "preferredUsername", a->name, "name", a->name, "inbox",
	              "http://example.invalid/inbox", "endpoints", "sharedInbox",
	              "http://example.invalid/inbox", "publicKey", "id", "", "owner", id,
	              "publicKeyPem", pem);
	{
		char kid[700];

		snprintf(kid, sizeof(kid), "%s#main-key", id);
		json_object_set_new(json_object_get(d, "publicKey"), "id", json_string(kid));
		snprintf(kid, sizeof(kid), "http://%s/users/%s/inbox", host, a->name);
		json_object_set_new(d, "inbox", json_string(kid));
	}
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	free(pem);
	return s;
}

static void serve_one(struct lsrv *l, int c, void *arg)
{
	char req[8192], path[512] = "", host[256] = "", resp[256];
	char *body = NULL, *h;
	int status = 404;

	(void)l;
	(void)arg;
	lsrv_read_request(c, req, sizeof(req));
	sscanf(req, "GET %511s", path);
	h = strcasestr(req, "\r\nhost:");
	if (h)
		sscanf(h + 7, " %255s", host);
	pthread_mutex_lock(&fk.mu);
	for (int i = 0; i < NAMES; i++) {
		char want[128];

		snprintf(want, sizeof(want), "/users/%s", fk.actors[i].name);
		if (fk.actors[i].key && strcmp(path, want) == 0) {
			fk.fetches[i]++;
			if (strncmp(host, "localhost", 9) == 0)
				fk.fetches_localhost++;
			body = actor_doc(&fk.actors[i], host);
			status = 200;
		}
	}
	pthread_mutex_unlock(&fk.mu);
	snprintf(resp, sizeof(resp),
	         "HTTP/1.1 %d X\r\nContent-Type: application/activity+json\r\n"
	         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	         status, body ? strlen(body) : 0);
	if (write(c, resp, strlen(resp)) < 0 || (body && write(c, body, strlen(body)) < 0))
		fprintf(stderr, "fake: write failed\n");
	free(body);
}

static void fake_start(void)
{
	static const char *const names[NAMES] = {"alice", "dave", "eve", "carol"};

	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.mu, NULL);
	for (int i = 0; i < NAMES; i++) {
		fk.actors[i].name = names[i];
		fk.actors[i].key = rsa_new();
	}
	fk.l = lsrv_start(serve_one, NULL);
	assert_non_null(fk.l);
	fk.port = lsrv_port(fk.l);
}

static void fake_stop(void)
{
	lsrv_stop(fk.l);
	for (int i = 0; i < NAMES; i++)
		EVP_PKEY_free(fk.actors[i].key);
}

static unsigned fetches(int i)
{
	unsigned n;

	pthread_mutex_lock(&fk.mu);
	n = fk.fetches[i];
	pthread_mutex_unlock(&fk.mu);
	return n;
}

/* ---- signed POSTs ---- */

enum { ALICE, DAVE, EVE, CAROL };

struct post {
	enum hsig_scheme scheme;
	int who;                 /* actor index */
	const char *host;        /* actor host: "127.0.0.1" or "localhost" */
	const char *body;        /* what we send */
	const char *signed_body; /* what we sign (NULL: body) */
	EVP_PKEY *key;           /* signing key (NULL: the actor's) */
	int64_t date_offset;     /* seconds added to now for Date/created */
	const char *path;        /* NULL: /inbox */
	const char *frag;        /* keyId fragment (NULL: main-key) */
};

static long post(struct td *d, const struct post *p)
{
	char authority[64], key_id[256], ctype[] = "Content-Type: application/activity+json";
	const char *path = p->path ? p->path : "/inbox";
	const char *sb = p->signed_body ? p->signed_body : p->body;
	struct hsig_header hh[1] = {
	    {STR_LIT("content-type"), STR_LIT("application/activity+json")}};
	struct hsig_request r;
	struct hsig_out out = HSIG_OUT_INIT;
	struct err_info ei = ERR_INFO_INIT;
	const char *headers[HSIG_OUT_MAX + 2];
	struct td_resp resp;
	size_t n = 0;
	long status;

	snprintf(authority, sizeof(authority), "127.0.0.1:%d", td_http_port(d));
	snprintf(key_id, sizeof(key_id), "http://%s:%d/users/%s#%s", p->host, fk.port,
	         fk.actors[p->who].name, p->frag ? p->frag : "main-key");
	r = (struct hsig_request){
	    "POST", str_from(path), str_from(authority), STR_LIT("http"), hh, 1, str_from(sb),
	    true};
	if (hsig_sign(p->scheme, &r, key_id, p->key ? p->key : fk.actors[p->who].key,
	              (int64_t)time(NULL) + p->date_offset, &out, &ei))
		fail_msg("hsig_sign: %s", ei.detail);
	headers[n++] = ctype;
	for (size_t i = 0; i < out.n; i++)
		headers[n++] = out.lines[i];
	headers[n] = NULL;
	assert_int_equal(td_http(td_http_port(d), "POST", path, headers, p->body, &resp), 0);
	status = resp.status;
	td_resp_release(&resp);
	hsig_out_release(&out);
	return status;
}

/* A Follow from `who` (on `host`) with activity id suffix `n`, into a static buffer. */
static const char *follow(int who, const char *host, int n)
{
	static char b[4][1024];
	static int k;
	char *s = b[k++ % 4];

	snprintf(s, 1024,
	         "{\"@context\":\"https://www.w3.org/ns/activitystreams\","
	         "\"id\":\"http://%s:%d/activities/%s-%d\",\"type\":\"Follow\","
	         "\"actor\":\"http://%s:%d/users/%s\",\"object\":\"http://127.0.0.1/users/x\"}",
	         host, fk.port, fk.actors[who].name, n, host, fk.port, fk.actors[who].name);
	return s;
}

static enum err block_fn(struct store_wtxn *w, void *arg)
{
	(void)arg;
	return policy_block_add(w, STR_LIT("localhost"), STR_LIT("test"));
}

static struct td *start(const char *data_dir)
{
	static const char *const extra[] = {"--dev", NULL};
	struct td *d = td_start(extra, data_dir, START_MS);

	assert_non_null(d);
	return d;
}

static void test_inbox(void **state)
{
	struct td *d;
	char needle[256], dir[256];
	const char *a1;
	struct post p;
	unsigned before;

	(void)state;
	fake_start();
	d = start(NULL);

	/* valid (draft-cavage): 202, the actor fetched once, the activity processed */
	a1 = follow(ALICE, "127.0.0.1", 1);
	p = (struct post){HSIG_CAVAGE, ALICE, "127.0.0.1", a1, NULL, NULL, 0, NULL, NULL};
	assert_int_equal(post(d, &p), 202);
	assert_int_equal(fetches(ALICE), 1);
	snprintf(needle, sizeof(needle),
	         "inbox: processing 'Follow' http://127.0.0.1:%d/activities/alice-1", fk.port);
	assert_true(td_log_has(d, needle, WAIT_MS));

	/* replay: 202, nothing queued again, no fetch (key cached) */
	assert_int_equal(post(d, &p), 202);
	snprintf(needle, sizeof(needle),
	         "inbox: duplicate activity 'http://127.0.0.1:%d/activities/alice-1'", fk.port);
	assert_true(td_log_has(d, needle, WAIT_MS));
	assert_int_equal(fetches(ALICE), 1);

	/* RFC 9421 */
	p = (struct post){HSIG_RFC9421, ALICE, "127.0.0.1", follow(ALICE, "127.0.0.1", 2),
	                  NULL,         NULL,  0,           NULL,
	                  NULL};
	assert_int_equal(post(d, &p), 202);
	snprintf(needle, sizeof(needle),
	         "inbox: processing 'Follow' http://127.0.0.1:%d/activities/alice-2", fk.port);
	assert_true(td_log_has(d, needle, WAIT_MS));

	/* wrong digest: the signature covers another body */
	p = (struct post){HSIG_CAVAGE,
	                  ALICE,
	                  "127.0.0.1",
	                  follow(ALICE, "127.0.0.1", 3),
	                  follow(ALICE, "127.0.0.1", 4),
	                  NULL,
	                  0,
	                  NULL,
	                  NULL};
	assert_int_equal(post(d, &p), 401);
	p.scheme = HSIG_RFC9421;
	assert_int_equal(post(d, &p), 401);

	/* old Date (2 h) and a Date in the future */
	p = (struct post){HSIG_CAVAGE, ALICE, "127.0.0.1", follow(ALICE, "127.0.0.1", 5),
	                  NULL,        NULL,  -7200,       NULL,
	                  NULL};
	assert_int_equal(post(d, &p), 401);
	p.date_offset = 7200;
	assert_int_equal(post(d, &p), 401);

	/* bad signature (eve's key for alice's keyId): one refetch, then 401 */
	before = fetches(ALICE);
	p = (struct post){HSIG_CAVAGE, ALICE,
	                  "127.0.0.1", follow(ALICE, "127.0.0.1", 6),
	                  NULL,        fk.actors[EVE].key,
	                  0,           NULL,
	                  NULL};
	assert_int_equal(post(d, &p), 401);
	assert_int_equal(fetches(ALICE), before + 1);
	/* a second bad one within the minute does not refetch (no hammering) */
	p.body = follow(ALICE, "127.0.0.1", 7);
	assert_int_equal(post(d, &p), 401);
	assert_int_equal(fetches(ALICE), before + 1);

	/* keyIds naming alice with keys she does not have: 401, and no fetch storm */
	before = fetches(ALICE);
	for (int i = 0; i < 3; i++) {
		char frag[32];

		snprintf(frag, sizeof(frag), "bogus%d", i);
		p = (struct post){
		    HSIG_CAVAGE, ALICE, "127.0.0.1", follow(ALICE, "127.0.0.1", 10 + i), NULL, NULL,
		    0,           NULL,  frag};
		assert_int_equal(post(d, &p), 401);
	}
	assert_true(fetches(ALICE) <= before + 1);

	/* eve (same host) signs with her own key an activity whose actor is alice: refused */
	{
		char body[512], kid_frag[16] = "main-key";

		snprintf(
		    body, sizeof(body),
		    "{\"id\":\"http://127.0.0.1:%d/activities/eve-as-alice\",\"type\":\"Follow\","
		    "\"actor\":\"http://127.0.0.1:%d/users/alice\",\"object\":\"x\"}",
		    fk.port, fk.port);
		p = (struct post){HSIG_CAVAGE, EVE, "127.0.0.1", body,    NULL,
		                  NULL,        0,   NULL,        kid_frag};
		assert_int_equal(post(d, &p), 401);
	}

	/* an activity id on another host than its actor: refused (ids are the replay key) */
	{
		char body[512];

		snprintf(body, sizeof(body),
		         "{\"id\":\"http://other.example/activities/1\",\"type\":\"Follow\","
		         "\"actor\":\"http://127.0.0.1:%d/users/alice\",\"object\":\"x\"}",
		         fk.port);
		p = (struct post){HSIG_CAVAGE, ALICE, "127.0.0.1", body, NULL, NULL, 0, NULL, NULL};
		assert_int_equal(post(d, &p), 400);
	}

	/* unsigned, garbage, oversized, unknown inbox */
	{
		const char *h[] = {"Content-Type: application/activity+json", NULL};
		struct td_resp r;
		char *big = malloc(1200001);

		assert_int_equal(td_http(td_http_port(d), "POST", "/inbox", h, a1, &r), 0);
		assert_int_equal(r.status, 401);
		td_resp_release(&r);
		assert_int_equal(td_http(td_http_port(d), "POST", "/inbox", h, "{\"id\":", &r), 0);
		assert_int_equal(r.status, 400);
		td_resp_release(&r);
		assert_int_equal(td_http(td_http_port(d), "POST", "/inbox", h, "[1,2]", &r), 0);
		assert_int_equal(r.status, 400);
		td_resp_release(&r);
		memset(big, ' ', 1200000);
		big[0] = '{';
		big[1199999] = '}';
		big[1200000] = '\0';
		assert_int_equal(td_http(td_http_port(d), "POST", "/inbox", h, big, &r), 0);
		assert_int_equal(r.status, 413);
		td_resp_release(&r);
		free(big);
		assert_int_equal(td_http(td_http_port(d), "POST",
		                         "/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/inbox", h, a1, &r),
		                 0);
		assert_int_equal(r.status, 404);
		td_resp_release(&r);
	}

	/* a local user's inbox */
	{
		struct tc_user u;
		char path[128];

		tc_user_make(d, "bob", &u);
		snprintf(path, sizeof(path), "/users/%s/inbox", u.id);
		p = (struct post){HSIG_CAVAGE, ALICE, "127.0.0.1", follow(ALICE, "127.0.0.1", 8),
		                  NULL,        NULL,  0,           path,
		                  NULL};
		assert_int_equal(post(d, &p), 202);
	}

	/* key rotation: dave is known with key 1, then publishes key 2 and signs with it */
	p = (struct post){HSIG_CAVAGE, DAVE, "127.0.0.1", follow(DAVE, "127.0.0.1", 1), NULL, NULL,
	                  0,           NULL, NULL};
	assert_int_equal(post(d, &p), 202);
	assert_int_equal(fetches(DAVE), 1);
	pthread_mutex_lock(&fk.mu);
	EVP_PKEY_free(fk.actors[DAVE].key);
	fk.actors[DAVE].key = rsa_new();
	pthread_mutex_unlock(&fk.mu);
	p.body = follow(DAVE, "127.0.0.1", 2);
	assert_int_equal(post(d, &p), 202);
	assert_int_equal(fetches(DAVE), 2);

	/* blocked domain: 403 before any fetch of carol's actor (served as localhost) */
	snprintf(dir, sizeof(dir), "%s", td_data_dir(d));
	assert_int_equal(td_stop(d, STOP_MS, true), 0);
	{
		struct store *s = NULL;
		struct err_info ei = ERR_INFO_INIT;
		char db[300];

		snprintf(db, sizeof(db), "%s/db", dir);
		assert_int_equal(store_open(db, api_schema(), NULL, &s, &ei), SE_OK);
		assert_int_equal(store_write(s, block_fn, NULL, &ei), SE_OK);
		store_close(s);
	}
	d = start(dir);
	p = (struct post){HSIG_CAVAGE, CAROL, "localhost", follow(CAROL, "localhost", 1),
	                  NULL,        NULL,  0,           NULL,
	                  NULL};
	assert_int_equal(post(d, &p), 403);
	assert_int_equal(fetches(CAROL), 0);
	/* the rest of the world still gets in */
	p = (struct post){HSIG_CAVAGE, EVE,  "127.0.0.1", follow(EVE, "127.0.0.1", 1), NULL, NULL,
	                  0,           NULL, NULL};
	assert_int_equal(post(d, &p), 202);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
	td_rm_rf(dir);
	fake_stop();
}

/* A GET of `path` signed by fake actor `who` on `host` (scheme NULL: unsigned). */
static long signed_get(struct td *d, const char *path, int who, const char *host,
                       const enum hsig_scheme *scheme, EVP_PKEY *key)
{
	char authority[64], key_id[256], accept[] = "Accept: application/activity+json";
	struct hsig_header hh[1] = {{STR_LIT("accept"), STR_LIT("application/activity+json")}};
	struct hsig_out out = HSIG_OUT_INIT;
	struct err_info ei = ERR_INFO_INIT;
	const char *headers[HSIG_OUT_MAX + 2];
	struct hsig_request r;
	struct td_resp resp;
	size_t n = 0;
	long status;

	snprintf(authority, sizeof(authority), "127.0.0.1:%d", td_http_port(d));
	snprintf(key_id, sizeof(key_id), "http://%s:%d/users/%s#main-key", host, fk.port,
	         fk.actors[who].name);
	r = (struct hsig_request){
	    "GET", str_from(path), str_from(authority), STR_LIT("http"), hh, 1, STR_NULL, false};
	headers[n++] = accept;
	if (scheme) {
		if (hsig_sign(*scheme, &r, key_id, key ? key : fk.actors[who].key,
		              (int64_t)time(NULL), &out, &ei))
			fail_msg("hsig_sign: %s", ei.detail);
		for (size_t i = 0; i < out.n; i++)
			headers[n++] = out.lines[i];
	}
	headers[n] = NULL;
	assert_int_equal(td_http(td_http_port(d), "GET", path, headers, NULL, &resp), 0);
	status = resp.status;
	td_resp_release(&resp);
	hsig_out_release(&out);
	return status;
}

/* Authorized fetch: finbox_verify_get behind the actor GET route. */
static void test_signed_get(void **state)
{
	static const char *const extra[] = {"--dev", NULL};
	static const enum hsig_scheme cavage = HSIG_CAVAGE, rfc = HSIG_RFC9421;
	char dir[] = "/tmp/sol-inbox-XXXXXX", db[300], path[128];
	struct err_info ei = ERR_INFO_INIT;
	struct store *s = NULL;
	struct tc_user u;
	struct td *d;

	(void)state;
	fake_start();
	/* a data directory with "localhost" blocked from the start */
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/db", dir);
	assert_int_equal(store_open(db, api_schema(), NULL, &s, &ei), SE_OK);
	assert_int_equal(store_write(s, block_fn, NULL, &ei), SE_OK);
	store_close(s);
	setenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH", "true", 1);
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, dir, START_MS);
	unsetenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH");
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	tc_user_make(d, "gina", &u);
	snprintf(path, sizeof(path), "/users/%s", u.id);

	assert_int_equal(signed_get(d, path, ALICE, "127.0.0.1", NULL, NULL), 401);
	assert_int_equal(signed_get(d, path, ALICE, "127.0.0.1", &cavage, NULL), 200);
	assert_int_equal(fetches(ALICE), 1);
	assert_int_equal(signed_get(d, path, ALICE, "127.0.0.1", &rfc, NULL), 200);
	/* the wrong key, and a signer whose domain is blocked (no fetch of it) */
	assert_int_equal(signed_get(d, path, ALICE, "127.0.0.1", &cavage, fk.actors[EVE].key), 401);
	assert_int_equal(signed_get(d, path, CAROL, "localhost", &cavage, NULL), 403);
	assert_int_equal(fetches(CAROL), 0);
	/* the query string may or may not be part of (request-target): both verify */
	snprintf(path, sizeof(path), "/users/%s?page=1", u.id);
	assert_int_equal(signed_get(d, path, ALICE, "127.0.0.1", &cavage, NULL), 200);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
	td_rm_rf(dir);
	fake_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inbox),
	    cmocka_unit_test(test_signed_get),
	};

	jx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
