/*
 * tools/bench/bench_ws.c: WebSocket fan-out of a running daemon (issue
 * "Real-time events", benchmark paragraph).
 *   bench_ws auth HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES BURST TOKENS CHANNEL
 *   bench_ws raw  HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES BURST
 * auth: SOCKETS sockets, spread round-robin over the session tokens in the
 * file TOKENS (one per line; users who are all members of the server that
 * owns text channel CHANNEL), each doing the bonfire handshake (Authenticate,
 * wait for Authenticated and Ready). Then MESSAGES messages are sent one at a
 * time over REST (POST /api/channels/CHANNEL/messages) and timed from the
 * request's write until the last socket has the Message event (p50/p99/max);
 * then BURST messages are sent by up to 4 concurrent senders (different
 * users, one request in flight each) for sustained deliveries/s. Every
 * delivery is counted per socket and message: a lost or duplicated one fails
 * the run.
 * raw: the baseline. Unauthenticated sockets Subscribe to a --dev topic and
 * the messages are POST /_dev/publish events (no sessions, no permissions).
 * Both report the daemon's RSS per idle socket (after the handshakes).
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
#define MARK "wsb#"
#define SENDERS_MAX 4
#define TOKEN_MAX 256
#define RESP_MAX 16384
/* frames are read into one shared buffer behind a socket's partial frame */
#define RBUF_SIZE (1 << 17)

struct conn {
	int fd;
	bool ready; /* raw: Pong seen; auth: Ready seen */
	bool authed;
	unsigned char *carry; /* partial frame between reads (owned) */
	size_t carry_n;
};

struct sender {
	int fd;
	const char *token;
	bool busy;
	long seq; /* message in flight */
	size_t n;
	char resp[RESP_MAX];
};

static struct conn *conns;
static long nconns;
static int ep;
static bool auth_mode;
static long *have;        /* sockets that have message i */
static uint64_t *seen;    /* nconns x words bitmap: socket c has message i */
static size_t seen_words; /* words per socket */
static long nmsgs_total;
static unsigned long dups; /* a socket got the same message twice */
static struct sender senders[SENDERS_MAX];
static int nsenders;
static const char *channel;
static char **tokens;
static long ntokens;
static int http_port;

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

static void fail(const char *what)
{
	fprintf(stderr, "bench_ws: %s\n", what);
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

/* Works on non-blocking sockets too: small writes, waits out EAGAIN. */
static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			usleep(100);
			continue;
		}
		if (k <= 0)
			die("write");
		p = (const char *)p + k;
		n -= (size_t)k;
	}
}

static void read_exact(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t k = read(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("read");
		p = (char *)p + k;
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
		read_exact(fd, buf + got, 1);
		got++;
		if (got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	buf[got] = '\0';
	sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

/* A client frame (masked with a zero key: the payload goes as is). */
static void ws_send(int fd, int op, const void *p, size_t n)
{
	unsigned char f[TOKEN_MAX + 128];
	size_t h = 2;

	if (n > sizeof(f) - 8)
		fail("client frame too large");
	f[0] = (unsigned char)(0x80 | op);
	if (n < 126) {
		f[1] = (unsigned char)(0x80 | n);
	} else {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(n >> 8);
		f[3] = (unsigned char)n;
		h = 4;
	}
	memset(f + h, 0, 4);
	memcpy(f + h + 4, p, n);
	write_all(fd, f, h + 4 + n);
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

static bool has(const unsigned char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* One complete server frame. */
static void on_frame(long ci, int op, const unsigned char *p, size_t n)
{
	struct conn *c = &conns[ci];
	const unsigned char *m;
	long seq;

	if (op == 9) { /* lws's keep-alive ping */
		ws_send(c->fd, 0xa, p, n < 125 ? n : 125);
		return;
	}
	if (op != 1)
		return;
	if (!c->ready) {
		if (auth_mode ? has(p, n, "\"type\":\"Ready\"") : has(p, n, "\"type\":\"Pong\""))
			c->ready = true;
		if (has(p, n, "\"type\":\"Authenticated\""))
			c->authed = true;
		if (has(p, n, "\"type\":\"Error\""))
			fail("the daemon answered the handshake with an Error");
		return;
	}
	if (!has(p, n, auth_mode ? "\"type\":\"Message\"" : "\"type\":\"Bench\""))
		return;
	m = memmem(p, n, MARK, sizeof(MARK) - 1);
	if (!m)
		return;
	seq = strtol((const char *)m + sizeof(MARK) - 1, NULL, 10);
	if (seq < 0 || seq >= nmsgs_total)
		return;
	{
		uint64_t *w = &seen[(size_t)ci * seen_words + (size_t)seq / 64];
		uint64_t bit = (uint64_t)1 << (seq % 64);

		if (*w & bit) {
			dups++;
			return;
		}
		*w |= bit;
	}
	have[seq]++;
}

/* Parses the frames in p[0..n), keeps a partial one. */
static void parse(long ci, const unsigned char *p, size_t n)
{
	struct conn *c = &conns[ci];

	while (n >= 2) {
		uint64_t len = p[1] & 0x7f;
		size_t hdr = 2;

		if (p[1] & 0x80)
			fail("masked server frame");
		if (len == 126) {
			if (n < 4)
				break;
			len = (uint64_t)p[2] << 8 | p[3];
			hdr = 4;
		} else if (len == 127) {
			if (n < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
			hdr = 10;
		}
		if (len > RBUF_SIZE / 2)
			fail("server frame larger than the read buffer");
		if (n < hdr + len)
			break;
		on_frame(ci, p[0] & 0x0f, p + hdr, (size_t)len);
		p += hdr + len;
		n -= hdr + (size_t)len;
	}
	if (n > c->carry_n || !c->carry)
		c->carry = xrealloc(c->carry, n ? n : 1);
	memmove(c->carry, p, n);
	c->carry_n = n;
}

static void conn_readable(long ci)
{
	static unsigned char buf[RBUF_SIZE];
	struct conn *c = &conns[ci];

	for (;;) {
		ssize_t r;

		memcpy(buf, c->carry, c->carry_n);
		r = read(c->fd, buf + c->carry_n, sizeof(buf) - c->carry_n);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "bench_ws: socket %ld closed by the daemon\n", ci);
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			exit(1);
		}
		parse(ci, buf, c->carry_n + (size_t)r);
	}
}

/* ---- REST senders (non-blocking, one request in flight each) ---- */

#define SENDER_TAG ((uint64_t)1 << 62)

static void sender_send(struct sender *s, long seq)
{
	char body[256], req[1024];
	int bn, rn;

	if (auth_mode) {
		bn = snprintf(body, sizeof(body), "{\"content\":\"" MARK "%ld# fan-out\"}", seq);
		rn = snprintf(req, sizeof(req),
		              "POST /api/channels/%s/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		              "X-Session-Token: %s\r\nContent-Type: application/json\r\n"
		              "Content-Length: %d\r\n\r\n%s",
		              channel, s->token, bn, body);
	} else {
		bn = snprintf(body, sizeof(body),
		              "{\"topic\":\"" TOPIC
		              "\",\"event\":{\"type\":\"Bench\",\"content\":\"" MARK "%ld#\"}}",
		              seq);
		rn = snprintf(req, sizeof(req),
		              "POST /_dev/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		              "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		              bn, body);
	}
	s->busy = true;
	s->seq = seq;
	s->n = 0;
	write_all(s->fd, req, (size_t)rn);
}

static void sender_connect(int i);

static void sender_readable(struct sender *s)
{
	for (;;) {
		ssize_t r = read(s->fd, s->resp + s->n, sizeof(s->resp) - 1 - s->n);
		char *end;
		long cl = 0;
		int status = 0;
		const char *h;

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 && !s->busy) { /* idle keep-alive closed: reconnect */
			epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
			close(s->fd);
			sender_connect((int)(s - senders));
			return;
		}
		if (r <= 0)
			fail("the REST connection closed during a request");
		s->n += (size_t)r;
		s->resp[s->n] = '\0';
		end = strstr(s->resp, "\r\n\r\n");
		if (!end) {
			if (s->n >= sizeof(s->resp) - 1)
				fail("REST response head too large");
			continue;
		}
		sscanf(s->resp, "HTTP/1.1 %d", &status);
		h = strcasestr(s->resp, "\r\ncontent-length:");
		if (h && h < end)
			cl = strtol(h + 17, NULL, 10);
		if ((size_t)(end + 4 - s->resp) + (size_t)cl > s->n) {
			if (s->n >= sizeof(s->resp) - 1)
				fail("REST response too large");
			continue;
		}
		if (status != (auth_mode ? 200 : 204)) {
			fprintf(stderr, "bench_ws: message %ld: HTTP %d: %s\n", s->seq, status,
			        end + 4);
			exit(1);
		}
		s->busy = false;
		s->n = 0;
		return;
	}
}

/* Reads everything ready within timeout_ms; returns false on timeout. */
static bool pump(int timeout_ms)
{
	struct epoll_event evs[256];
	int k = epoll_wait(ep, evs, 256, timeout_ms);

	if (k < 0 && errno != EINTR)
		die("epoll_wait");
	for (int i = 0; i < k; i++) {
		uint64_t id = evs[i].data.u64;

		if (id & SENDER_TAG)
			sender_readable(&senders[id & ~SENDER_TAG]);
		else
			conn_readable((long)id);
	}
	return k > 0;
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

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void load_tokens(const char *path)
{
	char line[TOKEN_MAX + 2];
	FILE *f = fopen(path, "r");

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");

		if (!n)
			continue;
		line[n] = '\0';
		tokens = xrealloc(tokens, (size_t)(ntokens + 1) * sizeof(*tokens));
		tokens[ntokens++] = xstrdup(line);
	}
	fclose(f);
	if (!ntokens)
		fail("no session tokens");
}

static void open_socket(long i, int ws_port)
{
	static const char up[] = "GET /?version=1&format=json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	                         "Sec-WebSocket-Version: 13\r\n\r\n";
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
	struct conn *c = &conns[i];

	c->fd = tcp_connect(ws_port);
	write_all(c->fd, up, sizeof(up) - 1);
	if (read_head(c->fd) != 101) {
		fprintf(stderr, "bench_ws: socket %ld: no 101\n", i);
		exit(1);
	}
	if (auth_mode) {
		char m[TOKEN_MAX + 64];
		int n = snprintf(m, sizeof(m), "{\"type\":\"Authenticate\",\"token\":\"%s\"}",
		                 tokens[i % ntokens]);

		ws_send(c->fd, 1, m, (size_t)n);
	} else {
		static const char sub[] = "{\"type\":\"Subscribe\",\"server_id\":\"" TOPIC "\"}";
		static const char ping[] = "{\"type\":\"Ping\",\"data\":0}";

		ws_send(c->fd, 1, sub, sizeof(sub) - 1);
		ws_send(c->fd, 1, ping, sizeof(ping) - 1);
	}
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		die("epoll_ctl");
}

/* Opens every socket, at most `window` handshakes outstanding. */
static void open_all(int ws_port, long window)
{
	double t0 = now_ms();
	long opened = 0, ready = 0;

	while (ready < nconns) {
		while (opened < nconns && opened - ready < window)
			open_socket(opened++, ws_port);
		if (now_ms() - t0 > 120000) {
			fprintf(stderr, "bench_ws: only %ld of %ld sockets are ready\n", ready,
			        nconns);
			exit(1);
		}
		pump(opened < nconns ? 1 : 100);
		ready = 0;
		for (long i = 0; i < opened; i++)
			ready += conns[i].ready;
	}
	for (long i = 0; i < nconns; i++)
		if (auth_mode && !conns[i].authed)
			fail("Ready without Authenticated");
}

static void sender_connect(int i)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SENDER_TAG | (uint64_t)i};

	senders[i].fd = tcp_connect(http_port);
	senders[i].busy = false;
	senders[i].n = 0;
	fcntl(senders[i].fd, F_SETFL, O_NONBLOCK);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, senders[i].fd, &ev))
		die("epoll_ctl");
}

/* Fresh connections (the daemon closes idle keep-alive ones). */
static void open_senders(int n)
{
	for (int i = 0; i < nsenders; i++) {
		epoll_ctl(ep, EPOLL_CTL_DEL, senders[i].fd, NULL);
		close(senders[i].fd);
	}
	nsenders = n;
	for (int i = 0; i < nsenders; i++) {
		senders[i].token = auth_mode ? tokens[i % ntokens] : NULL;
		sender_connect(i);
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int ws_port, pid;
	long nmsgs, burst, rss0, rss1, lost = 0;
	double *lat, t0, t1, hs_ms;

	if (argc < 2 || (strcmp(argv[1], "auth") == 0 ? argc != 10
	                                              : strcmp(argv[1], "raw") != 0 || argc != 8)) {
		fprintf(stderr,
		        "usage: bench_ws auth HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES "
		        "BURST TOKENS_FILE CHANNEL\n"
		        "       bench_ws raw HTTP_PORT WS_PORT DAEMON_PID SOCKETS MESSAGES "
		        "BURST\n");
		return 2;
	}
	auth_mode = strcmp(argv[1], "auth") == 0;
	http_port = (int)strtol(argv[2], NULL, 10);
	ws_port = (int)strtol(argv[3], NULL, 10);
	pid = (int)strtol(argv[4], NULL, 10);
	nconns = strtol(argv[5], NULL, 10);
	nmsgs = strtol(argv[6], NULL, 10);
	burst = strtol(argv[7], NULL, 10);
	if (nconns < 1 || nmsgs < 1 || burst < 0)
		fail("SOCKETS and MESSAGES must be >= 1");
	if (auth_mode) {
		load_tokens(argv[8]);
		channel = argv[9];
	}
	nmsgs_total = nmsgs + burst;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)nconns + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	conns = xcalloc((size_t)nconns, sizeof(*conns));
	have = xcalloc((size_t)nmsgs_total, sizeof(*have));
	seen_words = ((size_t)nmsgs_total + 63) / 64;
	seen = xcalloc((size_t)nconns * seen_words, sizeof(*seen));
	lat = xcalloc((size_t)nmsgs, sizeof(*lat));
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");

	rss0 = rss_kib(pid);
	t0 = now_ms();
	open_all(ws_port, 64);
	hs_ms = now_ms() - t0;
	/* let the daemon settle (presence updates, Ready scratch) before measuring */
	for (t0 = now_ms(); now_ms() - t0 < 500;)
		pump(50);
	rss1 = rss_kib(pid);
	open_senders(1);

	for (long s = 0; s < nmsgs; s++) {
		t1 = now_ms();
		sender_send(&senders[0], s);
		wait_all(s, t1 + 10000);
		lat[s] = now_ms() - t1;
		while (senders[0].busy)
			pump(100);
	}
	qsort(lat, (size_t)nmsgs, sizeof(*lat), cmp_d);

	open_senders(auth_mode ? (int)(ntokens < SENDERS_MAX ? ntokens : SENDERS_MAX)
	                       : SENDERS_MAX);
	t0 = now_ms();
	for (long next = nmsgs, done = nmsgs; done < nmsgs_total;) {
		for (int i = 0; i < nsenders && next < nmsgs_total; i++)
			if (!senders[i].busy)
				sender_send(&senders[i], next++);
		pump(10);
		while (done < nmsgs_total && have[done] == nconns)
			done++;
		if (now_ms() - t0 > 120000) {
			fprintf(stderr, "bench_ws: burst message %ld reached %ld of %ld sockets\n",
			        done, have[done], nconns);
			return 1;
		}
	}
	t1 = now_ms();
	/* late duplicates would show up here */
	for (double t2 = now_ms(); now_ms() - t2 < 200;)
		pump(20);
	for (long s = 0; s < nmsgs_total; s++)
		lost += nconns - have[s];

	printf("ws mode=%s sockets=%ld users=%ld handshakes=%.0fms rss_before=%ldKiB "
	       "rss_after=%ldKiB per_socket=%.2fKiB\n",
	       argv[1], nconns, auth_mode ? ntokens : 0, hs_ms, rss0, rss1,
	       (double)(rss1 - rss0) / (double)nconns);
	printf("ws mode=%s sockets=%ld messages=%ld last-socket p50=%.3fms p99=%.3fms max=%.3fms\n",
	       argv[1], nconns, nmsgs, lat[nmsgs / 2], lat[(nmsgs * 99) / 100], lat[nmsgs - 1]);
	if (burst)
		printf(
		    "ws mode=%s sockets=%ld burst=%ld senders=%d deliveries=%ld lost=%ld dup=%lu "
		    "in %.1fms: rate=%.0f deliveries/s\n",
		    argv[1], nconns, burst, nsenders, burst * nconns, lost, dups, t1 - t0,
		    (double)(burst * nconns) / ((t1 - t0) / 1e3));
	for (long i = 0; i < nconns; i++) {
		close(conns[i].fd);
		mem_free(conns[i].carry);
	}
	for (int i = 0; i < nsenders; i++)
		close(senders[i].fd);
	for (long i = 0; i < ntokens; i++)
		mem_free(tokens[i]);
	mem_free(tokens);
	mem_free(conns);
	mem_free(have);
	mem_free(seen);
	mem_free(lat);
	return lost || dups ? 1 : 0;
}
