/*
 * tools/bench/bare_civetweb.c: Debian's civetweb 1.15 answering the same
 * constant body, configured as a thread-per-connection server would be in
 * production (num_threads, keep-alive on, request timeout). Used once by
 * tools/bench/run to record why the HTTP listener is not civetweb
 * (docs/architecture.md). Usage: bare_civetweb PORT THREADS
 */
#include <civetweb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char body[641];

static int handler(struct mg_connection *c, void *ud)
{
	(void)ud;
	mg_printf(c,
	          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	          "Access-Control-Allow-Origin: *\r\n\r\n%s",
	          strlen(body), body);
	return 200;
}

int main(int argc, char **argv)
{
	char ports[32], threads[16];
	const char *opts[] = {"listening_ports",
	                      ports,
	                      "num_threads",
	                      threads,
	                      "enable_keep_alive",
	                      "yes",
	                      "keep_alive_timeout_ms",
	                      "5000",
	                      "request_timeout_ms",
	                      "10000",
	                      NULL};
	struct mg_callbacks cb;
	struct mg_context *ctx;
	sigset_t set;
	int sig;

	if (argc < 3)
		return 2;
	memset(body, 'x', sizeof(body) - 1);
	snprintf(ports, sizeof(ports), "127.0.0.1:%s", argv[1]);
	snprintf(threads, sizeof(threads), "%s", argv[2]);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&cb, 0, sizeof(cb));
	mg_init_library(0);
	ctx = mg_start(&cb, NULL, opts);
	if (!ctx) {
		fprintf(stderr, "bare_civetweb: cannot start on %s\n", ports);
		return 1;
	}
	mg_set_request_handler(ctx, "/", handler, NULL);
	{
		struct mg_server_port sp[1];

		if (mg_get_server_ports(ctx, 1, sp) < 1) {
			mg_stop(ctx);
			return 1;
		}
		fprintf(stderr, "ready http=127.0.0.1:%d\n", sp[0].port);
	}
	sigwait(&set, &sig);
	mg_stop(ctx);
	return 0;
}
