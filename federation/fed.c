/*
 * federation/fed.c: builds the federation context from the configuration,
 * starts and stops the federation services in order, and spells the URLs
 * of our ActivityPub objects (docs/federation.md).
 */
#include "federation/fed.h"

#include <string.h>

#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/deliver.h"
#include "federation/inbox.h"
#include "federation/keys.h"
#include "federation/media.h"
#include "federation/nodeinfo.h"
#include "federation/webfinger.h"
#include "http/router.h"

#ifndef SOL_GIT_DESC
#define SOL_GIT_DESC "unknown"
#endif

bool fed_allow_private(const struct cfg *cfg)
{
	return cfg->federation.allow_private || cfg->dev.enabled;
}

/* "scheme://host[:port]/..." -> "host[:port]" lower case, or NULL. */
static char *host_of(const char *base)
{
	const char *p = strstr(base, "://"), *end;
	char *h;

	if (!p)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?#");
	if (end == p || memchr(p, '@', (size_t)(end - p)))
		return NULL;
	h = xstrndup(p, (size_t)(end - p));
	for (char *c = h; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return h;
}

static void fed_free(struct fed *f)
{
	if (!f)
		return;
	fkeys_close(f->keys);
	actor_cache_free(f->actors);
	nodeinfo_cache_free(f->nodeinfo);
	mem_free(f->base);
	mem_free(f->host);
	mem_free(f->user_agent);
	mem_free(f);
}

enum err fed_start(struct app *app, struct err_info *ei)
{
	const struct cfg *c = app->cfg;
	struct fed *f;
	size_t n;
	enum err rc;

	app->fed = NULL;
	if (!c->federation.enabled)
		return SE_OK;
	f = xcalloc(1, sizeof(*f));
	f->cfg = c;
	f->store = app->store;
	f->bus = app->bus;
	f->app = app;
	f->allow_private = fed_allow_private(c);
	n = strlen(c->hosts.public_url);
	while (n && c->hosts.public_url[n - 1] == '/')
		n--;
	f->base = xstrndup(c->hosts.public_url, n);
	f->host = host_of(f->base);
	if (!f->host || (strncmp(f->base, "https://", 8) != 0 && strncmp(f->base, "http://", 7))) {
		SE_RAISEF(ei, SE_CONFIG, "hosts.public_url '%s' is not an http(s) URL with a host",
		          c->hosts.public_url);
		fed_free(f);
		return SE_CONFIG;
	}
	if (c->federation.user_agent[0]) {
		f->user_agent = xstrdup(c->federation.user_agent);
	} else {
		struct buf ua = BUF_INIT(4096);

		buf_printf(&ua, "Solstice/%s (+%s)", SOL_GIT_DESC, f->base);
		f->user_agent = buf_take(&ua, NULL);
		if (!f->user_agent) {
			fed_free(f);
			return SE_RAISEF(ei, SE_NOMEM, "cannot build the user agent");
		}
	}
	f->actors = actor_cache_new();
	f->nodeinfo = nodeinfo_cache_new();
	/* keys first: delivery signs with them and the inbox resolves keys */
	rc = fkeys_open(c, f->store, &f->keys, ei);
	if (!rc)
		rc = fdel_start(f, ei);
	if (!rc)
		rc = finbox_start(f, ei);
	if (!rc)
		rc = fmedia_start(f, ei);
	if (rc) {
		fmedia_stop(f);
		finbox_stop(f);
		fdel_stop(f);
		fed_free(f);
		return rc;
	}
	app->fed = f;
	log_info("federation on as %s", f->host);
	return SE_OK;
}

void fed_stop(struct app *app)
{
	if (!app->fed)
		return;
	/* the inbox worker may enqueue deliveries: it stops first */
	fmedia_stop(app->fed);
	finbox_stop(app->fed);
	fdel_stop(app->fed);
}

void fed_release(struct app *app)
{
	fed_free(app->fed);
	app->fed = NULL;
}

char *fed_actor_url(const struct fed *f, struct arena *a, struct str user_id)
{
	return arena_printf(a, "%s/users/%.*s", f->base, (int)user_id.n, user_id.p);
}

char *fed_object_url(const struct fed *f, struct arena *a, struct str msg_id)
{
	return arena_printf(a, "%s/objects/%.*s", f->base, (int)msg_id.n, msg_id.p);
}

char *fed_activity_url(const struct fed *f, struct arena *a)
{
	struct ulid u;
	char text[ULID_LEN + 1];

	if (ulid_generate(NULL, &u))
		return NULL;
	ulid_encode(&u, text);
	return arena_printf(a, "%s/activities/%s", f->base, text);
}

bool fed_local_user_of(const struct fed *f, struct str url, struct str *user_id)
{
	struct str base = str_from(f->base), id;
	size_t k;

	if (!url.p || url.n < base.n + 7 || !str_has_prefix(url, base) ||
	    memcmp(url.p + base.n, "/users/", 7) != 0)
		return false;
	id = (struct str){url.p + base.n + 7, url.n - base.n - 7};
	for (k = 0; k < id.n; k++)
		if (id.p[k] == '/' || id.p[k] == '#' || id.p[k] == '?')
			break;
	id.n = k;
	if (!ulid_is_valid(id))
		return false;
	*user_id = id;
	return true;
}

static const struct route fed_routes[] = {
    {HTTP_GET, "/.well-known/webfinger", wf_get, 0},
    {HTTP_GET, "/.well-known/host-meta", wf_host_meta, 0},
    {HTTP_GET, "/.well-known/host-meta.json", wf_host_meta_json, 0},
    {HTTP_GET, "/.well-known/nodeinfo", nodeinfo_links, 0},
    {HTTP_GET, "/nodeinfo/{version}", nodeinfo_get, 0},
    {HTTP_GET, "/actor", actor_instance_get, 0},
    {HTTP_GET, "/users/{id}", actor_get, 0},
    {HTTP_GET, "/@{handle}", actor_profile_page, 0},
};

const struct route *api_fed_table(size_t *n)
{
	*n = sizeof(fed_routes) / sizeof(fed_routes[0]);
	return fed_routes;
}
