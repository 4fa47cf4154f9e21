/*
 * tests/integration/test_redis_bus.c: two daemons sharing one Redis
 * ([bus] redis_url): an event published on node A reaches a WebSocket client
 * of node B, and a client of A gets A's own event exactly once; presence is
 * shared: UserUpdate{online} on a user's first and last socket across both
 * nodes (which share one data directory), REST and Ready see the shared view,
 * and a crashed node's sockets go offline after the presence TTL.
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

#include <jansson.h>
#include <time.h>

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
		td_child_init();
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

/* ---- presence across nodes ---- */

#define PRES_TTL "1500"

struct puser {
	char token[128];
	char id[32];
};

static long call(struct td *d, const char *method, const char *path, const char *token,
                 const char *body, json_t **out)
{
	char h[160];
	const char *hdrs[3] = {"Content-Type: application/json", NULL, NULL};
	struct td_resp r;
	long status;

	if (token) {
		snprintf(h, sizeof(h), "X-Session-Token: %s", token);
		hdrs[1] = h;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out)
		*out = r.body_len ? json_loadb(r.body, r.body_len, JSON_DECODE_ANY, NULL) : NULL;
	td_resp_release(&r);
	return status;
}

static void make_puser(struct td *d, const char *name, struct puser *u)
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(call(d, "POST", "/api/auth/account/create", NULL, body, NULL), 204);
	assert_int_equal(call(d, "POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(u->token, sizeof(u->token), "%s", json_string_value(json_object_get(v, "token")));
	snprintf(u->id, sizeof(u->id), "%s", json_string_value(json_object_get(v, "user_id")));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(call(d, "POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to `d` as `u`; Ready into *ready (may be NULL). */
static struct wsc *ws_as(struct td *d, const struct puser *u, json_t **ready)
{
	struct buf in = BUF_INIT(1 << 22);
	struct wsc *c = NULL;
	char q[256];
	json_t *v;

	snprintf(q, sizeof(q), "/?version=1&format=json&token=%s", u->token);
	assert_int_equal(wsc_connect(td_ws_port(d), q, WAIT_MS, &c), SE_OK);
	assert_int_equal(wsc_recv_text(c, &in, WAIT_MS), SE_OK);
	assert_non_null(strstr(buf_cstr(&in), "Authenticated"));
	assert_int_equal(wsc_recv_text(c, &in, WAIT_MS), SE_OK);
	v = json_loads(buf_cstr(&in), 0, NULL);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "Ready");
	if (ready)
		*ready = v;
	else
		json_decref(v);
	buf_release(&in);
	return c;
}

/*
 * The next UserUpdate{online} about `id` within ms: 1 online, 0 offline,
 * -1 none. Other events are skipped.
 */
static int presence_of(struct wsc *c, const char *id, int ms)
{
	struct buf in = BUF_INIT(1 << 22);
	int64_t end = mono_ms() + ms;
	int got = -1;

	while (got < 0 && mono_ms() < end) {
		json_t *v, *on;

		if (wsc_recv_text(c, &in, 100) != SE_OK)
			continue;
		v = json_loads(buf_cstr(&in), 0, NULL);
		on = json_object_get(json_object_get(v, "data"), "online");
		if (json_is_boolean(on) &&
		    strcmp(json_string_value(json_object_get(v, "type")), "UserUpdate") == 0 &&
		    strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
			got = json_is_true(on);
		json_decref(v);
	}
	buf_release(&in);
	return got;
}

/* GET /users/{id}'s online on node d. */
static bool rest_online(struct td *d, const struct puser *viewer, const char *id)
{
	char path[96];
	json_t *v = NULL;
	bool on;

	snprintf(path, sizeof(path), "/api/users/%s", id);
	assert_int_equal(call(d, "GET", path, viewer->token, NULL, &v), 200);
	on = json_is_true(json_object_get(v, "online"));
	json_decref(v);
	return on;
}

/* users[] entry `id` of a Ready: its online flag. */
static bool ready_online(const json_t *ready, const char *id)
{
	size_t i;
	json_t *u;

	json_array_foreach(json_object_get(ready, "users"), i, u)
	{
		if (strcmp(json_string_value(json_object_get(u, "_id")), id) == 0)
			return json_is_true(json_object_get(u, "online"));
	}
	fail_msg("%s is not in Ready", id);
	return false;
}

static void test_presence_two_nodes(void **state)
{
	int port = free_port();
	pid_t redis = redis_start(port);
	struct puser alice, bob;
	struct td *a, *b;
	struct wsc *watch, *a1, *a2, *a3;
	json_t *ready = NULL;
	char url[64], path[96], dir[512];

	(void)state;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	setenv("SOLSTICE_BUS_REDIS_URL", url, 1);
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	setenv("SOLSTICE_TEST_PRESENCE_TTL_MS", PRES_TTL, 1);
	a = td_start(NULL, NULL, START_MS);
	assert_non_null(a);
	snprintf(dir, sizeof(dir), "%s", td_data_dir(a));
	/* a second node on the same data: the way nodes share one database */
	b = td_start(NULL, dir, START_MS);
	unsetenv("SOLSTICE_BUS_REDIS_URL");
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	unsetenv("SOLSTICE_TEST_PRESENCE_TTL_MS");
	assert_non_null(b);
	assert_true(td_log_has(a, "presence shared through redis", WAIT_MS));
	assert_true(td_log_has(b, "presence shared through redis", WAIT_MS));

	make_puser(a, "alice", &alice);
	make_puser(a, "bob", &bob);
	snprintf(path, sizeof(path), "/api/users/%s/friend", bob.id);
	assert_int_equal(call(a, "PUT", path, alice.token, "{}", NULL), 200);
	snprintf(path, sizeof(path), "/api/users/%s/friend", alice.id);
	assert_int_equal(call(b, "PUT", path, bob.token, "{}", NULL), 200);

	/* bob watches from node B; alice is offline everywhere */
	watch = ws_as(b, &bob, &ready);
	assert_false(ready_online(ready, alice.id));
	json_decref(ready);
	assert_false(rest_online(a, &bob, alice.id));

	/* alice's first socket (node A) is announced on node B */
	a1 = ws_as(a, &alice, NULL);
	assert_int_equal(presence_of(watch, alice.id, WAIT_MS), 1);
	/* her second socket, on node B, is not her first: nothing */
	a2 = ws_as(b, &alice, NULL);
	assert_int_equal(presence_of(watch, alice.id, 800), -1);
	/* both nodes answer online, through REST and in a new Ready on either node */
	assert_true(rest_online(a, &bob, alice.id));
	assert_true(rest_online(b, &bob, alice.id));
	wsc_close(ws_as(a, &bob, &ready));
	assert_true(ready_online(ready, alice.id));
	json_decref(ready);

	/* closing the socket on A is not her last: nothing; closing B's is */
	wsc_close(a1);
	assert_int_equal(presence_of(watch, alice.id, 800), -1);
	assert_true(rest_online(b, &bob, alice.id));
	/* node A has no socket of hers now: its Ready still says online */
	assert_true(rest_online(a, &bob, alice.id));
	wsc_close(ws_as(a, &bob, &ready));
	assert_true(ready_online(ready, alice.id));
	json_decref(ready);
	wsc_close(a2);
	assert_int_equal(presence_of(watch, alice.id, WAIT_MS), 0);
	assert_false(rest_online(a, &bob, alice.id));
	assert_false(rest_online(b, &bob, alice.id));

	/* node A crashes with alice's only socket: B announces her offline after the TTL */
	a3 = ws_as(a, &alice, NULL);
	assert_int_equal(presence_of(watch, alice.id, WAIT_MS), 1);
	td_kill9(a);
	assert_int_equal(presence_of(watch, alice.id, 3 * atoi(PRES_TTL) + WAIT_MS), 0);
	assert_false(rest_online(b, &bob, alice.id));
	assert_true(td_log_has(b, "went offline with a dead node", WAIT_MS));
	wsc_close(a3);

	wsc_close(watch);
	assert_int_equal(td_stop(b, 10000, false), 0);
	td_rm_rf(dir);
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
	    cmocka_unit_test(test_presence_two_nodes),
	    cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
