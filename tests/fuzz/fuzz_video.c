/*
 * tests/fuzz/fuzz_video.c: libFuzzer target for the video probe
 * (files/video.h) over its in-memory AVIOContext. Invariants: the probe
 * answers SE_OK with both sides in 1..VID_MAX_SIDE, or SE_PARSE/SE_NOMEM;
 * nothing else, no crash, no leak.
 */
#include <stdint.h>
#include <stdlib.h>

#include "files/video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned w = 0, h = 0;
	enum err rc = vid_probe_mem(data, size, &w, &h);

	if (rc == SE_OK && (w == 0 || h == 0 || w > VID_MAX_SIDE || h > VID_MAX_SIDE))
		abort();
	if (rc != SE_OK && rc != SE_PARSE && rc != SE_NOMEM)
		abort();
	return 0;
}
