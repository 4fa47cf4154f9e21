/*
 * tests/integration/test_autumn.c: the Autumn file server against the real
 * daemon: uploads of images generated here with libvips (EXIF GPS tags that
 * must be gone afterwards, an EXIF orientation that must be applied), text,
 * hostile bodies, limits, attaching, previews, originals, ETag and Range;
 * the MP4 fixture (tests/fixtures/tiny.mp4) as a Video attachment; the S3
 * backend end to end against s3rver (tests/js) on loopback.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include <cmocka.h>

#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

struct bytes {
	char *p;
	size_t n;
};

struct resp {
	long status;
	struct bytes body;
	struct bytes headers;
};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	struct bytes *b = arg;
	char *q = realloc(b->p, b->n + sz * n + 1);

	assert_non_null(q);
	memcpy(q + b->n, p, sz * n);
	b->p = q;
	b->n += sz * n;
	b->p[b->n] = '\0';
	return sz * n;
}

static void resp_release(struct resp *r)
{
	free(r->body.p);
	free(r->headers.p);
	memset(r, 0, sizeof(*r));
}

/* Any request with a binary body; headers NULL-terminated. */
static void req(int port, const char *method, const char *path, const char *const *headers,
                const void *body, size_t blen, struct resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	char url[512];

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

/* Value of header `name` (case-insensitive) into buf, or NULL. */
static const char *header(const struct resp *r, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	const char *p = r->headers.p;

	while (p && *p) {
		const char *e = strstr(p, "\r\n");

		if (!e)
			break;
		if ((size_t)(e - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, cap, "%.*s", (int)(e - v), v);
			return buf;
		}
		p = e + 2;
	}
	return NULL;
}

static json_t *json_of(const struct resp *r)
{
	json_t *v = json_loadb(r->body.p ? r->body.p : "", r->body.n, JSON_DECODE_ANY, NULL);

	if (!v)
		fail_msg("not JSON (status %ld): '%s'", r->status, r->body.p ? r->body.p : "");
	return v;
}

static long jcall(struct td *d, const char *method, const char *path, const char *token,
                  const char *body, json_t **out)
{
	char h[128];
	const char *hdrs[3] = {"Content-Type: application/json", NULL, NULL};
	struct resp r;
	long s;

	if (token) {
		snprintf(h, sizeof(h), "X-Session-Token: %s", token);
		hdrs[1] = h;
	}
	req(td_http_port(d), method, path, hdrs, body, body ? strlen(body) : 0, &r);
	s = r.status;
	if (out)
		*out = r.body.n ? json_of(&r) : NULL;
	resp_release(&r);
	return s;
}

static void account(struct td *d, const char *email, const char *username, char token[128])
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"correct horse battery\"}",
	         email);
	assert_int_equal(jcall(d, "POST", "/api/auth/account/create", NULL, body, NULL), 204);
	snprintf(
	    body, sizeof(body),
	    "{\"email\":\"%s\",\"password\":\"correct horse battery\",\"friendly_name\":\"t\"}",
	    email);
	assert_int_equal(jcall(d, "POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(token, 128, "%s", json_string_value(json_object_get(v, "token")));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", username);
	assert_int_equal(jcall(d, "POST", "/api/onboard/complete", token, body, NULL), 200);
}

/* A multipart body with one part `name` holding `data`. */
static struct bytes multipart(const char *boundary, const char *name, const char *filename,
                              const void *data, size_t n, bool close)
{
	struct bytes b = {NULL, 0};
	char head[512];
	int k = snprintf(head, sizeof(head),
	                 "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
	                 "Content-Type: application/octet-stream\r\n\r\n",
	                 boundary, name, filename);
	char tail[128];
	int t = close ? snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", boundary) : 0;

	b.p = malloc((size_t)k + n + (size_t)t + 1);
	assert_non_null(b.p);
	memcpy(b.p, head, (size_t)k);
	memcpy(b.p + k, data, n);
	memcpy(b.p + k + n, tail, (size_t)t);
	b.n = (size_t)k + n + (size_t)t;
	return b;
}

/* POST /autumn/{tag}; returns the status and the JSON answer in *out (may be NULL). */
static long upload_raw(struct td *d, const char *token, const char *tag, const char *ctype,
                       const struct bytes *body, json_t **out)
{
	char h1[160], h2[160], path[128];
	const char *hdrs[3] = {NULL, NULL, NULL};
	struct resp r;
	long s;
	int n = 0;

	if (token) {
		snprintf(h1, sizeof(h1), "X-Session-Token: %s", token);
		hdrs[n++] = h1;
	}
	snprintf(h2, sizeof(h2), "Content-Type: %s", ctype);
	hdrs[n++] = h2;
	snprintf(path, sizeof(path), "/autumn/%s", tag);
	req(td_http_port(d), "POST", path, hdrs, body->p, body->n, &r);
	s = r.status;
	if (out)
		*out = r.body.n ? json_of(&r) : NULL;
	resp_release(&r);
	return s;
}

static long upload(struct td *d, const char *token, const char *tag, const char *filename,
                   const void *data, size_t n, json_t **out)
{
	struct bytes b = multipart("XyZzY", "file", filename, data, n, true);
	long s = upload_raw(d, token, tag, "multipart/form-data; boundary=XyZzY", &b, out);

	free(b.p);
	return s;
}

static void expect_upload_error(struct td *d, const char *token, const char *tag,
                                const char *filename, const void *data, size_t n, long status,
                                const char *type)
{
	json_t *v = NULL;
	long s = upload(d, token, tag, filename, data, n, &v);
	const char *t = json_string_value(json_object_get(v, "type"));

	if (s != status || !t || strcmp(t, type) != 0)
		fail_msg("upload %s to %s: got %ld %s, want %ld %s", filename, tag, s,
		         v ? json_dumps(v, 0) : "", status, type);
	json_decref(v);
}

/* Upload and return the id (static buffer per call site). */
static void upload_ok(struct td *d, const char *token, const char *tag, const char *filename,
                      const void *data, size_t n, char id[64])
{
	json_t *v = NULL;
	long s = upload(d, token, tag, filename, data, n, &v);

	if (s != 200)
		fail_msg("upload %s to %s: %ld %s", filename, tag, s, v ? json_dumps(v, 0) : "");
	snprintf(id, 64, "%s", json_string_value(json_object_get(v, "id")));
	json_decref(v);
}

/* ---- images made with libvips ---- */

static struct bytes image(int w, int h, const char *suffix, bool gps, int orientation)
{
	VipsImage *black = NULL, *im = NULL;
	struct bytes b = {NULL, 0};
	void *p = NULL;
	size_t n = 0;

	assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
	/* some content, so encoders keep a real image */
	assert_int_equal(vips_linear1(black, &im, 1.0, 100.0, NULL), 0);
	g_object_unref(black);
	if (gps) {
		vips_image_set_string(im, "exif-ifd3-GPSLatitude", "51 30 26");
		vips_image_set_string(im, "exif-ifd3-GPSLatitudeRef", "N");
	}
	if (orientation)
		vips_image_set_int(im, "orientation", orientation);
	assert_int_equal(vips_image_write_to_buffer(im, suffix, &p, &n, NULL), 0);
	g_object_unref(im);
	b.p = malloc(n);
	memcpy(b.p, p, n);
	b.n = n;
	g_free(p);
	return b;
}

/* The GPS IFD pointer tag (0x8825) in either byte order. */
static bool has_gps(const struct bytes *b)
{
	for (size_t i = 0; i + 1 < b->n; i++)
		if (((unsigned char)b->p[i] == 0x25 && (unsigned char)b->p[i + 1] == 0x88) ||
		    ((unsigned char)b->p[i] == 0x88 && (unsigned char)b->p[i + 1] == 0x25))
			return true;
	return false;
}

static void size_of(const struct bytes *b, int *w, int *h)
{
	VipsImage *im = vips_image_new_from_buffer(b->p, b->n, "", NULL);

	assert_non_null(im);
	*w = vips_image_get_width(im);
	*h = vips_image_get_height(im);
	g_object_unref(im);
}

static struct td *start(bool ratelimit)
{
	static const char *const args[] = {"--dev", NULL};
	struct td *d;

	if (!ratelimit)
		setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(args, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	return d;
}

static void get(struct td *d, const char *path, const char *extra, struct resp *r)
{
	const char *hdrs[2] = {extra, NULL};

	req(td_http_port(d), "GET", path, extra ? hdrs : NULL, NULL, 0, r);
}

/* GET `path` answers 200 with a `type` picture of w x h pixels. */
static void expect_picture(struct td *d, const char *path, const char *type, int w, int h)
{
	struct resp r;
	char hb[256];
	int gw = 0, gh = 0;

	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-type", hb, sizeof(hb)), type);
	size_of(&r.body, &gw, &gh);
	assert_int_equal(gw, w);
	assert_int_equal(gh, h);
	resp_release(&r);
}

static void test_upload_rules(void **state)
{
	struct td *d = start(false);
	char tok[128], id[64], path[256], hb[256];
	static const char text[] = "hello, autumn\n";
	static const char png_text[] = "\x89PNG\r\n\x1a\nthis is only text pretending";
	/* a PNG whose IHDR claims 50 000 x 50 000 pixels */
	static const unsigned char bomb[] = {
	    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49,
	    0x48, 0x44, 0x52, 0x00, 0x00, 0xc3, 0x50, 0x00, 0x00, 0xc3, 0x50, 0x08, 0x02,
	    0x00, 0x00, 0x00, 0xc4, 0xcd, 0xaa, 0x9d, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44,
	    0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0xa3, 0x60, 0x14, 0x0c, 0x77,
	    0x00, 0x00, 0x03, 0xe8, 0x00, 0x01, 0xb3, 0xa6, 0xd3, 0x46, 0x00, 0x00, 0x00,
	    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
	char pe[512];
	char *big;
	struct bytes b;
	json_t *v = NULL;
	struct resp r;

	(void)state;
	account(d, "a@example.org", "alice", tok);
	/* the root document */
	get(d, "/autumn/", NULL, &r);
	assert_int_equal(r.status, 200);
	v = json_of(&r);
	assert_string_equal(json_string_value(json_object_get(v, "autumn")),
	                    "Hello, I am a file server!");
	json_decref(v);
	resp_release(&r);
	/* text: a 42-character nanoid */
	upload_ok(d, tok, "attachments", "note.txt", text, strlen(text), id);
	assert_int_equal(strlen(id), 42);
	assert_int_equal(
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), 42);
	/* not attached: not served in any form */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/note.txt", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	snprintf(path, sizeof(path), "/autumn/attachments/%s", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	snprintf(path, sizeof(path), "/autumn/attachments/download/%s", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	get(d, "/autumn/attachments/nope/x", NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	/* no token; unknown tag */
	assert_int_equal(upload(d, NULL, "attachments", "a.txt", text, strlen(text), &v), 401);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "NotAuthenticated");
	json_decref(v);
	assert_int_equal(upload(d, tok, "pictures", "a.txt", text, strlen(text), NULL), 404);
	/* bad bodies */
	b = multipart("XyZzY", "file", "a.txt", text, strlen(text), true);
	assert_int_equal(upload_raw(d, tok, "attachments", "application/json", &b, NULL), 400);
	assert_int_equal(
	    upload_raw(d, tok, "attachments", "multipart/form-data; boundary=Other", &b, NULL),
	    400);
	free(b.p);
	b = multipart("XyZzY", "file", "a.txt", text, strlen(text), false);
	assert_int_equal(
	    upload_raw(d, tok, "attachments", "multipart/form-data; boundary=XyZzY", &b, &v), 400);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "FailedValidation");
	json_decref(v);
	free(b.p);
	b = multipart("XyZzY", "other", "a.txt", text, strlen(text), true);
	assert_int_equal(
	    upload_raw(d, tok, "attachments", "multipart/form-data; boundary=XyZzY", &b, NULL),
	    400);
	free(b.p);
	/* sizes */
	expect_upload_error(d, tok, "attachments", "empty.txt", "", 0, 422, "FileTooSmall");
	big = malloc(600000);
	memset(big, 'a', 600000);
	assert_int_equal(upload(d, tok, "emojis", "big.png", big, 600000, &v), 422);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "FileTooLarge");
	assert_int_equal(json_integer_value(json_object_get(v, "max")), 500000);
	json_decref(v);
	free(big);
	/* types */
	memset(pe, 0, sizeof(pe));
	memcpy(pe, "MZ", 2);
	pe[60] = (char)0x80;
	memcpy(pe + 0x80, "PE\0\0\x4c\x01", 6);
	expect_upload_error(d, tok, "attachments", "tool.bin", pe, sizeof(pe), 400,
	                    "FileTypeNotAllowed");
	expect_upload_error(d, tok, "attachments", "hello.EXE", text, strlen(text), 400,
	                    "FileTypeNotAllowed");
	expect_upload_error(d, tok, "avatars", "me.png", text, strlen(text), 400,
	                    "FileTypeNotAllowed");
	/* a PNG header on text: a File as an attachment, refused as an avatar */
	upload_ok(d, tok, "attachments", "fake.png", png_text, sizeof(png_text) - 1, id);
	expect_upload_error(d, tok, "avatars", "fake.png", png_text, sizeof(png_text) - 1, 400,
	                    "FileTypeNotAllowed");
	/* the decompression bomb is refused from its header */
	expect_upload_error(d, tok, "attachments", "bomb.png", bomb, sizeof(bomb), 400,
	                    "FailedValidation");
	expect_upload_error(d, tok, "avatars", "bomb.png", bomb, sizeof(bomb), 400,
	                    "FailedValidation");
	/* path tricks in the filename: only the last component is kept */
	upload_ok(d, tok, "attachments", "../../etc/passwd", text, strlen(text), id);
	(void)hb;
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_images_attach_serve(void **state)
{
	struct td *d = start(false);
	char tok[128], tok2[128], id[64], bg[64], gif[64], path[256], hb[256], etag[160];
	struct bytes png = image(400, 300, ".png", false, 0);
	struct bytes jpg = image(300, 200, ".jpg", true, 6);
	struct bytes webp = image(64, 32, ".webp", false, 0);
	struct bytes gifb = image(20, 10, ".gif", false, 0);
	struct bytes got;
	json_t *v = NULL;
	struct resp r, r2;
	char body[256];
	int w, h;

	(void)state;
	assert_true(has_gps(&jpg));
	account(d, "a@example.org", "alice", tok);
	account(d, "b@example.org", "bob", tok2);
	upload_ok(d, tok, "avatars", "me.png", png.p, png.n, id);
	upload_ok(d, tok, "backgrounds", "holiday.jpg", jpg.p, jpg.n, bg);
	upload_ok(d, tok, "attachments", "anim.gif", gifb.p, gifb.n, gif);
	{
		char wid[64];

		upload_ok(d, tok, "attachments", "small.webp", webp.p, webp.n, wid);
	}
	/* a file of another tag cannot be an avatar; unknown ids neither */
	snprintf(body, sizeof(body), "{\"avatar\":\"%s\"}", gif);
	assert_int_equal(jcall(d, "PATCH", "/api/users/@me", tok, body, &v), 400);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "UnknownAttachment");
	json_decref(v);
	assert_int_equal(
	    jcall(d, "PATCH", "/api/users/@me", tok, "{\"avatar\":\"nonexistent\"}", &v), 400);
	json_decref(v);
	/* attach the avatar and the background */
	snprintf(body, sizeof(body), "{\"avatar\":\"%s\",\"profile\":{\"background\":\"%s\"}}", id,
	         bg);
	assert_int_equal(jcall(d, "PATCH", "/api/users/@me", tok, body, &v), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "avatar"), "_id")),
	                    id);
	assert_null(json_object_get(json_object_get(v, "avatar"), "hash"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_object_get(v, "avatar"), "metadata"), "type")),
	                    "Image");
	json_decref(v);
	/* a second user cannot take a file already in use */
	snprintf(body, sizeof(body), "{\"avatar\":\"%s\"}", id);
	assert_int_equal(jcall(d, "PATCH", "/api/users/@me", tok2, body, &v), 400);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "UnknownAttachment");
	json_decref(v);
	/* the preview: WebP within 128 x 128, aspect kept */
	snprintf(path, sizeof(path), "/autumn/avatars/%s", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-type", hb, sizeof(hb)), "image/webp");
	assert_string_equal(header(&r, "cache-control", hb, sizeof(hb)),
	                    "public, max-age=604800, must-revalidate");
	assert_memory_equal(r.body.p + 8, "WEBP", 4);
	size_of(&r.body, &w, &h);
	assert_int_equal(w, 128);
	assert_int_equal(h, 96);
	assert_string_equal(header(&r, "x-preview-cache", hb, sizeof(hb)), "generated");
	/* the second preview GET: the same bytes, from the cached blob */
	get(d, path, NULL, &r2);
	assert_int_equal(r2.status, 200);
	assert_string_equal(header(&r2, "x-preview-cache", hb, sizeof(hb)), "cached");
	assert_string_equal(header(&r2, "content-type", hb, sizeof(hb)), "image/webp");
	assert_int_equal(r2.body.n, r.body.n);
	assert_memory_equal(r2.body.p, r.body.p, r.body.n);
	resp_release(&r2);
	resp_release(&r);
	/* ?max_side= is accepted and ignored */
	snprintf(path, sizeof(path), "/autumn/avatars/%s?max_side=256", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_release(&r);
	/* original: 308 from "original", 404 for another name */
	snprintf(path, sizeof(path), "/autumn/avatars/%s/original", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 308);
	snprintf(body, sizeof(body), "/autumn/avatars/%s/me.png", id);
	assert_string_equal(header(&r, "location", hb, sizeof(hb)), body);
	resp_release(&r);
	snprintf(path, sizeof(path), "/autumn/avatars/%s/other.png", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	snprintf(path, sizeof(path), "/autumn/icons/%s/me.png", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	snprintf(path, sizeof(path), "/autumn/avatars/%s/me.png", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-type", hb, sizeof(hb)), "image/png");
	assert_string_equal(header(&r, "content-disposition", hb, sizeof(hb)), "attachment");
	size_of(&r.body, &w, &h);
	assert_int_equal(w, 400);
	assert_int_equal(h, 300);
	assert_non_null(header(&r, "etag", etag, sizeof(etag)));
	got = r.body;
	/* conditional GET */
	snprintf(hb, sizeof(hb), "If-None-Match: %s", etag);
	get(d, path, hb, &r2);
	assert_int_equal(r2.status, 304);
	assert_int_equal(r2.body.n, 0);
	resp_release(&r2);
	/* ranges */
	get(d, path, "Range: bytes=0-9", &r2);
	assert_int_equal(r2.status, 206);
	assert_int_equal(r2.body.n, 10);
	assert_memory_equal(r2.body.p, got.p, 10);
	snprintf(body, sizeof(body), "bytes 0-9/%zu", got.n);
	assert_string_equal(header(&r2, "content-range", hb, sizeof(hb)), body);
	resp_release(&r2);
	get(d, path, "Range: bytes=-5", &r2);
	assert_int_equal(r2.status, 206);
	assert_int_equal(r2.body.n, 5);
	assert_memory_equal(r2.body.p, got.p + got.n - 5, 5);
	resp_release(&r2);
	get(d, path, "Range: bytes=10-", &r2);
	assert_int_equal(r2.status, 206);
	assert_int_equal(r2.body.n, got.n - 10);
	assert_memory_equal(r2.body.p, got.p + 10, got.n - 10);
	resp_release(&r2);
	snprintf(body, sizeof(body), "Range: bytes=%zu-", got.n);
	get(d, path, body, &r2);
	assert_int_equal(r2.status, 416);
	snprintf(body, sizeof(body), "bytes */%zu", got.n);
	assert_string_equal(header(&r2, "content-range", hb, sizeof(hb)), body);
	resp_release(&r2);
	/* the legacy download form serves the same bytes */
	snprintf(path, sizeof(path), "/autumn/avatars/download/%s", id);
	get(d, path, NULL, &r2);
	assert_int_equal(r2.status, 200);
	assert_int_equal(r2.body.n, got.n);
	assert_memory_equal(r2.body.p, got.p, got.n);
	resp_release(&r2);
	resp_release(&r);
	/* the JPEG: GPS gone, orientation 6 applied (300 x 200 shown as 200 x 300) */
	snprintf(path, sizeof(path), "/autumn/backgrounds/%s/holiday.jpg", bg);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-type", hb, sizeof(hb)), "image/jpeg");
	assert_false(has_gps(&r.body));
	size_of(&r.body, &w, &h);
	assert_int_equal(w, 200);
	assert_int_equal(h, 300);
	resp_release(&r);
	free(png.p);
	free(jpg.p);
	free(webp.p);
	free(gifb.p);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

/* An upload attached to a message: served afterwards, claimable once, only by its uploader. */
static void test_message_attachment(void **state)
{
	static const char text[] = "hello from a text attachment\n";
	struct td *d = start(false);
	char alice[128], bob[128], id[64], body[512], path[256], channel[64];
	json_t *v = NULL;
	struct resp r;

	(void)state;
	account(d, "attach-a@example.org", "attacha", alice);
	account(d, "attach-b@example.org", "attachb", bob);
	assert_int_equal(jcall(d, "POST", "/api/servers/create", alice, "{\"name\":\"files\"}", &v),
	                 200);
	snprintf(channel, sizeof(channel), "%s",
	         json_string_value(
	             json_object_get(json_array_get(json_object_get(v, "channels"), 0), "_id")));
	json_decref(v);
	upload_ok(d, alice, "attachments", "note.txt", text, sizeof(text) - 1, id);
	/* not served before it is attached */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/note.txt", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	/* someone else's upload cannot be attached */
	snprintf(body, sizeof(body), "{\"content\":\"mine now\",\"attachments\":[\"%s\"]}", id);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", channel);
	v = NULL;
	jcall(d, "POST", path, bob, body, &v);
	assert_non_null(v);
	assert_non_null(json_string_value(json_object_get(v, "type")));
	json_decref(v);
	/* the uploader attaches it; the message carries the File object */
	{
		long st = jcall(d, "POST", path, alice, body, &v);

		if (st != 200)
			fail_msg("send with attachment: %ld %s", st, v ? json_dumps(v, 0) : "");
	}
	{
		const json_t *f = json_array_get(json_object_get(v, "attachments"), 0);

		assert_string_equal(json_string_value(json_object_get(f, "_id")), id);
		assert_string_equal(json_string_value(json_object_get(f, "filename")), "note.txt");
		assert_null(json_object_get(f, "hash"));
	}
	json_decref(v);
	/* a second message cannot claim it again */
	v = NULL;
	assert_int_equal(jcall(d, "POST", path, alice, body, &v), 400);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "UnknownAttachment");
	json_decref(v);
	/* served now, byte for byte */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/note.txt", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.n, sizeof(text) - 1);
	assert_memory_equal(r.body.p, text, sizeof(text) - 1);
	resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static struct bytes load_fixture(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct bytes b = {NULL, 0};
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	b.p = malloc((size_t)len);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	b.n = (size_t)len;
	return b;
}

/* Attach the upload `id` to a new message in `channel`; the File object it carries. */
static json_t *attach(struct td *d, const char *token, const char *channel, const char *id)
{
	char body[256], path[128];
	json_t *v = NULL, *f;
	long st;

	snprintf(body, sizeof(body), "{\"content\":\"clip\",\"attachments\":[\"%s\"]}", id);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", channel);
	st = jcall(d, "POST", path, token, body, &v);
	if (st != 200)
		fail_msg("send with attachment: %ld %s", st, v ? json_dumps(v, 0) : "");
	f = json_incref(json_array_get(json_object_get(v, "attachments"), 0));
	json_decref(v);
	assert_non_null(f);
	return f;
}

/* tests/fixtures/tiny.mp4 (64x48 H.264): Video metadata, original and ranges. */
static void test_video_attachment(void **state)
{
	struct td *d = start(false);
	struct bytes mp4 = load_fixture("tests/fixtures/tiny.mp4");
	char tok[128], id[64], path[256], channel[64], hb[128], want[128];
	json_t *v = NULL, *f;
	struct resp r;

	(void)state;
	account(d, "video-a@example.org", "videoa", tok);
	assert_int_equal(jcall(d, "POST", "/api/servers/create", tok, "{\"name\":\"clips\"}", &v),
	                 200);
	snprintf(channel, sizeof(channel), "%s",
	         json_string_value(
	             json_object_get(json_array_get(json_object_get(v, "channels"), 0), "_id")));
	json_decref(v);
	upload_ok(d, tok, "attachments", "clip.mp4", mp4.p, mp4.n, id);
	f = attach(d, tok, channel, id);
	assert_string_equal(json_string_value(json_object_get(f, "content_type")), "video/mp4");
	{
		const json_t *m = json_object_get(f, "metadata");

		assert_string_equal(json_string_value(json_object_get(m, "type")), "Video");
		assert_int_equal(json_integer_value(json_object_get(m, "width")), 64);
		assert_int_equal(json_integer_value(json_object_get(m, "height")), 48);
	}
	assert_int_equal(json_integer_value(json_object_get(f, "size")), (json_int_t)mp4.n);
	json_decref(f);
	/* the original, byte for byte, as video/mp4 */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/clip.mp4", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-type", hb, sizeof(hb)), "video/mp4");
	assert_int_equal(r.body.n, mp4.n);
	assert_memory_equal(r.body.p, mp4.p, mp4.n);
	resp_release(&r);
	/* seeking: a middle range and the tail */
	get(d, path, "Range: bytes=100-1099", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body.n, 1000);
	assert_memory_equal(r.body.p, mp4.p + 100, 1000);
	snprintf(want, sizeof(want), "bytes 100-1099/%zu", mp4.n);
	assert_string_equal(header(&r, "content-range", hb, sizeof(hb)), want);
	resp_release(&r);
	get(d, path, "Range: bytes=-16", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body.n, 16);
	assert_memory_equal(r.body.p, mp4.p + mp4.n - 16, 16);
	resp_release(&r);
	/* no preview for a video: 308 to the original, as Revolt */
	snprintf(path, sizeof(path), "/autumn/attachments/%s", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 308);
	resp_release(&r);
	/* a truncated copy (headers cut): stored, metadata File, no crash */
	upload_ok(d, tok, "attachments", "cut.mp4", mp4.p, 700, id);
	f = attach(d, tok, channel, id);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f, "metadata"), "type")), "File");
	json_decref(f);
	free(mp4.p);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

/* A multi-chunk original (streamed by the server): whole, ranges across chunks, HEAD. */
static void test_streamed_original(void **state)
{
	struct td *d = start(false);
	size_t n = 300000;
	char *data = malloc(n);
	char tok[128], id[64], path[256], channel[64], hb[128], want[128];
	uint32_t x = 2463534242u;
	json_t *v = NULL, *f;
	struct resp r;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (char)(x >> 24);
	}
	account(d, "stream-a@example.org", "streama", tok);
	assert_int_equal(jcall(d, "POST", "/api/servers/create", tok, "{\"name\":\"big\"}", &v),
	                 200);
	snprintf(channel, sizeof(channel), "%s",
	         json_string_value(
	             json_object_get(json_array_get(json_object_get(v, "channels"), 0), "_id")));
	json_decref(v);
	upload_ok(d, tok, "attachments", "noise.bin", data, n, id);
	f = attach(d, tok, channel, id);
	json_decref(f);
	snprintf(path, sizeof(path), "/autumn/attachments/%s/noise.bin", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	snprintf(want, sizeof(want), "%zu", n);
	assert_string_equal(header(&r, "content-length", hb, sizeof(hb)), want);
	assert_int_equal(r.body.n, n);
	assert_memory_equal(r.body.p, data, n);
	resp_release(&r);
	/* a range starting inside one 64 KiB chunk and ending inside the fourth */
	get(d, path, "Range: bytes=65000-200000", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body.n, 135001);
	assert_memory_equal(r.body.p, data + 65000, 135001);
	resp_release(&r);
	/* HEAD: the length, no body; the connection stays usable */
	req(td_http_port(d), "HEAD", path, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "content-length", hb, sizeof(hb)), want);
	assert_int_equal(r.body.n, 0);
	resp_release(&r);
	/* 304 on a matching ETag, still no body */
	get(d, path, NULL, &r);
	{
		char etag[160], inm[200];

		assert_non_null(header(&r, "etag", etag, sizeof(etag)));
		resp_release(&r);
		snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
		get(d, path, inm, &r);
		assert_int_equal(r.status, 304);
		assert_int_equal(r.body.n, 0);
		resp_release(&r);
	}
	free(data);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

/* ---- the S3 backend end to end: s3rver (tests/js) on 127.0.0.1 ---- */

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

/* the running s3rver, stopped by the test's teardown even after a failure */
static pid_t s3_pid = -1;
static char s3_dir[64];

/* s3rver with bucket `bucket` in `dir`; its pid (its own process group). */
static pid_t s3rver_start(const char *dir, const char *bucket, int port)
{
	const char *bin = getenv("SOL_S3RVER") ?: "tests/js/node_modules/.bin/s3rver";
	char ps[16];
	pid_t pid;

	snprintf(ps, sizeof(ps), "%d", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		td_child_init();
		setpgid(0, 0);
		execl(bin, bin, "-d", dir, "-a", "127.0.0.1", "-p", ps, "--silent",
		      "--configure-bucket", bucket, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	/* bounded: 30 s for the port to open */
	for (int i = 0; i < 300 && !port_open(port); i++) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			fail_msg("s3rver (%s) exited: run tools/install-deps (npm ci in tests/js)",
			         bin);
		usleep(100 * 1000);
	}
	assert_true(port_open(port));
	return pid;
}

static void s3rver_stop(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(100 * 1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Every regular file under `dir` whose name starts with `prefix` (count), and
 * whether any file under `dir` contains `needle`. */
static void scan_dir(const char *dir, const char *prefix, const struct bytes *needle, int *count,
                     bool *found, size_t *size)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char path[2048];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_dir(path, prefix, needle, count, found, size);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    strcmp(e->d_name + strlen(prefix), "._S3rver_object") == 0) {
			(*count)++;
			*size = (size_t)st.st_size;
		}
		{
			struct bytes b = load_fixture(path);

			if (b.n >= needle->n && memmem(b.p, b.n, needle->p, needle->n))
				*found = true;
			free(b.p);
		}
	}
	closedir(dp);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	assert_non_null(SHA256(p, n, md));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * [files] backend = "s3": upload a PNG and a binary file through /autumn,
 * attach them, fetch the preview and both originals (from the bucket), and
 * check the object in the bucket is named by the plaintext's SHA-256 and
 * is ciphertext (the plaintext appears nowhere under s3rver's directory).
 */
static void test_s3_backend(void **state)
{
	char dir[] = "/tmp/sol-autumn-s3-XXXXXX";
	char endpoint[64], tok[128], id_png[64], id_bin[64], channel[64], path[256];
	char hash[65];
	int port = free_port(), count = 0;
	pid_t s3;
	struct td *d;
	struct bytes png = image(300, 200, ".png", false, 0);
	size_t n = 200000, osize = 0;
	char *data = malloc(n);
	uint32_t x = 88172645u;
	bool found = false;
	json_t *v = NULL, *f;
	struct resp r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(data);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (char)(x >> 24);
	}
	snprintf(s3_dir, sizeof(s3_dir), "%s", dir);
	s3 = s3_pid = s3rver_start(dir, "solfiles", port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	setenv("SOLSTICE_FILES_BACKEND", "s3", 1);
	setenv("SOLSTICE_FILES_S3_ENDPOINT", endpoint, 1);
	setenv("SOLSTICE_FILES_S3_BUCKET", "solfiles", 1);
	setenv("SOLSTICE_FILES_S3_ACCESS_KEY", "S3RVER", 1);
	setenv("SOLSTICE_FILES_S3_SECRET_KEY", "S3RVER", 1);
	setenv("SOLSTICE_FILES_S3_PATH_STYLE", "true", 1);
	d = start(false);
	unsetenv("SOLSTICE_FILES_BACKEND");
	unsetenv("SOLSTICE_FILES_S3_ENDPOINT");
	unsetenv("SOLSTICE_FILES_S3_BUCKET");
	unsetenv("SOLSTICE_FILES_S3_ACCESS_KEY");
	unsetenv("SOLSTICE_FILES_S3_SECRET_KEY");
	unsetenv("SOLSTICE_FILES_S3_PATH_STYLE");
	account(d, "s3-a@example.org", "s3user", tok);
	assert_int_equal(jcall(d, "POST", "/api/servers/create", tok, "{\"name\":\"s3\"}", &v),
	                 200);
	snprintf(channel, sizeof(channel), "%s",
	         json_string_value(
	             json_object_get(json_array_get(json_object_get(v, "channels"), 0), "_id")));
	json_decref(v);
	upload_ok(d, tok, "attachments", "pic.png", png.p, png.n, id_png);
	upload_ok(d, tok, "attachments", "data.bin", data, n, id_bin);
	f = attach(d, tok, channel, id_png);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(f, "metadata"), "type")), "Image");
	json_decref(f);
	json_decref(attach(d, tok, channel, id_bin));
	/* the preview (made from the original fetched back from the bucket, then cached there) */
	snprintf(path, sizeof(path), "/autumn/attachments/%s", id_png);
	expect_picture(d, path, "image/webp", 300, 200);
	/* the PNG original (re-encoded without metadata: decode it) */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/pic.png", id_png);
	expect_picture(d, path, "image/png", 300, 200);
	/* the binary original, byte for byte, and a range */
	snprintf(path, sizeof(path), "/autumn/attachments/%s/data.bin", id_bin);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.n, n);
	assert_memory_equal(r.body.p, data, n);
	resp_release(&r);
	get(d, path, "Range: bytes=70000-70999", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body.n, 1000);
	assert_memory_equal(r.body.p, data + 70000, 1000);
	resp_release(&r);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
	/* in the bucket: one object named by the plaintext hash, encrypted */
	sha256_hex(data, n, hash);
	{
		struct bytes needle = {data + 1000, 4096};

		scan_dir(dir, hash, &needle, &count, &found, &osize);
	}
	assert_int_equal(count, 1);
	assert_false(found);
	assert_true(osize > n); /* header and per-chunk tags */
	s3rver_stop(s3);
	s3_pid = -1;
	td_rm_rf(dir);
	s3_dir[0] = '\0';
	free(data);
	free(png.p);
}

static int s3_teardown(void **state)
{
	(void)state;
	s3rver_stop(s3_pid);
	s3_pid = -1;
	if (s3_dir[0])
		td_rm_rf(s3_dir);
	s3_dir[0] = '\0';
	return 0;
}

/*
 * [files] cleanup_interval: with 1 s, a member avatar removed from the
 * server profile (flagged deleted) has its record and blob removed by the
 * clean-up worker within a few seconds (the default is 60 s).
 */
static void test_cleanup_interval(void **state)
{
	struct td *d;
	struct bytes png = image(64, 64, ".png", false, 0);
	char tok[128], id[64], sid[80], path[256], body[256], me[64];
	json_t *v = NULL;
	struct resp r;

	(void)state;
	setenv("SOLSTICE_FILES_CLEANUP_INTERVAL", "1", 1);
	d = start(false);
	unsetenv("SOLSTICE_FILES_CLEANUP_INTERVAL");
	account(d, "clean-a@example.org", "cleaner", tok);
	assert_int_equal(jcall(d, "GET", "/api/users/@me", tok, NULL, &v), 200);
	snprintf(me, sizeof(me), "%s", json_string_value(json_object_get(v, "_id")));
	json_decref(v);
	assert_int_equal(jcall(d, "POST", "/api/servers/create", tok, "{\"name\":\"c\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s",
	         json_string_value(json_object_get(json_object_get(v, "server"), "_id")));
	json_decref(v);
	upload_ok(d, tok, "avatars", "a.png", png.p, png.n, id);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, me);
	snprintf(body, sizeof(body), "{\"avatar\":\"%s\"}", id);
	assert_int_equal(jcall(d, "PATCH", path, tok, body, NULL), 200);
	snprintf(path, sizeof(path), "/autumn/avatars/%s/a.png", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_release(&r);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, me);
	assert_int_equal(jcall(d, "PATCH", path, tok, "{\"remove\":[\"Avatar\"]}", NULL), 200);
	/* the worker's pass logs what it removed: well within 10 s at a 1 s interval */
	assert_true(
	    td_log_has(d, "files: clean-up flagged 0, removed 1 records and 1 blobs", 10000));
	snprintf(path, sizeof(path), "/autumn/avatars/%s/a.png", id);
	get(d, path, NULL, &r);
	assert_int_equal(r.status, 404);
	resp_release(&r);
	free(png.p);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_upload_rate_limit(void **state)
{
	struct td *d = start(true);
	char tok[128], hb[64];
	static const char text[] = "x";
	struct bytes b = multipart("B", "file", "a.txt", text, 1, true);
	char h1[160];
	const char *hdrs[3] = {h1, "Content-Type: multipart/form-data; boundary=B", NULL};
	struct resp r;

	(void)state;
	account(d, "a@example.org", "alice", tok);
	snprintf(h1, sizeof(h1), "X-Session-Token: %s", tok);
	for (int i = 0; i < 10; i++) {
		req(td_http_port(d), "POST", "/autumn/attachments", hdrs, b.p, b.n, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(header(&r, "x-ratelimit-limit", hb, sizeof(hb)), "10");
		resp_release(&r);
	}
	req(td_http_port(d), "POST", "/autumn/attachments", hdrs, b.p, b.n, &r);
	assert_int_equal(r.status, 429);
	resp_release(&r);
	/* another tag has its own bucket */
	req(td_http_port(d), "POST", "/autumn/banners", hdrs, b.p, b.n, &r);
	assert_int_equal(r.status, 400);
	resp_release(&r);
	free(b.p);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_upload_rules),
	    cmocka_unit_test(test_images_attach_serve),
	    cmocka_unit_test(test_message_attachment),
	    cmocka_unit_test(test_video_attachment),
	    cmocka_unit_test(test_streamed_original),
	    cmocka_unit_test_teardown(test_s3_backend, s3_teardown),
	    cmocka_unit_test(test_cleanup_interval),
	    cmocka_unit_test(test_upload_rate_limit),
	};
	int rc;

	if (VIPS_INIT("test_autumn"))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
