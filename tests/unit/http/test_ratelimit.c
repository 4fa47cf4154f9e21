/*
 * tests/unit/http/test_ratelimit.c: bucket classification (delta and
 * autumn, hostile paths), fixed windows with an injected clock, key
 * independence, reclaim, the memory bound and fail-open, threads, disabled
 * mode, headers and the 429 body, and the SipHash used for bucket hashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "core/cfg.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "http/ratelimit.h"

#define WIN 10000

/* Revolt's defaults (crates/delta/src/util/ratelimits.rs) */
static const struct cfg_ratelimit revolt_cfg = {
    .enabled = true,
    .window_ms = WIN,
    .user_edit = 2,
    .users = 20,
    .default_avatar = 255,
    .bots = 10,
    .messaging = 10,
    .channels = 15,
    .servers = 5,
    .auth = 15,
    .auth_delete = 255,
    .swagger = 100,
    .safety_report = 3,
    .safety = 15,
    .any = 20,
    .upload = 10,
};

static int setup(void **state)
{
	(void)state;
	return cry_init() == SE_OK ? 0 : -1;
}

static struct rl *mk(const struct cfg_ratelimit *cfg, size_t max)
{
	struct rl *rl = NULL;

	assert_int_equal(rl_new_bounded(cfg, max, &rl), SE_OK);
	assert_non_null(rl);
	return rl;
}

static struct rl_result hit(struct rl *rl, const char *id, enum http_method m, const char *path,
                            int64_t now)
{
	struct rl_key_parts kp;
	struct rl_result r;

	rl_classify(m, str_from(path), &kp);
	assert_int_equal(rl_hit(rl, str_from(id), &kp, now, &r), SE_OK);
	return r;
}

static void test_classify(void **state)
{
	static char longpath[9000];
	static const struct {
		enum http_method m;
		const char *path;
		enum rl_bucket want;
		const char *res; /* NULL: no resource */
	} cases[] = {
	    {HTTP_PATCH, "/users/@me", RL_B_USER_EDIT, "@me"},
	    {HTTP_PATCH, "/users/01HXYZ", RL_B_USER_EDIT, "01HXYZ"},
	    {HTTP_PATCH, "/0.8/users/01HXYZ", RL_B_USER_EDIT, "01HXYZ"},
	    {HTTP_PATCH, "/users", RL_B_USER_EDIT, NULL},
	    {HTTP_PATCH, "/users/X/default_avatar", RL_B_USER_EDIT, "X"},
	    {HTTP_GET, "/users/@me", RL_B_USERS, NULL},
	    {HTTP_GET, "/users/X/profile", RL_B_USERS, NULL},
	    {HTTP_PUT, "/users/X/friend", RL_B_USERS, NULL},
	    {HTTP_GET, "/users/X/default_avatar", RL_B_DEFAULT_AVATAR, NULL},
	    {HTTP_GET, "/users/X/default_avatar/extra", RL_B_DEFAULT_AVATAR, NULL},
	    {HTTP_GET, "/users/default_avatar", RL_B_USERS, NULL},
	    {HTTP_GET, "/bots/@me", RL_B_BOTS, NULL},
	    {HTTP_POST, "/bots/create", RL_B_BOTS, NULL},
	    {HTTP_POST, "/channels/C1/messages", RL_B_MESSAGING, "C1"},
	    {HTTP_POST, "/channels/C1/messages/bulk", RL_B_MESSAGING, "C1"},
	    {HTTP_POST, "/0.8/channels/C1/messages", RL_B_MESSAGING, "C1"},
	    {HTTP_GET, "/channels/C1/messages", RL_B_CHANNELS, "C1"},
	    {HTTP_DELETE, "/channels/C1/messages/M", RL_B_CHANNELS, "C1"},
	    {HTTP_POST, "/channels/C1/invites", RL_B_CHANNELS, "C1"},
	    {HTTP_POST, "/channels/create", RL_B_CHANNELS, "create"},
	    {HTTP_GET, "/channels/C1", RL_B_CHANNELS, "C1"},
	    {HTTP_POST, "/channels/C1/messagesX", RL_B_CHANNELS, "C1"},
	    {HTTP_GET, "/channels", RL_B_ANY, NULL},
	    {HTTP_GET, "/channels/", RL_B_ANY, NULL},
	    {HTTP_POST, "/servers/create", RL_B_SERVERS, "create"},
	    {HTTP_GET, "/servers/S1/members", RL_B_SERVERS, "S1"},
	    {HTTP_GET, "/servers", RL_B_ANY, NULL},
	    {HTTP_POST, "/auth/session/login", RL_B_AUTH, NULL},
	    {HTTP_GET, "/auth/account/", RL_B_AUTH, NULL},
	    {HTTP_DELETE, "/auth/session/all", RL_B_AUTH_DELETE, NULL},
	    {HTTP_DELETE, "/auth", RL_B_AUTH_DELETE, NULL},
	    {HTTP_GET, "/swagger/", RL_B_SWAGGER, NULL},
	    {HTTP_GET, "/swagger", RL_B_SWAGGER, NULL},
	    {HTTP_GET, "/swaggerx", RL_B_ANY, NULL},
	    {HTTP_POST, "/safety/report", RL_B_SAFETY_REPORT, "report"},
	    {HTTP_POST, "/safety/report/x", RL_B_SAFETY_REPORT, "report"},
	    {HTTP_GET, "/safety/snapshot/X", RL_B_SAFETY, NULL},
	    {HTTP_GET, "/safety", RL_B_SAFETY, NULL},
	    {HTTP_GET, "/", RL_B_ANY, NULL},
	    {HTTP_GET, "/0.8", RL_B_ANY, NULL},
	    {HTTP_GET, "/0.8/", RL_B_ANY, NULL},
	    {HTTP_GET, "/invites/ABC", RL_B_ANY, NULL},
	    {HTTP_POST, "/onboard/complete", RL_B_ANY, NULL},
	    {HTTP_GET, "/sync/settings/fetch", RL_B_ANY, NULL},
	    {HTTP_POST, "/push/subscribe", RL_B_ANY, NULL},
	    {HTTP_GET, "/policy/acknowledge", RL_B_ANY, NULL},
	    {HTTP_POST, "/webhooks/W/T", RL_B_ANY, NULL},
	    {HTTP_GET, "/custom/emoji/E", RL_B_ANY, NULL},
	    /* only the first "0.8" is a prefix */
	    {HTTP_GET, "/0.8/0.8/users", RL_B_ANY, NULL},
	    /* case matters, as in delta */
	    {HTTP_GET, "/Users/x", RL_B_ANY, NULL},
	    /* hostile: empty, slashes only, no leading slash, empty segments */
	    {HTTP_GET, "", RL_B_ANY, NULL},
	    {HTTP_GET, "//", RL_B_ANY, NULL},
	    {HTTP_GET, "///////", RL_B_ANY, NULL},
	    {HTTP_PATCH, "users/@me", RL_B_USER_EDIT, "@me"},
	    {HTTP_POST, "channels//C1///messages", RL_B_MESSAGING, "C1"},
	    {HTTP_POST, "//0.8//channels/C1/messages//", RL_B_MESSAGING, "C1"},
	    {HTTP_OPTIONS, "/channels/C1/messages", RL_B_CHANNELS, "C1"},
	    {HTTP_HEAD, "/users/@me", RL_B_USERS, NULL},
	};
	struct rl_key_parts kp;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rl_classify(cases[i].m, str_from(cases[i].path), &kp);
		if (kp.bucket != cases[i].want)
			fail_msg("case %zu '%s': bucket %s, want %s", i, cases[i].path, kp.name,
			         rl_bucket_name(cases[i].want));
		assert_string_equal(kp.name, rl_bucket_name(cases[i].want));
		if (!cases[i].res)
			assert_int_equal(kp.resource.n, 0);
		else if (!str_eq_cstr(kp.resource, cases[i].res))
			fail_msg("case %zu '%s': resource '%.*s', want '%s'", i, cases[i].path,
			         (int)kp.resource.n, kp.resource.p, cases[i].res);
	}

	/* NULL slice, and a NUL byte counted inside the slice */
	rl_classify(HTTP_GET, STR_NULL, &kp);
	assert_int_equal(kp.bucket, RL_B_ANY);
	rl_classify(HTTP_POST, (struct str){"/channels/A\0B/messages", 22}, &kp);
	assert_int_equal(kp.bucket, RL_B_MESSAGING);
	assert_int_equal(kp.resource.n, 3);

	/* very long: one huge channel id, then many segments */
	memcpy(longpath, "/channels/", 10);
	memset(longpath + 10, 'A', sizeof(longpath) - 11);
	rl_classify(HTTP_POST, (struct str){longpath, sizeof(longpath) - 1}, &kp);
	assert_int_equal(kp.bucket, RL_B_CHANNELS);
	assert_int_equal(kp.resource.n, sizeof(longpath) - 11);
	for (size_t i = 0; i + 1 < sizeof(longpath); i++)
		longpath[i] = i % 2 ? 'x' : '/';
	rl_classify(HTTP_GET, (struct str){longpath, sizeof(longpath) - 1}, &kp);
	assert_int_equal(kp.bucket, RL_B_ANY);
}

static void test_classify_autumn(void **state)
{
	static const struct {
		enum http_method m;
		const char *path;
		enum rl_bucket want;
		const char *res;
	} cases[] = {
	    {HTTP_POST, "/attachments", RL_B_UPLOAD, "attachments"},
	    {HTTP_POST, "/avatars/", RL_B_UPLOAD, "avatars"},
	    {HTTP_POST, "//icons//", RL_B_UPLOAD, "icons"},
	    {HTTP_POST, "emojis", RL_B_UPLOAD, "emojis"},
	    {HTTP_POST, "/attachments/x", RL_B_UNLIMITED, NULL},
	    {HTTP_POST, "/a//b", RL_B_UNLIMITED, NULL},
	    {HTTP_POST, "/", RL_B_UNLIMITED, NULL},
	    {HTTP_POST, "", RL_B_UNLIMITED, NULL},
	    {HTTP_GET, "/attachments", RL_B_UNLIMITED, NULL},
	    {HTTP_GET, "/attachments/ID", RL_B_UNLIMITED, NULL},
	    {HTTP_PUT, "/attachments", RL_B_UNLIMITED, NULL},
	};
	struct rl_key_parts kp;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rl_classify_autumn(cases[i].m, str_from(cases[i].path), &kp);
		if (kp.bucket != cases[i].want)
			fail_msg("case %zu '%s': bucket %d", i, cases[i].path, (int)kp.bucket);
		if (!cases[i].res)
			assert_int_equal(kp.resource.n, 0);
		else
			assert_true(str_eq_cstr(kp.resource, cases[i].res));
	}
	assert_string_equal(rl_bucket_name(RL_B_UPLOAD), "upload");
	assert_string_equal(rl_bucket_name(RL_B_UNLIMITED), "any");
	assert_string_equal(rl_bucket_name((enum rl_bucket)999), "any");
}

static void test_limits_from_cfg(void **state)
{
	struct cfg_ratelimit c = revolt_cfg;
	struct rl *rl;

	(void)state;
	c.servers = 7;
	c.upload = 3;
	rl = mk(&c, 1024);
	assert_int_equal(rl_limit(rl, RL_B_SERVERS), 7);
	assert_int_equal(rl_limit(rl, RL_B_UPLOAD), 3);
	assert_int_equal(rl_limit(rl, RL_B_USER_EDIT), 2);
	assert_int_equal(rl_limit(rl, RL_B_AUTH_DELETE), 255);
	assert_int_equal(rl_limit(rl, RL_B_UNLIMITED), UINT32_MAX);
	rl_free(rl);
	rl_free(NULL);
}

/* Window arithmetic, step by step, with the clock passed in. */
static void test_window(void **state)
{
	static const struct {
		int64_t now;
		bool allowed;
		uint32_t remaining;
		uint64_t reset_after;
	} steps[] = {
	    {1000, true, 1, WIN},         /* the window starts here: ends at 11000 */
	    {1500, true, 0, WIN - 500},   /* limit 2 reached */
	    {2000, false, 0, WIN - 1000}, /* denied, not counted */
	    {10999, false, 0, 1},         /* still inside */
	    {11000, true, 1, WIN},        /* new window from 11000 to 21000 */
	    {11001, true, 0, WIN - 1},    /* */
	    {20999, false, 0, 1},         /* */
	    {40000, true, 1, WIN},        /* idle for longer than a window */
	    {40001, true, 0, WIN - 1},    /* */
	    {39000, true, 1, WIN},        /* clock before the window start: a new one */
	    {-50000, true, 1, WIN},       /* far back: again */
	};
	struct rl *rl = mk(&revolt_cfg, 1024);
	struct rl_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		r = hit(rl, "sess", HTTP_PATCH, "/users/@me", steps[i].now);
		if (r.allowed != steps[i].allowed || r.remaining != steps[i].remaining ||
		    r.reset_after_ms != steps[i].reset_after)
			fail_msg("step %zu: allowed %d remaining %u reset_after %llu", i, r.allowed,
			         r.remaining, (unsigned long long)r.reset_after_ms);
		assert_true(r.enforced);
		assert_int_equal(r.limit, 2);
	}
	rl_free(rl);
}

/* A flood of denied requests neither counts nor moves the window. */
static void test_denied_not_counted(void **state)
{
	struct rl *rl = mk(&revolt_cfg, 1024);
	struct rl_result r;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(hit(rl, "ip", HTTP_POST, "/safety/report", 100).allowed);
	for (int i = 0; i < 1000; i++) {
		r = hit(rl, "ip", HTTP_POST, "/safety/report", 100 + i);
		assert_false(r.allowed);
		assert_int_equal(r.remaining, 0);
		assert_int_equal(r.reset_after_ms, WIN - i);
	}
	r = hit(rl, "ip", HTTP_POST, "/safety/report", 100 + WIN);
	assert_true(r.allowed);
	assert_int_equal(r.remaining, 2);
	rl_free(rl);
}

static void test_independent_keys(void **state)
{
	struct rl *rl = mk(&revolt_cfg, 4096);
	struct rl_result a, b;
	struct rl_key_parts kp1, kp2;

	(void)state;
	/* exhaust one key */
	for (int i = 0; i < 10; i++)
		assert_true(hit(rl, "alice", HTTP_POST, "/channels/C1/messages", 0).allowed);
	a = hit(rl, "alice", HTTP_POST, "/channels/C1/messages", 1);
	assert_false(a.allowed);
	/* another identifier, another resource, another bucket on the same channel */
	b = hit(rl, "bob", HTTP_POST, "/channels/C1/messages", 1);
	assert_true(b.allowed);
	assert_int_equal(b.remaining, 9);
	assert_true(b.bucket_hash != a.bucket_hash);
	assert_true(hit(rl, "alice", HTTP_POST, "/channels/C2/messages", 1).allowed);
	b = hit(rl, "alice", HTTP_GET, "/channels/C1/messages", 1);
	assert_true(b.allowed);
	assert_int_equal(b.remaining, 14);
	/* the same key again gives the same hash */
	b = hit(rl, "alice", HTTP_POST, "/channels/C1/messages/bulk", 2);
	assert_int_equal(b.bucket_hash, a.bucket_hash);
	/* "/0.8" and "//" spellings share the key */
	b = hit(rl, "alice", HTTP_POST, "/0.8//channels/C1/messages", 2);
	assert_int_equal(b.bucket_hash, a.bucket_hash);
	assert_false(b.allowed);

	/* identifier and resource boundaries cannot be shifted */
	kp1 = (struct rl_key_parts){RL_B_CHANNELS, "channels", STR_LIT("c")};
	kp2 = (struct rl_key_parts){RL_B_CHANNELS, "channels", STR_LIT("bc")};
	assert_int_equal(rl_hit(rl, STR_LIT("ab"), &kp1, 0, &a), SE_OK);
	assert_int_equal(rl_hit(rl, STR_LIT("a"), &kp2, 0, &b), SE_OK);
	assert_true(a.bucket_hash != b.bucket_hash);
	assert_int_equal(a.remaining, 14);
	assert_int_equal(b.remaining, 14);
	/* an empty identifier is a key like any other */
	assert_true(hit(rl, "", HTTP_GET, "/", 0).allowed);
	assert_int_equal(hit(rl, "", HTTP_GET, "/", 0).remaining, 18);
	rl_free(rl);
}

/* Two limiters key their hashes differently (random per instance). */
static void test_hash_keyed(void **state)
{
	struct rl *a = mk(&revolt_cfg, 64), *b = mk(&revolt_cfg, 64);

	(void)state;
	assert_true(hit(a, "x", HTTP_GET, "/", 0).bucket_hash !=
	            hit(b, "x", HTTP_GET, "/", 0).bucket_hash);
	rl_free(a);
	rl_free(b);
}

static void test_reclaim(void **state)
{
	struct rl *rl = mk(&revolt_cfg, 8192);
	struct rl_stats st;
	char id[32];

	(void)state;
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "old%d", i);
		assert_true(hit(rl, id, HTTP_GET, "/", 0).allowed);
	}
	rl_stats(rl, &st);
	assert_int_equal(st.entries, 200);
	assert_int_equal(st.reclaimed, 0);
	assert_int_equal(st.max_entries, 8192);
	/* one window later, inserts into each shard sweep it */
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "new%d", i);
		assert_true(hit(rl, id, HTTP_GET, "/", 2 * WIN).allowed);
	}
	rl_stats(rl, &st);
	assert_int_equal(st.reclaimed, 200);
	assert_int_equal(st.entries, 3000);
	assert_int_equal(st.fail_open, 0);
	/* reclaimed keys start a fresh window */
	assert_int_equal(hit(rl, "old7", HTTP_GET, "/", 2 * WIN).remaining, 19);
	/* survivors still count correctly after entries were shifted around */
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "new%d", i);
		assert_int_equal(hit(rl, id, HTTP_GET, "/", 2 * WIN + 1).remaining, 18);
	}
	rl_free(rl);
}

static void test_bound_fail_open(void **state)
{
	struct rl *rl = mk(&revolt_cfg, RL_SHARDS); /* one window per shard */
	struct rl_stats st;
	struct rl_result r;
	char id[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "flood%d", i);
		r = hit(rl, id, HTTP_PATCH, "/users/@me", 0);
		assert_true(r.allowed);
		assert_true(r.enforced);
	}
	rl_stats(rl, &st);
	assert_true(st.entries <= RL_SHARDS);
	assert_int_equal(st.max_entries, RL_SHARDS);
	assert_int_equal(st.entries + st.fail_open, 1000);
	/* a key that found no room is never denied while the table is full */
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "flood%d", i);
		r = hit(rl, id, HTTP_PATCH, "/users/@me", 1);
		assert_true(r.allowed);
	}
	rl_stats(rl, &st);
	assert_true(st.fail_open >= 2000 - 2 * RL_SHARDS);
	/* once the windows end, room comes back and counting resumes */
	r = hit(rl, "late", HTTP_PATCH, "/users/@me", WIN);
	assert_true(r.allowed);
	assert_int_equal(r.remaining, 1);
	r = hit(rl, "late", HTTP_PATCH, "/users/@me", WIN + 1);
	assert_int_equal(r.remaining, 0);
	r = hit(rl, "late", HTTP_PATCH, "/users/@me", WIN + 2);
	assert_false(r.allowed);
	rl_stats(rl, &st);
	assert_true(st.reclaimed >= 1);
	rl_free(rl);
}

#define TH_THREADS 8
#define TH_KEYS 16
#define TH_ROUNDS 100
#define TH_LIMIT 500

struct th_arg {
	struct rl *rl;
	unsigned allowed[TH_KEYS];
	/* which `remaining` values this thread saw per key */
	unsigned char seen[TH_KEYS][TH_LIMIT];
};

static void *th_main(void *p)
{
	struct th_arg *a = p;
	struct rl_key_parts kp;
	struct rl_result r;
	char id[16];

	for (int round = 0; round < TH_ROUNDS; round++)
		for (int k = 0; k < TH_KEYS; k++) {
			snprintf(id, sizeof(id), "k%d", k);
			rl_classify(HTTP_GET, STR_LIT("/invites/x"), &kp);
			if (rl_hit(a->rl, str_from(id), &kp, 5, &r) != SE_OK)
				return p;
			if (r.allowed) {
				a->allowed[k]++;
				if (r.remaining < TH_LIMIT)
					a->seen[k][r.remaining]++;
			}
		}
	return NULL;
}

static void test_threads(void **state)
{
	static struct th_arg args[TH_THREADS];
	struct cfg_ratelimit c = revolt_cfg;
	pthread_t t[TH_THREADS];
	struct rl *rl;

	(void)state;
	c.any = TH_LIMIT;
	rl = mk(&c, 1024);
	memset(args, 0, sizeof(args));
	for (int i = 0; i < TH_THREADS; i++) {
		args[i].rl = rl;
		assert_int_equal(pthread_create(&t[i], NULL, th_main, &args[i]), 0);
	}
	for (int i = 0; i < TH_THREADS; i++) {
		void *ret = NULL;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* 800 hits per key: exactly TH_LIMIT allowed, each remaining value once */
	for (int k = 0; k < TH_KEYS; k++) {
		unsigned total = 0;

		for (int i = 0; i < TH_THREADS; i++)
			total += args[i].allowed[k];
		assert_int_equal(total, TH_LIMIT);
		for (int v = 0; v < TH_LIMIT; v++) {
			unsigned n = 0;

			for (int i = 0; i < TH_THREADS; i++)
				n += args[i].seen[k][v];
			assert_int_equal(n, 1);
		}
	}
	rl_free(rl);
}

static void test_disabled(void **state)
{
	struct cfg_ratelimit c = revolt_cfg;
	struct http_resp resp;
	struct rl_stats st;
	struct rl_result r;
	struct rl *rl;

	(void)state;
	c.enabled = false;
	rl = mk(&c, 1024);
	for (int i = 0; i < 100; i++) {
		r = hit(rl, "x", HTTP_PATCH, "/users/@me", 0);
		assert_true(r.allowed);
		assert_false(r.enforced);
	}
	rl_stats(rl, &st);
	assert_int_equal(st.entries, 0);
	http_resp_init(&resp);
	rl_headers(&r, &resp);
	assert_int_equal(resp.headers.len, 0);
	http_resp_release(&resp);
	rl_free(rl);

	/* NULL limiter and the unlimited autumn bucket behave the same */
	r = hit(NULL, "x", HTTP_GET, "/", 0);
	assert_true(r.allowed);
	assert_false(r.enforced);
	rl = mk(&revolt_cfg, 1024);
	{
		struct rl_key_parts kp;

		rl_classify_autumn(HTTP_GET, STR_LIT("/attachments/ID"), &kp);
		for (int i = 0; i < 100; i++) {
			assert_int_equal(rl_hit(rl, STR_LIT("x"), &kp, 0, &r), SE_OK);
			assert_true(r.allowed);
			assert_false(r.enforced);
		}
		rl_classify_autumn(HTTP_POST, STR_LIT("/attachments"), &kp);
		for (int i = 0; i < 10; i++) {
			assert_int_equal(rl_hit(rl, STR_LIT("x"), &kp, 0, &r), SE_OK);
			assert_true(r.allowed);
		}
		assert_int_equal(rl_hit(rl, STR_LIT("x"), &kp, 0, &r), SE_OK);
		assert_false(r.allowed);
		assert_int_equal(r.limit, 10);
	}
	rl_stats(rl, &st);
	assert_int_equal(st.entries, 1);
	rl_free(rl);
}

static void test_headers_and_deny(void **state)
{
	struct rl *rl = mk(&revolt_cfg, 1024);
	struct http_resp resp;
	struct rl_result r;
	char want[256];

	(void)state;
	r = hit(rl, "s", HTTP_POST, "/servers/create", 0);
	http_resp_init(&resp);
	rl_headers(&r, &resp);
	snprintf(want, sizeof(want),
	         "X-RateLimit-Limit: 5\r\nX-RateLimit-Bucket: %llu\r\n"
	         "X-RateLimit-Remaining: 4\r\nX-RateLimit-Reset-After: 10000\r\n",
	         (unsigned long long)r.bucket_hash);
	assert_string_equal(resp.headers.ptr, want);
	http_resp_release(&resp);

	for (int i = 0; i < 4; i++)
		(void)hit(rl, "s", HTTP_POST, "/servers/create", 10);
	r = hit(rl, "s", HTTP_POST, "/servers/create", 2345);
	assert_false(r.allowed);
	http_resp_init(&resp);
	rl_headers(&r, &resp);
	rl_deny(&r, &resp);
	assert_int_equal(resp.status, 429);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body.ptr, "{\"retry_after\":7655}");
	assert_non_null(strstr(resp.headers.ptr, "X-RateLimit-Remaining: 0\r\n"));
	assert_non_null(strstr(resp.headers.ptr, "X-RateLimit-Reset-After: 7655\r\n"));
	http_resp_release(&resp);
	rl_free(rl);
}

/* The fediverse URL space never reaches Revolt's buckets (remote servers share IPs). */
static void test_path_counted(void **state)
{
	static const struct {
		const char *path;
		bool counted;
	} cases[] = {
	    {"/api", true},
	    {"/api/", true},
	    {"/api/users/@me", true},
	    {"/api/0.8/channels/x/messages", true},
	    {"/inbox", false},
	    {"/users/01HUSER000000000000000000A/inbox", false},
	    {"/users/01HUSER000000000000000000A", false},
	    {"/actor", false},
	    {"/actor/inbox", false},
	    {"/objects/01HMSG0000000000000000000A", false},
	    {"/.well-known/webfinger", false},
	    {"/.well-known/nodeinfo", false},
	    {"/nodeinfo/2.1", false},
	    {"/apis", false},
	    {"/api-docs", false},
	    {"/", false},
	    {"", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (rl_path_counted(str_from(cases[i].path)) != cases[i].counted)
			fail_msg("'%s': counted should be %d", cases[i].path, cases[i].counted);
	assert_false(rl_path_counted(STR_NULL));
}

/* SipHash-2-4 reference vectors (Aumasson and Bernstein, key 00..0f). */
static void test_shorthash(void **state)
{
	unsigned char key[16], msg[15];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	assert_int_equal(cry_shorthash(key, "", 0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(cry_shorthash(key, msg, 15), 0xa129ca6149be45e5ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),           cmocka_unit_test(test_classify_autumn),
	    cmocka_unit_test(test_limits_from_cfg),    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_denied_not_counted), cmocka_unit_test(test_independent_keys),
	    cmocka_unit_test(test_hash_keyed),         cmocka_unit_test(test_reclaim),
	    cmocka_unit_test(test_bound_fail_open),    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_disabled),           cmocka_unit_test(test_headers_and_deny),
	    cmocka_unit_test(test_shorthash),          cmocka_unit_test(test_path_counted),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
