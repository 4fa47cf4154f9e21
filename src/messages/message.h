/*
 * messages/message.h: the "messages" collection and the one way a message
 * is created (REVOLT.md section 6 "Message"). A message is stored once, in
 * Revolt's shape (optional fields omitted, never null; no user/member
 * snapshot — those are added when rendering), and is the same object the
 * federation outbox renders as a Note later.
 *
 * Owns: the collection and its indexes, inserting a message (with the
 * channel's last_message_id and the search index in the same write),
 * validating and posting a message body (msg_post: limits, replies,
 * mentions, flags, the Message event), and system messages. Route handlers
 * (src/api/messages*.c) own the caller's channel permissions.
 * Indexes:
 *   channel  "<channel_id>/<message_id>"  history, both directions (ULIDs sort by time)
 *   nonce    "<channel_id>/<nonce>"       unique: DuplicateNonce
 *   pinned   "<channel_id>/<message_id>"  pinned messages only
 *   author   "<author_id>/<message_id>"
 *   search   built by messages/search.c (msg_search_extract)
 * Threads: functions taking a store_wtxn run inside the caller's write;
 * msg_post / msg_system run on any thread without an open read txn.
 */
#ifndef SOL_MESSAGES_MESSAGE_H
#define SOL_MESSAGES_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct app;

#define MSG_COLL "messages"
#define MSG_IDX_CHANNEL "channel"
#define MSG_IDX_NONCE "nonce"
#define MSG_IDX_PINNED "pinned"
#define MSG_IDX_AUTHOR "author"
#define MSG_IDX_SEARCH "search"

/* The author id of system messages. */
#define MSG_SYSTEM_AUTHOR "00000000000000000000000000"

/* Revolt.toml limits (REVOLT.md section 16) and model caps. */
#define MSG_CONTENT_MAX 2000    /* message_length, characters (content + text embeds) */
#define MSG_ATTACHMENTS_MAX 5   /* message_attachments */
#define MSG_REPLIES_MAX 5       /* global.message_replies */
#define MSG_EMBEDS_MAX 5        /* global.message_embeds (send) */
#define MSG_EDIT_EMBEDS_MAX 10  /* DataEditMessage.embeds */
#define MSG_NONCE_MAX 64        /* Idempotency-Key / nonce bytes */
#define MSG_REACTIONS_MAX 20    /* global.message_reactions (interactions list) */
#define MSG_MASQ_NAME_MAX 32    /* masquerade.name characters */
#define MSG_MASQ_AVATAR_MAX 256 /* masquerade.avatar bytes */
#define MSG_MASQ_COLOUR_MAX 128 /* masquerade.colour bytes */

/*
 * Message flags as stored and echoed (REVOLT.md section 6 discusses the
 * backend's bit/value mix-up): we treat them as a bit set with
 * SuppressNotifications = 1 (what revolt.js sends for "@silent"),
 * MentionsEveryone = 2, MentionsOnline = 4. Input above 7 is
 * InvalidProperty; everyone/online from non-bots is IsNotBot; both at once
 * is InvalidFlagValue.
 */
#define MSG_FLAG_SUPPRESS 1u
#define MSG_FLAG_EVERYONE 2u
#define MSG_FLAG_ONLINE 4u

/* indexes of the collection (channel, nonce, pinned, author, search) */
#define MSG_N_INDEXES 5
extern const struct store_index_def msg_idx[MSG_N_INDEXES];
/* The collection, as an initialiser for a schema table. */
#define MSG_COLL_DEF                                                                               \
	{                                                                                          \
		MSG_COLL, msg_idx, MSG_N_INDEXES                                                   \
	}

/*
 * Inside a write: store `message` (borrowed; a complete Revolt Message with
 * _id, channel, author) and set the channel's last_message_id (text
 * channels, DMs and groups; a DM becomes active:true) and the mentioned
 * users' unreads (msg_mentions_record). Returns SE_OK,
 * SE_EXISTS (ei detail "nonce": a duplicate nonce), SE_NOT_FOUND (no such
 * channel), SE_PARSE, store errors.
 */
enum err msg_insert(struct store_wtxn *w, const json_t *message)
    __attribute__((warn_unused_result));

/* Load message `id` (new reference). SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err msg_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

enum msg_author_kind {
	MSG_AUTHOR_USER,    /* a user or bot; author_id is the user id */
	MSG_AUTHOR_WEBHOOK, /* author_id is the webhook id; webhook_name/avatar set */
	MSG_AUTHOR_SYSTEM,  /* author is MSG_SYSTEM_AUTHOR; `system` set */
};

/*
 * What to post. All pointers are borrowed for the call.
 * `data` is the DataMessageSend body as a client sends it: content,
 * nonce (deprecated), attachments [file ids], replies [{id, mention,
 * fail_if_not_exists}], embeds [SendableEmbed], masquerade, interactions,
 * flags. msg_post validates every field of it.
 */
struct msg_post {
	struct str channel_id;
	enum msg_author_kind kind;
	struct str author_id;
	/*
	 * The author's permissions in the channel (perm_* bits). msg_post
	 * requires SendMessage, and Masquerade (+ManageRole for a colour),
	 * SendEmbeds, UploadFiles, React, MentionEveryone, MentionRoles as the
	 * body needs them. Ignored for system messages.
	 */
	uint64_t perms;
	bool is_bot;               /* a bot author may set the mention flags */
	bool allow_mentions;       /* false: new users in discoverable servers */
	struct str idempotency;    /* the Idempotency-Key header, or STR_NULL */
	const json_t *data;        /* DataMessageSend; NULL for system messages */
	struct str webhook_name;   /* MSG_AUTHOR_WEBHOOK */
	struct str webhook_avatar; /* file id, or STR_NULL (sent as null) */
	const json_t *system;      /* MSG_AUTHOR_SYSTEM: {type, ...} */
	/*
	 * Snapshots for the event and response (User and Member objects).
	 * NULL: msg_post renders them itself for user authors.
	 */
	const json_t *user, *member;
	/*
	 * Optional: recompute the author's permissions inside the write from
	 * the channel record (borrowed) through the write's view, so that a
	 * permission or membership change cannot race the post. NULL: `perms`
	 * is used as given.
	 */
	uint64_t (*perms_fn)(struct store_txn *txn, const json_t *channel, void *arg);
	void *perms_arg;
};

/*
 * Validate `in`, build the Message (new ULID id; nonce = the idempotency
 * key, else data.nonce, else a new ULID), store it with msg_insert and
 * publish the Message event (with user/member snapshots) on the channel
 * topic. `*out` (may be NULL) receives the Message as sent (new
 * reference), snapshots included.
 * Errors (ei payload set): UnknownChannel, MissingPermission, EmptyMessage,
 * PayloadTooLarge, TooManyAttachments/Replies/Embeds {max},
 * FailedValidation, InvalidProperty, InvalidFlagValue, IsNotBot,
 * UnknownMessage (a reply with fail_if_not_exists), UnknownAttachment,
 * DuplicateNonce, InternalError / store errors.
 */
enum err msg_post(struct app *app, const struct msg_post *in, json_t **out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Post system message `system` (steals; a Revolt SystemMessage such as
 * {"type":"user_added","id":..,"by":..}) in channel `channel_id`, after the
 * change that caused it committed. Errors as msg_post; callers usually only
 * log them.
 */
enum err msg_system(struct app *app, struct str channel_id, json_t *system, struct err_info *ei);

/*
 * Post the server system message `type` ("user_joined", "user_left",
 * "user_kicked" or "user_banned") about `user_id` in the channel that
 * server `server_id`'s system_messages names for that type, after the
 * change committed. SE_OK without posting when it names none (or the
 * server is gone). Errors as msg_post.
 */
enum err msg_server_system(struct app *app, struct str server_id, const char *type,
                           struct str user_id, struct err_info *ei);

/*
 * Inside the message's write, claim upload `file_id` (tag "attachments",
 * uploaded by `author_id`) for message `message_id` and return the File
 * object (new reference). UnknownAttachment for an unknown, deleted,
 * already attached or someone else's upload.
 */
enum err msg_attachment_claim(struct store_wtxn *w, struct str file_id, struct str message_id,
                              struct str author_id, json_t **file, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_MESSAGE_H */
