/*
 * federation/objmap.h: the AP id <-> local id mapping (collection "ap_ids").
 *
 * Owns: records {"ap": <AP id>, "kind": "user"|"message"|"activity"|"follow",
 * "local": <local id>} keyed by the lowercase hex SHA-256 of the AP id (so
 * any URL length fits the store's id limit), and the index from
 * (kind, local id) back to the AP id.
 * Does not own: what the local ids point at (users, messages, follows).
 * Threads: pure functions over the caller's transaction.
 */
#ifndef SOL_FEDERATION_OBJMAP_H
#define SOL_FEDERATION_OBJMAP_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct arena;

#define FMAP_COLL "ap_ids"
/* bytes of an AP id we map (longer ids are refused with SE_TOO_LARGE) */
#define FMAP_AP_ID_MAX 2048
/* bytes of a kind, NUL included */
#define FMAP_KIND_MAX 16
/* bytes of a local id, NUL included */
#define FMAP_LOCAL_MAX 128
/* hex SHA-256 record id, NUL included */
#define FMAP_HEX_LEN 65

/* The collection for the schema (api/routes.c collections[]). */
extern const struct store_index_def fmap_index_defs[1];
#define FMAP_COLL_DEF                                                                              \
	{                                                                                          \
		FMAP_COLL, fmap_index_defs, 1                                                      \
	}

/* Record id of `ap_id`: 64 lowercase hex digits of its SHA-256, NUL-terminated. */
void fmap_id_hex(struct str ap_id, char out[FMAP_HEX_LEN]);

/*
 * Map `ap_id` to (`kind`, `local_id`), replacing an existing mapping.
 * `kind` is a short word ("user", "message", "activity", "follow").
 * Returns SE_OK, SE_INVAL (empty id, bad kind), SE_TOO_LARGE (id over
 * FMAP_AP_ID_MAX or local id over FMAP_LOCAL_MAX - 1), store errors.
 */
enum err fmap_put(struct store_wtxn *w, struct str ap_id, const char *kind, struct str local_id)
    __attribute__((warn_unused_result));

/*
 * The mapping of `ap_id`: kind and local id copied out (NUL-terminated).
 * Returns SE_OK, SE_NOT_FOUND, SE_PARSE (corrupt record), store errors.
 */
enum err fmap_get(struct store_txn *t, struct str ap_id, char kind[FMAP_KIND_MAX],
                  char local_id[FMAP_LOCAL_MAX]) __attribute__((warn_unused_result));

/* Removes the mapping. Returns SE_OK, SE_NOT_FOUND, store errors. */
enum err fmap_delete(struct store_wtxn *w, struct str ap_id) __attribute__((warn_unused_result));

/*
 * Reverse lookup: the AP id mapped to (`kind`, `local_id`), copied into the
 * arena `a` (the first one if several). Returns SE_OK, SE_NOT_FOUND,
 * SE_NOMEM, store errors.
 */
enum err fmap_ap_of(struct store_txn *t, const char *kind, struct str local_id, struct arena *a,
                    const char **ap_id) __attribute__((warn_unused_result));

/*
 * Deletes up to `max` mappings of `kind` whose local id sorts (bytewise)
 * before `local_before`, oldest first; `*n` gets how many. With ULID local
 * ids this is "older than": the inbox expires the "activity" mappings it
 * keeps for replay detection. Returns SE_OK, SE_INVAL (bad kind), store
 * errors.
 */
enum err fmap_purge_before(struct store_wtxn *w, const char *kind, struct str local_before,
                           size_t max, size_t *n) __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_OBJMAP_H */
