/*
 * tests/unit/gateway/test_gateway.c: the gateway on 127.0.0.1 with a free
 * port, driven by tests/support/wsclient: Ping/Pong, Subscribe + publish,
 * fragments, limits, garbage, slow-socket policy, handler hooks, shutdown
 * with clients connected, port in use, and connect/disconnect racing
 * publisher threads. Every wait is bounded.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "core/log.h"
#include "core/mem.h"
#include "gateway/gateway.h"
#include "tests/support/wsclient.h"

#define T_MS 3000
#define MAX_MSG 8192
#define SENDQ (1u << 20)

struct fx {
	struct bus *bus;
	struct gw *gw;
	int port;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool wait_conns(struct gw *gw, size_t n, int ms)
{
	for (int i = 0; i < ms; i += 5) {
		if (gw_conn_count(gw) == n)
			return true;
		sleep_ms(5);
	}
	return gw_conn_count(gw) == n;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct gw_opts o = {.host = "127.0.0.1", .sendq_max = SENDQ, .max_message = MAX_MSG};
	struct err_info ei = ERR_INFO_INIT;

	f->bus = bus_new(NULL, NULL);
	if (gw_new(&o, f->bus, &f->gw, &ei) != SE_OK)
		return -1;
	f->port = gw_port(f->gw);
	if (f->port <= 0 || gw_start(f->gw) != SE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gw_free(f->gw);
	bus_free(f->bus);
	mem_free(f);
	return 0;
}

static struct wsc *conn(struct fx *f, const char *path)
{
	struct wsc *c = NULL;

	assert_int_equal(wsc_connect(f->port, path, T_MS, &c), SE_OK);
	return c;
}

static void expect_text(struct wsc *c, const char *want)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_int_equal(wsc_recv_text(c, &b, T_MS), SE_OK);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

static void expect_nothing(struct wsc *c, int ms)
{
	struct buf b = BUF_INIT(1 << 20);

	assert_int_equal(wsc_recv_text(c, &b, ms), SE_TIMEOUT);
	buf_release(&b);
}

/* Round trip a Ping so everything sent before it has been handled. */
static void sync_ping(struct wsc *c)
{
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":0}")), SE_OK);
	expect_text(c, "{\"type\":\"Pong\",\"data\":0}");
}

static void test_ping_pong(void **state)
{
	struct fx *f = *state;
	struct wsc *c = conn(f, "/?version=1&format=json&token=abc");
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"{\"type\":\"Ping\",\"data\":1700000000123}",
	     "{\"type\":\"Pong\",\"data\":1700000000123}"},
	    {"{\"type\":\"Ping\",\"data\":\"x\\u00e9\"}",
	     "{\"type\":\"Pong\",\"data\":\"x\xc3\xa9\"}"},
	    {"{\"data\":[1,2,{\"a\":null}],\"type\":\"Ping\"}",
	     "{\"type\":\"Pong\",\"data\":[1,2,{\"a\":null}]}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(wsc_send_text(c, str_from(cases[i].in)), SE_OK);
		expect_text(c, cases[i].out);
	}
	/* "responded" present: no answer (Revolt) */
	assert_int_equal(
	    wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":5,\"responded\":1}")), SE_OK);
	expect_nothing(c, 200);
	wsc_close(c);
}

static void test_any_path(void **state)
{
	struct fx *f = *state;
	const char *paths[] = {"/", "/ws", "/api/events/deep/path?x=1", "/?"};

	for (size_t i = 0; i < 4; i++) {
		struct wsc *c = conn(f, paths[i]);

		sync_ping(c);
		wsc_close(c);
	}
}

static void test_subscribe_publish(void **state)
{
	struct fx *f = *state;
	struct wsc *a = conn(f, "/");
	struct wsc *b = conn(f, "/");

	assert_int_equal(wsc_send_text(a, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"S1\"}")),
	                 SE_OK);
	assert_int_equal(wsc_send_text(b, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"S2\"}")),
	                 SE_OK);
	sync_ping(a);
	sync_ping(b);
	assert_int_equal(bus_publish(f->bus, STR_LIT("S1"), STR_LIT("{\"type\":\"Message\"}")),
	                 SE_OK);
	expect_text(a, "{\"type\":\"Message\"}");
	const struct str both[] = {STR_LIT("S1"), STR_LIT("S2")};
	assert_int_equal(bus_publish_multi(f->bus, both, 2, STR_LIT("{\"n\":2}")), SE_OK);
	expect_text(a, "{\"n\":2}");
	expect_text(b, "{\"n\":2}");
	/* ordering is kept per socket */
	for (int i = 0; i < 50; i++) {
		char m[32];
		int k = snprintf(m, sizeof(m), "{\"i\":%d}", i);
		assert_int_equal(bus_publish(f->bus, STR_LIT("S2"), (struct str){m, (size_t)k}),
		                 SE_OK);
	}
	for (int i = 0; i < 50; i++) {
		char m[32];
		snprintf(m, sizeof(m), "{\"i\":%d}", i);
		expect_text(b, m);
	}
	expect_nothing(a, 100);
	wsc_close(a);
	wsc_close(b);
	assert_true(wait_conns(f->gw, 0, T_MS));
	assert_int_equal(bus_topic_count(f->bus), 0);
}

static void test_fragments(void **state)
{
	struct fx *f = *state;
	struct wsc *c = conn(f, "/");

	assert_int_equal(wsc_send_frame(c, WSC_OP_TEXT, false, STR_LIT("{\"type\":")), SE_OK);
	/* a control frame may come between fragments */
	assert_int_equal(wsc_send_frame(c, WSC_OP_PING, true, STR_LIT("hi")), SE_OK);
	assert_int_equal(wsc_send_frame(c, WSC_OP_CONT, false, STR_LIT("\"Ping\",")), SE_OK);
	assert_int_equal(wsc_send_frame(c, WSC_OP_CONT, true, STR_LIT("\"data\":7}")), SE_OK);
	expect_text(c, "{\"type\":\"Pong\",\"data\":7}");
	wsc_close(c);
}

/*
 * lws hands the gateway at most its small per-socket receive chunk at a
 * time: a message of several chunks (one frame, and split over frames) is
 * reassembled whole, repeatedly on the same socket; outgoing messages are
 * not bounded by it.
 */
static void test_large_messages(void **state)
{
	struct fx *f = *state;
	struct wsc *c = conn(f, "/?version=1&format=json");
	size_t big = MAX_MSG - 64, out_n = 60000;
	char *in = xmalloc(big + 64), *want = xmalloc(big + 64), *out = xmalloc(out_n + 1);
	int k;

	for (int round = 0; round < 3; round++) {
		memset(out, 'a' + round, big);
		k = snprintf(in, big + 64, "{\"type\":\"Ping\",\"data\":\"%.*s\"}", (int)(big - 40),
		             out);
		snprintf(want, big + 64, "{\"type\":\"Pong\",\"data\":\"%.*s\"}", (int)(big - 40),
		         out);
		if (round < 2) {
			assert_int_equal(wsc_send_text(c, (struct str){in, (size_t)k}), SE_OK);
		} else { /* three frames, of 1000, 1 and the rest */
			assert_int_equal(
			    wsc_send_frame(c, WSC_OP_TEXT, false, (struct str){in, 1000}), SE_OK);
			assert_int_equal(
			    wsc_send_frame(c, WSC_OP_CONT, false, (struct str){in + 1000, 1}),
			    SE_OK);
			assert_int_equal(wsc_send_frame(c, WSC_OP_CONT, true,
			                                (struct str){in + 1001, (size_t)k - 1001}),
			                 SE_OK);
		}
		expect_text(c, want);
	}
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"L\"}")),
	                 SE_OK);
	sync_ping(c);
	memset(out, 'z', out_n);
	out[0] = '"';
	out[out_n - 1] = '"';
	out[out_n] = '\0';
	assert_int_equal(bus_publish(f->bus, STR_LIT("L"), (struct str){out, out_n}), SE_OK);
	expect_text(c, out);
	sync_ping(c);
	wsc_close(c);
	mem_free(in);
	mem_free(want);
	mem_free(out);
}

static void test_garbage_ignored(void **state)
{
	struct fx *f = *state;
	struct wsc *c = conn(f, "/");
	const char *bad[] = {
	    "",
	    "not json",
	    "{",
	    "[1,2]",
	    "\"Ping\"",
	    "{\"type\":\"Ping\",\"type\":\"Ping\",\"data\":1}",
	    "{\"type\":\"Ping\"}",
	    "{\"type\":42}",
	    "{\"type\":\"Unknown\"}",
	    "{\"type\":\"Subscribe\",\"server_id\":\"\"}",
	    "{\"type\":\"Subscribe\",\"server_id\":7}",
	};
	const char nul[] = "{\"type\":\"Ping\",\"data\":1}\0trailing";
	char deep[2000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wsc_send_text(c, str_from(bad[i])), SE_OK);
	assert_int_equal(wsc_send_text(c, (struct str){nul, sizeof(nul) - 1}), SE_OK);
	memset(deep, '[', sizeof(deep));
	assert_int_equal(wsc_send_text(c, (struct str){deep, sizeof(deep)}), SE_OK);
	assert_int_equal(wsc_send_frame(c, WSC_OP_BINARY, true, STR_LIT("\x81\xa4type")), SE_OK);
	assert_int_equal(wsc_send_text(c, (struct str){"\xff\xfe\x00", 3}), SE_OK);
	sync_ping(c);
	wsc_close(c);
}

static void test_oversized_closed(void **state)
{
	struct fx *f = *state;
	struct wsc *c = conn(f, "/");
	struct wsc *d = conn(f, "/");
	struct buf b = BUF_INIT(1 << 20);
	char *big = xmalloc(MAX_MSG + 1);

	/* exactly the limit is fine (it is not JSON, so ignored) */
	memset(big, 'a', MAX_MSG + 1);
	assert_int_equal(wsc_send_text(c, (struct str){big, MAX_MSG}), SE_OK);
	sync_ping(c);
	assert_int_equal(wsc_send_text(c, (struct str){big, MAX_MSG + 1}), SE_OK);
	assert_int_equal(wsc_recv_text(c, &b, T_MS), SE_IO);
	assert_int_equal(wsc_close_code(c), 1009);
	/* the same over several fragments */
	assert_int_equal(wsc_send_frame(d, WSC_OP_TEXT, false, (struct str){big, MAX_MSG / 2}),
	                 SE_OK);
	assert_int_equal(wsc_send_frame(d, WSC_OP_CONT, true, (struct str){big, MAX_MSG / 2 + 1}),
	                 SE_OK);
	assert_int_equal(wsc_recv_text(d, &b, T_MS), SE_IO);
	assert_int_equal(wsc_close_code(d), 1009);
	wsc_close(c);
	wsc_close(d);
	mem_free(big);
	buf_release(&b);
}

/*
 * A reader that never reads, subscribed with a normal one: publish 64 KiB
 * events (pacing on the normal reader) until the slow one is dropped.
 */
static void test_slow_reader_dropped(void **state)
{
	struct fx *f = *state;
	struct wsc *slow = conn(f, "/");
	struct wsc *fast = conn(f, "/");
	struct buf b = BUF_INIT(1 << 20);
	size_t msg = 64 * 1024, sent = 0;
	char *payload = xmalloc(msg);
	bool dropped = false;

	memset(payload, 'x', msg);
	payload[0] = '"';
	payload[msg - 1] = '"';
	assert_int_equal(
	    wsc_send_text(slow, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"F\"}")), SE_OK);
	assert_int_equal(
	    wsc_send_text(fast, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"F\"}")), SE_OK);
	sync_ping(slow);
	sync_ping(fast);
	assert_int_equal(gw_conn_count(f->gw), 2);
	while (sent < (256u << 20) && !(dropped && sent >= (10u << 20))) {
		assert_int_equal(bus_publish(f->bus, STR_LIT("F"), (struct str){payload, msg}),
		                 SE_OK);
		sent += msg;
		assert_int_equal(wsc_recv_text(fast, &b, T_MS), SE_OK);
		assert_int_equal(b.len, msg);
		if (gw_conn_count(f->gw) == 1) {
			dropped = true;
			/* keep going to 10 MiB: the normal reader gets all of it */
			if (sent >= (10u << 20))
				break;
		}
	}
	print_message("slow socket dropped after %zu MiB published\n", sent >> 20);
	assert_true(dropped);
	assert_true(sent >= SENDQ);
	/* the normal reader keeps receiving */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(bus_publish(f->bus, STR_LIT("F"), STR_LIT("{\"after\":1}")),
		                 SE_OK);
		expect_text(fast, "{\"after\":1}");
	}
	/* the slow one sees the end of its stream, perhaps after some backlog */
	for (int i = 0; i < 100000; i++) {
		enum err rc = wsc_recv_text(slow, &b, T_MS);

		if (rc != SE_OK) {
			assert_int_equal(rc, SE_IO);
			break;
		}
	}
	wsc_close(slow);
	wsc_close(fast);
	mem_free(payload);
	buf_release(&b);
}

/* A handler using the gw_conn API: query parameters, open refusal, close. */
struct hctx {
	atomic_int opens, closes, msgs;
	char token[64];
};

static enum err h_open(void *ctx, struct gw_conn *c)
{
	struct hctx *h = ctx;
	struct str tok = gw_conn_query(c, "token");
	struct str k, v;
	int ready = 0;

	atomic_fetch_add(&h->opens, 1);
	if (!tok.p)
		return SE_OK;
	snprintf(h->token, sizeof(h->token), "%.*s", (int)tok.n, tok.p);
	for (size_t i = 0; gw_conn_query_at(c, i, &k, &v); i++)
		ready += str_eq_cstr(k, "ready");
	gw_conn_set_data(c, (void *)(intptr_t)ready);
	return str_eq_cstr(tok, "bad") ? SE_INVAL : SE_OK;
}

static void h_message(void *ctx, struct gw_conn *c, struct str text)
{
	struct hctx *h = ctx;
	char out[64];
	int k;

	atomic_fetch_add(&h->msgs, 1);
	if (str_eq_cstr(text, "bye")) {
		gw_conn_close(c, GW_CLOSE_NORMAL);
		return;
	}
	k = snprintf(out, sizeof(out), "ready=%d", (int)(intptr_t)gw_conn_data(c));
	assert_int_equal(gw_conn_send(c, (struct str){out, (size_t)k}), SE_OK);
	assert_int_equal(gw_conn_subscribe(c, STR_LIT("h")), SE_OK);
	assert_int_equal(gw_conn_unsubscribe(c, STR_LIT("h")), SE_OK);
	assert_int_equal(gw_conn_unsubscribe(c, STR_LIT("h")), SE_NOT_FOUND);
	/* replacing is for the filter only */
	assert_int_equal(gw_conn_replace(c, STR_LIT("x")), SE_INVAL);
}

static void h_close(void *ctx, struct gw_conn *c)
{
	(void)c;
	atomic_fetch_add(&((struct hctx *)ctx)->closes, 1);
}

static void test_handler_hooks(void **state)
{
	struct hctx h = {0};
	const struct gw_handler hd = {h_open, h_message, h_close, &h};
	struct gw_opts o = {.host = "127.0.0.1", .handler = &hd};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	struct buf b = BUF_INIT(4096);
	struct wsc *c = NULL;
	struct gw *gw = NULL;

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	assert_int_equal(gw_start(gw), SE_BUSY);
	assert_int_equal(
	    wsc_connect(gw_port(gw), "/x?token=t%20ok&ready=users&ready=servers", T_MS, &c), SE_OK);
	assert_int_equal(wsc_send_text(c, STR_LIT("hi")), SE_OK);
	expect_text(c, "ready=2");
	assert_string_equal(h.token, "t ok");
	assert_int_equal(wsc_send_text(c, STR_LIT("bye")), SE_OK);
	assert_int_equal(wsc_recv_text(c, &b, T_MS), SE_IO);
	assert_int_equal(wsc_close_code(c), 1000);
	wsc_close(c);
	/* refused in on_open: closed with 1008, on_close not called */
	assert_int_equal(wsc_connect(gw_port(gw), "/?token=bad", T_MS, &c), SE_OK);
	assert_int_equal(wsc_recv_text(c, &b, T_MS), SE_IO);
	assert_int_equal(wsc_close_code(c), 1008);
	wsc_close(c);
	assert_true(wait_conns(gw, 0, T_MS));
	assert_int_equal(atomic_load(&h.opens), 2);
	assert_int_equal(atomic_load(&h.closes), 1);
	gw_free(gw);
	bus_free(bus);
	buf_release(&b);
}

/*
 * A filter that holds the service thread on "hold" (so what the test
 * publishes next piles up in the queue), rewrites {"r":N} into {"R":N}
 * with gw_conn_replace, drops "drop" and passes the rest.
 */
static enum gw_verdict f_rewrite(void *ctx, struct gw_conn *c, struct str text)
{
	char out[64];
	int k;

	(void)ctx;
	if (str_eq_cstr(text, "hold")) {
		sleep_ms(300);
		return GW_DROP;
	}
	if (str_eq_cstr(text, "drop"))
		return GW_DROP;
	if (text.n > 5 && memcmp(text.p, "{\"r\":", 5) == 0) {
		k = snprintf(out, sizeof(out), "{\"R\":%.*s", (int)(text.n - 5), text.p + 5);
		/* a second call wins over the first */
		assert_int_equal(gw_conn_replace(c, STR_LIT("first")), SE_OK);
		assert_int_equal(gw_conn_replace(c, (struct str){out, (size_t)k}), SE_OK);
		return GW_DROP;
	}
	return GW_PASS;
}

/* A replaced message keeps its place in the socket's queue. */
static void test_filter_replace_keeps_order(void **state)
{
	struct gw_opts o = {.host = "127.0.0.1", .filter = f_rewrite};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	struct wsc *c = NULL;
	struct gw *gw = NULL;
	char m[32];

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	assert_int_equal(wsc_connect(gw_port(gw), "/", T_MS, &c), SE_OK);
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"S\"}")),
	                 SE_OK);
	sync_ping(c);
	/* while the filter holds the thread, 40 messages queue up behind "hold" */
	assert_int_equal(bus_publish(bus, STR_LIT("S"), STR_LIT("hold")), SE_OK);
	for (int i = 0; i < 40; i++) {
		int k = snprintf(m, sizeof(m), i % 3 == 0 ? "{\"r\":%d}" : "{\"p\":%d}", i);

		assert_int_equal(bus_publish(bus, STR_LIT("S"), (struct str){m, (size_t)k}), SE_OK);
		if (i % 7 == 0)
			assert_int_equal(bus_publish(bus, STR_LIT("S"), STR_LIT("drop")), SE_OK);
	}
	for (int i = 0; i < 40; i++) {
		snprintf(m, sizeof(m), i % 3 == 0 ? "{\"R\":%d}" : "{\"p\":%d}", i);
		expect_text(c, m);
	}
	expect_nothing(c, 100);
	wsc_close(c);
	assert_true(wait_conns(gw, 0, T_MS));
	gw_free(gw);
	bus_free(bus);
}

/*
 * Events queued while the thread is held go out coalesced (several frames
 * per write, at most 64 or 16 KiB each): every frame whole, in order, with
 * 7-bit, 16-bit and 64-bit length headers at their boundaries.
 */
static void test_coalesced_frames(void **state)
{
	static const size_t sizes[] = {1, 125, 126, 127, 65535, 65536, 70000, 3, 16384, 2};
	struct gw_opts o = {.host = "127.0.0.1", .filter = f_rewrite};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	size_t nsizes = sizeof(sizes) / sizeof(sizes[0]), total = nsizes + 150;
	struct buf b = BUF_INIT(1 << 20);
	char *m = xmalloc(70001);
	struct wsc *c = NULL;
	struct gw *gw = NULL;

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	assert_int_equal(wsc_connect(gw_port(gw), "/", T_MS, &c), SE_OK);
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"S\"}")),
	                 SE_OK);
	sync_ping(c);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(bus_publish(bus, STR_LIT("S"), STR_LIT("hold")), SE_OK);
		for (size_t i = 0; i < total; i++) {
			size_t n = i < nsizes ? sizes[i] : 10 + i % 40;

			memset(m, 'a' + (int)(i % 26), n);
			assert_int_equal(bus_publish(bus, STR_LIT("S"), (struct str){m, n}), SE_OK);
		}
		for (size_t i = 0; i < total; i++) {
			size_t n = i < nsizes ? sizes[i] : 10 + i % 40;

			assert_int_equal(wsc_recv_text(c, &b, T_MS), SE_OK);
			assert_int_equal(b.len, n);
			for (size_t j = 0; j < n; j++)
				if (b.ptr[j] != 'a' + (int)(i % 26))
					fail_msg("message %zu byte %zu", i, j);
		}
	}
	expect_nothing(c, 100);
	wsc_close(c);
	assert_true(wait_conns(gw, 0, T_MS));
	gw_free(gw);
	bus_free(bus);
	buf_release(&b);
	mem_free(m);
}

static void test_stop_with_clients(void **state)
{
	struct gw_opts o = {.host = "127.0.0.1"};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	struct buf b = BUF_INIT(4096);
	struct wsc *c[5];
	struct gw *gw = NULL;

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(wsc_connect(gw_port(gw), "/", T_MS, &c[i]), SE_OK);
		assert_int_equal(
		    wsc_send_text(c[i], STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"x\"}")),
		    SE_OK);
		sync_ping(c[i]);
	}
	gw_stop(gw);
	gw_stop(gw);
	assert_int_equal(gw_conn_count(gw), 0);
	assert_int_equal(bus_topic_count(bus), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(wsc_recv_text(c[i], &b, T_MS), SE_IO);
		assert_true(wsc_close_code(c[i]) == 1001 || wsc_close_code(c[i]) == -1);
		wsc_close(c[i]);
	}
	/* publishing after stop reaches nobody and does not crash */
	assert_int_equal(bus_publish(bus, STR_LIT("x"), STR_LIT("{}")), SE_OK);
	gw_free(gw);
	bus_free(bus);
	buf_release(&b);
}

static void test_port_in_use(void **state)
{
	struct fx *f = *state;
	struct gw_opts o = {.host = "127.0.0.1", .port = f->port};
	struct err_info ei = ERR_INFO_INIT;
	struct gw *gw = NULL;
	struct wsc *c;

	assert_int_equal(gw_new(&o, f->bus, &gw, &ei), SE_IO);
	assert_null(gw);
	assert_non_null(strstr(ei.detail, "cannot listen"));
	o.port = 70000;
	assert_int_equal(gw_new(&o, f->bus, &gw, &ei), SE_INVAL);
	/* the first gateway is unaffected */
	c = conn(f, "/");
	sync_ping(c);
	wsc_close(c);
	/* never started: free must still work */
	o.port = 0;
	assert_int_equal(gw_new(&o, f->bus, &gw, &ei), SE_OK);
	gw_free(gw);
}

/* Connect/disconnect churn while publisher threads fan out to everyone. */
struct churn {
	struct bus *bus;
	atomic_int stop;
};

static void *churn_pub(void *arg)
{
	struct churn *ch = arg;
	const struct str t[] = {STR_LIT("c0"), STR_LIT("c1")};

	while (!atomic_load(&ch->stop)) {
		assert_int_equal(bus_publish_multi(ch->bus, t, 2, STR_LIT("{\"type\":\"Churn\"}")),
		                 SE_OK);
		sleep_ms(0);
	}
	return NULL;
}

static void test_churn_with_publishers(void **state)
{
	struct fx *f = *state;
	struct churn ch = {.bus = f->bus};
	pthread_t th[3];

	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn_pub, &ch), 0);
	for (int round = 0; round < 40; round++) {
		struct wsc *c[4];

		for (int i = 0; i < 4; i++) {
			c[i] = conn(f, "/");
			assert_int_equal(
			    wsc_send_text(c[i], i & 1 ? STR_LIT("{\"type\":\"Subscribe\","
			                                        "\"server_id\":\"c0\"}")
			                              : STR_LIT("{\"type\":\"Subscribe\","
			                                        "\"server_id\":\"c1\"}")),
			    SE_OK);
		}
		for (int i = 0; i < 4; i++)
			wsc_close(c[i]);
	}
	atomic_store(&ch.stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_true(wait_conns(f->gw, 0, T_MS));
	assert_int_equal(bus_topic_count(f->bus), 0);
}

static void test_many_handshakes(void **state)
{
	enum { N = 200 };
	struct fx *f = *state;
	static struct wsc *c[N];

	for (int i = 0; i < N; i++)
		c[i] = conn(f, "/?version=1&format=json");
	assert_true(wait_conns(f->gw, N, T_MS));
	assert_int_equal(bus_publish(f->bus, STR_LIT("nobody"), STR_LIT("{}")), SE_OK);
	sync_ping(c[N - 1]);
	for (int i = 0; i < N; i++)
		wsc_close(c[i]);
	assert_true(wait_conns(f->gw, 0, T_MS));
}

/* Seconds until the server closes a raw TCP socket that sent `pre`; -1 if not within 8 s. */
static int secs_until_closed(int port, const char *pre)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	time_t t0 = time(NULL);
	int result = -1;
	char tmp[512];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (*pre)
		assert_true(send(fd, pre, strlen(pre), MSG_NOSIGNAL) > 0);
	while (time(NULL) - t0 < 8) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 200) > 0 && recv(fd, tmp, sizeof(tmp), 0) <= 0) {
			result = (int)(time(NULL) - t0);
			break;
		}
	}
	close(fd);
	return result;
}

/* Idle and half-sent handshakes are cut off by the handshake timeout. */
static void test_handshake_timeout(void **state)
{
	struct gw_opts o = {.host = "127.0.0.1", .handshake_timeout_s = 1};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	struct gw *gw = NULL;
	int idle, partial;

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	idle = secs_until_closed(gw_port(gw), "");
	partial = secs_until_closed(gw_port(gw), "GET / HTTP/1.1\r\nHost: x\r\n");
	print_message("handshake cut-off: idle %d s, partial %d s\n", idle, partial);
	assert_true(idle >= 0 && idle <= 4);
	assert_true(partial >= 0 && partial <= 4);
	gw_free(gw);
	bus_free(bus);
}

/* A socket that never answers pings is hung up on; one that does stays. */
static void test_idle_hangup(void **state)
{
	struct gw_opts o = {.host = "127.0.0.1", .ping_s = 1, .hangup_s = 2};
	struct bus *bus = bus_new(NULL, NULL);
	struct err_info ei = ERR_INFO_INIT;
	struct buf b = BUF_INIT(4096);
	struct wsc *quiet, *live;
	struct gw *gw = NULL;

	(void)state;
	assert_int_equal(gw_new(&o, bus, &gw, &ei), SE_OK);
	assert_int_equal(gw_start(gw), SE_OK);
	assert_int_equal(wsc_connect(gw_port(gw), "/", T_MS, &quiet), SE_OK);
	assert_int_equal(wsc_connect(gw_port(gw), "/", T_MS, &live), SE_OK);
	/* wsc answers pings while it waits for text */
	for (int i = 0; i < 8 && gw_conn_count(gw) == 2; i++)
		assert_int_equal(wsc_recv_text(live, &b, 500), SE_TIMEOUT);
	assert_int_equal(gw_conn_count(gw), 1);
	sync_ping(live);
	/* The server has dropped it; on a loaded machine the close may take a
	 * few seconds to reach the client (bounded: 4 x T_MS). */
	{
		enum err rc = SE_TIMEOUT;

		for (int i = 0; i < 4 && rc == SE_TIMEOUT; i++)
			rc = wsc_recv_text(quiet, &b, T_MS);
		assert_int_equal(rc, SE_IO);
	}
	wsc_close(quiet);
	wsc_close(live);
	gw_free(gw);
	bus_free(bus);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping_pong, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_any_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_messages, setup, teardown),
	    cmocka_unit_test(test_coalesced_frames),
	    cmocka_unit_test_setup_teardown(test_subscribe_publish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reader_dropped, setup, teardown),
	    cmocka_unit_test(test_handler_hooks),
	    cmocka_unit_test(test_stop_with_clients),
	    cmocka_unit_test(test_filter_replace_keeps_order),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_idle_hangup),
	    cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_churn_with_publishers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_handshakes, setup, teardown),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
