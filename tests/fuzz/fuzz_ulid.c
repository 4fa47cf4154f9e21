/*
 * tests/fuzz/fuzz_ulid.c: libFuzzer target for ulid_parse. Invariant: a
 * string parses iff it is the canonical encoding of the parsed value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ulid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct ulid u;
	char txt[ULID_LEN + 1];

	if (ulid_parse(in, &u, NULL) != SE_OK)
		return 0;
	ulid_encode(&u, txt);
	if (size != ULID_LEN || memcmp(txt, data, ULID_LEN) != 0)
		abort();
	if (ulid_time_ms(&u) > ULID_TIME_MAX)
		abort();
	return 0;
}
