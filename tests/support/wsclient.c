/*
 * tests/support/wsclient.c: blocking RFC 6455 client over a plain TCP socket,
 * for unit and integration tests. Every wait is bounded by a deadline.
 */
#include "tests/support/wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define WSC_RBUF 65536
#define WSC_RESP_MAX 8192
#define WSC_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct wsc {
	int fd;
	int close_code;
	bool broken;
	size_t rpos, rlen;
	unsigned char rbuf[WSC_RBUF];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `ev` on fd until the deadline: SE_OK, SE_TIMEOUT or SE_IO. */
static enum err wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		int64_t left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return SE_OK;
		if (n == 0)
			return SE_TIMEOUT;
		if (errno != EINTR)
			return SE_IO;
	}
}

static enum err write_all(struct wsc *c, const void *p, size_t n, int64_t deadline)
{
	const char *s = p;

	while (n) {
		ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
		enum err rc;

		if (k > 0) {
			s += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return SE_IO;
		rc = wait_fd(c->fd, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return SE_OK;
}

/* Read more bytes into rbuf. SE_IO on EOF (close_code -1 if none yet). */
static enum err fill(struct wsc *c, int64_t deadline)
{
	ssize_t k;
	enum err rc;

	if (c->rpos && c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (c->rlen == WSC_RBUF) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	for (;;) {
		k = recv(c->fd, c->rbuf + c->rlen, WSC_RBUF - c->rlen, 0);
		if (k > 0) {
			c->rlen += (size_t)k;
			return SE_OK;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
			if (!c->close_code)
				c->close_code = -1;
			return SE_IO;
		}
		rc = wait_fd(c->fd, POLLIN, deadline);
		if (rc)
			return rc;
	}
}

/* Copy n bytes out of the stream (dst may be NULL to discard). */
static enum err take(struct wsc *c, void *dst, size_t n, int64_t deadline)
{
	unsigned char *d = dst;

	while (n) {
		size_t avail = c->rlen - c->rpos, k;
		enum err rc;

		if (!avail) {
			rc = fill(c, deadline);
			if (rc)
				return rc;
			continue;
		}
		k = avail < n ? avail : n;
		if (d) {
			memcpy(d, c->rbuf + c->rpos, k);
			d += k;
		}
		c->rpos += k;
		n -= k;
	}
	return SE_OK;
}

static enum err send_frame(struct wsc *c, int opcode, bool fin, struct str payload)
{
	unsigned char hdr[14], mask[4];
	unsigned char *frame = NULL;
	size_t h = 0;
	enum err rc;

	hdr[h++] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (payload.n < 126) {
		hdr[h++] = (unsigned char)(0x80 | payload.n);
	} else if (payload.n <= 0xffff) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(payload.n >> 8);
		hdr[h++] = (unsigned char)payload.n;
	} else {
		hdr[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[h++] = (unsigned char)((uint64_t)payload.n >> (8 * i));
	}
	if (RAND_bytes(mask, sizeof(mask)) != 1)
		return SE_IO;
	memcpy(hdr + h, mask, 4);
	h += 4;
	frame = mem_try_alloc(h + payload.n);
	if (!frame)
		return SE_NOMEM;
	memcpy(frame, hdr, h);
	for (size_t i = 0; i < payload.n; i++)
		frame[h + i] = (unsigned char)payload.p[i] ^ mask[i & 3];
	rc = write_all(c, frame, h + payload.n, now_ms() + 10000);
	mem_free(frame);
	return rc;
}

static void accept_for(const char *key, char out[64])
{
	char in[128];
	unsigned char sha[SHA_DIGEST_LENGTH];
	int n = snprintf(in, sizeof(in), "%s%s", key, WSC_GUID);

	SHA1((const unsigned char *)in, (size_t)n, sha);
	EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH);
}

/* Finds header `name` (lowercase, with ':') in a response; the value trimmed. */
static struct str find_header(struct str resp, const char *name)
{
	struct str rest = resp, line;

	str_cut(&rest, '\n');
	while (rest.n) {
		struct str nm;
		size_t k = strlen(name);

		line = str_trim(str_cut(&rest, '\n'));
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--;
		nm = (struct str){line.p, line.n < k ? line.n : k};
		if (line.n >= k && str_eq_nocase(nm, (struct str){name, k}))
			return str_trim((struct str){line.p + k, line.n - k});
	}
	return STR_NULL;
}

static enum err handshake(struct wsc *c, int port, const char *path, int64_t deadline)
{
	unsigned char raw[16];
	char key[32], want[64], req[2048];
	const char *end = NULL;
	struct str resp, got;
	enum err rc;
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return SE_IO;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	accept_for(key, want);
	n = snprintf(req, sizeof(req),
	             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	             "Sec-WebSocket-Version: 13\r\n\r\n",
	             path, port, key);
	if (n < 0 || (size_t)n >= sizeof(req))
		return SE_INVAL;
	rc = write_all(c, req, (size_t)n, deadline);
	if (rc)
		return rc;
	while (!end) {
		rc = fill(c, deadline);
		if (rc)
			return rc;
		end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
		if (!end && c->rlen >= WSC_RESP_MAX)
			return SE_IO;
	}
	resp = (struct str){(const char *)c->rbuf, (size_t)(end - (const char *)c->rbuf) + 2};
	if (!str_has_prefix(resp, STR_LIT("HTTP/1.1 101")))
		return SE_IO;
	got = find_header(resp, "sec-websocket-accept:");
	if (!str_eq_cstr(got, want))
		return SE_IO;
	c->rpos = (size_t)(end + 4 - (const char *)c->rbuf);
	return SE_OK;
}

enum err wsc_connect(int port, const char *path_and_query, int timeout_ms, struct wsc **out)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct wsc *c = xcalloc(1, sizeof(*c));
	int one = 1, err = 0;
	socklen_t elen = sizeof(err);
	enum err rc = SE_OK;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = SE_IO;
		goto out;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			rc = SE_IO;
			goto out;
		}
		rc = wait_fd(c->fd, POLLOUT, deadline);
		if (rc)
			goto out;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			rc = SE_IO;
			goto out;
		}
	}
	rc = handshake(c, port, path_and_query, deadline);
out:
	if (rc) {
		if (c->fd >= 0)
			close(c->fd);
		mem_free(c);
		return rc;
	}
	*out = c;
	return SE_OK;
}

enum err wsc_send_text(struct wsc *c, struct str text)
{
	return send_frame(c, WSC_OP_TEXT, true, text);
}

enum err wsc_send_frame(struct wsc *c, int opcode, bool fin, struct str payload)
{
	return send_frame(c, opcode, fin, payload);
}

enum err wsc_recv_text(struct wsc *c, struct buf *out, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	bool in_text = false;
	enum err rc;

	buf_reset(out);
	if (c->broken)
		return SE_IO;
	for (;;) {
		unsigned char h[2], ext[8], mask[4], ctl[125];
		uint64_t len;
		int op;
		bool fin;

		/* Do not consume half a header on timeout: wait until it is here. */
		while (c->rlen - c->rpos < 2) {
			rc = fill(c, deadline);
			if (rc && in_text)
				goto fail;
			if (rc)
				return rc;
		}
		rc = take(c, h, 2, deadline);
		if (rc)
			goto fail;
		fin = h[0] & 0x80;
		op = h[0] & 0x0f;
		len = h[1] & 0x7f;
		if (len == 126 || len == 127) {
			size_t k = len == 126 ? 2 : 8;

			rc = take(c, ext, k, deadline);
			if (rc)
				goto fail;
			len = 0;
			for (size_t i = 0; i < k; i++)
				len = len << 8 | ext[i];
		}
		if (h[1] & 0x80) {
			rc = take(c, mask, 4, deadline);
			if (rc)
				goto fail;
		}
		if (op >= 0x8) {
			if (len > sizeof(ctl) || !fin) {
				rc = SE_PARSE;
				goto fail;
			}
			rc = take(c, ctl, (size_t)len, deadline);
			if (rc)
				goto fail;
			if (op == WSC_OP_PING) {
				rc = send_frame(c, WSC_OP_PONG, true,
				                (struct str){(char *)ctl, len});
				if (rc)
					goto fail;
			} else if (op == WSC_OP_CLOSE) {
				c->close_code = len >= 2 ? ctl[0] << 8 | ctl[1] : 1005;
				send_frame(c, WSC_OP_CLOSE, true,
				           (struct str){(char *)ctl, len >= 2 ? 2 : 0});
				c->broken = true;
				return SE_IO;
			}
			continue;
		}
		if (op == WSC_OP_TEXT || (op == WSC_OP_CONT && in_text)) {
			if (len > out->max - out->len) {
				rc = SE_TOO_LARGE;
				goto fail;
			}
			rc = buf_grow(out, (size_t)len);
			if (rc)
				goto fail;
			rc = take(c, out->ptr + out->len, (size_t)len, deadline);
			if (rc)
				goto fail;
			out->len += (size_t)len;
			out->ptr[out->len] = '\0';
			in_text = true;
			if (fin)
				return SE_OK;
			continue;
		}
		/* binary message or its continuation: skip */
		rc = take(c, NULL, (size_t)len, deadline);
		if (rc)
			goto fail;
	}
fail:
	/* A timeout inside a frame leaves the stream mid-frame. */
	c->broken = true;
	return rc;
}

int wsc_close_code(const struct wsc *c)
{
	return c->close_code;
}

void wsc_close(struct wsc *c)
{
	if (!c)
		return;
	if (!c->broken && c->close_code == 0)
		send_frame(c, WSC_OP_CLOSE, true, (struct str){"\x03\xe8", 2});
	close(c->fd);
	mem_free(c);
}
