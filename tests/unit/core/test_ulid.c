/*
 * tests/unit/core/test_ulid.c: ULID parse/encode round trips, hostile input,
 * monotonic generation with an explicit clock, thread safety.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/ulid.h"

struct parse_case {
	const char *in;
	size_t n; /* 0: strlen(in) */
	enum err want;
	uint64_t ms; /* checked when want == SE_OK */
};

static const struct parse_case parse_cases[] = {
    {"01ARYZ6S41TSV4RRFFQ69G5FAV", 0, SE_OK, UINT64_C(1469918176385)},
    {"00000000000000000000000000", 0, SE_OK, 0},
    {"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 0, SE_OK, ULID_TIME_MAX},
    {"01H5Z3V6PQ0000000000000000", 0, SE_OK, UINT64_C(1690040113879)},
    /* overflow: first char > '7' */
    {"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", 0, SE_PARSE, 0},
    {"80000000000000000000000000", 0, SE_PARSE, 0},
    {"ZZZZZZZZZZZZZZZZZZZZZZZZZZ", 0, SE_PARSE, 0},
    /* length */
    {"", 0, SE_PARSE, 0},
    {"0", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FA", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAVX", 0, SE_PARSE, 0},
    /* lower case and Crockford aliases are not canonical */
    {"01aryz6s41tsv4rrffq69g5fav", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAu", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAI", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAL", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAO", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4RRFFQ69G5FAU", 0, SE_PARSE, 0},
    /* punctuation, space, NUL inside, high bytes */
    {"01ARYZ6S41-SV4RRFFQ69G5FAV", 0, SE_PARSE, 0},
    {" 1ARYZ6S41TSV4RRFFQ69G5FAV", 0, SE_PARSE, 0},
    {"01ARYZ6S41TSV4\0RFFQ69G5FAV", 26, SE_PARSE, 0},
    {"01ARYZ6S41TSV4\xc3\xa9RFFQ69G5FA", 26, SE_PARSE, 0},
    {"01ARYZ6S41TSV4\xff\xfe"
     "FFQ69G5FAV",
     26, SE_PARSE, 0},
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct str in = {c->in, c->n ? c->n : strlen(c->in)};
		struct err_info ei = ERR_INFO_INIT;
		struct ulid u;
		char txt[ULID_LEN + 1];
		enum err rc = ulid_parse(in, &u, &ei);

		if (rc != c->want)
			fail_msg("case %zu '%s': got %s", i, c->in, err_type(rc));
		assert_int_equal(ulid_is_valid(in), c->want == SE_OK);
		if (rc != SE_OK) {
			assert_true(ei.detail[0] != '\0');
			continue;
		}
		assert_int_equal(ulid_time_ms(&u), c->ms);
		ulid_encode(&u, txt);
		assert_memory_equal(txt, c->in, ULID_LEN);
		assert_int_equal(txt[ULID_LEN], '\0');
	}
}

static void test_parse_null(void **state)
{
	struct ulid u;

	(void)state;
	assert_int_equal(ulid_parse(STR_NULL, &u, NULL), SE_PARSE);
}

static void test_from_parts(void **state)
{
	static const uint8_t ones[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0xff, 0xff, 0xff, 0xff, 0xff};
	struct ulid u;
	char txt[ULID_LEN + 1];

	(void)state;
	assert_int_equal(ulid_from_parts(ULID_TIME_MAX, ones, &u), SE_OK);
	ulid_encode(&u, txt);
	assert_string_equal(txt, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
	assert_int_equal(ulid_from_parts(ULID_TIME_MAX + 1, ones, &u), SE_INVAL);
}

static void test_monotonic_same_ms(void **state)
{
	struct ulid_gen g;
	struct ulid prev, cur;

	(void)state;
	ulid_gen_init(&g);
	assert_int_equal(ulid_generate_at(&g, 1000, &prev), SE_OK);
	for (int i = 0; i < 1000; i++) {
		/* same ms, then a clock that goes back */
		assert_int_equal(ulid_generate_at(&g, i < 500 ? 1000 : 900, &cur), SE_OK);
		assert_true(ulid_cmp(&prev, &cur) < 0);
		assert_int_equal(ulid_time_ms(&cur), 1000);
		prev = cur;
	}
	assert_int_equal(ulid_generate_at(&g, 1001, &cur), SE_OK);
	assert_int_equal(ulid_time_ms(&cur), 1001);
	assert_int_equal(ulid_generate_at(&g, ULID_TIME_MAX + 1, &cur), SE_INVAL);
	ulid_gen_release(&g);
}

static void test_random_overflow(void **state)
{
	struct ulid_gen g;
	struct ulid u;

	(void)state;
	ulid_gen_init(&g);
	assert_int_equal(ulid_generate_at(&g, 5, &u), SE_OK);
	/* force the last value to the top of the random space */
	memset(g.last.b + 6, 0xff, 10);
	assert_int_equal(ulid_generate_at(&g, 5, &u), SE_FULL);
	assert_int_equal(ulid_generate_at(&g, 6, &u), SE_OK);
	ulid_gen_release(&g);
}

static void test_text_order_matches_binary(void **state)
{
	struct ulid a, b;
	char ta[ULID_LEN + 1], tb[ULID_LEN + 1];

	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(ulid_generate(NULL, &a), SE_OK);
		assert_int_equal(ulid_generate(NULL, &b), SE_OK);
		ulid_encode(&a, ta);
		ulid_encode(&b, tb);
		assert_true(ulid_cmp(&a, &b) < 0);
		assert_true(strcmp(ta, tb) < 0);
	}
}

#define THREADS 4
#define PER_THREAD 2000

struct gen_arg {
	struct ulid_gen *g;
	struct ulid out[PER_THREAD];
};

static void *gen_thread(void *p)
{
	struct gen_arg *a = p;

	for (int i = 0; i < PER_THREAD; i++) {
		if (ulid_generate_at(a->g, 42, &a->out[i]) != SE_OK)
			memset(&a->out[i], 0, sizeof(a->out[i]));
	}
	return NULL;
}

static int cmp_ulid(const void *a, const void *b)
{
	return ulid_cmp(a, b);
}

static void test_threads_unique(void **state)
{
	static struct gen_arg args[THREADS];
	static struct ulid all[THREADS * PER_THREAD];
	struct ulid_gen g = ULID_GEN_INIT;
	pthread_t th[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		args[i].g = &g;
		assert_int_equal(pthread_create(&th[i], NULL, gen_thread, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		for (int j = 1; j < PER_THREAD; j++)
			assert_true(ulid_cmp(&args[i].out[j - 1], &args[i].out[j]) < 0);
		memcpy(&all[i * PER_THREAD], args[i].out, sizeof(args[i].out));
	}
	qsort(all, THREADS * PER_THREAD, sizeof(all[0]), cmp_ulid);
	for (int i = 1; i < THREADS * PER_THREAD; i++)
		assert_true(ulid_cmp(&all[i - 1], &all[i]) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_null),
	    cmocka_unit_test(test_from_parts),
	    cmocka_unit_test(test_monotonic_same_ms),
	    cmocka_unit_test(test_random_overflow),
	    cmocka_unit_test(test_text_order_matches_binary),
	    cmocka_unit_test(test_threads_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
