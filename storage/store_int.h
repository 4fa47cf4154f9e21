/*
 * storage/store_int.h: private to storage/ (STYLE rule 1); nothing outside
 * the folder includes it. The store object and transaction structs shared by
 * storage/store.c (environment, reads) and storage/store_commit.c (writes,
 * group commit). Locking: see the comments on struct store.
 */
#ifndef SOL_STORAGE_STORE_INT_H
#define SOL_STORAGE_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* one secondary index: its definition and its named database */
struct sidx {
	const struct store_index_def *def;
	MDB_dbi dbi;
};

/* one collection: its record database and its indexes */
struct scoll {
	const struct store_coll_def *def;
	MDB_dbi dbi;
	struct sidx idx[STORE_INDEXES_MAX];
	size_t n_idx;
};

/* one store_write call, on the caller's stack until the committer marks it done */
struct wreq {
	store_write_fn *fn;
	void *arg;
	struct err_info *ei;
	enum err rc;
	bool done;
	pthread_cond_t cv;
	struct wreq *next;
};

struct store {
	MDB_env *env;
	struct scoll colls[STORE_COLLS_MAX];
	size_t n_colls;
	/* read txns hold it shared; map growth takes it exclusive */
	pthread_rwlock_t resize;
	pthread_mutex_t mu; /* guards the queue, closing, stats */
	pthread_cond_t cv;  /* committer waits here for work */
	struct wreq *head, *tail;
	bool closing;
	pthread_t committer;
	size_t map_size, map_max;
	unsigned max_batch;
	struct wreq **batch;
	/* committer-only scratch for index maintenance */
	struct store_keys ko, kn;
	struct err_info scratch_ei;
	struct store_stats st;
};

/* a read transaction (heap) or the view of a write (committer's stack) */
struct store_txn {
	struct store *s;
	MDB_txn *txn;
	bool write;
};

struct store_wtxn {
	struct store_txn view;
	struct err_info *ei;
	int poison; /* LMDB error that makes the whole write fail */
};

static inline MDB_val val(struct str s)
{
	MDB_val v = {s.n, (void *)s.p};

	return v;
}

static inline struct str sval(MDB_val v)
{
	return (struct str){v.mv_data, v.mv_size};
}

/* The collection called `name` (borrowed from s), or NULL. */
struct scoll *store_coll_find(struct store *s, const char *name);

/*
 * Committer thread body (store_commit.c), started by store_open with the
 * store as `arg`; returns once store_close has set `closing` and the queue
 * is drained.
 */
void *store_committer_main(void *arg);
/*
 * Another process (solstice-admin, a second daemon on the same data) wrote
 * past our map: adopt the size it recorded (mdb_env_set_mapsize(env, 0))
 * under the resize lock, which excludes our readers and the committer's
 * transaction. Call without holding the lock. Returns an LMDB code.
 */
int store_adopt_mapsize(struct store *s);

#endif /* SOL_STORAGE_STORE_INT_H */
