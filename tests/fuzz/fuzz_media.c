/*
 * tests/fuzz/fuzz_media.c: libFuzzer target for the filename a remote
 * avatar, banner or Note attachment gets from its URL (federation/media.h
 * fmedia_filename_of). Input: the URL (cut at the first NUL). Invariants:
 * the name is not empty, at most LIM_UPLOAD_FILENAME bytes, valid UTF-8,
 * and has no '/', '\\' or control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "federation/media.h"
#include "files/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf name = BUF_INIT(LIM_UPLOAD_FILENAME + 8);
	struct sniff_utf8 u8 = SNIFF_UTF8_INIT;
	char *url = xmalloc(size + 1);

	memcpy(url, data, size);
	url[size] = '\0';
	if (fmedia_filename_of(url, &name) == SE_OK) {
		if (name.len == 0 || name.len > LIM_UPLOAD_FILENAME)
			abort();
		for (size_t i = 0; i < name.len; i++) {
			unsigned char c = (unsigned char)name.ptr[i];

			if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
				abort();
		}
		sniff_utf8_feed(&u8, name.ptr, name.len);
		if (!sniff_utf8_ok(&u8))
			abort();
	}
	buf_release(&name);
	mem_free(url);
	return 0;
}
