/*
 * tests/unit/files/test_file.c: the Autumn decisions that need no daemon:
 * MIME sniffing (table-driven), UTF-8, metadata kinds, blocked types, tags,
 * ids, records, file_claim and the clean-up on a real store and blob store.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "files/blob.h"
#include "files/cleanup.h"
#include "files/file.h"
#include "files/image.h"
#include "files/sniff.h"
#include "storage/store.h"

static const struct {
	const char *data;
	size_t n;
	const char *filename;
	const char *mime;
} sniff_cases[] = {
    {"hello world\n", 12, "a.txt", "plain/text"},
    {"hello world\n", 12, "a.SVG", "image/svg+xml"},
    {"{\"a\":1}", 7, "a.json", "plain/text"},
    {"\xff\xfe\x00 bytes", 9, "a.bin", "application/octet-stream"},
    {"hello", 5, "setup.exe", "application/vnd.microsoft.portable-executable"},
    {"PK\x03\x04", 4, "app.apk", "application/vnd.android.package-archive"},
    {"\x89PNG\r\n\x1a\nnot really", 18, "x.png", "application/octet-stream"},
    {"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14, "x.gif", "image/gif"},
    {"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15, "x.pdf", "application/pdf"},
    {"", 0, "empty", "plain/text"},
};

static void test_sniff(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sniff_cases) / sizeof(sniff_cases[0]); i++) {
		struct sniff_utf8 u = SNIFF_UTF8_INIT;
		char mime[FILE_MIME_MAX];

		sniff_utf8_feed(&u, sniff_cases[i].data, sniff_cases[i].n);
		sniff_mime((struct str){sniff_cases[i].data, sniff_cases[i].n}, sniff_utf8_ok(&u),
		           str_from(sniff_cases[i].filename), mime);
		if (strcmp(mime, sniff_cases[i].mime) != 0)
			fail_msg("case %zu (%s): got %s, want %s", i, sniff_cases[i].filename, mime,
			         sniff_cases[i].mime);
	}
}

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		bool ok;
	} cases[] = {
	    {"plain", 5, true},
	    {"caf\xc3\xa9", 5, true},
	    {"\xe2\x82\xac", 3, true},
	    {"\xf0\x9f\x98\x80", 4, true},
	    {"\xc3", 1, false},
	    {"\xc0\xaf", 2, false},     /* overlong */
	    {"\xed\xa0\x80", 3, false}, /* surrogate */
	    {"\xf4\x90\x80\x80", 4, false},
	    {"\x80", 1, false},
	    {"a\0b", 3, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sniff_utf8 whole = SNIFF_UTF8_INIT, split = SNIFF_UTF8_INIT;

		sniff_utf8_feed(&whole, cases[i].s, cases[i].n);
		for (size_t k = 0; k < cases[i].n; k++)
			sniff_utf8_feed(&split, cases[i].s + k, 1);
		assert_int_equal(sniff_utf8_ok(&whole), cases[i].ok);
		assert_int_equal(sniff_utf8_ok(&split), cases[i].ok);
	}
}

static void test_kinds_and_tags(void **state)
{
	enum file_tag t;
	unsigned w, h;
	char id[FILE_ID_LEN + 1];

	(void)state;
	assert_int_equal(sniff_meta_kind("image/png"), FILE_META_IMAGE);
	assert_int_equal(sniff_meta_kind("image/gif"), FILE_META_IMAGE);
	assert_int_equal(sniff_meta_kind("image/svg+xml"), FILE_META_FILE);
	assert_int_equal(sniff_meta_kind("video/mp4"), FILE_META_VIDEO);
	assert_int_equal(sniff_meta_kind("audio/mpeg"), FILE_META_AUDIO);
	assert_int_equal(sniff_meta_kind("plain/text"), FILE_META_TEXT);
	assert_int_equal(sniff_meta_kind("application/zip"), FILE_META_FILE);
	assert_true(sniff_is_blocked("application/vnd.microsoft.portable-executable"));
	assert_false(sniff_is_blocked("application/zip"));
	assert_true(file_tag_parse(STR_LIT("emojis"), &t));
	assert_int_equal(t, FILE_TAG_EMOJIS);
	assert_false(file_tag_parse(STR_LIT("emoji"), &t));
	assert_int_equal(file_tag_max_size(FILE_TAG_ATTACHMENTS), 20000000);
	assert_int_equal(file_tag_max_size(FILE_TAG_ICONS), 2500000);
	file_tag_box(FILE_TAG_BACKGROUNDS, &w, &h);
	assert_int_equal(w, 1280);
	assert_int_equal(h, 720);
	file_id_new(FILE_TAG_AVATARS, id);
	assert_int_equal(strlen(id), 42);
	file_id_new(FILE_TAG_EMOJIS, id);
	assert_int_equal(strlen(id), 26);
	assert_true(img_can_strip("image/jpeg"));
	assert_false(img_can_strip("image/gif"));
}

/* ---- a real store and blob store ---- */

struct fix {
	char dir[64];
	struct store *st;
	struct blob_store *blobs;
};

static const struct store_coll_def colls[] = {FILE_COLL_DEF};
static const struct store_schema schema = {colls, 1};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct store_opts o = {0};
	struct blob_opts bo = {0};
	char db[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_file.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof(db), "%s/db", f->dir);
	o.no_sync = true;
	bo.data_dir = f->dir;
	if (store_open(db, &schema, &o, &f->st, NULL) || blob_store_new(&bo, &f->blobs, NULL))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	store_close(f->st);
	blob_store_free(f->blobs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (strncmp(f->dir, "/tmp/test_file.", 15) == 0 && fork() == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(f);
	return 0;
}

static void put_blob(struct fix *f, const char *text, char hash[BLOB_HASH_HEX])
{
	struct blob_writer *w = NULL;

	assert_int_equal(blob_writer_begin(f->blobs, 0, &w, NULL), SE_OK);
	assert_int_equal(blob_writer_write(w, text, strlen(text), NULL), SE_OK);
	assert_int_equal(blob_writer_commit(w, hash, NULL, NULL), SE_OK);
}

struct ins {
	json_t *rec;
};

static enum err ins_fn(struct store_wtxn *w, void *arg)
{
	return file_insert(w, ((struct ins *)arg)->rec);
}

static void add_file(struct fix *f, const char *id, const char *tag, const char *hash, int64_t at)
{
	struct file_new fn = {id, tag, "a.txt", "plain/text", hash, "01USER", FILE_META_TEXT, 0,
	                      0,  5,   at};
	struct ins op = {file_record_new(&fn)};

	assert_non_null(op.rec);
	assert_int_equal(store_write(f->st, ins_fn, &op, NULL), SE_OK);
	json_decref(op.rec);
}

struct claim {
	const char *id, *tag, *type, *obj;
	json_t *out;
};

static enum err claim_fn(struct store_wtxn *w, void *arg)
{
	struct claim *c = arg;

	json_decref(c->out);
	c->out = NULL;
	return file_claim(w, str_from(c->id), c->tag, c->type, str_from(c->obj), &c->out);
}

static bool exists(struct fix *f, const char *hash)
{
	bool e = false;

	assert_int_equal(blob_exists(f->blobs, hash, &e, NULL), SE_OK);
	return e;
}

static void test_claim_and_cleanup(void **state)
{
	struct fix *f = *state;
	struct files_cleanup_stats s;
	struct claim c = {"att1", "avatars", "UserAvatar", "01USER", NULL};
	char h1[BLOB_HASH_HEX], h2[BLOB_HASH_HEX];
	struct store_txn *txn = NULL;
	json_t *rec = NULL;
	int64_t now = 1700000000000ll, old = now - 2 * FILES_UNATTACHED_MAX_MS;

	put_blob(f, "shared bytes", h1);
	put_blob(f, "lonely bytes", h2);
	add_file(f, "att1", "avatars", h1, old);   /* attached below: kept */
	add_file(f, "dup1", "avatars", h1, old);   /* same blob, never attached */
	add_file(f, "lone1", "avatars", h2, old);  /* its blob goes with it */
	add_file(f, "young1", "avatars", h2, now); /* too young to flag */
	/* claims: wrong tag, unknown id, then the real one, idempotently */
	c.tag = "icons";
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_UnknownAttachment);
	c.tag = "avatars";
	c.id = "nope";
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_UnknownAttachment);
	c.id = "att1";
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_OK);
	assert_null(json_object_get(c.out, "hash"));
	assert_null(json_object_get(c.out, "used_for"));
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_OK);
	c.obj = "02OTHER";
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_UnknownAttachment);
	json_decref(c.out);
	/* the clean-up: dup1 and lone1 flagged and reaped; h1 stays for att1 */
	assert_int_equal(files_cleanup_run(f->st, f->blobs, now, FILES_UNATTACHED_MAX_MS, &s),
	                 SE_OK);
	assert_int_equal(s.flagged, 2);
	assert_int_equal(s.records_removed, 2);
	assert_true(exists(f, h1));
	assert_true(exists(f, h2)); /* young1 still uses it */
	/* an hour later young1 goes too, and h2 with it */
	assert_int_equal(files_cleanup_run(f->st, f->blobs, now + 2 * FILES_UNATTACHED_MAX_MS,
	                                   FILES_UNATTACHED_MAX_MS, &s),
	                 SE_OK);
	assert_int_equal(s.flagged, 1);
	assert_int_equal(s.blobs_removed, 1);
	assert_false(exists(f, h2));
	assert_true(exists(f, h1));
	assert_int_equal(store_read_begin(f->st, &txn), SE_OK);
	assert_int_equal(file_load(txn, STR_LIT("att1"), &rec), SE_OK);
	assert_true(file_is_served(rec));
	json_decref(rec);
	assert_int_equal(file_load(txn, STR_LIT("lone1"), &rec), SE_NOT_FOUND);
	store_read_end(txn);
}

struct pv {
	const char *id, *key, *hash;
	bool recorded;
};

static enum err pv_fn(struct store_wtxn *w, void *arg)
{
	struct pv *p = arg;

	return file_preview_set(w, str_from(p->id), p->key, p->hash, &p->recorded);
}

static enum err del_fn(struct store_wtxn *w, void *arg)
{
	return file_mark_deleted(w, str_from((const char *)arg));
}

static void test_preview_cleanup(void **state)
{
	struct fix *f = *state;
	struct files_cleanup_stats s;
	struct claim c = {"pv1", "avatars", "UserAvatar", "01USER", NULL};
	char h1[BLOB_HASH_HEX], p1[BLOB_HASH_HEX], p2[BLOB_HASH_HEX];
	struct pv pv = {"pv1", "avatars-128x128-q80", NULL, false};
	struct store_txn *txn = NULL;
	json_t *rec = NULL, *view;
	bool used = false;
	int64_t now = 1700000000000ll;

	put_blob(f, "original bytes", h1);
	put_blob(f, "preview bytes", p1);
	put_blob(f, "shared preview", p2);
	add_file(f, "pv1", "avatars", h1, now);
	add_file(f, "other", "avatars", p2, now); /* p2 is also another file's original */
	assert_int_equal(store_write(f->st, claim_fn, &c, NULL), SE_OK);
	json_decref(c.out);
	pv.hash = p1;
	assert_int_equal(store_write(f->st, pv_fn, &pv, NULL), SE_OK);
	assert_true(pv.recorded);
	assert_int_equal(file_hash_used(f->st, p1, &used), SE_OK);
	assert_true(used);
	/* the cached preview is internal: not in the client view */
	assert_int_equal(store_read_begin(f->st, &txn), SE_OK);
	assert_int_equal(file_load(txn, STR_LIT("pv1"), &rec), SE_OK);
	store_read_end(txn);
	assert_string_equal(file_preview_get(rec, "avatars-128x128-q80"), p1);
	assert_null(file_preview_get(rec, "avatars-256x256-q80"));
	view = file_view(rec);
	assert_null(json_object_get(view, "preview"));
	json_decref(view);
	json_decref(rec);
	/* unknown files take no preview */
	pv.id = "nope";
	assert_int_equal(store_write(f->st, pv_fn, &pv, NULL), SE_OK);
	assert_false(pv.recorded);
	/* the clean-up removes the preview blob with its file; p2 stays for "other" */
	pv.id = "pv1";
	pv.key = "avatars-64x64-q80";
	pv.hash = p2;
	assert_int_equal(store_write(f->st, pv_fn, &pv, NULL), SE_OK);
	assert_true(pv.recorded);
	pv.hash = p1;
	assert_int_equal(store_write(f->st, del_fn, (void *)"pv1", NULL), SE_OK);
	/* deleted files take no preview either */
	assert_int_equal(store_write(f->st, pv_fn, &pv, NULL), SE_OK);
	assert_false(pv.recorded);
	assert_int_equal(file_hash_used(f->st, p1, &used), SE_OK);
	assert_false(used);
	assert_int_equal(files_cleanup_run(f->st, f->blobs, now, FILES_UNATTACHED_MAX_MS, &s),
	                 SE_OK);
	assert_int_equal(s.records_removed, 1);
	assert_int_equal(s.blobs_removed, 2);
	assert_false(exists(f, h1));
	assert_false(exists(f, p1));
	assert_true(exists(f, p2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_kinds_and_tags),
	    cmocka_unit_test_setup_teardown(test_claim_and_cleanup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_preview_cleanup, setup, teardown),
	};

	if (cry_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
