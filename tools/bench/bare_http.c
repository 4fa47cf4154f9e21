/*
 * tools/bench/bare_http.c: the HTTP listener with the daemon's settings
 * answering a constant body from a bare handler: the baseline that
 * tools/bench/run compares GET /api/ against, in the same run.
 * Usage: bare_http [PORT]  (prints "ready http=127.0.0.1:PORT", stops on SIGTERM)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/str.h"
#include "http/http.h"
#include "http/server.h"

/* The same size as the root document, so both move the same bytes. */
static char body[641];

static void handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
	(void)req;
	(void)ctx;
	http_resp_set(resp, 200, "application/json", (struct str){body, sizeof(body) - 1});
	http_resp_header(resp, "Access-Control-Allow-Origin", "*");
}

int main(int argc, char **argv)
{
	struct http_server_opts o = {
	    .host = "127.0.0.1",
	    .port = argc > 1 ? atoi(argv[1]) : 0,
	    .keepalive_timeout = 5,
	    .header_timeout = 10,
	    .max_connections = 4096,
	    .body_max = 20000000,
	    .access_log = true,
	    .handler = handler,
	};
	struct err_info ei = ERR_INFO_INIT;
	struct http_server *s = NULL;
	sigset_t set;
	int sig;

	for (size_t i = 0; i < sizeof(body) - 1; i++)
		body[i] = 'x';
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	http_lws_log_init();
	if (http_server_new(&o, &s, &ei) || http_server_start(s)) {
		fprintf(stderr, "bare_http: %s\n", ei.detail);
		return 1;
	}
	log_info("ready http=127.0.0.1:%d", http_server_port(s));
	sigwait(&set, &sig);
	http_server_free(s);
	return 0;
}
