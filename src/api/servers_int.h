/*
 * api/servers_int.h: what the server, role and permission route files
 * (api/servers.c, api/servers_edit.c, api/roles.c, api/permissions.c) share.
 * Nothing outside these files includes it.
 * Threads: HTTP worker threads; everything is per request.
 */
#ifndef SOL_API_SERVERS_INT_H
#define SOL_API_SERVERS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "core/ulid.h"
#include "http/http.h"

/*
 * A text field of `min`-`max` characters (code points). SE_NOT_FOUND when
 * absent and not `required`; FailedValidation naming the field otherwise.
 * `out` borrows from `body`.
 */
enum err api_srv_text(struct req_ctx *ctx, const json_t *body, const char *key, size_t min,
                      size_t max, bool required, struct str *out)
    __attribute__((warn_unused_result));
/* An optional boolean: *out = -1 absent, else 0/1. FailedValidation for another type. */
enum err api_srv_bool(struct req_ctx *ctx, const json_t *body, const char *key, int *out)
    __attribute__((warn_unused_result));
/* A fresh ULID's text. */
void api_srv_new_id(char out[ULID_LEN + 1]);

/* PATCH /servers/{target} (api/servers_edit.c). */
enum err api_server_edit(struct req_ctx *ctx);

#endif /* SOL_API_SERVERS_INT_H */
