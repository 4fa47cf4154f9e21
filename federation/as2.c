/*
 * federation/as2.c: our @context and the bounded, normalising parse of
 * inbound ActivityStreams documents (see as2.h for the shapes accepted).
 */
#include "federation/as2.h"

#include <string.h>

json_t *as2_context(void)
{
	return json_pack("[s,s,s,{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s,s:s,s:s}]",
	                 "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
	                 "https://w3id.org/security/multikey/v1", "manuallyApprovesFollowers",
	                 "as:manuallyApprovesFollowers", "toot", "http://joinmastodon.org/ns#",
	                 "discoverable", "toot:discoverable", "Emoji", "toot:Emoji", "featured",
	                 "@id", "toot:featured", "@type", "@id", "sensitive", "as:sensitive",
	                 "misskey", "https://misskey-hub.net/ns#", "_misskey_reaction",
	                 "misskey:_misskey_reaction", "litepub", "http://litepub.social/ns#",
	                 "EmojiReact", "litepub:EmojiReact");
}

/* ---- small helpers ---- */

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
}

bool as2_is_url(const char *s, unsigned flags)
{
	size_t n, rest, host = 0;

	if (!s)
		return false;
	n = strnlen(s, AS2_URL_MAX + 1);
	if (n > AS2_URL_MAX)
		return false;
	if (strncmp(s, "https://", 8) == 0)
		rest = 8;
	else if ((flags & AS2_ALLOW_HTTP) && strncmp(s, "http://", 7) == 0)
		rest = 7;
	else
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	while (rest + host < n && s[rest + host] != '/' && s[rest + host] != '?' &&
	       s[rest + host] != '#') {
		if (!host_char(s[rest + host]))
			return false; /* userinfo ("@"), junk */
		host++;
	}
	return host > 0 && s[rest] != ':' && s[rest] != '.';
}

bool as2_is_public_iri(const char *s)
{
	return s && (strcmp(s, AS2_PUBLIC) == 0 || strcmp(s, "as:Public") == 0 ||
	             strcmp(s, "Public") == 0);
}

const char *as2_id_of(const json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v)) {
		const json_t *id = json_object_get(v, "id");

		return json_is_string(id) ? json_string_value(id) : NULL;
	}
	return NULL;
}

/* A value that may be an array: its first element; else itself. */
static const json_t *first(const json_t *v)
{
	return json_is_array(v) ? json_array_get(v, 0) : v;
}

static const char *str_field(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Nesting of `v` at most AS2_DEPTH_MAX (the document itself is level 1). */
static bool depth_ok(const json_t *v, unsigned level)
{
	const char *key;
	json_t *val;
	size_t i;

	if (level > AS2_DEPTH_MAX)
		return false;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, val)
		{
			if ((json_is_object(val) || json_is_array(val)) &&
			    !depth_ok(val, level + 1))
				return false;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val)
		{
			if ((json_is_object(val) || json_is_array(val)) &&
			    !depth_ok(val, level + 1))
				return false;
		}
	}
	return true;
}

static const char *const known_types[] = {
    "Create",      "Update",
    "Delete",      "Follow",
    "Accept",      "Reject",
    "Undo",        "Like",
    "EmojiReact",  "EmojiReaction",
    "Announce",    "Block",
    "Move",        "Add",
    "Remove",      "Flag",
    "Note",        "Article",
    "Page",        "Question",
    "ChatMessage", "Person",
    "Service",     "Application",
    "Group",       "Organization",
    "Tombstone",   "Image",
    "Document",    "Video",
    "Audio",       "Event",
    "Collection",  "OrderedCollection",
    NULL,
};

static bool is_known_type(const char *t)
{
	for (size_t i = 0; known_types[i]; i++)
		if (strcmp(t, known_types[i]) == 0)
			return true;
	return false;
}

/* "type": a string, or the first known string of an array (else the first string). */
static const char *type_of(const json_t *o)
{
	const json_t *t = json_object_get(o, "type");
	const char *fallback = NULL;
	const json_t *v;
	size_t i;

	if (json_is_string(t))
		return json_string_value(t);
	if (!json_is_array(t))
		return NULL;
	json_array_foreach(t, i, v)
	{
		if (!json_is_string(v))
			continue;
		if (is_known_type(json_string_value(v)))
			return json_string_value(v);
		if (!fallback)
			fallback = json_string_value(v);
	}
	return fallback;
}

/*
 * An audience field (a string, an object with id, or an array of those) as
 * a new array of strings. SE_PARSE over AS2_ADDR_MAX entries.
 */
static enum err audience(const json_t *o, const char *key, json_t **out, struct err_info *ei)
{
	const json_t *v = json_object_get(o, key);
	json_t *arr = json_array();
	const json_t *e;
	size_t i;

	if (!arr)
		return SE_RAISE(ei, SE_NOMEM);
	if (json_is_array(v) && json_array_size(v) > AS2_ADDR_MAX) {
		json_decref(arr);
		return SE_RAISEF(ei, SE_PARSE, "%s: over %d entries", key, AS2_ADDR_MAX);
	}
	if (json_is_string(v) || json_is_object(v)) {
		const char *id = as2_id_of(v);

		if (id && strnlen(id, AS2_URL_MAX + 1) <= AS2_URL_MAX &&
		    json_array_append_new(arr, json_string(id))) {
			json_decref(arr);
			return SE_RAISE(ei, SE_NOMEM);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			const char *id = as2_id_of(e);

			if (id && strnlen(id, AS2_URL_MAX + 1) <= AS2_URL_MAX &&
			    json_array_append_new(arr, json_string(id))) {
				json_decref(arr);
				return SE_RAISE(ei, SE_NOMEM);
			}
		}
	}
	*out = arr;
	return SE_OK;
}

static enum err audiences(const json_t *o, json_t **to, json_t **cc, json_t **bto, json_t **bcc,
                          json_t **aud, struct err_info *ei)
{
	enum err rc;

	if ((rc = audience(o, "to", to, ei)) || (rc = audience(o, "cc", cc, ei)) ||
	    (rc = audience(o, "bto", bto, ei)) || (rc = audience(o, "bcc", bcc, ei)) ||
	    (rc = audience(o, "audience", aud, ei)))
		return rc;
	return SE_OK;
}

/* A url value: a string, a Link's href, or the first of an array of those. */
static const char *url_of(const json_t *v)
{
	v = first(v);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v)) {
		const char *h = str_field(v, "href");

		return h ? h : str_field(v, "url");
	}
	return NULL;
}

/* ---- tags and attachments ---- */

static bool parse_tag(const json_t *t, struct as2_tag *out)
{
	const char *type = type_of(t);

	if (!json_is_object(t) || !type)
		return false;
	memset(out, 0, sizeof(*out));
	out->name = str_field(t, "name");
	out->href = str_field(t, "href");
	out->id = str_field(t, "id");
	if (strcmp(type, "Mention") == 0) {
		out->kind = AS2_TAG_MENTION;
		return out->href != NULL || out->name != NULL;
	}
	if (strcmp(type, "Hashtag") == 0) {
		out->kind = AS2_TAG_HASHTAG;
		return out->name != NULL;
	}
	if (strcmp(type, "Emoji") == 0) {
		const json_t *icon = first(json_object_get(t, "icon"));

		out->kind = AS2_TAG_EMOJI;
		out->icon_url = json_is_object(icon) ? url_of(json_object_get(icon, "url")) : NULL;
		out->icon_type = json_is_object(icon) ? str_field(icon, "mediaType") : NULL;
		return out->name != NULL && out->icon_url != NULL;
	}
	return false;
}

/* tag: an object or an array; the first AS2_TAGS_MAX usable ones kept. */
static enum err parse_tags(const json_t *o, struct as2_tag *tags, size_t *n, struct err_info *ei)
{
	const json_t *v = json_object_get(o, "tag");
	const json_t *t;
	size_t i;

	*n = 0;
	if (json_is_object(v)) {
		if (parse_tag(v, &tags[0]))
			*n = 1;
		return SE_OK;
	}
	if (!json_is_array(v))
		return SE_OK;
	if (json_array_size(v) > AS2_LIST_SCAN_MAX)
		return SE_RAISEF(ei, SE_PARSE, "tag: over %d entries", AS2_LIST_SCAN_MAX);
	json_array_foreach(v, i, t)
	{
		if (*n >= AS2_TAGS_MAX)
			break;
		if (parse_tag(t, &tags[*n]))
			(*n)++;
	}
	return SE_OK;
}

static int64_t int_field(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
}

static bool parse_attachment(const json_t *a, struct as2_attachment *out)
{
	if (!json_is_object(a))
		return false;
	memset(out, 0, sizeof(*out));
	out->type = type_of(a);
	out->url = url_of(json_object_get(a, "url"));
	if (!out->url)
		out->url = str_field(a, "href"); /* a bare Link */
	out->media_type = str_field(a, "mediaType");
	if (!out->media_type) {
		const json_t *u = first(json_object_get(a, "url"));

		out->media_type = json_is_object(u) ? str_field(u, "mediaType") : NULL;
	}
	out->name = str_field(a, "name");
	out->blurhash = str_field(a, "blurhash");
	out->width = int_field(a, "width");
	out->height = int_field(a, "height");
	return out->type && out->url;
}

static enum err parse_attachments(const json_t *o, struct as2_object *out, struct err_info *ei)
{
	const json_t *v = json_object_get(o, "attachment");
	const json_t *a;
	size_t i;

	out->n_atts = 0;
	if (json_is_object(v)) {
		if (parse_attachment(v, &out->atts[0]))
			out->n_atts = 1;
		return SE_OK;
	}
	if (!json_is_array(v))
		return SE_OK;
	if (json_array_size(v) > AS2_LIST_SCAN_MAX)
		return SE_RAISEF(ei, SE_PARSE, "attachment: over %d entries", AS2_LIST_SCAN_MAX);
	json_array_foreach(v, i, a)
	{
		if (out->n_atts >= AS2_ATTACH_MAX)
			break;
		if (parse_attachment(a, &out->atts[out->n_atts]))
			out->n_atts++;
	}
	return SE_OK;
}

/* ---- objects ---- */

/* content, else contentMap's "und", "en" or first string value. */
static void parse_content(const json_t *o, struct as2_object *out)
{
	const json_t *map = json_object_get(o, "contentMap");
	const char *pick[] = {"und", "en"};
	const char *key;
	json_t *v;

	out->content = str_field(o, "content");
	if (out->content || !json_is_object(map))
		return;
	for (size_t i = 0; i < 2; i++) {
		if (json_is_string(json_object_get(map, pick[i]))) {
			out->content = str_field(map, pick[i]);
			out->content_lang = pick[i];
			return;
		}
	}
	json_object_foreach((json_t *)map, key, v)
	{
		if (json_is_string(v)) {
			out->content = json_string_value(v);
			out->content_lang = key;
			return;
		}
	}
}

static enum err parse_object_fields(const json_t *o, unsigned flags, struct as2_object *out,
                                    struct err_info *ei)
{
	const json_t *src = json_object_get(o, "source");
	const json_t *sens = json_object_get(o, "sensitive");
	enum err rc;

	out->id = str_field(o, "id");
	if (out->id && !as2_is_url(out->id, flags))
		return SE_RAISEF(ei, SE_PARSE, "object id is not an URL");
	out->type = type_of(o);
	out->attributed_to = as2_id_of(first(json_object_get(o, "attributedTo")));
	out->published = str_field(o, "published");
	out->updated = str_field(o, "updated");
	out->in_reply_to = as2_id_of(first(json_object_get(o, "inReplyTo")));
	out->url = url_of(json_object_get(o, "url"));
	out->name = str_field(o, "name");
	out->summary = str_field(o, "summary");
	out->sensitive = json_is_true(sens);
	parse_content(o, out);
	if (json_is_object(src)) {
		out->source_content = str_field(src, "content");
		out->source_media_type = str_field(src, "mediaType");
	} else if (json_is_string(src)) {
		out->source_content = json_string_value(src);
	}
	out->misskey_content = str_field(o, "_misskey_content");
	if ((rc = audiences(o, &out->to, &out->cc, &out->bto, &out->bcc, &out->audience, ei)) ||
	    (rc = parse_tags(o, out->tags, &out->n_tags, ei)) ||
	    (rc = parse_attachments(o, out, ei)))
		return rc;
	return SE_OK;
}

void as2_object_release(struct as2_object *o)
{
	if (!o)
		return;
	json_decref(o->to);
	json_decref(o->cc);
	json_decref(o->bto);
	json_decref(o->bcc);
	json_decref(o->audience);
	o->to = o->cc = o->bto = o->bcc = o->audience = NULL;
}

enum err as2_parse_object(const json_t *obj, unsigned flags, struct as2_object *out,
                          struct err_info *ei)
{
	struct as2_object o;
	enum err rc;

	memset(&o, 0, sizeof(o));
	if (!json_is_object(obj))
		return SE_RAISEF(ei, SE_PARSE, "not an object");
	if (!depth_ok(obj, 1))
		return SE_RAISEF(ei, SE_PARSE, "nested deeper than %d", AS2_DEPTH_MAX);
	if ((rc = parse_object_fields(obj, flags, &o, ei)) != SE_OK)
		goto fail;
	if (!o.id || !o.type) {
		rc = SE_RAISEF(ei, SE_PARSE, "object without id or type");
		goto fail;
	}
	*out = o;
	return SE_OK;
fail:
	as2_object_release(&o);
	return rc;
}

/* ---- activities ---- */

void as2_activity_release(struct as2_activity *a)
{
	if (!a)
		return;
	json_decref(a->to);
	json_decref(a->cc);
	json_decref(a->bto);
	json_decref(a->bcc);
	json_decref(a->audience);
	a->to = a->cc = a->bto = a->bcc = a->audience = NULL;
	as2_object_release(&a->obj);
	a->has_obj = false;
}

enum err as2_parse_activity(const json_t *doc, unsigned flags, struct as2_activity *out,
                            struct err_info *ei)
{
	struct as2_activity *a = NULL;
	const json_t *obj;
	enum err rc;

	if (!json_is_object(doc))
		return SE_RAISEF(ei, SE_PARSE, "activity is not an object");
	if (!depth_ok(doc, 1))
		return SE_RAISEF(ei, SE_PARSE, "nested deeper than %d", AS2_DEPTH_MAX);
	memset(out, 0, sizeof(*out));
	a = out;
	a->id = str_field(doc, "id");
	if (!as2_is_url(a->id, flags)) {
		rc = SE_RAISEF(ei, SE_PARSE, "activity id missing or not an URL");
		goto fail;
	}
	a->type = type_of(doc);
	if (!a->type) {
		rc = SE_RAISEF(ei, SE_PARSE, "activity without type");
		goto fail;
	}
	a->actor = as2_id_of(first(json_object_get(doc, "actor")));
	if (!as2_is_url(a->actor, flags)) {
		rc = SE_RAISEF(ei, SE_PARSE, "actor missing or not an URL");
		goto fail;
	}
	obj = first(json_object_get(doc, "object"));
	if (obj && !json_is_null(obj)) {
		a->object = obj;
		a->object_id = as2_id_of(obj);
		if (json_is_object(obj))
			a->object_type = type_of(obj);
	}
	a->target = as2_id_of(first(json_object_get(doc, "target")));
	a->published = str_field(doc, "published");
	a->content = str_field(doc, "content");
	a->misskey_reaction = str_field(doc, "_misskey_reaction");
	if ((rc = audiences(doc, &a->to, &a->cc, &a->bto, &a->bcc, &a->audience, ei)) ||
	    (rc = parse_tags(doc, a->tags, &a->n_tags, ei)))
		goto fail;
	if (json_is_object(obj)) {
		if ((rc = parse_object_fields(obj, flags, &a->obj, ei)) != SE_OK)
			goto fail;
		a->has_obj = true;
	}
	return SE_OK;
fail:
	as2_activity_release(out);
	memset(out, 0, sizeof(*out));
	return rc;
}

static bool in_array(const json_t *arr, const char *url, bool public)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);

		if (!s)
			continue;
		if (public ? as2_is_public_iri(s) : strcmp(s, url) == 0)
			return true;
	}
	return false;
}

bool as2_is_public(const struct as2_activity *a)
{
	if (in_array(a->to, NULL, true) || in_array(a->cc, NULL, true) ||
	    in_array(a->audience, NULL, true))
		return true;
	return a->has_obj && (in_array(a->obj.to, NULL, true) || in_array(a->obj.cc, NULL, true) ||
	                      in_array(a->obj.audience, NULL, true));
}

bool as2_addressed_to(const struct as2_activity *a, const char *url)
{
	const json_t *const lists[] = {a->to,       a->cc,          a->bto,    a->bcc,
	                               a->audience, a->obj.to,      a->obj.cc, a->obj.bto,
	                               a->obj.bcc,  a->obj.audience};

	if (!url)
		return false;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (lists[i] && (i < 5 || a->has_obj) && in_array(lists[i], url, false))
			return true;
	return false;
}
