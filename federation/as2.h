/*
 * federation/as2.h: ActivityStreams 2.0 vocabulary: our JSON-LD @context
 * and the parse of inbound activities into a flat, bounded view.
 *
 * Owns: as2_context() (the one @context every document we serve carries,
 * docs/federation.md), the normalisation of the shapes real peers send
 * (Mastodon, GoToSocial, Misskey, Akkoma/Pleroma, Lemmy, snac, fedify):
 * a value that is a string, an object with "id" or an array of either;
 * "type" as a string or an array; audiences as a string, an array or
 * objects; "as:Public" / "Public" / the full Public IRI; contentMap;
 * Misskey's _misskey_content and _misskey_reaction; tags (Mention, Emoji,
 * Hashtag) and attachments.
 * Rejects: a missing or non-URL id/actor, a missing type, an embedded
 * object whose id is not a URL, nesting deeper than AS2_DEPTH_MAX, more
 * than AS2_ADDR_MAX entries in an audience field or more than
 * AS2_LIST_SCAN_MAX in tag/attachment. Keeps the first AS2_TAGS_MAX usable
 * tags and AS2_ATTACH_MAX attachments; audience entries longer than
 * AS2_URL_MAX are dropped.
 * Does not own: what an activity does (federation/process.h), whether the
 * sender may send it (the inbox), HTML content (federation/html.h).
 * Threads: reentrant; no state.
 * Memory: `const char *` fields are borrowed from the parsed document and
 * valid while it lives and is not changed; the json_t arrays and the
 * structures are owned by the struct and freed by as2_activity_release().
 */
#ifndef SOL_FED_AS2_H
#define SOL_FED_AS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define AS2_DEPTH_MAX 8        /* JSON nesting of an activity document */
#define AS2_ADDR_MAX 1024      /* entries in one of to/cc/bto/bcc/audience */
#define AS2_TAGS_MAX 64        /* usable tags kept per object (the rest ignored) */
#define AS2_ATTACH_MAX 16      /* attachments kept per object (the rest ignored) */
#define AS2_LIST_SCAN_MAX 1024 /* entries of a tag/attachment array (more: SE_PARSE) */
#define AS2_URL_MAX 2048       /* bytes of an id or URL */
#define AS2_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

/* Flags for as2_parse_activity. */
enum as2_parse_flags {
	AS2_ALLOW_HTTP = 1 << 0, /* accept http:// ids (fed->allow_private) */
};

enum as2_tag_kind { AS2_TAG_MENTION = 1, AS2_TAG_EMOJI, AS2_TAG_HASHTAG };

struct as2_tag {
	enum as2_tag_kind kind;
	const char *name;      /* "@alice@host", ":blob:", "#tag" as sent; may be NULL */
	const char *href;      /* Mention: actor id; Hashtag: its page; may be NULL */
	const char *id;        /* Emoji: its id; may be NULL */
	const char *icon_url;  /* Emoji: icon.url */
	const char *icon_type; /* Emoji: icon.mediaType; may be NULL */
};

struct as2_attachment {
	const char *type;       /* "Document", "Image", "Video", "Audio" */
	const char *url;        /* a string url, or the first Link's href */
	const char *media_type; /* may be NULL */
	const char *name;       /* alt text; may be NULL */
	const char *blurhash;   /* may be NULL */
	int64_t width, height;  /* 0 when absent */
};

/* The fields of an object (a Note, a ChatMessage, an actor, ...). */
struct as2_object {
	const char *id, *type; /* NULL when the object was only an id */
	const char *attributed_to;
	const char *published, *updated; /* ISO 8601 as sent; may be NULL */
	const char *in_reply_to;
	const char *url;
	const char *name, *summary;
	bool sensitive;
	/* content, else contentMap's "und"/"en"/first value; with its language */
	const char *content, *content_lang;
	const char *source_content, *source_media_type; /* source{content,mediaType} */
	const char *misskey_content;                    /* _misskey_content (MFM) */
	json_t *to, *cc, *bto, *bcc, *audience;         /* arrays of strings, owned; never NULL */
	struct as2_tag tags[AS2_TAGS_MAX];
	size_t n_tags;
	struct as2_attachment atts[AS2_ATTACH_MAX];
	size_t n_atts;
};

struct as2_activity {
	const char *id;    /* absolute http(s) URL */
	const char *type;  /* the first known type, else the first one */
	const char *actor; /* absolute http(s) URL */
	const json_t
	    *object; /* borrowed from the document: a string or an object; NULL if absent */
	const char *object_id, *object_type; /* object_type NULL unless embedded */
	const char *target;                  /* id of "target"; may be NULL */
	const char *published;
	/* Like / EmojiReact: "content" (an emoji or ":name:") and _misskey_reaction */
	const char *content, *misskey_reaction;
	json_t *to, *cc, *bto, *bcc,
	    *audience;                     /* arrays of strings, owned; never NULL after success */
	struct as2_tag tags[AS2_TAGS_MAX]; /* the activity's own tags (EmojiReact's Emoji) */
	size_t n_tags;
	bool has_obj; /* `obj` parsed (object was embedded) */
	struct as2_object obj;
};

/* A new reference to our @context array (see the plan / docs). */
json_t *as2_context(void);

/*
 * Parse `doc` into `out` (overwritten; call as2_activity_release after
 * success). An embedded object is parsed into out->obj (its id must be a
 * URL too when present); an embedded activity (Announce{Create{Note}}) is
 * left for the caller to parse again from out->object. Returns SE_OK or
 * SE_PARSE (ei->detail names the problem); on error nothing needs release.
 */
enum err as2_parse_activity(const json_t *doc, unsigned flags, struct as2_activity *out,
                            struct err_info *ei) __attribute__((warn_unused_result));
/* Frees the owned parts; safe on a zeroed struct. */
void as2_activity_release(struct as2_activity *a);

/*
 * Parse an object on its own (a fetched Note or actor) into `out`; same
 * ownership (release with as2_object_release). The object must have an id
 * and a type.
 */
enum err as2_parse_object(const json_t *obj, unsigned flags, struct as2_object *out,
                          struct err_info *ei) __attribute__((warn_unused_result));
void as2_object_release(struct as2_object *o);

/* A string, or an object's "id" string; NULL otherwise. Borrowed. */
const char *as2_id_of(const json_t *v);
/* True for an absolute https URL (http too with AS2_ALLOW_HTTP) with a host. */
bool as2_is_url(const char *s, unsigned flags);
/* "Public", "as:Public" or the full Public IRI. */
bool as2_is_public_iri(const char *s);
/* Public in the activity's or its object's to/cc/audience. */
bool as2_is_public(const struct as2_activity *a);
/* `url` in any audience field of the activity or of its object. */
bool as2_addressed_to(const struct as2_activity *a, const char *url);

#endif /* SOL_FED_AS2_H */
