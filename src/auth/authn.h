/*
 * auth/authn.h: who is making a request (REVOLT.md section 5).
 *
 * Owns: resolving `x-bot-token` (checked first) or `x-session-token` to an
 * identity, the MFA ticket (`x-mfa-ticket`) look-up and its rules (5-minute
 * life, validated or not), last-seen tracking, and the one token comparison.
 * Tokens are looked up by their SHA-256 and the stored hash is compared in
 * constant time.
 * Threads: any thread; each call opens its own short read transaction.
 */
#ifndef SOL_AUTH_AUTHN_H
#define SOL_AUTH_AUTHN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct store;
struct store_txn;
struct http_req;

/* MFA tickets live five minutes from their creation (their ULID time). */
#define AUTHN_TICKET_LIFE_MS (5 * 60 * 1000)
/* last_seen is written at most this often per session */
#define AUTHN_LAST_SEEN_EVERY_MS (60 * 1000)

enum authn_kind {
	AUTHN_NONE,
	AUTHN_SESSION,
	AUTHN_BOT,
};

struct authn {
	enum authn_kind kind;
	char user_id[32];    /* account id = user id; the bot's id for bots */
	char session_id[32]; /* sessions only */
};

struct authn_ticket {
	char id[32];
	char account_id[32];
	bool validated;
	bool authorised;
	int64_t created_ms;
};

/* Constant-time token equality (sodium_memcmp through core/crypto). */
bool authn_token_eq(struct str a, struct str b);

/*
 * Resolve the request's token (x-bot-token only when `allow_bot`; authifier's
 * routes read x-session-token alone). SE_OK with kind AUTHN_NONE when no
 * usable header is present; SE_InvalidSession when a token is present but unknown.
 * Updates the session's last_seen when older than AUTHN_LAST_SEEN_EVERY_MS.
 */
enum err authn_resolve(struct store *store, const struct http_req *req, bool allow_bot,
                       int64_t now_ms, struct authn *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Resolve a bare token (the WebSocket's `token` query or Authenticate
 * message): a session token first, then, when `allow_bot`, a bot token.
 * SE_InvalidSession when neither matches (or the token is empty). Does not
 * write last_seen: callers on an event loop must not wait for a commit.
 */
enum err authn_resolve_token(struct store *store, struct str token, bool allow_bot,
                             struct authn *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Find the MFA ticket with `token`. SE_InvalidToken when unknown or expired
 * at `now_ms`. Reads through `txn` (a read or a write's read view).
 */
enum err authn_ticket_find(struct store_txn *txn, struct str token, int64_t now_ms,
                           struct authn_ticket *out) __attribute__((warn_unused_result));

#endif /* SOL_AUTH_AUTHN_H */
