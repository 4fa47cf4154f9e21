/*
 * federation/base58.h: base58btc (the Bitcoin alphabet), for FEP-521a
 * Multikey values (prefix b58_).
 *
 * Owns: encoding and decoding of short byte strings (keys). Quadratic time,
 * so inputs are capped at B58_MAX_BYTES.
 * Threads: pure functions.
 */
#ifndef SOL_FEDERATION_BASE58_H
#define SOL_FEDERATION_BASE58_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

/* bytes of decoded data we handle (a multicodec key is 34) */
#define B58_MAX_BYTES 128
/* characters of the encoding of B58_MAX_BYTES bytes, plus the NUL */
#define B58_MAX_TEXT 180

/*
 * base58btc of `n` bytes (n <= B58_MAX_BYTES) into `out` (`cap` bytes,
 * NUL-terminated). SE_TOO_LARGE when n or the text does not fit.
 */
enum err b58_encode(const unsigned char *in, size_t n, char *out, size_t cap)
    __attribute__((warn_unused_result));

/*
 * Decodes `in` (at most B58_MAX_TEXT characters) into `out` (`cap` bytes);
 * `*n` gets the length. SE_PARSE (a character outside the alphabet, empty),
 * SE_TOO_LARGE.
 */
enum err b58_decode(struct str in, unsigned char *out, size_t cap, size_t *n)
    __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_BASE58_H */
