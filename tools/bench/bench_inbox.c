/*
 * tools/bench/bench_inbox.c: inbound ActivityPub throughput. A fake remote
 * actor is served from a loopback thread here; N distinct activities are
 * pre-signed (draft-cavage, RSA-2048, the actor's key) and POSTed to the
 * daemon's shared inbox over CONNS keep-alive connections, after one warm-up
 * POST so the daemon holds the key. Each 202 means: signature verified,
 * activity parsed, idempotency checked and the activity durably queued.
 * The same bodies and headers are then POSTed to bare_http (the HTTP
 * listener answering from a bare handler): the ceiling, in the same run.
 * Target (issue #7): >= 2000 activities/s with p99 <= 50 ms to the 202.
 * Usage: bench_inbox DAEMON_PORT BARE_PORT [N] [CONNS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/str.h"
#include "federation/httpsig.h"

#define SIGNERS 2

static int fake_fd, fake_port, daemon_port;
static volatile int fake_stop;
static char *actor_json;
static EVP_PKEY *key;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* ---- the fake remote actor ---- */

static void *fake_main(void *arg)
{
	(void)arg;
	while (!fake_stop) {
		struct pollfd p = {fake_fd, POLLIN, 0};
		char req[8192], head[256];
		int c;

		if (poll(&p, 1, 100) != 1)
			continue;
		c = accept(fake_fd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, req, sizeof(req)) > 0) {
			snprintf(head, sizeof(head),
			         "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
			         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			         strlen(actor_json));
			if (write(c, head, strlen(head)) < 0 ||
			    write(c, actor_json, strlen(actor_json)) < 0)
				fprintf(stderr, "bench_inbox: fake write failed\n");
		}
		close(c);
	}
	return NULL;
}

static int fake_start(pthread_t *th)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL, *esc, id[128];
	long n;

	key = EVP_RSA_gen(2048);
	if (!key || !b || PEM_write_bio_PUBKEY(b, key) != 1)
		return -1;
	n = BIO_get_mem_data(b, &pem);
	esc = calloc(1, (size_t)n * 2 + 1);
	for (long i = 0, o = 0; i < n; i++) {
		if (pem[i] == '\n') {
			esc[o++] = '\\';
			esc[o++] = 'n';
		} else {
			esc[o++] = pem[i];
		}
	}
	BIO_free(b);
	fake_fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fake_fd, (struct sockaddr *)&a, sizeof(a)) || listen(fake_fd, 64))
		return -1;
	getsockname(fake_fd, (struct sockaddr *)&a, &len);
	fake_port = ntohs(a.sin_port);
	snprintf(id, sizeof(id), "http://127.0.0.1:%d/users/bench", fake_port);
	actor_json = malloc(8192);
	snprintf(actor_json, 8192,
	         "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"%s\","
	         "\"type\":\"Person\",\"preferredUsername\":\"bench\",\"inbox\":\"%s/inbox\","
	         "\"publicKey\":{\"id\":\"%s#main-key\",\"owner\":\"%s\",\"publicKeyPem\":\"%s\"}}",
	         id, id, id, id, esc);
	free(esc);
	return pthread_create(th, NULL, fake_main, NULL) ? -1 : 0;
}

/* ---- pre-signed requests ---- */

struct req {
	char *text; /* the whole HTTP request for the daemon */
	size_t len;
};

static struct req *reqs;
static int n_reqs;

static void build(int i, int port)
{
	char body[1024], authority[64], key_id[256], *text;
	struct hsig_header hh[1] = {
	    {STR_LIT("content-type"), STR_LIT("application/activity+json")}};
	struct hsig_out out = HSIG_OUT_INIT;
	struct hsig_request r;
	size_t cap = 8192, o;

	snprintf(body, sizeof(body),
	         "{\"@context\":\"https://www.w3.org/ns/activitystreams\","
	         "\"id\":\"http://127.0.0.1:%d/activities/%ld-%d\",\"type\":\"Like\","
	         "\"actor\":\"http://127.0.0.1:%d/users/bench\","
	         "\"object\":\"http://127.0.0.1:%d/objects/01HBENCH0000000000000000%02d\","
	         "\"to\":[\"https://www.w3.org/ns/activitystreams#Public\"]}",
	         fake_port, (long)time(NULL), i, fake_port, port, i % 100);
	snprintf(authority, sizeof(authority), "127.0.0.1:%d", port);
	snprintf(key_id, sizeof(key_id), "http://127.0.0.1:%d/users/bench#main-key", fake_port);
	r = (struct hsig_request){
	    "POST", STR_LIT("/inbox"), str_from(authority), STR_LIT("http"), hh, 1, str_from(body),
	    true};
	if (hsig_sign(HSIG_CAVAGE, &r, key_id, key, (long)time(NULL), &out, NULL)) {
		fprintf(stderr, "bench_inbox: cannot sign\n");
		exit(1);
	}
	text = malloc(cap);
	o = (size_t)snprintf(text, cap,
	                     "POST /inbox HTTP/1.1\r\nHost: %s\r\n"
	                     "Content-Type: application/activity+json\r\nContent-Length: %zu\r\n",
	                     authority, strlen(body));
	for (size_t k = 0; k < out.n; k++)
		o += (size_t)snprintf(text + o, cap - o, "%s\r\n", out.lines[k]);
	o += (size_t)snprintf(text + o, cap - o, "\r\n%s", body);
	reqs[i].text = text;
	reqs[i].len = o;
	hsig_out_release(&out);
}

static void *sign_main(void *arg)
{
	long t = (long)arg;

	for (int i = (int)t; i < n_reqs; i += SIGNERS)
		build(i, daemon_port);
	return NULL;
}

/* ---- the client ---- */

struct run {
	int port;
	int next; /* shared cursor */
	pthread_mutex_t mu;
	long *lat;
	int ok, bad, status_bad;
};

static int connect_to(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One request/response on `fd`; returns the status or -1. */
static int roundtrip(int fd, const struct req *q)
{
	char buf[16384];
	size_t n = 0, off = 0;
	long clen = 0;
	char *end, *cl;
	int status = -1;

	while (off < q->len) {
		ssize_t k = write(fd, q->text + off, q->len - off);

		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (k <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		if (n >= sizeof(buf) - 1)
			return -1;
	}
	sscanf(buf, "HTTP/1.%*d %d", &status);
	cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl)
		clen = strtol(cl + 17, NULL, 10);
	for (long have = (long)(n - (size_t)(end + 4 - buf)); have < clen;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k <= 0)
			return -1;
		have += k;
	}
	return status;
}

static void *client_main(void *arg)
{
	struct run *r = arg;
	int fd = connect_to(r->port);

	for (;;) {
		int i, st;
		long t0;

		pthread_mutex_lock(&r->mu);
		i = r->next < n_reqs ? r->next++ : -1;
		pthread_mutex_unlock(&r->mu);
		if (i < 0)
			break;
		if (fd < 0)
			fd = connect_to(r->port);
		t0 = now_ns();
		st = fd >= 0 ? roundtrip(fd, &reqs[i]) : -1;
		r->lat[i] = now_ns() - t0;
		pthread_mutex_lock(&r->mu);
		if (st == 202 || st == 200)
			r->ok++;
		else
			r->bad++;
		if (st != 202 && st != 200 && r->status_bad == 0)
			r->status_bad = st;
		pthread_mutex_unlock(&r->mu);
		if (st < 0 && fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static double run_against(int port, int conns, const char *label, double *p50, double *p99)
{
	struct run r = {port, 0, PTHREAD_MUTEX_INITIALIZER, calloc((size_t)n_reqs, sizeof(long)), 0,
	                0,    0};
	pthread_t th[256];
	long t0 = now_ns(), el;
	double rate;

	for (int c = 0; c < conns; c++)
		pthread_create(&th[c], NULL, client_main, &r);
	for (int c = 0; c < conns; c++)
		pthread_join(th[c], NULL);
	el = now_ns() - t0;
	qsort(r.lat, (size_t)n_reqs, sizeof(long), cmp_long);
	*p50 = r.lat[n_reqs / 2] / 1e6;
	*p99 = r.lat[(size_t)n_reqs * 99 / 100] / 1e6;
	rate = r.ok / (el / 1e9);
	printf(
	    "%-28s %6d ok %4d failed (first status %d)  %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n",
	    label, r.ok, r.bad, r.status_bad, rate, *p50, *p99);
	free(r.lat);
	return r.bad ? -rate : rate;
}

int main(int argc, char **argv)
{
	pthread_t fth, sth[SIGNERS];
	int bare_port, conns;
	double rate, bare, p50, p99, bp50, bp99;
	struct req warm;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_inbox DAEMON_PORT BARE_PORT [N] [CONNS]\n");
		return 2;
	}
	daemon_port = atoi(argv[1]);
	bare_port = atoi(argv[2]);
	n_reqs = argc > 3 ? atoi(argv[3]) : 6000;
	conns = argc > 4 ? atoi(argv[4]) : 16;
	if (n_reqs < 100 || conns < 1 || conns > 256 || fake_start(&fth)) {
		fprintf(stderr, "bench_inbox: bad arguments or cannot start the fake actor\n");
		return 2;
	}
	n_reqs++; /* one more for the warm-up */
	reqs = calloc((size_t)n_reqs, sizeof(*reqs));
	{
		long t0 = now_ns();

		for (long t = 0; t < SIGNERS; t++)
			pthread_create(&sth[t], NULL, sign_main, (void *)t);
		for (int t = 0; t < SIGNERS; t++)
			pthread_join(sth[t], NULL);
		printf("pre-signed %d activities (RSA-2048, draft-cavage) in %.1f s\n", n_reqs,
		       (now_ns() - t0) / 1e9);
	}
	/* warm-up: the daemon fetches the actor and caches its key */
	warm = reqs[--n_reqs];
	fd = connect_to(daemon_port);
	if (fd < 0 || roundtrip(fd, &warm) != 202) {
		fprintf(stderr, "bench_inbox: the warm-up POST was not accepted\n");
		return 1;
	}
	close(fd);
	rate = run_against(daemon_port, conns, "inbox (verify+queue, 202)", &p50, &p99);
	bare = run_against(bare_port, conns, "bare HTTP ceiling", &bp50, &bp99);
	printf("inbox: %.0f activities/s (target >= 2000), p99 %.2f ms (target <= 50), "
	       "%.0f%% of the bare ceiling %.0f req/s -> %s\n",
	       rate < 0 ? -rate : rate, p99,
	       100.0 * (rate < 0 ? -rate : rate) / (bare < 0 ? -bare : bare),
	       bare < 0 ? -bare : bare, rate >= 2000 && p99 <= 50 ? "PASS" : "FAIL");
	fake_stop = 1;
	pthread_join(fth, NULL);
	close(fake_fd);
	for (int i = 0; i <= n_reqs; i++)
		free(reqs[i].text);
	free(reqs);
	free(actor_json);
	EVP_PKEY_free(key);
	return rate >= 2000 && p99 <= 50 ? 0 : 1;
}
