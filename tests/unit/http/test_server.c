/*
 * tests/unit/http/test_server.c: the HTTP listener in-process on 127.0.0.1
 * port 0 with a test handler: request copying, bodies and their limit,
 * keep-alive, concurrency, slow clients, client disconnects during a
 * handler, and graceful stop with a request in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "http/server.h"

static atomic_int handled;

/* Echo handler: "/slow" sleeps, everything else describes the request. */
static void handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
	struct str tok = http_req_header(req, "x-session-token");
	struct str host = http_req_header(req, "host");
	struct str q = http_req_query(req, "limit");

	(void)ctx;
	if (req->body_fd >= 0) {
		/* a spooled body: read it back from the start */
		char chunk[4096];
		size_t total = 0, sum = 0;
		ssize_t n;

		lseek(req->body_fd, 0, SEEK_SET);
		while ((n = read(req->body_fd, chunk, sizeof(chunk))) > 0) {
			for (ssize_t i = 0; i < n; i++)
				sum += (unsigned char)chunk[i];
			total += (size_t)n;
		}
		buf_printf(&resp->body, "spooled %zu sum %zu len %zu", total, sum, req->body_len);
		resp->content_type = "text/plain";
		atomic_fetch_add(&handled, 1);
		return;
	}
	if (str_eq_cstr(req->path, "/slow"))
		usleep(300 * 1000);
	buf_printf(&resp->body, "%s %.*s tok=%.*s host=%s limit=%.*s body=%.*s",
	           http_method_name(req->method), (int)req->path.n, req->path.p, (int)tok.n,
	           tok.p ? tok.p : "", host.p ? "yes" : "no", (int)q.n, q.p ? q.p : "",
	           (int)req->body.len, buf_cstr(&req->body));
	resp->content_type = "text/plain";
	http_resp_header(resp, "X-Test", "1");
	atomic_fetch_add(&handled, 1);
}

static struct http_server *start(size_t body_max)
{
	struct http_server_opts o = {
	    .spool_dir = "/tmp",
	    .spool_threshold = 1000,
	    .host = "127.0.0.1",
	    .port = 0,
	    .workers = 4,
	    .keepalive_timeout = 5,
	    .header_timeout = 3,
	    .max_connections = 2048,
	    .body_max = body_max,
	    .handler = handler,
	};
	struct err_info ei = ERR_INFO_INIT;
	struct http_server *s = NULL;

	assert_int_equal(http_server_new(&o, &s, &ei), SE_OK);
	assert_true(http_server_port(s) > 0);
	assert_int_equal(http_server_start(s), SE_OK);
	return s;
}

static int dial(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

/* Read one response (headers + Content-Length body) within timeout_ms. */
static int read_response(int fd, struct buf *out, int timeout_ms)
{
	buf_reset(out);
	for (int waited = 0; waited < timeout_ms;) {
		struct pollfd p = {fd, POLLIN, 0};
		char chunk[8192];
		const char *hdr_end, *cl;
		ssize_t n;

		if (poll(&p, 1, 50) == 0) {
			waited += 50;
			continue;
		}
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			return out->len ? 0 : -1;
		buf_append(out, chunk, (size_t)n);
		hdr_end = strstr(buf_cstr(out), "\r\n\r\n");
		if (!hdr_end)
			continue;
		cl = strcasestr(buf_cstr(out), "content-length:");
		if (!cl || cl > hdr_end)
			return 0;
		if (out->len >= (size_t)(hdr_end + 4 - buf_cstr(out)) + (size_t)atoi(cl + 15))
			return 0;
	}
	return -1;
}

static int status_of(const struct buf *b)
{
	return b->len > 12 ? atoi(buf_cstr(b) + 9) : 0;
}

static void test_request_copy(void **state)
{
	struct http_server *s = start(1 << 20);
	struct buf r = BUF_INIT(1 << 20);
	int fd = dial(http_server_port(s));
	static const char req[] = "GET /api/users/@me?limit=50&x=1 HTTP/1.1\r\nHost: h\r\n"
	                          "X-Session-Token: abc123\r\n\r\n";

	(void)state;
	send_all(fd, req, sizeof(req) - 1);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 200);
	assert_non_null(
	    strstr(buf_cstr(&r), "GET /api/users/@me tok=abc123 host=yes limit=50 body="));
	assert_non_null(strstr(buf_cstr(&r), "X-Test: 1\r\n"));
	assert_non_null(strcasestr(buf_cstr(&r), "Content-Type: text/plain\r\n"));
	close(fd);
	buf_release(&r);
	http_server_free(s);
}

static void test_methods_and_bodies(void **state)
{
	static const char *const methods[] = {"POST", "PUT", "PATCH", "DELETE"};
	struct http_server *s = start(1 << 20);
	struct buf r = BUF_INIT(1 << 20), q = BUF_INIT(4096);
	int fd = dial(http_server_port(s));

	(void)state;
	/* all on one keep-alive connection */
	for (size_t i = 0; i < 4; i++) {
		char want[128];

		buf_reset(&q);
		buf_printf(&q, "%s /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
		           methods[i]);
		send_all(fd, buf_cstr(&q), q.len);
		assert_int_equal(read_response(fd, &r, 5000), 0);
		assert_int_equal(status_of(&r), 200);
		snprintf(want, sizeof(want), "%s /x tok= host=yes limit= body={\"a\":1}",
		         methods[i]);
		assert_non_null(strstr(buf_cstr(&r), want));
	}
	/* chunked bodies are refused with 411 and the connection closed */
	buf_reset(&q);
	buf_puts(&q, "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	send_all(fd, buf_cstr(&q), q.len);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 411);
	assert_non_null(strstr(buf_cstr(&r), "Connection: close"));
	close(fd);
	buf_release(&r);
	buf_release(&q);
	http_server_free(s);
}

static void test_spooled_body(void **state)
{
	struct http_server *s = start(1 << 20);
	struct buf r = BUF_INIT(1 << 20), q = BUF_INIT(1 << 20);
	char want[128];
	int fd = dial(http_server_port(s));

	(void)state;
	/* 300 000 bytes of 'b' (98): larger than the spool threshold of 1000 */
	buf_puts(&q, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n");
	for (int i = 0; i < 300000; i++)
		buf_putc(&q, 'b');
	send_all(fd, buf_cstr(&q), q.len);
	assert_int_equal(read_response(fd, &r, 10000), 0);
	assert_int_equal(status_of(&r), 200);
	snprintf(want, sizeof(want), "spooled 300000 sum %zu len 300000", (size_t)300000 * 98);
	assert_non_null(strstr(buf_cstr(&r), want));
	/* a small body on the same connection stays in memory */
	{
		static const char small[] =
		    "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";

		send_all(fd, small, sizeof(small) - 1);
	}
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_non_null(strstr(buf_cstr(&r), "body=abc"));
	close(fd);
	buf_release(&r);
	buf_release(&q);
	http_server_free(s);
}

static void test_body_limit(void **state)
{
	struct http_server *s = start(100);
	struct buf r = BUF_INIT(1 << 20), q = BUF_INIT(1 << 20);
	int fd = dial(http_server_port(s));

	(void)state;
	buf_puts(&q, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n");
	for (int i = 0; i < 5000; i++)
		buf_putc(&q, 'a');
	send_all(fd, buf_cstr(&q), q.len);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 422);
	assert_non_null(strstr(buf_cstr(&r), "{\"type\":\"PayloadTooLarge\"}"));
	assert_non_null(strstr(buf_cstr(&r), "Connection: close"));
	close(fd);
	/* the server keeps serving */
	fd = dial(http_server_port(s));
	send_all(fd, "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n", 29);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 200);
	close(fd);
	buf_release(&r);
	buf_release(&q);
	http_server_free(s);
}

struct client_arg {
	int port;
	int ok;
};

static void *client_main(void *p)
{
	struct client_arg *a = p;
	struct buf r = BUF_INIT(1 << 20);
	int fd = dial(a->port);

	for (int i = 0; i < 25; i++) {
		static const char req[] = "GET /k?limit=1 HTTP/1.1\r\nHost: h\r\n\r\n";

		send_all(fd, req, sizeof(req) - 1);
		if (read_response(fd, &r, 10000) == 0 && status_of(&r) == 200)
			a->ok++;
	}
	close(fd);
	buf_release(&r);
	return NULL;
}

static void test_concurrent_keepalive(void **state)
{
	struct http_server *s = start(1 << 20);
	struct client_arg args[48];
	pthread_t th[48];

	(void)state;
	for (int i = 0; i < 48; i++) {
		args[i] = (struct client_arg){http_server_port(s), 0};
		pthread_create(&th[i], NULL, client_main, &args[i]);
	}
	for (int i = 0; i < 48; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].ok, 25);
	}
	http_server_free(s);
}

static void test_slow_clients_do_not_block(void **state)
{
	struct http_server *s = start(1 << 20);
	struct buf r = BUF_INIT(1 << 20);
	int slow[300];
	int fd;

	(void)state;
	/* 300 clients that send half a request line and stall */
	for (int i = 0; i < 300; i++) {
		slow[i] = dial(http_server_port(s));
		send_all(slow[i], "GET /sl", 7);
	}
	fd = dial(http_server_port(s));
	send_all(fd, "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n", 31);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 200);
	close(fd);
	for (int i = 0; i < 300; i++)
		close(slow[i]);
	buf_release(&r);
	http_server_free(s);
}

static void test_disconnect_during_handler(void **state)
{
	struct http_server *s = start(1 << 20);
	int before = atomic_load(&handled);

	(void)state;
	for (int i = 0; i < 8; i++) {
		int fd = dial(http_server_port(s));

		send_all(fd, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", 31);
		usleep(20 * 1000);
		close(fd);
	}
	/* the handlers still run; their jobs are freed when they finish (ASan
	 * reports a leak or a use-after-free otherwise) */
	for (int i = 0; i < 200 && atomic_load(&handled) < before + 8; i++)
		usleep(10 * 1000);
	assert_int_equal(atomic_load(&handled), before + 8);
	http_server_free(s);
}

struct slow_arg {
	int port;
	int status;
};

static void *slow_client(void *p)
{
	struct slow_arg *a = p;
	struct buf r = BUF_INIT(1 << 20);
	int fd = dial(a->port);

	send_all(fd, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", 31);
	if (read_response(fd, &r, 10000) == 0)
		a->status = status_of(&r);
	close(fd);
	buf_release(&r);
	return NULL;
}

static void test_stop_finishes_in_flight(void **state)
{
	struct http_server *s = start(1 << 20);
	struct slow_arg a = {http_server_port(s), 0};
	pthread_t th;

	(void)state;
	pthread_create(&th, NULL, slow_client, &a);
	usleep(100 * 1000); /* the request is in the handler now */
	http_server_stop(s, 5000);
	pthread_join(th, NULL);
	assert_int_equal(a.status, 200);
	http_server_free(s);
}

static void test_http10_and_garbage(void **state)
{
	struct http_server *s = start(1 << 20);
	struct buf r = BUF_INIT(1 << 20);
	char c;
	int fd = dial(http_server_port(s));

	(void)state;
	send_all(fd, "GET /old HTTP/1.0\r\n\r\n", 21);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 200);
	close(fd);
	fd = dial(http_server_port(s));
	send_all(fd, "\x01\x02garbage\r\n\r\n", 13);
	/* lws answers or drops it; either way the connection ends */
	{
		struct pollfd p = {fd, POLLIN, 0};

		assert_true(poll(&p, 1, 5000) == 1);
		while (recv(fd, &c, 1, 0) > 0)
			;
	}
	close(fd);
	fd = dial(http_server_port(s));
	send_all(fd, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", 32);
	assert_int_equal(read_response(fd, &r, 5000), 0);
	assert_int_equal(status_of(&r), 200);
	close(fd);
	buf_release(&r);
	http_server_free(s);
}

static void test_bind_errors(void **state)
{
	struct http_server_opts o = {.host = "127.0.0.1", .port = 0, .handler = handler};
	struct err_info ei = ERR_INFO_INIT;
	struct http_server *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(http_server_new(&o, &a, &ei), SE_OK);
	o.port = http_server_port(a);
	assert_int_equal(http_server_new(&o, &b, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "cannot listen"));
	o.port = 0;
	o.host = "192.0.2.1"; /* not an address of this machine */
	assert_int_equal(http_server_new(&o, &b, &ei), SE_IO);
	http_server_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_copy),
	    cmocka_unit_test(test_methods_and_bodies),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_spooled_body),
	    cmocka_unit_test(test_concurrent_keepalive),
	    cmocka_unit_test(test_slow_clients_do_not_block),
	    cmocka_unit_test(test_disconnect_during_handler),
	    cmocka_unit_test(test_stop_finishes_in_flight),
	    cmocka_unit_test(test_http10_and_garbage),
	    cmocka_unit_test(test_bind_errors),
	};

	http_lws_log_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
