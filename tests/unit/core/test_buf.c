/*
 * tests/unit/core/test_buf.c: bounded buffer: limits, sticky errors, OOM,
 * HTML escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"

static void test_html_escape(void **state)
{
	struct buf b = BUF_INIT(64);
	const char nul[] = {'a', '<', '\0', '>'};

	(void)state;
	buf_html_escape(&b, str_from("<a href=\"x\">Tom & 'Jerry'</a>"));
	assert_string_equal(buf_cstr(&b),
	                    "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
	buf_reset(&b);
	buf_html_escape(&b, STR_NULL); /* nothing, no crash */
	buf_html_escape(&b, str_from("plain é"));
	buf_html_escape(&b, (struct str){nul, sizeof(nul)}); /* bytes after a NUL count */
	assert_int_equal(b.len, strlen("plain é") + 1 + 4 + 1 + 4);
	assert_memory_equal(b.ptr, "plain éa&lt;\0&gt;", b.len);
	/* the limit is sticky in the middle of a reference */
	buf_reset(&b);
	for (int i = 0; i < 20; i++)
		buf_html_escape(&b, str_from("&&"));
	assert_int_equal(buf_err(&b), SE_TOO_LARGE);
	assert_true(b.len <= 64);
	buf_release(&b);
}

static void test_append_and_take(void **state)
{
	struct buf b = BUF_INIT(64);
	size_t len = 0;
	char *p;

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(buf_err(&b), SE_OK);
	assert_string_equal(buf_cstr(&b), "hello 42-x");
	p = buf_take(&b, &len);
	assert_int_equal(len, 10);
	assert_string_equal(p, "hello 42-x");
	assert_null(b.ptr);
	mem_free(p);
	buf_release(&b);
}

static void test_limit_is_sticky(void **state)
{
	static const struct {
		size_t max;
		size_t first, second;
		enum err want;
	} cases[] = {
	    {8, 8, 0, SE_OK}, {8, 9, 0, SE_TOO_LARGE}, {8, 4, 5, SE_TOO_LARGE},
	    {0, 0, 0, SE_OK}, {0, 1, 0, SE_TOO_LARGE}, {SIZE_MAX, 3, SIZE_MAX, SE_TOO_LARGE},
	};
	char data[16] = "0123456789abcdef";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(cases[i].max);

		buf_append(&b, data, cases[i].first);
		if (cases[i].second == SIZE_MAX)
			buf_grow(&b, SIZE_MAX);
		else
			buf_append(&b, data, cases[i].second);
		assert_int_equal(buf_err(&b), cases[i].want);
		if (cases[i].want) {
			size_t before = b.len;

			/* sticky: later appends do nothing */
			buf_puts(&b, "x");
			buf_printf(&b, "%s", "y");
			assert_int_equal(b.len, before);
			assert_null(buf_take(&b, NULL));
		}
		buf_release(&b);
		assert_int_equal(b.max, cases[i].max);
	}
}

static void test_oom_every_allocation(void **state)
{
	(void)state;
	for (unsigned long n = 1; n < 64; n++) {
		struct buf b = BUF_INIT(1 << 20);

		mem_fail_at(n, 0);
		for (int i = 0; i < 200; i++)
			buf_printf(&b, "line %d\n", i);
		mem_fail_at(0, 0);
		if (buf_err(&b) == SE_OK) {
			assert_true(b.len > 1000);
			buf_release(&b);
			return;
		}
		assert_int_equal(buf_err(&b), SE_NOMEM);
		buf_release(&b);
	}
	fail_msg("allocation never succeeded");
}

static void test_reset_keeps_allocation(void **state)
{
	struct buf b = BUF_INIT(100);

	(void)state;
	buf_puts(&b, "abc");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_non_null(b.ptr);
	buf_append(&b, "x", 101);
	assert_int_equal(buf_err(&b), SE_TOO_LARGE);
	buf_reset(&b);
	assert_int_equal(buf_err(&b), SE_OK);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_take),
	    cmocka_unit_test(test_html_escape),
	    cmocka_unit_test(test_limit_is_sticky),
	    cmocka_unit_test(test_oom_every_allocation),
	    cmocka_unit_test(test_reset_keeps_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
