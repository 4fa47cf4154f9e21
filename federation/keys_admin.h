/*
 * federation/keys_admin.h: key rotation for operators.
 *
 * Owns: POST /admin/api/federation/keys/{owner}/rotate (a session of a
 * privileged user): new RSA and Ed25519 pairs for a local user or the
 * instance actor ("instance"), and for a user the Update{Person} carrying
 * the new keys to the (shared) inboxes of their remote followers.
 * Does not own: the key ring (federation/keys.h), the actor document
 * (federation/actor.h), the Update (federation/outbox.h), delivery.
 * Threads: HTTP worker threads; the key ring and the store lock for us.
 */
#ifndef SOL_FEDERATION_KEYS_ADMIN_H
#define SOL_FEDERATION_KEYS_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct fed;
struct route;

/*
 * Rotates the keys of `owner` (a local user id or "instance"). For a user,
 * queues Update{Person} to their remote followers; `*notified` says
 * whether the Update was queued (false: the instance actor, which peers
 * refetch when its signature stops verifying). SE_NOT_FOUND (no such local
 * user), key ring and store errors.
 */
enum err fkadm_rotate(struct fed *f, struct str owner, bool *notified, struct err_info *ei)
    __attribute__((warn_unused_result));

/* The route table (api/routes.c tables[]). */
const struct route *api_fed_keys_table(size_t *n);

#endif /* SOL_FEDERATION_KEYS_ADMIN_H */
