/*
 * messages/mentions.h: mentions in message content, as revoltchat/backend
 * crates/core/parser does it: "<@ULID>" users, "<%ULID>" roles, "@everyone"
 * and "@online"; a backslash hides the next token; tokens between matching
 * code markers (`, `` or ```lang) do not count, those after an unclosed
 * marker do.
 *
 * Owns: the pure parser. Does not own: who may mention whom (msg_post).
 * Threads: pure; reentrant. Memory: results are copied into `out`.
 */
#ifndef SOL_MESSAGES_MENTIONS_H
#define SOL_MESSAGES_MENTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

/* distinct user (and role) mentions one message may carry */
#define MSG_MENTIONS_MAX 128

struct msg_mentions {
	size_t n_users, n_roles;
	char users[MSG_MENTIONS_MAX][27]; /* ULIDs, NUL-terminated, first-seen order */
	char roles[MSG_MENTIONS_MAX][27];
	bool everyone, online;
};

/*
 * Parse `content` (any bytes; never reads past content.n) into `out`
 * (overwritten). Duplicates are kept once. Returns SE_OK, or SE_FULL when
 * more than MSG_MENTIONS_MAX distinct users or roles are named (content
 * within MSG_CONTENT_MAX cannot reach it).
 */
enum err msg_mentions_parse(struct str content, struct msg_mentions *out)
    __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_MENTIONS_H */
