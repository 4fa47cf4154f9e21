/*
 * users/bot.h: bots (REVOLT.md section 6 "Bot"; revoltchat/backend
 * crates/core/database/src/models/bots).
 *
 * Owns: the Bot record as stored in the "bots" collection of auth/records.h
 * (Revolt's shape: _id, owner, token, public, analytics?, discoverable?,
 * interactions_url?, ...; the token index lives there), the owner link
 * collection below, the per-owner cap, and the bot user's fields.
 * Does not own: token authentication (auth/authn.h), routes (api/bots.c).
 *   bot_owners  "<owner_id>/<bot_id>" -> {} index: owner (the id itself)
 * Threads: pure functions; functions taking a store_wtxn run inside the
 * caller's write.
 */
#ifndef SOL_USERS_BOT_H
#define SOL_USERS_BOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define BOT_OWNER_COLL "bot_owners"
#define BOT_OWNER_IDX "owner"
/* bots an account may own: new accounts / others (Revolt.toml limits) */
#define BOT_MAX_NEW 2
#define BOT_MAX_DEFAULT 5
/* bytes of the interactions URL (DataEditBot: length 1..2048) */
#define BOT_URL_MAX 2048
/* the token's length (nanoid 64) */
#define BOT_TOKEN_LEN 64

extern const struct store_index_def bot_owner_idx[1];
/* The collection, as an initialiser for a schema table. */
#define BOT_COLL_DEF                                                                               \
	{                                                                                          \
		BOT_OWNER_COLL, bot_owner_idx, 1                                                   \
	}

/* The cap on bots for owner `id` (a ULID) at now_ms. */
size_t bot_max(struct str owner_id, int64_t now_ms);

/* A new Bot record {_id, owner, token, public:false} with a fresh token (NULL on OOM). */
json_t *bot_record_new(struct str id, struct str owner);

/* Replace the token of `bot` with a fresh one. SE_NOMEM. */
enum err bot_token_reset(json_t *bot) __attribute__((warn_unused_result));

/* Load bot `id` (new reference). SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err bot_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

/* Store `bot` (create or replace) with its owner link. */
enum err bot_save(struct store_wtxn *w, const json_t *bot, bool create)
    __attribute__((warn_unused_result));
/* Delete bot `id` owned by `owner` and its link. SE_NOT_FOUND. */
enum err bot_drop(struct store_wtxn *w, struct str id, struct str owner)
    __attribute__((warn_unused_result));

/* The number of bots `owner` has, counting at most `max` + 1. */
enum err bot_count(struct store_txn *txn, struct str owner, size_t max, size_t *n)
    __attribute__((warn_unused_result));

/* Called for each bot id of an owner (borrowed for the call). */
typedef enum err bot_each_fn(struct str bot_id, void *arg);
/* Walk the bots of `owner` in id order (at most BOT_MAX_DEFAULT * 4). */
enum err bot_walk(struct store_txn *txn, struct str owner, bot_each_fn *fn, void *arg)
    __attribute__((warn_unused_result));

/*
 * Mark the bot user record `user` deleted as Revolt's User::mark_deleted
 * does: username "Deleted User <id>", flags 2, avatar, status and profile
 * removed. SE_NOMEM.
 */
enum err bot_user_mark_deleted(json_t *user) __attribute__((warn_unused_result));

/*
 * PublicBot {_id, username, avatar?, description?} of a bot user record
 * (avatar is the file id; description the profile content). NULL on OOM.
 */
json_t *bot_public_view(const json_t *user);

#endif /* SOL_USERS_BOT_H */
