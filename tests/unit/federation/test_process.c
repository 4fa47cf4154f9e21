/*
 * tests/unit/federation/test_process.c: fproc_handle on a real store, with
 * a local user and a remote one, against hostile and replayed activities:
 * Follow of nobody / of a local user (twice), Accept and Undo by the wrong
 * actor, Block, a public Note, a direct Note with script and a forged
 * mention (twice, under two Create ids), Update and Delete by someone else
 * and by the author, Like and its Undo by id, an EmojiReact with a custom
 * emoji, garbage. Nothing here touches the network: deliveries are only
 * queued (no workers run).
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
#include "channels/channel.h"
#include "channels/sync.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/mapping_int.h"
#include "federation/objmap.h"
#include "federation/outbox.h"
#include "federation/prefs.h"
#include "federation/process.h"
#include "messages/message.h"
#include "storage/record.h"
#include "storage/store.h"
#include "users/user.h"

#define BASE "http://local.test"
#define L_ID "01HAAAAAAAAAAAAAAAAAAAAAAA"
#define R_ID "01HBBBBBBBBBBBBBBBBBBBBBBB"
#define X_ID "01HCCCCCCCCCCCCCCCCCCCCCCC"
#define M_ID "01HDDDDDDDDDDDDDDDDDDDDDDD"
#define M_URL BASE "/users/" M_ID
#define L_URL BASE "/users/" L_ID
#define R_URL "http://remote.test/users/r"
#define X_URL "http://other.test/users/x"

struct fx {
	char dir[64];
	struct cfg cfg;
	struct app app;
	struct fed fed;
};

static struct fx *F;

static enum err add_user(struct store_wtxn *w, void *arg)
{
	const char *const *u = arg; /* id, username, ap id or NULL, host, relation to L */
	json_t *rec = user_record_new(str_from(u[0]), str_from(u[1]), "0001");
	char *text;
	enum err rc;

	if (u[2])
		json_object_set_new(rec, "ap",
		                    json_pack("{s:s, s:s, s:s, s:s}", "id", u[2], "inbox", u[2],
		                              "shared_inbox", u[2], "host", u[3]));
	text = jx_dump(rec);
	rc = store_create(w, USER_COLL, str_from(u[0]), str_from(text));
	mem_free(text);
	json_decref(rec);
	return rc;
}

static int setup(void **state)
{
	static const char *const users[][4] = {
	    {L_ID, "lucy", NULL, NULL},
	    {R_ID, "rem@remote.test", R_URL, "remote.test"},
	    {X_ID, "x@other.test", X_URL, "other.test"},
	    {M_ID, "mark", NULL, NULL},
	};
	struct store_opts o = {.no_sync = true};

	F = xcalloc(1, sizeof(*F));
	memcpy(F->dir, "/tmp/sol-fproc-XXXXXX", 22);
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
	for (size_t i = 0; i < 4; i++)
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

/* Runs activity `text` as sent by user `sender` to the inbox of `to` (NULL: shared). */
static enum err run_to(const char *sender, const char *to, const char *text)
{
	struct err_info ei = ERR_INFO_INIT;
	json_t *doc = json_loads(text, 0, NULL);
	struct fproc_in in = {doc, sender, to, 1000};
	enum err rc;

	assert_non_null(doc);
	rc = fproc_handle(&F->fed, &in, &ei);
	json_decref(doc);
	return rc;
}

static enum err run(const char *sender, const char *text)
{
	return run_to(sender, NULL, text);
}

static enum perm_relationship rel(const char *who, const char *other)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	enum perm_relationship r;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(user_load(t, str_from(who), &rec), SE_OK);
	store_read_end(t);
	r = user_relation(rec, other);
	json_decref(rec);
	return r;
}

static bool follows(const char *er, const char *ee, enum ffollow_state *st)
{
	struct store_txn *t = NULL;
	struct ffollow fo;
	bool ok;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	ok = ffollow_get(t, str_from(er), str_from(ee), &fo) == SE_OK;
	store_read_end(t);
	if (ok && st)
		*st = fo.state;
	return ok;
}

#define ACT(type, id, actor, obj)                                                                  \
	"{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"type\":\"" type                 \
	"\",\"id\":\"" id "\",\"actor\":\"" actor "\",\"object\":" obj "}"

static void test_follows(void **state)
{
	enum ffollow_state st;

	(void)state;
	/* a Follow of nobody we know changes nothing */
	assert_int_equal(run(R_ID, ACT("Follow", "http://remote.test/f/0", R_URL,
	                               "\"" BASE "/users/01HZZZZZZZZZZZZZZZZZZZZZZZ\"")),
	                 SE_OK);
	assert_int_equal(run(R_ID, ACT("Follow", "http://remote.test/f/00", R_URL,
	                               "\"http://elsewhere.test/users/a\"")),
	                 SE_OK);
	assert_false(follows(R_ID, L_ID, NULL));
	/* a Follow of lucy: an incoming friend request; the replay changes nothing */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		    run(R_ID, ACT("Follow", "http://remote.test/f/1", R_URL, "\"" L_URL "\"")),
		    SE_OK);
		assert_true(follows(R_ID, L_ID, &st));
		assert_int_equal(st, FFOLLOW_PENDING);
		assert_int_equal(rel(L_ID, R_ID), PERM_REL_INCOMING);
		assert_int_equal(rel(R_ID, L_ID), PERM_REL_OUTGOING);
	}
	/* someone else cannot undo R's follow */
	assert_int_equal(run(X_ID, ACT("Undo", "http://other.test/u/1", X_URL,
	                               "{\"type\":\"Follow\",\"id\":\"http://remote.test/f/1\","
	                               "\"actor\":\"" R_URL "\",\"object\":\"" L_URL "\"}")),
	                 SE_OK);
	assert_true(follows(R_ID, L_ID, NULL));
	/* lucy accepts locally (what PUT /users/{R}/friend does on the AP side) */
	assert_int_equal(fout_accept_follow(&F->fed, STR_LIT(L_ID), STR_LIT(R_ID), NULL), SE_OK);
	assert_true(follows(R_ID, L_ID, &st));
	assert_int_equal(st, FFOLLOW_ACCEPTED);
	assert_int_equal(fout_follow(&F->fed, STR_LIT(L_ID), STR_LIT(R_ID), NULL), SE_OK);
	assert_true(follows(L_ID, R_ID, &st));
	assert_int_equal(st, FFOLLOW_PENDING);
	/* an Accept from a third party is not R's answer */
	assert_int_equal(run(X_ID, ACT("Accept", "http://other.test/a/1", X_URL,
	                               "{\"type\":\"Follow\",\"actor\":\"" L_URL
	                               "\",\"object\":\"" R_URL "\"}")),
	                 SE_OK);
	assert_true(follows(L_ID, R_ID, &st));
	assert_int_equal(st, FFOLLOW_PENDING);
	/* R's Accept (embedded Follow without id, found by the pair): both follow: Friend */
	assert_int_equal(run(R_ID, ACT("Accept", "http://remote.test/a/1", R_URL,
	                               "{\"type\":\"Follow\",\"actor\":\"" L_URL
	                               "\",\"object\":\"" R_URL "\"}")),
	                 SE_OK);
	assert_true(follows(L_ID, R_ID, &st));
	assert_int_equal(st, FFOLLOW_ACCEPTED);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_FRIEND);
	assert_int_equal(rel(R_ID, L_ID), PERM_REL_FRIEND);
}

/* The messages of the DM between local user `local` and R (new reference, oldest first). */
static json_t *dm_messages_of(const char *local)
{
	struct store_txn *t = NULL;
	struct store_hit hits[16];
	struct store_range r;
	char key[64];
	size_t len, n = 0, nm = 0;
	struct str id;
	json_t *out = json_array(), *ch = NULL;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(channel_dm_key(str_from(local), STR_LIT(R_ID), key, &len), SE_OK);
	if (store_index_find(t, CHANNEL_COLL, CHANNEL_IDX_DM, (struct str){key, len}, &id, 1, &n,
	                     NULL) == SE_OK &&
	    n == 1 && channel_load(t, id, &ch) == SE_OK) {
		char prefix[40];

		snprintf(prefix, sizeof(prefix), "%s/",
		         json_string_value(json_object_get(ch, "_id")));
		r = (struct store_range){str_from(prefix), STR_NULL, STR_NULL, STORE_ASC};
		assert_int_equal(store_index_scan(t, MSG_COLL, MSG_IDX_CHANNEL, &r, hits, 16, &nm),
		                 SE_OK);
		for (size_t i = 0; i < nm; i++) {
			json_t *m = NULL;

			assert_int_equal(msg_load(t, hits[i].id, &m), SE_OK);
			json_array_append_new(out, m);
		}
	}
	store_read_end(t);
	json_decref(ch);
	return out;
}

static json_t *dm_messages(void)
{
	return dm_messages_of(L_ID);
}

#define NOTE(id, to, content)                                                                      \
	"{\"type\":\"Note\",\"id\":\"" id "\",\"attributedTo\":\"" R_URL "\",\"to\":[" to          \
	"],\"content\":\"" content "\"}"

static enum err put_user_map(struct store_wtxn *w, void *arg)
{
	(void)arg;
	return fmap_put(w, STR_LIT("http://remote.test/users/carol"), "user", STR_LIT(X_ID));
}

/* A Note's id must be on its sender's host, and never replaces an actor's mapping. */
static void spoofed_ids(void)
{
	struct store_txn *t = NULL;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	json_t *msgs;
	size_t before;

	msgs = dm_messages();
	before = json_array_size(msgs);
	json_decref(msgs);
	assert_int_equal(store_write(F->app.store, put_user_map, NULL, NULL), SE_OK);
	/* an id on another host: ignored */
	assert_int_equal(run(R_ID, ACT("Create", "http://remote.test/c/7", R_URL,
	                               NOTE("http://other.test/n/7", "\"" L_URL "\"", "spoof"))),
	                 SE_OK);
	/* an id of a known actor on the sender's host: the actor stays mapped as a user */
	assert_int_equal(
	    run(R_ID, ACT("Create", "http://remote.test/c/8", R_URL,
	                  NOTE("http://remote.test/users/carol", "\"" L_URL "\"", "claim"))),
	    SE_OK);
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(fmap_get(t, STR_LIT("http://remote.test/users/carol"), kind, local),
	                 SE_OK);
	store_read_end(t);
	assert_string_equal(kind, "user");
	assert_string_equal(local, X_ID);
	msgs = dm_messages();
	for (size_t i = 0; i < json_array_size(msgs); i++)
		assert_null(
		    strstr(json_string_value(json_object_get(json_array_get(msgs, i), "content")),
		           "spoof"));
	assert_true(json_array_size(msgs) <= before + 1);
	json_decref(msgs);
}

static void test_notes(void **state)
{
	json_t *msgs, *m;
	const char *c;

	test_follows(state); /* friends first: Revolt lets only friends DM */
	/* public: no timeline here */
	assert_int_equal(
	    run(R_ID, ACT("Create", "http://remote.test/c/0", R_URL,
	                  NOTE("http://remote.test/n/0",
	                       "\"https://www.w3.org/ns/activitystreams#Public\", \"" L_URL "\"",
	                       "public"))),
	    SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 0);
	json_decref(msgs);
	/* direct, with a script and a forged mass mention; sent twice under two Create ids */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run(R_ID, i ? ACT("Create", "http://remote.test/c/2", R_URL,
		                                   NOTE("http://remote.test/n/1", "\"" L_URL "\"",
		                                        "<p>hi <a href=\\\"" L_URL
		                                        "\\\" class=\\\"mention\\\">@lucy</a> "
		                                        "<script>alert(1)</script>@everyone</p>"))
		                             : ACT("Create", "http://remote.test/c/1", R_URL,
		                                   NOTE("http://remote.test/n/1", "\"" L_URL "\"",
		                                        "<p>hi <a href=\\\"" L_URL
		                                        "\\\" class=\\\"mention\\\">@lucy</a> "
		                                        "<script>alert(1)</script>@everyone</p>"))),
		                 SE_OK);
	}
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 1);
	m = json_array_get(msgs, 0);
	c = json_string_value(json_object_get(m, "content"));
	assert_non_null(c);
	assert_null(strstr(c, "script"));
	assert_null(strstr(c, "alert"));
	assert_null(strstr(c, "@everyone"));
	assert_non_null(strstr(c, "<@" L_ID ">"));
	assert_string_equal(json_string_value(json_object_get(m, "author")), R_ID);
	json_decref(msgs);
	/* Update and Delete by someone else do nothing */
	assert_int_equal(run(X_ID, ACT("Update", "http://other.test/u/9", X_URL,
	                               "{\"type\":\"Note\",\"id\":\"http://remote.test/n/1\","
	                               "\"attributedTo\":\"" X_URL "\",\"content\":\"pwned\"}")),
	                 SE_OK);
	assert_int_equal(
	    run(X_ID, ACT("Delete", "http://other.test/d/9", X_URL, "\"http://remote.test/n/1\"")),
	    SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 1);
	assert_null(strstr(json_string_value(json_object_get(json_array_get(msgs, 0), "content")),
	                   "pwned"));
	json_decref(msgs);
	/* the author's Update edits it */
	assert_int_equal(
	    run(R_ID, ACT("Update", "http://remote.test/u/1", R_URL,
	                  NOTE("http://remote.test/n/1", "\"" L_URL "\"", "<p>edited</p>"))),
	    SE_OK);
	msgs = dm_messages();
	m = json_array_get(msgs, 0);
	assert_string_equal(json_string_value(json_object_get(m, "content")), "edited");
	assert_non_null(json_object_get(m, "edited"));
	json_decref(msgs);
	/* Like -> the default emoji; a custom emoji falls back to it; Undo by id removes it */
	assert_int_equal(
	    run(R_ID, ACT("Like", "http://remote.test/l/1", R_URL, "\"http://remote.test/n/1\"")),
	    SE_OK);
	msgs = dm_messages();
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(json_array_get(msgs, 0), "reactions"),
	                                    FPROC_LIKE_EMOJI)),
	    1);
	json_decref(msgs);
	assert_int_equal(
	    run(R_ID, ACT("Undo", "http://remote.test/ul/1", R_URL, "\"http://remote.test/l/1\"")),
	    SE_OK);
	msgs = dm_messages();
	assert_null(json_object_get(json_object_get(json_array_get(msgs, 0), "reactions"),
	                            FPROC_LIKE_EMOJI));
	json_decref(msgs);
	/* addressed only to R's followers: nobody here via the shared inbox... */
	assert_int_equal(run(R_ID, ACT("Create", "http://remote.test/c/4", R_URL,
	                               NOTE("http://remote.test/n/4", "\"" R_URL "/followers\"",
	                                    "to followers"))),
	                 SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 1);
	json_decref(msgs);
	/* ...but POSTed to lucy's own inbox it is hers (bto/bcc stripped in transit) */
	assert_int_equal(
	    run_to(R_ID, L_ID,
	           ACT("Create", "http://remote.test/c/5", R_URL,
	               NOTE("http://remote.test/n/4", "\"" R_URL "/followers\"", "to followers"))),
	    SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 2);
	json_decref(msgs);
	assert_int_equal(
	    run(R_ID, ACT("Delete", "http://remote.test/d/4", R_URL, "\"http://remote.test/n/4\"")),
	    SE_OK);
	/* Mastodon links mentions to the profile page, not the actor */
	assert_int_equal(run(R_ID, ACT("Create", "http://remote.test/c/3", R_URL,
	                               NOTE("http://remote.test/n/3", "\"" L_URL "\"",
	                                    "<p><span class=\\\"h-card\\\"><a href=\\\"" BASE
	                                    "/@lucy_0001\\\" class=\\\"u-url mention\\\">@<span>"
	                                    "lucy_0001</span></a></span> yo</p>"))),
	                 SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 2);
	c = json_string_value(json_object_get(json_array_get(msgs, 1), "content"));
	assert_non_null(c);
	assert_non_null(strstr(c, "<@" L_ID ">"));
	json_decref(msgs);
	assert_int_equal(
	    run(R_ID, ACT("Delete", "http://remote.test/d/3", R_URL, "\"http://remote.test/n/3\"")),
	    SE_OK);
	/* the author's Delete deletes it; a second Delete does nothing */
	for (int i = 0; i < 2; i++)
		assert_int_equal(run(R_ID, ACT("Delete", "http://remote.test/d/1", R_URL,
		                               "{\"type\":\"Tombstone\",\"id\":"
		                               "\"http://remote.test/n/1\"}")),
		                 SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 0);
	json_decref(msgs);
	/* a Markdown source keeps its formatting but never its mentions or mass pings */
	assert_int_equal(run(R_ID, ACT("Create", "http://remote.test/c/6", R_URL,
	                               "{\"type\":\"Note\",\"id\":\"http://remote.test/n/6\","
	                               "\"attributedTo\":\"" R_URL "\",\"to\":[\"" L_URL "\"],"
	                               "\"content\":\"<p>x</p>\",\"source\":{\"content\":"
	                               "\"<@" L_ID "> **bold** @everyone\",\"mediaType\":"
	                               "\"text/markdown\"}}")),
	                 SE_OK);
	msgs = dm_messages();
	assert_int_equal(json_array_size(msgs), 1);
	c = json_string_value(json_object_get(json_array_get(msgs, 0), "content"));
	assert_non_null(c);
	assert_non_null(strstr(c, "**bold**"));
	assert_null(strstr(c, "<@" L_ID ">"));
	assert_null(strstr(c, "@everyone"));
	json_decref(msgs);
	spoofed_ids();
}

/* Users `a` and `b` become friends (as accepting a friend request leaves them). */
static enum err friends_fn(struct store_wtxn *w, void *arg)
{
	const char *const *ab = arg;
	struct store_txn *t = store_wtxn_read(w);
	json_t *a = NULL, *b = NULL;
	enum err rc;

	rc = user_load(t, str_from(ab[0]), &a);
	if (!rc)
		rc = user_load(t, str_from(ab[1]), &b);
	if (!rc)
		rc = user_relation_set(a, ab[1], PERM_REL_FRIEND);
	if (!rc)
		rc = user_relation_set(b, ab[0], PERM_REL_FRIEND);
	if (!rc)
		rc = user_save(w, a);
	if (!rc)
		rc = user_save(w, b);
	json_decref(a);
	json_decref(b);
	return rc;
}

static const char *content_of(json_t *msgs, size_t i)
{
	return json_string_value(json_object_get(json_array_get(msgs, i), "content"));
}

/*
 * A Note to two local users: one message in each DM; the author's Update
 * edits both copies, someone else's does nothing, a reply by the second
 * recipient names the Note, the author's Delete removes both.
 */
static void test_note_to_several(void **state)
{
	static const char *const lr[2] = {L_ID, R_ID}, *const mr[2] = {M_ID, R_ID};
	json_t *l, *m;

	(void)state;
	assert_int_equal(store_write(F->app.store, friends_fn, (void *)lr, NULL), SE_OK);
	assert_int_equal(store_write(F->app.store, friends_fn, (void *)mr, NULL), SE_OK);
	/* replayed under a second Create id: still one copy each */
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    run(R_ID, ACT("Create", "http://remote.test/c/s1", R_URL,
		                  NOTE("http://remote.test/n/s1", "\"" L_URL "\", \"" M_URL "\"",
		                       "<p>to both</p>"))),
		    SE_OK);
	l = dm_messages_of(L_ID);
	m = dm_messages_of(M_ID);
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(content_of(l, 0), "to both");
	assert_string_equal(content_of(m, 0), "to both");
	json_decref(l);
	json_decref(m);
	/* someone else's Update changes neither copy */
	assert_int_equal(run(X_ID, ACT("Update", "http://other.test/u/s1", X_URL,
	                               "{\"type\":\"Note\",\"id\":\"http://remote.test/n/s1\","
	                               "\"attributedTo\":\"" X_URL "\",\"content\":\"pwned\"}")),
	                 SE_OK);
	m = dm_messages_of(M_ID);
	assert_string_equal(content_of(m, 0), "to both");
	json_decref(m);
	/* the author's Update edits every copy */
	assert_int_equal(run(R_ID, ACT("Update", "http://remote.test/u/s1", R_URL,
	                               NOTE("http://remote.test/n/s1",
	                                    "\"" L_URL "\", \"" M_URL "\"", "<p>edited</p>"))),
	                 SE_OK);
	l = dm_messages_of(L_ID);
	m = dm_messages_of(M_ID);
	assert_string_equal(content_of(l, 0), "edited");
	assert_string_equal(content_of(m, 0), "edited");
	assert_non_null(json_object_get(json_array_get(m, 0), "edited"));
	/* the second copy knows its Note id (a reply from mark names it in inReplyTo) */
	{
		struct store_txn *t = NULL;
		struct arena a;
		const char *id;

		arena_init(&a, 4096);
		assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
		id = fout_note_id(&F->fed, t, json_array_get(m, 0), &a);
		assert_non_null(id);
		assert_string_equal(id, "http://remote.test/n/s1");
		id = fout_note_id(&F->fed, t, json_array_get(l, 0), &a);
		assert_non_null(id);
		assert_string_equal(id, "http://remote.test/n/s1");
		store_read_end(t);
		arena_release(&a);
	}
	json_decref(l);
	json_decref(m);
	/* someone else's Delete: both stay; the author's: both go */
	assert_int_equal(run(X_ID, ACT("Delete", "http://other.test/d/s1", X_URL,
	                               "\"http://remote.test/n/s1\"")),
	                 SE_OK);
	m = dm_messages_of(M_ID);
	assert_int_equal(json_array_size(m), 1);
	json_decref(m);
	assert_int_equal(run(R_ID, ACT("Delete", "http://remote.test/d/s1", R_URL,
	                               "\"http://remote.test/n/s1\"")),
	                 SE_OK);
	l = dm_messages_of(L_ID);
	m = dm_messages_of(M_ID);
	assert_int_equal(json_array_size(l), 0);
	assert_int_equal(json_array_size(m), 0);
	json_decref(l);
	json_decref(m);
	/* the mappings went with them: a later Update finds nothing */
	assert_int_equal(run(R_ID, ACT("Update", "http://remote.test/u/s2", R_URL,
	                               NOTE("http://remote.test/n/s1", "\"" M_URL "\"", "again"))),
	                 SE_OK);
	m = dm_messages_of(M_ID);
	assert_int_equal(json_array_size(m), 0);
	json_decref(m);
}

static bool has_dm(const char *a, const char *b)
{
	struct store_txn *t = NULL;
	char key[64];
	size_t len, n = 0;
	struct str id;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(channel_dm_key(str_from(a), str_from(b), key, &len), SE_OK);
	assert_int_equal(store_index_find(t, CHANNEL_COLL, CHANNEL_IDX_DM, (struct str){key, len},
	                                  &id, 1, &n, NULL),
	                 SE_OK);
	store_read_end(t);
	return n == 1;
}

static void test_block_and_garbage(void **state)
{
	(void)state;
	/* a stranger's direct Note: Revolt lets only friends DM; not even the channel is made */
	assert_int_equal(run(X_ID, ACT("Create", "http://other.test/c/1", X_URL,
	                               "{\"type\":\"Note\",\"id\":\"http://other.test/n/1\","
	                               "\"attributedTo\":\"" X_URL "\",\"to\":[\"" L_URL
	                               "\"],\"content\":\"spam\"}")),
	                 SE_OK);
	assert_false(has_dm(L_ID, X_ID));
	assert_int_equal(run(R_ID, ACT("Block", "http://remote.test/b/1", R_URL, "\"" L_URL "\"")),
	                 SE_OK);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_BLOCKED_OTHER);
	assert_int_equal(rel(R_ID, L_ID), PERM_REL_BLOCKED);
	/* a blocked user's Follow is not recorded */
	assert_int_equal(run(R_ID, ACT("Undo", "http://remote.test/ub/1", R_URL,
	                               "{\"type\":\"Block\",\"id\":\"http://remote.test/b/1\","
	                               "\"actor\":\"" R_URL "\",\"object\":\"" L_URL "\"}")),
	                 SE_OK);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_NONE);
	/* garbage and unknown types */
	assert_int_equal(run(R_ID, "{\"type\":\"Follow\"}"), SE_PARSE);
	assert_int_equal(run(R_ID, "[]"), SE_PARSE);
	assert_int_equal(run(R_ID, ACT("Frobnicate", "http://remote.test/z/1", R_URL, "\"x\"")),
	                 SE_OK);
	assert_int_equal(run(R_ID, ACT("Announce", "http://remote.test/z/2", R_URL,
	                               "\"http://remote.test/n/1\"")),
	                 SE_OK);
}

/* lucy blocks R, as PUT /users/{R}/block leaves the records. */
static enum err block_fn(struct store_wtxn *w, void *arg)
{
	struct store_txn *t = store_wtxn_read(w);
	json_t *l = NULL, *r = NULL;
	enum err rc;

	(void)arg;
	rc = user_load(t, STR_LIT(L_ID), &l);
	if (!rc)
		rc = user_load(t, STR_LIT(R_ID), &r);
	if (!rc)
		rc = user_relation_set(l, R_ID, PERM_REL_BLOCKED);
	if (!rc)
		rc = user_relation_set(r, L_ID, PERM_REL_BLOCKED_OTHER);
	if (!rc)
		rc = user_save(w, l);
	if (!rc)
		rc = user_save(w, r);
	json_decref(l);
	json_decref(r);
	return rc;
}

/* auto_accept_follows: accepted at once, still a friend request; Undo by the follower ends it. */
static void test_auto_accept_and_undo(void **state)
{
	enum ffollow_state st;

	(void)state;
	F->cfg.federation.auto_accept_follows = true;
	assert_int_equal(run(R_ID, ACT("Follow", "http://remote.test/f/7", R_URL, "\"" L_URL "\"")),
	                 SE_OK);
	assert_true(follows(R_ID, L_ID, &st));
	assert_int_equal(st, FFOLLOW_ACCEPTED);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_INCOMING);
	/* Undo by id only (the Follow's id) from the follower */
	assert_int_equal(
	    run(R_ID, ACT("Undo", "http://remote.test/uf/7", R_URL, "\"http://remote.test/f/7\"")),
	    SE_OK);
	assert_false(follows(R_ID, L_ID, NULL));
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_NONE);
	assert_int_equal(rel(R_ID, L_ID), PERM_REL_NONE);
	/* a Follow while lucy blocks R is not recorded (REST sets the relation, then fout_block) */
	assert_int_equal(store_write(F->app.store, block_fn, NULL, NULL), SE_OK);
	assert_int_equal(fout_block(&F->fed, STR_LIT(L_ID), STR_LIT(R_ID), NULL), SE_OK);
	assert_int_equal(run(R_ID, ACT("Follow", "http://remote.test/f/8", R_URL, "\"" L_URL "\"")),
	                 SE_OK);
	assert_false(follows(R_ID, L_ID, NULL));
}

struct pref_set {
	const char *user, *key, *text;
};

static enum err pref_fn(struct store_wtxn *w, void *arg)
{
	const struct pref_set *p = arg;
	json_t *values = json_pack("{s:s}", p->key, p->text), *applied = NULL;
	enum err rc = sync_settings_set(w, str_from(p->user), values, 1, &applied);

	json_decref(values);
	json_decref(applied);
	return rc;
}

/* `user` stores `text` under solstice:federation (as POST /sync/settings/set would). */
static void set_pref(const char *user, const char *text)
{
	struct pref_set p = {user, FPREFS_KEY, text};

	assert_int_equal(store_write(F->app.store, pref_fn, &p, NULL), SE_OK);
}

static bool effective(const char *user, bool dflt)
{
	struct store_txn *t = NULL;
	bool v;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	v = fprefs_auto_accept(t, str_from(user), dflt);
	store_read_end(t);
	return v;
}

/* Instance default off: lucy's own setting accepts at once, mark (never set) gets a request. */
static void test_user_auto_accept_on(void **state)
{
	enum ffollow_state st;

	(void)state;
	F->cfg.federation.auto_accept_follows = false;
	set_pref(L_ID, "{\"auto_accept_follows\":true,\"future\":[1]}");
	assert_true(effective(L_ID, false));
	assert_false(effective(M_ID, false));
	assert_int_equal(
	    run(R_ID, ACT("Follow", "http://remote.test/f/u1", R_URL, "\"" L_URL "\"")), SE_OK);
	assert_true(follows(R_ID, L_ID, &st));
	assert_int_equal(st, FFOLLOW_ACCEPTED);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_INCOMING);
	assert_int_equal(run(X_ID, ACT("Follow", "http://other.test/f/u2", X_URL, "\"" M_URL "\"")),
	                 SE_OK);
	assert_true(follows(X_ID, M_ID, &st));
	assert_int_equal(st, FFOLLOW_PENDING);
	assert_int_equal(rel(M_ID, X_ID), PERM_REL_INCOMING);
	/* lucy turns it off again: the next follower waits */
	set_pref(L_ID, "{\"auto_accept_follows\":false}");
	assert_int_equal(run(X_ID, ACT("Follow", "http://other.test/f/u3", X_URL, "\"" L_URL "\"")),
	                 SE_OK);
	assert_true(follows(X_ID, L_ID, &st));
	assert_int_equal(st, FFOLLOW_PENDING);
}

/* Instance default on: lucy's "false" wins; mark's missing or malformed setting gives the default.
 */
static void test_user_auto_accept_off(void **state)
{
	enum ffollow_state st;

	(void)state;
	F->cfg.federation.auto_accept_follows = true;
	set_pref(L_ID, "{\"auto_accept_follows\":false}");
	assert_false(effective(L_ID, true));
	assert_true(effective(M_ID, true));
	assert_int_equal(
	    run(R_ID, ACT("Follow", "http://remote.test/f/o1", R_URL, "\"" L_URL "\"")), SE_OK);
	assert_true(follows(R_ID, L_ID, &st));
	assert_int_equal(st, FFOLLOW_PENDING);
	/* stored behind the API's back: a wrong type, not JSON, not an object: the default */
	set_pref(M_ID, "{\"auto_accept_follows\":\"no\"}");
	assert_true(effective(M_ID, true));
	assert_false(effective(M_ID, false));
	set_pref(M_ID, "{\"auto_accept_follows\":fals");
	assert_true(effective(M_ID, true));
	set_pref(M_ID, "[false]");
	assert_true(effective(M_ID, true));
	set_pref(M_ID, "{}");
	assert_true(effective(M_ID, true));
	assert_int_equal(run(X_ID, ACT("Follow", "http://other.test/f/o2", X_URL, "\"" M_URL "\"")),
	                 SE_OK);
	assert_true(follows(X_ID, M_ID, &st));
	assert_int_equal(st, FFOLLOW_ACCEPTED);
	/* another key whose value names ours (the fast path's false positive): the default */
	struct pref_set other = {X_ID, "theme", "\"" FPREFS_KEY "\""};

	assert_int_equal(store_write(F->app.store, pref_fn, &other, NULL), SE_OK);
	assert_true(effective(X_ID, true));
	assert_false(effective(X_ID, false));
	/* a key that ends in our name (stored as "x\"solstice:federation"): not ours */
	struct pref_set crafted = {X_ID, "x\"" FPREFS_KEY, "{\"auto_accept_follows\":true}"};

	assert_int_equal(store_write(F->app.store, pref_fn, &crafted, NULL), SE_OK);
	assert_false(effective(X_ID, false));
	set_pref(X_ID, "{\"auto_accept_follows\":true}");
	assert_true(effective(X_ID, false));
}

/* fprefs_parse on hostile text. */
static void test_prefs_parse(void **state)
{
	static const char *const bad[] = {
	    "",
	    "null",
	    "true",
	    "[]",
	    "\"{}\"",
	    "{\"auto_accept_follows\":1}",
	    "{\"auto_accept_follows\":null}",
	    "{\"auto_accept_follows\":\"true\"}",
	    "{\"auto_accept_follows\":true",
	    "{\"auto_accept_follows\":true}x",
	    "{\"a\":\"\\ud800\"}",
	};
	struct err_info ei = {0};
	struct fprefs p;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0xff, sizeof(p));
		assert_int_equal(fprefs_parse(str_from(bad[i]), &p, &ei), SE_PARSE);
		assert_false(p.has_auto_accept);
	}
	assert_int_equal(fprefs_parse(STR_LIT("{\"auto_accept_follows\":true}"), &p, NULL), SE_OK);
	assert_true(p.has_auto_accept && p.auto_accept);
	assert_int_equal(
	    fprefs_parse(STR_LIT("{\"auto_accept_follows\":false,\"x\":{}}"), &p, NULL), SE_OK);
	assert_true(p.has_auto_accept && !p.auto_accept);
	assert_int_equal(fprefs_parse(STR_LIT(" {} "), &p, NULL), SE_OK);
	assert_false(p.has_auto_accept);
	/* the record scan: only a top-level key counts, junk gives the default */
	assert_true(fprefs_from_record(STR_LIT("{\"a\":[1,\"x\"],\"" FPREFS_KEY
	                                       "\":[2,\"{\\\"auto_accept_follows\\\":true}\"]}"),
	                               false));
	assert_false(fprefs_from_record(
	    STR_LIT("{\"a\":[1,\"\\\"" FPREFS_KEY "\\\":[2,\\\"{}\\\"]\"]}"), false));
	assert_false(fprefs_from_record(
	    STR_LIT("\"" FPREFS_KEY "\":[2,\"{\\\"auto_accept_follows\\\":true}\"]"), false));
	assert_false(fprefs_from_record(STR_LIT("{\"" FPREFS_KEY "\":"), false));
	assert_false(fprefs_from_record(STR_LIT("{\"" FPREFS_KEY "\":[2,7]}"), false));
	assert_true(fprefs_from_record(STR_LIT("{\"" FPREFS_KEY "\":[2,\"[]\"]}"), true));
	assert_true(fprefs_from_record(STR_NULL, true));
	/* over FPREFS_TEXT_MAX bytes: refused before parsing */
	big = xmalloc(FPREFS_TEXT_MAX + 64);
	snprintf(big, FPREFS_TEXT_MAX + 64, "{\"auto_accept_follows\":true,\"pad\":\"%0*d\"}",
	         FPREFS_TEXT_MAX, 0);
	assert_int_equal(fprefs_parse(str_from(big), &p, NULL), SE_PARSE);
	mem_free(big);
}

static void on_bus(void *ctx, struct bus_msg *m)
{
	struct str d = bus_msg_data(m);
	char *seen = ctx;

	if (d.n < 4096 && strlen(seen) + d.n + 2 < 8192) {
		strncat(seen, d.p, d.n);
		strcat(seen, "\n");
	}
	/* `m` is borrowed for the call */
}

/* An actor deleting itself: follows and friendship end, the user is flagged deleted. */
static void test_actor_delete(void **state)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	static char seen[8192];
	struct bus_sub *sub;

	test_follows(state);
	seen[0] = '\0';
	sub = bus_sub_new(F->app.bus, on_bus, seen);
	assert_int_equal(bus_sub_add_topic(sub, STR_LIT(R_ID)), SE_OK);
	assert_int_equal(run(X_ID, ACT("Delete", "http://other.test/d/r", X_URL, "\"" R_URL "\"")),
	                 SE_OK);
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_FRIEND); /* someone else's Delete: nothing */
	assert_int_equal(run(R_ID, ACT("Delete", "http://remote.test/d/r", R_URL, "\"" R_URL "\"")),
	                 SE_OK);
	assert_false(follows(R_ID, L_ID, NULL));
	assert_false(follows(L_ID, R_ID, NULL));
	assert_int_equal(rel(L_ID, R_ID), PERM_REL_NONE);
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(user_load(t, STR_LIT(R_ID), &rec), SE_OK);
	store_read_end(t);
	assert_int_equal(json_integer_value(json_object_get(rec, "flags")) & 2, 2);
	json_decref(rec);
	/* open clients are told: UserUpdate with the Deleted flag on the user's topic */
	assert_non_null(strstr(seen, "\"type\":\"UserUpdate\""));
	assert_non_null(strstr(seen, "\"flags\":2"));
	bus_sub_free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_follows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note_to_several, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_and_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auto_accept_and_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_auto_accept_on, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_auto_accept_off, setup, teardown),
	    cmocka_unit_test(test_prefs_parse),
	    cmocka_unit_test_setup_teardown(test_actor_delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
