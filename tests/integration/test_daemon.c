/*
 * tests/integration/test_daemon.c: the real solstice binary on free loopback
 * ports: root document, error bodies, CORS, WebSocket delivery of a
 * published event, configuration errors, clean shutdown, persistence.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

#define START_MS 15000
#define STOP_MS 15000

static json_t *parse(const struct td_resp *r)
{
	json_error_t e;
	json_t *v = json_loadb(r->body ? r->body : "", r->body_len, 0, &e);

	if (!v)
		fail_msg("response is not JSON: '%s' (%s)", r->body ? r->body : "", e.text);
	return v;
}

static const char *jstr(const json_t *o, const char *path)
{
	char key[128];
	const char *dot;
	const json_t *v = o;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	v = json_object_get(v, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_root_document(void **state)
{
	struct td *d = td_start(NULL, NULL, START_MS);
	static const char *const paths[] = {"/api/", "/api", "/api/0.8", "/api/0.8/"};
	char expect[128];
	struct td_resp r;
	json_t *doc;
	const char *keys[] = {"revolt", "features", "ws", "app", "vapid", "build"};

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(td_http(td_http_port(d), "GET", paths[i], NULL, NULL, &r), 0);
		assert_int_equal(r.status, 200);
		doc = parse(&r);
		/* Every key present, in Revolt's order. */
		{
			const char *k;
			json_t *v;
			size_t n = 0;

			json_object_foreach(doc, k, v)
			{
				assert_true(n < 6);
				assert_string_equal(k, keys[n]);
				n++;
			}
			assert_int_equal(n, 6);
		}
		assert_string_equal(jstr(doc, "revolt"), "0.8.9");
		snprintf(expect, sizeof(expect), "ws://127.0.0.1:%d", td_ws_port(d));
		assert_string_equal(jstr(doc, "ws"), expect);
		snprintf(expect, sizeof(expect), "http://127.0.0.1:%d/autumn", td_http_port(d));
		assert_string_equal(jstr(doc, "features.autumn.url"), expect);
		assert_true(json_is_true(json_object_get(
		    json_object_get(json_object_get(doc, "features"), "autumn"), "enabled")));
		assert_true(json_is_false(json_object_get(
		    json_object_get(json_object_get(doc, "features"), "voso"), "enabled")));
		assert_true(
		    json_is_false(json_object_get(json_object_get(doc, "features"), "email")));
		snprintf(expect, sizeof(expect), "http://127.0.0.1:%d", td_http_port(d));
		assert_string_equal(jstr(doc, "app"), expect);
		/* base64url of a 65-byte uncompressed P-256 point, padded */
		assert_int_equal(strlen(jstr(doc, "vapid")), 88);
		assert_int_equal(jstr(doc, "vapid")[0], 'B');
		assert_non_null(jstr(doc, "build.commit_sha"));
		json_decref(doc);
		td_resp_release(&r);
	}
	assert_true(td_log_has(d, "http: GET /api/ 200", 5000));
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_error_bodies(void **state)
{
	struct td *d = td_start(NULL, NULL, START_MS);
	struct td_resp r;
	json_t *doc;

	(void)state;
	assert_non_null(d);
	/* unknown path */
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/no/such/route", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	doc = parse(&r);
	assert_string_equal(jstr(doc, "type"), "NotFound");
	json_decref(doc);
	td_resp_release(&r);
	/* known path, wrong method: Rocket answers 404 the same way */
	assert_int_equal(td_http(td_http_port(d), "DELETE", "/api/", NULL, "{}", &r), 0);
	assert_int_equal(r.status, 404);
	doc = parse(&r);
	assert_string_equal(jstr(doc, "type"), "NotFound");
	json_decref(doc);
	td_resp_release(&r);
	/* the dev-only route does not exist without --dev */
	assert_int_equal(td_http(td_http_port(d), "POST", "/_dev/publish", NULL,
	                         "{\"topic\":\"x\",\"event\":1}", &r),
	                 0);
	assert_int_equal(r.status, 404);
	td_resp_release(&r);
	/* HEAD gets headers only */
	assert_int_equal(td_http(td_http_port(d), "HEAD", "/api/", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	td_resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_cors(void **state)
{
	struct td *d = td_start(NULL, NULL, START_MS);
	const char *h[] = {"Origin: https://app.example", "Access-Control-Request-Method: PATCH",
	                   "Access-Control-Request-Headers: x-session-token", NULL};
	struct td_resp r;
	char v[256];

	(void)state;
	assert_non_null(d);
	assert_int_equal(td_http(td_http_port(d), "OPTIONS", "/api/users/@me", h, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	assert_string_equal(td_resp_header(&r, "access-control-allow-origin", v, sizeof(v)),
	                    "https://app.example");
	assert_non_null(
	    strstr(td_resp_header(&r, "access-control-allow-methods", v, sizeof(v)), "PATCH"));
	assert_string_equal(td_resp_header(&r, "access-control-allow-headers", v, sizeof(v)),
	                    "x-session-token");
	td_resp_release(&r);
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", h, NULL, &r), 0);
	assert_string_equal(td_resp_header(&r, "access-control-allow-origin", v, sizeof(v)),
	                    "https://app.example");
	td_resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_ws_receives_published_event(void **state)
{
	const char *extra[] = {"--dev", NULL};
	struct td *d = td_start(extra, NULL, START_MS);
	struct buf got = BUF_INIT(1 << 20);
	struct wsc *c = NULL;
	struct td_resp r;
	json_t *doc;

	(void)state;
	assert_non_null(d);
	assert_true(td_log_has(d, "DEVELOPMENT MODE", 1000));
	assert_int_equal(wsc_connect(td_ws_port(d), "/?version=1&format=json", 5000, &c), SE_OK);
	/* Ping echoes its data */
	assert_int_equal(wsc_send_text(c, STR_LIT("{\"type\":\"Ping\",\"data\":42}")), SE_OK);
	assert_int_equal(wsc_recv_text(c, &got, 5000), SE_OK);
	doc = json_loads(buf_cstr(&got), 0, NULL);
	assert_non_null(doc);
	assert_string_equal(jstr(doc, "type"), "Pong");
	assert_int_equal(json_integer_value(json_object_get(doc, "data")), 42);
	json_decref(doc);
	buf_reset(&got);
	assert_int_equal(
	    wsc_send_text(c, STR_LIT("{\"type\":\"Subscribe\",\"server_id\":\"01TESTTOPIC\"}")),
	    SE_OK);
	/* The subscription is processed on the gateway thread: retry the publish
	 * until it arrives (bounded). */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(
		    td_http(td_http_port(d), "POST", "/_dev/publish", NULL,
		            "{\"topic\":\"01TESTTOPIC\",\"event\":{\"type\":\"Hello\",\"n\":1}}",
		            &r),
		    0);
		assert_int_equal(r.status, 204);
		td_resp_release(&r);
		if (wsc_recv_text(c, &got, 200) == SE_OK)
			break;
	}
	assert_string_equal(buf_cstr(&got), "{\"type\":\"Hello\",\"n\":1}");
	/* A bad body gets a Revolt validation error. */
	assert_int_equal(td_http(td_http_port(d), "POST", "/_dev/publish", NULL, "{nope", &r), 0);
	assert_int_equal(r.status, 400);
	doc = parse(&r);
	assert_string_equal(jstr(doc, "type"), "FailedValidation");
	assert_non_null(jstr(doc, "error"));
	json_decref(doc);
	td_resp_release(&r);
	wsc_close(c);
	buf_release(&got);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_body_limit(void **state)
{
	const char *extra[] = {"--dev", NULL};
	struct td *d;
	struct td_resp r;
	char *big = xmalloc(5001);
	json_t *doc;

	(void)state;
	setenv("SOLSTICE_HTTP_BODY_MAX", "1000", 1);
	setenv("SOLSTICE_HTTP_JSON_BODY_MAX", "1000", 1);
	d = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_HTTP_BODY_MAX");
	unsetenv("SOLSTICE_HTTP_JSON_BODY_MAX");
	assert_non_null(d);
	memset(big, 'a', 5000);
	big[5000] = '\0';
	assert_int_equal(td_http(td_http_port(d), "POST", "/_dev/publish", NULL, big, &r), 0);
	assert_int_equal(r.status, 422);
	doc = parse(&r);
	assert_string_equal(jstr(doc, "type"), "PayloadTooLarge");
	json_decref(doc);
	td_resp_release(&r);
	/* the daemon still serves */
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	td_resp_release(&r);
	mem_free(big);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_vapid_key_persists(void **state)
{
	struct td *d = td_start(NULL, NULL, START_MS);
	char dir[256], first[128];
	struct td_resp r;
	json_t *doc;

	(void)state;
	assert_non_null(d);
	snprintf(dir, sizeof(dir), "%s", td_data_dir(d));
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", NULL, NULL, &r), 0);
	doc = parse(&r);
	snprintf(first, sizeof(first), "%s", jstr(doc, "vapid"));
	json_decref(doc);
	td_resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, true), 0);

	d = td_start(NULL, dir, START_MS);
	assert_non_null(d);
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", NULL, NULL, &r), 0);
	doc = parse(&r);
	assert_string_equal(jstr(doc, "vapid"), first);
	json_decref(doc);
	td_resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, true), 0);
	td_rm_rf(dir);
}

static void test_bad_config(void **state)
{
	char path[] = "/tmp/solstice-cfg-XXXXXX";
	const char *args[] = {"solstice", "--config", path, "--check-config", NULL};
	const char *args_flag[] = {"solstice", "--http", "nonsense", "--check-config", NULL};
	const char *args_unknown[] = {"solstice", "--no-such-flag", NULL};
	char *out = NULL;
	int fd = mkstemp(path);
	static const char text[] = "[http]\nworkers = 4\nbogus = 1\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_not_equal(td_run(args, &out, 10000), 0);
	assert_non_null(strstr(out, path));
	assert_non_null(strstr(out, ":3"));
	assert_non_null(strstr(out, "bogus"));
	mem_free(out);
	assert_int_not_equal(td_run(args_flag, &out, 10000), 0);
	assert_non_null(strstr(out, "--http"));
	mem_free(out);
	assert_int_not_equal(td_run(args_unknown, &out, 10000), 0);
	assert_non_null(strstr(out, "--no-such-flag"));
	mem_free(out);
	unlink(path);
}

static void test_port_in_use(void **state)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	char data[] = "/tmp/solstice-port-XXXXXX";
	char addr[64];
	const char *args[] = {"solstice",    "--http", addr, "--ws",
	                      "127.0.0.1:0", "--data", data, NULL};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *out = NULL;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(data));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
	rc = td_run(args, &out, 15000);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "cannot listen"));
	assert_non_null(strstr(out, addr));
	mem_free(out);
	close(fd);
	/* a failed start may leave data/keys behind */
	td_rm_rf(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root_document),
	    cmocka_unit_test(test_error_bodies),
	    cmocka_unit_test(test_cors),
	    cmocka_unit_test(test_ws_receives_published_event),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_vapid_key_persists),
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test(test_port_in_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
