/*
 * auth/records.h: the stored shapes of accounts, sessions, MFA tickets and
 * bot tokens (authifier's models) and their indexes.
 *
 * Owns: collection and index definitions for the store schema, the index
 * extractors, the token hash that sessions, tickets and bots are looked up
 * by, and small helpers to load a record as JSON.
 * Records are compact JSON. Tokens are never stored: only the SHA-256 of a
 * session, ticket or bot token is, as "token_hash".
 * Threads: pure functions; reentrant.
 */
#ifndef SOL_AUTH_RECORDS_H
#define SOL_AUTH_RECORDS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define AUTHREC_ACCOUNTS "accounts"
#define AUTHREC_SESSIONS "sessions"
#define AUTHREC_TICKETS "tickets"
#define AUTHREC_BOTS "bots"
/* registration invites (api.invite_only): _id = code → {_id, used, claimed_by?} */
#define AUTHREC_INVITES "account_invites"

/* hex SHA-256 of a token */
#define AUTHREC_HASH_LEN 64

/* Index tables of the collections, for AUTHREC_COLL_DEFS. */
extern const struct store_index_def authrec_account_idx[4];
extern const struct store_index_def authrec_session_idx[2];
extern const struct store_index_def authrec_ticket_idx[1];
extern const struct store_index_def authrec_bot_idx[1];

/* The collections, as initialisers for a schema table (a comma-separated list). */
#define AUTHREC_COLL_DEFS                                                                          \
	{AUTHREC_ACCOUNTS, authrec_account_idx, 4}, {AUTHREC_SESSIONS, authrec_session_idx, 2},    \
	    {AUTHREC_TICKETS, authrec_ticket_idx, 1}, {AUTHREC_BOTS, authrec_bot_idx, 1},          \
	{                                                                                          \
		AUTHREC_INVITES, NULL, 0                                                           \
	}

/* Hex SHA-256 of `token` into out (65 bytes with the NUL). */
void authrec_token_hash(struct str token, char out[AUTHREC_HASH_LEN + 1]);

/*
 * Load record `id` of `coll` as a JSON object (new reference in *out).
 * SE_NOT_FOUND when absent, SE_IO/SE_PARSE when the stored bytes are bad.
 */
enum err authrec_load(struct store_txn *txn, const char *coll, struct str id, json_t **out)
    __attribute__((warn_unused_result));
/* The one id under `key` of a unique index, copied into out (27 bytes). */
enum err authrec_find_id(struct store_txn *txn, const char *coll, const char *index, struct str key,
                         char out[32]) __attribute__((warn_unused_result));
/* Serialise `rec` and create or update it under its "_id". */
enum err authrec_save(struct store_wtxn *w, const char *coll, const json_t *rec, bool create)
    __attribute__((warn_unused_result));

/* Current wall-clock time in ms since the epoch. */
int64_t authrec_now_ms(void);
/* ISO 8601 with milliseconds and Z ("2025-09-23T12:00:00.000Z") into out. */
void authrec_iso8601(int64_t ms, char out[32]);

#endif /* SOL_AUTH_RECORDS_H */
