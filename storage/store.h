/*
 * storage/store.h: the one LMDB environment: records, secondary indexes,
 * group-committed writes.
 *
 * Owns: collections (id -> opaque record bytes) and their secondary indexes,
 * declared by the caller in a static schema; index maintenance on every
 * write; the committer thread; map growth; online backup.
 * Does not own: record encoding (callers store compact JSON), ids (ULIDs,
 * core/ulid.h), queues (storage/queue.h, built on this API).
 * Threads: any thread. A transaction belongs to the thread that began it.
 * Memory: bytes returned by reads are borrowed from the map (see each call).
 * Layout and design: docs/internals/store.md.
 */
#ifndef SOL_STORAGE_STORE_H
#define SOL_STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ulid;
struct store;
struct store_txn;  /* read view: a read transaction or a write's view */
struct store_wtxn; /* one write, run by the committer thread */

/* bytes of a record id */
#define STORE_ID_MAX 128
/* bytes of one index key (LMDB's key limit is 511) */
#define STORE_KEY_MAX 256
/* index keys one record may yield for one index */
#define STORE_KEYS_MAX 32
/* collections in a schema; indexes per collection */
#define STORE_COLLS_MAX 64
#define STORE_INDEXES_MAX 16

struct store_key {
	size_t n;
	char b[STORE_KEY_MAX];
};

/* A bounded list an extractor fills with store_keys_add. */
struct store_keys {
	size_t n;
	struct store_key k[STORE_KEYS_MAX];
};

/*
 * Appends a copy of `key`. Returns SE_OK, SE_TOO_LARGE (longer than
 * STORE_KEY_MAX, or empty) or SE_FULL (STORE_KEYS_MAX keys already).
 */
enum err store_keys_add(struct store_keys *keys, struct str key)
    __attribute__((warn_unused_result));

/*
 * Composite key `prefix` + the 26-character text of `u` into `out`; the text
 * sorts like time. Prefixes within one index must be prefix-free (all the
 * same length, e.g. a channel id, or ending in a terminator byte) so that a
 * scan over one prefix never sees another's keys. Returns SE_TOO_LARGE.
 */
enum err store_key_compose(struct str prefix, const struct ulid *u, struct store_key *out)
    __attribute__((warn_unused_result));

/*
 * Index extractor: given a record's bytes (borrowed for the call), add zero
 * or more keys to `out`. Must be pure: it runs for old and new versions of a
 * record, possibly several times. An error fails the write op.
 */
typedef enum err store_extract_fn(struct str id, struct str rec, struct store_keys *out, void *arg);

struct store_index_def {
	const char *name;          /* unique within the collection */
	bool unique;               /* one id per key: duplicates get SE_EXISTS */
	store_extract_fn *extract; /* required */
	void *arg;                 /* passed to extract */
};

struct store_coll_def {
	const char *name; /* unique within the schema */
	const struct store_index_def *indexes;
	size_t n_indexes;
};

/* Borrowed by store_open until store_close: keep it static. */
struct store_schema {
	const struct store_coll_def *colls;
	size_t n_colls;
};

struct store_opts {
	size_t map_size;      /* initial map bytes; 0: 64 MiB. Grows by doubling */
	size_t map_max;       /* growth limit; 0: 1 TiB */
	unsigned max_readers; /* concurrent read transactions; 0: 512 */
	unsigned max_batch;   /* writes per commit; 0: 1024 */
	bool no_sync;         /* tests only: commits are not durable */
};

/* ---- lifecycle ---- */

/*
 * Opens (creating if needed) the environment in directory `dir` (created
 * 0700 if missing) with the collections and indexes of `schema`, and starts
 * the committer thread. `*out` is owned: release with store_close.
 * Returns SE_OK, SE_INVAL (bad schema), SE_IO (ei->detail has the reason).
 */
enum err store_open(const char *dir, const struct store_schema *schema,
                    const struct store_opts *opts, struct store **out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Stops accepting writes, commits every write already submitted, joins the
 * committer and closes the environment. Accepts NULL. No transaction may be
 * open in any thread.
 */
void store_close(struct store *s);

/* ---- reads ---- */

/*
 * Begins a read transaction for the calling thread; end it soon (it pins
 * old pages and blocks map growth). One at a time per thread, and never call
 * store_write while holding one (map growth would wait for it).
 * Returns SE_OK, SE_FULL (too many readers), SE_IO.
 */
enum err store_read_begin(struct store *s, struct store_txn **out)
    __attribute__((warn_unused_result));
/* Ends it; every slice read through it becomes invalid. Accepts NULL. */
void store_read_end(struct store_txn *txn);

/*
 * Record `id` of collection `coll`. `*rec` is borrowed until the transaction
 * ends (in a write: until the next change in it). Returns SE_OK,
 * SE_NOT_FOUND, SE_INVAL (unknown collection), SE_IO.
 */
enum err store_get(struct store_txn *txn, const char *coll, struct str id, struct str *rec)
    __attribute__((warn_unused_result));

/*
 * Exact index lookup: the ids stored under `key`, in id order, up to `cap`
 * into `ids` (borrowed like store_get); `*n` gets the count. `*more` (may be
 * NULL) is set when more ids exist. Returns SE_OK (also for zero ids),
 * SE_INVAL, SE_IO.
 */
enum err store_index_find(struct store_txn *txn, const char *coll, const char *index,
                          struct str key, struct str *ids, size_t cap, size_t *n, bool *more)
    __attribute__((warn_unused_result));

enum store_dir {
	STORE_ASC,  /* oldest first: history "after X" */
	STORE_DESC, /* newest first: history "before X" */
};

/*
 * A range over the keys of one index that start with `prefix`. `after` and
 * `before` are exclusive bounds on the rest of the key (the part after the
 * prefix, e.g. a ULID), compared bytewise; STR_NULL means unbounded.
 */
struct store_range {
	struct str prefix;
	struct str after;
	struct str before;
	enum store_dir dir;
};

struct store_hit {
	struct str key; /* whole index key, borrowed like store_get */
	struct str id;
};

/*
 * Up to `cap` entries of `r` in its direction into `hits`; `*n` gets the
 * count. Returns SE_OK, SE_INVAL, SE_IO.
 */
enum err store_index_scan(struct store_txn *txn, const char *coll, const char *index,
                          const struct store_range *r, struct store_hit *hits, size_t cap,
                          size_t *n) __attribute__((warn_unused_result));

/* Entries in a collection (index NULL) or an index. Returns SE_INVAL. */
enum err store_count(struct store_txn *txn, const char *coll, const char *index, size_t *n)
    __attribute__((warn_unused_result));

/* ---- writes ---- */

/*
 * A write. Runs on the committer thread inside its own nested transaction:
 * returning an error (or failing any op) discards exactly this write's
 * changes. It may be run more than once (the batch is retried after map
 * growth), so it must have no side effects outside the transaction other
 * than (re)writing its own outputs through `arg`. It must not block, do I/O,
 * or call store_write / store_read_begin.
 */
typedef enum err store_write_fn(struct store_wtxn *w, void *arg);

/*
 * Submits `fn(w, arg)` and blocks until the batch holding it is durable on
 * disk (or the write failed). Returns fn's result, an op's error, SE_BUSY
 * (store closing), SE_TOO_LARGE (the write alone exceeds a transaction),
 * SE_IO. `ei` (may be NULL) receives details.
 * Threads: any thread except the committer, without an open read txn.
 */
enum err store_write(struct store *s, store_write_fn *fn, void *arg, struct err_info *ei)
    __attribute__((warn_unused_result));

/* The write's read view, for store_get/find/scan inside fn. */
struct store_txn *store_wtxn_read(struct store_wtxn *w);
/* The caller's err_info of this write (never NULL), for fn's own errors. */
struct err_info *store_wtxn_ei(struct store_wtxn *w);

/*
 * Record ops; each is atomic (it fails before changing anything, except
 * for environment errors, which fail the whole write) and maintains every
 * index of the collection. `rec` and `id` are copied.
 * create: SE_EXISTS if the id exists. put: create or replace.
 * update: SE_NOT_FOUND if the id does not exist. delete: SE_NOT_FOUND.
 * All: SE_EXISTS (ei->detail names the index) when a unique index key is
 * owned by another id; SE_INVAL; SE_TOO_LARGE (id or key too long); an
 * extractor's error; SE_FULL / SE_IO.
 */
enum err store_create(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
    __attribute__((warn_unused_result));
enum err store_put(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
    __attribute__((warn_unused_result));
enum err store_update(struct store_wtxn *w, const char *coll, struct str id, struct str rec)
    __attribute__((warn_unused_result));
enum err store_delete(struct store_wtxn *w, const char *coll, struct str id)
    __attribute__((warn_unused_result));

/* ---- operations ---- */

/*
 * Online backup: a compacted, consistent copy of the environment into the
 * existing empty directory `dir` (mdb_env_copy2 with MDB_CP_COMPACT). Writes
 * continue meanwhile; map growth waits until the copy ends.
 * Returns SE_OK, SE_IO.
 */
enum err store_backup(struct store *s, const char *dir, struct err_info *ei)
    __attribute__((warn_unused_result));

struct store_stats {
	size_t map_size;  /* current map bytes */
	size_t map_used;  /* bytes up to the last used page */
	uint64_t commits; /* durable commits */
	uint64_t writes;  /* store_write calls that succeeded */
	uint64_t failed;  /* store_write calls that failed */
	uint64_t grows;   /* map growths */
	uint64_t retries; /* batches re-run */
};

void store_stats_get(struct store *s, struct store_stats *out);

#endif /* SOL_STORAGE_STORE_H */
