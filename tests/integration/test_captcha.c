/*
 * tests/integration/test_captcha.c: hCaptcha on the authifier routes of the
 * real daemon ([captcha] keys set, hcaptcha_verify_url pointing at a
 * siteverify stand-in run by a thread of this test on 127.0.0.1, --dev for
 * the loopback address): the root document advertises the site key;
 * account create, reverify and reset_password answer CaptchaFailed without
 * a token or with a refused one, and go ahead with an accepted one.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/lsrv.h"

#define START_MS 20000
#define STOP_MS 15000

static struct {
	struct lsrv *srv;
	char last_form[4096];
} g;

static void serve(struct lsrv *srv, int fd, void *arg)
{
	char req[8192], out[256];
	const char *body, *answer;

	(void)srv;
	(void)arg;
	lsrv_read_request(fd, req, sizeof(req));
	body = strstr(req, "\r\n\r\n");
	body = body ? body + 4 : "";
	snprintf(g.last_form, sizeof(g.last_form), "%s", body);
	answer =
	    strstr(body, "&response=good-token&") ? "{\"success\":true}" : "{\"success\":false}";
	snprintf(out, sizeof(out),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n%s",
	         strlen(answer), answer);
	send(fd, out, strlen(out), MSG_NOSIGNAL);
}

static int setup(void **state)
{
	char url[128];

	(void)state;
	g.srv = lsrv_start(serve, NULL);
	if (!g.srv)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/siteverify", lsrv_port(g.srv));
	setenv("SOLSTICE_CAPTCHA_HCAPTCHA_KEY", "0xsecret", 1);
	setenv("SOLSTICE_CAPTCHA_HCAPTCHA_SITEKEY", "site-key-1", 1);
	setenv("SOLSTICE_CAPTCHA_HCAPTCHA_VERIFY_URL", url, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lsrv_stop(g.srv);
	g.srv = NULL;
	return 0;
}

static void test_captcha_routes(void **state)
{
	static const char *const dev[] = {"--dev", NULL};
	static const char *const paths[] = {"/api/auth/account/create",
	                                    "/api/auth/account/reverify",
	                                    "/api/auth/account/reset_password"};
	struct td *d = tc_start(dev, START_MS);
	json_t *root, *v;
	int before;

	(void)state;
	assert_non_null(d);
	root = tc_ok(d, "GET", "/api/", NULL, NULL, 200);
	v = json_object_get(json_object_get(root, "features"), "captcha");
	assert_true(json_is_true(json_object_get(v, "enabled")));
	assert_string_equal(tc_sget(v, "key"), "site-key-1");
	json_decref(root);

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		/* no token: refused before any call */
		before = (int)lsrv_hits(g.srv);
		tc_expect(
		    d, "POST", paths[i], NULL,
		    "{\"email\":\"cap@example.org\",\"password\":\"correct horse battery 9\"}", 400,
		    "CaptchaFailed");
		assert_int_equal((int)lsrv_hits(g.srv), before);
		/* a refused token */
		tc_expect(d, "POST", paths[i], NULL,
		          "{\"email\":\"cap@example.org\",\"password\":\"correct horse battery 9\","
		          "\"captcha\":\"bad-token\"}",
		          400, "CaptchaFailed");
		assert_int_equal((int)lsrv_hits(g.srv), before + 1);
		assert_non_null(strstr(g.last_form, "secret=0xsecret&response=bad-token"));
	}
	/* an accepted token lets account creation through */
	tc_expect(d, "POST", "/api/auth/account/create", NULL,
	          "{\"email\":\"cap@example.org\",\"password\":\"correct horse battery 9\","
	          "\"captcha\":\"good-token\"}",
	          204, NULL);
	/* and the other routes get past the captcha (no SMTP here: reset cannot mail) */
	tc_expect(d, "POST", "/api/auth/account/reverify", NULL,
	          "{\"email\":\"cap@example.org\",\"captcha\":\"good-token\"}", 204, NULL);
	tc_expect(d, "POST", "/api/auth/account/reset_password", NULL,
	          "{\"email\":\"cap@example.org\",\"captcha\":\"good-token\"}", 500,
	          "OperationFailed");
	td_stop(d, STOP_MS, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_captcha_routes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
