/*
 * tests/unit/auth/test_username.c: Revolt's username rules, the homoglyph
 * approximation, discriminator exclusions and picking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/username.h"
#include "core/crypto.h"

static void test_validate(void **state)
{
	static const struct {
		const char *in;
		enum err want;
	} cases[] = {
	    {"ab", SE_OK},
	    {"insert", SE_OK},
	    {"Insert_Name.2-x", SE_OK},
	    {"___", SE_OK},
	    {"..", SE_OK},
	    {"12345678901234567890123456789012", SE_OK}, /* 32 */
	    {"Admin2", SE_OK},
	    {"revolt_", SE_OK},
	    {"\xe7\x8c\xab\xe5\xad\x90", SE_OK},         /* CJK */
	    {"\xed\x95\x9c\xea\xb8\x80", SE_OK},         /* hangul */
	    {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", SE_OK}, /* Hebrew */
	    {"\xe3\x81\x82\xe3\x82\xa2", SE_OK},         /* kana */
	    /* validator failures: FailedValidation */
	    {"", SE_INVAL},
	    {"a", SE_INVAL},
	    {"123456789012345678901234567890123", SE_INVAL}, /* 33 */
	    {"a b", SE_INVAL},
	    {"a\tb", SE_INVAL},
	    {"a@b", SE_INVAL},
	    {"a:b", SE_INVAL},
	    {"a/b", SE_INVAL},
	    {"a`b", SE_INVAL},
	    {"ab\n", SE_INVAL},
	    {"ab\xe2\x80\x8b", SE_INVAL},           /* zero-width space */
	    {"ab\xcc\x81", SE_INVAL},               /* combining acute: a mark, not \p{L} */
	    {"ab\xf0\x9f\x98\x80", SE_INVAL},       /* emoji */
	    {"ab\xff", SE_INVAL},                   /* invalid UTF-8 */
	    {"ab\xc3", SE_INVAL},                   /* truncated */
	    {"\xed\xa0\x80\xed\xb0\x80", SE_INVAL}, /* surrogates */
	    {"https://x", SE_INVAL},                /* ':' and '/' fail the regex first */
	    {"a```b", SE_INVAL},
	    /* validate_username: InvalidUsername */
	    {"admin", SE_InvalidUsername},
	    {"ADMIN", SE_InvalidUsername},
	    {"Revolt", SE_InvalidUsername},
	    {"join.discord.gg", SE_InvalidUsername},
	    {"DISCORD.GG", SE_InvalidUsername},
	    {"rvlt.gg", SE_InvalidUsername},
	    {"my_guilded.gg_x", SE_InvalidUsername},
	    /* homoglyphs */
	    {"\xd0\xb0"
	     "dmin",
	     SE_InvalidUsername},                  /* Cyrillic a */
	    {"p\xd0\xb0ypal", SE_InvalidUsername}, /* mixed Latin + Cyrillic */
	    {"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", SE_InvalidUsername},
	    {"\xce\xb1\xce\xb2", SE_InvalidUsername}, /* Greek */
	    {"caf\xc3\xa9", SE_InvalidUsername},      /* e acute */
	    {"stra\xc3\x9f"
	     "e",
	     SE_InvalidUsername},                                     /* sharp s */
	    {"\xef\xbd\x81\xef\xbd\x82", SE_InvalidUsername},         /* fullwidth */
	    {"\xf0\x9d\x90\x9a\xf0\x9d\x90\x9b", SE_InvalidUsername}, /* math bold */
	    {"ab\xd9\xa3", SE_InvalidUsername},                       /* Arabic-Indic digit three */
	    {"\xe2\x84\x8e"
	     "ello",
	     SE_InvalidUsername},               /* planck constant h */
	    {"ab\xca\xb0", SE_InvalidUsername}, /* modifier letter small h */
	    {"\xe1\xb4\x80"
	     "b",
	     SE_InvalidUsername}, /* small capital a */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum err rc = uname_validate(str_from(cases[i].in));

		if (rc != cases[i].want)
			fail_msg("case %zu '%s': got %d want %d", i, cases[i].in, rc,
			         cases[i].want);
	}
	/* NUL inside, NULL */
	assert_int_equal(uname_validate((struct str){"ab\0cd", 5}), SE_INVAL);
	assert_int_equal(uname_validate(STR_NULL), SE_INVAL);
}

static void test_length_code_points(void **state)
{
	/* 32 CJK characters are 96 bytes but 32 code points */
	char name[4 * 40];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 32; i++) {
		memcpy(name + n, "\xe7\x8c\xab", 3);
		n += 3;
	}
	assert_int_equal(uname_validate((struct str){name, n}), SE_OK);
	memcpy(name + n, "\xe7\x8c\xab", 3);
	assert_int_equal(uname_validate((struct str){name, n + 3}), SE_INVAL);
	/* two four-byte letters (CJK Extension B) */
	assert_int_equal(uname_validate(STR_LIT("\xf0\xa0\x80\x80\xf0\xa0\x80\x80")), SE_OK);
	/* one three-byte letter is one code point */
	assert_int_equal(uname_validate(STR_LIT("\xe7\x8c\xab")), SE_INVAL);
}

static void test_allowed(void **state)
{
	static const unsigned excluded[] = {0,    1,    123,  1234, 1111, 2222, 3333,  4444,
	                                    5555, 6666, 7777, 8888, 9999, 1488, 10000, 65535};
	static const unsigned ok[] = {2, 3, 12, 122, 124, 1000, 1233, 1235, 1487, 1489, 9998};
	unsigned count = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++)
		assert_false(uname_discriminator_allowed(excluded[i]));
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(uname_discriminator_allowed(ok[i]));
	for (unsigned d = 0; d < 20000; d++)
		count += uname_discriminator_allowed(d);
	/* Revolt's DISCRIMINATOR_SEARCH_SPACE: 2..9998 less 11 values */
	assert_int_equal(count, 9986);
}

struct taken_set {
	unsigned char used[10000];
	unsigned long calls;
};

static bool is_taken(void *arg, unsigned d)
{
	struct taken_set *t = arg;

	t->calls++;
	assert_true(uname_discriminator_allowed(d));
	return t->used[d] != 0;
}

static void test_pick(void **state)
{
	struct taken_set *t = calloc(1, sizeof(*t));
	char out[5] = "zzzz";

	(void)state;
	assert_non_null(t);
	assert_int_equal(cry_init(), SE_OK);
	/* empty: a random allowed value, four digits */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(uname_discriminator_pick(is_taken, t, out), SE_OK);
		assert_int_equal(strlen(out), 4);
		assert_true(uname_discriminator_allowed((unsigned)strtoul(out, NULL, 10)));
	}
	/* all taken but one: the sweep finds it */
	memset(t->used, 1, sizeof(t->used));
	t->used[42] = 0;
	for (int i = 0; i < 20; i++) {
		t->calls = 0;
		assert_int_equal(uname_discriminator_pick(is_taken, t, out), SE_OK);
		assert_string_equal(out, "0042");
		assert_true(t->calls <= UNAME_PICK_TRIES + 9986);
	}
	/* only an excluded value free: none */
	t->used[42] = 1;
	t->used[1234] = 0;
	t->calls = 0;
	memcpy(out, "zzzz", 5);
	assert_int_equal(uname_discriminator_pick(is_taken, t, out), SE_UsernameTaken);
	assert_string_equal(out, "zzzz");
	assert_true(t->calls <= UNAME_PICK_TRIES + 9986);
	/* half taken: picks are always free ones */
	for (unsigned d = 0; d < 10000; d++)
		t->used[d] = d % 2;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(uname_discriminator_pick(is_taken, t, out), SE_OK);
		assert_int_equal(strtoul(out, NULL, 10) % 2, 0);
	}
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_length_code_points),
	    cmocka_unit_test(test_allowed),
	    cmocka_unit_test(test_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
