/*
 * files/video.c: libavformat adapter: the size of a video upload from its
 * container headers (backend autumn metadata.rs uses ffprobe), through a
 * custom AVIOContext over a file descriptor or a buffer, with a byte
 * budget, a deadline, no protocols and a container whitelist.
 */
#include "files/video.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* demuxers Autumn treats as video (libavformat names; av_match_list) */
#define VID_FORMATS "mov,matroska,webm,avi,ogg,flv,mpeg,mpegts"
/* largest single allocation libav may make in this process */
#define VID_MAX_ALLOC (64u * 1024 * 1024)
/* streams a hostile container may declare before the open fails */
#define VID_MAX_STREAMS 32

/* One input: a file descriptor (fd >= 0) or a buffer. */
struct vsrc {
	int fd;
	const uint8_t *p;
	int64_t size, pos;
	uint64_t used; /* bytes handed to libavformat so far */
	struct timespec deadline;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	av_log_set_level(AV_LOG_QUIET);
	av_max_alloc(VID_MAX_ALLOC);
}

static int src_read(void *opaque, uint8_t *buf, int buf_size)
{
	struct vsrc *s = opaque;
	size_t want = buf_size > 0 ? (size_t)buf_size : 0;
	ssize_t k;

	if (s->used >= VID_IO_BUDGET)
		return AVERROR(EFBIG);
	if (want > VID_IO_BUDGET - s->used)
		want = (size_t)(VID_IO_BUDGET - s->used);
	if (s->pos >= s->size || want == 0)
		return AVERROR_EOF;
	if ((int64_t)want > s->size - s->pos)
		want = (size_t)(s->size - s->pos);
	if (s->fd < 0) {
		memcpy(buf, s->p + s->pos, want);
		k = (ssize_t)want;
	} else {
		do
			k = pread(s->fd, buf, want, (off_t)s->pos);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return AVERROR(EIO);
		if (k == 0)
			return AVERROR_EOF;
	}
	s->pos += k;
	s->used += (uint64_t)k;
	return (int)k;
}

static int64_t src_seek(void *opaque, int64_t offset, int whence)
{
	struct vsrc *s = opaque;
	int64_t to;

	whence &= ~AVSEEK_FORCE;
	if (whence == AVSEEK_SIZE)
		return s->size;
	if (whence == SEEK_SET)
		to = offset;
	else if (whence == SEEK_CUR)
		to = s->pos + offset;
	else if (whence == SEEK_END)
		to = s->size + offset;
	else
		return AVERROR(EINVAL);
	if (to < 0 || to > s->size)
		return AVERROR(EINVAL);
	s->pos = to;
	return to;
}

/* Stops blocking libavformat calls past the deadline. */
static int src_interrupt(void *opaque)
{
	const struct vsrc *s = opaque;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > s->deadline.tv_sec ||
	       (now.tv_sec == s->deadline.tv_sec && now.tv_nsec >= s->deadline.tv_nsec);
}

/* Demuxers must never open another file or URL (mov drefs, HLS, concat). */
static int refuse_open(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                       AVDictionary **options)
{
	(void)s;
	(void)pb;
	(void)url;
	(void)flags;
	(void)options;
	return AVERROR(EPERM);
}

/* The first real video stream (not a cover picture), or NULL. */
static const AVStream *first_video(const AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		const AVStream *st = fc->streams[i];

		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
			return st;
	}
	return NULL;
}

static bool size_ok(const AVStream *st)
{
	return st && st->codecpar->width > 0 && st->codecpar->height > 0 &&
	       (unsigned)st->codecpar->width <= VID_MAX_SIDE &&
	       (unsigned)st->codecpar->height <= VID_MAX_SIDE;
}

static enum err probe(struct vsrc *s, unsigned *w, unsigned *h)
{
	AVFormatContext *fc = NULL;
	AVIOContext *pb = NULL;
	AVDictionary *opts = NULL;
	unsigned char *iobuf;
	const AVStream *st;
	enum err rc = SE_PARSE;

	pthread_once(&once, init_once);
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += VID_DEADLINE_MS / 1000;
	s->deadline.tv_nsec += (long)(VID_DEADLINE_MS % 1000) * 1000000L;
	if (s->deadline.tv_nsec >= 1000000000L) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000L;
	}
	iobuf = av_malloc(VID_IO_BUF);
	if (!iobuf)
		return SE_NOMEM;
	pb = avio_alloc_context(iobuf, VID_IO_BUF, 0, s, src_read, NULL, src_seek);
	fc = avformat_alloc_context();
	if (!pb || !fc) {
		if (!pb)
			av_free(iobuf);
		rc = SE_NOMEM;
		goto out;
	}
	fc->pb = pb;
	fc->flags |= AVFMT_FLAG_CUSTOM_IO;
	fc->probesize = VID_PROBE_SIZE;
	fc->format_probesize = VID_PROBE_SIZE;
	fc->max_analyze_duration = AV_TIME_BASE;
	fc->max_streams = VID_MAX_STREAMS;
	fc->interrupt_callback.callback = src_interrupt;
	fc->interrupt_callback.opaque = s;
	fc->io_open = refuse_open;
	fc->format_whitelist = av_strdup(VID_FORMATS);
	if (!fc->format_whitelist || av_dict_set(&opts, "protocol_whitelist", "none", 0) < 0 ||
	    av_dict_set(&opts, "enable_drefs", "0", 0) < 0) {
		rc = SE_NOMEM;
		goto out;
	}
	/* on failure avformat_open_input frees fc (not our custom pb) */
	if (avformat_open_input(&fc, NULL, NULL, &opts) < 0)
		goto out;
	st = first_video(fc);
	if (!st)
		goto out;
	if (!size_ok(st) && st->codecpar->width == 0 && st->codecpar->height == 0) {
		/* no size in the headers (MPEG-TS, ...): analyse a few packets */
		if (avformat_find_stream_info(fc, NULL) < 0)
			goto out;
		st = first_video(fc);
	}
	if (!size_ok(st))
		goto out;
	*w = (unsigned)st->codecpar->width;
	*h = (unsigned)st->codecpar->height;
	rc = SE_OK;
out:
	av_dict_free(&opts);
	avformat_close_input(&fc);
	if (pb) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
	return rc;
}

enum err vid_probe(int fd, unsigned *w, unsigned *h)
{
	struct vsrc s;
	struct stat sb;

	if (fstat(fd, &sb) != 0 || sb.st_size <= 0)
		return SE_PARSE;
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.size = (int64_t)sb.st_size;
	return probe(&s, w, h);
}

enum err vid_probe_mem(const void *p, size_t n, unsigned *w, unsigned *h)
{
	struct vsrc s;

	if (!n)
		return SE_PARSE;
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.p = p;
	s.size = (int64_t)n;
	return probe(&s, w, h);
}
