/*
 * federation/csync.c: FEP-8fcf, the parts without network I/O: the
 * Collection-Synchronization header (parse, render), the followers digest,
 * the per-host follower list that the partial followers collection and the
 * outbound header share, and the header of one delivery. The inbound check
 * is federation/csync_check.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/csync.h"
#include "federation/fed.h"
#include "federation/follows.h"
#include "federation/mapping_int.h"

/* arena bytes of one page of followers */
#define WALK_ARENA_MAX (8u << 20)
/* bytes of an activity body fcsync_addressed_to parses */
#define BODY_MAX (512u << 10)
/* bytes of a host key in the table */
#define HOST_MAX 264

/* ---- header ---- */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A parameter value (quoted string or token) from s[*i] into `out` (cap bytes). */
static enum err param_value(struct str s, size_t *i, char *out, size_t cap)
{
	size_t n = 0;

	if (*i < s.n && s.p[*i] == '"') {
		(*i)++;
		for (;;) {
			char c;

			if (*i >= s.n)
				return SE_PARSE; /* unterminated */
			c = s.p[(*i)++];
			if (c == '"')
				break;
			if (c == '\\') {
				if (*i >= s.n)
					return SE_PARSE;
				c = s.p[(*i)++];
			}
			if ((unsigned char)c < 0x20 || c == 0x7f)
				return SE_PARSE;
			if (n + 1 >= cap)
				return SE_TOO_LARGE;
			out[n++] = c;
		}
	} else {
		while (*i < s.n && is_tchar(s.p[*i]) && s.p[*i] != ',') {
			if (n + 1 >= cap)
				return SE_TOO_LARGE;
			out[n++] = s.p[(*i)++];
		}
		if (n == 0)
			return SE_PARSE;
	}
	out[n] = '\0';
	return SE_OK;
}

static bool hex_digest(char *d)
{
	size_t n = strlen(d);

	if (n != FCSYNC_DIGEST_HEX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];

		if (c >= 'A' && c <= 'F')
			d[i] = (char)(c + 32);
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

enum err fcsync_parse(struct str s, struct fcsync_hdr *out)
{
	/* the longest field, for unknown parameters */
	char skip[FCSYNC_URL_MAX];
	bool seen[3] = {false, false, false};
	size_t i = 0;

	if (!s.p || s.n > FCSYNC_HEADER_MAX)
		return s.p ? SE_TOO_LARGE : SE_PARSE;
	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t k0, kn;
		struct str key;
		char *dst = skip; /* collectionId and url have the size of skip */
		int which = -1;
		enum err rc;

		while (i < s.n && is_ows(s.p[i]))
			i++;
		if (i >= s.n)
			break;
		k0 = i;
		while (i < s.n && is_tchar(s.p[i]))
			i++;
		kn = i - k0;
		if (kn == 0)
			return SE_PARSE;
		while (i < s.n && is_ows(s.p[i]))
			i++;
		if (i >= s.n || s.p[i] != '=')
			return SE_PARSE;
		i++;
		while (i < s.n && is_ows(s.p[i]))
			i++;
		key = (struct str){s.p + k0, kn};
		if (str_eq_nocase(key, STR_LIT("collectionId"))) {
			which = 0;
			dst = out->collection_id;
		} else if (str_eq_nocase(key, STR_LIT("url"))) {
			which = 1;
			dst = out->url;
		} else if (str_eq_nocase(key, STR_LIT("digest"))) {
			which = 2; /* read into skip: its length is checked before the copy */
		}
		if (which >= 0 && seen[which])
			return SE_PARSE; /* a parameter twice */
		if (which == 2) {
			rc = param_value(s, &i, skip, sizeof(skip));
			if (!rc && strlen(skip) != FCSYNC_DIGEST_HEX)
				rc = SE_PARSE;
			if (!rc)
				memcpy(out->digest, skip, FCSYNC_DIGEST_HEX + 1);
		} else {
			rc = param_value(s, &i, dst, sizeof(skip));
		}
		if (rc)
			return rc;
		if (which >= 0)
			seen[which] = true;
		while (i < s.n && is_ows(s.p[i]))
			i++;
		if (i >= s.n)
			break;
		if (s.p[i] != ',')
			return SE_PARSE;
		i++;
	}
	if (!seen[0] || !seen[1] || !seen[2] || !out->collection_id[0] || !out->url[0] ||
	    !hex_digest(out->digest))
		return SE_PARSE;
	return SE_OK;
}

static bool render_ok(const char *v)
{
	if (!v || !*v)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f || *v == '"' || *v == '\\')
			return false;
	return true;
}

enum err fcsync_render(const char *collection_id, const char *url, const char *digest_hex,
                       struct buf *out)
{
	if (!render_ok(collection_id) || !render_ok(url) || !render_ok(digest_hex))
		return SE_INVAL;
	buf_printf(out, "collectionId=\"%s\", url=\"%s\", digest=\"%s\"", collection_id, url,
	           digest_hex);
	return buf_err(out);
}

/* ---- digest ---- */

void fcsync_digest_add(struct fcsync_digest *d, struct str actor_id)
{
	unsigned char h[32];

	cry_sha256(actor_id.p ? actor_id.p : "", actor_id.n, h);
	for (size_t i = 0; i < sizeof(h); i++)
		d->x[i] ^= h[i];
	d->n++;
}

void fcsync_digest_hex(const struct fcsync_digest *d, char out[FCSYNC_DIGEST_HEX + 1])
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hx[d->x[i] >> 4];
		out[2 * i + 1] = hx[d->x[i] & 15];
	}
	out[FCSYNC_DIGEST_HEX] = '\0';
}

/* ---- the follower list ---- */

struct walk {
	const struct fed *f;
	struct store_txn *txn;
	fcsync_follower_fn fn;
	void *arg;
};

static enum err walk_one(void *arg, const struct ffollow *fw, struct arena *a)
{
	struct walk *w = arg;
	struct str er = str_from(fw->follower);
	struct fout_remote r;
	const char *id;
	enum err rc = fout_remote_of(w->txn, er, a, &r);

	if (!rc)
		return r.id && r.host ? w->fn(w->arg, r.id, r.host) : SE_OK;
	if (rc != SE_NOT_FOUND)
		return rc;
	if (!fout_is_local(w->txn, er))
		return SE_OK; /* gone */
	id = fed_actor_url(w->f, a, er);
	return id ? w->fn(w->arg, id, w->f->host) : SE_NOMEM;
}

enum err fcsync_followers_walk(const struct fed *f, struct store_txn *txn, struct str user,
                               fcsync_follower_fn fn, void *arg)
{
	struct walk w = {f, txn, fn, arg};

	return ffollow_each(txn, FFOLLOW_FOLLOWERS, user, FFOLLOW_ACCEPTED, FCSYNC_WALK_MAX,
	                    WALK_ARENA_MAX, walk_one, &w);
}

struct one_host {
	struct str host;
	struct fcsync_digest *d;
};

static enum err one_host_fn(void *arg, const char *actor_id, const char *host)
{
	struct one_host *o = arg;

	if (str_eq_nocase(str_from(host), o->host))
		fcsync_digest_add(o->d, str_from(actor_id));
	return SE_OK;
}

enum err fcsync_followers_digest(const struct fed *f, struct store_txn *txn, struct str user,
                                 struct str host, struct fcsync_digest *out)
{
	struct one_host o = {host, out};

	memset(out, 0, sizeof(*out));
	return fcsync_followers_walk(f, txn, user, one_host_fn, &o);
}

/* ---- per-host table ---- */

struct fcsync_entry {
	char host[HOST_MAX]; /* lower case; "" = free */
	struct fcsync_digest d;
};

struct fcsync_table {
	size_t cap, n; /* cap a power of two */
	struct fcsync_entry *e;
};

static void lower_into(char out[HOST_MAX], struct str h)
{
	size_t n = h.n < HOST_MAX - 1 ? h.n : HOST_MAX - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = (char)((h.p[i] >= 'A' && h.p[i] <= 'Z') ? h.p[i] + 32 : h.p[i]);
	out[n] = '\0';
}

static size_t host_hash(const char *h)
{
	size_t x = 1469598103934665603ull;

	for (; *h; h++)
		x = (x ^ (unsigned char)*h) * 1099511628211ull;
	return x;
}

static struct fcsync_entry *slot(const struct fcsync_table *t, const char *host)
{
	size_t i = host_hash(host) & (t->cap - 1);

	while (t->e[i].host[0] && strcmp(t->e[i].host, host) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->e[i];
}

static enum err table_grow(struct fcsync_table *t)
{
	struct fcsync_table nt = {t->cap ? t->cap * 2 : 16, 0, NULL};

	nt.e = mem_try_alloc(nt.cap * sizeof(*nt.e));
	if (!nt.e)
		return SE_NOMEM;
	memset(nt.e, 0, nt.cap * sizeof(*nt.e));
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].host[0]) {
			*slot(&nt, t->e[i].host) = t->e[i];
			nt.n++;
		}
	mem_free(t->e);
	*t = nt;
	return SE_OK;
}

static enum err table_fn(void *arg, const char *actor_id, const char *host)
{
	struct fcsync_table *t = arg;
	char h[HOST_MAX];
	struct fcsync_entry *e;

	lower_into(h, str_from(host));
	if (!h[0])
		return SE_OK;
	if ((t->n + 1) * 2 > t->cap) {
		enum err rc = table_grow(t);

		if (rc)
			return rc;
	}
	e = slot(t, h);
	if (!e->host[0]) {
		memcpy(e->host, h, sizeof(h));
		t->n++;
	}
	fcsync_digest_add(&e->d, str_from(actor_id));
	return SE_OK;
}

enum err fcsync_table_build(const struct fed *f, struct store_txn *txn, struct str user,
                            struct fcsync_table **out)
{
	struct fcsync_table *t = mem_try_alloc(sizeof(*t));
	enum err rc;

	*out = NULL;
	if (!t)
		return SE_NOMEM;
	memset(t, 0, sizeof(*t));
	rc = table_grow(t);
	if (!rc)
		rc = fcsync_followers_walk(f, txn, user, table_fn, t);
	if (rc) {
		fcsync_table_free(t);
		return rc;
	}
	*out = t;
	return SE_OK;
}

void fcsync_table_get(const struct fcsync_table *t, struct str host, struct fcsync_digest *out)
{
	char h[HOST_MAX];
	const struct fcsync_entry *e;

	memset(out, 0, sizeof(*out));
	lower_into(h, host);
	if (!t || !h[0])
		return;
	e = slot(t, h);
	if (e->host[0])
		*out = e->d;
}

void fcsync_table_free(struct fcsync_table *t)
{
	if (!t)
		return;
	mem_free(t->e);
	mem_free(t);
}

enum err fcsync_table_header(const struct fcsync_table *t, const struct fed *f, struct str user,
                             struct str host, struct buf *out)
{
	struct arena a = ARENA_INIT(16384);
	struct fcsync_digest d;
	char hex[FCSYNC_DIGEST_HEX + 1];
	const char *actor = fed_actor_url(f, &a, user), *coll, *url;
	enum err rc;

	fcsync_table_get(t, host, &d);
	fcsync_digest_hex(&d, hex);
	coll = actor ? arena_printf(&a, "%s/followers", actor) : NULL;
	url = coll ? arena_printf(&a, "%s?domain=%.*s", coll, (int)host.n, host.p) : NULL;
	rc = url ? fcsync_render(coll, url, hex, out) : SE_NOMEM;
	arena_release(&a);
	return rc;
}

/* ---- deliveries ---- */

static bool names(const json_t *v, const char *url)
{
	size_t i;
	const json_t *e;

	if (json_is_string(v))
		return strcmp(json_string_value(v), url) == 0;
	if (json_is_object(v))
		return json_is_string(json_object_get(v, "id")) &&
		       strcmp(json_string_value(json_object_get(v, "id")), url) == 0;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, e)
	{
		if (json_is_array(e))
			continue; /* no nesting */
		if (names(e, url))
			return true;
	}
	return false;
}

bool fcsync_addressed_to(struct str body, const char *followers_url)
{
	static const char *const fields[] = {"to", "cc", "bto", "bcc", "audience"};
	json_t *doc = NULL;
	bool yes = false;

	if (!followers_url || !*followers_url || jx_parse_object(body, BODY_MAX, &doc, NULL))
		return false;
	for (size_t i = 0; !yes && i < sizeof(fields) / sizeof(fields[0]); i++)
		yes = names(json_object_get(doc, fields[i]), followers_url);
	json_decref(doc);
	return yes;
}

bool fcsync_delivery_header(const struct fed *f, struct store_txn *txn, struct str signer,
                            struct str body, struct str host, struct buf *out, enum err *rc)
{
	struct arena a = ARENA_INIT(16384);
	struct fcsync_table *t = NULL;
	const char *actor, *fol;
	bool yes = false;

	*rc = SE_OK;
	if (!signer.n || str_eq(signer, STR_LIT("instance")))
		return false;
	actor = fed_actor_url(f, &a, signer);
	fol = actor ? arena_printf(&a, "%s/followers", actor) : NULL;
	if (!fol) {
		*rc = SE_NOMEM;
		goto out;
	}
	if (!fcsync_addressed_to(body, fol))
		goto out;
	*rc = fcsync_table_build(f, txn, signer, &t);
	if (!*rc)
		*rc = fcsync_table_header(t, f, signer, host, out);
	yes = !*rc;
out:
	fcsync_table_free(t);
	arena_release(&a);
	return yes;
}
