/*
 * mail/mailer.h: outgoing e-mail (verification, password reset, deletion).
 *
 * Owns: the persistent "mail" queue (storage/queue.h) and its payload
 * record, building the RFC 5322 message, and one worker thread that drains
 * the queue over SMTP. SMTP is its own adapter: <curl/curl.h> is included
 * by mailer.c only (besides core/fetch.c, STYLE rule 3), nothing else here
 * sees curl.
 * Does not own: the wording of the mails (mail/templates.h), tokens and
 * their expiry (the account routes), the store schema (QUEUE_COLL_DEF must
 * be in it). Without smtp.host the mailer is not created at all and
 * accounts are verified at once, as Revolt does.
 * Threads: mail_enqueue runs in any store write; the lifecycle calls belong
 * to main; mail_kick and mail_stats_get are for any thread.
 * Design: docs/internals/mail.md.
 */
#ifndef SOL_MAIL_MAILER_H
#define SOL_MAIL_MAILER_H

#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct buf;
struct cfg;
struct store;
struct store_wtxn;
struct mail;

/* bytes of a recipient address (RFC 5321 path limit) */
#define MAIL_ADDR_MAX 254
/* bytes of a subject */
#define MAIL_SUBJECT_MAX 512
/* bytes of a body */
#define MAIL_BODY_MAX (64u * 1024u)
/* bytes of one body line without its line break (RFC 5322 section 2.1.1) */
#define MAIL_LINE_MAX 998
/* bytes of a whole built message */
#define MAIL_MESSAGE_MAX (MAIL_BODY_MAX * 2u + 8192u)

/* The queue policy: first retry after 30 s, doubling up to 1 h, 8 tries. */
#define MAIL_QUEUE_NAME "mail"
#define MAIL_BACKOFF_BASE_MS (30 * 1000)
#define MAIL_BACKOFF_CAP_MS (60 * 60 * 1000)
#define MAIL_MAX_ATTEMPTS 8
/* SMTP timeouts: connecting, and the whole transaction */
#define MAIL_CONNECT_TIMEOUT_MS (10 * 1000)
#define MAIL_SEND_TIMEOUT_MS (60 * 1000)

/* ---- enqueue (account routes) ---- */

/*
 * Queues one plain-text mail to `to` inside the caller's write `w`, so it is
 * sent if and only if the caller's changes commit. All slices are borrowed
 * for the call. `now_ms` (Unix ms) becomes the Date header. Call mail_kick
 * after store_write returns. Only call when smtp.host is set.
 * Returns SE_OK; SE_INVAL when `to` is not a bare address (CR, LF, spaces,
 * control bytes, <>,;"() or no '@'), when `subject` has CR/LF/control
 * bytes, or when the body has a NUL or a line over MAIL_LINE_MAX;
 * SE_TOO_LARGE (a MAIL_*_MAX limit); SE_NOMEM; queue and store errors.
 */
enum err mail_enqueue(struct store_wtxn *w, struct str to, struct str subject, struct str body_text,
                      int64_t now_ms) __attribute__((warn_unused_result));

/* ---- lifecycle (main) ---- */

/*
 * Creates a stopped mailer for `cfg` (borrowed until mail_free; smtp.host
 * and smtp.from_address must be set) sending from `store` (borrowed; close
 * it only after mail_free). `*out` is owned: mail_free.
 * Returns SE_OK, SE_CONFIG (no host, bad from_address: ei->detail says
 * which), SE_IO (libcurl would not initialise).
 */
enum err mail_new(const struct cfg *cfg, struct store *store, struct mail **out,
                  struct err_info *ei) __attribute__((warn_unused_result));

/* Starts the worker thread. Returns SE_OK, SE_BUSY (already started), SE_IO. */
enum err mail_start(struct mail *m) __attribute__((warn_unused_result));

/*
 * Wakes and joins the worker. A send in progress is aborted (at worst after
 * MAIL_CONNECT_TIMEOUT_MS or MAIL_SEND_TIMEOUT_MS; normally within ~1 s)
 * and counted as a failed attempt, so it is retried after the next start.
 * Accepts NULL and a stopped mailer. Call before store_close.
 */
void mail_stop(struct mail *m);

/* Stops it if needed and frees it. Accepts NULL. */
void mail_free(struct mail *m);

/* Wakes the worker to look at the queue now (after an enqueue). Any thread. */
void mail_kick(struct mail *m);

/* ---- observation and tests ---- */

struct mail_stats {
	uint64_t sent;   /* messages the server accepted */
	uint64_t failed; /* failed attempts (each will be retried) */
	uint64_t dead;   /* items moved to the dead-letter list */
};

void mail_stats_get(struct mail *m, struct mail_stats *out);

/*
 * Tests only, before mail_start: replaces the retry delays (base, cap) and
 * the idle poll interval (default 5 s) so a test need not wait minutes.
 */
void mail_set_timing(struct mail *m, int64_t backoff_base_ms, int64_t backoff_cap_ms,
                     int64_t poll_ms);

/*
 * Appends the RFC 5322 message to `out`: From (`from`, as configured, e.g.
 * "Name <a@b>" or "a@b"), To, Subject (RFC 2047 encoded when not ASCII),
 * Date (`date_ms`, UTC), Message-ID "<`msgid_local`@domain of from>",
 * MIME-Version, Content-Type text/plain; charset=utf-8,
 * Content-Transfer-Encoding 8bit, Auto-Submitted, then the body with every
 * line break turned into CRLF. Dot-stuffing is left to the SMTP client.
 * Pure. Returns SE_OK, SE_INVAL (as mail_enqueue, or `from` has no
 * domain), or the sticky error of `out`.
 */
enum err mail_message_build(struct str from, struct str to, struct str subject, struct str body,
                            int64_t date_ms, struct str msgid_local, struct buf *out)
    __attribute__((warn_unused_result));

#endif /* SOL_MAIL_MAILER_H */
