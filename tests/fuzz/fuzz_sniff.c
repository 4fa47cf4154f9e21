/*
 * tests/fuzz/fuzz_sniff.c: libFuzzer target for the sniff/metadata step of
 * an Autumn upload (files/sniff.h, files/image.h). Input: a filename up to
 * the first '\n', then the file. Invariants: sniff_mime always answers a
 * NUL-terminated type; the UTF-8 verdict does not depend on how the bytes
 * are split; an image header is probed without decoding pixels and never
 * yields sizes beyond the limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "files/image.h"
#include "files/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	struct str name = nl ? (struct str){(const char *)data, (size_t)(nl - data)} : STR_LIT("f");
	const uint8_t *body = nl ? nl + 1 : data;
	size_t n = size - (size_t)(body - data);
	struct sniff_utf8 a = SNIFF_UTF8_INIT, b = SNIFF_UTF8_INIT;
	char mime[FILE_MIME_MAX];
	unsigned w = 0, h = 0;
	int fd;

	sniff_utf8_feed(&a, body, n);
	for (size_t i = 0; i < n; i += 7)
		sniff_utf8_feed(&b, body + i, n - i < 7 ? n - i : 7);
	if (sniff_utf8_ok(&a) != sniff_utf8_ok(&b))
		abort();
	sniff_mime((struct str){(const char *)body, n}, sniff_utf8_ok(&a), name, mime);
	if (strnlen(mime, FILE_MIME_MAX) == FILE_MIME_MAX || mime[0] == '\0')
		abort();
	(void)sniff_is_blocked(mime);
	if (sniff_meta_kind(mime) != FILE_META_IMAGE)
		return 0;
	fd = memfd_create("fuzz_sniff", 0);
	if (fd < 0)
		return 0;
	if (write(fd, body, n) == (ssize_t)n && img_probe(fd, &w, &h) == SE_OK &&
	    ((uint64_t)w * h > IMG_MAX_PIXELS * 2 || w == 0 || h == 0))
		abort();
	close(fd);
	return 0;
}
