/*
 * tests/fuzz/fuzz_deliver.c: libFuzzer target for what delivery parses from
 * outside or from disk: Retry-After values (a peer's response header), queue
 * payloads and ap_hosts records. Invariants: parsed delays are within
 * [0, FDEL_RETRY_AFTER_CAP_MS]; a host record that parses renders and parses
 * back to the same state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jx.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct str in = {(const char *)data, size};
	struct fdel_item it;
	struct fhost_rec r, back;
	int64_t d = -1;

	if (!init) {
		jx_init();
		init = 1;
	}
	if (fdel_parse_retry_after(in, 784111777LL * 1000, &d) &&
	    (d < 0 || d > FDEL_RETRY_AFTER_CAP_MS))
		abort();
	if (fdel_item_decode(in, &it) == SE_OK &&
	    (it.did.n == 0 || it.inbox.n == 0 || it.act.n != 26 ||
	     memchr(it.inbox.p, '\n', it.inbox.n)))
		abort();
	if (fhost_rec_parse(in, &r) == SE_OK) {
		struct buf b = BUF_INIT(1 << 20);

		if (fhost_rec_render(&r, &b) != SE_OK ||
		    fhost_rec_parse(buf_str(&b), &back) != SE_OK)
			abort();
		if (strcmp(r.host, back.host) != 0 || r.n_days != back.n_days ||
		    r.unavailable != back.unavailable || r.scheme != back.scheme ||
		    memcmp(r.days, back.days, r.n_days * sizeof(r.days[0])) != 0)
			abort();
		buf_release(&b);
	}
	return 0;
}
