/*
 * tests/integration/test_delivery.c: outbound delivery against the real
 * daemon (--dev) and loopback sink servers run by this test. Each sink
 * verifies every POST's HTTP signature (and digest) against the public key
 * it fetches from the daemon's actor document. Covered: a signed delivery
 * arrives once; a 500-ing sink gets retries and, with a dead letter, a
 * failed status; 404 is not retried; a 401 to cavage is re-signed with RFC
 * 9421 and the host remembers it; Retry-After is honoured; kill -9 with
 * deliveries queued and the sink down, restart, sink up: every inbox gets
 * the activity exactly once; the admin API (auth, states, hosts, reset);
 * domain blocks stop deliveries.
 *
 * Test knobs (honoured with --dev only, see docs/internals/federation-delivery.md):
 * SOLSTICE_TEST_DELIVERY_UNIT_MS (backoff unit), SOLSTICE_TEST_DELIVERY_ATTEMPTS,
 * SOLSTICE_TEST_DELIVERY_LEASE_MS.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "federation/httpsig.h"
#include "federation/keys.h"
#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000
#define HITS_MAX 256
#define REQ_MAX (256 * 1024)

/* ---- the sink ---- */

struct hit {
	int64_t at;
	char path[128];
	char act[256];
	enum hsig_scheme scheme;
	bool verified;
	char why[160];
	int status;
};

struct sink {
	int fd, port;
	pthread_t th;
	atomic_bool stop;
	atomic_int conns;
	int daemon_port; /* where the actor documents are */
	pthread_mutex_t mu;
	/* behaviour */
	int fail_first;  /* the first N requests get fail_status */
	int fail_status; /* 0: none */
	char retry_after[64];
	bool cavage_401; /* cavage-signed requests get 401 */
	/* record */
	int n;
	struct hit hits[HITS_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The actor's public key for `key_id` (fetched from the daemon). */
static void *fetch_key(struct sink *s, const char *key_id)
{
	char path[512];
	const char *p = strstr(key_id, "://"), *hash;
	const char *hdr[] = {"Accept: application/activity+json", NULL};
	struct td_resp r;
	json_t *doc = NULL;
	void *evp = NULL;
	const char *pem;

	if (!p || !(p = strchr(p + 3, '/')))
		return NULL;
	hash = strchr(p, '#');
	snprintf(path, sizeof(path), "%.*s", (int)(hash ? hash - p : (long)strlen(p)), p);
	if (td_http(s->daemon_port, "GET", path, hdr, NULL, &r) != 0)
		return NULL;
	if (r.status == 200)
		doc = json_loadb(r.body, r.body_len, 0, NULL);
	td_resp_release(&r);
	pem = json_string_value(json_object_get(json_object_get(doc, "publicKey"), "publicKeyPem"));
	if (!pem || fkeys_parse_pem(str_from(pem), &evp, NULL) != SE_OK)
		evp = NULL;
	json_decref(doc);
	return evp;
}

/* Checks the request's signature; fills h->scheme, h->verified, h->why. */
static void verify(struct sink *s, struct hit *h, struct hsig_request *rq)
{
	struct hsig_parsed p;
	struct err_info ei = {0};
	void *key;

	if (hsig_parse(rq, &p, &ei) != SE_OK) {
		snprintf(h->why, sizeof(h->why), "parse: %.120s", ei.detail);
		return;
	}
	h->scheme = p.scheme;
	key = fetch_key(s, p.key_id);
	if (!key) {
		snprintf(h->why, sizeof(h->why), "no key for %.100s", p.key_id);
		return;
	}
	if (hsig_verify(rq, &p, key, now_ms() / 1000, 300, &ei) == SE_OK)
		h->verified = true;
	else
		snprintf(h->why, sizeof(h->why), "verify: %.120s", ei.detail);
	EVP_PKEY_free(key);
}

/* Reads one request from `fd` into buf; returns header length, body in *body. */
static int read_request(int fd, char *buf, size_t cap, size_t *len, size_t *hdr_len,
                        size_t *body_len)
{
	*len = 0;
	for (;;) {
		struct pollfd pf = {fd, POLLIN, 0};
		char *end;
		ssize_t k;

		end = *len ? memmem(buf, *len, "\r\n\r\n", 4) : NULL;
		if (end) {
			const char *cl;

			*hdr_len = (size_t)(end - buf) + 4;
			buf[*hdr_len - 1] = '\0';
			cl = strcasestr(buf, "\r\ncontent-length:");
			*body_len = cl ? strtoul(cl + 17, NULL, 10) : 0;
			buf[*hdr_len - 1] = '\n';
			if (*hdr_len + *body_len > cap)
				return -1;
			if (*len >= *hdr_len + *body_len)
				return 0;
		}
		if (poll(&pf, 1, 200) <= 0)
			return 1; /* idle: caller checks stop */
		k = read(fd, buf + *len, cap - *len);
		if (k <= 0)
			return -1;
		*len += (size_t)k;
	}
}

struct conn {
	struct sink *s;
	int fd;
};

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct sink *s = c->s;
	char *buf = malloc(REQ_MAX + 1);
	size_t len = 0, hl = 0, bl = 0;

	while (buf && !atomic_load(&s->stop)) {
		struct hsig_header hh[64];
		struct hsig_request rq = {0};
		struct hit h = {0};
		char *line, *save = NULL, out[512], method[16] = "";
		int rc = read_request(c->fd, buf, REQ_MAX, &len, &hl, &bl), status = 202, n = 0;
		json_t *body;

		if (rc == 1 && len == 0)
			continue;
		if (rc != 0)
			break;
		h.at = now_ms();
		/* request line and headers (lower-cased names) */
		buf[hl - 2] = '\0';
		line = strtok_r(buf, "\r\n", &save);
		if (!line || sscanf(line, "%15s %127s", method, h.path) != 2)
			break;
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
			n++;
		}
		rq.method = method;
		rq.target = str_from(h.path);
		for (int i = 0; i < n; i++)
			if (str_eq_cstr(hh[i].name, "host"))
				rq.authority = hh[i].value;
		rq.scheme = STR_LIT("http");
		rq.headers = hh;
		rq.n_headers = (size_t)n;
		rq.body = (struct str){buf + hl, bl};
		rq.has_body = true;
		verify(s, &h, &rq);
		body = json_loadb(buf + hl, bl, 0, NULL);
		snprintf(h.act, sizeof(h.act), "%s",
		         json_string_value(json_object_get(body, "id"))
		             ? json_string_value(json_object_get(body, "id"))
		             : "");
		json_decref(body);
		pthread_mutex_lock(&s->mu);
		if (s->cavage_401 && h.scheme == HSIG_CAVAGE)
			status = 401;
		else if (s->fail_status && s->n < s->fail_first)
			status = s->fail_status;
		else if (!h.verified)
			status = 401;
		h.status = status;
		if (s->n < HITS_MAX)
			s->hits[s->n++] = h;
		snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n%s%s%s\r\n",
		         status, status >= 500 && s->retry_after[0] ? "Retry-After: " : "",
		         status >= 500 && s->retry_after[0] ? s->retry_after : "",
		         status >= 500 && s->retry_after[0] ? "\r\n" : "");
		pthread_mutex_unlock(&s->mu);
		if (write(c->fd, out, strlen(out)) < 0)
			break;
		/* keep what followed this request */
		memmove(buf, buf + hl + bl, len - hl - bl);
		len -= hl + bl;
		if (len)
			continue;
	}
	free(buf);
	close(c->fd);
	atomic_fetch_sub(&s->conns, 1);
	free(c);
	return NULL;
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd pf = {s->fd, POLLIN, 0};
		struct conn *c;
		pthread_t th;
		int fd;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		c = malloc(sizeof(*c));
		c->s = s;
		c->fd = fd;
		atomic_fetch_add(&s->conns, 1);
		if (pthread_create(&th, NULL, conn_main, c) != 0) {
			atomic_fetch_sub(&s->conns, 1);
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

/* Listens on 127.0.0.1:port (0: any free port). */
static struct sink *sink_start(int port, int daemon_port)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->fd, 128) != 0)
		fail_msg("sink: cannot listen on %d", port);
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	s->daemon_port = daemon_port;
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->stop, false);
	atomic_init(&s->conns, 0);
	pthread_create(&s->th, NULL, sink_main, s);
	return s;
}

static void sink_stop(struct sink *s)
{
	int64_t end = now_ms() + 5000;

	atomic_store(&s->stop, true);
	pthread_join(s->th, NULL);
	close(s->fd);
	while (atomic_load(&s->conns) > 0 && now_ms() < end)
		usleep(20000);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Requests so far whose activity id is `act` (NULL: all). */
static int sink_count(struct sink *s, const char *act)
{
	int n = 0;

	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n; i++)
		if (!act || strcmp(s->hits[i].act, act) == 0)
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void sink_dump(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n; i++)
		fprintf(stderr, "  hit %d: %s %s scheme %d verified %d status %d %s\n", i,
		        s->hits[i].path, s->hits[i].act, s->hits[i].scheme, s->hits[i].verified,
		        s->hits[i].status, s->hits[i].why);
	pthread_mutex_unlock(&s->mu);
}

/* Waits until sink_count(s, act) >= want (bounded); returns the count. */
static int sink_wait(struct sink *s, const char *act, int want, int ms)
{
	int64_t end = now_ms() + ms;
	int n;

	while ((n = sink_count(s, act)) < want && now_ms() < end)
		usleep(20000);
	if (n != want)
		sink_dump(s);
	return n;
}

static struct hit sink_hit(struct sink *s, int i)
{
	struct hit h;

	pthread_mutex_lock(&s->mu);
	h = s->hits[i];
	pthread_mutex_unlock(&s->mu);
	return h;
}

/* ---- the daemon ---- */

struct fx {
	struct td *d;
	int port;
	char base[96];
};

static const char *const daemon_args[] = {"--dev", NULL};

static void set_knobs(const char *unit, const char *attempts, const char *lease)
{
	setenv("SOLSTICE_TEST_DELIVERY_UNIT_MS", unit, 1);
	setenv("SOLSTICE_TEST_DELIVERY_ATTEMPTS", attempts, 1);
	setenv("SOLSTICE_TEST_DELIVERY_LEASE_MS", lease, 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	set_knobs("5", "4", "60000");
	f->d = tc_start(daemon_args, START_MS);
	assert_non_null(f->d);
	f->port = td_http_port(f->d);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->d)
		assert_int_equal(td_stop(f->d, STOP_MS, false), 0);
	free(f);
	return 0;
}

/*
 * POST /_dev/federation/deliver of a Create with id <base>/activities/<tag>
 * to `inboxes` (n, each a path on `sink`), signed by the instance actor.
 * The activity id goes to act (256 bytes); the delivery key to key (32).
 */
static void deliver(struct fx *f, struct sink *s, const char *tag, const char *const *paths, int n,
                    char *act, char *key)
{
	json_t *inb = json_array(), *body, *resp;
	char *text;

	snprintf(act, 256, "%s/activities/%s", f->base, tag);
	for (int i = 0; i < n; i++) {
		char url[256];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, paths[i]);
		json_array_append_new(inb, json_string(url));
	}
	body =
	    json_pack("{s:{s:s, s:s, s:s, s:s}, s:s, s:o}", "activity", "id", act, "type", "Create",
	              "actor", "x", "object", "hello", "signer", "instance", "inboxes", inb);
	json_object_set_new(json_object_get(body, "activity"), "actor",
	                    json_sprintf("%s/actor", f->base));
	text = json_dumps(body, JSON_COMPACT);
	resp = tc_ok(f->d, "POST", "/_dev/federation/deliver", NULL, text, 200);
	if (key)
		snprintf(key, 32, "%s", tc_sget(resp, "key"));
	json_decref(resp);
	free(text);
	json_decref(body);
}

/* ---- tests ---- */

static void test_signed_delivery(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/users/a/inbox", "/inbox", "/users/b/inbox", "/inbox"};
	char act[256];
	struct hit h;

	deliver(f, s, "signed1", paths, 4, act, NULL);
	/* the shared inbox named twice gets one POST */
	assert_int_equal(sink_wait(s, act, 3, 10000), 3);
	usleep(300000);
	if (sink_count(s, act) != 3)
		sink_dump(s);
	assert_int_equal(sink_count(s, act), 3);
	for (int i = 0; i < 3; i++) {
		h = sink_hit(s, i);
		if (!h.verified)
			fail_msg("delivery %d not verified: %s", i, h.why);
		assert_int_equal(h.scheme, HSIG_CAVAGE);
		assert_int_equal(h.status, 202);
	}
	sink_stop(s);
}

static void test_retry_on_500(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/inbox"};
	char act[256];

	s->fail_first = 2;
	s->fail_status = 500;
	deliver(f, s, "retry500", paths, 1, act, NULL);
	/* two 500s, then the third attempt is accepted (unit 5 ms: 80..380 ms, 155..605 ms) */
	assert_int_equal(sink_wait(s, act, 3, 10000), 3);
	usleep(1500000);
	assert_int_equal(sink_count(s, act), 3);
	assert_int_equal(sink_hit(s, 0).status, 500);
	assert_int_equal(sink_hit(s, 2).status, 202);
	assert_true(sink_hit(s, 1).at - sink_hit(s, 0).at >= 16 * 5);
	sink_stop(s);
}

static void test_dead_letter(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/inbox"};
	char act[256];

	s->fail_first = 1000;
	s->fail_status = 503;
	deliver(f, s, "dead", paths, 1, act, NULL);
	/* SOLSTICE_TEST_DELIVERY_ATTEMPTS=4: four attempts, then nothing more */
	assert_int_equal(sink_wait(s, act, 4, 15000), 4);
	sleep(3);
	assert_int_equal(sink_count(s, act), 4);
	sink_stop(s);
}

static void test_404_no_retry(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/gone/inbox"};
	char act[256];

	s->fail_first = 1000;
	s->fail_status = 404;
	deliver(f, s, "notfound", paths, 1, act, NULL);
	assert_int_equal(sink_wait(s, act, 1, 10000), 1);
	sleep(2);
	assert_int_equal(sink_count(s, act), 1);
	sink_stop(s);
}

static void test_401_resign(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/inbox"};
	char act[256], act2[256];
	struct hit h;

	s->cavage_401 = true;
	deliver(f, s, "resign", paths, 1, act, NULL);
	assert_int_equal(sink_wait(s, act, 2, 10000), 2);
	h = sink_hit(s, 0);
	assert_int_equal(h.scheme, HSIG_CAVAGE);
	assert_int_equal(h.status, 401);
	h = sink_hit(s, 1);
	assert_int_equal(h.scheme, HSIG_RFC9421);
	if (!h.verified)
		fail_msg("RFC 9421 delivery not verified: %s", h.why);
	assert_int_equal(h.status, 202);
	/* the host's choice is remembered: the next activity goes RFC 9421 at once */
	usleep(300000);
	deliver(f, s, "resign2", paths, 1, act2, NULL);
	assert_int_equal(sink_wait(s, act2, 1, 10000), 1);
	usleep(300000);
	assert_int_equal(sink_count(s, act2), 1);
	assert_int_equal(sink_hit(s, 2).scheme, HSIG_RFC9421);
	assert_int_equal(sink_hit(s, 2).status, 202);
	sink_stop(s);
}

static void test_retry_after(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/inbox"};
	char act[256];
	int64_t gap;

	s->fail_first = 1;
	s->fail_status = 503;
	snprintf(s->retry_after, sizeof(s->retry_after), "2");
	deliver(f, s, "retryafter", paths, 1, act, NULL);
	assert_int_equal(sink_wait(s, act, 2, 15000), 2);
	gap = sink_hit(s, 1).at - sink_hit(s, 0).at;
	/* the schedule alone would retry after < 0.4 s */
	if (gap < 1900 || gap > 6000)
		fail_msg("retried after %lld ms, Retry-After said 2 s", (long long)gap);
	sink_stop(s);
}

/* ---- admin API ---- */

static void make_admin(struct fx *f, const char *uid)
{
	char admin[1024], *out = NULL;
	const char *s = getenv("SOLSTICE_BIN");
	const char *slash = s ? strrchr(s, '/') : NULL;
	pid_t pid;
	int st = -1;

	if (slash)
		snprintf(admin, sizeof(admin), "%.*s/solstice-admin", (int)(slash - s), s);
	else
		snprintf(admin, sizeof(admin), "build/release/solstice-admin");
	(void)out;
	pid = fork();
	if (pid == 0) {
		execl(admin, admin, "--data", td_data_dir(f->d), "user", "privileged", uid, "on",
		      (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s user privileged: status %d", admin, st);
}

static json_t *find_host(json_t *hosts, const char *host)
{
	size_t i;
	json_t *h;

	json_array_foreach(json_object_get(hosts, "hosts"), i,
	                   h) if (strcmp(json_string_value(json_object_get(h, "host")), host) ==
	                          0) return h;
	return NULL;
}

static void test_admin_api(void **state)
{
	struct fx *f = *state;
	struct sink *ok = sink_start(0, f->port), *bad = sink_start(0, f->port);
	const char *paths[] = {"/inbox", "/users/1/inbox"};
	struct tc_user boss, pleb;
	char act[256], key[32], path[512], host[64];
	json_t *v, *d;
	size_t i;

	bad->fail_first = 1000;
	bad->fail_status = 410;
	tc_user_make(f->d, "boss", &boss);
	tc_user_make(f->d, "pleb", &pleb);
	tc_expect(f->d, "GET", "/admin/api/federation/deliveries", NULL, NULL, 401, NULL);
	tc_expect(f->d, "GET", "/admin/api/federation/deliveries", pleb.token, NULL, 403,
	          "NotPrivileged");
	tc_expect(f->d, "GET", "/admin/api/federation/hosts", pleb.token, NULL, 403,
	          "NotPrivileged");
	make_admin(f, boss.id);

	deliver(f, ok, "admin-ok", paths, 2, act, key);
	assert_int_equal(sink_wait(ok, act, 2, 10000), 2);
	deliver(f, bad, "admin-bad", paths, 1, act, NULL);
	assert_int_equal(sink_wait(bad, act, 1, 10000), 1);
	usleep(500000);

	v = tc_ok(f->d, "GET", "/admin/api/federation/deliveries?limit=50", boss.token, NULL, 200);
	d = NULL;
	json_array_foreach(json_object_get(v, "activities"), i, d)
	{
		if (strcmp(tc_sget(d, "key"), key) == 0)
			break;
		d = NULL;
	}
	assert_non_null(d);
	assert_int_equal(json_integer_value(json_object_get(d, "inboxes")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(d, "counts"), "delivered")), 2);
	json_decref(v);

	/* per inbox, by key and by activity id */
	snprintf(path, sizeof(path), "/admin/api/federation/deliveries/%s", key);
	v = tc_ok(f->d, "GET", path, boss.token, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(v, "deliveries")), 2);
	d = json_array_get(json_object_get(v, "deliveries"), 0);
	assert_string_equal(tc_sget(d, "state"), "delivered");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "code")), 202);
	json_decref(v);
	snprintf(path, sizeof(path), "/admin/api/federation/deliveries?id=%s/activities/admin-bad",
	         f->base);
	v = tc_ok(f->d, "GET", path, boss.token, NULL, 200);
	d = json_array_get(json_object_get(v, "deliveries"), 0);
	assert_string_equal(tc_sget(d, "state"), "failed");
	assert_int_equal(json_integer_value(json_object_get(d, "code")), 410);
	json_decref(v);
	/* earlier tests' activities: retried then delivered, and dead-lettered */
	snprintf(path, sizeof(path), "/admin/api/federation/deliveries?id=%s/activities/retry500",
	         f->base);
	v = tc_ok(f->d, "GET", path, boss.token, NULL, 200);
	d = json_array_get(json_object_get(v, "deliveries"), 0);
	assert_string_equal(tc_sget(d, "state"), "delivered");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 3);
	json_decref(v);
	snprintf(path, sizeof(path), "/admin/api/federation/deliveries?id=%s/activities/dead",
	         f->base);
	v = tc_ok(f->d, "GET", path, boss.token, NULL, 200);
	d = json_array_get(json_object_get(v, "deliveries"), 0);
	assert_string_equal(tc_sget(d, "state"), "failed");
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "code")), 503);
	assert_non_null(strstr(tc_sget(d, "error"), "gave up after 4 attempts"));
	json_decref(v);
	tc_expect(f->d, "GET", "/admin/api/federation/deliveries/01ARZ3NDEKTSV4RRFFQ69G5FAV",
	          boss.token, NULL, 404, NULL);
	tc_expect(f->d, "GET", "/admin/api/federation/deliveries?after=junk", boss.token, NULL, 400,
	          NULL);

	/* hosts */
	v = tc_ok(f->d, "GET", "/admin/api/federation/hosts?limit=100", boss.token, NULL, 200);
	snprintf(host, sizeof(host), "127.0.0.1:%d", ok->port);
	d = find_host(v, host);
	assert_non_null(d);
	assert_false(json_is_true(json_object_get(d, "unavailable")));
	assert_string_equal(tc_sget(d, "scheme"), "cavage");
	assert_string_equal(tc_sget(json_object_get(d, "breaker"), "state"), "closed");
	json_decref(v);
	snprintf(path, sizeof(path), "/admin/api/federation/hosts/%s/reset", host);
	v = tc_ok(f->d, "POST", path, boss.token, NULL, 200);
	assert_true(json_is_null(json_object_get(v, "scheme")));
	json_decref(v);
	tc_expect(f->d, "POST", "/admin/api/federation/hosts/nowhere.example/reset", boss.token,
	          NULL, 404, NULL);
	tc_expect(f->d, "POST", path, pleb.token, NULL, 403, "NotPrivileged");
	sink_stop(ok);
	sink_stop(bad);
}

static void test_domain_block(void **state)
{
	struct fx *f = *state;
	struct sink *s = sink_start(0, f->port);
	const char *paths[] = {"/inbox"};
	char act[256], admin[1024];
	const char *bin = getenv("SOLSTICE_BIN");
	const char *slash = bin ? strrchr(bin, '/') : NULL;
	pid_t pid;
	int st = -1;

	if (slash)
		snprintf(admin, sizeof(admin), "%.*s/solstice-admin", (int)(slash - bin), bin);
	else
		snprintf(admin, sizeof(admin), "build/release/solstice-admin");
	pid = fork();
	if (pid == 0) {
		execl(admin, admin, "--data", td_data_dir(f->d), "domain-block", "add", "127.0.0.1",
		      (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	deliver(f, s, "blocked", paths, 1, act, NULL);
	sleep(2);
	assert_int_equal(sink_count(s, act), 0);
	sink_stop(s);
}

/* kill -9 with deliveries queued and the sink down; restart; sink up: once each. */
static void test_kill9(void **state)
{
	struct sink *probe, *s;
	const char *paths[] = {"/users/1/inbox", "/users/2/inbox", "/users/3/inbox"};
	char act[256], dir[512];
	struct fx f = {0};
	int port;

	(void)state;
	/* unit 40 ms: retries after ~0.6-3 s, ~1.2-5 s; lease 3 s */
	set_knobs("40", "16", "3000");
	f.d = tc_start(daemon_args, START_MS);
	assert_non_null(f.d);
	f.port = td_http_port(f.d);
	snprintf(f.base, sizeof(f.base), "http://127.0.0.1:%d", f.port);
	/* a free port with nothing listening */
	probe = sink_start(0, f.port);
	port = probe->port;
	sink_stop(probe);
	{
		struct sink fake = {0};

		fake.port = port;
		deliver(&f, &fake, "crash", paths, 3, act, NULL);
	}
	usleep(300000);
	snprintf(dir, sizeof(dir), "%s", td_data_dir(f.d));
	td_kill9(f.d);
	f.d = td_start(daemon_args, dir, START_MS);
	assert_non_null(f.d);
	f.port = td_http_port(f.d);
	s = sink_start(port, f.port);
	/* the actor URLs in keyId name the old port: the key is fetched by path */
	assert_int_equal(sink_wait(s, act, 3, 20000), 3);
	sleep(4); /* past the lease: nothing may come again */
	assert_int_equal(sink_count(s, act), 3);
	for (int i = 0; i < 3; i++) {
		int per = 0;

		for (int k = 0; k < sink_count(s, NULL); k++)
			if (strcmp(sink_hit(s, k).path, paths[i]) == 0)
				per++;
		if (per != 1)
			fail_msg("%s got %d deliveries", paths[i], per);
	}
	sink_stop(s);
	assert_int_equal(td_stop(f.d, STOP_MS, false), 0);
	set_knobs("5", "4", "60000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signed_delivery), cmocka_unit_test(test_retry_on_500),
	    cmocka_unit_test(test_dead_letter),     cmocka_unit_test(test_404_no_retry),
	    cmocka_unit_test(test_401_resign),      cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_admin_api),       cmocka_unit_test(test_domain_block),
	    cmocka_unit_test(test_kill9),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
