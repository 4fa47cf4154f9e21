/*
 * tests/unit/auth/test_totp.c: base32, RFC 4226 Appendix D HOTP values,
 * RFC 6238 Appendix B SHA-1 TOTP values, the +-1 step window, hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/totp.h"
#include "core/crypto.h"

/* "12345678901234567890", the RFC 4226/6238 SHA-1 key */
#define RFC_KEY "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void test_b32_vectors(void **state)
{
	/* RFC 4648 section 10, padding removed */
	static const struct {
		const char *raw, *b32;
	} cases[] = {
	    {"", ""},
	    {"f", "MY"},
	    {"fo", "MZXQ"},
	    {"foo", "MZXW6"},
	    {"foob", "MZXW6YQ"},
	    {"fooba", "MZXW6YTB"},
	    {"foobar", "MZXW6YTBOI"},
	    {"12345678901234567890", RFC_KEY},
	};
	char enc[64];
	unsigned char dec[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		totp_b32_encode(cases[i].raw, strlen(cases[i].raw), enc);
		assert_string_equal(enc, cases[i].b32);
		assert_int_equal(strlen(enc), TOTP_B32_LEN(strlen(cases[i].raw)));
		assert_int_equal(totp_b32_decode(str_from(cases[i].b32), dec, sizeof(dec), &n),
		                 SE_OK);
		assert_int_equal(n, strlen(cases[i].raw));
		assert_memory_equal(dec, cases[i].raw, n);
	}
	/* lower case and spaces, as authenticator apps show secrets */
	assert_int_equal(totp_b32_decode(STR_LIT("mzxw 6ytb oi"), dec, sizeof(dec), &n), SE_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(dec, "foobar", 6);
}

static void test_b32_hostile(void **state)
{
	static const char *bad[] = {
	    "MZXW6YTBOI======", /* padding is not accepted */
	    "MZXW1",            /* 1 is not base32 */
	    "MZXW8",
	    "MZ-XW",
	    "MZ\tXW",
	    "MZXW\xc3\xa9",
	    "M",
	    "MZX",
	    "MZXW6Y", /* 1, 3 and 6 symbols cannot end a valid encoding */
	};
	unsigned char dec[TOTP_SECRET_MAX], small[4];
	char big[TOTP_B32_IN_MAX + 2];
	size_t n = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(totp_b32_decode(str_from(bad[i]), dec, sizeof(dec), &n), SE_PARSE);
		assert_int_equal(n, 12345);
	}
	assert_int_equal(totp_b32_decode((struct str){"MZ\0XW", 5}, dec, sizeof(dec), &n),
	                 SE_PARSE);
	/* output bound */
	assert_int_equal(totp_b32_decode(STR_LIT("MZXW6YTBOI"), small, sizeof(small), &n),
	                 SE_TOO_LARGE);
	/* input bound */
	memset(big, 'A', sizeof(big));
	assert_int_equal(totp_b32_decode((struct str){big, TOTP_B32_IN_MAX}, dec, sizeof(dec), &n),
	                 SE_OK);
	assert_int_equal(n, TOTP_SECRET_MAX);
	assert_int_equal(
	    totp_b32_decode((struct str){big, TOTP_B32_IN_MAX + 1}, dec, sizeof(dec), &n),
	    SE_TOO_LARGE);
	/* only spaces: empty */
	assert_int_equal(totp_b32_decode(STR_LIT("   "), dec, sizeof(dec), &n), SE_OK);
	assert_int_equal(n, 0);
}

static void test_hotp_rfc4226(void **state)
{
	static const char *want[10] = {"755224", "287082", "359152", "969429", "338314",
	                               "254676", "287922", "162583", "399871", "520489"};
	char out[9];

	(void)state;
	for (uint64_t c = 0; c < 10; c++) {
		assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), c, 6, out), SE_OK);
		assert_string_equal(out, want[c]);
	}
}

static void test_totp_rfc6238(void **state)
{
	static const struct {
		int64_t t;
		const char *code;
	} cases[] = {
	    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
	    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	};
	char out[9];
	int64_t step = -7;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), (uint64_t)(cases[i].t / 30), 8, out),
		                 SE_OK);
		assert_string_equal(out, cases[i].code);
		/* the six-digit code is the last six digits */
		assert_true(totp_check(STR_LIT(RFC_KEY), (struct str){cases[i].code + 2, 6},
		                       cases[i].t, &step));
		assert_int_equal(step, cases[i].t / 30);
	}
	/* 7 digits works too, 5 and 9 do not */
	assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), 1, 7, out), SE_OK);
	assert_string_equal(out, "4287082");
	assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), 1, 5, out), SE_INVAL);
	assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), 1, 9, out), SE_INVAL);
	assert_int_equal(totp_hotp(STR_LIT(""), 1, 6, out), SE_PARSE);
	assert_int_equal(totp_hotp(STR_LIT("!!"), 1, 6, out), SE_PARSE);
}

static void test_totp_window(void **state)
{
	/* step 1 code is 287082 (RFC 4226 counter 1) */
	static const struct {
		int64_t now;
		bool ok;
		int64_t step;
	} cases[] = {
	    {0, true, 1}, /* next step, from step 0 */
	    {29, true, 1}, {30, true, 1},  {59, true, 1},       {60, true, 1}, /* previous step */
	    {89, true, 1}, {90, false, 0}, {1000000, false, 0},
	};
	int64_t step;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		step = -7;
		assert_int_equal(
		    totp_check(STR_LIT(RFC_KEY), STR_LIT("287082"), cases[i].now, &step),
		    cases[i].ok);
		assert_int_equal(step, cases[i].ok ? cases[i].step : -7);
	}
	/* step 0 code (755224) at t = 0: the current step, no step -1 */
	assert_true(totp_check(STR_LIT(RFC_KEY), STR_LIT("755224"), 0, &step));
	assert_int_equal(step, 0);
	assert_true(totp_check(STR_LIT(RFC_KEY), STR_LIT("755224"), 0, NULL));
}

static void test_totp_hostile(void **state)
{
	static const char *codes[] = {
	    "",       "28708",  "2870820", " 287082", "287082 ",
	    "28708a", "+87082", "-87082",  "287O82",  "２87082",
	};
	char secret[TOTP_SECRET_B32 + 1];
	char code[9];
	int64_t step = -7;

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_false(totp_check(STR_LIT(RFC_KEY), str_from(codes[i]), 59, &step));
	assert_false(totp_check(STR_LIT(RFC_KEY), (struct str){"28\0082", 6}, 59, &step));
	assert_false(totp_check(STR_LIT(RFC_KEY), STR_LIT("287082"), -1, &step));
	assert_false(totp_check(STR_LIT(RFC_KEY), STR_LIT("287082"), INT64_MIN, &step));
	assert_false(totp_check(STR_LIT(""), STR_LIT("287082"), 59, &step));
	assert_false(totp_check(STR_LIT("GEZ="), STR_LIT("287082"), 59, &step));
	assert_false(totp_check(STR_NULL, STR_NULL, 59, &step));
	assert_int_equal(step, -7);
	/* far future does not overflow */
	assert_int_equal(totp_hotp(STR_LIT(RFC_KEY), (uint64_t)(INT64_MAX / 30), 6, code), SE_OK);
	assert_true(totp_check(STR_LIT(RFC_KEY), str_from(code), INT64_MAX, &step));
	assert_int_equal(step, INT64_MAX / 30);
	/* a fresh secret works with itself */
	assert_int_equal(cry_init(), SE_OK);
	totp_secret_new(secret);
	assert_int_equal(strlen(secret), TOTP_SECRET_B32);
	assert_int_equal(totp_hotp(str_from(secret), 1000, 6, code), SE_OK);
	assert_true(totp_check(str_from(secret), str_from(code), 30000, &step));
	assert_int_equal(step, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b32_vectors),  cmocka_unit_test(test_b32_hostile),
	    cmocka_unit_test(test_hotp_rfc4226), cmocka_unit_test(test_totp_rfc6238),
	    cmocka_unit_test(test_totp_window),  cmocka_unit_test(test_totp_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
