/*
 * users/relation.c: the relationship transition table (backend
 * crates/core/database/src/models/users/model.rs, User::add_friend and
 * siblings).
 */
#include "users/relation.h"

static enum err add_friend(enum perm_relationship local, size_t outgoing, size_t outgoing_max,
                           enum perm_relationship *l, enum perm_relationship *r,
                           struct err_info *ei)
{
	switch (local) {
	case PERM_REL_USER:
		return SE_RAISE(ei, SE_NoEffect);
	case PERM_REL_FRIEND:
		return SE_RAISE(ei, SE_AlreadyFriends);
	case PERM_REL_OUTGOING:
		return SE_RAISE(ei, SE_AlreadySentRequest);
	case PERM_REL_BLOCKED:
		return SE_RAISE(ei, SE_Blocked);
	case PERM_REL_BLOCKED_OTHER:
		return SE_RAISE(ei, SE_BlockedByOther);
	case PERM_REL_INCOMING:
		*l = PERM_REL_FRIEND;
		*r = PERM_REL_FRIEND;
		return SE_OK;
	case PERM_REL_NONE:
		break;
	}
	if (outgoing >= outgoing_max) {
		if (ei)
			ei->max = (long long)outgoing_max;
		return SE_RAISE(ei, SE_TooManyPendingFriendRequests);
	}
	*l = PERM_REL_OUTGOING;
	*r = PERM_REL_INCOMING;
	return SE_OK;
}

enum err user_rel_next(enum user_rel_op op, enum perm_relationship local,
                       enum perm_relationship remote, size_t outgoing, size_t outgoing_max,
                       enum perm_relationship *new_local, enum perm_relationship *new_remote,
                       struct err_info *ei)
{
	enum perm_relationship l = PERM_REL_NONE, r = PERM_REL_NONE;
	enum err rc = SE_OK;

	switch (op) {
	case USER_REL_ADD_FRIEND:
		rc = add_friend(local, outgoing, outgoing_max, &l, &r, ei);
		break;
	case USER_REL_REMOVE_FRIEND:
		if (local != PERM_REL_FRIEND && local != PERM_REL_OUTGOING &&
		    local != PERM_REL_INCOMING)
			rc = SE_RAISE(ei, SE_NoEffect);
		break;
	case USER_REL_BLOCK:
		if (local == PERM_REL_USER || local == PERM_REL_BLOCKED) {
			rc = SE_RAISE(ei, SE_NoEffect);
		} else {
			/* blocking someone who blocked us: both sides now block */
			l = PERM_REL_BLOCKED;
			r = local == PERM_REL_BLOCKED_OTHER ? PERM_REL_BLOCKED
			                                    : PERM_REL_BLOCKED_OTHER;
		}
		break;
	case USER_REL_UNBLOCK:
		if (local != PERM_REL_BLOCKED) {
			rc = SE_RAISE(ei, SE_NoEffect);
		} else if (remote == PERM_REL_BLOCKED) {
			l = PERM_REL_BLOCKED_OTHER;
			r = PERM_REL_BLOCKED;
		} else if (remote != PERM_REL_BLOCKED_OTHER) {
			rc = SE_RAISEF(ei, SE_InternalError, "one-sided block");
		}
		break;
	default:
		rc = SE_RAISE(ei, SE_INVAL);
		break;
	}
	if (rc)
		return rc;
	*new_local = l;
	*new_remote = r;
	return SE_OK;
}
