/*
 * app.h: the daemon's wiring, one `struct app` built by main and passed
 * down (STYLE rule 14: no global mutable state but configuration and store).
 *
 * Owns: the order in which subsystems start and stop, the data directory
 * layout (db/, keys/), and the values computed once at start-up (the Revolt
 * root document).
 * Threads: app_start/app_stop from the main thread; handlers read the
 * struct concurrently, and nothing in it changes after app_start.
 */
#ifndef SOL_APP_H
#define SOL_APP_H

#include <stddef.h>

#include "core/err.h"

struct cfg;
struct store;
struct bus;
struct gw;
struct ev;
struct http_server;
struct pw_policy;
struct mail;
struct rl;
struct route;
struct blob_store;
struct files_cleanup;
struct fed;

struct app {
	struct cfg *cfg; /* owned by main; finalised URLs filled in by app_start */
	struct store *store;
	struct bus *bus;
	struct gw *gw;
	struct ev *ev; /* the event protocol on the gateway (events/events.h) */
	struct http_server *http;
	char *vapid_public; /* base64url P-256 point, owned */
	char *root_json;    /* GET /api/ body, owned */
	size_t root_len;
	int http_port, ws_port; /* bound ports */
	struct pw_policy *pw;   /* password rules (auth.*) */
	struct mail *mail;      /* NULL without SMTP */
	struct rl *rl;          /* rate limiter */
	char *dummy_hash;       /* argon2 hash of a random password (timing parity) */
	struct route *routes;   /* every module's routes, built by api_init */
	size_t n_routes;
	char *spool_dir;               /* <data>/tmp: large request bodies, owned */
	struct blob_store *blobs;      /* Autumn's files (files/blob.h), owned */
	struct files_cleanup *cleanup; /* the file clean-up worker (files/cleanup.h) */
	struct fed *fed;               /* federation (federation/fed.h), NULL when disabled */
};

#define APP_INIT                                                                                   \
	{                                                                                          \
		0                                                                                  \
	}

/*
 * Create the data directory, open the store, bind both listeners, build the
 * root document and start serving. On failure everything started is stopped
 * again and ei->detail says what failed. Errors: SE_IO, SE_CONFIG, SE_NOMEM.
 */
enum err app_start(struct app *app, struct cfg *cfg, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Stop listeners (finishing in-flight requests), then close the store. Idempotent. */
void app_stop(struct app *app);

#endif /* SOL_APP_H */
