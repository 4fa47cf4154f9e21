/*
 * federation/inbox.c: POST B/inbox, B/users/{id}/inbox, B/actor/inbox.
 * Pipeline (docs/internals/federation-inbox.md): body cap (413), JSON (400),
 * signature parse (401), policy on the keyId and actor hosts (403, before
 * any fetch), keyId host == actor host (401), digest (401), key (cache,
 * store, or a signed fetch of the actor) and verification with one refetch
 * on failure (key rotation), idempotency on the activity id, then the
 * activity is queued durably ("ap_inbox") in the same write and we answer
 * 202. A worker thread hands queued activities to fproc_handle.
 * Mastodon's short-circuit: Delete{actor itself} from an actor we do not
 * hold a key for is answered 202 and dropped without fetching anything.
 */
#include "federation/inbox.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/as2.h"
#include "federation/deliver.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/httpsig.h"
#include "federation/keys.h"
#include "federation/objmap.h"
#include "federation/policy.h"
#include "federation/process.h"
#include "federation/resolve_int.h"
#include "http/router.h"
#include "storage/queue.h"
#include "storage/record.h"
#include "users/user.h"

/* lease of a claimed activity: a worker that dies gives it back after this (ms) */
#define LEASE_MS (5 * 60 * 1000)
/* how often an idle worker expires old activity ids (ms) */
#define PURGE_EVERY_MS (10 * 60 * 1000)
/* idle worker poll (ms); an enqueue wakes it at once */
#define IDLE_MS 1000

const struct queue_def finbox_queue = {"ap_inbox", 30 * 1000, 6 * 3600 * 1000, 10};
/* same queue: one failed attempt is the last (permanent errors go straight to the dead list) */
static const struct queue_def dead_now = {"ap_inbox", 30 * 1000, 6 * 3600 * 1000, 1};

struct finbox {
	struct fed *f;
	struct fres_cache *cache;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, kick;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct fres_cache *finbox_cache(struct fed *f)
{
	return f && f->inbox ? f->inbox->cache : NULL;
}

static const char *type_of(const json_t *doc)
{
	const json_t *t = json_object_get(doc, "type");

	if (json_is_array(t))
		t = json_array_get(t, 0);
	return json_string_value(t);
}

static const char *id_of(const json_t *v)
{
	if (json_is_object(v))
		v = json_object_get(v, "id");
	return json_string_value(v);
}

/* ---- the worker ---- */

static void wake(struct finbox *ib)
{
	pthread_mutex_lock(&ib->mu);
	ib->kick = true;
	pthread_cond_signal(&ib->cv);
	pthread_mutex_unlock(&ib->mu);
}

/* FEP-8fcf: the sender's view of its followers here, checked after the activity. */
static void csync(struct fed *f, const char *actor_uid, const json_t *value)
{
	struct err_info ei = ERR_INFO_INIT;
	size_t removed = 0;
	enum err rc =
	    fcsync_check(f, str_from(actor_uid),
	                 (struct str){json_string_value(value), json_string_length(value)},
	                 now_ms(), &removed, &ei);

	if (rc && rc != SE_RETRY)
		log_info("inbox: followers synchronisation with %s failed: %s %s", actor_uid,
		         err_type(rc), ei.detail);
	else if (removed)
		log_info("inbox: followers synchronisation with %s ended %zu follows", actor_uid,
		         removed);
}

static void process_item(struct finbox *ib, struct queue_item *it)
{
	struct err_info ei = ERR_INFO_INIT, qei = ERR_INFO_INIT;
	json_t *p = NULL;
	struct fproc_in in;
	enum err rc, qrc;
	bool dead = false;

	rc = jx_parse_object(it->payload, QUEUE_PAYLOAD_MAX, &p, &ei);
	if (!rc) {
		in.activity = json_object_get(p, "activity");
		in.actor_user_id = json_string_value(json_object_get(p, "actor"));
		in.recipient_user_id = json_string_value(json_object_get(p, "recipient"));
		in.received_ms = json_integer_value(json_object_get(p, "received"));
		if (!json_is_object(in.activity) || !in.actor_user_id)
			rc = SE_RAISEF(&ei, SE_PARSE, "queued item without activity or actor");
	}
	if (!rc) {
		const char *aid = id_of(json_object_get(in.activity, "id"));
		char esc[200];

		log_escape(esc, sizeof(esc), aid ? aid : "", aid ? strlen(aid) : 0);
		log_info("inbox: processing '%s' %s",
		         type_of(in.activity) ? type_of(in.activity) : "?", esc);
		rc = fproc_handle(ib->f, &in, &ei);
	}
	if (!rc && json_is_string(json_object_get(p, "csync")))
		csync(ib->f, in.actor_user_id, json_object_get(p, "csync"));
	if (!rc) {
		qrc = queue_ack_one(ib->f->store, &finbox_queue, it->id, it->token, &qei);
	} else {
		char msg[QUEUE_ERROR_MAX];

		snprintf(msg, sizeof(msg), "%s: %s", err_type(rc), ei.detail);
		qrc = queue_retry_one(ib->f->store, rc == SE_RETRY ? &finbox_queue : &dead_now,
		                      it->id, it->token, now_ms(), str_from(msg), &dead, &qei);
		log_info("inbox: activity %s %s: %s", it->id,
		         dead ? "dead-lettered" : "retried later", msg);
	}
	if (qrc)
		log_warn("inbox: cannot settle queue item %s: %s", it->id, err_type(qrc));
	json_decref(p);
}

struct purge_op {
	char before[ULID_LEN + 1];
	size_t n;
};

static enum err purge_fn(struct store_wtxn *w, void *arg)
{
	struct purge_op *p = arg;

	return fmap_purge_before(w, "activity", (struct str){p->before, 10}, 64, &p->n);
}

/*
 * Forgets activity ids older than FINBOX_SEEN_MS (their mapping's local id
 * is the queue item's ULID, so time order is id order): the replay table
 * stays bounded. A few batches per call.
 */
static void purge_seen(struct finbox *ib)
{
	struct purge_op p;
	struct ulid u;

	if (ulid_generate_at(NULL, (uint64_t)(now_ms() - FINBOX_SEEN_MS), &u))
		return;
	ulid_encode(&u, p.before);
	for (int i = 0; i < 16; i++) {
		struct err_info ei = ERR_INFO_INIT;

		p.n = 0;
		if (store_write(ib->f->store, purge_fn, &p, &ei)) {
			log_warn("inbox: cannot expire old activity ids: %s", ei.detail);
			return;
		}
		if (p.n < 64)
			return;
	}
}

static void *worker(void *arg)
{
	struct finbox *ib = arg;
	int64_t last_purge = 0;

	for (;;) {
		struct arena a = ARENA_INIT(2 * QUEUE_PAYLOAD_MAX + (64u << 10));
		struct err_info ei = ERR_INFO_INIT;
		struct queue_item it;
		enum err rc;

		pthread_mutex_lock(&ib->mu);
		if (ib->stop) {
			pthread_mutex_unlock(&ib->mu);
			break;
		}
		pthread_mutex_unlock(&ib->mu);
		rc = queue_claim_one(ib->f->store, &finbox_queue, now_ms(), LEASE_MS, &a, &it, &ei);
		if (!rc)
			process_item(ib, &it);
		arena_release(&a);
		if (rc == SE_OK)
			continue;
		if (rc != SE_NOT_FOUND)
			log_warn("inbox: cannot claim from the queue: %s", err_type(rc));
		if (now_ms() - last_purge > PURGE_EVERY_MS) {
			purge_seen(ib);
			last_purge = now_ms();
		}
		pthread_mutex_lock(&ib->mu);
		if (!ib->stop && !ib->kick) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)IDLE_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&ib->cv, &ib->mu, &ts);
		}
		ib->kick = false;
		pthread_mutex_unlock(&ib->mu);
	}
	return NULL;
}

enum err finbox_start(struct fed *f, struct err_info *ei)
{
	struct finbox *ib = xcalloc(1, sizeof(*ib));

	ib->f = f;
	ib->cache = fres_cache_new();
	pthread_mutex_init(&ib->mu, NULL);
	pthread_cond_init(&ib->cv, NULL);
	f->inbox = ib;
	if (pthread_create(&ib->th, NULL, worker, ib) != 0) {
		finbox_stop(f);
		return SE_RAISEF(ei, SE_IO, "cannot start the inbox worker");
	}
	ib->started = true;
	return SE_OK;
}

void finbox_stop(struct fed *f)
{
	struct finbox *ib = f ? f->inbox : NULL;

	if (!ib)
		return;
	if (ib->started) {
		pthread_mutex_lock(&ib->mu);
		ib->stop = true;
		pthread_cond_signal(&ib->cv);
		pthread_mutex_unlock(&ib->mu);
		pthread_join(ib->th, NULL);
	}
	f->inbox = NULL;
	fres_cache_free(ib->cache);
	pthread_cond_destroy(&ib->cv);
	pthread_mutex_destroy(&ib->mu);
	mem_free(ib);
}

/* ---- request helpers ---- */

/* The request as the signature helper sees it (slices into the request). */
static bool hsig_view(struct fed *f, const struct http_req *req, struct arena *a, bool with_body,
                      struct str body, struct hsig_request *r)
{
	size_t n = req->n_headers < HSIG_REQ_HEADERS_MAX ? req->n_headers : HSIG_REQ_HEADERS_MAX;
	struct hsig_header *h = arena_alloc(a, (n ? n : 1) * sizeof(*h));
	const char *colon = strchr(f->base, ':');
	struct buf target = BUF_INIT(LIM_URL_MAX);

	if (!h || !colon)
		return false;
	for (size_t i = 0; i < n; i++) {
		h[i].name = req->headers[i].name;
		h[i].value = req->headers[i].value;
	}
	/* the decoded path is the raw one for our routes (ULIDs, no escapes) */
	buf_append_str(&target, req->path);
	for (size_t i = 0; i < req->n_query; i++) {
		buf_putc(&target, i ? '&' : '?');
		buf_append_str(&target, req->query[i].name);
		if (req->query[i].value.p) {
			buf_putc(&target, '=');
			buf_append_str(&target, req->query[i].value);
		}
	}
	if (buf_err(&target)) {
		buf_release(&target);
		return false;
	}
	r->method = http_method_name(req->method);
	r->target = arena_str(a, buf_str(&target));
	buf_release(&target);
	r->authority = http_req_header(req, "host");
	/* behind a TLS proxy the signer saw our public scheme */
	r->scheme = (struct str){f->base, (size_t)(colon - f->base)};
	r->headers = h;
	r->n_headers = n;
	r->body = body;
	r->has_body = with_body;
	return r->target.p != NULL;
}

/* host[:port] of an absolute URL into out; false for junk. */
static bool url_host(const char *url, char out[264])
{
	struct fetch_url u;

	if (!url || fetch_url_parse(url, &u, NULL))
		return false;
	snprintf(out, 264, "%s", u.hostport);
	return true;
}

static bool policy_ok(struct fed *f, const char *host)
{
	return policy_store_allows_host(f->store, str_from(host));
}

/* Answer `status` with {"error": reason} and log the refusal. */
static enum err refuse(struct req_ctx *ctx, int status, const char *who, const char *reason)
{
	char esc[200], body[300];
	json_t *b = json_pack("{s:s}", "error", reason);
	char *text = b ? jx_dump(b) : NULL;

	log_escape(esc, sizeof(esc), who ? who : "", who ? strlen(who) : 0);
	log_info("inbox: refused %d from %s ('%s'): %s", status, ctx->req->peer, esc, reason);
	snprintf(body, sizeof(body), "%s", text ? text : "{}");
	http_resp_set(ctx->resp, status, "application/json", str_from(body));
	mem_free(text);
	json_decref(b);
	return SE_OK;
}

static enum err accepted(struct req_ctx *ctx)
{
	http_resp_set(ctx->resp, 202, NULL, STR_NULL);
	return SE_OK;
}

/* The body, read from the spool file when the server put it there. */
static enum err read_body(const struct http_req *req, size_t max, struct buf *out)
{
	if (req->body_len > max)
		return SE_TOO_LARGE;
	if (req->body_fd < 0) {
		buf_append_str(out, buf_str(&req->body));
		return buf_err(out);
	}
	for (off_t off = 0; (size_t)off < req->body_len;) {
		char chunk[16384];
		ssize_t k = pread(req->body_fd, chunk, sizeof(chunk), off);

		if (k <= 0)
			return SE_IO;
		buf_append(out, chunk, (size_t)k);
		off += k;
	}
	return buf_err(out);
}

/* ---- idempotency + durable queue ---- */

struct enq_op {
	struct str activity_id;
	struct str payload;
	int64_t now;
	bool dup;
	char qid[ULID_LEN + 1];
};

static enum err enq_fn(struct store_wtxn *w, void *arg)
{
	struct enq_op *op = arg;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	enum err rc = fmap_get(store_wtxn_read(w), op->activity_id, kind, local);

	op->dup = rc == SE_OK;
	if (op->dup)
		return SE_OK;
	if (rc != SE_NOT_FOUND)
		return rc;
	rc = queue_enqueue(w, &finbox_queue, op->payload, op->now, op->now, op->qid);
	if (!rc)
		rc = fmap_put(w, op->activity_id, "activity", str_from(op->qid));
	return rc;
}

/* ---- the pipeline ---- */

struct verified {
	char user_id[32];    /* the key's owner (a user id) */
	char actor_id[2048]; /* the key owner's AP id */
	char key_host[264];  /* host[:port] of the keyId */
	struct hsig_parsed sig;
};

/*
 * Signature of `r` -> key -> verification, with one refetch on failure.
 * `cached_only` never fetches (Delete of an actor we may not reach). Returns
 * 0 when verified, else the HTTP status to answer (401/403) with `why`.
 */
/* The Host a request carries names us: our host[:port], any case, or with the scheme's default
 * port spelled out. */
static bool authority_is_ours(const struct fed *f, struct str authority)
{
	struct str ours = str_from(f->host);
	bool https = strncmp(f->base, "https:", 6) == 0;
	struct str dflt = https ? STR_LIT(":443") : STR_LIT(":80");

	if (str_eq_nocase(authority, ours))
		return true;
	return authority.n == ours.n + dflt.n && str_index(ours, ':') < 0 &&
	       str_eq_nocase((struct str){authority.p, ours.n}, ours) &&
	       str_eq((struct str){authority.p + ours.n, dflt.n}, dflt);
}

static int verify_request(struct fed *f, const struct hsig_request *r, const char *actor_host,
                          bool cached_only, struct verified *v, const char **why,
                          struct err_info *ei)
{
	unsigned skew = f->cfg->federation.clock_skew;
	int64_t now_s = now_ms() / 1000;
	void *key = NULL;
	enum err rc;

	rc = hsig_parse(r, &v->sig, ei);
	if (rc) {
		*why = rc == SE_NOT_FOUND ? "no signature"
		       : ei->detail[0]    ? ei->detail
		                          : "bad signature";
		return 401;
	}
	if (!url_host(v->sig.key_id, v->key_host)) {
		*why = "keyId is not a URL";
		return 401;
	}
	/* policy before any fetch (Mastodon, GoToSocial: 403 for blocked signers) */
	if (!policy_ok(f, v->key_host) || (actor_host && !policy_ok(f, actor_host))) {
		*why = "domain blocked";
		return 403;
	}
	if (actor_host && strcmp(v->key_host, actor_host) != 0) {
		*why = "keyId host differs from the actor's host";
		return 401;
	}
	if (r->has_body && hsig_check_digest(r, ei)) {
		*why = ei->detail[0] ? ei->detail : "digest mismatch";
		return 401;
	}
	/* a request signed for another host is a replay of someone else's fetch or delivery */
	if (!authority_is_ours(f, r->authority)) {
		*why = "Host is not this instance";
		return 401;
	}
	if (cached_only)
		rc = fres_key_cached(f, v->sig.key_id, &key, v->user_id, v->actor_id, ei);
	else
		rc = fres_key(f, v->sig.key_id, false, &key, v->user_id, v->actor_id, ei);
	if (rc == SE_MissingPermission) {
		*why = "domain blocked";
		return 403;
	}
	if (rc) {
		*why = ei->detail[0] ? ei->detail : "cannot get the key";
		return 401;
	}
	rc = hsig_verify(r, &v->sig, key, now_s, skew, ei);
	fkeys_pkey_free(key);
	key = NULL;
	/*
	 * key rotation: refetch the actor once and try its current key, only when
	 * the signature itself failed (hsig_verify's "bad signature" / "wrong key
	 * type"), not for a stale Date or a missing component: a refetch cannot
	 * fix those.
	 */
	if (rc && !cached_only &&
	    (strncmp(ei->detail, "bad signature", 13) == 0 ||
	     strncmp(ei->detail, "wrong key type", 14) == 0)) {
		struct err_info e2 = ERR_INFO_INIT;

		if (!fres_key(f, v->sig.key_id, true, &key, v->user_id, v->actor_id, &e2)) {
			rc = hsig_verify(r, &v->sig, key, now_s, skew, ei);
			fkeys_pkey_free(key);
		}
	}
	if (rc) {
		*why = ei->detail[0] ? ei->detail : "bad signature";
		return 401;
	}
	return 0;
}

/*
 * FEP-8fcf: the Collection-Synchronization value of `r` when its verified
 * signature covers it (Mastodon's rule: an uncovered one is ignored).
 */
static bool csync_value(const struct hsig_request *r, const struct hsig_parsed *sig,
                        struct arena *a, struct str *out)
{
	struct buf tmp = BUF_INIT(FCSYNC_HEADER_MAX);
	bool covered = false, ok;

	for (size_t i = 0; i < sig->n_components; i++)
		covered |= strcmp(sig->components[i], FCSYNC_HEADER) == 0;
	if (!covered)
		return false;
	ok = hsig_header_get(r, FCSYNC_HEADER, &tmp, out) && out->n <= FCSYNC_HEADER_MAX;
	if (ok)
		*out = arena_str(a, *out);
	buf_release(&tmp);
	return ok && out->p;
}

static enum err handle(struct req_ctx *ctx, const char *recipient)
{
	struct app *app = ctx->app;
	struct fed *f = app->fed;
	struct buf body = BUF_INIT(f ? f->cfg->federation.inbox_max : 0);
	struct hsig_request r;
	struct verified *v = NULL;
	struct enq_op op;
	json_t *doc = NULL, *payload = NULL;
	const char *id, *actor, *type, *why = "";
	char actor_host[264], id_host[264], actor_uid[32];
	struct str cs;
	struct as2_activity act;
	bool parsed = false;
	char *text = NULL;
	bool self_delete;
	int status;
	enum err rc;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = read_body(ctx->req, f->cfg->federation.inbox_max, &body);
	if (rc == SE_TOO_LARGE || rc == SE_NOMEM) {
		rc = refuse(ctx, 413, NULL, "body too large");
		goto out;
	}
	if (rc)
		goto out;
	if (jx_parse_object(buf_str(&body), f->cfg->federation.inbox_max, &doc, &ctx->ei)) {
		rc = refuse(ctx, 400, NULL, "body is not a JSON object");
		goto out;
	}
	/* the AS2 view (bounds, URL ids, audiences); the processor parses it again */
	if (as2_parse_activity(doc, f->allow_private ? AS2_ALLOW_HTTP : 0, &act, &ctx->ei)) {
		char reason[ERR_DETAIL_MAX + 32];

		snprintf(reason, sizeof(reason), "not an activity: %s", ctx->ei.detail);
		rc = refuse(ctx, 400, id_of(json_object_get(doc, "actor")), reason);
		goto out;
	}
	parsed = true;
	id = act.id;
	actor = act.actor;
	type = act.type;
	if (!id || !type || !actor || !url_host(actor, actor_host) || strlen(id) > FMAP_AP_ID_MAX) {
		rc = refuse(ctx, 400, actor, "activity without id, type or actor");
		goto out;
	}
	/*
	 * The id must be on the actor's host: ids are the idempotency key, and a
	 * sender must not be able to claim (and so suppress) another host's ids.
	 */
	if (!url_host(id, id_host) || strcmp(id_host, actor_host) != 0) {
		rc = refuse(ctx, 400, actor, "activity id is not on the actor's host");
		goto out;
	}
	if (!hsig_view(f, ctx->req, ctx->arena, true, buf_str(&body), &r)) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	self_delete =
	    strcmp(type, "Delete") == 0 && act.object_id && strcmp(act.object_id, actor) == 0;
	v = arena_zalloc(ctx->arena, sizeof(*v));
	if (!v) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	status = verify_request(f, &r, actor_host, self_delete, v, &why, &ctx->ei);
	if (status && self_delete && status == 401) {
		/* Mastodon: a gone actor's Delete we cannot check is accepted and dropped */
		log_info("inbox: dropped Delete of unknown actor ('%s')", actor_host);
		rc = accepted(ctx);
		goto out;
	}
	if (status) {
		rc = refuse(ctx, status, v->sig.key_id, why);
		goto out;
	}
	/*
	 * The key must be the actor's own (fedify's rule): a user of a shared
	 * instance must not speak for another user of it, which a host check
	 * alone would allow.
	 */
	if (strcmp(v->actor_id, actor) != 0) {
		rc = self_delete
		         ? accepted(ctx)
		         : refuse(ctx, 401, v->sig.key_id, "the key's owner is not the actor");
		goto out;
	}
	memcpy(actor_uid, v->user_id, sizeof(actor_uid));
	fdel_host_seen(f, str_from(v->key_host));
	payload = json_pack("{s:O, s:s, s:s?, s:I}", "activity", doc, "actor", actor_uid,
	                    "recipient", recipient, "received", (json_int_t)now_ms());
	if (payload && csync_value(&r, &v->sig, ctx->arena, &cs)) {
		/* not UTF-8 (json_stringn refuses it): a header we could never parse */
		json_t *cv = json_stringn(cs.p, cs.n);

		if (cv && json_object_set_new(payload, "csync", cv)) {
			json_decref(payload);
			payload = NULL;
		}
	}
	text = payload ? jx_dump(payload) : NULL;
	if (!text) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.activity_id = str_from(id);
	op.payload = str_from(text);
	op.now = now_ms();
	rc = store_write(f->store, enq_fn, &op, &ctx->ei);
	if (rc == SE_TOO_LARGE) {
		rc = refuse(ctx, 413, actor, "activity too large to queue");
		goto out;
	}
	if (rc)
		goto out;
	if (op.dup) {
		char esc[200];

		log_escape(esc, sizeof(esc), id, strlen(id));
		log_info("inbox: duplicate activity '%s' ignored", esc);
	} else if (f->inbox) {
		wake(f->inbox);
	}
	rc = accepted(ctx);
out:
	if (parsed)
		as2_activity_release(&act);
	mem_free(text);
	json_decref(payload);
	json_decref(doc);
	buf_release(&body);
	return rc;
}

static enum err h_shared(struct req_ctx *ctx)
{
	return handle(ctx, NULL);
}

static enum err h_user(struct req_ctx *ctx)
{
	struct app *app = ctx->app;
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	char id[32];
	bool local;

	if (!app->fed || ctx->req->n_params < 1 || ctx->req->params[0].n >= sizeof(id))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	memcpy(id, ctx->req->params[0].p, ctx->req->params[0].n);
	id[ctx->req->params[0].n] = '\0';
	if (store_read_begin(app->store, &t))
		return SE_RAISE(&ctx->ei, SE_IO);
	local = user_load(t, str_from(id), &rec) == SE_OK && !json_object_get(rec, "ap");
	store_read_end(t);
	json_decref(rec);
	if (!local)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	return handle(ctx, arena_strndup(ctx->arena, id, strlen(id)));
}

static const struct route inbox_routes[] = {
    {HTTP_POST, "/inbox", h_shared, 0},
    {HTTP_POST, "/users/{id}/inbox", h_user, 0},
    {HTTP_POST, "/actor/inbox", h_shared, 0},
};

const struct route *api_inbox_table(size_t *n)
{
	*n = sizeof(inbox_routes) / sizeof(inbox_routes[0]);
	return inbox_routes;
}

/* ---- authorized fetch ---- */

enum err finbox_verify_get(struct fed *f, const struct http_req *req, char signer_host[256],
                           struct err_info *ei)
{
	struct arena a = ARENA_INIT(1u << 20);
	struct hsig_request r;
	struct verified *v = NULL;
	const char *why = "";
	int status;
	enum err rc = SE_OK;

	if (signer_host)
		signer_host[0] = '\0';
	if (!hsig_view(f, req, &a, false, STR_NULL, &r) || !(v = arena_zalloc(&a, sizeof(*v)))) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	if (!f->cfg->federation.authorized_fetch) {
		/*
		 * Not required: an unsigned GET is anonymous. A signed one is verified
		 * all the same, because the signer's host is what grants access to
		 * non-public objects; a blocked signer gets 403, a bad signature counts
		 * as anonymous (no signer host).
		 */
		struct err_info pei = ERR_INFO_INIT;

		if (hsig_parse(&r, &v->sig, &pei) || !url_host(v->sig.key_id, v->key_host))
			goto out;
		if (!policy_ok(f, v->key_host)) {
			rc = SE_RAISEF(ei, SE_MissingPermission, "domain blocked");
			goto out;
		}
		status = verify_request(f, &r, NULL, false, v, &why, &pei);
		if (status == 403)
			rc = SE_RAISEF(ei, SE_MissingPermission, "domain blocked");
		else if (!status && signer_host)
			snprintf(signer_host, 256, "%.255s", v->key_host);
		goto out;
	}
	status = verify_request(f, &r, NULL, false, v, &why, ei);
	if (signer_host && v->key_host[0] && !status)
		snprintf(signer_host, 256, "%.255s", v->key_host);
	if (status) {
		char esc[200], reason[ERR_DETAIL_MAX];

		snprintf(reason, sizeof(reason), "%s", why);
		log_escape(esc, sizeof(esc), v->sig.key_id, strlen(v->sig.key_id));
		log_info("inbox: refused signed GET %d from %s ('%s'): %s", status, req->peer, esc,
		         reason);
		if (status == 403)
			rc = SE_RAISEF(ei, SE_MissingPermission, "domain blocked");
		else
			rc = SE_RAISEF(ei, SE_NotAuthenticated, "%s", reason);
	}
out:
	arena_release(&a);
	return rc;
}
