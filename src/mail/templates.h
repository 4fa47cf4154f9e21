/*
 * mail/templates.h: the subject and plain-text body of each account mail.
 *
 * Owns: the wording and the links, built from hosts.app exactly as Revolt's
 * web clients route them: {app}/login/verify/{code},
 * {app}/login/reset/{token} (reset and reset_existing), {app}/delete/{token}.
 * Does not own: making tokens or storing them (the account routes), the
 * expiry itself (MAILTPL_*_TTL_MS are the values authifier uses, for the
 * routes to apply), sending (mail/mailer.h).
 * Threads: pure functions of their arguments.
 * Memory: output is appended to the caller's bufs; on error they may hold
 * part of it.
 */
#ifndef SOL_MAIL_TEMPLATES_H
#define SOL_MAIL_TEMPLATES_H

#include "core/err.h"
#include "core/str.h"

struct buf;
struct cfg;

/* bytes of a code or token (authifier makes 32-character nanoids) */
#define MAILTPL_TOKEN_MAX 128

/* authifier's expiry defaults; deletion reuses the password-reset one */
#define MAILTPL_VERIFY_TTL_MS (24LL * 60 * 60 * 1000)
#define MAILTPL_RESET_TTL_MS (60LL * 60 * 1000)
#define MAILTPL_DELETION_TTL_MS (60LL * 60 * 1000)

/*
 * Each appends the subject to `subject` and the body to `body`. `code` and
 * `token` (borrowed) must be 1..MAILTPL_TOKEN_MAX characters of
 * [A-Za-z0-9_-]. Returns SE_OK, SE_INVAL (bad token, or hosts.app empty),
 * or a buf's sticky error.
 */

/* Confirms a new address: sign-up, re-verification or e-mail change. */
enum err mailtpl_verify(const struct cfg *c, struct str code, struct buf *subject, struct buf *body)
    __attribute__((warn_unused_result));
/* A password reset the user asked for. */
enum err mailtpl_reset(const struct cfg *c, struct str token, struct buf *subject, struct buf *body)
    __attribute__((warn_unused_result));
/* Confirms deleting the account. */
enum err mailtpl_deletion(const struct cfg *c, struct str token, struct buf *subject,
                          struct buf *body) __attribute__((warn_unused_result));
/*
 * Sign-up or re-verification with an address that already has a verified
 * account: offers a password reset instead (no account enumeration).
 */
enum err mailtpl_reset_existing(const struct cfg *c, struct str token, struct buf *subject,
                                struct buf *body) __attribute__((warn_unused_result));

#endif /* SOL_MAIL_TEMPLATES_H */
