/*
 * federation/admin.h: the access check shared by the federation admin API
 * (delivery status, key rotation).
 *
 * Owns: deciding whether a request may use /admin/api/federation/...
 * Does not own: the routes (federation/deliver_admin.c, keys_admin.c),
 * sessions (auth/authn.h), the user record (users/user.h).
 * Threads: HTTP worker threads; reads the store in its own transaction.
 */
#ifndef SOL_FEDERATION_ADMIN_H
#define SOL_FEDERATION_ADMIN_H

#include "core/err.h"

struct req_ctx;

/*
 * SE_OK when the request carries a session of a user with `privileged:
 * true`. Otherwise raises into ctx->ei: SE_NotAuthenticated (no session,
 * or a bot token), SE_FeatureDisabled (federation off), SE_InvalidSession
 * (the session's user is gone), SE_NotPrivileged, or a store error.
 */
enum err fadmin_require(struct req_ctx *ctx) __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_ADMIN_H */
