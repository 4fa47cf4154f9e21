/*
 * auth/password.h: the password policy authifier applies on account
 * creation, password change and reset (config/passwords.rs).
 *
 * Owns: the minimum length (in bytes, as Rust's str::len) and the set of
 * compromised passwords (exact, case-sensitive match, as authifier's
 * HashSet<String>::contains). Does not own: hashing (core/crypto.h
 * cry_pwhash), the easypwned HTTP lookup.
 * Threads: read-only after pw_policy_new; any number of threads may call
 * pw_check on one policy at once.
 */
#ifndef SOL_AUTH_PASSWORD_H
#define SOL_AUTH_PASSWORD_H

#include "core/err.h"
#include "core/str.h"

/* Largest compromised-password file accepted, in bytes. */
#define PW_FILE_MAX (64u * 1024 * 1024)
/* Longest line in that file, in bytes (CR excluded). */
#define PW_LINE_MAX 1024

struct pw_policy;

/*
 * Build a policy. `compromised_file` (borrowed, NUL-terminated) names a file
 * with one password per line ('\n' or "\r\n"; empty lines and lines shorter
 * than `min_bytes`, which could never be checked, are skipped); "" or NULL
 * selects the built-in list of common passwords. `*out` is owned: free with
 * pw_policy_free. Errors: SE_IO (ei->detail names the file: cannot read,
 * larger than PW_FILE_MAX, a line longer than PW_LINE_MAX, a NUL byte),
 * SE_NOMEM.
 */
enum err pw_policy_new(unsigned min_bytes, const char *compromised_file, struct pw_policy **out,
                       struct err_info *ei) __attribute__((warn_unused_result));
/* Accepts NULL. */
void pw_policy_free(struct pw_policy *p);

/* Number of distinct passwords in the set (for logs and tests). */
unsigned long pw_policy_count(const struct pw_policy *p);

/*
 * SE_OK, SE_ShortPassword (fewer than min_bytes bytes; checked first) or
 * SE_CompromisedPassword (exactly in the set).
 */
enum err pw_check(const struct pw_policy *p, struct str pw) __attribute__((warn_unused_result));

#endif /* SOL_AUTH_PASSWORD_H */
