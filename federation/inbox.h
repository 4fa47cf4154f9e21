/*
 * federation/inbox.h: inbound ActivityPub POSTs and signed GETs.
 *
 * Owns: POST B/inbox (shared), B/users/{id}/inbox and B/actor/inbox: body
 * cap, policy on the signer's host before any key fetch, HTTP signature and
 * digest verification (via federation/httpsig.h), idempotency on the
 * activity id, and the persistent queue "ap_inbox" with the worker thread
 * that hands each activity to fproc_handle (federation/process.h); the
 * authorized-fetch check for AS2 GETs.
 * Does not own: what an activity does (process.h), key crypto (keys.h),
 * actor fetching (resolve.h).
 * Threads: handlers run on HTTP worker threads; one worker thread drains
 * the queue between finbox_start and finbox_stop.
 */
#ifndef SOL_FEDERATION_INBOX_H
#define SOL_FEDERATION_INBOX_H

#include <stddef.h>

#include "core/err.h"

struct fed;
struct http_req;
struct route;
struct fres_cache;
struct queue_def;

/* activity ids are remembered (replays answered 202 and ignored) this long (ms) */
#define FINBOX_SEEN_MS (7LL * 24 * 3600 * 1000)

/* The persistent queue of accepted activities. */
extern const struct queue_def finbox_queue;

/*
 * Creates f->inbox (the resolver cache) and starts the worker. Called by
 * fed_start. Returns SE_OK, SE_IO (thread), SE_NOMEM.
 */
enum err finbox_start(struct fed *f, struct err_info *ei) __attribute__((warn_unused_result));
/* Stops the worker and frees f->inbox (before store_close). Accepts a fed without one. */
void finbox_stop(struct fed *f);

/* The resolver's cache of f->inbox, NULL when the service is not running. */
struct fres_cache *finbox_cache(struct fed *f);

/* POST /inbox, POST /users/{id}/inbox, POST /actor/inbox (routes.c tables[]). */
const struct route *api_inbox_table(size_t *n);

/*
 * Authorized fetch for GET routes: SE_OK if the request carries a valid
 * signature (cavage or RFC 9421, with or without the query string) or
 * federation.authorized_fetch is off; `signer_host` (may be NULL) gets the
 * signer's host ("" when unsigned) for the policy check. Errors:
 * SE_NotAuthenticated (401: missing or bad signature), SE_MissingPermission
 * (403: signer's domain blocked), SE_RETRY (key not available now).
 */
enum err finbox_verify_get(struct fed *f, const struct http_req *req, char signer_host[256],
                           struct err_info *ei) __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_INBOX_H */
