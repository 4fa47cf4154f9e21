/*
 * tests/support/lsrv.c: the tests' loopback HTTP server (see lsrv.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/mem.h"
#include "tests/support/lsrv.h"

struct lsrv {
	int fd;
	unsigned short port;
	pthread_t th;
	atomic_bool stop;
	atomic_uint hits;
	lsrv_fn fn;
	void *arg;
};

static void *lsrv_main(void *arg)
{
	struct lsrv *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->fd, POLLIN, 0};
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		s->hits++;
		s->fn(s, c, s->arg);
		close(c);
	}
	return NULL;
}

struct lsrv *lsrv_start(lsrv_fn fn, void *arg)
{
	struct lsrv *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	s->fn = fn;
	s->arg = arg;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) || listen(s->fd, 64) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &al))
		goto fail;
	s->port = ntohs(a.sin_port);
	if (pthread_create(&s->th, NULL, lsrv_main, s))
		goto fail;
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	mem_free(s);
	return NULL;
}

void lsrv_stop(struct lsrv *s)
{
	if (!s)
		return;
	s->stop = true;
	pthread_join(s->th, NULL);
	close(s->fd);
	mem_free(s);
}

unsigned short lsrv_port(const struct lsrv *s)
{
	return s->port;
}

unsigned lsrv_hits(const struct lsrv *s)
{
	return s->hits;
}

bool lsrv_stopping(const struct lsrv *s)
{
	return s->stop;
}

size_t lsrv_read_request(int fd, char *req, size_t cap)
{
	size_t len = 0;
	long want = -1;

	if (cap == 0)
		return 0;
	req[0] = '\0';
	for (int rounds = 0; rounds < 40 && len + 1 < cap; rounds++) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;
		char *end;

		if (poll(&p, 1, 50) <= 0)
			continue;
		r = recv(fd, req + len, cap - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (!end)
			continue;
		if (want < 0) {
			const char *cl = strcasestr(req, "\r\ncontent-length:");

			want = (long)(end + 4 - req) + (cl ? strtol(cl + 17, NULL, 10) : 0);
		}
		if ((long)len >= want)
			break;
	}
	req[len] = '\0';
	return len;
}

void lsrv_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

void lsrv_reply(int fd, const char *status, const char *extra, const char *body)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
	                 status, strlen(body), extra);

	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	lsrv_send_all(fd, head, (size_t)n);
	lsrv_send_all(fd, body, strlen(body));
}
