/*
 * federation/resolve.c: remote actors as user records. Signed GETs as the
 * instance actor (draft-cavage first, RFC 9421 on 401 — or the reverse with
 * federation.sign_first = rfc9421), actor validation (resolve_parse.c),
 * the user + ap_ids write, keyId -> key lookup (Mastodon "#main-key",
 * GoToSocial "/main-key" stub documents) and WebFinger handles.
 */
#include "federation/resolve.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/fed.h"
#include "federation/httpsig.h"
#include "federation/inbox.h"
#include "federation/keys.h"
#include "federation/media.h"
#include "federation/objmap.h"
#include "federation/policy.h"
#include "federation/resolve_int.h"
#include "storage/record.h"
#include "storage/store.h"
#include "users/user.h"

#define AS2_ACCEPT                                                                                 \
	"application/activity+json, application/ld+json; "                                         \
	"profile=\"https://www.w3.org/ns/activitystreams\""
#define JRD_ACCEPT "application/jrd+json, application/json"
#define BOT_OWNER "00000000000000000000000000"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy a user id (a ULID) into a 32-byte buffer; false when it does not fit. */
static bool copy_id(char dst[32], const char *src)
{
	size_t n = strlen(src);

	if (n >= 32)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool host_allowed(struct fed *f, const char *url)
{
	return policy_store_allows_url(f->store, url);
}

/* One GET signed with `scheme` as the instance actor (unsigned without a key ring). */
static enum err get_once(struct fed *f, const struct fetch_url *u, const char *url,
                         const char *accept, enum hsig_scheme scheme, struct fetch_resp *resp,
                         struct err_info *ei)
{
	const struct cfg_federation *fc = &f->cfg->federation;
	struct fetch_opts o = {f->allow_private, fc->fetch_timeout, fc->fetch_max_bytes,
	                       fc->max_redirects, f->user_agent};
	struct hsig_header h[1] = {{STR_LIT("accept"), str_from(accept)}};
	struct hsig_request r = {
	    "GET", str_from(u->path), str_from(u->hostport), str_from(u->scheme), h, 1, STR_NULL,
	    false};
	struct hsig_out out = HSIG_OUT_INIT;
	const char *lines[HSIG_OUT_MAX + 2];
	char accept_line[256], key_id[FETCH_URL_MAX + 32];
	struct fetch_req rq = {"GET", url, lines, STR_NULL};
	void *key = NULL;
	size_t n = 0;
	enum err rc = SE_OK;

	snprintf(accept_line, sizeof(accept_line), "Accept: %s", accept);
	lines[n++] = accept_line;
	if (f->keys) {
		snprintf(key_id, sizeof(key_id), "%s/actor#main-key", f->base);
		rc = fkeys_private_rsa(f->keys, STR_LIT(FKEYS_INSTANCE), &key, ei);
		if (!rc)
			rc = hsig_sign(scheme, &r, key_id, key, now_ms() / 1000, &out, ei);
		fkeys_pkey_free(key);
		if (rc)
			goto done;
		for (size_t i = 0; i < out.n; i++)
			lines[n++] = out.lines[i];
	}
	lines[n] = NULL;
	rc = fetch_do(&o, &rq, resp, ei);
done:
	hsig_out_release(&out);
	return rc;
}

/*
 * Signed GET of `url` with the policy, breaker and negative cache around it.
 * `*doc` new reference; `final_url` gets the URL after redirects.
 */
static enum err get_json_ex(struct fed *f, const char *url, const char *accept, json_t **doc,
                            char final_url[FETCH_URL_MAX], struct err_info *ei)
{
	struct fres_cache *c = finbox_cache(f);
	struct fetch_resp resp;
	struct fetch_url u;
	enum hsig_scheme first = HSIG_CAVAGE;
	int64_t now = now_ms();
	char esc[160];
	enum err rc;

	fetch_resp_init(&resp);
	rc = fetch_url_parse(url, &u, ei);
	if (rc)
		return SE_RAISEF(ei, SE_INVAL, "bad URL");
	if (!f->allow_private && strcmp(u.scheme, "https") != 0)
		return SE_RAISEF(ei, SE_INVAL, "plain http is not allowed");
	if (!host_allowed(f, url))
		return SE_RAISEF(ei, SE_MissingPermission, "domain of '%s' is blocked", u.host);
	if (fres_cache_host_open(c, u.hostport, now))
		return SE_RAISEF(ei, SE_RETRY, "host '%s' is failing (breaker open)", u.host);
	if (fres_cache_negative(c, url, now))
		return SE_RAISEF(ei, SE_RETRY, "recently failed, not refetched yet");
	if (f->cfg->federation.sign_first && strcmp(f->cfg->federation.sign_first, "rfc9421") == 0)
		first = HSIG_RFC9421;
	/* a slow host must not hold every HTTP worker thread: a bounded number of fetches */
	if (!fres_cache_fetch_begin(c))
		return SE_RAISEF(ei, SE_RETRY, "too many remote fetches in flight");
	rc = get_once(f, &u, url, accept, first, &resp, ei);
	if (!rc && (resp.status == 401 || resp.status == 400) && f->keys) {
		fetch_resp_release(&resp);
		rc = get_once(f, &u, url, accept, first == HSIG_CAVAGE ? HSIG_RFC9421 : HSIG_CAVAGE,
		              &resp, ei);
	}
	fres_cache_fetch_end(c);
	if (rc)
		goto fail;
	if (resp.final_url[0] && !host_allowed(f, resp.final_url)) {
		rc = SE_RAISEF(ei, SE_MissingPermission, "redirected to a blocked domain");
		goto out;
	}
	if (resp.status == 404 || resp.status == 410) {
		ei->status = (int)resp.status;
		rc = SE_RAISEF(ei, SE_NOT_FOUND, "HTTP %ld", resp.status);
		goto fail;
	}
	if (resp.status < 200 || resp.status > 299) {
		rc = SE_RAISEF(ei, SE_INVAL, "HTTP %ld", resp.status);
		goto fail;
	}
	rc = jx_parse_object(buf_str(&resp.body), f->cfg->federation.fetch_max_bytes, doc, ei);
	if (rc) {
		rc = SE_RAISEF(ei, SE_INVAL, "response is not a JSON object");
		goto fail;
	}
	snprintf(final_url, FETCH_URL_MAX, "%s", resp.final_url[0] ? resp.final_url : url);
	fres_cache_ok(c, url, u.hostport);
	goto out;
fail:
	fres_cache_fail(c, url, u.hostport, now);
	log_escape(esc, sizeof(esc), url, strlen(url));
	log_info("resolve: GET '%s' failed: %s (%s)", esc, err_type(rc), ei ? ei->detail : "");
out:
	fetch_resp_release(&resp);
	return rc;
}

enum err fres_get_json(struct fed *f, const char *url, json_t **out, struct err_info *ei)
{
	char final_url[FETCH_URL_MAX];

	return get_json_ex(f, url, AS2_ACCEPT, out, final_url, ei);
}

/* ---- the user record ---- */

struct save_op {
	const char *ap_id;
	json_t *ap;           /* borrowed */
	const char *username; /* "<name>@<host>" */
	const char *display;  /* "" = none */
	bool bot;
	char id[32];   /* out: the user id */
	bool existed;  /* out */
	bool changed;  /* out: a visible field changed */
	json_t *data;  /* out: UserUpdate.data (new reference) */
	json_t *clear; /* out: UserUpdate.clear */
};

static bool str_field_eq(const json_t *rec, const char *k, const char *v)
{
	const char *s = json_string_value(json_object_get(rec, k));

	return s ? strcmp(s, v) == 0 : !v[0];
}

static enum err pick_discriminator(struct store_txn *t, const char *username, char disc[5])
{
	for (int i = 0; i < 64; i++) {
		unsigned d;

		cry_random(&d, sizeof(d));
		d = 1 + d % 9999;
		if (!user_tag_taken(t, str_from(username), d)) {
			snprintf(disc, 5, "%04u", d);
			return SE_OK;
		}
	}
	return SE_FULL;
}

static enum err map_keys(struct store_wtxn *w, const json_t *ap, const char *id)
{
	static const char *const lists[] = {"keys", "ed_keys"};
	char tmp[FMAP_AP_ID_MAX + 8];
	enum err rc = SE_OK;

	for (size_t l = 0; l < 2; l++) {
		const json_t *arr = json_object_get(ap, lists[l]);

		for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
			const char *kid =
			    json_string_value(json_object_get(json_array_get(arr, i), "id"));
			int n = kid ? snprintf(tmp, sizeof(tmp), "key:%s", kid) : -1;

			if (n > 0 && (size_t)n <= FMAP_AP_ID_MAX)
				rc = fmap_put(w, (struct str){tmp, (size_t)n}, "key", str_from(id));
		}
	}
	return rc;
}

static enum err save_fn(struct store_wtxn *w, void *arg)
{
	struct save_op *op = arg;
	struct store_txn *t = store_wtxn_read(w);
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX], disc[5];
	json_t *rec = NULL;
	enum err rc;
	int bad = 0;

	op->existed = op->changed = false;
	json_decref(op->data);
	json_decref(op->clear);
	op->data = json_object();
	op->clear = json_array();
	if (!op->data || !op->clear)
		return SE_NOMEM;
	rc = fmap_get(t, str_from(op->ap_id), kind, local);
	if (!rc && strcmp(kind, "user") == 0) {
		rc = user_load(t, str_from(local), &rec);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK; /* a dangling mapping: make a new user */
		else if (rc)
			return rc;
	} else if (rc && rc != SE_NOT_FOUND) {
		return rc;
	}
	rc = SE_OK;
	if (rec) {
		op->existed = true;
		snprintf(op->id, sizeof(op->id), "%s", user_id_of(rec));
		if (!str_field_eq(rec, "username", op->username)) {
			if (pick_discriminator(t, op->username, disc) != SE_OK) {
				rc = SE_FULL;
				goto out;
			}
			bad |= json_object_set_new(rec, "username", json_string(op->username));
			bad |= json_object_set_new(rec, "discriminator", json_string(disc));
			bad |=
			    json_object_set(op->data, "username", json_object_get(rec, "username"));
			bad |= json_object_set(op->data, "discriminator",
			                       json_object_get(rec, "discriminator"));
			op->changed = true;
		}
	} else {
		struct ulid u;

		if (ulid_generate(NULL, &u)) {
			rc = SE_IO;
			goto out;
		}
		ulid_encode(&u, op->id);
		if (pick_discriminator(t, op->username, disc) != SE_OK) {
			rc = SE_FULL;
			goto out;
		}
		rec = user_record_new(str_from(op->id), str_from(op->username), disc);
		if (!rec) {
			rc = SE_NOMEM;
			goto out;
		}
	}
	if (!str_field_eq(rec, "display_name", op->display)) {
		if (op->display[0]) {
			bad |= json_object_set_new(rec, "display_name", json_string(op->display));
			bad |=
			    json_object_set_new(op->data, "display_name", json_string(op->display));
		} else {
			bad |= json_object_del(rec, "display_name");
			bad |= json_array_append_new(op->clear, json_string("DisplayName"));
		}
		op->changed = true;
	}
	if (op->bot && !json_object_get(rec, "bot"))
		bad |= json_object_set_new(rec, "bot", json_pack("{s:s}", "owner", BOT_OWNER));
	else if (!op->bot && json_object_get(rec, "bot"))
		bad |= json_object_del(rec, "bot");
	if (bad) {
		rc = SE_NOMEM;
		goto out;
	}
	/* a changed icon/image: fetched into a File by federation/media.c */
	rc = fmedia_enqueue_changes(w, op->id, rec, op->ap, now_ms());
	if (rc)
		goto out;
	if (json_object_set(rec, "ap", op->ap)) {
		rc = SE_NOMEM;
		goto out;
	}
	if (op->existed) {
		rc = user_save(w, rec);
	} else {
		char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);

		rc = text ? store_create(w, USER_COLL, str_from(op->id), str_from(text)) : SE_NOMEM;
		mem_free(text);
	}
	if (!rc)
		rc = fmap_put(w, str_from(op->ap_id), "user", str_from(op->id));
	if (!rc)
		rc = map_keys(w, op->ap, op->id);
out:
	json_decref(rec);
	return rc;
}

static void publish_update(struct fed *f, struct save_op *op)
{
	struct ulid u;
	char eid[ULID_LEN + 1];
	json_t *ev;
	char *text;

	if (!f->bus || ulid_generate(NULL, &u))
		return;
	ulid_encode(&u, eid);
	ev = json_pack("{s:s, s:s, s:O, s:O, s:s}", "type", "UserUpdate", "id", op->id, "data",
	               op->data, "clear", op->clear, "event_id", eid);
	text = ev ? jx_dump(ev) : NULL;
	if (!text || bus_publish(f->bus, str_from(op->id), str_from(text)))
		log_warn("resolve: cannot publish a 'UserUpdate' event");
	mem_free(text);
	json_decref(ev);
}

/* The user mapped to `ap_id`, with its ap.fetched_at (0 when unknown). */
static enum err lookup_user(struct fed *f, const char *ap_id, char user_id[32], int64_t *fetched_at)
{
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	enum err rc = store_read_begin(f->store, &t);

	if (rc)
		return rc;
	rc = fmap_get(t, str_from(ap_id), kind, local);
	if (!rc && strcmp(kind, "user") != 0)
		rc = SE_NOT_FOUND;
	if (!rc)
		rc = user_load(t, str_from(local), &rec);
	store_read_end(t);
	if (rc)
		return rc;
	*fetched_at = json_integer_value(json_object_get(json_object_get(rec, "ap"), "fetched_at"));
	json_decref(rec);
	return copy_id(user_id, local) ? SE_OK : SE_PARSE;
}

enum err fres_actor(struct fed *f, const char *actor_url, bool refresh, char user_id[32],
                    struct err_info *ei)
{
	struct save_op op;
	char username[128], display[128], final_url[FETCH_URL_MAX], cached[32] = "";
	char instance[FETCH_URL_MAX];
	struct str local;
	json_t *doc = NULL, *ap = NULL;
	int64_t fetched_at = 0, now = now_ms();
	enum err rc;

	memset(&op, 0, sizeof(op));
	if (!actor_url || !actor_url[0] || strlen(actor_url) >= FETCH_URL_MAX)
		return SE_RAISEF(ei, SE_INVAL, "bad actor URL");
	if (fed_local_user_of(f, str_from(actor_url), &local)) {
		/* one of ours: never fetched */
		if (local.n >= 32)
			return SE_RAISEF(ei, SE_INVAL, "bad local actor");
		memcpy(user_id, local.p, local.n);
		user_id[local.n] = '\0';
		return SE_OK;
	}
	snprintf(instance, sizeof(instance), "%s/actor", f->base);
	if (strcmp(actor_url, instance) == 0)
		return SE_RAISEF(ei, SE_INVAL, "our own instance actor");
	if (lookup_user(f, actor_url, cached, &fetched_at) == SE_OK && !refresh &&
	    now - fetched_at < FRES_TTL_MS) {
		snprintf(user_id, 32, "%s", cached);
		return SE_OK;
	}
	rc = get_json_ex(f, actor_url, AS2_ACCEPT, &doc, final_url, ei);
	if (!rc)
		rc = fres_actor_parse(doc, final_url, now, f->allow_private, &ap, username, display,
		                      ei);
	if (rc) {
		/* a stale record beats none while the host is unreachable */
		if (cached[0] && !refresh && rc != SE_NOT_FOUND && rc != SE_MissingPermission) {
			snprintf(user_id, 32, "%s", cached);
			rc = SE_OK;
		}
		goto out;
	}
	op.ap_id = json_string_value(json_object_get(ap, "id"));
	op.ap = ap;
	op.username = username;
	op.display = display;
	op.bot = strcmp(json_string_value(json_object_get(ap, "type")), "Service") == 0 ||
	         strcmp(json_string_value(json_object_get(ap, "type")), "Application") == 0;
	rc = store_write(f->store, save_fn, &op, ei);
	if (rc)
		goto out;
	fres_cache_key_drop_actor(finbox_cache(f), op.ap_id);
	fmedia_kick(f);
	if (op.existed && op.changed)
		publish_update(f, &op);
	snprintf(user_id, 32, "%s", op.id);
out:
	json_decref(op.data);
	json_decref(op.clear);
	json_decref(ap);
	json_decref(doc);
	return rc;
}

/* ---- keys ---- */

/* The stored key `key_id`: parsed key plus owner, from ap_ids "key:<id>" and the user record. */
static enum err key_from_store(struct fed *f, const char *key_id, void **evp, char user_id[32],
                               char actor_id[2048], int64_t *fetched_at, struct err_info *ei)
{
	static const char *const lists[] = {"keys", "ed_keys"};
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX], tmp[FMAP_AP_ID_MAX + 8];
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	const json_t *ap;
	enum err rc;
	int n = snprintf(tmp, sizeof(tmp), "key:%s", key_id);

	if (n <= 0 || (size_t)n > FMAP_AP_ID_MAX)
		return SE_NOT_FOUND;
	rc = store_read_begin(f->store, &t);
	if (rc)
		return rc;
	rc = fmap_get(t, (struct str){tmp, (size_t)n}, kind, local);
	if (!rc)
		rc = user_load(t, str_from(local), &rec);
	store_read_end(t);
	if (rc)
		return rc;
	ap = json_object_get(rec, "ap");
	rc = SE_NOT_FOUND;
	for (size_t l = 0; l < 2 && rc == SE_NOT_FOUND; l++) {
		const json_t *arr = json_object_get(ap, lists[l]);

		for (size_t i = 0; i < json_array_size(arr); i++) {
			const json_t *k = json_array_get(arr, i);
			const char *id = json_string_value(json_object_get(k, "id"));

			if (!id || strcmp(id, key_id) != 0)
				continue;
			if (l == 0)
				rc = fkeys_parse_pem(
				    str_from(json_string_value(json_object_get(k, "pem"))), evp,
				    ei);
			else
				rc = fkeys_parse_multibase(
				    str_from(json_string_value(json_object_get(k, "multibase"))),
				    evp, ei);
			break;
		}
	}
	if (!rc && !copy_id(user_id, local)) {
		fkeys_pkey_free(*evp);
		*evp = NULL;
		rc = SE_PARSE;
	}
	if (!rc) {
		snprintf(actor_id, 2048, "%s", json_string_value(json_object_get(ap, "id")));
		*fetched_at = json_integer_value(json_object_get(ap, "fetched_at"));
	}
	json_decref(rec);
	return rc;
}

/* keyId -> the actor URL to fetch: strip "#frag"; else fetch the key document. */
static enum err key_owner_url(struct fed *f, const char *key_id, char actor[FETCH_URL_MAX],
                              struct err_info *ei)
{
	const char *hash = strchr(key_id, '#');
	const char *owner;
	struct fetch_url ku, ou;
	json_t *doc = NULL;
	enum err rc;

	if (hash) {
		snprintf(actor, FETCH_URL_MAX, "%.*s", (int)(hash - key_id), key_id);
		return SE_OK;
	}
	/* GoToSocial: "<actor>/main-key" serves a stub {id, type, publicKey{owner}} */
	rc = fres_get_json(f, key_id, &doc, ei);
	if (rc)
		return rc;
	owner = json_string_value(json_object_get(doc, "owner"));
	if (!owner)
		owner =
		    json_string_value(json_object_get(json_object_get(doc, "publicKey"), "owner"));
	if (!owner && json_object_get(doc, "inbox"))
		owner = json_string_value(json_object_get(doc, "id"));
	if (!owner || fetch_url_parse(owner, &ou, NULL) || fetch_url_parse(key_id, &ku, NULL) ||
	    strcmp(ou.hostport, ku.hostport) != 0) {
		rc = SE_RAISEF(ei, SE_INVAL, "key document names no owner on its host");
		goto out;
	}
	snprintf(actor, FETCH_URL_MAX, "%s", owner);
out:
	json_decref(doc);
	return rc;
}

enum err fres_key_cached(struct fed *f, const char *key_id, void **evp_out, char user_id[32],
                         char actor_id[2048], struct err_info *ei)
{
	int64_t at;
	enum err rc;

	if (fres_cache_key_get(finbox_cache(f), key_id, now_ms(), evp_out, user_id, actor_id))
		return SE_OK;
	rc = key_from_store(f, key_id, evp_out, user_id, actor_id, &at, ei);
	if (!rc)
		fres_cache_key_put(finbox_cache(f), key_id, *evp_out, user_id, actor_id, now_ms());
	return rc;
}

enum err fres_key(struct fed *f, const char *key_id, bool refresh, void **evp_out, char user_id[32],
                  char actor_id[2048], struct err_info *ei)
{
	struct fres_cache *c = finbox_cache(f);
	char actor[FETCH_URL_MAX], uid[32], throttle[FETCH_URL_MAX + 4];
	char stale_uid[32] = "", stale_actor[2048] = "";
	int64_t at = 0, now = now_ms();
	void *evp = NULL, *stale = NULL;
	enum err rc;

	if (!key_id || !key_id[0] || strlen(key_id) >= FETCH_URL_MAX)
		return SE_RAISEF(ei, SE_INVAL, "bad keyId");
	if (!refresh && fres_cache_key_get(c, key_id, now, evp_out, user_id, actor_id))
		return SE_OK;
	if (!refresh) {
		rc = key_from_store(f, key_id, &evp, user_id, actor_id, &at, ei);
		if (!rc && now - at < FRES_TTL_MS) {
			fres_cache_key_put(c, key_id, evp, user_id, actor_id, now);
			*evp_out = evp;
			return SE_OK;
		}
		/* older than the TTL: refetch, but keep it in case the host is down */
		if (!rc) {
			stale = evp;
			memcpy(stale_uid, user_id, sizeof(stale_uid));
			memcpy(stale_actor, actor_id, sizeof(stale_actor));
		}
		evp = NULL;
	}
	rc = key_owner_url(f, key_id, actor, ei);
	if (rc)
		goto out;
	/*
	 * One fetch of an actor per minute for an unknown keyId and one for a
	 * refresh (key rotation): random keyIds ("#x1", "#x2", ...) naming a
	 * real actor must not turn us into an amplifier against its host.
	 */
	snprintf(throttle, sizeof(throttle), "%c %s", refresh ? 'r' : 'u', actor);
	if (fres_cache_refresh_too_soon(c, throttle, now)) {
		rc =
		    SE_RAISEF(ei, SE_RETRY, "actor fetched less than a minute ago for this reason");
		goto out;
	}
	rc = fres_actor(f, actor, true, uid, ei);
	if (rc)
		goto out;
	rc = key_from_store(f, key_id, &evp, user_id, actor_id, &at, ei);
	if (rc == SE_NOT_FOUND)
		rc = SE_RAISEF(ei, SE_NOT_FOUND, "the actor has no key with this id");
	if (rc)
		goto out;
	fres_cache_key_put(c, key_id, evp, user_id, actor_id, now);
	*evp_out = evp;
	fkeys_pkey_free(stale);
	return SE_OK;
out:
	if (stale && rc != SE_NOT_FOUND && rc != SE_MissingPermission) {
		/* a stale key beats none while the owner's host is unreachable */
		memcpy(user_id, stale_uid, sizeof(stale_uid));
		memcpy(actor_id, stale_actor, sizeof(stale_actor));
		*evp_out = stale;
		return SE_OK;
	}
	fkeys_pkey_free(stale);
	return rc;
}

/* ---- WebFinger ---- */

static bool is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

enum err fres_handle(struct fed *f, struct str handle, char user_id[32], struct err_info *ei)
{
	char name[128], host[264], url[FETCH_URL_MAX], href[2048], final_url[FETCH_URL_MAX];
	struct fetch_url u;
	json_t *jrd = NULL;
	long at;
	enum err rc;

	if (handle.n && handle.p[0] == '@') {
		handle.p++;
		handle.n--;
	}
	at = str_index(handle, '@');
	if (at <= 0 || (size_t)at + 1 >= handle.n || (size_t)at >= sizeof(name) ||
	    handle.n - (size_t)at - 1 >= sizeof(host))
		return SE_RAISEF(ei, SE_INVAL, "not a user@host handle");
	memcpy(name, handle.p, (size_t)at);
	name[at] = '\0';
	memcpy(host, handle.p + at + 1, handle.n - (size_t)at - 1);
	host[handle.n - (size_t)at - 1] = '\0';
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return SE_RAISEF(ei, SE_INVAL, "bad user part in handle");
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == ':' ||
		      *p == '[' || *p == ']'))
			return SE_RAISEF(ei, SE_INVAL, "bad host in handle");
	snprintf(url, sizeof(url), "https://%s/", host);
	if (fetch_url_parse(url, &u, NULL))
		return SE_RAISEF(ei, SE_INVAL, "bad host in handle");
	snprintf(url, sizeof(url), "%s://%s/.well-known/webfinger?resource=acct:%s@%s",
	         f->allow_private && is_loopback(u.host) ? "http" : "https", host, name, host);
	rc = get_json_ex(f, url, JRD_ACCEPT, &jrd, final_url, ei);
	if (!rc)
		rc = fres_jrd_self(jrd, f->allow_private, href, ei);
	json_decref(jrd);
	if (rc)
		return rc;
	return fres_actor(f, href, false, user_id, ei);
}
