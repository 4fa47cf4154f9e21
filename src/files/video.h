/*
 * files/video.h: video dimensions for Autumn's Video{width,height}
 * metadata (REVOLT.md section 10; backend autumn metadata.rs, which asks
 * ffprobe), read with libavformat from the container headers.
 *
 * Owns: opening an upload with libavformat through our own AVIOContext
 * (no protocols, a whitelist of container formats, a byte budget and a
 * wall-clock deadline), and the first video stream's width and height.
 * Does not own: MIME sniffing (files/sniff.h), images (files/image.h).
 * Threads: any thread (libavformat contexts are per call); libav's log is
 * silenced once for the process. Memory: one AVFormatContext and a
 * VID_IO_BUF buffer per call, released before returning.
 * Only this module includes libavformat headers.
 */
#ifndef SOL_FILES_VIDEO_H
#define SOL_FILES_VIDEO_H

#include <stddef.h>

#include "core/err.h"

/* bytes libavformat may read in all (seeks included) before giving up */
#define VID_IO_BUDGET (8u * 1024 * 1024)
/* bytes the format probe looks at (libavformat "probesize") */
#define VID_PROBE_SIZE (1u * 1024 * 1024)
/* wall-clock limit of one probe, milliseconds */
#define VID_DEADLINE_MS 2000
/* AVIOContext buffer */
#define VID_IO_BUF (32u * 1024)
/* a side longer than this is not believed (Video metadata is then File) */
#define VID_MAX_SIDE 16384u

/*
 * Width and height of the first video stream of the file `fd` (read with
 * pread from offset 0; the offset does not move). Only container formats
 * Autumn serves as video are opened (MP4/MOV/3GP, Matroska/WebM, AVI,
 * Ogg, FLV, MPEG-PS/TS) and no other file or URL is ever opened. The
 * sizes come from the container headers; only when those carry none are a
 * few packets analysed, still inside VID_IO_BUDGET and VID_DEADLINE_MS.
 * Returns SE_OK with both sides in 1..VID_MAX_SIDE, SE_PARSE (not a video
 * libavformat can open, no video stream, no or absurd size, budget or
 * deadline exceeded), SE_NOMEM.
 */
enum err vid_probe(int fd, unsigned *w, unsigned *h) __attribute__((warn_unused_result));

/* The same for `n` bytes at `p` (fuzzing, tests). */
enum err vid_probe_mem(const void *p, size_t n, unsigned *w, unsigned *h)
    __attribute__((warn_unused_result));

#endif /* SOL_FILES_VIDEO_H */
