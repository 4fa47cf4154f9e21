/*
 * api/dev.c: POST /_dev/publish — development mode only (--dev). Publishes
 * `event` (any JSON value) on the event bus under `topic`, so tests and
 * operators can watch the WebSocket gateway deliver before the Revolt event
 * producers exist. Not routed at all without --dev.
 */
#include <jansson.h>

#include "api/api.h"
#include "app.h"
#include "bus/bus.h"
#include "core/jx.h"
#include "core/limits.h"
#include "core/mem.h"
#include "http/http.h"

enum err api_dev_publish(struct req_ctx *ctx)
{
	struct app *app = ctx->app;
	json_t *body = NULL;
	const json_t *event;
	struct str topic;
	char *text = NULL;
	enum err rc;

	rc = jx_parse_object(buf_str(&ctx->req->body), LIM_JSON_BODY_MAX, &body, &ctx->ei);
	if (rc)
		goto out;
	rc = jx_get_str(body, "topic", &topic, &ctx->ei);
	if (rc == SE_NOT_FOUND)
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'topic' is required");
	if (rc)
		goto out;
	if (topic.n == 0 || topic.n > LIM_TOPIC_MAX) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'topic' must be 1-%d bytes",
		               LIM_TOPIC_MAX);
		goto out;
	}
	event = json_object_get(body, "event");
	if (!event) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'event' is required");
		goto out;
	}
	text = jx_dump(event);
	if (!text) {
		rc = SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	rc = bus_publish(app->bus, topic, str_from(text));
	if (rc)
		goto out;
	ctx->resp->status = 204;
out:
	mem_free(text);
	json_decref(body);
	return rc;
}
