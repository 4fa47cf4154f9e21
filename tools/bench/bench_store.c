/*
 * tools/bench/bench_store.c: durable acknowledged write rate of store_write
 * from 1 writer and from 64 concurrent writers, with p50/p99 latency.
 * Each phase runs for a fixed time; the whole run stops within ~10 s.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/ulid.h"
#include "storage/store.h"

#define PHASE_MS 4000
#define MAX_THREADS 64
#define MAX_SAMPLES 400000

static enum err ex_chan(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	struct store_key k;
	struct ulid u;
	enum err rc;

	(void)arg;
	rc = ulid_parse(id, &u, NULL);
	if (!rc)
		rc = store_key_compose((struct str){rec.p, ULID_LEN}, &u, &k);
	if (!rc)
		rc = store_keys_add(out, (struct str){k.b, k.n});
	return rc;
}

static const struct store_index_def idx[] = {{"chan", false, ex_chan, NULL}};
static const struct store_coll_def colls[] = {{"msgs", idx, 1}};
static const struct store_schema schema = {colls, 1};

struct phase {
	struct store *s;
	long deadline_ns;
	pthread_mutex_t mu;
	long *lat; /* ns per acknowledged write */
	size_t n_lat;
	unsigned long fails;
};

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

struct msg {
	char id[ULID_LEN + 1];
	char rec[160];
};

static enum err put_cb(struct store_wtxn *w, void *arg)
{
	struct msg *m = arg;

	return store_create(w, "msgs", str_from(m->id), str_from(m->rec));
}

static void *writer(void *p)
{
	struct phase *ph = p;
	struct msg m;
	struct ulid u;

	while (now_ns() < ph->deadline_ns) {
		long t0 = now_ns(), dt;
		enum err rc;

		if (ulid_generate(NULL, &u) != SE_OK)
			break;
		ulid_encode(&u, m.id);
		snprintf(m.rec, sizeof(m.rec),
		         "01BENCHCHANNEL0000000000000{\"_id\":\"%s\",\"content\":\"hello\"}", m.id);
		rc = store_write(ph->s, put_cb, &m, NULL);
		dt = now_ns() - t0;
		pthread_mutex_lock(&ph->mu);
		if (rc)
			ph->fails++;
		else if (ph->n_lat < MAX_SAMPLES)
			ph->lat[ph->n_lat++] = dt;
		pthread_mutex_unlock(&ph->mu);
	}
	return NULL;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static double run_phase(struct store *s, int threads)
{
	struct phase ph = {s, 0, PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};
	pthread_t th[MAX_THREADS];
	long start = now_ns();
	double secs, rate;

	ph.lat = xcalloc(MAX_SAMPLES, sizeof(long));
	ph.deadline_ns = start + PHASE_MS * 1000000L;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, writer, &ph);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	secs = (double)(now_ns() - start) / 1e9;
	rate = (double)ph.n_lat / secs;
	qsort(ph.lat, ph.n_lat, sizeof(long), cmp_long);
	printf("writers=%-3d acked=%-7zu failed=%lu rate=%.0f/s p50=%.3fms p99=%.3fms\n", threads,
	       ph.n_lat, ph.fails, rate, ph.n_lat ? ph.lat[ph.n_lat / 2] / 1e6 : 0.0,
	       ph.n_lat ? ph.lat[ph.n_lat * 99 / 100] / 1e6 : 0.0);
	mem_free(ph.lat);
	return rate;
}

int main(void)
{
	char dir[] = "/tmp/sol-bench-XXXXXX", p[128];
	struct store_stats st;
	struct store *s;
	struct err_info ei = ERR_INFO_INIT;
	double r1, r64;

	if (!mkdtemp(dir) || store_open(dir, &schema, NULL, &s, &ei) != SE_OK) {
		fprintf(stderr, "bench_store: cannot open store in '%s': %s\n", dir, ei.detail);
		return 1;
	}
	printf("bench_store: durable store_write (fsync per commit), %s\n", dir);
	r1 = run_phase(s, 1);
	r64 = run_phase(s, 64);
	store_stats_get(s, &st);
	printf("ratio 64/1 = %.1fx; commits=%llu writes=%llu (%.1f writes/commit) map=%zu\n",
	       r1 > 0 ? r64 / r1 : 0.0, (unsigned long long)st.commits,
	       (unsigned long long)st.writes,
	       st.commits ? (double)st.writes / (double)st.commits : 0.0, st.map_size);
	store_close(s);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	remove(p);
	remove(dir);
	return r64 >= 10000 ? 0 : 2;
}
