/*
 * tests/integration/test_admin_cli.c: solstice-admin against the data
 * directory of a running daemon: domain blocks added, listed, re-added and
 * removed while it serves requests; `user privileged` takes effect in the
 * daemon at once (PATCH /users/@me with badges: NotPrivileged, then 200);
 * bad usage exits 2 with one line on stderr, failures exit 1.
 *
 * The binary: $SOLSTICE_ADMIN_BIN, else solstice-admin next to
 * $SOLSTICE_BIN, else build/release/solstice-admin.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000
#define RUN_MS 20000

static char g_admin[1024];

static void find_admin(void)
{
	const char *a = getenv("SOLSTICE_ADMIN_BIN");
	const char *s = getenv("SOLSTICE_BIN");
	const char *slash = s ? strrchr(s, '/') : NULL;

	if (a && *a)
		snprintf(g_admin, sizeof(g_admin), "%s", a);
	else if (slash)
		snprintf(g_admin, sizeof(g_admin), "%.*s/solstice-admin", (int)(slash - s), s);
	else
		snprintf(g_admin, sizeof(g_admin), "build/release/solstice-admin");
}

struct run {
	int status;
	char out[8192];
	char err[2048];
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Runs solstice-admin with the NULL-terminated args; bounded by RUN_MS. */
static void admin(struct run *r, const char *const *args)
{
	const char *argv[32];
	int po[2], pe[2], n = 0;
	size_t lo = 0, le = 0;
	long deadline = now_ms() + RUN_MS;
	pid_t pid;
	int st = 0;

	memset(r, 0, sizeof(*r));
	argv[n++] = g_admin;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	for (int open = 2; open > 0;) {
		struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		long left = deadline - now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)left) <= 0)
			continue;
		for (int k = 0; k < 2; k++) {
			char *dst = k ? r->err : r->out;
			size_t *len = k ? &le : &lo;
			size_t cap = k ? sizeof(r->err) : sizeof(r->out);
			ssize_t got;

			if (!(p[k].revents & (POLLIN | POLLHUP)) || p[k].fd < 0)
				continue;
			got = read(p[k].fd, dst + *len, cap - 1 - *len);
			if (got <= 0) {
				close(p[k].fd);
				if (k)
					pe[0] = -1;
				else
					po[0] = -1;
				open--;
				continue;
			}
			*len += (size_t)got;
			dst[*len] = '\0';
		}
		if (po[0] < 0 && pe[0] < 0)
			break;
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Exactly one line on stderr. */
static void one_line(const struct run *r)
{
	const char *nl = strchr(r->err, '\n');

	if (!nl || nl[1] != '\0')
		fail_msg("stderr is not one line: '%s'", r->err);
	assert_non_null(strstr(r->err, "solstice-admin: "));
}

static void test_domain_blocks_live(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	char dir[512];
	struct run r;
	struct td_resp h;

	(void)state;
	assert_non_null(d);
	snprintf(dir, sizeof(dir), "%s", td_data_dir(d));
	{
		const char *a[] = {"--data", dir, "domain-block", "list", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "");
	}
	{
		const char *a[] = {
		    "--data",     dir, "domain-block", "add", "Spam.Example.:443", "--reason",
		    "spam\twave", NULL};

		admin(&r, a);
		if (r.status != 0)
			fail_msg("add: %d %s", r.status, r.err);
		assert_string_equal(r.out, "blocked spam.example\n");
	}
	{
		const char *a[] = {"--data", dir, "domain-block", "add", "bad.example", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
	}
	/* the daemon keeps serving while the CLI writes */
	assert_int_equal(td_http(td_http_port(d), "GET", "/api/", NULL, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	td_resp_release(&h);
	{
		const char *a[] = {"--data", dir, "domain-block", "list", NULL};
		char *tab;

		admin(&r, a);
		assert_int_equal(r.status, 0);
		/* domain order, tab-separated, the reason's tab flattened */
		assert_true(strncmp(r.out, "bad.example\tsuspend\t20", 22) == 0);
		tab = strstr(r.out, "\nspam.example\tsuspend\t20");
		assert_non_null(tab);
		assert_non_null(strstr(tab, "Z\tspam wave\n"));
	}
	{
		const char *a[] = {"--data", dir, "domain-block", "remove", "BAD.example", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "unblocked bad.example\n");
		admin(&r, a);
		assert_int_equal(r.status, 1);
		one_line(&r);
		assert_non_null(strstr(r.err, "not blocked"));
	}
	{
		const char *a[] = {"--data", dir, "domain-block", "list", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
		assert_null(strstr(r.out, "bad.example"));
		assert_non_null(strstr(r.out, "spam.example"));
	}
	/* the block survives a restart */
	assert_int_equal(td_stop(d, STOP_MS, true), 0);
	d = td_start(NULL, dir, START_MS);
	assert_non_null(d);
	{
		const char *a[] = {"--data", dir, "domain-block", "list", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "spam.example"));
	}
	td_stop(d, STOP_MS, false);
}

static void test_user_privileged_live(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	struct tc_user u;
	struct run r;
	const char *dir;
	json_t *me;

	(void)state;
	assert_non_null(d);
	dir = td_data_dir(d);
	tc_user_make(d, "adminee", &u);
	tc_expect(d, "PATCH", "/api/users/@me", u.token, "{\"badges\":1}", 403, "NotPrivileged");
	{
		const char *a[] = {"--data", dir, "user", "privileged", u.id, "on", NULL};

		admin(&r, a);
		if (r.status != 0)
			fail_msg("privileged on: %d %s", r.status, r.err);
	}
	/* the running daemon sees the flag on its next read */
	me = tc_ok(d, "PATCH", "/api/users/@me", u.token, "{\"badges\":1}", 200);
	json_decref(me);
	{
		const char *a[] = {"--data", dir, "user", "privileged", u.id, "off", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
	}
	tc_expect(d, "PATCH", "/api/users/@me", u.token, "{\"badges\":2}", 403, "NotPrivileged");
	{
		const char *a[] = {
		    "--data", dir, "user", "privileged", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "on", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 1);
		one_line(&r);
		assert_non_null(strstr(r.err, "no user"));
	}
	td_stop(d, STOP_MS, false);
}

static void test_bad_usage(void **state)
{
	static const char *const cases[][8] = {
	    {NULL},
	    {"frobnicate", NULL},
	    {"--bogus", NULL},
	    {"--data", NULL},
	    {"--data", "/tmp", "domain-block", NULL},
	    {"--data", "/tmp", "domain-block", "add", NULL},
	    {"--data", "/tmp", "domain-block", "add", "bad domain!", NULL},
	    {"--data", "/tmp", "domain-block", "add", "a.example", "b.example", NULL},
	    {"--data", "/tmp", "domain-block", "add", "a.example", "--reason", NULL},
	    {"--data", "/tmp", "domain-block", "add", "a.example", "--what", NULL},
	    {"--data", "/tmp", "domain-block", "remove", NULL},
	    {"--data", "/tmp", "domain-block", "list", "extra", NULL},
	    {"--data", "/tmp", "domain-block", "purge", "x.example", NULL},
	    {"--data", "/tmp", "user", NULL},
	    {"--data", "/tmp", "user", "privileged", "not-a-ulid", "on", NULL},
	    {"--data", "/tmp", "user", "privileged", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "maybe", NULL},
	    {"--data", "/tmp", "user", "privileged", "01ARZ3NDEKTSV4RRFFQ69G5FAV", NULL},
	};
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		admin(&r, cases[i]);
		if (r.status != 2)
			fail_msg("case %zu: exit %d, stderr '%s'", i, r.status, r.err);
		one_line(&r);
		assert_string_equal(r.out, "");
	}
	/* a directory without a database: failure, not a fresh database */
	{
		char dir[] = "/tmp/sol-admin-XXXXXX";
		const char *a[] = {"--data", dir, "domain-block", "list", NULL};
		char db[64];

		assert_non_null(mkdtemp(dir));
		admin(&r, a);
		assert_int_equal(r.status, 1);
		one_line(&r);
		snprintf(db, sizeof(db), "%s/db", dir);
		assert_int_equal(access(db, F_OK), -1);
		rmdir(dir);
	}
	{
		const char *a[] = {"--help", NULL};

		admin(&r, a);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "domain-block add DOMAIN"));
		assert_string_equal(r.err, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_usage),
	    cmocka_unit_test(test_domain_blocks_live),
	    cmocka_unit_test(test_user_privileged_live),
	};

	find_admin();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
