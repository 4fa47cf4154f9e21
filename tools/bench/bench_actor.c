/*
 * tools/bench/bench_actor.c: GETs of one document by blocking client
 * threads, either all on keep-alive connections or with a NEW connection
 * per request (connect + request + full response + close), the pattern of
 * fediverse peers fetching an actor. Latency covers the whole exchange.
 *
 * Usage: bench_actor PORT PATH THREADS SECONDS keep|close [ACCEPT]
 * Prints one line: "bench_actor mode=.. rps=.. p50_ms=.. p99_ms=.. max_ms=..
 * non200=.. errors=.. bytes=.." (bytes: body size of the last response).
 * Only ever connects to 127.0.0.1; stops by itself; exit 1 when nothing
 * succeeded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define MAX_THREADS 256
#define MAX_SAMPLES_PER_THREAD 2000000
#define RESP_MAX (1 << 20)
#define IO_TIMEOUT_S 10

struct worker {
	pthread_t t;
	long *lat_us;
	size_t n;
	long non200, errors, body_bytes;
};

static int port;
static const char *path, *accept_hdr;
static int keep;
static long deadline_us;
static char request[2048];
static size_t request_len;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

static int dial(void)
{
	struct sockaddr_in a = {0};
	struct timeval tv = {IO_TIMEOUT_S, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request on `fd`, the whole response read. Status, or -1 on an I/O error. */
static int exchange(int fd, char *buf, long *body_len)
{
	size_t got = 0, off = 0;
	char *end = NULL;
	long clen = -1;
	int status;

	while (off < request_len) {
		ssize_t w = send(fd, request + off, request_len - off, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	while (!end) {
		ssize_t r = recv(fd, buf + got, RESP_MAX - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end && got >= RESP_MAX - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
		if (strncasecmp(h + 2, "content-length:", 15) == 0)
			clen = strtol(h + 17, NULL, 10);
	if (clen < 0 || clen > RESP_MAX)
		return -1;
	/* the rest of the body: counted, not kept (the headers are parsed already) */
	for (long have = (long)got - (long)(end + 4 - buf); have < clen;) {
		ssize_t r = recv(fd, buf, RESP_MAX - 1, 0);

		if (r <= 0)
			return -1;
		have += r;
	}
	*body_len = clen;
	return status;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char *buf = xmalloc(RESP_MAX);
	int fd = -1;

	while (now_us() < deadline_us && w->n < MAX_SAMPLES_PER_THREAD) {
		long t0 = now_us(), body = 0;
		int st;

		if (fd < 0 && (fd = dial()) < 0) {
			w->errors++;
			continue;
		}
		st = exchange(fd, buf, &body);
		if (st < 0) {
			w->errors++;
			close(fd);
			fd = -1;
			continue;
		}
		w->lat_us[w->n++] = now_us() - t0;
		w->body_bytes = body;
		if (st != 200)
			w->non200++;
		if (!keep) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	mem_free(buf);
	return NULL;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	int threads, secs;
	size_t total = 0, k = 0;
	long non200 = 0, errors = 0, bytes = 0, t0, elapsed;
	long *all;

	if (argc < 6) {
		fprintf(stderr,
		        "usage: bench_actor PORT PATH THREADS SECONDS keep|close [ACCEPT]\n");
		return 2;
	}
	port = (int)strtol(argv[1], NULL, 10);
	path = argv[2];
	threads = (int)strtol(argv[3], NULL, 10);
	secs = (int)strtol(argv[4], NULL, 10);
	keep = strcmp(argv[5], "keep") == 0;
	accept_hdr = argc > 6 ? argv[6] : "application/activity+json";
	if (port <= 0 || threads <= 0 || threads > MAX_THREADS || secs <= 0 || secs > 600) {
		fprintf(stderr, "bench_actor: bad arguments\n");
		return 2;
	}
	request_len = (size_t)snprintf(request, sizeof(request),
	                               "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: %s\r\n"
	                               "User-Agent: bench_actor\r\n%s\r\n",
	                               path, port, accept_hdr, keep ? "" : "Connection: close\r\n");
	t0 = now_us();
	deadline_us = t0 + secs * 1000000L;
	for (int i = 0; i < threads; i++) {
		w[i].lat_us = xmalloc(sizeof(long) * MAX_SAMPLES_PER_THREAD);
		pthread_create(&w[i].t, NULL, run, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].n;
		non200 += w[i].non200;
		errors += w[i].errors;
		if (w[i].body_bytes)
			bytes = w[i].body_bytes;
	}
	elapsed = now_us() - t0;
	if (!total) {
		fprintf(stderr, "bench_actor: no request succeeded (%ld errors)\n", errors);
		return 1;
	}
	all = xmalloc(sizeof(long) * total);
	for (int i = 0; i < threads; i++) {
		memcpy(all + k, w[i].lat_us, sizeof(long) * w[i].n);
		k += w[i].n;
		mem_free(w[i].lat_us);
	}
	qsort(all, total, sizeof(long), cmp_long);
	printf("bench_actor mode=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non200=%ld "
	       "errors=%ld bytes=%ld\n",
	       keep ? "keep" : "close", (double)total * 1e6 / (double)elapsed,
	       (double)all[total / 2] / 1000.0, (double)all[total * 99 / 100] / 1000.0,
	       (double)all[total - 1] / 1000.0, non200, errors, bytes);
	mem_free(all);
	return 0;
}
