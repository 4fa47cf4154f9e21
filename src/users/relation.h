/*
 * users/relation.h: how friend requests and blocks change the relationship
 * of two users (revoltchat/backend crates/core/database/src/models/users/
 * model.rs: add_friend, remove_friend, block_user, unblock_user).
 *
 * Owns: the transition table: from both users' current statuses to both new
 * ones, or the Revolt error the backend answers. Does not own: loading or
 * saving the records (the caller does both sides in one store write), the
 * IsBot check (routes), events.
 * Threads: pure; reentrant.
 */
#ifndef SOL_USERS_RELATION_H
#define SOL_USERS_RELATION_H

#include <stddef.h>

#include "core/err.h"
#include "perms/perms.h"

enum user_rel_op {
	USER_REL_ADD_FRIEND, /* send a request, or accept an incoming one */
	USER_REL_REMOVE_FRIEND,
	USER_REL_BLOCK,
	USER_REL_UNBLOCK,
	USER_REL__COUNT
};

/*
 * Apply `op` by the user whose status toward the target is `local`, while
 * the target's status toward that user is `remote`. `outgoing` is how many
 * requests the user has pending, `outgoing_max` their cap. On SE_OK both
 * new statuses are written; otherwise nothing is and the error is one of
 * NoEffect, AlreadyFriends, AlreadySentRequest, Blocked, BlockedByOther,
 * TooManyPendingFriendRequests (ei->max = outgoing_max), InternalError
 * (inconsistent records).
 */
enum err user_rel_next(enum user_rel_op op, enum perm_relationship local,
                       enum perm_relationship remote, size_t outgoing, size_t outgoing_max,
                       enum perm_relationship *new_local, enum perm_relationship *new_remote,
                       struct err_info *ei) __attribute__((warn_unused_result));

#endif /* SOL_USERS_RELATION_H */
