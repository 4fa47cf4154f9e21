/*
 * federation/deliver.h: persistent, signed delivery of our activities to
 * remote inboxes (docs/internals/federation-delivery.md).
 *
 * Owns: the queue "ap_delivery" (one item per activity and target inbox),
 * the collections "ap_activities" (one stored copy of each activity body)
 * and "ap_deliveries" (per-inbox status), the worker threads (libcurl
 * multi, bounded in flight and per host), signing right before each send,
 * the retry schedule, the admin API and the dev-only enqueue route.
 * Does not own: rendering activities (federation/outbox.h), keys
 * (federation/keys.h), the signature format (federation/httpsig.h), the
 * per-host state (federation/hosts.h), the SSRF guard (core/fetch.h).
 * Threads: fdel_enqueue runs inside any caller's store write; the rest from
 * any thread between fdel_start and fdel_stop.
 */
#ifndef SOL_FEDERATION_DELIVER_H
#define SOL_FEDERATION_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct fed;
struct route;
struct queue_def;

/* inboxes one fdel_enqueue may target (after de-duplication) */
#define FDEL_INBOXES_MAX 100000
/* bytes of one activity body */
#define FDEL_BODY_MAX (512u << 10)
/* bytes of an inbox URL or an activity id */
#define FDEL_URL_MAX 2048
/* bytes of a signer id (a user ULID or "instance") */
#define FDEL_SIGNER_MAX 64
/* attempts of one delivery (the first send and 15 retries, ~2.1 days) */
#define FDEL_ATTEMPTS 16
/* largest delay a Retry-After may ask for */
#define FDEL_RETRY_AFTER_CAP_MS (6LL * 3600 * 1000)

/* finished activities (no inbox left queued) are forgotten after this */
#define FDEL_RETAIN_MS (7LL * 24 * 3600 * 1000)

#define FDEL_ACT_COLL "ap_activities"
#define FDEL_STATUS_COLL "ap_deliveries"
/* index of ap_activities: key "<sha-256 hex of the AP id>" */
#define FDEL_ACT_IDX_APID "apid"
/* index of ap_activities: key = record id (ULID), for listing by time */
#define FDEL_ACT_IDX_ALL "all"
/* index of ap_deliveries: key = "<activity key>.<n>" (the id), by activity */
#define FDEL_STATUS_IDX_ACT "act"

extern const struct store_index_def fdel_act_indexes[2];
extern const struct store_index_def fdel_status_indexes[1];
/* The collections for the schema (src/api/routes.c collections[]). */
#define FDEL_COLL_DEFS                                                                             \
	{FDEL_ACT_COLL, fdel_act_indexes, 2},                                                      \
	{                                                                                          \
		FDEL_STATUS_COLL, fdel_status_indexes, 1                                           \
	}

/* The persistent queue (storage/queue.h). */
extern const struct queue_def fdel_queue;

/* ---- lifecycle ---- */

/*
 * Creates f->del and starts cfg federation.delivery_workers threads. Called
 * by fed_start after the key ring. Returns SE_OK, SE_IO (thread or curl),
 * SE_NOMEM.
 */
enum err fdel_start(struct fed *f, struct err_info *ei) __attribute__((warn_unused_result));
/* Stops the workers (unfinished transfers stay leased, see the doc) and frees f->del. */
void fdel_stop(struct fed *f);

/* ---- enqueue ---- */

/*
 * Persists `activity_json` once (ap_activities) and one queue item plus one
 * status record per distinct inbox URL (identical URLs, e.g. a shared inbox
 * named by many followers, get one POST). Signed later as `signer` (a local
 * user id or "instance"). Runs inside the caller's write `w`. `key_out`
 * (may be NULL, 27 bytes) receives the delivery key (a ULID) the admin API
 * shows. Returns SE_OK, SE_INVAL (empty id/signer, no inbox, an inbox that
 * is not an absolute http(s) URL), SE_TOO_LARGE (body, URL or inbox count
 * over the limits above), store errors.
 */
enum err fdel_enqueue(struct store_wtxn *w, struct str activity_json, struct str activity_id,
                      struct str signer, const struct str *inboxes, size_t n_inboxes,
                      int64_t now_ms) __attribute__((warn_unused_result));
enum err fdel_enqueue_key(struct store_wtxn *w, struct str activity_json, struct str activity_id,
                          struct str signer, const struct str *inboxes, size_t n_inboxes,
                          int64_t now_ms, char key_out[27]) __attribute__((warn_unused_result));

/* Convenience: fdel_enqueue in its own store_write, then wakes the workers. */
enum err fdel_enqueue_one(struct fed *f, struct str activity_json, struct str activity_id,
                          struct str signer, const struct str *inboxes, size_t n,
                          struct err_info *ei) __attribute__((warn_unused_result));

/* The same, giving the delivery key (27 bytes) the admin API shows. */
enum err fdel_enqueue_one_key(struct fed *f, struct str activity_json, struct str activity_id,
                              struct str signer, const struct str *inboxes, size_t n,
                              char key_out[27], struct err_info *ei)
    __attribute__((warn_unused_result));

/* Wakes idle workers (after a caller's write that called fdel_enqueue). Any thread. */
void fdel_kick(struct fed *f);

/* An inbound signed activity from `host` (host[:port]) clears its unavailable mark. */
void fdel_host_seen(struct fed *f, struct str host);

/* ---- pure helpers (unit-tested, fuzzed) ---- */

enum fdel_outcome {
	FDEL_OK,        /* 2xx: delivered */
	FDEL_RESIGN,    /* 400/401 after the first scheme: sign with the other one, once */
	FDEL_RETRY,     /* 401/408/429/5xx/network: retry later, counts against the host */
	FDEL_PERMANENT, /* other 4xx (and 3xx): give up, not the host's fault */
};
/* status 0 means a network error. `resigned`: this was already the second scheme. */
enum fdel_outcome fdel_classify(long status, bool resigned);

/*
 * Delay before retry number `n` (1 = after the first failure), in ms:
 * (n^4 + 15 + r * (n + 1)) * unit_ms, r in [0, 30) from `rnd` (Mastodon's
 * schedule; unit_ms = 1000 spans ~2.1 days over FDEL_ATTEMPTS).
 */
int64_t fdel_backoff_ms(unsigned n, int64_t unit_ms, uint32_t rnd);

/*
 * Retry-After value (delta-seconds or an HTTP-date: IMF-fixdate, RFC 850,
 * asctime) -> delay in ms from `now_ms` (0 for a date in the past), capped
 * at FDEL_RETRY_AFTER_CAP_MS. Pure. Returns false for junk. Fuzzed by
 * tests/fuzz/fuzz_retry_after.c.
 */
bool fdel_parse_retry_after(struct str v, int64_t now_ms, int64_t *delay_ms);

/* ---- routes ---- */

/*
 * GET /admin/api/federation/deliveries, .../deliveries/{activity},
 * GET /admin/api/federation/hosts, POST .../hosts/{host}/reset (a session
 * of a privileged user), and POST /_dev/federation/deliver (--dev only).
 */
const struct route *api_fed_admin_table(size_t *n);

#endif /* SOL_FEDERATION_DELIVER_H */
