/*
 * api/safety.c: Web Push subscriptions and content reports
 * (revoltchat/backend crates/delta/src/routes/push/ and safety/
 * report_content.rs). A push subscription lives on the caller's session
 * record, as authifier keeps it; a report is one record in "reports".
 */
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/members.h"
#include "app.h"
#include "auth/records.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "messages/message.h"
#include "servers/server.h"
#include "storage/store.h"
#include "users/report.h"
#include "users/user.h"

/* bytes of a push endpoint URL and of its keys */
#define PUSH_ENDPOINT_MAX 2048
#define PUSH_KEY_MAX 256

static enum err push_subscribe(struct req_ctx *ctx);
static enum err push_unsubscribe(struct req_ctx *ctx);
static enum err safety_report(struct req_ctx *ctx);

static const struct route push_routes[] = {
    {HTTP_POST, "/api/push/subscribe", push_subscribe, API_SESSION},
    {HTTP_POST, "/api/push/unsubscribe", push_unsubscribe, API_SESSION},
};

static const struct route safety_routes[] = {
    {HTTP_POST, "/api/safety/report", safety_report, API_USER},
};

const struct route *api_push_table(size_t *n)
{
	*n = sizeof(push_routes) / sizeof(push_routes[0]);
	return push_routes;
}

const struct route *api_safety_table(size_t *n)
{
	*n = sizeof(safety_routes) / sizeof(safety_routes[0]);
	return safety_routes;
}

/* ---- push ---- */

struct push_op {
	const char *session_id;
	json_t *sub; /* NULL: unsubscribe */
};

static enum err push_fn(struct store_wtxn *w, void *arg)
{
	struct push_op *op = arg;
	json_t *rec = NULL;
	enum err rc =
	    authrec_load(store_wtxn_read(w), AUTHREC_SESSIONS, str_from(op->session_id), &rec);

	if (rc == SE_NOT_FOUND)
		return SE_InvalidSession;
	if (rc)
		return rc;
	if (op->sub)
		json_object_set(rec, "subscription", op->sub);
	else
		json_object_del(rec, "subscription");
	rc = authrec_save(w, AUTHREC_SESSIONS, rec, false);
	json_decref(rec);
	return rc;
}

static enum err push_subscribe(struct req_ctx *ctx)
{
	static const char *const keys[] = {"endpoint", "p256dh", "auth"};
	static const size_t max[] = {PUSH_ENDPOINT_MAX, PUSH_KEY_MAX, PUSH_KEY_MAX};
	struct push_op op = {api_who(ctx)->session_id, NULL};
	struct str v[3];
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	for (size_t i = 0; !rc && i < 3; i++)
		rc = api_str(ctx, body, keys[i], max[i], &v[i]);
	if (!rc) {
		op.sub = json_pack("{s:s%, s:s%, s:s%}", "endpoint", v[0].p, v[0].n, "p256dh",
		                   v[1].p, v[1].n, "auth", v[2].p, v[2].n);
		rc = op.sub ? SE_OK : SE_NOMEM;
	}
	if (!rc)
		rc = store_write(api_app(ctx)->store, push_fn, &op, &ctx->ei);
	json_decref(op.sub);
	json_decref(body);
	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

static enum err push_unsubscribe(struct req_ctx *ctx)
{
	struct push_op op = {api_who(ctx)->session_id, NULL};
	enum err rc = store_write(api_app(ctx)->store, push_fn, &op, &ctx->ei);

	return rc ? SE_RAISE(&ctx->ei, rc) : api_no_content(ctx);
}

/* ---- reports ---- */

static const char *const content_reasons[] = {
    "NoneSpecified",  "Illegal",         "IllegalGoods", "IllegalExtortion", "IllegalPornography",
    "IllegalHacking", "ExtremeViolence", "PromotesHarm", "UnsolicitedSpam",  "Raid",
    "SpamAbuse",      "ScamsFraud",      "Malware",      "Harassment",
};
static const char *const user_reasons[] = {
    "NoneSpecified", "UnsolicitedSpam", "SpamAbuse", "InappropriateProfile",
    "Impersonation", "BanEvasion",      "Underage",
};

static bool one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

enum report_kind { REPORT_MESSAGE, REPORT_SERVER, REPORT_USER };

struct report_op {
	const char *me;
	enum report_kind kind;
	struct str target;
	json_t *rec; /* the report to store */
};

/* Revolt's fetch_* answer NotFound for a missing object. */
static enum err report_fn(struct store_wtxn *w, void *arg)
{
	struct report_op *op = arg;
	struct store_txn *txn = store_wtxn_read(w);
	const char *owner = NULL;
	json_t *obj = NULL;
	char *text;
	enum err rc;

	switch (op->kind) {
	case REPORT_MESSAGE: {
		struct str raw;

		rc = store_get(txn, MSG_COLL, op->target, &raw);
		/* no messages collection yet: every message is unknown */
		if (rc == SE_INVAL || rc == SE_NOT_FOUND)
			return SE_NotFound;
		if (!rc)
			obj = json_loadb(raw.p, raw.n, 0, NULL);
		owner = json_string_value(json_object_get(obj, "author"));
		break;
	}
	case REPORT_SERVER:
		rc = server_load(txn, op->target, &obj);
		owner = json_string_value(json_object_get(obj, "owner"));
		break;
	default:
		rc = user_load(txn, op->target, &obj);
		owner = user_id_of(obj);
		break;
	}
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (!rc && owner && strcmp(owner, op->me) == 0)
		rc = SE_CannotReportYourself;
	json_decref(obj);
	if (rc)
		return rc;
	text = json_dumps(op->rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = text ? store_create(w, REPORT_COLL,
	                         str_from(json_string_value(json_object_get(op->rec, "_id"))),
	                         str_from(text))
	          : SE_NOMEM;
	mem_free(text);
	return rc;
}

static enum err parse_report(struct req_ctx *ctx, const json_t *body, struct report_op *op)
{
	const json_t *content = json_object_get(body, "content");
	const char *type = json_string_value(json_object_get(content, "type"));
	const char *reason = json_string_value(json_object_get(content, "report_reason"));
	struct str ctx_text = STR_NULL, mid;
	enum err rc;

	if (!json_is_object(content) || !type)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'content' must be a report");
	if (strcmp(type, "Message") == 0)
		op->kind = REPORT_MESSAGE;
	else if (strcmp(type, "Server") == 0)
		op->kind = REPORT_SERVER;
	else if (strcmp(type, "User") == 0)
		op->kind = REPORT_USER;
	else
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "unknown content type");
	if (op->kind == REPORT_USER ? !one_of(reason, user_reasons, 7)
	                            : !one_of(reason, content_reasons, 14))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "unknown 'report_reason'");
	rc = api_str(ctx, content, "id", STORE_ID_MAX, &op->target);
	if (!rc && op->kind == REPORT_USER) {
		rc = api_str_opt(ctx, content, "message_id", STORE_ID_MAX, &mid);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	if (!rc) {
		rc = api_str_opt(ctx, body, "additional_context", 0, &ctx_text);
		if (rc == SE_NOT_FOUND) {
			ctx_text = STR_LIT("");
			rc = SE_OK;
		}
	}
	if (!rc && api_utf8_len(ctx_text) > REPORT_CONTEXT_MAX)
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
		               "'additional_context' is longer than %d characters",
		               REPORT_CONTEXT_MAX);
	if (rc)
		return rc;
	op->rec = json_pack("{s:s, s:s, s:O, s:s%, s:s, s:s}", "_id", "", "author_id", op->me,
	                    "content", content, "additional_context", ctx_text.p, ctx_text.n,
	                    "status", "Created", "notes", "");
	return op->rec ? SE_OK : SE_RAISE(&ctx->ei, SE_NOMEM);
}

static enum err safety_report(struct req_ctx *ctx)
{
	struct report_op op = {api_who(ctx)->user_id, REPORT_USER, STR_NULL, NULL};
	char id[ULID_LEN + 1];
	struct ulid u;
	json_t *body = NULL;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = parse_report(ctx, body, &op);
	/* validation first, then the bot check, as report_content.rs */
	if (!rc && api_who(ctx)->kind == AUTHN_BOT)
		rc = SE_RAISE(&ctx->ei, SE_IsBot);
	if (!rc)
		rc = ulid_generate(NULL, &u);
	if (!rc) {
		ulid_encode(&u, id);
		json_object_set_new(op.rec, "_id", json_string(id));
		rc = store_write(api_app(ctx)->store, report_fn, &op, &ctx->ei);
		if (rc)
			rc = SE_RAISE(&ctx->ei, rc);
	}
	json_decref(op.rec);
	json_decref(body);
	if (rc)
		return rc;
	/* report_content.rs returns () : 200 with an empty body */
	http_resp_set(ctx->resp, 200, NULL, STR_NULL);
	return SE_OK;
}
