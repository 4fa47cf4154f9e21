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
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct arena;
struct fed;
struct store_txn;

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

/* ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" of `ms` into out. */
void fout_iso8601(int64_t ms, char out[32]);

#endif /* SOL_FEDERATION_MAPPING_INT_H */
