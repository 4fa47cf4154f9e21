/*
 * tests/fuzz/fuzz_cfg.c: libFuzzer target for the configuration file parser
 * (core/cfg.h cfg_parse_buffer). A document that parses must also survive
 * cfg_check, cfg_finalize_urls and a cfg_dump round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c = CFG_INIT, again = CFG_INIT;
	struct buf dump = BUF_INIT(1u << 20);
	enum err rc;

	cfg_init(&c);
	rc = cfg_parse_buffer(&c, "fuzz.conf", (const char *)data, size, &ei);
	if (rc) {
		/* every failure carries a message */
		if (strncmp(ei.detail, "config: ", 8) != 0)
			__builtin_trap();
		goto out;
	}
	if (cfg_check(&c, &ei) && strncmp(ei.detail, "config: ", 8) != 0)
		__builtin_trap();
	cfg_dump(&c, &dump);
	/* the dump of a parsed file parses again (secrets are masked, so skip them) */
	if (!buf_err(&dump) && !*c.captcha.hcaptcha_key && !*c.smtp.password) {
		cfg_init(&again);
		/* quotes and " = " may push a line near the limit over it */
		if (cfg_parse_buffer(&again, "dump", dump.ptr, dump.len, &ei) &&
		    !strstr(ei.detail, "line longer than"))
			__builtin_trap();
	}
	if (cfg_finalize_urls(&c, "127.0.0.1:1", "[::1]:2", &ei) &&
	    strncmp(ei.detail, "config: ", 8) != 0)
		__builtin_trap();
out:
	buf_release(&dump);
	cfg_release(&again);
	cfg_release(&c);
	return 0;
}
