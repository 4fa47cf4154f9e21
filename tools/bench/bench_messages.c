/*
 * tools/bench/bench_messages.c: messages on a store on disk (temp dir).
 * (1) msg_insert (message + 5 indexes + the channel's last_message_id)
 *     from 16 writers for a fixed time, next to a bare store_create of a
 *     record of the same size in an index-less collection, in the same run:
 *     writes/s and p50/p99 latency.
 * (2) 1,000,000 short messages in one channel, seeded with batched store writes,
 *     then history pages (Latest before a random id, Oldest after one,
 *     nearby) at limit 50 and 100: p50/p99.
 * The whole run stays well under 60 s.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channels/channel.h"
#include "channels/sync.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "messages/history.h"
#include "messages/message.h"
#include "storage/store.h"

#define PHASE_MS 2000
#define WRITERS 16
#define MAX_SAMPLES 400000
#define SEED_N 1000000
#define SEED_BATCH 2000
#define QUERIES 2000
#define CHAN "01HBENCHCHANNE10000000000A"
#define CHAN2 "01HBENCHCHANNE10000000000B"
#define CONTENT "The quick brown fox jumps over the lazy dog, again and again."

static const struct store_coll_def colls[] = {
    CHANNEL_COLL_DEF,
    MSG_COLL_DEF,
    SYNC_COLL_DEFS,
    {"bare", NULL, 0},
};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static char *message_text(const char *id, const char *channel, const char *content)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:s}", "_id", id, "nonce", id, "channel", channel,
	                      "author", "01HBENCHAUTH0R000000000000", "content", content);
	char *t = jx_dump(m);

	json_decref(m);
	return t;
}

struct phase {
	struct store *s;
	bool bare;
	long deadline;
	pthread_mutex_t mu;
	long *lat;
	size_t n;
	unsigned long fails;
};

struct one {
	bool bare;
	const char *id;
	const char *text;
	json_t *msg;
};

static enum err one_fn(struct store_wtxn *w, void *arg)
{
	struct one *o = arg;

	if (o->bare)
		return store_create(w, "bare", str_from(o->id), str_from(o->text));
	return msg_insert(w, o->msg);
}

static void *writer(void *arg)
{
	struct phase *ph = arg;

	while (now_ns() < ph->deadline) {
		struct ulid u;
		char id[ULID_LEN + 1];
		struct one o = {ph->bare, id, NULL, NULL};
		long t0;
		enum err rc;

		if (ulid_generate(NULL, &u))
			break;
		ulid_encode(&u, id);
		o.text = message_text(id, CHAN2, CONTENT);
		o.msg = json_loads(o.text, 0, NULL);
		t0 = now_ns();
		rc = store_write(ph->s, one_fn, &o, NULL);
		t0 = now_ns() - t0;
		pthread_mutex_lock(&ph->mu);
		if (rc)
			ph->fails++;
		else if (ph->n < MAX_SAMPLES)
			ph->lat[ph->n++] = t0;
		pthread_mutex_unlock(&ph->mu);
		json_decref(o.msg);
		mem_free((void *)o.text);
	}
	return NULL;
}

static void run_insert(struct store *s, bool bare)
{
	struct phase ph = {s,
	                   bare,
	                   now_ns() + PHASE_MS * 1000000L,
	                   PTHREAD_MUTEX_INITIALIZER,
	                   xcalloc(MAX_SAMPLES, sizeof(long)),
	                   0,
	                   0};
	pthread_t th[WRITERS];

	for (int i = 0; i < WRITERS; i++)
		pthread_create(&th[i], NULL, writer, &ph);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	qsort(ph.lat, ph.n, sizeof(long), cmp_long);
	printf("%-28s %8.0f writes/s  p50 %6.2f ms  p99 %6.2f ms  (%zu ok, %lu failed)\n",
	       bare ? "bare store_create" : "msg_insert (5 idx + chan)",
	       (double)ph.n / (PHASE_MS / 1000.0), ph.n ? ph.lat[ph.n / 2] / 1e6 : 0,
	       ph.n ? ph.lat[ph.n * 99 / 100] / 1e6 : 0, ph.n, ph.fails);
	mem_free(ph.lat);
}

struct seed {
	size_t from, n;
	uint64_t base_ms;
	char (*ids)[ULID_LEN + 1];
};

static enum err seed_fn(struct store_wtxn *w, void *arg)
{
	struct seed *sd = arg;
	enum err rc = SE_OK;

	for (size_t i = sd->from; !rc && i < sd->from + sd->n; i++) {
		char *t = message_text(sd->ids[i], CHAN, "seeded");

		rc = t ? store_create(w, MSG_COLL, str_from(sd->ids[i]), str_from(t)) : SE_NOMEM;
		mem_free(t);
	}
	return rc;
}

static enum err put_channels(struct store_wtxn *w, void *arg)
{
	static const char *const ids[] = {CHAN, CHAN2};
	enum err rc = SE_OK;

	(void)arg;
	for (int i = 0; i < 2 && !rc; i++) {
		char rec[256];

		snprintf(rec, sizeof(rec),
		         "{\"channel_type\":\"TextChannel\",\"_id\":\"%s\",\"server\":"
		         "\"01HBENCHSERVER000000000000\",\"name\":\"bench\"}",
		         ids[i]);
		rc = store_put(w, CHANNEL_COLL, str_from(ids[i]), str_from(rec));
	}
	return rc;
}

static void query_phase(struct store *s, char (*ids)[ULID_LEN + 1], const char *what, size_t limit,
                        int mode)
{
	long *lat = xcalloc(QUERIES, sizeof(long));
	size_t got = 0;
	uint64_t x = 88172645463325252ull;

	for (int q = 0; q < QUERIES; q++) {
		struct msg_query mq;
		struct store_txn *txn = NULL;
		json_t *arr = NULL;
		size_t at;
		long t0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		at = (size_t)(x % SEED_N);
		t0 = now_ns();

		memset(&mq, 0, sizeof(mq));
		mq.channel_id = str_from(CHAN);
		mq.limit = limit;
		if (mode == 0)
			mq.before = str_from(ids[at]);
		else if (mode == 1) {
			mq.after = str_from(ids[at]);
			mq.oldest = true;
		} else {
			mq.nearby = str_from(ids[at]);
		}
		if (store_read_begin(s, &txn) || msg_history(txn, &mq, &arr)) {
			fprintf(stderr, "bench_messages: query failed\n");
			exit(1);
		}
		store_read_end(txn);
		got += json_array_size(arr);
		json_decref(arr);
		lat[q] = now_ns() - t0;
	}
	qsort(lat, QUERIES, sizeof(long), cmp_long);
	printf("history %-9s limit %3zu  p50 %6.3f ms  p99 %6.3f ms  (%.1f msgs/page)\n", what,
	       limit, lat[QUERIES / 2] / 1e6, lat[QUERIES * 99 / 100] / 1e6, (double)got / QUERIES);
	mem_free(lat);
}

int main(void)
{
	char dir[] = "/tmp/sol-bench-msg-XXXXXX", path[128];
	char(*ids)[ULID_LEN + 1] = xcalloc(SEED_N, sizeof(*ids));
	struct store *s = NULL;
	struct store_opts o = {.map_size = (size_t)4 << 30};
	struct err_info ei = ERR_INFO_INIT;
	uint64_t base = 1700000000000ull;
	long t0;

	jx_init();
	if (!mkdtemp(dir) || store_open(dir, &schema, &o, &s, &ei) ||
	    store_write(s, put_channels, NULL, NULL)) {
		fprintf(stderr, "bench_messages: cannot open a store in %s: %s\n", dir, ei.detail);
		return 1;
	}
	printf("store on disk in %s, %d writers, %d ms per phase\n", dir, WRITERS, PHASE_MS);
	run_insert(s, true);
	run_insert(s, false);
	t0 = now_ns();
	for (size_t i = 0; i < SEED_N; i++) {
		struct ulid u;

		if (ulid_generate_at(NULL, base + i, &u))
			return 1;
		ulid_encode(&u, ids[i]);
	}
	for (size_t i = 0; i < SEED_N; i += SEED_BATCH) {
		struct seed sd = {i, SEED_BATCH, base, ids};

		if (store_write(s, seed_fn, &sd, &ei)) {
			fprintf(stderr, "bench_messages: seeding failed: %s\n", ei.detail);
			return 1;
		}
	}
	printf("seeded %d messages in one channel in %.1f s\n", SEED_N, (now_ns() - t0) / 1e9);
	query_phase(s, ids, "before", 50, 0);
	query_phase(s, ids, "before", 100, 0);
	query_phase(s, ids, "after", 50, 1);
	query_phase(s, ids, "nearby", 50, 2);
	store_close(s);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
	mem_free(ids);
	return 0;
}
