/*
 * storage/record.h: records stored as compact JSON, the form every
 * collection of the daemon uses. The store itself keeps opaque bytes; this
 * is the one place that turns a stored record back into a jansson object.
 * Threads: as the transaction passed in.
 */
#ifndef SOL_STORAGE_RECORD_H
#define SOL_STORAGE_RECORD_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/*
 * Record `id` of `coll` as a JSON object (a new reference in *out, written
 * only on success). SE_NOT_FOUND when absent, SE_PARSE when the stored
 * bytes are not a JSON object, store errors otherwise.
 */
enum err store_get_json(struct store_txn *txn, const char *coll, struct str id, json_t **out)
    __attribute__((warn_unused_result));

#endif /* SOL_STORAGE_RECORD_H */
