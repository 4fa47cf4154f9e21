/*
 * tests/unit/core/test_log.c: escaping of untrusted text and level parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"

static void test_escape(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		size_t cap;
		const char *want;
	} cases[] = {
	    {"plain", 5, 64, "plain"},
	    {"a\nb", 3, 64, "a\\x0ab"},
	    {"q\"\\", 3, 64, "q\\x22\\x5c"},
	    {"\x1b[31m", 5, 64, "\\x1b[31m"},
	    {"nul\0x", 5, 64, "nul\\x00x"},
	    {"\xff\xfe", 2, 64, "\\xff\\xfe"},
	    {"abcdefghijklmnop", 16, 10, "abcdef..."},
	    {"", 0, 1, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];

		memset(out, 'Z', sizeof(out));
		log_escape(out, cases[i].cap, cases[i].in, cases[i].len);
		assert_string_equal(out, cases[i].want);
		assert_true(strlen(out) < cases[i].cap);
	}
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
	assert_int_equal(log_level_parse("verbose"), -1);
	log_set_level(LOG_LVL_ERROR);
	assert_int_equal(log_get_level(), LOG_LVL_ERROR);
	log_info("test: suppressed %d", 1);
	log_set_level(LOG_LVL_INFO);
	/* a line longer than the line buffer is cut, not overflowed */
	{
		char big[5000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		log_info("test: %s", big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
