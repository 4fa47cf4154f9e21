/*
 * tests/fuzz/fuzz_username.c: libFuzzer target for uname_validate.
 * Invariants: it never reads past the input; it returns only SE_OK,
 * SE_INVAL or SE_InvalidUsername; an accepted name is 2 to 32 code points
 * of valid UTF-8 without ASCII punctuation other than "_.-" and is not
 * "admin"/"revolt" in any ASCII case.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/username.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	enum err rc = uname_validate(in);
	size_t cps = 0;

	if (rc != SE_OK && rc != SE_INVAL && rc != SE_InvalidUsername)
		abort();
	if (rc != SE_OK)
		return 0;
	for (size_t i = 0; i < size; i++) {
		if ((data[i] & 0xc0) != 0x80)
			cps++;
		if (data[i] < 0x80 &&
		    !((data[i] >= 'a' && data[i] <= 'z') || (data[i] >= 'A' && data[i] <= 'Z') ||
		      (data[i] >= '0' && data[i] <= '9') || data[i] == '_' || data[i] == '.' ||
		      data[i] == '-'))
			abort();
	}
	if (cps < UNAME_MIN || cps > UNAME_MAX)
		abort();
	if ((size == 5 && strncasecmp((const char *)data, "admin", 5) == 0) ||
	    (size == 6 && strncasecmp((const char *)data, "revolt", 6) == 0))
		abort();
	return 0;
}
