/*
 * federation/media.h: remote actors' avatars and banners as Autumn files.
 *
 * Owns: the persistent queue "ap_media" (one item per changed icon/image
 * URL of a remote actor, enqueued in the same write as the actor's user
 * record), its worker thread, fetching the image through the fetcher
 * (SSRF guard, the tag's size cap, the domain policy), the upload pipeline
 * for it (libmagic sniff, libvips probe and metadata strip, encrypted
 * content-addressed blob, a File record tagged "avatars"/"backgrounds"),
 * attaching it to the user (user.avatar, profile.background), flagging the
 * replaced file deleted and the UserUpdate event.
 * Does not own: the actor fetch (federation/resolve.c calls
 * fmedia_enqueue_changes), the file bytes (files/blob.h), the clean-up that
 * removes deleted files (files/cleanup.h).
 * Threads: one worker, started and stopped by fed_start/fed_stop;
 * fmedia_enqueue_changes runs inside the caller's write; the rest any
 * thread without an open transaction.
 */
#ifndef SOL_FEDERATION_MEDIA_H
#define SOL_FEDERATION_MEDIA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "files/file.h"
#include "storage/queue.h"
#include "storage/store.h"

struct buf;
struct fed;
struct fmedia;

/* the queue: retried with backoff from 30 s up to 6 h, 8 attempts (about a day) */
extern const struct queue_def fmedia_queue;

/* What a remote image becomes. */
enum fmedia_kind {
	FMEDIA_AVATAR,     /* ap.icon  -> user.avatar, tag "avatars" */
	FMEDIA_BACKGROUND, /* ap.image -> user.profile.background, tag "backgrounds" */
	FMEDIA__COUNT
};

/* "icon" / "image": the key of the URL in the user's "ap" object (static). */
const char *fmedia_ap_key(enum fmedia_kind k);

/*
 * Whether the URL under fmedia_ap_key(k) differs between `old_ap` (NULL
 * for a new user) and `new_ap` (borrowed). Absent and "" are the same.
 */
bool fmedia_url_changed(const json_t *old_ap, const json_t *new_ap, enum fmedia_kind k);

/*
 * Whether kind `k` of the user record `old_rec` (NULL: a new user; its
 * "ap" object holds the URLs) needs a queue item once its "ap" becomes
 * `new_ap`: the URL changed, or the URL is set but the record holds no file
 * for it (an earlier attempt failed, or the user predates this module), so
 * an actor refresh (daily, or on Update{Person}) tries again. Pure.
 */
bool fmedia_needs_fetch(const json_t *old_rec, const json_t *new_ap, enum fmedia_kind k);

/*
 * Inside the caller's write: one queue item per kind for which
 * fmedia_needs_fetch holds, for user `user_id`; a removed URL enqueues a
 * clearing item. SE_NOMEM, queue/store errors.
 */
enum err fmedia_enqueue_changes(struct store_wtxn *w, const char *user_id, const json_t *old_rec,
                                const json_t *new_ap, int64_t now_ms)
    __attribute__((warn_unused_result));

/* What the worker does with an item after an attempt. */
enum fmedia_next {
	FMEDIA_DONE,    /* stored (or the item is stale): ack */
	FMEDIA_RETRY,   /* transient (network, timeout, 5xx, 429, store busy): backoff */
	FMEDIA_GIVE_UP, /* permanent (404/410/4xx, too large, not an image, blocked): ack, log */
};

/*
 * The decision for an attempt that returned `rc` (SE_OK, or the error of
 * fmedia_fetch_one) with HTTP status `status` (0 when no response). Pure.
 */
enum fmedia_next fmedia_classify(enum err rc, long status);

/*
 * One item, synchronously: fetch `url` (empty: clear the image), run it
 * through the upload pipeline and attach it to `user_id` if the user's
 * ap URL is still `url`; flag the file it replaces deleted; publish
 * UserUpdate. `*status` (may be NULL) gets the HTTP status (0 if none).
 * A result for a URL the user no longer has (or a user that is gone) is
 * dropped: SE_OK, the new file flagged deleted.
 * Errors: SE_MissingPermission (blocked host), SE_NOT_FOUND (HTTP 404/410),
 * SE_INVAL (other HTTP status, bad URL),
 * SE_FileTooLarge, SE_FileTypeNotAllowed (not an image), SE_PARSE (the
 * image cannot be decoded), SE_TIMEOUT, SE_IO, store errors.
 */
enum err fmedia_fetch_one(struct fed *f, const char *user_id, enum fmedia_kind k, const char *url,
                          long *status, struct err_info *ei) __attribute__((warn_unused_result));

/*
 * The File's filename for a fetched `url`: its last path segment (before
 * any query or fragment), made display-safe by mp_safe_filename (no '/',
 * controls or bad UTF-8; MP_DEFAULT_FILENAME when empty). Appends to
 * `out`. SE_OK or out's error. Pure; fuzzed (tests/fuzz/fuzz_media.c).
 */
enum err fmedia_filename_of(const char *url, struct buf *out) __attribute__((warn_unused_result));

/* copies of one attachment fmedia_attachment makes at most (one per local recipient) */
#define FMEDIA_COPIES_MAX 8

/*
 * An attachment of a remote Note, synchronously (the inbox worker calls
 * it): fetch `url` (cap: the attachments tag limit; domain policy), run it
 * through the upload pipeline (images stripped and measured, other types
 * kept as File, blocked types refused) and store `n` (1..FMEDIA_COPIES_MAX)
 * unattached File records tagged "attachments" with uploader `uploader`,
 * sharing one blob; their ids go to ids[0..n-1]. The caller attaches each
 * to one message (msg_post's attachments); the clean-up flags an
 * unattached record deleted after an hour. `*status` as fmedia_fetch_one.
 * Errors as fmedia_fetch_one.
 */
enum err fmedia_attachment(struct fed *f, const char *url, const char *uploader, size_t n,
                           char ids[][FILE_ID_LEN + 1], long *status, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Start the worker (f->media). SE_IO when the thread cannot start. */
enum err fmedia_start(struct fed *f, struct err_info *ei) __attribute__((warn_unused_result));
/* Stop and free f->media (before the store closes). Accepts NULL / not started. */
void fmedia_stop(struct fed *f);
/* Wake the worker after a write that enqueued items (it polls every second otherwise). */
void fmedia_kick(struct fed *f);

#endif /* SOL_FEDERATION_MEDIA_H */
