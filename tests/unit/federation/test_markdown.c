/*
 * tests/unit/federation/test_markdown.c: Revolt Markdown -> HTML for Notes:
 * formatting, mentions, emoji, autolinks, and hostile input (raw HTML,
 * javascript: links, deep nesting, bad UTF-8, NULs, sizes, OOM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "federation/markdown.h"

#define ALICE "01HZZZZZZZZZZZZZZZZZZZZZZA"
#define EVIL "01HZZZZZZZZZZZZZZZZZZZZZZE"
#define EMOJI "01HEEEEEEEEEEEEEEEEEEEEEEE"

static bool resolve_user(void *ctx, struct str id, const char **url, const char **handle)
{
	int *calls = ctx;

	(*calls)++;
	if (str_eq_cstr(id, ALICE)) {
		*url = "https://solstice.example/users/" ALICE;
		*handle = "alice_0042";
		return true;
	}
	if (str_eq_cstr(id, EVIL)) {
		*url = "javascript:alert(1)";
		*handle = "<b>evil</b>";
		return true;
	}
	return false;
}

static bool resolve_emoji(void *ctx, struct str id, const char **name)
{
	(void)ctx;
	if (str_eq_cstr(id, EMOJI)) {
		*name = "party_blob";
		return true;
	}
	return false;
}

static int g_calls;
static const struct fmd_opts g_opts = {resolve_user, resolve_emoji, &g_calls};

/* Every tag is one we emit, with only our attributes; no javascript:. */
static bool html_is_safe(const char *h)
{
	static const char *const allowed[] = {
	    "p",       "/p", "br",  "a",    "/a",    "span",       "/span",       "strong",
	    "/strong", "em", "/em", "code", "/code", "pre",        "/pre",        "ul",
	    "/ul",     "ol", "/ol", "li",   "/li",   "blockquote", "/blockquote", "hr",
	};
	const char *p = h;

	if (strstr(h, "javascript:") || strstr(h, "data:"))
		return false;
	while ((p = strchr(p, '<')) != NULL) {
		size_t n = strcspn(p + 1, " >");
		bool ok = false;
		const char *end = strchr(p, '>');

		if (!end)
			return false;
		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strlen(allowed[i]) == n && strncmp(allowed[i], p + 1, n) == 0)
				ok = true;
		if (!ok)
			return false;
		/* attributes: only href, class, rel, start */
		for (const char *a = p + 1 + n; a < end; a++) {
			if (*a != ' ')
				continue;
			if (strncmp(a + 1, "href=\"", 6) != 0 &&
			    strncmp(a + 1, "class=\"", 7) != 0 &&
			    strncmp(a + 1, "rel=\"", 5) != 0 && strncmp(a + 1, "start=\"", 7) != 0)
				return false;
			a = strchr(a + 1, '"');
			a = a ? strchr(a + 1, '"') : NULL;
			if (!a || a > end)
				return false;
		}
		p = end + 1;
	}
	return true;
}

static bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
		if (k == 0 || c > 0xf4)
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || ((unsigned char)s[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static char *html(const char *md, const struct fmd_opts *o)
{
	struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
	struct err_info ei = ERR_INFO_INIT;
	char *got;

	assert_int_equal(fmd_to_html_opts(str_from(md), o, &b, &ei), SE_OK);
	assert_true(html_is_safe(buf_cstr(&b)));
	got = xstrdup(buf_cstr(&b));
	buf_release(&b);
	return got;
}

static void expect(const char *md, const struct fmd_opts *o, const char *want)
{
	char *got = html(md, o);

	if (strcmp(got, want) != 0)
		print_error("md %s\n got  %s\n want %s\n", md, got, want);
	assert_string_equal(got, want);
	mem_free(got);
}

static void test_basic(void **state)
{
	(void)state;
	expect("hello", NULL, "<p>hello</p>");
	expect("", NULL, "");
	expect("a\nb", NULL, "<p>a<br>b</p>");
	expect("a\n\nb", NULL, "<p>a</p><p>b</p>");
	expect("**b** *i* _j_ `c<d>`", NULL,
	       "<p><strong>b</strong> <em>i</em> <em>j</em> <code>c&lt;d&gt;</code></p>");
	expect("# Title", NULL, "<p><strong>Title</strong></p>");
	expect("> quoted\n\nnot", NULL, "<blockquote><p>quoted</p></blockquote><p>not</p>");
	expect("- a\n- b", NULL, "<ul><li>a</li><li>b</li></ul>");
	expect("3. c\n4. d", NULL, "<ol start=\"3\"><li>c</li><li>d</li></ol>");
	expect("```\nx < y && \"z\"\n```", NULL,
	       "<pre><code>x &lt; y &amp;&amp; &quot;z&quot;\n</code></pre>");
	expect("Tom & Jerry's \"show\"", NULL, "<p>Tom &amp; Jerry&#39;s &quot;show&quot;</p>");
	expect("!!spoiler!! ~~strike~~", NULL, "<p>!!spoiler!! ~~strike~~</p>");
	expect("---", NULL, "<hr>");
}

static void test_links(void **state)
{
	(void)state;
	expect("[site](https://a.example/x?y=1&z=2)", NULL,
	       "<p><a href=\"https://a.example/x?y=1&amp;z=2\" rel=\"nofollow noopener "
	       "noreferrer\">site</a></p>");
	expect("[x](javascript:alert(1))", NULL, "<p>x</p>");
	expect("[x](JaVaScRiPt:alert(1))", NULL, "<p>x</p>");
	expect("[x](data:text/html;base64,PHNjcmlwdD4=)", NULL, "<p>x</p>");
	expect("[x](vbscript:msgbox)", NULL, "<p>x</p>");
	expect("[x](/relative)", NULL, "<p>x</p>");
	expect("[x](<https://a.example/a b>)", NULL,
	       "<p><a href=\"https://a.example/a%20b\" rel=\"nofollow noopener "
	       "noreferrer\">x</a></p>");
	expect(
	    "[mail](mailto:a@b.example)", NULL,
	    "<p><a href=\"mailto:a@b.example\" rel=\"nofollow noopener noreferrer\">mail</a></p>");
	expect("![alt](https://img.example/p.png)", NULL,
	       "<p><a href=\"https://img.example/p.png\" rel=\"nofollow noopener "
	       "noreferrer\">alt</a></p>");
	expect("![alt](javascript:x)", NULL, "<p>alt</p>");
	/* bare URLs: trailing punctuation stays outside, balanced parens inside */
	expect("see https://w.example/a_(b). ok", NULL,
	       "<p>see <a href=\"https://w.example/a_(b)\" rel=\"nofollow noopener "
	       "noreferrer\">https://w.example/a_(b)</a>. ok</p>");
	expect("(https://w.example/x)", NULL,
	       "<p>(<a href=\"https://w.example/x\" rel=\"nofollow noopener "
	       "noreferrer\">https://w.example/x</a>)</p>");
	expect("https://w.example/a)))!", NULL,
	       "<p><a href=\"https://w.example/a\" rel=\"nofollow noopener "
	       "noreferrer\">https://w.example/a</a>)))!</p>");
	expect("xhttps://no.example", NULL, "<p>xhttps://no.example</p>");
	expect("https://", NULL, "<p>https://</p>");
	/* no autolink inside a link or code */
	expect("[https://a.example](https://b.example)", NULL,
	       "<p><a href=\"https://b.example\" rel=\"nofollow noopener "
	       "noreferrer\">https://a.example</a></p>");
	expect("`https://a.example`", NULL, "<p><code>https://a.example</code></p>");
}

static void test_raw_html(void **state)
{
	char *got;

	(void)state;
	expect("<script>alert(1)</script>", NULL, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	expect("a <img src=x onerror=alert(1)> b", NULL,
	       "<p>a &lt;img src=x onerror=alert(1)&gt; b</p>");
	got = html("<div onclick=\"x\">\n<style>body{}</style>\n</div>\n\n<iframe src=y>", NULL);
	assert_null(strstr(got, "<div"));
	assert_null(strstr(got, "<style"));
	assert_null(strstr(got, "<iframe"));
	mem_free(got);
	got = html("[a](https://x.example/\"onmouseover=\"alert(1))", NULL);
	assert_null(strstr(got, "\"onmouseover"));
	mem_free(got);
}

static void test_mentions(void **state)
{
	(void)state;
	g_calls = 0;
	expect("hi <@" ALICE ">!", &g_opts,
	       "<p>hi <span class=\"h-card\"><a href=\"https://solstice.example/users/" ALICE
	       "\" class=\"u-url mention\">@<span>alice_0042</span></a></span>!</p>");
	assert_int_equal(g_calls, 1);
	/* unknown user, no resolver, bad resolver URL: text */
	expect("<@01HZZZZZZZZZZZZZZZZZZZZZZU>", &g_opts,
	       "<p>&lt;@01HZZZZZZZZZZZZZZZZZZZZZZU&gt;</p>");
	expect("<@" ALICE ">", NULL, "<p>&lt;@" ALICE "&gt;</p>");
	expect("<@" EVIL ">", &g_opts, "<p>&lt;@" EVIL "&gt;</p>");
	/* role and channel mentions, lower case and short ids are not mentions */
	expect("<%" ALICE "> <#" ALICE ">", &g_opts,
	       "<p>&lt;%" ALICE "&gt; &lt;#" ALICE "&gt;</p>");
	g_calls = 0;
	expect("<@01hzzzzzzzzzzzzzzzzzzzzzza> <@ABC>", &g_opts,
	       "<p>&lt;@01hzzzzzzzzzzzzzzzzzzzzzza&gt; &lt;@ABC&gt;</p>");
	assert_int_equal(g_calls, 0);
	/* not in code */
	expect("`<@" ALICE ">`", &g_opts, "<p><code>&lt;@" ALICE "&gt;</code></p>");
	/* inside a link: no nested anchor */
	expect("[<@" ALICE ">](https://x.example)", &g_opts,
	       "<p><a href=\"https://x.example\" rel=\"nofollow noopener "
	       "noreferrer\">@alice_0042</a></p>");
	/* emphasis around a mention */
	expect("**<@" ALICE ">**", &g_opts,
	       "<p><strong><span class=\"h-card\"><a href=\"https://solstice.example/users/" ALICE
	       "\" class=\"u-url mention\">@<span>alice_0042</span></a></span></strong></p>");
}

static void test_emoji(void **state)
{
	(void)state;
	expect("yay :" EMOJI ": :smile:", &g_opts, "<p>yay :party_blob: :smile:</p>");
	expect(":" EMOJI ":", NULL, "<p>:" EMOJI ":</p>");
	expect(":01HZZZZZZZZZZZZZZZZZZZZZZQ:", &g_opts, "<p>:01HZZZZZZZZZZZZZZZZZZZZZZQ:</p>");
}

static void test_text(void **state)
{
	struct buf b = BUF_INIT(4096);
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(fmd_to_text(STR_LIT("**Hi** <@" ALICE ">\n\n[site](https://a.example) "
	                                     "`x`\n- one\n- two"),
	                             &g_opts, &b, &ei),
	                 SE_OK);
	assert_string_equal(buf_cstr(&b), "Hi @alice_0042\nsite x\n- one\n- two");
	buf_release(&b);
}

static void test_hostile(void **state)
{
	struct buf in = BUF_INIT(FMD_INPUT_MAX + 10);
	struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
	struct err_info ei = ERR_INFO_INIT;
	size_t opened = 0;
	const char *p;

	(void)state;
	/* 10,000 nested quotes: flattened past FMD_NEST_MAX, no recursion */
	for (int i = 0; i < 10000; i++)
		buf_puts(&in, "> ");
	buf_puts(&in, "deep");
	assert_int_equal(fmd_to_html(buf_str(&in), &b, &ei), SE_OK);
	for (p = buf_cstr(&b); (p = strstr(p, "<blockquote>")) != NULL; p++)
		opened++;
	assert_int_equal(opened, FMD_NEST_MAX);
	assert_non_null(strstr(buf_cstr(&b), "deep"));
	assert_true(html_is_safe(buf_cstr(&b)));
	/* nested emphasis and brackets */
	buf_reset(&in);
	buf_reset(&b);
	for (int i = 0; i < 3000; i++)
		buf_puts(&in, "*[");
	assert_int_equal(fmd_to_html(buf_str(&in), &b, &ei), SE_OK);
	assert_true(html_is_safe(buf_cstr(&b)));
	/* too large */
	buf_reset(&in);
	buf_reset(&b);
	for (size_t i = 0; i < FMD_INPUT_MAX + 1; i++)
		buf_putc(&in, 'a');
	assert_int_equal(fmd_to_html(buf_str(&in), &b, &ei), SE_TOO_LARGE);
	/* NUL and invalid UTF-8 become U+FFFD */
	buf_reset(&b);
	assert_int_equal(fmd_to_html((struct str){"a\0b\xff\xc3(\xed\xa0\x80z", 10}, &b, &ei),
	                 SE_OK);
	assert_true(utf8_valid(b.ptr, b.len));
	assert_non_null(strstr(buf_cstr(&b), "\xef\xbf\xbd"));
	buf_release(&b);
	/* output over the caller's maximum */
	{
		struct buf small = BUF_INIT(16);

		assert_int_equal(fmd_to_html(STR_LIT("a long paragraph of text here"), &small, &ei),
		                 SE_TOO_LARGE);
		buf_release(&small);
	}
	buf_release(&in);
}

static void test_oom(void **state)
{
	enum err rc = SE_NOMEM;

	(void)state;
	for (unsigned long n = 1; n < 200 && rc != SE_OK; n++) {
		struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
		struct err_info ei = ERR_INFO_INIT;

		mem_fail_at(n, 0);
		rc = fmd_to_html_opts(STR_LIT("hi **there** <@" ALICE "> https://x.example"),
		                      &g_opts, &b, &ei);
		mem_fail_at(0, 0);
		assert_true(rc == SE_OK || rc == SE_NOMEM);
		if (rc == SE_OK)
			assert_non_null(strstr(buf_cstr(&b), "alice_0042"));
		buf_release(&b);
	}
	assert_int_equal(rc, SE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_raw_html), cmocka_unit_test(test_mentions),
	    cmocka_unit_test(test_emoji),    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_hostile),  cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
