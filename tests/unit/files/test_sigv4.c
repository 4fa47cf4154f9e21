/*
 * tests/unit/files/test_sigv4.c: AWS SigV4 against AWS's published vectors:
 * the S3 header-signing examples (GET object with Range, PUT object, GET
 * bucket lifecycle, list objects) and the aws-sig-v4-test-suite cases
 * get-vanilla, get-vanilla-query-order-key-case and post-vanilla.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "files/sigv4.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_DATE "20130524T000000Z"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"

static const struct sigv4_kv h_get_obj[] = {{"Host", S3_HOST},
                                            {"Range", "bytes=0-9"},
                                            {"x-amz-content-sha256", EMPTY_SHA},
                                            {"x-amz-date", S3_DATE}};
static const struct sigv4_kv h_put_obj[] = {
    {"Host", S3_HOST},
    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
    {"x-amz-date", S3_DATE},
    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
    {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}};
static const struct sigv4_kv h_s3_plain[] = {
    {"host", S3_HOST}, {"x-amz-content-sha256", EMPTY_SHA}, {"x-amz-date", S3_DATE}};
static const struct sigv4_kv q_lifecycle[] = {{"lifecycle", ""}};
static const struct sigv4_kv q_list[] = {{"prefix", "J"}, {"max-keys", "2"}};
static const struct sigv4_kv h_suite[] = {{"Host", "example.amazonaws.com"},
                                          {"X-Amz-Date", SUITE_DATE}};
static const struct sigv4_kv q_order[] = {{"Param2", "value2"}, {"Param1", "value1"}};

static const struct {
	const char *name;
	struct sigv4_req req;
	const char *secret;
	const char *canon; /* NULL: only the signature is checked */
	const char *sts;
	const char *sig;
} cases[] = {
    {"s3 get object",
     {"GET", "/test.txt", NULL, 0, h_get_obj, 4, EMPTY_SHA, S3_DATE, "us-east-1", "s3"},
     S3_SECRET,
     "GET\n/test.txt\n\nhost:" S3_HOST "\nrange:bytes=0-9\nx-amz-content-sha256:" EMPTY_SHA
     "\nx-amz-date:" S3_DATE "\n\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     "AWS4-HMAC-SHA256\n" S3_DATE "\n20130524/us-east-1/s3/aws4_request\n"
     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
    {"s3 put object",
     {"PUT", "/test$file.text", NULL, 0, h_put_obj, 5,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", S3_DATE, "us-east-1",
      "s3"},
     S3_SECRET,
     "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:" S3_HOST
     "\nx-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
     "\nx-amz-date:" S3_DATE "\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "AWS4-HMAC-SHA256\n" S3_DATE "\n20130524/us-east-1/s3/aws4_request\n"
     "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
    {"s3 get bucket lifecycle",
     {"GET", "/", q_lifecycle, 1, h_s3_plain, 3, EMPTY_SHA, S3_DATE, "us-east-1", "s3"},
     S3_SECRET,
     "GET\n/\nlifecycle=\nhost:" S3_HOST "\nx-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:" S3_DATE
     "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     NULL,
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
    {"s3 list objects",
     {"GET", "/", q_list, 2, h_s3_plain, 3, EMPTY_SHA, S3_DATE, "us-east-1", "s3"},
     S3_SECRET,
     "GET\n/\nmax-keys=2&prefix=J\nhost:" S3_HOST "\nx-amz-content-sha256:" EMPTY_SHA
     "\nx-amz-date:" S3_DATE "\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA,
     NULL,
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
    {"get-vanilla",
     {"GET", "/", NULL, 0, h_suite, 2, EMPTY_SHA, SUITE_DATE, "us-east-1", "service"},
     SUITE_SECRET,
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:" SUITE_DATE
     "\n\nhost;x-amz-date\n" EMPTY_SHA,
     "AWS4-HMAC-SHA256\n" SUITE_DATE "\n20150830/us-east-1/service/aws4_request\n"
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query-order-key-case",
     {"GET", "/", q_order, 2, h_suite, 2, EMPTY_SHA, SUITE_DATE, "us-east-1", "service"},
     SUITE_SECRET,
     "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:" SUITE_DATE
     "\n\nhost;x-amz-date\n" EMPTY_SHA,
     NULL,
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"post-vanilla",
     {"POST", "/", NULL, 0, h_suite, 2, EMPTY_SHA, SUITE_DATE, "us-east-1", "service"},
     SUITE_SECRET,
     NULL,
     NULL,
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
};

static void test_vectors(void **state)
{
	(void)state;
	assert_int_equal(cry_init(), SE_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(1u << 16);
		char sig[65];

		print_message("case %s\n", cases[i].name);
		if (cases[i].canon) {
			assert_int_equal(sigv4_canonical_request(&cases[i].req, &b), SE_OK);
			assert_string_equal(buf_cstr(&b), cases[i].canon);
			buf_reset(&b);
		}
		if (cases[i].sts) {
			assert_int_equal(sigv4_string_to_sign(&cases[i].req, &b), SE_OK);
			assert_string_equal(buf_cstr(&b), cases[i].sts);
		}
		assert_int_equal(sigv4_signature(&cases[i].req, cases[i].secret, sig), SE_OK);
		assert_string_equal(sig, cases[i].sig);
		buf_release(&b);
	}
}

static void test_authorization(void **state)
{
	struct buf b = BUF_INIT(4096);

	(void)state;
	assert_int_equal(sigv4_authorization(&cases[0].req, "AKIAIOSFODNN7EXAMPLE", S3_SECRET, &b),
	                 SE_OK);
	assert_string_equal(
	    buf_cstr(&b),
	    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	buf_release(&b);
}

static void test_trim_and_encode(void **state)
{
	static const struct sigv4_kv h[] = {
	    {"Host", "h"}, {"My-Header1", "  a   b   c  "}, {"x-amz-date", SUITE_DATE}};
	static const struct sigv4_kv q[] = {{"a b", "c/d"}, {"a", "2"}, {"a", "1"}};
	struct sigv4_req r = {"GET", "/dir/a b+c~",      q,          3,   h,
	                      3,     "UNSIGNED-PAYLOAD", SUITE_DATE, "r", "s3"};
	struct buf b = BUF_INIT(4096);

	(void)state;
	assert_int_equal(sigv4_canonical_request(&r, &b), SE_OK);
	assert_string_equal(buf_cstr(&b), "GET\n/dir/a%20b%2Bc~\na=1&a=2&a%20b=c%2Fd\nhost:h\n"
	                                  "my-header1:a b c\nx-amz-date:" SUITE_DATE
	                                  "\n\nhost;my-header1;x-amz-date\nUNSIGNED-PAYLOAD");
	buf_release(&b);
}

static void test_bad_input(void **state)
{
	struct sigv4_req r = cases[0].req;
	struct buf b = BUF_INIT(4096);
	char sig[65], d[17];

	(void)state;
	r.amz_date = "2013-05-24";
	assert_int_equal(sigv4_canonical_request(&r, &b), SE_INVAL);
	assert_int_equal(sigv4_signature(&r, S3_SECRET, sig), SE_INVAL);
	r = cases[0].req;
	r.n_headers = SIGV4_HEADERS_MAX + 1;
	assert_int_equal(sigv4_canonical_request(&r, &b), SE_INVAL);
	r = cases[0].req;
	b.max = 10;
	assert_int_not_equal(sigv4_canonical_request(&r, &b), SE_OK);
	buf_release(&b);
	sigv4_amz_date(1440938160, d);
	assert_string_equal(d, SUITE_DATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_authorization),
	    cmocka_unit_test(test_trim_and_encode),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
