/*
 * api/autumn.c: the Autumn file server at /autumn (REVOLT.md section 10;
 * backend crates/services/autumn/src/api.rs): the root document, previews,
 * originals, the legacy /download/ form, conditional GET and Range.
 * Previews are cached as blobs referenced from the File record.
 * Originals are read into the response body (bounded by the tag's upload
 * limit, 20 MB at most): the HTTP server sends in-memory bodies today.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/autumn_int.h"
#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "files/blob.h"
#include "files/file.h"
#include "files/image.h"
#include "http/ratelimit.h"
#include "storage/store.h"

/* Revolt's CACHE_CONTROL */
#define AUTUMN_CACHE "public, max-age=604800, must-revalidate"
/* the autumn crate version we follow */
#define AUTUMN_VERSION "0.8.9"
/* says whether a preview came from the cache ("cached") or not ("generated") */
#define AUTUMN_PREVIEW_HEADER "X-Preview-Cache"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool api_autumn_rate_limit(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	const struct authn *who = api_who(ctx);
	struct str path = ctx->req->path;
	struct rl_key_parts parts;
	struct rl_result res;

	if (str_has_prefix(path, STR_LIT("/autumn"))) {
		path.p += 7;
		path.n -= 7;
	}
	rl_classify_autumn(ctx->req->method, path.n ? path : STR_LIT("/"), &parts);
	if (rl_hit(app->rl, str_from(who->user_id[0] ? who->user_id : ctx->req->peer), &parts,
	           mono_ms(), &res))
		return true; /* fails open */
	rl_headers(&res, ctx->resp);
	if (!res.allowed) {
		rl_deny(&res, ctx->resp);
		return false;
	}
	return true;
}

static enum err autumn_root(struct req_ctx *ctx)
{
	return api_json(ctx, 200,
	                json_pack("{s:s, s:s}", "autumn", "Hello, I am a file server!", "version",
	                          AUTUMN_VERSION));
}

/* The served file `id` of `tag` (new reference), or NotFound. */
static enum err find(struct req_ctx *ctx, struct str tag_s, struct str id, json_t **out)
{
	struct store_txn *txn = NULL;
	json_t *rec = NULL;
	enum file_tag tag;
	enum err rc;

	if (!file_tag_parse(tag_s, &tag))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	rc = store_read_begin(api_app(ctx)->store, &txn);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = file_load(txn, id, &rec);
	store_read_end(txn);
	if (rc == SE_NOT_FOUND || rc == SE_PARSE ||
	    (!rc && (!str_eq_cstr(tag_s, json_string_value(json_object_get(rec, "tag")) ?: "") ||
	             !file_is_served(rec)))) {
		json_decref(rec);
		return SE_RAISE(&ctx->ei, SE_NotFound);
	}
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	*out = rec;
	return SE_OK;
}

/* RFC 3986 unreserved characters pass; everything else is %XX. */
static char *pct_encode(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = arena_alloc(a, n * 3 + 1), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}

/* 308 to /autumn/{tag}/{id}/{filename}, as autumn's Redirect::permanent. */
static enum err redirect(struct req_ctx *ctx, const json_t *rec)
{
	const char *name = json_string_value(json_object_get(rec, "filename")) ?: "";
	char *enc = pct_encode(ctx->arena, name);
	char *loc = enc ? arena_printf(ctx->arena, "/autumn/%s/%s/%s",
	                               json_string_value(json_object_get(rec, "tag")),
	                               json_string_value(json_object_get(rec, "_id")), enc)
	                : NULL;

	if (!loc)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	http_resp_header(ctx->resp, "Location", loc);
	http_resp_set(ctx->resp, 308, NULL, STR_NULL);
	return SE_OK;
}

/* Whether If-None-Match names our ETag (or is "*"). */
static bool not_modified(struct req_ctx *ctx, const char *hash)
{
	struct str inm = http_req_header(ctx->req, "if-none-match");
	struct str h = str_from(hash);

	if (!inm.p)
		return false;
	if (str_eq(str_trim(inm), STR_LIT("*")))
		return true;
	for (size_t i = 0; i + h.n <= inm.n; i++)
		if (memcmp(inm.p + i, h.p, h.n) == 0)
			return true;
	return false;
}

/* Read `len` bytes (a cached preview: small) of blob `hash` from `start` into the response body. */
static enum err read_blob(struct req_ctx *ctx, const char *hash, uint64_t start, uint64_t len,
                          struct buf *out)
{
	struct blob_reader *r = NULL;
	char *chunk = arena_alloc(ctx->arena, BLOB_CHUNK);
	enum err rc;

	if (!chunk)
		return SE_NOMEM;
	rc = blob_reader_open(api_app(ctx)->blobs, hash, &r, NULL, &ctx->ei);
	if (!rc && start)
		rc = blob_reader_skip(r, start, &ctx->ei);
	while (!rc && len) {
		size_t n = 0, want = len < BLOB_CHUNK ? (size_t)len : BLOB_CHUNK;

		rc = blob_reader_read(r, chunk, want, &n, &ctx->ei);
		if (rc || n == 0)
			break;
		buf_append(out, chunk, n);
		len -= n;
		rc = buf_err(out);
	}
	blob_reader_close(r);
	return rc;
}

/* A streamed original (http_stream): a blob reader positioned at the range. */
struct blob_stream {
	struct blob_reader *r;
	struct err_info ei;
};

static enum err blob_stream_read(void *ctx, void *p, size_t cap, size_t *n)
{
	struct blob_stream *bs = ctx;

	return blob_reader_read(bs->r, p, cap, n, &bs->ei);
}

static void blob_stream_close(void *ctx)
{
	struct blob_stream *bs = ctx;

	blob_reader_close(bs->r);
	mem_free(bs);
}

/*
 * Answer `status` with `len` bytes of blob `hash` from `start`, streamed:
 * the reader is opened (S3: fetched into a temporary file) and positioned
 * here on the worker; the server reads one chunk per write afterwards.
 */
static enum err stream_blob(struct req_ctx *ctx, int status, const char *type, const char *hash,
                            uint64_t start, uint64_t len)
{
	struct blob_stream *bs = mem_try_alloc(sizeof(*bs));
	struct http_stream hs;
	enum err rc;

	if (!bs)
		return SE_NOMEM;
	bs->r = NULL;
	bs->ei = (struct err_info)ERR_INFO_INIT;
	rc = blob_reader_open(api_app(ctx)->blobs, hash, &bs->r, NULL, &ctx->ei);
	if (!rc && start)
		rc = blob_reader_skip(bs->r, start, &ctx->ei);
	if (rc) {
		blob_stream_close(bs);
		return rc;
	}
	hs = (struct http_stream){blob_stream_read, blob_stream_close, bs, len, 0};
	return http_resp_stream(ctx->resp, status, type, &hs);
}

enum range_kind { RANGE_NONE, RANGE_OK, RANGE_BAD };

/* One "bytes=a-b" / "a-" / "-n" range against `size` (RFC 9110 section 14). */
static enum range_kind parse_range(struct str v, uint64_t size, uint64_t *start, uint64_t *end)
{
	struct str a, b;
	uint64_t x = 0, y = 0;

	if (!v.p)
		return RANGE_NONE;
	v = str_trim(v);
	if (!str_has_prefix(v, STR_LIT("bytes=")))
		return RANGE_NONE;
	v.p += 6;
	v.n -= 6;
	if (str_index(v, ',') >= 0)
		return RANGE_NONE; /* multiple ranges: answer the whole file */
	b = v;
	a = str_trim(str_cut(&b, '-'));
	b = str_trim(b);
	if (a.n == 0) {
		if (!str_to_u64(b, UINT64_MAX, &y) || y == 0 || size == 0)
			return RANGE_BAD;
		*start = y >= size ? 0 : size - y;
		*end = size - 1;
		return RANGE_OK;
	}
	if (!str_to_u64(a, UINT64_MAX, &x))
		return RANGE_NONE;
	if (x >= size)
		return RANGE_BAD;
	if (b.n == 0) {
		y = size - 1;
	} else {
		if (!str_to_u64(b, UINT64_MAX, &y) || y < x)
			return RANGE_NONE;
		if (y >= size)
			y = size - 1;
	}
	*start = x;
	*end = y;
	return RANGE_OK;
}

static void common_headers(struct req_ctx *ctx, const char *hash, const char *disposition)
{
	char *etag = arena_printf(ctx->arena, "\"%s\"", hash);

	http_resp_header(ctx->resp, "Cache-Control", AUTUMN_CACHE);
	if (etag)
		http_resp_header(ctx->resp, "ETag", etag);
	http_resp_header(ctx->resp, "Content-Disposition", disposition);
}

static enum err send_original(struct req_ctx *ctx, const json_t *rec)
{
	const char *hash = json_string_value(json_object_get(rec, "hash"));
	const char *type = json_string_value(json_object_get(rec, "content_type"));
	uint64_t size = 0, start = 0, end = 0;
	enum range_kind rk;
	const char *ctype;
	char *cr;
	enum err rc = SE_OK;

	if (!hash || !blob_is_hash(hash))
		return SE_RAISE(&ctx->ei, SE_NotFound);
	common_headers(ctx, hash, "attachment");
	http_resp_header(ctx->resp, "Accept-Ranges", "bytes");
	if (not_modified(ctx, hash)) {
		http_resp_set(ctx->resp, 304, NULL, STR_NULL);
		return SE_OK;
	}
	rc = blob_size(api_app(ctx)->blobs, hash, &size, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	rk = parse_range(http_req_header(ctx->req, "range"), size, &start, &end);
	buf_reset(&ctx->resp->body);
	if (rk == RANGE_BAD) {
		cr = arena_printf(ctx->arena, "bytes */%" PRIu64, size);
		if (cr)
			http_resp_header(ctx->resp, "Content-Range", cr);
		http_resp_set(ctx->resp, 416, NULL, STR_NULL);
		return SE_OK;
	}
	if (rk == RANGE_NONE) {
		start = 0;
		end = size ? size - 1 : 0;
	}
	ctype = type && *type ? arena_strndup(ctx->arena, type, strlen(type))
	                      : "application/octet-stream";
	if (!ctype)
		return SE_RAISE(&ctx->ei, SE_NOMEM);
	if (size)
		rc = stream_blob(ctx, rk == RANGE_OK ? 206 : 200, ctype, hash, start,
		                 end - start + 1);
	else
		http_resp_set(ctx->resp, 200, ctype, STR_NULL);
	if (rc)
		return SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
	if (rk == RANGE_OK) {
		cr = arena_printf(ctx->arena, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end,
		                  size);
		if (cr)
			http_resp_header(ctx->resp, "Content-Range", cr);
	}
	return SE_OK;
}

/* GET /autumn/{tag}/{id}/{filename} */
static enum err autumn_original(struct req_ctx *ctx)
{
	json_t *rec = NULL;
	const char *name;
	enum err rc = find(ctx, ctx->req->params[0], ctx->req->params[1], &rec);

	if (rc)
		return rc;
	name = json_string_value(json_object_get(rec, "filename")) ?: "";
	if (!str_eq_cstr(ctx->req->params[2], name))
		rc = str_eq_cstr(ctx->req->params[2], "original") ? redirect(ctx, rec)
		                                                  : SE_RAISE(&ctx->ei, SE_NotFound);
	else
		rc = send_original(ctx, rec);
	json_decref(rec);
	return rc;
}

/* GET /autumn/{tag}/download/{id}: the legacy autumn's attachment form. */
static enum err autumn_download(struct req_ctx *ctx)
{
	json_t *rec = NULL;
	enum err rc = find(ctx, ctx->req->params[0], ctx->req->params[1], &rec);

	if (!rc)
		rc = send_original(ctx, rec);
	json_decref(rec);
	return rc;
}

/* Decrypt blob `hash` into an unlinked 0600 temp file of the spool dir. */
static enum err spool_blob(struct req_ctx *ctx, const char *hash, int *fd_out)
{
	char *path = arena_printf(ctx->arena, "%s/preview-XXXXXX", api_app(ctx)->spool_dir);
	char *chunk = arena_alloc(ctx->arena, BLOB_CHUNK);
	struct blob_reader *r = NULL;
	int fd = -1;
	enum err rc;

	if (!path || !chunk)
		return SE_NOMEM;
	fd = mkstemp(path);
	if (fd < 0)
		return SE_IO;
	unlink(path);
	rc = blob_reader_open(api_app(ctx)->blobs, hash, &r, NULL, &ctx->ei);
	while (!rc) {
		size_t n = 0, off = 0;

		rc = blob_reader_read(r, chunk, BLOB_CHUNK, &n, &ctx->ei);
		if (rc || n == 0)
			break;
		while (!rc && off < n) {
			ssize_t k = write(fd, chunk + off, n - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				rc = SE_IO;
			else
				off += (size_t)k;
		}
	}
	blob_reader_close(r);
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return SE_OK;
}

struct preview_set {
	const char *id, *key, *hash;
	bool recorded;
};

static enum err preview_set_fn(struct store_wtxn *w, void *arg)
{
	struct preview_set *p = arg;

	return file_preview_set(w, str_from(p->id), p->key, p->hash, &p->recorded);
}

/*
 * Store the preview `webp` as a blob and reference it from file `id` under
 * `key`. Under the blob lock from the commit to the end of the write, so the
 * clean-up sees the reference or no blob; a blob the record did not take
 * (file deleted meanwhile, failed write) is removed again unless used.
 */
static enum err cache_preview(struct req_ctx *ctx, const char *id, const char *key,
                              const struct buf *webp)
{
	struct app *app = api_app(ctx);
	struct err_info ei = ERR_INFO_INIT;
	struct blob_writer *bw = NULL;
	char hash[BLOB_HASH_HEX];
	struct preview_set p = {id, key, hash, false};
	bool used = true;
	enum err rc = blob_writer_begin(app->blobs, 0, &bw, &ei);

	if (!rc)
		rc = blob_writer_write(bw, webp->ptr, webp->len, &ei);
	if (rc) {
		blob_writer_abort(bw);
		return rc;
	}
	file_blob_lock();
	rc = blob_writer_commit(bw, hash, NULL, &ei);
	if (rc)
		goto out;
	rc = store_write(app->store, preview_set_fn, &p, &ei);
	if (!p.recorded && !file_hash_used(app->store, hash, &used) && !used &&
	    blob_delete(app->blobs, hash, &ei))
		log_warn("autumn: cannot remove an unreferenced preview blob %s", hash);
out:
	file_blob_unlock();
	return rc;
}

/*
 * GET /autumn/{tag}/{id}: a WebP preview. The first request generates it
 * from the original spooled to a temp file (shrink-on-load) and caches it
 * as a blob referenced from the record; later requests send that blob.
 */
static enum err autumn_preview(struct req_ctx *ctx)
{
	const json_t *meta;
	const char *type, *hash, *id, *cached;
	json_t *rec = NULL;
	enum file_tag tag = FILE_TAG_ATTACHMENTS;
	unsigned bw, bh;
	char key[64];
	int fd = -1;
	enum err rc = find(ctx, ctx->req->params[0], ctx->req->params[1], &rec);

	if (rc)
		return rc;
	meta = json_object_get(rec, "metadata");
	type = json_string_value(json_object_get(rec, "content_type")) ?: "";
	hash = json_string_value(json_object_get(rec, "hash")) ?: "";
	id = json_string_value(json_object_get(rec, "_id")) ?: "";
	(void)file_tag_parse(ctx->req->params[0], &tag);
	/* GIFs keep their animation except as avatars and icons (autumn) */
	if (!str_eq_cstr(str_from(json_string_value(json_object_get(meta, "type")) ?: ""),
	                 "Image") ||
	    (strcmp(type, "image/gif") == 0 && tag != FILE_TAG_AVATARS && tag != FILE_TAG_ICONS)) {
		rc = redirect(ctx, rec);
		goto out;
	}
	if (!blob_is_hash(hash)) {
		rc = SE_RAISE(&ctx->ei, SE_NotFound);
		goto out;
	}
	common_headers(ctx, hash, "inline");
	if (not_modified(ctx, hash)) {
		http_resp_set(ctx->resp, 304, NULL, STR_NULL);
		goto out;
	}
	file_tag_box(tag, &bw, &bh);
	snprintf(key, sizeof(key), "%s-%ux%u-q%d", file_tag_name(tag), bw, bh, IMG_PREVIEW_QUALITY);
	cached = file_preview_get(rec, key);
	buf_reset(&ctx->resp->body);
	if (cached) {
		rc = read_blob(ctx, cached, 0, UINT64_MAX, &ctx->resp->body);
		if (!rc) {
			http_resp_header(ctx->resp, AUTUMN_PREVIEW_HEADER, "cached");
			goto done;
		}
		/* a lost preview blob is generated again */
		buf_reset(&ctx->resp->body);
	}
	rc = spool_blob(ctx, hash, &fd);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_NotFound : rc);
		goto out;
	}
	rc = img_thumbnail_fd(fd, bw, bh, IMG_PREVIEW_QUALITY, &ctx->resp->body);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, SE_ImageProcessingFailed);
		goto out;
	}
	if (cache_preview(ctx, id, key, &ctx->resp->body))
		log_warn("autumn: cannot cache the preview of %s", id);
	http_resp_header(ctx->resp, AUTUMN_PREVIEW_HEADER, "generated");
done:
	ctx->resp->status = 200;
	ctx->resp->content_type = "image/webp";
out:
	if (fd >= 0)
		close(fd);
	json_decref(rec);
	return rc;
}

static const struct route autumn_routes[] = {
    {HTTP_GET, "/autumn", autumn_root, 0},
    {HTTP_POST, "/autumn/{tag}", api_autumn_upload, API_USER},
    {HTTP_GET, "/autumn/{tag}/download/{id}", autumn_download, 0},
    {HTTP_GET, "/autumn/{tag}/{id}", autumn_preview, 0},
    {HTTP_GET, "/autumn/{tag}/{id}/{filename}", autumn_original, 0},
};

const struct route *api_autumn_table(size_t *n)
{
	*n = sizeof(autumn_routes) / sizeof(autumn_routes[0]);
	return autumn_routes;
}
