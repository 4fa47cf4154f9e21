/*
 * messages/history.h: reading a channel's messages in time order straight
 * off the "channel" index (revoltchat/backend ops/mongodb.rs
 * fetch_messages: Absolute and Relative time periods).
 *
 * Owns: paging rules (before/after exclusive, Latest/Oldest, nearby).
 * Does not own: permissions, users/members of include_users (the route).
 * Threads: runs on the caller's read transaction. Memory: results are new
 * JSON references.
 */
#ifndef SOL_MESSAGES_HISTORY_H
#define SOL_MESSAGES_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* messages of one page, at most (OptionsQueryMessages.limit) */
#define MSG_HISTORY_MAX 100
#define MSG_HISTORY_DEFAULT 50

struct msg_query {
	struct str channel_id;
	size_t limit;      /* 1..MSG_HISTORY_MAX */
	struct str before; /* exclusive upper id bound, STR_NULL: none */
	struct str after;  /* exclusive lower id bound, STR_NULL: none */
	bool oldest;       /* sort Oldest (ascending) instead of Latest */
	/*
	 * When set, before/after/oldest are ignored: the messages with id >=
	 * nearby (ascending, limit/2 + 1 of them) followed by those with id <
	 * nearby (descending, limit/2 + 1), as Revolt answers.
	 */
	struct str nearby;
};

/*
 * The page `q` asks for, as an array of stored messages (new reference).
 * Returns SE_OK, SE_INVAL (limit out of range, channel id too long),
 * SE_NOMEM, store errors.
 */
enum err msg_history(struct store_txn *txn, const struct msg_query *q, json_t **out)
    __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_HISTORY_H */
