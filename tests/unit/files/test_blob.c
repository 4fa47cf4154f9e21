/*
 * tests/unit/files/test_blob.c: the blob store. Local disk: round trips
 * (empty, one byte, chunk edges, 10 MB, odd write and read sizes), skip,
 * de-duplication, tamper/truncation/extension detection, the key file
 * (created 0600, reused, wrong key refused), the size limit and abort
 * leaving nothing behind. S3: a round trip, path-style and virtual-host
 * style, against a real S3-compatible server started here on 127.0.0.1
 * (s3rver from npm, which checks SigV4 signatures, or moto_server), stopped
 * at the end; the test fails when neither is installed (tools/install-deps
 * installs s3rver into tests/js).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "files/blob.h"
#include "files/sigv4.h"
#include "tests/support/daemon.h"

static char tmpl[] = "/tmp/sol-blob-XXXXXX";
static char *base;

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)) != NULL) {
			char sub[1024];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* Regular files below `path`. */
static int count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char sub[1024];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(sub);
		else
			n++;
	}
	closedir(d);
	return n;
}

static char *path_of(const char *sub)
{
	static char p[1024];

	snprintf(p, sizeof(p), "%s/%s", base, sub);
	return p;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
}

static struct blob_store *open_local(const char *data, const char *key_b64)
{
	struct blob_opts o = {.backend = BLOB_LOCAL, .data_dir = data, .key_b64 = key_b64};
	struct blob_store *s = NULL;
	struct err_info ei = ERR_INFO_INIT;

	assert_int_equal(blob_store_new(&o, &s, &ei), SE_OK);
	return s;
}

/* Writes `n` bytes in pieces of `step`; returns the hash. */
static void put(struct blob_store *s, const unsigned char *p, size_t n, size_t step,
                char hash[BLOB_HASH_HEX])
{
	struct blob_writer *w = NULL;
	uint64_t size = 0;

	assert_int_equal(blob_writer_begin(s, 0, &w, NULL), SE_OK);
	for (size_t off = 0; off < n; off += step)
		assert_int_equal(
		    blob_writer_write(w, p + off, n - off < step ? n - off : step, NULL), SE_OK);
	assert_int_equal(blob_writer_commit(w, hash, &size, NULL), SE_OK);
	assert_int_equal(size, n);
}

/* Reads the whole blob in pieces of `cap`; checks it equals p[0..n). */
static void check(struct blob_store *s, const char *hash, const unsigned char *p, size_t n,
                  size_t cap)
{
	struct blob_reader *r = NULL;
	unsigned char *got = malloc(n + 1), *piece = malloc(cap);
	uint64_t size = 0;
	size_t total = 0, k = 0;

	assert_int_equal(blob_size(s, hash, &size, NULL), SE_OK);
	assert_int_equal(size, n);
	assert_int_equal(blob_reader_open(s, hash, &r, &size, NULL), SE_OK);
	assert_int_equal(size, n);
	do {
		assert_int_equal(blob_reader_read(r, piece, cap, &k, NULL), SE_OK);
		assert_true(total + k <= n);
		memcpy(got + total, piece, k);
		total += k;
	} while (k);
	assert_int_equal(total, n);
	assert_memory_equal(got, p, n);
	blob_reader_close(r);
	free(got);
	free(piece);
}

static void hex_sha(const unsigned char *p, size_t n, char out[BLOB_HASH_HEX])
{
	unsigned char h[32];

	cry_sha256(p, n, h);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void test_round_trip(void **state)
{
	static const struct {
		size_t n, step, cap;
	} cases[] = {
	    {0, 1, 10},
	    {1, 1, 1},
	    {BLOB_CHUNK - 1, 4096, 7000},
	    {BLOB_CHUNK, BLOB_CHUNK, BLOB_CHUNK},
	    {BLOB_CHUNK + 1, 1000, 100000},
	    {3 * BLOB_CHUNK, 65537, 4096},
	    {10u * 1000 * 1000, 7777, 50000},
	};
	struct blob_store *s = open_local(path_of("rt"), NULL);
	unsigned char *data = malloc(10u * 1000 * 1000);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hash[BLOB_HASH_HEX], want[BLOB_HASH_HEX];
		bool yes = false;

		fill(data, cases[i].n, (unsigned)i);
		put(s, data, cases[i].n, cases[i].step, hash);
		hex_sha(data, cases[i].n, want);
		assert_string_equal(hash, want);
		assert_true(blob_is_hash(hash));
		assert_int_equal(blob_exists(s, hash, &yes, NULL), SE_OK);
		assert_true(yes);
		check(s, hash, data, cases[i].n, cases[i].cap);
	}
	assert_int_equal(count_files(path_of("rt/blobs/.tmp")), 0);
	assert_int_equal(count_files(path_of("rt/blobs")), 7);
	free(data);
	blob_store_free(s);
}

static void test_skip_and_delete(void **state)
{
	struct blob_store *s = open_local(path_of("skip"), NULL);
	size_t n = 3 * BLOB_CHUNK + 100, k = 0;
	unsigned char *data = malloc(n), got[300];
	struct blob_reader *r = NULL;
	char hash[BLOB_HASH_HEX];
	bool yes = true;

	(void)state;
	fill(data, n, 99);
	put(s, data, n, n, hash);
	assert_int_equal(blob_reader_open(s, hash, &r, NULL, NULL), SE_OK);
	assert_int_equal(blob_reader_skip(r, 2 * BLOB_CHUNK + 5, NULL), SE_OK);
	assert_int_equal(blob_reader_read(r, got, sizeof(got), &k, NULL), SE_OK);
	assert_int_equal(k, sizeof(got));
	assert_memory_equal(got, data + 2 * BLOB_CHUNK + 5, k);
	assert_int_equal(blob_reader_skip(r, (uint64_t)1 << 40, NULL), SE_OK);
	assert_int_equal(blob_reader_read(r, got, sizeof(got), &k, NULL), SE_OK);
	assert_int_equal(k, 0);
	blob_reader_close(r);

	assert_int_equal(blob_delete(s, hash, NULL), SE_OK);
	assert_int_equal(blob_exists(s, hash, &yes, NULL), SE_OK);
	assert_false(yes);
	assert_int_equal(blob_delete(s, hash, NULL), SE_NOT_FOUND);
	assert_int_equal(blob_reader_open(s, hash, &r, NULL, NULL), SE_NOT_FOUND);
	assert_int_equal(blob_exists(s, "ABC", &yes, NULL), SE_PARSE);
	assert_int_equal(blob_reader_open(s, "../../etc/passwd", &r, NULL, NULL), SE_PARSE);
	free(data);
	blob_store_free(s);
}

static void test_dedup(void **state)
{
	struct blob_store *s = open_local(path_of("dedup"), NULL);
	unsigned char data[5000];
	char h1[BLOB_HASH_HEX], h2[BLOB_HASH_HEX];

	(void)state;
	fill(data, sizeof(data), 5);
	put(s, data, sizeof(data), 1000, h1);
	put(s, data, sizeof(data), 333, h2);
	assert_string_equal(h1, h2);
	assert_int_equal(count_files(path_of("dedup/blobs")), 1);
	check(s, h1, data, sizeof(data), 4096);
	blob_store_free(s);
}

/* Path of the only blob file of a store under `data`. */
static void blob_file(const char *data, const char *hash, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/blobs/%.2s/%s", base, data, hash, hash);
}

static enum err read_all(struct blob_store *s, const char *hash)
{
	struct blob_reader *r = NULL;
	unsigned char buf[8192];
	size_t k = 0;
	enum err rc;

	rc = blob_reader_open(s, hash, &r, NULL, NULL);
	if (rc)
		return rc;
	do
		rc = blob_reader_read(r, buf, sizeof(buf), &k, NULL);
	while (!rc && k);
	blob_reader_close(r);
	return rc;
}

static void test_tamper(void **state)
{
	/* offsets into a 3-chunk blob: header size, stream header, chunk 1, last tag byte */
	static const long flips[] = {15, 20, 40, 70000, -1};
	struct blob_store *s = open_local(path_of("tamper"), NULL);
	size_t n = 2 * BLOB_CHUNK + 10;
	unsigned char *data = malloc(n);
	char hash[BLOB_HASH_HEX], file[1024];
	struct stat st;

	(void)state;
	fill(data, n, 7);
	put(s, data, n, n, hash);
	blob_file("tamper", hash, file, sizeof(file));
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(read_all(s, hash), SE_OK);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		long off = flips[i] < 0 ? (long)st.st_size - 1 : flips[i];
		int fd = open(file, O_RDWR);
		unsigned char b;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, off), 1);
		b ^= 0x01;
		assert_int_equal(pwrite(fd, &b, 1, off), 1);
		assert_int_not_equal(read_all(s, hash), SE_OK);
		b ^= 0x01;
		assert_int_equal(pwrite(fd, &b, 1, off), 1);
		close(fd);
		assert_int_equal(read_all(s, hash), SE_OK);
	}
	/* extended by a byte, truncated by a byte, and by the whole last chunk */
	assert_int_equal(truncate(file, st.st_size + 1), 0);
	assert_int_equal(read_all(s, hash), SE_PARSE);
	assert_int_equal(truncate(file, st.st_size), 0);
	assert_int_equal(read_all(s, hash), SE_OK);
	assert_int_equal(truncate(file, st.st_size - 1), 0);
	assert_int_equal(read_all(s, hash), SE_PARSE);
	assert_int_equal(truncate(file, st.st_size - 10 - 17), 0);
	assert_int_equal(read_all(s, hash), SE_PARSE);
	free(data);
	blob_store_free(s);
}

static void test_key_file(void **state)
{
	struct blob_store *s = open_local(path_of("key"), NULL), *s2 = NULL;
	struct blob_opts o = {.backend = BLOB_LOCAL, .data_dir = path_of("key")};
	unsigned char data[100], k1[200], k2[200];
	char hash[BLOB_HASH_HEX], kf[1024], b64[200];
	struct stat st;
	ssize_t n1, n2;
	int fd;

	(void)state;
	snprintf(kf, sizeof(kf), "%s/key/keys/blob.key", base);
	assert_int_equal(stat(kf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(kf, O_RDONLY);
	n1 = read(fd, k1, sizeof(k1));
	close(fd);
	fill(data, sizeof(data), 11);
	put(s, data, sizeof(data), 10, hash);
	blob_store_free(s);

	/* a second start reuses the key and reads the old blob */
	s = open_local(path_of("key"), NULL);
	fd = open(kf, O_RDONLY);
	n2 = read(fd, k2, sizeof(k2));
	close(fd);
	assert_int_equal(n1, n2);
	assert_memory_equal(k1, k2, (size_t)n1);
	check(s, hash, data, sizeof(data), 64);
	blob_store_free(s);

	/* the same key given in the configuration works; another one does not */
	memcpy(b64, k1, (size_t)n1);
	b64[n1] = '\0';
	s = open_local(path_of("key"), b64);
	check(s, hash, data, sizeof(data), 64);
	blob_store_free(s);
	s = open_local(path_of("key"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(read_all(s, hash), SE_PARSE);
	blob_store_free(s);
	o.key_b64 = "c2hvcnQ=";
	assert_int_equal(blob_store_new(&o, &s2, NULL), SE_CONFIG);
	assert_null(s2);
}

static void test_limit_and_abort(void **state)
{
	struct blob_store *s = open_local(path_of("limit"), NULL);
	struct blob_writer *w = NULL;
	unsigned char data[600];
	char hash[BLOB_HASH_HEX];
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	fill(data, sizeof(data), 3);
	assert_int_equal(blob_writer_begin(s, 1000, &w, NULL), SE_OK);
	assert_int_equal(count_files(path_of("limit/blobs/.tmp")), 1);
	assert_int_equal(blob_writer_write(w, data, sizeof(data), NULL), SE_OK);
	assert_int_equal(blob_writer_write(w, data, sizeof(data), &ei), SE_TOO_LARGE);
	assert_int_equal(count_files(path_of("limit/blobs/.tmp")), 0);
	assert_int_equal(blob_writer_write(w, data, 1, NULL), SE_TOO_LARGE);
	assert_int_equal(blob_writer_commit(w, hash, NULL, NULL), SE_TOO_LARGE);
	assert_int_equal(count_files(path_of("limit/blobs")), 0);

	/* exactly at the limit is fine */
	assert_int_equal(blob_writer_begin(s, 600, &w, NULL), SE_OK);
	assert_int_equal(blob_writer_write(w, data, sizeof(data), NULL), SE_OK);
	assert_int_equal(blob_writer_commit(w, hash, NULL, NULL), SE_OK);
	assert_int_equal(blob_delete(s, hash, NULL), SE_OK);

	/* abort after some data, and after none */
	assert_int_equal(blob_writer_begin(s, 0, &w, NULL), SE_OK);
	assert_int_equal(blob_writer_write(w, data, sizeof(data), NULL), SE_OK);
	blob_writer_abort(w);
	assert_int_equal(blob_writer_begin(s, 0, &w, NULL), SE_OK);
	blob_writer_abort(w);
	blob_writer_abort(NULL);
	assert_int_equal(count_files(path_of("limit/blobs")), 0);
	blob_store_free(s);
}

/* ---- S3 against a server on 127.0.0.1 ---- */

static pid_t server_pid = -1;
static int server_port;
/* s3rver refuses unknown access keys (its V4 signature check is unimplemented);
 * moto_server accepts anything. The signer itself is checked against AWS's
 * vectors in test_sigv4.c. */
static bool server_checks_keys;

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

static const char *find_in_path(const char *name)
{
	static char p[1024];
	const char *path = getenv("PATH");

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(p, sizeof(p), "%.*s/%s", (int)n, path, name);
		if (access(p, X_OK) == 0)
			return p;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* Starts s3rver or moto_server; false (test skipped) when neither exists. */
static bool start_server(void)
{
	const char *s3rver = getenv("SOL_S3RVER"), *moto = NULL;
	char port[16], dir[1024];

	if (!s3rver && access("tests/js/node_modules/.bin/s3rver", X_OK) == 0)
		s3rver = "tests/js/node_modules/.bin/s3rver";
	if (!s3rver)
		s3rver = find_in_path("s3rver");
	if (!s3rver)
		moto = find_in_path("moto_server");
	if (!s3rver && !moto)
		return false;
	server_checks_keys = s3rver != NULL;
	s3rver = s3rver ? strdup(s3rver) : NULL;
	moto = moto ? strdup(moto) : NULL;
	server_port = free_port();
	snprintf(port, sizeof(port), "%d", server_port);
	snprintf(dir, sizeof(dir), "%s/s3srv", base);
	mkdir(dir, 0700);
	print_message("s3: starting %s on 127.0.0.1:%d\n", s3rver ? s3rver : moto, server_port);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		td_child_init();
		setpgid(0, 0);
		if (s3rver)
			execl(s3rver, s3rver, "-d", dir, "-a", "127.0.0.1", "-p", port, "--silent",
			      "--service-endpoint", "localhost", (char *)NULL);
		else
			execl(moto, moto, "-H", "127.0.0.1", "-p", port, (char *)NULL);
		_exit(127);
	}
	setpgid(server_pid, server_pid);
	free((void *)s3rver);
	free((void *)moto);
	/* bounded wait: 30 s for the port to open */
	for (int i = 0; i < 300 && !port_open(server_port); i++) {
		int st;

		assert_int_equal(waitpid(server_pid, &st, WNOHANG), 0);
		usleep(100 * 1000);
	}
	assert_true(port_open(server_port));
	return true;
}

static void stop_server(void)
{
	int st;

	if (server_pid <= 0)
		return;
	kill(-server_pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
			server_pid = -1;
			return;
		}
		usleep(100 * 1000);
	}
	kill(-server_pid, SIGKILL);
	waitpid(server_pid, &st, 0);
	server_pid = -1;
}

static size_t drop(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p;
	(void)ud;
	return size * nmemb;
}

/* PUT /bucket, signed with files/sigv4 (path-style, UNSIGNED-PAYLOAD). */
static void create_bucket(const char *bucket)
{
	char host[64], date[17], url[256], line[1024];
	struct buf auth = BUF_INIT(4096);
	struct curl_slist *h = NULL;
	struct sigv4_kv kv[3];
	struct sigv4_req req;
	char path[80];
	long status = 0;
	CURL *c = curl_easy_init();

	snprintf(host, sizeof(host), "127.0.0.1:%d", server_port);
	snprintf(path, sizeof(path), "/%s", bucket);
	snprintf(url, sizeof(url), "http://%s%s", host, path);
	sigv4_amz_date((int64_t)time(NULL), date);
	kv[0] = (struct sigv4_kv){"host", host};
	kv[1] = (struct sigv4_kv){"x-amz-content-sha256", "UNSIGNED-PAYLOAD"};
	kv[2] = (struct sigv4_kv){"x-amz-date", date};
	req = (struct sigv4_req){"PUT", path,        NULL, 0, kv, 3, "UNSIGNED-PAYLOAD",
	                         date,  "us-east-1", "s3"};
	assert_int_equal(sigv4_authorization(&req, "S3RVER", "S3RVER", &auth), SE_OK);
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%s: %s", kv[i].name, kv[i].value);
		h = curl_slist_append(h, line);
	}
	snprintf(line, sizeof(line), "Authorization: %s", buf_cstr(&auth));
	h = curl_slist_append(h, line);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	buf_release(&auth);
}

static void s3_round_trip(bool path_style)
{
	char endpoint[128], resolve[128];
	struct blob_opts o = {.backend = BLOB_S3,
	                      .data_dir = path_of(path_style ? "s3p" : "s3v"),
	                      .region = "us-east-1",
	                      .bucket = "solblobs",
	                      .access_key = "S3RVER",
	                      .secret_key = "S3RVER",
	                      .path_style = path_style,
	                      .timeout_s = 20};
	struct blob_store *s = NULL;
	struct err_info ei = ERR_INFO_INIT;
	size_t n = 3 * BLOB_CHUNK + 123;
	unsigned char *data = malloc(n);
	char hash[BLOB_HASH_HEX], h2[BLOB_HASH_HEX];
	struct blob_reader *r = NULL;
	uint64_t size = 0;
	bool yes = true;

	if (path_style) {
		snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", server_port);
	} else {
		/* bucket.s3.localhost is pinned to 127.0.0.1: nothing leaves loopback */
		snprintf(endpoint, sizeof(endpoint), "http://s3.localhost:%d", server_port);
		snprintf(resolve, sizeof(resolve), "solblobs.s3.localhost:%d:127.0.0.1",
		         server_port);
		o.resolve = resolve;
	}
	o.endpoint = endpoint;
	if (blob_store_new(&o, &s, &ei) != SE_OK)
		fail_msg("blob_store_new: %s", ei.detail);
	fill(data, n, path_style ? 1 : 2);
	hex_sha(data, n, h2);
	assert_int_equal(blob_exists(s, h2, &yes, &ei), SE_OK);
	assert_false(yes);
	put(s, data, n, 10000, hash);
	assert_string_equal(hash, h2);
	assert_int_equal(blob_exists(s, hash, &yes, NULL), SE_OK);
	assert_true(yes);
	check(s, hash, data, n, 9000);
	/* the same bytes again: de-duplicated by HEAD, nothing changes */
	put(s, data, n, n, h2);
	assert_string_equal(hash, h2);
	check(s, hash, data, n, 9000);
	assert_int_equal(blob_size(s, hash, &size, NULL), SE_OK);
	assert_int_equal(size, n);
	put(s, data, 0, 1, h2);
	check(s, h2, data, 0, 16);
	assert_int_equal(blob_delete(s, hash, NULL), SE_OK);
	assert_int_equal(blob_delete(s, h2, NULL), SE_OK);
	assert_int_equal(blob_exists(s, hash, &yes, NULL), SE_OK);
	assert_false(yes);
	assert_int_equal(blob_reader_open(s, hash, &r, NULL, NULL), SE_NOT_FOUND);
	assert_int_equal(count_files(o.data_dir) - 1, 0); /* only keys/blob.key */
	blob_store_free(s);
	if (server_checks_keys) {
		/* refused credentials: the upload fails and leaves nothing behind */
		o.access_key = "NOBODY";
		assert_int_equal(blob_store_new(&o, &s, NULL), SE_OK);
		{
			struct blob_writer *w = NULL;

			assert_int_equal(blob_writer_begin(s, 0, &w, NULL), SE_OK);
			assert_int_equal(blob_writer_write(w, data, 10, NULL), SE_OK);
			assert_int_equal(blob_writer_commit(w, h2, NULL, NULL), SE_IO);
		}
		assert_int_equal(count_files(o.data_dir) - 1, 0);
		blob_store_free(s);
	}
	free(data);
}

static void test_s3(void **state)
{
	struct blob_opts o = {.backend = BLOB_S3,
	                      .data_dir = path_of("s3bad"),
	                      .endpoint = "ftp://x",
	                      .bucket = "b",
	                      .access_key = "a",
	                      .secret_key = "s"};
	struct blob_store *s = NULL;

	(void)state;
	assert_int_equal(blob_store_new(&o, &s, NULL), SE_CONFIG);
	/* tools/install-deps installs s3rver (tests/js); a missing server is a failure */
	if (!start_server())
		fail_msg(
		    "s3: no S3 server (tests/js/node_modules/.bin/s3rver): run tools/install-deps");
	create_bucket("solblobs");
	s3_round_trip(true);
	s3_round_trip(false);
	stop_server();
}

static int setup(void **state)
{
	(void)state;
	base = mkdtemp(tmpl);
	if (!base || cry_init() != SE_OK)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server();
	rm_rf(base);
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_skip_and_delete),
	    cmocka_unit_test(test_dedup),      cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_key_file),   cmocka_unit_test(test_limit_and_abort),
	    cmocka_unit_test(test_s3),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
