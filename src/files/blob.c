/*
 * files/blob.c: the blob format, key, streaming writer and reader; the
 * backends (blob_local.c, blob_s3.c) only move finished files. Format and
 * reasons: docs/internals/blob.md.
 */
#include "files/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "files/blob_int.h"

struct blob_writer {
	struct blob_store *s;
	int fd;
	char *tmp_path;
	enum err err; /* sticky */
	uint64_t size, max;
	size_t fill;
	struct cry_sha256 sha;
	struct cry_sstream st;
	unsigned char plain[BLOB_CHUNK];
	unsigned char cipher[BLOB_CHUNK + CRY_SSTREAM_ABYTES];
};

struct blob_reader {
	int fd;
	enum err err; /* sticky */
	bool done;
	uint64_t remaining; /* plaintext not yet decrypted */
	size_t pos, len;    /* unread part of plain[] */
	struct cry_sstream st;
	unsigned char hdr[BLOB_HDR];
	unsigned char plain[BLOB_CHUNK];
	unsigned char cipher[BLOB_CHUNK + CRY_SSTREAM_ABYTES];
};

bool blob_is_hash(const char *hash)
{
	if (!hash)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
			return false;
	return hash[64] == '\0';
}

char *blob_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = xmalloc(la + lb + 2);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

enum err blob_mkdirs(const char *path, struct err_info *ei)
{
	char *p = xstrdup(path);
	enum err rc = SE_OK;

	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char save = *c;

		*c = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = SE_RAISEF(ei, SE_IO, "blob: cannot create '%s': %s", p,
			               strerror(errno));
			break;
		}
		*c = save;
		if (save == '\0')
			break;
	}
	mem_free(p);
	return rc;
}

uint64_t blob_cipher_size(uint64_t plain)
{
	uint64_t chunks = plain == 0 ? 1 : (plain + BLOB_CHUNK - 1) / BLOB_CHUNK;

	return BLOB_PREFIX + plain + chunks * CRY_SSTREAM_ABYTES;
}

enum err blob_anon_tmp(struct blob_store *s, int *fd, struct err_info *ei)
{
	char *path = blob_join(s->tmp_dir, "dl-XXXXXX");
	enum err rc = SE_OK;
	int f = mkostemp(path, O_CLOEXEC);

	if (f < 0) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot create a file in '%s': %s", s->tmp_dir,
		               strerror(errno));
		goto out;
	}
	unlink(path);
	*fd = f;
out:
	mem_free(path);
	return rc;
}

/* Reads exactly n bytes; SE_PARSE on a short file (truncated blob). */
static enum err read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t k = read(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return SE_IO;
		if (k == 0)
			return SE_PARSE;
		c += k;
		n -= (size_t)k;
	}
	return SE_OK;
}

/* ---- the key ---- */

static enum err key_load(const struct blob_opts *o, unsigned char key[32], struct err_info *ei)
{
	char *dir = NULL;
	enum err rc = SE_OK;

	if (!o->key_b64 || !o->key_b64[0]) {
		dir = blob_join(o->data_dir, "keys");
		rc = blob_mkdirs(dir, ei);
	}
	if (!rc)
		rc = cry_key_file_load(&(struct cry_key_src){"blob", o->key_b64,
		                                             "files.encryption_key", dir,
		                                             "blob.key"},
		                       key, ei);
	mem_free(dir);
	return rc;
}

/* ---- store ---- */

enum err blob_store_new(const struct blob_opts *o, struct blob_store **out, struct err_info *ei)
{
	struct blob_store *s = NULL;
	enum err rc;

	if (!o->data_dir || !o->data_dir[0])
		return SE_RAISEF(ei, SE_CONFIG, "blob: no data directory");
	s = xcalloc(1, sizeof(*s));
	s->max_size = o->max_size ? o->max_size : BLOB_MAX_DEFAULT;
	rc = key_load(o, s->key, ei);
	if (rc)
		goto out;
	if (o->backend == BLOB_LOCAL)
		rc = blob_local_new(s, o, ei);
	else if (o->backend == BLOB_S3)
		rc = blob_s3_new(s, o, ei);
	else
		rc = SE_RAISEF(ei, SE_CONFIG, "blob: unknown backend %d", (int)o->backend);
	if (rc)
		goto out;
	rc = blob_mkdirs(s->tmp_dir, ei);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	blob_store_free(s);
	return rc;
}

void blob_store_free(struct blob_store *s)
{
	if (!s)
		return;
	if (s->ops)
		s->ops->free(s->be);
	mem_free(s->tmp_dir);
	cry_wipe(s->key, sizeof(s->key));
	mem_free(s);
}

/* ---- writer ---- */

static void writer_drop_file(struct blob_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->tmp_path) {
		unlink(w->tmp_path);
		mem_free(w->tmp_path);
		w->tmp_path = NULL;
	}
}

static enum err writer_fail(struct blob_writer *w, enum err e)
{
	w->err = e;
	writer_drop_file(w);
	cry_sstream_wipe(&w->st);
	return e;
}

enum err blob_writer_begin(struct blob_store *s, uint64_t max_size, struct blob_writer **out,
                           struct err_info *ei)
{
	unsigned char prefix[BLOB_PREFIX] = {'S', 'O', 'L', 'B', BLOB_VERSION};
	struct blob_writer *w = mem_try_alloc(sizeof(*w));
	enum err rc = SE_OK;

	if (!w)
		return SE_RAISE(ei, SE_NOMEM);
	memset(w, 0, offsetof(struct blob_writer, plain));
	w->s = s;
	w->max = max_size && max_size < s->max_size ? max_size : s->max_size;
	w->tmp_path = blob_join(s->tmp_dir, "up-XXXXXX");
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot create a file in '%s': %s", s->tmp_dir,
		               strerror(errno));
		mem_free(w->tmp_path);
		w->tmp_path = NULL;
		goto out;
	}
	cry_sha256_init(&w->sha);
	/* the size is filled in by commit; the final chunk authenticates it */
	cry_sstream_push_init(&w->st, prefix + BLOB_HDR, s->key);
	if (fio_write_all(w->fd, prefix, sizeof(prefix))) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot write '%s': %s", w->tmp_path,
		               strerror(errno));
		goto out;
	}
	*out = w;
	w = NULL;
out:
	blob_writer_abort(w);
	return rc;
}

static enum err push_chunk(struct blob_writer *w, const void *ad, size_t adlen, bool final)
{
	if (cry_sstream_push(&w->st, w->cipher, w->plain, w->fill, ad, adlen, final))
		return SE_IO;
	if (fio_write_all(w->fd, w->cipher, w->fill + CRY_SSTREAM_ABYTES))
		return SE_IO;
	w->fill = 0;
	return SE_OK;
}

enum err blob_writer_write(struct blob_writer *w, const void *p, size_t n, struct err_info *ei)
{
	const unsigned char *c = p;

	if (w->err)
		return SE_RAISE(ei, w->err);
	if (n > w->max - w->size)
		return SE_RAISEF(ei, writer_fail(w, SE_TOO_LARGE), "blob: over %llu bytes",
		                 (unsigned long long)w->max);
	cry_sha256_update(&w->sha, p, n);
	w->size += n;
	while (n) {
		size_t k;

		/* a full chunk is sealed only once more data shows it is not the last */
		if (w->fill == BLOB_CHUNK && push_chunk(w, NULL, 0, false))
			return SE_RAISEF(ei, writer_fail(w, SE_IO), "blob: cannot write: %s",
			                 strerror(errno));
		k = BLOB_CHUNK - w->fill < n ? BLOB_CHUNK - w->fill : n;
		memcpy(w->plain + w->fill, c, k);
		w->fill += k;
		c += k;
		n -= k;
	}
	return SE_OK;
}

static void put_header(unsigned char hdr[BLOB_HDR], uint64_t size)
{
	memcpy(hdr, "SOLB", 4);
	hdr[4] = BLOB_VERSION;
	hdr[5] = hdr[6] = hdr[7] = 0;
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (unsigned char)(size >> (56 - 8 * i));
}

enum err blob_writer_commit(struct blob_writer *w, char hash_hex[BLOB_HASH_HEX],
                            uint64_t *plain_size, struct err_info *ei)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char hdr[BLOB_HDR], h[32];
	char hex[BLOB_HASH_HEX];
	enum err rc = w->err;
	char *tmp_path = NULL;

	if (rc) {
		SE_RAISE(ei, rc);
		goto out;
	}
	put_header(hdr, w->size);
	if (push_chunk(w, hdr, sizeof(hdr), true) ||
	    pwrite(w->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot write '%s': %s", w->tmp_path,
		               strerror(errno));
		goto out;
	}
	cry_sha256_final(&w->sha, h);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[64] = '\0';
	/* the backend consumes the temporary file whatever happens */
	tmp_path = w->tmp_path;
	w->tmp_path = NULL;
	rc = w->s->ops->put(w->s, w->fd, tmp_path, blob_cipher_size(w->size), hex, ei);
	if (rc)
		goto out;
	memcpy(hash_hex, hex, sizeof(hex));
	if (plain_size)
		*plain_size = w->size;
out:
	mem_free(tmp_path);
	blob_writer_abort(w);
	return rc;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (!w)
		return;
	writer_drop_file(w);
	cry_sstream_wipe(&w->st);
	cry_wipe(w->plain, sizeof(w->plain));
	mem_free(w);
}

/* ---- reader ---- */

static enum err parse_header(const unsigned char hdr[BLOB_HDR], uint64_t *size)
{
	uint64_t v = 0;

	if (memcmp(hdr, "SOLB", 4) != 0 || hdr[4] != BLOB_VERSION || hdr[5] || hdr[6] || hdr[7])
		return SE_PARSE;
	for (int i = 0; i < 8; i++)
		v = v << 8 | hdr[8 + i];
	if (v > UINT64_MAX / 2)
		return SE_PARSE;
	*size = v;
	return SE_OK;
}

enum err blob_reader_open(struct blob_store *s, const char *hash, struct blob_reader **out,
                          uint64_t *plain_size, struct err_info *ei)
{
	unsigned char prefix[BLOB_PREFIX];
	struct blob_reader *r = NULL;
	enum err rc;
	int fd = -1;

	if (!blob_is_hash(hash))
		return SE_RAISEF(ei, SE_PARSE, "blob: not a hash");
	rc = s->ops->open(s, hash, &fd, ei);
	if (rc)
		return rc;
	r = mem_try_alloc(sizeof(*r));
	if (!r) {
		rc = SE_RAISE(ei, SE_NOMEM);
		goto out;
	}
	memset(r, 0, offsetof(struct blob_reader, plain));
	r->fd = fd;
	fd = -1;
	rc = read_all(r->fd, prefix, sizeof(prefix));
	if (!rc)
		rc = parse_header(prefix, &r->remaining);
	if (!rc)
		rc = cry_sstream_pull_init(&r->st, prefix + BLOB_HDR, s->key);
	if (rc) {
		rc = SE_RAISEF(ei, rc, "blob: '%s' is not a readable blob", hash);
		goto out;
	}
	memcpy(r->hdr, prefix, BLOB_HDR);
	if (plain_size)
		*plain_size = r->remaining;
	*out = r;
	r = NULL;
out:
	if (fd >= 0)
		close(fd);
	blob_reader_close(r);
	return rc;
}

/* Decrypt the next chunk into plain[]; the last one must carry FINAL and the header as AD. */
static enum err next_chunk(struct blob_reader *r)
{
	size_t len = r->remaining < BLOB_CHUNK ? (size_t)r->remaining : BLOB_CHUNK;
	bool last = r->remaining <= BLOB_CHUNK, final = false;
	unsigned char extra;
	enum err rc;

	rc = read_all(r->fd, r->cipher, len + CRY_SSTREAM_ABYTES);
	if (rc)
		return rc;
	rc = cry_sstream_pull(&r->st, r->plain, r->cipher, len + CRY_SSTREAM_ABYTES,
	                      last ? r->hdr : NULL, last ? BLOB_HDR : 0, &final);
	if (rc)
		return rc;
	if (final != last)
		return SE_PARSE;
	if (last) {
		/* bytes after the final chunk were not written by us */
		if (read(r->fd, &extra, 1) != 0)
			return SE_PARSE;
		r->done = true;
	}
	r->remaining -= len;
	r->pos = 0;
	r->len = len;
	return SE_OK;
}

enum err blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n,
                          struct err_info *ei)
{
	size_t k;

	if (r->err)
		return SE_RAISE(ei, r->err);
	while (r->pos == r->len && !r->done) {
		r->err = next_chunk(r);
		if (r->err) {
			cry_wipe(r->plain, sizeof(r->plain));
			r->len = r->pos = 0;
			return SE_RAISEF(ei, r->err, "blob: %s",
			                 r->err == SE_PARSE ? "does not authenticate"
			                                    : "read error");
		}
	}
	k = r->len - r->pos < cap ? r->len - r->pos : cap;
	memcpy(buf, r->plain + r->pos, k);
	r->pos += k;
	*n = k;
	return SE_OK;
}

enum err blob_reader_skip(struct blob_reader *r, uint64_t n, struct err_info *ei)
{
	while (n) {
		size_t k = r->len - r->pos;
		enum err rc;

		if (k == 0) {
			if (r->done)
				return SE_OK;
			rc = blob_reader_read(r, r->plain, 0, &k, ei);
			if (rc)
				return rc;
			continue;
		}
		if (k > n)
			k = (size_t)n;
		r->pos += k;
		n -= k;
	}
	return SE_OK;
}

void blob_reader_close(struct blob_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	cry_sstream_wipe(&r->st);
	cry_wipe(r->plain, sizeof(r->plain));
	mem_free(r);
}

/* ---- the rest ---- */

enum err blob_size(struct blob_store *s, const char *hash, uint64_t *plain_size,
                   struct err_info *ei)
{
	unsigned char hdr[BLOB_HDR];
	enum err rc;

	if (!blob_is_hash(hash))
		return SE_RAISEF(ei, SE_PARSE, "blob: not a hash");
	rc = s->ops->head(s, hash, hdr, ei);
	if (rc)
		return rc;
	if (parse_header(hdr, plain_size))
		return SE_RAISEF(ei, SE_PARSE, "blob: '%s' is not a readable blob", hash);
	return SE_OK;
}

enum err blob_exists(struct blob_store *s, const char *hash, bool *exists, struct err_info *ei)
{
	if (!blob_is_hash(hash))
		return SE_RAISEF(ei, SE_PARSE, "blob: not a hash");
	return s->ops->exists(s, hash, exists, ei);
}

enum err blob_delete(struct blob_store *s, const char *hash, struct err_info *ei)
{
	if (!blob_is_hash(hash))
		return SE_RAISEF(ei, SE_PARSE, "blob: not a hash");
	return s->ops->del(s, hash, ei);
}
