/*
 * tests/unit/core/test_crypto.c: tokens, comparison, base64url, VAPID key file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/crypto.h"

static void test_token(void **state)
{
	char a[65], b[65];
	int seen[256] = {0};

	(void)state;
	assert_int_equal(cry_init(), SE_OK);
	cry_token(a, 64);
	cry_token(b, 64);
	assert_int_equal(strlen(a), 64);
	assert_string_not_equal(a, b);
	for (int round = 0; round < 200; round++) {
		cry_token(a, 64);
		for (int i = 0; i < 64; i++) {
			unsigned char c = (unsigned char)a[i];

			assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			            (c >= '0' && c <= '9') || c == '_' || c == '-');
			seen[c]++;
		}
	}
	/* 12800 draws over 64 symbols: every symbol shows up */
	assert_true(seen['_'] > 0 && seen['-'] > 0 && seen['A'] > 0 && seen['9'] > 0);
}

static void test_eq(void **state)
{
	(void)state;
	assert_true(cry_eq(STR_LIT("abc"), STR_LIT("abc")));
	assert_false(cry_eq(STR_LIT("abc"), STR_LIT("abd")));
	assert_false(cry_eq(STR_LIT("abc"), STR_LIT("abcd")));
	assert_true(cry_eq(STR_NULL, STR_LIT("")));
}

static void test_base64url(void **state)
{
	static const struct {
		const char *in;
		int pad;
		const char *want;
	} cases[] = {
	    {"", 1, ""},        {"f", 1, "Zg=="}, {"fo", 1, "Zm8="},
	    {"foo", 1, "Zm9v"}, {"f", 0, "Zg"},   {"\xfb\xff", 1, "-_8="},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(100);

		cry_base64url(&b, cases[i].in, strlen(cases[i].in), cases[i].pad);
		assert_int_equal(buf_err(&b), SE_OK);
		assert_string_equal(buf_cstr(&b), cases[i].want);
		buf_release(&b);
	}
}

static void test_vapid(void **state)
{
	char dir[] = "/tmp/solstice-vapid-XXXXXX";
	char path[128], junk[128];
	struct buf a = BUF_INIT(256), b = BUF_INIT(256);
	struct err_info ei = ERR_INFO_INIT;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vapid.pem", dir);
	assert_int_equal(cry_vapid_load(path, &a, &ei), SE_OK);
	assert_int_equal(a.len, 88);
	assert_int_equal(buf_cstr(&a)[0], 'B'); /* 0x04 uncompressed point */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cry_vapid_load(path, &b, &ei), SE_OK);
	assert_string_equal(buf_cstr(&a), buf_cstr(&b));
	/* a file that is not a key */
	snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	buf_reset(&b);
	assert_int_equal(cry_vapid_load(junk, &b, &ei), SE_PARSE);
	assert_non_null(strstr(ei.detail, "junk.pem"));
	/* an unwritable location */
	assert_int_equal(cry_vapid_load("/proc/no/such/dir/vapid.pem", &b, &ei), SE_IO);
	unlink(path);
	unlink(junk);
	rmdir(dir);
	buf_release(&a);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_eq),
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_vapid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
