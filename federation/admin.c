/*
 * federation/admin.c: the privileged-session check of the federation admin
 * API, one copy for the delivery and key-rotation routes.
 */
#include <jansson.h>

#include "app.h"
#include "auth/authn.h"
#include "federation/admin.h"
#include "federation/fed.h"
#include "http/http.h"
#include "storage/store.h"
#include "users/user.h"

enum err fadmin_require(struct req_ctx *ctx)
{
	const struct authn *who = ctx->who;
	struct fed *f = ((struct app *)ctx->app)->fed;
	struct store_txn *t = NULL;
	json_t *u = NULL;
	enum err rc;

	if (!who || who->kind != AUTHN_SESSION)
		return SE_RAISE(&ctx->ei, SE_NotAuthenticated);
	if (!f)
		return SE_RAISEF(&ctx->ei, SE_FeatureDisabled, "federation");
	rc = store_read_begin(f->store, &t);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = user_load(t, str_from(who->user_id), &u);
	store_read_end(t);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_InvalidSession : rc);
	if (!user_is_privileged(u))
		rc = SE_RAISE(&ctx->ei, SE_NotPrivileged);
	json_decref(u);
	return rc;
}
