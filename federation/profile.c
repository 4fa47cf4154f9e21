/*
 * federation/profile.c: the public HTML profile page of a local user,
 * B/@<username>_<discriminator> (also the actor URL for browsers). Every
 * value from the user is HTML-escaped; the bio is the safe HTML of
 * actor_summary_html. The page names the actor document in a
 * <link rel="alternate"> so that fediverse software can find it.
 */
#include <jansson.h>
#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "federation/actor.h"
#include "federation/fed.h"
#include "federation/inbox.h"
#include "federation/webfinger.h"
#include "http/http.h"
#include "storage/store.h"
#include "users/user.h"

/* bytes of a rendered page */
#define PROFILE_PAGE_MAX (256u << 10)

static void esc(struct buf *b, const char *s)
{
	buf_html_escape(b, str_from(s));
}

static const char *avatar_url(struct fed *f, const json_t *rec, struct arena *a)
{
	const json_t *av = json_object_get(rec, "avatar");
	const char *id = json_string_value(json_object_get(av, "_id"));
	const char *tag = json_string_value(json_object_get(av, "tag"));

	if (!id || !tag)
		return NULL;
	return arena_printf(a, "%s/%s/%s", f->cfg->hosts.autumn, tag, id);
}

enum err actor_profile_render(struct fed *f, struct req_ctx *ctx, const json_t *rec,
                              const char *summary_html)
{
	struct arena *a = ctx->arena;
	struct buf b = BUF_INIT(PROFILE_PAGE_MAX);
	const char *display = json_string_value(json_object_get(rec, "display_name"));
	const char *handle = actor_handle(rec, a);
	const char *actor = fed_actor_url(f, a, str_from(user_id_of(rec)));
	const char *avatar = avatar_url(f, rec, a);
	enum err rc;

	if (!handle || !actor)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	if (!display || !display[0])
		display = json_string_value(json_object_get(rec, "username"));
	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<title>");
	esc(&b, display);
	buf_puts(&b, " (@");
	esc(&b, handle);
	buf_putc(&b, '@');
	esc(&b, f->host);
	buf_puts(&b,
	         ")</title>\n<link rel=\"alternate\" type=\"application/activity+json\" href=\"");
	esc(&b, actor);
	buf_puts(&b, "\">\n<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;"
	             "padding:0 1em}img.avatar{width:96px;height:96px;border-radius:50%}</style>\n"
	             "</head>\n<body>\n<main class=\"h-card\">\n");
	if (avatar) {
		buf_puts(&b, "<img class=\"avatar u-photo\" alt=\"\" src=\"");
		esc(&b, avatar);
		buf_puts(&b, "\">\n");
	}
	buf_puts(&b, "<h1 class=\"p-name\">");
	esc(&b, display);
	buf_puts(&b, "</h1>\n<p class=\"handle\">@");
	esc(&b, handle);
	buf_putc(&b, '@');
	esc(&b, f->host);
	buf_puts(&b, "</p>\n");
	if (summary_html) {
		buf_puts(&b, "<div class=\"p-note\">");
		buf_puts(&b, summary_html);
		buf_puts(&b, "</div>\n");
	}
	buf_puts(&b, "<p><a class=\"u-url u-uid\" rel=\"me\" href=\"");
	esc(&b, actor);
	buf_puts(&b, "\">ActivityPub actor</a></p>\n</main>\n</body>\n</html>\n");
	rc = buf_err(&b);
	if (!rc)
		http_resp_set(ctx->resp, 200, "text/html; charset=utf-8", buf_str(&b));
	buf_release(&b);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

enum err actor_profile_gone(struct req_ctx *ctx)
{
	static const char page[] =
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>Account gone</title>\n</head>\n<body>\n<main>\n<h1>This account is gone</h1>\n"
	    "<p>It was deleted, disabled or suspended.</p>\n</main>\n</body>\n</html>\n";

	http_resp_set(ctx->resp, 410, "text/html; charset=utf-8", STR_LIT(page));
	return SE_OK;
}

enum err actor_profile_page(struct req_ctx *ctx)
{
	struct fed *f = ((struct app *)ctx->app)->fed;
	struct str name, discrim;
	char id[STORE_ID_MAX];
	struct store_txn *txn = NULL;
	enum err rc;

	if (!f || !wf_parse_handle(ctx->req->params[0], &name, &discrim))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = store_read_begin(f->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = user_find_by_tag(txn, name, discrim, id);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND || rc == SE_INVAL)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (actor_wants_as2(http_req_header(ctx->req, "accept")) &&
	    f->cfg->federation.authorized_fetch) {
		char signer[256];

		rc = finbox_verify_get(f, ctx->req, signer, &ctx->ei);
		if (rc)
			return SE_RAISE(&ctx->ei, rc);
	}
	return actor_serve(ctx, f, str_from(id),
	                   !actor_wants_as2(http_req_header(ctx->req, "accept")));
}
