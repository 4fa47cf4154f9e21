/*
 * auth/totp.h: RFC 4648 base32, HOTP (RFC 4226) and TOTP (RFC 6238) as
 * authifier uses them: SHA-1, 6 digits, 30-second steps, a secret of 10
 * random bytes shown as 16 base32 characters without padding.
 *
 * Owns: the codec, code generation and the check with its +-1 step window.
 * Does not own: storing the secret or the last used step (replay guard:
 * callers keep the step totp_check reports and refuse steps not above it),
 * the clock (callers pass `now_s`).
 * Threads: reentrant; no state. Memory: caller-provided buffers only; key
 * bytes are wiped before returning.
 */
#ifndef SOL_AUTH_TOTP_H
#define SOL_AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Characters of the base32 form of `n` bytes, without padding. */
#define TOTP_B32_LEN(n) (((n)*8 + 4) / 5)
/* Longest base32 text totp_b32_decode reads (spaces included), in bytes. */
#define TOTP_B32_IN_MAX 256
/* Largest decoded secret, in bytes (TOTP_B32_IN_MAX symbols of 5 bits). */
#define TOTP_SECRET_MAX 160
/* Bytes of a new secret, and the length of its base32 form. */
#define TOTP_SECRET_BYTES 10
#define TOTP_SECRET_B32 16
#define TOTP_DIGITS 6
#define TOTP_STEP_S 30

/*
 * Base32 (RFC 4648 section 6 alphabet, upper case, no '=' padding) of `n`
 * bytes into `out`, which holds TOTP_B32_LEN(n) + 1 bytes (NUL-terminated).
 */
void totp_b32_encode(const void *p, size_t n, char *out);

/*
 * Decode base32 text: case-insensitive, ASCII spaces ignored, no padding.
 * Writes at most `cap` bytes to `out` and their count to `*out_len`.
 * Errors: SE_PARSE for a character outside the alphabet (including '=') or
 * a length no encoder produces (1, 3 or 6 symbols past a multiple of 8),
 * SE_TOO_LARGE for input over TOTP_B32_IN_MAX bytes or output over `cap`.
 * Nothing is reported as written on error.
 */
enum err totp_b32_decode(struct str in, unsigned char *out, size_t cap, size_t *out_len)
    __attribute__((warn_unused_result));

/* A new secret: TOTP_SECRET_BYTES random bytes as 16 base32 characters + NUL. */
void totp_secret_new(char out[TOTP_SECRET_B32 + 1]);

/*
 * The HOTP value (RFC 4226) of `counter` under the base32 secret, as exactly
 * `digits` (6 to 8) decimal digits + NUL in `out` (digits + 1 bytes).
 * Errors: SE_INVAL for `digits` out of range, SE_PARSE/SE_TOO_LARGE for the
 * secret (as totp_b32_decode), SE_PARSE for an empty secret.
 */
enum err totp_hotp(struct str secret_b32, uint64_t counter, unsigned digits, char *out)
    __attribute__((warn_unused_result));

/*
 * True when `code` is the 6-digit TOTP value of step now_s / 30 or of one
 * step either side. Every candidate is computed and compared in constant
 * time. On success `*step_out` (may be NULL) gets the matching step
 * (current step preferred, then the previous, then the next). False for a
 * code that is not exactly six ASCII digits, a bad secret or now_s < 0.
 */
bool totp_check(struct str secret_b32, struct str code, int64_t now_s, int64_t *step_out);

#endif /* SOL_AUTH_TOTP_H */
