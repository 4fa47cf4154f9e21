/*
 * files/cleanup.h: Autumn's crond tasks (REVOLT.md section 14;
 * backend crates/daemons/crond/src/tasks/prune_dangling_files.rs and
 * file_deletion.rs), on a background thread.
 *
 * Owns: flagging uploads never attached within the grace period deleted
 * (one write per file, so a concurrent attach wins or loses cleanly), and
 * removing deleted files: their blob and their cached previews' blobs once
 * no live file shares the hash (under the blob lock of files/file.h), then
 * their record.
 * Does not own: the store or the blob store (borrowed), the schedule's
 * clock source for tests (files_cleanup_run takes `now_ms`).
 * Threads: the worker is one thread; start/stop from the main thread.
 * files_cleanup_run may be called from any thread but the committer.
 */
#ifndef SOL_FILES_CLEANUP_H
#define SOL_FILES_CLEANUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct store;
struct blob_store;
struct files_cleanup;

/* default seconds between passes (crond runs every 60 s) */
#define FILES_CLEANUP_INTERVAL_DEFAULT 60
/* uploads never attached are flagged deleted after this (1 h) */
#define FILES_UNATTACHED_MAX_MS (60ll * 60 * 1000)
/* files handled per pass and per step (the rest waits for the next pass) */
#define FILES_CLEANUP_BATCH 256
/* cached previews looked at per file (one per tag box today) */
#define FILES_PREVIEWS_MAX 8

struct files_cleanup_stats {
	size_t flagged;       /* unattached uploads flagged deleted */
	size_t blobs_removed; /* blobs deleted */
	size_t records_removed;
};

/*
 * One pass at `now_ms`: flag uploads older than `max_age_ms` that are still
 * unattached, then reap deleted files. `stats` may be NULL. Errors: store
 * and blob errors (the pass stops; the next one retries).
 */
enum err files_cleanup_run(struct store *st, struct blob_store *blobs, int64_t now_ms,
                           int64_t max_age_ms, struct files_cleanup_stats *stats)
    __attribute__((warn_unused_result));

/*
 * Start the worker: a pass every `interval_s` seconds (0 = the default).
 * `st` and `blobs` are borrowed until files_cleanup_stop. `*out` is owned.
 * Errors: SE_IO (thread creation).
 */
enum err files_cleanup_start(struct store *st, struct blob_store *blobs, unsigned interval_s,
                             struct files_cleanup **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Wake the worker, wait for it to finish its pass, and free it. Accepts NULL. */
void files_cleanup_stop(struct files_cleanup *c);

#endif /* SOL_FILES_CLEANUP_H */
