/*
 * api/api_int.h: helpers shared by the route handlers in src/api/ (STYLE
 * rule 1: nothing outside src/api/ includes this).
 *
 * Owns: reading a JSON body, answering JSON / 204, the caller's identity,
 * and the "write through a closure" pattern handlers use with store_write.
 * Threads: HTTP worker threads; everything is per request.
 */
#ifndef SOL_API_API_INT_H
#define SOL_API_API_INT_H

#include <jansson.h>
#include <stdint.h>

#include "auth/authn.h"
#include "core/err.h"
#include "http/http.h"

struct app;

/*
 * The request body as a JSON object (new reference). An empty body counts
 * as {} (revolt-api sends {} but other clients send nothing). Errors:
 * PayloadTooLarge, FailedValidation (ei->detail says why).
 */
enum err api_body(struct req_ctx *ctx, json_t **out) __attribute__((warn_unused_result));

/* Required string field: SE_OK, or FailedValidation naming the field.
 * `max` bounds its length in bytes (0 = no bound). */
enum err api_str(struct req_ctx *ctx, const json_t *body, const char *key, size_t max,
                 struct str *out) __attribute__((warn_unused_result));
/* Optional string field: SE_NOT_FOUND when absent or null. */
enum err api_str_opt(struct req_ctx *ctx, const json_t *body, const char *key, size_t max,
                     struct str *out) __attribute__((warn_unused_result));

/* Answer `v` (stolen) as JSON with `status`. */
enum err api_json(struct req_ctx *ctx, int status, json_t *v);
/* Answer 204 with no body. */
enum err api_no_content(struct req_ctx *ctx);

/* The caller, resolved by the pipeline before the handler runs. */
static inline const struct authn *api_who(const struct req_ctx *ctx)
{
	return ctx->who;
}

static inline struct app *api_app(const struct req_ctx *ctx)
{
	return ctx->app;
}

/*
 * The signed-in caller's account record (new reference). A session whose
 * account is gone answers InternalError, as authifier's guard does.
 */
enum err api_caller_account(struct req_ctx *ctx, json_t **acct) __attribute__((warn_unused_result));

/* Wall-clock milliseconds. */
int64_t api_now_ms(void);

/*
 * Publish `event` (stolen; a Revolt event object with "type") on `topic`:
 * a user id, "<user id>!" (private), a server id, a channel id or
 * "<server id>u" (member presence), as REVOLT.md section 9 names them.
 * Publish after the store write committed. Failures are logged, not
 * returned: the write already happened.
 */
void api_publish(struct app *app, struct str topic, json_t *event);
/* The same event on several topics; a socket on more than one gets it once. */
void api_publish_multi(struct app *app, const struct str *topics, size_t n, json_t *event);

#endif /* SOL_API_API_INT_H */
