/*
 * app.c: start-up and shut-down order. Listeners are bound before anything
 * is served so that "port in use" fails fast and the ready line can name
 * the real ports.
 */
#include "app.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "bus/bus.h"
#include "bus/bus_redis.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "events/events.h"
#include "federation/fed.h"
#include "files/blob.h"
#include "files/cleanup.h"
#include "files/image.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "storage/store.h"

/* How long in-flight requests may take to finish on shutdown. */
#define APP_GRACE_MS 5000

static enum err make_dir(const char *path, struct err_info *ei)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return SE_OK;
	if (errno != EEXIST)
		return SE_RAISEF(ei, SE_IO, "cannot create directory '%s': %s", path,
		                 strerror(errno));
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return SE_RAISEF(ei, SE_IO, "'%s' is not a directory", path);
	if (access(path, W_OK | X_OK))
		return SE_RAISEF(ei, SE_IO, "directory '%s' is not writable", path);
	return SE_OK;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = xmalloc(a + b + 2);

	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* "host:port" for the ready line and default URLs ("[::1]:80" for IPv6). */
static char *hostport(const char *host, int port)
{
	struct buf b = BUF_INIT(256);
	const char *h = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host;

	if (strchr(h, ':'))
		buf_printf(&b, "[%s]:%d", strcmp(h, "::") == 0 ? "::1" : h, port);
	else
		buf_printf(&b, "%s:%d", h, port);
	return buf_take(&b, NULL);
}

static enum err open_store(struct app *app, struct err_info *ei)
{
	struct store_opts so = {0};
	char *dir = join(app->cfg->storage.data, "db");
	enum err rc;

	so.map_size = app->cfg->storage.map_size_mb << 20;
	so.no_sync = !app->cfg->storage.sync;
	rc = make_dir(dir, ei);
	if (!rc)
		rc = store_open(dir, api_schema(), &so, &app->store, ei);
	mem_free(dir);
	return rc;
}

static enum err load_keys(struct app *app, struct err_info *ei)
{
	struct buf pub = BUF_INIT(256);
	char *dir = join(app->cfg->storage.data, "keys");
	char *path = join(dir, "vapid.pem");
	enum err rc;

	rc = make_dir(dir, ei);
	if (!rc)
		rc = cry_vapid_load(path, &pub, ei);
	if (!rc) {
		app->vapid_public = buf_take(&pub, NULL);
		if (!app->vapid_public)
			rc = SE_NOMEM;
	}
	buf_release(&pub);
	mem_free(path);
	mem_free(dir);
	return rc;
}

/* The event bus: in-process, or shared by several nodes with [bus] redis_url. */
static enum err open_bus(struct app *app, struct err_info *ei)
{
	struct bus_redis *r = NULL;
	enum err rc;

	if (!app->cfg->bus.redis_url[0]) {
		app->bus = bus_new(NULL, NULL);
		return SE_OK;
	}
	rc = bus_redis_new(app->cfg->bus.redis_url, &r, ei);
	if (rc)
		return rc;
	app->bus = bus_new(&bus_redis_ops, r);
	return bus_redis_start(r, app->bus);
}

/* Autumn's blob store from [files]; libvips started once. */
static enum err open_blobs(struct app *app, struct err_info *ei)
{
	const struct cfg_files *f = &app->cfg->files;
	struct blob_opts bo = {
	    .backend = strcmp(f->backend, "s3") == 0 ? BLOB_S3 : BLOB_LOCAL,
	    .data_dir = app->cfg->storage.data,
	    .root = f->local_root,
	    .key_b64 = f->encryption_key,
	    .endpoint = f->s3_endpoint,
	    .region = f->s3_region,
	    .bucket = f->s3_bucket,
	    .access_key = f->s3_access_key,
	    .secret_key = f->s3_secret_key,
	    .path_style = f->s3_path_style,
	    .timeout_s = f->s3_timeout,
	};

	if (strcmp(f->backend, "s3") != 0 && strcmp(f->backend, "local") != 0)
		return SE_RAISEF(ei, SE_CONFIG, "files.backend must be 'local' or 's3'");
	if (img_init())
		return SE_RAISEF(ei, SE_IO, "cannot start libvips");
	return blob_store_new(&bo, &app->blobs, ei);
}

static enum err bind_listeners(struct app *app, struct err_info *ei)
{
	const struct cfg *c = app->cfg;
	struct http_server_opts ho = {
	    .host = c->listen.http.host,
	    .port = (int)c->listen.http.port,
	    .workers = c->http.workers,
	    .keepalive_timeout = c->http.keepalive_timeout,
	    .header_timeout = c->http.header_timeout,
	    .max_connections = c->http.max_connections,
	    .body_max = c->http.body_max,
	    .spool_dir = app->spool_dir,
	    /* anything larger than a JSON body (uploads) is spooled to disk */
	    .spool_threshold = c->http.json_body_max,
	    .access_log = true,
	    .handler = api_handle,
	    .handler_ctx = app,
	};
	struct gw_opts go = {
	    .host = c->listen.ws.host,
	    .port = (int)c->listen.ws.port,
	    .sendq_max = c->ws.sendq_max,
	    .max_message = c->ws.max_message,
	};
	enum err rc;

	rc = http_server_new(&ho, &app->http, ei);
	if (rc)
		return rc;
	app->http_port = http_server_port(app->http);
	app->ev = ev_new(app);
	go.handler = ev_handler(app->ev);
	go.filter = ev_filter_fn();
	rc = gw_new(&go, app->bus, &app->gw, ei);
	if (rc)
		return rc;
	app->ws_port = gw_port(app->gw);
	return SE_OK;
}

enum err app_start(struct app *app, struct cfg *cfg, struct err_info *ei)
{
	char *http_hp = NULL, *ws_hp = NULL;
	enum err rc;

	*app = (struct app)APP_INIT;
	app->cfg = cfg;
	rc = make_dir(cfg->storage.data, ei);
	if (rc)
		goto out;
	rc = load_keys(app, ei);
	if (rc)
		goto out;
	app->spool_dir = join(cfg->storage.data, "tmp");
	rc = make_dir(app->spool_dir, ei);
	if (rc)
		goto out;
	rc = open_store(app, ei);
	if (rc)
		goto out;
	rc = open_blobs(app, ei);
	if (!rc)
		rc = files_cleanup_start(app->store, app->blobs, app->cfg->files.cleanup_interval,
		                         &app->cleanup, ei);
	if (rc)
		goto out;
	rc = open_bus(app, ei);
	if (rc)
		goto out;
	rc = bind_listeners(app, ei);
	if (rc)
		goto out;
	http_hp = hostport(cfg->listen.http.host, app->http_port);
	ws_hp = hostport(cfg->listen.ws.host, app->ws_port);
	rc = cfg_finalize_urls(cfg, http_hp, ws_hp, ei);
	if (rc)
		goto out;
	rc = api_init(app, ei);
	if (rc)
		goto out;
	rc = fed_start(app, ei);
	if (rc)
		goto out;
	rc = gw_start(app->gw);
	if (!rc)
		rc = http_server_start(app->http);
	if (rc) {
		SE_RAISEF(ei, rc, "cannot start listener threads");
		goto out;
	}
	log_info("ready http=%s ws=%s", http_hp, ws_hp);
out:
	mem_free(http_hp);
	mem_free(ws_hp);
	if (rc)
		app_stop(app);
	return rc;
}

void app_stop(struct app *app)
{
	/* Stop taking requests first so nothing writes to a closing store. */
	if (app->http)
		http_server_stop(app->http, APP_GRACE_MS);
	if (app->gw)
		gw_stop(app->gw);
	/* Workers that write to the store stop before it closes. */
	api_stop(app);
	fed_stop(app);
	files_cleanup_stop(app->cleanup);
	app->cleanup = NULL;
	http_server_free(app->http);
	app->http = NULL;
	gw_free(app->gw);
	app->gw = NULL;
	ev_free(app->ev);
	app->ev = NULL;
	bus_free(app->bus);
	app->bus = NULL;
	store_close(app->store);
	app->store = NULL;
	fed_release(app);
	blob_store_free(app->blobs);
	app->blobs = NULL;
	api_release(app);
	mem_free(app->vapid_public);
	app->vapid_public = NULL;
	mem_free(app->spool_dir);
	app->spool_dir = NULL;
}
