/*
 * api/helpers.c: body parsing and answers shared by the handlers.
 */
#include <string.h>

#include "api/api_int.h"
#include "app.h"
#include "auth/account.h"
#include "auth/records.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "bus/bus.h"
#include "core/log.h"
#include "core/mem.h"
#include "storage/store.h"

enum err api_body(struct req_ctx *ctx, json_t **out)
{
	const struct app *app = ctx->app;
	struct str body = buf_str(&ctx->req->body);
	size_t max = app && app->cfg ? app->cfg->http.json_body_max : (1u << 20);

	/* Spooled bodies are larger than any JSON body we accept. */
	if (ctx->req->body_fd >= 0)
		return SE_RAISE(&ctx->ei, SE_PayloadTooLarge);
	if (body.n == 0) {
		*out = json_object();
		return *out ? SE_OK : SE_RAISE(&ctx->ei, SE_NOMEM);
	}
	return jx_parse_object(body, max, out, &ctx->ei);
}

enum err api_str_opt(struct req_ctx *ctx, const json_t *body, const char *key, size_t max,
                     struct str *out)
{
	enum err rc = jx_get_str(body, key, out, &ctx->ei);

	if (rc == SE_PARSE)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be a string", key);
	if (rc)
		return rc;
	if (max && out->n > max)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' is longer than %zu bytes",
		                 key, max);
	return SE_OK;
}

enum err api_str(struct req_ctx *ctx, const json_t *body, const char *key, size_t max,
                 struct str *out)
{
	enum err rc = api_str_opt(ctx, body, key, max, out);

	if (rc == SE_NOT_FOUND)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "missing field '%s'", key);
	return rc;
}

enum err api_json(struct req_ctx *ctx, int status, json_t *v)
{
	char *text = v ? jx_dump(v) : NULL;

	json_decref(v);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, status, "application/json", str_from(text));
	mem_free(text);
	return SE_OK;
}

enum err api_no_content(struct req_ctx *ctx)
{
	http_resp_set(ctx->resp, 204, NULL, STR_NULL);
	return SE_OK;
}

enum err api_caller_account(struct req_ctx *ctx, json_t **acct)
{
	struct store_txn *txn = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = account_load(txn, str_from(api_who(ctx)->user_id), acct);
	store_read_end(txn);
	return rc ? SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_InternalError : rc) : SE_OK;
}

int64_t api_now_ms(void)
{
	return authrec_now_ms();
}

void api_publish_multi(struct app *app, const struct str *topics, size_t n, json_t *event)
{
	char *text = event ? jx_dump(event) : NULL;

	if (!text || bus_publish_multi(app->bus, topics, n, str_from(text)))
		log_warn("api: cannot publish a '%s' event",
		         event ? json_string_value(json_object_get(event, "type")) : "?");
	mem_free(text);
	json_decref(event);
}

void api_publish(struct app *app, struct str topic, json_t *event)
{
	api_publish_multi(app, &topic, 1, event);
}
