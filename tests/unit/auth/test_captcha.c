/*
 * tests/unit/auth/test_captcha.c: hCaptcha verification: the answer parser
 * (hostile bodies), and captcha_check against a siteverify stand-in on
 * 127.0.0.1 run by a thread of this test: the form it receives, success,
 * refusal, junk answers, HTTP errors, an unreachable verifier, and the
 * SSRF guard keeping a loopback verifier out without allow_private.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/captcha.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "tests/support/lsrv.h"

static void test_answer(void **state)
{
	static const struct {
		const char *body;
		bool ok;
	} cases[] = {
	    {"{\"success\":true}", true},
	    {"{\"success\": true, \"challenge_ts\": \"2024-01-01T00:00:00Z\", \"hostname\": \"x\"}",
	     true},
	    {"{\"success\":false}", false},
	    {"{\"success\":false,\"error-codes\":[\"invalid-input-response\"]}", false},
	    {"{\"success\":\"true\"}", false},
	    {"{\"success\":1}", false},
	    {"{\"success\":null}", false},
	    {"{}", false},
	    {"[true]", false},
	    {"true", false},
	    {"", false},
	    {"{\"success\":true", false},
	    {"{\"success\":true}junk", false},
	    {"{\"success\":true,\"success\":false}", false},
	    {"<html>ok</html>", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (captcha_answer_ok(str_from(cases[i].body)) != cases[i].ok)
			fail_msg("'%s'", cases[i].body);
	assert_false(captcha_answer_ok((struct str){"{\"success\":true}\0", 17}));
	assert_false(captcha_answer_ok(STR_NULL));
}

/* ---- siteverify stand-in ---- */

static struct {
	struct lsrv *srv;
	char form[16384];
	char ctype[128];
} g;

static void serve(struct lsrv *srv, int fd, void *arg)
{
	char req[20000];
	const char *body, *ct;
	const char *status = "200 OK", *answer;
	char out[512];

	(void)srv;
	(void)arg;
	lsrv_read_request(fd, req, sizeof(req));
	body = strstr(req, "\r\n\r\n");
	body = body ? body + 4 : "";
	snprintf(g.form, sizeof(g.form), "%s", body);
	ct = strcasestr(req, "\r\ncontent-type: ");
	snprintf(g.ctype, sizeof(g.ctype), "%.*s", ct ? (int)strcspn(ct + 16, "\r") : 0,
	         ct ? ct + 16 : "");
	if (strstr(body, "response=good-token"))
		answer = "{\"success\":true}";
	else if (strstr(body, "response=junk"))
		answer = "not json";
	else if (strstr(body, "response=error")) {
		status = "500 Internal Server Error";
		answer = "{\"success\":true}";
	} else
		answer = "{\"success\":false,\"error-codes\":[\"invalid-input-response\"]}";
	snprintf(out, sizeof(out),
	         "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n%s",
	         status, strlen(answer), answer);
	send(fd, out, strlen(out), MSG_NOSIGNAL);
}

static int srv_setup(void **state)
{
	(void)state;
	g.srv = lsrv_start(serve, NULL);
	if (!g.srv)
		return -1;
	return 0;
}

static int srv_teardown(void **state)
{
	(void)state;
	lsrv_stop(g.srv);
	g.srv = NULL;
	return 0;
}

static void cfg_for(struct cfg *c, const char *key, bool allow_private)
{
	char url[128];

	cfg_init(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/siteverify", lsrv_port(g.srv));
	assert_int_equal(cfg_set(c, "captcha.hcaptcha_key", key, "test", NULL), SE_OK);
	assert_int_equal(cfg_set(c, "captcha.hcaptcha_sitekey", "site-1", "test", NULL), SE_OK);
	assert_int_equal(cfg_set(c, "captcha.hcaptcha_verify_url", url, "test", NULL), SE_OK);
	c->federation.allow_private = allow_private;
}

static void test_check(void **state)
{
	struct cfg c = CFG_INIT;
	struct err_info ei = ERR_INFO_INIT;
	char big[CAPTCHA_TOKEN_MAX + 2];
	int before;

	(void)state;
	/* disabled: everything passes without a call */
	cfg_init(&c);
	before = (int)lsrv_hits(g.srv);
	assert_int_equal(captcha_check(&c, STR_NULL, &ei), SE_OK);
	assert_false(captcha_enabled(&c));
	assert_int_equal((int)lsrv_hits(g.srv), before);
	cfg_release(&c);

	cfg_for(&c, "0x00 secret&=", true);
	assert_true(captcha_enabled(&c));
	assert_int_equal(captcha_check(&c, STR_LIT("good-token"), &ei), SE_OK);
	/* the form authifier sends, escaped */
	assert_string_equal(g.form,
	                    "secret=0x00%20secret%26%3D&response=good-token&sitekey=site-1");
	assert_string_equal(g.ctype, "application/x-www-form-urlencoded");

	assert_int_equal(captcha_check(&c, STR_LIT("bad-token"), &ei), SE_CaptchaFailed);
	assert_int_equal(captcha_check(&c, STR_LIT("junk"), &ei), SE_CaptchaFailed);
	assert_int_equal(captcha_check(&c, STR_LIT("error"), &ei), SE_CaptchaFailed);
	assert_non_null(strstr(ei.detail, "500"));
	/* a token cannot smuggle form fields */
	assert_int_equal(captcha_check(&c, STR_LIT("x&response=good-token"), &ei),
	                 SE_CaptchaFailed);
	assert_non_null(strstr(g.form, "response=x%26response%3Dgood-token"));

	/* missing and oversized tokens fail without a call */
	before = (int)lsrv_hits(g.srv);
	assert_int_equal(captcha_check(&c, STR_NULL, &ei), SE_CaptchaFailed);
	assert_int_equal(captcha_check(&c, STR_LIT(""), &ei), SE_CaptchaFailed);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(captcha_check(&c, str_from(big), &ei), SE_CaptchaFailed);
	assert_int_equal((int)lsrv_hits(g.srv), before);
	cfg_release(&c);

	/* without allow_private the loopback verifier is refused by the fetcher */
	cfg_for(&c, "k", false);
	assert_int_equal(captcha_check(&c, STR_LIT("good-token"), &ei), SE_CaptchaFailed);
	assert_non_null(strstr(ei.detail, "unreachable"));
	assert_int_equal((int)lsrv_hits(g.srv), before);
	cfg_release(&c);

	/* nothing listening: fail closed */
	cfg_for(&c, "k", true);
	assert_int_equal(
	    cfg_set(&c, "captcha.hcaptcha_verify_url", "http://127.0.0.1:1/x", "test", NULL),
	    SE_OK);
	assert_int_equal(captcha_check(&c, STR_LIT("good-token"), &ei), SE_CaptchaFailed);
	cfg_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_check),
	};

	jx_init();
	if (fetch_global_init() != SE_OK)
		return 1;
	return cmocka_run_group_tests(tests, srv_setup, srv_teardown);
}
