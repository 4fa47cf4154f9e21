/*
 * tests/support/fed_pair.c: the federation integration tests' daemon
 * fixture and polls (see fed_pair.h).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/support/fed_pair.h"

void fpair_nap(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

struct td *fpair_start(const char *software)
{
	static const char *const args[] = {"--dev", NULL};
	struct td *d;

	if (software)
		setenv("SOLSTICE_TEST_NODEINFO_NAME", software, 1);
	d = tc_start(args, FPAIR_START_MS);
	if (software)
		unsetenv("SOLSTICE_TEST_NODEINFO_NAME");
	return d;
}

int fpair_stop(struct td *const *d, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = d[i] ? td_stop(d[i], FPAIR_STOP_MS, false) : 0;

		if (rc != 0) {
			fprintf(stderr, "daemon %zu exit status: %d\n", i, rc);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

void fpair_handle(struct td *d, const struct tc_user *u, char *out, size_t n)
{
	json_t *me = tc_ok(d, "GET", "/api/users/@me", u->token, NULL, 200);

	snprintf(out, n, "%s_%s@127.0.0.1:%d", tc_sget(me, "username"),
	         tc_sget(me, "discriminator"), td_http_port(d));
	json_decref(me);
}

void fpair_relation(struct td *d, const char *token, const char *other, char out[32], char who[32])
{
	json_t *me = tc_ok(d, "GET", "/api/users/@me", token, NULL, 200), *r;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(me, "relations"), i, r)
	{
		const char *id = tc_sval(r, "_id") ? tc_sval(r, "_id") : "";

		if (!other || !strcmp(id, other)) {
			snprintf(out, 32, "%s", tc_sval(r, "status") ? tc_sval(r, "status") : "");
			if (who)
				snprintf(who, 32, "%s", id);
			break;
		}
	}
	json_decref(me);
}

void fpair_wait_relation(struct td *d, const char *token, const char *other, const char *want,
                         char who[32])
{
	char got[32] = "";
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	while (tc_now_ms() < end) {
		fpair_relation(d, token, other, got, who);
		if (!strcmp(got, want))
			return;
		fpair_nap();
	}
	fail_msg("relation toward %s: '%s', want '%s'", other ? other : "anyone", got, want);
}

void fpair_befriend(struct td *a, const struct tc_user *ua, struct td *b, const struct tc_user *ub,
                    const char *hb, char b_on_a[32], char a_on_b[32])
{
	char body[512], path[256];
	json_t *v;

	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", hb);
	v = tc_ok(a, "POST", "/api/users/friend", ua->token, body, 200);
	snprintf(b_on_a, 32, "%s", tc_sget(v, "_id"));
	json_decref(v);
	fpair_wait_relation(b, ub->token, NULL, "Incoming", a_on_b);
	snprintf(path, sizeof(path), "/api/users/%s/friend", a_on_b);
	json_decref(tc_ok(b, "PUT", path, ub->token, "{}", 200));
	fpair_wait_relation(a, ua->token, b_on_a, "Friend", NULL);
	fpair_wait_relation(b, ub->token, a_on_b, "Friend", NULL);
}

void fpair_find_dm(struct td *d, const char *token, const char *other, char out[32])
{
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	while (tc_now_ms() < end) {
		json_t *dms = tc_ok(d, "GET", "/api/users/dms", token, NULL, 200), *c, *r;
		size_t i, k;

		json_array_foreach(dms, i, c)
		{
			json_array_foreach(json_object_get(c, "recipients"), k, r)
			{
				if (json_is_string(r) && !strcmp(json_string_value(r), other)) {
					snprintf(out, 32, "%s", tc_sget(c, "_id"));
					json_decref(dms);
					return;
				}
			}
		}
		json_decref(dms);
		fpair_nap();
	}
	fail_msg("no DM with %s", other);
}

void fpair_wait_content(struct td *d, const char *token, const char *cid, const char *content)
{
	char path[128];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=50", cid);
	while (tc_now_ms() < end) {
		json_t *list = tc_ok(d, "GET", path, token, NULL, 200), *m;
		size_t i;

		json_array_foreach(list, i, m)
		{
			if (tc_sval(m, "content") && !strcmp(tc_sval(m, "content"), content)) {
				json_decref(list);
				return;
			}
		}
		json_decref(list);
		fpair_nap();
	}
	fail_msg("'%s' never reached channel %s", content, cid);
}

int fpair_open(struct fpair *p)
{
	p->a = fpair_start(NULL);
	p->b = fpair_start(NULL);
	if (!p->a || !p->b)
		return -1;
	tc_user_make(p->a, "alice", &p->alice);
	tc_user_make(p->b, "bob", &p->bob);
	fpair_handle(p->b, &p->bob, p->bob_handle, sizeof(p->bob_handle));
	return 0;
}

int fpair_close(struct fpair *p)
{
	struct td *d[2] = {p->a, p->b};

	p->a = p->b = NULL;
	return fpair_stop(d, 2);
}

void fpair_friends(struct fpair *p)
{
	fpair_befriend(p->a, &p->alice, p->b, &p->bob, p->bob_handle, p->bob_on_a, p->alice_on_b);
}
