/*
 * core/fileio.c: whole-buffer writes for spool files, blobs, key files and
 * fetched media.
 */
#include "core/fileio.h"

#include <errno.h>
#include <unistd.h>

enum err fio_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return SE_IO;
		}
		c += w;
		n -= (size_t)w;
	}
	return SE_OK;
}
