/*
 * users/avatar.c: default avatars (backend crates/delta/src/routes/users/
 * get_default_avatar.rs picks avatars/N.png by the id's last character).
 * Ours are drawn at start of use rather than shipped: an anti-aliased disc
 * in one of seven colours on a transparent background.
 */
#include "users/avatar.h"

#include <math.h>
#include <png.h>
#include <pthread.h>
#include <string.h>

#include "core/mem.h"

/* RGB of avatar 1..7 */
static const unsigned char colours[USER_AVATAR_COUNT][3] = {
    {0xFD, 0x6A, 0x6A}, /* 1 red */
    {0xFF, 0xA7, 0x26}, /* 2 orange */
    {0xF5, 0xD0, 0x3A}, /* 3 yellow */
    {0x4C, 0xAF, 0x50}, /* 4 green */
    {0x26, 0xA6, 0x9A}, /* 5 teal */
    {0x42, 0x8B, 0xF5}, /* 6 blue */
    {0x9C, 0x6A, 0xDE}, /* 7 purple */
};

static struct {
	pthread_once_t once;
	enum err rc;
	void *png[USER_AVATAR_COUNT];
	size_t len[USER_AVATAR_COUNT];
} cache = {PTHREAD_ONCE_INIT, SE_OK, {0}, {0}};

int user_avatar_index(char c)
{
	switch (c) {
	case '0':
	case '1':
	case '2':
	case '3':
	case 'S':
	case 'Z':
		return 2;
	case '4':
	case '5':
	case '6':
	case '7':
	case 'T':
		return 3;
	case '8':
	case '9':
	case 'A':
	case 'B':
		return 4;
	case 'C':
	case 'D':
	case 'E':
	case 'F':
	case 'V':
		return 5;
	case 'G':
	case 'H':
	case 'J':
	case 'K':
	case 'W':
		return 6;
	case 'M':
	case 'N':
	case 'P':
	case 'Q':
	case 'X':
		return 7;
	default:
		return 1;
	}
}

/* Coverage of pixel (x, y) by the disc, from 4x4 samples. */
static unsigned coverage(int x, int y)
{
	const double c = USER_AVATAR_SIDE / 2.0, r = c - 1.0;
	unsigned in = 0;

	for (int sy = 0; sy < 4; sy++)
		for (int sx = 0; sx < 4; sx++) {
			double dx = x + (sx + 0.5) / 4.0 - c, dy = y + (sy + 0.5) / 4.0 - c;

			in += dx * dx + dy * dy <= r * r;
		}
	return in * 255 / 16;
}

static enum err draw(int k, unsigned char *px)
{
	png_image img;
	png_alloc_size_t len = 0;
	void *out;

	for (int y = 0; y < USER_AVATAR_SIDE; y++)
		for (int x = 0; x < USER_AVATAR_SIDE; x++) {
			unsigned char *p = px + ((size_t)y * USER_AVATAR_SIDE + (size_t)x) * 4;

			memcpy(p, colours[k], 3);
			p[3] = (unsigned char)coverage(x, y);
		}
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = USER_AVATAR_SIDE;
	img.height = USER_AVATAR_SIDE;
	img.format = PNG_FORMAT_RGBA;
	/* first call: the size; second: the bytes */
	if (!png_image_write_to_memory(&img, NULL, &len, 0, px, 0, NULL) || len == 0)
		return SE_IO;
	out = mem_try_alloc(len);
	if (!out)
		return SE_NOMEM;
	if (!png_image_write_to_memory(&img, out, &len, 0, px, 0, NULL)) {
		png_image_free(&img);
		mem_free(out);
		return SE_IO;
	}
	cache.png[k] = out;
	cache.len[k] = len;
	return SE_OK;
}

static void build(void)
{
	unsigned char *px = mem_try_alloc((size_t)USER_AVATAR_SIDE * USER_AVATAR_SIDE * 4);

	if (!px) {
		cache.rc = SE_NOMEM;
		return;
	}
	for (int k = 0; k < USER_AVATAR_COUNT && !cache.rc; k++)
		cache.rc = draw(k, px);
	mem_free(px);
}

enum err user_avatar_png(struct str id, struct str *png)
{
	int k = user_avatar_index(id.n ? id.p[id.n - 1] : '\0') - 1;

	pthread_once(&cache.once, build);
	if (cache.rc)
		return cache.rc;
	*png = (struct str){cache.png[k], cache.len[k]};
	return SE_OK;
}
