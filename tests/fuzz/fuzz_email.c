/*
 * tests/fuzz/fuzz_email.c: libFuzzer target for email_validate and
 * email_normalise. Invariants: neither reads past the input; an accepted
 * address has exactly one '@' and normalises; normalising is idempotent on
 * accepted addresses whose local part survives ("+x@y.z" becomes "@y.z",
 * which authifier's regex no longer matches); a rejection always names the
 * "email" field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/email.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct err_info ei = ERR_INFO_INIT;
	struct buf a = BUF_INIT(4 * EMAIL_NORMALISE_MAX), b = BUF_INIT(4 * EMAIL_NORMALISE_MAX);
	enum err rc = email_validate(in, &ei);
	enum err nrc = email_normalise(in, &a);

	if (nrc != SE_OK && nrc != SE_INVAL && nrc != SE_TOO_LARGE)
		abort();
	if (nrc == SE_OK && a.len > 2 * size)
		abort();
	if (rc != SE_OK) {
		if (rc != SE_IncorrectData || !ei.with || strcmp(ei.with, "email") != 0)
			abort();
		goto out;
	}
	if (size > EMAIL_MAX || !memchr(data, '@', size) ||
	    memchr(data, '@', size) != memrchr(data, '@', size))
		abort();
	if (nrc != SE_OK)
		abort();
	if (a.ptr[0] == '@')
		goto out;
	if (email_normalise(buf_str(&a), &b) != SE_OK || a.len != b.len ||
	    memcmp(a.ptr, b.ptr, a.len) != 0)
		abort();
out:
	buf_release(&a);
	buf_release(&b);
	return 0;
}
