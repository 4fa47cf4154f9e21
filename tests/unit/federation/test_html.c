/*
 * tests/unit/federation/test_html.c: remote HTML -> Revolt Markdown: what
 * Mastodon, Misskey, Akkoma, GoToSocial and snac send, and hostile input
 * (scripts, javascript:/data: links, injection of Revolt mentions and
 * formatting, deep nesting, entity bombs, NULs, bad UTF-8, limits, OOM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "federation/html.h"
#include "federation/markdown.h"
#include "messages/mentions.h"

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

/* The output never makes the message parser see a mention or a mass ping. */
static void assert_no_mentions(struct str md)
{
	struct msg_mentions m;

	assert_int_equal(msg_mentions_parse(md, &m), SE_OK);
	assert_int_equal(m.n_users, 0);
	assert_int_equal(m.n_roles, 0);
	assert_false(m.everyone);
	assert_false(m.online);
}

static void expect_opts(const char *html, const struct fhtml_opts *o, const char *want)
{
	struct buf b = BUF_INIT(1 << 20);
	struct err_info ei = ERR_INFO_INIT;

	assert_int_equal(fhtml_to_markdown_opts(str_from(html), o, &b, NULL, &ei), SE_OK);
	if (strcmp(buf_cstr(&b), want) != 0)
		print_error("html %s\n got  [%s]\n want [%s]\n", html, buf_cstr(&b), want);
	assert_string_equal(buf_cstr(&b), want);
	assert_true(utf8_valid(b.ptr ? b.ptr : "", b.len));
	buf_release(&b);
}

static void expect(const char *html, const char *want)
{
	expect_opts(html, NULL, want);
}

static void test_real_world(void **state)
{
	(void)state;
	/* Mastodon: mention h-card, link split in invisible spans, hashtag */
	expect("<p><span class=\"h-card\" translate=\"no\"><a "
	       "href=\"https://mastodon.social/@Gargron\" class=\"u-url mention\">@<span>Gargron</"
	       "span></a></span> look <a href=\"https://example.com/some/long/path\" "
	       "target=\"_blank\" rel=\"nofollow noopener noreferrer\"><span "
	       "class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/some/"
	       "lo</span><span class=\"invisible\">ng/path</span></a> <a "
	       "href=\"https://mastodon.social/tags/fediverse\" class=\"mention hashtag\" "
	       "rel=\"tag\">#<span>fediverse</span></a></p>",
	       "@Gargron@mastodon.social look <https://example.com/some/long/path> #fediverse");
	/* Misskey: full handle in the text, <br> line breaks, no <p> */
	expect("<p><a href=\"https://misskey.io/@syuilo\" class=\"u-url "
	       "mention\">@syuilo@misskey.io</a> "
	       "hello<br>second line<br><br>third</p>",
	       "@syuilo@misskey.io hello\nsecond line\n\nthird");
	/* Akkoma: data-user, custom emoji image with alt */
	expect("<span class=\"h-card\"><a class=\"u-url mention\" data-user=\"AbC\" "
	       "href=\"https://akko.example/users/lain\" rel=\"ugc\">@<span>lain</span></a></span> "
	       "nice <img class=\"emoji\" alt=\":blobcat:\" title=\":blobcat:\" "
	       "src=\"https://akko.example/emoji/blobcat.png\"/>",
	       "@lain@akko.example nice \\:blobcat:");
	/* GoToSocial: paragraphs, a link with different text */
	expect("<p>first</p><p>see <a href=\"https://gts.example/docs\" rel=\"nofollow noreferrer "
	       "noopener\" target=\"_blank\">the docs</a>.</p>",
	       "first\n\nsee [the docs](https://gts.example/docs).");
	/* snac: plain text with <br>, the mention link of a DM */
	expect("<p><a href=\"http://127.0.0.1:28102/bob\" class=\"u-url mention\">@bob</a> hi<br>"
	       "there</p>",
	       "@bob@127.0.0.1:28102 hi\nthere");
	expect("", "");
	expect("plain text & more", "plain text \\& more");
}

static void test_structure(void **state)
{
	(void)state;
	expect("<p>a <strong>b</strong> <b>c</b> <em>d</em> <i>e</i> <del>f</del> <s>g</s> "
	       "<u>h</u> <span>i</span></p>",
	       "a **b** **c** *d* *e* ~~f~~ ~~g~~ h i");
	expect("<p><b> </b><b>x </b>y</p>", "**x** y");
	expect("<p><b><b>nested</b></b></p>", "**nested**");
	expect("<blockquote><p>q1</p><p>q2</p></blockquote><p>after</p>", "> q1\n>\n> q2\n\nafter");
	expect("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>", "- a\n- b\n  - c");
	expect("<p>before</p><blockquote><p>q</p><blockquote><p>inner</p></blockquote></blockquote>"
	       "<p>after</p>",
	       "before\n\n> q\n>\n> > inner\n\nafter");
	expect("<ol start=\"3\"><li>x</li><li>y</li></ol>", "3. x\n4. y");
	expect("<ol start=\"junk\"><li>x</li></ol>", "1. x");
	expect("<h1>Title</h1><p>body</p>", "**Title**\n\nbody");
	expect("<pre><code>int a = 1;\nif (a &lt; 2) {}\n</code></pre><p>x</p>",
	       "```\nint a = 1;\nif (a < 2) {}\n```\n\nx");
	expect("<pre>a ``` b</pre>", "```\na ``\xe2\x80\x8b` b\n```");
	expect("<p>use <code>a`b</code> and <code>*x*</code><code>y</code></p>",
	       "use a\\`b and `*x*` `y`");
	expect("<blockquote><pre>q\ncode</pre></blockquote>", "> ```\n> q\n> code\n> ```");
	expect("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc");
	expect("<p>  lots   of\n\n  space  </p>", "lots of space");
	expect("<div>one</div><div>two</div>", "one\ntwo");
}

static void test_links(void **state)
{
	(void)state;
	expect("<a href=\"javascript:alert(1)\">js</a>", "js");
	expect("<a href=\" javascript:alert(1)\">js</a>", "js");
	expect("<a href=\"JAVASCRIPT:alert(1)\">js</a>", "js");
	expect("<a href=\"data:text/html;base64,PHNjcmlwdD4=\">d</a>", "d");
	expect("<a href=\"/relative\">rel</a> <a>none</a>", "rel none");
	expect("<a href=\"https://x.example/a(b)c d\">t</a>",
	       "[t](https://x.example/a%28b%29c%20d)");
	expect("<a href=\"https://x.example/\">x](javascript:y)</a>",
	       "[x\\](javascript:y)](https://x.example/)");
	expect("<a href=\"https://x.example/p\">https://x.example/p</a>", "<https://x.example/p>");
	expect("<a href=\"https://x.example/\"><img src=\"https://t.example/p.gif\"></a>",
	       "<https://x.example/>");
	/* a mention link that is no handle: its text */
	expect("<a href=\"https://x.example/@a\" class=\"mention\">two words</a>", "two words");
}

static void test_dropped(void **state)
{
	(void)state;
	expect("<script>alert(1)</script><p>x<script>bad()</script>y</p><style>p{}</style>", "xy");
	expect("<p>a<iframe src=\"https://evil.example\">inner</iframe>b</p>", "ab");
	expect("<p>a<img src=\"https://track.example/pixel.gif\" width=1 height=1>b</p>", "ab");
	expect("<p>a<svg><script>x</script><text>t</text></svg><math><mi>m</mi></math>b</p>", "ab");
	expect("<p>a<object data=x>o</object><embed src=y><noscript>n</noscript>b</p>", "ab");
	expect("<p>a<!-- <@01ABCDEFGHJKMNPQRSTVWXYZ01> -->b</p>", "ab");
	expect("<form><input value=v><button>btn</button><textarea>t</textarea></form>c", "c");
	expect("<p onclick=\"alert(1)\" style=\"color:red\">styled</p>", "styled");
	expect("<title>t</title><p>body</p>", "body");
}

static void test_injection(void **state)
{
	static const char *const cases[] = {
	    "<p>&lt;@01ABCDEFGHJKMNPQRSTVWXYZ01&gt; and &lt;%01ABCDEFGHJKMNPQRSTVWXYZ01&gt;</p>",
	    "<p>@everyone @online @EVERYONE</p>",
	    "<code>&lt;@01ABCDEFGHJKMNPQRSTVWXYZ01&gt; @everyone</code>",
	    "<pre>&lt;%01ABCDEFGHJKMNPQRSTVWXYZ01&gt;\n@online</pre>",
	    "<p>` <code>x</code> &lt;@01ABCDEFGHJKMNPQRSTVWXYZ01&gt;</p>",
	    "<a href=\"https://x.example/\" class=\"mention\">@everyone</a>",
	    "<p>&lt;<span>@01ABCDEFGHJKMNPQRSTVWXYZ01&gt;</span> @<b></b>every<i></i>one</p>",
	    "<p>\\ x \\ y &lt;@01ABCDEFGHJKMNPQRSTVWXYZ01&gt; [ @everyone</p>",
	    "<p>` x &lt;@01ABCDEFGHJKMNPQRSTVWXYZ01&gt;</p><pre>```</pre><p>@online</p>",
	};
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(1 << 16);

		assert_int_equal(fhtml_to_markdown(str_from(cases[i]), &b, &ei), SE_OK);
		assert_no_mentions(buf_str(&b));
		buf_release(&b);
	}
	expect("<p>**not bold** _no_ ~~no~~ !!no spoiler!! :01ABCDEFGHJKMNPQRSTVWXYZ01: $$x$$ "
	       "[l](u) |t|</p>",
	       "\\*\\*not bold\\*\\* \\_no\\_ \\~\\~no\\~\\~ \\!!no spoiler\\!! "
	       "\\:01ABCDEFGHJKMNPQRSTVWXYZ01: \\$\\$x\\$\\$ \\[l\\](u) \\|t\\|");
	expect("<p># not a heading</p><p>- not a list</p><p>1. not a list</p><p>&gt; no</p>",
	       "\\# not a heading\n\n\\- not a list\n\n1\\. not a list\n\n\\> no");
	expect("<p>## two</p><p>--- rule</p><p>+ plus</p><p>#tag -x +1</p>",
	       "\\## two\n\n\\--- rule\n\n\\+ plus\n\n#tag -x +1");
	expect("<p>&amp;amp; &amp;lt;</p>", "\\&amp; \\&lt;");
}

static bool mention_cb(void *ctx, const char *href, const char *handle, struct buf *out)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(handle, "alice_0042@solstice.example") == 0 &&
	    strcmp(href, "https://solstice.example/users/01ABCDEFGHJKMNPQRSTVWXYZ01") == 0) {
		buf_puts(out, "<@01ABCDEFGHJKMNPQRSTVWXYZ01>");
		return true;
	}
	return false;
}

static void test_mention_callback(void **state)
{
	int calls = 0;
	struct fhtml_opts o = {mention_cb, &calls, 0};

	(void)state;
	expect_opts(
	    "<p><span class=\"h-card\"><a "
	    "href=\"https://solstice.example/users/01ABCDEFGHJKMNPQRSTVWXYZ01\" class=\"u-url "
	    "mention\">@<span>alice_0042</span></a></span> hi <a href=\"https://o.example/@bob\" "
	    "class=\"u-url mention\">@bob</a></p>",
	    &o, "<@01ABCDEFGHJKMNPQRSTVWXYZ01> hi @bob@o.example");
	assert_int_equal(calls, 2);
}

static void test_limits(void **state)
{
	struct buf in = BUF_INIT(FHTML_INPUT_MAX + 16);
	struct buf b = BUF_INIT(1 << 20);
	struct err_info ei = ERR_INFO_INIT;
	struct fhtml_opts o = {NULL, NULL, 20};
	bool truncated = false;

	(void)state;
	/* 100,000 nested divs (no recursion; text past the depth cap dropped) */
	for (int i = 0; i < 100000; i++)
		buf_puts(&in, "<div>");
	buf_puts(&in, "deep");
	assert_int_equal(fhtml_to_markdown(buf_str(&in), &b, &ei), SE_OK);
	assert_true(utf8_valid(b.ptr ? b.ptr : "", b.len));
	/* nested quotes and lists: structure capped at FHTML_NEST_MAX */
	buf_reset(&in);
	buf_reset(&b);
	for (int i = 0; i < 60; i++)
		buf_puts(&in, "<blockquote><ul><li>");
	buf_puts(&in, "x");
	assert_int_equal(fhtml_to_markdown(buf_str(&in), &b, &ei), SE_OK);
	assert_non_null(strstr(buf_cstr(&b), "x"));
	assert_true(b.len < 200);
	/* too large */
	buf_reset(&in);
	for (size_t i = 0; i < FHTML_INPUT_MAX + 1; i++)
		buf_putc(&in, 'a');
	assert_int_equal(fhtml_to_markdown(buf_str(&in), &b, &ei), SE_TOO_LARGE);
	/* truncation at a character boundary, with an ellipsis */
	buf_reset(&b);
	assert_int_equal(fhtml_to_markdown_opts(STR_LIT("<p>h\xc3\xa9llo w\xc3\xb6rld, "
	                                                "this is long</p>"),
	                                        &o, &b, &truncated, &ei),
	                 SE_OK);
	assert_true(truncated);
	assert_true(b.len <= 20);
	assert_true(utf8_valid(b.ptr, b.len));
	assert_non_null(strstr(buf_cstr(&b), "\xe2\x80\xa6"));
	/* with a limit, a long input is cut, not refused */
	buf_reset(&b);
	buf_reset(&in);
	for (size_t i = 0; buf_err(&in) == SE_OK && in.len < FHTML_INPUT_MAX; i++)
		buf_puts(&in, "<p>a</p>");
	o.max_bytes = 10000;
	assert_int_equal(fhtml_to_markdown_opts(buf_str(&in), &o, &b, &truncated, &ei), SE_OK);
	assert_true(truncated);
	assert_true(b.len <= 10000);
	assert_non_null(strstr(buf_cstr(&b), "\xe2\x80\xa6"));
	/* cut input, short output: the ellipsis says so */
	buf_reset(&b);
	buf_reset(&in);
	buf_puts(&in, "<p>hi</p>");
	while (buf_err(&in) == SE_OK && in.len < FHTML_INPUT_MAX)
		buf_puts(&in, "<b></b>");
	o.max_bytes = 100;
	truncated = false;
	assert_int_equal(fhtml_to_markdown_opts(buf_str(&in), &o, &b, &truncated, &ei), SE_OK);
	assert_true(truncated);
	assert_string_equal(buf_cstr(&b), "hi\xe2\x80\xa6");
	buf_release(&in);
	/* the caller's buf maximum */
	{
		struct buf small = BUF_INIT(8);

		assert_int_equal(
		    fhtml_to_markdown(STR_LIT("<p>more than eight bytes</p>"), &small, &ei),
		    SE_TOO_LARGE);
		buf_release(&small);
	}
	buf_release(&b);
}

static void test_bytes(void **state)
{
	struct buf b = BUF_INIT(1 << 16);
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	{
		/* NULs, invalid UTF-8, surrogates, overlongs: U+FFFD, valid output */
		static const char bad[] = "a\0b\xff<p>\xc3(</p>\xed\xa0\x80\xc0\xaf";

		assert_int_equal(fhtml_to_markdown((struct str){bad, sizeof(bad) - 1}, &b, &ei),
		                 SE_OK);
		assert_true(utf8_valid(b.ptr, b.len));
		assert_non_null(strstr(buf_cstr(&b), "a\xef\xbf\xbd"
		                                     "b"));
	}
	/* entity bomb in an internal subset: not expanded */
	buf_reset(&b);
	assert_int_equal(
	    fhtml_to_markdown(
	        STR_LIT("<!DOCTYPE html [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
	                "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><p>&b;&b;&b;&b; &#0; "
	                "&#x110000; &nbsp;x</p><![CDATA[ <@01ABCDEFGHJKMNPQRSTVWXYZ01> ]]>"),
	        &b, &ei),
	    SE_OK);
	assert_true(utf8_valid(b.ptr, b.len));
	assert_null(strstr(buf_cstr(&b), "aaaaaaaaaa"));
	assert_no_mentions(buf_str(&b));
	/* unclosed tags */
	buf_reset(&b);
	assert_int_equal(
	    fhtml_to_markdown(STR_LIT("<p><b><i><a href=\"https://x.example/\">l"), &b, &ei),
	    SE_OK);
	assert_true(utf8_valid(b.ptr, b.len));
	buf_release(&b);
}

static void test_escape_text(void **state)
{
	struct buf b = BUF_INIT(256);

	(void)state;
	fhtml_escape_text(STR_LIT("*Bob* <@01ABCDEFGHJKMNPQRSTVWXYZ01> \xff"), &b);
	assert_string_equal(buf_cstr(&b),
	                    "\\*Bob\\* \\<\xe2\x80\x8b@01ABCDEFGHJKMNPQRSTVWXYZ01\\> \xef\xbf\xbd");
	buf_release(&b);
}

static void test_markdown_safe(void **state)
{
	struct buf b = BUF_INIT(1 << 16);
	struct err_info ei = ERR_INFO_INIT;
	bool truncated = true;

	(void)state;
	assert_int_equal(fhtml_markdown_safe(STR_LIT("**bold** \\<@01ABCDEFGHJKMNPQRSTVWXYZ01> "
	                                             "<%01ABCDEFGHJKMNPQRSTVWXYZ01> @everyone "
	                                             "@Online\n> quote\xff"),
	                                     0, &b, &truncated, &ei),
	                 SE_OK);
	assert_false(truncated);
	assert_string_equal(buf_cstr(&b), "**bold** \\<\xe2\x80\x8b@01ABCDEFGHJKMNPQRSTVWXYZ01> "
	                                  "<\xe2\x80\x8b%01ABCDEFGHJKMNPQRSTVWXYZ01> "
	                                  "@everyon\xe2\x80\x8b"
	                                  "e @Onlin\xe2\x80\x8b"
	                                  "e\n> "
	                                  "quote\xef\xbf\xbd");
	assert_no_mentions(buf_str(&b));
	buf_reset(&b);
	assert_int_equal(fhtml_markdown_safe(STR_LIT("0123456789abcdef"), 10, &b, &truncated, &ei),
	                 SE_OK);
	assert_true(truncated);
	assert_string_equal(buf_cstr(&b), "0123456\xe2\x80\xa6");
	buf_release(&b);
}

/* Solstice to Solstice: our own Note HTML comes back as the Markdown it was. */
static void test_round_trip(void **state)
{
	static const char md[] = "hi **bold** *it* `code` [link](https://x.example/a) "
	                         "https://y.example/b\n> quote line\n> two\n\n- a\n- b\n\n1. one\n"
	                         "2. two\n\n```\nx = 1;\n```\nend";
	struct buf h = BUF_INIT(1 << 16), m = BUF_INIT(1 << 16);
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(fmd_to_html(STR_LIT(md), &h, &ei), SE_OK);
	assert_int_equal(fhtml_to_markdown(buf_str(&h), &m, &ei), SE_OK);
	assert_string_equal(buf_cstr(&m), "hi **bold** *it* `code` [link](https://x.example/a) "
	                                  "<https://y.example/b>\n\n> quote line\n> two\n\n- a\n- "
	                                  "b\n\n1. one\n2. two\n\n```\nx = 1;\n```\n\nend");
	buf_release(&h);
	buf_release(&m);
}

static void test_oom(void **state)
{
	enum err rc = SE_NOMEM;
	unsigned long n;

	(void)state;
	for (n = 1; n < 500 && rc != SE_OK; n++) {
		struct buf b = BUF_INIT(1 << 16);
		struct err_info ei = ERR_INFO_INIT;

		mem_fail_at(n, 0);
		rc = fhtml_to_markdown(
		    STR_LIT("<p>hi <b>there</b> <a href=\"https://x.example/\" "
		            "class=\"mention\">@bob</a> <code>c</code></p><pre>p</pre>"),
		    &b, &ei);
		mem_fail_at(0, 0);
		assert_true(rc == SE_OK || rc == SE_NOMEM);
		buf_release(&b);
	}
	assert_int_equal(rc, SE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_world),  cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_links),       cmocka_unit_test(test_dropped),
	    cmocka_unit_test(test_injection),   cmocka_unit_test(test_mention_callback),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_escape_text), cmocka_unit_test(test_markdown_safe),
	    cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
