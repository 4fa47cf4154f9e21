/*
 * tests/fuzz/fuzz_wire.c: msgpack client frames through wire_msgpack_to_json
 * (format=msgpack sockets), and every accepted value back to msgpack: the
 * second conversion must succeed and decode to the same JSON.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "gateway/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	struct buf js = BUF_INIT(1 << 22), mp = BUF_INIT(1 << 22), js2 = BUF_INIT(1 << 22);

	if (wire_msgpack_to_json((struct str){(const char *)data, size}, &js, &ei) == SE_OK &&
	    wire_json_to_msgpack(buf_str(&js), &mp, &ei) == SE_OK &&
	    wire_msgpack_to_json(buf_str(&mp), &js2, &ei) == SE_OK) {
		if (js.len != js2.len || memcmp(js.ptr, js2.ptr, js.len) != 0)
			__builtin_trap();
	}
	buf_release(&js);
	buf_release(&mp);
	buf_release(&js2);
	return 0;
}
