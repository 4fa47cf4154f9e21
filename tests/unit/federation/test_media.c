/*
 * tests/unit/federation/test_media.c: remote avatars/banners (federation/
 * media.c): the retry/give-up decision, the changed-URL rule and its queue
 * items, and the whole pipeline against a loopback HTTP server: an image
 * becomes the user's avatar File (dimensions kept), a new URL replaces it
 * and flags the old file deleted, a stale result is dropped, and hostile
 * answers (404, 503, text served as image/png, an over-size body, a pixel
 * bomb, a blocked domain) leave the avatar and the files collection alone.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "federation/media.h"
#include "federation/policy.h"
#include "files/blob.h"
#include "files/file.h"
#include "files/image.h"
#include "storage/queue.h"
#include "storage/store.h"
#include "tests/support/lsrv.h"
#include "users/user.h"

/* 3 x 2 and 5 x 4 RGB PNGs; a PNG header claiming 20 000 x 20 000 */
static const unsigned char png_a[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x03\x00\x00"
    "\x00\x02\x08\x02\x00\x00\x00\x12\x16\xf1\x4d\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63"
    "\xf8\xcf\xc0\x00\x41\x0c\x70\x16\x00\x41\xd2\x05\xfb\x87\xf0\xb9\x48\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82";
static const unsigned char png_b[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x05\x00\x00"
    "\x00\x04\x08\x02\x00\x00\x00\xc9\x51\x62\x17\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63"
    "\x60\x68\xf8\x8f\x82\x48\xe4\x03\x00\xaa\x01\x1d\xed\xdc\x28\x1e\x6f\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82";
static const unsigned char png_bomb[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x4e\x20\x00\x00"
    "\x4e\x20\x08\x02\x00\x00\x00\x6c\x12\xd1\x6e\x00\x00\x00\x0b\x49\x44\x41\x54\x78\x9c\x63"
    "\x60\x80\x01\x00\x00\x0a\x00\x01\x7f\x80\x74\x5e\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42"
    "\x60\x82";

#define USER "01HZZZZZZZZZZZZZZZZZZZZZZZ"

/* ---- pure decisions ---- */

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(fmedia_classify(SE_OK, 200), FMEDIA_DONE);
	assert_int_equal(fmedia_classify(SE_TIMEOUT, 0), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_IO, 0), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_BUSY, 0), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_INVAL, 503), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_INVAL, 500), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_INVAL, 429), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_INVAL, 408), FMEDIA_RETRY);
	assert_int_equal(fmedia_classify(SE_INVAL, 403), FMEDIA_GIVE_UP);
	assert_int_equal(fmedia_classify(SE_INVAL, 0), FMEDIA_GIVE_UP); /* SSRF guard, junk URL */
	assert_int_equal(fmedia_classify(SE_NOT_FOUND, 404), FMEDIA_GIVE_UP);
	assert_int_equal(fmedia_classify(SE_MissingPermission, 0), FMEDIA_GIVE_UP);
	assert_int_equal(fmedia_classify(SE_FileTooLarge, 200), FMEDIA_GIVE_UP);
	assert_int_equal(fmedia_classify(SE_FileTypeNotAllowed, 200), FMEDIA_GIVE_UP);
	assert_int_equal(fmedia_classify(SE_PARSE, 200), FMEDIA_GIVE_UP);
}

static void test_url_changed(void **state)
{
	json_t *a = json_pack("{s:s}", "icon", "https://x.example/a.png");
	json_t *b = json_pack("{s:s, s:s}", "icon", "https://x.example/b.png", "image",
	                      "https://x.example/banner.png");
	json_t *e = json_pack("{s:s}", "icon", "");
	json_t *none = json_object();

	(void)state;
	assert_true(fmedia_url_changed(NULL, a, FMEDIA_AVATAR));
	assert_false(fmedia_url_changed(NULL, a, FMEDIA_BACKGROUND));
	assert_false(fmedia_url_changed(a, a, FMEDIA_AVATAR));
	assert_true(fmedia_url_changed(a, b, FMEDIA_AVATAR));
	assert_true(fmedia_url_changed(a, b, FMEDIA_BACKGROUND));
	assert_true(fmedia_url_changed(b, none, FMEDIA_AVATAR));
	assert_false(fmedia_url_changed(e, none, FMEDIA_AVATAR)); /* "" == absent */
	assert_false(fmedia_url_changed(NULL, none, FMEDIA_AVATAR));
	/* a set URL without a file (failed before, or older record) is tried again */
	{
		json_t *rec = json_pack("{s:O}", "ap", a);
		json_t *with = json_pack("{s:O, s:{s:s}}", "ap", a, "avatar", "_id", "f1");

		assert_true(fmedia_needs_fetch(NULL, a, FMEDIA_AVATAR));
		assert_true(fmedia_needs_fetch(rec, a, FMEDIA_AVATAR));
		assert_false(fmedia_needs_fetch(with, a, FMEDIA_AVATAR));
		assert_true(fmedia_needs_fetch(with, b, FMEDIA_AVATAR));
		assert_false(fmedia_needs_fetch(with, a, FMEDIA_BACKGROUND));
		/* a removed URL: a clearing item; none before or after: nothing */
		assert_true(fmedia_needs_fetch(rec, none, FMEDIA_AVATAR));
		assert_false(fmedia_needs_fetch(NULL, none, FMEDIA_AVATAR));
		json_decref(rec);
		json_decref(with);
	}
	assert_string_equal(fmedia_ap_key(FMEDIA_AVATAR), "icon");
	assert_string_equal(fmedia_ap_key(FMEDIA_BACKGROUND), "image");
	json_decref(a);
	json_decref(b);
	json_decref(e);
	json_decref(none);
}

/* ---- fixture: store, blob store, fed, loopback server ---- */

struct srv {
	struct lsrv *l;
	int port;
};

static struct srv sv;

static void reply(int c, int status, const char *type, const void *body, size_t n)
{
	char head[256];

	snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, type, n);
	lsrv_send_all(c, head, strlen(head));
	lsrv_send_all(c, body, n);
}

static void srv_one(struct lsrv *l, int c, void *arg)
{
	char req[4096], path[512] = "";

	(void)l;
	(void)arg;
	lsrv_read_request(c, req, sizeof(req));
	sscanf(req, "GET %511s", path);
	if (strcmp(path, "/a.png") == 0) {
		reply(c, 200, "image/png", png_a, sizeof(png_a) - 1);
	} else if (strcmp(path, "/b.png") == 0) {
		reply(c, 200, "image/png", png_b, sizeof(png_b) - 1);
	} else if (strcmp(path, "/bomb.png") == 0) {
		reply(c, 200, "image/png", png_bomb, sizeof(png_bomb) - 1);
	} else if (strcmp(path, "/text.png") == 0) {
		reply(c, 200, "image/png", "just some text, not a picture\n", 30);
	} else if (strcmp(path, "/huge.png") == 0) {
		size_t big = (size_t)file_tag_max_size(FILE_TAG_AVATARS) + 4096;
		char *z = calloc(1, big);

		memcpy(z, png_a, sizeof(png_a) - 1);
		reply(c, 200, "image/png", z, big);
		free(z);
	} else if (strcmp(path, "/busy.png") == 0) {
		reply(c, 503, "text/plain", "later", 5);
	} else {
		reply(c, 404, "text/plain", "no", 2);
	}
}

static unsigned hits(void)
{
	return lsrv_hits(sv.l);
}

struct fx {
	char dir[64], spool[96];
	struct cfg cfg;
	struct app app;
	struct fed f;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct store_opts o = {.no_sync = true};
	struct blob_opts bo = {0};

	assert_non_null(x);
	assert_int_equal(img_init(), SE_OK);
	snprintf(x->dir, sizeof(x->dir), "/tmp/sol-media-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(store_open(x->dir, api_schema(), &o, &x->app.store, NULL), SE_OK);
	bo.data_dir = x->dir;
	assert_int_equal(blob_store_new(&bo, &x->app.blobs, NULL), SE_OK);
	snprintf(x->spool, sizeof(x->spool), "%s/tmp", x->dir);
	mkdir(x->spool, 0700);
	x->app.spool_dir = x->spool;
	cfg_init(&x->cfg);
	x->f.cfg = &x->cfg;
	x->f.store = x->app.store;
	x->f.app = &x->app;
	x->f.base = (char *)"http://127.0.0.1:1";
	x->f.host = (char *)"127.0.0.1:1";
	x->f.allow_private = true;
	x->f.user_agent = (char *)"test_media";

	memset(&sv, 0, sizeof(sv));
	sv.l = lsrv_start(srv_one, NULL);
	assert_non_null(sv.l);
	sv.port = lsrv_port(sv.l);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[128];

	lsrv_stop(sv.l);
	fmedia_stop(&x->f);
	blob_store_free(x->app.blobs);
	store_close(x->app.store);
	cfg_release(&x->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", x->dir);
	free(x);
	return 0;
}

static void url(char *out, size_t n, const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", sv.port, path);
}

struct put_op {
	const char *icon, *image; /* NULL: absent */
};

/* Create or rewrite the remote user with ap {icon, image}. */
static enum err put_fn(struct store_wtxn *w, void *arg)
{
	struct put_op *op = arg;
	json_t *rec = NULL, *ap = json_pack("{s:s}", "id", "http://127.0.0.1/users/bob");
	enum err rc = user_load(store_wtxn_read(w), STR_LIT(USER), &rec);
	char *text;

	if (rc == SE_NOT_FOUND)
		rec = user_record_new(STR_LIT(USER), STR_LIT("bob@127.0.0.1"), "0001");
	if (op->icon)
		json_object_set_new(ap, "icon", json_string(op->icon));
	if (op->image)
		json_object_set_new(ap, "image", json_string(op->image));
	json_object_set_new(rec, "ap", ap);
	if (rc == SE_NOT_FOUND) {
		text = json_dumps(rec, JSON_COMPACT);
		rc = store_create(w, USER_COLL, STR_LIT(USER), str_from(text));
		free(text);
	} else {
		rc = user_save(w, rec);
	}
	json_decref(rec);
	return rc;
}

static void put_user(struct fx *x, const char *icon, const char *image)
{
	struct put_op op = {icon, image};

	assert_int_equal(store_write(x->app.store, put_fn, &op, NULL), SE_OK);
}

static json_t *load_user(struct fx *x)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;

	assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
	assert_int_equal(user_load(t, STR_LIT(USER), &rec), SE_OK);
	store_read_end(t);
	return rec;
}

static json_t *load_file(struct fx *x, const char *id)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;

	assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
	assert_int_equal(file_load(t, str_from(id), &rec), SE_OK);
	store_read_end(t);
	return rec;
}

static size_t n_files(struct fx *x)
{
	struct store_txn *t = NULL;
	size_t n = 0;

	assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
	assert_int_equal(store_count(t, FILE_COLL, NULL, &n), SE_OK);
	store_read_end(t);
	return n;
}

/* The avatar's file id (copied into `out`), "" without one. */
static void avatar_id(struct fx *x, char out[64])
{
	json_t *u = load_user(x);
	const char *id = json_string_value(json_object_get(json_object_get(u, "avatar"), "_id"));

	snprintf(out, 64, "%s", id ? id : "");
	json_decref(u);
}

static void assert_file(struct fx *x, const char *id, unsigned w, unsigned h, bool deleted)
{
	json_t *f = load_file(x, id);
	json_t *m = json_object_get(f, "metadata");

	assert_string_equal(json_string_value(json_object_get(f, "tag")), "avatars");
	assert_string_equal(json_string_value(json_object_get(f, "content_type")), "image/png");
	assert_string_equal(json_string_value(json_object_get(m, "type")), "Image");
	assert_int_equal(json_integer_value(json_object_get(m, "width")), w);
	assert_int_equal(json_integer_value(json_object_get(m, "height")), h);
	assert_int_equal(json_is_true(json_object_get(f, "deleted")), deleted);
	if (!deleted)
		assert_string_equal(
		    json_string_value(json_object_get(json_object_get(f, "used_for"), "id")), USER);
	json_decref(f);
}

static enum err block_fn(struct store_wtxn *w, void *arg)
{
	return policy_block_add(w, str_from(arg), STR_LIT("test"));
}

static enum err unblock_fn(struct store_wtxn *w, void *arg)
{
	return policy_block_remove(w, str_from(arg));
}

static void test_pipeline(void **state)
{
	struct fx *x = *state;
	char ua[256], ub[256], bad[256], first[64], second[64], now[64];
	struct err_info ei = ERR_INFO_INIT;
	long status = 0;
	json_t *u;
	size_t files;

	/* an image becomes the avatar, dimensions kept */
	url(ua, sizeof(ua), "/a.png");
	url(ub, sizeof(ub), "/b.png");
	put_user(x, ua, NULL);
	assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, ua, &status, &ei), SE_OK);
	assert_int_equal(status, 200);
	avatar_id(x, first);
	assert_int_equal(strlen(first), FILE_ID_LEN);
	assert_file(x, first, 3, 2, false);
	assert_int_equal(n_files(x), 1);

	/* a new URL replaces it; the old file goes to the clean-up */
	put_user(x, ub, NULL);
	assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, ub, &status, &ei), SE_OK);
	avatar_id(x, second);
	assert_string_not_equal(first, second);
	assert_file(x, second, 5, 4, false);
	assert_file(x, first, 3, 2, true);

	/* a result for a URL the actor no longer has is dropped (flagged deleted) */
	files = n_files(x);
	assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, ua, &status, &ei), SE_OK);
	avatar_id(x, now);
	assert_string_equal(now, second);
	assert_int_equal(n_files(x), files + 1);

	/* hostile answers: the avatar and the files collection stay as they are */
	{
		static const struct {
			const char *path;
			enum err rc;
			long status;
			enum fmedia_next next;
		} cases[] = {
		    {"/gone.png", SE_NOT_FOUND, 404, FMEDIA_GIVE_UP},
		    {"/busy.png", SE_INVAL, 503, FMEDIA_RETRY},
		    {"/text.png", SE_FileTypeNotAllowed, 200, FMEDIA_GIVE_UP},
		    {"/huge.png", SE_FileTooLarge, 0, FMEDIA_GIVE_UP},
		    {"/bomb.png", SE_FileTooLarge, 200, FMEDIA_GIVE_UP},
		};

		files = n_files(x);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			enum err rc;

			url(bad, sizeof(bad), cases[i].path);
			put_user(x, bad, NULL);
			status = -1;
			rc = fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, bad, &status, &ei);
			assert_int_equal(rc, cases[i].rc);
			if (cases[i].status)
				assert_int_equal(status, cases[i].status);
			assert_int_equal(fmedia_classify(rc, status), cases[i].next);
			avatar_id(x, now);
			assert_string_equal(now, second);
			assert_int_equal(n_files(x), files);
		}
	}

	/* a blocked domain is not even asked */
	{
		unsigned before = hits();

		url(bad, sizeof(bad), "/a.png");
		put_user(x, bad, NULL);
		assert_int_equal(store_write(x->app.store, block_fn, (void *)"127.0.0.1", NULL),
		                 SE_OK);
		assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, bad, &status, &ei),
		                 SE_MissingPermission);
		assert_int_equal(hits(), before);
		assert_int_equal(store_write(x->app.store, unblock_fn, (void *)"127.0.0.1", NULL),
		                 SE_OK);
		avatar_id(x, now);
		assert_string_equal(now, second);
		assert_int_equal(n_files(x), files);
	}

	/* the actor drops its icon: the avatar goes, its file to the clean-up */
	put_user(x, NULL, NULL);
	assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_AVATAR, "", &status, &ei), SE_OK);
	u = load_user(x);
	assert_null(json_object_get(u, "avatar"));
	json_decref(u);
	assert_file(x, second, 5, 4, true);

	/* a banner becomes profile.background, tag backgrounds */
	put_user(x, NULL, ub);
	assert_int_equal(fmedia_fetch_one(&x->f, USER, FMEDIA_BACKGROUND, ub, &status, &ei), SE_OK);
	u = load_user(x);
	{
		const json_t *bg = json_object_get(json_object_get(u, "profile"), "background");

		assert_string_equal(json_string_value(json_object_get(bg, "tag")), "backgrounds");
		assert_int_equal(
		    json_integer_value(json_object_get(json_object_get(bg, "metadata"), "width")),
		    5);
	}
	json_decref(u);
}

/* Attachments of remote Notes: any allowed type, one record per copy sharing the blob. */
static void test_attachment(void **state)
{
	struct fx *x = *state;
	char u[256], ids[3][FILE_ID_LEN + 1];
	struct err_info ei = ERR_INFO_INIT;
	long status = 0;
	json_t *f0, *f1;
	size_t files;

	url(u, sizeof(u), "/text.png");
	assert_int_equal(fmedia_attachment(&x->f, u, USER, 2, ids, &status, &ei), SE_OK);
	assert_int_equal(status, 200);
	assert_string_not_equal(ids[0], ids[1]);
	f0 = load_file(x, ids[0]);
	f1 = load_file(x, ids[1]);
	assert_string_equal(json_string_value(json_object_get(f0, "tag")), "attachments");
	assert_string_equal(json_string_value(json_object_get(f0, "uploader_id")), USER);
	/* sniffed, not what the server claimed */
	assert_string_equal(json_string_value(json_object_get(f0, "content_type")), "plain/text");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f0, "metadata"), "type")), "Text");
	assert_string_equal(json_string_value(json_object_get(f0, "hash")),
	                    json_string_value(json_object_get(f1, "hash")));
	/* unattached: a message claims it, or the clean-up flags it after an hour */
	assert_null(json_object_get(f0, "used_for"));
	json_decref(f0);
	json_decref(f1);

	url(u, sizeof(u), "/b.png");
	assert_int_equal(fmedia_attachment(&x->f, u, USER, 1, ids, &status, &ei), SE_OK);
	f0 = load_file(x, ids[0]);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(f0, "metadata"), "width")), 5);
	json_decref(f0);

	files = n_files(x);
	url(u, sizeof(u), "/gone.png");
	assert_int_equal(fmedia_attachment(&x->f, u, USER, 1, ids, &status, &ei), SE_NOT_FOUND);
	url(u, sizeof(u), "/bomb.png");
	assert_int_equal(fmedia_attachment(&x->f, u, USER, 1, ids, &status, &ei), SE_FileTooLarge);
	assert_int_equal(fmedia_attachment(&x->f, u, USER, 0, ids, &status, &ei), SE_INVAL);
	assert_int_equal(
	    fmedia_attachment(&x->f, u, USER, FMEDIA_COPIES_MAX + 1, ids, &status, &ei), SE_INVAL);
	assert_int_equal(n_files(x), files);
}

struct enq_op {
	const json_t *old_ap, *new_ap;
	bool has_files; /* the old record holds an avatar and a background */
};

static enum err enq_fn(struct store_wtxn *w, void *arg)
{
	struct enq_op *op = arg;
	json_t *rec = op->old_ap ? json_pack("{s:O}", "ap", op->old_ap) : NULL;
	enum err rc;

	if (rec && op->has_files) {
		json_object_set_new(rec, "avatar", json_pack("{s:s}", "_id", "f1"));
		json_object_set_new(rec, "profile",
		                    json_pack("{s:{s:s}}", "background", "_id", "f2"));
	}
	rc = fmedia_enqueue_changes(w, USER, rec, op->new_ap, 1000);
	json_decref(rec);
	return rc;
}

/* Changed URLs become queue items; the worker turns them into the avatar and banner. */
static void test_worker(void **state)
{
	struct fx *x = *state;
	char ua[256], ub[256], id[64] = "";
	json_t *old_ap, *new_ap, *u = NULL;
	struct store_txn *t = NULL;
	struct enq_op op;
	size_t n = 0;

	url(ua, sizeof(ua), "/a.png");
	url(ub, sizeof(ub), "/b.png");
	old_ap = json_pack("{s:s}", "icon", ua);
	new_ap = json_pack("{s:s, s:s}", "icon", ua, "image", ub);
	put_user(x, ua, ub);
	/* unchanged: nothing queued */
	op = (struct enq_op){new_ap, new_ap, true};
	assert_int_equal(store_write(x->app.store, enq_fn, &op, NULL), SE_OK);
	assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &fmedia_queue, &n), SE_OK);
	store_read_end(t);
	assert_int_equal(n, 0);
	/* a new user: icon and image */
	op = (struct enq_op){NULL, new_ap, false};
	assert_int_equal(store_write(x->app.store, enq_fn, &op, NULL), SE_OK);
	/* only the image changed */
	op = (struct enq_op){old_ap, new_ap, true};
	assert_int_equal(store_write(x->app.store, enq_fn, &op, NULL), SE_OK);
	assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &fmedia_queue, &n), SE_OK);
	store_read_end(t);
	assert_int_equal(n, 3);

	assert_int_equal(fmedia_start(&x->f, NULL), SE_OK);
	fmedia_kick(&x->f);
	for (int i = 0; i < 200 && n; i++) {
		usleep(50 * 1000);
		assert_int_equal(store_read_begin(x->app.store, &t), SE_OK);
		assert_int_equal(queue_pending_count(t, &fmedia_queue, &n), SE_OK);
		store_read_end(t);
	}
	assert_int_equal(n, 0);
	fmedia_stop(&x->f);
	avatar_id(x, id);
	assert_int_equal(strlen(id), FILE_ID_LEN);
	assert_file(x, id, 3, 2, false);
	u = load_user(x);
	assert_non_null(json_object_get(json_object_get(u, "profile"), "background"));
	json_decref(u);
	json_decref(old_ap);
	json_decref(new_ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_url_changed),
	    cmocka_unit_test_setup_teardown(test_pipeline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attachment, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
