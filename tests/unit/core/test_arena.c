/*
 * tests/unit/core/test_arena.c: arena allocation, limits, deferred releases, OOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/mem.h"

static int order[8];
static int n_order;

static void note(void *p)
{
	order[n_order++] = (int)(intptr_t)p;
}

static void test_alloc_align_and_defer(void **state)
{
	struct arena a = ARENA_INIT(1 << 20);
	char *s;

	(void)state;
	n_order = 0;
	for (int i = 1; i < 100; i++) {
		void *p = arena_alloc(&a, (size_t)i * 7);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, (size_t)i * 7);
	}
	s = arena_printf(&a, "%s-%d", "x", 5);
	assert_string_equal(s, "x-5");
	assert_true(str_eq_cstr(arena_str(&a, STR_LIT("abc")), "abc"));
	assert_int_equal(arena_defer(&a, note, (void *)1), 0);
	assert_int_equal(arena_defer(&a, note, (void *)2), 0);
	arena_release(&a);
	assert_int_equal(n_order, 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	/* reusable after release */
	assert_non_null(arena_alloc(&a, 10));
	arena_release(&a);
}

static void test_limit(void **state)
{
	struct arena a = ARENA_INIT(10000);

	(void)state;
	assert_null(arena_alloc(&a, 20000));
	assert_null(arena_alloc(&a, SIZE_MAX));
	assert_null(arena_alloc(&a, SIZE_MAX - 8));
	assert_non_null(arena_alloc(&a, 4000));
	assert_non_null(arena_alloc(&a, 4000));
	assert_null(arena_alloc(&a, 4000));
	assert_null(arena_strndup(&a, "x", SIZE_MAX));
	arena_release(&a);
}

static void test_oom_runs_defer(void **state)
{
	struct arena a = ARENA_INIT(1 << 20);

	(void)state;
	n_order = 0;
	mem_fail_at(1, 1);
	assert_null(arena_zalloc(&a, 10));
	assert_int_equal(arena_defer(&a, note, (void *)7), -1);
	mem_fail_at(0, 0);
	/* ownership was taken: the callback already ran */
	assert_int_equal(n_order, 1);
	assert_int_equal(order[0], 7);
	arena_release(&a);
	assert_int_equal(n_order, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_align_and_defer),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_oom_runs_defer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
