/*
 * messages/message.h: the "messages" collection and the one way a message
 * is created (REVOLT.md section 6 "Message"). A message is stored once, in
 * Revolt's shape (optional fields omitted, never null; no user/member
 * snapshot — those are added when rendering), and is the same object the
 * federation outbox renders as a Note later.
 *
 * Owns: the collection and its indexes, inserting a message (with the
 * channel's last_message_id and the search index in the same write), and
 * system messages. Route handlers (src/api/messages*.c) own validation and
 * permissions.
 * Indexes:
 *   channel  "<channel_id>/<message_id>"  history, both directions (ULIDs sort by time)
 *   nonce    "<channel_id>/<nonce>"       unique: DuplicateNonce
 *   pinned   "<channel_id>/<message_id>"  pinned messages only
 *   author   "<author_id>/<message_id>"
 *   search   built by messages/search.c (msg_search_extract)
 * Threads: functions taking a store_wtxn run inside the caller's write.
 */
#ifndef SOL_MESSAGES_MESSAGE_H
#define SOL_MESSAGES_MESSAGE_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define MSG_COLL "messages"
#define MSG_IDX_CHANNEL "channel"
#define MSG_IDX_NONCE "nonce"
#define MSG_IDX_PINNED "pinned"
#define MSG_IDX_AUTHOR "author"
#define MSG_IDX_SEARCH "search"

/* The author id of system messages. */
#define MSG_SYSTEM_AUTHOR "00000000000000000000000000"

#endif /* SOL_MESSAGES_MESSAGE_H */
