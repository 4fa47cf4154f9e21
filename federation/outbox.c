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
#include "users/user.h"

/* arena of one fout_* call */
#define OUT_ARENA_MAX (4u << 20)
/* followers one Update{Person} walks at most */
#define OUT_FOLLOWERS_MAX 100000
/* Mention tags one Note carries at most */
#define OUT_MENTIONS_MAX 32

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

/* ---- rendering ---- */

/* {@context, id, type, actor} (new reference, NULL on OOM). */
static json_t *activity_new(const char *type, const char *id, const char *actor)
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
static bool address_to(json_t *a, const char *to)
{
	return !json_object_set_new(a, "to", json_pack("[s]", to)) &&
	       !json_object_set_new(a, "cc", json_array());
}

/* The Follow `follower` sent to `followee` (embedded in Accept / Reject / Undo). */
static json_t *follow_obj(const char *id, const char *follower, const char *followee)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", "Follow", "actor", follower,
	                 "object", followee);
}

/* ---- one write: follows + ap_ids + deliveries ---- */

enum fw_follow { FW_NONE, FW_ADD, FW_ACCEPT, FW_REMOVE };

#define FW_ACTS_MAX 3

struct fw {
	struct fed *f;
	enum fw_follow follow, follow2;
	struct str er, ee, er2, ee2, follow_act;
	enum ffollow_state add_state;
	/* ap_ids: put (kind set) or delete (del) */
	struct str map_ap, map_local;
	const char *map_kind;
	bool map_del;
	struct {
		struct str json, id;
	} acts[FW_ACTS_MAX];
	size_t n_acts;
	struct str signer;
	const struct str *inboxes;
	size_t n_inboxes;
	int64_t now;
};

static enum err fw_follow_op(struct store_wtxn *w, const struct fw *op, enum fw_follow kind,
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
	struct fw *op = arg;
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
static enum err fw_add_act(struct fw *op, struct arena *a, json_t *act)
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

static enum err fw_run(struct fw *op, struct err_info *ei)
{
	enum err rc;

	op->now = fout_now_ms();
	rc = store_write(op->f->store, fw_fn, op, ei);
	if (!rc && op->n_acts)
		fdel_kick(op->f);
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
	struct fw op;
	struct pair p;
	struct str inbox;
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
	act = id ? activity_new("Follow", id, p.local_url) : NULL;
	if (!act || json_object_set_new(act, "object", json_string(p.remote.id)) ||
	    !address_to(act, p.remote.id)) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	op.follow = FW_ADD;
	op.er = local_user;
	op.ee = remote_user;
	op.follow_act = str_from(id);
	op.add_state = FFOLLOW_PENDING;
	rc = fw_add_act(&op, &a, act);
	inbox = str_from(p.remote.inbox);
	op.signer = local_user;
	op.inboxes = &inbox;
	op.n_inboxes = 1;
	if (!rc)
		rc = fw_run(&op, ei);
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
	struct fw op;
	struct pair p;
	struct str inbox;
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
	act = id && obj ? activity_new(type, id, p.local_url) : NULL;
	if (!act || json_object_set_new(act, "object", obj) || !address_to(act, p.remote.id)) {
		if (!act)
			json_decref(obj);
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	op.follow = !strcmp(type, "Accept") ? FW_ACCEPT : FW_REMOVE;
	op.er = undo ? local_user : remote_user;
	op.ee = undo ? remote_user : local_user;
	rc = fw_add_act(&op, &a, act);
	inbox = str_from(p.remote.inbox);
	op.signer = local_user;
	op.inboxes = &inbox;
	op.n_inboxes = 1;
	if (!rc)
		rc = fw_run(&op, ei);
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
	struct fw op;
	struct pair p;
	struct str inbox, key;
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
		act = activity_new("Block", id, p.local_url);
		if (act && json_object_set_new(act, "object", json_string(p.remote.id))) {
			json_decref(act);
			act = NULL;
		}
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
		act = obj ? activity_new("Undo", id, p.local_url) : NULL;
		if (!act || json_object_set_new(act, "object", obj)) {
			if (!act)
				json_decref(obj);
			json_decref(act);
			act = NULL;
		}
		if (bid) {
			op.map_ap = str_from(bid);
			op.map_del = true;
		}
	}
	if (!act || !address_to(act, p.remote.id)) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	rc = fw_add_act(&op, &a, act);
	inbox = str_from(p.remote.inbox);
	op.signer = local_user;
	op.inboxes = &inbox;
	op.n_inboxes = 1;
	if (!rc)
		rc = fw_run(&op, ei);
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

/* ---- DM messages ---- */

/* The Note context of one DM message. */
struct note_ctx {
	struct fed *f;
	struct store_txn *txn;
	struct arena *a;
	const char *author, *author_url, *channel;
	struct fout_remote remote; /* the other participant */
	const char *remote_uid;
	json_t *tags; /* Mention tags (owned) */
	size_t n_mentions;
};

static bool tag_has(const json_t *tags, const char *href)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		if (jget(t, "href") && !strcmp(jget(t, "href"), href))
			return true;
	}
	return false;
}

static void add_mention(struct note_ctx *c, const char *href, const char *handle)
{
	if (c->n_mentions >= OUT_MENTIONS_MAX || tag_has(c->tags, href))
		return;
	if (!json_array_append_new(c->tags, json_pack("{s:s, s:s, s:s+}", "type", "Mention", "href",
	                                              href, "name", "@", handle)))
		c->n_mentions++;
}

/* fmd_user_fn: "<@ULID>" -> the user's actor URL and handle; remote ones become Mention tags. */
static bool note_user(void *ctx, struct str user_id, const char **actor_url, const char **handle)
{
	struct note_ctx *c = ctx;
	struct fout_remote r;
	json_t *rec = NULL;
	const char *h;

	if (!fout_remote_of(c->txn, user_id, c->a, &r)) {
		*actor_url = r.id;
		*handle = r.username;
		add_mention(c, r.id, r.username);
		return true;
	}
	if (user_load(c->txn, user_id, &rec))
		return false;
	h = actor_handle(rec, c->a);
	json_decref(rec);
	*actor_url = fed_actor_url(c->f, c->a, user_id);
	*handle = h ? arena_printf(c->a, "%s@%s", h, c->f->host) : NULL;
	return *actor_url && *handle;
}

/*
 * The DM context of message `msg`: its channel is a DirectMessage whose
 * other participant is remote and whose author is local. SE_NOT_FOUND
 * otherwise (nothing to send). Opens c->txn (caller ends it).
 */
static enum err note_ctx_load(struct fed *f, struct arena *a, const json_t *msg, struct note_ctx *c)
{
	json_t *ch = NULL, *r;
	size_t i;
	enum err rc;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->a = a;
	c->author = jget(msg, "author");
	c->channel = jget(msg, "channel");
	if (!c->author || !c->channel || !jget(msg, "_id"))
		return SE_NOT_FOUND;
	rc = store_read_begin(f->store, &c->txn);
	if (rc)
		return rc;
	if (!fout_is_local(c->txn, str_from(c->author)))
		return SE_NOT_FOUND;
	rc = channel_load(c->txn, str_from(c->channel), &ch);
	if (rc)
		return rc == SE_PARSE ? rc : SE_NOT_FOUND;
	rc = SE_NOT_FOUND;
	if (channel_type_of(ch) == CHANNEL_DM) {
		json_array_foreach(json_object_get(ch, "recipients"), i, r)
		{
			const char *u = json_string_value(r);

			if (u && strcmp(u, c->author) &&
			    !fout_remote_of(c->txn, str_from(u), a, &c->remote)) {
				c->remote_uid = arena_strndup(a, u, strlen(u));
				rc = c->remote_uid ? SE_OK : SE_NOMEM;
				break;
			}
		}
	}
	json_decref(ch);
	if (rc)
		return rc;
	c->author_url = fed_actor_url(f, a, str_from(c->author));
	c->tags = json_array();
	return c->author_url && c->tags ? SE_OK : SE_NOMEM;
}

/* The Note of `msg` (new reference). */
static json_t *note_render(struct note_ctx *c, const json_t *msg, struct err_info *ei)
{
	const char *id = jget(msg, "_id"), *content = jget(msg, "content");
	const char *edited = jget(msg, "edited"), *reply = NULL;
	struct fmd_opts mo = {note_user, NULL, c};
	struct buf html = BUF_INIT(FMD_OUTPUT_MAX);
	json_t *note = NULL, *atts = json_array(), *att, *first;
	char published[32];
	struct ulid u;
	size_t i;

	if (!atts)
		goto out;
	if (content && fmd_to_html_opts(str_from(content), &mo, &html, ei))
		goto out;
	/* the recipient is always mentioned: Mastodon shows a DM as a private mention */
	add_mention(c, c->remote.id, c->remote.username);
	first = json_array_get(json_object_get(msg, "replies"), 0);
	if (json_is_string(first)) {
		json_t *rm = NULL;

		if (!msg_load(c->txn, str_from(json_string_value(first)), &rm))
			reply = fout_note_id(c->f, c->txn, rm, c->a);
		json_decref(rm);
	}
	/* attachments: links to the files' Autumn URLs */
	json_array_foreach(json_object_get(msg, "attachments"), i, att)
	{
		const char *fid = jget(att, "_id"), *tag = jget(att, "tag");
		const char *ct = jget(att, "content_type");

		if (!fid || !tag)
			continue;
		json_array_append_new(
		    atts,
		    json_pack("{s:s, s:s, s:s, s:s?}", "type", "Document", "url",
		              arena_printf(c->a, "%s/%s/%s", c->f->cfg->hosts.autumn, tag, fid),
		              "mediaType", ct ? ct : "application/octet-stream", "name",
		              jget(att, "filename")));
	}
	if (ulid_parse(str_from(id), &u, NULL))
		goto out;
	fout_iso8601((int64_t)ulid_time_ms(&u), published);
	note = json_pack("{s:s, s:s, s:s, s:[s], s:[], s:s, s:{s:s, s:s}, s:s, s:s, s:O, s:O}",
	                 "id", fed_object_url(c->f, c->a, str_from(id)), "type", "Note",
	                 "attributedTo", c->author_url, "to", c->remote.id, "cc", "content",
	                 buf_cstr(&html), "source", "content", content ? content : "", "mediaType",
	                 "text/markdown", "published", published, "context",
	                 arena_printf(c->a, "%s/channels/%s", c->f->base, c->channel), "tag",
	                 c->tags, "attachment", atts);
	if (note && reply)
		json_object_set_new(note, "inReplyTo", json_string(reply));
	if (note && edited)
		json_object_set_new(note, "updated", json_string(edited));
	if (note && !json_array_size(atts))
		json_object_del(note, "attachment");
out:
	json_decref(atts);
	buf_release(&html);
	return note;
}

enum err fout_note_doc(struct fed *f, const json_t *msg, struct arena *a, json_t **note,
                       const char **remote_host, struct err_info *ei)
{
	struct note_ctx c;
	json_t *n = NULL;
	enum err rc = note_ctx_load(f, a, msg, &c);

	if (!rc) {
		n = note_render(&c, msg, ei);
		rc = n && !json_object_set_new(n, "@context", as2_context()) ? SE_OK : SE_NOMEM;
	}
	store_read_end(c.txn);
	json_decref(c.tags);
	if (rc) {
		json_decref(n);
		return rc;
	}
	*note = n;
	*remote_host = c.remote.host;
	return SE_OK;
}

/* Create / Update / Delete of a DM message. */
static enum err message_send(struct fed *f, const char *type, const json_t *msg,
                             struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct note_ctx c;
	struct fw op;
	struct str inbox;
	const char *id;
	char now_iso[32];
	json_t *obj = NULL, *act = NULL;
	enum err rc;

	if (!f || !msg)
		return SE_OK;
	memset(&op, 0, sizeof(op));
	rc = note_ctx_load(f, &a, msg, &c);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
		goto out;
	}
	if (rc)
		goto out;
	if (!strcmp(type, "Delete"))
		obj =
		    json_pack("{s:s, s:s}", "id", fed_object_url(f, &a, str_from(jget(msg, "_id"))),
		              "type", "Tombstone");
	else
		obj = note_render(&c, msg, ei);
	store_read_end(c.txn);
	c.txn = NULL;
	id = fed_activity_url(f, &a);
	act = obj && id ? activity_new(type, id, c.author_url) : NULL;
	fout_iso8601(fout_now_ms(), now_iso);
	if (!act || json_object_set(act, "object", obj) || !address_to(act, c.remote.id) ||
	    json_object_set_new(act, "published", json_string(now_iso))) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	rc = fw_add_act(&op, &a, act);
	inbox = str_from(c.remote.inbox);
	op.signer = str_from(c.author);
	op.inboxes = &inbox;
	op.n_inboxes = 1;
	if (!rc)
		rc = fw_run(&op, ei);
out:
	store_read_end(c.txn);
	json_decref(c.tags);
	json_decref(obj);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}

enum err fout_message_create(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Create", message, ei);
}

enum err fout_message_update(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Update", message, ei);
}

enum err fout_message_delete(struct fed *f, const json_t *message, struct err_info *ei)
{
	return message_send(f, "Delete", message, ei);
}

/* ---- reactions ---- */

/*
 * The default emoji goes out as a Like (Mastodon and GoToSocial show it as a
 * favourite; Misskey reads _misskey_reaction), any other as EmojiReact
 * (Akkoma, Pleroma, Misskey; Mastodon ignores it).
 */
enum err fout_react(struct fed *f, struct str user, struct str message_id, struct str emoji,
                    bool add, struct err_info *ei)
{
	struct arena a = ARENA_INIT(OUT_ARENA_MAX);
	struct note_ctx c;
	struct fw op;
	struct str inbox, key;
	const char *id, *note, *rid = NULL;
	bool like = str_eq_cstr(emoji, FPROC_LIKE_EMOJI);
	json_t *msg = NULL, *react = NULL, *act = NULL;
	enum err rc;

	memset(&c, 0, sizeof(c));
	memset(&op, 0, sizeof(op));
	if (!f)
		return SE_OK;
	rc = store_read_begin(f->store, &c.txn);
	if (!rc)
		rc = msg_load(c.txn, message_id, &msg);
	store_read_end(c.txn);
	c.txn = NULL;
	if (rc) {
		rc = rc == SE_NOT_FOUND ? SE_OK : rc;
		goto out;
	}
	/* the DM context as if `user` wrote the message: they must be local */
	if (json_object_set_new(msg, "author", json_stringn(user.p, user.n))) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = note_ctx_load(f, &a, msg, &c);
	if (rc == SE_NOT_FOUND) {
		rc = SE_OK;
		goto out;
	}
	if (rc)
		goto out;
	json_decref(msg);
	msg = NULL;
	rc = msg_load(c.txn, message_id, &msg);
	note = rc ? NULL : fout_note_id(f, c.txn, msg, &a);
	key = str_from(arena_printf(&a, "%.*s/%.*s/%.*s", (int)message_id.n, message_id.p,
	                            (int)user.n, user.p, (int)emoji.n, emoji.p));
	if (!rc && !add && fmap_ap_of(c.txn, "react", key, &a, &rid))
		rid = NULL;
	store_read_end(c.txn);
	c.txn = NULL;
	if (rc || !note || !key.p) {
		rc = rc ? rc : SE_OK; /* a message without a Note id has nothing to react to */
		goto out;
	}
	id = fed_activity_url(f, &a);
	react =
	    id ? json_pack("{s:s, s:s, s:s, s:s, s:s%, s:s%}", "id",
	                   add   ? id
	                   : rid ? rid
	                         : id,
	                   "type", like ? "Like" : "EmojiReact", "actor", c.author_url, "object",
	                   note, "content", emoji.p, emoji.n, "_misskey_reaction", emoji.p, emoji.n)
	       : NULL;
	if (!react) {
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	if (add) {
		json_object_set_new(react, "@context", as2_context());
		act = json_incref(react);
		op.map_ap = str_from(id);
		op.map_kind = "react";
		op.map_local = key;
	} else {
		act = activity_new("Undo", id, c.author_url);
		if (act && json_object_set(act, "object", react)) {
			json_decref(act);
			act = NULL;
		}
		if (rid) {
			op.map_ap = str_from(rid);
			op.map_del = true;
		}
	}
	if (!act || !address_to(act, c.remote.id)) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	rc = fw_add_act(&op, &a, act);
	inbox = str_from(c.remote.inbox);
	op.signer = user;
	op.inboxes = &inbox;
	op.n_inboxes = 1;
	if (!rc)
		rc = fw_run(&op, ei);
out:
	store_read_end(c.txn);
	json_decref(c.tags);
	json_decref(react);
	json_decref(msg);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
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
	struct fw op;
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
	act = id && actor ? activity_new("Update", id, actor) : NULL;
	if (!act || json_object_set(act, "object", doc) ||
	    json_object_set_new(act, "to", json_pack("[s]", AS2_PUBLIC)) ||
	    json_object_set_new(act, "cc", json_pack("[s+]", actor, "/followers"))) {
		json_decref(act);
		rc = SE_NOMEM;
		goto out;
	}
	op.f = f;
	rc = fw_add_act(&op, &a, act);
	op.signer = user;
	op.inboxes = inboxes;
	op.n_inboxes = n;
	if (!rc)
		rc = fw_run(&op, ei);
out:
	json_decref(doc);
	json_decref(rec);
	arena_release(&a);
	return rc ? SE_RAISE(ei, rc) : SE_OK;
}
