/*
 * federation/hosts.h: what delivery knows about each remote host.
 *
 * Owns: the collection "ap_hosts" (id = host[:port], lower case; record
 * {host, days: [UTC day numbers of failed attempts since the last success],
 * unavailable, unavailable_since (ms), scheme: "cavage"|"rfc9421"|null,
 * created}) and the day counting that marks a host unavailable; the
 * in-memory table of per-host transfers in flight and circuit breakers.
 * Does not own: deciding what a response means (federation/deliver.h),
 * domain blocks (federation/policy.h).
 * Threads: the record functions are pure or run in the caller's
 * transaction; struct fhosts has its own lock (any thread).
 */
#ifndef SOL_FEDERATION_HOSTS_H
#define SOL_FEDERATION_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct buf;

#define FHOST_COLL "ap_hosts"
/* index of ap_hosts: key = host, for listing */
#define FHOST_IDX_ALL "all"
/* bytes of host[:port], NUL included */
#define FHOST_HOST_MAX 264
/* distinct failing days kept per host (the config allows up to 365) */
#define FHOST_DAYS_MAX 366
/* consecutive failures that open a host's breaker */
#define FHOST_BREAKER_FAILS 10
/* how long an open breaker stays open before one probe (doubling to the cap) */
#define FHOST_BREAKER_OPEN_MS (60 * 1000)
#define FHOST_BREAKER_OPEN_MAX_MS (15 * 60 * 1000)
/* hosts kept in memory (idle ones are evicted beyond this) */
#define FHOST_MEM_MAX 65536
#define FHOST_DAY_MS (24LL * 3600 * 1000)

extern const struct store_index_def fhost_indexes[1];
#define FHOST_COLL_DEF                                                                             \
	{                                                                                          \
		FHOST_COLL, fhost_indexes, 1                                                       \
	}

enum fhost_scheme {
	FHOST_SCHEME_UNKNOWN = 0,
	FHOST_SCHEME_CAVAGE,
	FHOST_SCHEME_RFC9421,
};

/* The persistent state of one host (a value type). */
struct fhost_rec {
	char host[FHOST_HOST_MAX];
	unsigned n_days;
	int32_t days[FHOST_DAYS_MAX]; /* ascending, distinct */
	bool unavailable;
	int64_t unavailable_since; /* ms, 0 when available */
	enum fhost_scheme scheme;
	int64_t created; /* ms */
};

/* ---- the record (pure) ---- */

/* A fresh record for `host` (cut to FHOST_HOST_MAX - 1). */
void fhost_rec_init(struct fhost_rec *r, struct str host, int64_t now_ms);

/*
 * A failed attempt at `now_ms`: records its UTC day (once per day; the
 * oldest days drop out beyond FHOST_DAYS_MAX) and marks the host
 * unavailable once `unavailable_days` distinct days are recorded.
 * Returns true if the record changed (it needs saving).
 */
bool fhost_rec_failed(struct fhost_rec *r, int64_t now_ms, unsigned unavailable_days);
/* A success (or an inbound signed activity): forget the days and the mark. True if changed. */
bool fhost_rec_cleared(struct fhost_rec *r);

/*
 * JSON record <-> struct. Parse is strict about types and bounds (days
 * outside 0..2^31, too many days, a host that does not fit: SE_PARSE).
 * Pure; fuzzed through tests/fuzz/fuzz_hosts.c.
 */
enum err fhost_rec_parse(struct str json, struct fhost_rec *out)
    __attribute__((warn_unused_result));
enum err fhost_rec_render(const struct fhost_rec *r, struct buf *out)
    __attribute__((warn_unused_result));

const char *fhost_scheme_name(enum fhost_scheme s); /* "cavage", "rfc9421" or NULL */

/* ---- the record in the store ---- */

/* Loads `host`'s record; SE_NOT_FOUND (out initialised fresh), SE_PARSE, store errors. */
enum err fhost_load(struct store_txn *t, struct str host, int64_t now_ms, struct fhost_rec *out)
    __attribute__((warn_unused_result));
enum err fhost_save(struct store_wtxn *w, const struct fhost_rec *r)
    __attribute__((warn_unused_result));

/* ---- circuit breaker (pure value type) ---- */

struct fhost_breaker {
	unsigned fails;     /* consecutive failures */
	int64_t open_until; /* ms; 0 when closed */
	int64_t open_ms;    /* length of the current/last open period */
	bool probing;       /* half-open: one transfer in flight */
};

enum fhost_gate {
	FHOST_GO,   /* send now */
	FHOST_WAIT, /* per-host limit reached: wait for a slot */
	FHOST_OPEN, /* breaker open (or probe in flight): defer until `until` */
};

/* May a transfer start at `now`? GO in half-open state marks the probe. */
enum fhost_gate fhost_breaker_gate(struct fhost_breaker *b, int64_t now_ms, int64_t *until);
/* The result of a transfer that counts for the breaker (ok: 2xx or a permanent 4xx). */
void fhost_breaker_result(struct fhost_breaker *b, bool ok, int64_t now_ms);

/* ---- the in-memory table ---- */

struct fhosts;

/* A snapshot of a host's memory state for the admin API. */
struct fhost_mem {
	unsigned inflight;
	struct fhost_breaker breaker;
};

/* `per_host`: transfers allowed in flight per host. Returns SE_OK or SE_NOMEM. */
enum err fhosts_new(unsigned per_host, struct fhosts **out) __attribute__((warn_unused_result));
void fhosts_free(struct fhosts *h);

/*
 * Takes a transfer slot for `host` (GO), or says why not (WAIT, OPEN with
 * `*until`). Every GO must be followed by one fhosts_release.
 */
enum fhost_gate fhosts_acquire(struct fhosts *h, const char *host, int64_t now_ms, int64_t *until);
/*
 * Gives the slot back. `counts`: the outcome counts for the breaker, with
 * `ok` saying which way. Returns true if some caller got WAIT for this host
 * since (wake the workers).
 */
bool fhosts_release(struct fhosts *h, const char *host, bool counts, bool ok, int64_t now_ms);
/* Snapshot; false if the host is not in memory. */
bool fhosts_get(struct fhosts *h, const char *host, struct fhost_mem *out);
/* Closes the breaker of `host` (admin reset). */
void fhosts_reset(struct fhosts *h, const char *host);
/* Calls fn for each host in memory (under the lock: fn must not call back). */
typedef void fhosts_each_fn(const char *host, const struct fhost_mem *m, void *arg);
void fhosts_each(struct fhosts *h, fhosts_each_fn *fn, void *arg);

#endif /* SOL_FEDERATION_HOSTS_H */
