/*
 * api/users_int.h: what the Users route files (users.c, users_edit.c,
 * users_relations.c, users_dm.c) share. Nothing outside src/api/ includes it.
 *
 * Owns: loading the caller and the path target as user records, rendering a
 * user for a viewer, the presence hook, and the UserUpdate fan-out.
 * Threads: HTTP worker threads; everything is per request.
 */
#ifndef SOL_API_USERS_INT_H
#define SOL_API_USERS_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "http/http.h"

struct app;
struct store_txn;

/* The caller's user record (new reference); InvalidSession when it has none. */
enum err api_users_caller(struct req_ctx *ctx, struct store_txn *txn, json_t **out)
    __attribute__((warn_unused_result));
/* User `id` (new reference); UnknownUser when absent. */
enum err api_users_load(struct req_ctx *ctx, struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

/*
 * Presence hook: true when `user_id` has a live WebSocket session. Always
 * false until the gateway tracks presence (the events issue fills it in).
 */
bool api_users_online(struct app *app, const char *user_id);

/*
 * `target` as `viewer` sees it, with ViewProfile worked out from the store
 * (new reference in *out). SE_NOMEM, SE_IO.
 */
enum err api_users_view(struct req_ctx *ctx, struct store_txn *txn, const json_t *target,
                        const json_t *viewer, json_t **out) __attribute__((warn_unused_result));

/*
 * Publish `event` (stolen) on the user's topic and the member topic
 * "<server>u" of every server the user is in (Revolt's p_user). Opens its
 * own read transaction: call it after the write, with none open.
 */
void api_users_publish_user(struct app *app, const char *user_id, json_t *event);

/* Handlers: api/users.c */
enum err api_users_fetch_self(struct req_ctx *ctx);
enum err api_users_fetch(struct req_ctx *ctx);
enum err api_users_flags(struct req_ctx *ctx);
enum err api_users_profile(struct req_ctx *ctx);
enum err api_users_mutual(struct req_ctx *ctx);
enum err api_users_default_avatar(struct req_ctx *ctx);
/* api/users_edit.c */
enum err api_users_edit(struct req_ctx *ctx);
enum err api_users_change_username(struct req_ctx *ctx);
/* api/users_relations.c */
enum err api_users_friend_request(struct req_ctx *ctx);
enum err api_users_friend_add(struct req_ctx *ctx);
enum err api_users_friend_remove(struct req_ctx *ctx);
enum err api_users_block(struct req_ctx *ctx);
enum err api_users_unblock(struct req_ctx *ctx);
/* api/users_dm.c */
enum err api_users_dms(struct req_ctx *ctx);
enum err api_users_open_dm(struct req_ctx *ctx);

#endif /* SOL_API_USERS_INT_H */
