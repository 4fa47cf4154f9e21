/*
 * federation/deliver_int.h: what the delivery files share (deliver.c:
 * enqueue, status records, retention; deliver_parse.c: pure helpers;
 * deliver_worker.c: the curl multi workers; deliver_batch.c: their store
 * writes; deliver_admin.c: the admin and dev routes). Nothing outside
 * federation/deliver*.c (and their tests) includes this.
 */
#ifndef SOL_FEDERATION_DELIVER_INT_H
#define SOL_FEDERATION_DELIVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/fetch.h"
#include "core/str.h"
#include "core/ulid.h"
#include "federation/deliver.h"
#include "federation/hosts.h"
#include "storage/queue.h"
#include "storage/store.h"

struct fed;
struct fdel_worker;

/* delivery states of one inbox (ap_deliveries "state") */
#define FDEL_ST_QUEUED "queued"
#define FDEL_ST_DELIVERED "delivered"
#define FDEL_ST_FAILED "failed"
#define FDEL_ST_SKIPPED "skipped"
#define FDEL_ST_BLOCKED "blocked"

/* bytes of a status record id: "<ULID>.<8 hex>" */
#define FDEL_DID_MAX 40
/* response body bytes read (and thrown away) per delivery */
#define FDEL_RESP_MAX (64u << 10)
/* items one claim write takes at most */
#define FDEL_CLAIM_BATCH 256
/* bytes of an error kept in a status record */
#define FDEL_ERROR_MAX 200

struct fdel {
	struct fed *f;
	struct fhosts *hosts;
	struct queue_def q; /* fdel_queue, attempts possibly lowered by the test knob */
	int64_t unit_ms;    /* backoff unit: 1000 (seconds); test knob */
	int64_t lease_ms;   /* claim lease; longer than any transfer */
	int64_t start_ms;   /* a claimed item starts within this of its claim, or never */
	unsigned timeout_s;
	unsigned n_workers;
	unsigned inflight_per_worker;
	enum fhost_scheme sign_first;
	struct fetch_opts fopts;
	atomic_bool stop;
	struct fdel_worker **workers;
	pthread_t *threads;
	unsigned started;
};

/* A queue payload, decoded (slices borrow from the payload). */
struct fdel_item {
	struct str did;    /* ap_deliveries id */
	struct str act;    /* ap_activities id (the delivery key) */
	struct str inbox;  /* target URL */
	struct str signer; /* "instance" or a user id */
};

/* Decodes a queue payload. Pure. SE_PARSE for anything malformed. */
enum err fdel_item_decode(struct str payload, struct fdel_item *out);

/*
 * Updates status record `did`: state (NULL keeps it), attempts, HTTP code
 * (0: none), error (empty: clears), updated = now. SE_NOT_FOUND when gone.
 */
enum err fdel_status_set(struct store_wtxn *w, struct str did, const char *state, unsigned attempts,
                         long code, struct str error, int64_t now_ms)
    __attribute__((warn_unused_result));

/*
 * Deletes up to `max` activities created before `cutoff_ms` whose inboxes
 * are all final (no status "queued"), with their status records, in one
 * write. `*pruned` gets how many. Returns SE_OK or store errors.
 */
enum err fdel_prune(struct store *s, int64_t cutoff_ms, size_t max, size_t *pruned,
                    struct err_info *ei) __attribute__((warn_unused_result));

struct curl_slist;

/* What became of a claimed item (deliver_batch.c records it). */
enum fdel_job_kind {
	FDEL_J_DELIVERED,
	FDEL_J_FAILED, /* permanent: no retry */
	FDEL_J_RETRY,
	FDEL_J_DEFER, /* not tried (breaker open): back to the queue, no attempt counted */
};

struct fdel_job {
	struct fdel_job *next;
	struct fdel_job *anext, *aprev; /* the worker's list of transfers in flight */
	char qid[ULID_LEN + 1];
	uint64_t token;
	unsigned attempts;
	int64_t lease_end;
	char did[FDEL_DID_MAX];
	char act[ULID_LEN + 1];
	char signer[FDEL_SIGNER_MAX + 1];
	char *inbox; /* owned */
	char *body;  /* owned */
	char *csync; /* owned: FEP-8fcf Collection-Synchronization value, NULL if none */
	size_t body_n;
	struct fetch_url url;
	enum fhost_scheme scheme; /* the scheme of the current attempt */
	bool resigned;
	/* transfer */
	void *easy; /* CURL * */
	struct curl_slist *hdrs;
	struct fetch_guard guard;
	size_t resp_n;
	long status;
	bool has_ra;
	int64_t ra_ms;
	/* outcome */
	enum fdel_job_kind kind;
	int64_t due;
	char err[160];
};

/* Frees a job (and its curl handle); fdel_jobs_free a `next` list. Accept NULL. */
void fdel_job_free(struct fdel_job *j);
void fdel_jobs_free(struct fdel_job *j);

/*
 * One store write: claims up to `max` due items, settles those for blocked
 * or unavailable hosts or with a missing activity (ack + status), and
 * returns the rest as jobs (owned list, due order) with their bodies and
 * the host's remembered scheme. Returns SE_OK or store errors (nothing
 * claimed).
 */
enum err fdel_batch_claim(struct fdel *d, int64_t now, size_t max, struct fdel_job **out, size_t *n,
                          struct err_info *ei) __attribute__((warn_unused_result));

/*
 * One store write: the outcome of every job of `jobs` (ack / retry_at /
 * defer, status records, host days and scheme). Jobs whose lease was lost
 * are skipped. Returns SE_OK or store errors (then the leases expire).
 */
enum err fdel_batch_record(struct fdel *d, struct fdel_job *jobs, int64_t now, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Wall clock, ms. */
int64_t fdel_now_ms(void);

/* Workers: create/start/stop (deliver_worker.c). */
enum err fdel_workers_start(struct fdel *d, struct err_info *ei)
    __attribute__((warn_unused_result));
void fdel_workers_stop(struct fdel *d);
void fdel_workers_kick(struct fdel *d);

#endif /* SOL_FEDERATION_DELIVER_INT_H */
