/*
 * tools/bench/bench_csync.c: FEP-8fcf costs on a real store (one thread).
 * A local user with N remote followers spread over H hosts (default 10,000
 * over 100): the per-host digest table a delivery batch builds once per
 * activity (fcsync_table_build: one walk of the followers), one host's
 * digest (fcsync_followers_digest, the walk `?domain=` also makes), the
 * header parser (fcsync_parse) and the digest step (fcsync_digest_add).
 *
 * usage: bench_csync [N] [H]
 * Output: one line per measurement, then the machine-readable
 *   "csync followers=N hosts=H table_ms=.. one_host_ms=.. parse_per_s=.. add_per_s=.." line.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "app.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "storage/store.h"
#include "users/user.h"

#define LOCAL_ID "01HAAAAAAAAAAAAAAAAAAAAAAA"
/* followers written per store write */
#define BATCH 1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fill {
	size_t from, to, hosts;
};

static enum err fill_fn(struct store_wtxn *w, void *arg)
{
	const struct fill *fl = arg;
	enum err rc = SE_OK;

	for (size_t i = fl->from; !rc && i < fl->to; i++) {
		char id[32], name[128], host[64], ap[160];
		json_t *rec;
		char *text;

		/* a fixed-width id that sorts like a ULID */
		snprintf(id, sizeof(id), "01HB%022zu", i);
		snprintf(host, sizeof(host), "h%zu.example", i % fl->hosts);
		snprintf(name, sizeof(name), "u%zu@%s", i, host);
		snprintf(ap, sizeof(ap), "https://%s/users/u%zu", host, i);
		rec = user_record_new(str_from(id), str_from(name), "0001");
		if (!rec)
			return SE_NOMEM;
		json_object_set_new(rec, "ap",
		                    json_pack("{s:s, s:s, s:s, s:s}", "id", ap, "inbox", ap,
		                              "shared_inbox", ap, "host", host));
		text = jx_dump(rec);
		json_decref(rec);
		rc = text ? store_create(w, USER_COLL, str_from(id), str_from(text)) : SE_NOMEM;
		mem_free(text);
		if (!rc)
			rc = ffollow_add(w, str_from(id), STR_LIT(LOCAL_ID), STR_NULL,
			                 FFOLLOW_ACCEPTED, 1000, NULL);
	}
	return rc;
}

static enum err local_fn(struct store_wtxn *w, void *arg)
{
	json_t *rec = user_record_new(STR_LIT(LOCAL_ID), STR_LIT("lucy"), "0001");
	char *text = rec ? jx_dump(rec) : NULL;
	enum err rc =
	    text ? store_create(w, USER_COLL, STR_LIT(LOCAL_ID), str_from(text)) : SE_NOMEM;

	(void)arg;
	json_decref(rec);
	mem_free(text);
	return rc;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
	size_t hosts = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100;
	char dir[] = "/tmp/sol-bench-csync-XXXXXX", cmd[128];
	struct store_opts o = {.no_sync = true};
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct cfg cfg;
	struct fed f;
	double t0, table_ms = 1e9, one_ms = 1e9, parse_rate, add_rate;
	struct fcsync_digest d;
	int rounds = 0;

	if (!n || !hosts || !mkdtemp(dir))
		return 1;
	cfg_init(&cfg);
	if (store_open(dir, api_schema(), &o, &s, NULL) || store_write(s, local_fn, NULL, NULL))
		return 1;
	for (size_t i = 0; i < n; i += BATCH) {
		struct fill fl = {i, i + BATCH < n ? i + BATCH : n, hosts};

		if (store_write(s, fill_fn, &fl, NULL))
			return 1;
	}
	memset(&f, 0, sizeof(f));
	f.cfg = &cfg;
	f.store = s;
	f.base = xstrdup("https://local.example");
	f.host = xstrdup("local.example");
	/* best of three */
	for (rounds = 0; rounds < 3; rounds++) {
		struct fcsync_table *tab = NULL;
		double ms;

		if (store_read_begin(s, &t))
			return 1;
		t0 = now_s();
		if (fcsync_table_build(&f, t, STR_LIT(LOCAL_ID), &tab))
			return 1;
		ms = (now_s() - t0) * 1000;
		table_ms = ms < table_ms ? ms : table_ms;
		fcsync_table_get(tab, STR_LIT("h1.example"), &d);
		if (d.n != n / hosts + (1 < n % hosts))
			fprintf(stderr, "unexpected count %zu\n", d.n);
		fcsync_table_free(tab);
		t0 = now_s();
		if (fcsync_followers_digest(&f, t, STR_LIT(LOCAL_ID), STR_LIT("h1.example"), &d))
			return 1;
		ms = (now_s() - t0) * 1000;
		one_ms = ms < one_ms ? ms : one_ms;
		store_read_end(t);
	}
	printf("table of %zu followers over %zu hosts: %.1f ms\n", n, hosts, table_ms);
	printf("one host's digest (the ?domain= walk): %.1f ms\n", one_ms);
	{
		static const char hdr[] =
		    "collectionId=\"https://mastodon.example/users/alice/followers\", "
		    "url=\"https://mastodon.example/users/alice/followers_synchronization\", "
		    "digest=\"d15c776f2ed7ae88e108b93a31638286b9ca8a90c618968515dd4238db68ec38\"";
		struct fcsync_hdr h;
		size_t k = 0;

		t0 = now_s();
		while (now_s() - t0 < 1.0)
			for (int i = 0; i < 1000; i++, k++)
				if (fcsync_parse(STR_LIT(hdr), &h))
					return 1;
		parse_rate = (double)k / (now_s() - t0);
		printf("header parses: %.0f/s\n", parse_rate);
		k = 0;
		memset(&d, 0, sizeof(d));
		t0 = now_s();
		while (now_s() - t0 < 1.0)
			for (int i = 0; i < 1000; i++, k++)
				fcsync_digest_add(&d,
				                  STR_LIT("https://mastodon.example/users/alice"));
		add_rate = (double)k / (now_s() - t0);
		printf("digest steps: %.0f/s\n", add_rate);
	}
	printf("csync followers=%zu hosts=%zu table_ms=%.1f one_host_ms=%.1f parse_per_s=%.0f "
	       "add_per_s=%.0f\n",
	       n, hosts, table_ms, one_ms, parse_rate, add_rate);
	store_close(s);
	mem_free(f.base);
	mem_free(f.host);
	cfg_release(&cfg);
	snprintf(cmd, sizeof(cmd), "%s/data.mdb", dir);
	remove(cmd);
	snprintf(cmd, sizeof(cmd), "%s/lock.mdb", dir);
	remove(cmd);
	remove(dir);
	return 0;
}
