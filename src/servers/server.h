/*
 * servers/server.h: the collections behind servers (REVOLT.md section 6),
 * stored in Revolt's JSON shapes (optional fields omitted, never null).
 *
 * Owns: collection definitions, index key formats, and loading helpers.
 * Route handlers own what they write.
 *   servers  _id → Server
 *   members  "<server_id>/<user_id>" → Member {_id:{server,user}, joined_at, ...}
 *            indexes: server "<server_id>/<user_id>", user "<user_id>/<server_id>"
 *   bans     "<server_id>/<user_id>" → ServerBan {_id:{server,user}, reason}
 *            index: server "<server_id>/<user_id>"
 *   invites  code → Invite {type:"Server", _id, server, creator, channel}
 *            or {type:"Group", _id, creator, channel}
 *            indexes: server "<server_id>/<code>", channel "<channel_id>/<code>"
 * Threads: pure functions; reentrant.
 */
#ifndef SOL_SERVERS_SERVER_H
#define SOL_SERVERS_SERVER_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define SERVER_COLL "servers"
#define MEMBER_COLL "members"
#define BAN_COLL "bans"
#define INVITE_COLL "invites"

#define MEMBER_IDX_SERVER "server"
#define MEMBER_IDX_USER "user"
#define BAN_IDX_SERVER "server"
#define INVITE_IDX_SERVER "server"
#define INVITE_IDX_CHANNEL "channel"

extern const struct store_index_def server_member_idx[2];
extern const struct store_index_def server_ban_idx[1];
extern const struct store_index_def server_invite_idx[2];

/* The collections, as initialisers for a schema table (comma-separated). */
#define SERVER_COLL_DEFS                                                                           \
	{SERVER_COLL, NULL, 0}, {MEMBER_COLL, server_member_idx, 2},                               \
	    {BAN_COLL, server_ban_idx, 1},                                                         \
	{                                                                                          \
		INVITE_COLL, server_invite_idx, 2                                                  \
	}

/* "<server_id>/<user_id>" into out (64 bytes). SE_INVAL for ids over 31 bytes. */
enum err server_member_key(struct str server_id, struct str user_id, char out[64], size_t *len)
    __attribute__((warn_unused_result));

/* Load a server / a member (new reference). SE_NOT_FOUND, SE_PARSE. */
enum err server_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));
enum err server_member_load(struct store_txn *txn, struct str server_id, struct str user_id,
                            json_t **out) __attribute__((warn_unused_result));

#endif /* SOL_SERVERS_SERVER_H */
