/*
 * core/fetch.c: the one outbound HTTP client (libcurl easy API) and its SSRF
 * guard. Every address curl is about to connect to passes fetch_addr_allowed
 * in the open-socket callback, so DNS answers, happy-eyeballs fallbacks and
 * redirect targets are all checked at the moment of connect (no
 * check-then-resolve race). fetch_do follows redirects itself so that every
 * Location is parsed and checked like the first URL.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/fetch.h"
#include "core/mem.h"

/* ---- process-wide init ---- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
	g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum err fetch_global_init(void)
{
	pthread_once(&g_once, global_init_once);
	return g_init_rc == CURLE_OK ? SE_OK : SE_IO;
}

void fetch_global_release(void)
{
	/*
	 * Other modules (mail, blob) hold their own curl_global_init
	 * references; curl counts them, so this only drops ours.
	 */
	if (g_init_rc == CURLE_OK)
		curl_global_cleanup();
}

/* ---- address policy ---- */

static bool v4_in(uint32_t a, uint32_t net, unsigned bits)
{
	uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);

	return (a & mask) == (net & mask);
}

/* a: host byte order */
static bool v4_allowed(uint32_t a)
{
	static const struct {
		uint32_t net;
		unsigned bits;
	} deny[] = {
	    {0x00000000u, 8},  /* 0/8 "this network" (0.0.0.0 reaches localhost) */
	    {0x0a000000u, 8},  /* 10/8 RFC 1918 */
	    {0x64400000u, 10}, /* 100.64/10 CGNAT */
	    {0x7f000000u, 8},  /* 127/8 loopback */
	    {0xa9fe0000u, 16}, /* 169.254/16 link-local, 169.254.169.254 metadata */
	    {0xac100000u, 12}, /* 172.16/12 RFC 1918 */
	    {0xc0000000u, 24}, /* 192.0.0/24 IETF protocol assignments */
	    {0xc0000200u, 24}, /* 192.0.2/24 TEST-NET-1 */
	    {0xc0586300u, 24}, /* 192.88.99/24 6to4 relay anycast */
	    {0xc0a80000u, 16}, /* 192.168/16 RFC 1918 */
	    {0xc6120000u, 15}, /* 198.18/15 benchmarking */
	    {0xc6336400u, 24}, /* 198.51.100/24 TEST-NET-2 */
	    {0xcb007100u, 24}, /* 203.0.113/24 TEST-NET-3 */
	    {0xe0000000u, 4},  /* 224/4 multicast */
	    {0xf0000000u, 4},  /* 240/4 reserved, 255.255.255.255 broadcast */
	};

	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (v4_in(a, deny[i].net, deny[i].bits))
			return false;
	return true;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool v6_allowed(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

	/* ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated, still routable to v4 by some stacks)
	 */
	if (all_zero(a, 12))
		return be32_at(a + 12) > 1 && v4_allowed(be32_at(a + 12));
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_allowed(be32_at(a + 12));
	/* 64:ff9b:1::/48 local-use NAT64 (RFC 8215) */
	if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1)
		return false;
	/* 2002::/16 6to4: the embedded IPv4 address */
	if (a[0] == 0x20 && a[1] == 0x02)
		return v4_allowed(be32_at(a + 2));
	/* 2001:db8::/32 documentation */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return false;
	/* 100::/64 discard-only */
	if (a[0] == 0x01 && a[1] == 0 && all_zero(a + 2, 6))
		return false;
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
		return false;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
		return false;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* fec0::/10 site-local (deprecated) */
		return false;
	if (a[0] == 0xff) /* ff00::/8 multicast */
		return false;
	return true;
}

bool fetch_addr_allowed(const struct sockaddr *sa, bool allow_private)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		return allow_private || v4_allowed(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		return allow_private || v6_allowed(in6->sin6_addr.s6_addr);
	}
	return false;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *src = NULL;

	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)cap))
		snprintf(out, cap, "family %d", sa->sa_family);
}

/* curl calls this right before every connect, including after redirects. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct fetch_guard *g = clientp;
	char txt[INET6_ADDRSTRLEN];
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN || !fetch_addr_allowed(&addr->addr, g->allow_private)) {
		addr_text(&addr->addr, txt, sizeof(txt));
		snprintf(g->last_error, sizeof(g->last_error), "fetch: address %s is not allowed",
		         txt);
		return CURL_SOCKET_BAD;
	}
	fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* ---- URL parsing ---- */

static void ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool copy_part(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * Host bytes after curl's percent-decoding: LDH, '_', '.', non-ASCII (an IDN
 * as given) and, inside brackets, an IPv6 literal. Anything else (controls,
 * '%', '@', '/', ...) is junk for federation.
 */
static bool host_bytes_ok(const char *h)
{
	bool v6 = h[0] == '[';

	for (const char *c = h; *c; c++) {
		unsigned char b = (unsigned char)*c;

		if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '.' ||
		    b == '_' || b >= 0x80)
			continue;
		if (v6 && (b == ':' || b == '[' || b == ']'))
			continue;
		return false;
	}
	return true;
}

static enum err parse_once(const char *url, struct fetch_url *out, struct err_info *ei)
{
	struct fetch_url u;
	CURLU *h = NULL;
	char *scheme = NULL, *user = NULL, *pass = NULL, *host = NULL, *port = NULL;
	char *path = NULL, *query = NULL, *zone = NULL;
	unsigned long pn;
	char *end;
	enum err rc = SE_INVAL;
	bool dflt;

	memset(&u, 0, sizeof(u));
	if (!url || !*url)
		return SE_RAISEF(ei, SE_INVAL, "fetch: empty URL");
	if (strnlen(url, FETCH_URL_MAX + 1) > FETCH_URL_MAX)
		return SE_RAISEF(ei, SE_INVAL, "fetch: URL longer than %u bytes", FETCH_URL_MAX);
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return SE_RAISEF(ei, SE_INVAL, "fetch: control byte or space in URL");
	h = curl_url();
	if (!h)
		return SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
		SE_RAISEF(ei, SE_INVAL, "fetch: malformed URL");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		SE_RAISEF(ei, SE_INVAL, "fetch: only http and https URLs");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
	    curl_url_get(h, CURLUPART_PASSWORD, &pass, 0) != CURLUE_NO_PASSWORD) {
		SE_RAISEF(ei, SE_INVAL, "fetch: credentials in URL");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
		SE_RAISEF(ei, SE_INVAL, "fetch: IPv6 zone id in URL");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		SE_RAISEF(ei, SE_INVAL, "fetch: URL has no host");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		SE_RAISEF(ei, SE_INVAL, "fetch: URL has no port");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		SE_RAISEF(ei, SE_INVAL, "fetch: URL has no path");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	pn = strtoul(port, &end, 10);
	if (*end || pn == 0 || pn > 65535) {
		SE_RAISEF(ei, SE_INVAL, "fetch: bad port");
		goto out;
	}
	copy_part(u.scheme, sizeof(u.scheme), scheme);
	ascii_lower(host);
	if (!host_bytes_ok(host)) {
		SE_RAISEF(ei, SE_INVAL, "fetch: bad byte in host");
		goto out;
	}
	{
		/* curl keeps the brackets of an IPv6 literal; we store it bare */
		size_t hn = strlen(host);
		bool v6 = host[0] == '[' && hn > 2 && host[hn - 1] == ']';
		int w;

		if (v6) {
			host[hn - 1] = '\0';
			if (!copy_part(u.host, sizeof(u.host), host + 1)) {
				SE_RAISEF(ei, SE_INVAL, "fetch: host too long");
				goto out;
			}
		} else if (!copy_part(u.host, sizeof(u.host), host)) {
			SE_RAISEF(ei, SE_INVAL, "fetch: host too long");
			goto out;
		}
		u.port = (unsigned)pn;
		dflt = (pn == 443 && strcmp(u.scheme, "https") == 0) ||
		       (pn == 80 && strcmp(u.scheme, "http") == 0);
		if (dflt)
			w = snprintf(u.hostport, sizeof(u.hostport), v6 ? "[%s]" : "%s", u.host);
		else
			w = snprintf(u.hostport, sizeof(u.hostport), v6 ? "[%s]:%u" : "%s:%u",
			             u.host, u.port);
		if (w < 0 || (size_t)w >= sizeof(u.hostport)) {
			SE_RAISEF(ei, SE_INVAL, "fetch: host too long");
			goto out;
		}
	}
	{
		int w = snprintf(u.path, sizeof(u.path), "%s%s%s", *path ? path : "/",
		                 query ? "?" : "", query ? query : "");

		if (w < 0 || (size_t)w >= sizeof(u.path)) {
			SE_RAISEF(ei, SE_INVAL, "fetch: path too long");
			goto out;
		}
	}
	*out = u;
	rc = SE_OK;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(zone);
	curl_url_cleanup(h);
	return rc;
}

static bool same_url(const struct fetch_url *a, const struct fetch_url *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
	       a->port == b->port && strcmp(a->path, b->path) == 0;
}

/*
 * curl normalises numeric IPv4 hosts before percent-decoding them, so
 * "https://%32/" gives host "2" (which the resolver reads as 0.0.0.2). The
 * parts are therefore re-parsed from their own canonical form until they are
 * stable: what we report is what curl will connect to.
 */
enum err fetch_url_parse(const char *url, struct fetch_url *out, struct err_info *ei)
{
	struct fetch_url a, b;
	char canon[FETCH_URL_MAX + 300];
	enum err rc = parse_once(url, &a, ei);

	for (int round = 0; rc == SE_OK && round < 2; round++) {
		snprintf(canon, sizeof(canon), "%s://%s%s", a.scheme, a.hostport, a.path);
		if (strlen(canon) > FETCH_URL_MAX)
			return SE_RAISEF(ei, SE_INVAL, "fetch: URL longer than %u bytes",
			                 FETCH_URL_MAX);
		rc = parse_once(canon, &b, ei);
		if (rc == SE_OK && same_url(&a, &b)) {
			*out = a;
			return SE_OK;
		}
		a = b;
	}
	return rc ? rc : SE_RAISEF(ei, SE_INVAL, "fetch: unstable URL");
}

/* ---- easy-handle setup shared with curl-multi users ---- */

static unsigned eff_timeout(const struct fetch_opts *o)
{
	return o->timeout_s ? o->timeout_s : FETCH_DEFAULT_TIMEOUT_S;
}

static size_t eff_max_bytes(const struct fetch_opts *o)
{
	return o->max_bytes ? o->max_bytes : FETCH_DEFAULT_MAX_BYTES;
}

enum err fetch_easy_setup(void *curl_easy, const struct fetch_opts *o, struct fetch_guard *guard)
{
	CURL *c = curl_easy;
	unsigned t = eff_timeout(o);
	unsigned redirs =
	    o->max_redirects > FETCH_MAX_REDIRECTS ? FETCH_MAX_REDIRECTS : o->max_redirects;
	const char *protos = o->allow_private ? "http,https" : "https";
	CURLcode r = CURLE_OK;

	if (fetch_global_init() != SE_OK)
		return SE_IO;
	guard->allow_private = o->allow_private;
	guard->last_error[0] = '\0';
	/* each call's result is folded in; the first failure sticks */
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (r == CURLE_OK)                                                                 \
			r = curl_easy_setopt(c, opt, val);                                         \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, protos);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protos);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, guard);
	/* "" disables proxies, also those from http_proxy/https_proxy in the environment */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_TIMEOUT, (long)t);
	SET(CURLOPT_CONNECTTIMEOUT,
	    (long)(t < FETCH_CONNECT_TIMEOUT_S ? t : FETCH_CONNECT_TIMEOUT_S));
	SET(CURLOPT_FOLLOWLOCATION, redirs ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)redirs);
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)eff_max_bytes(o));
	SET(CURLOPT_USERAGENT, o->user_agent && *o->user_agent ? o->user_agent : "Solstice");
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
#undef SET
	return r == CURLE_OK ? SE_OK : SE_INVAL;
}

/* ---- fetch_do ---- */

struct xfer {
	struct buf *body;
	struct buf hdr;
	bool too_large;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;

	buf_append(x->body, p, len);
	if (buf_err(x->body)) {
		x->too_large = buf_err(x->body) == SE_TOO_LARGE;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;

	/* a new status line starts a new response (interim 1xx, redirects) */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		buf_reset(&x->hdr);
	buf_append(&x->hdr, p, len);
	if (buf_err(&x->hdr)) {
		x->too_large = true;
		return 0;
	}
	return len;
}

void fetch_resp_init(struct fetch_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	r->retry_after_s = -1;
}

void fetch_resp_release(struct fetch_resp *r)
{
	buf_release(&r->body);
	mem_free(r->headers_raw);
	fetch_resp_init(r);
}

/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3); -1 if absent or junk. */
static long parse_retry_after(const char *hdrs)
{
	const char *line = hdrs;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);

		if (n > 12 && strncasecmp(line, "retry-after:", 12) == 0) {
			char v[64];
			struct str s = str_trim((struct str){line + 12, n - 12});
			uint64_t secs;
			time_t t;

			while (s.n && (s.p[s.n - 1] == '\r' || s.p[s.n - 1] == ' '))
				s.n--;
			if (s.n == 0 || s.n >= sizeof(v))
				return -1;
			if (str_to_u64(s, 365u * 86400u, &secs))
				return (long)secs;
			memcpy(v, s.p, s.n);
			v[s.n] = '\0';
			t = curl_getdate(v, NULL);
			if (t < 0)
				return -1;
			return t > time(NULL) ? (long)(t - time(NULL)) : 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

static bool token_ok(const char *m)
{
	if (!m || !*m || strlen(m) > 16)
		return false;
	for (; *m; m++)
		if (!((*m >= 'A' && *m <= 'Z') || *m == '-'))
			return false;
	return true;
}

static enum err check_url(const char *url, bool allow_private, struct err_info *ei)
{
	struct fetch_url u;
	enum err rc = fetch_url_parse(url, &u, ei);

	if (rc)
		return rc;
	if (!allow_private && strcmp(u.scheme, "https") != 0)
		return SE_RAISEF(ei, SE_INVAL, "fetch: plain http is not allowed");
	return SE_OK;
}

static enum err map_curl(CURLcode cc, const struct xfer *x, const struct fetch_guard *g,
                         const char *errbuf, struct err_info *ei)
{
	switch (cc) {
	case CURLE_OK:
		return SE_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return SE_RAISEF(ei, SE_TIMEOUT, "fetch: timed out");
	case CURLE_FILESIZE_EXCEEDED:
		return SE_RAISEF(ei, SE_TOO_LARGE, "fetch: response too large");
	case CURLE_WRITE_ERROR:
		if (x->too_large)
			return SE_RAISEF(ei, SE_TOO_LARGE, "fetch: response too large");
		return SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
	case CURLE_OUT_OF_MEMORY:
		return SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
	case CURLE_UNSUPPORTED_PROTOCOL:
		return SE_RAISEF(ei, SE_INVAL, "fetch: protocol not allowed");
	default:
		break;
	}
	if (g->last_error[0] && (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST))
		return SE_RAISEF(ei, SE_INVAL, "%s", g->last_error);
	return SE_RAISEF(ei, SE_IO, "fetch: %s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One request on `c` (already set up); the loop in fetch_do handles redirects. */
static enum err one_hop(CURL *c, const char *method, const char *url, struct str body,
                        struct curl_slist *hl, long timeout_ms, struct xfer *x,
                        struct fetch_guard *g, struct err_info *ei)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HTTPHEADER, hl);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
	SET(CURLOPT_NOBODY, 0L);
	if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.n);
		SET(CURLOPT_POSTFIELDS, body.p ? body.p : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	if (cc != CURLE_OK)
		return SE_RAISEF(ei, SE_INVAL, "fetch: %s", curl_easy_strerror(cc));
	buf_reset(x->body);
	buf_reset(&x->hdr);
	x->too_large = false;
	g->last_error[0] = '\0';
	cc = curl_easy_perform(c);
	return map_curl(cc, x, g, errbuf, ei);
}

static bool is_redirect(long st)
{
	return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

enum err fetch_do(const struct fetch_opts *o, const struct fetch_req *rq, struct fetch_resp *out,
                  struct err_info *ei)
{
	struct fetch_guard guard;
	struct xfer x;
	struct curl_slist *hl = NULL;
	CURL *c = NULL;
	char *url = NULL;
	const char *method = rq->method ? rq->method : "GET";
	struct str body = rq->body;
	unsigned redirs =
	    o->max_redirects > FETCH_MAX_REDIRECTS ? FETCH_MAX_REDIRECTS : o->max_redirects;
	int64_t deadline = now_ms() + (int64_t)eff_timeout(o) * 1000;
	enum err rc;

	fetch_resp_init(out);
	buf_init(&out->body, eff_max_bytes(o));
	x.body = &out->body;
	buf_init(&x.hdr, FETCH_HEADERS_MAX);
	x.too_large = false;
	if (!token_ok(method)) {
		rc = SE_RAISEF(ei, SE_INVAL, "fetch: bad method");
		goto out;
	}
	rc = check_url(rq->url, o->allow_private, ei);
	if (rc)
		goto out;
	for (const char *const *h = rq->headers; h && *h; h++) {
		struct curl_slist *n;

		if (strpbrk(*h, "\r\n") || !strchr(*h, ':')) {
			rc = SE_RAISEF(ei, SE_INVAL, "fetch: bad request header");
			goto out;
		}
		n = curl_slist_append(hl, *h);
		if (!n) {
			rc = SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
			goto out;
		}
		hl = n;
	}
	/* no "Expect: 100-continue" round trip on POSTs */
	{
		struct curl_slist *n = curl_slist_append(hl, "Expect:");

		if (!n) {
			rc = SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
			goto out;
		}
		hl = n;
	}
	if (fetch_global_init() != SE_OK) {
		rc = SE_RAISEF(ei, SE_IO, "fetch: libcurl would not initialise");
		goto out;
	}
	c = curl_easy_init();
	if (!c) {
		rc = SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
		goto out;
	}
	rc = fetch_easy_setup(c, o, &guard);
	if (rc) {
		SE_RAISEF(ei, rc, "fetch: cannot set up the transfer");
		goto out;
	}
	if (curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x) != CURLE_OK) {
		rc = SE_RAISEF(ei, SE_INVAL, "fetch: cannot set up the transfer");
		goto out;
	}
	url = xstrdup(rq->url);
	for (unsigned hop = 0;; hop++) {
		int64_t left = deadline - now_ms();
		char *loc = NULL;

		if (left <= 0) {
			rc = SE_RAISEF(ei, SE_TIMEOUT, "fetch: timed out");
			goto out;
		}
		rc = one_hop(c, method, url, body, hl, (long)left, &x, &guard, ei);
		if (rc)
			goto out;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (!is_redirect(out->status) || redirs == 0)
			break;
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
			break;
		if (hop >= redirs) {
			rc = SE_RAISEF(ei, SE_IO, "fetch: more than %u redirects", redirs);
			goto out;
		}
		/* every Location gets the same checks as the first URL */
		rc = check_url(loc, o->allow_private, ei);
		if (rc)
			goto out;
		mem_free(url);
		url = xstrdup(loc);
		/* RFC 9110 15.4: 303 always, 301/302 for POST in practice, become GET */
		if (out->status == 303 ||
		    ((out->status == 301 || out->status == 302) && strcmp(method, "POST") == 0)) {
			method = "GET";
			body = STR_NULL;
		}
	}
	{
		char *ct = NULL, *eff = NULL;

		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
		if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
			snprintf(out->final_url, sizeof(out->final_url), "%s", eff);
	}
	if (buf_err(&x.hdr)) {
		rc = SE_RAISEF(ei, SE_TOO_LARGE, "fetch: response headers too large");
		goto out;
	}
	out->retry_after_s = parse_retry_after(buf_cstr(&x.hdr));
	out->headers_raw = buf_take(&x.hdr, NULL);
	if (!out->headers_raw) {
		rc = SE_RAISEF(ei, SE_NOMEM, "fetch: out of memory");
		goto out;
	}
	/* an empty body still reads as "" */
	if (!out->body.ptr)
		buf_puts(&out->body, "");
	rc = buf_err(&out->body);
out:
	if (rc)
		fetch_resp_release(out);
	buf_release(&x.hdr);
	mem_free(url);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc;
}
