/*
 * federation/deliver.c: persisting deliveries (one stored activity, one
 * queue item and status record per distinct inbox), status records,
 * retention, hosts seen inbound, and the service's start/stop. Pure helpers
 * (schedule, Retry-After, classification): deliver_parse.c; workers:
 * deliver_worker.c and deliver_batch.c; routes: deliver_admin.c.
 */
#include "federation/deliver.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/deliver_int.h"
#include "federation/fed.h"
#include "federation/objmap.h"
#include "federation/software.h"
#include "storage/queue.h"

const struct queue_def fdel_queue = {"ap_delivery", 1000, 1000, FDEL_ATTEMPTS};

/* ---- schema ---- */

static enum err extract_apid(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = NULL;
	const json_t *v;
	char hex[FMAP_HEX_LEN];
	enum err rc;

	(void)id;
	(void)arg;
	rc = jx_parse_object(rec, FDEL_BODY_MAX * 2 + 8192, &o, NULL);
	if (rc)
		return rc;
	v = json_object_get(o, "id");
	if (json_is_string(v)) {
		fmap_id_hex((struct str){json_string_value(v), json_string_length(v)}, hex);
		rc = store_keys_add(out, (struct str){hex, FMAP_HEX_LEN - 1});
	}
	json_decref(o);
	return rc;
}

static enum err extract_self(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)rec;
	(void)arg;
	return store_keys_add(out, id);
}

const struct store_index_def fdel_act_indexes[2] = {
    {FDEL_ACT_IDX_APID, false, extract_apid, NULL},
    {FDEL_ACT_IDX_ALL, true, extract_self, NULL},
};
const struct store_index_def fdel_status_indexes[1] = {
    {FDEL_STATUS_IDX_ACT, true, extract_self, NULL},
};

int64_t fdel_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- status records ---- */

enum err fdel_status_set(struct store_wtxn *w, struct str did, const char *state, unsigned attempts,
                         long code, struct str error, int64_t now_ms)
{
	json_t *o = NULL;
	struct str rec;
	char *text = NULL;
	enum err rc;

	rc = store_get(store_wtxn_read(w), FDEL_STATUS_COLL, did, &rec);
	if (rc)
		return rc;
	rc = jx_parse_object(rec, 64 * 1024, &o, NULL);
	if (rc)
		return rc;
	rc = SE_NOMEM;
	if (error.n > FDEL_ERROR_MAX)
		error.n = FDEL_ERROR_MAX;
	if ((state && json_object_set_new(o, "state", json_string(state))) ||
	    json_object_set_new(o, "attempts", json_integer(attempts)) ||
	    json_object_set_new(o, "code", code ? json_integer(code) : json_null()) ||
	    json_object_set_new(o, "error",
	                        error.n ? json_stringn(error.p, error.n) : json_null()) ||
	    json_object_set_new(o, "updated", json_integer(now_ms)))
		goto out;
	text = jx_dump(o);
	if (!text)
		goto out;
	rc = store_put(w, FDEL_STATUS_COLL, did, str_from(text));
out:
	mem_free(text);
	json_decref(o);
	return rc;
}

/* ---- retention ---- */

/* status records read or deleted per step */
#define PRUNE_STEP 256
/* how a queued status record reads (records are compact JSON, jx_dump) */
#define QUEUED_TAG "\"state\":\"queued\""

struct prune_arg {
	int64_t cutoff;
	size_t max, pruned;
};

/* True if any status record of activity `key` is still queued. */
static enum err any_queued(struct store_txn *t, const char *key, bool *queued)
{
	char pre[ULID_LEN + 2], cursor[FDEL_DID_MAX];
	struct store_hit hits[PRUNE_STEP];
	struct store_range rg;
	size_t n;
	enum err rc;

	*queued = false;
	snprintf(pre, sizeof(pre), "%.26s.", key);
	rg = (struct store_range){{pre, ULID_LEN + 1}, STR_NULL, STR_NULL, STORE_ASC};
	do {
		rc = store_index_scan(t, FDEL_STATUS_COLL, FDEL_STATUS_IDX_ACT, &rg, hits,
		                      PRUNE_STEP, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			struct str rec;

			if (store_get(t, FDEL_STATUS_COLL, hits[i].id, &rec) == SE_OK &&
			    memmem(rec.p, rec.n, QUEUED_TAG, sizeof(QUEUED_TAG) - 1)) {
				*queued = true;
				return SE_OK;
			}
		}
		if (n) {
			struct str k = hits[n - 1].key;

			snprintf(cursor, sizeof(cursor), "%.*s", (int)(k.n - ULID_LEN - 1),
			         k.p + ULID_LEN + 1);
			rg.after = str_from(cursor);
		}
	} while (n == PRUNE_STEP);
	return SE_OK;
}

static enum err drop_activity(struct store_wtxn *w, const char *key)
{
	struct store_txn *t = store_wtxn_read(w);
	char pre[ULID_LEN + 2], ids[PRUNE_STEP][FDEL_DID_MAX];
	struct store_hit hits[PRUNE_STEP];
	struct store_range rg;
	size_t n;
	enum err rc;

	snprintf(pre, sizeof(pre), "%.26s.", key);
	rg = (struct store_range){{pre, ULID_LEN + 1}, STR_NULL, STR_NULL, STORE_ASC};
	do {
		rc = store_index_scan(t, FDEL_STATUS_COLL, FDEL_STATUS_IDX_ACT, &rg, hits,
		                      PRUNE_STEP, &n);
		if (rc)
			return rc;
		/* copy first: the ids point into pages the deletes change */
		for (size_t i = 0; i < n; i++)
			snprintf(ids[i], FDEL_DID_MAX, "%.*s", (int)hits[i].id.n, hits[i].id.p);
		for (size_t i = 0; i < n; i++) {
			rc = store_delete(w, FDEL_STATUS_COLL, str_from(ids[i]));
			if (rc)
				return rc;
		}
	} while (n == PRUNE_STEP);
	return store_delete(w, FDEL_ACT_COLL, str_from(key));
}

static enum err prune_cb(struct store_wtxn *w, void *arg)
{
	struct prune_arg *a = arg;
	struct store_txn *t = store_wtxn_read(w);
	char before[ULID_LEN + 1], keys[16][ULID_LEN + 1];
	struct store_hit hits[16];
	struct store_range rg;
	uint8_t zero[10] = {0};
	struct ulid u;
	size_t n, max = a->max < 16 ? a->max : 16;
	enum err rc;

	a->pruned = 0;
	rc = ulid_from_parts((uint64_t)a->cutoff, zero, &u);
	if (rc)
		return rc;
	ulid_encode(&u, before);
	rg = (struct store_range){STR_NULL, STR_NULL, {before, ULID_LEN}, STORE_ASC};
	rc = store_index_scan(t, FDEL_ACT_COLL, FDEL_ACT_IDX_ALL, &rg, hits, max, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		snprintf(keys[i], sizeof(keys[i]), "%.*s", (int)hits[i].id.n, hits[i].id.p);
	for (size_t i = 0; i < n; i++) {
		bool queued;

		rc = any_queued(t, keys[i], &queued);
		if (rc)
			return rc;
		if (queued)
			continue;
		rc = drop_activity(w, keys[i]);
		if (rc)
			return rc;
		a->pruned++;
	}
	return SE_OK;
}

enum err fdel_prune(struct store *s, int64_t cutoff_ms, size_t max, size_t *pruned,
                    struct err_info *ei)
{
	struct prune_arg a = {cutoff_ms, max, 0};
	enum err rc;

	if (cutoff_ms < 0)
		return SE_INVAL;
	rc = store_write(s, prune_cb, &a, ei);
	if (pruned)
		*pruned = rc ? 0 : a.pruned;
	return rc;
}

/* ---- enqueue ---- */

static bool clean(struct str s, size_t max)
{
	if (s.n == 0 || s.n > max)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x21 || s.p[i] == 0x7f)
			return false;
	return true;
}

static uint64_t hash_str(struct str s)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < s.n; i++)
		h = (h ^ (unsigned char)s.p[i]) * 1099511628211ULL;
	return h;
}

/*
 * Indexes of the first occurrence of each distinct inbox, in order, into
 * `keep` (n entries); returns how many. SIZE_MAX on OOM.
 */
static size_t dedup(const struct str *in, size_t n, size_t *keep)
{
	size_t cap = 16, kept = 0;
	size_t *slots;

	while (cap < n * 2)
		cap *= 2;
	slots = mem_try_alloc(cap * sizeof(*slots));
	if (!slots)
		return SIZE_MAX;
	memset(slots, 0, cap * sizeof(*slots));
	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)hash_str(in[i]) & (cap - 1);
		bool dup = false;

		for (; slots[k]; k = (k + 1) & (cap - 1))
			if (str_eq(in[slots[k] - 1], in[i])) {
				dup = true;
				break;
			}
		if (dup)
			continue;
		slots[k] = i + 1;
		keep[kept++] = i;
	}
	mem_free(slots);
	return kept;
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
static bool utf8_ok(struct str s)
{
	const unsigned char *p = (const unsigned char *)s.p, *end = p + s.n;

	while (p < end) {
		unsigned c = *p, n, cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		if ((size_t)(end - p) <= n)
			return false;
		cp = c & (0x3f >> n);
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

static enum err put_activity(struct store_wtxn *w, const char *key, struct str body,
                             struct str activity_id, struct str signer, size_t n, int64_t now_ms)
{
	json_t *o = json_object();
	char *text = NULL;
	enum err rc = SE_NOMEM;

	if (!o || json_object_set_new(o, "id", json_stringn(activity_id.p, activity_id.n)) ||
	    json_object_set_new(o, "signer", json_stringn(signer.p, signer.n)) ||
	    json_object_set_new(o, "created", json_integer(now_ms)) ||
	    json_object_set_new(o, "inboxes", json_integer((json_int_t)n)))
		goto out;
	/* the body must be JSON text (jansson's json_stringn would refuse it too) */
	if (!utf8_ok(body) || memchr(body.p, '\0', body.n)) {
		rc = SE_RAISEF(store_wtxn_ei(w), SE_INVAL, "deliver: activity body is not UTF-8");
		goto out;
	}
	if (json_object_set_new(o, "body", json_stringn(body.p, body.n)))
		goto out;
	text = jx_dump(o);
	if (!text)
		goto out;
	rc = store_create(w, FDEL_ACT_COLL, str_from(key), str_from(text));
out:
	mem_free(text);
	json_decref(o);
	return rc;
}

static enum err put_one(struct store_wtxn *w, const char *key, size_t i, struct str inbox,
                        struct str signer, int64_t now_ms)
{
	struct err_info *ei = store_wtxn_ei(w);
	struct fetch_url u;
	char did[FDEL_DID_MAX], *url = NULL, *text = NULL;
	struct buf pl = BUF_INIT(FDEL_URL_MAX + 256);
	json_t *o = NULL;
	enum err rc;

	if (!clean(inbox, FDEL_URL_MAX))
		return SE_RAISEF(ei, inbox.n > FDEL_URL_MAX ? SE_TOO_LARGE : SE_INVAL,
		                 "deliver: bad inbox URL");
	url = mem_try_alloc(inbox.n + 1);
	if (!url)
		return SE_NOMEM;
	memcpy(url, inbox.p, inbox.n);
	url[inbox.n] = '\0';
	rc = fetch_url_parse(url, &u, ei);
	if (rc)
		goto out;
	snprintf(did, sizeof(did), "%s.%08zx", key, i);
	o = json_pack("{s:s, s:s%, s:s, s:s, s:i, s:n, s:n, s:I}", "act", key, "inbox", inbox.p,
	              inbox.n, "host", u.hostport, "state", FDEL_ST_QUEUED, "attempts", 0, "code",
	              "error", "updated", (json_int_t)now_ms);
	text = o ? jx_dump(o) : NULL;
	if (!text) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = store_create(w, FDEL_STATUS_COLL, str_from(did), str_from(text));
	if (rc)
		goto out;
	buf_printf(&pl, "1\n%s\n%s\n%.*s\n", did, key, (int)signer.n, signer.p);
	buf_append_str(&pl, inbox);
	rc = buf_err(&pl);
	if (!rc)
		rc = queue_enqueue(w, &fdel_queue, buf_str(&pl), now_ms, now_ms, NULL);
out:
	buf_release(&pl);
	mem_free(text);
	json_decref(o);
	mem_free(url);
	return rc;
}

enum err fdel_enqueue_key(struct store_wtxn *w, struct str activity_json, struct str activity_id,
                          struct str signer, const struct str *inboxes, size_t n_inboxes,
                          int64_t now_ms, char key_out[27])
{
	struct err_info *ei = store_wtxn_ei(w);
	size_t *keep = NULL, n;
	char key[ULID_LEN + 1];
	struct ulid u;
	enum err rc;

	if (activity_json.n > FDEL_BODY_MAX || activity_id.n > FDEL_URL_MAX ||
	    n_inboxes > FDEL_INBOXES_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "deliver: activity or inbox list too large");
	if (activity_json.n == 0 || !clean(activity_id, FDEL_URL_MAX) ||
	    !clean(signer, FDEL_SIGNER_MAX) || n_inboxes == 0 || !inboxes || now_ms < 0)
		return SE_RAISEF(ei, SE_INVAL, "deliver: empty activity, id, signer or inbox list");
	keep = mem_try_alloc(n_inboxes * sizeof(*keep));
	if (!keep)
		return SE_NOMEM;
	n = dedup(inboxes, n_inboxes, keep);
	if (n == SIZE_MAX) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = ulid_generate_at(NULL, (uint64_t)now_ms, &u);
	if (rc)
		goto out;
	ulid_encode(&u, key);
	rc = put_activity(w, key, activity_json, activity_id, signer, n, now_ms);
	for (size_t i = 0; !rc && i < n; i++)
		rc = put_one(w, key, i, inboxes[keep[i]], signer, now_ms);
	if (!rc && key_out)
		memcpy(key_out, key, ULID_LEN + 1);
out:
	mem_free(keep);
	return rc;
}

enum err fdel_enqueue(struct store_wtxn *w, struct str activity_json, struct str activity_id,
                      struct str signer, const struct str *inboxes, size_t n_inboxes,
                      int64_t now_ms)
{
	return fdel_enqueue_key(w, activity_json, activity_id, signer, inboxes, n_inboxes, now_ms,
	                        NULL);
}

struct enq_arg {
	struct str body, id, signer;
	const struct str *inboxes;
	size_t n;
	int64_t now;
	char *key;
};

static enum err enq_cb(struct store_wtxn *w, void *arg)
{
	struct enq_arg *a = arg;

	return fdel_enqueue_key(w, a->body, a->id, a->signer, a->inboxes, a->n, a->now, a->key);
}

enum err fdel_enqueue_one_key(struct fed *f, struct str activity_json, struct str activity_id,
                              struct str signer, const struct str *inboxes, size_t n,
                              char key_out[27], struct err_info *ei)
{
	struct enq_arg a = {activity_json, activity_id, signer, inboxes, n, fdel_now_ms(), key_out};
	enum err rc;

	rc = store_write(f->store, enq_cb, &a, ei);
	if (!rc)
		fdel_kick(f);
	return rc;
}

enum err fdel_enqueue_one(struct fed *f, struct str activity_json, struct str activity_id,
                          struct str signer, const struct str *inboxes, size_t n,
                          struct err_info *ei)
{
	return fdel_enqueue_one_key(f, activity_json, activity_id, signer, inboxes, n, NULL, ei);
}

void fdel_kick(struct fed *f)
{
	if (f && f->del)
		fdel_workers_kick(f->del);
}

/* ---- hosts seen inbound ---- */

struct seen_arg {
	struct str host;
	int64_t now;
};

static enum err seen_cb(struct store_wtxn *w, void *arg)
{
	struct seen_arg *a = arg;
	struct fhost_rec r;
	enum err rc;

	rc = fhost_load(store_wtxn_read(w), a->host, a->now, &r);
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc && rc != SE_PARSE)
		return rc;
	if (!fhost_rec_cleared(&r) && rc != SE_PARSE)
		return SE_OK;
	return fhost_save(w, &r);
}

void fdel_host_seen(struct fed *f, struct str host)
{
	char low[FHOST_HOST_MAX];
	struct store_txn *t = NULL;
	struct fhost_rec r;
	struct seen_arg a;
	bool dirty = false;
	enum err rc;

	if (!f || host.n == 0 || host.n >= sizeof(low))
		return;
	for (size_t i = 0; i < host.n; i++)
		low[i] = (char)(host.p[i] >= 'A' && host.p[i] <= 'Z' ? host.p[i] + 32 : host.p[i]);
	low[host.n] = '\0';
	a = (struct seen_arg){{low, host.n}, fdel_now_ms()};
	/*
	 * The breaker stays as it is: a host that talks to us may still have
	 * a broken inbox. A read first: most inbound hosts have nothing to clear.
	 */
	if (store_read_begin(f->store, &t))
		return;
	rc = fhost_load(t, a.host, a.now, &r);
	dirty = !rc && (r.n_days > 0 || r.unavailable);
	store_read_end(t);
	if (!dirty)
		return;
	rc = store_write(f->store, seen_cb, &a, NULL);
	if (rc)
		log_warn("deliver: clearing host '%s' failed: %s", low, err_type(rc));
	else
		log_info("deliver: host '%s' seen inbound, marked available", low);
}

/* ---- lifecycle ---- */

/* A positive integer from the environment (test knobs, --dev only), else `def`. */
static int64_t knob(const char *name, int64_t def, int64_t max)
{
	const char *v = getenv(name);
	uint64_t x;

	if (!v || !str_to_u64(str_from(v), (uint64_t)max, &x) || x == 0)
		return def;
	log_warn("deliver: test knob %s=%llu in effect", name, (unsigned long long)x);
	return (int64_t)x;
}

enum err fdel_start(struct fed *f, struct err_info *ei)
{
	const struct cfg_federation *c = &f->cfg->federation;
	struct fdel *d;
	enum err rc;

	d = mem_try_alloc(sizeof(*d));
	if (!d)
		return SE_RAISE(ei, SE_NOMEM);
	memset(d, 0, sizeof(*d));
	d->f = f;
	d->q = fdel_queue;
	d->unit_ms = 1000;
	d->timeout_s = c->fetch_timeout ? c->fetch_timeout : FETCH_DEFAULT_TIMEOUT_S;
	/* a lease covers the longest wait for a host slot plus the transfer */
	d->lease_ms = 600 * 1000 + 4 * (int64_t)d->timeout_s * 1000;
	if (f->cfg->dev.enabled) {
		d->unit_ms = knob("SOLSTICE_TEST_DELIVERY_UNIT_MS", d->unit_ms, 1000);
		d->lease_ms = knob("SOLSTICE_TEST_DELIVERY_LEASE_MS", d->lease_ms, d->lease_ms);
		d->q.max_attempts =
		    (unsigned)knob("SOLSTICE_TEST_DELIVERY_ATTEMPTS", FDEL_ATTEMPTS, FDEL_ATTEMPTS);
	}
	/*
	 * A transfer must end before its lease does (else a second worker may
	 * send it again): items start at most start_ms after their claim, and
	 * a short test lease shortens the transfer timeout to fit.
	 */
	if ((int64_t)d->timeout_s * 1000 > d->lease_ms / 2)
		d->timeout_s = d->lease_ms / 2000 > 0 ? (unsigned)(d->lease_ms / 2000) : 1;
	d->start_ms = d->lease_ms - (int64_t)d->timeout_s * 1000 -
	              (d->lease_ms / 4 < 5000 ? d->lease_ms / 4 : 5000);
	d->n_workers = c->delivery_workers ? c->delivery_workers : 1;
	d->inflight_per_worker = (c->delivery_inflight + d->n_workers - 1) / d->n_workers;
	if (d->inflight_per_worker == 0)
		d->inflight_per_worker = 1;
	d->sign_first = c->sign_first && strcmp(c->sign_first, "rfc9421") == 0
	                    ? FHOST_SCHEME_RFC9421
	                    : FHOST_SCHEME_CAVAGE;
	d->fopts =
	    (struct fetch_opts){f->allow_private, d->timeout_s, FDEL_RESP_MAX, 0, f->user_agent};
	atomic_init(&d->stop, false);
	rc = fhosts_new(c->delivery_per_host, &d->hosts);
	if (rc) {
		mem_free(d);
		return SE_RAISE(ei, rc);
	}
	f->del = d;
	rc = fdel_workers_start(d, ei);
	/* the peers' software (outbound choices such as the reaction style) */
	if (!rc)
		rc = fsoft_start(f, ei);
	if (rc)
		fdel_stop(f);
	return rc;
}

void fdel_stop(struct fed *f)
{
	struct fdel *d = f ? f->del : NULL;

	fsoft_stop(f);
	if (!d)
		return;
	fdel_workers_stop(d);
	fhosts_free(d->hosts);
	mem_free(d);
	f->del = NULL;
}
