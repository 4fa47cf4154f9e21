/*
 * tests/integration/test_fed_media.c: remote avatars through the files
 * path, with two real solstice --dev daemons on loopback. bob on B uploads
 * an avatar (POST /autumn/avatars + PATCH /users/@me); alice on A sends
 * bob a friend request by handle: on A, bob's user object gets an avatar
 * File whose /autumn/avatars/{id} serves the same picture (same size);
 * bob changes his avatar and A follows (Update{Person} -> refetch -> new
 * File); bob's DM with a picture arrives on A with the picture as an
 * attachments File. Hostile: a fake peer in the test serves actors whose icon 404s,
 * is text served as image/png, or is over the avatars limit: A keeps the
 * default avatar, stores no blob, and keeps answering.
 * Every wait is a bounded poll.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "files/image.h"
#include "tests/support/api_client.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"
#include "tests/support/lsrv.h"

/* bytes over the avatars tag limit (4 MB) the hostile peer serves */
#define HUGE_BYTES (4000000 + 65536)

/* 3 x 2 and 5 x 4 RGB PNGs */
static const unsigned char png_a[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x03\x00\x00"
    "\x00\x02\x08\x02\x00\x00\x00\x12\x16\xf1\x4d\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63"
    "\xf8\xcf\xc0\x00\x41\x0c\x70\x16\x00\x41\xd2\x05\xfb\x87\xf0\xb9\x48\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82";
static const unsigned char png_b[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x05\x00\x00"
    "\x00\x04\x08\x02\x00\x00\x00\xc9\x51\x62\x17\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63"
    "\x60\x68\xf8\x8f\x82\x48\xe4\x03\x00\xaa\x01\x1d\xed\xdc\x28\x1e\x6f\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82";

/* ---- raw HTTP (binary bodies) ---- */

struct raw_resp {
	long status;
	char *body; /* owned */
	size_t n;
};

static int connect_local(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k <= 0)
			return false;
		c += k;
		n -= (size_t)k;
	}
	return true;
}

/* One request with Connection: close; the answer's body is read to EOF (bounded). */
static void raw_http(int port, const char *method, const char *path, const char *headers,
                     const void *body, size_t n, struct raw_resp *out)
{
	char head[1024];
	size_t cap = 8u << 20, len = 0;
	char *buf = malloc(cap + 1), *sep;
	int fd = connect_local(port);
	int k = snprintf(head, sizeof(head),
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
	                 "Content-Length: %zu\r\n\r\n",
	                 method, path, port, headers, n);
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	memset(out, 0, sizeof(*out));
	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_true(send_all(fd, head, (size_t)k));
	assert_true(!n || send_all(fd, body, n));
	while (len < cap && tc_now_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		r = read(fd, buf + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	sscanf(buf, "HTTP/1.%*c %ld", &out->status);
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	out->n = len - (size_t)(sep + 4 - buf);
	out->body = malloc(out->n + 1);
	assert_non_null(out->body);
	memcpy(out->body, sep + 4, out->n);
	out->body[out->n] = '\0';
	free(buf);
}

/* POST /autumn/{tag} as `token`; the file id into `id`. */
static void upload(struct td *d, const char *token, const char *tag, const void *png, size_t n,
                   char id[64])
{
	static const char boundary[] = "MeDiAbOuNdArY";
	char headers[256], pre[256], post[64], path[64];
	int a = snprintf(pre, sizeof(pre),
	                 "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
	                 "filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n",
	                 boundary);
	int b = snprintf(post, sizeof(post), "\r\n--%s--\r\n", boundary);
	char *body = malloc((size_t)a + n + (size_t)b);
	struct raw_resp r;
	json_t *v;

	assert_non_null(body);
	memcpy(body, pre, (size_t)a);
	memcpy(body + a, png, n);
	memcpy(body + a + n, post, (size_t)b);
	snprintf(headers, sizeof(headers),
	         "X-Session-Token: %s\r\nContent-Type: multipart/form-data; boundary=%s\r\n", token,
	         boundary);
	snprintf(path, sizeof(path), "/autumn/%s", tag);
	raw_http(td_http_port(d), "POST", path, headers, body, (size_t)a + n + (size_t)b, &r);
	free(body);
	if (r.status != 200)
		fail_msg("upload: %ld %s", r.status, r.body);
	v = json_loads(r.body, 0, NULL);
	assert_non_null(v);
	snprintf(id, 64, "%s", tc_sget(v, "id"));
	json_decref(v);
	free(r.body);
}

static void set_avatar(struct td *d, const char *token, const void *png, size_t n)
{
	char id[64], body[128];

	upload(d, token, "avatars", png, n, id);
	snprintf(body, sizeof(body), "{\"avatar\":\"%s\"}", id);
	json_decref(tc_ok(d, "PATCH", "/api/users/@me", token, body, 200));
}

/* Polls user `uid` on `d` until its avatar's id differs from `not_id`; the avatar (owned). */
static json_t *wait_avatar(struct td *d, const char *token, const char *uid, const char *not_id)
{
	char path[128];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	snprintf(path, sizeof(path), "/api/users/%s", uid);
	while (tc_now_ms() < end) {
		json_t *u = tc_ok(d, "GET", path, token, NULL, 200);
		json_t *av = json_object_get(u, "avatar");
		const char *id = tc_sval(av, "_id");

		if (id && (!not_id || strcmp(id, not_id) != 0)) {
			json_incref(av);
			json_decref(u);
			return av;
		}
		json_decref(u);
		fpair_nap();
	}
	fail_msg("no new avatar for %s on the other side", uid);
	return NULL;
}

/* GET /autumn/{tag}/{id} on `d` decodes to a w x h picture. */
static void assert_served_tag(struct td *d, const json_t *av, const char *tag, unsigned w,
                              unsigned h)
{
	char path[128];
	struct raw_resp r;
	unsigned gw = 0, gh = 0;
	const json_t *m = json_object_get(av, "metadata");

	assert_string_equal(tc_sget(av, "tag"), tag);
	assert_int_equal(json_integer_value(json_object_get(m, "width")), w);
	assert_int_equal(json_integer_value(json_object_get(m, "height")), h);
	snprintf(path, sizeof(path), "/autumn/%s/%s", tag, tc_sget(av, "_id"));
	raw_http(td_http_port(d), "GET", path, "", NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(img_buffer_size(r.body, r.n, &gw, &gh), SE_OK);
	assert_int_equal(gw, w);
	assert_int_equal(gh, h);
	free(r.body);
}

static void assert_served(struct td *d, const json_t *av, unsigned w, unsigned h)
{
	assert_served_tag(d, av, "avatars", w, h);
}

/* The first message of channel `cid` with content `content`, polled (owned). */
static json_t *wait_message(struct td *d, const char *token, const char *cid, const char *content)
{
	char path[128];
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=50", cid);
	while (tc_now_ms() < end) {
		json_t *list = tc_ok(d, "GET", path, token, NULL, 200), *m;
		size_t i;

		json_array_foreach(list, i, m)
		{
			if (tc_sval(m, "content") && !strcmp(tc_sval(m, "content"), content)) {
				json_incref(m);
				json_decref(list);
				return m;
			}
		}
		json_decref(list);
		fpair_nap();
	}
	fail_msg("no message '%s' in %s", content, cid);
	return NULL;
}

/* the daemons of the running test: the teardown stops what a failed test left */
static struct td *g_a, *g_b;
static bool g_peer;

/* ---- the two-instance test ---- */

static void test_avatar_follows(void **state)
{
	struct td *a = g_a = fpair_start(NULL), *b = g_b = fpair_start(NULL);
	struct tc_user alice, bob;
	char handle[128], bob_on_a[32], alice_on_b[32], path[128], first[64], body[256];
	json_t *v, *av;
	int64_t t0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(img_init(), SE_OK);
	tc_user_make(a, "alice", &alice);
	tc_user_make(b, "bob", &bob);
	fpair_handle(b, &bob, handle, sizeof(handle));

	/* 1. bob's avatar on B, then alice befriends bob@B: A fetches his icon */
	set_avatar(b, bob.token, png_a, sizeof(png_a) - 1);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", handle);
	t0 = tc_now_ms();
	v = tc_ok(a, "POST", "/api/users/friend", alice.token, body, 200);
	snprintf(bob_on_a, sizeof(bob_on_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	av = wait_avatar(a, alice.token, bob_on_a, NULL);
	/* measurements, not checks */
	printf("media: bob's avatar on A %lld ms after the friend request\n",
	       (long long)(tc_now_ms() - t0));
	assert_served(a, av, 3, 2);
	snprintf(first, sizeof(first), "%s", tc_sget(av, "_id"));
	json_decref(av);

	/* 2. bob accepts (A now follows bob), then changes his avatar: A follows */
	fpair_wait_relation(b, bob.token, NULL, "Incoming", alice_on_b);
	snprintf(path, sizeof(path), "/api/users/%s/friend", alice_on_b);
	json_decref(tc_ok(b, "PUT", path, bob.token, "{}", 200));
	/* wait until A sees the friendship (its Follow accepted) */
	fpair_wait_relation(a, alice.token, bob_on_a, "Friend", NULL);
	/* 2b. bob's DM with a picture: on A the message carries it as an attachments File */
	{
		char fid[64], cid_b[32], cid_a[32];
		json_t *m, *att;

		upload(b, bob.token, "attachments", png_b, sizeof(png_b) - 1, fid);
		snprintf(path, sizeof(path), "/api/users/%s/dm", alice_on_b);
		v = tc_ok(b, "GET", path, bob.token, NULL, 200);
		snprintf(cid_b, sizeof(cid_b), "%s", tc_sget(v, "_id"));
		json_decref(v);
		snprintf(path, sizeof(path), "/api/channels/%s/messages", cid_b);
		snprintf(body, sizeof(body), "{\"content\":\"a picture\",\"attachments\":[\"%s\"]}",
		         fid);
		json_decref(tc_ok(b, "POST", path, bob.token, body, 200));
		snprintf(path, sizeof(path), "/api/users/%s/dm", bob_on_a);
		v = tc_ok(a, "GET", path, alice.token, NULL, 200);
		snprintf(cid_a, sizeof(cid_a), "%s", tc_sget(v, "_id"));
		json_decref(v);
		m = wait_message(a, alice.token, cid_a, "a picture");
		att = json_array_get(json_object_get(m, "attachments"), 0);
		assert_non_null(att);
		assert_int_equal(json_array_size(json_object_get(m, "attachments")), 1);
		assert_served_tag(a, att, "attachments", 5, 4);
		/* the original travelled, not B's WebP preview */
		assert_string_equal(json_string_value(json_object_get(att, "content_type")),
		                    "image/png");
		json_decref(m);
	}
	t0 = tc_now_ms();
	set_avatar(b, bob.token, png_b, sizeof(png_b) - 1);
	av = wait_avatar(a, alice.token, bob_on_a, first);
	printf("media: bob's new avatar on A %lld ms after his PATCH on B\n",
	       (long long)(tc_now_ms() - t0));
	assert_served(a, av, 5, 4);
	json_decref(av);
}

/* ---- a hostile peer ---- */

struct peer {
	struct lsrv *l;
	int port;
	pthread_mutex_t mu;
	char *pem;
	unsigned image_hits;
};

static struct peer pr;

static void reply(int c, int status, const char *type, const void *body, size_t n)
{
	char head[256];
	int k = snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, type, n);

	if (send_all(c, head, (size_t)k) && n)
		send_all(c, body, n);
}

/* actor `name` whose icon is /img/<name>.png */
static char *actor_doc(const char *name)
{
	char id[256], icon[256], kid[300], inbox[300];
	json_t *d;
	char *s;

	snprintf(id, sizeof(id), "http://127.0.0.1:%d/users/%s", pr.port, name);
	snprintf(icon, sizeof(icon), "http://127.0.0.1:%d/img/%s.png", pr.port, name);
	snprintf(kid, sizeof(kid), "%s#main-key", id);
	snprintf(inbox, sizeof(inbox), "%s/inbox", id);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}}", "id", id,
	              "type", "Person", "preferredUsername", name, "name", name, "inbox", inbox,
	              "icon", "type", "Image", "url", icon, "publicKey", "id", kid, "owner", id,
	              "publicKeyPem", pr.pem);
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return s;
}

static void peer_one(struct lsrv *l, int c, void *arg)
{
	char req[8192], path[512] = "", method[16] = "", name[64] = "";

	(void)l;
	(void)arg;
	lsrv_read_request(c, req, sizeof(req));
	sscanf(req, "%15s %511s", method, path);
	if (!strcmp(method, "POST")) {
		reply(c, 202, "text/plain", "", 0);
	} else if (sscanf(path, "/.well-known/webfinger?resource=acct:%63[a-z0-9]@", name) == 1) {
		char jrd[512];
		int k = snprintf(jrd, sizeof(jrd),
		                 "{\"subject\":\"acct:%s@127.0.0.1:%d\",\"links\":[{\"rel\":"
		                 "\"self\",\"type\":\"application/activity+json\",\"href\":"
		                 "\"http://127.0.0.1:%d/users/%s\"}]}",
		                 name, pr.port, pr.port, name);

		reply(c, 200, "application/jrd+json", jrd, (size_t)k);
	} else if (sscanf(path, "/users/%63[a-z0-9]", name) == 1) {
		char *doc = actor_doc(name);

		reply(c, 200, "application/activity+json", doc, strlen(doc));
		free(doc);
	} else if (!strncmp(path, "/img/", 5)) {
		pthread_mutex_lock(&pr.mu);
		pr.image_hits++;
		pthread_mutex_unlock(&pr.mu);
		if (!strcmp(path, "/img/text.png")) {
			reply(c, 200, "image/png", "this is text, not a picture\n", 28);
		} else if (!strcmp(path, "/img/huge.png")) {
			char *z = calloc(1, HUGE_BYTES);

			assert_non_null(z);
			memcpy(z, png_a, sizeof(png_a) - 1);
			reply(c, 200, "image/png", z, HUGE_BYTES);
			free(z);
		} else {
			reply(c, 404, "text/plain", "gone", 4);
		}
	} else {
		reply(c, 404, "text/plain", "no", 2);
	}
}

static void peer_start(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	memset(&pr, 0, sizeof(pr));
	pthread_mutex_init(&pr.mu, NULL);
	assert_non_null(key);
	assert_int_equal(PEM_write_bio_PUBKEY(b, key), 1);
	n = BIO_get_mem_data(b, &p);
	pr.pem = strndup(p, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(key);
	pr.l = lsrv_start(peer_one, NULL);
	assert_non_null(pr.l);
	pr.port = lsrv_port(pr.l);
}

static void peer_stop(void)
{
	lsrv_stop(pr.l);
	free(pr.pem);
}

/* Regular files under `dir`, recursively (bounded depth). */
static size_t count_files(const char *dir, int depth)
{
	DIR *d = depth < 6 ? opendir(dir) : NULL;
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char p[1024];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += count_files(p, depth + 1);
		else if (S_ISREG(st.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

static void test_hostile_icons(void **state)
{
	static const char *const names[] = {"missing", "text", "huge"};
	struct td *a = g_a = fpair_start(NULL);
	struct tc_user alice;
	char blobs[512], body[256], needle[256], path[128];
	size_t before;

	(void)state;
	assert_non_null(a);
	peer_start();
	g_peer = true;
	tc_user_make(a, "alice", &alice);
	snprintf(blobs, sizeof(blobs), "%s/blobs", td_data_dir(a));
	before = count_files(blobs, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *v;

		snprintf(body, sizeof(body), "{\"username\":\"%s@127.0.0.1:%d\"}", names[i],
		         pr.port);
		v = tc_ok(a, "POST", "/api/users/friend", alice.token, body, 200);
		snprintf(path, sizeof(path), "/api/users/%s", tc_sget(v, "_id"));
		json_decref(v);
		/* the worker tried and gave up (logged), and the user keeps the default avatar */
		snprintf(needle, sizeof(needle), "media: avatar 'http://127.0.0.1:%d/img/%s.png'",
		         pr.port, names[i]);
		assert_true(td_log_has(a, needle, FPAIR_WAIT_MS));
		assert_true(td_log_has(a, "default image kept", FPAIR_WAIT_MS));
		v = tc_ok(a, "GET", path, alice.token, NULL, 200);
		assert_null(json_object_get(v, "avatar"));
		json_decref(v);
	}
	pthread_mutex_lock(&pr.mu);
	assert_true(pr.image_hits >= 3);
	pthread_mutex_unlock(&pr.mu);
	/* nothing stored, and A still answers */
	assert_int_equal(count_files(blobs, 0), before);
	json_decref(tc_ok(a, "GET", "/api/users/@me", alice.token, NULL, 200));
}

/* Stops the peer and the daemons, also after a failed assertion; a non-zero exit fails. */
static int teardown(void **state)
{
	int ra = g_a ? td_stop(g_a, FPAIR_STOP_MS, false) : 0;
	int rb = g_b ? td_stop(g_b, FPAIR_STOP_MS, false) : 0;

	(void)state;
	if (g_peer)
		peer_stop();
	g_peer = false;
	g_a = g_b = NULL;
	if (ra != 0 || rb != 0) {
		fprintf(stderr, "daemon exit status: A %d, B %d\n", ra, rb);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_avatar_follows, teardown),
	    cmocka_unit_test_teardown(test_hostile_icons, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
