/*
 * storage/queue.h: persistent work queues on the store (federation delivery,
 * push, embed fetches).
 *
 * Owns: queue items (payload, due time, attempts, lease token, last error),
 * the due-time index, leases, exponential backoff and the dead-letter list.
 * Does not own: the workers, their threads, the clock (every call takes
 * `now`, in milliseconds since the Unix epoch), payload encoding.
 * Threads: any thread; the txn-level calls run inside store_write.
 * Memory: payloads returned by txn-level calls are borrowed until the
 * transaction ends; the *_one helpers copy them into the caller's arena.
 * Layout and design: docs/internals/queue.md.
 */
#ifndef SOL_STORAGE_QUEUE_H
#define SOL_STORAGE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "core/ulid.h"
#include "storage/store.h"

struct arena;

/* bytes of a queue name */
#define QUEUE_NAME_MAX 32
/* bytes of the last error kept with an item (longer text is cut) */
#define QUEUE_ERROR_MAX 240
/* bytes of one payload */
#define QUEUE_PAYLOAD_MAX (1u << 20)

/*
 * The queue collection: put QUEUE_COLL_DEF in the schema given to
 * store_open (all queues share it), e.g.
 * `static const struct store_coll_def colls[] = {QUEUE_COLL_DEF, ...};`.
 */
#define QUEUE_COLL_NAME "queue"
#define QUEUE_N_INDEXES 2
extern const struct store_index_def queue_index_defs[QUEUE_N_INDEXES];
#define QUEUE_COLL_DEF                                                                             \
	{                                                                                          \
		QUEUE_COLL_NAME, queue_index_defs, QUEUE_N_INDEXES                                 \
	}

/* A queue's name and policy; callers keep these as static constants. */
struct queue_def {
	const char *name;        /* 1..QUEUE_NAME_MAX bytes, no NUL */
	int64_t backoff_base_ms; /* delay after the first failure */
	int64_t backoff_cap_ms;  /* largest delay */
	unsigned max_attempts;   /* failures before dead-lettering (>= 1) */
};

struct queue_item {
	char id[ULID_LEN + 1];
	struct str payload; /* borrowed or arena, see the call */
	unsigned attempts;  /* claims so far, this one included */
	uint64_t token;     /* lease token; ack/retry must present it */
	int64_t due;        /* claim: lease end; dead list: time of death */
	struct str error;   /* last error given to queue_retry */
};

/*
 * Adds an item due at `due` inside `w` (same txn as other changes). Its id
 * is a ULID for time `now`; `id_out` (may be NULL) receives it.
 * Returns SE_OK, SE_INVAL (bad def or negative time), SE_TOO_LARGE, store
 * errors.
 */
enum err queue_enqueue(struct store_wtxn *w, const struct queue_def *q, struct str payload,
                       int64_t now, int64_t due, char id_out[ULID_LEN + 1])
    __attribute__((warn_unused_result));

/*
 * Claims the item with the earliest due time <= now: counts an attempt,
 * gives it a new lease token and moves its due time to now + lease_ms, so
 * that it becomes claimable again if the worker dies. `out->payload` is
 * borrowed until the txn ends. Returns SE_OK, SE_NOT_FOUND (nothing due),
 * store errors.
 */
enum err queue_claim(struct store_wtxn *w, const struct queue_def *q, int64_t now, int64_t lease_ms,
                     struct queue_item *out) __attribute__((warn_unused_result));

/*
 * Deletes a claimed item. Returns SE_OK, SE_NOT_FOUND (gone), SE_BUSY
 * (`token` is stale: the lease expired and someone else claimed it, or it
 * was dead-lettered), store errors.
 */
enum err queue_ack(struct store_wtxn *w, const struct queue_def *q, const char *id, uint64_t token)
    __attribute__((warn_unused_result));

/*
 * Reports a failed attempt: the item is due again at now + min(cap, base *
 * 2^(attempts-1)), or goes to the dead-letter list once attempts reach
 * max_attempts. `error` is kept (cut to QUEUE_ERROR_MAX). `*dead` (may be
 * NULL) says which happened. Errors as queue_ack.
 */
enum err queue_retry(struct store_wtxn *w, const struct queue_def *q, const char *id,
                     uint64_t token, int64_t now, struct str error, bool *dead)
    __attribute__((warn_unused_result));

/*
 * Dead letters of `q` in id order after `after_id` (NULL: from the start),
 * up to `cap`, payloads borrowed until the txn ends. Returns SE_OK, store
 * errors.
 */
/*
 * Like queue_retry, but due again at the explicit time `due` (>= now)
 * instead of the queue's own backoff: for callers with their own schedule
 * (jitter, Retry-After). Dead-letters once attempts reach max_attempts.
 * Errors as queue_retry, SE_INVAL for due < now.
 */
enum err queue_retry_at(struct store_wtxn *w, const struct queue_def *q, const char *id,
                        uint64_t token, int64_t now, int64_t due, struct str error, bool *dead)
    __attribute__((warn_unused_result));

/*
 * Gives a claimed item back, due at `due`, without counting the claim as an
 * attempt (the worker chose not to try: a host's breaker is open, the
 * process is stopping). The last error is kept. Errors as queue_ack.
 */
enum err queue_defer(struct store_wtxn *w, const struct queue_def *q, const char *id,
                     uint64_t token, int64_t due) __attribute__((warn_unused_result));

/*
 * The earliest due time of `q`'s live items (claimed ones: their lease
 * end) into `*due`. Returns SE_OK, SE_NOT_FOUND (queue empty), store errors.
 */
enum err queue_next_due(struct store_txn *t, const struct queue_def *q, int64_t *due)
    __attribute__((warn_unused_result));

enum err queue_dead_list(struct store_txn *t, const struct queue_def *q, const char *after_id,
                         struct queue_item *out, size_t cap, size_t *n)
    __attribute__((warn_unused_result));

/*
 * Moves a dead letter back to the queue, due at `now` with zero attempts.
 * Returns SE_OK, SE_NOT_FOUND (no such dead letter), store errors.
 */
enum err queue_dead_requeue(struct store_wtxn *w, const struct queue_def *q, const char *id,
                            int64_t now) __attribute__((warn_unused_result));

/* Items of `q` waiting or claimed (not dead). Returns store errors. */
enum err queue_pending_count(struct store_txn *t, const struct queue_def *q, size_t *n)
    __attribute__((warn_unused_result));

/*
 * Blocking helpers for workers: each runs one store_write. queue_claim_one
 * copies the payload and error into `a` (arena).
 */
enum err queue_claim_one(struct store *s, const struct queue_def *q, int64_t now, int64_t lease_ms,
                         struct arena *a, struct queue_item *out, struct err_info *ei)
    __attribute__((warn_unused_result));
enum err queue_ack_one(struct store *s, const struct queue_def *q, const char *id, uint64_t token,
                       struct err_info *ei) __attribute__((warn_unused_result));
enum err queue_retry_one(struct store *s, const struct queue_def *q, const char *id, uint64_t token,
                         int64_t now, struct str error, bool *dead, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_STORAGE_QUEUE_H */
