/*
 * users/user.h: the stored user record and its views (REVOLT.md section 6).
 *
 * Owns: the "users" collection and its username index, creating the record
 * at onboarding, and rendering the self view. The users REST issue extends
 * this module (profiles, relationships, the view from another user).
 * Threads: pure functions; reentrant.
 */
#ifndef SOL_USERS_USER_H
#define SOL_USERS_USER_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define USER_COLL "users"
/* unique index: lower-case username + "#" + discriminator */
#define USER_IDX_TAG "tag"

extern const struct store_index_def user_idx[1];
/* The collection, as an initialiser for a schema table. */
#define USER_COLL_DEF                                                                              \
	{                                                                                          \
		USER_COLL, user_idx, 1                                                             \
	}

/* The "tag" index key for a username and discriminator into out. */
enum err user_tag_key(struct str username, struct str discriminator, char out[160], size_t *len)
    __attribute__((warn_unused_result));

/* True when (username, discriminator) is taken in `txn`. */
bool user_tag_taken(struct store_txn *txn, struct str username, unsigned discriminator);

/* A new user record {_id, username, discriminator} (new reference, NULL on OOM). */
json_t *user_record_new(struct str id, struct str username, const char discriminator[5]);

/*
 * The record as its owner sees it: the stored fields plus
 * "relationship":"User" and "online". New reference, NULL on OOM.
 */
json_t *user_view_self(const json_t *rec, bool online);

#endif /* SOL_USERS_USER_H */
