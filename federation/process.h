/*
 * federation/process.h: what an inbound, already verified activity does to
 * Revolt objects (FEDIVERSE.md "Activity shapes"; docs/federation.md).
 *
 * Owns: Follow/Accept/Reject/Undo -> ap_follows + friend relationships;
 * Create/Update/Delete of Notes in direct messages -> DM messages; Like /
 * EmojiReact -> reactions; Update/Delete of actors, Block, Move; the Revolt
 * events those changes publish. Does not own: signature checks, actor
 * fetching and idempotency on the activity id (federation/inbox.c does them
 * before calling here), outbound activities (federation/outbox.h).
 * Threads: any thread (the inbox worker); no store transaction may be open.
 */
#ifndef SOL_FEDERATION_PROCESS_H
#define SOL_FEDERATION_PROCESS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

struct fed;

/* The default emoji of a plain Like (no content, no _misskey_reaction). */
#define FPROC_LIKE_EMOJI "\xf0\x9f\x91\x8d"

struct fproc_in {
	const json_t *activity;        /* borrowed: the activity document */
	const char *actor_user_id;     /* the verified sender, a (remote) user id */
	const char *recipient_user_id; /* local inbox owner; NULL for the shared inbox */
	int64_t received_ms;
};

/*
 * Applies one activity. Idempotent: a replay changes nothing twice.
 * Unknown or unsupported types are logged and return SE_OK (dropped).
 * Returns SE_OK, SE_RETRY (a transient failure: try again later, e.g. the
 * store was busy or a needed remote document could not be fetched now), or
 * SE_INVAL / SE_PARSE for an activity that can never be applied (drop).
 */
enum err fproc_handle(struct fed *f, const struct fproc_in *in, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_PROCESS_H */
