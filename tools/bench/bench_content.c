/*
 * tools/bench/bench_content.c: cost per call of the federation content
 * path, one thread: as2_parse_activity on a Mastodon Create{Note} (next to
 * the json_loads of the same body, the baseline measured in the same run),
 * fhtml_to_markdown on its HTML content, fhtml_to_markdown on a 100 KB
 * long-form post, and fmd_to_html on a typical chat message.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "federation/as2.h"
#include "federation/html.h"
#include "federation/markdown.h"

#define RUN_NS 1000000000L

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static volatile size_t sink;

static const char create[] =
    "{\"@context\":[\"https://www.w3.org/ns/activitystreams\",{\"toot\":\"http://joinmastodon."
    "org/ns#\",\"Emoji\":\"toot:Emoji\",\"sensitive\":\"as:sensitive\"}],\"id\":\"https://"
    "mastodon.example/users/alice/statuses/1/activity\",\"type\":\"Create\",\"actor\":\"https:"
    "//mastodon.example/users/alice\",\"published\":\"2024-05-01T10:00:00Z\",\"to\":[\"https://"
    "www.w3.org/ns/activitystreams#Public\"],\"cc\":[\"https://mastodon.example/users/alice/"
    "followers\",\"https://solstice.example/users/01HZZZZZZZZZZZZZZZZZZZZZZB\"],\"object\":{"
    "\"id\":\"https://mastodon.example/users/alice/statuses/1\",\"type\":\"Note\",\"summary\":"
    "null,\"inReplyTo\":null,\"published\":\"2024-05-01T10:00:00Z\",\"url\":\"https://"
    "mastodon.example/@alice/1\",\"attributedTo\":\"https://mastodon.example/users/alice\","
    "\"to\":[\"https://www.w3.org/ns/activitystreams#Public\"],\"cc\":[\"https://"
    "solstice.example/users/01HZZZZZZZZZZZZZZZZZZZZZZB\"],\"sensitive\":false,\"content\":\"<p>"
    "<span class=\\\"h-card\\\"><a href=\\\"https://solstice.example/users/"
    "01HZZZZZZZZZZZZZZZZZZZZZZB\\\" class=\\\"u-url mention\\\">@<span>bob</span></a></span> "
    "have you seen <a href=\\\"https://example.com/some/long/path\\\" rel=\\\"nofollow noopener "
    "noreferrer\\\"><span class=\\\"invisible\\\">https://</span><span class=\\\"ellipsis\\\">"
    "example.com/some/lo</span><span class=\\\"invisible\\\">ng/path</span></a> ? It is "
    "<strong>great</strong> <a href=\\\"https://mastodon.example/tags/cats\\\" class=\\\"mention "
    "hashtag\\\" rel=\\\"tag\\\">#<span>cats</span></a></p>\",\"contentMap\":{\"en\":\"<p>hi</"
    "p>\"},\"attachment\":[],\"tag\":[{\"type\":\"Mention\",\"href\":\"https://solstice.example/"
    "users/01HZZZZZZZZZZZZZZZZZZZZZZB\",\"name\":\"@bob@solstice.example\"},{\"type\":"
    "\"Hashtag\",\"href\":\"https://mastodon.example/tags/cats\",\"name\":\"#cats\"}]}}";

static const char message[] =
    "hey <@01HZZZZZZZZZZZZZZZZZZZZZZB>, **look** at this: https://example.com/a_(b)\n"
    "> a quote with *emphasis*\n\n- one\n- two `code`\n\nsee [the docs](https://docs.example/x) "
    ":01HEEEEEEEEEEEEEEEEEEEEEEE: and <script>alert(1)</script>";

static bool user(void *ctx, struct str id, const char **url, const char **handle)
{
	(void)ctx;
	(void)id;
	*url = "https://solstice.example/users/01HZZZZZZZZZZZZZZZZZZZZZZB";
	*handle = "bob_0001";
	return true;
}

typedef void bench_fn(void *arg);

static double rate(bench_fn *fn, void *arg)
{
	long start = now_ns(), n = 0, t;

	do {
		for (int i = 0; i < 100; i++)
			fn(arg);
		n += 100;
		t = now_ns() - start;
	} while (t < RUN_NS);
	return (double)n * 1e9 / (double)t;
}

static void do_loads(void *arg)
{
	json_t *doc = json_loads(arg, 0, NULL);

	sink += json_object_size(doc);
	json_decref(doc);
}

static void do_as2(void *arg)
{
	json_t *doc = json_loads(arg, 0, NULL);
	struct as2_activity a;
	struct err_info ei = ERR_INFO_INIT;

	if (as2_parse_activity(doc, 0, &a, &ei) == SE_OK) {
		sink += a.obj.n_tags;
		as2_activity_release(&a);
	}
	json_decref(doc);
}

static void do_html(void *arg)
{
	struct buf b = BUF_INIT(1 << 22);
	struct err_info ei = ERR_INFO_INIT;

	if (fhtml_to_markdown(str_from(arg), &b, &ei) == SE_OK)
		sink += b.len;
	buf_release(&b);
}

static void do_md(void *arg)
{
	struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
	struct err_info ei = ERR_INFO_INIT;
	struct fmd_opts o = {user, NULL, NULL};

	if (fmd_to_html_opts(str_from(arg), &o, &b, &ei) == SE_OK)
		sink += b.len;
	buf_release(&b);
}

int main(void)
{
	json_t *doc = json_loads(create, 0, NULL);
	const char *content =
	    json_string_value(json_object_get(json_object_get(doc, "object"), "content"));
	struct buf big = BUF_INIT(200000);
	double loads, as2;

	if (!content)
		return 1;
	for (int i = 0; i < 400; i++)
		buf_printf(&big,
		           "<p>paragraph %d with <b>bold</b>, <a href=\"https://x.example/%d\">a "
		           "link</a> and <code>code</code> &amp; text.</p>",
		           i, i);
	loads = rate(do_loads, (void *)create);
	as2 = rate(do_as2, (void *)create);
	printf("json_loads (baseline)      %10.0f /s\n", loads);
	printf("json_loads + as2 parse     %10.0f /s (%.2fx the baseline cost)\n", as2,
	       loads / as2);
	printf("html->md Mastodon note     %10.0f /s (%zu bytes)\n", rate(do_html, (void *)content),
	       strlen(content));
	printf("html->md long post         %10.0f /s (%zu bytes)\n",
	       rate(do_html, (void *)buf_cstr(&big)), big.len);
	printf("md->html chat message      %10.0f /s (%zu bytes)\n", rate(do_md, (void *)message),
	       sizeof(message) - 1);
	buf_release(&big);
	json_decref(doc);
	return 0;
}
