/*
 * federation/csync_check.c: FEP-8fcf inbound. An activity whose signature
 * covered a Collection-Synchronization header reaches fcsync_check on the
 * inbox worker (never on an HTTP thread): our view of the sender's
 * followers on this instance (local users following it, accepted) is
 * compared with the digest it sent; on a mismatch the partial collection
 * at `url` (on the sender's host) is fetched with a signed GET, at most once
 * per actor per FCSYNC_INTERVAL_MS (collection "ap_csync"), and the local
 * follows it does not list end with an Undo{Follow}, as Mastodon does.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/mapping_int.h"
#include "federation/outbox.h"
#include "federation/resolve.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/user.h"

/* local follows one reconcile ends at most */
#define RECONCILE_MAX 10000

/* ---- the partial collection ---- */

enum err fcsync_collection_items(const json_t *doc, json_t *set, const char **next)
{
	const json_t *items, *e, *first;
	size_t i;

	*next = NULL;
	if (!json_is_object(doc))
		return SE_PARSE;
	items = json_object_get(doc, "orderedItems");
	if (!items)
		items = json_object_get(doc, "items");
	first = json_object_get(doc, "first");
	if (!items && json_is_object(first)) {
		/* the first page embedded: read it in place */
		doc = first;
		items = json_object_get(doc, "orderedItems");
		if (!items)
			items = json_object_get(doc, "items");
		first = NULL;
	}
	if (items && !json_is_array(items))
		return SE_PARSE;
	json_array_foreach(items, i, e)
	{
		const char *id = json_is_string(e)   ? json_string_value(e)
		                 : json_is_object(e) ? json_string_value(json_object_get(e, "id"))
		                                     : NULL;

		if (!id || !*id)
			continue;
		if (json_object_size(set) >= FCSYNC_ITEMS_MAX)
			return SE_TOO_LARGE;
		if (json_object_set_new(set, id, json_true()))
			return SE_NOMEM;
	}
	if (items)
		*next = json_string_value(json_object_get(doc, "next"));
	else if (json_is_string(first))
		*next = json_string_value(first);
	else if (!items)
		return SE_PARSE; /* neither items nor a first page */
	if (!*next && json_is_object(json_object_get(doc, "next")))
		*next = json_string_value(json_object_get(json_object_get(doc, "next"), "id"));
	return SE_OK;
}

/* ---- local followers of a remote actor ---- */

typedef enum err (*local_fn)(void *arg, const char *user_id, const char *actor_url);

struct locals {
	const struct fed *f;
	struct store_txn *txn;
	local_fn fn;
	void *arg;
};

static enum err local_one(void *arg, const struct ffollow *fw, struct arena *a)
{
	struct locals *l = arg;
	const char *url;

	if (!fout_is_local(l->txn, str_from(fw->follower)))
		return SE_OK;
	url = fed_actor_url(l->f, a, str_from(fw->follower));
	return url ? l->fn(l->arg, fw->follower, url) : SE_NOMEM;
}

/* fn(arg, local user id, its actor URL) for each accepted local follower of `remote`. */
static enum err local_followers(const struct fed *f, struct store_txn *txn, struct str remote,
                                local_fn fn, void *arg)
{
	struct locals l = {f, txn, fn, arg};

	return ffollow_each(txn, FFOLLOW_FOLLOWERS, remote, FFOLLOW_ACCEPTED, FCSYNC_WALK_MAX,
	                    1u << 20, local_one, &l);
}

static enum err digest_fn(void *arg, const char *user_id, const char *actor_url)
{
	(void)user_id;
	fcsync_digest_add(arg, str_from(actor_url));
	return SE_OK;
}

enum err fcsync_local_digest(const struct fed *f, struct store_txn *txn, struct str remote_user,
                             struct fcsync_digest *out)
{
	memset(out, 0, sizeof(*out));
	return local_followers(f, txn, remote_user, digest_fn, out);
}

/* ---- reconcile ---- */

struct unlisted {
	const json_t *listed;
	char (*ids)[FFOLLOW_USER_MAX];
	size_t n;
};

static enum err unlisted_fn(void *arg, const char *user_id, const char *actor_url)
{
	struct unlisted *u = arg;

	if (json_object_get(u->listed, actor_url) || u->n >= RECONCILE_MAX)
		return SE_OK;
	snprintf(u->ids[u->n++], FFOLLOW_USER_MAX, "%s", user_id);
	return SE_OK;
}

struct rel_op {
	struct str L, R;
	bool accept; /* mark L's pending follow of R accepted first */
	bool changed;
};

/* L's and R's relationship recomputed from the follows left (process.c's rule). */
static enum err rel_fn(struct store_wtxn *w, void *arg)
{
	struct rel_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct ffollow fo, fi;
	bool ho, hi;
	json_t *l = NULL, *r = NULL;
	enum perm_relationship nl;
	enum err rc;

	op->changed = false;
	if (op->accept && (rc = ffollow_accept(w, op->L, op->R)) != SE_OK)
		return rc == SE_NOT_FOUND ? SE_OK : rc;
	rc = user_load(txn, op->L, &l);
	if (!rc)
		rc = user_load(txn, op->R, &r);
	if (rc)
		goto out;
	rc = ffollow_get_pair(txn, op->L, op->R, &fo, &ho, &fi, &hi);
	if (rc)
		goto out;
	nl = ffollow_relation(user_relation(l, user_id_of(r)), ho ? &fo : NULL, hi ? &fi : NULL);
	rc = fout_relation_save(w, l, r, nl, ffollow_relation_mirror(nl), &op->changed);
out:
	json_decref(l);
	json_decref(r);
	return rc;
}

/*
 * Undo{Follow} of a follow of `remote` by local user `L` that we have no
 * record of (Mastodon's repair for a follower it lists and we do not know):
 * the Follow gets a fresh id, receivers match by actor and object.
 */
static enum err undo_unknown(struct fed *f, struct str L, struct str remote, struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct store_txn *txn = NULL;
	struct fout_remote r;
	struct fout_write op;
	const char *id, *actor, *fid;
	json_t *act = NULL, *obj;
	enum err rc = store_read_begin(f->store, &txn);

	memset(&op, 0, sizeof(op));
	if (!rc) {
		rc = fout_remote_of(txn, remote, &a, &r);
		store_read_end(txn);
	}
	if (rc)
		goto out;
	id = fed_activity_url(f, &a);
	actor = fed_actor_url(f, &a, L);
	fid = id ? arena_printf(&a, "%s#follow", id) : NULL;
	obj = fid && actor ? json_pack("{s:s, s:s, s:s, s:s}", "id", fid, "type", "Follow", "actor",
	                               actor, "object", r.id)
	                   : NULL;
	act = fout_activity_to("Undo", id, actor, obj, r.id);
	if (!act) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	rc = fout_write_one(&op, &a, act, L, r.inbox, ei);
out:
	arena_release(&a);
	return rc;
}

/*
 * The members of `listed` that are local users: a pending follow of
 * `remote` becomes accepted (its Accept was lost), a follow we do not know
 * is undone. `*undone` counts both.
 */
static enum err listed_locals(struct fed *f, struct str remote, const json_t *listed,
                              size_t *undone, struct err_info *ei)
{
	const char *key;
	const json_t *v;
	size_t seen = 0;
	enum err rc = SE_OK;

	json_object_foreach((json_t *)listed, key, v)
	{
		struct store_txn *txn = NULL;
		struct str uid;
		struct ffollow fo;
		bool local;
		enum err g;

		(void)v;
		if (seen++ >= RECONCILE_MAX)
			break;
		if (!fed_local_user_of(f, str_from(key), &uid))
			continue;
		rc = store_read_begin(f->store, &txn);
		if (rc)
			break;
		local = fout_is_local(txn, uid);
		g = local ? ffollow_get(txn, uid, remote, &fo) : SE_NOT_FOUND;
		store_read_end(txn);
		if (!local || (g == SE_OK && fo.state == FFOLLOW_ACCEPTED))
			continue;
		if (g == SE_OK) {
			struct rel_op op = {uid, remote, true, false};

			rc = store_write(f->store, rel_fn, &op, ei);
			if (!rc && op.changed)
				fout_publish_pair(f, op.L, op.R);
			log_info("csync: %.*s lists local follower %.*s: pending follow accepted",
			         (int)remote.n, remote.p, (int)uid.n, uid.p);
		} else if (g == SE_NOT_FOUND) {
			rc = undo_unknown(f, uid, remote, ei);
			log_info(
			    "csync: %.*s lists local follower %.*s we do not know: Undo{Follow}",
			    (int)remote.n, remote.p, (int)uid.n, uid.p);
		} else {
			rc = g;
		}
		if (rc)
			break;
		(*undone)++;
	}
	return rc;
}

enum err fcsync_reconcile(struct fed *f, struct str remote_user, const json_t *listed,
                          size_t *removed, struct err_info *ei)
{
	struct unlisted u = {listed, NULL, 0};
	struct store_txn *txn = NULL;
	enum err rc;

	if (removed)
		*removed = 0;
	u.ids = mem_try_alloc(RECONCILE_MAX * sizeof(*u.ids));
	if (!u.ids)
		return SE_RAISE(ei, SE_NOMEM);
	rc = store_read_begin(f->store, &txn);
	if (!rc) {
		rc = local_followers(f, txn, remote_user, unlisted_fn, &u);
		store_read_end(txn);
	}
	for (size_t i = 0; !rc && i < u.n; i++) {
		struct rel_op op = {str_from(u.ids[i]), remote_user, false, false};
		char esc[80];

		/* Undo{Follow} to the remote, and the follow record goes in the same write */
		rc = fout_unfollow(f, op.L, remote_user, ei);
		if (!rc)
			rc = store_write(f->store, rel_fn, &op, ei);
		if (rc)
			break;
		if (op.changed)
			fout_publish_pair(f, op.L, op.R);
		log_escape(esc, sizeof(esc), remote_user.p, remote_user.n);
		log_info("csync: %s no longer lists local follower %s: follow ended", esc,
		         u.ids[i]);
		if (removed)
			(*removed)++;
	}
	if (!rc) {
		size_t fixed = 0;

		rc = listed_locals(f, remote_user, listed, &fixed, ei);
		if (removed)
			*removed += fixed;
	}
	mem_free(u.ids);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

/* ---- the check ---- */

struct gate {
	struct str user;
	int64_t now;
	bool limited;
};

/* At most one fetch per actor per FCSYNC_INTERVAL_MS: the record keeps the last. */
static enum err gate_fn(struct store_wtxn *w, void *arg)
{
	struct gate *g = arg;
	struct str rec;
	json_t *o = NULL;
	char text[64];
	enum err rc;

	g->limited = false;
	rc = store_get(store_wtxn_read(w), FCSYNC_COLL, g->user, &rec);
	if (!rc && !jx_parse_object(rec, 4096, &o, NULL)) {
		json_int_t last = json_integer_value(json_object_get(o, "checked"));

		json_decref(o);
		if (last > 0 && g->now - last < FCSYNC_INTERVAL_MS && g->now >= last) {
			g->limited = true;
			return SE_OK;
		}
	} else if (rc && rc != SE_NOT_FOUND) {
		return rc;
	}
	snprintf(text, sizeof(text), "{\"checked\":%lld}", (long long)g->now);
	return store_put(w, FCSYNC_COLL, g->user, str_from(text));
}

/* The members of the collection at `url`, every page on `host`. */
static enum err fetch_members(struct fed *f, const char *url, const char *host, json_t *set,
                              struct err_info *ei)
{
	char *cur = xstrdup(url);
	enum err rc = SE_OK;

	for (unsigned page = 0; cur && page < FCSYNC_PAGES_MAX; page++) {
		struct fetch_url u;
		json_t *doc = NULL;
		const char *next = NULL;

		if (fetch_url_parse(cur, &u, NULL) ||
		    !str_eq_nocase(str_from(u.hostport), str_from(host))) {
			rc = SE_RAISEF(ei, SE_INVAL, "collection page not on the actor's host");
			break;
		}
		rc = fres_get_json(f, cur, &doc, ei);
		if (!rc)
			rc = fcsync_collection_items(doc, set, &next);
		mem_free(cur);
		cur = next ? xstrdup(next) : NULL;
		json_decref(doc);
		if (rc)
			break;
	}
	if (!rc && cur)
		rc = SE_RAISEF(ei, SE_TOO_LARGE, "more than %d collection pages", FCSYNC_PAGES_MAX);
	mem_free(cur);
	return rc;
}

enum err fcsync_check(struct fed *f, struct str remote_user, struct str value, int64_t now_ms,
                      size_t *removed, struct err_info *ei)
{
	struct fcsync_hdr *h = mem_try_alloc(sizeof(*h));
	struct store_txn *txn = NULL;
	struct fcsync_digest d;
	struct fetch_url u;
	char hex[FCSYNC_DIGEST_HEX + 1];
	const char *followers, *host;
	json_t *rec = NULL, *set = NULL;
	struct gate g = {remote_user, now_ms, false};
	enum err rc;

	if (removed)
		*removed = 0;
	if (!h)
		return SE_RAISE(ei, SE_NOMEM);
	rc = fcsync_parse(value, h);
	if (rc) {
		rc = SE_RAISEF(ei, SE_PARSE, "csync: malformed Collection-Synchronization");
		goto out;
	}
	rc = store_read_begin(f->store, &txn);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	rc = user_load(txn, remote_user, &rec);
	followers = json_string_value(json_object_get(json_object_get(rec, "ap"), "followers"));
	host = json_string_value(json_object_get(json_object_get(rec, "ap"), "host"));
	/* only the sender's own followers collection, listed on its own host */
	if (rc || !followers || !host || strcmp(followers, h->collection_id) != 0 ||
	    fetch_url_parse(h->url, &u, NULL) ||
	    !str_eq_nocase(str_from(u.hostport), str_from(host))) {
		store_read_end(txn);
		rc = SE_OK;
		goto out;
	}
	rc = fcsync_local_digest(f, txn, remote_user, &d);
	store_read_end(txn);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	fcsync_digest_hex(&d, hex);
	if (strcmp(hex, h->digest) == 0) {
		log_info("csync: followers of %.*s in sync (%zu here)", (int)remote_user.n,
		         remote_user.p, d.n);
		goto out;
	}
	log_info("csync: followers of %.*s differ (%zu here), digest %s", (int)remote_user.n,
	         remote_user.p, d.n, h->digest);
	rc = store_write(f->store, gate_fn, &g, ei);
	if (rc)
		goto out;
	if (g.limited) {
		rc = SE_RAISEF(ei, SE_RETRY, "csync: checked less than %lld s ago",
		               FCSYNC_INTERVAL_MS / 1000);
		goto out;
	}
	set = json_object();
	rc = set ? fetch_members(f, h->url, host, set, ei) : SE_RAISE(ei, SE_NOMEM);
	if (!rc)
		rc = fcsync_reconcile(f, remote_user, set, removed, ei);
out:
	json_decref(set);
	json_decref(rec);
	mem_free(h);
	return rc;
}
