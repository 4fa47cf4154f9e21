/*
 * tests/support/node.c: see node.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "tests/support/daemon.h"
#include "tests/support/node.h"

#define START_MS 15000
#define STOP_MS 15000
#define NODE_MS 180000
#define INSTALL_HINT "run tools/install-deps (installs node and does `npm ci --prefix tests/js`)"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_file(const char *path, bool exec)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (!exec || access(path, X_OK) == 0);
}

bool tn_node_find(char *out, size_t n)
{
	const char *env = getenv("SOLSTICE_NODE");
	const char *path = getenv("PATH");

	if (env && *env) {
		snprintf(out, n, "%s", env);
		return is_file(out, true);
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		if (len > 0 && (size_t)snprintf(out, n, "%.*s/node", (int)len, path) < n &&
		    is_file(out, true))
			return true;
		path += len + (colon ? 1 : 0);
	}
	return false;
}

int tn_run_bounded(const char *const *argv, char **output, int timeout_ms, bool *timed_out)
{
	struct buf out = BUF_INIT(4u << 20);
	long deadline = now_ms() + timeout_ms;
	int pipefd[2], st = 0;
	pid_t pid, r;

	*timed_out = false;
	*output = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		td_child_init();
		setpgid(0, 0);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here, so the kill below cannot race the child's */
	close(pipefd[1]);
	for (;;) {
		struct pollfd p = {pipefd[0], POLLIN, 0};
		long left = deadline - now_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) <= 0)
			continue;
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&out, chunk, (size_t)n);
	}
	close(pipefd[0]);
	/* EOF: the script has exited or closed its output; give it 10 s to be reaped. */
	deadline = now_ms() + 10000;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0) {
		if (now_ms() >= deadline) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			r = waitpid(pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	*output = buf_take(&out, NULL);
	buf_release(&out);
	if (r != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void tn_revoltjs_run(const char *script, const char *what, bool no_ratelimit)
{
	char node[PATH_MAX], url[128];
	char *output = NULL;
	struct td *d;
	bool timed_out;
	int rc, stop_rc;

	if (!tn_node_find(node, sizeof(node)))
		fail_msg("node (>= 18) not found %s; it runs the revolt.js client tests: %s",
		         getenv("SOLSTICE_NODE") ? "at $SOLSTICE_NODE" : "on PATH", INSTALL_HINT);
	if (!is_file(script, false))
		fail_msg("%s not found: run the integration tests from the repository root",
		         script);
	if (!is_file(TN_JS_DIR "/node_modules/revolt.js/package.json", false))
		fail_msg("%s/node_modules/revolt.js is missing: %s", TN_JS_DIR, INSTALL_HINT);

	if (no_ratelimit)
		setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	if (no_ratelimit)
		unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api", td_http_port(d));
	{
		const char *const argv[] = {node, script, url, NULL};

		const char *t = getenv("SOLSTICE_JS_TIMEOUT_MS");
		long v = t ? strtol(t, NULL, 10) : 0;
		int limit = v > 0 && v < INT_MAX ? (int)v : NODE_MS;

		rc = tn_run_bounded(argv, &output, limit, &timed_out);
	}
	stop_rc = td_stop(d, STOP_MS, false);
	if (rc != 0 || timed_out) {
		fprintf(stderr, "---- %s %s %s (exit %d%s) ----\n%s---- end ----\n", node, script,
		        url, rc, timed_out ? ", killed after the time limit" : "",
		        output ? output : "");
		mem_free(output);
		fail_msg("revolt.js %s failed (exit %d%s); its output is above", what, rc,
		         timed_out ? ", timed out" : "");
	}
	/* Passing runs show their step list too, in the test log. */
	fprintf(stderr, "%s", output ? output : "");
	mem_free(output);
	assert_int_equal(stop_rc, 0);
}
