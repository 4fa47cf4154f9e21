/*
 * tests/fuzz/fuzz_api.c: arbitrary request bodies (and path parameters)
 * through the whole API pipeline, in process, against a real store: every
 * route that takes a body gets the fuzzer's bytes, signed in as a real
 * session. Input: byte 0 picks the route, byte 1 picks the caller, the rest
 * is the body. Nothing may crash, leak, or answer a 5xx other than the
 * documented ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "bus/bus.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/log.h"
#include "http/http.h"
#include "storage/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct app app;
static struct cfg cfg;
static char token[80];
static char dir[] = "/tmp/solstice-fuzz-api-XXXXXX";

static void run(enum http_method m, const char *path, const char *tok, const char *body, size_t len,
                struct http_resp *resp)
{
	struct arena arena;
	struct http_kv kv[1];
	struct http_req req;

	memset(&req, 0, sizeof(req));
	arena_init(&arena, 1 << 22);
	req.method = m;
	req.path = str_from(path);
	req.arena = &arena;
	snprintf(req.peer, sizeof(req.peer), "127.0.0.1");
	buf_init(&req.body, 1 << 20);
	buf_append(&req.body, body, len);
	if (tok) {
		kv[0] = (struct http_kv){STR_LIT("x-session-token"), str_from(tok)};
		req.headers = kv;
		req.n_headers = 1;
	}
	http_resp_init(resp);
	api_handle(&req, resp, &app);
	buf_release(&req.body);
	arena_release(&arena);
}

static void cleanup(void)
{
	api_stop(&app);
	store_close(app.store);
	bus_free(app.bus);
	api_release(&app);
	cfg_release(&cfg);
	if (fork() == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
}

static int setup(void)
{
	static const char create[] =
	    "{\"email\":\"fuzz@example.org\",\"password\":\"fuzzing password\"}";
	struct store_opts o = {0};
	struct err_info ei = ERR_INFO_INIT;
	struct http_resp r;
	json_t *v;

	jx_init();
	if (cry_init())
		return -1;
	log_set_level(LOG_LVL_ERROR);
	cfg_init(&cfg);
	/* cheap argon2 and no rate limits: the fuzzer wants many runs */
	if (cfg_set(&cfg, "auth.argon2_ops", "1", "fuzz", &ei) ||
	    cfg_set(&cfg, "auth.argon2_mem_kib", "8", "fuzz", &ei) ||
	    cfg_set(&cfg, "ratelimit.enabled", "false", "fuzz", &ei) ||
	    cfg_finalize_urls(&cfg, "127.0.0.1:1", "127.0.0.1:2", &ei))
		return -1;
	o.no_sync = true;
	if (!mkdtemp(dir) || store_open(dir, api_schema(), &o, &app.store, &ei))
		return -1;
	app.cfg = &cfg;
	app.bus = bus_new(NULL, NULL);
	if (api_init(&app, &ei))
		return -1;
	atexit(cleanup);
	run(HTTP_POST, "/api/auth/account/create", NULL, create, sizeof(create) - 1, &r);
	http_resp_release(&r);
	run(HTTP_POST, "/api/auth/session/login", NULL, create, sizeof(create) - 1, &r);
	v = json_loads(buf_cstr(&r.body), 0, NULL);
	snprintf(token, sizeof(token), "%s",
	         json_string_value(json_object_get(v, "token"))
	             ? json_string_value(json_object_get(v, "token"))
	             : "missing");
	json_decref(v);
	http_resp_release(&r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const struct route *table;
	struct route all[API_ROUTES_MAX];
	struct http_resp r;
	char path[256];
	size_t n = 0, k = 0;
	int pick;

	if (!ready) {
		if (setup()) {
			fprintf(stderr, "fuzz_api: set-up failed\n");
			abort();
		}
		ready = 1;
	}
	if (size < 2)
		return 0;
	if (api_routes_build(all, API_ROUTES_MAX, &n, NULL) || n == 0)
		abort();
	table = all;
	/* only routes that read a body: not GET/HEAD */
	pick = data[0] % (int)n;
	for (size_t i = 0; i < n; i++) {
		size_t j = (size_t)(pick + (int)i) % n;

		if (table[j].method != HTTP_GET && table[j].method != HTTP_HEAD) {
			k = j;
			break;
		}
	}
	/* parameters become a fixed id so handlers reach their body parsing */
	{
		const char *p = table[k].pattern;
		size_t o = 0;

		while (*p && o + 30 < sizeof(path)) {
			if (*p == '{') {
				o += (size_t)snprintf(path + o, sizeof(path) - o,
				                      "01HZZZZZZZZZZZZZZZZZZZZZZZ");
				while (*p && *p != '}')
					p++;
				if (*p)
					p++;
			} else {
				path[o++] = *p++;
			}
		}
		path[o] = '\0';
	}
	/* never log the fuzz session out: other inputs need it */
	if (strstr(path, "logout") || strstr(path, "/session/all") || strstr(path, "disable") ||
	    strstr(path, "/delete"))
		return 0;
	run(table[k].method, path, (data[1] & 1) ? token : NULL, (const char *)data + 2, size - 2,
	    &r);
	if (getenv("FUZZ_API_VERBOSE"))
		fprintf(stderr, "%s %s -> %d %.120s\n", http_method_name(table[k].method), path,
		        r.status, buf_cstr(&r.body));
	/* The documented 5xx: InternalError/DatabaseError/OperationFailed/RenderFail/EmailFailed */
	if (r.status >= 500 && !strstr(buf_cstr(&r.body), "OperationFailed")) {
		fprintf(stderr, "fuzz_api: %s %s answered %d %s\n",
		        http_method_name(table[k].method), path, r.status, buf_cstr(&r.body));
		abort();
	}
	http_resp_release(&r);
	return 0;
}
