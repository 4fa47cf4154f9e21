/*
 * files/sniff.c: MIME sniffing with libmagic, mapped to the names Revolt's
 * autumn (the `infer` crate, mime_type.rs) gives, and UTF-8 validation.
 */
#include "files/sniff.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t magic_mu = PTHREAD_MUTEX_INITIALIZER;
static magic_t cookie;
static bool cookie_failed;

void sniff_utf8_feed(struct sniff_utf8 *u, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n && !u->bad; i++) {
		unsigned c = s[i];

		if (u->need) {
			if ((c & 0xC0) != 0x80) {
				u->bad = true;
				break;
			}
			u->cp = (u->cp << 6) | (c & 0x3F);
			if (--u->need)
				continue;
			/* overlong forms, surrogates and values past U+10FFFF */
			if ((u->total == 2 && u->cp < 0x80) || (u->total == 3 && u->cp < 0x800) ||
			    (u->total == 4 && u->cp < 0x10000) || u->cp > 0x10FFFF ||
			    (u->cp >= 0xD800 && u->cp <= 0xDFFF))
				u->bad = true;
			continue;
		}
		if (c < 0x80)
			continue;
		if ((c & 0xE0) == 0xC0) {
			u->need = 1;
			u->cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			u->need = 2;
			u->cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			u->need = 3;
			u->cp = c & 0x07;
		} else {
			u->bad = true;
			break;
		}
		u->total = u->need + 1;
	}
}

bool sniff_utf8_ok(const struct sniff_utf8 *u)
{
	return !u->bad && u->need == 0;
}

static bool ends_with_nocase(struct str s, const char *suffix)
{
	size_t n = strlen(suffix);

	return s.n >= n && strncasecmp(s.p + s.n - n, suffix, n) == 0;
}

static void set(char out[FILE_MIME_MAX], const char *v)
{
	snprintf(out, FILE_MIME_MAX, "%s", v);
}

/* libmagic's answer for `head`, or "" when it cannot tell. */
static void magic_type(struct str head, char out[FILE_MIME_MAX])
{
	const char *m = NULL;

	out[0] = '\0';
	pthread_mutex_lock(&magic_mu);
	if (!cookie && !cookie_failed) {
		cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
		                    MAGIC_NO_CHECK_ENCODING | MAGIC_NO_CHECK_TAR);
		if (!cookie || magic_load(cookie, NULL) != 0) {
			if (cookie)
				magic_close(cookie);
			cookie = NULL;
			cookie_failed = true;
		}
	}
	if (cookie)
		m = magic_buffer(cookie, head.p, head.n);
	if (m)
		set(out, m);
	pthread_mutex_unlock(&magic_mu);
}

/* libmagic names that differ from `infer`'s */
static const char *const renames[][2] = {
    {"image/x-ms-bmp", "image/bmp"},
    {"image/x-icon", "image/vnd.microsoft.icon"},
    {"application/x-dosexec", "application/vnd.microsoft.portable-executable"},
    {"application/x-msdownload", "application/vnd.microsoft.portable-executable"},
    {"audio/x-m4a", "audio/m4a"},
};

static bool is_textual(const char *m)
{
	return strncmp(m, "text/", 5) == 0 || strcmp(m, "application/octet-stream") == 0 ||
	       strcmp(m, "application/json") == 0 || strcmp(m, "image/svg+xml") == 0 ||
	       strcmp(m, "application/x-empty") == 0 || strcmp(m, "inode/x-empty") == 0 ||
	       strcmp(m, "application/javascript") == 0 || m[0] == '\0';
}

void sniff_mime(struct str head, bool utf8, struct str filename, char out[FILE_MIME_MAX])
{
	char m[FILE_MIME_MAX];

	if (ends_with_nocase(filename, ".apk")) {
		set(out, "application/vnd.android.package-archive");
		return;
	}
	if (ends_with_nocase(filename, ".exe")) {
		set(out, "application/vnd.microsoft.portable-executable");
		return;
	}
	if (head.n > SNIFF_HEAD_MAX)
		head.n = SNIFF_HEAD_MAX;
	magic_type(head, m);
	for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (strcmp(m, renames[i][0]) == 0)
			set(m, renames[i][1]);
	if (is_textual(m)) {
		if (utf8)
			set(out,
			    ends_with_nocase(filename, ".svg") ? "image/svg+xml" : "plain/text");
		else
			set(out, "application/octet-stream");
		return;
	}
	set(out, m);
}

bool sniff_is_blocked(const char *mime)
{
	static const char *const blocked[] = {
	    "application/vnd.microsoft.portable-executable",
	    "application/vnd.android.package-archive",
	    "application/x-msi",
	    "application/x-ms-installer",
	};

	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if (strcmp(mime, blocked[i]) == 0)
			return true;
	return false;
}

enum file_meta sniff_meta_kind(const char *mime)
{
	/* what autumn's metadata.rs treats as images */
	static const char *const images[] = {
	    "image/avif", "image/bmp", "image/gif", "image/vnd.microsoft.icon",
	    "image/jpeg", "image/jxl", "image/png", "image/tiff",
	    "image/webp",
	};

	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (strcmp(mime, images[i]) == 0)
			return FILE_META_IMAGE;
	if (strncmp(mime, "video/", 6) == 0)
		return FILE_META_VIDEO;
	if (strncmp(mime, "audio/", 6) == 0)
		return FILE_META_AUDIO;
	if (strcmp(mime, "plain/text") == 0)
		return FILE_META_TEXT;
	return FILE_META_FILE;
}
