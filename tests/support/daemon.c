/*
 * tests/support/daemon.c: spawn, watch and stop the real daemon; a small
 * libcurl HTTP client for integration tests.
 */
#include "tests/support/daemon.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

#define TD_LOG_MAX (64u << 20)

struct td {
	pid_t pid;
	int err_fd;
	pthread_t drain;
	bool drain_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct buf log;
	bool eof;
	int http_port, ws_port;
	char data[256];
	bool own_data;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *drain_main(void *arg)
{
	struct td *d = arg;
	char chunk[4096];

	for (;;) {
		ssize_t n = read(d->err_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&d->mu);
		if (n <= 0) {
			d->eof = true;
			pthread_cond_broadcast(&d->cv);
			pthread_mutex_unlock(&d->mu);
			break;
		}
		buf_append(&d->log, chunk, (size_t)n);
		if (getenv("TD_ECHO"))
			fwrite(chunk, 1, (size_t)n, stderr);
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
	}
	return NULL;
}

static const char *bin(void)
{
	const char *b = getenv("SOLSTICE_BIN");

	return b && *b ? b : "build/release/solstice";
}

static bool wait_log(struct td *d, const char *needle, int timeout_ms, char *line, size_t n)
{
	long deadline = now_ms() + timeout_ms;
	bool found = false;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		const char *p = strstr(buf_cstr(&d->log), needle);

		if (p) {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			if (line) {
				if (len >= n)
					len = n - 1;
				memcpy(line, p, len);
				line[len] = '\0';
			}
			found = true;
			break;
		}
		if (d->eof || now_ms() >= deadline)
			break;
		{
			struct timespec ts;
			long ms = deadline - now_ms();

			clock_gettime(CLOCK_REALTIME, &ts);
			if (ms > 50)
				ms = 50;
			ts.tv_nsec += ms * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&d->cv, &d->mu, &ts);
		}
	}
	pthread_mutex_unlock(&d->mu);
	return found;
}

bool td_log_has(struct td *d, const char *needle, int timeout_ms)
{
	return wait_log(d, needle, timeout_ms, NULL, 0);
}

void td_child_init(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1) /* the parent died before prctl */
		_exit(127);
}

/* A test writing to a peer that hung up must see EPIPE, not die of SIGPIPE. */
__attribute__((constructor)) static void td_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

void td_rm_rf(const char *dir)
{
	pid_t p = fork();

	if (p == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void td_free(struct td *d, bool keep_data)
{
	if (d->drain_started)
		pthread_join(d->drain, NULL);
	if (d->err_fd >= 0)
		close(d->err_fd);
	if (d->own_data && !keep_data)
		td_rm_rf(d->data);
	buf_release(&d->log);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	mem_free(d);
}

/* The port of the "key=host:port" token in `line`, or 0. */
static int port_of(const char *line, const char *key)
{
	const char *p = strstr(line, key), *colon = NULL;

	if (!p)
		return 0;
	for (; *p && *p != ' '; p++)
		if (*p == ':')
			colon = p;
	return colon ? atoi(colon + 1) : 0;
}

struct td *td_start(const char *const *extra, const char *data_dir, int timeout_ms)
{
	struct td *d = xcalloc(1, sizeof(*d));
	const char *argv[64];
	char line[512];
	int pipefd[2], n = 0;

	d->err_fd = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	buf_init(&d->log, TD_LOG_MAX);
	if (data_dir) {
		snprintf(d->data, sizeof(d->data), "%s", data_dir);
	} else {
		snprintf(d->data, sizeof(d->data), "/tmp/solstice-test-XXXXXX");
		if (!mkdtemp(d->data)) {
			perror("td_start: mkdtemp");
			td_free(d, true);
			return NULL;
		}
		d->own_data = true;
	}
	argv[n++] = bin();
	argv[n++] = "--http";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--ws";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--data";
	argv[n++] = d->data;
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC)) {
		td_free(d, false);
		return NULL;
	}
	d->pid = fork();
	if (d->pid == 0) {
		td_child_init();
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	d->err_fd = pipefd[0];
	if (d->pid < 0) {
		td_free(d, false);
		return NULL;
	}
	if (pthread_create(&d->drain, NULL, drain_main, d) == 0)
		d->drain_started = true;
	if (!wait_log(d, "ready http=", timeout_ms, line, sizeof(line))) {
		fprintf(stderr, "td_start: %s did not become ready; its output:\n%s\n", argv[0],
		        buf_cstr(&d->log));
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		td_free(d, false);
		return NULL;
	}
	d->http_port = port_of(line, "http=");
	d->ws_port = port_of(line, "ws=");
	return d;
}

int td_http_port(const struct td *d)
{
	return d->http_port;
}

int td_ws_port(const struct td *d)
{
	return d->ws_port;
}

const char *td_data_dir(const struct td *d)
{
	return d->data;
}

pid_t td_pid(const struct td *d)
{
	return d->pid;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -1;
		if (now_ms() >= deadline)
			return -2;
		usleep(10000);
	}
}

int td_stop(struct td *d, int timeout_ms, bool keep_data)
{
	int rc;

	kill(d->pid, SIGTERM);
	rc = wait_exit(d->pid, timeout_ms);
	if (rc == -2) {
		fprintf(stderr, "td_stop: daemon ignored SIGTERM for %d ms, killing\n", timeout_ms);
		kill(d->pid, SIGKILL);
		rc = wait_exit(d->pid, 5000);
		if (rc >= 0)
			rc = 128 + SIGKILL;
	}
	td_free(d, keep_data);
	return rc;
}

void td_kill9(struct td *d)
{
	kill(d->pid, SIGKILL);
	wait_exit(d->pid, 5000);
	td_free(d, true);
}

int td_run(const char *const *args, char **output, int timeout_ms)
{
	const char *argv[64];
	struct buf out = BUF_INIT(1 << 20);
	int pipefd[2], n = 0, rc;
	long deadline = now_ms() + timeout_ms;
	pid_t pid;

	argv[n++] = bin();
	for (int i = 1; args && args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		td_child_init();
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd p = {pipefd[0], POLLIN, 0};
		long left = deadline - now_ms();
		char chunk[4096];
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = read(pipefd[0], chunk, sizeof(chunk));
		if (r <= 0)
			break;
		buf_append(&out, chunk, (size_t)r);
	}
	close(pipefd[0]);
	rc = wait_exit(pid, 5000);
	if (output)
		*output = buf_take(&out, NULL);
	buf_release(&out);
	return rc;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
	buf_append(ud, p, sz * nm);
	return sz * nm;
}

int td_http(int port, const char *method, const char *path, const char *const *headers,
            const char *body, struct td_resp *out)
{
	struct buf b = BUF_INIT(64u << 20), h = BUF_INIT(1 << 20);
	struct curl_slist *hl = NULL;
	char url[1024];
	CURL *c = curl_easy_init();
	CURLcode cr;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	for (int i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	/* revolt-api sends string bodies as text/plain; do not add a JSON type. */
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cr = curl_easy_perform(c);
	if (cr == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	out->body = buf_take(&b, &out->body_len);
	out->headers = buf_take(&h, NULL);
	buf_release(&b);
	buf_release(&h);
	if (cr != CURLE_OK) {
		fprintf(stderr, "td_http: %s %s: %s\n", method, path, curl_easy_strerror(cr));
		return -1;
	}
	return 0;
}

void td_resp_release(struct td_resp *r)
{
	mem_free(r->body);
	mem_free(r->headers);
	memset(r, 0, sizeof(*r));
}

const char *td_resp_header(const struct td_resp *r, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *e = strstr(p, "\r\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;

			while (vl && *v == ' ') {
				v++;
				vl--;
			}
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = e ? e + 2 : NULL;
	}
	return NULL;
}
