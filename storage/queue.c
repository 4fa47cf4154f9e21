/*
 * storage/queue.c: persistent queues as one store collection with a due-time
 * index and a dead-letter index. Layout: docs/internals/queue.md.
 */
#include "storage/queue.h"

#include <string.h>

#include "core/arena.h"
#include "core/buf.h"

#define COLL QUEUE_COLL_NAME
#define HDR 26
#define ST_LIVE 0
#define ST_DEAD 1
/* items looked at per step when counting */
#define COUNT_STEP 256

/* Decoded view of a record; slices borrow from the record. */
struct qrec {
	unsigned state;
	unsigned attempts;
	uint64_t token;
	int64_t due;
	struct str name, error, payload;
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static enum err decode(struct str rec, struct qrec *q)
{
	const uint8_t *p = (const uint8_t *)rec.p;
	size_t name_n, err_n;

	if (rec.n < HDR || p[0] != 1 || p[1] > ST_DEAD)
		return SE_PARSE;
	name_n = p[2];
	err_n = (size_t)get_be(p + 24, 2);
	if (rec.n < HDR + name_n + err_n)
		return SE_PARSE;
	q->state = p[1];
	q->attempts = (unsigned)get_be(p + 4, 4);
	q->token = get_be(p + 8, 8);
	q->due = (int64_t)get_be(p + 16, 8);
	q->name = (struct str){rec.p + HDR, name_n};
	q->error = (struct str){rec.p + HDR + name_n, err_n};
	q->payload = (struct str){rec.p + HDR + name_n + err_n, rec.n - HDR - name_n - err_n};
	return SE_OK;
}

static void encode(struct buf *b, const struct qrec *q)
{
	uint8_t h[HDR];
	size_t err_n = q->error.n > QUEUE_ERROR_MAX ? QUEUE_ERROR_MAX : q->error.n;

	h[0] = 1;
	h[1] = (uint8_t)q->state;
	h[2] = (uint8_t)q->name.n;
	h[3] = 0;
	put_be(h + 4, q->attempts, 4);
	put_be(h + 8, q->token, 8);
	put_be(h + 16, (uint64_t)q->due, 8);
	put_be(h + 24, err_n, 2);
	buf_append(b, h, HDR);
	buf_append(b, q->name.p, q->name.n);
	buf_append(b, q->error.p, err_n);
	buf_append(b, q->payload.p, q->payload.n);
}

/* name + NUL: the prefix of both index keys, prefix-free across queues */
static bool name_prefix(struct str name, struct store_key *k)
{
	if (name.n == 0 || name.n > QUEUE_NAME_MAX || memchr(name.p, '\0', name.n))
		return false;
	memcpy(k->b, name.p, name.n);
	k->b[name.n] = '\0';
	k->n = name.n + 1;
	return true;
}

static enum err extract_due(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	struct store_key k;
	struct qrec q;
	enum err rc;

	(void)arg;
	rc = decode(rec, &q);
	if (rc || q.state != ST_LIVE)
		return rc;
	if (!name_prefix(q.name, &k) || k.n + 8 + id.n > STORE_KEY_MAX)
		return SE_PARSE;
	put_be((uint8_t *)k.b + k.n, (uint64_t)q.due, 8);
	memcpy(k.b + k.n + 8, id.p, id.n);
	k.n += 8 + id.n;
	return store_keys_add(out, (struct str){k.b, k.n});
}

static enum err extract_dead(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	struct store_key k;
	struct qrec q;
	enum err rc;

	(void)arg;
	rc = decode(rec, &q);
	if (rc || q.state != ST_DEAD)
		return rc;
	if (!name_prefix(q.name, &k) || k.n + id.n > STORE_KEY_MAX)
		return SE_PARSE;
	memcpy(k.b + k.n, id.p, id.n);
	k.n += id.n;
	return store_keys_add(out, (struct str){k.b, k.n});
}

const struct store_index_def queue_index_defs[QUEUE_N_INDEXES] = {
    {"due", false, extract_due, NULL},
    {"dead", false, extract_dead, NULL},
};

static bool def_ok(const struct queue_def *q)
{
	struct store_key k;

	return q && q->name && name_prefix(str_from(q->name), &k) && q->max_attempts >= 1 &&
	       q->backoff_base_ms >= 0 && q->backoff_cap_ms >= q->backoff_base_ms;
}

/* Writes `q` as the new version of record `id`. */
static enum err rewrite(struct store_wtxn *w, struct str id, const struct qrec *q)
{
	struct buf b = BUF_INIT(QUEUE_PAYLOAD_MAX + HDR + QUEUE_NAME_MAX + QUEUE_ERROR_MAX);
	enum err rc;

	encode(&b, q);
	rc = buf_err(&b);
	if (!rc)
		rc = store_update(w, COLL, id, buf_str(&b));
	buf_release(&b);
	return rc;
}

enum err queue_enqueue(struct store_wtxn *w, const struct queue_def *q, struct str payload,
                       int64_t now, int64_t due, char id_out[ULID_LEN + 1])
{
	struct ulid u;
	char id[ULID_LEN + 1];
	struct qrec r = {ST_LIVE, 0, 0, due, str_from(q ? q->name : NULL), STR_NULL, payload};
	struct buf b = BUF_INIT(QUEUE_PAYLOAD_MAX + HDR + QUEUE_NAME_MAX + QUEUE_ERROR_MAX);
	enum err rc;

	if (!def_ok(q) || now < 0 || due < 0)
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	if (payload.n > QUEUE_PAYLOAD_MAX)
		return SE_RAISE(store_wtxn_ei(w), SE_TOO_LARGE);
	rc = ulid_generate_at(NULL, (uint64_t)now, &u);
	if (rc)
		goto out;
	ulid_encode(&u, id);
	encode(&b, &r);
	rc = buf_err(&b);
	if (rc)
		goto out;
	rc = store_create(w, COLL, (struct str){id, ULID_LEN}, buf_str(&b));
	if (rc)
		goto out;
	if (id_out)
		memcpy(id_out, id, sizeof(id));
out:
	buf_release(&b);
	return rc;
}

static void fill_item(struct queue_item *out, struct str id, const struct qrec *r)
{
	size_t n = id.n < ULID_LEN ? id.n : ULID_LEN;

	memcpy(out->id, id.p, n);
	out->id[n] = '\0';
	out->payload = r->payload;
	out->attempts = r->attempts;
	out->token = r->token;
	out->due = r->due;
	out->error = r->error;
}

enum err queue_claim(struct store_wtxn *w, const struct queue_def *q, int64_t now, int64_t lease_ms,
                     struct queue_item *out)
{
	struct store_txn *t = store_wtxn_read(w);
	struct store_key pre;
	uint8_t hi[8];
	struct store_hit hit;
	struct store_range rg;
	struct str rec, id;
	char idb[ULID_LEN];
	struct qrec r;
	size_t n = 0;
	enum err rc;

	if (!def_ok(q) || now < 0 || lease_ms < 0)
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	name_prefix(str_from(q->name), &pre);
	put_be(hi, (uint64_t)now + 1, 8);
	rg = (struct store_range){{pre.b, pre.n}, STR_NULL, {(char *)hi, 8}, STORE_ASC};
	rc = store_index_scan(t, COLL, "due", &rg, &hit, 1, &n);
	if (rc)
		return rc;
	if (n == 0)
		return SE_NOT_FOUND;
	if (hit.id.n > ULID_LEN)
		return SE_RAISEF(store_wtxn_ei(w), SE_PARSE, "queue: corrupt item id");
	/*
	 * Copy the id: it points into the index page, which the rewrite
	 * changes in place once this write has dirtied it (a second claim in
	 * the same write would otherwise move a garbled id).
	 */
	memcpy(idb, hit.id.p, hit.id.n);
	id = (struct str){idb, hit.id.n};
	rc = store_get(t, COLL, id, &rec);
	if (rc)
		return rc;
	rc = decode(rec, &r);
	if (rc)
		return SE_RAISEF(store_wtxn_ei(w), rc, "queue: corrupt item");
	r.attempts++;
	r.token++;
	r.due = now + lease_ms;
	rc = rewrite(w, id, &r);
	if (rc)
		return rc;
	/* the rewrite moved the bytes: read the new version */
	rc = store_get(t, COLL, id, &rec);
	if (!rc)
		rc = decode(rec, &r);
	if (rc)
		return rc;
	fill_item(out, id, &r);
	return SE_OK;
}

/* Loads a claimed item and checks its lease token. */
static enum err load_claimed(struct store_wtxn *w, const struct queue_def *q, const char *id,
                             uint64_t token, struct qrec *r)
{
	struct str rec;
	enum err rc;

	if (!def_ok(q) || !id)
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	rc = store_get(store_wtxn_read(w), COLL, str_from(id), &rec);
	if (rc)
		return rc;
	rc = decode(rec, r);
	if (rc)
		return rc;
	if (!str_eq_cstr(r->name, q->name))
		return SE_NOT_FOUND;
	if (token == 0 || r->token != token || r->state != ST_LIVE)
		return SE_RAISEF(store_wtxn_ei(w), SE_BUSY, "queue: stale lease token");
	return SE_OK;
}

enum err queue_ack(struct store_wtxn *w, const struct queue_def *q, const char *id, uint64_t token)
{
	struct qrec r;
	enum err rc;

	rc = load_claimed(w, q, id, token, &r);
	if (rc)
		return rc;
	return store_delete(w, COLL, str_from(id));
}

static int64_t backoff(const struct queue_def *q, unsigned attempts)
{
	int64_t d = q->backoff_base_ms;

	for (unsigned i = 1; i < attempts && d < q->backoff_cap_ms; i++)
		d = d > q->backoff_cap_ms / 2 ? q->backoff_cap_ms : d * 2;
	return d < q->backoff_cap_ms ? d : q->backoff_cap_ms;
}

/* queue_retry / queue_retry_at: due at `due`, or after the backoff when `use_backoff`. */
static enum err retry(struct store_wtxn *w, const struct queue_def *q, const char *id,
                      uint64_t token, int64_t now, bool use_backoff, int64_t due, struct str error,
                      bool *dead)
{
	struct qrec r;
	enum err rc;

	rc = load_claimed(w, q, id, token, &r);
	if (rc)
		return rc;
	if (now < 0 || (!use_backoff && due < now))
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	r.error = error;
	if (r.attempts >= q->max_attempts) {
		r.state = ST_DEAD;
		r.due = now;
	} else {
		r.due = use_backoff ? now + backoff(q, r.attempts) : due;
	}
	rc = rewrite(w, str_from(id), &r);
	if (!rc && dead)
		*dead = r.state == ST_DEAD;
	return rc;
}

enum err queue_retry(struct store_wtxn *w, const struct queue_def *q, const char *id,
                     uint64_t token, int64_t now, struct str error, bool *dead)
{
	return retry(w, q, id, token, now, true, 0, error, dead);
}

enum err queue_retry_at(struct store_wtxn *w, const struct queue_def *q, const char *id,
                        uint64_t token, int64_t now, int64_t due, struct str error, bool *dead)
{
	return retry(w, q, id, token, now, false, due, error, dead);
}

enum err queue_defer(struct store_wtxn *w, const struct queue_def *q, const char *id,
                     uint64_t token, int64_t due)
{
	struct qrec r;
	enum err rc;

	rc = load_claimed(w, q, id, token, &r);
	if (rc)
		return rc;
	if (due < 0)
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	if (r.attempts > 0)
		r.attempts--;
	r.due = due;
	return rewrite(w, str_from(id), &r);
}

enum err queue_next_due(struct store_txn *t, const struct queue_def *q, int64_t *due)
{
	struct store_key pre;
	struct store_hit hit;
	struct store_range rg;
	size_t n = 0;
	enum err rc;

	if (!def_ok(q))
		return SE_INVAL;
	name_prefix(str_from(q->name), &pre);
	rg = (struct store_range){{pre.b, pre.n}, STR_NULL, STR_NULL, STORE_ASC};
	rc = store_index_scan(t, COLL, "due", &rg, &hit, 1, &n);
	if (rc)
		return rc;
	if (n == 0)
		return SE_NOT_FOUND;
	if (hit.key.n < pre.n + 8)
		return SE_PARSE;
	*due = (int64_t)get_be((const uint8_t *)hit.key.p + pre.n, 8);
	return SE_OK;
}

enum err queue_dead_list(struct store_txn *t, const struct queue_def *q, const char *after_id,
                         struct queue_item *out, size_t cap, size_t *n)
{
	struct store_hit hits[COUNT_STEP];
	struct store_key pre;
	struct store_range rg;
	size_t got = 0, k = 0;
	enum err rc;

	if (!def_ok(q))
		return SE_INVAL;
	name_prefix(str_from(q->name), &pre);
	rg = (struct store_range){{pre.b, pre.n}, str_from(after_id), STR_NULL, STORE_ASC};
	if (!after_id)
		rg.after = STR_NULL;
	rc = store_index_scan(t, COLL, "dead", &rg, hits, cap < COUNT_STEP ? cap : COUNT_STEP, &k);
	if (rc)
		return rc;
	for (size_t i = 0; i < k; i++) {
		struct str rec;
		struct qrec r;

		rc = store_get(t, COLL, hits[i].id, &rec);
		if (!rc)
			rc = decode(rec, &r);
		if (rc)
			return rc;
		fill_item(&out[got++], hits[i].id, &r);
	}
	*n = got;
	return SE_OK;
}

enum err queue_dead_requeue(struct store_wtxn *w, const struct queue_def *q, const char *id,
                            int64_t now)
{
	struct str rec;
	struct qrec r;
	enum err rc;

	if (!def_ok(q) || !id || now < 0)
		return SE_RAISE(store_wtxn_ei(w), SE_INVAL);
	rc = store_get(store_wtxn_read(w), COLL, str_from(id), &rec);
	if (!rc)
		rc = decode(rec, &r);
	if (rc)
		return rc;
	if (r.state != ST_DEAD || !str_eq_cstr(r.name, q->name))
		return SE_NOT_FOUND;
	r.state = ST_LIVE;
	r.attempts = 0;
	r.due = now;
	return rewrite(w, str_from(id), &r);
}

enum err queue_pending_count(struct store_txn *t, const struct queue_def *q, size_t *n)
{
	struct store_hit hits[COUNT_STEP];
	struct store_key pre, last;
	struct store_range rg;
	size_t total = 0, k;
	enum err rc;

	if (!def_ok(q))
		return SE_INVAL;
	name_prefix(str_from(q->name), &pre);
	rg = (struct store_range){{pre.b, pre.n}, STR_NULL, STR_NULL, STORE_ASC};
	do {
		rc = store_index_scan(t, COLL, "due", &rg, hits, COUNT_STEP, &k);
		if (rc)
			return rc;
		total += k;
		if (k) {
			struct str key = hits[k - 1].key;

			memcpy(last.b, key.p + pre.n, key.n - pre.n);
			last.n = key.n - pre.n;
			rg.after = (struct str){last.b, last.n};
		}
	} while (k == COUNT_STEP);
	*n = total;
	return SE_OK;
}

/* ---- blocking helpers ---- */

struct claim_arg {
	const struct queue_def *q;
	int64_t now, lease;
	struct arena *a;
	struct queue_item *out;
};

static enum err claim_cb(struct store_wtxn *w, void *p)
{
	struct claim_arg *c = p;
	struct queue_item it;
	enum err rc;

	rc = queue_claim(w, c->q, c->now, c->lease, &it);
	if (rc)
		return rc;
	it.payload = arena_str(c->a, it.payload);
	it.error = arena_str(c->a, it.error);
	if (!it.payload.p || !it.error.p)
		return SE_NOMEM; /* the claim is rolled back with the write */
	*c->out = it;
	return SE_OK;
}

enum err queue_claim_one(struct store *s, const struct queue_def *q, int64_t now, int64_t lease_ms,
                         struct arena *a, struct queue_item *out, struct err_info *ei)
{
	struct claim_arg c = {q, now, lease_ms, a, out};

	return store_write(s, claim_cb, &c, ei);
}

struct done_arg {
	const struct queue_def *q;
	const char *id;
	uint64_t token;
	int64_t now;
	struct str error;
	bool *dead;
	bool retry;
};

static enum err done_cb(struct store_wtxn *w, void *p)
{
	struct done_arg *d = p;

	if (d->retry)
		return queue_retry(w, d->q, d->id, d->token, d->now, d->error, d->dead);
	return queue_ack(w, d->q, d->id, d->token);
}

enum err queue_ack_one(struct store *s, const struct queue_def *q, const char *id, uint64_t token,
                       struct err_info *ei)
{
	struct done_arg d = {q, id, token, 0, STR_NULL, NULL, false};

	return store_write(s, done_cb, &d, ei);
}

enum err queue_retry_one(struct store *s, const struct queue_def *q, const char *id, uint64_t token,
                         int64_t now, struct str error, bool *dead, struct err_info *ei)
{
	struct done_arg d = {q, id, token, now, error, dead, true};

	return store_write(s, done_cb, &d, ei);
}
