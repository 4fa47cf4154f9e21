/*
 * gateway/wire.h: the msgpack transport format of the gateway (format=msgpack).
 *
 * Owns: converting our JSON events to msgpack exactly as Revolt's bonfire
 * sends them (rmp_serde::to_vec_named: maps with string keys, integers in
 * their most compact form, float64, nil, bools, arrays) and converting msgpack
 * client frames back to JSON text for the event handler.
 * Does not own: framing (binary WebSocket frames are the gateway's), the
 * event protocol, choosing the format per connection (gateway.c).
 * Threads: every function is reentrant; the module keeps no state.
 * Memory: output goes to the caller's buf, whose maximum applies; nothing
 * here keeps a pointer after returning. Packing uses Debian's libmsgpack-c;
 * the unpacker is our own because msgpack-c sizes allocations from the
 * element counts a peer claims (docs/internals/gateway.md).
 */
#ifndef SOL_GATEWAY_WIRE_H
#define SOL_GATEWAY_WIRE_H

#include <stddef.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/str.h"

struct buf;
struct json_t;

/* nesting of arrays and maps accepted in either direction */
#define WIRE_DEPTH_MAX LIM_JSON_DEPTH

/*
 * Append the msgpack form of `v` (borrowed) to `out`.
 * Returns SE_OK, SE_PARSE (nesting over WIRE_DEPTH_MAX), or the buffer's
 * SE_TOO_LARGE / SE_NOMEM (then `out` is in error).
 */
enum err wire_pack_json(const struct json_t *v, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Parse `json` (one JSON value, borrowed) and append its msgpack form to
 * `out`. Integers stay integers, reals become float64.
 * Returns SE_OK, SE_PARSE (not JSON, too deep), SE_TOO_LARGE or SE_NOMEM.
 */
enum err wire_json_to_msgpack(struct str json, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Decode exactly one msgpack value filling all of `in` (borrowed; outside
 * input) and append it as compact JSON text to `out`. Pure: never reads past
 * in.n, and every count a header claims is checked against the bytes left
 * before anything is allocated. Fuzzed by tests/fuzz/fuzz_wire.c.
 * Returns SE_OK or SE_PARSE (empty, truncated, trailing bytes, nesting over
 * WIRE_DEPTH_MAX, a non-string or duplicate map key, invalid UTF-8, bin/ext
 * types, an unsigned integer over INT64_MAX), SE_TOO_LARGE or SE_NOMEM.
 */
enum err wire_msgpack_to_json(struct str in, struct buf *out, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_GATEWAY_WIRE_H */
