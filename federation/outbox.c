/*
 * federation/outbox.c: local actions -> activities (docs/federation.md
 * "What we send"): Follow / Accept / Reject / Undo / Block for friend
 * requests, Create / Update / Delete of direct Notes for DM messages,
 * Like / EmojiReact for reactions, Update{Person} for profile edits. Each
 * fout_* renders outside any transaction, then changes ap_follows / ap_ids
 * and queues the deliveries (federation/deliver.h) in one store write.
 */
#include "federation/outbox.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bus/bus.h"
#include "channels/channel.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/as2.h"
#include "federation/deliver.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/mapping_int.h"
#include "federation/markdown.h"
#include "federation/objmap.h"
#include "federation/process.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/user.h"

/* followers one Update{Person} walks at most */
#define OUT_FOLLOWERS_MAX 100000

/* ---- shared helpers (mapping_int.h) ---- */

int64_t fout_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fout_iso8601(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

enum err fout_remote_of(struct store_txn *txn, struct str user_id, struct arena *a,
                        struct fout_remote *out)
{
	json_t *rec = NULL;
	const json_t *ap;
	struct fout_remote r;
	enum err rc = user_load(txn, user_id, &rec);

	if (rc)
		return rc == SE_PARSE ? rc : SE_NOT_FOUND;
	ap = json_object_get(rec, "ap");
	if (!json_is_object(ap) || !jget(ap, "id") || !jget(ap, "inbox")) {
		json_decref(rec);
		return SE_NOT_FOUND;
	}
	r.id = arena_strndup(a, jget(ap, "id"), strlen(jget(ap, "id")));
	r.inbox = arena_strndup(a, jget(ap, "inbox"), strlen(jget(ap, "inbox")));
	r.shared_inbox =
	    jget(ap, "shared_inbox") && *jget(ap, "shared_inbox")
	        ? arena_strndup(a, jget(ap, "shared_inbox"), strlen(jget(ap, "shared_inbox")))
	        : r.inbox;
	r.host = arena_strndup(a, jget(ap, "host") ? jget(ap, "host") : "",
	                       jget(ap, "host") ? strlen(jget(ap, "host")) : 0);
	r.username = arena_strndup(a, jget(rec, "username") ? jget(rec, "username") : "",
	                           jget(rec, "username") ? strlen(jget(rec, "username")) : 0);
	json_decref(rec);
	if (!r.id || !r.inbox || !r.shared_inbox || !r.host || !r.username)
		return SE_NOMEM;
	*out = r;
	return SE_OK;
}

bool fout_is_local(struct store_txn *txn, struct str user_id)
{
	json_t *rec = NULL;
	bool local;

	if (user_load(txn, user_id, &rec))
		return false;
	local = !json_object_get(rec, "ap");
	json_decref(rec);
	return local;
}

const char *fout_note_id(struct fed *f, struct store_txn *txn, const json_t *msg, struct arena *a)
{
	const char *id = jget(msg, "_id"), *author = jget(msg, "author"), *ap = NULL;

	if (!id || !author)
		return NULL;
	if (fout_is_local(txn, str_from(author)))
		return fed_object_url(f, a, str_from(id));
	if (!fmap_ap_of(txn, "message", str_from(id), a, &ap))
		return ap;
	/* a later copy of a Note sent to several local users: "copy <k> <Note id>" */
	if (!fmap_ap_of(txn, "copy", str_from(id), a, &ap) && !strncmp(ap, "copy ", 5) &&
	    strchr(ap + 5, ' '))
		return strchr(ap + 5, ' ') + 1;
	/*
	 * Between the inbound message's write and its mapping's, the Note id is
	 * found through the message's nonce (process_notes.c maps it first).
	 */
	if (jget(msg, "nonce") && !fmap_ap_of(txn, "note", str_from(jget(msg, "nonce")), a, &ap))
		return ap;
	return NULL;
}

enum err fout_msg_of_note(struct fed *f, struct store_txn *txn, struct str url, char out[32])
{
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	size_t blen = strlen(f->base);
	struct str rest;
	enum err rc;

	if (url.n > blen + 9 && !memcmp(url.p, f->base, blen) &&
	    !memcmp(url.p + blen, "/objects/", 9)) {
		rest = (struct str){url.p + blen + 9, url.n - blen - 9};
		if (!ulid_is_valid(rest))
			return SE_NOT_FOUND;
		memcpy(out, rest.p, rest.n);
		out[rest.n] = '\0';
		return SE_OK;
	}
	rc = fmap_get(txn, url, kind, local);
	if (rc)
		return rc == SE_TOO_LARGE || rc == SE_INVAL ? SE_NOT_FOUND : rc;
	if (strcmp(kind, "message") || strlen(local) >= 32)
		return SE_NOT_FOUND;
	memcpy(out, local, strlen(local) + 1);
	return SE_OK;
}

void fout_publish(struct fed *f, const char *topic, json_t *event)
{
	char *text = event ? jx_dump(event) : NULL;

	if (!text || bus_publish(f->bus, str_from(topic), str_from(text)))
		log_warn("fed: cannot publish a '%s' event",
		         event ? json_string_value(json_object_get(event, "type")) : "?");
	mem_free(text);
	json_decref(event);
}

/* UserRelationship to `receiver`'s private topic: `other` as the receiver sees it. */
static void publish_rel(struct fed *f, struct store_txn *txn, const json_t *receiver,
                        const json_t *other)
{
	char topic[STORE_ID_MAX + 2];
	uint32_t perms = 0;
	json_t *view, *ev;

	if (user_perms(txn, receiver, other, &perms))
		return;
	view = user_view_for(other, receiver, perms & PERM_USER_VIEW_PROFILE, false);
	ev = view ? json_pack("{s:s, s:s, s:o}", "type", "UserRelationship", "id",
	                      user_id_of(receiver), "user", view)
	          : NULL;
	snprintf(topic, sizeof(topic), "%s!", user_id_of(receiver));
	if (ev)
		fout_publish(f, topic, ev);
}

void fout_publish_pair(struct fed *f, struct str L, struct str R)
{
	struct store_txn *txn = NULL;
	json_t *l = NULL, *r = NULL;

	if (store_read_begin(f->store, &txn))
		return;
	if (!user_load(txn, L, &l) && !user_load(txn, R, &r)) {
		publish_rel(f, txn, l, r);
		publish_rel(f, txn, r, l);
	}
	store_read_end(txn);
	json_decref(l);
	json_decref(r);
}

enum err fout_relation_save(struct store_wtxn *w, json_t *l, json_t *r, enum perm_relationship nl,
                            enum perm_relationship nr, bool *changed)
{
	enum err rc;

	*changed = false;
	if (nl == user_relation(l, user_id_of(r)) && nr == user_relation(r, user_id_of(l)))
		return SE_OK;
	rc = user_relation_set(l, user_id_of(r), nl);
	if (!rc)
		rc = user_relation_set(r, user_id_of(l), nr);
	if (!rc)
		rc = user_save(w, l);
	if (!rc)
		rc = user_save(w, r);
	*changed = !rc;
	return rc;
}

/* ---- rendering ---- */

/* {@context, id, type, actor} (new reference, NULL on OOM). */
json_t *fout_activity_new(const char *type, const char *id, const char *actor)
{
	json_t *a = json_object();

	if (!a || json_object_set_new(a, "@context", as2_context()) ||
	    json_object_set_new(a, "id", json_string(id)) ||
	    json_object_set_new(a, "type", json_string(type)) ||
	    json_object_set_new(a, "actor", json_string(actor))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* to: [one] (and cc: []) on `a`; false on OOM. */
bool fout_address_to(json_t *a, const char *to)
{
	return !json_object_set_new(a, "to", json_pack("[s]", to)) &&
	       !json_object_set_new(a, "cc", json_array());
}

json_t *fout_activity_to(const char *type, const char *id, const char *actor, json_t *obj,
                         const char *to)
{
	json_t *a = obj && id ? fout_activity_new(type, id, actor) : NULL;

	if (!a) {
		json_decref(obj);
		return NULL;
	}
	if (json_object_set_new(a, "object", obj) || !fout_address_to(a, to)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The Follow `follower` sent to `followee` (embedded in Accept / Reject / Undo). */
static json_t *follow_obj(const char *id, const char *follower, const char *followee)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", "Follow", "actor", follower,
	                 "object", followee);
}

/* ---- one write: follows + ap_ids + deliveries ---- */

static enum err fw_follow_op(struct store_wtxn *w, const struct fout_write *op, enum fw_follow kind,
                             struct str er, struct str ee)
{
	enum err rc = SE_OK;

	switch (kind) {
	case FW_NONE:
		break;
	case FW_ADD:
		rc = ffollow_add(w, er, ee, op->follow_act, op->add_state, op->now, NULL);
		break;
	case FW_ACCEPT:
		rc = ffollow_accept(w, er, ee);
		break;
	case FW_REMOVE:
		rc = ffollow_remove(w, er, ee);
		break;
	}
	return rc == SE_NOT_FOUND ? SE_OK : rc;
}

static enum err fw_fn(struct store_wtxn *w, void *arg)
{
	struct fout_write *op = arg;
	enum err rc = fw_follow_op(w, op, op->follow, op->er, op->ee);

	if (!rc)
		rc = fw_follow_op(w, op, op->follow2, op->er2, op->ee2);
	if (!rc && op->map_kind)
		rc = fmap_put(w, op->map_ap, op->map_kind, op->map_local);
	if (!rc && op->map_del) {
		rc = fmap_delete(w, op->map_ap);
		rc = rc == SE_NOT_FOUND ? SE_OK : rc;
	}
	for (size_t i = 0; !rc && i < op->n_acts; i++)
		rc = fdel_enqueue(w, op->acts[i].json, op->acts[i].id, op->signer, op->inboxes,
		                  op->n_inboxes, op->now);
	return rc;
}

/* Serialises `act` (stolen) into the arena as the op's next activity. */
enum err fout_write_add(struct fout_write *op, struct arena *a, json_t *act)
{
	char *text = act ? jx_dump(act) : NULL;
	const char *id = act ? jget(act, "id") : NULL;
	enum err rc = SE_NOMEM;

	if (text && id && op->n_acts < FW_ACTS_MAX) {
		op->acts[op->n_acts].json = arena_str(a, str_from(text));
		op->acts[op->n_acts].id = arena_str(a, str_from(id));
		if (op->acts[op->n_acts].json.p && op->acts[op->n_acts].id.p) {
			op->n_acts++;
			rc = SE_OK;
		}
	}
	mem_free(text);
	json_decref(act);
	return rc;
}

enum err fout_write_run(struct fout_write *op, struct err_info *ei)
{
	enum err rc;

	op->now = fout_now_ms();
	rc = store_write(op->f->store, fw_fn, op, ei);
	if (!rc && op->n_acts)
		fdel_kick(op->f);
	return rc;
}

enum err fout_write_one(struct fout_write *op, struct arena *a, json_t *act, struct str signer,
                        const char *inbox, struct err_info *ei)
{
	struct str box = str_from(inbox);
	enum err rc = fout_write_add(op, a, act);

	op->signer = signer;
	op->inboxes = &box;
	op->n_inboxes = 1;
	if (!rc)
		rc = fout_write_run(op, ei);
	op->inboxes = NULL; /* `box` ends here */
	op->n_inboxes = 0;
	return rc;
}

/* ---- follows ---- */

/* Local actor URL and remote endpoints of a (local, remote) pair. */
struct pair {
	const char *local_url;
	struct fout_remote remote;
	struct ffollow fo; /* the follow looked up, when `have` */
	bool have;
};

/* Loads the pair and the follow er -> ee (local_follows: local -> remote). */
static enum err pair_load(struct fed *f, struct arena *a, struct str local, struct str remote,
                          bool local_follows, struct pair *p)
{
	struct store_txn *txn = NULL;
	enum err rc = store_read_begin(f->store, &txn);

	memset(p, 0, sizeof(*p));
	if (rc)
		return rc;
	if (!fout_is_local(txn, local))
		rc = SE_NOT_FOUND;
	if (!rc)
		rc = fout_remote_of(txn, remote, a, &p->remote);
	if (!rc) {
		enum err r2 = local_follows ? ffollow_get(txn, local, remote, &p->fo)
		                            : ffollow_get(txn, remote, local, &p->fo);

		if (r2 && r2 != SE_NOT_FOUND)
			rc = r2;
		p->have = r2 == SE_OK;
	}
	store_read_end(txn);
	if (rc)
		return rc;
	p->local_url = fed_actor_url(f, a, local);
	return p->local_url ? SE_OK : SE_NOMEM;
}

enum err fout_follow(struct fed *f, struct str local_user, struct str remote_user,
                     struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct fout_write op;
	struct pair p;
	const char *id;
	json_t *act;
	enum err rc;

	if (!f)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	rc = pair_load(f, &a, local_user, remote_user, true, &p);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK; /* nobody remote is concerned */
		goto out;
	}
	if (rc)
		goto out;
	id = fed_activity_url(f, &a);
	act = fout_activity_to("Follow", id, p.local_url, json_string(p.remote.id), p.remote.id);
	if (!act) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	op.follow = FW_ADD;
	op.er = local_user;
	op.ee = remote_user;
	op.follow_act = str_from(id);
	op.add_state = FFOLLOW_PENDING;
	rc = fout_write_one(&op, &a, act, local_user, p.remote.inbox, ei);
out:
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

/*
 * Accept / Reject of the remote's Follow of the local user, or Undo of the
 * local user's Follow: all embed the Follow as it was sent.
 */
static enum err follow_reply(struct fed *f, const char *type, struct str local_user,
                             struct str remote_user, struct err_info *ei)
{
	bool undo = !strcmp(type, "Undo");
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct fout_write op;
	struct pair p;
	const char *id, *fid;
	json_t *act, *obj;
	enum err rc;

	if (!f)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	rc = pair_load(f, &a, local_user, remote_user, undo, &p);
	if (rc == SE_NOT_FOUND || (!rc && !p.have)) {
		rc = SE_OK; /* no such follow: nothing to answer */
		goto out;
	}
	if (rc)
		goto out;
	/* a Follow we never knew the id of (made locally): give it a stable one */
	fid = p.fo.activity[0] ? p.fo.activity
	                       : arena_printf(&a, "%s#follows/%s", p.local_url, p.fo.id);
	id = fed_activity_url(f, &a);
	obj = !fid   ? NULL
	      : undo ? follow_obj(fid, p.local_url, p.remote.id)
	             : follow_obj(fid, p.remote.id, p.local_url);
	act = fout_activity_to(type, id, p.local_url, obj, p.remote.id);
	if (!act) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	op.follow = !strcmp(type, "Accept") ? FW_ACCEPT : FW_REMOVE;
	op.er = undo ? local_user : remote_user;
	op.ee = undo ? remote_user : local_user;
	rc = fout_write_one(&op, &a, act, local_user, p.remote.inbox, ei);
out:
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

enum err fout_unfollow(struct fed *f, struct str local_user, struct str remote_user,
                       struct err_info *ei)
{
	return follow_reply(f, "Undo", local_user, remote_user, ei);
}

enum err fout_accept_follow(struct fed *f, struct str local_user, struct str remote_user,
                            struct err_info *ei)
{
	return follow_reply(f, "Accept", local_user, remote_user, ei);
}

enum err fout_reject_follow(struct fed *f, struct str local_user, struct str remote_user,
                            struct err_info *ei)
{
	return follow_reply(f, "Reject", local_user, remote_user, ei);
}

/* "<local>:<remote>": the ap_ids key of a Block we sent. */
static struct str block_key(struct arena *a, struct str local, struct str remote)
{
	return str_from(
	    arena_printf(a, "%.*s:%.*s", (int)local.n, local.p, (int)remote.n, remote.p));
}

static enum err block_send(struct fed *f, struct str local_user, struct str remote_user, bool add,
                           struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct store_txn *txn = NULL;
	struct fout_write op;
	struct pair p;
	struct str key;
	const char *id, *bid = NULL;
	json_t *act = NULL, *obj;
	enum err rc;

	if (!f)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	/* our own follow first: Undo it (Mastodon also drops follows on Block) */
	rc = pair_load(f, &a, local_user, remote_user, true, &p);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
		goto out;
	}
	if (rc)
		goto out;
	if (add && p.have) {
		rc = fout_unfollow(f, local_user, remote_user, ei);
		if (rc)
			goto out;
	}
	key = block_key(&a, local_user, remote_user);
	if (!key.p) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	id = fed_activity_url(f, &a);
	if (!id) {
		rc = SE_NOMEM;
		goto out;
	}
	if (add) {
		act = fout_activity_to("Block", id, p.local_url, json_string(p.remote.id),
		                       p.remote.id);
		/* remember the Block's id for its Undo; the remote's follow of us ends */
		op.map_ap = str_from(id);
		op.map_kind = "block";
		op.map_local = key;
		op.follow = FW_REMOVE;
		op.er = remote_user;
		op.ee = local_user;
	} else {
		rc = store_read_begin(f->store, &txn);
		if (rc)
			goto out;
		if (fmap_ap_of(txn, "block", key, &a, &bid))
			bid = NULL;
		store_read_end(txn);
		obj = json_pack("{s:s, s:s, s:s, s:s}", "id",
		                bid ? bid : arena_printf(&a, "%s#blocks/%s", p.local_url, id),
		                "type", "Block", "actor", p.local_url, "object", p.remote.id);
		act = fout_activity_to("Undo", id, p.local_url, obj, p.remote.id);
		if (bid) {
			op.map_ap = str_from(bid);
			op.map_del = true;
		}
	}
	if (!act) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = fout_write_one(&op, &a, act, local_user, p.remote.inbox, ei);
out:
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

enum err fout_block(struct fed *f, struct str local_user, struct str remote_user,
                    struct err_info *ei)
{
	return block_send(f, local_user, remote_user, true, ei);
}

enum err fout_unblock(struct fed *f, struct str local_user, struct str remote_user,
                      struct err_info *ei)
{
	return block_send(f, local_user, remote_user, false, ei);
}

/* ---- profile ---- */

/* Appends the (shared) inboxes of `user`'s accepted followers to `list` (arena strings). */
static enum err follower_inboxes(struct fed *f, struct store_txn *txn, struct str user,
                                 struct arena *a, struct str **list, size_t *n)
{
	struct ffollow *page = xcalloc(FFOLLOW_PAGE_MAX, sizeof(*page));
	char cursor[FFOLLOW_USER_MAX] = "";
	size_t cap = 0, got = 0;
	bool more = true;
	enum err rc = SE_OK;

	(void)f;
	*list = NULL;
	*n = 0;
	while (!rc && more && *n < OUT_FOLLOWERS_MAX) {
		rc = ffollow_list(txn, FFOLLOW_FOLLOWERS, user, FFOLLOW_ACCEPTED,
		                  cursor[0] ? str_from(cursor) : STR_NULL, page, FFOLLOW_PAGE_MAX,
		                  &got, &more);
		for (size_t i = 0; !rc && i < got; i++) {
			struct fout_remote r;

			if (fout_remote_of(txn, str_from(page[i].follower), a, &r))
				continue;
			if (*n == cap) {
				struct str *nl = arena_alloc(a, (cap ? cap * 2 : 64) * sizeof(*nl));

				if (!nl) {
					rc = SE_NOMEM;
					break;
				}
				if (*n)
					memcpy(nl, *list, *n * sizeof(*nl));
				*list = nl;
				cap = cap ? cap * 2 : 64;
			}
			(*list)[(*n)++] = str_from(r.shared_inbox);
		}
		if (got)
			snprintf(cursor, sizeof(cursor), "%s", page[got - 1].follower);
	}
	mem_free(page);
	return rc;
}

enum err fout_profile_update(struct fed *f, struct str user, struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct store_txn *txn = NULL;
	struct str *inboxes = NULL;
	size_t n = 0;
	struct fout_write op;
	const char *id, *actor;
	json_t *rec = NULL, *doc = NULL, *act = NULL;
	enum err rc;

	if (!f)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	rc = store_read_begin(f->store, &txn);
	if (!rc)
		rc = user_load(txn, user, &rec);
	if (!rc && json_object_get(rec, "ap"))
		rc = SE_NOT_FOUND;
	if (!rc)
		rc = follower_inboxes(f, txn, user, &a, &inboxes, &n);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND || (!rc && n == 0)) {
		rc = SE_OK; /* no remote followers: nobody to tell */
		goto out;
	}
	if (rc)
		goto out;
	doc = fed_actor_doc(f, rec, ei);
	if (!doc) {
		rc = SE_NOMEM;
		goto out;
	}
	json_object_del(doc, "@context");
	id = fed_activity_url(f, &a);
	actor = fed_actor_url(f, &a, user);
	act = id && actor ? fout_activity_new("Update", id, actor) : NULL;
	if (!act || json_object_set(act, "object", doc) ||
	    json_object_set_new(act, "to", json_pack("[s]", AS2_PUBLIC)) ||
	    json_object_set_new(act, "cc", json_pack("[s+]", actor, "/followers"))) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	rc = fout_write_add(&op, &a, act);
	op.signer = user;
	op.inboxes = inboxes;
	op.n_inboxes = n;
	if (!rc)
		rc = fout_write_run(&op, ei);
out:
	json_decref(doc);
	json_decref(rec);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}
