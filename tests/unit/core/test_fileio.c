/*
 * tests/unit/core/test_fileio.c: fio_write_all through a pipe bigger than
 * its buffer (short writes), and onto descriptors that cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"

#define BIG (1u << 20)

struct drain {
	int fd;
	size_t got;
	unsigned sum;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	unsigned char b[4096];
	ssize_t n;

	while ((n = read(d->fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			d->sum += b[i];
		d->got += (size_t)n;
	}
	return NULL;
}

static void test_pipe_short_writes(void **state)
{
	int p[2];
	unsigned char *buf = malloc(BIG);
	unsigned want = 0;
	struct drain d = {0, 0, 0};
	pthread_t t;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < BIG; i++) {
		buf[i] = (unsigned char)(i * 7u);
		want += buf[i];
	}
	assert_int_equal(pipe(p), 0);
	d.fd = p[0];
	assert_int_equal(pthread_create(&t, NULL, drain_main, &d), 0);
	/* 1 MiB into a 64 KiB pipe: the kernel takes it in pieces */
	assert_int_equal(fio_write_all(p[1], buf, BIG), SE_OK);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	assert_int_equal(d.got, BIG);
	assert_int_equal(d.sum, want);
	assert_int_equal(fio_write_all(-1, buf, 0), SE_OK); /* nothing to write */
	free(buf);
}

static void test_errors(void **state)
{
	int p[2], fd;

	(void)state;
	assert_int_equal(fio_write_all(-1, "x", 1), SE_IO);
	assert_int_equal(errno, EBADF);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fio_write_all(fd, "x", 1), SE_IO);
	close(fd);
	/* the reader is gone: EPIPE (SIGPIPE is ignored by the test support) */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(fio_write_all(p[1], "x", 1), SE_IO);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pipe_short_writes),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
