/*
 * tools/bench/connprobe.c: how long a NEW connection waits for its answer
 * while the server is busy with many keep-alive clients and/or many slow
 * clients trickling header bytes (the slowloris pattern).
 *
 * Usage: connprobe PORT [KEEPALIVE_CLIENTS] [SLOW_CLIENTS] [SECONDS] [PATH]
 * Prints probe latency p50/p99/max, failed probes and the keep-alive load's
 * request rate. Only ever connects to 127.0.0.1; stops by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define MAX_PROBES 10000
#define PROBE_TIMEOUT_MS 10000

static int port;
static char path[256] = "/api/";
static atomic_int stop_flag;
static atomic_long ka_requests;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

static int dial(int nonblock)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bytes of a complete response at the start of buf, or 0 if incomplete. */
static size_t complete(const char *buf, size_t n)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	const char *cl;
	size_t hdr;

	if (!end)
		return 0;
	hdr = (size_t)(end - buf) + 4;
	cl = memmem(buf, hdr, "Content-Length: ", 16);
	if (!cl)
		return hdr;
	hdr += (size_t)atol(cl + 16);
	return n >= hdr ? hdr : 0;
}

struct ka_conn {
	int fd;
	size_t have;
	char buf[16384];
};

static void ka_send(struct ka_conn *c, const char *req, size_t len)
{
	if (send(c->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		c->fd = -1;
}

static void *keepalive_main(void *arg)
{
	int n = *(int *)arg, ep = epoll_create1(0);
	struct ka_conn *conns = xcalloc((size_t)n, sizeof(*conns));
	char req[512];
	int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);

	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};

		conns[i].fd = dial(0);
		if (conns[i].fd < 0)
			continue;
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
		ka_send(&conns[i], req, (size_t)len);
	}
	while (!atomic_load(&stop_flag)) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, 100);

		for (int i = 0; i < k; i++) {
			struct ka_conn *c = evs[i].data.ptr;
			ssize_t r = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
			size_t done;

			if (r <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = dial(0);
				c->have = 0;
				if (c->fd >= 0) {
					struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

					epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
					ka_send(c, req, (size_t)len);
				}
				continue;
			}
			c->have += (size_t)r;
			done = complete(c->buf, c->have);
			if (done) {
				memmove(c->buf, c->buf + done, c->have - done);
				c->have -= done;
				atomic_fetch_add(&ka_requests, 1);
				ka_send(c, req, (size_t)len);
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	mem_free(conns);
	close(ep);
	return NULL;
}

static void *slow_main(void *arg)
{
	int n = *(int *)arg;
	int *fds = xcalloc((size_t)n, sizeof(int));
	long next = 0;

	for (int i = 0; i < n; i++) {
		fds[i] = dial(1);
		if (fds[i] >= 0)
			send(fds[i], "GET / HTTP/1.1\r\nX-Slow: ", 24, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	while (!atomic_load(&stop_flag)) {
		if (now_us() >= next) {
			/* one more header byte every two seconds per client */
			for (int i = 0; i < n; i++)
				if (fds[i] >= 0)
					send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			next = now_us() + 2000000L;
		}
		usleep(20000);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	mem_free(fds);
	return NULL;
}

/* One new connection, one request; latency in microseconds or -1. */
static long probe(void)
{
	char req[512], buf[16384];
	int len = snprintf(req, sizeof(req),
	                   "GET %s HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n", path);
	long t0 = now_us();
	size_t have = 0;
	int fd = dial(0);

	if (fd < 0)
		return -1;
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		close(fd);
		return -1;
	}
	while (now_us() - t0 < PROBE_TIMEOUT_MS * 1000L) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (r <= 0)
			break;
		have += (size_t)r;
		if (complete(buf, have)) {
			close(fd);
			return now_us() - t0;
		}
	}
	close(fd);
	return -1;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int ka = argc > 2 ? atoi(argv[2]) : 256, slow = argc > 3 ? atoi(argv[3]) : 0;
	int secs = argc > 4 ? atoi(argv[4]) : 5, n = 0, failed = 0;
	static long lat[MAX_PROBES];
	pthread_t kt, st;
	struct rlimit rl;
	long t_end, t_start;

	if (argc < 2) {
		fprintf(stderr, "usage: connprobe PORT [KEEPALIVE] [SLOW] [SECONDS] [PATH]\n");
		return 2;
	}
	port = atoi(argv[1]);
	if (argc > 5)
		snprintf(path, sizeof(path), "%s", argv[5]);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pthread_create(&kt, NULL, keepalive_main, &ka);
	pthread_create(&st, NULL, slow_main, &slow);
	usleep(500000); /* let the load and the slow clients settle in */
	t_start = now_us();
	t_end = t_start + secs * 1000000L;
	atomic_store(&ka_requests, 0);
	while (now_us() < t_end && n < MAX_PROBES) {
		long l = probe();

		if (l < 0)
			failed++;
		else
			lat[n++] = l;
		usleep(50000);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(kt, NULL);
	pthread_join(st, NULL);
	qsort(lat, (size_t)n, sizeof(long), cmp_long);
	printf("connprobe keepalive=%d slow=%d probes=%d failed=%d p50=%.2fms p99=%.2fms "
	       "max=%.2fms load=%.0f req/s\n",
	       ka, slow, n, failed, n ? lat[n / 2] / 1000.0 : -1.0,
	       n ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0 : -1.0,
	       n ? lat[n - 1] / 1000.0 : -1.0,
	       (double)atomic_load(&ka_requests) / ((now_us() - t_start) / 1e6));
	return failed ? 1 : 0;
}
