/*
 * tests/unit/federation/test_csync.c: FEP-8fcf. The Collection-Synchronization
 * header parser against well-formed and hostile values, rendering, the
 * digest against vectors computed independently (Python hashlib), and on a
 * real store: the per-host follower digests and the delivery header, our
 * view of a remote actor's followers, the partial-collection reader,
 * reconciling (ending a follow the remote no longer lists) and the checks
 * fcsync_check makes before any fetch (wrong collection, foreign url host,
 * equal digests, the per-actor rate limit). No network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "app.h"
#include "bus/bus.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/csync.h"
#include "federation/deliver.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "storage/store.h"
#include "users/user.h"

#define BASE "http://local.test"
#define L_ID "01HAAAAAAAAAAAAAAAAAAAAAAA"
#define R_ID "01HBBBBBBBBBBBBBBBBBBBBBBB"
#define X_ID "01HCCCCCCCCCCCCCCCCCCCCCCC"
#define M_ID "01HDDDDDDDDDDDDDDDDDDDDDDD"
#define S_ID "01HEEEEEEEEEEEEEEEEEEEEEEE"
#define L_URL BASE "/users/" L_ID
#define M_URL BASE "/users/" M_ID
#define R_URL "http://remote.test/users/r1"
#define R_FOL "http://remote.test/users/r1/followers"
#define X_URL "http://other.test/users/x"
#define S_URL "http://Remote.test/users/s"

/* sha256 XOR vectors (Python: hashlib.sha256(id).digest(), XORed, hex) */
#define D_A "d15c776f2ed7ae88e108b93a31638286b9ca8a90c618968515dd4238db68ec38"
#define D_AB "d3854a8c5da139a8c48edfe1a8d922a252bc95a42fc8cc1d2a6945366c9d641b"
#define D_R1 "c27676b6350d5b720cad3ba282ef3f91930596fa041ba5e817dc2b0d586d950e"
#define D_LM "8ad0a811fc1f422fcbc246f99a0aecdc03b6bcb9f53aeb781625b47d2176c3d2"
#define D_L "dd0947ffbc6d281d4e573c6e7b911d7651865f4e1ed9f8c82bddddf29f01fe9c"
#define D_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

struct fx {
	char dir[64];
	struct cfg cfg;
	struct app app;
	struct fed fed;
};

static struct fx *F;

static enum err add_user(struct store_wtxn *w, void *arg)
{
	const char *const *u = arg; /* id, username, ap id or NULL, host, followers */
	json_t *rec = user_record_new(str_from(u[0]), str_from(u[1]), "0001");
	char *text;
	enum err rc;

	if (u[2])
		json_object_set_new(rec, "ap",
		                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", u[2], "inbox",
		                              u[2], "shared_inbox", u[2], "host", u[3], "followers",
		                              u[4]));
	text = jx_dump(rec);
	rc = store_create(w, USER_COLL, str_from(u[0]), str_from(text));
	mem_free(text);
	json_decref(rec);
	return rc;
}

struct fol {
	const char *er, *ee;
	enum ffollow_state st;
};

static enum err add_follow(struct store_wtxn *w, void *arg)
{
	const struct fol *f = arg;

	return ffollow_add(w, str_from(f->er), str_from(f->ee), STR_NULL, f->st, 1000, NULL);
}

static void follow(const char *er, const char *ee, enum ffollow_state st)
{
	struct fol f = {er, ee, st};

	assert_int_equal(store_write(F->app.store, add_follow, &f, NULL), SE_OK);
}

static int setup(void **state)
{
	static const char *const users[][5] = {
	    {L_ID, "lucy", NULL, NULL, NULL},
	    {R_ID, "r1@remote.test", R_URL, "remote.test", R_FOL},
	    {X_ID, "x@other.test", X_URL, "other.test", X_URL "/followers"},
	    {M_ID, "mark", NULL, NULL, NULL},
	    {S_ID, "s@remote.test", S_URL, "Remote.test", S_URL "/followers"},
	};
	struct store_opts o = {.no_sync = true};

	F = xcalloc(1, sizeof(*F));
	memcpy(F->dir, "/tmp/sol-csync-XXXXXX", 22);
	assert_non_null(mkdtemp(F->dir));
	cfg_init(&F->cfg);
	assert_int_equal(store_open(F->dir, api_schema(), &o, &F->app.store, NULL), SE_OK);
	F->app.cfg = &F->cfg;
	F->app.bus = bus_new(NULL, NULL);
	F->fed.cfg = &F->cfg;
	F->fed.store = F->app.store;
	F->fed.bus = F->app.bus;
	F->fed.app = &F->app;
	F->fed.base = xstrdup(BASE);
	F->fed.host = xstrdup("local.test");
	F->fed.allow_private = true;
	F->app.fed = &F->fed;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(store_write(F->app.store, add_user, (void *)users[i], NULL),
		                 SE_OK);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(F->app.store);
	bus_free(F->app.bus);
	mem_free(F->fed.base);
	mem_free(F->fed.host);
	cfg_release(&F->cfg);
	snprintf(cmd, sizeof(cmd), "%s/data.mdb", F->dir);
	remove(cmd);
	snprintf(cmd, sizeof(cmd), "%s/lock.mdb", F->dir);
	remove(cmd);
	remove(F->dir);
	mem_free(F);
	return 0;
}

/* ---- header ---- */

static void test_parse(void **state)
{
	struct fcsync_hdr h;

	(void)state;
	/* Mastodon's form */
	assert_int_equal(
	    fcsync_parse(STR_LIT("collectionId=\"https://a.example/users/x/followers\", "
	                         "url=\"https://a.example/users/x/"
	                         "followers_synchronization\", digest=\"" D_A "\""),
	                 &h),
	    SE_OK);
	assert_string_equal(h.collection_id, "https://a.example/users/x/followers");
	assert_string_equal(h.url, "https://a.example/users/x/followers_synchronization");
	assert_string_equal(h.digest, D_A);
	/* any order, no spaces, tabs, upper-case hex, parameter names in any case, unknown ones */
	assert_int_equal(
	    fcsync_parse(
	        STR_LIT("DIGEST=\"D15C776F2ED7AE88E108B93A31638286B9CA8A90C618968515DD4238DB6"
	                "8EC38\",x=\"y\",url=\"u\"\t,\tCollectionID=\"c\",other=tok"),
	        &h),
	    SE_OK);
	assert_string_equal(h.digest, D_A);
	assert_string_equal(h.url, "u");
	assert_string_equal(h.collection_id, "c");
	/* a quoted-pair, and a bare token value */
	assert_int_equal(fcsync_parse(STR_LIT("collectionId=\"a\\\"b\", url=u, digest=" D_A), &h),
	                 SE_OK);
	assert_string_equal(h.collection_id, "a\"b");
	assert_string_equal(h.url, "u");
	/* hostile or incomplete */
	{
		static const char *const bad[] = {
		    "",
		    " ",
		    ",",
		    "collectionId=\"c\", url=\"u\"",
		    "collectionId=\"c\", digest=\"" D_A "\"",
		    "url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\", url=\"u\", digest=\"" D_A "\", url=\"v\"",
		    "collectionId=\"\", url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\", url=\"u\", digest=\"abc\"",
		    "collectionId=\"c\", url=\"u\", digest=\"" D_A "0\"",
		    "collectionId=\"c\", url=\"u\", "
		    "digest=\"g15c776f2ed7ae88e108b93a31638286b9ca8a90c6"
		    "18968515dd4238db68ec38\"",
		    "collectionId=\"c, url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\" url=\"u\" digest=\"" D_A "\"",
		    "collectionId \"c\", url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\x01\", url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\", url=\"u\", digest=\"" D_A "\"\\",
		    "collectionId=\"c\\",
		    "=\"c\", url=\"u\", digest=\"" D_A "\"",
		    "collectionId=, url=\"u\", digest=\"" D_A "\"",
		    "collectionId=\"c\",, url=\"u\", digest=\"" D_A "\"",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (fcsync_parse(str_from(bad[i]), &h) == SE_OK)
				fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(fcsync_parse(STR_NULL, &h), SE_PARSE);
	/* an embedded NUL ends nothing: it is a control byte */
	assert_int_equal(
	    fcsync_parse((struct str){"collectionId=\"c\0\", url=\"u\", digest=\"" D_A "\"", 84},
	                 &h),
	    SE_PARSE);
	/* limits */
	{
		struct buf b = BUF_INIT(1u << 20);
		char *s;

		buf_puts(&b, "collectionId=\"");
		for (int i = 0; i < FCSYNC_URL_MAX; i++)
			buf_putc(&b, 'a');
		buf_puts(&b, "\", url=\"u\", digest=\"" D_A "\"");
		s = buf_take(&b, NULL);
		assert_int_equal(fcsync_parse(str_from(s), &h), SE_TOO_LARGE);
		mem_free(s);
		buf_puts(&b, "x=\"");
		for (int i = 0; i < FCSYNC_HEADER_MAX; i++)
			buf_putc(&b, 'a');
		buf_putc(&b, '"');
		s = buf_take(&b, NULL);
		assert_int_equal(fcsync_parse(str_from(s), &h), SE_TOO_LARGE);
		mem_free(s);
	}
}

static void test_render(void **state)
{
	struct buf b = BUF_INIT(FCSYNC_HEADER_MAX);
	struct fcsync_hdr h;

	(void)state;
	assert_int_equal(fcsync_render(BASE "/users/a/followers",
	                               BASE "/users/a/followers?domain=remote.test:8443", D_AB, &b),
	                 SE_OK);
	assert_string_equal(buf_cstr(&b),
	                    "collectionId=\"" BASE "/users/a/followers\", url=\"" BASE
	                    "/users/a/followers?domain=remote.test:8443\", digest=\"" D_AB "\"");
	assert_int_equal(fcsync_parse(buf_str(&b), &h), SE_OK);
	assert_string_equal(h.url, BASE "/users/a/followers?domain=remote.test:8443");
	buf_reset(&b);
	assert_int_equal(fcsync_render("a\"b", "u", D_A, &b), SE_INVAL);
	assert_int_equal(fcsync_render("a", "u\r\nX: y", D_A, &b), SE_INVAL);
	assert_int_equal(fcsync_render("a", "", D_A, &b), SE_INVAL);
	assert_int_equal(fcsync_render(NULL, "u", D_A, &b), SE_INVAL);
	buf_release(&b);
}

static void test_digest(void **state)
{
	struct fcsync_digest d = {0}, e = {0};
	char hex[FCSYNC_DIGEST_HEX + 1];

	(void)state;
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_ZERO);
	fcsync_digest_add(&d, STR_LIT("https://remote.test/users/a"));
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_A);
	fcsync_digest_add(&d, STR_LIT("https://remote.test/users/b"));
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_AB);
	/* order does not matter */
	fcsync_digest_add(&e, STR_LIT("https://remote.test/users/b"));
	fcsync_digest_add(&e, STR_LIT("https://remote.test/users/a"));
	assert_memory_equal(d.x, e.x, 32);
	assert_int_equal(e.n, 2);
}

/* ---- on the store ---- */

static const char *header_for(const char *body, const char *signer, const char *host, struct buf *b)
{
	struct store_txn *t = NULL;
	enum err rc = SE_OK;
	bool yes;

	buf_reset(b);
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	yes = fcsync_delivery_header(&F->fed, t, str_from(signer), str_from(body), str_from(host),
	                             b, &rc);
	store_read_end(t);
	assert_int_equal(rc, SE_OK);
	return yes ? buf_cstr(b) : NULL;
}

static void test_outbound(void **state)
{
	struct buf b = BUF_INIT(FCSYNC_HEADER_MAX);
	struct store_txn *t = NULL;
	struct fcsync_digest d;
	struct fcsync_table *tab = NULL;
	char hex[FCSYNC_DIGEST_HEX + 1];
	const char *h;
	static const char body[] = "{\"type\":\"Update\",\"id\":\"" BASE "/activities/1\","
	                           "\"to\":[\"https://www.w3.org/ns/activitystreams#Public\"],"
	                           "\"cc\":[\"" L_URL "/followers\"]}";

	(void)state;
	/* lucy is followed by r1 (remote.test), x (other.test), mark (local), s (Remote.test,
	 * the same host in another case); a pending follow does not count */
	follow(R_ID, L_ID, FFOLLOW_ACCEPTED);
	follow(X_ID, L_ID, FFOLLOW_ACCEPTED);
	follow(M_ID, L_ID, FFOLLOW_ACCEPTED);
	follow(S_ID, L_ID, FFOLLOW_PENDING);
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(
	    fcsync_followers_digest(&F->fed, t, STR_LIT(L_ID), STR_LIT("remote.test"), &d), SE_OK);
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_R1);
	assert_int_equal(d.n, 1);
	assert_int_equal(
	    fcsync_followers_digest(&F->fed, t, STR_LIT(L_ID), STR_LIT("nobody.test"), &d), SE_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(fcsync_table_build(&F->fed, t, STR_LIT(L_ID), &tab), SE_OK);
	fcsync_table_get(tab, STR_LIT("REMOTE.test"), &d);
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_R1);
	fcsync_table_get(tab, STR_LIT("other.test"), &d);
	assert_int_equal(d.n, 1);
	fcsync_table_get(tab, STR_LIT("local.test"), &d);
	assert_int_equal(d.n, 1);
	fcsync_table_get(tab, STR_LIT("none.test"), &d);
	assert_int_equal(d.n, 0);
	fcsync_table_free(tab);
	store_read_end(t);
	/* the delivery header */
	h = header_for(body, L_ID, "remote.test", &b);
	assert_non_null(h);
	assert_string_equal(h, "collectionId=\"" L_URL "/followers\", url=\"" L_URL
	                       "/followers?domain=remote.test\", digest=\"" D_R1 "\"");
	/* s's follow accepted: the same host in another case counts */
	follow(S_ID, L_ID, FFOLLOW_ACCEPTED);
	h = header_for(body, L_ID, "remote.test", &b);
	assert_non_null(h);
	assert_null(strstr(h, D_R1));
	/* a host without followers: the zero digest */
	h = header_for(body, L_ID, "new.test", &b);
	assert_non_null(strstr(h, D_ZERO));
	/* not addressed to the followers, the instance actor, another user's followers */
	assert_null(
	    header_for("{\"type\":\"Follow\",\"to\":[\"" R_URL "\"]}", L_ID, "remote.test", &b));
	assert_null(header_for(body, "instance", "remote.test", &b));
	assert_null(header_for(body, M_ID, "remote.test", &b));
	assert_null(header_for("not json", L_ID, "remote.test", &b));
	buf_release(&b);
	/* addressing forms */
	assert_true(
	    fcsync_addressed_to(STR_LIT("{\"to\":\"" L_URL "/followers\"}"), L_URL "/followers"));
	assert_true(fcsync_addressed_to(STR_LIT("{\"bcc\":[{\"id\":\"" L_URL "/followers\"}]}"),
	                                L_URL "/followers"));
	assert_true(fcsync_addressed_to(STR_LIT("{\"audience\":\"" L_URL "/followers\"}"),
	                                L_URL "/followers"));
	assert_false(fcsync_addressed_to(STR_LIT("{\"to\":[[\"" L_URL "/followers\"]]}"),
	                                 L_URL "/followers"));
	assert_false(fcsync_addressed_to(STR_LIT("{\"object\":{\"cc\":\"" L_URL "/followers\"}}"),
	                                 L_URL "/followers"));
	assert_false(fcsync_addressed_to(STR_LIT("[]"), L_URL "/followers"));
	assert_false(fcsync_addressed_to(STR_LIT("{\"to\":\"x\"}"), ""));
}

static void test_collection_items(void **state)
{
	json_t *set = json_object();
	const char *next;
	json_t *doc;

	(void)state;
	doc = json_loads("{\"type\":\"OrderedCollection\",\"orderedItems\":[\"a\",{\"id\":\"b\"},1,"
	                 "null,{\"x\":1},\"\"]}",
	                 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_OK);
	assert_null(next);
	assert_int_equal(json_object_size(set), 2);
	assert_non_null(json_object_get(set, "b"));
	json_decref(doc);
	doc = json_loads("{\"type\":\"Collection\",\"first\":\"http://r/p1\"}", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_OK);
	assert_string_equal(next, "http://r/p1");
	json_decref(doc);
	doc = json_loads("{\"first\":{\"items\":[\"c\"],\"next\":\"http://r/p2\"}}", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_OK);
	assert_string_equal(next, "http://r/p2");
	assert_non_null(json_object_get(set, "c"));
	json_decref(doc);
	doc = json_loads("{\"items\":[],\"next\":{\"id\":\"http://r/p3\"}}", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_OK);
	assert_string_equal(next, "http://r/p3");
	json_decref(doc);
	doc = json_loads("{\"items\":\"a\"}", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_PARSE);
	json_decref(doc);
	doc = json_loads("{\"type\":\"Person\"}", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_PARSE);
	json_decref(doc);
	doc = json_loads("[]", 0, NULL);
	assert_int_equal(fcsync_collection_items(doc, set, &next), SE_PARSE);
	json_decref(doc);
	json_decref(set);
}

static bool follows(const char *er, const char *ee)
{
	struct store_txn *t = NULL;
	struct ffollow fo;
	bool ok;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	ok = ffollow_get(t, str_from(er), str_from(ee), &fo) == SE_OK;
	store_read_end(t);
	return ok;
}

static size_t activities(void)
{
	struct store_txn *t = NULL;
	size_t n = 0;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(store_count(t, FDEL_ACT_COLL, FDEL_ACT_IDX_ALL, &n), SE_OK);
	store_read_end(t);
	return n;
}

static const char *hdr(struct buf *b, const char *coll, const char *url, const char *digest)
{
	buf_reset(b);
	assert_int_equal(fcsync_render(coll, url, digest, b), SE_OK);
	return buf_cstr(b);
}

static enum err check(const char *value, size_t *removed)
{
	struct err_info ei = ERR_INFO_INIT;

	return fcsync_check(&F->fed, STR_LIT(R_ID), str_from(value), 5000000, removed, &ei);
}

static enum err gate_put(struct store_wtxn *w, void *arg)
{
	(void)arg;
	return store_put(w, FCSYNC_COLL, STR_LIT(R_ID), STR_LIT("{\"checked\":4999000}"));
}

static void test_inbound(void **state)
{
	struct buf b = BUF_INIT(FCSYNC_HEADER_MAX);
	struct store_txn *t = NULL;
	struct fcsync_digest d;
	char hex[FCSYNC_DIGEST_HEX + 1];
	struct err_info ei = ERR_INFO_INIT;
	size_t removed = 9, before;
	json_t *listed;

	(void)state;
	/* lucy and mark follow r1, x follows r1 too (not ours), mark's follow of x stays */
	follow(L_ID, R_ID, FFOLLOW_ACCEPTED);
	follow(M_ID, R_ID, FFOLLOW_ACCEPTED);
	follow(X_ID, R_ID, FFOLLOW_ACCEPTED);
	follow(M_ID, X_ID, FFOLLOW_ACCEPTED);
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(fcsync_local_digest(&F->fed, t, STR_LIT(R_ID), &d), SE_OK);
	store_read_end(t);
	fcsync_digest_hex(&d, hex);
	assert_string_equal(hex, D_LM);
	/* checks that end before any fetch */
	assert_int_equal(check("junk", &removed), SE_PARSE);
	assert_int_equal(
	    check(hdr(&b, X_URL "/followers", R_FOL "?domain=local.test", D_ZERO), &removed),
	    SE_OK); /* not r1's collection */
	assert_int_equal(
	    check(hdr(&b, R_FOL, "http://other.test/f?domain=local.test", D_ZERO), &removed),
	    SE_OK); /* the list on another host */
	assert_int_equal(check(hdr(&b, R_FOL, R_FOL "?domain=local.test", D_LM), &removed),
	                 SE_OK); /* in sync */
	assert_int_equal(removed, 0);
	assert_true(follows(L_ID, R_ID) && follows(M_ID, R_ID));
	/* a mismatch within the interval of the last fetch: nothing fetched, nothing ended */
	assert_int_equal(store_write(F->app.store, gate_put, NULL, NULL), SE_OK);
	assert_int_equal(check(hdr(&b, R_FOL, R_FOL "?domain=local.test", D_L), &removed),
	                 SE_RETRY);
	assert_true(follows(L_ID, R_ID) && follows(M_ID, R_ID));
	/* reconcile with a list naming lucy only: mark's follow ends with an Undo{Follow} */
	before = activities();
	listed = json_pack("{s:b, s:b}", L_URL, 1, "http://remote.test/users/zz", 1);
	assert_int_equal(fcsync_reconcile(&F->fed, STR_LIT(R_ID), listed, &removed, &ei), SE_OK);
	assert_int_equal(removed, 1);
	assert_true(follows(L_ID, R_ID));
	assert_false(follows(M_ID, R_ID));
	assert_true(follows(X_ID, R_ID));
	assert_true(follows(M_ID, X_ID));
	assert_int_equal(activities(), before + 1);
	/* again: nothing left to end; our view is now what r1 lists */
	assert_int_equal(fcsync_reconcile(&F->fed, STR_LIT(R_ID), listed, &removed, &ei), SE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(activities(), before + 1);
	assert_int_equal(check(hdr(&b, R_FOL, R_FOL "?domain=local.test", D_L), &removed), SE_OK);
	json_decref(listed);
	/* an empty list ends every local follow */
	listed = json_object();
	assert_int_equal(fcsync_reconcile(&F->fed, STR_LIT(R_ID), listed, &removed, &ei), SE_OK);
	assert_int_equal(removed, 1);
	assert_false(follows(L_ID, R_ID));
	json_decref(listed);
	/* r1 lists mark (pending here: the Accept was lost), lucy (no follow here) and a
	 * local id that is nobody: mark's follow is accepted, lucy's gets an Undo{Follow} */
	follow(M_ID, R_ID, FFOLLOW_PENDING);
	before = activities();
	listed = json_pack("{s:b, s:b, s:b, s:b}", M_URL, 1, L_URL, 1,
	                   BASE "/users/01HZZZZZZZZZZZZZZZZZZZZZZZ", 1, X_URL, 1);
	assert_int_equal(fcsync_reconcile(&F->fed, STR_LIT(R_ID), listed, &removed, &ei), SE_OK);
	assert_int_equal(removed, 2);
	assert_true(follows(M_ID, R_ID));
	{
		struct ffollow fo;

		assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
		assert_int_equal(ffollow_get(t, STR_LIT(M_ID), STR_LIT(R_ID), &fo), SE_OK);
		store_read_end(t);
		assert_int_equal(fo.state, FFOLLOW_ACCEPTED);
	}
	assert_false(follows(L_ID, R_ID));
	assert_int_equal(activities(), before + 1);
	/* once more: mark accepted, lucy still unknown (another Undo, as Mastodon does) */
	assert_int_equal(fcsync_reconcile(&F->fed, STR_LIT(R_ID), listed, &removed, &ei), SE_OK);
	assert_int_equal(removed, 1);
	json_decref(listed);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_digest),   cmocka_unit_test(test_collection_items),
	    cmocka_unit_test(test_outbound), cmocka_unit_test(test_inbound),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
