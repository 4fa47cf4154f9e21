/*
 * federation/actor.c: local users and the instance actor as ActivityPub
 * actors, content negotiation, Tombstones for gone accounts, and the cache
 * of rendered documents.
 *
 * The cache is keyed by the bytes the document is made from (the stored
 * user record, account record, the user's effective auto-accept setting
 * (federation/prefs.h) and key record, read in one view): a hit
 * needs three LMDB reads and a memcmp, no JSON work, and an edit, a
 * disabled account or a key rotation can never be served stale because it
 * changes the key.
 */
#include "federation/actor.h"

#include <pthread.h>
#include <string.h>

#include "app.h"
#include "auth/records.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/as2.h"
#include "federation/fed.h"
#include "federation/inbox.h"
#include "federation/keys.h"
#include "federation/markdown.h"
#include "federation/prefs.h"
#include "http/http.h"
#include "storage/store.h"
#include "users/user.h"

/* slots of the direct-mapped document cache */
#define ACTOR_CACHE_SLOTS 4096
/* lock stripes over the slots */
#define ACTOR_CACHE_LOCKS 64
/* bytes of a rendered actor document */
#define ACTOR_DOC_MAX (256u << 10)
/* Revolt user flags that end an account's public life: Suspended, Deleted, Banned */
#define ACTOR_GONE_FLAGS (1 | 2 | 4)

struct actor_slot {
	char id[STORE_ID_MAX];
	char *key; /* the inputs the document was rendered from (owned) */
	size_t key_len;
	char *doc; /* the rendered document (owned) */
	size_t doc_len;
};

struct actor_cache {
	pthread_mutex_t mu[ACTOR_CACHE_LOCKS]; /* slot i is guarded by mu[i % ACTOR_CACHE_LOCKS] */
	struct actor_slot slots[ACTOR_CACHE_SLOTS];
};

struct actor_cache *actor_cache_new(void)
{
	struct actor_cache *c = xcalloc(1, sizeof(*c));

	for (size_t i = 0; i < ACTOR_CACHE_LOCKS; i++)
		pthread_mutex_init(&c->mu[i], NULL);
	return c;
}

void actor_cache_free(struct actor_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ACTOR_CACHE_SLOTS; i++) {
		mem_free(c->slots[i].key);
		mem_free(c->slots[i].doc);
	}
	for (size_t i = 0; i < ACTOR_CACHE_LOCKS; i++)
		pthread_mutex_destroy(&c->mu[i]);
	mem_free(c);
}

static size_t slot_of(struct str id)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < id.n; i++)
		h = (h ^ (unsigned char)id.p[i]) * 16777619u;
	return h % ACTOR_CACHE_SLOTS;
}

/* Copy the cached document into the response when `key` matches. */
static bool cache_serve(struct actor_cache *c, struct str id, struct str key,
                        struct http_resp *resp)
{
	size_t i = slot_of(id);
	struct actor_slot *s = &c->slots[i];
	bool hit;

	pthread_mutex_lock(&c->mu[i % ACTOR_CACHE_LOCKS]);
	hit = s->doc && str_eq_cstr(id, s->id) && s->key_len == key.n &&
	      memcmp(s->key, key.p, key.n) == 0;
	if (hit)
		http_resp_set(resp, 200, ACTOR_AS2_TYPE, (struct str){s->doc, s->doc_len});
	pthread_mutex_unlock(&c->mu[i % ACTOR_CACHE_LOCKS]);
	return hit;
}

static void cache_put(struct actor_cache *c, struct str id, struct str key, struct str doc)
{
	size_t i = slot_of(id);
	struct actor_slot *s = &c->slots[i];
	char *k, *d;

	if (id.n >= sizeof(s->id))
		return;
	k = mem_try_alloc(key.n + 1);
	d = mem_try_alloc(doc.n + 1);
	if (!k || !d) {
		mem_free(k);
		mem_free(d);
		return;
	}
	memcpy(k, key.p, key.n);
	memcpy(d, doc.p, doc.n);
	pthread_mutex_lock(&c->mu[i % ACTOR_CACHE_LOCKS]);
	mem_free(s->key);
	mem_free(s->doc);
	memcpy(s->id, id.p, id.n);
	s->id[id.n] = '\0';
	s->key = k;
	s->key_len = key.n;
	s->doc = d;
	s->doc_len = doc.n;
	pthread_mutex_unlock(&c->mu[i % ACTOR_CACHE_LOCKS]);
}

/* ---- what to serve ---- */

/* The state of user `rec` with account record `acct` (NULL: none). */
static enum actor_state state_from(const json_t *rec, const json_t *acct)
{
	json_int_t flags = json_integer_value(json_object_get(rec, "flags"));
	const char *del;

	if (json_object_get(rec, "ap"))
		return ACTOR_REMOTE;
	if (flags & ACTOR_GONE_FLAGS)
		return ACTOR_GONE;
	if (user_is_bot(rec))
		return ACTOR_LIVE;
	if (!acct)
		return ACTOR_GONE; /* a user without an account was deleted */
	del = json_string_value(json_object_get(json_object_get(acct, "deletion"), "status"));
	if (json_is_true(json_object_get(acct, "disabled")) ||
	    (del && (strcmp(del, "Scheduled") == 0 || strcmp(del, "Deleted") == 0)))
		return ACTOR_GONE;
	return ACTOR_LIVE;
}

enum actor_state actor_state_of(struct store_txn *txn, const json_t *rec)
{
	json_t *acct = NULL;
	enum actor_state st;

	if (authrec_load(txn, AUTHREC_ACCOUNTS, str_from(user_id_of(rec)), &acct))
		acct = NULL;
	st = state_from(rec, acct);
	json_decref(acct);
	return st;
}

char *actor_handle(const json_t *rec, struct arena *a)
{
	const char *name = json_string_value(json_object_get(rec, "username"));
	const char *d = json_string_value(json_object_get(rec, "discriminator"));

	if (!name || !d)
		return NULL;
	return arena_printf(a, "%s_%s", name, d);
}

/* ---- content negotiation ---- */

enum media_kind { MK_OTHER, MK_HTML, MK_AS2, MK_ANY };

static enum media_kind media_kind(struct str t)
{
	if (str_eq_nocase(t, STR_LIT("text/html")) ||
	    str_eq_nocase(t, STR_LIT("application/xhtml+xml")))
		return MK_HTML;
	if (str_eq_nocase(t, STR_LIT("application/activity+json")) ||
	    str_eq_nocase(t, STR_LIT("application/ld+json")) ||
	    str_eq_nocase(t, STR_LIT("application/json")))
		return MK_AS2;
	if (str_eq_cstr(t, "*/*") || str_eq_nocase(t, STR_LIT("application/*")))
		return MK_ANY;
	return MK_OTHER;
}

/* q of a media range's parameters in thousandths (1000 when absent). */
static int q_of(struct str params)
{
	while (params.n) {
		struct str p = str_trim(str_cut(&params, ';'));
		struct str v;
		int q = 0, digits = 0;

		if (p.n < 2 || (p.p[0] != 'q' && p.p[0] != 'Q') || p.p[1] != '=')
			continue;
		v = (struct str){p.p + 2, p.n - 2};
		if (v.n == 0 || (v.p[0] != '0' && v.p[0] != '1'))
			return 0;
		q = (v.p[0] - '0') * 1000;
		if (v.n > 1 && v.p[1] == '.')
			for (size_t i = 2; i < v.n && digits < 3; i++, digits++) {
				if (v.p[i] < '0' || v.p[i] > '9')
					return 0;
				q += (v.p[i] - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
			}
		return q > 1000 ? 1000 : q;
	}
	return 1000;
}

/* Best q of HTML and of AS2 (explicit types; * / * counts for AS2 in `any`). */
static void accept_scan(struct str accept, int *html, int *as2, int *any, bool *html_first)
{
	int pos = 0, html_pos = -1, as2_pos = -1;

	*html = *as2 = *any = -1;
	while (accept.n && pos < 64) {
		struct str range = str_cut(&accept, ',');
		struct str type = str_trim(str_cut(&range, ';'));
		int q = q_of(range);

		pos++;
		if (q <= 0)
			continue;
		switch (media_kind(type)) {
		case MK_HTML:
			if (q > *html)
				*html = q;
			if (html_pos < 0)
				html_pos = pos;
			break;
		case MK_AS2:
			if (q > *as2)
				*as2 = q;
			if (as2_pos < 0)
				as2_pos = pos;
			break;
		case MK_ANY:
			if (q > *any)
				*any = q;
			break;
		default:
			break;
		}
	}
	*html_first = html_pos >= 0 && (as2_pos < 0 || html_pos < as2_pos);
}

bool actor_wants_html(struct str accept)
{
	int html, as2, any;
	bool first;

	if (!accept.p)
		return false;
	accept_scan(accept, &html, &as2, &any, &first);
	if (html < 0)
		return false;
	if (as2 < 0)
		return html >= any;
	return html > as2 || (html == as2 && first);
}

bool actor_wants_as2(struct str accept)
{
	int html, as2, any;
	bool first;

	if (!accept.p)
		return false;
	accept_scan(accept, &html, &as2, &any, &first);
	return as2 >= 0 && !actor_wants_html(accept);
}

/* ---- documents ---- */

/*
 * The shared @context (as2_context) with the inline term assertionMethod
 * guaranteed: fedify's JSON-LD processing drops our Multikey without it.
 */
static json_t *context(void)
{
	json_t *c = as2_context();
	json_t *inline_terms = NULL;
	size_t i;
	json_t *v;

	json_array_foreach(c, i, v)
	{
		if (json_is_object(v))
			inline_terms = v;
	}
	if (inline_terms && !json_object_get(inline_terms, "assertionMethod") &&
	    json_object_set_new(inline_terms, "assertionMethod",
	                        json_pack("{s:s, s:s}", "@id",
	                                  "https://w3id.org/security#assertionMethod", "@type",
	                                  "@id"))) {
		json_decref(c);
		return NULL;
	}
	return c;
}

char *actor_summary_html(const json_t *rec, struct arena *a)
{
	const char *md =
	    json_string_value(json_object_get(json_object_get(rec, "profile"), "content"));

	struct buf b = BUF_INIT(FMD_OUTPUT_MAX);
	char *out = NULL;

	if (!md || !md[0])
		return NULL;
	if (!fmd_to_html(str_from(md), &b, NULL))
		out = arena_strndup(a, b.ptr, b.len);
	buf_release(&b);
	return out;
}

/* A non-empty id or tag of at most 64 bytes of [A-Za-z0-9_-]. */
static bool url_safe(const char *s)
{
	size_t n =
	    s ? strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") : 0;

	return n > 0 && n <= 64 && s[n] == '\0';
}

/* An Image for a File object (Autumn's download URL), or NULL. */
static json_t *image_of(struct fed *f, const json_t *file, struct arena *a)
{
	const char *id = json_string_value(json_object_get(file, "_id"));
	const char *tag = json_string_value(json_object_get(file, "tag"));
	const char *type = json_string_value(json_object_get(file, "content_type"));
	char *url;

	if (!url_safe(id) || !url_safe(tag))
		return NULL;
	url = arena_printf(a, "%s/%s/download/%s", f->cfg->hosts.autumn, tag, id);
	if (!url)
		return NULL;
	return type ? json_pack("{s:s, s:s, s:s}", "type", "Image", "url", url, "mediaType", type)
	            : json_pack("{s:s, s:s}", "type", "Image", "url", url);
}

/* publicKey (RSA, draft-cavage) and assertionMethod (Ed25519 Multikey, FEP-521a). */
static enum err add_keys(json_t *doc, const char *actor, const struct fkeys_pub *k, struct arena *a)
{
	char *rsa_id = arena_printf(a, "%s#main-key", actor);
	char *ed_id = arena_printf(a, "%s#ed25519-key", actor);

	if (!rsa_id || !ed_id ||
	    json_object_set_new(doc, "publicKey",
	                        json_pack("{s:s, s:s, s:s}", "id", rsa_id, "owner", actor,
	                                  "publicKeyPem", k->rsa_pem)) ||
	    json_object_set_new(doc, "assertionMethod",
	                        json_pack("[{s:s, s:s, s:s, s:s}]", "id", ed_id, "type", "Multikey",
	                                  "controller", actor, "publicKeyMultibase",
	                                  k->ed_multibase)))
		return SE_NOMEM;
	return SE_OK;
}

/* Fields every actor of ours has, for actor URL `id`. */
static json_t *actor_base(struct fed *f, const char *id, const char *type, const char *username,
                          struct arena *a)
{
	char *inbox = arena_printf(a, "%s/inbox", id), *outbox = arena_printf(a, "%s/outbox", id);
	char *followers = arena_printf(a, "%s/followers", id);
	char *following = arena_printf(a, "%s/following", id);
	char *featured = arena_printf(a, "%s/featured", id);
	char *shared = arena_printf(a, "%s/inbox", f->base);

	if (!inbox || !outbox || !followers || !following || !featured || !shared)
		return NULL;
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "@context",
	                 context(), "id", id, "type", type, "preferredUsername", username, "inbox",
	                 inbox, "outbox", outbox, "followers", followers, "following", following,
	                 "featured", featured, "endpoints", "sharedInbox", shared);
}

/* `auto_accept`: the user's effective setting (fprefs_auto_accept) */
static json_t *actor_doc_arena(struct fed *f, const json_t *rec, const struct fkeys_pub *keys,
                               bool auto_accept, struct arena *a, struct err_info *ei)
{
	const char *uid = user_id_of(rec), *display;
	char *actor, *handle, *url, *summary;
	char published[32];
	struct ulid u;
	const json_t *profile = json_object_get(rec, "profile");
	const json_t *icon = json_object_get(rec, "avatar");
	const json_t *bg = json_object_get(profile, "background");
	json_t *doc, *img;
	int bad = 0;

	if (!uid[0] || json_object_get(rec, "ap") || ulid_parse(str_from(uid), &u, NULL)) {
		SE_RAISEF(ei, SE_INVAL, "not a local user record");
		return NULL;
	}
	actor = fed_actor_url(f, a, str_from(uid));
	handle = actor_handle(rec, a);
	url = handle ? arena_printf(a, "%s/@%s", f->base, handle) : NULL;
	doc = actor && url
	          ? actor_base(f, actor, user_is_bot(rec) ? "Service" : "Person", handle, a)
	          : NULL;
	if (!doc) {
		SE_RAISE(ei, SE_NOMEM);
		return NULL;
	}
	display = json_string_value(json_object_get(rec, "display_name"));
	if (!display || !display[0])
		display = json_string_value(json_object_get(rec, "username"));
	authrec_iso8601((int64_t)ulid_time_ms(&u), published);
	summary = actor_summary_html(rec, a);
	bad |= json_object_set_new(doc, "name", json_string(display));
	bad |= json_object_set_new(doc, "summary", json_string(summary ? summary : ""));
	bad |= json_object_set_new(doc, "url", json_string(url));
	bad |= json_object_set_new(doc, "manuallyApprovesFollowers", json_boolean(!auto_accept));
	bad |= json_object_set_new(doc, "discoverable", json_true());
	bad |= json_object_set_new(doc, "published", json_string(published));
	if ((img = json_is_object(icon) ? image_of(f, icon, a) : NULL) != NULL)
		bad |= json_object_set_new(doc, "icon", img);
	if ((img = json_is_object(bg) ? image_of(f, bg, a) : NULL) != NULL)
		bad |= json_object_set_new(doc, "image", img);
	if (bad || add_keys(doc, actor, keys, a)) {
		json_decref(doc);
		SE_RAISE(ei, SE_NOMEM);
		return NULL;
	}
	return doc;
}

json_t *fed_actor_doc(struct fed *f, const json_t *user_rec, struct err_info *ei)
{
	struct arena a = ARENA_INIT(1u << 20);
	struct fkeys_pub keys;
	struct store_txn *txn = NULL;
	const char *uid = user_id_of(user_rec);
	bool auto_accept = f->cfg->federation.auto_accept_follows;
	json_t *doc = NULL;

	if (!uid[0] || json_object_get(user_rec, "ap") || !ulid_is_valid(str_from(uid))) {
		SE_RAISEF(ei, SE_INVAL, "not a local user record");
		goto out;
	}
	if (!store_read_begin(f->store, &txn))
		auto_accept = fprefs_auto_accept(txn, str_from(uid), auto_accept);
	store_read_end(txn);
	if (!fkeys_public(f->keys, str_from(uid), &a, &keys, ei))
		doc = actor_doc_arena(f, user_rec, &keys, auto_accept, &a, ei);
out:
	arena_release(&a);
	return doc;
}

static json_t *instance_doc_arena(struct fed *f, struct arena *a, struct err_info *ei)
{
	char *actor = arena_printf(a, "%s/actor", f->base);
	char *name = arena_strndup(a, f->host, strcspn(f->host, ":"));
	struct fkeys_pub keys;
	json_t *doc;

	if (fkeys_public(f->keys, STR_LIT(FKEYS_INSTANCE), a, &keys, ei))
		return NULL;
	doc = actor && name ? actor_base(f, actor, "Application", name, a) : NULL;
	if (!doc || add_keys(doc, actor, &keys, a) ||
	    json_object_set_new(doc, "name", json_string(name)) ||
	    json_object_set_new(doc, "url", json_string(f->base)) ||
	    json_object_set_new(doc, "manuallyApprovesFollowers", json_true()) ||
	    json_object_set_new(doc, "discoverable", json_false())) {
		json_decref(doc);
		SE_RAISE(ei, SE_NOMEM);
		return NULL;
	}
	return doc;
}

json_t *fed_instance_actor_doc(struct fed *f, struct err_info *ei)
{
	struct arena a = ARENA_INIT(1u << 20);
	json_t *doc = instance_doc_arena(f, &a, ei);

	arena_release(&a);
	return doc;
}

/* ---- handlers ---- */

static struct fed *fed_of(struct req_ctx *ctx)
{
	return ((struct app *)ctx->app)->fed;
}

static enum err reply_doc(struct req_ctx *ctx, int status, json_t *doc, struct buf *keep)
{
	char *text = doc ? jx_dump(doc) : NULL;

	json_decref(doc);
	if (!text)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_set(ctx->resp, status, ACTOR_AS2_TYPE, str_from(text));
	if (keep)
		buf_puts(keep, text);
	mem_free(text);
	return SE_OK;
}

static enum err reply_tombstone(struct req_ctx *ctx, const char *id, const char *former)
{
	json_t *doc = json_pack("{s:o, s:s, s:s, s:s}", "@context", context(), "id", id, "type",
	                        "Tombstone", "formerType", former);

	return reply_doc(ctx, 410, doc, NULL);
}

/* True when stored key record `raw` holds exactly the public keys in `k`. */
static bool keys_record_matches(struct str raw, const struct fkeys_pub *k)
{
	json_t *rec = NULL;
	bool ok;

	if (!raw.p || jx_parse_object(raw, LIM_JSON_BODY_MAX, &rec, NULL))
		return false;
	ok = json_string_value(json_object_get(rec, "rsa_pub")) &&
	     json_string_value(json_object_get(rec, "ed_pub")) &&
	     strcmp(json_string_value(json_object_get(rec, "rsa_pub")), k->rsa_pem) == 0 &&
	     strcmp(json_string_value(json_object_get(rec, "ed_pub")), k->ed_multibase) == 0;
	json_decref(rec);
	return ok;
}

/*
 * The cache key of user `id`: user record NUL account record NUL auto-accept
 * ('0'/'1', the user's effective setting) key record, read in one view into
 * `kb` (reset first). *user_len / *acct_len / *keys_len (0 when absent)
 * locate the parts. SE_NOT_FOUND without a user.
 */
static enum err read_key(struct fed *f, struct str id, struct buf *kb, size_t *user_len,
                         size_t *acct_len, size_t *keys_len)
{
	struct store_txn *txn = NULL;
	struct str raw = STR_NULL;
	enum err rc;

	buf_reset(kb);
	*user_len = *acct_len = *keys_len = 0;
	rc = store_read_begin(f->store, &txn);
	if (rc)
		return rc;
	rc = store_get(txn, USER_COLL, id, &raw);
	if (!rc) {
		buf_append_str(kb, raw);
		buf_putc(kb, '\0');
		*user_len = raw.n;
		if (!store_get(txn, AUTHREC_ACCOUNTS, id, &raw)) {
			buf_append_str(kb, raw);
			*acct_len = raw.n;
		}
		buf_putc(kb, '\0');
		buf_putc(kb, fprefs_auto_accept(txn, id, f->cfg->federation.auto_accept_follows)
		                 ? '1'
		                 : '0');
		if (!store_get(txn, FKEYS_COLL, id, &raw)) {
			buf_append_str(kb, raw);
			*keys_len = raw.n;
		}
	}
	store_read_end(txn);
	return rc ? rc : buf_err(kb);
}

enum err actor_serve(struct req_ctx *ctx, struct fed *f, struct str id, bool html)
{
	struct buf kb = BUF_INIT(4u << 20), out = BUF_INIT(ACTOR_DOC_MAX);
	size_t user_len, acct_len, keys_len;
	struct fkeys_pub keys;
	json_t *rec = NULL, *acct = NULL, *doc;
	enum actor_state st;
	char *actor = fed_actor_url(f, ctx->arena, id);
	enum err rc;

	if (!ulid_is_valid(id) || !actor)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	http_resp_header(ctx->resp, "Vary", "Accept");
	rc = read_key(f, id, &kb, &user_len, &acct_len, &keys_len);
	if (rc == SE_NOT_FOUND)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	if (rc)
		goto out;
	/* the same records as a cached live document: serve it, no JSON work */
	if (!html && keys_len && cache_serve(f->actors, id, buf_str(&kb), ctx->resp))
		goto out;
	rc = jx_parse_object((struct str){kb.ptr, user_len}, LIM_JSON_BODY_MAX, &rec, &ctx->ei);
	if (!rc && acct_len)
		rc = jx_parse_object((struct str){kb.ptr + user_len + 1, acct_len},
		                     LIM_JSON_BODY_MAX, &acct, &ctx->ei);
	if (rc)
		goto out;
	st = state_from(rec, acct);
	if (st == ACTOR_REMOTE) {
		rc = SE_RAISE(&ctx->ei, SE_NotFound);
		goto out;
	}
	if (st == ACTOR_GONE) {
		rc = html ? actor_profile_gone(ctx)
		          : reply_tombstone(ctx, actor, user_is_bot(rec) ? "Service" : "Person");
		goto out;
	}
	if (html) {
		rc = actor_profile_render(f, ctx, rec, actor_summary_html(rec, ctx->arena));
		goto out;
	}
	/* a live local user: its keys (created on first use, outside any read view) */
	rc = fkeys_public(f->keys, id, ctx->arena, &keys, &ctx->ei);
	if (rc)
		goto out;
	doc = actor_doc_arena(f, rec, &keys, kb.ptr[user_len + acct_len + 2] == '1', ctx->arena,
	                      &ctx->ei);
	if (!doc) {
		rc = ctx->ei.detail[0] ? SE_INVAL : SE_NOMEM;
		goto out;
	}
	rc = reply_doc(ctx, 200, doc, &out);
	if (rc || buf_err(&out))
		goto out;
	/* cache it under the records it was made from (re-read when the keys were new) */
	if (!keys_len) {
		struct buf first = kb;

		kb = (struct buf)BUF_INIT(4u << 20);
		if (read_key(f, id, &kb, &user_len, &acct_len, &keys_len) ||
		    first.len != user_len + acct_len + 3 ||
		    memcmp(first.ptr, kb.ptr, first.len) != 0)
			keys_len = 0; /* the records moved on: do not cache */
		buf_release(&first);
	}
	if (keys_len &&
	    keys_record_matches((struct str){kb.ptr + user_len + acct_len + 3, keys_len}, &keys))
		cache_put(f->actors, id, buf_str(&kb), buf_str(&out));
out:
	json_decref(rec);
	json_decref(acct);
	buf_release(&kb);
	buf_release(&out);
	return rc;
}

enum err actor_get(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);
	bool html;

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	html = actor_wants_html(http_req_header(ctx->req, "accept"));
	/* authorized fetch: AS2 only for signed GETs (the HTML page stays public) */
	if (!html && f->cfg->federation.authorized_fetch) {
		char signer[256];
		enum err rc = finbox_verify_get(f, ctx->req, signer, &ctx->ei);

		if (rc)
			return SE_RAISE(&ctx->ei, rc);
	}
	return actor_serve(ctx, f, ctx->req->params[0], html);
}

enum err actor_instance_get(struct req_ctx *ctx)
{
	struct fed *f = fed_of(ctx);

	if (!f)
		return SE_RAISE(&ctx->ei, SE_NotFound);
	return reply_doc(ctx, 200, instance_doc_arena(f, ctx->arena, &ctx->ei), NULL);
}
