/*
 * tests/unit/http/test_router.c: pattern matching, parameters, methods,
 * hostile paths, table checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

static enum err h_a(struct req_ctx *c)
{
	(void)c;
	return SE_OK;
}

static enum err h_b(struct req_ctx *c)
{
	(void)c;
	return SE_OK;
}

static const struct route table[] = {
    {HTTP_GET, "/api", h_a, 0},
    {HTTP_GET, "/api/users/@me", h_a, 1},
    {HTTP_GET, "/api/users/{target}", h_a, 2},
    {HTTP_PATCH, "/api/users/{target}", h_b, 3},
    {HTTP_GET, "/api/channels/{target}/messages/{msg}", h_a, 4},
    {HTTP_PUT, "/api/channels/{target}/messages/{msg}/reactions/{emoji}", h_b, 5},
    {HTTP_GET, "/@{handle}", h_a, 6},
    {HTTP_GET, "/x/pre{p}/{q}", h_b, 7},
};

static void test_match_cases(void **state)
{
	static const struct {
		enum http_method m;
		const char *path;
		enum router_result want;
		unsigned flags;
		const char *p0, *p1, *p2;
	} cases[] = {
	    {HTTP_GET, "/api", ROUTER_MATCH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api/", ROUTER_MATCH, 0, NULL, NULL, NULL},
	    {HTTP_HEAD, "/api", ROUTER_MATCH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api/users/@me", ROUTER_MATCH, 1, NULL, NULL, NULL},
	    {HTTP_GET, "/api/users/01ABC", ROUTER_MATCH, 2, "01ABC", NULL, NULL},
	    {HTTP_PATCH, "/api/users/01ABC", ROUTER_MATCH, 3, "01ABC", NULL, NULL},
	    {HTTP_DELETE, "/api/users/01ABC", ROUTER_NO_METHOD, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api/channels/C/messages/M", ROUTER_MATCH, 4, "C", "M", NULL},
	    {HTTP_PUT, "/api/channels/C/messages/M/reactions/%F0", ROUTER_MATCH, 5, "C", "M",
	     "%F0"},
	    {HTTP_GET, "/@alice_0001", ROUTER_MATCH, 6, "alice_0001", NULL, NULL},
	    {HTTP_GET, "/@@x", ROUTER_MATCH, 6, "@x", NULL, NULL},
	    {HTTP_GET, "/@", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/alice", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/@a/b", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/x/prefoo/bar", ROUTER_MATCH, 7, "foo", "bar", NULL},
	    {HTTP_GET, "/x/pre/bar", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/x/Prefoo/bar", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/x/pr/bar", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api/users", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api/users//", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/api//users/x", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/API", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "api", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/", ROUTER_NO_PATH, 0, NULL, NULL, NULL},
	    {HTTP_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u", ROUTER_NO_PATH, 0, NULL, NULL,
	     NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct str params[LIM_ROUTE_PARAMS];
		const struct route *r = NULL;
		size_t np = 99;
		enum router_result res =
		    router_match(table, sizeof(table) / sizeof(table[0]), cases[i].m,
		                 str_from(cases[i].path), &r, params, &np, NULL);
		const char *want[3] = {cases[i].p0, cases[i].p1, cases[i].p2};

		if (res != cases[i].want)
			fail_msg("case %zu '%s': got %d want %d", i, cases[i].path, res,
			         cases[i].want);
		if (res != ROUTER_MATCH)
			continue;
		assert_int_equal(r->flags, cases[i].flags);
		for (size_t k = 0; k < 3; k++) {
			if (!want[k]) {
				assert_true(np <= k);
				break;
			}
			assert_true(k < np);
			assert_true(str_eq_cstr(params[k], want[k]));
		}
	}
}

static void test_allow_bits(void **state)
{
	struct str params[LIM_ROUTE_PARAMS];
	const struct route *r;
	unsigned allow = 0;
	size_t np;

	(void)state;
	assert_int_equal(router_match(table, sizeof(table) / sizeof(table[0]), HTTP_POST,
	                              STR_LIT("/api/users/x"), &r, params, &np, &allow),
	                 ROUTER_NO_METHOD);
	assert_int_equal(allow, (1u << HTTP_GET) | (1u << HTTP_HEAD) | (1u << HTTP_PATCH));
}

static void test_check(void **state)
{
	static const struct route bad1[] = {{HTTP_GET, "nope", h_a, 0}};
	static const struct route bad2[] = {{HTTP_GET, "/a//b", h_a, 0}};
	static const struct route bad3[] = {{HTTP_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", h_a, 0}};
	static const struct route bad4[] = {{HTTP_GET, "/x", NULL, 0}};
	static const struct route bad5[] = {{HTTP_GET, "/a{a}/{b}/{c}/{d}/{e}/{f}/{g}", h_a, 0}};
	static const struct route lit[] = {{HTTP_GET, "/a{}/x}", h_a, 0}};
	struct str params[LIM_ROUTE_PARAMS];
	const struct route *r;
	size_t np;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(router_check(table, sizeof(table) / sizeof(table[0]), &ei), SE_OK);
	assert_int_equal(router_check(bad1, 1, &ei), SE_INVAL);
	assert_int_equal(router_check(bad2, 1, &ei), SE_INVAL);
	assert_int_equal(router_check(bad3, 1, &ei), SE_INVAL);
	assert_int_equal(router_check(bad4, 1, &ei), SE_INVAL);
	assert_non_null(strstr(ei.detail, "/x"));
	assert_int_equal(router_check(bad5, 1, &ei), SE_INVAL);
	/* "a{}" and "x}" are literals, not parameters */
	assert_int_equal(router_check(lit, 1, &ei), SE_OK);
	assert_int_equal(router_match(lit, 1, HTTP_GET, STR_LIT("/a{}/x}"), &r, params, &np, NULL),
	                 ROUTER_MATCH);
	assert_int_equal(np, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_cases),
	    cmocka_unit_test(test_allow_bits),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
