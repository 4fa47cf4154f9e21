/*
 * auth/account.h: account operations shared by the /auth routes
 * (authifier's Account, Session and MFATicket behaviour on our store).
 *
 * Owns: creating sessions and tickets, consuming an MFA response (password,
 * TOTP with replay protection, single-use recovery codes), deleting
 * sessions with the Auth events the gateway turns into Logout, and the
 * password hashing policy of the daemon.
 * Does not own: HTTP (src/api/auth_*.c) or the mail transport (src/mail/).
 * Threads: any thread. Slow work (argon2) never runs inside a store write.
 */
#ifndef SOL_AUTH_ACCOUNT_H
#define SOL_AUTH_ACCOUNT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct app;
struct store_txn;
struct store_wtxn;

/* bytes of a session, ticket or bot token (nanoid 64) */
#define ACCOUNT_TOKEN_LEN 64
/* bytes of an e-mail verification, reset or deletion token (nanoid 32) */
#define ACCOUNT_MAIL_TOKEN_LEN 32

/* MFA methods, as bits, in Revolt's order ["Password"] or ["Totp","Recovery"]. */
enum account_mfa_method {
	ACCOUNT_MFA_PASSWORD = 1 << 0,
	ACCOUNT_MFA_TOTP = 1 << 1,
	ACCOUNT_MFA_RECOVERY = 1 << 2,
};

/*
 * How long an account stays locked after its `attempts`-th failed login in a
 * row (authifier): none for the first two, 1 minute after the 3rd, 5 after
 * the 4th, an hour after the 5th and every later one.
 */
int64_t account_lockout_ms(int64_t attempts);

/* The methods an account may answer with (from its record). */
unsigned account_mfa_methods(const json_t *account);
/* JSON array of method names for `methods` (new reference). */
json_t *account_mfa_methods_json(unsigned methods);

/* Load the account with `id`, or the one whose normalised e-mail is `email`. */
enum err account_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));
enum err account_find_by_email(struct store_txn *txn, struct str email_normalised, json_t **out)
    __attribute__((warn_unused_result));

/* argon2id with the configured cost; `out` holds CRY_PWHASH_MAX bytes. */
enum err account_hash_password(const struct app *app, struct str pw, char *out)
    __attribute__((warn_unused_result));
/* Constant-time check of `pw` against the account's stored hash. */
bool account_password_ok(const json_t *account, struct str pw);
/*
 * Burn the time of one password check against app->dummy_hash (a hash of a
 * random password made at start), so unknown accounts do not answer faster.
 */
void account_password_dummy(const struct app *app, struct str pw);

/*
 * Create a session for `user_id` named `name` (the login response object,
 * including the token, in *out: new reference). Runs its own store write.
 */
enum err account_session_create(struct app *app, struct str user_id, struct str name, json_t **out,
                                struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Create an MFA ticket for `account_id`; *out is authifier's MFATicket
 * object with the token (new reference). Runs its own store write.
 */
enum err account_ticket_create(struct app *app, struct str account_id, bool validated,
                               bool authorised, json_t **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Delete ticket `id` (consumed). SE_InvalidToken when it is already gone. */
enum err account_ticket_consume(struct app *app, struct str id, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Check an MFA response ({password} | {totp_code} | {recovery_code}) for the
 * account `account_id`. TOTP codes are accepted once (the matched time step
 * must be newer than the last one used); a recovery code is removed when
 * used. Errors: DisallowedMFAMethod, InvalidToken, InvalidCredentials,
 * FailedValidation for a body that is none of the three.
 */
enum err account_mfa_consume(struct app *app, struct str account_id, const json_t *response,
                             struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Delete one session, or all of a user's sessions except `keep` (may be
 * empty), inside the caller's write. Publishes the Auth events afterwards
 * through account_publish_* (called by the caller after the write).
 */
enum err account_sessions_delete(struct store_wtxn *w, struct str user_id, struct str keep,
                                 size_t *deleted) __attribute__((warn_unused_result));
void account_publish_delete_session(struct app *app, struct str user_id, struct str session_id);
void account_publish_delete_all(struct app *app, struct str user_id, struct str keep);

#endif /* SOL_AUTH_ACCOUNT_H */
