/*
 * channels/group.h: group channels and the end of a channel's life
 * (REVOLT.md sections 6 and 16; revoltchat/backend crates/core/database
 * models/channels/model.rs: create_group, add_user_to_group,
 * remove_user_from_group, delete).
 *
 * Owns: the Group record's shape and recipient list rules (size limit,
 * ownership passing to the next recipient), the friendship test groups
 * need, loading what the permission calculator needs for a caller in a
 * channel, purging a channel with what hangs off it (invites, unreads), and
 * the hook through which group changes will post system messages.
 * Does not own: permissions (perms/perms.h), routes and events
 * (api/channels_groups.c), messages.
 * Threads: pure functions over JSON or a write the caller runs; reentrant.
 * Memory: JSON results are new references; string results borrow from the
 * record passed in.
 */
#ifndef SOL_CHANNELS_GROUP_H
#define SOL_CHANNELS_GROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct app;

/* recipients of a group, owner included (Revolt global.group_size) */
#define GROUP_SIZE_MAX 100
/* users a creator may name at creation (DataCreateGroup.users) */
#define GROUP_CREATE_USERS_MAX 49
/* characters of a group name (1..) and description */
#define GROUP_NAME_MAX 32
#define GROUP_DESCRIPTION_MAX 1024

/*
 * A new Group record {channel_type, _id, name, owner, description?,
 * recipients, nsfw?} in Revolt's field order. `description` may be
 * STR_NULL; `recipients` (borrowed, array of ids) is copied.
 * NULL on OOM.
 */
json_t *group_record_new(struct str id, struct str owner, struct str name, struct str description,
                         const json_t *recipients, bool nsfw);

/* True when `user` is among the record's recipients. */
bool group_has_recipient(const json_t *ch, struct str user);

/*
 * Append `user` to the group's recipients. SE_AlreadyInGroup,
 * SE_GroupTooLarge (ei->max = GROUP_SIZE_MAX; ei may be NULL), SE_NOMEM.
 */
enum err group_recipient_add(json_t *ch, struct str user, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Remove `user` from the recipients. SE_NotInGroup. */
enum err group_recipient_remove(json_t *ch, struct str user) __attribute__((warn_unused_result));

/*
 * The recipient who becomes owner when `leaving` leaves: the first other
 * recipient in list order (as Revolt). Borrowed from `ch`; NULL when
 * `leaving` is the last one.
 */
const char *group_next_owner(const json_t *ch, struct str leaving);

/*
 * True when the user record `user` (borrowed, as stored, with its
 * "relations") lists `other` as "Friend" (never true for the user itself).
 */
bool group_user_is_friend(const json_t *user, struct str other);

/*
 * Permissions of user `uid` (its record `me`, borrowed) in channel record
 * `ch`, at `now_ms`. perms/perms.h calculates; this loads what it needs
 * from `txn`: the other recipient of a DM, the server and member records of
 * a server channel. Anything unreadable counts as no permission.
 */
uint64_t group_channel_perms(struct store_txn *txn, const json_t *ch, const json_t *me,
                             struct str uid, int64_t now_ms);

/*
 * Inside a write: delete channel `id` with its invites and unread records
 * (Revolt's delete_channel). SE_NOT_FOUND when the channel does not exist,
 * store errors otherwise. Messages are not stored yet; when they are, their
 * removal belongs here.
 */
enum err group_channel_purge(struct store_wtxn *w, struct str id)
    __attribute__((warn_unused_result));

/*
 * Hook: post system message `system` (stolen; a Revolt SystemMessage such
 * as {"type":"user_added","id":..,"by":..}) in channel `channel_id`, after
 * the change that caused it committed, through msg_system
 * (messages/message.h); failures are logged.
 */
void group_sysmsg_emit(struct app *app, struct str channel_id, json_t *system);

#endif /* SOL_CHANNELS_GROUP_H */
