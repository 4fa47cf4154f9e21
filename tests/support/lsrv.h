/*
 * tests/support/lsrv.h: a tiny HTTP/1.1 server for tests on 127.0.0.1 (an
 * ephemeral port): one thread accepts connections one at a time, counts
 * them and hands each to the test's handler, then closes it. Plus the two
 * things handlers repeat: reading one bounded request and sending a reply.
 *
 * Threads: lsrv_start/lsrv_stop on the test thread; the handler runs on the
 * server thread (state it shares with the test needs atomics or a lock);
 * lsrv_port/lsrv_hits/lsrv_stopping from any thread.
 */
#ifndef SOL_TESTS_SUPPORT_LSRV_H
#define SOL_TESTS_SUPPORT_LSRV_H

#include <stdbool.h>
#include <stddef.h>

struct lsrv;

/* Serves one accepted connection `fd` (the server closes it afterwards). */
typedef void (*lsrv_fn)(struct lsrv *s, int fd, void *arg);

/* Listens on 127.0.0.1:0 and starts the thread; NULL if that failed. */
struct lsrv *lsrv_start(lsrv_fn fn, void *arg);

/* Stops the thread (within ~50 ms once the handler returns), closes and frees; NULL is a no-op. */
void lsrv_stop(struct lsrv *s);

unsigned short lsrv_port(const struct lsrv *s);

/* Connections accepted so far (counted before the handler runs). */
unsigned lsrv_hits(const struct lsrv *s);

/* True once lsrv_stop was called: a handler holding a connection open gives up. */
bool lsrv_stopping(const struct lsrv *s);

/*
 * Reads one request, head and a Content-Length body, into req[cap]
 * (NUL-terminated, truncated at cap - 1); bounded by 2 s. Returns its length.
 */
size_t lsrv_read_request(int fd, char *req, size_t cap);

/* Sends all n bytes (stops on an error: the client went away). */
void lsrv_send_all(int fd, const void *p, size_t n);

/*
 * "HTTP/1.1 <status>" (e.g. "200 OK"), Content-Length, Connection: close,
 * the `extra` header lines (each ending in "\r\n"; may be ""), then body.
 */
void lsrv_reply(int fd, const char *status, const char *extra, const char *body);

#endif
