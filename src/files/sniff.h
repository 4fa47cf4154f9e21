/*
 * files/sniff.h: what an upload is (REVOLT.md section 10; backend
 * crates/services/autumn/src/mime_type.rs and metadata.rs).
 *
 * Owns: the MIME type from the first bytes (libmagic) and the filename
 * (".exe"/".apk" forced, ".svg" for UTF-8 text), Revolt's "plain/text" for
 * valid UTF-8 text, the blocked types, and which metadata kind a type gets.
 * Does not own: image dimensions (files/image.h), reading the upload.
 * Threads: any thread; the libmagic handle is shared behind a mutex and
 * loaded on first use. Memory: results go to caller buffers.
 */
#ifndef SOL_FILES_SNIFF_H
#define SOL_FILES_SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "files/file.h"

/* bytes of the upload libmagic looks at */
#define SNIFF_HEAD_MAX (64u * 1024)

/* A streaming UTF-8 validator (for the whole upload, fed in any chunks). */
struct sniff_utf8 {
	bool bad;
	unsigned need;  /* continuation bytes still expected */
	uint32_t cp;    /* code point being decoded */
	unsigned total; /* length of the sequence being decoded */
};
#define SNIFF_UTF8_INIT                                                                            \
	{                                                                                          \
		false, 0, 0, 0                                                                     \
	}

/* Feed `n` bytes. */
void sniff_utf8_feed(struct sniff_utf8 *u, const void *p, size_t n);
/* True when everything fed is valid UTF-8 and no sequence is cut short. */
bool sniff_utf8_ok(const struct sniff_utf8 *u);

/*
 * The MIME type of an upload whose first bytes are `head` (at most
 * SNIFF_HEAD_MAX), whose whole content is valid UTF-8 or not (`utf8`), and
 * whose filename is `filename`, into `out` (NUL-terminated). libmagic's
 * names are mapped to the ones Revolt's `infer` gives ("image/bmp",
 * "application/vnd.microsoft.portable-executable", ...); text is
 * "plain/text" (sic), or "image/svg+xml" for a ".svg" name. Never fails:
 * the fallback is "application/octet-stream". Pure but for libmagic.
 */
void sniff_mime(struct str head, bool utf8, struct str filename, char out[FILE_MIME_MAX]);

/* Types refused with FileTypeNotAllowed (executables, installers). */
bool sniff_is_blocked(const char *mime);

/* The metadata kind of `mime` before any probing: Image for the types
 * libvips reads here, Video for video/x, Audio, Text, File. */
enum file_meta sniff_meta_kind(const char *mime);

#endif /* SOL_FILES_SNIFF_H */
