/*
 * api/webhooks_exec.c: executing a webhook (revoltchat/backend crates/delta/
 * src/routes/webhooks/webhook_execute.rs and webhook_execute_github.rs):
 * POST /webhooks/{id}/{token} posts a DataMessageSend as the webhook, and
 * POST /webhooks/{id}/{token}/github turns a GitHub event (X-GitHub-Event)
 * into a message with one text embed. Mounted only with
 * api.webhooks_enabled, like the rest of /webhooks/.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "channels/webhook.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "messages/message.h"
#include "perms/perms.h"
#include "storage/store.h"

/* bytes of a GitHub embed description before msg_post validates it */
#define GH_DESC_MAX 8192
/* commits listed from one push (GitHub sends at most 20) */
#define GH_COMMITS_MAX 20

/* webhook_execute_github.rs colours */
#define GH_GREEN "#0f890f"
#define GH_RED "#e73e3e"
#define GH_GREY "#202224"
#define GH_BLUE "#279adc"
#define GH_ORANGE "#d76a34"
#define GH_LIGHT_ORANGE "#d9916d"

static enum err wh_execute(struct req_ctx *ctx);
static enum err wh_execute_github(struct req_ctx *ctx);

static const struct route exec_routes[] = {
    {HTTP_POST, "/api/webhooks/{id}/{token}", wh_execute, 0},
    {HTTP_POST, "/api/webhooks/{id}/{token}/github", wh_execute_github, 0},
};

const struct route *api_webhooks_exec_table(size_t *n)
{
	*n = sizeof(exec_routes) / sizeof(exec_routes[0]);
	return exec_routes;
}

/*
 * Webhook params[0] checked against token params[1] (NotFound unless
 * mounted, NotFound, NotAuthenticated). `*wh` is a new reference.
 */
static enum err hook_load(struct req_ctx *ctx, json_t **wh)
{
	struct store_txn *txn = NULL;
	enum err rc;

	if (!api_app(ctx)->cfg->api.webhooks_enabled)
		return SE_NotFound;
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (!rc)
		rc = webhook_load(txn, ctx->req->params[0], wh);
	store_read_end(txn);
	if (rc)
		return rc == SE_NOT_FOUND ? SE_NotFound : rc;
	if (!webhook_token_ok(*wh, ctx->req->params[1])) {
		json_decref(*wh);
		*wh = NULL;
		return SE_NotAuthenticated;
	}
	return SE_OK;
}

static struct str jstr(const json_t *v)
{
	return json_is_string(v) ? (struct str){json_string_value(v), json_string_length(v)}
	                         : STR_NULL;
}

/* msg_post input for webhook `wh` (borrowed: strings live as long as wh). */
static void hook_post_init(struct req_ctx *ctx, const json_t *wh, struct msg_post *in)
{
	const json_t *av = json_object_get(wh, "avatar");

	memset(in, 0, sizeof(*in));
	in->channel_id = jstr(json_object_get(wh, "channel_id"));
	in->kind = MSG_AUTHOR_WEBHOOK;
	in->author_id = ctx->req->params[0];
	in->perms = (uint64_t)json_integer_value(json_object_get(wh, "permissions"));
	in->allow_mentions = true;
	in->webhook_name = jstr(json_object_get(wh, "name"));
	in->webhook_avatar = jstr(json_is_object(av) ? json_object_get(av, "_id") : av);
}

static enum err wh_execute(struct req_ctx *ctx)
{
	struct msg_post in;
	json_t *body = NULL, *wh = NULL, *out = NULL;
	enum err rc = hook_load(ctx, &wh);

	if (!rc)
		rc = api_body(ctx, &body);
	if (rc)
		goto out;
	hook_post_init(ctx, wh, &in);
	in.idempotency = http_req_header(ctx->req, "idempotency-key");
	in.data = body;
	rc = msg_post(api_app(ctx), &in, &out, &ctx->ei);
	if (!rc)
		rc = api_json(ctx, 200, out);
out:
	json_decref(body);
	json_decref(wh);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

/* ---- GitHub ---- */

/* The embed being built; strings borrowed from the event. */
struct gh_embed {
	const char *title, *icon, *url, *colour;
	struct buf desc;
	bool skip; /* an event the backend ignores: answer without a message */
};

static const char *gs(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Missing fields make the backend's serde parse fail: InvalidOperation. */
static const char *need(const json_t *o, const char *key, bool *ok)
{
	const char *s = gs(o, key);

	if (!s)
		*ok = false;
	return s ? s : "";
}

/* shorten_text: `s` when shorter than `max` bytes, else its head and "...". */
static void put_short(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n < max) {
		buf_append(b, s, n);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	buf_append(b, s, max);
	buf_puts(b, "...");
}

/* The first 8 characters of a hash (the backend's &id[0..=7]). */
static void put_sha(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_append(b, s, n < 8 ? n : 8);
}

static void by_user(struct gh_embed *e, const json_t *user, bool *ok)
{
	e->title = need(user, "login", ok);
	e->icon = need(user, "avatar_url", ok);
	e->url = need(user, "html_url", ok);
}

static void gh_push(const json_t *ev, const char *repo, struct gh_embed *e, bool *ok)
{
	const char *ref = need(ev, "ref", ok), *branch = ref;
	const json_t *commits = json_object_get(ev, "commits");
	struct buf lines = BUF_INIT(GH_DESC_MAX);

	/* refs/heads/a/b -> a/b */
	for (int i = 0; i < 2 && branch; i++) {
		branch = strchr(branch, '/');
		branch = branch ? branch + 1 : NULL;
	}
	if (!branch)
		branch = "";
	if (json_is_true(json_object_get(ev, "forced"))) {
		buf_printf(&e->desc, "#### [%s] Branch %s was force-pushed to ", repo, branch);
		put_sha(&e->desc, need(ev, "after", ok));
		buf_printf(&e->desc, "\n[compare changes](%s)", need(ev, "compare", ok));
		e->colour = GH_RED;
		return;
	}
	if (!json_is_array(commits)) {
		*ok = false;
		return;
	}
	for (size_t i = 0; i < json_array_size(commits) && i < GH_COMMITS_MAX; i++) {
		const json_t *c = json_array_get(commits, i);

		if (i)
			buf_putc(&lines, '\n');
		buf_puts(&lines, "[`");
		put_sha(&lines, need(c, "id", ok));
		buf_printf(&lines, "`](%s) ", need(c, "url", ok));
		put_short(&lines, need(c, "message", ok), 50);
		buf_printf(&lines, " - %s", need(json_object_get(c, "author"), "name", ok));
	}
	buf_printf(&e->desc, "#### [[%s:%s] %zu new commit](%s)\n", repo, branch,
	           json_array_size(commits), need(ev, "compare", ok));
	put_short(&e->desc, buf_err(&lines) ? "" : buf_cstr(&lines), 1000);
	buf_release(&lines);
	e->colour = GH_BLUE;
}

/* issues / pull_request: closed, opened, reopened; anything else is skipped. */
static void gh_issue(const json_t *ev, const char *repo, const char *what, const json_t *item,
                     json_int_t number, struct gh_embed *e, bool *ok)
{
	const char *action = gs(ev, "action");
	const char *title = need(item, "title", ok), *url = need(item, "html_url", ok);
	const char *body = gs(item, "body");

	if (!action || !json_is_object(item)) {
		*ok = false;
		return;
	}
	if (strcmp(action, "closed") == 0) {
		buf_printf(&e->desc, "#### [[%s] %s Closed #%lld: %s](%s)", repo, what,
		           (long long)number, title, url);
		e->colour = GH_GREY;
	} else if (strcmp(action, "opened") == 0) {
		buf_printf(&e->desc, "#### [[%s] %s Opened #%lld: %s](%s)\n", repo, what,
		           (long long)number, title, url);
		put_short(&e->desc, body ? body : "", 450);
		e->colour = GH_ORANGE;
	} else if (strcmp(action, "reopened") == 0) {
		/* the backend prints url and title in this order here */
		buf_printf(&e->desc, "#### [[%s] %s Reopened #%lld: %s](%s)", repo, what,
		           (long long)number, url, title);
		e->colour = GH_GREEN;
	} else {
		e->skip = true;
	}
}

static void gh_discussion(const json_t *ev, const char *repo, struct gh_embed *e, bool *ok)
{
	const char *action = gs(ev, "action");
	const json_t *d = json_object_get(ev, "discussion");
	const json_t *answer = json_object_get(ev, "answer");
	json_int_t number = json_integer_value(json_object_get(d, "number"));

	e->colour = GH_LIGHT_ORANGE;
	if (action && strcmp(action, "created") == 0) {
		buf_printf(&e->desc, "#### [%s] New discussion #%lld: %s\n", repo,
		           (long long)number, need(d, "title", ok));
		put_short(&e->desc, need(d, "body", ok), 450);
	} else if (action && strcmp(action, "answered") == 0) {
		by_user(e, json_object_get(answer, "user"), ok);
		buf_printf(&e->desc, "#### [%s] discussion #%lld marked answered: %s\n", repo,
		           (long long)number, need(d, "title", ok));
		put_short(&e->desc, need(answer, "body", ok), 450);
	} else {
		/* the backend's enum knows only created and answered */
		*ok = false;
	}
}

static void gh_comment(const json_t *ev, const char *repo, const char *event, struct gh_embed *e,
                       bool *ok)
{
	const char *action = gs(ev, "action");
	const json_t *c = json_object_get(ev, "comment");

	if (strcmp(event, "commit_comment") == 0) {
		const char *sha = gs(c, "commit_id");

		buf_printf(&e->desc, "#### [[%s] New comment on commit `", repo);
		put_sha(&e->desc, sha ? sha : "");
		buf_printf(&e->desc, "`](%s)\n", need(c, "html_url", ok));
		put_short(&e->desc, need(c, "body", ok), 450);
		e->colour = GH_GREY;
		return;
	}
	if (!action || strcmp(action, "created") != 0) {
		e->skip = true;
		return;
	}
	e->colour = GH_LIGHT_ORANGE;
	if (strcmp(event, "issue_comment") == 0) {
		const json_t *is = json_object_get(ev, "issue");

		buf_printf(&e->desc, "#### [[%s] New comment on issue #%lld: %s](%s)\n", repo,
		           (long long)json_integer_value(json_object_get(is, "number")),
		           need(is, "title", ok), need(is, "html_url", ok));
	} else {
		const json_t *d = json_object_get(ev, "discussion");

		by_user(e, json_object_get(c, "user"), ok);
		buf_printf(&e->desc, "[%s] New comment on discussion #%lld: %s\n", repo,
		           (long long)json_integer_value(json_object_get(d, "number")),
		           need(d, "title", ok));
	}
	put_short(&e->desc, need(c, "body", ok), 450);
}

/*
 * The embed for `event`, or e->skip. SE_InvalidOperation for an unknown
 * event or a payload missing what the backend's types require.
 */
static enum err gh_build(const json_t *ev, const char *event, struct gh_embed *e)
{
	const json_t *repo_o = json_object_get(ev, "repository");
	bool ok = true;
	const char *repo = need(repo_o, "full_name", &ok);
	const char *action = gs(ev, "action");

	by_user(e, json_object_get(ev, "sender"), &ok);
	if (strcmp(event, "star") == 0) {
		e->skip = !action || strcmp(action, "created") != 0;
		buf_printf(&e->desc, "#### [[%s] New star added](%s)", repo,
		           need(repo_o, "html_url", &ok));
		e->colour = GH_GREY;
	} else if (strcmp(event, "push") == 0) {
		gh_push(ev, repo, e, &ok);
	} else if (strcmp(event, "create") == 0 || strcmp(event, "delete") == 0) {
		buf_printf(&e->desc,
		           event[0] == 'c' ? "#### [%s] New %s created: %s"
		                           : "#### [%s] %s deleted: %s",
		           repo, need(ev, "ref_type", &ok), need(ev, "ref", &ok));
		e->colour = GH_GREY;
	} else if (strcmp(event, "fork") == 0) {
		const json_t *f = json_object_get(ev, "forkee");

		buf_printf(&e->desc, "#### [[%s] Fork created: %s](%s)", repo,
		           need(f, "full_name", &ok), need(f, "html_url", &ok));
		e->colour = GH_GREY;
	} else if (strcmp(event, "issues") == 0) {
		const json_t *is = json_object_get(ev, "issue");

		gh_issue(ev, repo, "Issue", is, json_integer_value(json_object_get(is, "number")),
		         e, &ok);
	} else if (strcmp(event, "pull_request") == 0) {
		gh_issue(ev, repo, "Pull Request", json_object_get(ev, "pull_request"),
		         json_integer_value(json_object_get(ev, "number")), e, &ok);
	} else if (strcmp(event, "discussion") == 0) {
		gh_discussion(ev, repo, e, &ok);
	} else if (strcmp(event, "commit_comment") == 0 || strcmp(event, "issue_comment") == 0 ||
	           strcmp(event, "discussion_comment") == 0) {
		gh_comment(ev, repo, event, e, &ok);
	} else {
		return SE_InvalidOperation;
	}
	if (!ok)
		return SE_InvalidOperation;
	return buf_err(&e->desc) ? SE_TOO_LARGE : SE_OK;
}

static enum err wh_execute_github(struct req_ctx *ctx)
{
	struct gh_embed e = {NULL, NULL, NULL, NULL, BUF_INIT(GH_DESC_MAX), false};
	struct str event = http_req_header(ctx->req, "x-github-event");
	char name[64];
	struct msg_post in;
	json_t *body = NULL, *wh = NULL, *data = NULL;
	enum err rc = hook_load(ctx, &wh);

	if (!rc && (!event.p || event.n == 0 || event.n >= sizeof(name)))
		rc = SE_InvalidOperation;
	if (!rc)
		rc = api_body(ctx, &body);
	if (rc)
		goto out;
	memcpy(name, event.p, event.n);
	name[event.n] = '\0';
	if (strcmp(name, "ping") == 0) {
		rc = api_no_content(ctx);
		goto out;
	}
	rc = gh_build(body, name, &e);
	if (rc)
		goto out;
	if (e.skip) {
		rc = api_no_content(ctx);
		goto out;
	}
	data =
	    json_pack("{s:[{s:s, s:s, s:s, s:s, s:s}]}", "embeds", "title", e.title, "description",
	              buf_cstr(&e.desc), "colour", e.colour, "icon_url", e.icon, "url", e.url);
	if (!data) {
		rc = SE_NOMEM;
		goto out;
	}
	hook_post_init(ctx, wh, &in);
	/* the backend sends the embed without checking the webhook's permissions */
	in.perms |= PERM_SEND_MESSAGE | PERM_SEND_EMBEDS;
	in.data = data;
	rc = msg_post(api_app(ctx), &in, NULL, &ctx->ei);
	if (!rc)
		rc = api_no_content(ctx);
out:
	buf_release(&e.desc);
	json_decref(data);
	json_decref(body);
	json_decref(wh);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}
