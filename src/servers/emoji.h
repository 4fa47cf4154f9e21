/*
 * servers/emoji.h: custom emojis (REVOLT.md section 6; revoltchat/backend
 * crates/core/models/src/v0/emojis.rs), stored in Revolt's Emoji shape
 * {_id, parent:{type:"Server", id}, creator_id, name, animated?, nsfw?}.
 *
 * Owns: the "emojis" collection, its server index, the name rule, the
 * per-server cap and the hook that claims an uploaded file for an emoji.
 * Does not own: routes and permissions (api/emojis.c), file storage.
 *   index server  "<server_id>/<emoji_id>"
 * Threads: pure functions; store functions run in the caller's transaction.
 */
#ifndef SOL_SERVERS_EMOJI_H
#define SOL_SERVERS_EMOJI_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define EMOJI_COLL "emojis"
#define EMOJI_IDX_SERVER "server"
/* characters of an emoji name (DataCreateEmoji: 1..32 of [a-z0-9_]) */
#define EMOJI_NAME_MAX 32
/* emojis per server (Revolt.toml global.server_emoji) */
#define EMOJI_SERVER_MAX 100

extern const struct store_index_def emoji_idx[1];
/* The collection, as an initialiser for a schema table. */
#define EMOJI_COLL_DEF                                                                             \
	{                                                                                          \
		EMOJI_COLL, emoji_idx, 1                                                           \
	}

/* True when `name` is 1..32 characters of [a-z0-9_]. */
bool emoji_name_ok(struct str name);

/* Load emoji `id` (new reference). SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err emoji_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

/*
 * Hook for the files work: inside the emoji's write, claim upload `file_id`
 * (tag "emojis") for emoji `file_id` by `user_id`; `*animated` is set for a
 * GIF; written on success only. Only the uploader may use an upload.
 * Errors: SE_UnknownAttachment (no such upload, not the caller's, wrong
 * tag or already used; raised in store_wtxn_ei(w)), SE_NOMEM, store errors.
 */
enum err emoji_file_claim(struct store_wtxn *w, struct str file_id, struct str user_id,
                          bool *animated) __attribute__((warn_unused_result));

#endif /* SOL_SERVERS_EMOJI_H */
