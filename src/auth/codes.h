/*
 * auth/codes.h: the random codes accounts hand out: MFA recovery codes
 * (authifier generate_recovery_codes), nanoid tokens (sessions, tickets,
 * e-mail and reset links) and invite codes (Revolt channel_invites).
 *
 * Owns: their alphabets and lengths. Does not own: storing them, the
 * constant-time comparison (core/crypto.h cry_eq).
 * Threads: any thread (after cry_init). Memory: caller buffers only.
 */
#ifndef SOL_AUTH_CODES_H
#define SOL_AUTH_CODES_H

#include <stddef.h>

#define CODES_RECOVERY_COUNT 10
/* "xxxxx-xxxxx" and its NUL */
#define CODES_RECOVERY_SIZE 12
#define CODES_INVITE_LEN 8
/* Token lengths authifier uses: sessions and MFA tickets, e-mail/reset codes. */
#define CODES_TOKEN_LEN 64
#define CODES_MAIL_TOKEN_LEN 32

/*
 * Ten recovery codes "xxxxx-xxxxx", each x uniform over authifier's 32
 * symbols "1234567890abcdefghjkmnpqrstvwxyz" (no i, l, o, u).
 */
void codes_recovery_new(char codes[CODES_RECOVERY_COUNT][CODES_RECOVERY_SIZE]);

/* `n` characters of [A-Za-z0-9_-] + NUL (nanoid's alphabet; out holds n + 1). */
void codes_token_new(char *out, size_t n);

/* An invite code: 8 characters of 0-9A-HJKMNP-TV-Za-hjkmnp-tv-z + NUL. */
void codes_invite_new(char out[CODES_INVITE_LEN + 1]);

#endif /* SOL_AUTH_CODES_H */
