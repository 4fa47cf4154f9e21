/*
 * federation/media.c: remote actors' icon/image -> Autumn files. resolve.c
 * enqueues an "ap_media" item in the write that changes an actor's URL; a
 * worker fetches it (fetcher: SSRF guard, the tag's size cap; domain policy
 * before and after redirects), runs the upload pipeline of
 * api/autumn_upload.c (libmagic, libvips probe + metadata strip, encrypted
 * blob), and in one write inserts the File, claims it for the user, flags
 * the replaced file deleted (files/cleanup.c reaps it) and saves the user;
 * then publishes UserUpdate. Failures leave the default avatar.
 */
#include "federation/media.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "bus/bus.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/fileio.h"
#include "core/jx.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/fed.h"
#include "federation/policy.h"
#include "files/blob.h"
#include "files/file.h"
#include "files/image.h"
#include "files/multipart.h"
#include "files/sniff.h"
#include "users/user.h"

/* lease of a claimed item: a fetch plus the pipeline (ms) */
#define LEASE_MS (5 * 60 * 1000)
/* idle worker poll (ms); fmedia_kick wakes it at once */
#define IDLE_MS 1000

const struct queue_def fmedia_queue = {"ap_media", 30 * 1000, 6 * 3600 * 1000, 8};

struct kind_info {
	const char *ap_key, *name, *used_for, *clear;
	enum file_tag tag;
};

static const struct kind_info kinds[FMEDIA__COUNT] = {
    {"icon", "avatar", "UserAvatar", "Avatar", FILE_TAG_AVATARS},
    {"image", "background", "UserProfileBackground", "ProfileBackground", FILE_TAG_BACKGROUNDS},
};

struct fmedia {
	struct fed *f;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, kick, started;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *fmedia_ap_key(enum fmedia_kind k)
{
	return (unsigned)k < FMEDIA__COUNT ? kinds[k].ap_key : "";
}

static const char *url_of(const json_t *ap, enum fmedia_kind k)
{
	const char *s = json_string_value(json_object_get(ap, fmedia_ap_key(k)));

	return s ? s : "";
}

bool fmedia_url_changed(const json_t *old_ap, const json_t *new_ap, enum fmedia_kind k)
{
	return strcmp(url_of(old_ap, k), url_of(new_ap, k)) != 0;
}

static const char *current_file_id(const json_t *rec, enum fmedia_kind k);

bool fmedia_needs_fetch(const json_t *old_rec, const json_t *new_ap, enum fmedia_kind k)
{
	if (fmedia_url_changed(json_object_get(old_rec, "ap"), new_ap, k))
		return true;
	return url_of(new_ap, k)[0] && !current_file_id(old_rec, k);
}

enum err fmedia_enqueue_changes(struct store_wtxn *w, const char *user_id, const json_t *old_rec,
                                const json_t *new_ap, int64_t now)
{
	enum err rc = SE_OK;

	for (unsigned k = 0; !rc && k < FMEDIA__COUNT; k++) {
		json_t *p;
		char *text;

		if (!fmedia_needs_fetch(old_rec, new_ap, k))
			continue;
		p = json_pack("{s:s, s:s, s:s}", "user", user_id, "kind", kinds[k].name, "url",
		              url_of(new_ap, k));
		text = p ? jx_dump(p) : NULL;
		rc = text ? queue_enqueue(w, &fmedia_queue, str_from(text), now, now, NULL)
		          : SE_NOMEM;
		mem_free(text);
		json_decref(p);
	}
	return rc;
}

enum fmedia_next fmedia_classify(enum err rc, long status)
{
	switch (rc) {
	case SE_OK:
		return FMEDIA_DONE;
	case SE_TIMEOUT:
	case SE_IO:
	case SE_BUSY:
	case SE_NOMEM:
	case SE_FULL:
		return FMEDIA_RETRY;
	case SE_INVAL:
		/* an HTTP answer: 5xx, 429 and 408 may heal; other 4xx and junk URLs not */
		return status >= 500 || status == 429 || status == 408 ? FMEDIA_RETRY
		                                                       : FMEDIA_GIVE_UP;
	default:
		/* 404/410, blocked host, too large, not an image, undecodable, user gone */
		return FMEDIA_GIVE_UP;
	}
}

/* ---- the pipeline ---- */

static bool url_allowed(struct fed *f, const char *url)
{
	return policy_store_allows_url(f->store, url);
}

static enum err fetch_media(struct fed *f, enum file_tag tag, const char *url,
                            struct fetch_resp *resp, long *status, struct err_info *ei)
{
	const struct cfg_federation *fc = &f->cfg->federation;
	struct fetch_opts o = {f->allow_private, fc->fetch_timeout, (size_t)file_tag_max_size(tag),
	                       fc->max_redirects, f->user_agent};
	static const char *const img_headers[] = {"Accept: image/*", NULL};
	static const char *const any_headers[] = {"Accept: */*", NULL};
	const char *const *headers = tag == FILE_TAG_ATTACHMENTS ? any_headers : img_headers;
	struct fetch_req rq = {"GET", url, headers, STR_NULL};
	enum err rc;

	if (!url_allowed(f, url))
		return SE_RAISEF(ei, SE_MissingPermission, "the file's domain is blocked");
	rc = fetch_do(&o, &rq, resp, ei);
	if (rc == SE_TOO_LARGE) {
		ei->max = (long long)o.max_bytes;
		return SE_RAISEF(ei, SE_FileTooLarge, "the file is over %zu bytes", o.max_bytes);
	}
	if (rc)
		return rc;
	*status = resp->status;
	if (resp->final_url[0] && !url_allowed(f, resp->final_url))
		return SE_RAISEF(ei, SE_MissingPermission, "redirected to a blocked domain");
	if (resp->status == 404 || resp->status == 410)
		return SE_RAISEF(ei, SE_NOT_FOUND, "HTTP %ld", resp->status);
	if (resp->status < 200 || resp->status > 299)
		return SE_RAISEF(ei, SE_INVAL, "HTTP %ld", resp->status);
	if (resp->body.len < FILE_MIN_SIZE)
		return SE_RAISEF(ei, SE_FileTypeNotAllowed, "empty body");
	return SE_OK;
}

static int make_temp(const char *dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/media-XXXXXX", dir) >= (int)sizeof(path))
		return -1;
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

struct sink {
	struct blob_writer *bw;
	struct err_info *ei;
};

static enum err to_blob(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	return blob_writer_write(s->bw, p, n, s->ei);
}

enum err fmedia_filename_of(const char *url, struct buf *out)
{
	size_t n = strcspn(url, "?#");
	const char *slash = NULL;

	for (size_t i = 0; i < n; i++)
		if (url[i] == '/')
			slash = url + i;
	if (slash)
		return mp_safe_filename((struct str){slash + 1, n - (size_t)(slash + 1 - url)},
		                        out);
	return mp_safe_filename(STR_NULL, out);
}

/* Copy `body` as it is into the blob writer. */
static enum err copy_plain(struct sink *s, struct str body)
{
	return blob_writer_write(s->bw, body.p, body.n, s->ei);
}

/*
 * Sniff, check and strip `body` into a new blob writer (*bw, owned by the
 * caller on success); fills mime, meta, width and height. As POST
 * /autumn/{tag}: avatars and backgrounds take images only; attachments
 * take anything but the blocked types, images stripped of metadata.
 */
static enum err ingest(struct fed *f, enum file_tag tag, struct str body, struct str filename,
                       char mime[FILE_MIME_MAX], enum file_meta *meta, unsigned *w, unsigned *h,
                       struct blob_writer **bw, struct err_info *ei)
{
	struct sniff_utf8 u8 = SNIFF_UTF8_INIT;
	uint64_t max = file_tag_max_size(tag);
	struct sink s = {NULL, ei};
	int fd = -1;
	enum err rc;

	*w = *h = 0;
	sniff_utf8_feed(&u8, body.p, body.n);
	sniff_mime((struct str){body.p, body.n < SNIFF_HEAD_MAX ? body.n : SNIFF_HEAD_MAX},
	           sniff_utf8_ok(&u8), filename, mime);
	*meta = sniff_meta_kind(mime);
	/* videos are not probed here: autumn's fallback is File */
	if (*meta == FILE_META_VIDEO)
		*meta = FILE_META_FILE;
	if (sniff_is_blocked(mime) || (tag != FILE_TAG_ATTACHMENTS && *meta != FILE_META_IMAGE))
		return SE_RAISEF(ei, SE_FileTypeNotAllowed, "not allowed here (%s)", mime);
	if (*meta == FILE_META_IMAGE) {
		fd = make_temp(f->app->spool_dir);
		if (fd < 0)
			return SE_RAISEF(ei, SE_IO, "cannot make a temporary file");
		rc = fio_write_all(fd, body.p, body.n);
		if (rc) {
			rc = SE_RAISEF(ei, rc, "cannot write the temporary file");
			goto out;
		}
		rc = img_probe(fd, w, h);
		if (rc == SE_TOO_LARGE) {
			rc = SE_RAISEF(ei, SE_FileTooLarge, "over %u pixels a side or %llu pixels",
			               IMG_MAX_SIDE, (unsigned long long)IMG_MAX_PIXELS);
			goto out;
		}
		if (rc && tag != FILE_TAG_ATTACHMENTS) {
			rc =
			    SE_RAISEF(ei, SE_FileTypeNotAllowed, "the image header cannot be read");
			goto out;
		}
		if (rc)
			*meta = FILE_META_FILE; /* as image_size failing does in autumn */
	}
	rc = blob_writer_begin(f->app->blobs, max * 4, &s.bw, ei);
	if (rc)
		goto out;
	if (*meta == FILE_META_IMAGE && img_can_strip(mime)) {
		rc = img_strip(fd, mime, to_blob, &s, w, h);
		if (rc == SE_PARSE || rc == SE_TOO_LARGE)
			rc = SE_RAISEF(ei, SE_PARSE, "the image could not be decoded");
	} else {
		rc = copy_plain(&s, body);
	}
	if (rc) {
		blob_writer_abort(s.bw);
		goto out;
	}
	*bw = s.bw;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the user write ---- */

struct apply_op {
	const char *user_id, *url;
	enum fmedia_kind k;
	const json_t *file; /* the new File record, or NULL to clear */
	json_t *view;       /* out: the client view of the attached file */
	bool stale;         /* out: the user's URL moved on (or the user is gone) */
	bool changed;       /* out: the user record changed */
};

static const char *current_file_id(const json_t *rec, enum fmedia_kind k)
{
	const json_t *o = k == FMEDIA_AVATAR
	                      ? json_object_get(rec, "avatar")
	                      : json_object_get(json_object_get(rec, "profile"), "background");

	return json_string_value(json_object_get(o, "_id"));
}

static enum err set_file(json_t *rec, enum fmedia_kind k, json_t *view)
{
	json_t *prof;

	if (k == FMEDIA_AVATAR)
		return view ? (json_object_set(rec, "avatar", view) ? SE_NOMEM : SE_OK)
		            : (json_object_del(rec, "avatar"), SE_OK);
	prof = json_object_get(rec, "profile");
	if (!view) {
		json_object_del(prof, "background");
		if (json_is_object(prof) && json_object_size(prof) == 0)
			json_object_del(rec, "profile");
		return SE_OK;
	}
	if (!json_is_object(prof)) {
		prof = json_object();
		if (!prof || json_object_set_new(rec, "profile", prof))
			return SE_NOMEM;
	}
	return json_object_set(prof, "background", view) ? SE_NOMEM : SE_OK;
}

static enum err apply_fn(struct store_wtxn *w, void *arg)
{
	struct apply_op *op = arg;
	const char *fid = op->file ? json_string_value(json_object_get(op->file, "_id")) : NULL;
	const char *old;
	json_t *rec = NULL;
	enum err rc;

	json_decref(op->view);
	op->view = NULL;
	op->stale = op->changed = false;
	if (op->file) {
		rc = file_insert(w, op->file);
		if (rc)
			return rc;
	}
	rc = user_load(store_wtxn_read(w), str_from(op->user_id), &rec);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	if (rc || strcmp(url_of(json_object_get(rec, "ap"), op->k), op->url) != 0) {
		/* the URL moved on: the new file goes straight to the clean-up */
		op->stale = true;
		rc = fid ? file_mark_deleted(w, str_from(fid)) : SE_OK;
		goto out;
	}
	old = current_file_id(rec, op->k);
	if (fid) {
		rc = file_claim(w, str_from(fid), file_tag_name(kinds[op->k].tag),
		                kinds[op->k].used_for, str_from(op->user_id), &op->view);
		if (rc)
			goto out;
	}
	if (!fid && !old)
		goto out;
	if (old) {
		rc = file_mark_deleted(w, str_from(old));
		if (rc && rc != SE_NOT_FOUND)
			goto out;
	}
	rc = set_file(rec, op->k, op->view);
	if (!rc)
		rc = user_save(w, rec);
	op->changed = !rc;
out:
	json_decref(rec);
	return rc;
}

static void publish(struct fed *f, const struct apply_op *op)
{
	struct ulid u;
	char eid[ULID_LEN + 1];
	json_t *data = json_object(), *clear = json_array(), *ev = NULL;
	char *text = NULL;
	int bad = !data || !clear;

	if (!f->bus || ulid_generate(NULL, &u))
		goto out;
	ulid_encode(&u, eid);
	if (op->view && op->k == FMEDIA_AVATAR)
		bad |= json_object_set(data, "avatar", op->view);
	else if (!op->view)
		bad |= json_array_append_new(clear, json_string(kinds[op->k].clear));
	if (!bad)
		ev = json_pack("{s:s, s:s, s:O, s:O, s:s}", "type", "UserUpdate", "id", op->user_id,
		               "data", data, "clear", clear, "event_id", eid);
	text = ev ? jx_dump(ev) : NULL;
	if (!text || bus_publish(f->bus, str_from(op->user_id), str_from(text)))
		log_warn("media: cannot publish a 'UserUpdate' event");
out:
	mem_free(text);
	json_decref(ev);
	json_decref(data);
	json_decref(clear);
}

/* Commit the blob and run apply_fn under the blob lock (files/file.h). */
static enum err store_image(struct fed *f, struct apply_op *op, struct blob_writer *bw,
                            const char *filename, const char *mime, unsigned w, unsigned h,
                            struct err_info *ei)
{
	char id[FILE_ID_LEN + 1], hash[BLOB_HASH_HEX];
	struct file_new fn;
	json_t *rec = NULL;
	enum err rc;

	memset(&fn, 0, sizeof(fn));
	file_id_new(kinds[op->k].tag, id);
	fn.id = id;
	fn.tag = file_tag_name(kinds[op->k].tag);
	fn.filename = filename;
	fn.content_type = mime;
	fn.uploader_id = op->user_id;
	fn.meta = FILE_META_IMAGE;
	fn.width = w;
	fn.height = h;
	fn.now_ms = now_ms();
	file_blob_lock();
	rc = blob_writer_commit(bw, hash, &fn.size, ei);
	if (!rc) {
		fn.hash = hash;
		rec = file_record_new(&fn);
		op->file = rec;
		rc = rec ? store_write(f->store, apply_fn, op, ei) : SE_NOMEM;
	}
	file_blob_unlock();
	op->file = NULL;
	json_decref(rec);
	return rc;
}

enum err fmedia_fetch_one(struct fed *f, const char *user_id, enum fmedia_kind k, const char *url,
                          long *status, struct err_info *ei)
{
	struct apply_op op = {user_id, url, k, NULL, NULL, false, false};
	struct fetch_resp resp;
	struct buf filename = BUF_INIT(LIM_UPLOAD_FILENAME + 8);
	struct blob_writer *bw = NULL;
	char mime[FILE_MIME_MAX];
	unsigned w = 0, h = 0;
	long st = 0;
	enum file_meta meta;
	enum err rc;

	fetch_resp_init(&resp);
	if ((unsigned)k >= FMEDIA__COUNT || !user_id || !url)
		return SE_RAISEF(ei, SE_INVAL, "bad media item");
	if (!f->app || !f->app->blobs || !f->app->spool_dir)
		return SE_RAISEF(ei, SE_INVAL, "no blob store");
	if (!url[0]) {
		rc = store_write(f->store, apply_fn, &op, ei);
		goto done;
	}
	rc = fetch_media(f, kinds[k].tag, url, &resp, &st, ei);
	if (!rc)
		rc = fmedia_filename_of(url, &filename);
	if (!rc)
		rc = ingest(f, kinds[k].tag, buf_str(&resp.body), buf_str(&filename), mime, &meta,
		            &w, &h, &bw, ei);
	fetch_resp_release(&resp);
	if (!rc)
		rc = store_image(f, &op, bw, buf_cstr(&filename), mime, w, h, ei);
done:
	if (!rc && op.changed)
		publish(f, &op);
	if (!rc && op.stale)
		log_info("media: %s of %s moved on while fetching; dropped", kinds[k].name,
		         user_id);
	if (status)
		*status = st;
	json_decref(op.view);
	buf_release(&filename);
	return rc;
}

/* ---- attachments of remote Notes ---- */

struct att_op {
	json_t *recs[FMEDIA_COPIES_MAX];
	size_t n;
};

static enum err att_fn(struct store_wtxn *w, void *arg)
{
	struct att_op *op = arg;
	enum err rc = SE_OK;

	for (size_t i = 0; i < op->n && !rc; i++)
		rc = file_insert(w, op->recs[i]);
	return rc;
}

enum err fmedia_attachment(struct fed *f, const char *url, const char *uploader, size_t n,
                           char ids[][FILE_ID_LEN + 1], long *status, struct err_info *ei)
{
	struct fetch_resp resp;
	struct buf filename = BUF_INIT(LIM_UPLOAD_FILENAME + 8);
	struct blob_writer *bw = NULL;
	struct att_op op;
	struct file_new fn;
	char mime[FILE_MIME_MAX], hash[BLOB_HASH_HEX];
	unsigned w = 0, h = 0;
	long st = 0;
	enum err rc;

	memset(&op, 0, sizeof(op));
	memset(&fn, 0, sizeof(fn));
	fetch_resp_init(&resp);
	if (!url || !uploader || n == 0 || n > FMEDIA_COPIES_MAX)
		return SE_RAISEF(ei, SE_INVAL, "bad attachment request");
	if (!f->app || !f->app->blobs || !f->app->spool_dir)
		return SE_RAISEF(ei, SE_INVAL, "no blob store");
	rc = fetch_media(f, FILE_TAG_ATTACHMENTS, url, &resp, &st, ei);
	if (!rc)
		rc = fmedia_filename_of(url, &filename);
	if (!rc)
		rc = ingest(f, FILE_TAG_ATTACHMENTS, buf_str(&resp.body), buf_str(&filename), mime,
		            &fn.meta, &w, &h, &bw, ei);
	fetch_resp_release(&resp);
	if (rc)
		goto out;
	fn.tag = file_tag_name(FILE_TAG_ATTACHMENTS);
	fn.filename = buf_cstr(&filename);
	fn.content_type = mime;
	fn.uploader_id = uploader;
	fn.width = w;
	fn.height = h;
	fn.now_ms = now_ms();
	/* one record per copy of the message, sharing the blob (content-addressed) */
	file_blob_lock();
	rc = blob_writer_commit(bw, hash, &fn.size, ei);
	fn.hash = hash;
	for (size_t i = 0; !rc && i < n; i++) {
		file_id_new(FILE_TAG_ATTACHMENTS, ids[i]);
		fn.id = ids[i];
		op.recs[i] = file_record_new(&fn);
		op.n = i + 1;
		if (!op.recs[i])
			rc = SE_NOMEM;
	}
	if (!rc)
		rc = store_write(f->store, att_fn, &op, ei);
	file_blob_unlock();
out:
	for (size_t i = 0; i < op.n; i++)
		json_decref(op.recs[i]);
	if (status)
		*status = st;
	buf_release(&filename);
	return rc;
}

/* ---- the worker ---- */

static enum err parse_item(struct str payload, json_t **p, const char **user, enum fmedia_kind *k,
                           const char **url, struct err_info *ei)
{
	const char *kind;
	enum err rc = jx_parse_object(payload, QUEUE_PAYLOAD_MAX, p, ei);

	if (rc)
		return rc;
	*user = json_string_value(json_object_get(*p, "user"));
	*url = json_string_value(json_object_get(*p, "url"));
	kind = json_string_value(json_object_get(*p, "kind"));
	for (unsigned i = 0; kind && i < FMEDIA__COUNT; i++)
		if (strcmp(kind, kinds[i].name) == 0) {
			*k = (enum fmedia_kind)i;
			return *user && *url ? SE_OK : SE_PARSE;
		}
	return SE_RAISEF(ei, SE_PARSE, "queued media item without user, kind or url");
}

static void process_item(struct fmedia *m, struct queue_item *it)
{
	struct err_info ei = ERR_INFO_INIT, qei = ERR_INFO_INIT;
	const char *user = NULL, *url = NULL;
	enum fmedia_kind k = FMEDIA_AVATAR;
	json_t *p = NULL;
	long status = 0;
	enum err rc = parse_item(it->payload, &p, &user, &k, &url, &ei), qrc;
	enum fmedia_next next;
	char msg[QUEUE_ERROR_MAX], esc[200];
	bool dead = false;

	if (!rc)
		rc = fmedia_fetch_one(m->f, user, k, url, &status, &ei);
	next = fmedia_classify(rc, status);
	if (next == FMEDIA_RETRY) {
		snprintf(msg, sizeof(msg), "%s: %s", err_type(rc), ei.detail);
		qrc = queue_retry_one(m->f->store, &fmedia_queue, it->id, it->token, now_ms(),
		                      str_from(msg), &dead, &qei);
	} else {
		qrc = queue_ack_one(m->f->store, &fmedia_queue, it->id, it->token, &qei);
	}
	if (rc) {
		log_escape(esc, sizeof(esc), url ? url : "", url ? strlen(url) : 0);
		log_info("media: %s '%s' of %s: %s (%s)%s", kinds[k].name, esc, user ? user : "?",
		         err_type(rc), ei.detail,
		         next == FMEDIA_RETRY ? (dead ? ", dead-lettered" : ", retried later")
		                              : ", default image kept");
	}
	if (qrc)
		log_warn("media: cannot settle queue item %s: %s", it->id, err_type(qrc));
	json_decref(p);
}

static void *worker(void *arg)
{
	struct fmedia *m = arg;

	for (;;) {
		struct arena a = ARENA_INIT(2 * QUEUE_PAYLOAD_MAX + (64u << 10));
		struct err_info ei = ERR_INFO_INIT;
		struct queue_item it;
		enum err rc;

		pthread_mutex_lock(&m->mu);
		if (m->stop) {
			pthread_mutex_unlock(&m->mu);
			break;
		}
		pthread_mutex_unlock(&m->mu);
		rc = queue_claim_one(m->f->store, &fmedia_queue, now_ms(), LEASE_MS, &a, &it, &ei);
		if (!rc)
			process_item(m, &it);
		arena_release(&a);
		if (rc == SE_OK)
			continue;
		if (rc != SE_NOT_FOUND)
			log_warn("media: cannot claim from the queue: %s", err_type(rc));
		pthread_mutex_lock(&m->mu);
		if (!m->stop && !m->kick) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)IDLE_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&m->cv, &m->mu, &ts);
		}
		m->kick = false;
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

enum err fmedia_start(struct fed *f, struct err_info *ei)
{
	struct fmedia *m = xcalloc(1, sizeof(*m));

	m->f = f;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	f->media = m;
	if (!f->app || !f->app->blobs || !f->app->spool_dir) {
		fmedia_stop(f);
		return SE_RAISEF(ei, SE_INVAL, "remote media need the blob store");
	}
	if (pthread_create(&m->th, NULL, worker, m) != 0) {
		fmedia_stop(f);
		return SE_RAISEF(ei, SE_IO, "cannot start the media worker");
	}
	m->started = true;
	return SE_OK;
}

void fmedia_stop(struct fed *f)
{
	struct fmedia *m = f ? f->media : NULL;

	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->mu);
		m->stop = true;
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->th, NULL);
	}
	f->media = NULL;
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	mem_free(m);
}

void fmedia_kick(struct fed *f)
{
	struct fmedia *m = f ? f->media : NULL;

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->kick = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}
