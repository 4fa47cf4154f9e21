/*
 * tests/unit/core/test_jx.c: bounded JSON parsing with hostile inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/jx.h"
#include "core/limits.h"
#include "core/mem.h"

static void test_parse_cases(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen */
		enum err want;
	} cases[] = {
	    {"{}", 0, SE_OK},
	    {"{\"a\":1}", 0, SE_OK},
	    {"  {\"a\":[1,2,{\"b\":null}]}  ", 0, SE_OK},
	    {"", 0, SE_PARSE},
	    {"{", 0, SE_PARSE},
	    {"{\"a\":1,\"a\":2}", 0, SE_PARSE},    /* duplicate key */
	    {"{\"a\":1} x", 0, SE_PARSE},          /* trailing bytes */
	    {"{\"a\":\"\\u0000\"}", 0, SE_PARSE},  /* NUL in a string */
	    {"{\"a\":\"x\0y\"}", 11, SE_PARSE},    /* raw NUL */
	    {"{\"a\":\"\xff\"}", 0, SE_PARSE},     /* bad UTF-8 */
	    {"{\"a\":\"\xc0\xaf\"}", 0, SE_PARSE}, /* overlong UTF-8 */
	    {"[1e999999]", 0, SE_PARSE},
	    {"{\"a\":12345678901234567890123}", 0, SE_PARSE},
	    {"\"just a string\"", 0, SE_OK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		json_t *v = NULL;
		enum err rc = jx_parse((struct str){cases[i].in, len}, 1024, &v, &ei);

		if (rc != cases[i].want)
			fail_msg("case %zu '%s': got %s want %s (%s)", i, cases[i].in, err_type(rc),
			         err_type(cases[i].want), ei.detail);
		if (rc == SE_OK)
			assert_non_null(v);
		else
			assert_true(ei.detail[0] != '\0' || rc == SE_TOO_LARGE);
		json_decref(v);
	}
}

static void test_limits(void **state)
{
	struct buf deep = BUF_INIT(1 << 20);
	struct err_info ei = ERR_INFO_INIT;
	json_t *v = NULL;

	(void)state;
	for (int i = 0; i < LIM_JSON_DEPTH + 1; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i < LIM_JSON_DEPTH + 1; i++)
		buf_putc(&deep, ']');
	assert_int_equal(jx_depth(buf_str(&deep)), LIM_JSON_DEPTH + 1);
	assert_int_equal(jx_parse(buf_str(&deep), 1 << 20, &v, &ei), SE_PARSE);
	/* brackets inside strings do not count */
	assert_int_equal(jx_depth(STR_LIT("[\"[[[[\\\"[[\"]")), 1);
	/* size limit */
	assert_int_equal(jx_parse(STR_LIT("{\"a\":1}"), 3, &v, &ei), SE_TOO_LARGE);
	/* object required */
	assert_int_equal(jx_parse_object(STR_LIT("[1]"), 100, &v, &ei), SE_PARSE);
	assert_int_equal(jx_parse_object(STR_LIT("{\"k\":\"v\"}"), 100, &v, &ei), SE_OK);
	json_decref(v);
	buf_release(&deep);
}

static void test_getters(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	json_t *v = NULL;
	struct str s;
	bool b;
	int64_t n;

	(void)state;
	assert_int_equal(
	    jx_parse_object(STR_LIT("{\"s\":\"x\",\"b\":true,\"n\":5,\"z\":null}"), 100, &v, &ei),
	    SE_OK);
	assert_int_equal(jx_get_str(v, "s", &s, &ei), SE_OK);
	assert_true(str_eq_cstr(s, "x"));
	assert_int_equal(jx_get_bool(v, "b", &b, &ei), SE_OK);
	assert_true(b);
	assert_int_equal(jx_get_int(v, "n", &n, &ei), SE_OK);
	assert_int_equal(n, 5);
	assert_int_equal(jx_get_str(v, "z", &s, &ei), SE_NOT_FOUND);
	assert_int_equal(jx_get_str(v, "missing", &s, &ei), SE_NOT_FOUND);
	assert_int_equal(jx_get_str(v, "n", &s, &ei), SE_PARSE);
	assert_non_null(strstr(ei.detail, "'n'"));
	assert_int_equal(jx_get_int(v, "s", &n, &ei), SE_PARSE);
	assert_int_equal(jx_get_bool(v, "n", &b, &ei), SE_PARSE);
	json_decref(v);
}

static void test_oom(void **state)
{
	(void)state;
	jx_init();
	for (unsigned long k = 1; k < 200; k++) {
		struct err_info ei = ERR_INFO_INIT;
		json_t *v = NULL;
		enum err rc;

		mem_fail_at(k, 0);
		rc = jx_parse(STR_LIT("{\"a\":[1,2,3,{\"b\":\"ccccccccccccccccccc\"}],\"d\":{}}"),
		              1000, &v, &ei);
		mem_fail_at(0, 0);
		if (rc == SE_OK) {
			json_decref(v);
			return;
		}
		assert_true(rc == SE_NOMEM || rc == SE_PARSE);
	}
	fail_msg("parse never succeeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_getters),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
