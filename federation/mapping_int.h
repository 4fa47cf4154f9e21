/*
 * federation/mapping_int.h: what the mapping modules (outbox.c, process.c,
 * collections.c) share: a remote user's AP endpoints, Note ids of
 * messages and back, the clock, event publishing.
 * Nothing outside federation/ includes it. Implemented in outbox.c.
 * Threads: reentrant; functions taking a txn run inside it.
 */
#ifndef SOL_FEDERATION_MAPPING_INT_H
#define SOL_FEDERATION_MAPPING_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "federation/follows.h"

struct arena;
struct fed;
struct store_txn;
struct store_wtxn;

/* A remote user's AP endpoints (arena strings). */
struct fout_remote {
	const char *id;           /* actor id */
	const char *inbox;        /* personal inbox */
	const char *shared_inbox; /* shared inbox, else the personal one */
	const char *host;         /* host[:port] */
	const char *username;     /* "name@host" */
};

/* Wall-clock ms. */
int64_t fout_now_ms(void);

/*
 * The AP endpoints of user `user_id` when it is a remote user (its record
 * has "ap"). SE_NOT_FOUND: no such user, or a local one. SE_NOMEM.
 */
enum err fout_remote_of(struct store_txn *txn, struct str user_id, struct arena *a,
                        struct fout_remote *out) __attribute__((warn_unused_result));

/* True when user `user_id` exists and is local (no "ap"). */
bool fout_is_local(struct store_txn *txn, struct str user_id);

/*
 * The Note id of message `msg` (a stored record): B/objects/<id> for a
 * local author, the mapped AP id for a remote one. NULL when unknown.
 */
const char *fout_note_id(struct fed *f, struct store_txn *txn, const json_t *msg, struct arena *a);

/*
 * The message id for Note id `url`: ours (B/objects/<id>) or mapped in
 * ap_ids (kind "message"). SE_NOT_FOUND.
 */
enum err fout_msg_of_note(struct fed *f, struct store_txn *txn, struct str url, char out[32])
    __attribute__((warn_unused_result));

/*
 * The Note of stored message `msg` (new reference in *note, with @context)
 * when it is a local user's message in a DM with a remote user, whose
 * host[:port] goes to *remote_host (arena). SE_NOT_FOUND otherwise.
 */
enum err fout_note_doc(struct fed *f, const json_t *msg, struct arena *a, json_t **note,
                       const char **remote_host, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Publish a Revolt event (stolen) on `topic`; failures are logged. */
void fout_publish(struct fed *f, const char *topic, json_t *event);

/*
 * After a committed change of the relationship between users L and R: a
 * UserRelationship event to each one's private topic showing the other as
 * they may see them. Best effort (an unreadable record sends nothing).
 */
void fout_publish_pair(struct fed *f, struct str L, struct str R);

/*
 * In write `w`: sets the relationship of user record l toward r to `nl`
 * and of r toward l to `nr`, saving both, unless they already hold those.
 * *changed says whether it wrote. Store errors.
 */
enum err fout_relation_save(struct store_wtxn *w, json_t *l, json_t *r, enum perm_relationship nl,
                            enum perm_relationship nr, bool *changed)
    __attribute__((warn_unused_result));

/* ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" of `ms` into out. */
void fout_iso8601(int64_t ms, char out[32]);

/* ---- one write: follows + ap_ids + deliveries (outbox.c) ---- */

enum fw_follow { FW_NONE, FW_ADD, FW_ACCEPT, FW_REMOVE };

/* activities one write queues at most */
#define FW_ACTS_MAX 3
/* arena of one fout_* call */
#define OUT_ARENA_MAX (4u << 20)

/*
 * What one fout_* changes and sends, in one store write: up to two follow
 * changes, one ap_ids put or delete, up to FW_ACTS_MAX activities to the
 * same inboxes, signed as `signer`. Strings are borrowed for the write.
 */
struct fout_write {
	struct fed *f;
	enum fw_follow follow, follow2;
	struct str er, ee, er2, ee2, follow_act;
	enum ffollow_state add_state;
	/* ap_ids: put (kind set) or delete (del) */
	struct str map_ap, map_local;
	const char *map_kind;
	bool map_del;
	struct {
		struct str json, id;
	} acts[FW_ACTS_MAX];
	size_t n_acts;
	struct str signer;
	const struct str *inboxes;
	size_t n_inboxes;
	int64_t now;
};

/* {@context, id, type, actor} (new reference, NULL on OOM). */
json_t *fout_activity_new(const char *type, const char *id, const char *actor);
/* to: [one], cc: [] on `a`; false on OOM. */
bool fout_address_to(json_t *a, const char *to);
/*
 * {@context, id, type, actor, object: obj, to: [to], cc: []}: an activity
 * with one object (stolen, released on failure) addressed to one actor.
 * New reference; NULL when obj or id is NULL, or on OOM.
 */
json_t *fout_activity_to(const char *type, const char *id, const char *actor, json_t *obj,
                         const char *to);
/* Serialises `act` (stolen) into the arena as the write's next activity. SE_NOMEM. */
enum err fout_write_add(struct fout_write *op, struct arena *a, json_t *act)
    __attribute__((warn_unused_result));
/* Runs the write (sets now) and wakes the delivery workers. */
enum err fout_write_run(struct fout_write *op, struct err_info *ei)
    __attribute__((warn_unused_result));
/*
 * fout_write_add(act) then fout_write_run signed as `signer` to the one
 * inbox `inbox` (the common case: an activity to one remote actor).
 */
enum err fout_write_one(struct fout_write *op, struct arena *a, json_t *act, struct str signer,
                        const char *inbox, struct err_info *ei) __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_MAPPING_INT_H */
