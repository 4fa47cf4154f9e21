/*
 * api/api.h: the HTTP surface of the daemon: Revolt REST under /api, and
 * (later) files, embeds and the fediverse endpoints beside it.
 *
 * Owns: the route table, CORS as Revolt answers it, the /api/0.8 alias,
 * turning handler errors into Revolt error bodies, and the store schema the
 * handlers use. Does not own: sockets (http/server.h), matching
 * (http/router.h).
 * Threads: api_handle runs on HTTP worker threads, concurrently.
 */
#ifndef SOL_API_API_H
#define SOL_API_API_H

#include "core/err.h"
#include "http/router.h"

struct app;
struct http_req;
struct http_resp;
struct store_schema;

/* Route flags (struct route.flags). */
enum api_route_flags {
	API_AUTHIFIER = 1 << 0, /* error bodies without "location" (authifier) */
	API_DEV_ONLY = 1 << 1,  /* only served with --dev */
	API_SESSION = 1 << 2,   /* a user session is required (no bots) */
	API_USER = 1 << 3,      /* a user session or a bot token is required */
};

/* The collections and indexes of the object store (static). */
const struct store_schema *api_schema(void);

/* Build what handlers share (the root document). SE_NOMEM or SE_INVAL. */
enum err api_init(struct app *app, struct err_info *ei) __attribute__((warn_unused_result));
/* Stop background workers that write to the store (before store_close). */
void api_stop(struct app *app);
void api_release(struct app *app);

/* The http_handler_fn of the HTTP listener; `ctx` is the struct app. */
void api_handle(struct http_req *req, struct http_resp *resp, void *ctx);

/* Handlers: api/root.c, api/dev.c */
enum err api_root(struct req_ctx *ctx);
enum err api_dev_publish(struct req_ctx *ctx);
/* api/auth_account.c */
enum err api_auth_account_create(struct req_ctx *ctx);
enum err api_auth_account_reverify(struct req_ctx *ctx);
enum err api_auth_account_verify(struct req_ctx *ctx);
enum err api_auth_account_reset_send(struct req_ctx *ctx);
enum err api_auth_account_reset_confirm(struct req_ctx *ctx);
enum err api_auth_account_fetch(struct req_ctx *ctx);
enum err api_auth_account_change_password(struct req_ctx *ctx);
enum err api_auth_account_change_email(struct req_ctx *ctx);
enum err api_auth_account_disable(struct req_ctx *ctx);
enum err api_auth_account_delete(struct req_ctx *ctx);
enum err api_auth_account_confirm_deletion(struct req_ctx *ctx);
/* api/auth_session.c */
enum err api_auth_login(struct req_ctx *ctx);
enum err api_auth_logout(struct req_ctx *ctx);
enum err api_auth_session_list(struct req_ctx *ctx);
enum err api_auth_session_revoke_all(struct req_ctx *ctx);
enum err api_auth_session_revoke(struct req_ctx *ctx);
enum err api_auth_session_edit(struct req_ctx *ctx);
/* api/auth_mfa.c */
enum err api_auth_mfa_status(struct req_ctx *ctx);
enum err api_auth_mfa_methods(struct req_ctx *ctx);
enum err api_auth_mfa_ticket(struct req_ctx *ctx);
enum err api_auth_mfa_recovery_fetch(struct req_ctx *ctx);
enum err api_auth_mfa_recovery_generate(struct req_ctx *ctx);
enum err api_auth_mfa_totp_secret(struct req_ctx *ctx);
enum err api_auth_mfa_totp_enable(struct req_ctx *ctx);
enum err api_auth_mfa_totp_disable(struct req_ctx *ctx);
/* The x-mfa-ticket guard: a validated ticket of the caller, consumed. */
enum err api_auth_mfa_ticket_guard(struct req_ctx *ctx);
/* api/onboard.c */
enum err api_onboard_hello(struct req_ctx *ctx);
enum err api_onboard_complete(struct req_ctx *ctx);

/* The root document for `app` as compact JSON (owned, mem_free). */
char *api_root_render(const struct app *app);

/* routes the daemon serves at most */
#define API_ROUTES_MAX 512

/* A module's route table (static): src/api/routes.c lists them all. */
typedef const struct route *api_table_fn(size_t *n);
api_table_fn api_users_table;                         /* api/users.c */
api_table_fn api_groups_table, api_sync_table;        /* api/channels_groups.c, api/sync.c */
const struct route *api_servers_table(size_t *n);     /* api/servers.c */
const struct route *api_roles_table(size_t *n);       /* api/roles.c */
const struct route *api_permissions_table(size_t *n); /* api/permissions.c */
api_table_fn api_members_table, api_invites_table;
api_table_fn api_messages_table; /* api/messages.c */
api_table_fn api_search_table, api_reactions_table, api_acks_table;
api_table_fn api_bots_table, api_push_table, api_safety_table; /* api/bots.c, api/safety.c */
api_table_fn api_autumn_table;
api_table_fn api_webhooks_table; /* api/webhooks.c */
api_table_fn api_webhooks_exec_table;
api_table_fn api_emojis_table; /* api/emojis.c */

/*
 * Concatenate every module's table into `out` (cap entries) and check it.
 * SE_FULL past `cap`, SE_INVAL for a malformed pattern.
 */
enum err api_routes_build(struct route *out, size_t cap, size_t *n, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_API_API_H */
