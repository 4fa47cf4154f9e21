/*
 * users/pchange.h: platform policy changes (Revolt's PolicyChange,
 * REVOLT.md section 9: Ready's `policy_changes`).
 *
 * Owns: the "policy_changes" collection. An operator records a change
 * (tools/admin: `solstice-admin policy-change add`); every user whose last
 * acknowledgement (POST /policy/acknowledge, channels/sync.h
 * SYNC_POLICY_COLL) is older than the change gets it in Ready until they
 * acknowledge. A user who never acknowledged counts from the creation of
 * their account (the time in their ULID), as Revolt sets
 * last_acknowledged_policy_change when it creates a user.
 * Threads: plain functions on a caller's transaction.
 */
#ifndef SOL_USERS_PCHANGE_H
#define SOL_USERS_PCHANGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define PCHANGE_COLL "policy_changes"
#define PCHANGE_IDX_ALL "all"
/* policy changes kept: adding more is SE_FULL */
#define PCHANGE_MAX 256
/* bytes of a description and of a URL */
#define PCHANGE_DESC_MAX 2000
#define PCHANGE_URL_MAX 2000

extern const struct store_index_def pchange_idx[1];

/* The collection, as an initialiser for a schema table. */
#define PCHANGE_COLL_DEF                                                                           \
	{                                                                                          \
		PCHANGE_COLL, pchange_idx, 1                                                       \
	}

/*
 * Record a change made at `now_ms` that takes effect at `effective_ms`
 * (-1: now). `description` and `url` must be non-empty UTF-8 without control
 * bytes, at most PCHANGE_*_MAX bytes; the url http(s). The new id (a ULID)
 * into id_out. SE_INVAL (with ei->detail), SE_FULL, store errors.
 */
enum err pchange_add(struct store_wtxn *w, struct str description, struct str url,
                     int64_t effective_ms, int64_t now_ms, char id_out[32], struct err_info *ei)
    __attribute__((warn_unused_result));

/* Remove change `id`. SE_NOT_FOUND, store errors. */
enum err pchange_remove(struct store_wtxn *w, struct str id) __attribute__((warn_unused_result));

/*
 * Every change, oldest first, as stored records {_id, created, effective,
 * description, url} (ms times) appended to `out` (an array). Store errors.
 */
enum err pchange_list(struct store_txn *txn, json_t *out) __attribute__((warn_unused_result));

/*
 * The changes `user` has not acknowledged, oldest first, as Revolt's
 * PolicyChange {created_time, effective_time, description, url} (ISO 8601
 * times) appended to `out`. Store errors; an unknown user is SE_OK with none.
 */
enum err pchange_pending(struct store_txn *txn, struct str user, json_t *out)
    __attribute__((warn_unused_result));

#endif /* SOL_USERS_PCHANGE_H */
