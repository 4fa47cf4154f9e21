/*
 * federation/prefs.h: a local user's own federation settings, kept in the
 * Revolt settings sync (channels/sync.h, POST /sync/settings/set) under the
 * key "solstice:federation" as JSON text, e.g. {"auto_accept_follows":true}.
 * Revolt clients never send the key, so they keep working unchanged; a user
 * who never set a field gets the instance default (federation.*).
 *
 * Owns: the key name, the value's format and its validation.
 * Does not own: the settings collection (channels/sync.c), the routes
 * (api/sync.c), what a setting does (federation/process.c, actor.c).
 * Threads: pure functions over a transaction the caller holds; reentrant.
 */
#ifndef SOL_FEDERATION_PREFS_H
#define SOL_FEDERATION_PREFS_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* the settings-sync key holding the JSON text */
#define FPREFS_KEY "solstice:federation"
/* bytes of the JSON text we parse at most */
#define FPREFS_TEXT_MAX 4096

/* One user's settings as parsed; has_* false when the field is absent. */
struct fprefs {
	bool has_auto_accept;
	bool auto_accept; /* accept a remote Follow at once (no friend request) */
};

/*
 * Parses the JSON text of the setting into *out (zeroed first). Unknown
 * fields are ignored (newer servers may add some). Errors: SE_PARSE (not a
 * JSON object, over FPREFS_TEXT_MAX bytes, or a known field of the wrong
 * type), with `ei` (may be NULL) saying which.
 */
enum err fprefs_parse(struct str text, struct fprefs *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * The effective auto-accept value in `rec`, the bytes of a user_settings
 * record as channels/sync.c stores it (compact JSON from jx_dump): the
 * user's "auto_accept_follows" when set and valid, else `dflt`. Our entry
 * is found in the bytes without parsing the whole record (most records
 * hold only the clients' keys). Never fails.
 */
bool fprefs_from_record(struct str rec, bool dflt);

/*
 * Whether a remote Follow of local user `user` is accepted at once: the
 * user's "auto_accept_follows" when set and valid, else `dflt` (the
 * instance's federation.auto_accept_follows). Never fails: a missing,
 * unreadable or malformed setting gives `dflt`.
 */
bool fprefs_auto_accept(struct store_txn *txn, struct str user, bool dflt);

#endif /* SOL_FEDERATION_PREFS_H */
