/*
 * tools/bench/bench_search.c: msg_search_query latency (p50/p99) over
 * BENCH_MESSAGES messages in one channel, seeded straight through the store
 * in batches, next to a baseline measured in the same run: one exact
 * index lookup (store_index_find) of one posting. Queries: a common word,
 * a rare word, two common words (AND), a common and a rare word, and two
 * words that never meet. Seeding 1 M messages takes ~30-60 s.
 * Usage: bench_search [messages]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jx.h"
#include "messages/message.h"
#include "messages/search.h"
#include "storage/store.h"

#define BENCH_MESSAGES 1000000
#define BATCH 20000
#define VOCAB 2000
#define WORDS_PER_MSG 6
#define RUNS 200
#define CH "01HBENCHCHANNEL00000000000"

static const struct store_index_def idx[] = {{MSG_IDX_SEARCH, false, msg_search_extract, NULL}};
static const struct store_coll_def colls[] = {{MSG_COLL, idx, 1}};
static const struct store_schema schema = {colls, 1};

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* xorshift, reseeded per message */
static unsigned long long rng = 88172645463325252ull;

static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A skewed word pick: low numbers are common (roughly Zipf-like). */
static unsigned word(void)
{
	unsigned long long r = next() % VOCAB;

	return (unsigned)((r * r) / VOCAB);
}

struct seed {
	size_t from, to;
};

static enum err seed_fn(struct store_wtxn *w, void *arg)
{
	struct seed *s = arg;

	for (size_t i = s->from; i < s->to; i++) {
		char id[27], rec[512];
		int n;
		enum err rc;

		/* content depends on i only: the callback may run again */
		rng = (i + 1) * 0x9E3779B97F4A7C15ull;
		snprintf(id, sizeof(id), "01HM%022zu", i);
		n = snprintf(rec, sizeof(rec),
		             "{\"_id\":\"%s\",\"channel\":\"" CH "\",\"content\":\"", id);
		for (int k = 0; k < WORDS_PER_MSG; k++)
			n += snprintf(rec + n, sizeof(rec) - (size_t)n, "w%u ", word());
		/* every 10000th message carries a rare word */
		if (i % 10000 == 0)
			n += snprintf(rec + n, sizeof(rec) - (size_t)n, "rareword ");
		snprintf(rec + n, sizeof(rec) - (size_t)n, "\"}");
		rc = store_put(w, MSG_COLL, str_from(id), str_from(rec));
		if (rc)
			return rc;
	}
	return SE_OK;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, long *ns, size_t n, size_t hits)
{
	qsort(ns, n, sizeof(*ns), cmp_long);
	printf("%-34s p50 %8.1f us  p99 %8.1f us  hits %zu\n", name, ns[n / 2] / 1000.0,
	       ns[n * 99 / 100] / 1000.0, hits);
}

static void run_query(struct store *s, const char *q, enum msg_search_sort sort)
{
	static struct msg_search_result r;
	struct msg_search_opts o = {str_from(q), STR_NULL, STR_NULL, sort, 50};
	long ns[RUNS];
	char name[64];

	for (int i = 0; i < RUNS; i++) {
		struct store_txn *txn;
		long t0 = now_ns();

		if (store_read_begin(s, &txn) || msg_search_query(txn, STR_LIT(CH), &o, &r))
			exit(1);
		store_read_end(txn);
		ns[i] = now_ns() - t0;
	}
	snprintf(name, sizeof(name), "search '%s'%s", q, r.partial ? " (partial)" : "");
	report(name, ns, RUNS, r.n);
}

static void run_baseline(struct store *s)
{
	long ns[RUNS];
	struct str ids[1];
	size_t n = 0;

	for (int i = 0; i < RUNS; i++) {
		struct store_txn *txn;
		long t0 = now_ns();

		if (store_read_begin(s, &txn) ||
		    store_index_find(txn, MSG_COLL, MSG_IDX_SEARCH,
		                     STR_LIT(CH "/rareword/01HM0000000000000000000000"), ids, 1, &n,
		                     NULL))
			exit(1);
		store_read_end(txn);
		ns[i] = now_ns() - t0;
	}
	report("baseline: one index lookup", ns, RUNS, n);
}

int main(int argc, char **argv)
{
	size_t total = argc > 1 ? strtoul(argv[1], NULL, 10) : BENCH_MESSAGES;
	struct store_opts o = {.map_size = (size_t)2 << 30, .no_sync = true};
	char dir[64] = "/tmp/sol-bench-search-XXXXXX", p[128];
	struct store *s;
	long t0;

	jx_init();
	if (!mkdtemp(dir) || store_open(dir, &schema, &o, &s, NULL))
		return 1;
	t0 = now_ns();
	for (size_t from = 0; from < total; from += BATCH) {
		struct seed sd = {from, from + BATCH < total ? from + BATCH : total};

		if (store_write(s, seed_fn, &sd, NULL)) {
			fprintf(stderr, "seeding failed at %zu\n", from);
			return 1;
		}
	}
	printf("seeded %zu messages (%d words each) in %.1f s\n", total, WORDS_PER_MSG,
	       (now_ns() - t0) / 1e9);
	run_baseline(s);
	run_query(s, "w0", MSG_SEARCH_LATEST);
	run_query(s, "rareword", MSG_SEARCH_LATEST);
	run_query(s, "w0 w1", MSG_SEARCH_LATEST);
	run_query(s, "w0 w1", MSG_SEARCH_OLDEST);
	run_query(s, "w3 rareword", MSG_SEARCH_LATEST);
	run_query(s, "w1899 w1901", MSG_SEARCH_LATEST);
	store_close(s);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}
