/*
 * tests/unit/core/test_mem.c: the OOM injection hook itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"

static void test_injection(void **state)
{
	void *p;

	(void)state;
	mem_fail_at(2, 0);
	p = mem_try_alloc(8);
	assert_non_null(p);
	assert_null(mem_try_realloc(p, 16)); /* second call fails */
	p = mem_try_realloc(p, 16);          /* one-shot: third works */
	assert_non_null(p);
	assert_int_equal(mem_fail_at(1, 1), 3);
	assert_null(mem_try_alloc(1));
	assert_null(mem_try_alloc(1)); /* sticky */
	mem_fail_at(0, 0);
	mem_free(p);
	p = mem_try_alloc(0);
	assert_non_null(p);
	mem_free(p);
	mem_free(NULL);
}

static void test_x_tier(void **state)
{
	char *s;

	(void)state;
	mem_fail_at(1, 1);
	/* the abort tier is outside the hook by design */
	s = xstrdup("abc");
	mem_fail_at(0, 0);
	assert_string_equal(s, "abc");
	mem_free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	mem_free(s);
	s = xcalloc(4, 4);
	assert_int_equal(s[15], 0);
	s = xrealloc(s, 64);
	mem_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_injection),
	    cmocka_unit_test(test_x_tier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
