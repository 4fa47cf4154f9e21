/*
 * tests/unit/core/test_fetch.c: the outbound HTTP client: the address policy
 * (tables), URL parsing (hostile inputs), and real fetches against a small
 * HTTP server on 127.0.0.1 run by a thread of this test: status, body,
 * headers, size cap, stall timeout, redirects and refused redirects, and the
 * SSRF guard refusing loopback at connect time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/fetch.h"
#include "tests/support/lsrv.h"

/* ---- address table ---- */

static bool allowed_text(const char *ip, bool allow_private)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, ip, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return fetch_addr_allowed((struct sockaddr *)&in4, allow_private);
	}
	assert_int_equal(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1);
	in6.sin6_family = AF_INET6;
	return fetch_addr_allowed((struct sockaddr *)&in6, allow_private);
}

static void test_addr_table(void **state)
{
	static const struct {
		const char *ip;
		bool ok;
	} cases[] = {
	    {"0.0.0.0", false},
	    {"0.1.2.3", false},
	    {"10.0.0.1", false},
	    {"10.255.255.255", false},
	    {"100.64.0.1", false},
	    {"100.127.255.254", false},
	    {"100.128.0.1", true},
	    {"127.0.0.1", false},
	    {"127.255.255.254", false},
	    {"169.254.169.254", false},
	    {"169.254.0.1", false},
	    {"172.16.0.1", false},
	    {"172.31.255.255", false},
	    {"172.32.0.1", true},
	    {"172.15.255.255", true},
	    {"192.0.0.8", false},
	    {"192.0.2.1", false},
	    {"192.168.1.1", false},
	    {"198.18.0.1", false},
	    {"198.19.255.255", false},
	    {"198.20.0.1", true},
	    {"224.0.0.1", false},
	    {"239.255.255.250", false},
	    {"240.0.0.1", false},
	    {"255.255.255.255", false},
	    {"1.1.1.1", true},
	    {"8.8.8.8", true},
	    {"93.184.216.34", true},
	    {"::", false},
	    {"::1", false},
	    {"::ffff:127.0.0.1", false},
	    {"::ffff:10.1.2.3", false},
	    {"::ffff:169.254.169.254", false},
	    {"::ffff:8.8.8.8", true},
	    {"::127.0.0.1", false},
	    {"::10.0.0.1", false},
	    {"::8.8.8.8", true},
	    {"64:ff9b::127.0.0.1", false},
	    {"64:ff9b::a9fe:a9fe", false},
	    {"64:ff9b::8.8.8.8", true},
	    {"64:ff9b:1::1", false},
	    {"2002:7f00:1::", false},
	    {"2002:0808:0808::1", true},
	    {"fe80::1", false},
	    {"febf::1", false},
	    {"fec0::1", false},
	    {"fc00::1", false},
	    {"fd12:3456::1", false},
	    {"ff02::1", false},
	    {"2001:db8::1", false},
	    {"100::1", false},
	    {"2606:4700:4700::1111", true},
	    {"2a01:4f8::1", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = allowed_text(cases[i].ip, false);

		if (got != cases[i].ok)
			fail_msg("%s: got %d", cases[i].ip, got);
		/* allow_private lets everything through */
		assert_true(allowed_text(cases[i].ip, true));
	}
	/* other families never pass */
	{
		struct sockaddr sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_family = AF_UNIX;
		assert_false(fetch_addr_allowed(&sa, true));
		assert_false(fetch_addr_allowed(NULL, true));
	}
}

/* ---- URL parsing ---- */

static void test_url_parse(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *host, *hostport, *path;
		unsigned port;
	} cases[] = {
	    {"https://Example.COM/users/a?x=1#frag", true, "example.com", "example.com",
	     "/users/a?x=1", 443},
	    {"https://example.com", true, "example.com", "example.com", "/", 443},
	    {"http://example.com:80/", true, "example.com", "example.com", "/", 80},
	    {"https://example.com:8443/x", true, "example.com", "example.com:8443", "/x", 8443},
	    {"http://example.com:443/x", true, "example.com", "example.com:443", "/x", 443},
	    {"https://[2001:DB8::1]:444/a", true, "2001:db8::1", "[2001:db8::1]:444", "/a", 444},
	    {"https://[::1]/", true, "::1", "[::1]", "/", 443},
	    {"HTTPS://example.com/", true, "example.com", "example.com", "/", 443},
	    {"https://example.com./", true, "example.com.", "example.com.", "/", 443},
	    {"", false, NULL, NULL, NULL, 0},
	    {"example.com/x", false, NULL, NULL, NULL, 0},
	    {"//example.com/x", false, NULL, NULL, NULL, 0},
	    {"ftp://example.com/", false, NULL, NULL, NULL, 0},
	    {"file:///etc/passwd", false, NULL, NULL, NULL, 0},
	    {"gopher://example.com:70/", false, NULL, NULL, NULL, 0},
	    {"javascript:alert(1)", false, NULL, NULL, NULL, 0},
	    {"https://user:pw@example.com/", false, NULL, NULL, NULL, 0},
	    {"https://user@example.com/", false, NULL, NULL, NULL, 0},
	    {"https://:pw@example.com/", false, NULL, NULL, NULL, 0},
	    /* curl (like WHATWG) reads the third slash as the start of the host */
	    {"https:///x", true, "x", "x", "/", 443},
	    {"https://", false, NULL, NULL, NULL, 0},
	    {"https://example.com:0/", false, NULL, NULL, NULL, 0},
	    {"https://example.com:65536/", false, NULL, NULL, NULL, 0},
	    {"https://example.com:-1/", false, NULL, NULL, NULL, 0},
	    {"https://example.com:x/", false, NULL, NULL, NULL, 0},
	    {"https://exa mple.com/", false, NULL, NULL, NULL, 0},
	    {"https://example.com/a b", false, NULL, NULL, NULL, 0},
	    {"https://example.com/\r\nX-Evil: 1", false, NULL, NULL, NULL, 0},
	    {"https://[fe80::1%25eth0]/", false, NULL, NULL, NULL, 0},
	    {"https://[::1/", false, NULL, NULL, NULL, 0},
	    {"https://[zz::1]/", false, NULL, NULL, NULL, 0},
	    /* percent-decoded hosts must still be clean (found by fuzz_url) */
	    {"http://0%7f.1/", false, NULL, NULL, NULL, 0},
	    {"https://exa%00mple.com/", false, NULL, NULL, NULL, 0},
	    {"https://ex%2fample.com/", false, NULL, NULL, NULL, 0},
	    {"https://ex%40ample.com/", false, NULL, NULL, NULL, 0},
	    {"https://%65xample.com/", true, "example.com", "example.com", "/", 443},
	    /* a percent-encoded numeric host is reported as the address it resolves to */
	    {"https://%32/", true, "0.0.0.2", "0.0.0.2", "/", 443},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_url u;
		struct err_info ei = ERR_INFO_INIT;
		enum err rc = fetch_url_parse(cases[i].in, &u, &ei);

		if ((rc == SE_OK) != cases[i].ok)
			fail_msg("'%s': rc %d (%s)", cases[i].in, rc, ei.detail);
		if (!cases[i].ok) {
			assert_int_equal(rc, SE_INVAL);
			assert_true(ei.detail[0] != '\0');
			continue;
		}
		assert_string_equal(u.host, cases[i].host);
		assert_string_equal(u.hostport, cases[i].hostport);
		assert_string_equal(u.path, cases[i].path);
		assert_int_equal(u.port, cases[i].port);
	}
	/* NULL, and a URL over the limit */
	{
		struct fetch_url u;
		char big[FETCH_URL_MAX + 64];

		assert_int_equal(fetch_url_parse(NULL, &u, NULL), SE_INVAL);
		memcpy(big, "https://example.com/", 20);
		memset(big + 20, 'a', sizeof(big) - 21);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(fetch_url_parse(big, &u, NULL), SE_INVAL);
		big[FETCH_URL_MAX + 1] = '\0';
		assert_int_equal(fetch_url_parse(big, &u, NULL), SE_INVAL);
		/* exactly at the limit */
		big[FETCH_URL_MAX] = '\0';
		assert_int_equal(fetch_url_parse(big, &u, NULL), SE_OK);
		assert_int_equal(strlen(u.path), FETCH_URL_MAX - 19);
	}
	/* numeric IPv4 forms are normalised by curl: the guard sees the real address */
	{
		struct fetch_url u;

		assert_int_equal(fetch_url_parse("http://0x7f.1/", &u, NULL), SE_OK);
		assert_string_equal(u.host, "127.0.0.1");
		assert_int_equal(fetch_url_parse("http://2130706433/", &u, NULL), SE_OK);
		assert_string_equal(u.host, "127.0.0.1");
	}
}

/* ---- a tiny HTTP/1.1 server on 127.0.0.1 ---- */

static struct lsrv *g_srv;
static char last_req[4096]; /* the last request the server read */

static void serve_one(struct lsrv *srv, int fd, void *arg)
{
	char req[4096], path[256] = "", body[512];
	const char *b;

	(void)arg;
	lsrv_read_request(fd, req, sizeof(req));
	snprintf(last_req, sizeof(last_req), "%s", req);
	sscanf(req, "%*s %255s", path);
	b = strstr(req, "\r\n\r\n");
	b = b ? b + 4 : "";
	if (strcmp(path, "/ok") == 0) {
		lsrv_reply(fd, "200 OK", "Content-Type: text/plain\r\nX-Test: yes\r\n", "hello");
	} else if (strcmp(path, "/echo") == 0) {
		char method[16] = "";
		const char *sig = strcasestr(req, "\r\nx-sig: ");
		int sl = sig ? (int)strcspn(sig + 9, "\r") : 0;

		sscanf(req, "%15s", method);
		snprintf(body, sizeof(body), "%s:%s|%.*s", method, b, sl, sig ? sig + 9 : "");
		lsrv_reply(fd, "200 OK", "Content-Type: application/json\r\n", body);
	} else if (strcmp(path, "/big") == 0 || strcmp(path, "/big-noclen") == 0) {
		static char chunk[4096];
		char head[256];
		int n;

		memset(chunk, 'x', sizeof(chunk));
		if (strcmp(path, "/big") == 0)
			n = snprintf(head, sizeof(head),
			             "HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n"
			             "Connection: close\r\n\r\n");
		else
			n = snprintf(head, sizeof(head),
			             "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		lsrv_send_all(fd, head, (size_t)n);
		for (int i = 0; i < 25; i++)
			lsrv_send_all(fd, chunk, sizeof(chunk));
	} else if (strcmp(path, "/stall") == 0) {
		const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";

		lsrv_send_all(fd, head, strlen(head));
		/* hold the connection until the client gives up (bounded: 5 s) */
		for (int i = 0; i < 100 && !lsrv_stopping(srv); i++) {
			struct pollfd p = {fd, POLLIN, 0};
			char tmp[64];

			if (poll(&p, 1, 50) > 0 && recv(fd, tmp, sizeof(tmp), 0) <= 0)
				break;
		}
	} else if (strcmp(path, "/r1") == 0) {
		lsrv_reply(fd, "302 Found", "Location: /r2\r\n", "");
	} else if (strcmp(path, "/r2") == 0) {
		lsrv_reply(fd, "301 Moved Permanently", "Location: /ok\r\n", "");
	} else if (strcmp(path, "/loop") == 0) {
		lsrv_reply(fd, "302 Found", "Location: /loop\r\n", "");
	} else if (strcmp(path, "/to-ftp") == 0) {
		lsrv_reply(fd, "302 Found", "Location: ftp://127.0.0.1/x\r\n", "");
	} else if (strcmp(path, "/to-creds") == 0) {
		char loc[128];

		snprintf(loc, sizeof(loc), "Location: http://u:p@127.0.0.1:%u/ok\r\n",
		         lsrv_port(g_srv));
		lsrv_reply(fd, "302 Found", loc, "");
	} else if (strcmp(path, "/see-other") == 0) {
		lsrv_reply(fd, "303 See Other", "Location: /echo\r\n", "");
	} else if (strcmp(path, "/keep-method") == 0) {
		lsrv_reply(fd, "307 Temporary Redirect", "Location: /echo\r\n", "");
	} else if (strcmp(path, "/busy") == 0) {
		lsrv_reply(fd, "429 Too Many Requests", "Retry-After: 120\r\n", "slow down");
	} else if (strcmp(path, "/busy-date") == 0) {
		lsrv_reply(fd, "503 Service Unavailable",
		           "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", "");
	} else {
		lsrv_reply(fd, "404 Not Found", "", "nope");
	}
}

static int srv_setup(void **state)
{
	(void)state;
	g_srv = lsrv_start(serve_one, NULL);
	return g_srv ? 0 : -1;
}

static int srv_teardown(void **state)
{
	(void)state;
	lsrv_stop(g_srv);
	g_srv = NULL;
	return 0;
}

static void url_of(char *out, size_t cap, const char *scheme, const char *host, const char *path)
{
	snprintf(out, cap, "%s://%s:%u%s", scheme, host, lsrv_port(g_srv), path);
}

static const struct fetch_opts priv_opts = {true, 5, 65536, 3, "Solstice-test/1"};

static void test_get_ok(void **state)
{
	struct fetch_resp r;
	struct err_info ei = ERR_INFO_INIT;
	const char *hdrs[] = {"Accept: application/activity+json", NULL};
	struct fetch_req rq = {"GET", NULL, hdrs, STR_NULL};
	char url[256];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", "/ok");
	rq.url = url;
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_cstr(&r.body), "hello");
	assert_string_equal(r.content_type, "text/plain");
	assert_string_equal(r.final_url, url);
	assert_int_equal(r.retry_after_s, -1);
	assert_non_null(strstr(r.headers_raw, "X-Test: yes"));
	assert_non_null(strcasestr(last_req, "\r\nUser-Agent: Solstice-test/1\r\n"));
	assert_non_null(strstr(last_req, "\r\nAccept: application/activity+json\r\n"));
	fetch_resp_release(&r);
	/* a release of a released response is harmless */
	fetch_resp_release(&r);

	url_of(url, sizeof(url), "http", "127.0.0.1", "/missing");
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.status, 404);
	assert_string_equal(buf_cstr(&r.body), "nope");
	fetch_resp_release(&r);
}

static void test_post_and_headers(void **state)
{
	struct fetch_resp r;
	struct err_info ei = ERR_INFO_INIT;
	const char *hdrs[] = {"Content-Type: application/activity+json", "X-Sig: abc", NULL};
	const char *bad_hdrs[] = {"X-A: 1\r\nX-Injected: 1", NULL};
	struct fetch_req rq = {"POST", NULL, hdrs, STR_LIT("{\"a\":1}")};
	char url[256];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", "/echo");
	rq.url = url;
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_cstr(&r.body), "POST:{\"a\":1}|abc");
	assert_null(strcasestr(last_req, "Expect:"));
	fetch_resp_release(&r);

	/* 307 keeps method and body */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/keep-method");
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_OK);
	assert_string_equal(buf_cstr(&r.body), "POST:{\"a\":1}|abc");
	fetch_resp_release(&r);
	/* 303 turns it into a GET without body */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/see-other");
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_OK);
	assert_string_equal(buf_cstr(&r.body), "GET:|abc");
	fetch_resp_release(&r);

	/* header injection and bad methods are refused before any I/O */
	rq.headers = bad_hdrs;
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_INVAL);
	rq.headers = hdrs;
	rq.method = "PO ST";
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_INVAL);
	rq.method = "get";
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, &ei), SE_INVAL);
}

static void test_retry_after(void **state)
{
	struct fetch_resp r;
	struct fetch_req rq = {NULL, NULL, NULL, STR_NULL};
	char url[256];

	(void)state;
	url_of(url, sizeof(url), "http", "127.0.0.1", "/busy");
	rq.url = url;
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, NULL), SE_OK);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.retry_after_s, 120);
	fetch_resp_release(&r);
	/* a date in the past means "now" */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/busy-date");
	assert_int_equal(fetch_do(&priv_opts, &rq, &r, NULL), SE_OK);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.retry_after_s, 0);
	fetch_resp_release(&r);
}

static void test_size_cap(void **state)
{
	struct fetch_opts o = priv_opts;
	struct fetch_resp r;
	struct err_info ei = ERR_INFO_INIT;
	struct fetch_req rq = {"GET", NULL, NULL, STR_NULL};
	char url[256];

	(void)state;
	o.max_bytes = 1000;
	rq.url = url;
	/* Content-Length over the cap: refused up front */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/big");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_TOO_LARGE);
	assert_null(r.body.ptr);
	/* no Content-Length: cut off while streaming */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/big-noclen");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_TOO_LARGE);
	/* exactly enough room */
	o.max_bytes = 102400;
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.body.len, 102400);
	fetch_resp_release(&r);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_timeout(void **state)
{
	struct fetch_opts o = priv_opts;
	struct fetch_resp r;
	struct err_info ei = ERR_INFO_INIT;
	struct fetch_req rq = {"GET", NULL, NULL, STR_NULL};
	char url[256];
	double t0, dt;

	(void)state;
	o.timeout_s = 1;
	url_of(url, sizeof(url), "http", "127.0.0.1", "/stall");
	rq.url = url;
	t0 = mono_s();
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_TIMEOUT);
	dt = mono_s() - t0;
	assert_true(dt >= 0.9 && dt < 3.0);
}

static void test_redirects(void **state)
{
	struct fetch_opts o = priv_opts;
	struct fetch_resp r;
	struct err_info ei = ERR_INFO_INIT;
	struct fetch_req rq = {"GET", NULL, NULL, STR_NULL};
	char url[256], want[256];
	int before;

	(void)state;
	rq.url = url;
	url_of(url, sizeof(url), "http", "127.0.0.1", "/r1");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_cstr(&r.body), "hello");
	url_of(want, sizeof(want), "http", "127.0.0.1", "/ok");
	assert_string_equal(r.final_url, want);
	fetch_resp_release(&r);

	/* two hops with a limit of one */
	o.max_redirects = 1;
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_IO);
	/* no redirects followed: the 3xx comes back as is */
	o.max_redirects = 0;
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_OK);
	assert_int_equal(r.status, 302);
	fetch_resp_release(&r);

	/* a loop ends at the limit */
	o.max_redirects = 3;
	before = (int)lsrv_hits(g_srv);
	url_of(url, sizeof(url), "http", "127.0.0.1", "/loop");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_IO);
	assert_int_equal((int)lsrv_hits(g_srv) - before, 4);

	/* redirects to another scheme or carrying credentials are refused */
	url_of(url, sizeof(url), "http", "127.0.0.1", "/to-ftp");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_INVAL);
	before = (int)lsrv_hits(g_srv);
	url_of(url, sizeof(url), "http", "127.0.0.1", "/to-creds");
	assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_INVAL);
	assert_non_null(strstr(ei.detail, "credentials"));
	assert_int_equal((int)lsrv_hits(g_srv) - before, 1);
}

/* With allow_private off, loopback is unreachable whatever the spelling. */
static void test_guard_refuses_loopback(void **state)
{
	static const char *const hosts[] = {
	    "127.0.0.1",  "localhost",          "[::1]", "0x7f.1", "2130706433",
	    "0177.0.0.1", "[::ffff:127.0.0.1]", "127.1", "0.0.0.0"};
	struct fetch_opts o = priv_opts;
	struct fetch_resp r;
	struct fetch_req rq = {"GET", NULL, NULL, STR_NULL};
	char url[256];
	int before = (int)lsrv_hits(g_srv);

	(void)state;
	o.allow_private = false;
	rq.url = url;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;

		/* plain http is refused outright */
		url_of(url, sizeof(url), "http", hosts[i], "/ok");
		assert_int_equal(fetch_do(&o, &rq, &r, &ei), SE_INVAL);
		/* https gets as far as the connect, where the guard refuses it */
		url_of(url, sizeof(url), "https", hosts[i], "/ok");
		memset(&ei, 0, sizeof(ei));
		if (fetch_do(&o, &rq, &r, &ei) != SE_INVAL)
			fail_msg("%s was not refused", hosts[i]);
		if (!strstr(ei.detail, "not allowed"))
			fail_msg("%s: detail '%s'", hosts[i], ei.detail);
	}
	assert_int_equal((int)lsrv_hits(g_srv), before);
}

/* fetch_easy_setup on a caller's handle (the delivery queue's path). */
static void test_easy_setup(void **state)
{
	struct fetch_opts o = priv_opts;
	struct fetch_guard g;
	char url[256];
	CURL *c;
	long status = 0;

	(void)state;
	c = curl_easy_init();
	assert_non_null(c);
	o.allow_private = false;
	assert_int_equal(fetch_easy_setup(c, &o, &g), SE_OK);
	url_of(url, sizeof(url), "https", "127.0.0.1", "/ok");
	curl_easy_setopt(c, CURLOPT_URL, url);
	assert_int_not_equal(curl_easy_perform(c), CURLE_OK);
	assert_non_null(strstr(g.last_error, "127.0.0.1"));
	/* http is not among the protocols without allow_private */
	url_of(url, sizeof(url), "http", "8.8.8.8", "/ok");
	curl_easy_setopt(c, CURLOPT_URL, url);
	assert_int_equal(curl_easy_perform(c), CURLE_UNSUPPORTED_PROTOCOL);
	curl_easy_cleanup(c);

	/* with allow_private, curl's own redirect following works and is bounded */
	c = curl_easy_init();
	assert_non_null(c);
	o.allow_private = true;
	o.max_redirects = 5;
	assert_int_equal(fetch_easy_setup(c, &o, &g), SE_OK);
	url_of(url, sizeof(url), "http", "127.0.0.1", "/r1");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	url_of(url, sizeof(url), "http", "127.0.0.1", "/loop");
	curl_easy_setopt(c, CURLOPT_URL, url);
	assert_int_equal(curl_easy_perform(c), CURLE_TOO_MANY_REDIRECTS);
	curl_easy_cleanup(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_table),
	    cmocka_unit_test(test_url_parse),
	    cmocka_unit_test(test_get_ok),
	    cmocka_unit_test(test_post_and_headers),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_size_cap),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_redirects),
	    cmocka_unit_test(test_guard_refuses_loopback),
	    cmocka_unit_test(test_easy_setup),
	};
	int rc;

	if (fetch_global_init() != SE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, srv_setup, srv_teardown);
	fetch_global_release();
	return rc;
}
