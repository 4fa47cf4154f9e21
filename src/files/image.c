/*
 * files/image.c: libvips adapter: header probes with pixel limits, EXIF
 * stripping with the orientation applied (backend autumn exif.rs), and
 * WebP previews (crates/core/files create_thumbnail).
 */
#include "files/image.h"

#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/buf.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool init_failed;

static void init_once(void)
{
	if (VIPS_INIT("solstice")) {
		init_failed = true;
		return;
	}
	/* loaders that are not fuzzed for hostile input (magick, matlab, ...) */
	vips_block_untrusted_set(TRUE);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(2);
	/* process-wide, set at start-up before the worker threads exist */
	mallopt(M_ARENA_MAX, IMG_MALLOC_ARENAS);
}

enum err img_init(void)
{
	pthread_once(&once, init_once);
	return init_failed ? SE_IO : SE_OK;
}

static bool within_limits(VipsImage *im)
{
	uint64_t w = (uint64_t)vips_image_get_width(im);
	uint64_t h = (uint64_t)vips_image_get_height(im);
	uint64_t pages = (uint64_t)vips_image_get_n_pages(im);

	/* an animation's frames are stacked; Revolt checks one frame */
	if (pages > 1 && h % pages == 0)
		h /= pages;
	return w >= 1 && h >= 1 && w <= IMG_MAX_SIDE && h <= IMG_MAX_SIDE &&
	       w * h <= IMG_MAX_PIXELS;
}

/* Open the header of `fd` from offset 0. SE_PARSE or SE_TOO_LARGE. */
static enum err open_fd(int fd, VipsAccess access, VipsImage **out)
{
	VipsSource *src;
	VipsImage *im;

	if (img_init())
		return SE_IO;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return SE_IO;
	src = vips_source_new_from_descriptor(fd);
	if (!src)
		return SE_PARSE;
	im = vips_image_new_from_source(src, "", "access", access, "fail_on", VIPS_FAIL_ON_ERROR,
	                                NULL);
	g_object_unref(src);
	if (!im) {
		vips_error_clear();
		return SE_PARSE;
	}
	if (!within_limits(im)) {
		g_object_unref(im);
		return SE_TOO_LARGE;
	}
	*out = im;
	return SE_OK;
}

enum err img_probe(int fd, unsigned *w, unsigned *h)
{
	VipsImage *im = NULL;
	enum err rc = open_fd(fd, VIPS_ACCESS_SEQUENTIAL, &im);
	int pages;

	if (rc)
		return rc;
	pages = vips_image_get_n_pages(im);
	*w = (unsigned)vips_image_get_width(im);
	*h = (unsigned)vips_image_get_height(im);
	if (pages > 1 && *h % (unsigned)pages == 0)
		*h /= (unsigned)pages;
	if (vips_image_get_orientation_swap(im)) {
		unsigned t = *w;

		*w = *h;
		*h = t;
	}
	g_object_unref(im);
	return SE_OK;
}

static const char *suffix_of(const char *mime)
{
	static const char *const map[][2] = {
	    {"image/jpeg", ".jpg[Q=90,strip]"},  {"image/png", ".png[strip]"},
	    {"image/webp", ".webp[Q=90,strip]"}, {"image/tiff", ".tif[strip]"},
	    {"image/avif", ".avif[strip]"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(mime, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

bool img_can_strip(const char *mime)
{
	return suffix_of(mime) != NULL;
}

struct sink_ctx {
	img_sink_fn *fn;
	void *ctx;
	enum err err;
};

static gint64 on_write(VipsTargetCustom *t, const void *data, gint64 len, void *arg)
{
	struct sink_ctx *s = arg;

	(void)t;
	if (s->err || len < 0)
		return -1;
	s->err = s->fn(s->ctx, data, (size_t)len);
	return s->err ? -1 : len;
}

enum err img_strip(int fd, const char *mime, img_sink_fn *sink, void *ctx, unsigned *w, unsigned *h)
{
	const char *suffix = suffix_of(mime);
	struct sink_ctx s = {sink, ctx, SE_OK};
	VipsImage *im = NULL, *rot = NULL;
	VipsTargetCustom *target = NULL;
	enum err rc;
	int orient;

	if (!suffix)
		return SE_PARSE;
	rc = open_fd(fd, VIPS_ACCESS_SEQUENTIAL, &im);
	if (rc)
		return rc;
	orient = vips_image_get_orientation(im);
	if (orient > 1 && orient <= 8) {
		/* rotating needs random access; the limits bound the decoded size */
		g_object_unref(im);
		im = NULL;
		rc = open_fd(fd, VIPS_ACCESS_RANDOM, &im);
		if (rc)
			return rc;
	}
	if (vips_autorot(im, &rot, NULL)) {
		rc = SE_PARSE;
		goto out;
	}
	target = vips_target_custom_new();
	if (!target) {
		rc = SE_NOMEM;
		goto out;
	}
	g_signal_connect(target, "write", G_CALLBACK(on_write), &s);
	if (vips_image_write_to_target(rot, suffix, VIPS_TARGET(target), NULL)) {
		rc = s.err ? s.err : SE_PARSE;
		goto out;
	}
	rc = s.err;
	if (!rc) {
		*w = (unsigned)vips_image_get_width(rot);
		*h = (unsigned)vips_image_get_height(rot);
	}
out:
	if (rc)
		vips_error_clear();
	if (target)
		g_object_unref(target);
	if (rot)
		g_object_unref(rot);
	if (im)
		g_object_unref(im);
	return rc;
}

enum err img_thumbnail(const void *p, size_t n, unsigned box_w, unsigned box_h, int q,
                       struct buf *out)
{
	VipsImage *hdr = NULL, *th = NULL;
	void *enc = NULL;
	size_t len = 0;
	enum err rc = SE_OK;

	if (img_init())
		return SE_IO;
	hdr = vips_image_new_from_buffer(p, n, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!hdr) {
		rc = SE_PARSE;
		goto out;
	}
	if (!within_limits(hdr)) {
		rc = SE_TOO_LARGE;
		goto out;
	}
	if (vips_thumbnail_buffer((void *)p, n, &th, (int)box_w, "height", (int)box_h, "size",
	                          VIPS_SIZE_DOWN, NULL) ||
	    vips_webpsave_buffer(th, &enc, &len, "Q", q, "strip", TRUE, NULL)) {
		rc = SE_PARSE;
		goto out;
	}
	buf_append(out, enc, len);
	rc = buf_err(out);
out:
	if (rc)
		vips_error_clear();
	g_free(enc);
	if (th)
		g_object_unref(th);
	if (hdr)
		g_object_unref(hdr);
	return rc;
}

enum err img_thumbnail_fd(int fd, unsigned box_w, unsigned box_h, int q, struct buf *out)
{
	VipsImage *hdr = NULL, *th = NULL;
	VipsSource *src = NULL;
	void *enc = NULL;
	size_t len = 0;
	enum err rc = open_fd(fd, VIPS_ACCESS_SEQUENTIAL, &hdr);

	if (rc)
		return rc;
	g_object_unref(hdr);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return SE_IO;
	src = vips_source_new_from_descriptor(fd);
	if (!src)
		return SE_PARSE;
	if (vips_thumbnail_source(src, &th, (int)box_w, "height", (int)box_h, "size",
	                          VIPS_SIZE_DOWN, NULL) ||
	    vips_webpsave_buffer(th, &enc, &len, "Q", q, "strip", TRUE, NULL)) {
		rc = SE_PARSE;
		goto out;
	}
	buf_append(out, enc, len);
	rc = buf_err(out);
out:
	if (rc)
		vips_error_clear();
	g_free(enc);
	if (th)
		g_object_unref(th);
	g_object_unref(src);
	/* give the decode buffers back to the system (about 5 ms; autumn.md) */
	malloc_trim(0);
	return rc;
}

enum err img_buffer_size(const void *p, size_t n, unsigned *w, unsigned *h)
{
	VipsImage *im;

	if (img_init())
		return SE_IO;
	im = vips_image_new_from_buffer(p, n, "", NULL);
	if (!im) {
		vips_error_clear();
		return SE_PARSE;
	}
	*w = (unsigned)vips_image_get_width(im);
	*h = (unsigned)vips_image_get_height(im);
	g_object_unref(im);
	return SE_OK;
}
