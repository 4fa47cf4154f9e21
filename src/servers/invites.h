/*
 * servers/invites.h: channel invites as stored records (REVOLT.md section 6,
 * revoltchat/backend crates/core/database/src/models/channel_invites).
 *
 * Owns: creating an invite with a fresh unique code inside a write, and
 * resolving a code (or a discoverable server's id) to an invite record.
 * Does not own: the collection (servers/server.h), permissions (the routes
 * check InviteOthers / ManageServer through perms/perms.h).
 * Threads: pure functions over the caller's transaction.
 * Memory: json_t results are new references.
 */
#ifndef SOL_SERVERS_INVITES_H
#define SOL_SERVERS_INVITES_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* fresh codes tried before giving up on a collision */
#define INVITE_CODE_TRIES 8

/*
 * Create an invite to `channel` (a stored TextChannel, VoiceChannel or Group
 * record, borrowed) by `creator_id`: {type:"Server", _id, server, creator,
 * channel} or {type:"Group", _id, creator, channel}. InvalidOperation for
 * other channel types; SE_EXISTS when every code tried was taken. `*out` gets
 * the record (new reference).
 */
enum err invite_create(struct store_wtxn *w, const json_t *channel, struct str creator_id,
                       json_t **out) __attribute__((warn_unused_result));

/*
 * The invite under `code` (new reference). A discoverable server's id also
 * resolves, to an invite to its first channel created by its owner, as
 * Revolt's Reference::as_invite does. SE_NOT_FOUND otherwise.
 */
enum err invite_find(struct store_txn *txn, struct str code, json_t **out)
    __attribute__((warn_unused_result));

#endif /* SOL_SERVERS_INVITES_H */
