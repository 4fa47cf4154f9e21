/*
 * tests/unit/api/test_root.c: the root document's shape and derivations
 * (REVOLT.md section 2) and the api pipeline: /api/0.8 alias, CORS,
 * OPTIONS, unmatched routes, dev-only routes.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "app.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/mem.h"
#include "http/http.h"

static struct cfg cfg;
static struct app app;

static int setup(void **state)
{
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	cfg_init(&cfg);
	if (cfg_set(&cfg, "hosts.public_url", "https://chat.example", "test", &ei) ||
	    cfg_finalize_urls(&cfg, NULL, "127.0.0.1:14703", &ei))
		return -1;
	app.cfg = &cfg;
	app.vapid_public = xstrdup("BAAA");
	return api_init(&app, &ei) == SE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	api_release(&app);
	mem_free(app.vapid_public);
	cfg_release(&cfg);
	return 0;
}

static void test_render(void **state)
{
	json_t *doc;
	const json_t *f;

	(void)state;
	doc = json_loads(app.root_json, 0, NULL);
	assert_non_null(doc);
	f = json_object_get(doc, "features");
	assert_string_equal(json_string_value(json_object_get(doc, "revolt")), "0.8.9");
	assert_string_equal(json_string_value(json_object_get(doc, "app")), "https://chat.example");
	assert_string_equal(json_string_value(json_object_get(doc, "ws")), "ws://127.0.0.1:14703");
	assert_string_equal(json_string_value(json_object_get(doc, "vapid")), "BAAA");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "autumn"), "url")),
	                    "https://chat.example/autumn");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f, "january"), "url")),
	    "https://chat.example/january");
	assert_true(json_is_false(json_object_get(json_object_get(f, "captcha"), "enabled")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f, "captcha"), "key")), "");
	assert_true(json_is_false(json_object_get(f, "email")));
	assert_true(json_is_false(json_object_get(f, "invite_only")));
	assert_true(json_is_false(json_object_get(json_object_get(f, "voso"), "enabled")));
	/* build: all five strings present */
	{
		static const char *const keys[] = {"commit_sha", "commit_timestamp", "semver",
		                                   "origin_url", "timestamp"};
		const json_t *b = json_object_get(doc, "build");

		for (size_t i = 0; i < 5; i++)
			assert_true(json_is_string(json_object_get(b, keys[i])));
	}
	json_decref(doc);
}

static void test_features_follow_config(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c;
	struct app a = APP_INIT;
	json_t *doc, *f;
	char *text;

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "smtp.host", "smtp.example", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "smtp.from_address", "a@example", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "captcha.hcaptcha_key", "secret", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "captcha.hcaptcha_sitekey", "site", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "api.invite_only", "true", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "hosts.voso_legacy", "https://voso.example", "t", &ei), SE_OK);
	assert_int_equal(cfg_set(&c, "hosts.voso_legacy_ws", "wss://voso.example", "t", &ei),
	                 SE_OK);
	assert_int_equal(cfg_finalize_urls(&c, "127.0.0.1:1", "127.0.0.1:2", &ei), SE_OK);
	a.cfg = &c;
	text = api_root_render(&a);
	assert_non_null(text);
	doc = json_loads(text, 0, NULL);
	f = json_object_get(doc, "features");
	assert_true(json_is_true(json_object_get(f, "email")));
	assert_true(json_is_true(json_object_get(f, "invite_only")));
	assert_true(json_is_true(json_object_get(json_object_get(f, "captcha"), "enabled")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f, "captcha"), "key")), "site");
	assert_true(json_is_true(json_object_get(json_object_get(f, "voso"), "enabled")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "voso"), "ws")),
	                    "wss://voso.example");
	/* a VAPID key not loaded yet still renders the key, empty */
	assert_string_equal(json_string_value(json_object_get(doc, "vapid")), "");
	json_decref(doc);
	mem_free(text);
	cfg_release(&c);
}

static void run(enum http_method m, const char *path, const char *origin, struct http_resp *resp)
{
	static struct arena arena;
	struct http_kv hdr[1];
	struct http_req req;

	memset(&req, 0, sizeof(req));
	arena_init(&arena, 1 << 20);
	req.method = m;
	req.path = str_from(path);
	req.arena = &arena;
	buf_init(&req.body, 1024);
	if (origin) {
		hdr[0] = (struct http_kv){STR_LIT("origin"), str_from(origin)};
		req.headers = hdr;
		req.n_headers = 1;
	}
	http_resp_init(resp);
	api_handle(&req, resp, &app);
	buf_release(&req.body);
	arena_release(&arena);
}

static void test_pipeline(void **state)
{
	static const struct {
		enum http_method m;
		const char *path;
		int status;
		const char *body_has;
	} cases[] = {
	    {HTTP_GET, "/api/", 200, "\"revolt\":\"0.8.9\""},
	    {HTTP_GET, "/api", 200, "\"revolt\""},
	    {HTTP_GET, "/api/0.8", 200, "\"revolt\""},
	    {HTTP_GET, "/api/0.8/", 200, "\"revolt\""},
	    {HTTP_GET, "/api/0.80", 404, "NotFound"},
	    {HTTP_GET, "/api/0.8x/", 404, "NotFound"},
	    {HTTP_POST, "/api/", 404, "NotFound"},
	    {HTTP_GET, "/nothing", 404, "NotFound"},
	    {HTTP_POST, "/_dev/publish", 404, "NotFound"}, /* not in dev mode */
	    {HTTP_OPTIONS, "/anything/at/all", 204, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp r;

		run(cases[i].m, cases[i].path, "https://web.example", &r);
		if (r.status != cases[i].status)
			fail_msg("case %zu %s: status %d", i, cases[i].path, r.status);
		if (cases[i].body_has)
			assert_non_null(strstr(buf_cstr(&r.body), cases[i].body_has));
		assert_non_null(strstr(buf_cstr(&r.headers),
		                       "Access-Control-Allow-Origin: https://web.example\r\n"));
		http_resp_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_features_follow_config),
	    cmocka_unit_test(test_pipeline),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
