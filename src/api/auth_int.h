/*
 * api/auth_int.h: what the account route files (auth_account.c: create,
 * verify, mails from an address, password reset; auth_account_self.c: the
 * signed-in account's changes, disable and delete) share: token lifetimes,
 * rendering and queuing mails, and the e-mail and password checks.
 * Nothing outside src/api/ includes this (STYLE rule 1).
 * Threads: HTTP worker threads, per request.
 */
#ifndef SOL_API_AUTH_INT_H
#define SOL_API_AUTH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

struct app;
struct req_ctx;
struct store_wtxn;

/* lifetimes of the e-mailed tokens (authifier's defaults) */
#define VERIFY_LIFE_MS (24 * 3600 * 1000LL)
#define RESET_LIFE_MS (3600 * 1000LL)
#define DELETION_LIFE_MS (3600 * 1000LL)
/* a scheduled deletion happens a week after it is confirmed */
#define DELETION_DELAY_MS (7 * 24 * 3600 * 1000LL)
/* bytes of an e-mail address we accept */
#define EMAIL_MAX 254
/* bytes of a password we accept (argon2 hashes any length; bound the work) */
#define PASSWORD_MAX 1024

/* A rendered mail, ready to be queued inside a write. */
struct mail_msg {
	struct buf to, subject, body;
};

enum mail_kind {
	MAIL_NONE,
	MAIL_VERIFY,
	MAIL_RESET,
	MAIL_RESET_EXISTING,
	MAIL_DELETION,
};

/* True when [smtp] is configured: mails are sent, accounts start unverified. */
bool acctapi_smtp_on(const struct app *app);
void acctapi_msg_init(struct mail_msg *m);
void acctapi_msg_release(struct mail_msg *m);
/* Queue a rendered mail inside the caller's write. */
enum err acctapi_msg_queue(struct store_wtxn *w, const struct mail_msg *m, int64_t now)
    __attribute__((warn_unused_result));
/* Render mail `kind` for `to` with `token` into m. SE_INVAL, SE_NOMEM. */
enum err acctapi_render(const struct app *app, enum mail_kind kind, struct str to, struct str token,
                        struct mail_msg *m) __attribute__((warn_unused_result));
/* Validate and normalise an address: IncorrectData{with:"email"}. */
enum err acctapi_check_email(struct req_ctx *ctx, struct str email, struct buf *norm)
    __attribute__((warn_unused_result));
/* ShortPassword, CompromisedPassword, FailedValidation (too long). */
enum err acctapi_check_password(struct req_ctx *ctx, struct str pw)
    __attribute__((warn_unused_result));

#endif /* SOL_API_AUTH_INT_H */
