/*
 * mail/templates.c: our own short texts for authifier's four account mails
 * (verify, reset, reset_existing, deletion); link paths follow Revolt's
 * backend (crates/core/database/src/drivers/mod.rs) and its web client.
 */
#include "mail/templates.h"

#include "core/buf.h"
#include "core/cfg.h"

struct tpl {
	const char *subject;
	const char *path;    /* appended to hosts.app, then the token */
	const char *intro_a; /* then hosts.app, then intro_b */
	const char *intro_b;
	const char *validity;
	const char *outro;
};

static const struct tpl tpl_verify = {
    "Confirm your e-mail address",
    "/login/verify/",
    "Someone, hopefully you, gave this address for an account at ",
    ".\nTo confirm it, open this link:\n",
    "The link works for 24 hours.\n",
    "If you did not ask for this, ignore this mail and nothing will change.\n",
};

static const struct tpl tpl_reset = {
    "Reset your password",
    "/login/reset/",
    "A new password was requested for your account at ",
    ".\nTo choose one, open this link:\n",
    "The link works for 1 hour.\n",
    "If you did not ask for this, ignore this mail; your password stays as it is.\n",
};

static const struct tpl tpl_reset_existing = {
    "You already have an account",
    "/login/reset/",
    "Someone, hopefully you, tried to sign up at ",
    "\nwith this address, but it already belongs to a verified account.\n"
    "If you forgot its password, you can choose a new one here:\n",
    "The link works for 1 hour.\n",
    "If you did not ask for this, ignore this mail and nothing will change.\n",
};

static const struct tpl tpl_deletion = {
    "Confirm deleting your account",
    "/delete/",
    "Deleting your account at ",
    " was requested.\nTo confirm, open this link:\n",
    "The link works for 1 hour.\n",
    "If you did not ask for this, do not open the link, and change your\n"
    "password: someone else may be signed in to your account.\n",
};

static bool token_ok(struct str t)
{
	if (t.n == 0 || t.n > MAILTPL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static enum err render(const struct tpl *t, const struct cfg *c, struct str token,
                       struct buf *subject, struct buf *body)
{
	const char *app = c->hosts.app;

	if (!token_ok(token) || !app || !*app)
		return SE_INVAL;
	buf_puts(subject, t->subject);
	buf_puts(body, "Hello,\n\n");
	buf_puts(body, t->intro_a);
	buf_puts(body, app);
	buf_puts(body, t->intro_b);
	buf_printf(body, "\n%s%s%.*s\n\n", app, t->path, (int)token.n, token.p);
	buf_puts(body, t->validity);
	buf_puts(body, t->outro);
	buf_printf(body, "\n-- \nSent automatically by %s\n", app);
	if (buf_err(subject))
		return buf_err(subject);
	return buf_err(body);
}

enum err mailtpl_verify(const struct cfg *c, struct str code, struct buf *subject, struct buf *body)
{
	return render(&tpl_verify, c, code, subject, body);
}

enum err mailtpl_reset(const struct cfg *c, struct str token, struct buf *subject, struct buf *body)
{
	return render(&tpl_reset, c, token, subject, body);
}

enum err mailtpl_deletion(const struct cfg *c, struct str token, struct buf *subject,
                          struct buf *body)
{
	return render(&tpl_deletion, c, token, subject, body);
}

enum err mailtpl_reset_existing(const struct cfg *c, struct str token, struct buf *subject,
                                struct buf *body)
{
	return render(&tpl_reset_existing, c, token, subject, body);
}
