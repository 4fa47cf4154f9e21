/*
 * core/fetch.h: the ONE outbound HTTP client (libcurl) with its SSRF guard.
 *
 * Owns: URL parsing for outbound requests (curl's URL API), the address
 * policy (no loopback, private, link-local, metadata, CGNAT, multicast...
 * unless allow_private), every limit on a fetch (total and connect time,
 * response size, redirects) and the User-Agent. Nothing else in Solstice
 * includes <curl/curl.h> or opens an outbound HTTP connection.
 * Does not own: signing (federation/httpsig.h), domain blocks
 * (federation/policy.h), the curl multi loop of the delivery queue (it sets
 * its easy handles up with fetch_easy_setup).
 * Threads: any thread, once fetch_global_init() has run (main() calls it
 * before any thread starts). No shared mutable state.
 * Memory: fetch_resp owns its body and headers (fetch_resp_release).
 */
#ifndef SOL_CORE_FETCH_H
#define SOL_CORE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

struct sockaddr;

/* Defaults when an option is 0 (config federation.fetch_* overrides). */
#define FETCH_DEFAULT_TIMEOUT_S 10
#define FETCH_CONNECT_TIMEOUT_S 5
#define FETCH_DEFAULT_MAX_BYTES (1u << 20)
#define FETCH_DEFAULT_REDIRECTS 3
/* Hard caps whatever the options say. */
#define FETCH_MAX_REDIRECTS 10
#define FETCH_HEADERS_MAX (64u << 10)
#define FETCH_URL_MAX 2048

struct fetch_opts {
	bool allow_private;     /* loopback/private addresses and plain http (tests, --dev) */
	unsigned timeout_s;     /* whole transfer; 0 = FETCH_DEFAULT_TIMEOUT_S */
	size_t max_bytes;       /* response body cap; 0 = FETCH_DEFAULT_MAX_BYTES */
	unsigned max_redirects; /* 0 = no redirects followed (a 3xx is returned as is) */
	const char *user_agent; /* borrowed; NULL = "Solstice" */
};

struct fetch_req {
	const char *method;         /* "GET" (NULL = GET), "POST", ... */
	const char *url;            /* borrowed */
	const char *const *headers; /* "Name: value", NULL-terminated, may be NULL */
	struct str body;            /* sent when body.p != NULL */
};

struct fetch_resp {
	long status;
	struct buf body;        /* owned; capped at max_bytes */
	char content_type[128]; /* "" if none */
	char final_url[2048];   /* after redirects */
	long retry_after_s;     /* -1 if none (seconds or HTTP-date converted) */
	char *headers_raw;      /* owned (mem_free), all header lines of the last response */
};

/*
 * Once per process before any thread starts (main and each test/tool main):
 * curl_global_init. Returns SE_OK or SE_IO. fetch_global_release at exit.
 */
enum err fetch_global_init(void) __attribute__((warn_unused_result));
void fetch_global_release(void);

/* Sets `r` to an empty response (status 0, body BUF_INIT(0)). */
void fetch_resp_init(struct fetch_resp *r);
/* Frees body and headers; back to the fetch_resp_init state. Accepts that state. */
void fetch_resp_release(struct fetch_resp *r);

/*
 * Blocking request. SSRF guard: scheme http(s) only (http only with
 * allow_private), no user:password in the URL, every resolved address
 * checked right before connect (also after each redirect and against DNS
 * rebinding); size and time limits. `out` is initialised by the call.
 * Returns SE_OK for any HTTP status (the caller reads out->status),
 * SE_INVAL (bad or forbidden URL or address; ei->detail says why),
 * SE_TIMEOUT, SE_TOO_LARGE (body over max_bytes), SE_IO (network) or
 * SE_NOMEM. On failure `out` is released.
 */
enum err fetch_do(const struct fetch_opts *o, const struct fetch_req *rq, struct fetch_resp *out,
                  struct err_info *ei) __attribute__((warn_unused_result));

/*
 * For curl multi users (delivery): apply the same guard and limits to an easy
 * handle (a CURL *). Sets protocols, the open-socket guard, timeouts,
 * redirects and the User-Agent; the caller sets URL, body and callbacks
 * (and must enforce max_bytes in its write callback). `guard` is borrowed and
 * must outlive the transfer; after a refused connect guard->last_error says
 * why. Returns SE_OK or SE_INVAL (curl refused an option).
 */
struct fetch_guard {
	bool allow_private;
	char last_error[128];
};
enum err fetch_easy_setup(void *curl_easy, const struct fetch_opts *o, struct fetch_guard *guard)
    __attribute__((warn_unused_result));

/*
 * Address policy alone: false for loopback, RFC1918, link-local (with the
 * 169.254.169.254 metadata address), CGNAT, 0/8, multicast, broadcast,
 * 192.0.0/24, 198.18/15, 240/4, ULA, ::, ::1, and the IPv4-mapped,
 * IPv4-compatible and NAT64 forms of the IPv4 ones, unless allow_private.
 * Families other than AF_INET/AF_INET6 are always refused. Pure.
 */
bool fetch_addr_allowed(const struct sockaddr *sa, bool allow_private);

/*
 * Parse an absolute http(s) URL with curl's URL API: scheme (lowercase),
 * host (lowercased, brackets kept off IPv6 literals, IDN as given), port
 * (the scheme default when absent), hostport ("host" or "host:port" when the
 * port is not the default; IPv6 in brackets) and path (path plus "?query",
 * "/" when empty; fragment dropped). Refuses other schemes, credentials,
 * NULs, an empty host and anything longer than FETCH_URL_MAX.
 * Pure. Returns SE_OK or SE_INVAL (ei->detail says why). Fuzzed by
 * tests/fuzz/fuzz_url.c.
 */
struct fetch_url {
	char scheme[8];
	char host[256];
	unsigned port;
	char hostport[264];
	char path[2048];
};
enum err fetch_url_parse(const char *url, struct fetch_url *out, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_CORE_FETCH_H */
