/*
 * api/members.h: the handlers of the server member, ban and invite routes
 * (api/members.c, api/bans.c, api/invites.c) and what they share: loading a
 * server with the caller's standing in it. Only src/api/ includes this.
 *
 * Threads: HTTP worker threads; everything is per request.
 * Memory: struct api_srv holds new references; api_srv_release drops them.
 */
#ifndef SOL_API_MEMBERS_H
#define SOL_API_MEMBERS_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "servers/members.h"
#include "storage/store.h"

struct req_ctx;

/* A server as the caller sees it. */
struct api_srv {
	json_t *server; /* the stored record */
	json_t *me;     /* the caller's member record, NULL when not a member */
	struct member_standing st;
};
#define API_SRV_INIT                                                                               \
	{                                                                                          \
		NULL, NULL,                                                                        \
		{                                                                                  \
			0, 0, false, false                                                         \
		}                                                                                  \
	}

/*
 * Load server `id` and `user_id`'s standing in it at `now_ms`. NotFound when
 * there is no such server (Revolt answers NotFound); SE_IO, SE_PARSE.
 */
enum err api_srv_load(struct store_txn *txn, struct str id, const char *user_id, int64_t now_ms,
                      struct api_srv *out) __attribute__((warn_unused_result));
/* Drop the references; leaves API_SRV_INIT. */
void api_srv_release(struct api_srv *s);

/*
 * The server channels of `server` that `user_id` (with `member`) may view, as
 * stored records (new reference; NULL on OOM).
 */
json_t *api_srv_visible_channels(struct store_txn *txn, const json_t *server, const json_t *member,
                                 const char *user_id, int64_t now_ms);

/* api/members.c */
enum err api_members_list(struct req_ctx *ctx);
enum err api_member_fetch(struct req_ctx *ctx);
enum err api_member_edit(struct req_ctx *ctx);
enum err api_member_kick(struct req_ctx *ctx);
enum err api_members_query(struct req_ctx *ctx);
/* Publish ServerMemberLeave {id, user, reason} on the server's topic. */
void api_member_left(struct req_ctx *ctx, struct str sid, struct str user, const char *reason);
/* api/bans.c */
enum err api_bans_list(struct req_ctx *ctx);
enum err api_ban_create(struct req_ctx *ctx);
enum err api_ban_remove(struct req_ctx *ctx);
/* api/invites.c */
enum err api_invite_create(struct req_ctx *ctx);
enum err api_invite_fetch(struct req_ctx *ctx);
enum err api_invite_join(struct req_ctx *ctx);
enum err api_invite_delete(struct req_ctx *ctx);
enum err api_server_invites(struct req_ctx *ctx);

/* The number of code points in UTF-8 `s` (bytes 0x80-0xBF do not count). */
size_t api_utf8_len(struct str s);

#endif /* SOL_API_MEMBERS_H */
