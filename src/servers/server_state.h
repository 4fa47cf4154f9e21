/*
 * servers/server_state.h: what every server route needs before it acts: the
 * server record, the caller's member record, the caller's server permissions
 * and ranking, all read through one transaction (a write's own view when
 * the route writes, so the checks and the write are one transaction); and
 * small helpers to write records and validate Revolt server fields.
 *
 * Does not own: the permission rules (perms/perms.h), the records' indexes
 * (servers/server.h, channels/channel.h).
 * Threads: pure functions over a caller's transaction; reentrant.
 * Memory: struct server_state owns its JSON values (server_state_release).
 */
#ifndef SOL_SERVERS_SERVER_STATE_H
#define SOL_SERVERS_SERVER_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* Revolt.toml global limits (REVOLT.md section 16). */
#define SERVER_ROLES_MAX 200
#define SERVER_CHANNELS_MAX 200
#define SERVER_JOINED_MAX_NEW 50
#define SERVER_JOINED_MAX 100
/* accounts younger than this use the new_user limits */
#define SERVER_NEW_USER_MS (72ll * 3600 * 1000)
/* characters of names; bytes of descriptions (a char is at most 4 bytes) */
#define SERVER_NAME_MAX 32
#define SERVER_DESC_MAX 1024

struct server_state {
	json_t *server;  /* owned; the stored Server */
	json_t *member;  /* owned; the caller's Member, NULL when not a member */
	json_t *user;    /* owned; the caller's User, NULL when not found */
	uint64_t perms;  /* the caller's server-level permissions */
	int64_t ranking; /* perm_ranking: INT64_MIN for the owner */
	bool owner;      /* the caller owns the server */
	bool privileged; /* platform staff */
	const char *uid; /* borrowed: the caller's id */
	int64_t now_ms;
};
#define SERVER_STATE_INIT                                                                          \
	{                                                                                          \
		NULL, NULL, NULL, 0, INT64_MAX, false, false, NULL, 0                              \
	}

/*
 * Load server `server_id`, the member record and user record of `user_id`
 * (borrowed; must outlive `out`) and compute permissions at `now_ms`.
 * Returns SE_OK, SE_NotFound (no such server), SE_PARSE, SE_IO. On error
 * `out` holds nothing to release.
 */
enum err server_state_load(struct store_txn *txn, struct str server_id, const char *user_id,
                           int64_t now_ms, struct server_state *out)
    __attribute__((warn_unused_result));
/* Free the JSON values; leaves SERVER_STATE_INIT. Accepts an _INIT value. */
void server_state_release(struct server_state *s);

/* The caller's permissions in server channel `channel` (a stored record). */
uint64_t server_state_channel_perms(const struct server_state *s, const json_t *channel);

/*
 * Permissions of `user_id` in stored channel `channel`, whatever its type,
 * loading what is needed through `txn`. `*server` receives the channel's
 * server (new reference) for Text/Voice channels, else NULL.
 * Returns SE_OK, SE_NotFound, SE_PARSE, SE_IO.
 */
enum err server_channel_perms(struct store_txn *txn, const json_t *channel, const char *user_id,
                              int64_t now_ms, struct server_state *st, uint64_t *out)
    __attribute__((warn_unused_result));

/* Serialise `rec` (borrowed) and create (SE_EXISTS if present) or put it. */
enum err server_rec_write(struct store_wtxn *w, const char *coll, struct str id, const json_t *rec,
                          bool create) __attribute__((warn_unused_result));

/*
 * Copy the ids of up to `cap` (at most 64) index entries with `prefix`
 * whose key rest (after the prefix) sorts after `after` (STR_NULL: from the
 * start) into `ids` (ids of 72 bytes or more are skipped); `*last` gets the
 * key rest of the last entry seen (for the next page).
 */
enum err server_index_ids(struct store_txn *txn, const char *coll, const char *index,
                          struct str prefix, struct str after, char (*ids)[72], size_t cap,
                          size_t *n, char last[72]) __attribute__((warn_unused_result));

/* Code points of valid UTF-8 `s`; SIZE_MAX when it is not valid UTF-8. */
size_t server_utf8_len(struct str s);

/* True when `c` matches Revolt's RE_COLOUR (CSS colours, gradients, var(--x)). */
bool server_colour_valid(struct str c);

/* The largest role rank + 1 (0 without roles): a new role's rank. */
int64_t server_role_next_rank(const json_t *server);

/* Memberships of `user_id` counted up to `cap`. */
enum err server_count_joined(struct store_txn *txn, const char *user_id, size_t cap, size_t *n)
    __attribute__((warn_unused_result));

#endif /* SOL_SERVERS_SERVER_STATE_H */
