/*
 * storage/store.c: the LMDB environment (schema check, open, close), index
 * key helpers, read transactions and lookups/scans, backup and stats. The
 * write side (record ops, index maintenance, group commit, map growth) is in
 * storage/store_commit.c. Design notes: docs/internals/store.md.
 */
#include "storage/store.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "storage/store_int.h"

#define DEFAULT_MAP (64u << 20)
#define DEFAULT_MAP_MAX ((size_t)1 << 40)
#define DEFAULT_READERS 512
#define DEFAULT_BATCH 1024
#define DBNAME_MAX 200

enum err store_keys_add(struct store_keys *keys, struct str key)
{
	if (key.n == 0 || key.n > STORE_KEY_MAX)
		return SE_TOO_LARGE;
	if (keys->n >= STORE_KEYS_MAX)
		return SE_FULL;
	memcpy(keys->k[keys->n].b, key.p, key.n);
	keys->k[keys->n].n = key.n;
	keys->n++;
	return SE_OK;
}

enum err store_key_compose(struct str prefix, const struct ulid *u, struct store_key *out)
{
	char txt[ULID_LEN + 1];

	if (prefix.n + ULID_LEN > STORE_KEY_MAX)
		return SE_TOO_LARGE;
	ulid_encode(u, txt);
	if (prefix.n)
		memcpy(out->b, prefix.p, prefix.n);
	memcpy(out->b + prefix.n, txt, ULID_LEN);
	out->n = prefix.n + ULID_LEN;
	return SE_OK;
}

struct scoll *store_coll_find(struct store *s, const char *name)
{
	for (size_t i = 0; i < s->n_colls; i++) {
		if (strcmp(s->colls[i].def->name, name) == 0)
			return &s->colls[i];
	}
	return NULL;
}

static struct sidx *find_idx(struct scoll *c, const char *name)
{
	for (size_t i = 0; i < c->n_idx; i++) {
		if (strcmp(c->idx[i].def->name, name) == 0)
			return &c->idx[i];
	}
	return NULL;
}

/* ---- open / close ---- */

static enum err check_schema(const struct store_schema *sc, struct err_info *ei)
{
	if (!sc || sc->n_colls > STORE_COLLS_MAX || (sc->n_colls && !sc->colls))
		return SE_RAISEF(ei, SE_INVAL, "store: bad schema");
	for (size_t i = 0; i < sc->n_colls; i++) {
		const struct store_coll_def *c = &sc->colls[i];

		if (!c->name || !c->name[0] || c->n_indexes > STORE_INDEXES_MAX ||
		    (c->n_indexes && !c->indexes))
			return SE_RAISEF(ei, SE_INVAL, "store: bad collection %zu", i);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(sc->colls[j].name, c->name) == 0)
				return SE_RAISEF(ei, SE_INVAL, "store: duplicate collection '%s'",
				                 c->name);
		}
		for (size_t k = 0; k < c->n_indexes; k++) {
			const struct store_index_def *x = &c->indexes[k];

			if (!x->name || !x->name[0] || !x->extract)
				return SE_RAISEF(ei, SE_INVAL, "store: bad index in '%s'", c->name);
			for (size_t j = 0; j < k; j++) {
				if (strcmp(c->indexes[j].name, x->name) == 0)
					return SE_RAISEF(ei, SE_INVAL,
					                 "store: duplicate index '%s.%s'", c->name,
					                 x->name);
			}
			if (strlen(c->name) + strlen(x->name) + 4 > DBNAME_MAX)
				return SE_RAISEF(ei, SE_INVAL, "store: name too long '%s'",
				                 x->name);
		}
	}
	return SE_OK;
}

static enum err open_dbis(struct store *s, const struct store_schema *sc, struct err_info *ei)
{
	MDB_txn *txn = NULL;
	char name[DBNAME_MAX];
	enum err rc = SE_OK;
	int mrc;

	mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (mrc)
		goto fail;
	for (size_t i = 0; i < sc->n_colls; i++) {
		struct scoll *c = &s->colls[i];

		c->def = &sc->colls[i];
		snprintf(name, sizeof(name), "c:%s", c->def->name);
		mrc = mdb_dbi_open(txn, name, MDB_CREATE, &c->dbi);
		if (mrc)
			goto fail;
		for (size_t k = 0; k < c->def->n_indexes; k++) {
			struct sidx *x = &c->idx[k];

			x->def = &c->def->indexes[k];
			snprintf(name, sizeof(name), "i:%s:%s", c->def->name, x->def->name);
			mrc = mdb_dbi_open(
			    txn, name, MDB_CREATE | (x->def->unique ? 0 : MDB_DUPSORT), &x->dbi);
			if (mrc)
				goto fail;
		}
		c->n_idx = c->def->n_indexes;
	}
	s->n_colls = sc->n_colls;
	mrc = mdb_txn_commit(txn);
	txn = NULL;
	if (mrc)
		goto fail;
	goto out;
fail:
	rc = SE_RAISEF(ei, SE_IO, "store: open database '%s': %s", name, mdb_strerror(mrc));
out:
	if (txn)
		mdb_txn_abort(txn);
	return rc;
}

enum err store_open(const char *dir, const struct store_schema *schema,
                    const struct store_opts *opts, struct store **out, struct err_info *ei)
{
	struct store_opts o = {0};
	struct store *s = NULL;
	pthread_rwlockattr_t ra;
	unsigned n_dbs = 4;
	MDB_envinfo info;
	enum err rc;
	int mrc;

	if (opts)
		o = *opts;
	rc = check_schema(schema, ei);
	if (rc)
		return rc;
	for (size_t i = 0; i < schema->n_colls; i++)
		n_dbs += 1 + (unsigned)schema->colls[i].n_indexes;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SE_RAISEF(ei, SE_IO, "store: mkdir '%s': %s", dir, strerror(errno));

	s = xcalloc(1, sizeof(*s));
	s->map_size = o.map_size ? o.map_size : DEFAULT_MAP;
	s->map_max = o.map_max ? o.map_max : DEFAULT_MAP_MAX;
	s->max_batch = o.max_batch ? o.max_batch : DEFAULT_BATCH;
	s->batch = xcalloc(s->max_batch, sizeof(*s->batch));
	pthread_rwlockattr_init(&ra);
	/* growth must not starve behind a steady stream of readers */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->resize, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);

	mrc = mdb_env_create(&s->env);
	if (!mrc)
		mrc = mdb_env_set_maxdbs(s->env, n_dbs);
	if (!mrc)
		mrc = mdb_env_set_mapsize(s->env, s->map_size);
	if (!mrc)
		mrc =
		    mdb_env_set_maxreaders(s->env, o.max_readers ? o.max_readers : DEFAULT_READERS);
	if (!mrc)
		mrc = mdb_env_open(s->env, dir, MDB_NOTLS | (o.no_sync ? MDB_NOSYNC : 0), 0600);
	if (mrc) {
		rc = SE_RAISEF(ei, SE_IO, "store: open '%s': %s", dir, mdb_strerror(mrc));
		goto out;
	}
	/* reader slots left by a process that died (crash, SIGKILL) */
	mdb_reader_check(s->env, NULL);
	mdb_env_info(s->env, &info);
	if (info.me_mapsize > s->map_size)
		s->map_size = info.me_mapsize;
	rc = open_dbis(s, schema, ei);
	if (rc)
		goto out;
	if (pthread_create(&s->committer, NULL, store_committer_main, s) != 0) {
		rc = SE_RAISEF(ei, SE_IO, "store: cannot start committer");
		goto out;
	}
	*out = s;
	s = NULL;
out:
	if (s) {
		if (s->env)
			mdb_env_close(s->env);
		pthread_rwlock_destroy(&s->resize);
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		mem_free(s->batch);
		mem_free(s);
	}
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->committer, NULL);
	mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	mem_free(s->batch);
	mem_free(s);
}

int store_adopt_mapsize(struct store *s)
{
	MDB_envinfo info;
	int mrc;

	pthread_rwlock_wrlock(&s->resize);
	mrc = mdb_env_set_mapsize(s->env, 0);
	pthread_rwlock_unlock(&s->resize);
	if (mrc) {
		log_error("store: adopt map size: %s", mdb_strerror(mrc));
		return mrc;
	}
	mdb_env_info(s->env, &info);
	pthread_mutex_lock(&s->mu);
	if (info.me_mapsize > s->map_size)
		s->map_size = info.me_mapsize;
	pthread_mutex_unlock(&s->mu);
	log_info("store: map resized by another process, now %zu bytes", info.me_mapsize);
	return 0;
}

/* ---- reads ---- */

enum err store_read_begin(struct store *s, struct store_txn **out)
{
	struct store_txn *t;
	MDB_txn *txn;
	int mrc;

	pthread_rwlock_rdlock(&s->resize);
	mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (mrc == MDB_MAP_RESIZED) {
		pthread_rwlock_unlock(&s->resize);
		mrc = store_adopt_mapsize(s);
		pthread_rwlock_rdlock(&s->resize);
		if (!mrc)
			mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	}
	if (mrc) {
		pthread_rwlock_unlock(&s->resize);
		log_warn("store: begin read: %s", mdb_strerror(mrc));
		return mrc == MDB_READERS_FULL ? SE_FULL : SE_IO;
	}
	t = xmalloc(sizeof(*t));
	t->s = s;
	t->txn = txn;
	t->write = false;
	*out = t;
	return SE_OK;
}

void store_read_end(struct store_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	pthread_rwlock_unlock(&t->s->resize);
	mem_free(t);
}

static enum err rd_err(int mrc)
{
	if (mrc == MDB_NOTFOUND)
		return SE_NOT_FOUND;
	log_warn("store: read: %s", mdb_strerror(mrc));
	return SE_IO;
}

enum err store_get(struct store_txn *t, const char *coll, struct str id, struct str *rec)
{
	struct scoll *c = store_coll_find(t->s, coll);
	MDB_val k = val(id), v;
	int mrc;

	if (!c || id.n == 0 || id.n > STORE_ID_MAX)
		return SE_INVAL;
	mrc = mdb_get(t->txn, c->dbi, &k, &v);
	if (mrc)
		return rd_err(mrc);
	*rec = sval(v);
	return SE_OK;
}

static enum err lookup_idx(struct store_txn *t, const char *coll, const char *index,
                           struct sidx **out)
{
	struct scoll *c = store_coll_find(t->s, coll);
	struct sidx *x = c ? find_idx(c, index) : NULL;

	if (!x)
		return SE_INVAL;
	*out = x;
	return SE_OK;
}

enum err store_index_find(struct store_txn *t, const char *coll, const char *index, struct str key,
                          struct str *ids, size_t cap, size_t *n, bool *more)
{
	MDB_cursor *cur = NULL;
	MDB_val k = val(key), v;
	struct sidx *x;
	size_t got = 0;
	enum err rc;
	int mrc;

	if (more)
		*more = false;
	rc = lookup_idx(t, coll, index, &x);
	if (rc)
		return rc;
	if (key.n == 0 || key.n > STORE_KEY_MAX)
		return SE_INVAL;
	mrc = mdb_cursor_open(t->txn, x->dbi, &cur);
	if (mrc)
		return rd_err(mrc);
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	while (mrc == 0) {
		if (got == cap) {
			if (more)
				*more = true;
			break;
		}
		ids[got++] = sval(v);
		if (x->def->unique)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	mdb_cursor_close(cur);
	if (mrc && mrc != MDB_NOTFOUND)
		return rd_err(mrc);
	*n = got;
	return SE_OK;
}

static int cmp_bytes(struct str a, struct str b)
{
	size_t m = a.n < b.n ? a.n : b.n;
	int c = m ? memcmp(a.p, b.p, m) : 0;

	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

/* prefix + suffix into k; false when too long */
static bool join_key(struct store_key *k, struct str prefix, struct str suffix)
{
	if (prefix.n + suffix.n > STORE_KEY_MAX)
		return false;
	if (prefix.n)
		memcpy(k->b, prefix.p, prefix.n);
	if (suffix.n)
		memcpy(k->b + prefix.n, suffix.p, suffix.n);
	k->n = prefix.n + suffix.n;
	return true;
}

/* Positions `cur` at the last key <= the range's upper end (DESC start). */
static int seek_desc(MDB_cursor *cur, const struct store_range *r, MDB_val *k, MDB_val *v)
{
	struct store_key hi;
	int mrc;

	if (r->before.p) {
		if (!join_key(&hi, r->prefix, r->before))
			return EINVAL;
	} else {
		/* the smallest key above every key with this prefix */
		if (!join_key(&hi, r->prefix, STR_NULL))
			return EINVAL;
		while (hi.n && (unsigned char)hi.b[hi.n - 1] == 0xff)
			hi.n--;
		if (hi.n == 0)
			return mdb_cursor_get(cur, k, v, MDB_LAST);
		hi.b[hi.n - 1]++;
	}
	k->mv_data = hi.b;
	k->mv_size = hi.n;
	mrc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (mrc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	if (mrc)
		return mrc;
	/* at the first duplicate of a key >= hi: step before it */
	return mdb_cursor_get(cur, k, v, MDB_PREV_NODUP) == 0
	           ? mdb_cursor_get(cur, k, v, MDB_LAST_DUP)
	           : MDB_NOTFOUND;
}

enum err store_index_scan(struct store_txn *t, const char *coll, const char *index,
                          const struct store_range *r, struct store_hit *hits, size_t cap,
                          size_t *n)
{
	MDB_cursor *cur = NULL;
	struct store_key lo;
	MDB_val k, v;
	struct sidx *x;
	size_t got = 0;
	bool asc = r->dir == STORE_ASC;
	enum err rc;
	int mrc;

	rc = lookup_idx(t, coll, index, &x);
	if (rc)
		return rc;
	mrc = mdb_cursor_open(t->txn, x->dbi, &cur);
	if (mrc)
		return rd_err(mrc);
	if (asc) {
		if (!join_key(&lo, r->prefix, r->after.p ? r->after : STR_NULL)) {
			rc = SE_TOO_LARGE;
			goto out;
		}
		k.mv_data = lo.b;
		k.mv_size = lo.n;
		mrc = lo.n ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
		           : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	} else {
		mrc = seek_desc(cur, r, &k, &v);
		if (mrc == EINVAL) {
			rc = SE_TOO_LARGE;
			goto out;
		}
	}
	while (mrc == 0 && got < cap) {
		struct str key = sval(k), rest;
		bool skip = false;

		if (key.n < r->prefix.n || (r->prefix.n && memcmp(key.p, r->prefix.p, r->prefix.n)))
			break;
		rest = (struct str){key.p + r->prefix.n, key.n - r->prefix.n};
		if (asc) {
			if (r->before.p && cmp_bytes(rest, r->before) >= 0)
				break;
			skip = r->after.p && cmp_bytes(rest, r->after) <= 0;
		} else {
			if (r->after.p && cmp_bytes(rest, r->after) <= 0)
				break;
			skip = r->before.p && cmp_bytes(rest, r->before) >= 0;
		}
		if (!skip) {
			hits[got].key = key;
			hits[got].id = sval(v);
			got++;
		}
		mrc = mdb_cursor_get(cur, &k, &v, asc ? MDB_NEXT : MDB_PREV);
	}
	if (mrc && mrc != MDB_NOTFOUND) {
		rc = rd_err(mrc);
		goto out;
	}
	*n = got;
out:
	mdb_cursor_close(cur);
	return rc;
}

enum err store_count(struct store_txn *t, const char *coll, const char *index, size_t *n)
{
	struct scoll *c = store_coll_find(t->s, coll);
	struct sidx *x = NULL;
	MDB_stat st;
	int mrc;

	if (!c)
		return SE_INVAL;
	if (index) {
		x = find_idx(c, index);
		if (!x)
			return SE_INVAL;
	}
	mrc = mdb_stat(t->txn, x ? x->dbi : c->dbi, &st);
	if (mrc)
		return rd_err(mrc);
	*n = st.ms_entries;
	return SE_OK;
}

/* ---- operations ---- */

enum err store_backup(struct store *s, const char *dir, struct err_info *ei)
{
	int mrc;

	pthread_rwlock_rdlock(&s->resize);
	mrc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&s->resize);
	if (mrc)
		return SE_RAISEF(ei, SE_IO, "store: backup to '%s': %s", dir, mdb_strerror(mrc));
	return SE_OK;
}

void store_stats_get(struct store *s, struct store_stats *out)
{
	MDB_envinfo info;
	MDB_stat st;

	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->map_size = s->map_size;
	pthread_mutex_unlock(&s->mu);
	out->map_used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}
