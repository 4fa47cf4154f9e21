/*
 * tests/fuzz/fuzz_markdown.c: local Markdown through fmd_to_html_opts and
 * fmd_to_text. Aborts when the HTML holds a tag or attribute the renderer
 * must never emit, or a link that is not http(s)/mailto.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "federation/markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool user(void *ctx, struct str id, const char **url, const char **handle)
{
	(void)ctx;
	if (id.p[0] == '0') {
		*url = "https://x.example/users/1";
		*handle = "alice";
		return true;
	}
	if (id.p[0] == '1') {
		*url = "javascript:alert(1)";
		*handle = "<x\">";
		return true;
	}
	return false;
}

static bool emoji(void *ctx, struct str id, const char **name)
{
	(void)ctx;
	(void)id;
	*name = "<b>&";
	return true;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

static bool has_prefix_nocase(const char *p, const char *prefix)
{
	for (; *prefix; p++, prefix++)
		if (*p == '\0' || (*p | 0x20) != (*prefix | 0x20))
			return false;
	return true;
}

static void check_html(const char *h)
{
	static const char *const tags[] = {
	    "p",           "/p", "br",  "a",    "/a",    "span", "/span", "strong",
	    "/strong",     "em", "/em", "code", "/code", "pre",  "/pre",  "blockquote",
	    "/blockquote", "ul", "/ul", "ol",   "/ol",   "li",   "/li",   "hr",
	};

	for (const char *p = strchr(h, '<'); p; p = strchr(p + 1, '<')) {
		size_t n = strcspn(p + 1, " >");
		bool ok = false;
		const char *a = p + 1 + n;

		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			ok = ok || word_is(p + 1, n, tags[i]);
		if (!ok)
			abort();
		while (*a == ' ') {
			size_t an = strcspn(a + 1, "=");
			const char *v = a + 1 + an;

			if (!(word_is(a + 1, an, "href") || word_is(a + 1, an, "class") ||
			      word_is(a + 1, an, "rel") || word_is(a + 1, an, "start")))
				abort();
			if (v[0] != '=' || v[1] != '"')
				abort();
			if (word_is(a + 1, an, "href") && !has_prefix_nocase(v + 2, "http://") &&
			    !has_prefix_nocase(v + 2, "https://") &&
			    !has_prefix_nocase(v + 2, "mailto:"))
				abort();
			a = strchr(v + 2, '"');
			if (!a)
				abort();
			a++;
		}
		if (*a != '>')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmd_opts o = {user, emoji, NULL};
	struct err_info ei = ERR_INFO_INIT;
	struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
	struct str md = {(const char *)data, size};

	if (fmd_to_html_opts(md, &o, &b, &ei) == SE_OK) {
		if (memchr(b.ptr ? b.ptr : "", '\0', b.len))
			abort();
		check_html(buf_cstr(&b));
	}
	buf_reset(&b);
	if (fmd_to_text(md, &o, &b, &ei) == SE_OK && b.len > 0 && memchr(b.ptr, '\0', b.len))
		abort();
	buf_release(&b);
	return 0;
}
