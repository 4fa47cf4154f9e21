/*
 * tests/fuzz/fuzz_html.c: remote HTML through fhtml_to_markdown_opts.
 * Aborts when the Markdown is not valid UTF-8, holds a NUL, exceeds the
 * truncation limit, or makes the message parser see a mention or a mass
 * ping that the sanitiser should have escaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/html.h"
#include "messages/mentions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool utf8_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (k == 0 || c > 0xf4)
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || ((unsigned char)s[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static bool mention(void *ctx, const char *href, const char *handle, struct buf *out)
{
	(void)ctx;
	(void)href;
	/* a local user: the one replacement allowed to be a real mention */
	if (strcmp(handle, "alice@x.example") == 0) {
		buf_puts(out, "<@01ABCDEFGHJKMNPQRSTVWXYZ01>");
		return true;
	}
	return false;
}

static void check(const struct buf *b, size_t limit, bool callback)
{
	struct msg_mentions m;

	if (!utf8_ok(b->ptr ? b->ptr : "", b->len))
		abort();
	if (limit && b->len > limit)
		abort();
	if (msg_mentions_parse(buf_str(b), &m) != SE_OK)
		return;
	if (m.everyone || m.online || m.n_roles > 0)
		abort();
	if (m.n_users > (callback ? 1u : 0u))
		abort();
	if (m.n_users == 1 && memcmp(m.users[0], "01ABCDEFGHJKMNPQRSTVWXYZ01", 26) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct err_info ei = ERR_INFO_INIT;
	struct buf b = BUF_INIT(1 << 22);
	struct fhtml_opts o = {mention, NULL, 0};
	bool truncated;

	if (fhtml_to_markdown(in, &b, &ei) == SE_OK)
		check(&b, 0, false);
	buf_reset(&b);
	o.max_bytes = size % 64 + 1;
	if (fhtml_to_markdown_opts(in, &o, &b, &truncated, &ei) == SE_OK)
		check(&b, o.max_bytes, true);
	buf_reset(&b);
	if (fhtml_markdown_safe(in, size % 32, &b, &truncated, &ei) == SE_OK)
		check(&b, size % 32, false);
	buf_reset(&b);
	fhtml_escape_text(in, &b);
	check(&b, 0, false);
	buf_release(&b);
	return 0;
}
