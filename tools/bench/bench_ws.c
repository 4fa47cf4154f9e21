/*
 * tools/bench/bench_ws.c: WebSocket fan-out of a running daemon (--dev).
 *   bench_ws HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES BURST
 * Opens SOCKETS sockets (epoll, no lws), subscribes them all to one topic,
 * reports the daemon's RSS per idle socket, then times MESSAGES publishes
 * (POST /_dev/publish, one at a time) until the last socket has each one
 * (p50/p99/max), then BURST publishes back to back for deliveries/s.
 * Only 127.0.0.1 is contacted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define TOPIC "benchtopic"
/* bytes of a partial frame kept per socket between reads */
#define CARRY_MAX 512

struct conn {
	int fd;
	long last_seq; /* highest seq seen */
	unsigned long got;
	size_t carry_n;
	unsigned char carry[CARRY_MAX];
};

static struct conn *conns;
static long nconns;
static int ep;
static long *have; /* sockets that have seq i */
static long nmsgs_total;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ws: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			die("write");
		p = (const char *)p + k;
		n -= (size_t)k;
	}
}

/* Blocking read up to the end of an HTTP head; returns the status. */
static int read_head(int fd)
{
	char buf[2048];
	size_t got = 0;
	int status = 0;

	while (got < sizeof(buf) - 1) {
		if (read(fd, buf + got, 1) != 1)
			die("read head");
		got++;
		if (got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	buf[got] = '\0';
	sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

static void ws_send_text(int fd, const char *s)
{
	unsigned char f[256];
	size_t n = strlen(s);

	f[0] = 0x81;
	f[1] = (unsigned char)(0x80 | n);
	memset(f + 2, 0, 4); /* zero mask: payload goes as is */
	memcpy(f + 6, s, n);
	write_all(fd, f, 6 + n);
}

static long rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* One complete server frame's payload. */
static void on_frame(struct conn *c, int op, const unsigned char *p, size_t n)
{
	const char *s;
	long seq;

	if (op != 1)
		return;
	s = memmem(p, n, "\"seq\":", 6);
	if (!s) {
		/* the Pong: this socket is subscribed */
		if (c->last_seq < -1)
			c->last_seq = -1;
		return;
	}
	seq = strtol(s + 6, NULL, 10);
	if (seq >= 0 && seq < nmsgs_total) {
		have[seq]++;
		c->got++;
		c->last_seq = seq;
	}
}

static void parse(struct conn *c, const unsigned char *p, size_t n)
{
	while (n >= 2) {
		size_t len = p[1] & 0x7f, hdr = 2;

		if (len == 126) {
			if (n < 4)
				break;
			len = (size_t)p[2] << 8 | p[3];
			hdr = 4;
		} else if (len == 127) {
			fprintf(stderr, "bench_ws: unexpected huge frame\n");
			exit(1);
		}
		if (n < hdr + len)
			break;
		on_frame(c, p[0] & 0x0f, p + hdr, len);
		p += hdr + len;
		n -= hdr + len;
	}
	if (n > CARRY_MAX) {
		fprintf(stderr, "bench_ws: frame larger than the carry buffer\n");
		exit(1);
	}
	memmove(c->carry, p, n);
	c->carry_n = n;
}

/* Read everything ready on up to `timeout_ms`; returns false on timeout. */
static bool pump(int timeout_ms)
{
	static unsigned char buf[1 << 16];
	struct epoll_event evs[256];
	int k = epoll_wait(ep, evs, 256, timeout_ms);

	if (k < 0 && errno != EINTR)
		die("epoll_wait");
	for (int i = 0; i < k; i++) {
		struct conn *c = &conns[evs[i].data.u64];

		for (;;) {
			ssize_t r;

			memcpy(buf, c->carry, c->carry_n);
			r = read(c->fd, buf + c->carry_n, sizeof(buf) - c->carry_n);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (r <= 0) {
				fprintf(stderr, "bench_ws: socket %ld closed by the daemon\n",
				        (long)evs[i].data.u64);
				exit(1);
			}
			parse(c, buf, c->carry_n + (size_t)r);
		}
	}
	return k > 0;
}

static void publish(int hfd, long seq)
{
	char body[128], req[512];
	int bn =
	    snprintf(body, sizeof(body),
	             "{\"topic\":\"" TOPIC "\",\"event\":{\"type\":\"Bench\",\"seq\":%ld}}", seq);
	int rn = snprintf(req, sizeof(req),
	                  "POST /_dev/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
	                  bn, body);

	write_all(hfd, req, (size_t)rn);
	if (read_head(hfd) != 204) {
		fprintf(stderr,
		        "bench_ws: /_dev/publish did not answer 204 (is the daemon in --dev?)\n");
		exit(1);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void wait_all(long seq, double deadline)
{
	while (have[seq] < nconns)
		if (now_ms() > deadline) {
			fprintf(stderr,
			        "bench_ws: message %ld reached %ld of %ld sockets in time\n", seq,
			        have[seq], nconns);
			exit(1);
		} else {
			pump(100);
		}
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int http_port, ws_port, pid, hfd;
	long nmsgs, burst, rss0, rss1;
	double *lat, t0, t1;

	if (argc != 7) {
		fprintf(stderr,
		        "usage: bench_ws HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES BURST\n");
		return 2;
	}
	http_port = (int)strtol(argv[1], NULL, 10);
	ws_port = (int)strtol(argv[2], NULL, 10);
	pid = (int)strtol(argv[3], NULL, 10);
	nconns = strtol(argv[4], NULL, 10);
	nmsgs = strtol(argv[5], NULL, 10);
	burst = strtol(argv[6], NULL, 10);
	nmsgs_total = nmsgs + burst;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)nconns + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	conns = xcalloc((size_t)nconns, sizeof(*conns));
	have = xcalloc((size_t)nmsgs_total, sizeof(*have));
	lat = xcalloc((size_t)(nmsgs ? nmsgs : 1), sizeof(*lat));
	ep = epoll_create1(0);
	rss0 = rss_kib(pid);

	for (long i = 0; i < nconns; i++) {
		static const char up[] =
		    "GET /?version=1&format=json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: "
		    "websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n";
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		struct conn *c = &conns[i];

		c->fd = tcp_connect(ws_port);
		c->last_seq = -2;
		write_all(c->fd, up, sizeof(up) - 1);
		if (read_head(c->fd) != 101) {
			fprintf(stderr, "bench_ws: socket %ld: no 101\n", i);
			return 1;
		}
		ws_send_text(c->fd, "{\"type\":\"Subscribe\",\"server_id\":\"" TOPIC "\"}");
		ws_send_text(c->fd, "{\"type\":\"Ping\",\"data\":0}");
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
			die("epoll_ctl");
	}
	/* every socket answered its Ping: all are subscribed */
	t0 = now_ms();
	for (;;) {
		long ready = 0;

		for (long i = 0; i < nconns; i++)
			ready += conns[i].last_seq >= -1;
		if (ready == nconns)
			break;
		if (now_ms() - t0 > 30000) {
			fprintf(stderr, "bench_ws: only %ld of %ld sockets answered\n", ready,
			        nconns);
			return 1;
		}
		pump(100);
	}
	/* let the daemon settle before measuring memory */
	usleep(300 * 1000);
	rss1 = rss_kib(pid);

	hfd = tcp_connect(http_port);
	for (long s = 0; s < nmsgs; s++) {
		t1 = now_ms();
		publish(hfd, s);
		wait_all(s, t1 + 10000);
		lat[s] = now_ms() - t1;
	}
	qsort(lat, (size_t)(nmsgs ? nmsgs : 1), sizeof(*lat), cmp_d);

	t0 = now_ms();
	for (long s = nmsgs; s < nmsgs_total; s++) {
		publish(hfd, s);
		pump(0);
	}
	for (long s = nmsgs; s < nmsgs_total; s++)
		wait_all(s, t0 + 60000);
	t1 = now_ms();

	printf("ws sockets=%ld rss_before=%ldKiB rss_after=%ldKiB per_socket=%.2fKiB\n", nconns,
	       rss0, rss1, nconns ? (double)(rss1 - rss0) / (double)nconns : 0.0);
	if (nmsgs)
		printf("ws sockets=%ld messages=%ld last-socket latency p50=%.3fms p99=%.3fms "
		       "max=%.3fms\n",
		       nconns, nmsgs, lat[nmsgs / 2], lat[(nmsgs * 99) / 100], lat[nmsgs - 1]);
	if (burst)
		printf("ws sockets=%ld burst=%ld deliveries=%ld in %.1fms: %.0f deliveries/s\n",
		       nconns, burst, burst * nconns, t1 - t0,
		       (double)(burst * nconns) / ((t1 - t0) / 1e3));
	for (long i = 0; i < nconns; i++)
		close(conns[i].fd);
	close(hfd);
	mem_free(conns);
	mem_free(have);
	mem_free(lat);
	return 0;
}
