/*
 * tests/unit/gateway/test_wire.c: JSON <-> msgpack for format=msgpack
 * sockets: exact bytes for known events, round trips, and hostile msgpack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/jx.h"
#include "core/mem.h"
#include "gateway/wire.h"

/* Encodes `json`, compares with `hex` bytes when given, decodes back. */
static void check_round_trip(const char *json, const char *hex, const char *back)
{
	struct err_info ei = ERR_INFO_INIT;
	struct buf mp = BUF_INIT(1 << 20), js = BUF_INIT(1 << 20), want = BUF_INIT(1 << 20);

	assert_int_equal(wire_json_to_msgpack(str_from(json), &mp, &ei), SE_OK);
	if (hex) {
		for (const char *h = hex; h[0] && h[1]; h += 2) {
			unsigned x = 0;

			for (int i = 0; i < 2; i++)
				x = x * 16 + (unsigned)(h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
			buf_putc(&want, (char)x);
		}
		assert_int_equal(mp.len, want.len);
		assert_memory_equal(mp.ptr, want.ptr, want.len);
	}
	assert_int_equal(wire_msgpack_to_json(buf_str(&mp), &js, &ei), SE_OK);
	assert_string_equal(buf_cstr(&js), back ? back : json);
	buf_release(&mp);
	buf_release(&js);
	buf_release(&want);
}

static void test_exact_bytes(void **state)
{
	static const struct {
		const char *json, *hex;
	} cases[] = {
	    {"{\"type\":\"Ping\",\"data\":1}", "82a474797065a450696e67a46461746101"},
	    {"[]", "90"},
	    {"{}", "80"},
	    {"null", "c0"},
	    {"true", "c3"},
	    {"false", "c2"},
	    {"127", "7f"},
	    {"128", "cc80"},
	    {"255", "ccff"},
	    {"256", "cd0100"},
	    {"65536", "ce00010000"},
	    {"4294967296", "cf0000000100000000"},
	    {"9223372036854775807", "cf7fffffffffffffff"},
	    {"-1", "ff"},
	    {"-32", "e0"},
	    {"-33", "d0df"},
	    {"-129", "d1ff7f"},
	    {"-32769", "d2ffff7fff"},
	    {"-2147483649", "d3ffffffff7fffffff"},
	    {"-9223372036854775808", "d38000000000000000"},
	    {"1.5", "cb3ff8000000000000"},
	    {"\"\"", "a0"},
	    /* a 32-byte string needs str8 */
	    {"\"0123456789abcdef0123456789abcdef\"",
	     "d9203031323334353637383961626364656630313233343536373839616263646566"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_round_trip(cases[i].json, cases[i].hex, NULL);
}

static void test_round_trips(void **state)
{
	static const char *const cases[] = {
	    "{\"type\":\"Message\",\"_id\":\"01HZZZZZZZZZZZZZZZZZZZZZZZ\",\"content\":"
	    "\"h\\u00e9llo "
	    "\\u2600 \\ud83d\\ude00\",\"nonce\":null,\"mentions\":[\"a\",\"b\"],\"edited\":false}",
	    "{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":-4.25}]]]}}}",
	    "{\"empty\":{},\"list\":[],\"n\":0}",
	};
	char big[70000];

	(void)state;
	jx_init();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *v = json_loads(cases[i], 0, &je);
		char *compact = jx_dump(v);

		check_round_trip(cases[i], NULL, compact);
		mem_free(compact);
		json_decref(v);
	}
	/* str16 and str32 lengths */
	big[0] = '"';
	memset(big + 1, 'x', sizeof(big) - 3);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	check_round_trip(big, NULL, NULL);
	big[300] = '"';
	big[301] = '\0';
	check_round_trip(big, NULL, NULL);
}

static void test_decode_only(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *json;
	} cases[] = {
	    /* encodings our packer never chooses but peers may */
	    {"\xd0\x05", 2, "5"},
	    {"\xcd\x00\x01", 3, "1"},
	    {"\xd3\x00\x00\x00\x00\x00\x00\x00\x07", 9, "7"},
	    {"\xca\x3f\xc0\x00\x00", 5, "1.5"},
	    {"\xdc\x00\x01\xc0", 4, "[null]"},
	    {"\xde\x00\x01\xa1k\x01", 6, "{\"k\":1}"},
	    {"\xda\x00\x01z", 4, "\"z\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		struct buf js = BUF_INIT(1024);

		assert_int_equal(
		    wire_msgpack_to_json((struct str){cases[i].bytes, cases[i].n}, &js, &ei),
		    SE_OK);
		assert_string_equal(buf_cstr(&js), cases[i].json);
		buf_release(&js);
	}
}

static void test_hostile(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
	} cases[] = {
	    {"", 0},
	    {"\x82\xa4type", 6}, /* truncated map */
	    {"\xa5"
	     "abc",
	     4},                                 /* string past the end */
	    {"\xcb\x3f\xf8", 3},                 /* truncated float */
	    {"\xdd\xff\xff\xff\xff", 5},         /* array32 claiming 4G items */
	    {"\xdf\xff\xff\xff\xff\xc0\xc0", 7}, /* map32 claiming 4G pairs */
	    {"\xdb\xff\xff\xff\xff"
	     "ab",
	     7},                                         /* str32 claiming 4 GiB */
	    {"\xc4\x01x", 3},                            /* bin8 */
	    {"\xd4\x01\x02", 3},                         /* fixext1 */
	    {"\xc1", 1},                                 /* never used */
	    {"\xa1\xff", 2},                             /* invalid UTF-8 */
	    {"\xc0\xc0", 2},                             /* trailing bytes */
	    {"\x81\x01\x02", 3},                         /* integer map key */
	    {"\x82\xa1k\x01\xa1k\x02", 7},               /* duplicate key */
	    {"\x81\xa2k\x00\x01", 5},                    /* NUL in a key */
	    {"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9}, /* NaN */
	    {"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9}, /* uint64 over INT64_MAX */
	};
	char deep[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		struct buf js = BUF_INIT(1024);

		assert_int_equal(
		    wire_msgpack_to_json((struct str){cases[i].bytes, cases[i].n}, &js, &ei),
		    SE_PARSE);
		buf_release(&js);
	}
	/* nesting: WIRE_DEPTH_MAX arrays decode, one more does not */
	for (int extra = 0; extra <= 1; extra++) {
		struct err_info ei = ERR_INFO_INIT;
		struct buf js = BUF_INIT(4096);
		size_t n = WIRE_DEPTH_MAX + (size_t)extra;

		memset(deep, '\x91', n);
		deep[n] = '\xc0';
		assert_int_equal(wire_msgpack_to_json((struct str){deep, n + 1}, &js, &ei),
		                 extra ? SE_PARSE : SE_OK);
		buf_release(&js);
	}
}

/* Every proper prefix of a valid encoding is refused. */
static void test_truncations(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct buf mp = BUF_INIT(4096);

	(void)state;
	assert_int_equal(
	    wire_json_to_msgpack(STR_LIT("{\"a\":[1,-300,70000,1.25,\"\\u00e9t\\u00e9\","
	                                 "{\"b\":null,\"c\":true}],\"d\":-9000000000}"),
	                         &mp, &ei),
	    SE_OK);
	for (size_t n = 0; n < mp.len; n++) {
		struct buf js = BUF_INIT(4096);

		assert_int_equal(wire_msgpack_to_json((struct str){mp.ptr, n}, &js, &ei), SE_PARSE);
		buf_release(&js);
	}
	buf_release(&mp);
}

static void test_limits_and_errors(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct buf small = BUF_INIT(8);
	char deep[2 * (WIRE_DEPTH_MAX + 2) + 1];

	(void)state;
	assert_int_equal(wire_json_to_msgpack(STR_LIT("{\"type\":\"Authenticated\"}"), &small, &ei),
	                 SE_TOO_LARGE);
	buf_release(&small);
	assert_int_equal(wire_json_to_msgpack(STR_LIT("{nope"), &small, &ei), SE_PARSE);
	buf_release(&small);
	assert_int_equal(wire_msgpack_to_json(STR_LIT("\xa9"
	                                              "123456789"),
	                                      &small, &ei),
	                 SE_TOO_LARGE);
	buf_release(&small);
	/* packing refuses what it could not decode again */
	for (size_t i = 0; i < WIRE_DEPTH_MAX + 2; i++) {
		deep[i] = '[';
		deep[WIRE_DEPTH_MAX + 2 + i] = ']';
	}
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(wire_json_to_msgpack(str_from(deep), &small, &ei), SE_PARSE);
	buf_release(&small);
}

static void test_oom(void **state)
{
	(void)state;
	jx_init();
	for (unsigned long k = 1; k < 400; k++) {
		struct err_info ei = ERR_INFO_INIT;
		struct buf mp = BUF_INIT(4096), js = BUF_INIT(4096);
		enum err a, b = SE_NOMEM;

		mem_fail_at(k, 0);
		a = wire_json_to_msgpack(
		    STR_LIT("{\"a\":[1,2,{\"b\":\"cccccccccccccccccc\"}],\"d\":{}}"), &mp, &ei);
		if (!a)
			b = wire_msgpack_to_json(buf_str(&mp), &js, &ei);
		mem_fail_at(0, 0);
		buf_release(&mp);
		buf_release(&js);
		if (!a && !b)
			return;
		assert_true(a == SE_OK || a == SE_NOMEM || a == SE_PARSE);
		/* jansson reports a failed string allocation like bad UTF-8 */
		assert_true(b == SE_OK || b == SE_NOMEM || b == SE_PARSE);
	}
	fail_msg("conversion never succeeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_bytes), cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_decode_only), cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_truncations), cmocka_unit_test(test_limits_and_errors),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
