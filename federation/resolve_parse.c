/*
 * federation/resolve_parse.c: validation of fetched actor documents and
 * WebFinger JRDs (pure; fuzzed by tests/fuzz/fuzz_resolve.c). Shapes follow
 * FEDIVERSE.md: publicKey as an object or an array (Mastodon 4.7 keypairs),
 * FEP-521a assertionMethod Multikeys, url as a string, Link or array, icon
 * as an Image or an array of them.
 */
#include "federation/resolve.h"

#include <stdio.h>
#include <string.h>

#include "core/fetch.h"
#include "core/log.h"
#include "federation/keys.h"

#define MAX_ALIASES 16
#define MAX_NAME 64
#define DISPLAY_MAX_CHARS 32

static const char *const actor_types[] = {"Person", "Service", "Application", "Group",
                                          "Organization"};

static const char *str_of(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string, or an object's "href"/"url"/"id" (Link, Image), or the first of an array. */
static const char *link_of(const json_t *v)
{
	if (json_is_array(v))
		v = json_array_get(v, 0);
	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_object(v))
		return NULL;
	if (json_is_string(json_object_get(v, "href")))
		return json_string_value(json_object_get(v, "href"));
	if (json_is_string(json_object_get(v, "url")))
		return json_string_value(json_object_get(v, "url"));
	if (json_is_array(json_object_get(v, "url")) || json_is_object(json_object_get(v, "url")))
		return link_of(json_object_get(v, "url"));
	return NULL;
}

static bool url_ok(const char *s, bool allow_http, struct fetch_url *u)
{
	if (!s || strlen(s) >= FETCH_URL_MAX)
		return false;
	if (fetch_url_parse(s, u, NULL))
		return false;
	return allow_http || strcmp(u->scheme, "https") == 0;
}

/* Optional URL field: copied when valid, dropped (not an error) when not. */
static int set_url(json_t *ap, const char *key, const char *val, bool allow_http)
{
	struct fetch_url u;

	if (!url_ok(val, allow_http, &u))
		return 0;
	return json_object_set_new(ap, key, json_string(val));
}

static bool same_host(const char *url, const struct fetch_url *host, bool allow_http)
{
	struct fetch_url u;

	return url_ok(url, allow_http, &u) && strcmp(u.hostport, host->hostport) == 0;
}

/* preferredUsername: 1..MAX_NAME bytes, no '@', spaces, controls, '/', '#' or '%'. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '@' || c == '/' || c == '#' || c == '%' ||
		    c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Copy at most DISPLAY_MAX_CHARS code points of UTF-8 `s` without control bytes. */
static void display_copy(const char *s, char out[128])
{
	size_t o = 0, chars = 0;

	for (size_t i = 0; s && s[i] && chars < DISPLAY_MAX_CHARS;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (o + len >= 127)
			break;
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		for (size_t k = 0; k < len && s[i]; k++)
			out[o++] = s[i++];
		chars++;
	}
	out[o] = '\0';
	/* trim trailing spaces */
	while (o > 0 && out[o - 1] == ' ')
		out[--o] = '\0';
}

static enum err add_rsa_key(json_t *keys, const json_t *k, const struct fetch_url *host,
                            bool allow_http, struct err_info *ei)
{
	const char *id = str_of(k, "id"), *pem = str_of(k, "publicKeyPem");

	if (!json_is_object(k) || !pem)
		return SE_OK; /* not an RSA key entry we understand: ignored */
	if (!id || !same_host(id, host, allow_http))
		return SE_RAISEF(ei, SE_INVAL, "key id is not on the actor's host");
	if (strlen(pem) > FKEYS_PEM_MAX)
		return SE_RAISEF(ei, SE_INVAL, "publicKeyPem too long");
	if (json_array_size(keys) >= FRES_KEYS_MAX)
		return SE_OK;
	if (json_array_append_new(keys, json_pack("{s:s, s:s}", "id", id, "pem", pem)))
		return SE_RAISE(ei, SE_NOMEM);
	return SE_OK;
}

static enum err add_ed_key(json_t *keys, const json_t *k, const struct fetch_url *host,
                           bool allow_http, struct err_info *ei)
{
	const char *id = str_of(k, "id"), *mb = str_of(k, "publicKeyMultibase");
	const char *type = str_of(k, "type");

	if (!json_is_object(k) || !mb || !type || strcmp(type, "Multikey") != 0)
		return SE_OK;
	if (!id || !same_host(id, host, allow_http))
		return SE_RAISEF(ei, SE_INVAL, "key id is not on the actor's host");
	if (strlen(mb) > FKEYS_MULTIBASE_MAX)
		return SE_OK;
	if (json_array_size(keys) >= FRES_KEYS_MAX)
		return SE_OK;
	if (json_array_append_new(keys, json_pack("{s:s, s:s}", "id", id, "multibase", mb)))
		return SE_RAISE(ei, SE_NOMEM);
	return SE_OK;
}

enum err fres_actor_parse(const json_t *doc, const char *fetched_url, int64_t now_ms,
                          bool allow_http, json_t **ap_out, char username[128], char display[128],
                          struct err_info *ei)
{
	struct fetch_url src, idu;
	const char *id, *type, *inbox, *name, *dname;
	const json_t *pk, *am, *aka, *ep;
	json_t *ap = NULL, *keys = NULL, *ed = NULL, *akas = NULL;
	bool known = false;
	size_t i;
	int bad = 0;
	enum err rc = SE_OK;

	if (!json_is_object(doc))
		return SE_RAISEF(ei, SE_INVAL, "actor document is not an object");
	if (!url_ok(fetched_url, true, &src))
		return SE_RAISEF(ei, SE_INVAL, "bad fetched URL");
	id = str_of(doc, "id");
	if (!url_ok(id, allow_http, &idu))
		return SE_RAISEF(ei, SE_INVAL, "actor id is not an absolute URL");
	/* anti-spoofing: the document speaks only for the host that served it */
	if (strcmp(idu.hostport, src.hostport) != 0)
		return SE_RAISEF(ei, SE_INVAL, "actor id host differs from the host it came from");
	type = str_of(doc, "type");
	for (i = 0; type && i < sizeof(actor_types) / sizeof(actor_types[0]); i++)
		known = known || strcmp(type, actor_types[i]) == 0;
	if (!known)
		return SE_RAISEF(ei, SE_INVAL, "not an actor type");
	inbox = str_of(doc, "inbox");
	{
		struct fetch_url iu;

		if (!url_ok(inbox, allow_http, &iu))
			return SE_RAISEF(ei, SE_INVAL, "actor has no inbox");
	}
	name = str_of(doc, "preferredUsername");
	if (!name_ok(name))
		return SE_RAISEF(ei, SE_INVAL, "bad or missing preferredUsername");
	if (strlen(name) + 1 + strlen(idu.hostport) >= 128)
		return SE_RAISEF(ei, SE_INVAL, "handle too long");

	keys = json_array();
	ed = json_array();
	akas = json_array();
	if (!keys || !ed || !akas) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	pk = json_object_get(doc, "publicKey");
	if (json_is_array(pk)) {
		for (i = 0; !rc && i < json_array_size(pk) && i < 4 * FRES_KEYS_MAX; i++)
			rc = add_rsa_key(keys, json_array_get(pk, i), &idu, allow_http, ei);
	} else {
		rc = add_rsa_key(keys, pk, &idu, allow_http, ei);
	}
	am = json_object_get(doc, "assertionMethod");
	if (json_is_array(am)) {
		for (i = 0; !rc && i < json_array_size(am) && i < 4 * FRES_KEYS_MAX; i++)
			rc = add_ed_key(ed, json_array_get(am, i), &idu, allow_http, ei);
	} else if (!rc) {
		rc = add_ed_key(ed, am, &idu, allow_http, ei);
	}
	if (rc)
		goto out;
	if (json_array_size(keys) == 0 && json_array_size(ed) == 0) {
		rc = SE_RAISEF(ei, SE_INVAL, "actor has no public key");
		goto out;
	}
	aka = json_object_get(doc, "alsoKnownAs");
	if (json_is_string(aka)) {
		struct fetch_url u;

		if (url_ok(json_string_value(aka), allow_http, &u))
			bad |= json_array_append(akas, (json_t *)aka);
	}
	for (i = 0; json_is_array(aka) && i < json_array_size(aka) && i < MAX_ALIASES; i++) {
		const json_t *a = json_array_get(aka, i);
		struct fetch_url u;

		if (json_is_string(a) && url_ok(json_string_value(a), allow_http, &u))
			bad |= json_array_append(akas, (json_t *)a);
	}

	ap = json_object();
	if (!ap) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	bad |= json_object_set_new(ap, "id", json_string(id));
	bad |= json_object_set_new(ap, "type", json_string(type));
	bad |= json_object_set_new(ap, "inbox", json_string(inbox));
	ep = json_object_get(doc, "endpoints");
	bad |= set_url(ap, "shared_inbox", str_of(ep, "sharedInbox"), allow_http);
	bad |= set_url(ap, "outbox", str_of(doc, "outbox"), allow_http);
	bad |= set_url(ap, "followers", str_of(doc, "followers"), allow_http);
	bad |= set_url(ap, "following", str_of(doc, "following"), allow_http);
	bad |= set_url(ap, "url", link_of(json_object_get(doc, "url")), allow_http);
	bad |= set_url(ap, "icon", link_of(json_object_get(doc, "icon")), allow_http);
	bad |= set_url(ap, "image", link_of(json_object_get(doc, "image")), allow_http);
	bad |= set_url(ap, "moved_to", str_of(doc, "movedTo"), allow_http);
	bad |= json_object_set_new(ap, "host", json_string(idu.hostport));
	bad |= json_object_set_new(ap, "preferred_username", json_string(name));
	bad |= json_object_set(ap, "keys", keys);
	bad |= json_object_set(ap, "ed_keys", ed);
	bad |= json_object_set(ap, "also_known_as", akas);
	bad |= json_object_set_new(
	    ap, "locked",
	    json_boolean(json_is_true(json_object_get(doc, "manuallyApprovesFollowers"))));
	bad |= json_object_set_new(ap, "fetched_at", json_integer(now_ms));
	if (bad) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	{
		size_t nl = strlen(name), hl = strlen(idu.hostport);

		/* fits: checked against 128 above */
		memcpy(username, name, nl);
		username[nl] = '@';
		memcpy(username + nl + 1, idu.hostport, hl + 1);
	}
	dname = str_of(doc, "name");
	display_copy(dname ? dname : "", display);
	*ap_out = ap;
	ap = NULL;
out:
	json_decref(ap);
	json_decref(keys);
	json_decref(ed);
	json_decref(akas);
	return rc;
}

static bool is_as2_type(const char *t)
{
	static const char ld[] = "application/ld+json";

	if (!t)
		return false;
	if (strcmp(t, "application/activity+json") == 0)
		return true;
	/* application/ld+json; profile="https://www.w3.org/ns/activitystreams" (any spacing) */
	return strncmp(t, ld, sizeof(ld) - 1) == 0 && strstr(t, "activitystreams") != NULL;
}

enum err fres_jrd_self(const json_t *jrd, bool allow_http, char href[2048], struct err_info *ei)
{
	const json_t *links = json_object_get(jrd, "links");
	struct fetch_url u;

	if (!json_is_object(jrd) || !json_is_array(links))
		return SE_RAISEF(ei, SE_INVAL, "JRD without links");
	for (size_t i = 0; i < json_array_size(links) && i < 64; i++) {
		const json_t *l = json_array_get(links, i);
		const char *rel = str_of(l, "rel"), *h = str_of(l, "href");

		if (!rel || strcmp(rel, "self") != 0 || !is_as2_type(str_of(l, "type")))
			continue;
		if (!url_ok(h, allow_http, &u))
			continue;
		snprintf(href, 2048, "%s", h);
		return SE_OK;
	}
	return SE_RAISEF(ei, SE_NOT_FOUND, "JRD has no ActivityPub self link");
}
