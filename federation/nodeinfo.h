/*
 * federation/nodeinfo.h: NodeInfo 2.0 and 2.1 (nodeinfo.diaspora.software).
 *
 * Owns: GET /.well-known/nodeinfo (the links), GET /nodeinfo/2.0 and
 * /nodeinfo/2.1, and the usage counts behind them, recomputed at most once
 * per NODEINFO_TTL_MS: users.total = local accounts, activeMonth /
 * activeHalfyear = local accounts with a session seen within 30 / 180
 * days (remote actors and bots are not counted).
 * Threads: handlers on HTTP worker threads; the cache takes its own lock.
 */
#ifndef SOL_FEDERATION_NODEINFO_H
#define SOL_FEDERATION_NODEINFO_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/router.h"

struct store;
struct nodeinfo_cache;

/* how long computed usage counts are served before recounting */
#define NODEINFO_TTL_MS (5 * 60 * 1000)
/* sessions looked at per recount (bounds the scan) */
#define NODEINFO_SESSIONS_MAX 200000

struct nodeinfo_usage {
	size_t total, active_month, active_halfyear;
};

/* Count from the store at now_ms. SE_IO. */
enum err nodeinfo_count(struct store *s, int64_t now_ms, struct nodeinfo_usage *out,
                        struct err_info *ei) __attribute__((warn_unused_result));

struct nodeinfo_cache *nodeinfo_cache_new(void);
void nodeinfo_cache_free(struct nodeinfo_cache *c);

/* Route handlers (federation/fed.c lists them). */
enum err nodeinfo_links(struct req_ctx *ctx); /* GET /.well-known/nodeinfo */
enum err nodeinfo_get(struct req_ctx *ctx);   /* GET /nodeinfo/{version} */

#endif /* SOL_FEDERATION_NODEINFO_H */
