/*
 * users/user.h: the stored user record and its views (REVOLT.md section 6).
 *
 * Owns: the "users" collection and its username index, creating the record
 * at onboarding, loading and saving it, the relationships stored on it
 * (`relations: [{_id, status}]`, both sides kept by the caller in one
 * write), and rendering the User object as a given viewer sees it.
 * Stored record: the Revolt User fields (_id, username, discriminator,
 * display_name?, avatar?, relations?, badges?, status?, profile?, flags?,
 * privileged?, bot?); views never include `profile` (GET .../profile does).
 * Threads: pure functions; reentrant.
 */
#ifndef SOL_USERS_USER_H
#define SOL_USERS_USER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "perms/perms.h"
#include "storage/store.h"

#define USER_COLL "users"
/* unique index: lower-case username + "#" + discriminator */
#define USER_IDX_TAG "tag"

/* Revolt.toml features.limits: an account younger than this is a "new user" */
#define USER_NEW_HOURS 72
/* outgoing friend requests a new / an older user may have pending */
#define USER_OUTGOING_NEW 5
#define USER_OUTGOING_DEFAULT 10
/* relationships one record keeps at most (bounds every loop over them) */
#define USER_RELATIONS_MAX 10000

extern const struct store_index_def user_idx[1];
/* The collection, as an initialiser for a schema table. */
#define USER_COLL_DEF                                                                              \
	{                                                                                          \
		USER_COLL, user_idx, 1                                                             \
	}

/*
 * Revolt's ratelimit_events, one record per user and kind:
 * "<user_id>/DiscriminatorChange" -> {_id, target_id, event_type, at (ms)}.
 */
#define USER_RL_COLL "ratelimit_events"
#define USER_RL_COLL_DEF                                                                           \
	{                                                                                          \
		USER_RL_COLL, NULL, 0                                                              \
	}
/* a user may move to a new discriminator once per this many ms (24 h) */
#define USER_DISCRIM_CHANGE_MS (24LL * 3600 * 1000)

/* The "tag" index key for a username and discriminator into out. */
enum err user_tag_key(struct str username, struct str discriminator, char out[160], size_t *len)
    __attribute__((warn_unused_result));

/* True when (username, discriminator) is taken in `txn`. */
bool user_tag_taken(struct store_txn *txn, struct str username, unsigned discriminator);

/*
 * The id of the user "username#discriminator" (case-insensitive name),
 * copied into out. SE_NOT_FOUND, SE_INVAL, SE_IO.
 */
enum err user_find_by_tag(struct store_txn *txn, struct str username, struct str discriminator,
                          char out[STORE_ID_MAX]) __attribute__((warn_unused_result));

/* A new user record {_id, username, discriminator} (new reference, NULL on OOM). */
json_t *user_record_new(struct str id, struct str username, const char discriminator[5]);

/* Load user `id` (new reference in *out). SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err user_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));
/* Replace the stored record under its "_id" (it must exist). SE_NOT_FOUND, SE_EXISTS (tag). */
enum err user_save(struct store_wtxn *w, const json_t *rec) __attribute__((warn_unused_result));

/* The record's "_id" (borrowed from rec; "" when missing). */
const char *user_id_of(const json_t *rec);
bool user_is_bot(const json_t *rec);
bool user_is_privileged(const json_t *rec);
/* The bot's owner id (borrowed), or NULL for a user. */
const char *user_bot_owner(const json_t *rec);

/*
 * True when the account behind `id` (a ULID) is younger than
 * USER_NEW_HOURS at now_ms; ids that are not ULIDs count as old.
 */
bool user_is_new(struct str id, int64_t now_ms);
/* The outgoing friend request cap for user `id` at now_ms. */
size_t user_outgoing_max(struct str id, int64_t now_ms);

/* ---- relationships (on one record) ---- */

/* rec's status toward `other`: PERM_REL_USER for itself, NONE when absent. */
enum perm_relationship user_relation(const json_t *rec, const char *other);
/*
 * Set rec's status toward `other`: None (or User) removes the entry, any
 * other status replaces it (moved to the end, as Revolt appends). An empty
 * list is removed from the record. SE_NOMEM, SE_FULL past USER_RELATIONS_MAX.
 */
enum err user_relation_set(json_t *rec, const char *other, enum perm_relationship status)
    __attribute__((warn_unused_result));
/* How many entries of rec have `status`. */
size_t user_relation_count(const json_t *rec, enum perm_relationship status);

/* ---- views ---- */

struct user_view_opts {
	enum perm_relationship rel; /* the viewer's status toward the user */
	bool relations;             /* include "relations" (own object only) */
	bool see_profile;           /* viewer holds ViewProfile: status and online */
	bool online;                /* the user has a live session (presence) */
};

/*
 * The User object as Revolt serialises it, fields in its order, optional
 * ones omitted: status without an Invisible presence, online false when
 * Invisible. New reference, NULL on OOM.
 */
json_t *user_view(const json_t *rec, const struct user_view_opts *o);

/*
 * The record as its owner sees it: relations, "relationship":"User" and
 * "online". New reference, NULL on OOM.
 */
json_t *user_view_self(const json_t *rec, bool online);

/*
 * `target` as `viewer` sees it (Revolt's User::into): the viewer's own
 * object when they are the same user; a bot target has relationship None and
 * always shows its status. `see_profile` is the viewer's ViewProfile bit.
 */
json_t *user_view_for(const json_t *target, const json_t *viewer, bool see_profile, bool online);

#endif /* SOL_USERS_USER_H */
