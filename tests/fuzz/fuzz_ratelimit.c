/*
 * tests/fuzz/fuzz_ratelimit.c: arbitrary paths through the delta and autumn
 * bucket classifiers for every method. The resource must be a slice of the
 * input (or the static "report"), and the bucket in range.
 */
#include <stdint.h>
#include <string.h>

#include "http/ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct rl_key_parts *kp, struct str path)
{
	if ((unsigned)kp->bucket >= RL_BUCKET__COUNT || !kp->name ||
	    strcmp(kp->name, rl_bucket_name(kp->bucket)) != 0)
		__builtin_trap();
	if (!kp->resource.n)
		return;
	if (kp->bucket == RL_B_SAFETY_REPORT && str_eq_cstr(kp->resource, "report"))
		return;
	if (kp->resource.p < path.p || kp->resource.p + kp->resource.n > path.p + path.n)
		__builtin_trap();
	if (memchr(kp->resource.p, '/', kp->resource.n))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str path = {(const char *)data, size};
	struct rl_key_parts kp;

	for (int m = 0; m < HTTP_METHOD__COUNT; m++) {
		rl_classify((enum http_method)m, path, &kp);
		check(&kp, path);
		if (kp.bucket == RL_B_UPLOAD || kp.bucket == RL_B_UNLIMITED)
			__builtin_trap();
		rl_classify_autumn((enum http_method)m, path, &kp);
		check(&kp, path);
		if (kp.bucket != RL_B_UPLOAD && kp.bucket != RL_B_UNLIMITED)
			__builtin_trap();
	}
	return 0;
}
