/*
 * users/access.h: what connects two users, read from the store: shared
 * servers (members "user" index), shared groups and DMs (channels "member"
 * index), mutual friends, and the user permissions that follow from them
 * (REVOLT.md section 8 rule 6 via perms/perms.h).
 *
 * Does not own: the permission rules themselves (perm_user_calc), the
 * collections (servers/server.h, channels/channel.h).
 * Threads: reentrant; every call reads through the caller's transaction.
 * Memory: ids are appended to the caller's JSON arrays as new strings.
 */
#ifndef SOL_USERS_ACCESS_H
#define SOL_USERS_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* index entries read per page, and at most per listing (bounds every scan) */
#define USER_SCAN_PAGE 64
#define USER_SCAN_MAX 10000

/*
 * Append to `out` (a JSON array) the ids of servers both `a` and `b` are
 * members of, at most `cap`. SE_NOMEM, SE_IO, SE_INVAL.
 */
enum err user_mutual_servers(struct store_txn *txn, struct str a, struct str b, size_t cap,
                             json_t *out) __attribute__((warn_unused_result));
/* The same for groups and DMs both are recipients of. */
enum err user_mutual_channels(struct store_txn *txn, struct str a, struct str b, size_t cap,
                              json_t *out) __attribute__((warn_unused_result));
/* Ids both records list as "Friend" (new array reference; NULL on OOM). */
json_t *user_mutual_friends(const json_t *a, const json_t *b);
/* *out = a and b share a server, a group or a DM. */
enum err user_has_mutual(struct store_txn *txn, struct str a, struct str b, bool *out)
    __attribute__((warn_unused_result));

/* Append the ids of the servers `user` is a member of (at most cap) to `out`. */
enum err user_server_ids(struct store_txn *txn, struct str user, size_t cap, json_t *out)
    __attribute__((warn_unused_result));
/* Append the ids of `user`'s DMs, groups and saved messages (at most cap) to `out`. */
enum err user_private_channel_ids(struct store_txn *txn, struct str user, size_t cap, json_t *out)
    __attribute__((warn_unused_result));

/*
 * The user permissions (perms.h PERM_USER_*) of `viewer` toward `target`
 * (both stored records), looking up mutual connections only when the
 * relationship leaves them relevant. SE_IO, SE_NOMEM.
 */
enum err user_perms(struct store_txn *txn, const json_t *viewer, const json_t *target,
                    uint32_t *out) __attribute__((warn_unused_result));
/* The same with the mutual connection already known (pure). */
uint32_t user_perms_known(const json_t *viewer, const json_t *target, bool mutual);

#endif /* SOL_USERS_ACCESS_H */
