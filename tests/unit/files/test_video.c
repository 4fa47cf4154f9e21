/*
 * tests/unit/files/test_video.c: video dimensions (files/video.h) from the
 * committed fixture tests/fixtures/tiny.mp4 (64x48 H.264, 1 s, made with
 * ffmpeg's testsrc), from a file descriptor and from memory; hostile
 * inputs (every truncation of the fixture, a corrupted size box, text, an
 * HLS playlist that names other files, an MP4 claiming absurd sizes) give
 * SE_PARSE or a plausible size, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "files/video.h"

#define FIXTURE "tests/fixtures/tiny.mp4"

static unsigned char *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	p = malloc((size_t)len);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static int memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("test_video", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static void test_fixture(void **state)
{
	size_t n;
	unsigned char *p = load(FIXTURE, &n);
	unsigned w = 0, h = 0;
	int fd = memfd_with(p, n);

	(void)state;
	assert_int_equal(vid_probe(fd, &w, &h), SE_OK);
	assert_int_equal(w, 64);
	assert_int_equal(h, 48);
	/* pread only: the offset stays where the writer left it */
	assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)n);
	w = h = 0;
	assert_int_equal(vid_probe_mem(p, n, &w, &h), SE_OK);
	assert_int_equal(w, 64);
	assert_int_equal(h, 48);
	close(fd);
	free(p);
}

/* Every prefix of the fixture: SE_PARSE or the true size, nothing else. */
static void test_truncated(void **state)
{
	size_t n, parse = 0;
	unsigned char *p = load(FIXTURE, &n);

	(void)state;
	for (size_t k = 0; k < n; k += (k < 64 ? 1 : 7)) {
		unsigned w = 0, h = 0;
		enum err rc = vid_probe_mem(p, k, &w, &h);

		if (rc == SE_OK) {
			assert_int_equal(w, 64);
			assert_int_equal(h, 48);
		} else {
			assert_int_equal(rc, SE_PARSE);
			parse++;
		}
	}
	/* the moov box is at the front (faststart): short prefixes cannot work */
	assert_true(parse > 64);
	/* the truncated file through a descriptor, as an upload would be */
	{
		unsigned w = 0, h = 0;
		int fd = memfd_with(p, n / 3);
		enum err rc = vid_probe(fd, &w, &h);

		assert_true(rc == SE_PARSE || (rc == SE_OK && w == 64 && h == 48));
		close(fd);
	}
	free(p);
}

/* Overwrite the tkhd/stsd sizes with 0xffff: refused as absurd or reread. */
static void test_corrupt_sizes(void **state)
{
	size_t n;
	unsigned char *p = load(FIXTURE, &n);
	int found = 0;

	(void)state;
	for (size_t i = 0; i + 4 <= n; i++) {
		/* avc1 sample entry: width/height 16-bit at +32/+34 after the type */
		if (memcmp(p + i, "avc1", 4) == 0 && i + 36 <= n) {
			p[i + 32] = 0xff;
			p[i + 33] = 0xff;
			p[i + 34] = 0xff;
			p[i + 35] = 0xff;
			found++;
		}
	}
	assert_true(found > 0);
	{
		unsigned w = 0, h = 0;
		enum err rc = vid_probe_mem(p, n, &w, &h);

		assert_true(rc == SE_PARSE || rc == SE_OK);
		if (rc == SE_OK)
			assert_true(w <= VID_MAX_SIDE && h <= VID_MAX_SIDE && w && h);
	}
	free(p);
}

static void test_not_video(void **state)
{
	static const char *const junk[] = {
	    "hello world, this is text and not a video\n",
	    /* HLS names other files: must not be opened (no protocols, not whitelisted) */
	    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n/etc/passwd\n#EXT-X-ENDLIST\n",
	    /* ffconcat likewise */
	    "ffconcat version 1.0\nfile /etc/passwd\n",
	    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0",
	};
	unsigned w, h;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(vid_probe_mem(junk[i], strlen(junk[i]) + 1, &w, &h), SE_PARSE);
	assert_int_equal(vid_probe_mem("", 0, &w, &h), SE_PARSE);
	{
		int fd = memfd_create("empty", 0);

		assert_true(fd >= 0);
		assert_int_equal(vid_probe(fd, &w, &h), SE_PARSE);
		close(fd);
	}
}

/* 4 MB of zeros after an ftyp: bounded by the byte budget and the deadline. */
static void test_budget(void **state)
{
	size_t n = 4u * 1024 * 1024;
	unsigned char *p = calloc(1, n);
	static const unsigned char ftyp[] = {0,   0,   0, 0x14, 'f', 't', 'y', 'p', 'i', 's',
	                                     'o', 'm', 0, 0,    2,   0,   'm', 'p', '4', '1'};
	struct timespec a, b;
	unsigned w, h;

	(void)state;
	assert_non_null(p);
	memcpy(p, ftyp, sizeof(ftyp));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(vid_probe_mem(p, n, &w, &h), SE_PARSE);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec <= VID_DEADLINE_MS / 1000 + 1);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture),       cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_corrupt_sizes), cmocka_unit_test(test_not_video),
	    cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
