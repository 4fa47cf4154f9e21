/*
 * tests/unit/auth/test_password.c: length rule, built-in list, list files
 * (CRLF, duplicates, short lines, missing file, huge line, NUL, size), OOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/password.h"
#include "core/mem.h"

static char dir[] = "/tmp/solstice-pw-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t n)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	return path;
}

static void test_builtin(void **state)
{
	static const struct {
		const char *pw;
		enum err want;
	} cases[] = {
	    {"", SE_ShortPassword},
	    {"1234567", SE_ShortPassword},
	    {"passwor", SE_ShortPassword},
	    {"password", SE_CompromisedPassword},
	    {"12345678", SE_CompromisedPassword},
	    {"qwertyuiop", SE_CompromisedPassword},
	    {"iloveyou", SE_CompromisedPassword},
	    {"administrator", SE_CompromisedPassword},
	    {"qwerty1234", SE_CompromisedPassword}, /* the last line */
	    /* exact, case-sensitive match as authifier's HashSet */
	    {"Password", SE_OK},
	    {"PASSWORD", SE_OK},
	    {"password ", SE_OK},
	    {" password", SE_OK},
	    {"password1234", SE_OK},
	    {"correct horse battery staple", SE_OK},
	    /* bytes, not characters: 4 two-byte letters are 8 bytes */
	    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", SE_OK},
	    {"\xc3\xa9\xc3\xa9\xc3\xa9", SE_ShortPassword},
	};
	struct pw_policy *p = NULL;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(pw_policy_new(8, "", &p, &ei), SE_OK);
	assert_true(pw_policy_count(p) >= 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(pw_check(p, str_from(cases[i].pw)), cases[i].want);
	/* a NUL inside does not truncate the comparison */
	assert_int_equal(pw_check(p, (struct str){"password\0", 9}), SE_OK);
	assert_int_equal(pw_check(p, (struct str){"pass\0word", 9}), SE_OK);
	pw_policy_free(p);
	/* NULL also selects the built-in list; a higher minimum */
	assert_int_equal(pw_policy_new(10, NULL, &p, &ei), SE_OK);
	assert_int_equal(pw_check(p, STR_LIT("password1")), SE_ShortPassword);
	assert_int_equal(pw_check(p, STR_LIT("qwertyuiop")), SE_CompromisedPassword);
	pw_policy_free(p);
	/* min 0: the empty password passes the length rule and is in no list */
	assert_int_equal(pw_policy_new(0, "", &p, &ei), SE_OK);
	assert_int_equal(pw_check(p, STR_NULL), SE_OK);
	pw_policy_free(p);
	pw_policy_free(NULL);
}

static void test_file(void **state)
{
	static const char data[] = "hunter22\r\nsecret-sauce\n\nhunter22\nshort\r\n"
	                           "with space here\nlast-line-no-newline";
	struct pw_policy *p = NULL;
	struct err_info ei = ERR_INFO_INIT;
	const char *path = write_file("list.txt", data, sizeof(data) - 1);

	(void)state;
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_OK);
	/* duplicates count once, short lines and empty lines are skipped */
	assert_int_equal(pw_policy_count(p), 4);
	assert_int_equal(pw_check(p, STR_LIT("hunter22")), SE_CompromisedPassword);
	assert_int_equal(pw_check(p, STR_LIT("hunter22\r")), SE_OK);
	assert_int_equal(pw_check(p, STR_LIT("secret-sauce")), SE_CompromisedPassword);
	assert_int_equal(pw_check(p, STR_LIT("with space here")), SE_CompromisedPassword);
	assert_int_equal(pw_check(p, STR_LIT("last-line-no-newline")), SE_CompromisedPassword);
	assert_int_equal(pw_check(p, STR_LIT("short")), SE_ShortPassword);
	/* the file replaces the built-in list */
	assert_int_equal(pw_check(p, STR_LIT("password")), SE_OK);
	pw_policy_free(p);
	/* an empty file: nothing is compromised */
	path = write_file("empty.txt", "", 0);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_OK);
	assert_int_equal(pw_policy_count(p), 0);
	assert_int_equal(pw_check(p, STR_LIT("password")), SE_OK);
	pw_policy_free(p);
}

static void test_file_errors(void **state)
{
	static char line[PW_LINE_MAX + 8];
	struct pw_policy *p = (struct pw_policy *)0x1;
	struct err_info ei = ERR_INFO_INIT;
	const char *path;
	char missing[300];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-file.txt", dir);
	assert_int_equal(pw_policy_new(8, missing, &p, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "no-such-file.txt"));
	assert_ptr_equal(p, (struct pw_policy *)0x1);
	/* a directory */
	assert_int_equal(pw_policy_new(8, dir, &p, &ei), SE_IO);
	/* a line of exactly PW_LINE_MAX bytes, with CRLF, is fine */
	memset(line, 'x', sizeof(line));
	line[PW_LINE_MAX] = '\r';
	line[PW_LINE_MAX + 1] = '\n';
	path = write_file("max.txt", line, PW_LINE_MAX + 2);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_OK);
	assert_int_equal(pw_check(p, (struct str){line, PW_LINE_MAX}), SE_CompromisedPassword);
	pw_policy_free(p);
	p = (struct pw_policy *)0x1;
	/* one byte more is not */
	memset(line, 'x', sizeof(line));
	line[PW_LINE_MAX + 1] = '\n';
	path = write_file("huge-line.txt", line, PW_LINE_MAX + 2);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "huge-line.txt"));
	assert_non_null(strstr(ei.detail, "line 1"));
	/* ... nor as the unterminated last line */
	path = write_file("huge-last.txt", line, PW_LINE_MAX + 1);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_IO);
	/* a NUL byte */
	path = write_file("nul.txt", "password\0abc\n", 13);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "nul.txt"));
	/* larger than PW_FILE_MAX: a sparse file */
	path = write_file("big.txt", "x", 1);
	assert_int_equal(truncate(path, (off_t)PW_FILE_MAX + 1), 0);
	assert_int_equal(pw_policy_new(8, path, &p, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "larger"));
	assert_ptr_equal(p, (struct pw_policy *)0x1);
}

static void test_oom(void **state)
{
	static const char data[] = "hunter22\nsecret-sauce\n";
	const char *path = write_file("oom.txt", data, sizeof(data) - 1);
	struct err_info ei = ERR_INFO_INIT;
	enum err rc = SE_NOMEM;

	(void)state;
	for (unsigned long n = 1; rc == SE_NOMEM && n < 100; n++) {
		struct pw_policy *p = NULL;

		mem_fail_at(n, 0);
		rc = pw_policy_new(8, path, &p, &ei);
		mem_fail_at(0, 0);
		if (rc == SE_OK) {
			assert_int_equal(pw_check(p, STR_LIT("hunter22")), SE_CompromisedPassword);
			pw_policy_free(p);
		} else {
			assert_int_equal(rc, SE_NOMEM);
			assert_null(p);
		}
	}
	assert_int_equal(rc, SE_OK);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *names[] = {"list.txt",      "empty.txt", "max.txt", "huge-line.txt",
	                              "huge-last.txt", "nul.txt",   "big.txt", "oom.txt"};
	char path[300];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
