/*
 * tests/integration/test_auth.c: accounts, sessions, MFA and onboarding
 * against the real daemon over HTTP: register → login → MFA enable → login
 * with MFA (TOTP, then a recovery code) → revoke; lock-out; hostile bodies;
 * rate-limit headers; and, with a real SMTP server on loopback (aiosmtpd),
 * the verification mail whose link verifies the account.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/totp.h"
#include "core/buf.h"
#include "core/mem.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static json_t *body_json(const struct td_resp *r)
{
	json_t *v = json_loadb(r->body ? r->body : "", r->body_len, JSON_DECODE_ANY, NULL);

	if (!v)
		fail_msg("not JSON (status %ld): '%s'", r->status, r->body ? r->body : "");
	return v;
}

/* One request; returns the status, the JSON body in *out when asked. */
static long call(struct td *d, const char *method, const char *path, const char *token,
                 const char *extra_header, const char *body, json_t **out)
{
	char h1[128], h2[256];
	const char *hdrs[3] = {NULL, NULL, NULL};
	struct td_resp r;
	long status;
	int n = 0;

	if (token) {
		snprintf(h1, sizeof(h1), "X-Session-Token: %s", token);
		hdrs[n++] = h1;
	}
	if (extra_header) {
		snprintf(h2, sizeof(h2), "%s", extra_header);
		hdrs[n++] = h2;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out)
		*out = r.body_len ? body_json(&r) : NULL;
	td_resp_release(&r);
	return status;
}

static const char *type_of(const json_t *v)
{
	return json_string_value(json_object_get(v, "type"));
}

static void expect_error(struct td *d, const char *method, const char *path, const char *token,
                         const char *body, long status, const char *type)
{
	json_t *v = NULL;
	long s = call(d, method, path, token, NULL, body, &v);

	if (s != status || !type_of(v) || strcmp(type_of(v), type) != 0)
		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         v ? json_dumps(v, 0) : "(no body)", status, type);
	json_decref(v);
}

static void login(struct td *d, const char *email, const char *password, char token[128],
                  json_t **resp)
{
	char body[512];
	json_t *v = NULL;

	snprintf(body, sizeof(body),
	         "{\"email\":\"%s\",\"password\":\"%s\",\"friendly_name\":\"t\"}", email, password);
	assert_int_equal(call(d, "POST", "/api/auth/session/login", NULL, NULL, body, &v), 200);
	if (token) {
		assert_string_equal(json_string_value(json_object_get(v, "result")), "Success");
		snprintf(token, 128, "%s", json_string_value(json_object_get(v, "token")));
		assert_int_equal(strlen(token), 64);
	}
	if (resp)
		*resp = v;
	else
		json_decref(v);
}

static void register_account(struct td *d, const char *email, const char *password)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	assert_int_equal(call(d, "POST", "/api/auth/account/create", NULL, NULL, body, NULL), 204);
}

static const char *const no_ratelimit[] = {"--dev", NULL};

static void test_register_login_onboard_revoke(void **state)
{
	struct td *d;
	char token[128], token2[128], sid2[64];
	json_t *v = NULL, *login_resp = NULL;

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(no_ratelimit, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	register_account(d, "Alice.Smith+chat@Example.org", "correct horse battery");
	/* the same normalised address again: no SMTP ⇒ OperationFailed, as authifier */
	expect_error(d, "POST", "/api/auth/account/create", NULL,
	             "{\"email\":\"alicesmith@example.org\",\"password\":\"another long one\"}",
	             500, "OperationFailed");
	/* log in through the normalised form of the address */
	login(d, "alicesmith@EXAMPLE.org", "correct horse battery", token, &login_resp);
	assert_string_equal(json_string_value(json_object_get(login_resp, "name")), "t");
	assert_int_equal(call(d, "GET", "/api/auth/account/", token, NULL, NULL, &v), 200);
	assert_string_equal(json_string_value(json_object_get(v, "email")),
	                    "Alice.Smith+chat@Example.org");
	assert_string_equal(json_string_value(json_object_get(v, "_id")),
	                    json_string_value(json_object_get(login_resp, "user_id")));
	json_decref(v);
	/* onboarding */
	assert_int_equal(call(d, "GET", "/api/onboard/hello", token, NULL, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "onboarding")));
	json_decref(v);
	expect_error(d, "POST", "/api/onboard/complete", token, "{\"username\":\"a\"}", 400,
	             "FailedValidation");
	expect_error(d, "POST", "/api/onboard/complete", token, "{\"username\":\"a b\"}", 400,
	             "FailedValidation");
	expect_error(d, "POST", "/api/onboard/complete", token, "{\"username\":\"admin\"}", 400,
	             "InvalidUsername");
	assert_int_equal(
	    call(d, "POST", "/api/onboard/complete", token, NULL, "{\"username\":\"alice\"}", &v),
	    200);
	assert_string_equal(json_string_value(json_object_get(v, "username")), "alice");
	assert_int_equal(strlen(json_string_value(json_object_get(v, "discriminator"))), 4);
	assert_string_equal(json_string_value(json_object_get(v, "relationship")), "User");
	assert_string_equal(json_string_value(json_object_get(v, "_id")),
	                    json_string_value(json_object_get(login_resp, "user_id")));
	json_decref(v);
	expect_error(d, "POST", "/api/onboard/complete", token, "{\"username\":\"alice2\"}", 403,
	             "AlreadyOnboarded");
	/* a second session, listed, renamed, revoked */
	login(d, "alicesmith@example.org", "correct horse battery", token2, &v);
	snprintf(sid2, sizeof(sid2), "%s", json_string_value(json_object_get(v, "_id")));
	json_decref(v);
	assert_int_equal(call(d, "GET", "/api/auth/session/all", token, NULL, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	{
		char path[128];

		snprintf(path, sizeof(path), "/api/auth/session/%s", sid2);
		assert_int_equal(
		    call(d, "PATCH", path, token, NULL, "{\"friendly_name\":\"phone\"}", &v), 200);
		assert_string_equal(json_string_value(json_object_get(v, "name")), "phone");
		json_decref(v);
		assert_int_equal(call(d, "DELETE", path, token, NULL, "{}", NULL), 204);
	}
	expect_error(d, "GET", "/api/auth/account/", token2, NULL, 401, "InvalidSession");
	/* wrong passwords: InvalidCredentials, then the lock-out on the third */
	expect_error(d, "POST", "/api/auth/session/login", NULL,
	             "{\"email\":\"alicesmith@example.org\",\"password\":\"wrong password 1\"}",
	             401, "InvalidCredentials");
	expect_error(d, "POST", "/api/auth/session/login", NULL,
	             "{\"email\":\"alicesmith@example.org\",\"password\":\"wrong password 2\"}",
	             401, "InvalidCredentials");
	expect_error(d, "POST", "/api/auth/session/login", NULL,
	             "{\"email\":\"alicesmith@example.org\",\"password\":\"wrong password 3\"}",
	             401, "InvalidCredentials");
	expect_error(
	    d, "POST", "/api/auth/session/login", NULL,
	    "{\"email\":\"alicesmith@example.org\",\"password\":\"correct horse battery\"}", 403,
	    "LockedOut");
	/* unknown address: the same answer as a wrong password */
	expect_error(d, "POST", "/api/auth/session/login", NULL,
	             "{\"email\":\"nobody@example.org\",\"password\":\"whatever you like\"}", 401,
	             "InvalidCredentials");
	/* revoke all but this one, then log out */
	assert_int_equal(
	    call(d, "DELETE", "/api/auth/session/all?revoke_self=false", token, NULL, "{}", NULL),
	    204);
	assert_int_equal(call(d, "POST", "/api/auth/session/logout", token, NULL, "{}", NULL), 204);
	expect_error(d, "GET", "/api/auth/account/", token, NULL, 401, "InvalidSession");
	json_decref(login_resp);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_hostile_input(void **state)
{
	static const struct {
		const char *method, *path, *body;
		long status;
		const char *type;
	} cases[] = {
	    {"POST", "/api/auth/account/create", "{", 400, "FailedValidation"},
	    {"POST", "/api/auth/account/create", "[]", 400, "FailedValidation"},
	    {"POST", "/api/auth/account/create", "{\"email\":1,\"password\":\"x\"}", 400,
	     "FailedValidation"},
	    {"POST", "/api/auth/account/create", "{\"password\":\"longenough\"}", 400,
	     "FailedValidation"},
	    {"POST", "/api/auth/account/create",
	     "{\"email\":\"not-an-email\",\"password\":\"long enough pw\"}", 400, "IncorrectData"},
	    {"POST", "/api/auth/account/create",
	     "{\"email\":\"a@example.org\",\"password\":\"short\"}", 400, "ShortPassword"},
	    {"POST", "/api/auth/account/create",
	     "{\"email\":\"a@example.org\",\"password\":\"password\"}", 400, "CompromisedPassword"},
	    {"POST", "/api/auth/account/create",
	     "{\"email\":\"a@example.org\",\"password\":\"x\",\"password\":\"y\"}", 400,
	     "FailedValidation"},
	    {"POST", "/api/auth/session/login", "{\"mfa_ticket\":\"nope\"}", 401, "InvalidToken"},
	    {"POST", "/api/auth/session/login", "{}", 400, "FailedValidation"},
	    {"GET", "/api/auth/account/", NULL, 401, "MissingHeaders"},
	    {"GET", "/api/onboard/hello", NULL, 401, "NotAuthenticated"},
	    {"POST", "/api/auth/account/verify/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "{}", 401,
	     "InvalidToken"},
	    {"PATCH", "/api/auth/account/reset_password",
	     "{\"token\":\"nope\",\"password\":\"a long new one\"}", 401, "InvalidToken"},
	    {"PUT", "/api/auth/account/delete", "{\"token\":\"nope\"}", 401, "InvalidToken"},
	    {"POST", "/api/auth/account/reset_password", "{\"email\":\"a@example.org\"}", 500,
	     "OperationFailed"},
	};
	struct td *d;

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(d, cases[i].method, cases[i].path, NULL, cases[i].body,
		             cases[i].status, cases[i].type);
	expect_error(d, "GET", "/api/auth/account/", "not-a-real-token", NULL, 401,
	             "InvalidSession");
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void totp_now(const char *secret, char code[8])
{
	assert_int_equal(totp_hotp(str_from(secret), (uint64_t)(time(NULL) / 30), 6, code), SE_OK);
}

static void test_mfa_flow(void **state)
{
	struct td *d;
	char token[128], ticket_hdr[128], secret[64], code[8], recovery[32], body[256];
	json_t *v = NULL;

	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	register_account(d, "mfa@example.org", "a good long password");
	login(d, "mfa@example.org", "a good long password", token, NULL);
	assert_int_equal(call(d, "GET", "/api/auth/mfa/methods", token, NULL, NULL, &v), 200);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "Password");
	json_decref(v);
	/* sensitive actions need a validated ticket */
	expect_error(d, "POST", "/api/auth/mfa/totp", token, "{}", 401, "MissingHeaders");
	expect_error(d, "PUT", "/api/auth/mfa/ticket", token,
	             "{\"password\":\"wrong wrong wrong\"}", 401, "InvalidCredentials");
#define TICKET()                                                                                   \
	do {                                                                                       \
		assert_int_equal(call(d, "PUT", "/api/auth/mfa/ticket", token, NULL,               \
		                      "{\"password\":\"a good long password\"}", &v),              \
		                 200);                                                             \
		assert_true(json_is_true(json_object_get(v, "validated")));                        \
		snprintf(ticket_hdr, sizeof(ticket_hdr), "X-MFA-Ticket: %s",                       \
		         json_string_value(json_object_get(v, "token")));                          \
		json_decref(v);                                                                    \
	} while (0)
	TICKET();
	assert_int_equal(call(d, "PATCH", "/api/auth/mfa/recovery", token, ticket_hdr, "{}", &v),
	                 200);
	assert_int_equal(json_array_size(v), 10);
	snprintf(recovery, sizeof(recovery), "%s", json_string_value(json_array_get(v, 0)));
	assert_int_equal(strlen(recovery), 11);
	json_decref(v);
	/* a ticket is single use */
	assert_int_equal(call(d, "POST", "/api/auth/mfa/totp", token, ticket_hdr, "{}", &v), 401);
	json_decref(v);
	TICKET();
	assert_int_equal(call(d, "POST", "/api/auth/mfa/totp", token, ticket_hdr, "{}", &v), 200);
	snprintf(secret, sizeof(secret), "%s", json_string_value(json_object_get(v, "secret")));
	assert_int_equal(strlen(secret), 16);
	json_decref(v);
	expect_error(d, "PUT", "/api/auth/mfa/totp", token, "{\"totp_code\":\"000000x\"}", 401,
	             "InvalidToken");
	totp_now(secret, code);
	snprintf(body, sizeof(body), "{\"totp_code\":\"%s\"}", code);
	assert_int_equal(call(d, "PUT", "/api/auth/mfa/totp", token, NULL, body, NULL), 204);
	assert_int_equal(call(d, "GET", "/api/auth/mfa/", token, NULL, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(v, "totp_mfa")));
	assert_true(json_is_true(json_object_get(v, "recovery_active")));
	json_decref(v);
	/* a password login now answers MFA with a ticket */
	login(d, "mfa@example.org", "a good long password", NULL, &v);
	assert_string_equal(json_string_value(json_object_get(v, "result")), "MFA");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(v, "allowed_methods"), 0)), "Totp");
	{
		char mfa_body[512];
		const char *t = json_string_value(json_object_get(v, "ticket"));

		/* the same TOTP code that enabled it is spent (replay) */
		snprintf(mfa_body, sizeof(mfa_body),
		         "{\"mfa_ticket\":\"%s\",\"mfa_response\":{\"totp_code\":\"%s\"}}", t,
		         code);
		expect_error(d, "POST", "/api/auth/session/login", NULL, mfa_body, 401,
		             "InvalidToken");
		/* a recovery code works, once */
		snprintf(mfa_body, sizeof(mfa_body),
		         "{\"mfa_ticket\":\"%s\",\"mfa_response\":{\"recovery_code\":\"%s\"}}", t,
		         recovery);
		json_t *s = NULL;

		assert_int_equal(
		    call(d, "POST", "/api/auth/session/login", NULL, NULL, mfa_body, &s), 200);
		assert_string_equal(json_string_value(json_object_get(s, "result")), "Success");
		json_decref(s);
		/* the ticket is spent too */
		expect_error(d, "POST", "/api/auth/session/login", NULL, mfa_body, 401,
		             "InvalidToken");
	}
	json_decref(v);
	login(d, "mfa@example.org", "a good long password", NULL, &v);
	{
		char mfa_body[512];

		snprintf(mfa_body, sizeof(mfa_body),
		         "{\"mfa_ticket\":\"%s\",\"mfa_response\":{\"recovery_code\":\"%s\"}}",
		         json_string_value(json_object_get(v, "ticket")), recovery);
		expect_error(d, "POST", "/api/auth/session/login", NULL, mfa_body, 401,
		             "InvalidToken");
		snprintf(mfa_body, sizeof(mfa_body),
		         "{\"mfa_ticket\":\"%s\",\"mfa_response\":{\"password\":\"a good long "
		         "password\"}}",
		         json_string_value(json_object_get(v, "ticket")));
		expect_error(d, "POST", "/api/auth/session/login", NULL, mfa_body, 400,
		             "DisallowedMFAMethod");
	}
	json_decref(v);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

static void test_rate_limit_headers(void **state)
{
	struct td *d = td_start(NULL, NULL, START_MS);
	const char *const hdrs[] = {NULL};
	struct td_resp r;
	char v[64];
	int limited = 0;

	(void)state;
	assert_non_null(d);
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", hdrs, NULL, &r), 0);
	assert_non_null(td_resp_header(&r, "x-ratelimit-limit", v, sizeof(v)));
	assert_string_equal(v, "20");
	assert_non_null(td_resp_header(&r, "x-ratelimit-bucket", v, sizeof(v)));
	assert_non_null(td_resp_header(&r, "x-ratelimit-remaining", v, sizeof(v)));
	assert_non_null(td_resp_header(&r, "x-ratelimit-reset-after", v, sizeof(v)));
	td_resp_release(&r);
	/* the auth bucket allows 15 per window; the 16th is refused */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(
		    td_http(td_http_port(d), "POST", "/api/auth/session/login", hdrs,
		            "{\"email\":\"x@example.org\",\"password\":\"whatever long\"}", &r),
		    0);
		if (r.status == 429) {
			json_t *b = body_json(&r);

			assert_true(json_integer_value(json_object_get(b, "retry_after")) > 0);
			json_decref(b);
			limited++;
		}
		td_resp_release(&r);
	}
	assert_int_equal(limited, 5);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

/* --- with a real SMTP server on loopback --- */

static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(0x7f000001);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* The body of the first mail in maildir `dir`/new, waiting up to 20 s. */
static char *wait_mail(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/new", dir);
	for (int i = 0; i < 400; i++) {
		DIR *dp = opendir(path);
		struct dirent *e;

		while (dp && (e = readdir(dp))) {
			char file[1024];
			FILE *f;
			struct buf b = BUF_INIT(1 << 20);
			char chunk[4096];
			size_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
			f = fopen(file, "r");
			if (!f)
				continue;
			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
				buf_append(&b, chunk, n);
			fclose(f);
			closedir(dp);
			unlink(file);
			return buf_take(&b, NULL);
		}
		if (dp)
			closedir(dp);
		usleep(50 * 1000);
	}
	return NULL;
}

static void test_email_verification(void **state)
{
	char mdir[] = "/tmp/solstice-mail-XXXXXX", box[600], port_s[16], smtp_host_port[64];
	char *mail = NULL, code[64] = "", path[128];
	const char *extra[] = {"--dev", NULL};
	struct td *d;
	pid_t smtp;
	json_t *v = NULL;
	int port = free_port();

	(void)state;
	assert_non_null(mkdtemp(mdir));
	snprintf(box, sizeof(box), "%s/box", mdir); /* aiosmtpd creates the maildir */
	snprintf(smtp_host_port, sizeof(smtp_host_port), "127.0.0.1:%d", port);
	smtp = fork();
	if (smtp == 0) {
		td_child_init();
		execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", smtp_host_port,
		      "-c", "aiosmtpd.handlers.Mailbox", box, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_open(port); i++)
		usleep(50 * 1000);
	if (!port_open(port)) {
		kill(smtp, SIGKILL);
		waitpid(smtp, NULL, 0);
		fail_msg("aiosmtpd did not start: run tools/install-deps (python3-aiosmtpd)");
	}
	snprintf(port_s, sizeof(port_s), "%d", port);
	setenv("SOLSTICE_SMTP_HOST", "127.0.0.1", 1);
	setenv("SOLSTICE_SMTP_PORT", port_s, 1);
	setenv("SOLSTICE_SMTP_FROM_ADDRESS", "noreply@solstice.test", 1);
	setenv("SOLSTICE_SMTP_USE_TLS", "false", 1);
	setenv("SOLSTICE_HOSTS_APP", "https://app.solstice.test", 1);
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(extra, NULL, START_MS);
	unsetenv("SOLSTICE_SMTP_HOST");
	unsetenv("SOLSTICE_SMTP_PORT");
	unsetenv("SOLSTICE_SMTP_FROM_ADDRESS");
	unsetenv("SOLSTICE_SMTP_USE_TLS");
	unsetenv("SOLSTICE_HOSTS_APP");
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	/* root document says e-mail is on */
	assert_int_equal(call(d, "GET", "/api/", NULL, NULL, NULL, &v), 200);
	assert_true(json_is_true(json_object_get(json_object_get(v, "features"), "email")));
	json_decref(v);
	register_account(d, "bob@example.org", "bobs long password");
	expect_error(d, "POST", "/api/auth/session/login", NULL,
	             "{\"email\":\"bob@example.org\",\"password\":\"bobs long password\"}", 403,
	             "UnverifiedAccount");
	mail = wait_mail(box);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "To: bob@example.org"));
	{
		const char *link = strstr(mail, "https://app.solstice.test/login/verify/");

		assert_non_null(link);
		link += strlen("https://app.solstice.test/login/verify/");
		for (int i = 0; i < 32 && link[i] && link[i] != '\r' && link[i] != '\n'; i++)
			code[i] = link[i];
	}
	assert_int_equal(strlen(code), 32);
	snprintf(path, sizeof(path), "/api/auth/account/verify/%s", code);
	assert_int_equal(call(d, "POST", path, NULL, NULL, "{}", &v), 200);
	/* the answer carries an authorised ticket that logs in once */
	{
		char body[256];
		json_t *s = NULL;

		snprintf(body, sizeof(body), "{\"mfa_ticket\":\"%s\"}",
		         json_string_value(json_object_get(json_object_get(v, "ticket"), "token")));
		assert_int_equal(call(d, "POST", "/api/auth/session/login", NULL, NULL, body, &s),
		                 200);
		assert_string_equal(json_string_value(json_object_get(s, "result")), "Success");
		json_decref(s);
		expect_error(d, "POST", "/api/auth/session/login", NULL, body, 401, "InvalidToken");
	}
	json_decref(v);
	/* the code is spent */
	expect_error(d, "POST", path, NULL, "{}", 401, "InvalidToken");
	login(d, "bob@example.org", "bobs long password", NULL, NULL);
	/* a password reset mail, and its token sets a new password */
	assert_int_equal(call(d, "POST", "/api/auth/account/reset_password", NULL, NULL,
	                      "{\"email\":\"bob@example.org\"}", NULL),
	                 204);
	mem_free(mail);
	mail = wait_mail(box);
	assert_non_null(mail);
	{
		const char *link = strstr(mail, "https://app.solstice.test/login/reset/");
		char body[256];

		assert_non_null(link);
		link += strlen("https://app.solstice.test/login/reset/");
		memset(code, 0, sizeof(code));
		for (int i = 0; i < 32 && link[i] && link[i] != '\r' && link[i] != '\n'; i++)
			code[i] = link[i];
		snprintf(body, sizeof(body),
		         "{\"token\":\"%s\",\"password\":\"bobs newer "
		         "password\",\"remove_sessions\":true}",
		         code);
		assert_int_equal(
		    call(d, "PATCH", "/api/auth/account/reset_password", NULL, NULL, body, NULL),
		    204);
	}
	login(d, "bob@example.org", "bobs newer password", NULL, NULL);
	/* unknown addresses get the same 204 (no enumeration) and no mail */
	assert_int_equal(call(d, "POST", "/api/auth/account/reset_password", NULL, NULL,
	                      "{\"email\":\"nobody@example.org\"}", NULL),
	                 204);
	mem_free(mail);
	assert_int_equal(td_stop(d, STOP_MS, false), 0);
	kill(smtp, SIGTERM);
	waitpid(smtp, NULL, 0);
	td_rm_rf(mdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_login_onboard_revoke),
	    cmocka_unit_test(test_hostile_input),
	    cmocka_unit_test(test_mfa_flow),
	    cmocka_unit_test(test_rate_limit_headers),
	    cmocka_unit_test(test_email_verification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
