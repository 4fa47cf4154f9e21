/*
 * tests/unit/federation/test_deliver.c: the delivery module's pure parts
 * (response classification, backoff schedule, Retry-After, queue payload),
 * per-host state (day counting, unavailable mark, breaker, slots, record
 * JSON with hostile input) and fdel_enqueue (shared-inbox de-duplication,
 * status records, validation) against a real store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/fed.h"
#include "federation/hosts.h"
#include "storage/queue.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

/* ---- classification ---- */

static void test_classify(void **state)
{
	static const struct {
		long status;
		bool resigned;
		enum fdel_outcome want;
	} t[] = {
	    {200, false, FDEL_OK},        {202, false, FDEL_OK},
	    {204, true, FDEL_OK},         {0, false, FDEL_RETRY},
	    {100, false, FDEL_RETRY},     {301, false, FDEL_PERMANENT},
	    {400, false, FDEL_RESIGN},    {401, false, FDEL_RESIGN},
	    {400, true, FDEL_PERMANENT},  {401, true, FDEL_RETRY},
	    {403, false, FDEL_PERMANENT}, {404, false, FDEL_PERMANENT},
	    {410, false, FDEL_PERMANENT}, {408, false, FDEL_RETRY},
	    {429, false, FDEL_RETRY},     {422, false, FDEL_PERMANENT},
	    {500, false, FDEL_RETRY},     {503, true, FDEL_RETRY},
	    {599, false, FDEL_RETRY},     {999, false, FDEL_RETRY},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (fdel_classify(t[i].status, t[i].resigned) != t[i].want)
			fail_msg("status %ld resigned %d", t[i].status, t[i].resigned);
	}
}

/* ---- backoff ---- */

static void test_backoff(void **state)
{
	int64_t total = 0, prev = 0;

	(void)state;
	/* n^4 + 15 + r * (n + 1) seconds */
	assert_int_equal(fdel_backoff_ms(1, 1000, 0), 16000);
	assert_int_equal(fdel_backoff_ms(1, 1000, 29), (1 + 15 + 29 * 2) * 1000);
	assert_int_equal(fdel_backoff_ms(1, 1000, 30), 16000); /* r is taken mod 30 */
	assert_int_equal(fdel_backoff_ms(15, 1000, 0), (50625 + 15) * 1000LL);
	assert_int_equal(fdel_backoff_ms(2, 1, 0), 31);
	for (unsigned n = 1; n < FDEL_ATTEMPTS; n++) {
		int64_t d = fdel_backoff_ms(n, 1000, 0);

		assert_true(d > prev);
		prev = d;
		total += d;
	}
	/* the whole schedule spans about two days (Mastodon: ~2.1 days) */
	assert_true(total > 2LL * 24 * 3600 * 1000 - 6 * 3600 * 1000);
	assert_true(total < 3LL * 24 * 3600 * 1000);
	/* absurd n does not overflow */
	assert_true(fdel_backoff_ms(UINT32_MAX, 1000, 7) > 0);
}

/* ---- Retry-After ---- */

static void test_retry_after(void **state)
{
	/* 1994-11-06 08:49:37 UTC */
	const int64_t t0 = 784111777LL * 1000;
	static const struct {
		const char *v;
		bool ok;
		int64_t ms;
	} t[] = {
	    {"120", true, 120000},
	    {"  7 ", true, 7000},
	    {"0", true, 0},
	    {"99999999", true, FDEL_RETRY_AFTER_CAP_MS},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", true, 0},
	    {"Sun, 06 Nov 1994 08:50:37 GMT", true, 60000},
	    {"Sunday, 06-Nov-94 08:49:47 GMT", true, 10000},
	    {"Sun Nov  6 08:49:57 1994", true, 20000},
	    {"Sun Nov 16 08:49:37 1994", true, FDEL_RETRY_AFTER_CAP_MS},
	    {"Sat, 05 Nov 1994 08:49:37 GMT", true, 0},
	    {"", false, 0},
	    {"-5", false, 0},
	    {"1.5", false, 0},
	    {"12abc", false, 0},
	    {"99999999999999999999", false, 0},
	    {"Sun, 06 Nov 1994 08:49:37", false, 0},
	    {"Sun, 06 Foo 1994 08:49:37 GMT", false, 0},
	    {"Sun, 36 Nov 1994 08:49:37 GMT", false, 0},
	    {"Sun, 06 Nov 1994 25:49:37 GMT", false, 0},
	    {"Sun, 06 Nov 1994 08:49:37 GMT trailing", false, 0},
	    {"Sun, 6 Nov 1994 08:49:37 GMT", false, 0},
	    {"Sun,", false, 0},
	    {"S", false, 0},
	    {"Sun Nov", false, 0},
	    {"Sun, 06-Nov-94 08:49:37", false, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t d = -1;
		bool ok = fdel_parse_retry_after(str_from(t[i].v), t0, &d);

		if (ok != t[i].ok)
			fail_msg("'%s': ok %d", t[i].v, ok);
		if (ok && d != t[i].ms)
			fail_msg("'%s': %lld ms", t[i].v, (long long)d);
	}
	/* NUL inside and an overlong value */
	{
		int64_t d;
		char big[200];

		assert_false(fdel_parse_retry_after((struct str){"12\0"
		                                                 "3",
		                                                 4},
		                                    t0, &d));
		memset(big, '1', sizeof(big));
		assert_false(fdel_parse_retry_after((struct str){big, sizeof(big)}, t0, &d));
	}
}

/* ---- queue payload ---- */

static void test_item_decode(void **state)
{
	struct fdel_item it;
	static const char *bad[] = {
	    "",
	    "2\nd\n01ARZ3NDEKTSV4RRFFQ69G5FAV\ninstance\nhttp://x/inbox",
	    "1\nd\nshort\ninstance\nhttp://x/inbox",
	    "1\n\n01ARZ3NDEKTSV4RRFFQ69G5FAV\ninstance\nhttp://x/inbox",
	    "1\nd\n01ARZ3NDEKTSV4RRFFQ69G5FAV\n\nhttp://x/inbox",
	    "1\nd\n01ARZ3NDEKTSV4RRFFQ69G5FAV\ninstance\n",
	    "1\nd\n01ARZ3NDEKTSV4RRFFQ69G5FAV\ninstance\nhttp://x/\ninbox",
	    "1\nd\n01ARZ3NDEKTSV4RRFFQ69G5FAV",
	};

	(void)state;
	assert_int_equal(
	    fdel_item_decode(
	        str_from("1\n01ARZ3NDEKTSV4RRFFQ69G5FAV.00000001\n"
	                 "01ARZ3NDEKTSV4RRFFQ69G5FAV\ninstance\nhttp://a.example/inbox"),
	        &it),
	    SE_OK);
	assert_true(str_eq_cstr(it.did, "01ARZ3NDEKTSV4RRFFQ69G5FAV.00000001"));
	assert_true(str_eq_cstr(it.act, "01ARZ3NDEKTSV4RRFFQ69G5FAV"));
	assert_true(str_eq_cstr(it.signer, "instance"));
	assert_true(str_eq_cstr(it.inbox, "http://a.example/inbox"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fdel_item_decode(str_from(bad[i]), &it) != SE_PARSE)
			fail_msg("accepted bad payload %zu", i);
}

/* ---- hosts: day counting ---- */

static void test_host_days(void **state)
{
	const int64_t day = FHOST_DAY_MS, t0 = 20000 * FHOST_DAY_MS;
	struct fhost_rec r;

	(void)state;
	fhost_rec_init(&r, STR_LIT("peer.example"), t0);
	assert_string_equal(r.host, "peer.example");
	/* many failures on one day count once */
	assert_true(fhost_rec_failed(&r, t0 + 10, 3));
	assert_false(fhost_rec_failed(&r, t0 + 20, 3));
	assert_false(fhost_rec_failed(&r, t0 + day - 1, 3));
	assert_int_equal(r.n_days, 1);
	assert_true(fhost_rec_failed(&r, t0 + day, 3));
	assert_false(r.unavailable);
	/* a gap day still counts as distinct (they need not be consecutive) */
	assert_true(fhost_rec_failed(&r, t0 + 3 * day + 5, 3));
	assert_true(r.unavailable);
	assert_int_equal(r.unavailable_since, t0 + 3 * day + 5);
	assert_int_equal(r.n_days, 3);
	/* a clock going back does not add a day */
	assert_false(fhost_rec_failed(&r, t0, 3));
	/* success clears */
	assert_true(fhost_rec_cleared(&r));
	assert_false(r.unavailable);
	assert_int_equal(r.n_days, 0);
	assert_false(fhost_rec_cleared(&r));
	/* the day list is bounded */
	for (int i = 0; i < FHOST_DAYS_MAX + 10; i++)
		fhost_rec_failed(&r, t0 + i * day, 365);
	assert_int_equal(r.n_days, FHOST_DAYS_MAX);
	assert_int_equal(r.days[FHOST_DAYS_MAX - 1], 20000 + FHOST_DAYS_MAX + 9);
	assert_true(r.unavailable);
}

static void test_host_record_json(void **state)
{
	struct fhost_rec r, back;
	struct buf b = BUF_INIT(1 << 16);
	static const char *bad[] = {
	    "",
	    "[]",
	    "{}",
	    "{\"host\":\"\"}",
	    "{\"host\":5}",
	    "{\"host\":\"a\",\"days\":[3,2]}",
	    "{\"host\":\"a\",\"days\":[1,1]}",
	    "{\"host\":\"a\",\"days\":[-1]}",
	    "{\"host\":\"a\",\"days\":[4294967296]}",
	    "{\"host\":\"a\",\"days\":\"x\"}",
	    "{\"host\":\"a\",\"days\":[1.5]}",
	    "{\"host\":\"a\",\"unavailable\":\"yes\"}",
	    "{\"host\":\"a\",\"scheme\":\"hmac\"}",
	    "{\"host\":\"a\",\"created\":-4}",
	    "{\"host\":\"a\\u0000b\"}",
	    "{\"host\":\"a\",\"host\":\"b\"}",
	    "{\"host\":\"a\"",
	};

	(void)state;
	fhost_rec_init(&r, STR_LIT("h.example:8443"), 42);
	fhost_rec_failed(&r, 5 * FHOST_DAY_MS, 2);
	fhost_rec_failed(&r, 9 * FHOST_DAY_MS, 2);
	r.scheme = FHOST_SCHEME_RFC9421;
	assert_int_equal(fhost_rec_render(&r, &b), SE_OK);
	assert_int_equal(fhost_rec_parse(buf_str(&b), &back), SE_OK);
	assert_string_equal(back.host, "h.example:8443");
	assert_int_equal(back.n_days, 2);
	assert_int_equal(back.days[1], 9);
	assert_true(back.unavailable);
	assert_int_equal(back.unavailable_since, 9 * FHOST_DAY_MS);
	assert_int_equal(back.scheme, FHOST_SCHEME_RFC9421);
	assert_int_equal(back.created, 42);
	buf_release(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fhost_rec_parse(str_from(bad[i]), &back) != SE_PARSE)
			fail_msg("accepted '%s'", bad[i]);
	/* too many days */
	{
		struct buf big = BUF_INIT(1 << 20);

		buf_puts(&big, "{\"host\":\"a\",\"days\":[");
		for (int i = 0; i <= FHOST_DAYS_MAX; i++)
			buf_printf(&big, "%s%d", i ? "," : "", i);
		buf_puts(&big, "]}");
		assert_int_equal(fhost_rec_parse(buf_str(&big), &back), SE_PARSE);
		buf_release(&big);
	}
}

/* ---- hosts: breaker and slots ---- */

static void test_breaker(void **state)
{
	struct fhost_breaker b = {0};
	int64_t until = 0, now = 1000000;

	(void)state;
	for (int i = 0; i < FHOST_BREAKER_FAILS - 1; i++) {
		assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
		fhost_breaker_result(&b, false, now);
	}
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
	fhost_breaker_result(&b, false, now);
	/* open for FHOST_BREAKER_OPEN_MS */
	assert_int_equal(fhost_breaker_gate(&b, now + 1, &until), FHOST_OPEN);
	assert_int_equal(until, now + FHOST_BREAKER_OPEN_MS);
	/* then exactly one probe */
	now += FHOST_BREAKER_OPEN_MS;
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_OPEN);
	/* the probe fails: open twice as long */
	fhost_breaker_result(&b, false, now);
	assert_int_equal(fhost_breaker_gate(&b, now + 1, &until), FHOST_OPEN);
	assert_int_equal(until, now + 2 * FHOST_BREAKER_OPEN_MS);
	now += 2 * FHOST_BREAKER_OPEN_MS;
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
	fhost_breaker_result(&b, true, now);
	assert_int_equal(b.fails, 0);
	assert_int_equal(b.open_until, 0);
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
	/* a success in between resets the count */
	for (int i = 0; i < 3 * FHOST_BREAKER_FAILS; i++)
		fhost_breaker_result(&b, i % (FHOST_BREAKER_FAILS - 1) != 0, now);
	assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
	/* the open period is capped */
	b = (struct fhost_breaker){0};
	for (int i = 0; i < FHOST_BREAKER_FAILS; i++)
		fhost_breaker_result(&b, false, now);
	for (int i = 0; i < 20; i++) {
		now = b.open_until;
		assert_int_equal(fhost_breaker_gate(&b, now, &until), FHOST_GO);
		fhost_breaker_result(&b, false, now);
	}
	assert_int_equal(b.open_ms, FHOST_BREAKER_OPEN_MAX_MS);
}

static void test_slots(void **state)
{
	struct fhosts *h = NULL;
	struct fhost_mem m;
	int64_t until;

	(void)state;
	assert_int_equal(fhosts_new(2, &h), SE_OK);
	assert_int_equal(fhosts_acquire(h, "a", 1, &until), FHOST_GO);
	assert_int_equal(fhosts_acquire(h, "a", 1, &until), FHOST_GO);
	assert_int_equal(fhosts_acquire(h, "a", 1, &until), FHOST_WAIT);
	assert_int_equal(fhosts_acquire(h, "b", 1, &until), FHOST_GO);
	assert_true(fhosts_get(h, "a", &m));
	assert_int_equal(m.inflight, 2);
	assert_false(fhosts_get(h, "zzz", &m));
	/* a release after a WAIT asks for a wake-up, once */
	assert_true(fhosts_release(h, "a", true, true, 2));
	assert_false(fhosts_release(h, "a", true, true, 2));
	assert_false(fhosts_release(h, "b", false, false, 2));
	for (int i = 0; i < FHOST_BREAKER_FAILS; i++) {
		assert_int_equal(fhosts_acquire(h, "c", 10, &until), FHOST_GO);
		fhosts_release(h, "c", true, false, 10);
	}
	assert_int_equal(fhosts_acquire(h, "c", 11, &until), FHOST_OPEN);
	fhosts_reset(h, "c");
	assert_int_equal(fhosts_acquire(h, "c", 11, &until), FHOST_GO);
	fhosts_free(h);
	fhosts_free(NULL);
}

/* ---- enqueue against a store ---- */

static const struct store_coll_def colls[] = {QUEUE_COLL_DEF, FDEL_COLL_DEFS, FHOST_COLL_DEF};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

static int setup(void **state)
{
	*state = tstore_open("deliver", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

struct enq {
	struct str body, id, signer;
	const struct str *inboxes;
	size_t n;
	char key[27];
};

static enum err enq_cb(struct store_wtxn *w, void *arg)
{
	struct enq *e = arg;

	return fdel_enqueue_key(w, e->body, e->id, e->signer, e->inboxes, e->n, 1000, e->key);
}

static enum err enq(struct tstore *f, struct enq *e)
{
	return store_write(f->s, enq_cb, e, NULL);
}

static void test_enqueue_dedup(void **state)
{
	struct tstore *f = *state;
	static const struct str inboxes[] = {
	    STR_LIT("https://big.example/inbox"),  STR_LIT("https://a.example/users/1/inbox"),
	    STR_LIT("https://big.example/inbox"),  STR_LIT("https://b.example/inbox"),
	    STR_LIT("https://big.example/inbox"),  STR_LIT("https://a.example/users/1/inbox"),
	    STR_LIT("https://big.example/inbox/"), /* a different URL: kept */
	};
	struct enq e = {STR_LIT("{\"id\":\"https://me/activities/1\",\"type\":\"Create\"}"),
	                STR_LIT("https://me/activities/1"),
	                STR_LIT("instance"),
	                inboxes,
	                7,
	                ""};
	struct store_txn *t;
	struct store_hit hits[16];
	struct str rec;
	char pre[28];
	size_t n;
	struct store_range rg;

	assert_int_equal(enq(f, &e), SE_OK);
	assert_int_equal(strlen(e.key), 26);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &fdel_queue, &n), SE_OK);
	assert_int_equal(n, 4);
	snprintf(pre, sizeof(pre), "%s.", e.key);
	rg = (struct store_range){{pre, 27}, STR_NULL, STR_NULL, STORE_ASC};
	assert_int_equal(
	    store_index_scan(t, FDEL_STATUS_COLL, FDEL_STATUS_IDX_ACT, &rg, hits, 16, &n), SE_OK);
	assert_int_equal(n, 4);
	assert_int_equal(store_get(t, FDEL_STATUS_COLL, hits[0].id, &rec), SE_OK);
	{
		json_t *o = NULL;

		assert_int_equal(jx_parse_object(rec, 1 << 16, &o, NULL), SE_OK);
		assert_string_equal(json_string_value(json_object_get(o, "state")), "queued");
		assert_string_equal(json_string_value(json_object_get(o, "inbox")),
		                    "https://big.example/inbox");
		assert_string_equal(json_string_value(json_object_get(o, "host")), "big.example");
		json_decref(o);
	}
	assert_int_equal(store_get(t, FDEL_ACT_COLL, str_from(e.key), &rec), SE_OK);
	{
		json_t *o = NULL;

		assert_int_equal(jx_parse_object(rec, 1 << 16, &o, NULL), SE_OK);
		assert_int_equal(json_integer_value(json_object_get(o, "inboxes")), 4);
		assert_string_equal(json_string_value(json_object_get(o, "body")),
		                    "{\"id\":\"https://me/activities/1\",\"type\":\"Create\"}");
		json_decref(o);
	}
	store_read_end(t);
}

static void test_enqueue_invalid(void **state)
{
	struct tstore *f = *state;
	static const struct str good[] = {STR_LIT("https://x.example/inbox")};
	static const struct str junk[] = {STR_LIT("https://x.example/inbox"), STR_LIT("ftp://y/z")};
	static const struct str spaces[] = {STR_LIT("https://x.example/in box")};
	static const struct str empty[] = {STR_LIT("")};
	struct enq e = {STR_LIT("{}"), STR_LIT("https://me/a/1"), STR_LIT("instance"), good, 1, ""};
	struct store_txn *t;
	size_t n;

	e.n = 0;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.n = 1;
	e.signer = STR_NULL;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.signer = STR_LIT("a b");
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.signer = STR_LIT("instance");
	e.id = STR_NULL;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.id = STR_LIT("https://me/a/1");
	e.body = STR_NULL;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.body = (struct str){"\"\xff\xfe\"", 4};
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.body = STR_LIT("{}");
	e.inboxes = junk;
	e.n = 2;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.inboxes = spaces;
	e.n = 1;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.inboxes = empty;
	assert_int_equal(enq(f, &e), SE_INVAL);
	e.inboxes = good;
	e.n = FDEL_INBOXES_MAX + 1;
	assert_int_equal(enq(f, &e), SE_TOO_LARGE);
	/* a failed enqueue leaves nothing behind (one write, all or nothing) */
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &fdel_queue, &n), SE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_count(t, FDEL_STATUS_COLL, NULL, &n), SE_OK);
	assert_int_equal(n, 0);
	store_read_end(t);
}

static void test_enqueue_utf8(void **state)
{
	struct tstore *f = *state;
	static const struct str good[] = {STR_LIT("https://x.example/inbox")};
	static const struct str bad[] = {
	    {"\"\xc0\xaf\"", 4},         /* overlong */
	    {"\"\xed\xa0\x80\"", 5},     /* surrogate */
	    {"\"\xf4\x90\x80\x80\"", 6}, /* past U+10FFFF */
	    {"\"\xe2\x82", 3},           /* truncated */
	    {"\"\x80\"", 3},             /* lone continuation */
	    {"{}\0", 3},                 /* NUL */
	};
	struct enq e = {STR_NULL, STR_LIT("https://me/a/u"), STR_LIT("instance"), good, 1, ""};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.body = bad[i];
		if (enq(f, &e) != SE_INVAL)
			fail_msg("accepted bad UTF-8 %zu", i);
	}
	e.body = STR_LIT("{\"content\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e\"}");
	assert_int_equal(enq(f, &e), SE_OK);
}

/* 10 000 inboxes on 100 hosts in one write, with duplicates */
static void test_enqueue_many(void **state)
{
	struct tstore *f = *state;
	size_t total = 12000;
	struct str *in = xcalloc(total, sizeof(*in));
	char(*urls)[64] = xcalloc(total, 64);
	struct enq e = {
	    STR_LIT("{}"), STR_LIT("https://me/a/2"), STR_LIT("instance"), in, total, ""};
	struct store_txn *t;
	size_t n;

	for (size_t i = 0; i < total; i++) {
		snprintf(urls[i], 64, "http://h%zu.example/users/%zu/inbox", (i % 10000) % 100,
		         i % 10000);
		in[i] = str_from(urls[i]);
	}
	assert_int_equal(enq(f, &e), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &fdel_queue, &n), SE_OK);
	assert_int_equal(n, 10000);
	store_read_end(t);
	mem_free(urls);
	mem_free(in);
}

struct st_arg {
	const char *did;
};

static enum err status_cb(struct store_wtxn *w, void *arg)
{
	struct st_arg *a = arg;

	return fdel_status_set(w, str_from(a->did), FDEL_ST_FAILED, 3, 404, STR_LIT("HTTP 404"),
	                       2000);
}

static void test_status_set(void **state)
{
	struct tstore *f = *state;
	static const struct str good[] = {STR_LIT("https://x.example/inbox")};
	struct enq e = {STR_LIT("{}"), STR_LIT("https://me/a/3"), STR_LIT("u1"), good, 1, ""};
	char did[40];
	struct st_arg a = {did};
	struct store_txn *t;
	struct str rec;
	json_t *o = NULL;

	assert_int_equal(enq(f, &e), SE_OK);
	snprintf(did, sizeof(did), "%s.%08x", e.key, 0);
	assert_int_equal(store_write(f->s, status_cb, &a, NULL), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_get(t, FDEL_STATUS_COLL, str_from(did), &rec), SE_OK);
	assert_int_equal(jx_parse_object(rec, 1 << 16, &o, NULL), SE_OK);
	store_read_end(t);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "failed");
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "code")), 404);
	assert_string_equal(json_string_value(json_object_get(o, "error")), "HTTP 404");
	assert_int_equal(json_integer_value(json_object_get(o, "updated")), 2000);
	json_decref(o);
	did[0] = 'Z';
	assert_int_equal(store_write(f->s, status_cb, &a, NULL), SE_NOT_FOUND);
}

struct save_arg {
	struct fhost_rec r;
};

static enum err save_cb(struct store_wtxn *w, void *arg)
{
	return fhost_save(w, &((struct save_arg *)arg)->r);
}

/* an inbound signed activity clears the host's failing days and unavailable mark */
static void test_host_seen(void **state)
{
	struct tstore *f = *state;
	struct fed fed;
	struct save_arg a;
	struct store_txn *t;
	struct fhost_rec back;

	memset(&fed, 0, sizeof(fed));
	fed.store = f->s;
	fhost_rec_init(&a.r, STR_LIT("peer.example"), 1);
	for (int i = 0; i < 3; i++)
		fhost_rec_failed(&a.r, (20000 + i) * FHOST_DAY_MS, 3);
	a.r.scheme = FHOST_SCHEME_RFC9421;
	assert_true(a.r.unavailable);
	assert_int_equal(store_write(f->s, save_cb, &a, NULL), SE_OK);
	/* unknown hosts and junk are ignored */
	fdel_host_seen(&fed, STR_LIT("other.example"));
	fdel_host_seen(&fed, STR_NULL);
	fdel_host_seen(NULL, STR_LIT("peer.example"));
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(fhost_load(t, STR_LIT("other.example"), 1, &back), SE_NOT_FOUND);
	assert_int_equal(fhost_load(t, STR_LIT("peer.example"), 1, &back), SE_OK);
	assert_true(back.unavailable);
	store_read_end(t);
	/* the host name is matched case-insensitively */
	fdel_host_seen(&fed, STR_LIT("PEER.Example"));
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(fhost_load(t, STR_LIT("peer.example"), 1, &back), SE_OK);
	store_read_end(t);
	assert_false(back.unavailable);
	assert_int_equal(back.n_days, 0);
	/* what worked for signing is kept */
	assert_int_equal(back.scheme, FHOST_SCHEME_RFC9421);
}

struct fin_arg {
	const char *key;
	size_t n;
};

static enum err finish_cb(struct store_wtxn *w, void *arg)
{
	struct fin_arg *a = arg;
	char did[40];
	enum err rc = SE_OK;

	for (size_t i = 0; !rc && i < a->n; i++) {
		snprintf(did, sizeof(did), "%s.%08zx", a->key, i);
		rc = fdel_status_set(w, str_from(did), i % 2 ? FDEL_ST_FAILED : FDEL_ST_DELIVERED,
		                     1, 202, STR_NULL, 5000);
	}
	return rc;
}

/* retention: finished activities older than the cutoff go, with their status records */
static void test_prune(void **state)
{
	struct tstore *f = *state;
	size_t total = 600, pruned = 9, n;
	struct str *in = xcalloc(total, sizeof(*in));
	char(*urls)[64] = xcalloc(total, 64);
	struct enq done = {
	    STR_LIT("{}"), STR_LIT("https://me/a/done"), STR_LIT("instance"), in, total, ""};
	struct enq open = {
	    STR_LIT("{}"), STR_LIT("https://me/a/open"), STR_LIT("instance"), in, 2, ""};
	struct fin_arg fa;
	struct store_txn *t;
	struct str rec;

	for (size_t i = 0; i < total; i++) {
		snprintf(urls[i], 64, "http://h.example/users/%zu/inbox", i);
		in[i] = str_from(urls[i]);
	}
	assert_int_equal(enq(f, &done), SE_OK);
	assert_int_equal(enq(f, &open), SE_OK);
	fa = (struct fin_arg){done.key, total};
	assert_int_equal(store_write(f->s, finish_cb, &fa, NULL), SE_OK);
	/* too recent: nothing goes */
	assert_int_equal(fdel_prune(f->s, 1000, 10, &pruned, NULL), SE_OK);
	assert_int_equal(pruned, 0);
	assert_int_equal(fdel_prune(f->s, -1, 10, &pruned, NULL), SE_INVAL);
	/* old enough: the finished one goes, the one still queued stays */
	assert_int_equal(fdel_prune(f->s, 1001, 10, &pruned, NULL), SE_OK);
	assert_int_equal(pruned, 1);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_get(t, FDEL_ACT_COLL, str_from(done.key), &rec), SE_NOT_FOUND);
	assert_int_equal(store_get(t, FDEL_ACT_COLL, str_from(open.key), &rec), SE_OK);
	assert_int_equal(store_count(t, FDEL_STATUS_COLL, NULL, &n), SE_OK);
	assert_int_equal(n, 2);
	store_read_end(t);
	fa = (struct fin_arg){open.key, 2};
	assert_int_equal(store_write(f->s, finish_cb, &fa, NULL), SE_OK);
	assert_int_equal(fdel_prune(f->s, 1001, 10, &pruned, NULL), SE_OK);
	assert_int_equal(pruned, 1);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_count(t, FDEL_STATUS_COLL, NULL, &n), SE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_count(t, FDEL_ACT_COLL, NULL, &n), SE_OK);
	assert_int_equal(n, 0);
	store_read_end(t);
	mem_free(urls);
	mem_free(in);
}

/* OOM: every allocation of the parser and of the enqueue write may fail, cleanly */
static void test_oom(void **state)
{
	struct tstore *f = *state;
	static const struct str inboxes[] = {STR_LIT("https://a.example/inbox"),
	                                     STR_LIT("https://b.example/inbox"),
	                                     STR_LIT("https://a.example/inbox")};
	struct enq e = {STR_LIT("{\"id\":\"https://me/a/oom\"}"),
	                STR_LIT("https://me/a/oom"),
	                STR_LIT("instance"),
	                inboxes,
	                3,
	                ""};
	const char *rec = "{\"host\":\"h.example\",\"days\":[5,9],\"unavailable\":true,"
	                  "\"scheme\":\"cavage\",\"created\":1}";
	struct fhost_rec r;
	struct store_txn *t;
	enum err rc = SE_NOMEM;
	unsigned long i;
	size_t n;

	/*
	 * jansson reports some allocation failures (its lexer's buffer) as a
	 * syntax error, which jx passes on as SE_PARSE: both count as failing
	 * cleanly here (ASan/LSan check the rest).
	 */
	for (i = 1; i < 200 && rc != SE_OK; i++) {
		mem_fail_at(i, 0);
		rc = fhost_rec_parse(str_from(rec), &r);
		mem_fail_at(0, 0);
		if (rc != SE_OK && rc != SE_NOMEM && rc != SE_PARSE)
			fail_msg("allocation %lu: %s", i, err_type(rc));
	}
	assert_int_equal(rc, SE_OK);
	assert_int_equal(r.n_days, 2);
	rc = SE_NOMEM;
	for (i = 1; i < 500 && rc != SE_OK; i++) {
		mem_fail_at(i, 0);
		rc = enq(f, &e);
		mem_fail_at(0, 0);
		if (rc != SE_OK && rc != SE_NOMEM && rc != SE_PARSE)
			fail_msg("allocation %lu: %s", i, err_type(rc));
	}
	assert_int_equal(rc, SE_OK);
	/* the failed attempts left nothing behind */
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_count(t, FDEL_ACT_COLL, NULL, &n), SE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(queue_pending_count(t, &fdel_queue, &n), SE_OK);
	assert_int_equal(n, 2);
	store_read_end(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_item_decode),
	    cmocka_unit_test(test_host_days),
	    cmocka_unit_test(test_host_record_json),
	    cmocka_unit_test(test_breaker),
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test_setup_teardown(test_enqueue_dedup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enqueue_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enqueue_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enqueue_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	jx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
