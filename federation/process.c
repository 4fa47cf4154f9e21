/*
 * federation/process.c: inbound activities -> Revolt objects and events
 * (docs/federation.md "What we accept"). Follows become friend requests,
 * direct Notes become DM messages through the same code paths as a local
 * client's (api/api_fed.h), reactions become MessageReact. Every handler is
 * idempotent: the inbox drops replayed activity ids, and each handler also
 * checks its own state (a known Note id, an existing follow, a present
 * reaction) so that a second, different activity saying the same thing
 * changes nothing twice.
 */
#include "federation/process.h"
#include "federation/process_int.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/fetch.h"
#include "core/mem.h"
#include "federation/as2.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/mapping_int.h"
#include "federation/objmap.h"
#include "federation/outbox.h"
#include "federation/prefs.h"
#include "federation/resolve.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/access.h"
#include "users/relation.h"
#include "users/user.h"

/* arena of one activity */
#define PROC_ARENA_MAX (4u << 20)
/* users whose relation one actor Delete / Move walks at most */
#define PROC_WALK_MAX 2000
/* Revolt user flag "Deleted" */
#define PROC_FLAG_DELETED 2

static const char *jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Store and network failures that may pass: try the activity again later. */
enum err fproc_transient(enum err rc)
{
	switch (rc) {
	case SE_IO:
	case SE_BUSY:
	case SE_FULL:
	case SE_TIMEOUT:
	case SE_RETRY:
	case SE_NOMEM:
		return SE_RETRY;
	default:
		return rc;
	}
}

/* The local user `url` names (an actor of ours that exists), into out. */
bool fproc_local_user(struct pctx *p, const char *url, char out[32])
{
	struct store_txn *txn = NULL;
	struct str id;
	bool ok;

	if (!url || !fed_local_user_of(p->f, str_from(url), &id) || id.n >= 32)
		return false;
	if (store_read_begin(p->f->store, &txn))
		return false;
	ok = fout_is_local(txn, id);
	store_read_end(txn);
	if (ok) {
		memcpy(out, id.p, id.n);
		out[id.n] = '\0';
	}
	return ok;
}

/* ---- relationships ---- */

enum rs_op {
	RS_NONE,
	RS_FOLLOW_IN,  /* R follows L (state decided inside the write) */
	RS_ACCEPT_OUT, /* R accepted L's follow */
	RS_REMOVE_OUT, /* L's follow of R ends (Reject) */
	RS_REMOVE_IN,  /* R's follow of L ends (Undo) */
	RS_REMOVE_ALL, /* both (actor gone) */
	RS_BLOCK,      /* R blocks L (user_rel_next from R's side) */
	RS_UNBLOCK,
};

struct rel_sync {
	enum rs_op op;
	struct str L, R, activity;
	bool auto_accept; /* the instance default; L's own setting wins (prefs.h) */
	int64_t now;
	/* out */
	bool changed, accepted, rejected;
};

static enum err drop_follow(struct store_wtxn *w, struct str er, struct str ee)
{
	enum err rc = ffollow_remove(w, er, ee);

	return rc == SE_NOT_FOUND ? SE_OK : rc;
}

static enum err rel_fn(struct store_wtxn *w, void *arg)
{
	struct rel_sync *s = arg;
	struct store_txn *txn = store_wtxn_read(w);
	struct ffollow fout, fin;
	bool hout, hin;
	json_t *l = NULL, *r = NULL;
	enum perm_relationship cl, cr, nl, nr;
	enum err rc;

	s->changed = s->accepted = s->rejected = false;
	rc = user_load(txn, s->L, &l);
	if (!rc)
		rc = user_load(txn, s->R, &r);
	if (rc)
		goto out;
	cl = user_relation(l, user_id_of(r));
	cr = user_relation(r, user_id_of(l));
	switch (s->op) {
	case RS_FOLLOW_IN:
		if (cl == PERM_REL_BLOCKED) {
			/* kept pending only until fout_reject_follow answers and removes it */
			s->rejected = true;
			rc = ffollow_add(w, s->R, s->L, s->activity, FFOLLOW_PENDING, s->now, NULL);
			goto out;
		}
		rc = ffollow_get(txn, s->R, s->L, &fin);
		if (rc && rc != SE_NOT_FOUND)
			goto out;
		/* accepted at once: L's setting or the instance's, L asked R first (then
		 * both follow), or a re-Follow */
		s->accepted = fprefs_auto_accept(txn, s->L, s->auto_accept) ||
		              cl == PERM_REL_OUTGOING || cl == PERM_REL_FRIEND ||
		              (rc == SE_OK && fin.state == FFOLLOW_ACCEPTED);
		rc = ffollow_add(w, s->R, s->L, s->activity,
		                 s->accepted ? FFOLLOW_ACCEPTED : FFOLLOW_PENDING, s->now, NULL);
		break;
	case RS_ACCEPT_OUT:
		rc = ffollow_accept(w, s->L, s->R);
		break;
	case RS_REMOVE_OUT:
		rc = drop_follow(w, s->L, s->R);
		break;
	case RS_REMOVE_IN:
		rc = drop_follow(w, s->R, s->L);
		break;
	case RS_REMOVE_ALL:
		rc = drop_follow(w, s->L, s->R);
		if (!rc)
			rc = drop_follow(w, s->R, s->L);
		if (!rc && cl != PERM_REL_BLOCKED && cl != PERM_REL_BLOCKED_OTHER) {
			nl = nr = PERM_REL_NONE;
			goto set;
		}
		break;
	case RS_BLOCK:
	case RS_UNBLOCK:
		if (s->op == RS_BLOCK) {
			rc = drop_follow(w, s->L, s->R);
			if (!rc)
				rc = drop_follow(w, s->R, s->L);
		}
		if (rc)
			goto out;
		/* Revolt's own transition, from the blocking (remote) user's side */
		rc = user_rel_next(s->op == RS_BLOCK ? USER_REL_BLOCK : USER_REL_UNBLOCK, cr, cl, 0,
		                   1, &nr, &nl, store_wtxn_ei(w));
		if (rc == SE_NoEffect) {
			rc = SE_OK;
			goto out;
		}
		if (rc)
			goto out;
		goto set;
	case RS_NONE:
		break;
	}
	if (rc)
		goto out;
	rc = ffollow_get_pair(txn, s->L, s->R, &fout, &hout, &fin, &hin);
	if (rc)
		goto out;
	nl = ffollow_relation(cl, hout ? &fout : NULL, hin ? &fin : NULL);
	nr = ffollow_relation_mirror(nl);
set:
	rc = fout_relation_save(w, l, r, nl, nr, &s->changed);
out:
	json_decref(l);
	json_decref(r);
	return rc;
}

static enum err rel_run(struct pctx *p, struct rel_sync *s)
{
	enum err rc;

	s->now = p->in->received_ms;
	rc = store_write(p->f->store, rel_fn, s, p->ei);
	if (rc)
		return fproc_transient(rc);
	if (s->changed)
		fout_publish_pair(p->f, s->L, s->R);
	return SE_OK;
}

/* ---- Follow / Accept / Reject / Undo{Follow} ---- */

static enum err on_follow(struct pctx *p)
{
	struct rel_sync s = {RS_FOLLOW_IN, STR_NULL, p->R, str_from(p->act.id), false, 0,
	                     false,        false,    false};
	char L[32];
	enum err rc;

	if (!fproc_local_user(p, p->act.object_id, L)) {
		log_info("fproc: Follow of '%s', not a local user: ignored",
		         p->act.object_id ? p->act.object_id : "?");
		return SE_OK;
	}
	s.L = str_from(L);
	s.auto_accept = p->f->cfg->federation.auto_accept_follows;
	rc = rel_run(p, &s);
	if (rc)
		return rc;
	if (s.rejected)
		return fout_reject_follow(p->f, s.L, p->R, p->ei);
	if (s.accepted)
		return fproc_transient(fout_accept_follow(p->f, s.L, p->R, p->ei));
	return SE_OK;
}

/*
 * The follow an Accept/Reject/Undo names: by the Follow's id, else by the
 * embedded Follow's actor and object. `*er`/`*ee` get follower/followee.
 */
static bool find_follow(struct pctx *p, struct ffollow *fo)
{
	struct store_txn *txn = NULL;
	const struct as2_object *o = &p->act.obj;
	const json_t *obj = p->act.object;
	char L[32], R2[32];
	bool found = false;

	if (store_read_begin(p->f->store, &txn))
		return false;
	if (p->act.object_id && !ffollow_by_activity(txn, str_from(p->act.object_id), fo))
		found = true;
	store_read_end(txn);
	if (found || !json_is_object(obj))
		return found;
	(void)o;
	/* the embedded Follow: {actor, object}; one side is ours, the other the sender */
	if (fproc_local_user(p, as2_id_of(json_object_get(obj, "actor")), L) && p->act.actor &&
	    !strcmp(as2_id_of(json_object_get(obj, "object"))
	                ? as2_id_of(json_object_get(obj, "object"))
	                : "",
	            p->act.actor)) {
		if (store_read_begin(p->f->store, &txn))
			return false;
		found = !ffollow_get(txn, str_from(L), p->R, fo);
		store_read_end(txn);
	} else if (fproc_local_user(p, as2_id_of(json_object_get(obj, "object")), R2) &&
	           p->act.actor &&
	           !strcmp(as2_id_of(json_object_get(obj, "actor"))
	                       ? as2_id_of(json_object_get(obj, "actor"))
	                       : "",
	                   p->act.actor)) {
		if (store_read_begin(p->f->store, &txn))
			return false;
		found = !ffollow_get(txn, p->R, str_from(R2), fo);
		store_read_end(txn);
	}
	return found;
}

static enum err on_accept_reject(struct pctx *p, bool accept)
{
	struct rel_sync s;
	struct ffollow fo;

	memset(&s, 0, sizeof(s));
	/* only the followee may accept or reject a follow of it */
	if (!find_follow(p, &fo) || !str_eq_cstr(p->R, fo.followee)) {
		log_info("fproc: %s of an unknown follow from '%s': ignored", p->act.type,
		         p->act.actor);
		return SE_OK;
	}
	s.op = accept ? RS_ACCEPT_OUT : RS_REMOVE_OUT;
	s.L = str_from(fo.follower);
	s.R = p->R;
	return rel_run(p, &s);
}

/* ---- Notes ---- */

/* ---- actors ---- */

/* Every local user R follows or is followed by, into ids (bounded). */
static size_t related_users(struct pctx *p, char (*ids)[32], size_t cap)
{
	struct ffollow *page = xcalloc(FFOLLOW_PAGE_MAX, sizeof(*page));
	struct store_txn *txn = NULL;
	size_t n = 0;

	if (store_read_begin(p->f->store, &txn)) {
		mem_free(page);
		return 0;
	}
	for (int side = 0; side < 2; side++) {
		for (int st = 0; st < 2; st++) {
			char cursor[FFOLLOW_USER_MAX] = "";
			bool more = true;

			while (more && n < cap) {
				size_t got = 0;

				if (ffollow_list(txn, (enum ffollow_side)side, p->R,
				                 (enum ffollow_state)st,
				                 cursor[0] ? str_from(cursor) : STR_NULL, page,
				                 FFOLLOW_PAGE_MAX, &got, &more))
					break;
				for (size_t i = 0; i < got && n < cap; i++) {
					const char *o = side == FFOLLOW_FOLLOWERS
					                    ? page[i].follower
					                    : page[i].followee;
					bool dup = false;

					for (size_t k = 0; k < n; k++)
						dup |= !strcmp(ids[k], o);
					if (!dup && strlen(o) < 32)
						memcpy(ids[n++], o, strlen(o) + 1);
				}
				if (got)
					snprintf(cursor, sizeof(cursor), "%s",
					         side == FFOLLOW_FOLLOWERS
					             ? page[got - 1].follower
					             : page[got - 1].followee);
			}
		}
	}
	store_read_end(txn);
	mem_free(page);
	return n;
}

struct flag_op {
	struct str id;
	const char *moved_to; /* set ap.moved_to instead of flagging deleted */
	json_int_t flags;     /* out: the user's flags after the write */
};

static enum err flag_fn(struct store_wtxn *w, void *arg)
{
	struct flag_op *op = arg;
	json_t *rec = NULL;
	enum err rc = user_load(store_wtxn_read(w), op->id, &rec);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_OK : rc;
	if (op->moved_to)
		rc = json_object_set_new(json_object_get(rec, "ap"), "moved_to",
		                         json_string(op->moved_to))
		         ? SE_NOMEM
		         : SE_OK;
	else {
		op->flags = json_integer_value(json_object_get(rec, "flags")) | PROC_FLAG_DELETED;
		rc = json_object_set_new(rec, "flags", json_integer(op->flags)) ? SE_NOMEM : SE_OK;
	}
	if (!rc)
		rc = user_save(w, rec);
	json_decref(rec);
	return rc;
}

/* Delete of the actor by itself: follows and friendships end, the user is marked deleted. */
static enum err on_delete_actor(struct pctx *p)
{
	char(*ids)[32] = xcalloc(PROC_WALK_MAX, sizeof(*ids));
	struct flag_op fo = {p->R, NULL, 0};
	size_t n = related_users(p, ids, PROC_WALK_MAX);
	enum err rc = SE_OK;

	for (size_t i = 0; !rc && i < n; i++) {
		struct rel_sync s;

		memset(&s, 0, sizeof(s));
		s.op = RS_REMOVE_ALL;
		s.L = str_from(ids[i]);
		s.R = p->R;
		rc = rel_run(p, &s);
	}
	if (!rc)
		rc = fproc_transient(store_write(p->f->store, flag_fn, &fo, p->ei));
	if (!rc) {
		/* open clients learn it the way Revolt tells them of a deleted user */
		char topic[33];

		snprintf(topic, sizeof(topic), "%.*s", (int)(p->R.n < 32 ? p->R.n : 32), p->R.p);
		fout_publish(p->f, topic,
		             json_pack("{s:s, s:s, s:{s:I}, s:[]}", "type", "UserUpdate", "id",
		                       topic, "data", "flags", (json_int_t)fo.flags, "clear"));
	}
	mem_free(ids);
	log_info("fproc: actor '%s' deleted itself (%zu local relations ended)", p->act.actor, n);
	return rc;
}

static enum err on_update(struct pctx *p)
{
	char uid[32];
	const char *t = p->act.object_type;

	if (p->act.has_obj && fproc_note_type(t))
		return fproc_on_update_note(p);
	if (p->act.object_id && !strcmp(p->act.object_id, p->act.actor)) {
		/* the actor's own document: refetch it (its copy is authoritative) */
		enum err rc = fres_actor(p->f, p->act.actor, true, uid, p->ei);

		return rc == SE_OK ? SE_OK : fproc_transient(rc) == SE_RETRY ? SE_RETRY : SE_OK;
	}
	log_info("fproc: Update of '%s' from '%s': ignored", t ? t : "?", p->act.actor);
	return SE_OK;
}

static enum err on_move(struct pctx *p)
{
	char nid[32], (*ids)[32] = NULL;
	struct store_txn *txn = NULL;
	json_t *rec = NULL;
	struct flag_op fo = {p->R, p->act.target, 0};
	bool aka = false;
	size_t i, n;
	json_t *v;
	enum err rc;

	if (!p->act.target || !p->act.object_id || strcmp(p->act.object_id, p->act.actor)) {
		log_info("fproc: Move from '%s' without itself as object or a target: ignored",
		         p->act.actor);
		return SE_OK;
	}
	rc = fres_actor(p->f, p->act.target, true, nid, p->ei);
	if (rc)
		return fproc_transient(rc) == SE_RETRY ? SE_RETRY : SE_OK;
	rc = store_read_begin(p->f->store, &txn);
	if (!rc)
		rc = user_load(txn, str_from(nid), &rec);
	store_read_end(txn);
	if (rc)
		return fproc_transient(rc);
	json_array_foreach(json_object_get(json_object_get(rec, "ap"), "also_known_as"), i, v)
	{
		aka |= json_is_string(v) && !strcmp(json_string_value(v), p->act.actor);
	}
	json_decref(rec);
	if (!aka) {
		log_info("fproc: Move of '%s' to '%s' without alsoKnownAs back: ignored",
		         p->act.actor, p->act.target);
		return SE_OK;
	}
	rc = fproc_transient(store_write(p->f->store, flag_fn, &fo, p->ei));
	if (rc)
		return rc;
	/* local followers of the old actor follow the new one (as Mastodon does) */
	ids = xcalloc(PROC_WALK_MAX, sizeof(*ids));
	n = related_users(p, ids, PROC_WALK_MAX);
	for (i = 0; i < n; i++) {
		struct ffollow f;
		bool follows = false;

		if (!store_read_begin(p->f->store, &txn)) {
			follows = !ffollow_get(txn, str_from(ids[i]), p->R, &f);
			store_read_end(txn);
		}
		if (!follows)
			continue;
		if (fout_unfollow(p->f, str_from(ids[i]), p->R, NULL) ||
		    fout_follow(p->f, str_from(ids[i]), str_from(nid), NULL))
			log_warn("fproc: cannot move the follow of '%s' to '%s'", ids[i],
			         p->act.target);
		else {
			struct rel_sync s;

			memset(&s, 0, sizeof(s));
			s.L = str_from(ids[i]);
			s.R = str_from(nid);
			(void)rel_run(p, &s);
			s.R = p->R;
			(void)rel_run(p, &s);
		}
	}
	mem_free(ids);
	return SE_OK;
}

static enum err on_block(struct pctx *p, bool block)
{
	struct rel_sync s;
	char L[32];
	const char *obj =
	    block ? p->act.object_id : as2_id_of(json_object_get(p->act.object, "object"));

	memset(&s, 0, sizeof(s));
	if (!fproc_local_user(p, obj, L))
		return SE_OK;
	s.op = block ? RS_BLOCK : RS_UNBLOCK;
	s.L = str_from(L);
	s.R = p->R;
	return rel_run(p, &s);
}

/* ---- reactions ---- */

static enum err on_undo(struct pctx *p)
{
	const json_t *obj = p->act.object;
	const char *t = p->act.object_type;
	struct store_txn *txn = NULL;
	struct ffollow fo;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	enum err rc;

	if ((t && !strcmp(t, "Follow")) || (!t && find_follow(p, &fo))) {
		struct rel_sync s;

		memset(&s, 0, sizeof(s));
		if (t && !find_follow(p, &fo))
			return SE_OK;
		/* only the follower may undo its follow */
		if (!str_eq_cstr(p->R, fo.follower))
			return SE_OK;
		s.op = RS_REMOVE_IN;
		s.L = str_from(fo.followee);
		s.R = p->R;
		return rel_run(p, &s);
	}
	if (t && !strcmp(t, "Block"))
		return on_block(p, false);
	if (t && fproc_reaction_type(t) && json_is_object(obj) &&
	    as2_id_of(json_object_get(obj, "object")))
		return fproc_react(
		    p, as2_id_of(json_object_get(obj, "object")),
		    fproc_reaction_emoji(t, jget(obj, "content"), jget(obj, "_misskey_reaction")),
		    p->act.object_id, false);
	if (p->act.object_id && !store_read_begin(p->f->store, &txn)) {
		rc = fmap_get(txn, str_from(p->act.object_id), kind, local);
		store_read_end(txn);
		if (!rc && !strcmp(kind, "reaction"))
			return fproc_undo_reaction_by_id(p, local);
	}
	log_info("fproc: Undo of '%s' from '%s': nothing to undo", t ? t : "?", p->act.actor);
	return SE_OK;
}

static enum err dispatch(struct pctx *p)
{
	const char *t = p->act.type;

	if (!strcmp(t, "Follow"))
		return on_follow(p);
	if (!strcmp(t, "Accept"))
		return on_accept_reject(p, true);
	if (!strcmp(t, "Reject"))
		return on_accept_reject(p, false);
	if (!strcmp(t, "Undo"))
		return on_undo(p);
	if (!strcmp(t, "Create"))
		return fproc_on_create(p);
	if (!strcmp(t, "Update"))
		return on_update(p);
	if (!strcmp(t, "Delete")) {
		if (p->act.object_id && !strcmp(p->act.object_id, p->act.actor))
			return on_delete_actor(p);
		return fproc_on_delete_note(p, p->act.object_id);
	}
	if (fproc_reaction_type(t)) {
		if (!p->act.object_id)
			return SE_OK;
		return fproc_react(p, p->act.object_id,
		                   fproc_reaction_emoji(t, p->act.content, p->act.misskey_reaction),
		                   p->act.id, true);
	}
	if (!strcmp(t, "Block"))
		return on_block(p, true);
	if (!strcmp(t, "Move"))
		return on_move(p);
	if (!strcmp(t, "Announce")) {
		log_debug("fproc: Announce of '%s' from '%s': no timelines here, ignored",
		          p->act.object_id ? p->act.object_id : "?", p->act.actor);
		return SE_OK;
	}
	log_info("fproc: unsupported activity type '%s' from '%s': ignored", t, p->act.actor);
	return SE_OK;
}

enum err fproc_handle(struct fed *f, const struct fproc_in *in, struct err_info *ei)
{
	struct pctx p;
	enum err rc;

	memset(&p, 0, sizeof(p));
	if (!f || !in || !in->activity || !in->actor_user_id)
		return SE_RAISE(ei, SE_INVAL);
	p.f = f;
	p.in = in;
	p.ei = ei;
	p.R = str_from(in->actor_user_id);
	arena_init(&p.a, PROC_ARENA_MAX);
	rc = as2_parse_activity(in->activity, f->allow_private ? AS2_ALLOW_HTTP : 0, &p.act, ei);
	if (rc) {
		log_info("fproc: unparsable activity from user '%s': %s", in->actor_user_id,
		         ei && ei->detail[0] ? ei->detail : err_type(rc));
		arena_release(&p.a);
		return SE_PARSE;
	}
	rc = dispatch(&p);
	as2_activity_release(&p.act);
	arena_release(&p.a);
	return rc;
}

bool fproc_same_host(const char *a, const char *b)
{
	struct fetch_url ua, ub;

	if (!a || !b || fetch_url_parse(a, &ua, NULL) || fetch_url_parse(b, &ub, NULL))
		return false;
	return !strcmp(ua.hostport, ub.hostport);
}
