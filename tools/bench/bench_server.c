/*
 * tools/bench/bench_server.c: the store side of GET /servers/{id} for a
 * server with 500 members and 50 roles (a member holding 5 roles, 10
 * channels with role overrides, ?include_channels=true), p50/p99 per call;
 * next to it, a full scan-and-load of the 500 member records, which is what
 * GET /servers/{id}/members costs before rendering users. In process, on a
 * temporary store; the HTTP layer is measured by tools/bench/run.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "channels/channel.h"
#include "core/jx.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "servers/server_state.h"

#define MEMBERS 500
#define ROLES 50
#define CHANNELS 10
#define ITER 2000

#define SID "01J0SERVER0000000000000000"

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void uid(int i, char out[32])
{
	snprintf(out, 32, "01J0USER%018d", i);
}

static void rid(int i, char out[32])
{
	snprintf(out, 32, "01J0ROLE%018d", i);
}

static enum err seed_fn(struct store_wtxn *w, void *arg)
{
	json_t *roles = json_object(), *chans = json_array(), *server;
	char id[32], key[64];
	size_t n;
	enum err rc = SE_OK;

	(void)arg;
	for (int i = 0; i < ROLES; i++) {
		rid(i, id);
		json_object_set_new(roles, id,
		                    json_pack("{s:s,s:{s:I,s:I},s:I}", "name", "role",
		                              "permissions", "a", (json_int_t)(1ull << (i % 30)),
		                              "d", (json_int_t)0, "rank", (json_int_t)i));
	}
	for (int c = 0; !rc && c < CHANNELS; c++) {
		json_t *rp = json_object(), *ch;

		snprintf(id, sizeof(id), "01J0CHAN%018d", c);
		json_array_append_new(chans, json_string(id));
		for (int i = 0; i < 5; i++) {
			char r[32];

			rid(i * 7, r);
			json_object_set_new(rp, r,
			                    json_pack("{s:i,s:i}", "a", 0, "d", 1 << (20 + c % 2)));
		}
		ch = json_pack("{s:s,s:s,s:s,s:s,s:o}", "channel_type", "TextChannel", "_id", id,
		               "server", SID, "name", "chan", "role_permissions", rp);
		rc = server_rec_write(w, CHANNEL_COLL, str_from(id), ch, true);
		json_decref(ch);
	}
	uid(0, id);
	server = json_pack("{s:s,s:s,s:s,s:o,s:o,s:I}", "_id", SID, "owner", id, "name", "bench",
	                   "channels", chans, "roles", roles, "default_permissions",
	                   (json_int_t)PERM_DEFAULT_SERVER);
	if (!rc)
		rc = server_rec_write(w, SERVER_COLL, str_from(SID), server, true);
	json_decref(server);
	for (int i = 0; !rc && i < MEMBERS; i++) {
		json_t *m, *mr = json_array();

		uid(i, id);
		for (int k = 0; k < 5; k++) {
			char r[32];

			rid((i + k * 11) % ROLES, r);
			json_array_append_new(mr, json_string(r));
		}
		m = json_pack("{s:{s:s,s:s},s:s,s:o}", "_id", "server", SID, "user", id,
		              "joined_at", "2025-09-23T12:00:00.000Z", "roles", mr);
		rc = server_member_key(str_from(SID), str_from(id), key, &n);
		if (!rc)
			rc = server_rec_write(w, MEMBER_COLL, (struct str){key, n}, m, true);
		json_decref(m);
	}
	return rc;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, long *ns, int n)
{
	qsort(ns, (size_t)n, sizeof(*ns), cmp_long);
	printf("bench_server: %-44s p50 %7.1f us  p99 %7.1f us  (%d calls)\n", what,
	       ns[n / 2] / 1000.0, ns[n * 99 / 100] / 1000.0, n);
}

/* GET /servers/{id}?include_channels=true for member `who`, rendered. */
static size_t fetch_once(struct store *s, const char *who)
{
	struct server_state st = SERVER_STATE_INIT;
	struct store_txn *txn = NULL;
	json_t *out, *chans;
	const json_t *id;
	size_t i, len = 0;
	char *text;

	if (store_read_begin(s, &txn))
		return 0;
	if (!server_state_load(txn, str_from(SID), who, 0, &st)) {
		out = json_deep_copy(st.server);
		chans = json_array();
		json_array_foreach(json_object_get(st.server, "channels"), i, id)
		{
			json_t *ch = NULL;

			if (channel_load(txn, str_from(json_string_value(id)), &ch))
				continue;
			if (server_state_channel_perms(&st, ch) & PERM_VIEW_CHANNEL)
				json_array_append(chans, ch);
			json_decref(ch);
		}
		json_object_set_new(out, "channels", chans);
		text = jx_dump(out);
		len = text ? strlen(text) : 0;
		mem_free(text);
		json_decref(out);
	}
	store_read_end(txn);
	server_state_release(&st);
	return len;
}

/* Scan the server's members and parse each record (the member list's store cost). */
static size_t members_once(struct store *s)
{
	static struct store_hit hits[MEMBERS + 1];
	struct store_range r = {STR_LIT(SID "/"), STR_NULL, STR_NULL, STORE_ASC};
	struct store_txn *txn = NULL;
	size_t n = 0, total = 0;

	if (store_read_begin(s, &txn))
		return 0;
	if (!store_index_scan(txn, MEMBER_COLL, MEMBER_IDX_SERVER, &r, hits, MEMBERS + 1, &n))
		for (size_t i = 0; i < n; i++) {
			struct str rec;
			json_t *m;

			if (store_get(txn, MEMBER_COLL, hits[i].id, &rec))
				continue;
			m = json_loadb(rec.p, rec.n, 0, NULL);
			total += json_object_size(m);
			json_decref(m);
		}
	store_read_end(txn);
	return total;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

int main(void)
{
	char dir[] = "/tmp/solstice-bench-server-XXXXXX", who[32];
	struct store_opts opts = {0};
	struct err_info ei = ERR_INFO_INIT;
	struct store *s = NULL;
	static long ns[ITER];
	size_t sink = 0;

	jx_init();
	opts.no_sync = true;
	if (!mkdtemp(dir) || store_open(dir, api_schema(), &opts, &s, &ei) ||
	    store_write(s, seed_fn, NULL, &ei)) {
		fprintf(stderr, "bench_server: cannot seed the store: %s\n", ei.detail);
		return 1;
	}
	uid(MEMBERS / 2, who);
	for (int i = 0; i < ITER; i++) {
		long t = now_ns();

		sink += fetch_once(s, who);
		ns[i] = now_ns() - t;
	}
	report("GET /servers/{id}?include_channels (member)", ns, ITER);
	uid(0, who);
	for (int i = 0; i < ITER; i++) {
		long t = now_ns();

		sink += fetch_once(s, who);
		ns[i] = now_ns() - t;
	}
	report("GET /servers/{id}?include_channels (owner)", ns, ITER);
	for (int i = 0; i < ITER / 10; i++) {
		long t = now_ns();

		sink += members_once(s);
		ns[i] = now_ns() - t;
	}
	report("member list store scan (500 records)", ns, ITER / 10);
	store_close(s);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return sink == 0;
}
