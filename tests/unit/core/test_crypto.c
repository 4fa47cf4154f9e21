/*
 * tests/unit/core/test_crypto.c: tokens, comparison, base64url, VAPID key file,
 * 32-byte key files (cry_key_file_load),
 * argon2id, SHA-256, HMAC-SHA1 (RFC 2202) and random strings.
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

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/solstice-keyf-XXXXXX";
	char kdir[64], path[128], long_text[300];
	unsigned char a[32], b[32], zero[32] = {0};
	struct err_info ei = ERR_INFO_INIT;
	struct cry_key_src src = {"tkey", NULL, "files.encryption_key", kdir, "k.key"};
	struct stat st;
	bool differ = false;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(kdir, sizeof(kdir), "%s/keys", dir);
	snprintf(path, sizeof(path), "%s/k.key", kdir);
	/* the directory and the file are created, 0700 and 0600 */
	assert_int_equal(cry_key_file_load(&src, a, &ei), SE_OK);
	assert_int_equal(stat(kdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(st.st_size > 40 && st.st_size < 64);
	assert_memory_not_equal(a, zero, 32);
	/* the second load reads the same key back */
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_OK);
	assert_memory_equal(a, b, 32);
	/* a file readable by others still loads (with a warning) */
	assert_int_equal(chmod(path, 0644), 0);
	memset(b, 0, sizeof(b));
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_OK);
	assert_memory_equal(a, b, 32);
	/* an operator's file: standard base64 with spaces and CRLF */
	write_file(path, "  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n", 0600);
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_OK);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[i], i);
	/* hostile files: not base64, the wrong length, empty, too long */
	write_file(path, "not base64 at all!\n", 0600);
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_CONFIG);
	assert_non_null(strstr(ei.detail, "tkey: "));
	assert_non_null(strstr(ei.detail, "k.key"));
	write_file(path, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", 0600); /* 31 bytes */
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_CONFIG);
	write_file(path, "", 0600);
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_CONFIG);
	memset(long_text, 'A', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	write_file(path, long_text, 0600);
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_CONFIG);
	assert_non_null(strstr(ei.detail, "cannot read a key"));
	/* the configured key wins over the file and is not written anywhere */
	unlink(path);
	src.b64 = " AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n";
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_OK);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b[i], i);
	assert_int_not_equal(stat(path, &st), 0);
	src.b64 = "c2hvcnQ=";
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_CONFIG);
	assert_non_null(strstr(ei.detail, "files.encryption_key"));
	/* an empty setting means the file: a fresh key, unlike the last one */
	src.b64 = "";
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_OK);
	for (int i = 0; i < 32; i++)
		differ = differ || b[i] != a[i];
	assert_true(differ);
	/* a directory that cannot be made */
	src.dir = "/proc/no/such/dir";
	assert_int_equal(cry_key_file_load(&src, b, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, "/proc/no/such/dir"));
	unlink(path);
	rmdir(kdir);
	rmdir(dir);
}

static void test_pwhash(void **state)
{
	char h[CRY_PWHASH_MAX], h2[CRY_PWHASH_MAX], bad[CRY_PWHASH_MAX];
	/* authifier's rust-argon2 default (argon2i, m=4096, t=3, p=1) */
	static const char legacy[] = "$argon2i$v=19$m=4096,t=3,p=1$3WayPrjBKZg+RUlC7G3hRg$"
	                             "/NbKr3QHG4BPqI8quG2eesxzrV2qw0sHJjJ9gfWFVKI";
	char unterminated[CRY_PWHASH_MAX];

	(void)state;
	assert_int_equal(cry_init(), SE_OK);
	assert_int_equal(cry_pwhash(STR_LIT("correct horse"), 2, 8192, h), SE_OK);
	assert_non_null(strstr(h, "$argon2id$v=19$m=8192,t=2,p=1$"));
	assert_true(cry_pwhash_verify(h, STR_LIT("correct horse")));
	assert_false(cry_pwhash_verify(h, STR_LIT("correct horsE")));
	assert_false(cry_pwhash_verify(h, STR_LIT("")));
	/* a fresh salt each time */
	assert_int_equal(cry_pwhash(STR_LIT("correct horse"), 2, 8192, h2), SE_OK);
	assert_string_not_equal(h, h2);
	/* empty password hashes and verifies */
	assert_int_equal(cry_pwhash(STR_NULL, 1, 8, h2), SE_OK);
	assert_true(cry_pwhash_verify(h2, STR_LIT("")));
	assert_false(cry_pwhash_verify(h2, STR_LIT("x")));
	/* embedded NUL is part of the password */
	assert_int_equal(cry_pwhash((struct str){"a\0b", 3}, 1, 8, h2), SE_OK);
	assert_true(cry_pwhash_verify(h2, (struct str){"a\0b", 3}));
	assert_false(cry_pwhash_verify(h2, STR_LIT("a")));
	/* out-of-range costs */
	assert_int_equal(cry_pwhash(STR_LIT("x"), 0, 8192, h2), SE_INVAL);
	assert_int_equal(cry_pwhash(STR_LIT("x"), 1, 7, h2), SE_INVAL);
	assert_int_equal(cry_pwhash(STR_LIT("x"), 1, (size_t)-1, h2), SE_INVAL);
	/* hashes migrated from authifier */
	assert_true(cry_pwhash_verify(legacy, STR_LIT("hunter2hunter2")));
	assert_false(cry_pwhash_verify(legacy, STR_LIT("hunter2hunter3")));
	/* malformed hashes */
	assert_false(cry_pwhash_verify(NULL, STR_LIT("x")));
	assert_false(cry_pwhash_verify("", STR_LIT("")));
	assert_false(cry_pwhash_verify("$argon2id$", STR_LIT("")));
	assert_false(cry_pwhash_verify("plaintext", STR_LIT("plaintext")));
	memcpy(bad, h, sizeof(bad));
	bad[strlen(bad) - 3] ^= 1;
	assert_false(cry_pwhash_verify(bad, STR_LIT("correct horse")));
	memset(unterminated, 'a', sizeof(unterminated));
	assert_false(cry_pwhash_verify(unterminated, STR_LIT("x")));
}

static void test_sha256(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    /* FIPS 180-2 examples */
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	unsigned char md[32];
	char txt[65];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cry_sha256(cases[i].in, strlen(cases[i].in), md);
		hex(md, sizeof(md), txt);
		assert_string_equal(txt, cases[i].want);
	}
}

static void test_hmac_sha1(void **state)
{
	/* RFC 2202 section 3, test cases 1 to 7 */
	unsigned char k3[20], k4[25], k5[20], k6[80], d3[50], d4[50];
	static const char want[7][41] = {
	    "b617318655057264e28bc0b6fb378c8ef146be00", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
	    "125d7342b9ac11cd91a39af48aa17b4f63f175d3", "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
	    "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", "aa4ae5e15272d00e95705637ce8a3b55ed402112",
	    "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
	};
	struct {
		const void *key;
		size_t klen;
		const void *msg;
		size_t mlen;
	} cases[7];
	unsigned char md[20];
	char txt[41];
	static const char m6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char m7[] =
	    "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

	(void)state;
	memset(k3, 0xaa, sizeof(k3));
	memset(d3, 0xdd, sizeof(d3));
	for (int i = 0; i < 25; i++)
		k4[i] = (unsigned char)(i + 1);
	memset(d4, 0xcd, sizeof(d4));
	memset(k5, 0x0c, sizeof(k5));
	memset(k6, 0xaa, sizeof(k6));
	cases[0].key =
	    "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b";
	cases[0].klen = 20;
	cases[0].msg = "Hi There";
	cases[0].mlen = 8;
	cases[1].key = "Jefe";
	cases[1].klen = 4;
	cases[1].msg = "what do ya want for nothing?";
	cases[1].mlen = 28;
	cases[2].key = k3;
	cases[2].klen = sizeof(k3);
	cases[2].msg = d3;
	cases[2].mlen = sizeof(d3);
	cases[3].key = k4;
	cases[3].klen = sizeof(k4);
	cases[3].msg = d4;
	cases[3].mlen = sizeof(d4);
	cases[4].key = k5;
	cases[4].klen = sizeof(k5);
	cases[4].msg = "Test With Truncation";
	cases[4].mlen = 20;
	cases[5].key = k6;
	cases[5].klen = sizeof(k6);
	cases[5].msg = m6;
	cases[5].mlen = sizeof(m6) - 1;
	cases[6].key = k6;
	cases[6].klen = sizeof(k6);
	cases[6].msg = m7;
	cases[6].mlen = sizeof(m7) - 1;
	for (int i = 0; i < 7; i++) {
		cry_hmac_sha1(cases[i].key, cases[i].klen, cases[i].msg, cases[i].mlen, md);
		hex(md, sizeof(md), txt);
		assert_string_equal(txt, want[i]);
	}
	/* empty key and message are allowed */
	cry_hmac_sha1(NULL, 0, NULL, 0, md);
	hex(md, sizeof(md), txt);
	assert_string_equal(txt, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

static void test_random_string(void **state)
{
	/* 10 symbols: 4 bits kept, 6 of 16 values rejected */
	static const char digits[] = "0123456789";
	enum { N = 100000 };
	static char out[N + 1];
	long count[256] = {0};
	char one[9];

	(void)state;
	cry_random_string(out, N, digits);
	assert_int_equal(strlen(out), N);
	for (size_t i = 0; i < N; i++)
		count[(unsigned char)out[i]]++;
	for (int c = 0; c < 256; c++) {
		if (c >= '0' && c <= '9') {
			/* expected 10000, sd ~95: 6 sd either side */
			assert_true(count[c] > 9430 && count[c] < 10570);
		} else {
			assert_int_equal(count[c], 0);
		}
	}
	/* a one-symbol alphabet and a zero-length string */
	cry_random_string(one, 8, "x");
	assert_string_equal(one, "xxxxxxxx");
	one[0] = 'q';
	cry_random_string(one, 0, digits);
	assert_string_equal(one, "");
}

static void test_random_below(void **state)
{
	long count[3] = {0};

	(void)state;
	assert_int_equal(cry_random_below(0), 0);
	assert_int_equal(cry_random_below(1), 0);
	for (int i = 0; i < 30000; i++) {
		uint32_t v = cry_random_below(3);

		assert_true(v < 3);
		count[v]++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(count[i] > 9500 && count[i] < 10500);
	for (int i = 0; i < 1000; i++)
		assert_true(cry_random_below(UINT32_MAX) < UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token),         cmocka_unit_test(test_eq),
	    cmocka_unit_test(test_base64url),     cmocka_unit_test(test_vapid),
	    cmocka_unit_test(test_key_file),      cmocka_unit_test(test_pwhash),
	    cmocka_unit_test(test_sha256),        cmocka_unit_test(test_hmac_sha1),
	    cmocka_unit_test(test_random_string), cmocka_unit_test(test_random_below),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
