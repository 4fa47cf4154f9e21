/*
 * tests/unit/federation/test_actor.c: actor documents (Person, Service, the
 * instance Application; every field peers read), the state of a record
 * (live, remote, gone) on a real store, and the NodeInfo usage counts.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/records.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/fed.h"
#include "federation/keys.h"
#include "federation/nodeinfo.h"
#include "storage/store.h"
#include "tests/support/tstore.h"
#include "users/user.h"

static const struct store_coll_def colls[] = {AUTHREC_COLL_DEFS, USER_COLL_DEF, FKEYS_COLL_DEF};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

struct fx {
	struct tstore *t; /* owns the store */
	struct store *s;  /* t->s */
	struct cfg cfg;
	struct fed fed;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->t = tstore_open("actor", &schema);
	f->s = f->t->s;
	cfg_init(&f->cfg);
	assert_int_equal(cfg_finalize_urls(&f->cfg, "chat.example:8443", "chat.example:8444", NULL),
	                 SE_OK);
	f->fed.cfg = &f->cfg;
	f->fed.store = f->s;
	f->fed.base = (char *)"http://chat.example:8443";
	f->fed.host = (char *)"chat.example:8443";
	f->fed.actors = actor_cache_new();
	{
		unsigned char key[32];

		memset(key, 7, sizeof(key));
		assert_int_equal(fkeys_open_with_key(key, f->s, &f->fed.keys, NULL), SE_OK);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	actor_cache_free(f->fed.actors);
	fkeys_close(f->fed.keys);
	cfg_release(&f->cfg);
	tstore_close(f->t);
	free(f);
	return 0;
}

static void make_id(uint64_t ms, uint8_t r, char out[ULID_LEN + 1])
{
	uint8_t rnd[10] = {r, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct ulid u;

	assert_int_equal(ulid_from_parts(ms, rnd, &u), SE_OK);
	ulid_encode(&u, out);
}

struct put_op {
	const char *coll;
	json_t *rec;
};

static enum err put_fn(struct store_wtxn *w, void *arg)
{
	struct put_op *o = arg;
	char *text = jx_dump(o->rec);
	const char *id = json_string_value(json_object_get(o->rec, "_id"));
	enum err rc = store_put(w, o->coll, str_from(id), str_from(text));

	free(text);
	return rc;
}

static void put(struct fx *f, const char *coll, json_t *rec)
{
	struct put_op o = {coll, rec};

	assert_non_null(rec);
	assert_int_equal(store_write(f->s, put_fn, &o, NULL), SE_OK);
	json_decref(rec);
}

static const char *sget(const json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));

	if (!v)
		fail_msg("no string '%s'", key);
	return v;
}

static void test_person(void **state)
{
	struct fx *f = *state;
	struct err_info ei = ERR_INFO_INIT;
	char id[ULID_LEN + 1], want[256];
	json_t *rec, *doc, *ctx;

	make_id(1700000000000ULL, 1, id);
	rec =
	    json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:{s:s, s:s, s:s}}}", "_id",
	              id, "username", "Alice", "discriminator", "0042", "display_name", "Alice <A>",
	              "avatar", "_id", "av1", "tag", "avatars", "content_type", "image/png",
	              "profile", "content", "**hi** <script>x</script>", "background", "_id", "bg1",
	              "tag", "backgrounds", "content_type", "image/jpeg");
	doc = fed_actor_doc(&f->fed, rec, &ei);
	assert_non_null(doc);
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s", id);
	assert_string_equal(sget(doc, "id"), want);
	assert_string_equal(sget(doc, "type"), "Person");
	assert_string_equal(sget(doc, "preferredUsername"), "Alice_0042");
	assert_string_equal(sget(doc, "name"), "Alice <A>");
	assert_non_null(strstr(sget(doc, "summary"), "<strong>hi</strong>"));
	assert_null(strstr(sget(doc, "summary"), "<script"));
	assert_string_equal(sget(doc, "url"), "http://chat.example:8443/@Alice_0042");
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s/inbox", id);
	assert_string_equal(sget(doc, "inbox"), want);
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s/outbox", id);
	assert_string_equal(sget(doc, "outbox"), want);
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s/followers", id);
	assert_string_equal(sget(doc, "followers"), want);
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s/following", id);
	assert_string_equal(sget(doc, "following"), want);
	snprintf(want, sizeof(want), "http://chat.example:8443/users/%s/featured", id);
	assert_string_equal(sget(doc, "featured"), want);
	assert_string_equal(sget(json_object_get(doc, "endpoints"), "sharedInbox"),
	                    "http://chat.example:8443/inbox");
	assert_true(json_is_true(json_object_get(doc, "manuallyApprovesFollowers")));
	assert_true(json_is_true(json_object_get(doc, "discoverable")));
	assert_string_equal(sget(doc, "published"), "2023-11-14T22:13:20.000Z");
	assert_string_equal(sget(json_object_get(doc, "icon"), "url"),
	                    "http://chat.example:8443/autumn/avatars/download/av1");
	assert_string_equal(sget(json_object_get(doc, "icon"), "mediaType"), "image/png");
	assert_string_equal(sget(json_object_get(doc, "icon"), "type"), "Image");
	assert_string_equal(sget(json_object_get(doc, "image"), "url"),
	                    "http://chat.example:8443/autumn/backgrounds/download/bg1");
	{
		const json_t *pk = json_object_get(doc, "publicKey");
		const json_t *am = json_array_get(json_object_get(doc, "assertionMethod"), 0);

		snprintf(want, sizeof(want), "http://chat.example:8443/users/%s#main-key", id);
		assert_string_equal(sget(pk, "id"), want);
		snprintf(want, sizeof(want), "http://chat.example:8443/users/%s", id);
		assert_string_equal(sget(pk, "owner"), want);
		assert_non_null(strstr(sget(pk, "publicKeyPem"), "-----BEGIN PUBLIC KEY-----"));
		assert_string_equal(sget(am, "type"), "Multikey");
		assert_string_equal(sget(am, "controller"), want);
		snprintf(want, sizeof(want), "http://chat.example:8443/users/%s#ed25519-key", id);
		assert_string_equal(sget(am, "id"), want);
		assert_true(strncmp(sget(am, "publicKeyMultibase"), "z6Mk", 4) == 0);
	}
	ctx = json_object_get(doc, "@context");
	assert_true(json_is_array(ctx));
	assert_int_equal(json_array_size(ctx), 4);
	assert_string_equal(json_string_value(json_array_get(ctx, 0)),
	                    "https://www.w3.org/ns/activitystreams");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(ctx, 3), "manuallyApprovesFollowers")),
	    "as:manuallyApprovesFollowers");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(ctx, 3), "assertionMethod"), "@id")),
	                    "https://w3id.org/security#assertionMethod");
	json_decref(doc);

	/* auto-accept, no display name, no profile, hostile avatar tag */
	f->cfg.federation.auto_accept_follows = true;
	json_object_del(rec, "display_name");
	json_object_del(rec, "profile");
	json_object_set_new(json_object_get(rec, "avatar"), "tag", json_string("../x"));
	doc = fed_actor_doc(&f->fed, rec, &ei);
	assert_non_null(doc);
	assert_true(json_is_false(json_object_get(doc, "manuallyApprovesFollowers")));
	assert_string_equal(sget(doc, "name"), "Alice");
	assert_string_equal(sget(doc, "summary"), "");
	assert_null(json_object_get(doc, "icon"));
	assert_null(json_object_get(doc, "image"));
	json_decref(doc);

	/* a bot is a Service */
	json_object_set_new(rec, "bot", json_pack("{s:s}", "owner", id));
	doc = fed_actor_doc(&f->fed, rec, &ei);
	assert_string_equal(sget(doc, "type"), "Service");
	json_decref(doc);

	/* a remote actor's record is not ours to render */
	json_object_set_new(rec, "ap", json_pack("{s:s}", "id", "https://remote.example/u/a"));
	assert_null(fed_actor_doc(&f->fed, rec, &ei));
	json_object_set_new(rec, "_id", json_string("not-a-ulid"));
	json_object_del(rec, "ap");
	assert_null(fed_actor_doc(&f->fed, rec, &ei));
	json_decref(rec);
}

static void test_instance(void **state)
{
	struct fx *f = *state;
	json_t *doc = fed_instance_actor_doc(&f->fed, NULL);

	assert_non_null(doc);
	assert_string_equal(sget(doc, "id"), "http://chat.example:8443/actor");
	assert_string_equal(sget(doc, "type"), "Application");
	assert_string_equal(sget(doc, "preferredUsername"), "chat.example");
	assert_string_equal(sget(doc, "inbox"), "http://chat.example:8443/actor/inbox");
	assert_string_equal(sget(json_object_get(doc, "publicKey"), "id"),
	                    "http://chat.example:8443/actor#main-key");
	json_decref(doc);
}

static enum actor_state state_of(struct fx *f, const char *id)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	enum actor_state st;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(user_load(t, str_from(id), &rec), SE_OK);
	st = actor_state_of(t, rec);
	store_read_end(t);
	json_decref(rec);
	return st;
}

static void test_state(void **state)
{
	struct fx *f = *state;
	char live[27], disabled[27], noacct[27], flagged[27], bot[27], remote[27], sched[27];

	make_id(1700000000000ULL, 1, live);
	make_id(1700000000000ULL, 2, disabled);
	make_id(1700000000000ULL, 3, noacct);
	make_id(1700000000000ULL, 4, flagged);
	make_id(1700000000000ULL, 5, bot);
	make_id(1700000000000ULL, 6, remote);
	make_id(1700000000000ULL, 7, sched);
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s}", "_id", live, "username", "a", "discriminator", "0001"));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s, s:b}", "_id", live, "disabled", 0));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s}", "_id", disabled, "username", "b", "discriminator",
	              "0001"));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s, s:b}", "_id", disabled, "disabled", 1));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s}", "_id", noacct, "username", "c", "discriminator", "0001"));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s, s:i}", "_id", flagged, "username", "d", "discriminator",
	              "0001", "flags", 2));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s, s:b}", "_id", flagged, "disabled", 0));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s, s:{s:s}}", "_id", bot, "username", "e", "discriminator",
	              "0001", "bot", "owner", live));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s, s:{s:s}}", "_id", remote, "username", "f@remote.example",
	              "discriminator", "0001", "ap", "id", "https://remote.example/f"));
	put(f, USER_COLL,
	    json_pack("{s:s, s:s, s:s}", "_id", sched, "username", "g", "discriminator", "0001"));
	put(f, AUTHREC_ACCOUNTS,
	    json_pack("{s:s, s:b, s:{s:s}}", "_id", sched, "disabled", 0, "deletion", "status",
	              "Scheduled"));
	assert_int_equal(state_of(f, live), ACTOR_LIVE);
	assert_int_equal(state_of(f, disabled), ACTOR_GONE);
	assert_int_equal(state_of(f, noacct), ACTOR_GONE);
	assert_int_equal(state_of(f, flagged), ACTOR_GONE);
	assert_int_equal(state_of(f, bot), ACTOR_LIVE);
	assert_int_equal(state_of(f, remote), ACTOR_REMOTE);
	assert_int_equal(state_of(f, sched), ACTOR_GONE);
}

static void session(struct fx *f, const char *sid, const char *user, int64_t ms)
{
	char iso[32];

	authrec_iso8601(ms, iso);
	put(f, AUTHREC_SESSIONS,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "_id", sid, "user_id", user, "token_hash", sid,
	              "name", "t", "last_seen", iso));
}

static void test_nodeinfo_count(void **state)
{
	struct fx *f = *state;
	const int64_t day = 24LL * 3600 * 1000, now = 1800000000000LL;
	char a[27], b[27], c[27], d[27];
	struct nodeinfo_usage u;

	assert_int_equal(nodeinfo_count(f->s, now, &u, NULL), SE_OK);
	assert_int_equal(u.total, 0);
	assert_int_equal(u.active_month, 0);
	make_id(1700000000000ULL, 11, a);
	make_id(1700000000000ULL, 12, b);
	make_id(1700000000000ULL, 13, c);
	make_id(1700000000000ULL, 14, d);
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s}", "_id", a));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s}", "_id", b));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s}", "_id", c));
	put(f, AUTHREC_ACCOUNTS, json_pack("{s:s}", "_id", d));
	/* a: an old session and a fresh one; b: 60 days; c: 400 days; d: none */
	session(f, "s1", a, now - 300 * day);
	session(f, "s2", a, now - 1 * day);
	session(f, "s3", b, now - 60 * day);
	session(f, "s4", c, now - 400 * day);
	assert_int_equal(nodeinfo_count(f->s, now, &u, NULL), SE_OK);
	assert_int_equal(u.total, 4);
	assert_int_equal(u.active_month, 1);
	assert_int_equal(u.active_halfyear, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_person, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_instance, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nodeinfo_count, setup, teardown),
	};

	jx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
