/*
 * tools/bench/bench_deliver.c: outbound delivery throughput of a running
 * --dev daemon, against loopback sinks served by this process.
 *
 *   bench_deliver PORT PID N [SINKS] [ROUNDS]
 *
 * PORT/PID: the daemon (PID for its RSS). SINKS (default 4) sink ports, each
 * one epoll thread answering 202 to every POST, recording which inbox
 * (/users/<i>/inbox) got how many POSTs and checking every 64th request's
 * signature (cavage or RFC 9421) against the instance actor's published key.
 * Per round:
 *   1. bare: N unsigned POSTs of the same body to N distinct inbox paths on
 *      the same sinks with a curl multi loop (the same concurrency as the
 *      daemon: SINKS x per-host limit), no queue, no store, no signature;
 *   2. fan-out: one activity to N distinct inboxes (POST
 *      /_dev/federation/deliver) until every inbox got it: wall time,
 *      deliveries/s, ratio to bare, duplicates, daemon RSS before and peak;
 *   3. shared inboxes: one activity to N followers behind SINKS shared inboxes:
 *      POSTs received (want SINKS).
 * Only 127.0.0.1 is contacted; everything started here is stopped here.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/jx.h"
#include "federation/httpsig.h"
#include "federation/keys.h"

#define SINKS_MAX 16
#define CONN_BUF (128 * 1024)
#define VERIFY_EVERY 64

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- sinks ---- */

struct cn {
	int fd;
	size_t len;
	char buf[CONN_BUF];
};

struct sink {
	int lfd, ep, port;
	pthread_t th;
};

static atomic_bool g_stop;
static atomic_long g_posts, g_signed, g_verified, g_badsig;
static atomic_int *g_per_inbox; /* POSTs per inbox index */
static size_t g_n;
static void *g_key; /* instance actor public key */

static void verify_one(char *req, size_t hl, size_t bl)
{
	struct hsig_header hh[64];
	struct hsig_request rq = {0};
	struct hsig_parsed p;
	char *line, *save = NULL, method[16] = "", target[256] = "";
	int n = 0;

	req[hl - 2] = '\0';
	line = strtok_r(req, "\r\n", &save);
	if (!line || sscanf(line, "%15s %255s", method, target) != 2)
		return;
	while ((line = strtok_r(NULL, "\r\n", &save)) && n < 64) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		for (char *q = line; q < colon; q++)
			*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
		hh[n].name = (struct str){line, (size_t)(colon - line)};
		colon++;
		while (*colon == ' ')
			colon++;
		hh[n].value = str_from(colon);
		if (str_eq_cstr(hh[n].name, "host"))
			rq.authority = hh[n].value;
		n++;
	}
	rq.method = method;
	rq.target = str_from(target);
	rq.scheme = STR_LIT("http");
	rq.headers = hh;
	rq.n_headers = (size_t)n;
	rq.body = (struct str){req + hl, bl};
	rq.has_body = true;
	if (hsig_parse(&rq, &p, NULL) == SE_OK && g_key &&
	    hsig_verify(&rq, &p, g_key, time(NULL), 300, NULL) == SE_OK)
		atomic_fetch_add(&g_verified, 1);
	else
		atomic_fetch_add(&g_badsig, 1);
}

/* Handles every complete request in c->buf; false to close. */
static bool serve(struct cn *c)
{
	static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
		size_t hl, bl = 0;
		long idx = -1;
		long k;

		if (!end)
			return c->len < CONN_BUF;
		hl = (size_t)(end - c->buf) + 4;
		*end = '\0';
		cl = strcasestr(c->buf, "\r\ncontent-length:");
		if (cl)
			bl = strtoul(cl + 17, NULL, 10);
		if (strcasestr(c->buf, "\r\nsignature:"))
			atomic_fetch_add(&g_signed, 1);
		*end = '\r';
		if (hl + bl > CONN_BUF)
			return false;
		if (c->len < hl + bl)
			return true;
		if (sscanf(c->buf, "POST /users/%ld/inbox", &idx) == 1 && idx >= 0 &&
		    (size_t)idx < g_n)
			atomic_fetch_add(&g_per_inbox[idx], 1);
		k = atomic_fetch_add(&g_posts, 1);
		if (k % VERIFY_EVERY == 0 && strcasestr(c->buf, "\r\nsignature:")) {
			char *copy = malloc(hl + bl + 1);

			memcpy(copy, c->buf, hl + bl);
			verify_one(copy, hl, bl);
			free(copy);
		}
		if (write(c->fd, ok, sizeof(ok) - 1) < 0)
			return false;
		memmove(c->buf, c->buf + hl + bl, c->len - hl - bl);
		c->len -= hl + bl;
	}
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&g_stop)) {
		int n = epoll_wait(s->ep, evs, 64, 100);

		for (int i = 0; i < n; i++) {
			struct cn *c = evs[i].data.ptr;

			if (!c) {
				int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK);
				struct epoll_event ev = {EPOLLIN, {0}};

				if (fd < 0)
					continue;
				c = calloc(1, sizeof(*c));
				c->fd = fd;
				ev.data.ptr = c;
				epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			for (;;) {
				ssize_t k = read(c->fd, c->buf + c->len, CONN_BUF - c->len);

				if (k > 0) {
					c->len += (size_t)k;
					if (!serve(c))
						k = 0;
					else
						continue;
				}
				if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				close(c->fd);
				free(c);
				break;
			}
		}
	}
	return NULL;
}

static void sink_start(struct sink *s)
{
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	struct epoll_event ev = {EPOLLIN, {0}};
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(s->lfd, 1024)) {
		perror("sink");
		exit(1);
	}
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	s->ep = epoll_create1(0);
	ev.data.ptr = NULL;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
	pthread_create(&s->th, NULL, sink_main, s);
}

/* ---- the daemon ---- */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	json_t **out = arg;
	static char buf[1 << 16];
	static size_t len;

	if (!p) {
		len = 0;
		return 0;
	}
	if (len + size * n < sizeof(buf)) {
		memcpy(buf + len, p, size * n);
		len += size * n;
		buf[len] = '\0';
		json_decref(*out);
		*out = json_loads(buf, 0, NULL);
	}
	return size * n;
}

/* One request to the daemon; the JSON answer (new ref) or NULL. */
static json_t *call(int port, const char *method, const char *path, const char *body,
                    const char *accept, long *status)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	json_t *out = NULL;
	char url[256];

	collect(NULL, 0, 0, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	if (accept)
		h = curl_slist_append(h, accept);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
	*status = curl_easy_perform(e) == CURLE_OK ? 0 : -1;
	if (*status == 0)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return out;
}

static long rss_kb(int pid, const char *field)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

#define BODY_FMT                                                                                   \
	"{\"@context\":\"https://www.w3.org/ns/"                                                   \
	"activitystreams\",\"id\":\"%s\",\"type\":\"Create\","                                     \
	"\"actor\":\"%s/actor\",\"object\":{\"type\":\"Note\",\"content\":\"<p>benchmark note "    \
	"with a "                                                                                  \
	"body about as long as a short toot, to make the payload realistic</p>\"}}"

/* POSTs an activity to `n` inboxes; shared: every follower on sink i%k uses its /inbox. */
static bool fan_out(int port, const struct sink *sinks, int k, size_t n, bool shared,
                    const char *tag, const char *base)
{
	json_t *inb = json_array(), *req, *resp;
	char act[256], body[1024], url[128];
	char *text;
	long st;

	snprintf(act, sizeof(act), "%s/activities/%s", base, tag);
	snprintf(body, sizeof(body), BODY_FMT, act, base);
	for (size_t i = 0; i < n; i++) {
		if (shared)
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/inbox", sinks[i % k].port);
		else
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/%zu/inbox",
			         sinks[i % k].port, i);
		json_array_append_new(inb, json_string(url));
	}
	req = json_pack("{s:s, s:s, s:o}", "activity", body, "signer", "instance", "inboxes", inb);
	text = json_dumps(req, JSON_COMPACT);
	resp = call(port, "POST", "/_dev/federation/deliver", text, NULL, &st);
	free(text);
	json_decref(req);
	json_decref(resp);
	if (st != 200)
		fprintf(stderr, "bench_deliver: enqueue answered %ld\n", st);
	return st == 200;
}

/* ---- bare baseline ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static double bare(const struct sink *sinks, int k, size_t n, int conc, const char *base)
{
	CURLM *m = curl_multi_init();
	char body[1024];
	size_t next = 0, done = 0;
	int running = 0;
	int64_t t0 = now_us();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/activity+json");

	h = curl_slist_append(h, "Expect:");
	snprintf(body, sizeof(body), BODY_FMT, "bare", base);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(conc / k > 0 ? conc / k : 1));
	while (done < n) {
		CURLMsg *msg;
		int left;

		while (next < n && running + 0 < conc && (int)(next - done) < conc) {
			CURL *e = curl_easy_init();
			char url[128];

			snprintf(url, sizeof(url), "http://127.0.0.1:%d/users/%zu/inbox",
			         sinks[next % k].port, g_n + next);
			curl_easy_setopt(e, CURLOPT_URL, url);
			curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
			curl_multi_add_handle(m, e);
			next++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_multi_remove_handle(m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
			done++;
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	curl_slist_free_all(h);
	curl_multi_cleanup(m);
	return (double)n * 1e6 / (double)(now_us() - t0);
}

static void *load_key(int port)
{
	long st;
	json_t *doc = call(port, "GET", "/actor", NULL, "Accept: application/activity+json", &st);
	const char *pem =
	    json_string_value(json_object_get(json_object_get(doc, "publicKey"), "publicKeyPem"));
	void *k = NULL;

	if (!pem || fkeys_parse_pem(str_from(pem), &k, NULL) != SE_OK)
		k = NULL;
	json_decref(doc);
	return k;
}

int main(int argc, char **argv)
{
	int port, pid, k = 4, rounds = 1, per_host;
	size_t n;
	struct sink sinks[SINKS_MAX];
	char base[64];
	const char *ph = getenv("SOLSTICE_FEDERATION_DELIVERY_PER_HOST");
	int fails = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_deliver PORT PID N [SINKS] [ROUNDS]\n");
		return 2;
	}
	port = atoi(argv[1]);
	pid = atoi(argv[2]);
	n = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		k = atoi(argv[4]);
	if (argc > 5)
		rounds = atoi(argv[5]);
	if (k < 1 || k > SINKS_MAX || n == 0)
		return 2;
	per_host = ph ? atoi(ph) : 4;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	jx_init();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	g_n = n;
	g_per_inbox = calloc(n, sizeof(*g_per_inbox));
	g_key = load_key(port);
	if (!g_key)
		fprintf(stderr, "bench_deliver: no instance actor key: signatures not checked\n");
	for (int i = 0; i < k; i++)
		sink_start(&sinks[i]);
	for (int r = 1; r <= rounds; r++) {
		double b_rate, rate;
		int64_t t0, t1, deadline;
		long rss0 = rss_kb(pid, "VmRSS:"), peak = rss0, dup = 0, missing = 0, got;
		char tag[64];

		atomic_store(&g_posts, 0);
		b_rate = bare(sinks, k, n, k * per_host, base);
		for (size_t i = 0; i < n; i++)
			atomic_store(&g_per_inbox[i], 0);
		atomic_store(&g_posts, 0);
		atomic_store(&g_signed, 0);
		atomic_store(&g_verified, 0);
		atomic_store(&g_badsig, 0);
		snprintf(tag, sizeof(tag), "fanout-%d-%lld", r, (long long)now_us());
		t0 = now_us();
		if (!fan_out(port, sinks, k, n, false, tag, base))
			return 1;
		t1 = now_us();
		deadline = t0 + 120 * 1000000LL;
		while ((got = atomic_load(&g_posts)) < (long)n && now_us() < deadline) {
			long v = rss_kb(pid, "VmRSS:");

			if (v > peak)
				peak = v;
			usleep(5000);
		}
		rate = (double)got * 1e6 / (double)(now_us() - t0);
		usleep(500000);
		for (size_t i = 0; i < n; i++) {
			int c = atomic_load(&g_per_inbox[i]);

			if (c == 0)
				missing++;
			else if (c > 1)
				dup += c - 1;
		}
		printf(
		    "round %d  bare curl multi (unsigned, %d in flight): %.0f POST/s | fan-out to "
		    "%zu "
		    "inboxes on %d sinks: enqueue %.0f ms, drained in %.2f s, %.0f deliveries/s, "
		    "ratio %.2f | signed %ld/%ld, sampled signatures ok %ld bad %ld | missing %ld "
		    "duplicates %ld | daemon RSS %ld kB before, peak %ld kB (+%ld kB)\n",
		    r, k * per_host, b_rate, n, k, (t1 - t0) / 1000.0,
		    (double)(now_us() - t0 - 500000) / 1e6, rate, b_rate > 0 ? rate / b_rate : 0,
		    atomic_load(&g_signed), atomic_load(&g_posts), atomic_load(&g_verified),
		    atomic_load(&g_badsig), missing, dup, rss0, peak, peak - rss0);
		if (missing || dup || atomic_load(&g_badsig))
			fails++;
		/* shared inboxes: N followers behind k shared inboxes -> k POSTs */
		atomic_store(&g_posts, 0);
		snprintf(tag, sizeof(tag), "shared-%d-%lld", r, (long long)now_us());
		if (!fan_out(port, sinks, k, n, true, tag, base))
			return 1;
		deadline = now_us() + 10 * 1000000LL;
		while (atomic_load(&g_posts) < k && now_us() < deadline)
			usleep(5000);
		usleep(1000000);
		printf(
		    "round %d  shared inboxes: %zu followers on %d hosts -> %ld POSTs (want %d)\n",
		    r, n, k, atomic_load(&g_posts), k);
		if (atomic_load(&g_posts) != k)
			fails++;
	}
	printf("daemon peak RSS over its life (VmHWM): %ld kB\n", rss_kb(pid, "VmHWM:"));
	atomic_store(&g_stop, true);
	for (int i = 0; i < k; i++) {
		pthread_join(sinks[i].th, NULL);
		close(sinks[i].lfd);
		close(sinks[i].ep);
	}
	EVP_PKEY_free(g_key);
	free(g_per_inbox);
	curl_global_cleanup();
	return fails ? 1 : 0;
}
