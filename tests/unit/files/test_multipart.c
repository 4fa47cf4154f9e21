/*
 * tests/unit/files/test_multipart.c: the multipart/form-data parser. Every
 * body case is run whole, in every chunk size from 1 byte up, and split in
 * two at every position; all runs must log the same events and result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "files/multipart.h"

#define BD "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define D "--" BD
#define CD "Content-Disposition: form-data; "
#define FILE_HDR CD "name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
#define T(s)                                                                                       \
	{                                                                                          \
		(s), sizeof(s) - 1                                                                 \
	}

/* bytes of one test's event log */
#define LOG_MAX (1u << 20)

struct rec {
	struct buf log;
	bool failed;    /* a callback ran after mp_feed reported an error */
	bool stopped;   /* mp_feed returned an error */
	size_t fail_at; /* on_part_data fails once this many data bytes were seen; 0: never */
	size_t data;
};

static enum err on_begin(void *ctx, const struct mp_part_headers *h)
{
	struct rec *r = ctx;

	r->failed |= r->stopped;
	buf_putc(&r->log, '<');
	buf_append_str(&r->log, h->name);
	buf_putc(&r->log, '|');
	if (h->has_filename) {
		buf_putc(&r->log, '=');
		buf_append_str(&r->log, h->filename);
	}
	buf_putc(&r->log, '|');
	buf_append_str(&r->log, h->content_type);
	buf_putc(&r->log, '>');
	return SE_OK;
}

static enum err on_data(void *ctx, const void *p, size_t n)
{
	struct rec *r = ctx;

	r->failed |= r->stopped || n == 0;
	buf_append(&r->log, p, n);
	r->data += n;
	if (r->fail_at && r->data >= r->fail_at)
		return SE_IO;
	return SE_OK;
}

static enum err on_end(void *ctx)
{
	struct rec *r = ctx;

	r->failed |= r->stopped;
	buf_puts(&r->log, "</>");
	return SE_OK;
}

static const struct mp_callbacks recorder = {on_begin, on_data, on_end};

/*
 * Feeds body[0..n) split at `split` (if nonzero) and then in `chunk`-byte
 * pieces; logs into r->log and returns the first error or mp_finish's.
 */
static enum err run(struct str boundary, const char *body, size_t n, size_t split, size_t chunk,
                    struct rec *r)
{
	struct mp_parser *p = xmalloc(sizeof(*p));
	size_t i = 0;
	enum err rc = SE_OK;

	buf_reset(&r->log);
	r->failed = r->stopped = false;
	r->data = 0;
	mp_init(p, boundary, &recorder, r);
	if (split) {
		rc = mp_feed(p, body, split);
		i = split;
	}
	while (!rc && i < n) {
		size_t k = n - i < chunk ? n - i : chunk;

		rc = mp_feed(p, body + i, k);
		i += k;
	}
	if (rc) {
		r->stopped = true;
		/* errors are sticky and silent */
		assert_int_equal(mp_feed(p, "x", 1), rc);
		assert_int_equal(mp_finish(p), rc);
	} else {
		rc = mp_finish(p);
	}
	assert_false(r->failed);
	assert_int_equal(buf_err(&r->log), SE_OK);
	mem_free(p);
	return rc;
}

static bool same_log(const struct rec *r, struct str want)
{
	return r->log.len == want.n && (!want.n || memcmp(r->log.ptr, want.p, want.n) == 0);
}

/* Runs `body` every way and checks each run against the expected log. */
static void check_body(const char *what, struct str boundary, struct str body, struct str want,
                       enum err want_rc)
{
	struct rec r = {BUF_INIT(LOG_MAX), false, false, 0, 0};
	size_t max_chunk = body.n < 80 ? body.n : 80;
	enum err rc;

	for (size_t chunk = 0; chunk <= max_chunk; chunk++) {
		size_t c = chunk ? chunk : (body.n ? body.n : 1);

		rc = run(boundary, body.p, body.n, 0, c, &r);
		if (rc != want_rc || !same_log(&r, want)) {
			print_error("%s (chunk %zu): rc %s, log '%s'\n", what, c, err_type(rc),
			            buf_cstr(&r.log));
			fail();
		}
	}
	for (size_t split = 1; split < body.n && body.n < 4096; split++) {
		rc = run(boundary, body.p, body.n, split, body.n, &r);
		if (rc != want_rc || !same_log(&r, want)) {
			print_error("%s (split %zu): rc %s, log '%s'\n", what, split, err_type(rc),
			            buf_cstr(&r.log));
			fail();
		}
	}
	buf_release(&r.log);
}

static void test_bodies(void **state)
{
	static const struct {
		const char *what;
		struct str body;
		struct str log;
		enum err rc;
	} cases[] = {
	    {"single file", T(D "\r\n" FILE_HDR "hello\r\n" D "--\r\n"),
	     T("<file|=a.png|image/png>hello</>"), SE_OK},
	    {"text field and file",
	     T(D "\r\n" CD "name=\"tag\"\r\n\r\nattachments\r\n" D "\r\n" FILE_HDR "PNG\r\n" D
	         "--"),
	     T("<tag||>attachments</><file|=a.png|image/png>PNG</>"), SE_OK},
	    {"preamble and epilogue",
	     T("This is a preamble.\r\n--not-it\r\n" D "\r\n" FILE_HDR "x\r\n" D "--\r\nepilogue " D
	       "\r\n garbage"),
	     T("<file|=a.png|image/png>x</>"), SE_OK},
	    {"CRLF then boundary at the start", T("\r\n" D "\r\n" FILE_HDR "x\r\n" D "--"),
	     T("<file|=a.png|image/png>x</>"), SE_OK},
	    {"transport padding", T(D " \t \r\n" FILE_HDR "x\r\n" D "--  \r\n"),
	     T("<file|=a.png|image/png>x</>"), SE_OK},
	    {"zero-byte file",
	     T(D "\r\n" CD "name=\"file\"; filename=\"empty.bin\"\r\n"
	         "Content-Type: application/octet-stream\r\n\r\n\r\n" D "--\r\n"),
	     T("<file|=empty.bin|application/octet-stream></>"), SE_OK},
	    {"no file chosen", T(D "\r\n" CD "name=\"file\"; filename=\"\"\r\n\r\n\r\n" D "--"),
	     T("<file|=|></>"), SE_OK},
	    {"no file part", T(D "\r\n" CD "name=\"note\"\r\n\r\nhi\r\n" D "--"),
	     T("<note||>hi</>"), SE_OK},
	    {"no parts at all", T(D "--\r\n"), T(""), SE_OK},
	    {"binary data with NULs",
	     T(D "\r\n" FILE_HDR "\0\x01\r\n\0-\r\n--\r\r\n-" BD "\xff\0\r\n" D "--"),
	     T("<file|=a.png|image/png>\0\x01\r\n\0-\r\n--\r\r\n-" BD "\xff\0</>"), SE_OK},
	    {"boundary without CRLF in data", T(D "\r\n" FILE_HDR "a" D "b\r\n" D "--"),
	     T("<file|=a.png|image/png>a" D "b</>"), SE_OK},
	    {"boundary as a prefix of data", T(D "\r\n" FILE_HDR "a\r\n" D "XYZ\r\n" D "--"),
	     T("<file|=a.png|image/png>a\r\n" D "XYZ</>"), SE_OK},
	    {"boundary and one dash in data", T(D "\r\n" FILE_HDR "a\r\n" D "-x\r\n" D "--"),
	     T("<file|=a.png|image/png>a\r\n" D "-x</>"), SE_OK},
	    {"partial delimiter at the end of data",
	     T(D "\r\n" FILE_HDR "\r\n--"
	         "\r\n" D "--"),
	     T("<file|=a.png|image/png>\r\n--</>"), SE_OK},
	    {"header names and values in any case",
	     T(D "\r\nCONTENT-DISPOSITION: FORM-DATA; NAME=file; FileName=a.png\r\n"
	         "content-type:image/png\r\nX-Other: y\r\n\r\nz\r\n" D "--"),
	     T("<file|=a.png|image/png>z</>"), SE_OK},
	    {"quoted-string escapes",
	     T(D "\r\n" CD "name=\"a\\\"b\"; filename=\"x\\\\y\\z.txt\"\r\n\r\n\r\n" D "--"),
	     T("<a\"b|=x\\y\\z.txt|></>"), SE_OK},
	    {"MSIE full path",
	     T(D "\r\n" CD "name=\"file\"; filename=\"C:\\x\\y.png\"\r\n\r\n\r\n" D "--"),
	     T("<file|=C:\\x\\y.png|></>"), SE_OK},
	    {"filename* is ignored",
	     T(D "\r\n" CD
	         "name=file; filename*=UTF-8''%e2%82%ac.txt; filename=\"euro.txt\"\r\n\r\n"
	         "\r\n" D "--"),
	     T("<file|=euro.txt|></>"), SE_OK},
	    {"only filename*",
	     T(D "\r\n" CD "name=file; filename*=UTF-8''a.txt\r\n\r\n\r\n" D "--"),
	     T("<file||></>"), SE_OK},
	    {"path tricks pass through raw",
	     T(D "\r\n" CD "name=file; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n" D "--"),
	     T("<file|=../../etc/passwd|>root</>"), SE_OK},
	    /* truncated and malformed */
	    {"empty body", T(""), T(""), SE_PARSE},
	    {"truncated data", T(D "\r\n" FILE_HDR "hello\r\n" D),
	     T("<file|=a.png|image/png>hello"), SE_PARSE},
	    {"truncated after a dash", T(D "\r\n" FILE_HDR "hello\r\n" D "-"),
	     T("<file|=a.png|image/png>hello"), SE_PARSE},
	    {"truncated headers", T(D "\r\nContent-Disposition: form-da"), T(""), SE_PARSE},
	    {"truncated after a part", T(D "\r\n" FILE_HDR "x\r\n" D "\r\n"),
	     T("<file|=a.png|image/png>x</>"), SE_PARSE},
	    {"wrong boundary", T("--other\r\n" FILE_HDR "hello\r\n--other--\r\n"), T(""), SE_PARSE},
	    {"missing CRLF before the close", T(D "\r\n" FILE_HDR "hello" D "--"),
	     T("<file|=a.png|image/png>hello" D "--"), SE_PARSE},
	    {"bare LF after the delimiter", T(D "\n" FILE_HDR "x\r\n" D "--"), T(""), SE_PARSE},
	    {"bare LF in headers", T(D "\r\n" CD "name=file\n\n\r\n" D "--"), T(""), SE_PARSE},
	    {"bare CR in headers", T(D "\r\n" CD "name=file\r\r\n\r\n" D "--"), T(""), SE_PARSE},
	    {"garbage after padding", T(D "  x\r\n" FILE_HDR "x\r\n" D "--"), T(""), SE_PARSE},
	    {"CR without LF after the delimiter", T(D "\rx" FILE_HDR "x\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"no headers", T(D "\r\n\r\nx\r\n" D "--"), T(""), SE_PARSE},
	    {"no Content-Disposition", T(D "\r\nContent-Type: text/plain\r\n\r\nx\r\n" D "--"),
	     T(""), SE_PARSE},
	    {"not form-data",
	     T(D "\r\nContent-Disposition: attachment; name=file\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"two Content-Dispositions",
	     T(D "\r\n" CD "name=a\r\n" CD "name=b\r\n\r\nx\r\n" D "--"), T(""), SE_PARSE},
	    {"two Content-Types",
	     T(D "\r\n" CD "name=a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n\r\n" D "--"),
	     T(""), SE_PARSE},
	    {"duplicate name", T(D "\r\n" CD "name=a; name=b\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"duplicate filename",
	     T(D "\r\n" CD "name=a; filename=b; filename=c\r\n\r\n\r\n" D "--"), T(""), SE_PARSE},
	    {"unterminated quote", T(D "\r\n" CD "name=\"file\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"junk after a quoted value", T(D "\r\n" CD "name=\"file\"x\r\n\r\n\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"parameter without value", T(D "\r\n" CD "name\r\n\r\nx\r\n" D "--"), T(""), SE_PARSE},
	    {"header without colon", T(D "\r\n" CD "name=a\r\nbogus\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"folded header",
	     T(D "\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"NUL in a header", T(D "\r\n" CD "name=a\r\nX: \0\r\n\r\nx\r\n" D "--"), T(""),
	     SE_PARSE},
	    {"control byte in a filename",
	     T(D "\r\n" CD "name=a; filename=\"a\x01.png\"\r\n\r\n\r\n" D "--"), T(""), SE_PARSE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_body(cases[i].what, STR_LIT(BD), cases[i].body, cases[i].log, cases[i].rc);
}

/* Appends `count` small parts and the close delimiter to `b`. */
static void many_parts(struct buf *b, size_t count, struct buf *log)
{
	buf_puts(b, "preamble\r\n");
	for (size_t i = 0; i < count; i++) {
		buf_printf(b, "%s\r\n%sname=\"f%zu\"\r\n\r\n%zu\r\n", D, CD, i, i);
		buf_printf(log, "<f%zu||>%zu</>", i, i);
	}
	buf_puts(b, D "--\r\n");
}

static void test_many_parts(void **state)
{
	struct buf b = BUF_INIT(LOG_MAX), log = BUF_INIT(LOG_MAX);

	(void)state;
	many_parts(&b, LIM_MULTIPART_PARTS, &log);
	check_body("parts at the limit", STR_LIT(BD), buf_str(&b), buf_str(&log), SE_OK);
	buf_reset(&b);
	buf_reset(&log);
	many_parts(&b, LIM_MULTIPART_PARTS + 1, &log);
	/* the log stops where the 17th delimiter line ends */
	log.len = 0;
	for (size_t i = 0; i < LIM_MULTIPART_PARTS; i++)
		buf_printf(&log, "<f%zu||>%zu</>", i, i);
	check_body("one part too many", STR_LIT(BD), buf_str(&b), buf_str(&log), SE_TOO_LARGE);
	buf_release(&b);
	buf_release(&log);
}

static void test_huge_headers(void **state)
{
	struct buf b = BUF_INIT(LOG_MAX);
	/* "<file||>x</>" once the header block is exactly at the limit */
	size_t fixed = strlen(CD "name=file\r\nX: \r\n\r\n");

	(void)state;
	buf_puts(&b, D "\r\n" CD "name=file\r\nX: ");
	for (size_t i = 0; i < LIM_MULTIPART_HEADER_BYTES - fixed; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\r\n\r\nx\r\n" D "--");
	check_body("headers at the limit", STR_LIT(BD), buf_str(&b), STR_LIT("<file||>x</>"),
	           SE_OK);

	buf_reset(&b);
	buf_puts(&b, D "\r\n" CD "name=file\r\nX: ");
	for (size_t i = 0; i < LIM_MULTIPART_HEADER_BYTES - fixed + 1; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\r\n\r\nx\r\n" D "--");
	check_body("headers one byte too long", STR_LIT(BD), buf_str(&b), STR_LIT(""),
	           SE_TOO_LARGE);

	/* a header block that never ends: bounded, not buffered */
	buf_reset(&b);
	buf_puts(&b, D "\r\n" CD "name=file\r\nX: ");
	for (size_t i = 0; i < 3 * LIM_MULTIPART_HEADER_BYTES; i++)
		buf_puts(&b, i % 40 == 39 ? "\r\nX: " : "a");
	check_body("endless headers", STR_LIT(BD), buf_str(&b), STR_LIT(""), SE_TOO_LARGE);
	buf_release(&b);
}

/* A body far larger than the parser, streamed through byte-counting callbacks. */
static void test_large_body(void **state)
{
	struct rec r = {BUF_INIT(64 << 20), false, false, 0, 0};
	struct mp_parser *p = xmalloc(sizeof(*p));
	char chunk[4096];
	size_t total = 0;

	(void)state;
	mp_init(p, STR_LIT(BD), &recorder, &r);
	assert_int_equal(mp_feed(p, D "\r\n" FILE_HDR, strlen(D "\r\n" FILE_HDR)), SE_OK);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)(i % 7 == 0 ? '\r' : i % 11 == 0 ? '-' : 'a' + i % 26);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(mp_feed(p, chunk, sizeof(chunk)), SE_OK);
		total += sizeof(chunk);
	}
	assert_int_equal(mp_feed(p, "\r\n" D "--", strlen("\r\n" D "--")), SE_OK);
	assert_int_equal(mp_finish(p), SE_OK);
	assert_int_equal(r.data, total);
	assert_true(sizeof(*p) < LIM_MULTIPART_HEADER_BYTES + 512);
	mem_free(p);
	buf_release(&r.log);
}

static void test_callback_abort(void **state)
{
	struct rec r = {BUF_INIT(LOG_MAX), false, false, 0, 0};
	static const char body[] =
	    D "\r\n" FILE_HDR "0123456789\r\n" D "\r\n" FILE_HDR "x\r\n" D "--";

	(void)state;
	for (size_t chunk = 1; chunk < sizeof(body); chunk++) {
		r.fail_at = 5;
		assert_int_equal(run(STR_LIT(BD), body, sizeof(body) - 1, 0, chunk, &r), SE_IO);
		assert_true(r.data >= 5 && r.data <= 10);
		assert_null(memmem(r.log.ptr, r.log.len, "</>", 3));
	}
	buf_release(&r.log);
}

static void test_bad_boundary(void **state)
{
	static const struct str bad[] = {
	    T(""),     T("a b "),
	    T("a\rb"), T("a\"b"),
	    T("ab;"),  T("0123456789012345678901234567890123456789012345678901234567890123456789x"),
	};
	struct mp_parser *p = xmalloc(sizeof(*p));

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mp_init(p, bad[i], NULL, NULL);
		assert_int_equal(mp_feed(p, "--x--", 5), SE_PARSE);
		assert_int_equal(mp_finish(p), SE_PARSE);
	}
	/* the longest and a spaced one work, with NULL callbacks */
	mp_init(p,
	        STR_LIT("0123456789012345678901234567890123456789012345678901234567890123456789"),
	        NULL, NULL);
	assert_int_equal(
	    mp_feed(p, "--0123456789012345678901234567890123456789012345678901234567890123456789--",
	            74),
	    SE_OK);
	assert_int_equal(mp_finish(p), SE_OK);
	check_body("boundary with spaces", STR_LIT("a b"),
	           STR_LIT("--a b\r\n" CD "name=x\r\n\r\n--a\r\n--a b--"), STR_LIT("<x||>--a</>"),
	           SE_OK);
	mem_free(p);
}

static void test_content_type(void **state)
{
	static const struct {
		struct str in;
		const char *want; /* NULL: SE_PARSE */
	} cases[] = {
	    {T("multipart/form-data; boundary=" BD), BD},
	    {T("Multipart/Form-Data;boundary=abc"), "abc"},
	    {T("multipart/form-data; charset=utf-8; BOUNDARY=\"a b:c\""), "a b:c"},
	    {T("multipart/form-data; boundary=\"esc\\=aped\""), "esc=aped"},
	    {T("  multipart/form-data ; boundary = x ; "), "x"},
	    {T("multipart/form-data; boundary=abc=def"), "abc=def"},
	    {T("multipart/form-data; boundary=\"0123456789012345678901234567890123456789012345678"
	       "901234567890123456789\""),
	     "0123456789012345678901234567890123456789012345678901234567890123456789"},
	    {T("multipart/form-data; boundary=\"01234567890123456789012345678901234567890123456789"
	       "0123456789012345678901\""),
	     NULL},
	    {T("multipart/form-data"), NULL},
	    {T("multipart/form-data;"), NULL},
	    {T("multipart/form-data; boundary="), NULL},
	    {T("multipart/form-data; boundary=\"\""), NULL},
	    {T("multipart/form-data; boundary=\"trailing \""), NULL},
	    {T("multipart/form-data; boundary=\"unterminated"), NULL},
	    {T("multipart/form-data; boundary=a; boundary=b"), NULL},
	    {T("multipart/form-data; boundary=a\x01"), NULL},
	    {T("multipart/form-data; boundary=\"a\\\"b\""), NULL},
	    {T("multipart/form-data; boundary=a b"), NULL},
	    {T("multipart/mixed; boundary=abc"), NULL},
	    {T("multipart/form-dataX; boundary=abc"), NULL},
	    {T("application/json"), NULL},
	    {T(""), NULL},
	    {T("multipart/form-data; =abc"), NULL},
	    {T("multipart/form-data boundary=abc"), NULL},
	    {T("multipart/form-data; boundary=\xc3\xa9"), NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[MP_BOUNDARY_MAX + 1] = "untouched";
		size_t len = 99;
		enum err rc = mp_boundary_from_content_type(cases[i].in, out, &len);

		if (!cases[i].want) {
			if (rc != SE_PARSE)
				print_error("case %zu: '%s'\n", i, out);
			assert_int_equal(rc, SE_PARSE);
			assert_int_equal(len, 99);
			assert_string_equal(out, "untouched");
			continue;
		}
		if (rc != SE_OK)
			print_error("case %zu\n", i);
		assert_int_equal(rc, SE_OK);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(len, strlen(cases[i].want));
	}
}

static void test_safe_filename(void **state)
{
	static const struct {
		struct str in;
		const char *want;
	} cases[] = {
	    {T("photo.png"), "photo.png"},
	    {T("../../etc/passwd"), "passwd"},
	    {T("C:\\x\\y.png"), "y.png"},
	    {T("a\r\nb"), "ab"},
	    {T("a\0b.txt"), "ab.txt"},
	    {T(".."), MP_DEFAULT_FILENAME},
	    {T("..."), MP_DEFAULT_FILENAME},
	    {T("a/.."), MP_DEFAULT_FILENAME},
	    {T("dir/"), MP_DEFAULT_FILENAME},
	    {T(""), MP_DEFAULT_FILENAME},
	    {T("   "), MP_DEFAULT_FILENAME},
	    {T("\x01\x02\x7f"), MP_DEFAULT_FILENAME},
	    {T("  spaced name.txt  "), "spaced name.txt"},
	    {T(".hidden"), ".hidden"},
	    {T("..\\..\\boot.ini"), "boot.ini"},
	    {T("/abs/path/\tx.png"), "x.png"},
	    {T("caf\xc3\xa9.txt"), "caf\xc3\xa9.txt"},
	    {T("bad\xff\xfe.txt"), "bad__.txt"},
	    {T("over\xc0\xaflong"), "over__long"},
	    {T("cut\xe2\x82"), "cut__"},
	    {T("evil\xe2\x80\xaegnp.exe"), "evilgnp.exe"},
	    {T("c1\xc2\x85x"), "c1x"},
	    {T("%2e%2e%2fx"), "%2e%2e%2fx"},
	};
	struct buf out = BUF_INIT(1024);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		assert_int_equal(mp_safe_filename(cases[i].in, &out), SE_OK);
		assert_int_equal(out.len, strlen(cases[i].want));
		assert_memory_equal(out.ptr, cases[i].want, out.len);
	}
	buf_release(&out);
}

static void test_safe_filename_length(void **state)
{
	char in[400];
	struct buf out = BUF_INIT(1024), small = BUF_INIT(4);

	(void)state;
	/* 'x' then 3-byte euro signs: the cut falls inside one */
	in[0] = 'x';
	for (size_t i = 1; i + 3 <= sizeof(in); i += 3)
		memcpy(in + i, "\xe2\x82\xac", 3);
	assert_int_equal(mp_safe_filename((struct str){in, sizeof(in)}, &out), SE_OK);
	assert_int_equal(out.len, 1 + (LIM_UPLOAD_FILENAME - 1) / 3 * 3);
	assert_true(out.len <= LIM_UPLOAD_FILENAME);
	assert_memory_equal(out.ptr + out.len - 3, "\xe2\x82\xac", 3);

	/* leading spaces do not eat the budget */
	memset(in, ' ', 300);
	memcpy(in + 300, "name.txt", 8);
	buf_reset(&out);
	assert_int_equal(mp_safe_filename((struct str){in, 308}, &out), SE_OK);
	assert_string_equal(buf_cstr(&out), "name.txt");

	/* the output buffer's own maximum */
	assert_int_equal(mp_safe_filename(STR_LIT("toolong.txt"), &small), SE_TOO_LARGE);

	/* every allocation failure is reported */
	for (unsigned long n = 1;; n++) {
		enum err rc;

		buf_release(&out);
		mem_fail_at(n, 0);
		rc = mp_safe_filename(STR_LIT("photo.png"), &out);
		mem_fail_at(0, 0);
		if (rc == SE_OK)
			break;
		assert_int_equal(rc, SE_NOMEM);
	}
	assert_string_equal(buf_cstr(&out), "photo.png");
	buf_release(&out);
	buf_release(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_many_parts),
	    cmocka_unit_test(test_huge_headers),
	    cmocka_unit_test(test_large_body),
	    cmocka_unit_test(test_callback_abort),
	    cmocka_unit_test(test_bad_boundary),
	    cmocka_unit_test(test_content_type),
	    cmocka_unit_test(test_safe_filename),
	    cmocka_unit_test(test_safe_filename_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
