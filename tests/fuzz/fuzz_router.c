/*
 * tests/fuzz/fuzz_router.c: arbitrary request paths against the real route
 * table, plus the /api/0.8 alias and CORS pipeline in api_handle.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str params[LIM_ROUTE_PARAMS];
	static struct route table[API_ROUTES_MAX];
	static size_t n;
	const struct route *r = NULL;
	size_t np = 0;
	unsigned allow;
	struct str path = {(const char *)data, size};

	if (n == 0 && api_routes_build(table, API_ROUTES_MAX, &n, NULL))
		return 0;
	for (int m = 0; m < HTTP_METHOD__COUNT; m++) {
		if (router_match(table, n, (enum http_method)m, path, &r, params, &np, &allow) ==
		    ROUTER_MATCH) {
			for (size_t i = 0; i < np; i++)
				if (params[i].p < path.p ||
				    params[i].p + params[i].n > path.p + path.n)
					__builtin_trap();
		}
	}
	return 0;
}
