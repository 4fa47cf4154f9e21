/*
 * auth/email.h: e-mail address checks and the look-up key authifier uses.
 *
 * Owns: the syntax check authifier gets from the `validator` crate (HTML5
 * e-mail rules, with an IP literal or IDN domain allowed) and
 * `normalise_email` (authifier util.rs), the key accounts are found by.
 * Does not own: the domain block list, sending mail (src/mail/).
 * Threads: reentrant; no state. Memory: output goes to the caller's buf.
 */
#ifndef SOL_AUTH_EMAIL_H
#define SOL_AUTH_EMAIL_H

#include "core/err.h"
#include "core/str.h"

struct buf;

/* Longest address accepted, in bytes (RFC 5321 path limit less the <>). */
#define EMAIL_MAX 254
/* Longest local part, in characters (RFC 5321 section 4.5.3.1.1). */
#define EMAIL_LOCAL_MAX 64
/* Longest input email_normalise takes, in bytes. */
#define EMAIL_NORMALISE_MAX 1024

/*
 * SE_OK when `e` is an address authifier would accept, else SE_IncorrectData
 * with ei->with = "email". The rules (validator 0.16 validate_email):
 * - at most EMAIL_MAX bytes, valid UTF-8;
 * - split at the last '@'; the local part is 1 to 64 of
 *   [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-] (so exactly one '@', no spaces,
 *   quotes or control characters);
 * - the domain is two or more dot-separated labels of 1 to 63 of
 *   [A-Za-z0-9-], not starting or ending with '-' (no trailing dot), or an
 *   IPv4/IPv6 literal in brackets ("[127.0.0.1]", "[::1]"), or an IDN whose
 *   non-ASCII labels hold only letters, marks, digits and '-' (an
 *   approximation of IDNA: the punycode form is not computed; such a
 *   label is limited to 63 bytes of UTF-8 instead).
 */
enum err email_validate(struct str e, struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Append authifier's normalised form of `e` to `out`: the part before the
 * first '@' loses every '.' and any '+' with the text after it, then the
 * whole address is lower-cased (Unicode, as Rust's str::to_lowercase).
 * "John.Doe+news@Example.COM" -> "johndoe@example.com". Quirks kept so that
 * keys match authifier's: a '+' with nothing after it stays ("a+@x" ->
 * "a+@x"), and for inputs that never pass email_validate the regex's
 * leftmost match is mirrored. Meant for validated addresses.
 * Errors: SE_INVAL (no "local@domain" shape, invalid UTF-8), SE_TOO_LARGE
 * (over EMAIL_NORMALISE_MAX bytes), or the buf's sticky error. On error
 * `out` may hold a partial append; check buf_err.
 */
enum err email_normalise(struct str e, struct buf *out) __attribute__((warn_unused_result));

#endif /* SOL_AUTH_EMAIL_H */
