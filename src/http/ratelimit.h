/*
 * http/ratelimit.h: Revolt's fixed-window rate limiter (REVOLT.md section 15).
 *
 * Owns: mapping a Revolt path to its bucket and resource key (pure), the
 * per-(identifier, bucket, resource) window counters, and the X-RateLimit-*
 * headers and 429 body. Does not own: choosing the identifier (session id or
 * client address: the caller), the clock (callers pass a monotonic `now_ms`),
 * the limits (struct cfg_ratelimit, read once at rl_new).
 * Threads: rl_hit, rl_stats and rl_limit may be called from any thread; the
 * table is sharded, each shard behind its own mutex. rl_new/rl_free: one
 * caller, with no rl_hit running. Design notes: docs/internals/ratelimit.md.
 */
#ifndef SOL_HTTP_RATELIMIT_H
#define SOL_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "http/http.h" /* enum http_method */

struct cfg_ratelimit;

/*
 * Most live windows kept at once by rl_new (about 24 bytes each, reserved
 * up front, touched lazily). When full and nothing has expired, rl_hit
 * fails open and counts it in rl_stats.fail_open.
 */
#define RL_MAX_ENTRIES_DEFAULT (1u << 18)
/* Shards of the table; each has its own mutex and 1/RL_SHARDS of the entries. */
#define RL_SHARDS 64

/* Revolt's buckets; the wire name comes from rl_bucket_name(). */
enum rl_bucket {
	RL_B_USER_EDIT,      /* PATCH /users/{x}, resource = x */
	RL_B_USERS,          /* other /users/... */
	RL_B_DEFAULT_AVATAR, /* /users/{x}/default_avatar... (not PATCH) */
	RL_B_BOTS,           /* /bots/... */
	RL_B_MESSAGING,      /* POST /channels/{id}/messages..., resource = id */
	RL_B_CHANNELS,       /* other /channels/{x}..., resource = x */
	RL_B_SERVERS,        /* /servers/{x}..., resource = x */
	RL_B_AUTH,           /* /auth/... except DELETE */
	RL_B_AUTH_DELETE,    /* DELETE /auth/... */
	RL_B_SWAGGER,        /* /swagger/... */
	RL_B_SAFETY_REPORT,  /* /safety/report..., resource = "report" */
	RL_B_SAFETY,         /* other /safety/... */
	RL_B_ANY,            /* everything else */
	RL_B_UPLOAD,         /* autumn: POST /{tag}, resource = tag */
	RL_B_UNLIMITED,      /* autumn: everything else ("any", never counted) */
	RL_BUCKET__COUNT
};

/*
 * What rl_classify found. `resource` borrows from the path passed in (or a
 * static string) and is empty when the bucket has none; `name` is static.
 */
struct rl_key_parts {
	enum rl_bucket bucket;
	const char *name; /* "user_edit", "messaging", ... as Revolt names it */
	struct str resource;
};

/* The outcome of one rl_hit, for rl_headers and rl_deny. */
struct rl_result {
	bool allowed;
	/*
	 * false when nothing was counted (limiter disabled, RL_B_UNLIMITED):
	 * rl_headers then adds no header and the other fields are zero.
	 */
	bool enforced;
	uint32_t limit;
	uint32_t remaining;      /* after this request */
	uint64_t reset_after_ms; /* until this window ends; the retry_after of a 429 */
	uint64_t bucket_hash;    /* X-RateLimit-Bucket */
};

struct rl_stats {
	size_t entries;     /* live windows now */
	size_t max_entries; /* the bound */
	uint64_t fail_open; /* requests allowed because the table was full */
	uint64_t reclaimed; /* expired windows removed */
};

struct rl;

/*
 * A limiter with the limits and window of `cfg` (borrowed; copied, so it
 * need not outlive the limiter) and room for RL_MAX_ENTRIES_DEFAULT
 * windows. With cfg->enabled false it allocates no table and every rl_hit
 * allows without counting. Needs cry_init() first (the bucket-hash key is
 * random per process). `*out` is owned: free with rl_free. Returns SE_OK.
 */
enum err rl_new(const struct cfg_ratelimit *cfg, struct rl **out)
    __attribute__((warn_unused_result));
/* Same with an explicit bound (tests); max_entries >= 1. */
enum err rl_new_bounded(const struct cfg_ratelimit *cfg, size_t max_entries, struct rl **out)
    __attribute__((warn_unused_result));
/* Accepts NULL. */
void rl_free(struct rl *rl);

/*
 * Bucket and resource of a delta request. `revolt_path` is the decoded path
 * after the "/api" prefix ("/users/@me"); one leading "0.8" segment is
 * skipped, like delta's fairing does. Empty segments are ignored (Rocket's
 * segments are the non-empty ones), so "//users" is "/users". Pure; never
 * reads past revolt_path.n; any input gives a valid result.
 */
void rl_classify(enum http_method m, struct str revolt_path, struct rl_key_parts *out);
/*
 * Same for the file server: `autumn_path` is the path after "/autumn".
 * POST with exactly one segment ("/attachments") is RL_B_UPLOAD with the tag
 * as resource; everything else is RL_B_UNLIMITED.
 */
void rl_classify_autumn(enum http_method m, struct str autumn_path, struct rl_key_parts *out);

/*
 * True when a request for `path` (the decoded request path) is counted by
 * the Revolt limiter: "/api" and "/api/...". The fediverse URL space
 * (inboxes, actors, objects, WebFinger, NodeInfo) is not: remote servers
 * share addresses and must not land in Revolt's per-IP "any" bucket
 * (docs/federation.md). Autumn counts its own (rl_classify_autumn). Pure.
 */
bool rl_path_counted(struct str path);

/* "user_edit", ...; "any" for RL_B_UNLIMITED and out-of-range values. */
const char *rl_bucket_name(enum rl_bucket b);
/* The configured limit of `b`; UINT32_MAX for RL_B_UNLIMITED. */
uint32_t rl_limit(const struct rl *rl, enum rl_bucket b);

/*
 * Count one request of `identifier` (borrowed; session id or client
 * address, may be empty) against `parts` at `now_ms` (a monotonic clock in
 * milliseconds; the same clock for every call). The window of a key starts
 * with its first counted request and lasts cfg->window_ms. A denied request
 * is not counted. `rl` may be NULL (same as disabled). Fills `*out` always.
 * Returns SE_OK (the table being full is not an error: it fails open).
 */
enum err rl_hit(struct rl *rl, struct str identifier, const struct rl_key_parts *parts,
                int64_t now_ms, struct rl_result *out) __attribute__((warn_unused_result));

/* A snapshot of the counters; locks each shard in turn. */
void rl_stats(struct rl *rl, struct rl_stats *out);

/*
 * Append X-RateLimit-Limit, -Bucket, -Remaining and -Reset-After (ms) to
 * `resp`; nothing when !r->enforced. Call it for every response, the 429
 * included.
 */
void rl_headers(const struct rl_result *r, struct http_resp *resp);
/* Status 429 with body {"retry_after": <ms>} (application/json). */
void rl_deny(const struct rl_result *r, struct http_resp *resp);

#endif /* SOL_HTTP_RATELIMIT_H */
