/*
 * http/server_req.c: the request and response bytes of the HTTP listener:
 * copying a request out of lws' header table into a job, spooling large
 * bodies to unlinked files, and serialising a response into one buffer
 * sent with one write (the event loop and workers are in server.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server_int.h"

/*
 * Headers lws does not know by name that handlers read. lws keeps unknown
 * headers in a list we can only query by name, so the list is explicit.
 */
const char *const http_custom_headers[] = {
    "x-session-token",  "x-bot-token",
    "x-mfa-ticket",     "idempotency-key",
    "signature",        "signature-input",
    "digest",           "content-digest",
    "cf-connecting-ip", "x-real-ip",
    "x-webhook-token",  "x-request-id",
    "x-github-event",   "collection-synchronization",
};
const size_t http_n_custom_headers = sizeof(http_custom_headers) / sizeof(http_custom_headers[0]);

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Serialise status line, headers and body into j->out after LWS_PRE bytes. */
void http_serialise(struct job *j)
{
	struct http_resp *r = &j->resp;
	bool head = j->req.method == HTTP_HEAD;
	bool no_body = r->status == 204 || r->status == 304;
	char pre[LWS_PRE];

	if (buf_err(&r->body) || buf_err(&r->headers))
		http_resp_error(r, buf_err(&r->body) ? buf_err(&r->body) : buf_err(&r->headers),
		                NULL, false);
	memset(pre, 0, sizeof(pre));
	buf_reset(&j->out);
	buf_append(&j->out, pre, sizeof(pre));
	buf_printf(&j->out, "HTTP/1.1 %d %s\r\n", r->status, http_reason(r->status));
	if (r->content_type && !no_body)
		buf_printf(&j->out, "Content-Type: %s\r\n", r->content_type);
	if (!no_body && r->stream)
		buf_printf(&j->out, "Content-Length: %" PRIu64 "\r\n", r->stream->len);
	else if (!no_body)
		buf_printf(&j->out, "Content-Length: %zu\r\n", r->body.len);
	if (j->close_after)
		buf_puts(&j->out, "Connection: close\r\n");
	else if (j->keepalive_hdr)
		buf_puts(&j->out, "Connection: keep-alive\r\n");
	buf_append_str(&j->out, buf_str(&r->headers));
	buf_append(&j->out, "\r\n", 2);
	if (!head && !no_body)
		buf_append_str(&j->out, buf_str(&r->body));
	if (buf_err(&j->out)) {
		/* Too large to send: answer a small error instead. */
		buf_reset(&j->out);
		buf_append(&j->out, pre, sizeof(pre));
		buf_puts(&j->out,
		         "HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
		         "application/json\r\nContent-Length: 24\r\nConnection: close\r\n\r\n"
		         "{\"type\":\"InternalError\"}");
		j->close_after = true;
		r->status = 500;
		http_resp_set(r, 500, NULL, STR_NULL); /* drops a stream */
	}
	/* nothing to stream for HEAD, 204, 304 or an empty body */
	if (r->stream && (head || no_body || r->stream->len == 0))
		http_resp_set(r, r->status, r->content_type, STR_NULL);
}

enum http_method http_method_of(struct lws *wsi, enum lws_token_indexes *tok)
{
	static const struct {
		enum lws_token_indexes tok;
		enum http_method m;
	} map[] = {
	    {WSI_TOKEN_GET_URI, HTTP_GET},       {WSI_TOKEN_POST_URI, HTTP_POST},
	    {WSI_TOKEN_PUT_URI, HTTP_PUT},       {WSI_TOKEN_PATCH_URI, HTTP_PATCH},
	    {WSI_TOKEN_DELETE_URI, HTTP_DELETE}, {WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS},
	    {WSI_TOKEN_HEAD_URI, HTTP_HEAD},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (lws_hdr_total_length(wsi, map[i].tok) > 0) {
			*tok = map[i].tok;
			return map[i].m;
		}
	return HTTP_METHOD__COUNT;
}

static bool is_uri_token(int t)
{
	switch (t) {
	case WSI_TOKEN_GET_URI:
	case WSI_TOKEN_POST_URI:
	case WSI_TOKEN_PUT_URI:
	case WSI_TOKEN_PATCH_URI:
	case WSI_TOKEN_DELETE_URI:
	case WSI_TOKEN_OPTIONS_URI:
	case WSI_TOKEN_HEAD_URI:
	case WSI_TOKEN_HTTP_URI_ARGS:
	case WSI_TOKEN_HTTP1_0:
		return true;
	default:
		return false;
	}
}

static int add_header(struct job *j, size_t *cap, const char *name, size_t nlen, const char *val,
                      size_t vlen)
{
	struct http_req *r = &j->req;
	struct http_kv *kv;
	char *n;

	if (r->n_headers >= *cap)
		return 0; /* extra headers beyond MAX_HEADERS are not kept */
	n = arena_strndup(&j->arena, name, nlen);
	if (!n)
		return -1;
	for (size_t i = 0; i < nlen; i++)
		if (n[i] >= 'A' && n[i] <= 'Z')
			n[i] = (char)(n[i] + 32);
	kv = &r->headers[r->n_headers];
	kv->name = (struct str){n, nlen};
	kv->value = arena_str(&j->arena, (struct str){val, vlen});
	if (!kv->value.p)
		return -1;
	kv->value = str_trim(kv->value);
	r->n_headers++;
	return 0;
}

/* Copy what the handler may need out of lws' header table. */
enum err http_copy_request(struct job *j, struct lws *wsi, const char *uri)
{
	struct http_req *r = &j->req;
	char *tmp = NULL;
	size_t cap = MAX_HEADERS;
	enum err rc = SE_NOMEM;
	int n;

	tmp = mem_try_alloc(LIM_HEADER_VALUE_MAX + 1);
	if (!tmp)
		goto out;
	r->path = arena_str(&j->arena, str_from(uri));
	if (!r->path.p)
		goto out;
	r->headers = arena_alloc(&j->arena, cap * sizeof(*r->headers));
	r->query = arena_alloc(&j->arena, MAX_QUERY_ARGS * sizeof(*r->query));
	if (!r->headers || !r->query)
		goto out;
	for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
		const char *name;
		size_t nlen;

		if (is_uri_token(t) || lws_hdr_total_length(wsi, (enum lws_token_indexes)t) <= 0)
			continue;
		name = (const char *)lws_token_to_string((enum lws_token_indexes)t);
		if (!name || name[0] == ':')
			continue;
		nlen = strlen(name);
		if (nlen && name[nlen - 1] == ':')
			nlen--;
		n = lws_hdr_copy(wsi, tmp, LIM_HEADER_VALUE_MAX + 1, (enum lws_token_indexes)t);
		if (n < 0)
			continue; /* longer than we keep: treated as absent */
		if (add_header(j, &cap, name, nlen, tmp, (size_t)n))
			goto out;
	}
	for (size_t i = 0; i < http_n_custom_headers; i++) {
		char key[40];
		int klen = snprintf(key, sizeof(key), "%s:", http_custom_headers[i]);

		n = lws_hdr_custom_copy(wsi, tmp, LIM_HEADER_VALUE_MAX + 1, key, klen);
		if (n < 0)
			continue;
		if (add_header(j, &cap, key, (size_t)klen - 1, tmp, (size_t)n))
			goto out;
	}
	for (int i = 0; i < MAX_QUERY_ARGS; i++) {
		const char *eq;
		struct http_kv *kv = &r->query[r->n_query];

		n = lws_hdr_copy_fragment(wsi, tmp, LIM_HEADER_VALUE_MAX + 1,
		                          WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		eq = memchr(tmp, '=', (size_t)n);
		kv->name =
		    arena_str(&j->arena, (struct str){tmp, eq ? (size_t)(eq - tmp) : (size_t)n});
		kv->value =
		    eq ? arena_str(&j->arena, (struct str){eq + 1, (size_t)(tmp + n - eq - 1)})
		       : arena_str(&j->arena, STR_LIT(""));
		if (!kv->name.p || !kv->value.p)
			goto out;
		r->n_query++;
	}
	lws_get_peer_simple(wsi, r->peer, sizeof(r->peer));
	rc = SE_OK;
out:
	mem_free(tmp);
	return rc;
}

bool http_wants_body(struct lws *wsi)
{
	char v[32];

	if (lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
		return strcmp(v, "0") != 0;
	return false;
}

/* An unlinked temp file for a large body; -1 when none can be made. */
int http_spool_open(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || errno != EOPNOTSUPP)
		return fd;
	/* file systems without O_TMPFILE */
	snprintf(path, sizeof(path), "%s/spool-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

bool http_spool_write(int fd, const void *p, size_t n)
{
	return fio_write_all(fd, p, n) == SE_OK;
}
