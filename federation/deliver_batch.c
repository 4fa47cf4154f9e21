/*
 * federation/deliver_batch.c: the delivery workers' two store writes: claiming
 * a batch of due items (settling those that need no transfer) and recording
 * a batch of outcomes (queue ack / retry / defer, per-inbox status, per-host
 * failing days and signature scheme), each one transaction.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/buf.h"
#include "core/mem.h"
#include "federation/csync.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/fed.h"
#include "federation/keys.h"
#include "federation/policy.h"

/* host records one batch write keeps loaded */
#define HOST_CACHE 32

void fdel_job_free(struct fdel_job *j)
{
	if (!j)
		return;
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	mem_free(j->inbox);
	mem_free(j->body);
	mem_free(j->csync);
	mem_free(j);
}

void fdel_jobs_free(struct fdel_job *j)
{
	while (j) {
		struct fdel_job *nx = j->next;

		fdel_job_free(j);
		j = nx;
	}
}

/* ---- host records within one write ---- */

struct hcache {
	size_t n;
	struct {
		struct fhost_rec r;
		bool dirty;
	} e[HOST_CACHE];
};

/* The host record of `host` in `hc` (loaded, or created when missing), or NULL on errors. */
static struct fhost_rec *hc_get(struct store_wtxn *w, struct hcache *hc, const char *host,
                                int64_t now, enum err *rc)
{
	size_t i;

	*rc = SE_OK;
	for (i = 0; i < hc->n; i++)
		if (strcmp(hc->e[i].r.host, host) == 0)
			return &hc->e[i].r;
	if (hc->n == HOST_CACHE) {
		/* full: write the dirty ones out and start over */
		for (i = 0; i < hc->n; i++)
			if (hc->e[i].dirty && (*rc = fhost_save(w, &hc->e[i].r)))
				return NULL;
		hc->n = 0;
	}
	i = hc->n;
	*rc = fhost_load(store_wtxn_read(w), str_from(host), now, &hc->e[i].r);
	hc->e[i].dirty = *rc == SE_NOT_FOUND || *rc == SE_PARSE;
	if (*rc && !hc->e[i].dirty)
		return NULL;
	*rc = SE_OK;
	hc->n++;
	return &hc->e[i].r;
}

static void hc_dirty(struct hcache *hc, const struct fhost_rec *r)
{
	for (size_t i = 0; i < hc->n; i++)
		if (&hc->e[i].r == r)
			hc->e[i].dirty = true;
}

static enum err hc_flush(struct store_wtxn *w, struct hcache *hc)
{
	enum err rc = SE_OK;

	for (size_t i = 0; !rc && i < hc->n; i++)
		if (hc->e[i].dirty)
			rc = fhost_save(w, &hc->e[i].r);
	return rc;
}

/* ---- claiming ---- */

struct claim_arg {
	struct fdel *d;
	int64_t now;
	size_t max;
	struct fdel_job *jobs; /* output (re-built when the write re-runs) */
	size_t n;
	struct hcache *hc;
	char last_act[ULID_LEN + 1];
	char *last_body; /* owned copy of the last activity body */
	size_t last_body_n;
	/* FEP-8fcf: per-host follower digests of the activity tab_act, when
	 * it is addressed to its signer's followers (tab_yes) */
	char tab_act[ULID_LEN + 1];
	bool tab_yes;
	struct fcsync_table *tab;
};

/* The activity body of `act` into a->last_body (cached across the batch). */
static enum err load_body(struct store_wtxn *w, struct claim_arg *a, const char *act)
{
	json_t *o = NULL;
	const json_t *b;
	struct str rec;
	enum err rc;

	if (a->last_body && strcmp(a->last_act, act) == 0)
		return SE_OK;
	rc = store_get(store_wtxn_read(w), FDEL_ACT_COLL, str_from(act), &rec);
	if (rc)
		return rc;
	rc = jx_parse_object(rec, FDEL_BODY_MAX * 2 + 8192, &o, NULL);
	if (rc)
		return rc;
	b = json_object_get(o, "body");
	if (!json_is_string(b)) {
		json_decref(o);
		return SE_PARSE;
	}
	mem_free(a->last_body);
	a->last_body = mem_try_alloc(json_string_length(b) + 1);
	if (a->last_body) {
		a->last_body_n = json_string_length(b);
		memcpy(a->last_body, json_string_value(b), a->last_body_n + 1);
		memcpy(a->last_act, act, ULID_LEN + 1);
	}
	json_decref(o);
	return a->last_body ? SE_OK : SE_NOMEM;
}

/*
 * FEP-8fcf: the Collection-Synchronization value of job `j` (a delivery of
 * an activity addressed to its signer's followers), computed now from the
 * follows, per target host. Nothing for the instance actor or other
 * activities.
 */
static enum err csync_for(struct store_txn *t, struct claim_arg *a, struct fdel_job *j)
{
	const struct fed *f = a->d->f;
	struct buf b = BUF_INIT(FCSYNC_HEADER_MAX);
	enum err rc = SE_OK;

	if (strcmp(j->signer, FKEYS_INSTANCE) == 0)
		return SE_OK;
	if (!a->tab_act[0] || strcmp(a->tab_act, j->act) != 0) {
		char fol[FDEL_URL_MAX];

		fcsync_table_free(a->tab);
		a->tab = NULL;
		a->tab_act[0] = '\0';
		snprintf(fol, sizeof(fol), "%s/users/%s/followers", f->base, j->signer);
		a->tab_yes = fcsync_addressed_to((struct str){j->body, j->body_n}, fol);
		if (a->tab_yes)
			rc = fcsync_table_build(f, t, str_from(j->signer), &a->tab);
		if (rc)
			return rc;
		memcpy(a->tab_act, j->act, sizeof(a->tab_act));
	}
	if (!a->tab_yes)
		return SE_OK;
	if (fcsync_table_header(a->tab, f, str_from(j->signer), str_from(j->url.hostport), &b)) {
		buf_release(&b); /* a host we cannot write into the header: send without */
		return SE_OK;
	}
	j->csync = buf_take(&b, NULL);
	buf_release(&b);
	return j->csync ? SE_OK : SE_NOMEM;
}

/* Settles a claimed item without a transfer: ack it and set its status. */
static enum err settle(struct store_wtxn *w, const struct fdel *d, const struct queue_item *it,
                       struct str did, const char *state, const char *why, int64_t now)
{
	enum err rc = queue_ack(w, &d->q, it->id, it->token);

	if (!rc && did.n) {
		rc = fdel_status_set(w, did, state, it->attempts, 0, str_from(why), now);
		if (rc == SE_NOT_FOUND)
			rc = SE_OK;
	}
	return rc;
}

static enum err claim_cb(struct store_wtxn *w, void *arg)
{
	struct claim_arg *a = arg;
	struct fdel *d = a->d;
	struct store_txn *t = store_wtxn_read(w);
	struct fdel_job *tail = NULL;
	enum err rc = SE_OK;

	fdel_jobs_free(a->jobs);
	a->jobs = NULL;
	a->n = 0;
	a->hc->n = 0;
	fcsync_table_free(a->tab);
	a->tab = NULL;
	a->tab_act[0] = '\0';
	for (size_t i = 0; i < a->max; i++) {
		struct queue_item it;
		struct fdel_item fi;
		struct fhost_rec *hr;
		struct fdel_job *j;

		rc = queue_claim(w, &d->q, a->now, d->lease_ms, &it);
		if (rc == SE_NOT_FOUND) {
			rc = SE_OK;
			break;
		}
		if (rc)
			break;
		if (fdel_item_decode(it.payload, &fi)) {
			log_warn("deliver: dropping malformed queue item '%s'", it.id);
			rc = queue_ack(w, &d->q, it.id, it.token);
			if (rc)
				break;
			continue;
		}
		j = mem_try_alloc(sizeof(*j));
		if (!j) {
			rc = SE_NOMEM;
			break;
		}
		memset(j, 0, sizeof(*j));
		memcpy(j->qid, it.id, sizeof(j->qid));
		j->token = it.token;
		j->attempts = it.attempts;
		j->lease_end = a->now + d->lease_ms;
		memcpy(j->did, fi.did.p, fi.did.n);
		memcpy(j->act, fi.act.p, ULID_LEN);
		memcpy(j->signer, fi.signer.p, fi.signer.n);
		j->inbox = mem_try_alloc(fi.inbox.n + 1);
		if (!j->inbox) {
			fdel_job_free(j);
			rc = SE_NOMEM;
			break;
		}
		memcpy(j->inbox, fi.inbox.p, fi.inbox.n);
		j->inbox[fi.inbox.n] = '\0';
		if (fetch_url_parse(j->inbox, &j->url, NULL)) {
			rc = settle(w, d, &it, str_from(j->did), FDEL_ST_FAILED, "bad inbox URL",
			            a->now);
			fdel_job_free(j);
			if (rc)
				break;
			continue;
		}
		if (!policy_allows_host(t, str_from(j->url.hostport))) {
			rc = settle(w, d, &it, str_from(j->did), FDEL_ST_BLOCKED, "domain blocked",
			            a->now);
			fdel_job_free(j);
			if (rc)
				break;
			continue;
		}
		hr = hc_get(w, a->hc, j->url.hostport, a->now, &rc);
		if (!hr) {
			fdel_job_free(j);
			break;
		}
		if (hr->unavailable) {
			rc = settle(w, d, &it, str_from(j->did), FDEL_ST_SKIPPED,
			            "host unavailable", a->now);
			fdel_job_free(j);
			if (rc)
				break;
			continue;
		}
		j->scheme = hr->scheme ? hr->scheme : d->sign_first;
		rc = load_body(w, a, j->act);
		if (rc == SE_NOT_FOUND || rc == SE_PARSE) {
			rc = settle(w, d, &it, str_from(j->did), FDEL_ST_FAILED, "activity gone",
			            a->now);
			fdel_job_free(j);
			if (rc)
				break;
			continue;
		}
		if (!rc) {
			j->body = mem_try_alloc(a->last_body_n + 1);
			rc = j->body ? SE_OK : SE_NOMEM;
		}
		if (rc) {
			fdel_job_free(j);
			break;
		}
		memcpy(j->body, a->last_body, a->last_body_n + 1);
		j->body_n = a->last_body_n;
		rc = csync_for(t, a, j);
		if (rc) {
			fdel_job_free(j);
			break;
		}
		if (tail)
			tail->next = j;
		else
			a->jobs = j;
		tail = j;
		a->n++;
	}
	if (!rc)
		rc = hc_flush(w, a->hc);
	return rc;
}

/* ---- recording outcomes ---- */

struct done_arg {
	struct fdel *d;
	struct fdel_job *jobs;
	int64_t now;
	struct hcache *hc;
};

static enum err record(struct store_wtxn *w, struct done_arg *a, struct fdel_job *j)
{
	struct fdel *d = a->d;
	struct fhost_rec *hr;
	enum err rc = SE_OK;
	bool dead = false;
	char msg[200];

	switch (j->kind) {
	case FDEL_J_DEFER:
		return queue_defer(w, &d->q, j->qid, j->token, j->due);
	case FDEL_J_DELIVERED:
	case FDEL_J_FAILED:
		rc = queue_ack(w, &d->q, j->qid, j->token);
		break;
	case FDEL_J_RETRY:
		rc = queue_retry_at(w, &d->q, j->qid, j->token, a->now,
		                    j->due > a->now ? j->due : a->now, str_from(j->err), &dead);
		break;
	}
	if (rc)
		return rc;
	if (dead)
		snprintf(msg, sizeof(msg), "gave up after %u attempts: %.150s", j->attempts,
		         j->err);
	else
		snprintf(msg, sizeof(msg), "%s", j->err);
	rc = fdel_status_set(w, str_from(j->did),
	                     j->kind == FDEL_J_DELIVERED        ? FDEL_ST_DELIVERED
	                     : j->kind == FDEL_J_FAILED || dead ? FDEL_ST_FAILED
	                                                        : FDEL_ST_QUEUED,
	                     j->attempts, j->status, str_from(msg), a->now);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	hr = hc_get(w, a->hc, j->url.hostport, a->now, &rc);
	if (!hr)
		return rc;
	if (j->kind == FDEL_J_DELIVERED) {
		bool ch = fhost_rec_cleared(hr);

		if (hr->scheme != j->scheme) {
			hr->scheme = j->scheme;
			ch = true;
		}
		if (ch)
			hc_dirty(a->hc, hr);
	} else if (j->kind == FDEL_J_RETRY) {
		if (fhost_rec_failed(hr, a->now, d->f->cfg->federation.unavailable_days)) {
			hc_dirty(a->hc, hr);
			if (hr->unavailable && hr->unavailable_since == a->now)
				log_warn("deliver: host '%s' failed on %u distinct days, marked "
				         "unavailable",
				         hr->host, hr->n_days);
		}
	}
	return SE_OK;
}

static enum err done_cb(struct store_wtxn *w, void *arg)
{
	struct done_arg *a = arg;
	enum err rc;

	a->hc->n = 0;
	for (struct fdel_job *j = a->jobs; j; j = j->next) {
		rc = record(w, a, j);
		/* SE_BUSY / SE_NOT_FOUND: the lease expired and the item moved on */
		if (rc && rc != SE_BUSY && rc != SE_NOT_FOUND)
			return rc;
	}
	return hc_flush(w, a->hc);
}

enum err fdel_batch_claim(struct fdel *d, int64_t now, size_t max, struct fdel_job **out, size_t *n,
                          struct err_info *ei)
{
	struct hcache *hc = mem_try_alloc(sizeof(*hc));
	struct claim_arg a = {d, now, max, NULL, 0, hc, "", NULL, 0, "", false, NULL};
	enum err rc;

	*out = NULL;
	*n = 0;
	if (!hc)
		return SE_RAISE(ei, SE_NOMEM);
	rc = store_write(d->f->store, claim_cb, &a, ei);
	mem_free(hc);
	mem_free(a.last_body);
	fcsync_table_free(a.tab);
	if (rc) {
		fdel_jobs_free(a.jobs);
		return rc;
	}
	*out = a.jobs;
	*n = a.n;
	return SE_OK;
}

enum err fdel_batch_record(struct fdel *d, struct fdel_job *jobs, int64_t now, struct err_info *ei)
{
	struct hcache *hc = mem_try_alloc(sizeof(*hc));
	struct done_arg a = {d, jobs, now, hc};
	enum err rc;

	if (!hc)
		return SE_RAISE(ei, SE_NOMEM);
	rc = store_write(d->f->store, done_cb, &a, ei);
	mem_free(hc);
	return rc;
}
