/*
 * auth/username.h: username rules and discriminators (Revolt
 * crates/delta/src/routes/onboard/complete.rs, users/change_username.rs and
 * crates/core/database/src/models/users/model.rs).
 *
 * Owns: what a username may be, and picking a free "#dddd" discriminator.
 * Does not own: the per-name discriminator look-up (callers pass `taken`),
 * the 24-hour discriminator change limit, bot names' other rules.
 * Threads: reentrant; no state.
 */
#ifndef SOL_AUTH_USERNAME_H
#define SOL_AUTH_USERNAME_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

/* Length of a username, in code points (Revolt: validator length on a String). */
#define UNAME_MIN 2
#define UNAME_MAX 32
/* Discriminators Revolt hands out: 0002 to 9998, less a few (see below). */
#define UNAME_DISCRIM_MIN 2
#define UNAME_DISCRIM_MAX 9998
/* Random draws before uname_discriminator_pick sweeps linearly. */
#define UNAME_PICK_TRIES 64

/*
 * Check a username the way Revolt does, in its order:
 * 1. the request validator: 2 to 32 code points, each a letter (\p{L}), a
 *    decimal digit (\d, which is Unicode Nd in Rust's regex), '_', '.' or
 *    '-'; valid UTF-8. Failing this gives SE_INVAL, because Revolt answers
 *    FailedValidation (err_to_wire maps SE_INVAL to it), not
 *    InvalidUsername.
 * 2. User::validate_username on the lower-cased name: the homoglyph check
 *    below, not "admin" or "revolt", and no "```", "discord.gg", "rvlt.gg",
 *    "guilded.gg", "http://", "https://" inside. Failing this gives
 *    SE_InvalidUsername.
 *
 * Homoglyph check: Revolt rejects a name that decancer::cure (1.6) would
 * change. We approximate it and reject any lower-cased code point that is
 * (a) a non-ASCII letter of the Latin, Greek, Cyrillic, Armenian, Cherokee,
 * Coptic or Georgian scripts (accented and look-alike letters, which
 * decancer folds to ASCII), (b) a non-ASCII decimal digit, (c) a
 * fullwidth/halfwidth form (U+FF00-FFEF), a letterlike symbol
 * (U+2100-214F), an enclosed alphanumeric (U+2460-24FF, U+1F100-1F1FF),
 * a phonetic extension or modifier letter (U+1D00-1DBF, U+02B0-02FF), or a
 * mathematical alphanumeric (U+1D400-1D7FF). Letters of other scripts (CJK,
 * kana, hangul, Arabic, Hebrew, Thai, Devanagari letters, ...) pass.
 * Known gaps: decancer also folds some letters of those other scripts (we
 * accept them; false accepts), and leaves some Greek/Cyrillic letters with
 * no Latin look-alike unchanged (we reject them; false rejects).
 */
enum err uname_validate(struct str name) __attribute__((warn_unused_result));

/*
 * True when Revolt may hand out `d`: 2 <= d <= 9998 and d is none of 0123,
 * 1234, 1111, 2222, ..., 8888 (9999 is past the range) or 1488.
 */
bool uname_discriminator_allowed(unsigned d);

/*
 * Pick an allowed discriminator for which taken(arg, d) is false and write
 * it as four digits + NUL to `out` ("0042"). Tries UNAME_PICK_TRIES random
 * draws, then sweeps every allowed value once from a random start, so the
 * callback runs at most UNAME_PICK_TRIES + 9986 times. SE_UsernameTaken
 * when every one is taken; `out` is written only on success.
 */
enum err uname_discriminator_pick(bool (*taken)(void *arg, unsigned d), void *arg, char out[5])
    __attribute__((warn_unused_result));

#endif /* SOL_AUTH_USERNAME_H */
