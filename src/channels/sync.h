/*
 * channels/sync.h: what a user's clients keep in step (REVOLT.md section 6,
 * revoltchat/backend crates/core/database/src/models/{user_settings,
 * channel_unreads}): synced settings, per-channel unread state and the
 * policy acknowledgement.
 *
 * Owns: three collections and their record shapes:
 *   user_settings    user id → {"<key>": [revision_ms, "<json text>"], ...}
 *   channel_unreads  "<channel>/<user>" → ChannelUnread
 *                    {"_id":{channel,user}, last_id?, mentions?}
 *                    indexes: user "<user>/<channel>", channel "<channel>/<user>"
 *   policy_acks      user id → {"_id", "acknowledged_at": ms}
 * Does not own: the routes (api/sync.c), events (callers publish after the
 * write commits), message ids (callers pass them).
 * Threads: pure functions over a transaction the caller holds; reentrant.
 * Memory: JSON results are new references the caller decrefs.
 */
#ifndef SOL_CHANNELS_SYNC_H
#define SOL_CHANNELS_SYNC_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define SYNC_SETTINGS_COLL "user_settings"
#define SYNC_UNREADS_COLL "channel_unreads"
#define SYNC_POLICY_COLL "policy_acks"
#define SYNC_UNREADS_IDX_USER "user"
#define SYNC_UNREADS_IDX_CHANNEL "channel"

/* bytes of one settings key (revolt.js uses short names: "ordering", "theme") */
#define SYNC_SETTING_KEY_MAX 128
/* keys one user may keep, and keys one fetch may ask for */
#define SYNC_SETTINGS_KEYS_MAX 256
/* bytes of one user's whole settings record */
#define SYNC_SETTINGS_BYTES_MAX (8u << 20)
/* unread records GET /sync/unreads returns at most */
#define SYNC_UNREADS_MAX 65536
/* mention ids kept per unread record: the oldest are dropped past this */
#define SYNC_MENTIONS_MAX 1000

extern const struct store_index_def sync_unread_idx[2];

/* The collections, as initialisers for a schema table (comma-separated). */
#define SYNC_COLL_DEFS                                                                             \
	{SYNC_SETTINGS_COLL, NULL, 0}, {SYNC_UNREADS_COLL, sync_unread_idx, 2},                    \
	{                                                                                          \
		SYNC_POLICY_COLL, NULL, 0                                                          \
	}

/* ---- settings ---- */

/*
 * The stored entries of `user` named in `keys` (a JSON array of strings,
 * borrowed) as {key: [revision, value]} into *out; keys never set are left
 * out, and a user with no settings gets {}. Errors: SE_PARSE (`keys` is not
 * an array of strings), SE_FULL (more than SYNC_SETTINGS_KEYS_MAX keys),
 * SE_NOMEM, SE_IO.
 */
enum err sync_settings_fetch(struct store_txn *txn, struct str user, const json_t *keys,
                             json_t **out) __attribute__((warn_unused_result));

/*
 * Inside a write: store each {key: "<json text>"} of `values` (borrowed) at
 * revision `ts`, except keys whose stored revision is newer than `ts`
 * (revisions only move forward, so a stale client cannot overwrite a newer
 * change). *applied receives {key: [ts, value]} of the keys written (maybe
 * {}), for the UserSettingsUpdate event.
 * Errors: SE_PARSE (a value is not a string, a key is empty or longer than
 * SYNC_SETTING_KEY_MAX), SE_FULL (the user would keep more than
 * SYNC_SETTINGS_KEYS_MAX keys), SE_TOO_LARGE (the record would exceed
 * SYNC_SETTINGS_BYTES_MAX), SE_NOMEM, store errors.
 */
enum err sync_settings_set(struct store_wtxn *w, struct str user, const json_t *values, int64_t ts,
                           json_t **applied) __attribute__((warn_unused_result));

/* ---- unreads ---- */

/* The record id "<channel>/<user>" into out (64 bytes). SE_INVAL for ids over 31 bytes. */
enum err sync_unread_key(struct str channel, struct str user, char out[64], size_t *len)
    __attribute__((warn_unused_result));

/*
 * Inside a write: `user` has read `channel` up to `message_id`: last_id is
 * set and mentions up to it (ULIDs sort by time) are dropped, creating the
 * record if needed (Revolt's acknowledge_message). *out (may be NULL)
 * receives the record. Errors: SE_INVAL, SE_NOMEM, store errors.
 */
enum err sync_unread_ack(struct store_wtxn *w, struct str channel, struct str user,
                         struct str message_id, json_t **out) __attribute__((warn_unused_result));

/*
 * Inside a write: message `message_id` of `channel` mentions `user`;
 * appended to the record's mentions (created if needed), keeping the newest
 * SYNC_MENTIONS_MAX. Errors: SE_INVAL, SE_NOMEM, store errors.
 */
enum err sync_unread_mention(struct store_wtxn *w, struct str channel, struct str user,
                             struct str message_id) __attribute__((warn_unused_result));

/*
 * Every unread record of `user` as a JSON array (ChannelUnread objects) in
 * channel-id order, at most SYNC_UNREADS_MAX. Errors: SE_NOMEM, SE_IO, SE_PARSE.
 */
enum err sync_unreads_list(struct store_txn *txn, struct str user, json_t **out)
    __attribute__((warn_unused_result));

/* Inside a write: delete every unread record of `channel` (channel deletion). */
enum err sync_unreads_drop_channel(struct store_wtxn *w, struct str channel)
    __attribute__((warn_unused_result));

/* ---- policy ---- */

/* Inside a write: `user` acknowledged the platform policy changes at `now_ms`. */
enum err sync_policy_ack(struct store_wtxn *w, struct str user, int64_t now_ms)
    __attribute__((warn_unused_result));

#endif /* SOL_CHANNELS_SYNC_H */
