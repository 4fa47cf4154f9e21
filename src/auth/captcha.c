/*
 * auth/captcha.c: hCaptcha siteverify
 * (https://docs.hcaptcha.com/#verify-the-user-response-server-side), the way authifier's
 * crates/authifier/src/config/captcha.rs calls it: form-encoded secret and response, success only
 * on {"success": true}.
 */
#include <jansson.h>

#include "auth/captcha.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/fetch.h"
#include "core/jx.h"

bool captcha_enabled(const struct cfg *cfg)
{
	return cfg->captcha.hcaptcha_key && cfg->captcha.hcaptcha_key[0];
}

bool captcha_answer_ok(struct str body)
{
	json_t *v = NULL;
	bool ok;

	if (jx_parse_object(body, CAPTCHA_ANSWER_MAX, &v, NULL) != SE_OK)
		return false;
	ok = json_is_true(json_object_get(v, "success"));
	json_decref(v);
	return ok;
}

/* application/x-www-form-urlencoded: unreserved bytes as is, the rest %XX */
static void form_escape(struct buf *b, struct str s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

enum err captcha_check(const struct cfg *cfg, struct str token, struct err_info *ei)
{
	static const char *const hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
	                                   "Accept: application/json", NULL};
	struct fetch_opts o = {0};
	struct fetch_req rq = {"POST", NULL, hdrs, STR_NULL};
	struct fetch_resp r;
	struct err_info fe = ERR_INFO_INIT;
	struct buf form = BUF_INIT(3 * CAPTCHA_TOKEN_MAX + 1024);
	enum err rc;

	if (!captcha_enabled(cfg))
		return SE_OK;
	if (!token.p || token.n == 0)
		return SE_RAISEF(ei, SE_CaptchaFailed, "captcha: no token");
	if (token.n > CAPTCHA_TOKEN_MAX)
		return SE_RAISEF(ei, SE_CaptchaFailed, "captcha: token too long");
	buf_puts(&form, "secret=");
	form_escape(&form, str_from(cfg->captcha.hcaptcha_key));
	buf_puts(&form, "&response=");
	form_escape(&form, token);
	if (cfg->captcha.hcaptcha_sitekey && cfg->captcha.hcaptcha_sitekey[0]) {
		buf_puts(&form, "&sitekey=");
		form_escape(&form, str_from(cfg->captcha.hcaptcha_sitekey));
	}
	if (buf_err(&form)) {
		rc = SE_RAISEF(ei, SE_CaptchaFailed, "captcha: cannot build the request");
		goto out;
	}
	o.allow_private = cfg->federation.allow_private || cfg->dev.enabled;
	o.timeout_s = CAPTCHA_TIMEOUT_S;
	o.max_bytes = CAPTCHA_ANSWER_MAX;
	o.max_redirects = 0;
	o.user_agent = "Solstice";
	rq.url = cfg->captcha.hcaptcha_verify_url;
	rq.body = buf_str(&form);
	rc = fetch_do(&o, &rq, &r, &fe);
	if (rc) {
		rc =
		    SE_RAISEF(ei, SE_CaptchaFailed, "captcha: verifier unreachable: %s", fe.detail);
		goto out;
	}
	if (r.status != 200 || !captcha_answer_ok(buf_str(&r.body)))
		rc = SE_RAISEF(ei, SE_CaptchaFailed, "captcha: refused (HTTP %ld)", r.status);
	fetch_resp_release(&r);
out:
	/* the form holds the secret */
	if (form.ptr)
		cry_wipe(form.ptr, form.cap);
	buf_release(&form);
	return rc;
}
