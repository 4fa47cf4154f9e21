/*
 * federation/deliver_worker.c: the delivery workers. Each thread runs one
 * libcurl multi loop: it claims a batch of due items in one store write,
 * signs each request right before sending (Date must be fresh), keeps at
 * most delivery_per_host transfers per host across all workers, double-knocks
 * with the other signature scheme on 400/401, and records every finished
 * batch of transfers in one store write (the writes: deliver_batch.c).
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/csync.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/fed.h"
#include "federation/httpsig.h"
#include "federation/keys.h"

/* how long fdel_stop waits for transfers in flight */
#define STOP_WAIT_MS 3000
/* retention passes (worker 0): first after a minute, then hourly, PRUNE_BATCH at a time */
#define PRUNE_FIRST_MS (60 * 1000)
#define PRUNE_EVERY_MS (3600 * 1000)
#define PRUNE_BATCH 4
/* longest sleep of an idle worker (items enqueued in other modules' writes) */
#define IDLE_MS 500

struct fdel_worker {
	struct fdel *d;
	CURLM *multi;
	atomic_bool kicked;
	unsigned active;
	struct fdel_job *inflight; /* list through anext/aprev */
	size_t n_pending;
	struct fdel_job *pending; /* claimed, waiting for a slot */
	struct fdel_job *done;    /* finished, waiting for the batch write */
};

/* ---- transfers ---- */

static size_t body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct fdel_job *j = arg;

	(void)p;
	j->resp_n += size * n;
	return j->resp_n > FDEL_RESP_MAX ? 0 : size * n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct fdel_job *j = arg;
	struct str line = {p, size * n}, name;

	/* a new response (after 100 Continue): forget the old one's headers */
	if (str_has_prefix(line, STR_LIT("HTTP/")))
		j->has_ra = false;
	name = str_cut(&line, ':');
	if (line.p && str_eq_nocase(str_trim(name), STR_LIT("retry-after"))) {
		while (line.n && (line.p[line.n - 1] == '\n' || line.p[line.n - 1] == '\r'))
			line.n--;
		j->has_ra = fdel_parse_retry_after(line, fdel_now_ms(), &j->ra_ms);
	}
	return size * n;
}

static void key_id(const struct fdel *d, const char *signer, char *out, size_t n)
{
	if (strcmp(signer, FKEYS_INSTANCE) == 0)
		snprintf(out, n, "%s/actor#main-key", d->f->base);
	else
		snprintf(out, n, "%s/users/%s#main-key", d->f->base, signer);
}

/* Signs and adds `j` to the multi handle. On failure j->err says why. */
static enum err start(struct fdel_worker *wk, struct fdel_job *j)
{
	struct fdel *d = wk->d;
	static const char *const cover[] = {FCSYNC_HEADER};
	struct hsig_header hs[2] = {
	    {STR_LIT("content-type"), STR_LIT("application/activity+json")},
	    {STR_LIT(FCSYNC_HEADER), str_from(j->csync)},
	};
	struct hsig_request r = {
	    "POST", str_from(j->url.path), str_from(j->url.hostport), str_from(j->url.scheme),
	    hs,     j->csync ? 2 : 1,      {j->body, j->body_n},      true};
	struct hsig_out out = HSIG_OUT_INIT;
	struct err_info ei = {0};
	void *evp = NULL;
	char kid[FDEL_URL_MAX];
	enum err rc;

	key_id(d, j->signer, kid, sizeof(kid));
	rc = fkeys_private_rsa(d->f->keys, str_from(j->signer), &evp, &ei);
	if (!rc)
		rc = hsig_sign_cover(j->scheme == FHOST_SCHEME_RFC9421 ? HSIG_RFC9421 : HSIG_CAVAGE,
		                     &r, kid, evp, fdel_now_ms() / 1000, cover, j->csync ? 1 : 0,
		                     &out, &ei);
	EVP_PKEY_free(evp);
	if (rc) {
		snprintf(j->err, sizeof(j->err), "signing failed: %s %.100s", err_type(rc),
		         ei.detail);
		goto out;
	}
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	for (size_t i = 0; i < out.n; i++) {
		struct curl_slist *nl = curl_slist_append(j->hdrs, out.lines[i]);

		if (!nl) {
			rc = SE_NOMEM;
			goto out;
		}
		j->hdrs = nl;
	}
	{
		static const char *const extra[] = {
		    "Content-Type: application/activity+json",
		    "Accept: application/activity+json, application/ld+json", "Expect:"};

		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			struct curl_slist *nl = curl_slist_append(j->hdrs, extra[i]);

			if (!nl) {
				rc = SE_NOMEM;
				goto out;
			}
			j->hdrs = nl;
		}
	}
	if (j->csync) {
		/* FEP-8fcf, covered by the signature above (Mastodon ignores it otherwise) */
		struct buf line = BUF_INIT(FCSYNC_HEADER_MAX + 64);
		struct curl_slist *nl;

		buf_puts(&line, "Collection-Synchronization: ");
		buf_puts(&line, j->csync);
		nl = buf_err(&line) ? NULL : curl_slist_append(j->hdrs, buf_cstr(&line));
		buf_release(&line);
		if (!nl) {
			rc = SE_NOMEM;
			goto out;
		}
		j->hdrs = nl;
	}
	if (j->easy) {
		curl_easy_reset(j->easy);
	} else {
		j->easy = curl_easy_init();
		if (!j->easy) {
			rc = SE_NOMEM;
			goto out;
		}
	}
	j->guard.allow_private = d->fopts.allow_private;
	j->guard.last_error[0] = '\0';
	j->resp_n = 0;
	j->status = 0;
	j->has_ra = false;
	rc = fetch_easy_setup(j->easy, &d->fopts, &j->guard);
	if (rc || curl_easy_setopt(j->easy, CURLOPT_URL, j->inbox) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_n) !=
	        CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, body_cb) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, header_cb) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK) {
		rc = SE_INVAL;
		snprintf(j->err, sizeof(j->err), "curl setup failed");
		goto out;
	}
	if (curl_multi_add_handle(wk->multi, j->easy) != CURLM_OK) {
		rc = SE_IO;
		snprintf(j->err, sizeof(j->err), "curl multi refused the transfer");
		goto out;
	}
	wk->active++;
	j->aprev = NULL;
	j->anext = wk->inflight;
	if (wk->inflight)
		wk->inflight->aprev = j;
	wk->inflight = j;
out:
	hsig_out_release(&out);
	return rc;
}

static void push_done(struct fdel_worker *wk, struct fdel_job *j)
{
	j->next = wk->done;
	wk->done = j;
}

static int64_t jitter_ms(const struct fdel *d)
{
	return (int64_t)cry_random_below(30) * d->unit_ms;
}

/* A failed attempt: due per the schedule, or per Retry-After when later. */
static void set_retry(const struct fdel *d, struct fdel_job *j, int64_t now)
{
	int64_t delay = fdel_backoff_ms(j->attempts, d->unit_ms, cry_random_below(30));

	if (j->has_ra && j->ra_ms > delay)
		delay = j->ra_ms;
	j->kind = FDEL_J_RETRY;
	j->due = now + delay;
}

/* Starts what waits for a slot; settles what cannot start. */
static void start_pending(struct fdel_worker *wk, int64_t now)
{
	struct fdel *d = wk->d;
	struct fdel_job **pp = &wk->pending;

	while (*pp) {
		struct fdel_job *j = *pp;
		int64_t until = 0;
		enum fhost_gate g;

		if (now > j->lease_end - d->lease_ms + d->start_ms) {
			/* waited too long: let the lease expire rather than risk a double send */
			*pp = j->next;
			wk->n_pending--;
			log_info("deliver: leaving '%s' to its lease (host '%s' busy)", j->qid,
			         j->url.hostport);
			fdel_job_free(j);
			continue;
		}
		g = fhosts_acquire(d->hosts, j->url.hostport, now, &until);
		if (g == FHOST_WAIT) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		wk->n_pending--;
		if (g == FHOST_OPEN) {
			j->kind = FDEL_J_DEFER;
			j->due = until + jitter_ms(d);
			push_done(wk, j);
			continue;
		}
		if (start(wk, j)) {
			if (fhosts_release(d->hosts, j->url.hostport, false, false, now))
				fdel_workers_kick(d);
			set_retry(d, j, now);
			push_done(wk, j);
		}
	}
}

static void finished(struct fdel_worker *wk, struct fdel_job *j, CURLcode res, int64_t now)
{
	struct fdel *d = wk->d;
	enum fdel_outcome o;
	bool counts = true, ok = false;

	curl_multi_remove_handle(wk->multi, j->easy);
	wk->active--;
	if (j->aprev)
		j->aprev->anext = j->anext;
	else
		wk->inflight = j->anext;
	if (j->anext)
		j->anext->aprev = j->aprev;
	j->anext = j->aprev = NULL;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
	if (res != CURLE_OK && j->status == 0)
		snprintf(j->err, sizeof(j->err), "%s%s%s", curl_easy_strerror(res),
		         j->guard.last_error[0] ? ": " : "", j->guard.last_error);
	else
		snprintf(j->err, sizeof(j->err), "HTTP %ld", j->status);
	o = fdel_classify(res != CURLE_OK && j->status == 0 ? 0 : j->status, j->resigned);
	if (o == FDEL_RESIGN) {
		j->resigned = true;
		j->scheme =
		    j->scheme == FHOST_SCHEME_RFC9421 ? FHOST_SCHEME_CAVAGE : FHOST_SCHEME_RFC9421;
		log_debug("deliver: %s answered %ld, signing again with %s", j->url.hostport,
		          j->status, fhost_scheme_name(j->scheme));
		if (!start(wk, j))
			return; /* same slot, same attempt */
		o = FDEL_RETRY;
	}
	switch (o) {
	case FDEL_OK:
		ok = true;
		j->kind = FDEL_J_DELIVERED;
		j->err[0] = '\0';
		break;
	case FDEL_PERMANENT:
		/* the host answered: not its fault, and no use trying again */
		ok = true;
		j->kind = FDEL_J_FAILED;
		break;
	case FDEL_RESIGN:
	case FDEL_RETRY:
		set_retry(d, j, now);
		break;
	}
	if (fhosts_release(d->hosts, j->url.hostport, counts, ok, now))
		fdel_workers_kick(d);
	push_done(wk, j);
}

static void collect(struct fdel_worker *wk)
{
	CURLMsg *m;
	int left;
	int64_t now = fdel_now_ms();

	while ((m = curl_multi_info_read(wk->multi, &left))) {
		struct fdel_job *j = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j)
			finished(wk, j, m->data.result, now);
	}
}

static void flush(struct fdel_worker *wk)
{
	struct err_info ei = {0};
	enum err rc;

	rc = fdel_batch_record(wk->d, wk->done, fdel_now_ms(), &ei);
	if (rc == SE_NOMEM)
		return; /* try again next round */
	if (rc)
		log_error("deliver: recording outcomes failed: %s %s (leases will expire)",
		          err_type(rc), ei.detail);
	fdel_jobs_free(wk->done);
	wk->done = NULL;
}

/* ---- the loop ---- */

static size_t claim(struct fdel_worker *wk, int64_t now, size_t max)
{
	struct err_info ei = {0};
	struct fdel_job *jobs = NULL, *last, **pp;
	size_t n = 0;
	enum err rc;

	rc = fdel_batch_claim(wk->d, now, max, &jobs, &n, &ei);
	if (rc) {
		log_error("deliver: claiming failed: %s %s", err_type(rc), ei.detail);
		return 0;
	}
	if (!jobs)
		return 0;
	/* append in due order */
	for (last = jobs; last->next; last = last->next)
		;
	for (pp = &wk->pending; *pp; pp = &(*pp)->next)
		;
	*pp = jobs;
	wk->n_pending += n;
	return n;
}

/* Earliest due time of the queue (ms), or now + IDLE_MS when empty. */
static int64_t next_due(struct fdel *d, int64_t now)
{
	struct store_txn *t = NULL;
	int64_t due = now + IDLE_MS;

	if (store_read_begin(d->f->store, &t))
		return due;
	if (queue_next_due(t, &d->q, &due))
		due = now + IDLE_MS;
	store_read_end(t);
	return due;
}

static void shutdown_worker(struct fdel_worker *wk)
{
	int64_t end = fdel_now_ms() + STOP_WAIT_MS;
	struct fdel_job *j;

	/* not started: back to the queue now, no attempt counted */
	while ((j = wk->pending)) {
		wk->pending = j->next;
		j->kind = FDEL_J_DEFER;
		j->due = fdel_now_ms();
		push_done(wk, j);
	}
	wk->n_pending = 0;
	while (wk->active > 0 && fdel_now_ms() < end) {
		int running;

		curl_multi_poll(wk->multi, NULL, 0, 100, NULL);
		curl_multi_perform(wk->multi, &running);
		collect(wk);
	}
	if (wk->done)
		flush(wk);
}

static void *worker_main(void *p)
{
	struct fdel_worker *wk = p;
	struct fdel *d = wk->d;
	size_t cap = d->inflight_per_worker;
	int64_t next_claim = 0, next_prune = fdel_now_ms() + PRUNE_FIRST_MS;

	while (!atomic_load(&d->stop)) {
		int64_t now = fdel_now_ms(), wait;
		size_t busy = wk->active + wk->n_pending;
		int running;

		if (atomic_exchange(&wk->kicked, false))
			next_claim = 0;
		if (busy < 2 * cap && now >= next_claim) {
			int64_t due = next_due(d, now);

			if (due <= now) {
				size_t max = 2 * cap - busy;

				/* none claimed (another worker was faster, or an error): back off a
				 * little */
				if (claim(wk, now,
				          max < FDEL_CLAIM_BATCH ? max : FDEL_CLAIM_BATCH) > 0)
					next_claim = now;
				else
					next_claim = now + 50;
			} else {
				next_claim = due < now + IDLE_MS ? due : now + IDLE_MS;
			}
		}
		if (wk == d->workers[0] && now >= next_prune) {
			size_t pruned = 0;
			struct err_info ei = {0};

			/* one small write per pass; passes repeat while there is work */
			if (fdel_prune(d->f->store, now - FDEL_RETAIN_MS, PRUNE_BATCH, &pruned,
			               &ei))
				log_warn("deliver: pruning old activities failed: %s", ei.detail);
			next_prune = now + (pruned == PRUNE_BATCH ? 1000 : PRUNE_EVERY_MS);
		}
		start_pending(wk, now);
		if (wk->done)
			flush(wk);
		now = fdel_now_ms();
		if (wk->active + wk->n_pending >= 2 * cap)
			wait = IDLE_MS;
		else
			wait = next_claim > now ? next_claim - now : 0;
		if (wk->n_pending > 0 && wait > 100)
			wait = 100; /* slots free up in other workers too; they kick, this is a
			               bound */
		if (wait > 0 || wk->active > 0)
			curl_multi_poll(wk->multi, NULL, 0, (int)wait, NULL);
		curl_multi_perform(wk->multi, &running);
		collect(wk);
		if (wk->done)
			flush(wk);
	}
	shutdown_worker(wk);
	return NULL;
}

enum err fdel_workers_start(struct fdel *d, struct err_info *ei)
{
	d->workers = mem_try_alloc(d->n_workers * sizeof(*d->workers));
	d->threads = mem_try_alloc(d->n_workers * sizeof(*d->threads));
	if (!d->workers || !d->threads)
		return SE_RAISE(ei, SE_NOMEM);
	memset(d->workers, 0, d->n_workers * sizeof(*d->workers));
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct fdel_worker *wk = mem_try_alloc(sizeof(*wk));

		if (!wk)
			return SE_RAISE(ei, SE_NOMEM);
		memset(wk, 0, sizeof(*wk));
		wk->d = d;
		atomic_init(&wk->kicked, false);
		wk->multi = curl_multi_init();
		d->workers[i] = wk;
		if (!wk->multi)
			return SE_RAISEF(ei, SE_IO, "deliver: curl_multi_init failed");
		curl_multi_setopt(wk->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		                  (long)d->f->cfg->federation.delivery_per_host);
		if (pthread_create(&d->threads[i], NULL, worker_main, wk) != 0)
			return SE_RAISEF(ei, SE_IO, "deliver: cannot start worker thread");
		d->started++;
	}
	log_info("deliver: %u workers, %u in flight each, %u per host", d->n_workers,
	         d->inflight_per_worker, d->f->cfg->federation.delivery_per_host);
	return SE_OK;
}

void fdel_workers_kick(struct fdel *d)
{
	for (unsigned i = 0; i < d->started; i++) {
		atomic_store(&d->workers[i]->kicked, true);
		curl_multi_wakeup(d->workers[i]->multi);
	}
}

void fdel_workers_stop(struct fdel *d)
{
	atomic_store(&d->stop, true);
	fdel_workers_kick(d);
	for (unsigned i = 0; i < d->started; i++)
		pthread_join(d->threads[i], NULL);
	for (unsigned i = 0; d->workers && i < d->n_workers; i++) {
		struct fdel_worker *wk = d->workers[i];

		if (!wk)
			continue;
		/* transfers still in flight stay leased (docs/internals/federation-delivery.md) */
		fdel_jobs_free(wk->pending);
		fdel_jobs_free(wk->done);
		while (wk->inflight) {
			struct fdel_job *j = wk->inflight;

			wk->inflight = j->anext;
			curl_multi_remove_handle(wk->multi, j->easy);
			fdel_job_free(j);
		}
		if (wk->multi)
			curl_multi_cleanup(wk->multi);
		mem_free(wk);
	}
	mem_free(d->workers);
	mem_free(d->threads);
	d->workers = NULL;
	d->threads = NULL;
	d->started = 0;
}