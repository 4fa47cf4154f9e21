/*
 * tests/unit/auth/test_email.c: validation (the validator crate's own table
 * plus hostile input) and authifier's normalisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "auth/email.h"
#include "core/buf.h"

static void test_validate(void **state)
{
	static const struct {
		const char *in;
		bool ok;
	} cases[] = {
	    /* the validator crate's table */
	    {"email@here.com", true},
	    {"weirder-email@here.and.there.com", true},
	    {"!def!xyz%abc@example.com", true},
	    {"email@[127.0.0.1]", true},
	    {"email@[2001:dB8::1]", true},
	    {"email@[2001:dB8:0:0:0:0:0:1]", true},
	    {"email@[::fffF:127.0.0.1]", true},
	    {"example@valid-----hyphens.com", true},
	    {"example@valid-with-hyphens.com", true},
	    {"test@domain.with.idn.tld.\xe0\xa4\x89\xe0\xa4\xa6\xe0\xa4\xbe\xe0\xa4\xb9\xe0\xa4\xb0"
	     "\xe0\xa4\xa3.\xe0\xa4\xaa\xe0\xa4\xb0\xe0\xa5\x80\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7"
	     "\xe0\xa4\xbe",
	     true},
	    {"\"test@test\"@example.com", false},
	    {"a@atm.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
	    {"a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.atm", true},
	    {"a@atm.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	    {"", false},
	    {"abc", false},
	    {"abc@", false},
	    {"abc@bar", false},
	    {"a @x.cz", false},
	    {"abc@.com", false},
	    {"something@@somewhere.com", false},
	    {"email@127.0.0.1", true},
	    {"email@[127.0.0.256]", false},
	    {"email@[2001:db8::12345]", false},
	    {"email@[2001:db8:0:0:0:0:1]", false},
	    {"email@[::ffff:127.0.0.256]", false},
	    {"example@invalid-.com", false},
	    {"example@-invalid.com", false},
	    {"example@invalid.com-", false},
	    {"example@inv-.alid-.com", false},
	    {"example@inv-.-alid.com", false},
	    {"test@example.com\n\n<script src=\"x.js\">", false},
	    {"trailingdot@shouldfail.com.", false},
	    {"a@b.com\n", false},
	    {"a\n@b.com", false},
	    {"a@[127.0.0.1]\n", false},
	    {"John.Doe@exam_ple.com", false},
	    /* ours */
	    {"John.Doe+tag@Example.COM", true},
	    {"a@b.co", true},
	    {"@example.com", false},
	    {"a@", false},
	    {"@", false},
	    {"a@@b.com", false},
	    {"a@b..com", false},
	    {".@b.com", true}, /* the HTML5 rule allows dots anywhere */
	    {"a\t@b.com", false},
	    {"a@b.com ", false},
	    {" a@b.com", false},
	    {"a@b .com", false},
	    {"a@b\r.com", false},
	    {"a\x7f@b.com", false},
	    {"\xc3\xa9@b.com", false},        /* non-ASCII local part */
	    {"a@\xc3\xa9t\xc3\xa9.fr", true}, /* IDN */
	    {"a@\xe2\x80\x8b.com", false},    /* zero-width space */
	    {"a@\xe2\x98\x83.com", false},    /* snowman: a symbol */
	    {"a@\xcc\x81x.com", false},       /* starts with a combining mark */
	    {"a@\xc3.com", false},            /* truncated UTF-8 */
	    {"a@\xed\xa0\x80.com", false},    /* surrogate */
	    {"a@\xef\xbf\xbd.com", false},    /* U+FFFD */
	    {"a@[]", false},
	    {"a@[1.2.3.4", false},
	    {"a@x[1.2.3.4]", false},
	    {"a@[01.2.3.4]", false},
	    {"a@[1.2.3.4.5]", false},
	    {"a@[::1]", true},
	    {"a@[g::1]", false},
	    {"a@[IPv6:::1]", false},
	    {"a@b.c-d.e", true},
	    {"a@1.2", true},
	};
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum err rc;

		ei.with = NULL;
		rc = email_validate(str_from(cases[i].in), &ei);
		if (cases[i].ok != (rc == SE_OK))
			fail_msg("case %zu '%s': got %d", i, cases[i].in, rc);
		if (rc) {
			assert_int_equal(rc, SE_IncorrectData);
			assert_string_equal(ei.with, "email");
		}
	}
	/* NUL inside, NULL ei */
	assert_int_equal(email_validate((struct str){"a\0b@c.com", 9}, NULL), SE_IncorrectData);
	assert_int_equal(email_validate((struct str){"a@c.com\0", 8}, NULL), SE_IncorrectData);
	assert_int_equal(email_validate(STR_NULL, NULL), SE_IncorrectData);
}

static void test_validate_lengths(void **state)
{
	char e[600];
	size_t n;

	(void)state;
	/* local part: 64 is the maximum */
	memset(e, 'a', 64);
	memcpy(e + 64, "@b.com", 7);
	assert_int_equal(email_validate(str_from(e), NULL), SE_OK);
	memset(e, 'a', 65);
	memcpy(e + 65, "@b.com", 7);
	assert_int_equal(email_validate(str_from(e), NULL), SE_IncorrectData);
	/* total: 254 bytes is the maximum */
	memcpy(e, "a@", 2);
	n = 2;
	while (n < 254 - 4) {
		memset(e + n, 'b', 49);
		e[n + 49] = '.';
		n += 50;
	}
	n--; /* drop the last dot */
	memset(e + n, '\0', 1);
	assert_int_equal(strlen(e), 251);
	memcpy(e + n, ".com", 5);
	assert_int_equal(strlen(e), 255);
	assert_int_equal(email_validate(str_from(e), NULL), SE_IncorrectData);
	memcpy(e + n, ".co", 4);
	assert_int_equal(email_validate(str_from(e), NULL), SE_OK);
	/* huge input */
	memset(e, 'a', sizeof(e));
	e[10] = '@';
	e[sizeof(e) - 1] = '\0';
	assert_int_equal(email_validate(str_from(e), NULL), SE_IncorrectData);
}

static void test_normalise(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"john@example.com", "john@example.com"},
	    {"John.Doe@Example.COM", "johndoe@example.com"},
	    {"john.doe+news@example.com", "johndoe@example.com"},
	    {"j.o.h.n+a+b.c@example.com", "john@example.com"},
	    {"john+@example.com", "john+@example.com"}, /* '+' needs a character after it */
	    {"john.+@example.com", "john+@example.com"},
	    {"john++@example.com", "john@example.com"},
	    {"+tag@example.com", "@example.com"},
	    {"...@example.com", "@example.com"},
	    {"a@Sub.Example.COM", "a@sub.example.com"},           /* dots in the domain stay */
	    {"a+b@c+d.com", "a@c+d.com"},                         /* '+' in the domain stays */
	    {"A@\xc3\x89T\xc3\x89.FR", "a@\xc3\xa9t\xc3\xa9.fr"}, /* Unicode lower case */
	    {"a@\xce\x9f\xce\xa3", "a@\xce\xbf\xcf\x82"},         /* final sigma: ΟΣ → ος */
	    {"a@\xc4\xb0x", "a@i\xcc\x87x"},                      /* U+0130 → i + U+0307 */
	    /* authifier's regex on input that never validates */
	    {"a@b@c", "a@b@c"},
	    {"@a@b", "a@b"},
	    {"a@\nx@y", "\nx@y"}, /* [^@] matches a newline */
	    {"a@b\nc", "a@b"},
	    {"a+\n@b", "a+\n@b"},
	    {"a+x\ny@b", "a\ny@b"},
	};
	static const char *bad[] = {"", "abc", "@", "a@", "@@", "a@\n", "\xff@b.com"};
	struct buf b = BUF_INIT(2048);
	char big[EMAIL_NORMALISE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(email_normalise(str_from(cases[i].in), &b), SE_OK);
		if (strcmp(buf_cstr(&b), cases[i].want) != 0)
			fail_msg("case %zu '%s': got '%s'", i, cases[i].in, buf_cstr(&b));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		assert_int_equal(email_normalise(str_from(bad[i]), &b), SE_INVAL);
	}
	/* appends */
	buf_reset(&b);
	buf_puts(&b, "key:");
	assert_int_equal(email_normalise(STR_LIT("A.B@C.D"), &b), SE_OK);
	assert_string_equal(buf_cstr(&b), "key:ab@c.d");
	/* bounds: the input limit and the buf's own maximum */
	memset(big, 'a', sizeof(big));
	big[5] = '@';
	buf_reset(&b);
	assert_int_equal(email_normalise((struct str){big, sizeof(big)}, &b), SE_TOO_LARGE);
	assert_int_equal(email_normalise((struct str){big, sizeof(big) - 1}, &b), SE_OK);
	buf_release(&b);
	{
		struct buf small = BUF_INIT(8);

		assert_int_equal(email_normalise(STR_LIT("abcdef@example.com"), &small),
		                 SE_TOO_LARGE);
		buf_release(&small);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_validate_lengths),
	    cmocka_unit_test(test_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
