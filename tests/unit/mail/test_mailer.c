/*
 * tests/unit/mail/test_mailer.c: templates and message building without a
 * network; header-injection rejects; then real delivery, retries and dead
 * letters against aiosmtpd (Debian python3-aiosmtpd) on 127.0.0.1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/mem.h"
#include "mail/mailer.h"
#include "mail/templates.h"
#include "storage/queue.h"
#include "storage/store.h"
#include "tests/support/daemon.h"

/* the system interpreter: python3-aiosmtpd installs for it only */
#define PYTHON "/usr/bin/python3"
#define APP "https://chat.example.org"
#define WAIT_MS 15000

static const struct store_coll_def colls[] = {QUEUE_COLL_DEF};
static const struct store_schema schema = {colls, 1};
static const struct queue_def mail_q = {MAIL_QUEUE_NAME, MAIL_BACKOFF_BASE_MS, MAIL_BACKOFF_CAP_MS,
                                        MAIL_MAX_ATTEMPTS};

static void set_str(char **field, const char *v)
{
	mem_free(*field);
	*field = xstrdup(v);
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---- templates ---- */

typedef enum err tpl_fn(const struct cfg *, struct str, struct buf *, struct buf *);

static void test_templates(void **state)
{
	static const struct {
		tpl_fn *fn;
		const char *subject;
		const char *link;
	} cases[] = {
	    {mailtpl_verify, "Confirm your e-mail address", APP "/login/verify/"},
	    {mailtpl_reset, "Reset your password", APP "/login/reset/"},
	    {mailtpl_reset_existing, "You already have an account", APP "/login/reset/"},
	    {mailtpl_deletion, "Confirm deleting your account", APP "/delete/"},
	};
	static const char *const bad[] = {"", "a/b", "a b", "a\nb", "tok?x=1", "a%2F"};
	const char *tok = "V1StGXR8_Z5jdHi6B-myTV1StGXR8_Z5";
	struct cfg c = CFG_INIT;
	char longtok[MAILTPL_TOKEN_MAX + 2];

	(void)state;
	cfg_init(&c);
	set_str(&c.hosts.app, APP);
	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf s = BUF_INIT(1024), b = BUF_INIT(8192), want = BUF_INIT(1024);

		assert_int_equal(cases[i].fn(&c, str_from(tok), &s, &b), SE_OK);
		assert_string_equal(buf_cstr(&s), cases[i].subject);
		buf_printf(&want, "\n%s%s\n", cases[i].link, tok);
		if (!strstr(buf_cstr(&b), buf_cstr(&want)))
			fail_msg("case %zu: no link line in '%s'", i, buf_cstr(&b));
		/* the body is a valid queued mail */
		assert_int_equal(mail_message_build(STR_LIT("a@example.org"),
		                                    STR_LIT("u@example.org"), buf_str(&s),
		                                    buf_str(&b), 0, STR_LIT("x"), &want),
		                 SE_OK);
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			buf_reset(&s);
			buf_reset(&b);
			assert_int_equal(cases[i].fn(&c, str_from(bad[k]), &s, &b), SE_INVAL);
		}
		assert_int_equal(cases[i].fn(&c, str_from(longtok), &s, &b), SE_INVAL);
		longtok[MAILTPL_TOKEN_MAX] = '\0';
		buf_reset(&b);
		assert_int_equal(cases[i].fn(&c, str_from(longtok), &s, &b), SE_OK);
		longtok[MAILTPL_TOKEN_MAX] = 'a';
		buf_release(&s);
		buf_release(&b);
		buf_release(&want);
	}
	{
		struct buf s = BUF_INIT(1024), b = BUF_INIT(8192);

		set_str(&c.hosts.app, "");
		assert_int_equal(mailtpl_verify(&c, str_from(tok), &s, &b), SE_INVAL);
		buf_release(&s);
		buf_release(&b);
	}
	cfg_release(&c);
}

/* ---- the message builder ---- */

static void test_build(void **state)
{
	static const struct {
		const char *from, *subject, *body;
		const char *want_from, *want_subject, *want_body;
		const char *msgid;
	} cases[] = {
	    {"Solstice <noreply@example.org>", "Hello", "a\nb\r\nc\rd",
	     "From: Solstice <noreply@example.org>\r\n", "Subject: Hello\r\n",
	     "\r\n\r\na\r\nb\r\nc\r\nd\r\n", "<01ARZ3NDEKTSV4RRFFQ69G5FAV@example.org>"},
	    {"noreply@mail.example.org",
	     "Gr\xc3\xbc\xc3\x9f"
	     "e",
	     "line\n\n.dot\n", "From: noreply@mail.example.org\r\n",
	     "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n", "\r\n\r\nline\r\n\r\n.dot\r\n",
	     "<01ARZ3NDEKTSV4RRFFQ69G5FAV@mail.example.org>"},
	};
	static const char *const fixed[] = {
	    "To: user@example.com\r\n",
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
	    "MIME-Version: 1.0\r\n",
	    "Content-Type: text/plain; charset=utf-8\r\n",
	    "Content-Transfer-Encoding: 8bit\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf m = BUF_INIT(MAIL_MESSAGE_MAX);
		const char *s;

		assert_int_equal(
		    mail_message_build(str_from(cases[i].from), STR_LIT("user@example.com"),
		                       str_from(cases[i].subject), str_from(cases[i].body),
		                       1700000000123LL, STR_LIT("01ARZ3NDEKTSV4RRFFQ69G5FAV"), &m),
		    SE_OK);
		s = buf_cstr(&m);
		assert_true(strncmp(s, cases[i].want_from, strlen(cases[i].want_from)) == 0);
		assert_non_null(strstr(s, cases[i].want_subject));
		assert_non_null(strstr(s, cases[i].msgid));
		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			assert_non_null(strstr(s, fixed[k]));
		assert_non_null(strstr(s, cases[i].want_body));
		assert_int_equal(strlen(strstr(s, cases[i].want_body)), strlen(cases[i].want_body));
		/* no bare LF anywhere */
		for (size_t k = 0; k < m.len; k++)
			if (s[k] == '\n')
				assert_int_equal(s[k - 1], '\r');
		buf_release(&m);
	}
	{
		/* a long non-ASCII subject is folded into encoded words <= 75 chars */
		struct buf m = BUF_INIT(MAIL_MESSAGE_MAX), subj = BUF_INIT(1024);
		const char *p, *e;

		for (int k = 0; k < 40; k++)
			buf_puts(&subj, "\xc3\xa9");
		assert_int_equal(mail_message_build(STR_LIT("a@b.org"), STR_LIT("c@d.org"),
		                                    buf_str(&subj), STR_LIT("x"), 0, STR_LIT("id"),
		                                    &m),
		                 SE_OK);
		p = strstr(buf_cstr(&m), "Subject: ") + 9;
		e = strstr(p, "\r\nDate:");
		assert_non_null(e);
		for (const char *w = p; w < e;) {
			const char *end = strstr(w, "?=");

			assert_true(strncmp(w, "=?UTF-8?B?", 10) == 0);
			assert_true(end + 2 - w <= 75);
			w = end + 2;
			if (w < e) {
				assert_true(strncmp(w, "\r\n ", 3) == 0);
				w += 3;
			}
		}
		buf_release(&m);
		buf_release(&subj);
	}
}

/* ---- injection and validation ---- */

static const struct {
	const char *to, *subject, *body;
	enum err want;
} bad_mails[] = {
    {"victim@example.org\r\nBcc: all@example.org", "s", "b", SE_INVAL},
    {"victim@example.org\nBcc: all@example.org", "s", "b", SE_INVAL},
    {"a@b.org", "Hi\r\nBcc: all@example.org", "b", SE_INVAL},
    {"a@b.org", "Hi\rX", "b", SE_INVAL},
    {"a@b.org", "Hi\nX", "b", SE_INVAL},
    {"a@b.org, c@d.org", "s", "b", SE_INVAL},
    {"<a@b.org>", "s", "b", SE_INVAL},
    {"Name <a@b.org>", "s", "b", SE_INVAL},
    {"ab.org", "s", "b", SE_INVAL},
    {"@b.org", "s", "b", SE_INVAL},
    {"a@", "s", "b", SE_INVAL},
    {"", "s", "b", SE_INVAL},
};

struct enq {
	struct str to, subject, body;
	int64_t now;
};

static enum err enq_cb(struct store_wtxn *w, void *arg)
{
	struct enq *e = arg;

	return mail_enqueue(w, e->to, e->subject, e->body, e->now);
}

struct fx {
	char dir[64];
	char maildir[96];
	struct store *s;
	struct cfg c;
	struct mail *m;
	unsigned port;
	pid_t server;
};

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_opts o = {.no_sync = true};

	memcpy(f->dir, "/tmp/sol-mail-XXXXXX", 21);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->maildir, sizeof(f->maildir), "%s/maildir", f->dir);
	assert_int_equal(store_open(f->dir, &schema, &o, &f->s, NULL), SE_OK);
	cfg_init(&f->c);
	set_str(&f->c.hosts.app, APP);
	set_str(&f->c.smtp.host, "127.0.0.1");
	set_str(&f->c.smtp.from_address, "Solstice <noreply@chat.example.org>");
	f->c.smtp.use_tls = false;
	f->server = -1;
	*state = f;
	return 0;
}

static void server_stop(struct fx *f)
{
	int st;

	if (f->server <= 0)
		return;
	kill(f->server, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(f->server, &st, WNOHANG) == f->server) {
			f->server = -1;
			return;
		}
		sleep_ms(50);
	}
	kill(f->server, SIGKILL);
	waitpid(f->server, &st, 0);
	f->server = -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mail_free(f->m);
	server_stop(f);
	store_close(f->s);
	cfg_release(&f->c);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	mem_free(f);
	return 0;
}

static void test_injection(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	size_t n;

	for (size_t i = 0; i < sizeof(bad_mails) / sizeof(bad_mails[0]); i++) {
		struct enq e = {str_from(bad_mails[i].to), str_from(bad_mails[i].subject),
		                str_from(bad_mails[i].body), wall_ms()};
		struct buf m = BUF_INIT(MAIL_MESSAGE_MAX);

		if (store_write(f->s, enq_cb, &e, NULL) != bad_mails[i].want)
			fail_msg("enqueue case %zu accepted", i);
		assert_int_equal(mail_message_build(STR_LIT("a@b.org"), e.to, e.subject, e.body, 0,
		                                    STR_LIT("id"), &m),
		                 bad_mails[i].want);
		buf_release(&m);
	}
	{
		/* NUL in the body, a line over 998 bytes, oversized fields */
		static char big[MAIL_BODY_MAX + 2];
		struct enq e = {STR_LIT("a@b.org"), STR_LIT("s"), {"a\0b", 3}, wall_ms()};

		assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_INVAL);
		memset(big, 'x', sizeof(big));
		e.body = (struct str){big, MAIL_LINE_MAX + 1};
		assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_INVAL);
		e.body = (struct str){big, MAIL_LINE_MAX};
		e.subject = (struct str){big, MAIL_SUBJECT_MAX + 1};
		assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_TOO_LARGE);
		e.subject = STR_LIT("s");
		for (size_t k = MAIL_LINE_MAX; k < sizeof(big); k += MAIL_LINE_MAX)
			big[k] = '\n';
		e.body = (struct str){big, sizeof(big)};
		assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_TOO_LARGE);
	}
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &mail_q, &n), SE_OK);
	store_read_end(t);
	assert_int_equal(n, 0);

	/* a configuration that could inject is refused up front */
	set_str(&f->c.smtp.from_address, "a@b.org\r\nBcc: x@y.org");
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_CONFIG);
	set_str(&f->c.smtp.from_address, "noreply@chat.example.org");
	set_str(&f->c.smtp.host, "");
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_CONFIG);
	assert_null(f->m);
}

/* ---- against a real SMTP server ---- */

static bool have_aiosmtpd(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open("/dev/null", 0);

		dup2(fd, 2);
		execl(PYTHON, PYTHON, "-c", "import aiosmtpd", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static unsigned free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_open(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

static void server_start(struct fx *f)
{
	char listen[32];

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", f->port);
	f->server = fork();
	assert_true(f->server >= 0);
	if (f->server == 0) {
		td_child_init();
		int fd = open("/dev/null", 0);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(PYTHON, PYTHON, "-m", "aiosmtpd", "-n", "-l", listen, "-c",
		      "aiosmtpd.handlers.Mailbox", f->maildir, (char *)NULL);
		_exit(127);
	}
	for (int waited = 0; !port_open(f->port); waited += 50) {
		if (waited > WAIT_MS)
			fail_msg("aiosmtpd did not listen on %s", listen);
		sleep_ms(50);
	}
}

/* Reads the one delivered message into `out`; fails after WAIT_MS. */
static void wait_mail(struct fx *f, struct buf *out)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/new", f->maildir);
	for (int waited = 0; waited <= WAIT_MS; waited += 50) {
		DIR *d = opendir(path);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char file[600], chunk[4096];
			FILE *fp;
			size_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
			fp = fopen(file, "r");
			assert_non_null(fp);
			while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
				buf_append(out, chunk, n);
			fclose(fp);
			closedir(d);
			return;
		}
		if (d)
			closedir(d);
		sleep_ms(50);
	}
	fail_msg("no mail arrived in %s", path);
}

static void enqueue_verify(struct fx *f, const char *token)
{
	struct buf s = BUF_INIT(1024), b = BUF_INIT(8192);
	struct enq e;

	assert_int_equal(mailtpl_verify(&f->c, str_from(token), &s, &b), SE_OK);
	e = (struct enq){STR_LIT("new.user@example.com"), buf_str(&s), buf_str(&b), wall_ms()};
	assert_int_equal(store_write(f->s, enq_cb, &e, NULL), SE_OK);
	buf_release(&s);
	buf_release(&b);
}

static size_t pending(struct fx *f)
{
	struct store_txn *t;
	size_t n;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_pending_count(t, &mail_q, &n), SE_OK);
	store_read_end(t);
	return n;
}

static void wait_stat(struct fx *f, size_t off, uint64_t want)
{
	for (int waited = 0; waited <= WAIT_MS; waited += 20) {
		struct mail_stats st;

		mail_stats_get(f->m, &st);
		if (*(uint64_t *)((char *)&st + off) >= want)
			return;
		sleep_ms(20);
	}
	fail_msg("mail stats did not reach %llu", (unsigned long long)want);
}

static void check_delivered(struct buf *msg, const char *token)
{
	const char *s = buf_cstr(msg);
	char link[256];

	snprintf(link, sizeof(link), "\n" APP "/login/verify/%s\n", token);
	assert_non_null(strstr(s, "From: Solstice <noreply@chat.example.org>\n"));
	assert_non_null(strstr(s, "To: new.user@example.com\n"));
	assert_non_null(strstr(s, "Subject: Confirm your e-mail address\n"));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=utf-8\n"));
	assert_non_null(strstr(s, "@chat.example.org>\n"));
	assert_non_null(strstr(s, "Message-ID: <"));
	assert_non_null(strstr(s, "X-MailFrom: noreply@chat.example.org\n"));
	assert_non_null(strstr(s, "X-RcptTo: new.user@example.com\n"));
	if (!strstr(s, link))
		fail_msg("no link '%s' in:\n%s", link, s);
}

static void test_deliver(void **state)
{
	struct fx *f = *state;
	struct buf msg = BUF_INIT(1 << 20);
	struct mail_stats st;

	if (!have_aiosmtpd())
		skip();
	f->port = free_port();
	f->c.smtp.port = f->port;
	server_start(f);
	enqueue_verify(f, "tok_Deliver-0123456789abcdefghij");
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_OK);
	assert_int_equal(mail_start(f->m), SE_OK);
	assert_int_equal(mail_start(f->m), SE_BUSY);
	mail_kick(f->m);
	wait_mail(f, &msg);
	check_delivered(&msg, "tok_Deliver-0123456789abcdefghij");
	wait_stat(f, offsetof(struct mail_stats, sent), 1);
	mail_stop(f->m);
	mail_stats_get(f->m, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(pending(f), 0);
	buf_release(&msg);
}

static void test_retry_then_deliver(void **state)
{
	struct fx *f = *state;
	struct buf msg = BUF_INIT(1 << 20);
	struct queue_item dead[1];
	struct store_txn *t;
	struct mail_stats st;
	size_t n;

	if (!have_aiosmtpd())
		skip();
	f->port = free_port();
	f->c.smtp.port = f->port;
	enqueue_verify(f, "retrytoken");
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_OK);
	mail_set_timing(f->m, 100, 300, 20);
	assert_int_equal(mail_start(f->m), SE_OK);
	/* server down: connection refused, retried with backoff, still queued */
	wait_stat(f, offsetof(struct mail_stats, failed), 3);
	mail_stats_get(f->m, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.dead, 0);
	assert_int_equal(pending(f), 1);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_dead_list(t, &mail_q, NULL, dead, 1, &n), SE_OK);
	store_read_end(t);
	assert_int_equal(n, 0);
	/* server up (the mailer paused meanwhile, so a slow start cannot use up
	 * the attempts): the next retry goes through */
	mail_stop(f->m);
	server_start(f);
	assert_int_equal(mail_start(f->m), SE_OK);
	wait_mail(f, &msg);
	check_delivered(&msg, "retrytoken");
	wait_stat(f, offsetof(struct mail_stats, sent), 1);
	assert_int_equal(pending(f), 0);
	buf_release(&msg);
}

static void test_dead_letter(void **state)
{
	struct fx *f = *state;
	struct queue_item dead[2];
	struct store_txn *t;
	struct mail_stats st;
	size_t n;

	f->port = free_port();
	f->c.smtp.port = f->port;
	enqueue_verify(f, "deadtoken");
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_OK);
	mail_set_timing(f->m, 1, 1, 5);
	assert_int_equal(mail_start(f->m), SE_OK);
	wait_stat(f, offsetof(struct mail_stats, dead), 1);
	mail_stop(f->m);
	mail_stats_get(f->m, &st);
	assert_int_equal(st.failed, MAIL_MAX_ATTEMPTS);
	assert_int_equal(st.sent, 0);
	assert_int_equal(pending(f), 0);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(queue_dead_list(t, &mail_q, NULL, dead, 2, &n), SE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(dead[0].attempts, MAIL_MAX_ATTEMPTS);
	assert_non_null(memmem(dead[0].error.p, dead[0].error.n, "onnect", 6));
	store_read_end(t);
}

/* mail_stop returns promptly even while the worker idles on a long poll */
static void test_stop_prompt(void **state)
{
	struct fx *f = *state;
	int64_t t0;

	f->c.smtp.port = free_port();
	assert_int_equal(mail_new(&f->c, f->s, &f->m, NULL), SE_OK);
	mail_set_timing(f->m, 1000, 1000, 60000);
	assert_int_equal(mail_start(f->m), SE_OK);
	sleep_ms(50);
	t0 = wall_ms();
	mail_stop(f->m);
	assert_true(wall_ms() - t0 < 1000);
	mail_stop(f->m);
	mail_free(f->m);
	f->m = NULL;
	mail_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test_setup_teardown(test_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_then_deliver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dead_letter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_prompt, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
