/*
 * files/cleanup.c: the file clean-up worker (crond's prune_dangling_files
 * and file_deletion): flag, then reap, one store write per file.
 */
#include "files/cleanup.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "auth/records.h"
#include "core/log.h"
#include "core/mem.h"
#include "files/blob.h"
#include "files/file.h"
#include "storage/store.h"

struct files_cleanup {
	struct store *st;
	struct blob_store *blobs;
	unsigned interval_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

struct item {
	char id[FILE_ID_LEN + 1];
	char hash[BLOB_HASH_HEX];
};

/* prune_dangling_files: still unattached and live -> deleted */
static enum err flag_fn(struct store_wtxn *w, void *arg)
{
	const char *id = arg;
	struct store_txn *txn = store_wtxn_read(w);
	json_t *rec = NULL;
	enum err rc = file_load(txn, str_from(id), &rec);

	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (!rc && !json_object_get(rec, "used_for") &&
	    !json_is_true(json_object_get(rec, "deleted")))
		rc = file_mark_deleted(w, str_from(id));
	json_decref(rec);
	return rc;
}

static enum err remove_fn(struct store_wtxn *w, void *arg)
{
	enum err rc = store_delete(w, FILE_COLL, str_from((const char *)arg));

	return rc == SE_NOT_FOUND ? SE_OK : rc;
}

/* Up to FILES_CLEANUP_BATCH ids from an index range, copied out. */
static enum err collect(struct store *st, const char *index, struct str before, struct item *items,
                        size_t *n)
{
	struct store_txn *txn = NULL;
	struct store_hit *hits = xcalloc(FILES_CLEANUP_BATCH, sizeof(*hits));
	struct store_range r = {STR_LIT(""), STR_NULL, before, STORE_ASC};
	size_t k = 0;
	enum err rc = store_read_begin(st, &txn);

	*n = 0;
	if (!rc)
		rc = store_index_scan(txn, FILE_COLL, index, &r, hits, FILES_CLEANUP_BATCH, &k);
	for (size_t i = 0; !rc && i < k; i++) {
		struct str id = hits[i].id;

		if (id.n > FILE_ID_LEN)
			continue;
		memcpy(items[*n].id, id.p, id.n);
		items[*n].id[id.n] = '\0';
		/* the deleted index is keyed by the hash */
		if (hits[i].key.n == BLOB_HASH_HEX - 1) {
			memcpy(items[*n].hash, hits[i].key.p, hits[i].key.n);
			items[*n].hash[hits[i].key.n] = '\0';
		} else {
			items[*n].hash[0] = '\0';
		}
		(*n)++;
	}
	store_read_end(txn);
	mem_free(hits);
	return rc;
}

/* Delete blob `hash` unless a live file uses it (call under the blob lock). */
static enum err drop_unused(struct store *st, struct blob_store *blobs, const char *hash,
                            struct files_cleanup_stats *s)
{
	struct err_info ei = ERR_INFO_INIT;
	bool used = true;
	enum err rc = file_hash_used(st, hash, &used);

	if (rc || used || !blob_is_hash(hash))
		return rc;
	rc = blob_delete(blobs, hash, &ei);
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (!rc)
		s->blobs_removed++;
	return rc;
}

/*
 * The cached previews of file `id` (copied out; at most FILES_PREVIEWS_MAX).
 * A deleted record gains no preview (file_preview_set), so this list is final.
 */
static enum err preview_hashes(struct store *st, const char *id, char (*out)[BLOB_HASH_HEX],
                               size_t *n)
{
	struct store_txn *txn = NULL;
	json_t *rec = NULL, *pv;
	const char *k;
	enum err rc = store_read_begin(st, &txn);

	*n = 0;
	if (!rc)
		rc = file_load(txn, str_from(id), &rec);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND || rc == SE_PARSE)
		return SE_OK;
	json_object_foreach(json_object_get(rec, "preview"), k, pv)
	{
		const char *h = json_string_value(pv);

		if (*n < FILES_PREVIEWS_MAX && h && blob_is_hash(h))
			memcpy(out[(*n)++], h, BLOB_HASH_HEX);
	}
	json_decref(rec);
	return rc;
}

/* file_deletion: the blob and its previews' blobs when unused, then the record */
static enum err reap(struct store *st, struct blob_store *blobs, const struct item *it,
                     struct files_cleanup_stats *s)
{
	struct err_info ei = ERR_INFO_INIT;
	char previews[FILES_PREVIEWS_MAX][BLOB_HASH_HEX];
	size_t np = 0;
	enum err rc = preview_hashes(st, it->id, previews, &np);

	if (rc)
		return rc;
	file_blob_lock();
	rc = drop_unused(st, blobs, it->hash, s);
	for (size_t i = 0; !rc && i < np; i++)
		rc = drop_unused(st, blobs, previews[i], s);
	file_blob_unlock();
	if (!rc)
		rc = store_write(st, remove_fn, (void *)it->id, &ei);
	if (!rc)
		s->records_removed++;
	return rc;
}

enum err files_cleanup_run(struct store *st, struct blob_store *blobs, int64_t now_ms,
                           int64_t max_age_ms, struct files_cleanup_stats *stats)
{
	struct files_cleanup_stats s = {0, 0, 0};
	struct item *items = xcalloc(FILES_CLEANUP_BATCH, sizeof(*items));
	char cutoff[32];
	size_t n = 0;
	enum err rc;

	authrec_iso8601(now_ms - max_age_ms, cutoff);
	rc = collect(st, FILE_IDX_UNATTACHED, str_from(cutoff), items, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = store_write(st, flag_fn, items[i].id, NULL);
		if (!rc)
			s.flagged++;
	}
	if (!rc)
		rc = collect(st, FILE_IDX_DELETED, STR_NULL, items, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = reap(st, blobs, &items[i], &s);
	mem_free(items);
	if (stats)
		*stats = s;
	return rc;
}

static void *worker(void *arg)
{
	struct files_cleanup *c = arg;
	struct files_cleanup_stats s;
	struct timespec until;
	enum err rc;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += c->interval_s;
		while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		rc = files_cleanup_run(c->st, c->blobs, authrec_now_ms(), FILES_UNATTACHED_MAX_MS,
		                       &s);
		if (rc)
			log_warn("files: clean-up pass failed: %s", err_type(rc));
		else if (s.flagged || s.records_removed)
			log_info("files: clean-up flagged %zu, removed %zu records and %zu blobs",
			         s.flagged, s.records_removed, s.blobs_removed);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

enum err files_cleanup_start(struct store *st, struct blob_store *blobs, unsigned interval_s,
                             struct files_cleanup **out, struct err_info *ei)
{
	struct files_cleanup *c = xcalloc(1, sizeof(*c));

	c->st = st;
	c->blobs = blobs;
	c->interval_s = interval_s ? interval_s : FILES_CLEANUP_INTERVAL_DEFAULT;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, worker, c)) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		mem_free(c);
		return SE_RAISEF(ei, SE_IO, "cannot start the file clean-up thread");
	}
	*out = c;
	return SE_OK;
}

void files_cleanup_stop(struct files_cleanup *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	mem_free(c);
}
