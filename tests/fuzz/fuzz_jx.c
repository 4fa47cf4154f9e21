/*
 * tests/fuzz/fuzz_jx.c: JSON request bodies through jx_parse and the typed
 * getters (every route's body goes through here first).
 */
#include <stdint.h>

#include "core/jx.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	json_t *v = NULL;
	struct str s;
	int64_t n;
	bool b;

	if (jx_parse((struct str){(const char *)data, size}, 1 << 20, &v, &ei) == SE_OK) {
		(void)jx_get_str(v, "content", &s, &ei);
		(void)jx_get_int(v, "limit", &n, &ei);
		(void)jx_get_bool(v, "nsfw", &b, &ei);
		mem_free(jx_dump(v));
		json_decref(v);
	}
	return 0;
}
