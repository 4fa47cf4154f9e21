/*
 * servers/members.h: server members and bans as stored records, and the
 * rules Revolt applies to them (REVOLT.md sections 6 and 8; revoltchat/backend
 * crates/core/database/src/models/server_members).
 *
 * Owns: building member and ban records, a caller's standing in a server
 * (permissions and ranking, through perms/perms.h), joining a server inside a
 * write (bans, duplicates, the servers-per-user cap), walking the per-server
 * indexes, Revolt timestamps, and the user view the member routes return.
 * Does not own: the collections (servers/server.h), events (the routes
 * publish them), presence (member_user_view takes `online` from the caller).
 * Threads: pure functions over records and the caller's transaction.
 * Memory: json_t results are new references; index ids passed to callbacks
 * are borrowed for the call only.
 */
#ifndef SOL_SERVERS_MEMBERS_H
#define SOL_SERVERS_MEMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* code points of a nickname (Revolt DataMemberEdit: length 1..32) */
#define MEMBER_NICKNAME_MAX 32
/* bytes of a ban reason (Revolt DataBanCreate: length 0..1024) */
#define MEMBER_BAN_REASON_MAX 1024
/* servers a user may be in (Revolt features.limits.default.servers) */
#define MEMBER_SERVERS_MAX 100
/* entries one listing walks at most (members, bans, invites of a server) */
#define MEMBER_LIST_MAX 100000
/* matches the experimental member query returns (Revolt takes 10) */
#define MEMBER_QUERY_RESULTS 10
/* bytes of a query string for the experimental member query */
#define MEMBER_QUERY_MAX 128

/* A new member record {_id:{server,user}, joined_at} (new reference; NULL on OOM). */
json_t *member_record_new(struct str server_id, struct str user_id, int64_t now_ms);

/* A ban record {_id:{server,user}, reason} (reason STR_NULL → null; NULL on OOM). */
json_t *member_ban_new(struct str server_id, struct str user_id, struct str reason);

/* What a user may do in a server. */
struct member_standing {
	uint64_t perms; /* server-level permissions (perm_server_calc) */
	int64_t rank;   /* ranking: lower is higher; owner INT64_MIN, no roles INT64_MAX */
	bool member;
	bool owner;
};

/*
 * The standing of `user_id` in `server` with `member` (their member record,
 * NULL when none) at `now_ms`. Both records are borrowed.
 */
void member_standing_of(const json_t *server, const json_t *member, const char *user_id,
                        int64_t now_ms, struct member_standing *out);

/*
 * Parse an ISO 8601 date-time ("2025-09-23T12:00:00Z", fraction and offset
 * optional) into milliseconds since the epoch. SE_PARSE when malformed.
 */
enum err member_time_parse(struct str s, int64_t *ms) __attribute__((warn_unused_result));

/* Serialise `rec` and store it under its "_id" composite key (create or replace). */
enum err member_store(struct store_wtxn *w, const char *coll, const json_t *rec)
    __attribute__((warn_unused_result));
/* Delete "<server>/<user>" from `coll` (members or bans). SE_NOT_FOUND. */
enum err member_drop(struct store_wtxn *w, const char *coll, struct str server_id,
                     struct str user_id) __attribute__((warn_unused_result));

/* Called for each id; returning an error stops the walk with it. */
typedef enum err member_each_fn(struct str id, void *arg);

/*
 * Walk the ids of `coll`'s `index` under "<prefix>/" in key order, at most
 * `max` of them (SE_FULL if more exist). `id` is borrowed for the call.
 */
enum err member_walk(struct store_txn *txn, const char *coll, const char *index, struct str prefix,
                     size_t max, member_each_fn *fn, void *arg) __attribute__((warn_unused_result));
/* The number of ids under "<prefix>/", counting at most `max` + 1. */
enum err member_count(struct store_txn *txn, const char *coll, const char *index, struct str prefix,
                      size_t max, size_t *n) __attribute__((warn_unused_result));

/*
 * Make `user` (a stored user record) a member of `server` at `now_ms`, inside
 * a write: Banned when banned, AlreadyInServer when a member, TooManyServers
 * (ei->max) past MEMBER_SERVERS_MAX. `*member` gets the new record (new
 * reference) on success.
 */
enum err member_join(struct store_wtxn *w, const json_t *server, struct str user_id, int64_t now_ms,
                     json_t **member) __attribute__((warn_unused_result));

/*
 * `user` (a stored user record, borrowed) as `viewer_id` sees it: without
 * "relations", with "relationship" taken from `viewer` (the viewer's stored
 * record, may be NULL) and "online". New reference, NULL on OOM.
 */
json_t *member_user_view(const json_t *user, const char *viewer_id, const json_t *viewer,
                         bool online);

#endif /* SOL_SERVERS_MEMBERS_H */
