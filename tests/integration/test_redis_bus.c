/*
 * tests/integration/test_redis_bus.c: two daemons sharing one Redis
 * ([bus] redis_url): an event published on node A reaches a WebSocket client
 * of node B, and a client of A gets A's own event exactly once.
 * Starts Debian's redis-server on a free 127.0.0.1 port without persistence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 15000
#define WAIT_MS 5000

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static pid_t redis_start(int port)
{
	char ps[16];
	pid_t pid;

	snprintf(ps, sizeof(ps), "%d", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("redis-server", "redis-server", "--save", "", "--appendonly", "no", "--port",
		       ps, "--bind", "127.0.0.1", "--loglevel", "warning", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !port_open(port); i++)
		usleep(50 * 1000);
	if (!port_open(port)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("redis-server did not listen on %d (tools/install-deps)", port);
	}
	return pid;
}

static void redis_stop(pid_t pid)
{
	int i;

	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A socket subscribed to `topic`; a Ping round trip proves the subscription. */
static struct wsc *subscriber(struct td *d, const char *topic)
{
	struct buf in = BUF_INIT(1 << 16);
	struct wsc *c = NULL;
	char msg[128];

	assert_int_equal(wsc_connect(td_ws_port(d), "/?version=1&format=json", WAIT_MS, &c), SE_OK);
	snprintf(msg, sizeof(msg), "{\"type\":\"Subscribe\",\"server_id\":\"%s\"}", topic);
	assert_int_equal(wsc_send_text(c, str_from(msg)), SE_OK);
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":1}")), SE_OK);
	assert_int_equal(wsc_recv_text(c, &in, WAIT_MS), SE_OK);
	assert_non_null(strstr(buf_cstr(&in), "Pong"));
	buf_release(&in);
	return c;
}

static void publish(struct td *d, const char *topic, const char *event)
{
	const char *hdr[] = {"Content-Type: application/json", NULL};
	struct td_resp r;
	char body[512];

	snprintf(body, sizeof(body), "{\"topic\":\"%s\",\"event\":%s}", topic, event);
	assert_int_equal(td_http(td_http_port(d), "POST", "/_dev/publish", hdr, body, &r), 0);
	assert_int_equal(r.status, 204);
	td_resp_release(&r);
}

static void test_two_nodes(void **state)
{
	const char *extra[] = {"--dev", NULL};
	int port = free_port();
	pid_t redis = redis_start(port);
	struct buf in = BUF_INIT(1 << 16);
	struct td *a, *b;
	struct wsc *ca, *cb;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	setenv("SOLSTICE_BUS_REDIS_URL", url, 1);
	a = td_start(extra, NULL, START_MS);
	b = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_BUS_REDIS_URL");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(td_log_has(a, "redis subscriber listening", WAIT_MS));
	assert_true(td_log_has(b, "redis subscriber listening", WAIT_MS));
	ca = subscriber(a, "T");
	cb = subscriber(b, "T");

	publish(a, "T", "{\"type\":\"Hello\",\"n\":1}");
	assert_int_equal(wsc_recv_text(cb, &in, WAIT_MS), SE_OK);
	assert_string_equal(buf_cstr(&in), "{\"type\":\"Hello\",\"n\":1}");
	assert_int_equal(wsc_recv_text(ca, &in, WAIT_MS), SE_OK);
	assert_string_equal(buf_cstr(&in), "{\"type\":\"Hello\",\"n\":1}");

	/* and back from B; A's own message above did not come round a second time */
	publish(b, "T", "{\"type\":\"Hello\",\"n\":2}");
	assert_int_equal(wsc_recv_text(ca, &in, WAIT_MS), SE_OK);
	assert_string_equal(buf_cstr(&in), "{\"type\":\"Hello\",\"n\":2}");
	assert_int_equal(wsc_recv_text(cb, &in, WAIT_MS), SE_OK);
	assert_string_equal(buf_cstr(&in), "{\"type\":\"Hello\",\"n\":2}");
	assert_int_equal(wsc_recv_text(ca, &in, 500), SE_TIMEOUT);
	assert_int_equal(wsc_recv_text(cb, &in, 200), SE_TIMEOUT);

	/* another topic is not delivered to these sockets on either node */
	publish(a, "U", "{\"type\":\"Other\"}");
	assert_int_equal(wsc_recv_text(cb, &in, 500), SE_TIMEOUT);

	wsc_close(ca);
	wsc_close(cb);
	buf_release(&in);
	assert_int_equal(td_stop(a, 10000, false), 0);
	assert_int_equal(td_stop(b, 10000, false), 0);
	redis_stop(redis);
}

/* A node whose Redis is unreachable refuses to start. */
static void test_unreachable(void **state)
{
	int port = free_port();
	char url[64];
	struct td *d;

	(void)state;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	setenv("SOLSTICE_BUS_REDIS_URL", url, 1);
	d = td_start(NULL, NULL, 5000);
	unsetenv("SOLSTICE_BUS_REDIS_URL");
	if (d)
		td_stop(d, 10000, false);
	assert_null(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_nodes),
	    cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
