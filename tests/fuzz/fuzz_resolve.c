/*
 * tests/fuzz/fuzz_resolve.c: remote actor documents and WebFinger JRDs
 * through the resolver's validators (fres_actor_parse, fres_jrd_self),
 * both with and without plain http allowed.
 */
#include <stdint.h>

#include "core/jx.h"
#include "core/mem.h"
#include "federation/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	char user[128], disp[128], href[2048];
	json_t *v = NULL, *ap = NULL;

	jx_init();
	if (jx_parse((struct str){(const char *)data, size}, 1 << 20, &v, &ei) != SE_OK)
		return 0;
	for (int http = 0; http < 2; http++) {
		if (fres_actor_parse(v, "https://x.example/users/alice", 1, http != 0, &ap, user,
		                     disp, &ei) == SE_OK) {
			mem_free(jx_dump(ap));
			json_decref(ap);
			ap = NULL;
		}
		if (fres_jrd_self(v, http != 0, href, &ei) == SE_OK && !href[0])
			return 1;
	}
	json_decref(v);
	return 0;
}
