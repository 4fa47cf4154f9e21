/*
 * messages/acks.h: what reading and mentioning do to a user's unread state
 * (revoltchat/backend crates/core/database/src/tasks/ack.rs and
 * models/channel_unreads): recording mentions when a message is stored, and
 * marking every channel of a server read.
 *
 * Owns: those two writes. Does not own: the unread records themselves
 * (channels/sync.h), the routes (api/acks.c), events.
 * Threads: run inside the caller's store write (store_wtxn).
 */
#ifndef SOL_MESSAGES_ACKS_H
#define SOL_MESSAGES_ACKS_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* user ids of one message whose unreads get the mention, at most */
#define MSG_ACK_MENTIONS_MAX 128
/* channels one server ack marks read, at most (SERVER_CHANNELS_MAX is 200) */
#define MSG_ACK_CHANNELS_MAX 1000

/*
 * Inside the write that stores message `message_id` of `channel_id`: append
 * the id to the "mentions" of each user in `mentions` (borrowed; a JSON
 * array of user id strings, as the message's "mentions" field; NULL or not
 * an array: nothing happens). Non-strings and duplicates are skipped; only
 * the first MSG_ACK_MENTIONS_MAX entries count.
 * Messages engineer: call this from msg_insert after the message is
 * stored, with json_object_get(message, "mentions").
 * Errors: SE_INVAL (an id too long for a key), SE_NOMEM, store errors.
 */
enum err msg_mentions_record(struct store_wtxn *w, struct str channel_id, struct str message_id,
                             const json_t *mentions) __attribute__((warn_unused_result));

/*
 * Inside a write: mark the channels `channels` (borrowed; JSON array of ids,
 * as a server's "channels") read by `user` up to `message_id` (a ULID made
 * now, so every mention is cleared), as Revolt's acknowledge_channels does.
 * Errors: SE_INVAL, SE_NOMEM, store errors.
 */
enum err msg_ack_channels(struct store_wtxn *w, struct str user, const json_t *channels,
                          struct str message_id) __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_ACKS_H */
