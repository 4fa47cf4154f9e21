/*
 * federation/outbox.h: local actions -> ActivityPub activities, and the AS2
 * collections and object GETs of local actors.
 *
 * Owns: rendering Follow/Accept/Reject/Undo/Block, Create/Update/Delete of
 * DM Notes, EmojiReact/Like, Update{Person}; choosing their recipients and
 * handing them to the delivery queue (federation/deliver.h). The routes of
 * federation/collections.c (outbox, followers, following, featured,
 * objects). Does not own: the Revolt-side change (the REST handler commits
 * it before calling here), signing and sending (deliver).
 * Every fout_* is called after the REST write committed; it returns SE_OK
 * without doing anything when `f` is NULL (federation off) or when nobody
 * remote is concerned. Errors are for logging: the local change stands.
 * Threads: any thread; no store transaction may be open.
 */
#ifndef SOL_FEDERATION_OUTBOX_H
#define SOL_FEDERATION_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct fed;
struct route;

/* Follow of remote_user by local_user (a friend request to a remote user). */
enum err fout_follow(struct fed *f, struct str local_user, struct str remote_user,
                     struct err_info *ei) __attribute__((warn_unused_result));
/* Undo{Follow}: local_user stops following remote_user (friend removed / request cancelled). */
enum err fout_unfollow(struct fed *f, struct str local_user, struct str remote_user,
                       struct err_info *ei) __attribute__((warn_unused_result));
/* Accept{Follow} of remote_user's Follow of local_user (embeds that Follow). */
enum err fout_accept_follow(struct fed *f, struct str local_user, struct str remote_user,
                            struct err_info *ei) __attribute__((warn_unused_result));
/* Reject{Follow} of remote_user's Follow of local_user. */
enum err fout_reject_follow(struct fed *f, struct str local_user, struct str remote_user,
                            struct err_info *ei) __attribute__((warn_unused_result));
/* Block of remote_user by local_user (after Undo{Follow} / Reject{Follow} where needed). */
enum err fout_block(struct fed *f, struct str local_user, struct str remote_user,
                    struct err_info *ei) __attribute__((warn_unused_result));
/* Undo{Block}. */
enum err fout_unblock(struct fed *f, struct str local_user, struct str remote_user,
                      struct err_info *ei) __attribute__((warn_unused_result));

/*
 * `message` (borrowed) is the stored message record just created / edited /
 * about to be or just deleted; only messages in a DirectMessage channel
 * whose other participant is remote go out.
 */
enum err fout_message_create(struct fed *f, const json_t *message, struct err_info *ei)
    __attribute__((warn_unused_result));
enum err fout_message_update(struct fed *f, const json_t *message, struct err_info *ei)
    __attribute__((warn_unused_result));
enum err fout_message_delete(struct fed *f, const json_t *message, struct err_info *ei)
    __attribute__((warn_unused_result));

/* `user` added (add) or removed `emoji` on message `message_id`. */
enum err fout_react(struct fed *f, struct str user, struct str message_id, struct str emoji,
                    bool add, struct err_info *ei) __attribute__((warn_unused_result));

/* Update{Person} of local `user` to its followers' (shared) inboxes. */
enum err fout_profile_update(struct fed *f, struct str user, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * GET <actor>/outbox, /followers, /following, /featured (+ ?page=),
 * GET B/objects/{id}, GET B/activities/{id} (federation/collections.c).
 */
const struct route *api_collections_table(size_t *n);

#endif /* SOL_FEDERATION_OUTBOX_H */
