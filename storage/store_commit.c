/*
 * storage/store_commit.c: the write side of storage/store.h, all of it run
 * on the committer thread: record ops with index maintenance, the request
 * queue and batching, one nested transaction per write, one durable commit
 * per batch, and map growth with batch retry. Design: docs/internals/store.md.
 */
#include "storage/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <string.h>

#include "core/log.h"
#include "storage/store_int.h"

/* batch re-runs after map growth before the writes fail */
#define MAX_BATCH_RETRIES 48

enum wmode { W_CREATE, W_PUT, W_UPDATE, W_DELETE };

/* ---- write ops (committer thread) ---- */

struct store_txn *store_wtxn_read(struct store_wtxn *w)
{
	return &w->view;
}

struct err_info *store_wtxn_ei(struct store_wtxn *w)
{
	return w->ei;
}

static enum err wfail(struct store_wtxn *w, int mrc, const char *what)
{
	w->poison = mrc;
	return SE_RAISEF(w->ei, mrc == MDB_MAP_FULL ? SE_FULL : SE_IO, "store: %s: %s", what,
	                 mdb_strerror(mrc));
}

static bool keys_has(const struct store_keys *ks, const struct store_key *k)
{
	for (size_t i = 0; i < ks->n; i++) {
		if (ks->k[i].n == k->n && memcmp(ks->k[i].b, k->b, k->n) == 0)
			return true;
	}
	return false;
}

static enum err extract(struct store_wtxn *w, struct sidx *x, struct str id, const MDB_val *rec,
                        struct store_keys *out)
{
	enum err rc;

	out->n = 0;
	if (!rec)
		return SE_OK;
	rc = x->def->extract(id, sval(*rec), out, x->def->arg);
	if (rc)
		return SE_RAISEF(w->ei, rc, "store: index '%s' extractor failed", x->def->name);
	return SE_OK;
}

/* Pass 1: fail with SE_EXISTS before any change if a unique key is taken. */
static enum err check_unique(struct store_wtxn *w, struct scoll *c, struct str id,
                             const MDB_val *newv)
{
	struct store *s = w->view.s;
	enum err rc;

	for (size_t i = 0; i < c->n_idx; i++) {
		struct sidx *x = &c->idx[i];

		rc = extract(w, x, id, newv, &s->kn);
		if (rc)
			return rc;
		if (!x->def->unique)
			continue;
		for (size_t j = 0; j < s->kn.n; j++) {
			MDB_val k = {s->kn.k[j].n, s->kn.k[j].b}, v;
			int mrc = mdb_get(w->view.txn, x->dbi, &k, &v);

			if (mrc == MDB_NOTFOUND)
				continue;
			if (mrc)
				return wfail(w, mrc, "unique check");
			if (v.mv_size != id.n || memcmp(v.mv_data, id.p, id.n) != 0)
				return SE_RAISEF(w->ei, SE_EXISTS, "store: '%s.%s' key taken",
				                 c->def->name, x->def->name);
		}
	}
	return SE_OK;
}

/* Pass 2: move index entries from the old record's keys to the new one's. */
static enum err apply_index(struct store_wtxn *w, struct sidx *x, struct str id,
                            const MDB_val *oldv, const MDB_val *newv)
{
	struct store *s = w->view.s;
	MDB_val idv = val(id);
	enum err rc;
	int mrc;

	rc = extract(w, x, id, oldv, &s->ko);
	if (!rc)
		rc = extract(w, x, id, newv, &s->kn);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->ko.n; i++) {
		MDB_val k = {s->ko.k[i].n, s->ko.k[i].b};

		if (keys_has(&s->kn, &s->ko.k[i]))
			continue;
		mrc = mdb_del(w->view.txn, x->dbi, &k, x->def->unique ? NULL : &idv);
		if (mrc && mrc != MDB_NOTFOUND)
			return wfail(w, mrc, "index delete");
	}
	for (size_t i = 0; i < s->kn.n; i++) {
		MDB_val k = {s->kn.k[i].n, s->kn.k[i].b};

		if (keys_has(&s->ko, &s->kn.k[i]))
			continue;
		mrc = mdb_put(w->view.txn, x->dbi, &k, &idv, x->def->unique ? 0 : MDB_NODUPDATA);
		if (mrc && mrc != MDB_KEYEXIST)
			return wfail(w, mrc, "index put");
	}
	return SE_OK;
}

static enum err write_op(struct store_wtxn *w, const char *coll, struct str id, struct str rec,
                         enum wmode mode)
{
	struct scoll *c = store_coll_find(w->view.s, coll);
	MDB_val k = val(id), old, nv = val(rec);
	const MDB_val *oldp = NULL, *newp = mode == W_DELETE ? NULL : &nv;
	enum err rc;
	int mrc;

	if (w->poison)
		return w->poison == MDB_MAP_FULL ? SE_FULL : SE_IO;
	if (!c)
		return SE_RAISEF(w->ei, SE_INVAL, "store: unknown collection '%s'", coll);
	if (id.n == 0 || id.n > STORE_ID_MAX)
		return SE_RAISEF(w->ei, SE_TOO_LARGE, "store: bad id length %zu", id.n);
	mrc = mdb_get(w->view.txn, c->dbi, &k, &old);
	if (mrc && mrc != MDB_NOTFOUND)
		return wfail(w, mrc, "get");
	if (mrc == 0)
		oldp = &old;
	if (mode == W_CREATE && oldp)
		return SE_RAISEF(w->ei, SE_EXISTS, "store: '%s' id exists", coll);
	if ((mode == W_UPDATE || mode == W_DELETE) && !oldp)
		return SE_RAISE(w->ei, SE_NOT_FOUND);
	rc = check_unique(w, c, id, newp);
	if (rc)
		return rc;
	/*
	 * Index trees first, the record last: `old` points into the
	 * collection's tree and stays valid while only other trees change.
	 */
	for (size_t i = 0; i < c->n_idx; i++) {
		rc = apply_index(w, &c->idx[i], id, oldp, newp);
		if (rc) {
			if (!w->poison)
				w->poison = MDB_BAD_TXN; /* half-applied: fail the write */
			return rc;
		}
	}
	if (newp)
		mrc = mdb_put(w->view.txn, c->dbi, &k, &nv, 0);
	else
		mrc = mdb_del(w->view.txn, c->dbi, &k, NULL);
	if (mrc)
		return wfail(w, mrc, newp ? "put" : "delete");
	return SE_OK;
}

enum err store_create(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
{
	return write_op(w, coll, id, rec, W_CREATE);
}

enum err store_put(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
{
	return write_op(w, coll, id, rec, W_PUT);
}

enum err store_update(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
{
	return write_op(w, coll, id, rec, W_UPDATE);
}

enum err store_delete(struct store_wtxn *w, const char *coll, struct str id)
{
	return write_op(w, coll, id, STR_NULL, W_DELETE);
}

/* ---- group commit ---- */

enum err store_write(struct store *s, store_write_fn *fn, void *arg, struct err_info *ei)
{
	struct wreq r = {fn, arg, ei, SE_OK, false, PTHREAD_COND_INITIALIZER, NULL};
	enum err rc;

	if (pthread_equal(pthread_self(), s->committer))
		return SE_RAISEF(ei, SE_INVAL, "store: store_write from inside a write");
	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		pthread_mutex_unlock(&s->mu);
		return SE_RAISEF(ei, SE_BUSY, "store: closing");
	}
	if (s->tail)
		s->tail->next = &r;
	else
		s->head = &r;
	s->tail = &r;
	pthread_cond_signal(&s->cv);
	while (!r.done)
		pthread_cond_wait(&r.cv, &s->mu);
	if (r.rc)
		s->st.failed++;
	else
		s->st.writes++;
	rc = r.rc;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}

static bool is_env_error(int mrc)
{
	return mrc == MDB_MAP_FULL || mrc == MDB_TXN_FULL;
}

/*
 * Runs one write in a child of `parent`. Returns 0 (r->rc holds the
 * write's result) or MDB_MAP_FULL / MDB_TXN_FULL, which concern the batch.
 */
static int run_one(struct store *s, MDB_txn *parent, struct wreq *r)
{
	struct store_wtxn w;
	MDB_txn *child;
	enum err rc;
	int mrc;

	if (r->ei)
		memset(r->ei, 0, sizeof(*r->ei));
	mrc = mdb_txn_begin(s->env, parent, 0, &child);
	if (mrc) {
		if (is_env_error(mrc))
			return mrc;
		r->rc = SE_RAISEF(r->ei, SE_IO, "store: begin: %s", mdb_strerror(mrc));
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.view = (struct store_txn){s, child, true};
	/* only the committer thread touches the scratch */
	memset(&s->scratch_ei, 0, sizeof(s->scratch_ei));
	w.ei = r->ei ? r->ei : &s->scratch_ei;
	rc = r->fn(&w, r->arg);
	if (w.poison) {
		mdb_txn_abort(child);
		if (is_env_error(w.poison))
			return w.poison;
		r->rc = rc ? rc : SE_IO;
		return 0;
	}
	if (rc) {
		mdb_txn_abort(child);
		r->rc = rc;
		return 0;
	}
	mrc = mdb_txn_commit(child);
	if (is_env_error(mrc))
		return mrc;
	r->rc = mrc ? SE_RAISEF(r->ei, SE_IO, "store: commit: %s", mdb_strerror(mrc)) : SE_OK;
	return 0;
}

/* Doubles the map; needs every read transaction to have ended. */
static bool grow(struct store *s)
{
	size_t want;
	int mrc;

	if (s->map_size >= s->map_max)
		return false;
	want = s->map_size > s->map_max / 2 ? s->map_max : s->map_size * 2;
	pthread_rwlock_wrlock(&s->resize);
	mrc = mdb_env_set_mapsize(s->env, want);
	pthread_rwlock_unlock(&s->resize);
	if (mrc) {
		log_error("store: grow map to %zu: %s", want, mdb_strerror(mrc));
		return false;
	}
	log_info("store: map grown to %zu bytes", want);
	pthread_mutex_lock(&s->mu);
	s->map_size = want;
	s->st.grows++;
	pthread_mutex_unlock(&s->mu);
	return true;
}

static void fail_range(struct wreq **b, size_t from, size_t to, enum err e, const char *why)
{
	for (size_t i = from; i < to; i++)
		b[i]->rc = SE_RAISEF(b[i]->ei, e, "store: %s", why);
}

static void run_batch(struct store *s, struct wreq **b, size_t n)
{
	size_t i = 0, start;
	int retries = 0;

	while (i < n) {
		MDB_txn *parent;
		int env = 0, mrc;

		start = i;
		/* held shared for the whole transaction: a map adoption must not remap under it */
		pthread_rwlock_rdlock(&s->resize);
		mrc = mdb_txn_begin(s->env, NULL, 0, &parent);
		if (mrc == MDB_MAP_RESIZED) {
			pthread_rwlock_unlock(&s->resize);
			mrc = store_adopt_mapsize(s);
			pthread_rwlock_rdlock(&s->resize);
			if (!mrc)
				mrc = mdb_txn_begin(s->env, NULL, 0, &parent);
		}
		if (mrc) {
			pthread_rwlock_unlock(&s->resize);
			fail_range(b, i, n, SE_IO, mdb_strerror(mrc));
			return;
		}
		for (; i < n && !env; i++)
			env = run_one(s, parent, b[i]);
		if (env)
			i--; /* b[i] did not finish */
		if (env == MDB_TXN_FULL && i == start) {
			/* this write alone is too big for one transaction */
			b[i]->rc = SE_RAISEF(b[i]->ei, SE_TOO_LARGE, "store: write too large");
			i++;
			env = 0;
		}
		if (env != MDB_MAP_FULL) {
			mrc = mdb_txn_commit(parent);
			parent = NULL;
			pthread_rwlock_unlock(&s->resize);
			if (mrc == 0) {
				pthread_mutex_lock(&s->mu);
				s->st.commits++;
				pthread_mutex_unlock(&s->mu);
				continue; /* TXN_FULL: the rest goes into a new txn */
			}
			if (mrc != MDB_MAP_FULL) {
				fail_range(b, start, i, SE_IO, mdb_strerror(mrc));
				continue;
			}
		}
		if (parent) {
			mdb_txn_abort(parent);
			pthread_rwlock_unlock(&s->resize);
		}
		if (++retries > MAX_BATCH_RETRIES || !grow(s)) {
			fail_range(b, start, n, SE_FULL, "map full");
			return;
		}
		pthread_mutex_lock(&s->mu);
		s->st.retries++;
		pthread_mutex_unlock(&s->mu);
		i = start;
	}
}

void *store_committer_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		size_t n = 0;

		while (!s->head && !s->closing)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->head)
			break; /* closing and drained */
		while (s->head && n < s->max_batch) {
			s->batch[n++] = s->head;
			s->head = s->head->next;
		}
		if (!s->head)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);
		run_batch(s, s->batch, n);
		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < n; i++) {
			s->batch[i]->done = true;
			pthread_cond_signal(&s->batch[i]->cv);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}
