/*
 * core/jx.h: JSON helpers on top of jansson (`json_` is jansson's prefix).
 *
 * Owns: parsing outside JSON with our limits (size, nesting depth, duplicate
 * keys, NUL bytes) and typed field access for request bodies. Does not own:
 * the shape of any particular body (each route validates its own).
 * Threads: reentrant. jx_init must run once before other threads start.
 * Memory: parse results are new references (caller json_decref's them);
 * getters borrow.
 */
#ifndef SOL_CORE_JX_H
#define SOL_CORE_JX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Route jansson's allocations through mem_try_alloc/mem_free. */
void jx_init(void);

/*
 * Parse `in` (at most `max` bytes) as one JSON value nested at most
 * LIM_JSON_DEPTH deep, rejecting duplicate object keys and trailing bytes.
 * Strings containing \u0000 are rejected. On success *out is a new
 * reference. Errors: SE_TOO_LARGE, SE_PARSE (ei->detail says where),
 * SE_NOMEM.
 */
enum err jx_parse(struct str in, size_t max, json_t **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* As jx_parse, and the value must be an object (else SE_PARSE). */
enum err jx_parse_object(struct str in, size_t max, json_t **out, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Nesting depth of the JSON text (brackets outside strings); pure. */
size_t jx_depth(struct str in);

/*
 * Typed getters. Each returns SE_OK and sets *out when the key holds the
 * type; SE_NOT_FOUND when the key is absent or null (out untouched);
 * SE_PARSE with ei->detail naming the key when it has another type.
 */
enum err jx_get_str(const json_t *obj, const char *key, struct str *out, struct err_info *ei);
enum err jx_get_bool(const json_t *obj, const char *key, bool *out, struct err_info *ei);
enum err jx_get_int(const json_t *obj, const char *key, int64_t *out, struct err_info *ei);

/*
 * Compact serialisation preserving key order, into an owned C string (free
 * with mem_free); NULL when out of memory (never a truncated text).
 */
char *jx_dump(const json_t *v);

#endif /* SOL_CORE_JX_H */
