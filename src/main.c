/*
 * main.c: the solstice daemon. Parses the configuration (DESIGN.md
 * "Command line"), starts the app, waits for SIGINT/SIGTERM, stops cleanly.
 * Exit status: 0 after a clean shutdown or --check-config/--help/--version,
 * 1 with a one-line reason when it cannot start, 2 for a bad configuration.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "http/server.h"

#ifndef SOL_GIT_SHA
#define SOL_GIT_SHA "<failed to generate>"
#endif
#ifndef SOL_GIT_DESC
#define SOL_GIT_DESC "<failed to generate>"
#endif

extern char **environ;

static void print(const struct buf *b, FILE *f)
{
	fwrite(buf_str(b).p, 1, buf_str(b).n, f);
}

/* Many idle keep-alive and WebSocket clients need many descriptors. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig))
		return -1;
	return sig;
}

int main(int argc, char **argv)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg cfg = CFG_INIT;
	struct app app = APP_INIT;
	struct buf out = BUF_INIT(1 << 20);
	enum cfg_action act = CFG_ACT_RUN;
	sigset_t set;
	int status = 0, sig;

	/* Every thread inherits this mask; the main thread takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	jx_init();
	if (cry_init()) {
		fprintf(stderr, "solstice: cannot initialise libsodium\n");
		return 1;
	}
	/* libcurl's global state, before any thread exists (core/fetch.h) */
	if (fetch_global_init()) {
		fprintf(stderr, "solstice: cannot initialise libcurl\n");
		return 1;
	}
	if (cfg_load(&cfg, argc, argv, environ, &act, &ei)) {
		fprintf(stderr, "solstice: %s\n", ei.detail[0] ? ei.detail : "bad configuration");
		return 2;
	}
	switch (act) {
	case CFG_ACT_HELP:
		cfg_usage(&out, argv[0]);
		print(&out, stdout);
		goto out;
	case CFG_ACT_VERSION:
		printf("solstice %s (%s)\n", SOL_GIT_DESC, SOL_GIT_SHA);
		goto out;
	case CFG_ACT_CHECK:
		cfg_dump(&cfg, &out);
		print(&out, stdout);
		fprintf(stderr, "solstice: configuration OK\n");
		goto out;
	case CFG_ACT_RUN:
		break;
	}
	log_set_level(cfg.log.level);
	http_lws_log_init();
	raise_fd_limit();
	if (cfg.dev.enabled)
		log_warn("main: DEVELOPMENT MODE: plain-http and private-address federation "
		         "peers allowed, /_dev routes enabled; never run this in production");
	if (app_start(&app, &cfg, &ei)) {
		fprintf(stderr, "solstice: %s\n", ei.detail[0] ? ei.detail : "cannot start");
		status = 1;
		goto out;
	}
	sig = wait_for_signal();
	log_info("main: %s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	app_stop(&app);
	log_info("main: stopped cleanly");
out:
	buf_release(&out);
	cfg_release(&cfg);
	return status;
}
