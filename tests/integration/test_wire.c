/*
 * tests/integration/test_wire.c: format=msgpack sockets against the daemon:
 * binary client frames are understood (Subscribe, Ping) and every event
 * arrives as one binary frame holding exactly the bytes rmp_serde's
 * to_vec_named would send; format=json sockets keep text frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "gateway/wire.h"
#include "tests/support/daemon.h"

#define START_MS 15000
#define WAIT_MS 5000

/* A raw client: handshake, masked frames out, one server frame in. */
static int ws_open(int port, const char *query)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char req[512], resp[1024];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req),
	         "GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
	         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	         "Sec-WebSocket-Version: 13\r\n\r\n",
	         query);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	/* read the 101 answer byte by byte so no frame byte is swallowed */
	while (got < sizeof(resp) - 1) {
		struct pollfd p = {fd, POLLIN, 0};

		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_int_equal(read(fd, resp + got, 1), 1);
		got++;
		if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[got] = '\0';
	assert_non_null(strstr(resp, " 101 "));
	return fd;
}

static void ws_send(int fd, int opcode, const void *p, size_t n)
{
	unsigned char f[256];
	const unsigned char mask[4] = {1, 2, 3, 4};

	assert_true(n < 126);
	f[0] = (unsigned char)(0x80 | opcode);
	f[1] = (unsigned char)(0x80 | n);
	memcpy(f + 2, mask, 4);
	for (size_t i = 0; i < n; i++)
		f[6 + i] = ((const unsigned char *)p)[i] ^ mask[i & 3];
	assert_int_equal(write(fd, f, 6 + n), (ssize_t)(6 + n));
}

static void read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf = {fd, POLLIN, 0};
		ssize_t k;

		assert_int_equal(poll(&pf, 1, WAIT_MS), 1);
		k = read(fd, (char *)p + got, n - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
}

/* The next data frame (unfragmented: our events are small); returns opcode. */
static int ws_recv(int fd, struct buf *out)
{
	unsigned char h[8];
	uint64_t n;

	buf_reset(out);
	read_full(fd, h, 2);
	n = h[1] & 0x7f;
	if (n == 126) {
		read_full(fd, h + 2, 2);
		n = (uint64_t)h[2] << 8 | h[3];
	}
	assert_true(n < 65536);
	assert_int_equal(buf_grow(out, n), SE_OK);
	read_full(fd, out->ptr, n);
	out->len = n;
	out->ptr[n] = '\0';
	return h[0] & 0x0f;
}

static void pack(const char *json, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(wire_json_to_msgpack(str_from(json), out, NULL), SE_OK);
}

static void publish(struct td *d, const char *body)
{
	const char *hdr[] = {"Content-Type: application/json", NULL};
	struct td_resp r;

	assert_int_equal(td_http(td_http_port(d), "POST", "/_dev/publish", hdr, body, &r), 0);
	assert_int_equal(r.status, 204);
	td_resp_release(&r);
}

static void test_msgpack_socket(void **state)
{
	const char *extra[] = {"--dev", NULL};
	struct td *d = td_start(extra, NULL, START_MS);
	struct buf in = BUF_INIT(1 << 20), want = BUF_INIT(1 << 20);
	int mp, js;

	(void)state;
	assert_non_null(d);
	mp = ws_open(td_ws_port(d), "?version=1&format=msgpack");
	js = ws_open(td_ws_port(d), "?version=1&format=json");
	pack("{\"type\":\"Subscribe\",\"server_id\":\"T\"}", &want);
	ws_send(mp, 2, want.ptr, want.len);
	ws_send(js, 1, "{\"type\":\"Subscribe\",\"server_id\":\"T\"}", 36);
	/* a Ping in msgpack comes back as a binary Pong: the sockets are ready */
	pack("{\"type\":\"Ping\",\"data\":1234567}", &want);
	ws_send(mp, 2, want.ptr, want.len);
	assert_int_equal(ws_recv(mp, &in), 2);
	pack("{\"type\":\"Pong\",\"data\":1234567}", &want);
	assert_int_equal(in.len, want.len);
	assert_memory_equal(in.ptr, want.ptr, want.len);
	ws_send(js, 1, "{\"type\":\"Ping\",\"data\":1}", 24);
	assert_int_equal(ws_recv(js, &in), 1);

	publish(d, "{\"topic\":\"T\",\"event\":{\"type\":\"Message\",\"_id\":\"01J\",\"n\":-70000,"
	           "\"f\":0.5,\"u\":\"h\\u00e9\",\"a\":[true,null,{}]}}");
	assert_int_equal(ws_recv(mp, &in), 2);
	/* type 82.., exact rmp_serde bytes of the same event */
	pack("{\"type\":\"Message\",\"_id\":\"01J\",\"n\":-70000,\"f\":0.5,\"u\":\"h\\u00e9\","
	     "\"a\":[true,null,{}]}",
	     &want);
	assert_int_equal(in.len, want.len);
	assert_memory_equal(in.ptr, want.ptr, want.len);
	assert_int_equal(ws_recv(js, &in), 1);
	assert_non_null(strstr(buf_cstr(&in), "\"n\":-70000"));

	/* garbage msgpack is ignored, the socket stays usable */
	ws_send(mp, 2, "\xdd\xff\xff\xff\xff", 5);
	pack("{\"type\":\"Ping\",\"data\":2}", &want);
	ws_send(mp, 2, want.ptr, want.len);
	assert_int_equal(ws_recv(mp, &in), 2);
	pack("{\"type\":\"Pong\",\"data\":2}", &want);
	assert_memory_equal(in.ptr, want.ptr, want.len);

	close(mp);
	close(js);
	buf_release(&in);
	buf_release(&want);
	assert_int_equal(td_stop(d, 10000, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_msgpack_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
