/*
 * tests/integration/test_fed_react.c: the reaction style follows the peer's
 * software, end to end. Four solstice --dev daemons on loopback: A
 * (alice), B posing as Mastodon and C posing as Misskey through NodeInfo
 * ($SOLSTICE_TEST_NODEINFO_NAME, honoured under --dev only). alice befriends
 * bob (B), carl (C) and dora (D, plain Solstice), DMs each (which makes A
 * look the peer's software up) and reacts 😂 to her message: B gets a plain
 * Like (a favourite: bob sees 👍, not 😂), C gets Like{_misskey_reaction}
 * (carl sees 😂), D gets EmojiReact (dora sees 😂). Every wait is a bounded
 * poll.
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

#include "tests/support/api_client.h"
#include "core/err.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"

#define JOY "%F0%9F%98%82"
#define JOY_RAW "\xf0\x9f\x98\x82"
#define THUMBS_RAW "\xf0\x9f\x91\x8d"

struct peer {
	struct td *d;
	struct tc_user u;
	char handle[128];
	char on_a[32];     /* the peer user's id on A */
	char alice_id[32]; /* alice's id on the peer */
	char dm_a[32], dm_p[32];
};

struct fx {
	struct td *a;
	struct tc_user alice;
	struct peer p[3]; /* 0: "mastodon", 1: "misskey", 2: plain Solstice */
};

static int setup(void **state)
{
	static const char *const soft[3] = {"mastodon", "misskey", NULL};
	static const char *const names[3] = {"bob", "carl", "dora"};
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	f->a = fpair_start(NULL);
	if (!f->a)
		return -1;
	tc_user_make(f->a, "alice", &f->alice);
	for (int i = 0; i < 3; i++) {
		f->p[i].d = fpair_start(soft[i]);
		if (!f->p[i].d)
			return -1;
		tc_user_make(f->p[i].d, names[i], &f->p[i].u);
		fpair_handle(f->p[i].d, &f->p[i].u, f->p[i].handle, sizeof(f->p[i].handle));
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct td *d[4] = {f->a, f->p[0].d, f->p[1].d, f->p[2].d};

	free(f);
	return fpair_stop(d, 4);
}

/* The peer's copy of the DM (its channel and message id), polled. */
static void wait_dm(struct peer *p, char mid[32])
{
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	while (tc_now_ms() < end) {
		json_t *dms = tc_ok(p->d, "GET", "/api/users/dms", p->u.token, NULL, 200), *c;
		size_t i;

		json_array_foreach(dms, i, c)
		{
			char path[128];
			json_t *list;

			snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=5",
			         tc_sget(c, "_id"));
			list = tc_ok(p->d, "GET", path, p->u.token, NULL, 200);
			if (json_array_size(list) > 0) {
				snprintf(p->dm_p, sizeof(p->dm_p), "%s", tc_sget(c, "_id"));
				snprintf(mid, 32, "%s", tc_sget(json_array_get(list, 0), "_id"));
				json_decref(list);
				json_decref(dms);
				return;
			}
			json_decref(list);
		}
		json_decref(dms);
		fpair_nap();
	}
	fail_msg("the DM never reached %s", p->handle);
}

/* The reactions object of message `mid` in the peer's DM, once non-empty (owned). */
static json_t *wait_reactions(struct peer *p, const char *mid)
{
	char path[128];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s", p->dm_p, mid);
	while (tc_now_ms() < end) {
		json_t *m = tc_ok(p->d, "GET", path, p->u.token, NULL, 200);
		json_t *r = json_object_get(m, "reactions");

		if (json_object_size(r) > 0) {
			json_incref(r);
			json_decref(m);
			return r;
		}
		json_decref(m);
		fpair_nap();
	}
	fail_msg("no reaction reached %s", p->handle);
	return NULL;
}

static void befriend_and_dm(struct fx *f, struct peer *p, char mid_a[32], char mid_p[32])
{
	char path[256];
	json_t *v;

	fpair_befriend(f->a, &f->alice, p->d, &p->u, p->handle, p->on_a, p->alice_id);
	snprintf(path, sizeof(path), "/api/users/%s/dm", p->on_a);
	v = tc_ok(f->a, "GET", path, f->alice.token, NULL, 200);
	snprintf(p->dm_a, sizeof(p->dm_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", p->dm_a);
	v = tc_ok(f->a, "POST", path, f->alice.token, "{\"content\":\"react to this\"}", 200);
	snprintf(mid_a, 32, "%s", tc_sget(v, "_id"));
	json_decref(v);
	wait_dm(p, mid_p);
}

static void react_joy(struct fx *f, struct peer *p, const char *mid_a)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/channels/%s/messages/%s/reactions/%s", p->dm_a, mid_a,
	         JOY);
	tc_expect(f->a, "PUT", path, f->alice.token, NULL, 204, NULL);
}

static void test_styles(void **state)
{
	struct fx *f = *state;
	char mid_a[3][32], mid_p[3][32];
	json_t *r;

	for (int i = 0; i < 3; i++)
		befriend_and_dm(f, &f->p[i], mid_a[i], mid_p[i]);
	/*
	 * The DMs made A look up both peers' NodeInfo in the background; the
	 * lookups are two loopback GETs each. Give them a moment.
	 */
	for (int i = 0; i < 10; i++)
		fpair_nap();
	/* "Mastodon": a plain Like, shown as the default emoji */
	react_joy(f, &f->p[0], mid_a[0]);
	r = wait_reactions(&f->p[0], mid_p[0]);
	assert_non_null(json_object_get(r, THUMBS_RAW));
	assert_null(json_object_get(r, JOY_RAW));
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, THUMBS_RAW), 0)),
	                    f->p[0].alice_id);
	json_decref(r);
	/* "Misskey": Like carrying the emoji */
	react_joy(f, &f->p[1], mid_a[1]);
	r = wait_reactions(&f->p[1], mid_p[1]);
	assert_non_null(json_object_get(r, JOY_RAW));
	assert_null(json_object_get(r, THUMBS_RAW));
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, JOY_RAW), 0)),
	                    f->p[1].alice_id);
	json_decref(r);
	/* another Solstice ("other"): EmojiReact, the emoji arrives */
	react_joy(f, &f->p[2], mid_a[2]);
	r = wait_reactions(&f->p[2], mid_p[2]);
	assert_non_null(json_object_get(r, JOY_RAW));
	assert_null(json_object_get(r, THUMBS_RAW));
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_styles, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
