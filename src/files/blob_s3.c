/*
 * files/blob_s3.c: the S3-compatible backend (Amazon S3 REST API: PutObject,
 * GetObject, HeadObject, DeleteObject), signed with AWS SigV4
 * (files/sigv4.h). The only file besides core/fetch.c that includes
 * <curl/curl.h>: object storage talks to one operator-configured endpoint,
 * not to arbitrary URLs, so it does not go through the SSRF-guarded fetcher.
 * Payloads are sent as UNSIGNED-PAYLOAD: the blob itself is authenticated
 * by its secretstream tags, and hashing the file again would cost a pass.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "files/blob_int.h"
#include "files/sigv4.h"

/* bytes of a request URL or header line we build */
#define S3_LINE_MAX 2048
/* seconds to wait for a connection, within the request timeout */
#define S3_CONNECT_SECS 10

struct s3 {
	char *scheme;   /* "http" or "https" */
	char *hostport; /* endpoint host[:port] */
	char *bucket, *region, *access_key, *secret_key;
	bool path_style;
	unsigned timeout_s;
	uint64_t dl_max; /* bound on a GET body: the largest blob the store accepts */
	struct curl_slist *resolve;
};

/* What one request sends and where its body goes. */
struct s3_call {
	const char *method;
	const char *hash; /* object key; NULL = the bucket itself */
	int up_fd;        /* PUT body, or -1 */
	uint64_t up_len;
	int down_fd;        /* GET body goes here, or -1 */
	unsigned char *mem; /* ... or here (at most mem_cap bytes) */
	size_t mem_cap, mem_len;
	uint64_t got;
	bool over; /* body larger than allowed */
	const char *range;
	long status;
};

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct s3_call *c = ud;
	ssize_t k;

	do
		k = read(c->up_fd, p, size * nmemb);
	while (k < 0 && errno == EINTR);
	return k < 0 ? CURL_READFUNC_ABORT : (size_t)k;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct s3_call *c = ud;
	size_t n = size * nmemb;

	if (c->mem) {
		size_t k = c->mem_cap - c->mem_len < n ? c->mem_cap - c->mem_len : n;

		memcpy(c->mem + c->mem_len, p, k);
		c->mem_len += k;
		/* a server that ignores Range is cut off once we have the header */
		return c->mem_len == c->mem_cap ? 0 : n;
	}
	/* bodies we do not keep (PUT answers, XML errors) are dropped */
	if (c->down_fd < 0)
		return n;
	if (n > c->mem_cap - c->got) {
		c->over = true;
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t k = write(c->down_fd, p + off, n - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		off += (size_t)k;
	}
	c->got += n;
	return n;
}

/* Builds URL, Host and canonical path for the object (or the bucket). */
static void target(const struct s3 *s3, const char *hash, struct buf *url, struct buf *host,
                   struct buf *path)
{
	if (s3->path_style) {
		buf_printf(host, "%s", s3->hostport);
		buf_printf(path, "/%s%s%s", s3->bucket, hash ? "/" : "", hash ? hash : "");
	} else {
		buf_printf(host, "%s.%s", s3->bucket, s3->hostport);
		buf_printf(path, "/%s", hash ? hash : "");
	}
	buf_printf(url, "%s://%s", s3->scheme, buf_cstr(host));
	sigv4_uri_encode(url, buf_cstr(path), true);
}

static enum err call(const struct s3 *s3, struct s3_call *c, struct err_info *ei)
{
	struct buf url = BUF_INIT(S3_LINE_MAX), host = BUF_INIT(S3_LINE_MAX);
	struct buf path = BUF_INIT(S3_LINE_MAX), auth = BUF_INIT(S3_LINE_MAX);
	struct buf line = BUF_INIT(S3_LINE_MAX);
	struct curl_slist *hdrs = NULL, *h2;
	struct sigv4_kv kv[4];
	struct sigv4_req req;
	char date[17];
	size_t nkv = 0;
	CURL *curl = NULL;
	CURLcode cc;
	enum err rc;

	target(s3, c->hash, &url, &host, &path);
	sigv4_amz_date((int64_t)time(NULL), date);
	kv[nkv++] = (struct sigv4_kv){"host", buf_cstr(&host)};
	kv[nkv++] = (struct sigv4_kv){"x-amz-content-sha256", "UNSIGNED-PAYLOAD"};
	kv[nkv++] = (struct sigv4_kv){"x-amz-date", date};
	if (c->range)
		kv[nkv++] = (struct sigv4_kv){"range", c->range};
	req = (struct sigv4_req){c->method, buf_cstr(&path),    NULL, 0,          kv,
	                         nkv,       "UNSIGNED-PAYLOAD", date, s3->region, "s3"};
	rc = sigv4_authorization(&req, s3->access_key, s3->secret_key, &auth);
	if (rc || buf_err(&url) || buf_err(&host)) {
		rc = SE_RAISEF(ei, rc ? rc : SE_CONFIG, "blob: s3 request for '%s' too long",
		               c->hash ? c->hash : s3->bucket);
		goto out;
	}
	for (size_t i = 0; i < nkv; i++) {
		buf_reset(&line);
		buf_printf(&line, "%s: %s", kv[i].name, kv[i].value);
		h2 = buf_err(&line) ? NULL : curl_slist_append(hdrs, buf_cstr(&line));
		if (!h2)
			goto nomem;
		hdrs = h2;
	}
	buf_reset(&line);
	buf_printf(&line, "Authorization: %s", buf_cstr(&auth));
	/* no "Expect: 100-continue" round trip before a PUT body */
	h2 = buf_err(&line) ? NULL : curl_slist_append(hdrs, buf_cstr(&line));
	if (h2)
		hdrs = h2;
	h2 = h2 ? curl_slist_append(hdrs, "Expect:") : NULL;
	if (!h2)
		goto nomem;
	hdrs = h2;

	curl = curl_easy_init();
	if (!curl)
		goto nomem;
	curl_easy_setopt(curl, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)s3->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	                 (long)(s3->timeout_s < S3_CONNECT_SECS ? s3->timeout_s : S3_CONNECT_SECS));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
	if (s3->resolve)
		curl_easy_setopt(curl, CURLOPT_RESOLVE, s3->resolve);
	if (c->up_fd >= 0) {
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, c);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->up_len);
	} else if (strcmp(c->method, "HEAD") == 0) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
	}
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = SE_RAISEF(ei, SE_TIMEOUT, "blob: s3 %s '%s' timed out", c->method,
		               buf_cstr(&url));
	} else if (c->over) {
		rc = SE_RAISEF(ei, SE_PARSE, "blob: s3 object '%s' is too large", buf_cstr(&url));
	} else if (cc != CURLE_OK && !(c->mem && cc == CURLE_WRITE_ERROR)) {
		rc = SE_RAISEF(ei, SE_IO, "blob: s3 %s '%s': %s", c->method, buf_cstr(&url),
		               curl_easy_strerror(cc));
	}
	goto out;
nomem:
	rc = SE_RAISE(ei, SE_NOMEM);
out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	if (auth.ptr)
		cry_wipe(auth.ptr, auth.len);
	buf_release(&line);
	buf_release(&auth);
	buf_release(&path);
	buf_release(&host);
	buf_release(&url);
	return rc;
}

/* Maps a finished request's status; 404 → SE_NOT_FOUND. */
static enum err status(struct s3_call *c, struct err_info *ei)
{
	if (c->status >= 200 && c->status < 300)
		return SE_OK;
	if (c->status == 404)
		return SE_RAISE(ei, SE_NOT_FOUND);
	return SE_RAISEF(ei, SE_IO, "blob: s3 %s '%s' answered %ld", c->method,
	                 c->hash ? c->hash : "bucket", c->status);
}

static struct s3_call new_call(const char *method, const char *hash)
{
	return (struct s3_call){.method = method, .hash = hash, .up_fd = -1, .down_fd = -1};
}

static enum err s3_exists(struct blob_store *s, const char *hash, bool *yes, struct err_info *ei)
{
	struct s3_call c = new_call("HEAD", hash);
	enum err rc = call(s->be, &c, ei);

	if (rc)
		return rc;
	rc = status(&c, ei);
	if (rc == SE_NOT_FOUND) {
		*yes = false;
		return SE_OK;
	}
	if (rc == SE_OK)
		*yes = true;
	return rc;
}

static enum err s3_put(struct blob_store *s, int fd, const char *tmp_path, uint64_t len,
                       const char *hash, struct err_info *ei)
{
	struct s3_call c = new_call("PUT", hash);
	bool exists = false;
	enum err rc;

	rc = s3_exists(s, hash, &exists, ei);
	if (rc || exists)
		goto out;
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc =
		    SE_RAISEF(ei, SE_IO, "blob: cannot rewind '%s': %s", tmp_path, strerror(errno));
		goto out;
	}
	c.up_fd = fd;
	c.up_len = len;
	rc = call(s->be, &c, ei);
	if (!rc)
		rc = status(&c, ei);
out:
	unlink(tmp_path);
	return rc;
}

static enum err s3_open(struct blob_store *s, const char *hash, int *fd, struct err_info *ei)
{
	struct s3 *s3 = s->be;
	struct s3_call c = new_call("GET", hash);
	enum err rc;
	int f = -1;

	rc = blob_anon_tmp(s, &f, ei);
	if (rc)
		return rc;
	c.down_fd = f;
	c.mem_cap = (size_t)s3->dl_max;
	rc = call(s3, &c, ei);
	if (!rc)
		rc = status(&c, ei);
	if (!rc && lseek(f, 0, SEEK_SET) != 0)
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot rewind a download: %s", strerror(errno));
	if (rc) {
		close(f);
		return rc;
	}
	*fd = f;
	return SE_OK;
}

static enum err s3_head(struct blob_store *s, const char *hash, unsigned char hdr[BLOB_HDR],
                        struct err_info *ei)
{
	struct s3_call c = new_call("GET", hash);
	enum err rc;

	c.range = "bytes=0-15";
	c.mem = hdr;
	c.mem_cap = BLOB_HDR;
	rc = call(s->be, &c, ei);
	if (!rc)
		rc = status(&c, ei);
	if (!rc && c.mem_len != BLOB_HDR)
		rc = SE_RAISEF(ei, SE_PARSE, "blob: '%s' is not a readable blob", hash);
	return rc;
}

static enum err s3_del(struct blob_store *s, const char *hash, struct err_info *ei)
{
	struct s3_call c = new_call("DELETE", hash);
	enum err rc = call(s->be, &c, ei);

	return rc ? rc : status(&c, ei);
}

static void s3_free(void *be)
{
	struct s3 *s3 = be;

	if (!s3)
		return;
	curl_slist_free_all(s3->resolve);
	if (s3->secret_key)
		cry_wipe(s3->secret_key, strlen(s3->secret_key));
	mem_free(s3->scheme);
	mem_free(s3->hostport);
	mem_free(s3->bucket);
	mem_free(s3->region);
	mem_free(s3->access_key);
	mem_free(s3->secret_key);
	mem_free(s3);
	curl_global_cleanup();
}

static const struct blob_ops s3_ops = {
    s3_put, s3_open, s3_head, s3_exists, s3_del, s3_free,
};

static bool is_bucket_name(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63)
		return false;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return false;
	return true;
}

static bool filled(const char *s)
{
	return s && s[0];
}

enum err blob_s3_new(struct blob_store *s, const struct blob_opts *o, struct err_info *ei)
{
	struct s3 *s3 = NULL;
	const char *ep = o->endpoint, *hp;
	size_t hl;

	if (!filled(ep) || !filled(o->bucket) || !filled(o->access_key) || !filled(o->secret_key))
		return SE_RAISEF(
		    ei, SE_CONFIG,
		    "blob: s3 needs an endpoint, a bucket, an access key and a secret key");
	if (strncmp(ep, "http://", 7) == 0)
		hp = ep + 7;
	else if (strncmp(ep, "https://", 8) == 0)
		hp = ep + 8;
	else
		return SE_RAISEF(ei, SE_CONFIG, "blob: s3 endpoint must be http(s)://host[:port]");
	hl = strcspn(hp, "/?#@");
	if (hl == 0 || (hp[hl] && strcmp(hp + hl, "/") != 0) || hl > 255)
		return SE_RAISEF(ei, SE_CONFIG, "blob: s3 endpoint must be http(s)://host[:port]");
	if (!is_bucket_name(o->bucket))
		return SE_RAISEF(ei, SE_CONFIG, "blob: '%s' is not an s3 bucket name", o->bucket);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return SE_RAISEF(ei, SE_IO, "blob: cannot initialise libcurl");
	s3 = xcalloc(1, sizeof(*s3));
	s3->scheme = xstrndup(ep, (size_t)(hp - ep - 3));
	s3->hostport = xstrndup(hp, hl);
	s3->bucket = xstrdup(o->bucket);
	s3->region = xstrdup(filled(o->region) ? o->region : "us-east-1");
	s3->access_key = xstrdup(o->access_key);
	s3->secret_key = xstrdup(o->secret_key);
	s3->path_style = o->path_style;
	s3->timeout_s = o->timeout_s ? o->timeout_s : BLOB_S3_TIMEOUT_DEFAULT;
	s3->dl_max = blob_cipher_size(s->max_size);
	if (filled(o->resolve)) {
		s3->resolve = curl_slist_append(NULL, o->resolve);
		if (!s3->resolve) {
			s3_free(s3);
			return SE_RAISE(ei, SE_NOMEM);
		}
	}
	s->ops = &s3_ops;
	s->be = s3;
	s->tmp_dir = blob_join(o->data_dir, "tmp");
	return SE_OK;
}
