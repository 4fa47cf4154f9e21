/*
 * auth/captcha.h: hCaptcha verification for the authifier routes that
 * require it (account create, resend verification, send password reset),
 * as authifier's Captcha::HCaptcha does: POST secret + response to the
 * siteverify endpoint, accept only {"success": true}.
 *
 * Owns: the form body, the call (through core/fetch.h: SSRF guard,
 * limits) and reading the answer. Does not own: the config keys
 * ([captcha] in core/cfg.h).
 * Threads: any thread; blocks for at most CAPTCHA_TIMEOUT_S.
 */
#ifndef SOL_AUTH_CAPTCHA_H
#define SOL_AUTH_CAPTCHA_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct cfg;

/* bytes of a token we forward (hCaptcha tokens are a few KiB) */
#define CAPTCHA_TOKEN_MAX 8192
/* bytes of a siteverify answer we read */
#define CAPTCHA_ANSWER_MAX 65536
/* seconds the siteverify call may take */
#define CAPTCHA_TIMEOUT_S 10

/* True when [captcha] hcaptcha_key is set. */
bool captcha_enabled(const struct cfg *cfg);

/*
 * SE_OK when captcha is disabled or `token` (STR_NULL when the request had
 * none) verifies; SE_CaptchaFailed when it is missing, too long, refused,
 * or the verifier cannot be reached or answers junk (fail closed, as
 * authifier does). ei->detail says which, for the log.
 */
enum err captcha_check(const struct cfg *cfg, struct str token, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * The siteverify answer `body`: true only for a JSON object whose
 * "success" is true. Pure.
 */
bool captcha_answer_ok(struct str body);

#endif /* SOL_AUTH_CAPTCHA_H */
