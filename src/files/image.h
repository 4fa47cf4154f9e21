/*
 * files/image.h: image dimensions, metadata stripping and previews
 * (libvips), for Autumn (REVOLT.md section 10; backend
 * crates/services/autumn/src/exif.rs and crates/core/files).
 *
 * Owns: reading an image header without decoding pixels, the pixel limits
 * (a tiny file claiming 50 000 x 50 000 is refused from its header),
 * re-encoding JPEG/PNG/WebP/TIFF/AVIF without metadata and with the EXIF
 * orientation applied, and WebP thumbnails fitting a box.
 * Does not own: MIME sniffing (files/sniff.h), storage, HTTP.
 * Threads: any thread after img_init (libvips is thread-safe); libvips'
 * operation cache is off, so nothing is kept between calls.
 * Memory: sequential access where the operation allows it; decoded pixels
 * are bounded by IMG_MAX_PIXELS. Only this module includes <vips/vips.h>.
 */
#ifndef SOL_FILES_IMAGE_H
#define SOL_FILES_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct buf;

/* Revolt.toml files.limit: max_mega_pixels = 40, max_pixel_side = 10 000 */
#define IMG_MAX_PIXELS 40000000ull
#define IMG_MAX_SIDE 10000u
/*
 * glibc arenas for the process (the default is 8 per CPU): each HTTP thread
 * that decodes a preview otherwise keeps an arena of freed libvips buffers.
 * Measured (autumn.md): the RSS kept after 20 previews falls from about
 * 160 MB to about 60 MB with malloc_trim; the peak and latency stay.
 */
#define IMG_MALLOC_ARENAS 2
/* WebP preview quality (Revolt.toml files.webp_quality) */
#define IMG_PREVIEW_QUALITY 80

/*
 * Start libvips once for the process (later calls do nothing): untrusted
 * loaders blocked, operation cache off, two worker threads per pipeline,
 * and glibc limited to IMG_MALLOC_ARENAS arenas for the whole process
 * (call it before starting threads).
 * Returns SE_OK, or SE_IO when libvips cannot start.
 */
enum err img_init(void) __attribute__((warn_unused_result));

/* Receives re-encoded bytes (borrowed for the call). */
typedef enum err img_sink_fn(void *ctx, const void *p, size_t n);

/*
 * Dimensions of the image in file `fd` (read from offset 0; the offset
 * moves) from its header only, as displayed (EXIF orientation 5-8 swap
 * them). SE_PARSE when libvips cannot read the header; SE_TOO_LARGE past
 * the pixel limits (nothing decoded).
 */
enum err img_probe(int fd, unsigned *w, unsigned *h) __attribute__((warn_unused_result));

/* True for the types img_strip re-encodes (JPEG, PNG, WebP, TIFF, AVIF). */
bool img_can_strip(const char *mime);

/*
 * Decode the image in `fd` (checked against the limits from its header
 * first), apply its orientation and encode it again in the same format
 * without metadata, streaming the bytes to `sink`. `*w`/`*h` get the
 * final size. SE_TOO_LARGE (limits), SE_PARSE (cannot be decoded), or the
 * sink's error.
 */
enum err img_strip(int fd, const char *mime, img_sink_fn *sink, void *ctx, unsigned *w, unsigned *h)
    __attribute__((warn_unused_result));

/*
 * A WebP thumbnail (quality `q`, 1-100) of the image in `p`/`n` fitting
 * `box_w` x `box_h`, never enlarged, aspect kept, first frame only; the
 * bytes are appended to `out`. SE_PARSE (cannot decode), SE_TOO_LARGE
 * (limits, or out's maximum), SE_NOMEM.
 */
enum err img_thumbnail(const void *p, size_t n, unsigned box_w, unsigned box_h, int q,
                       struct buf *out) __attribute__((warn_unused_result));

/*
 * The same thumbnail from the image in file `fd` (read from offset 0; the
 * offset moves), streamed through libvips' shrink-on-load (libjpeg decodes
 * at 1/2 .. 1/8 scale when the box allows), so neither the file nor the
 * full-size pixels are held in memory; malloc_trim(0) afterwards returns
 * the freed decode buffers. Errors as img_thumbnail.
 */
enum err img_thumbnail_fd(int fd, unsigned box_w, unsigned box_h, int q, struct buf *out)
    __attribute__((warn_unused_result));

/* Decode just the header of a WebP/PNG/... buffer: its size (tests). SE_PARSE. */
enum err img_buffer_size(const void *p, size_t n, unsigned *w, unsigned *h)
    __attribute__((warn_unused_result));

#endif /* SOL_FILES_IMAGE_H */
