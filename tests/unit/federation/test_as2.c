/*
 * tests/unit/federation/test_as2.c: the @context, and inbound activities in
 * the shapes real peers send (Mastodon, GoToSocial, Misskey, Akkoma, Lemmy,
 * Pleroma, snac, fedify), plus hostile ones (bad ids, depth, sizes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "federation/as2.h"

#define PUB "https://www.w3.org/ns/activitystreams#Public"
#define BOB "https://solstice.example/users/01HZZZZZZZZZZZZZZZZZZZZZZB"

static json_t *load(const char *s)
{
	json_error_t jerr;
	json_t *v = json_loads(s, 0, &jerr);

	if (!v)
		print_error("json: %s at %d\n", jerr.text, jerr.position);
	assert_non_null(v);
	return v;
}

/* Borrowed strings need the document alive: parse into a holder. */
struct held {
	json_t *doc;
	struct as2_activity a;
};

static void hold(struct held *h, const char *s, unsigned flags)
{
	struct err_info ei = ERR_INFO_INIT;
	enum err rc;

	h->doc = load(s);
	rc = as2_parse_activity(h->doc, flags, &h->a, &ei);
	if (rc != SE_OK)
		print_error("parse: %s\n", ei.detail);
	assert_int_equal(rc, SE_OK);
}

static void drop(struct held *h)
{
	as2_activity_release(&h->a);
	json_decref(h->doc);
}

static const char *at(const json_t *arr, size_t i)
{
	return json_string_value(json_array_get(arr, i));
}

static void test_context(void **state)
{
	json_t *c = as2_context();
	char *s;

	(void)state;
	assert_true(json_is_array(c));
	s = json_dumps(c, JSON_COMPACT);
	assert_string_equal(
	    s, "[\"https://www.w3.org/ns/activitystreams\",\"https://w3id.org/security/v1\","
	       "\"https://w3id.org/security/multikey/v1\",{\"manuallyApprovesFollowers\":\"as:"
	       "manuallyApprovesFollowers\",\"toot\":\"http://joinmastodon.org/ns#\","
	       "\"discoverable\":\"toot:discoverable\",\"Emoji\":\"toot:Emoji\",\"featured\":{\"@"
	       "id\":\"toot:featured\",\"@type\":\"@id\"},\"sensitive\":\"as:sensitive\","
	       "\"misskey\":\"https://misskey-hub.net/ns#\",\"_misskey_reaction\":\"misskey:_"
	       "misskey_reaction\",\"litepub\":\"http://litepub.social/ns#\",\"EmojiReact\":"
	       "\"litepub:EmojiReact\"}]");
	free(s);
	json_decref(c);
}

static void test_mastodon_create(void **state)
{
	struct held h;
	const struct as2_object *o;

	(void)state;
	hold(&h,
	     "{\"@context\":[\"https://www.w3.org/ns/activitystreams\",{\"ostatus\":\"http://"
	     "ostatus.org#\",\"sensitive\":\"as:sensitive\",\"toot\":\"http://joinmastodon.org/"
	     "ns#\",\"Emoji\":\"toot:Emoji\"}],"
	     "\"id\":\"https://mastodon.example/users/alice/statuses/1/activity\",\"type\":"
	     "\"Create\",\"actor\":\"https://mastodon.example/users/alice\",\"published\":\"2024-"
	     "05-01T10:00:00Z\",\"to\":[\"" PUB "\"],\"cc\":[\"https://mastodon.example/users/"
	     "alice/followers\",\"" BOB "\"],"
	     "\"object\":{\"id\":\"https://mastodon.example/users/alice/statuses/1\",\"type\":"
	     "\"Note\",\"summary\":null,\"inReplyTo\":null,\"published\":\"2024-05-01T10:00:00Z\","
	     "\"url\":\"https://mastodon.example/@alice/1\",\"attributedTo\":\"https://"
	     "mastodon.example/users/alice\",\"to\":[\"" PUB "\"],\"cc\":[\"" BOB "\"],"
	     "\"sensitive\":false,\"content\":\"<p>hi</p>\",\"contentMap\":{\"en\":\"<p>hi</p>\"},"
	     "\"attachment\":[{\"type\":\"Document\",\"mediaType\":\"image/png\",\"url\":\"https://"
	     "files.example/a.png\",\"name\":\"a cat\",\"blurhash\":\"UABC\",\"width\":640,"
	     "\"height\":480}],"
	     "\"tag\":[{\"type\":\"Mention\",\"href\":\"" BOB "\",\"name\":\"@bob_0001@solstice."
	     "example\"},{\"type\":\"Hashtag\",\"href\":\"https://mastodon.example/tags/cats\","
	     "\"name\":\"#cats\"},{\"id\":\"https://mastodon.example/emojis/1\",\"type\":\"Emoji\","
	     "\"name\":\":blob:\",\"icon\":{\"type\":\"Image\",\"mediaType\":\"image/png\",\"url\":"
	     "\"https://files.example/blob.png\"}},{\"type\":\"Unknown\"}],"
	     "\"replies\":{\"id\":\"https://mastodon.example/users/alice/statuses/1/replies\","
	     "\"type\":\"Collection\",\"first\":{\"type\":\"CollectionPage\",\"next\":\"https://"
	     "mastodon.example/x\",\"items\":[]}}}}",
	     0);
	assert_string_equal(h.a.type, "Create");
	assert_string_equal(h.a.actor, "https://mastodon.example/users/alice");
	assert_string_equal(h.a.object_id, "https://mastodon.example/users/alice/statuses/1");
	assert_string_equal(h.a.object_type, "Note");
	assert_string_equal(h.a.published, "2024-05-01T10:00:00Z");
	assert_true(h.a.has_obj);
	assert_true(as2_is_public(&h.a));
	assert_true(as2_addressed_to(&h.a, BOB));
	assert_false(as2_addressed_to(&h.a, "https://solstice.example/users/other"));
	assert_int_equal(json_array_size(h.a.cc), 2);
	o = &h.a.obj;
	assert_string_equal(o->content, "<p>hi</p>");
	assert_null(o->content_lang);
	assert_null(o->in_reply_to);
	assert_null(o->summary);
	assert_false(o->sensitive);
	assert_string_equal(o->attributed_to, "https://mastodon.example/users/alice");
	assert_string_equal(o->url, "https://mastodon.example/@alice/1");
	assert_int_equal(o->n_tags, 3);
	assert_int_equal(o->tags[0].kind, AS2_TAG_MENTION);
	assert_string_equal(o->tags[0].href, BOB);
	assert_int_equal(o->tags[1].kind, AS2_TAG_HASHTAG);
	assert_string_equal(o->tags[1].name, "#cats");
	assert_int_equal(o->tags[2].kind, AS2_TAG_EMOJI);
	assert_string_equal(o->tags[2].name, ":blob:");
	assert_string_equal(o->tags[2].icon_url, "https://files.example/blob.png");
	assert_string_equal(o->tags[2].icon_type, "image/png");
	assert_int_equal(o->n_atts, 1);
	assert_string_equal(o->atts[0].url, "https://files.example/a.png");
	assert_string_equal(o->atts[0].media_type, "image/png");
	assert_string_equal(o->atts[0].name, "a cat");
	assert_string_equal(o->atts[0].blurhash, "UABC");
	assert_int_equal(o->atts[0].width, 640);
	assert_int_equal(o->atts[0].height, 480);
	drop(&h);
}

static void test_content_map_and_direct(void **state)
{
	struct held h;

	(void)state;
	/* a DM (no Public), contentMap only, a single-string "to" */
	hold(
	    &h,
	    "{\"id\":\"https://m.example/a/2\",\"type\":\"Create\",\"actor\":\"https://m.example/u/"
	    "a\",\"to\":\"" BOB "\",\"object\":{\"id\":\"https://m.example/n/2\",\"type\":\"Note\","
	    "\"to\":\"" BOB "\",\"contentMap\":{\"de\":\"<p>hallo</p>\"},\"inReplyTo\":\"https://"
	    "solstice.example/objects/01HZZZZZZZZZZZZZZZZZZZZZZM\",\"sensitive\":true,\"summary\":"
	    "\"cw\"}}",
	    0);
	assert_false(as2_is_public(&h.a));
	assert_true(as2_addressed_to(&h.a, BOB));
	assert_string_equal(h.a.obj.content, "<p>hallo</p>");
	assert_string_equal(h.a.obj.content_lang, "de");
	assert_string_equal(h.a.obj.in_reply_to,
	                    "https://solstice.example/objects/01HZZZZZZZZZZZZZZZZZZZZZZM");
	assert_true(h.a.obj.sensitive);
	assert_string_equal(h.a.obj.summary, "cw");
	assert_int_equal(json_array_size(h.a.cc), 0);
	drop(&h);
	/* "und" wins over the others */
	hold(
	    &h,
	    "{\"id\":\"https://m.example/a/3\",\"type\":\"Create\",\"actor\":\"https://m.example/u/"
	    "a\",\"object\":{\"id\":\"https://m.example/n/3\",\"type\":\"Note\",\"contentMap\":{"
	    "\"fr\":\"f\",\"und\":\"u\",\"en\":\"e\"}}}",
	    0);
	assert_string_equal(h.a.obj.content, "u");
	drop(&h);
}

static void test_gotosocial(void **state)
{
	struct held h;

	(void)state;
	hold(
	    &h,
	    "{\"@context\":[\"https://gotosocial.org/ns\",\"https://www.w3.org/ns/"
	    "activitystreams\"],\"actor\":\"https://gts.example/users/g\",\"cc\":\"https://"
	    "gts.example/users/g/followers\",\"id\":\"https://gts.example/users/g/statuses/01X/"
	    "activity\",\"object\":{\"attachment\":[],\"attributedTo\":\"https://gts.example/users/"
	    "g\",\"cc\":\"https://gts.example/users/g/followers\",\"content\":\"<p>gts</p>\","
	    "\"id\":\"https://gts.example/users/g/statuses/01X\",\"interactionPolicy\":{"
	    "\"canLike\":{\"always\":[\"" PUB "\"],\"approvalRequired\":[]}},\"published\":"
	    "\"2024-01-01T00:00:00Z\",\"tag\":{\"href\":\"" BOB "\",\"name\":\"@bob@solstice."
	    "example\",\"type\":\"Mention\"},\"to\":\"" PUB "\",\"type\":\"Note\",\"url\":\"https:"
	    "//gts.example/@g/statuses/01X\"},\"published\":\"2024-01-01T00:00:00Z\",\"to\":\"" PUB
	    "\",\"type\":\"Create\"}",
	    0);
	assert_true(as2_is_public(&h.a));
	assert_int_equal(h.a.obj.n_tags, 1);
	assert_string_equal(h.a.obj.tags[0].href, BOB);
	assert_int_equal(h.a.obj.n_atts, 0);
	drop(&h);
}

static void test_misskey(void **state)
{
	struct held h;

	(void)state;
	hold(&h,
	     "{\"@context\":[\"https://www.w3.org/ns/activitystreams\",\"https://w3id.org/security/"
	     "v1\",{\"misskey\":\"https://misskey-hub.net/ns#\",\"_misskey_content\":\"misskey:_"
	     "misskey_content\"}],\"id\":\"https://mk.example/notes/9abc/activity\",\"actor\":"
	     "\"https://mk.example/users/9xyz\",\"type\":\"Create\",\"published\":\"2024-01-01T00:"
	     "00:00.000Z\",\"object\":{\"id\":\"https://mk.example/notes/9abc\",\"type\":\"Note\","
	     "\"attributedTo\":\"https://mk.example/users/9xyz\",\"content\":\"<p><span>hi "
	     "<b>x</b></span></p>\",\"_misskey_content\":\"hi **x** :blobcat:\",\"source\":{"
	     "\"content\":\"hi **x** :blobcat:\",\"mediaType\":\"text/x.misskeymarkdown\"},"
	     "\"published\":\"2024-01-01T00:00:00.000Z\",\"to\":[\"" BOB "\"],\"cc\":[],"
	     "\"inReplyTo\":null,\"attachment\":[{\"type\":\"Document\",\"mediaType\":\"image/"
	     "webp\",\"url\":\"https://mk.example/files/"
	     "x.webp\",\"name\":null,\"sensitive\":false}],"
	     "\"sensitive\":false,\"tag\":[{\"id\":\"https://mk.example/emojis/blobcat\",\"type\":"
	     "\"Emoji\",\"name\":\":blobcat:\",\"updated\":\"2023-01-01T00:00:00.000Z\",\"icon\":{"
	     "\"type\":\"Image\",\"mediaType\":\"image/png\",\"url\":\"https://mk.example/files/"
	     "blobcat.png\"}}]},\"to\":[\"" BOB "\"],\"cc\":[]}",
	     0);
	assert_string_equal(h.a.obj.misskey_content, "hi **x** :blobcat:");
	assert_string_equal(h.a.obj.source_content, "hi **x** :blobcat:");
	assert_string_equal(h.a.obj.source_media_type, "text/x.misskeymarkdown");
	assert_int_equal(h.a.obj.n_tags, 1);
	assert_int_equal(h.a.obj.tags[0].kind, AS2_TAG_EMOJI);
	assert_int_equal(h.a.obj.n_atts, 1);
	assert_null(h.a.obj.atts[0].name);
	drop(&h);
	/* Misskey reaction: a Like with _misskey_reaction and an Emoji tag */
	hold(&h,
	     "{\"id\":\"https://mk.example/likes/9q\",\"type\":\"Like\",\"actor\":\"https://"
	     "mk.example/users/9xyz\",\"object\":\"https://solstice.example/objects/"
	     "01HZZZZZZZZZZZZZZZZZZZZZZM\",\"content\":\":blobcat@.:\",\"_misskey_reaction\":\":"
	     "blobcat@.:\",\"tag\":[{\"id\":\"https://mk.example/emojis/"
	     "blobcat\",\"type\":\"Emoji\","
	     "\"name\":\":blobcat@.:\",\"icon\":{\"type\":\"Image\",\"url\":\"https://mk.example/"
	     "files/blobcat.png\"}}]}",
	     0);
	assert_string_equal(h.a.type, "Like");
	assert_string_equal(h.a.object_id,
	                    "https://solstice.example/objects/01HZZZZZZZZZZZZZZZZZZZZZZM");
	assert_null(h.a.object_type);
	assert_false(h.a.has_obj);
	assert_string_equal(h.a.misskey_reaction, ":blobcat@.:");
	assert_string_equal(h.a.content, ":blobcat@.:");
	assert_int_equal(h.a.n_tags, 1);
	assert_string_equal(h.a.tags[0].icon_url, "https://mk.example/files/blobcat.png");
	assert_null(h.a.tags[0].icon_type);
	drop(&h);
}

static void test_akkoma_emojireact(void **state)
{
	struct held h;

	(void)state;
	hold(&h,
	     "{\"@context\":[\"https://www.w3.org/ns/activitystreams\",\"https://akko.example/"
	     "schemas/litepub-0.1.jsonld\",{\"@language\":\"und\"}],\"actor\":\"https://"
	     "akko.example/users/lain\",\"cc\":[\"https://akko.example/users/lain/followers\"],"
	     "\"content\":\":blob:\",\"context\":\"https://akko.example/contexts/1\",\"id\":"
	     "\"https://akko.example/activities/5\",\"object\":\"https://solstice.example/objects/"
	     "01HZZZZZZZZZZZZZZZZZZZZZZM\",\"tag\":[{\"icon\":{\"type\":\"Image\",\"url\":\"https:"
	     "//akko.example/emoji/blob.png\"},\"id\":\"https://akko.example/emoji/blob.png\","
	     "\"name\":\"blob\",\"type\":\"Emoji\",\"updated\":\"1970-01-01T00:00:00Z\"}],\"to\":"
	     "[\"" BOB "\"],\"type\":\"EmojiReact\"}",
	     0);
	assert_string_equal(h.a.type, "EmojiReact");
	assert_string_equal(h.a.content, ":blob:");
	assert_int_equal(h.a.n_tags, 1);
	assert_string_equal(h.a.tags[0].name, "blob");
	assert_true(as2_addressed_to(&h.a, BOB));
	drop(&h);
	/* a plain Unicode EmojiReact */
	hold(&h,
	     "{\"id\":\"https://akko.example/activities/6\",\"type\":\"EmojiReact\",\"actor\":"
	     "\"https://akko.example/users/lain\",\"object\":\"https://solstice.example/objects/"
	     "01HZZZZZZZZZZZZZZZZZZZZZZM\",\"content\":\"\xf0\x9f\x91\x8d\"}",
	     0);
	assert_string_equal(h.a.content, "\xf0\x9f\x91\x8d");
	assert_int_equal(h.a.n_tags, 0);
	drop(&h);
}

static void test_lemmy_announce(void **state)
{
	struct held h;
	struct as2_activity inner;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	hold(
	    &h,
	    "{\"@context\":[\"https://join-lemmy.org/context.json\",\"https://www.w3.org/ns/"
	    "activitystreams\"],\"actor\":\"https://lemmy.example/c/chat\",\"to\":[\"" PUB "\"],"
	    "\"object\":{\"actor\":\"https://lemmy.example/u/joe\",\"to\":[\"" PUB "\"],\"object\":"
	    "{\"type\":\"Note\",\"id\":\"https://lemmy.example/comment/1\",\"attributedTo\":"
	    "\"https://lemmy.example/u/joe\",\"to\":[\"" PUB "\"],\"cc\":[\"https://lemmy.example/"
	    "c/chat\"],\"content\":\"<p>lemmy</p>\",\"mediaType\":\"text/html\",\"source\":{"
	    "\"content\":\"lemmy\",\"mediaType\":\"text/markdown\"},\"inReplyTo\":\"https://"
	    "lemmy.example/post/1\",\"published\":\"2024-01-01T00:00:00+00:00\",\"tag\":[],"
	    "\"distinguished\":false,\"audience\":\"https://lemmy.example/c/chat\"},\"cc\":[],"
	    "\"tag\":[],\"type\":\"Create\",\"id\":\"https://lemmy.example/activities/create/1\","
	    "\"audience\":\"https://lemmy.example/c/chat\"},\"cc\":[\"https://lemmy.example/c/chat/"
	    "followers\"],\"type\":\"Announce\",\"id\":\"https://lemmy.example/activities/announce/"
	    "1\",\"audience\":\"https://lemmy.example/c/chat\"}",
	    0);
	assert_string_equal(h.a.type, "Announce");
	assert_string_equal(h.a.object_type, "Create");
	assert_string_equal(h.a.object_id, "https://lemmy.example/activities/create/1");
	assert_string_equal(at(h.a.audience, 0), "https://lemmy.example/c/chat");
	assert_int_equal(as2_parse_activity(h.a.object, 0, &inner, &ei), SE_OK);
	assert_string_equal(inner.type, "Create");
	assert_string_equal(inner.actor, "https://lemmy.example/u/joe");
	assert_string_equal(inner.obj.content, "<p>lemmy</p>");
	assert_string_equal(inner.obj.source_media_type, "text/markdown");
	assert_string_equal(inner.obj.in_reply_to, "https://lemmy.example/post/1");
	as2_activity_release(&inner);
	drop(&h);
}

static void test_pleroma_chat(void **state)
{
	struct held h;

	(void)state;
	hold(&h,
	     "{\"@context\":[\"https://www.w3.org/ns/activitystreams\",\"https://pl.example/"
	     "schemas/litepub-0.1.jsonld\",{\"@language\":\"und\"}],\"actor\":\"https://pl.example/"
	     "users/p\",\"id\":\"https://pl.example/activities/c1\",\"object\":{\"attributedTo\":"
	     "\"https://pl.example/users/p\",\"content\":\"chat\",\"id\":\"https://pl.example/"
	     "objects/c1\",\"published\":\"2020-01-01T00:00:00Z\",\"to\":[\"" BOB "\"],\"type\":"
	     "\"ChatMessage\",\"attachment\":{\"type\":\"Document\",\"mediaType\":\"image/jpeg\","
	     "\"url\":[{\"href\":\"https://pl.example/media/1.jpg\",\"mediaType\":\"image/jpeg\","
	     "\"type\":\"Link\"}],\"name\":\"pic\"}},\"to\":[\"" BOB "\"],\"type\":\"Create\"}",
	     0);
	assert_string_equal(h.a.object_type, "ChatMessage");
	assert_int_equal(json_array_size(h.a.obj.to), 1);
	assert_int_equal(h.a.obj.n_atts, 1);
	assert_string_equal(h.a.obj.atts[0].url, "https://pl.example/media/1.jpg");
	assert_string_equal(h.a.obj.atts[0].media_type, "image/jpeg");
	drop(&h);
}

static void test_snac_follow_accept(void **state)
{
	struct held h;
	struct as2_activity a;
	json_t *doc;
	struct err_info ei = ERR_INFO_INIT;
	const char *follow =
	    "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"type\":\"Follow\",\"id\":"
	    "\"http://127.0.0.1:28102/bob/d/1a2b/Follow\",\"actor\":\"http://127.0.0.1:28102/bob\","
	    "\"object\":\"http://127.0.0.1:28101/users/01HZZZZZZZZZZZZZZZZZZZZZZB\"}";

	(void)state;
	/* plain http ids need AS2_ALLOW_HTTP */
	doc = load(follow);
	assert_int_equal(as2_parse_activity(doc, 0, &a, &ei), SE_PARSE);
	json_decref(doc);
	hold(&h, follow, AS2_ALLOW_HTTP);
	assert_string_equal(h.a.type, "Follow");
	assert_string_equal(h.a.object_id,
	                    "http://127.0.0.1:28101/users/01HZZZZZZZZZZZZZZZZZZZZZZB");
	assert_int_equal(json_array_size(h.a.to), 0);
	assert_false(as2_is_public(&h.a));
	drop(&h);
	/* snac's Accept embeds the Follow, "to" a string */
	hold(
	    &h,
	    "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"type\":\"Accept\",\"id\":"
	    "\"http://127.0.0.1:28102/bob/d/3c4d/Accept\",\"actor\":\"http://127.0.0.1:28102/bob\","
	    "\"to\":\"http://127.0.0.1:28101/users/01HZZZZZZZZZZZZZZZZZZZZZZB\",\"object\":{"
	    "\"type\":\"Follow\",\"id\":\"http://127.0.0.1:28101/activities/01HFFFF\",\"actor\":"
	    "\"http://127.0.0.1:28101/users/01HZZZZZZZZZZZZZZZZZZZZZZB\",\"object\":\"http://"
	    "127.0.0.1:28102/bob\"}}",
	    AS2_ALLOW_HTTP);
	assert_string_equal(h.a.object_type, "Follow");
	assert_string_equal(h.a.object_id, "http://127.0.0.1:28101/activities/01HFFFF");
	assert_true(
	    as2_addressed_to(&h.a, "http://127.0.0.1:28101/users/01HZZZZZZZZZZZZZZZZZZZZZZB"));
	drop(&h);
}

static void test_fedify_shapes(void **state)
{
	struct held h;

	(void)state;
	/* "as:Public" as a single string; actor as an object; type as an array */
	hold(
	    &h,
	    "{\"@context\":[\"https://w3id.org/identity/v1\",\"https://www.w3.org/ns/"
	    "activitystreams\"],\"id\":\"https://fedify.example/a/1\",\"type\":[\"x:Custom\","
	    "\"Create\"],\"actor\":{\"id\":\"https://fedify.example/users/f\",\"type\":\"Person\"},"
	    "\"to\":\"as:Public\",\"cc\":[{\"id\":\"" BOB "\"},{\"no\":\"id\"},7,null],\"object\":"
	    "[{\"id\":\"https://fedify.example/n/1\",\"type\":\"Note\",\"content\":\"c\","
	    "\"attributedTo\":[{\"id\":\"https://fedify.example/users/f\"}]}]}",
	    0);
	assert_string_equal(h.a.type, "Create");
	assert_string_equal(h.a.actor, "https://fedify.example/users/f");
	assert_true(as2_is_public(&h.a));
	assert_int_equal(json_array_size(h.a.cc), 1);
	assert_string_equal(at(h.a.cc, 0), BOB);
	assert_string_equal(h.a.object_id, "https://fedify.example/n/1");
	assert_string_equal(h.a.obj.attributed_to, "https://fedify.example/users/f");
	drop(&h);
	/* "Public" alone, actor as an array */
	hold(&h,
	     "{\"id\":\"https://x.example/a\",\"type\":\"Announce\",\"actor\":[\"https://x.example/"
	     "u\"],\"cc\":[\"Public\"],\"object\":\"https://y.example/n\"}",
	     0);
	assert_true(as2_is_public(&h.a));
	assert_string_equal(h.a.actor, "https://x.example/u");
	drop(&h);
	/* unknown type only: kept as is */
	hold(&h,
	     "{\"id\":\"https://x.example/a\",\"type\":[\"x:Thing\"],\"actor\":\"https://x.example/"
	     "u\"}",
	     0);
	assert_string_equal(h.a.type, "x:Thing");
	assert_null(h.a.object);
	drop(&h);
}

static void expect_reject(const char *s, unsigned flags, const char *why)
{
	json_t *doc = load(s);
	struct as2_activity a;
	struct err_info ei = ERR_INFO_INIT;
	enum err rc = as2_parse_activity(doc, flags, &a, &ei);

	if (rc != SE_PARSE)
		print_error("accepted (%s): %s\n", why, s);
	assert_int_equal(rc, SE_PARSE);
	json_decref(doc);
}

static void test_hostile(void **state)
{
	char big[64 * 1024];
	size_t n = 0;

	(void)state;
	expect_reject("[]", 0, "array");
	expect_reject("{\"type\":\"Create\",\"actor\":\"https://x.example/u\"}", 0, "no id");
	expect_reject(
	    "{\"id\":\"urn:uuid:1\",\"type\":\"Create\",\"actor\":\"https://x.example/u\"}", 0,
	    "urn id");
	expect_reject("{\"id\":\"https://\",\"type\":\"Create\",\"actor\":\"https://x.example/u\"}",
	              0, "no host");
	expect_reject("{\"id\":\"https://u@x.example/a\",\"type\":\"Create\",\"actor\":\"https://"
	              "x.example/u\"}",
	              0, "userinfo");
	expect_reject("{\"id\":\"https://x.example/a b\",\"type\":\"Create\",\"actor\":\"https://"
	              "x.example/u\"}",
	              0, "space");
	expect_reject("{\"id\":\"javascript:alert(1)\",\"type\":\"Create\",\"actor\":\"https://"
	              "x.example/u\"}",
	              0, "javascript");
	expect_reject("{\"id\":\"https://x.example/a\",\"actor\":\"https://x.example/u\"}", 0,
	              "no type");
	expect_reject(
	    "{\"id\":\"https://x.example/a\",\"type\":7,\"actor\":\"https://x.example/u\"}", 0,
	    "numeric type");
	expect_reject("{\"id\":\"https://x.example/a\",\"type\":\"Create\"}", 0, "no actor");
	expect_reject(
	    "{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":{\"name\":\"x\"}}", 0,
	    "actor without id");
	expect_reject("{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":\"https://"
	              "x.example/u\",\"object\":{\"id\":\"x:y\",\"type\":\"Note\"}}",
	              0, "embedded object id");
	expect_reject(
	    "{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":\"https://"
	    "x.example/u\",\"object\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}}",
	    0, "depth 9");
	/* 1025 addressees */
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	                      "{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":"
	                      "\"https://x.example/u\",\"to\":[");
	for (int i = 0; i <= AS2_ADDR_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"https://x.example/%d\"",
		                      i ? "," : "", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "]}");
	assert_true(n < sizeof(big) - 1);
	expect_reject(big, 0, "addressees");
	/* 2000 tags */
	n = (size_t)snprintf(big, sizeof(big),
	                     "{\"id\":\"https://x.example/a\",\"type\":\"Like\",\"actor\":"
	                     "\"https://x.example/u\",\"tag\":[");
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{}", i ? "," : "");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "]}");
	expect_reject(big, 0, "tags");
}

static void test_bounds_kept(void **state)
{
	char big[32 * 1024];
	size_t n;
	struct held h;

	(void)state;
	/* 100 mentions: the first AS2_TAGS_MAX kept */
	n = (size_t)snprintf(big, sizeof(big),
	                     "{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":"
	                     "\"https://x.example/u\",\"object\":{\"id\":\"https://x.example/n\","
	                     "\"type\":\"Note\",\"tag\":[");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		                      "%s{\"type\":\"Mention\",\"href\":\"https://x.example/u%d\"}",
		                      i ? "," : "", i);
	(void)snprintf(big + n, sizeof(big) - n, "]}}");
	hold(&h, big, 0);
	assert_int_equal(h.a.obj.n_tags, AS2_TAGS_MAX);
	assert_string_equal(h.a.obj.tags[AS2_TAGS_MAX - 1].href, "https://x.example/u63");
	drop(&h);
	/* depth 8 is fine */
	hold(
	    &h,
	    "{\"id\":\"https://x.example/a\",\"type\":\"Create\",\"actor\":\"https://x.example/u\","
	    "\"object\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{}}}}}}}}",
	    0);
	assert_true(h.a.has_obj);
	assert_null(h.a.obj.id);
	drop(&h);
	assert_false(as2_is_url(NULL, 0));
	assert_false(as2_is_url("http://x.example/", 0));
	assert_true(as2_is_url("http://x.example/", AS2_ALLOW_HTTP));
	assert_true(as2_is_url("https://[::1]:8443/a", 0));
	assert_false(as2_is_url("https://:80/", 0));
	assert_true(as2_is_public_iri("as:Public"));
	assert_false(as2_is_public_iri("https://www.w3.org/ns/activitystreams#public"));
	assert_null(as2_id_of(NULL));
}

static void test_parse_object(void **state)
{
	json_t *doc = load("{\"id\":\"https://x.example/n\",\"type\":\"Note\",\"url\":[{\"type\":"
	                   "\"Link\",\"href\":\"https://x.example/@u/n\",\"mediaType\":\"text/"
	                   "html\"}],\"content\":\"c\"}");
	struct as2_object o;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(as2_parse_object(doc, 0, &o, &ei), SE_OK);
	assert_string_equal(o.url, "https://x.example/@u/n");
	assert_string_equal(o.content, "c");
	as2_object_release(&o);
	json_decref(doc);
	doc = load("{\"type\":\"Note\"}");
	assert_int_equal(as2_parse_object(doc, 0, &o, &ei), SE_PARSE);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_context),
	    cmocka_unit_test(test_mastodon_create),
	    cmocka_unit_test(test_content_map_and_direct),
	    cmocka_unit_test(test_gotosocial),
	    cmocka_unit_test(test_misskey),
	    cmocka_unit_test(test_akkoma_emojireact),
	    cmocka_unit_test(test_lemmy_announce),
	    cmocka_unit_test(test_pleroma_chat),
	    cmocka_unit_test(test_snac_follow_accept),
	    cmocka_unit_test(test_fedify_shapes),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_bounds_kept),
	    cmocka_unit_test(test_parse_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
