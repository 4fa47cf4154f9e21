/*
 * tests/unit/core/test_str.c: slices: cutting, trimming, numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/str.h"

static void test_to_u64(void **state)
{
	static const struct {
		const char *in;
		uint64_t max;
		int ok;
		uint64_t want;
	} cases[] = {
	    {"0", 10, 1, 0},
	    {"10", 10, 1, 10},
	    {"11", 10, 0, 0},
	    {"", 10, 0, 0},
	    {"-1", 10, 0, 0},
	    {" 1", 10, 0, 0},
	    {"1a", 100, 0, 0},
	    {"18446744073709551615", UINT64_MAX, 1, UINT64_MAX},
	    {"18446744073709551616", UINT64_MAX, 0, 0},
	    {"99999999999999999999999", UINT64_MAX, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 7;
		bool ok = str_to_u64(str_from(cases[i].in), cases[i].max, &v);

		assert_int_equal(ok, cases[i].ok);
		if (ok)
			assert_true(v == cases[i].want);
		else
			assert_true(v == 7);
	}
}

static void test_cut_and_trim(void **state)
{
	struct str s = STR_LIT("a=b=c");
	struct str h;

	(void)state;
	h = str_cut(&s, '=');
	assert_true(str_eq_cstr(h, "a"));
	assert_true(str_eq_cstr(s, "b=c"));
	h = str_cut(&s, '=');
	assert_true(str_eq_cstr(h, "b"));
	h = str_cut(&s, '=');
	assert_true(str_eq_cstr(h, "c"));
	assert_int_equal(s.n, 0);
	assert_true(str_eq_cstr(str_trim(STR_LIT(" \t x y \t")), "x y"));
	assert_true(str_eq_cstr(str_trim(STR_LIT("   ")), ""));
	assert_true(str_eq_nocase(STR_LIT("X-Bot-Token"), STR_LIT("x-bot-token")));
	assert_false(str_eq_nocase(STR_LIT("abc"), STR_LIT("abd")));
	assert_true(str_has_prefix(STR_LIT("/api/x"), STR_LIT("/api")));
	assert_false(str_has_prefix(STR_LIT("/ap"), STR_LIT("/api")));
	assert_int_equal(str_index(STR_LIT("abc"), 'c'), 2);
	assert_int_equal(str_index(STR_NULL, 'c'), -1);
	/* NUL inside a slice is data */
	assert_false(str_eq((struct str){"a\0b", 3}, (struct str){"a\0c", 3}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_to_u64),
	    cmocka_unit_test(test_cut_and_trim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
