/*
 * federation/hosts.c: per-host delivery state: the "ap_hosts" records (UTC
 * days of failed attempts, the unavailable mark, the signature scheme that
 * worked) and the in-memory slots and circuit breakers.
 */
#include "federation/hosts.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

#include "core/buf.h"
#include "core/jx.h"
#include "core/mem.h"

#define BUCKETS 4096

static enum err extract_all(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)rec;
	(void)arg;
	return store_keys_add(out, id);
}

const struct store_index_def fhost_indexes[1] = {
    {FHOST_IDX_ALL, true, extract_all, NULL},
};

/* ---- the record ---- */

void fhost_rec_init(struct fhost_rec *r, struct str host, int64_t now_ms)
{
	size_t n = host.n < FHOST_HOST_MAX - 1 ? host.n : FHOST_HOST_MAX - 1;

	memset(r, 0, sizeof(*r));
	if (n)
		memcpy(r->host, host.p, n);
	r->host[n] = '\0';
	r->created = now_ms;
}

bool fhost_rec_failed(struct fhost_rec *r, int64_t now_ms, unsigned unavailable_days)
{
	int32_t day = (int32_t)(now_ms / FHOST_DAY_MS);
	bool changed = false;

	if (now_ms < 0)
		return false;
	if (r->n_days == 0 || r->days[r->n_days - 1] < day) {
		if (r->n_days == FHOST_DAYS_MAX) {
			memmove(r->days, r->days + 1, (FHOST_DAYS_MAX - 1) * sizeof(r->days[0]));
			r->n_days--;
		}
		r->days[r->n_days++] = day;
		changed = true;
	}
	if (!r->unavailable && unavailable_days > 0 && r->n_days >= unavailable_days) {
		r->unavailable = true;
		r->unavailable_since = now_ms;
		changed = true;
	}
	return changed;
}

bool fhost_rec_cleared(struct fhost_rec *r)
{
	bool changed = r->n_days > 0 || r->unavailable;

	r->n_days = 0;
	r->unavailable = false;
	r->unavailable_since = 0;
	return changed;
}

const char *fhost_scheme_name(enum fhost_scheme s)
{
	switch (s) {
	case FHOST_SCHEME_CAVAGE:
		return "cavage";
	case FHOST_SCHEME_RFC9421:
		return "rfc9421";
	case FHOST_SCHEME_UNKNOWN:
		break;
	}
	return NULL;
}

static bool get_ms(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		*out = 0;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

enum err fhost_rec_parse(struct str json, struct fhost_rec *out)
{
	json_t *o = NULL;
	const json_t *v, *days;
	enum err rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	rc = jx_parse_object(json, 64 * 1024, &o, NULL);
	if (rc)
		return rc == SE_NOMEM ? rc : SE_PARSE;
	rc = SE_PARSE;
	v = json_object_get(o, "host");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= FHOST_HOST_MAX)
		goto out;
	memcpy(out->host, json_string_value(v), json_string_length(v) + 1);
	if (strlen(out->host) != json_string_length(v))
		goto out;
	days = json_object_get(o, "days");
	if (days) {
		int32_t prev = -1;

		if (!json_is_array(days) || json_array_size(days) > FHOST_DAYS_MAX)
			goto out;
		json_array_foreach(days, i, v)
		{
			json_int_t d = json_is_integer(v) ? json_integer_value(v) : -1;

			if (d < 0 || d > INT32_MAX || d <= prev)
				goto out;
			out->days[out->n_days++] = (int32_t)d;
			prev = (int32_t)d;
		}
	}
	v = json_object_get(o, "unavailable");
	if (v && !json_is_boolean(v))
		goto out;
	out->unavailable = json_is_true(v);
	if (!get_ms(o, "unavailable_since", &out->unavailable_since) ||
	    !get_ms(o, "created", &out->created))
		goto out;
	v = json_object_get(o, "scheme");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			goto out;
		if (strcmp(json_string_value(v), "cavage") == 0)
			out->scheme = FHOST_SCHEME_CAVAGE;
		else if (strcmp(json_string_value(v), "rfc9421") == 0)
			out->scheme = FHOST_SCHEME_RFC9421;
		else
			goto out;
	}
	rc = SE_OK;
out:
	json_decref(o);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

enum err fhost_rec_render(const struct fhost_rec *r, struct buf *out)
{
	json_t *o = json_object(), *days = json_array();
	const char *scheme = fhost_scheme_name(r->scheme);
	char *text = NULL;
	enum err rc = SE_NOMEM;

	if (!o || !days)
		goto out;
	for (unsigned i = 0; i < r->n_days; i++)
		if (json_array_append_new(days, json_integer(r->days[i])))
			goto out;
	if (json_object_set_new(o, "host", json_string(r->host)) ||
	    json_object_set(o, "days", days) ||
	    json_object_set_new(o, "unavailable", json_boolean(r->unavailable)) ||
	    json_object_set_new(o, "unavailable_since", json_integer(r->unavailable_since)) ||
	    json_object_set_new(o, "scheme", scheme ? json_string(scheme) : json_null()) ||
	    json_object_set_new(o, "created", json_integer(r->created)))
		goto out;
	text = jx_dump(o);
	if (!text)
		goto out;
	buf_puts(out, text);
	rc = buf_err(out);
out:
	mem_free(text);
	json_decref(days);
	json_decref(o);
	return rc;
}

enum err fhost_load(struct store_txn *t, struct str host, int64_t now_ms, struct fhost_rec *out)
{
	struct str rec;
	enum err rc;

	rc = store_get(t, FHOST_COLL, host, &rec);
	if (!rc)
		rc = fhost_rec_parse(rec, out);
	if (rc == SE_NOT_FOUND || rc == SE_PARSE)
		fhost_rec_init(out, host, now_ms);
	return rc;
}

enum err fhost_save(struct store_wtxn *w, const struct fhost_rec *r)
{
	struct buf b = BUF_INIT(64 * 1024);
	enum err rc;

	if (!r->host[0])
		return SE_INVAL;
	rc = fhost_rec_render(r, &b);
	if (!rc)
		rc = store_put(w, FHOST_COLL, str_from(r->host), buf_str(&b));
	buf_release(&b);
	return rc;
}

/* ---- breaker ---- */

enum fhost_gate fhost_breaker_gate(struct fhost_breaker *b, int64_t now_ms, int64_t *until)
{
	if (b->open_until == 0)
		return FHOST_GO;
	if (now_ms < b->open_until || b->probing) {
		/* a probe in flight: others wait one more period at most */
		*until = now_ms < b->open_until ? b->open_until : now_ms + b->open_ms;
		return FHOST_OPEN;
	}
	b->probing = true;
	return FHOST_GO;
}

void fhost_breaker_result(struct fhost_breaker *b, bool ok, int64_t now_ms)
{
	if (ok) {
		*b = (struct fhost_breaker){0};
		return;
	}
	b->fails++;
	if (b->probing) {
		/* the probe failed: open again, twice as long */
		b->probing = false;
		b->open_ms = b->open_ms * 2 > FHOST_BREAKER_OPEN_MAX_MS ? FHOST_BREAKER_OPEN_MAX_MS
		                                                        : b->open_ms * 2;
		b->open_until = now_ms + b->open_ms;
	} else if (b->open_until == 0 && b->fails >= FHOST_BREAKER_FAILS) {
		b->open_ms = FHOST_BREAKER_OPEN_MS;
		b->open_until = now_ms + b->open_ms;
	}
}

/* ---- memory table ---- */

struct hent {
	struct hent *next;
	struct fhost_mem m;
	bool waiters;
	char host[];
};

struct fhosts {
	pthread_mutex_t mu;
	unsigned per_host;
	size_t n;
	struct hent *b[BUCKETS];
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h % BUCKETS);
}

enum err fhosts_new(unsigned per_host, struct fhosts **out)
{
	struct fhosts *h = mem_try_alloc(sizeof(*h));

	if (!h)
		return SE_NOMEM;
	memset(h, 0, sizeof(*h));
	h->per_host = per_host ? per_host : 1;
	pthread_mutex_init(&h->mu, NULL);
	*out = h;
	return SE_OK;
}

void fhosts_free(struct fhosts *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct hent *e = h->b[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			mem_free(e);
		}
	}
	pthread_mutex_destroy(&h->mu);
	mem_free(h);
}

static bool idle(const struct hent *e)
{
	return e->m.inflight == 0 && e->m.breaker.fails == 0 && e->m.breaker.open_until == 0 &&
	       !e->waiters;
}

/* Drops idle entries (called with the lock held when the table is full). */
static void evict(struct fhosts *h)
{
	for (size_t i = 0; i < BUCKETS && h->n >= FHOST_MEM_MAX; i++) {
		struct hent **pp = &h->b[i];

		while (*pp) {
			struct hent *e = *pp;

			if (idle(e)) {
				*pp = e->next;
				mem_free(e);
				h->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

/* The entry for `host`, created when `create`; NULL on OOM or when absent. */
static struct hent *find(struct fhosts *h, const char *host, bool create)
{
	size_t k = hash(host), len;
	struct hent *e;

	for (e = h->b[k]; e; e = e->next)
		if (strcmp(e->host, host) == 0)
			return e;
	if (!create)
		return NULL;
	if (h->n >= FHOST_MEM_MAX)
		evict(h);
	len = strlen(host);
	e = mem_try_alloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	memcpy(e->host, host, len + 1);
	e->next = h->b[k];
	h->b[k] = e;
	h->n++;
	return e;
}

enum fhost_gate fhosts_acquire(struct fhosts *h, const char *host, int64_t now_ms, int64_t *until)
{
	enum fhost_gate g = FHOST_WAIT;
	struct hent *e;

	pthread_mutex_lock(&h->mu);
	e = find(h, host, true);
	if (!e)
		goto out; /* OOM: wait and try again */
	if (e->m.inflight >= h->per_host) {
		e->waiters = true;
		goto out;
	}
	g = fhost_breaker_gate(&e->m.breaker, now_ms, until);
	if (g == FHOST_GO)
		e->m.inflight++;
out:
	pthread_mutex_unlock(&h->mu);
	return g;
}

bool fhosts_release(struct fhosts *h, const char *host, bool counts, bool ok, int64_t now_ms)
{
	bool wake = false;
	struct hent *e;

	pthread_mutex_lock(&h->mu);
	e = find(h, host, false);
	if (e) {
		if (e->m.inflight > 0)
			e->m.inflight--;
		if (counts)
			fhost_breaker_result(&e->m.breaker, ok, now_ms);
		else if (e->m.breaker.probing)
			/* a probe that proved nothing (e.g. a re-sign): allow another one */
			e->m.breaker.probing = false;
		wake = e->waiters;
		e->waiters = false;
	}
	pthread_mutex_unlock(&h->mu);
	return wake;
}

bool fhosts_get(struct fhosts *h, const char *host, struct fhost_mem *out)
{
	struct hent *e;

	pthread_mutex_lock(&h->mu);
	e = find(h, host, false);
	if (e)
		*out = e->m;
	pthread_mutex_unlock(&h->mu);
	return e != NULL;
}

void fhosts_reset(struct fhosts *h, const char *host)
{
	struct hent *e;

	pthread_mutex_lock(&h->mu);
	e = find(h, host, false);
	if (e)
		e->m.breaker = (struct fhost_breaker){0};
	pthread_mutex_unlock(&h->mu);
}

void fhosts_each(struct fhosts *h, fhosts_each_fn *fn, void *arg)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct hent *e = h->b[i]; e; e = e->next)
			fn(e->host, &e->m, arg);
	pthread_mutex_unlock(&h->mu);
}
