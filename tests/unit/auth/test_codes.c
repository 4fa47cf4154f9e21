/*
 * tests/unit/auth/test_codes.c: shapes and alphabets of recovery codes,
 * tokens and invite codes, and that every symbol shows up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "auth/codes.h"
#include "core/crypto.h"

static void check_alphabet(const long seen[256], const char *alphabet)
{
	for (int c = 1; c < 256; c++) {
		if (strchr(alphabet, c))
			assert_true(seen[c] > 0);
		else
			assert_int_equal(seen[c], 0);
	}
}

static void test_recovery(void **state)
{
	char codes[CODES_RECOVERY_COUNT][CODES_RECOVERY_SIZE];
	long seen[256] = {0};

	(void)state;
	assert_int_equal(cry_init(), SE_OK);
	for (int round = 0; round < 100; round++) {
		codes_recovery_new(codes);
		for (int i = 0; i < CODES_RECOVERY_COUNT; i++) {
			assert_int_equal(strlen(codes[i]), 11);
			assert_int_equal(codes[i][5], '-');
			for (int k = 0; k < 11; k++)
				if (k != 5)
					seen[(unsigned char)codes[i][k]]++;
			for (int j = 0; j < i; j++)
				assert_string_not_equal(codes[i], codes[j]);
		}
	}
	check_alphabet(seen, "1234567890abcdefghjkmnpqrstvwxyz");
}

static void test_token(void **state)
{
	char tok[CODES_TOKEN_LEN + 1], other[CODES_TOKEN_LEN + 1];
	long seen[256] = {0};

	(void)state;
	codes_token_new(other, CODES_TOKEN_LEN);
	for (int round = 0; round < 100; round++) {
		codes_token_new(tok, CODES_TOKEN_LEN);
		assert_int_equal(strlen(tok), CODES_TOKEN_LEN);
		assert_string_not_equal(tok, other);
		for (int k = 0; k < CODES_TOKEN_LEN; k++)
			seen[(unsigned char)tok[k]]++;
	}
	check_alphabet(seen, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	codes_token_new(tok, CODES_MAIL_TOKEN_LEN);
	assert_int_equal(strlen(tok), CODES_MAIL_TOKEN_LEN);
}

static void test_invite(void **state)
{
	char code[CODES_INVITE_LEN + 1];
	long seen[256] = {0};

	(void)state;
	for (int round = 0; round < 500; round++) {
		codes_invite_new(code);
		assert_int_equal(strlen(code), CODES_INVITE_LEN);
		for (int k = 0; k < CODES_INVITE_LEN; k++)
			seen[(unsigned char)code[k]]++;
	}
	check_alphabet(seen, "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz");
	/* no I L O U in either case */
	assert_int_equal(seen['I'] + seen['L'] + seen['O'] + seen['U'], 0);
	assert_int_equal(seen['i'] + seen['l'] + seen['o'] + seen['u'], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recovery),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_invite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
