/*
 * api/autumn_upload.c: POST /autumn/{tag} (backend crates/services/autumn
 * src/api.rs upload_file): the multipart body is streamed from the spool
 * file into a private unlinked temporary file, sniffed, checked, stripped
 * of metadata (images) and streamed into the encrypted blob store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "api/autumn_int.h"
#include "app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/fileio.h"
#include "core/log.h"
#include "files/blob.h"
#include "files/file.h"
#include "files/image.h"
#include "files/multipart.h"
#include "files/sniff.h"
#include "files/video.h"
#include "storage/store.h"

/* bytes read from the spool file at a time */
#define READ_CHUNK (64u * 1024)

struct upload {
	struct req_ctx *ctx;
	enum file_tag tag;
	uint64_t max;
	int fd; /* plaintext of the part, unlinked */
	bool in_file, have_file;
	uint64_t size;
	struct buf filename;
	char *head; /* first SNIFF_HEAD_MAX bytes (arena) */
	size_t head_n;
	struct sniff_utf8 utf8;
	struct blob_writer *bw;
};

static enum err on_begin(void *arg, const struct mp_part_headers *h)
{
	struct upload *u = arg;

	if (u->have_file || u->in_file || !str_eq_cstr(h->name, "file"))
		return SE_OK;
	u->in_file = true;
	buf_reset(&u->filename);
	return mp_safe_filename(h->has_filename ? h->filename : STR_NULL, &u->filename);
}

static enum err on_data(void *arg, const void *p, size_t n)
{
	struct upload *u = arg;

	if (!u->in_file)
		return SE_OK;
	if (u->size + n > u->max) {
		u->size += n;
		return SE_FileTooLarge;
	}
	u->size += n;
	if (u->head_n < SNIFF_HEAD_MAX) {
		size_t k = SNIFF_HEAD_MAX - u->head_n < n ? SNIFF_HEAD_MAX - u->head_n : n;

		memcpy(u->head + u->head_n, p, k);
		u->head_n += k;
	}
	sniff_utf8_feed(&u->utf8, p, n);
	return fio_write_all(u->fd, p, n);
}

static enum err on_end(void *arg)
{
	struct upload *u = arg;

	if (u->in_file) {
		u->in_file = false;
		u->have_file = true;
	}
	return SE_OK;
}

static const struct mp_callbacks callbacks = {on_begin, on_data, on_end};

/* Feed the body (spooled or in memory) through the parser. */
static enum err parse_body(struct upload *u, struct mp_parser *mp)
{
	struct http_req *req = u->ctx->req;
	char *chunk;
	off_t off = 0;
	enum err rc = SE_OK;

	if (req->body_fd < 0) {
		struct str b = buf_str(&req->body);

		rc = mp_feed(mp, b.p, b.n);
		return rc ? rc : mp_finish(mp);
	}
	chunk = arena_alloc(u->ctx->arena, READ_CHUNK);
	if (!chunk)
		return SE_NOMEM;
	for (;;) {
		ssize_t k = pread(req->body_fd, chunk, READ_CHUNK, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return SE_IO;
		if (k == 0)
			break;
		off += k;
		rc = mp_feed(mp, chunk, (size_t)k);
		if (rc)
			return rc;
	}
	return mp_finish(mp);
}

static enum err to_blob(void *arg, const void *p, size_t n)
{
	struct upload *u = arg;

	return blob_writer_write(u->bw, p, n, &u->ctx->ei);
}

/* Copy the temporary file as it is into the blob writer. */
static enum err copy_plain(struct upload *u)
{
	char *chunk = arena_alloc(u->ctx->arena, READ_CHUNK);
	off_t off = 0;
	enum err rc;

	if (!chunk)
		return SE_NOMEM;
	for (;;) {
		ssize_t k = pread(u->fd, chunk, READ_CHUNK, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return SE_IO;
		if (k == 0)
			return SE_OK;
		off += k;
		rc = to_blob(u, chunk, (size_t)k);
		if (rc)
			return rc;
	}
}

struct insert_op {
	json_t *rec;
};

static enum err insert_fn(struct store_wtxn *w, void *arg)
{
	struct insert_op *op = arg;

	return file_insert(w, op->rec);
}

static int make_temp(const char *dir, struct arena *a)
{
	char *path = arena_printf(a, "%s/upload-XXXXXX", dir);
	int fd;

	if (!path)
		return -1;
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Sniff, check, strip, and store the part; fills the File record fields. */
static enum err process(struct upload *u, struct file_new *fn, char *mime)
{
	struct req_ctx *ctx = u->ctx;
	struct app *app = api_app(ctx);
	unsigned w = 0, h = 0;
	enum err rc;

	sniff_mime((struct str){u->head, u->head_n}, sniff_utf8_ok(&u->utf8), buf_str(&u->filename),
	           mime);
	if (sniff_is_blocked(mime))
		return SE_RAISE(&ctx->ei, SE_FileTypeNotAllowed);
	fn->meta = sniff_meta_kind(mime);
	/* video sizes from the container headers; autumn's fallback is File */
	if (fn->meta == FILE_META_VIDEO && vid_probe(u->fd, &w, &h) != SE_OK) {
		fn->meta = FILE_META_FILE;
		w = h = 0;
	}
	if (fn->meta == FILE_META_IMAGE) {
		rc = img_probe(u->fd, &w, &h);
		if (rc == SE_TOO_LARGE)
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "image is larger than %u pixels a side or %llu pixels",
			                 IMG_MAX_SIDE, (unsigned long long)IMG_MAX_PIXELS);
		if (rc)
			fn->meta = FILE_META_FILE; /* as image_size failing does in autumn */
	}
	if (u->tag != FILE_TAG_ATTACHMENTS && fn->meta != FILE_META_IMAGE)
		return SE_RAISE(&ctx->ei, SE_FileTypeNotAllowed);
	rc = blob_writer_begin(app->blobs, u->max * 4, &u->bw, &ctx->ei);
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	if (fn->meta == FILE_META_IMAGE && img_can_strip(mime)) {
		rc = img_strip(u->fd, mime, to_blob, u, &w, &h);
		if (rc == SE_PARSE || rc == SE_TOO_LARGE)
			return SE_RAISEF(&ctx->ei, SE_FailedValidation,
			                 "the image could not be decoded");
	} else {
		rc = copy_plain(u);
	}
	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	fn->width = w;
	fn->height = h;
	return SE_OK;
}

/* Commit the blob and insert the record under the blob lock (file.h). */
static enum err store_file(struct upload *u, struct file_new *fn, char *hash)
{
	struct req_ctx *ctx = u->ctx;
	struct insert_op op = {NULL};
	struct blob_writer *bw = u->bw;
	enum err rc;

	u->bw = NULL;
	file_blob_lock();
	rc = blob_writer_commit(bw, hash, &fn->size, &ctx->ei);
	if (!rc) {
		fn->hash = hash;
		op.rec = file_record_new(fn);
		rc = op.rec ? store_write(api_app(ctx)->store, insert_fn, &op, &ctx->ei) : SE_NOMEM;
	}
	file_blob_unlock();
	json_decref(op.rec);
	return rc ? SE_RAISE(&ctx->ei, rc) : SE_OK;
}

enum err api_autumn_upload(struct req_ctx *ctx)
{
	struct app *app = api_app(ctx);
	struct upload u;
	struct mp_parser *mp = NULL;
	struct file_new fn;
	char boundary[MP_BOUNDARY_MAX + 1], mime[FILE_MIME_MAX], hash[BLOB_HASH_HEX];
	char id[FILE_ID_LEN + 1];
	size_t blen = 0;
	enum err rc;

	memset(&u, 0, sizeof(u));
	memset(&fn, 0, sizeof(fn));
	u.ctx = ctx;
	u.fd = -1;
	u.utf8 = (struct sniff_utf8)SNIFF_UTF8_INIT;
	buf_init(&u.filename, LIM_UPLOAD_FILENAME + 8);
	if (!file_tag_parse(ctx->req->params[0], &u.tag)) {
		rc = SE_RAISE(&ctx->ei, SE_NotFound);
		goto out;
	}
	if (!api_autumn_rate_limit(ctx)) {
		rc = SE_OK;
		goto out;
	}
	u.max = file_tag_max_size(u.tag);
	if (mp_boundary_from_content_type(http_req_header(ctx->req, "content-type"), boundary,
	                                  &blen)) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "expected multipart/form-data");
		goto out;
	}
	u.head = arena_alloc(ctx->arena, SNIFF_HEAD_MAX);
	mp = arena_alloc(ctx->arena, sizeof(*mp));
	u.fd = make_temp(app->spool_dir, ctx->arena);
	if (!u.head || !mp || u.fd < 0) {
		rc = SE_RAISEF(&ctx->ei, u.fd < 0 ? SE_IO : SE_NOMEM, "cannot spool the upload");
		goto out;
	}
	mp_init(mp, (struct str){boundary, blen}, &callbacks, &u);
	rc = parse_body(&u, mp);
	if (rc == SE_FileTooLarge) {
		ctx->ei.max = (long long)u.max;
		rc = SE_RAISE(&ctx->ei, SE_FileTooLarge);
		goto out;
	}
	if (rc == SE_PARSE || rc == SE_TOO_LARGE) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "malformed multipart body");
		goto out;
	}
	if (rc)
		goto out;
	if (!u.have_file) {
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "missing field 'file'");
		goto out;
	}
	if (u.size < FILE_MIN_SIZE) {
		rc = SE_RAISE(&ctx->ei, SE_FileTooSmall);
		goto out;
	}
	rc = process(&u, &fn, mime);
	if (rc)
		goto out;
	file_id_new(u.tag, id);
	fn.id = id;
	fn.tag = file_tag_name(u.tag);
	fn.filename = buf_cstr(&u.filename);
	fn.content_type = mime;
	fn.uploader_id = api_who(ctx)->user_id;
	fn.now_ms = api_now_ms();
	rc = store_file(&u, &fn, hash);
	if (!rc)
		rc = api_json(ctx, 200, json_pack("{s:s}", "id", id));
out:
	blob_writer_abort(u.bw);
	if (u.fd >= 0)
		close(u.fd);
	buf_release(&u.filename);
	return rc;
}
