/*
 * tools/bench/bench_autumn.c: the file service (/autumn) of a running daemon
 * (rate limits off, http.body_max above 20 MB plus the multipart overhead).
 *   bench_autumn HTTP_PORT SESSION_TOKEN DAEMON_PID WORK_DIR
 * (3) first, on the fresh daemon: VmHWM of the daemon around one 20 MB upload
 *     (the peak is reset through /proc/PID/clear_refs when allowed), next to
 *     3 x the attachments preview box (1280 x 1280 x 3 bytes).
 * (1) upload throughput of a 10 MB file (POST /autumn/attachments, libcurl
 *     mime streaming the file) next to a plain `cp` of the same file, rounds
 *     interleaved: MB/s each and the ratio.
 * (2) a 4000 x 3000 JPEG made here with libvips is uploaded, attached to a
 *     message in a new server's channel, then GET /autumn/attachments/{id}
 *     (the WebP preview, generated per request) and GET of the original are
 *     timed: p50/p99 and the ratio.
 * (4) VmHWM of the daemon around one GET of that 20 MB original.
 * Wall-clock numbers are printed, never asserted. Only 127.0.0.1 is contacted.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/mem.h"

#define MB10 10000000L
#define MB20 20000000L
#define UPLOAD_ROUNDS 5
/* GETs per kind; BENCH_AUTUMN_GETS overrides (1..1000) */
#define GET_ROUNDS_DEFAULT 20
#define GET_ROUNDS_MAX 1000
#define JPEG_W 4000
#define JPEG_H 3000
/* the attachments preview box (src/files/file.c), 3 bytes a pixel */
#define BOX_BYTES (1280L * 1280L * 3L)
/* JSON answers kept (the rest is counted, not kept) */
#define RESP_MAX 65536

extern char **environ;

static int port;
static const char *token;
static long daemon_pid;
static CURL *curl;
static int get_rounds = GET_ROUNDS_DEFAULT;

/* One response: status, first RESP_MAX bytes, total bytes, content type. */
struct resp {
	long status;
	size_t n, total;
	char body[RESP_MAX + 1];
	char ctype[128];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_autumn: %s\n", what);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	size_t k = RESP_MAX - r->n < n ? RESP_MAX - r->n : n;

	memcpy(r->body + r->n, p, k);
	r->n += k;
	r->body[r->n] = '\0';
	r->total += n;
	return n;
}

/*
 * One request on the shared keep-alive handle. json (borrowed) is sent as
 * the body when set; file (borrowed) as the multipart part "file" with name
 * fname. Fills *r; dies on a transport error.
 */
static void request(const char *method, const char *path, const char *json, const char *file,
                    const char *fname, struct resp *r)
{
	char url[512], auth[256];
	struct curl_slist *h = NULL;
	curl_mime *mime = NULL;
	char *ct = NULL;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	snprintf(auth, sizeof(auth), "X-Session-Token: %s", token);
	h = curl_slist_append(h, auth);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (json) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	} else if (file) {
		curl_mimepart *part;

		/* no "Expect: 100-continue" round trip */
		h = curl_slist_append(h, "Expect:");
		mime = curl_mime_init(curl);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "file");
		curl_mime_filedata(part, file);
		curl_mime_filename(part, fname);
		curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		fprintf(stderr, "bench_autumn: %s %s: %s\n", method, path, curl_easy_strerror(cc));
		exit(1);
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	curl_mime_free(mime);
	curl_slist_free_all(h);
}

/* The string field key of the JSON body of r, copied (caller frees); dies. */
static char *json_field(const struct resp *r, const char *key)
{
	json_t *j = json_loads(r->body, 0, NULL);
	const char *v = json_string_value(json_object_get(j, key));
	char *out;

	if (!v) {
		fprintf(stderr, "bench_autumn: no '%s' in %s\n", key, r->body);
		exit(1);
	}
	out = xstrdup(v);
	json_decref(j);
	return out;
}

/* Upload file as the attachment fname; returns its id (caller frees). */
static char *upload(const char *file, const char *fname, double *ms)
{
	struct resp *r = xcalloc(1, sizeof(*r));
	double t0 = now_ms();
	char *id;

	request("POST", "/autumn/attachments", NULL, file, fname, r);
	*ms = now_ms() - t0;
	if (r->status != 200) {
		fprintf(stderr, "bench_autumn: upload of %s answered %ld: %s\n", fname, r->status,
		        r->body);
		exit(1);
	}
	id = json_field(r, "id");
	mem_free(r);
	return id;
}

/* n bytes of xorshift noise (incompressible, sniffed as data) into path. */
static void write_noise(const char *path, long n, uint64_t seed)
{
	enum { CHUNK = 1 << 16 };
	uint64_t *buf = xmalloc(CHUNK);
	FILE *f = fopen(path, "wb");

	if (!f)
		die("cannot create a noise file");
	while (n > 0) {
		long k = n < CHUNK ? n : CHUNK;

		for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			buf[i] = seed;
		}
		if (fwrite(buf, 1, (size_t)k, f) != (size_t)k)
			die("short write");
		n -= k;
	}
	if (fclose(f))
		die("cannot write a noise file");
	mem_free(buf);
}

/* A JPEG_W x JPEG_H 3-band photo-like (noisy) JPEG at path; returns its size. */
static long write_jpeg(const char *path)
{
	VipsImage *black = NULL, *noise = NULL, *sum = NULL, *u8 = NULL;
	FILE *f;
	long size;

	if (vips_black(&black, JPEG_W, JPEG_H, "bands", 3, NULL) ||
	    vips_gaussnoise(&noise, JPEG_W, JPEG_H, "mean", 128.0, "sigma", 12.0, NULL) ||
	    vips_add(black, noise, &sum, NULL) || vips_cast_uchar(sum, &u8, NULL) ||
	    vips_jpegsave(u8, path, "Q", 85, NULL)) {
		fprintf(stderr, "bench_autumn: libvips: %s\n", vips_error_buffer());
		exit(1);
	}
	g_object_unref(u8);
	g_object_unref(sum);
	g_object_unref(noise);
	g_object_unref(black);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END))
		die("cannot stat the JPEG");
	size = ftell(f);
	fclose(f);
	return size;
}

/* "VmHWM"/"VmRSS" of the daemon in kB, -1 when unreadable. */
static long proc_kb(const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", daemon_pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':')
			kb = strtol(line + fl + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* Reset the daemon's VmHWM to its VmRSS (Linux >= 4.0); false if refused. */
static bool reset_hwm(void)
{
	char path[64];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%ld/clear_refs", daemon_pid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

/* Time `cp src dst` (a child process, like the script would run it). */
static double time_cp(const char *src, const char *dst)
{
	char cmd[] = "cp";
	char *argv[] = {cmd, (char *)src, (char *)dst, NULL};
	double t0 = now_ms();
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, "cp", NULL, NULL, argv, environ))
		die("cannot run cp");
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("cp failed");
	t0 = now_ms() - t0;
	unlink(dst);
	return t0;
}

/* Returns the id of the 20 MB upload (caller frees). */
static char *section_rss(const char *dir)
{
	char path[512];
	double ms;
	long rss0, hwm0, hwm1;
	bool reset;
	char *id;

	snprintf(path, sizeof(path), "%s/noise20.bin", dir);
	write_noise(path, MB20, 0x9e3779b97f4a7c15ull);
	/* one small upload first: lazily initialised state is not the upload's cost */
	snprintf(path, sizeof(path), "%s/warm.bin", dir);
	write_noise(path, 4096, 7);
	mem_free(upload(path, "warm.bin", &ms));
	reset = reset_hwm();
	rss0 = proc_kb("VmRSS");
	hwm0 = proc_kb("VmHWM");
	snprintf(path, sizeof(path), "%s/noise20.bin", dir);
	id = upload(path, "noise20.bin", &ms);
	hwm1 = proc_kb("VmHWM");
	if (hwm0 < 0 || hwm1 < 0)
		die("cannot read /proc/PID/status of the daemon");
	{
		long base = reset ? rss0 : hwm0;
		double inc = (double)(hwm1 - base) * 1024.0;

		printf("rss  20 MB upload (%.0f ms): VmRSS before %ld kB, VmHWM before %ld kB%s, "
		       "after %ld kB | peak increase %.2f MB | 3 x preview box %.2f MB (+ a "
		       "constant: the target) | ratio %.2f\n",
		       ms, rss0, hwm0, reset ? " (reset via clear_refs)" : "", hwm1, inc / 1e6,
		       3.0 * BOX_BYTES / 1e6, inc / (3.0 * BOX_BYTES));
	}
	return id;
}

/* Attach upload `id` to a message in a new server's channel; dies. */
static void attach_new(const char *id)
{
	struct resp *r = xcalloc(1, sizeof(*r));
	char path[256], body[256];
	json_t *j;
	const char *c;

	request("POST", "/api/servers/create", "{\"name\":\"autumn download\"}", NULL, NULL, r);
	j = r->status == 200 ? json_loads(r->body, 0, NULL) : NULL;
	c = json_string_value(
	    json_object_get(json_array_get(json_object_get(j, "channels"), 0), "_id"));
	if (!c)
		die("servers/create returned no channel");
	snprintf(path, sizeof(path), "/api/channels/%s/messages", c);
	json_decref(j);
	snprintf(body, sizeof(body), "{\"content\":\"file\",\"attachments\":[\"%s\"]}", id);
	request("POST", path, body, NULL, NULL, r);
	if (r->status != 200) {
		fprintf(stderr, "bench_autumn: message answered %ld: %s\n", r->status, r->body);
		exit(1);
	}
	mem_free(r);
}

/*
 * (4) VmHWM of the daemon around one GET of the 20 MB original (and one
 * Range GET of its second half): a streamed body keeps one chunk per
 * connection, a buffered one the whole file (twice: body and wire copy).
 */
static void section_download(const char *id)
{
	struct resp *r = xcalloc(1, sizeof(*r));
	char path[256];
	long base, hwm1;
	double t0, ms;
	bool reset;

	attach_new(id);
	snprintf(path, sizeof(path), "/autumn/attachments/%s/noise20.bin", id);
	request("GET", path, NULL, NULL, NULL, r); /* warm: lazily initialised state */
	reset = reset_hwm();
	base = reset ? proc_kb("VmRSS") : proc_kb("VmHWM");
	t0 = now_ms();
	request("GET", path, NULL, NULL, NULL, r);
	ms = now_ms() - t0;
	hwm1 = proc_kb("VmHWM");
	if (r->status != 200 || r->total != (size_t)MB20)
		die("GET of the 20 MB original failed");
	printf("rss  20 MB download (%.0f ms, %.0f MB/s): peak increase %.2f MB%s\n", ms,
	       MB20 / 1e3 / ms, (double)(hwm1 - base) * 1024.0 / 1e6,
	       reset ? "" : " (VmHWM not resettable: lower bound)");
	mem_free(r);
}

static void section_upload(const char *dir)
{
	char src[512], dst[512];
	double up[UPLOAD_ROUNDS], cp[UPLOAD_ROUNDS], ms, mu, mc;

	snprintf(src, sizeof(src), "%s/noise10.bin", dir);
	snprintf(dst, sizeof(dst), "%s/noise10.copy", dir);
	write_noise(src, MB10, 0x2545f4914f6cdd1dull);
	for (int i = 0; i < UPLOAD_ROUNDS; i++) {
		char name[32];

		/* different names, same bytes: the blob dedups, the pipeline still runs */
		snprintf(name, sizeof(name), "noise10-%d.bin", i);
		mem_free(upload(src, name, &ms));
		up[i] = ms;
		cp[i] = time_cp(src, dst);
		printf("round %d  upload 10 MB: %.1f ms (%.1f MB/s) | cp: %.1f ms (%.1f MB/s)\n",
		       i + 1, up[i], MB10 / 1e3 / up[i], cp[i], MB10 / 1e3 / cp[i]);
	}
	qsort(up, UPLOAD_ROUNDS, sizeof(double), cmp_double);
	qsort(cp, UPLOAD_ROUNDS, sizeof(double), cmp_double);
	mu = MB10 / 1e3 / up[UPLOAD_ROUNDS / 2];
	mc = MB10 / 1e3 / cp[UPLOAD_ROUNDS / 2];
	printf("upload median %.1f MB/s | cp median %.1f MB/s | ratio upload/cp %.2f\n", mu, mc,
	       mu / mc);
}

/* GET path get_rounds times; p50/p99 in *p50, *p99; bytes of the last answer. */
static size_t time_gets(const char *path, const char *want_type, double *p50, double *p99)
{
	double *lat = xcalloc((size_t)get_rounds, sizeof(double));
	struct resp *r = xcalloc(1, sizeof(*r));
	size_t total = 0;

	for (int i = 0; i < get_rounds; i++) {
		double t0 = now_ms();

		request("GET", path, NULL, NULL, NULL, r);
		lat[i] = now_ms() - t0;
		if (r->status != 200 || strncmp(r->ctype, want_type, strlen(want_type))) {
			fprintf(stderr, "bench_autumn: GET %s answered %ld (%s)\n", path, r->status,
			        r->ctype);
			exit(1);
		}
		total = r->total;
	}
	qsort(lat, (size_t)get_rounds, sizeof(double), cmp_double);
	*p50 = lat[get_rounds / 2];
	*p99 = lat[(get_rounds * 99 + 99) / 100 - 1];
	mem_free(lat);
	mem_free(r);
	return total;
}

static void section_preview(const char *dir)
{
	char path[512], body[256];
	struct resp *r = xcalloc(1, sizeof(*r));
	double ms, v50, v99, o50, o99, first;
	long jpeg, hwm0, hwm1, rss1;
	size_t vbytes, obytes;
	json_t *j;
	char *id, *chan;
	bool reset;

	snprintf(path, sizeof(path), "%s/photo.jpg", dir);
	jpeg = write_jpeg(path);
	id = upload(path, "photo.jpg", &ms);
	printf("jpeg %dx%d, %.2f MB: upload (decode, strip, re-encode, store) %.0f ms\n", JPEG_W,
	       JPEG_H, jpeg / 1e6, ms);
	request("POST", "/api/servers/create", "{\"name\":\"autumn bench\"}", NULL, NULL, r);
	if (r->status != 200) {
		fprintf(stderr, "bench_autumn: servers/create answered %ld: %s\n", r->status,
		        r->body);
		exit(1);
	}
	j = json_loads(r->body, 0, NULL);
	{
		const char *c = json_string_value(
		    json_object_get(json_array_get(json_object_get(j, "channels"), 0), "_id"));

		if (!c)
			die("servers/create returned no channel");
		chan = xstrdup(c);
	}
	json_decref(j);
	snprintf(path, sizeof(path), "/api/channels/%s/messages", chan);
	snprintf(body, sizeof(body), "{\"content\":\"photo\",\"attachments\":[\"%s\"]}", id);
	request("POST", path, body, NULL, NULL, r);
	if (r->status != 200) {
		fprintf(stderr, "bench_autumn: message answered %ld: %s\n", r->status, r->body);
		exit(1);
	}
	snprintf(path, sizeof(path), "/autumn/attachments/%s", id);
	/* the first preview alone (libvips' first use: thread pool, arenas) */
	reset = reset_hwm();
	hwm0 = reset ? proc_kb("VmRSS") : proc_kb("VmHWM");
	request("GET", path, NULL, NULL, NULL, r);
	hwm1 = proc_kb("VmHWM");
	if (r->status != 200)
		die("the first preview GET failed");
	first = (double)(hwm1 - hwm0) * 1024.0 / 1e6;
	reset = reset_hwm();
	hwm0 = reset ? proc_kb("VmRSS") : proc_kb("VmHWM");
	vbytes = time_gets(path, "image/webp", &v50, &v99);
	hwm1 = proc_kb("VmHWM");
	rss1 = proc_kb("VmRSS");
	snprintf(path, sizeof(path), "/autumn/attachments/%s/photo.jpg", id);
	obytes = time_gets(path, "image/jpeg", &o50, &o99);
	printf("preview GET (WebP, %zu B) x%d: p50 %.1f ms p99 %.1f ms | original GET (%zu B): "
	       "p50 %.1f ms p99 %.1f ms | ratio p50 preview/original %.2f\n",
	       vbytes, get_rounds, v50, v99, obytes, o50, o99, o50 > 0 ? v50 / o50 : 0);
	printf("info  peak RSS increase: first preview %.2f MB, the next %d previews %.2f MB%s, "
	       "VmRSS after them %ld kB | 3 x preview box %.2f MB\n",
	       first, get_rounds, (double)(hwm1 - hwm0) * 1024.0 / 1e6,
	       reset ? "" : " (VmHWM not resettable: lower bound)", rss1, 3.0 * BOX_BYTES / 1e6);
	mem_free(chan);
	mem_free(id);
	mem_free(r);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr,
		        "usage: bench_autumn HTTP_PORT SESSION_TOKEN DAEMON_PID WORK_DIR\n");
		return 2;
	}
	port = atoi(argv[1]);
	token = argv[2];
	daemon_pid = atol(argv[3]);
	if (getenv("BENCH_AUTUMN_GETS")) {
		get_rounds = atoi(getenv("BENCH_AUTUMN_GETS"));
		if (get_rounds < 1 || get_rounds > GET_ROUNDS_MAX)
			die("BENCH_AUTUMN_GETS: 1..1000");
	}
	if (VIPS_INIT(argv[0]))
		die("libvips init failed");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(curl = curl_easy_init()))
		die("libcurl init failed");
	{
		char *id = section_rss(argv[4]);

		section_download(id);
		mem_free(id);
	}
	section_upload(argv[4]);
	section_preview(argv[4]);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	vips_shutdown();
	return 0;
}
