/*
 * channels/channel.h: the "channels" collection — every channel type in one
 * collection, stored in the exact Revolt JSON shape clients receive
 * (REVOLT.md section 6: channel_type SavedMessages | DirectMessage | Group |
 * TextChannel | VoiceChannel, optional fields omitted, never null).
 *
 * Owns: the collection definition and its indexes, loading a channel, and
 * the key formats below. Route handlers own what they write.
 * Indexes (all keys "<a>/<b>" of 26-character ULIDs):
 *   server  "<server_id>/<channel_id>"   server channels of a server
 *   member  "<user_id>/<channel_id>"     DMs, groups and saved messages of a user
 *   dm      "<lower id>/<higher id>"     unique: the DM between two users
 *   saved   "<user_id>"                  unique: a user's saved-messages channel
 * Threads: pure functions; reentrant.
 */
#ifndef SOL_CHANNELS_CHANNEL_H
#define SOL_CHANNELS_CHANNEL_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define CHANNEL_COLL "channels"
#define CHANNEL_IDX_SERVER "server"
#define CHANNEL_IDX_MEMBER "member"
#define CHANNEL_IDX_DM "dm"
#define CHANNEL_IDX_SAVED "saved"

enum channel_type {
	CHANNEL_UNKNOWN,
	CHANNEL_SAVED, /* "SavedMessages" */
	CHANNEL_DM,    /* "DirectMessage" */
	CHANNEL_GROUP, /* "Group" */
	CHANNEL_TEXT,  /* "TextChannel" */
	CHANNEL_VOICE, /* "VoiceChannel" */
};

extern const struct store_index_def channel_idx[4];
/* The collection, as an initialiser for a schema table. */
#define CHANNEL_COLL_DEF                                                                           \
	{                                                                                          \
		CHANNEL_COLL, channel_idx, 4                                                       \
	}

/* The type of a channel record (its "channel_type"). */
enum channel_type channel_type_of(const json_t *ch);
const char *channel_type_name(enum channel_type t);

/* Load channel `id` (new reference). SE_NOT_FOUND, SE_PARSE. */
enum err channel_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

/* The "dm" index key of two user ids (order-independent) into out (54 bytes). */
enum err channel_dm_key(struct str a, struct str b, char out[64], size_t *len)
    __attribute__((warn_unused_result));

#endif /* SOL_CHANNELS_CHANNEL_H */
