/*
 * core/cfg.c: the configuration keys: their table and defaults, parsing and
 * validating one value, checks between keys, derived URLs and the dump.
 * The INI file is in cfg_ini.c; environment, flags and cfg_load in
 * cfg_load.c. Reference: docs/configuration.md.
 */
#include "core/cfg.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg_int.h"
#include "core/crypto.h"
#include "core/fetch.h"
#include "core/mem.h"
#include "core/str.h"

#define OFF(f) offsetof(struct cfg, f)
#define MB(n) ((unsigned long long)(n) << 20)

/* Grouped as in the file and in Revolt.toml; cfg_dump keeps this order. */
const struct cfg_key cfg_keys[] = {
    {"hosts", "public_url", CFG_K_URL, OFF(hosts.public_url), 0, 0, "", 0},
    {"hosts", "public_ws_url", CFG_K_WSURL, OFF(hosts.public_ws_url), 0, 0, "", 0},
    {"hosts", "app", CFG_K_URL, OFF(hosts.app), 0, 0, "", 0},
    {"hosts", "autumn", CFG_K_URL, OFF(hosts.autumn), 0, 0, "", 0},
    {"hosts", "january", CFG_K_URL, OFF(hosts.january), 0, 0, "", 0},
    {"hosts", "voso_legacy", CFG_K_URL, OFF(hosts.voso_legacy), 0, 0, "", 0},
    {"hosts", "voso_legacy_ws", CFG_K_WSURL, OFF(hosts.voso_legacy_ws), 0, 0, "", 0},
    {"listen", "http", CFG_K_ADDR, OFF(listen.http), 0, 0, "127.0.0.1:14702", 0},
    {"listen", "ws", CFG_K_ADDR, OFF(listen.ws), 0, 0, "127.0.0.1:14703", 0},
    {"storage", "data", CFG_K_PATH, OFF(storage.data), 0, 0, "data", 0},
    {"storage", "map_size_mb", CFG_K_SIZE, OFF(storage.map_size_mb), 1, MB(1), "1024", 0},
    {"storage", "sync", CFG_K_BOOL, OFF(storage.sync), 0, 0, "true", 0},
    {"http", "workers", CFG_K_UINT, OFF(http.workers), 0, 1024, "0", 0},
    {"http", "keepalive_timeout", CFG_K_UINT, OFF(http.keepalive_timeout), 0, 3600, "5", 0},
    {"http", "header_timeout", CFG_K_UINT, OFF(http.header_timeout), 1, 3600, "10", 0},
    {"http", "max_connections", CFG_K_UINT, OFF(http.max_connections), 1, 1000000, "4096", 0},
    {"http", "json_body_max", CFG_K_SIZE, OFF(http.json_body_max), 1, MB(64), "1048576", 0},
    {"http", "body_max", CFG_K_SIZE, OFF(http.body_max), 1, MB(4096), "20000000", 0},
    {"ws", "sendq_max", CFG_K_SIZE, OFF(ws.sendq_max), 4096, MB(1024), "4194304", 0},
    {"ws", "max_message", CFG_K_SIZE, OFF(ws.max_message), 1, MB(16), "65536", 0},
    {"ws", "auth_timeout", CFG_K_UINT, OFF(ws.auth_timeout), 0, 3600, "30", 0},
    {"api", "invite_only", CFG_K_BOOL, OFF(api.invite_only), 0, 0, "false", 0},
    {"api", "webhooks_enabled", CFG_K_BOOL, OFF(api.webhooks_enabled), 0, 0, "false", 0},
    {"api", "trust_cloudflare", CFG_K_BOOL, OFF(api.trust_cloudflare), 0, 0, "false", 0},
    {"captcha", "hcaptcha_key", CFG_K_STR, OFF(captcha.hcaptcha_key), 0, 0, "", CFG_KEY_SECRET},
    {"captcha", "hcaptcha_sitekey", CFG_K_STR, OFF(captcha.hcaptcha_sitekey), 0, 0, "", 0},
    {"captcha", "hcaptcha_verify_url", CFG_K_STR, OFF(captcha.hcaptcha_verify_url), 0, 0,
     "https://api.hcaptcha.com/siteverify", 0},
    {"smtp", "host", CFG_K_STR, OFF(smtp.host), 0, 0, "", 0},
    {"smtp", "port", CFG_K_UINT, OFF(smtp.port), 1, 65535, "587", 0},
    {"smtp", "username", CFG_K_STR, OFF(smtp.username), 0, 0, "", 0},
    {"smtp", "password", CFG_K_STR, OFF(smtp.password), 0, 0, "", CFG_KEY_SECRET},
    {"smtp", "from_address", CFG_K_STR, OFF(smtp.from_address), 0, 0, "", 0},
    {"smtp", "use_tls", CFG_K_BOOL, OFF(smtp.use_tls), 0, 0, "true", 0},
    {"log", "level", CFG_K_LEVEL, OFF(log.level), 0, 0, "info", 0},
    {"dev", "enabled", CFG_K_BOOL, OFF(dev.enabled), 0, 0, "false", 0},
    {"bus", "redis_url", CFG_K_STR, OFF(bus.redis_url), 0, 0, "", CFG_KEY_SECRET},
    {"auth", "argon2_ops", CFG_K_UINT, OFF(auth.argon2_ops), 1, 64, "2", 0},
    {"auth", "argon2_mem_kib", CFG_K_SIZE, OFF(auth.argon2_mem_kib), 8, MB(4), "19456", 0},
    {"auth", "password_min", CFG_K_UINT, OFF(auth.password_min), 1, 1024, "8", 0},
    {"auth", "compromised_passwords", CFG_K_STR, OFF(auth.compromised_passwords), 0, 0, "", 0},
    {"ratelimit", "enabled", CFG_K_BOOL, OFF(ratelimit.enabled), 0, 0, "true", 0},
    {"ratelimit", "window_ms", CFG_K_UINT, OFF(ratelimit.window_ms), 100, 3600000, "10000", 0},
    {"ratelimit", "user_edit", CFG_K_UINT, OFF(ratelimit.user_edit), 1, 1000000, "2", 0},
    {"ratelimit", "users", CFG_K_UINT, OFF(ratelimit.users), 1, 1000000, "20", 0},
    {"ratelimit", "default_avatar", CFG_K_UINT, OFF(ratelimit.default_avatar), 1, 1000000, "255",
     0},
    {"ratelimit", "bots", CFG_K_UINT, OFF(ratelimit.bots), 1, 1000000, "10", 0},
    {"ratelimit", "messaging", CFG_K_UINT, OFF(ratelimit.messaging), 1, 1000000, "10", 0},
    {"ratelimit", "channels", CFG_K_UINT, OFF(ratelimit.channels), 1, 1000000, "15", 0},
    {"ratelimit", "servers", CFG_K_UINT, OFF(ratelimit.servers), 1, 1000000, "5", 0},
    {"ratelimit", "auth", CFG_K_UINT, OFF(ratelimit.auth), 1, 1000000, "15", 0},
    {"ratelimit", "auth_delete", CFG_K_UINT, OFF(ratelimit.auth_delete), 1, 1000000, "255", 0},
    {"ratelimit", "swagger", CFG_K_UINT, OFF(ratelimit.swagger), 1, 1000000, "100", 0},
    {"ratelimit", "safety_report", CFG_K_UINT, OFF(ratelimit.safety_report), 1, 1000000, "3", 0},
    {"ratelimit", "safety", CFG_K_UINT, OFF(ratelimit.safety), 1, 1000000, "15", 0},
    {"ratelimit", "any", CFG_K_UINT, OFF(ratelimit.any), 1, 1000000, "20", 0},
    {"ratelimit", "upload", CFG_K_UINT, OFF(ratelimit.upload), 1, 1000000, "10", 0},
    {"files", "encryption_key", CFG_K_STR, OFF(files.encryption_key), 0, 0, "", CFG_KEY_SECRET},
    {"files", "backend", CFG_K_STR, OFF(files.backend), 0, 0, "local", 0},
    {"files", "local_root", CFG_K_STR, OFF(files.local_root), 0, 0, "", 0},
    {"files", "s3_endpoint", CFG_K_URL, OFF(files.s3_endpoint), 0, 0, "", 0},
    {"files", "s3_region", CFG_K_STR, OFF(files.s3_region), 0, 0, "us-east-1", 0},
    {"files", "s3_bucket", CFG_K_STR, OFF(files.s3_bucket), 0, 0, "", 0},
    {"files", "s3_access_key", CFG_K_STR, OFF(files.s3_access_key), 0, 0, "", 0},
    {"files", "s3_secret_key", CFG_K_STR, OFF(files.s3_secret_key), 0, 0, "", CFG_KEY_SECRET},
    {"files", "s3_path_style", CFG_K_BOOL, OFF(files.s3_path_style), 0, 0, "true", 0},
    {"files", "s3_timeout", CFG_K_UINT, OFF(files.s3_timeout), 1, 3600, "60", 0},
    {"files", "cleanup_interval", CFG_K_UINT, OFF(files.cleanup_interval), 1, 86400, "60", 0},
    {"federation", "enabled", CFG_K_BOOL, OFF(federation.enabled), 0, 0, "true", 0},
    {"federation", "allow_private", CFG_K_BOOL, OFF(federation.allow_private), 0, 0, "false", 0},
    {"federation", "authorized_fetch", CFG_K_BOOL, OFF(federation.authorized_fetch), 0, 0, "false",
     0},
    {"federation", "auto_accept_follows", CFG_K_BOOL, OFF(federation.auto_accept_follows), 0, 0,
     "false", 0},
    {"federation", "user_agent", CFG_K_STR, OFF(federation.user_agent), 0, 0, "", 0},
    {"federation", "key_encryption_key", CFG_K_STR, OFF(federation.key_encryption_key), 0, 0, "",
     CFG_KEY_SECRET},
    {"federation", "sign_first", CFG_K_STR, OFF(federation.sign_first), 0, 0, "cavage", 0},
    {"federation", "fetch_timeout", CFG_K_UINT, OFF(federation.fetch_timeout), 1, 300, "10", 0},
    {"federation", "fetch_max_bytes", CFG_K_SIZE, OFF(federation.fetch_max_bytes), 1024, MB(64),
     "1048576", 0},
    {"federation", "max_redirects", CFG_K_UINT, OFF(federation.max_redirects), 0, 20, "3", 0},
    {"federation", "inbox_max", CFG_K_SIZE, OFF(federation.inbox_max), 1024, MB(64), "1048576", 0},
    {"federation", "clock_skew", CFG_K_UINT, OFF(federation.clock_skew), 1, 86400, "3600", 0},
    {"federation", "delivery_workers", CFG_K_UINT, OFF(federation.delivery_workers), 1, 64, "2", 0},
    {"federation", "delivery_per_host", CFG_K_UINT, OFF(federation.delivery_per_host), 1, 256, "4",
     0},
    {"federation", "delivery_inflight", CFG_K_UINT, OFF(federation.delivery_inflight), 1, 4096,
     "64", 0},
    {"federation", "unavailable_days", CFG_K_UINT, OFF(federation.unavailable_days), 1, 365, "7",
     0},
};

_Static_assert(sizeof(cfg_keys) / sizeof(cfg_keys[0]) == CFG_NKEYS, "CFG_NKEYS is out of date");

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static bool is_text_kind(enum cfg_kind k)
{
	return k == CFG_K_STR || k == CFG_K_PATH || k == CFG_K_URL || k == CFG_K_WSURL;
}

static char **str_field(struct cfg *c, const struct cfg_key *k)
{
	return (char **)(void *)((char *)c + k->off);
}

static const void *field(const struct cfg *c, const struct cfg_key *k)
{
	return (const char *)c + k->off;
}

const char *cfg_esc(char *dst, size_t n, struct str s)
{
	return log_escape(dst, n, s.p ? s.p : "", s.n);
}

const struct cfg_key *cfg_key_find(struct str section, struct str name)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (str_eq_cstr(section, cfg_keys[i].section) &&
		    str_eq_cstr(name, cfg_keys[i].name))
			return &cfg_keys[i];
	return NULL;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len, j;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

const char *cfg_text_problem(struct str s, char *tmp, size_t n)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch == 0)
			return "NUL byte";
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			snprintf(tmp, n, "control character 0x%02x", ch);
			return tmp;
		}
	}
	return utf8_valid((const unsigned char *)s.p, s.n) ? NULL : "invalid UTF-8";
}

/* Frees an owned string; a secret is wiped first (STYLE rule 24). */
static void text_free(char *p, bool secret)
{
	if (p && secret)
		cry_wipe(p, strlen(p));
	mem_free(p);
}

enum err cfg_dup_text(struct str s, char **dst, bool secret)
{
	char *p = mem_try_alloc(s.n + 1);

	if (!p)
		return SE_NOMEM;
	if (s.n)
		memcpy(p, s.p, s.n);
	p[s.n] = '\0';
	text_free(*dst, secret);
	*dst = p;
	return SE_OK;
}

static bool url_valid(struct str v, bool ws, const char **why)
{
	struct str scheme[2] = {ws ? STR_LIT("ws://") : STR_LIT("http://"),
	                        ws ? STR_LIT("wss://") : STR_LIT("https://")};
	struct str auth;
	size_t i;

	*why = ws ? "expected a ws:// or wss:// URL" : "expected an http:// or https:// URL";
	for (i = 0; i < 2; i++)
		if (str_has_prefix(v, scheme[i]))
			break;
	if (i == 2)
		return false;
	for (size_t j = 0; j < v.n; j++) {
		unsigned char ch = (unsigned char)v.p[j];

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#' || ch == '"' || ch == '\\') {
			*why = "URL has a space, non-ASCII byte, query or fragment";
			return false;
		}
	}
	auth = (struct str){v.p + scheme[i].n, v.n - scheme[i].n};
	auth = str_cut(&auth, '/');
	if (auth.n == 0) {
		*why = "URL has no host";
		return false;
	}
	for (size_t j = 0; j < auth.n; j++) {
		unsigned char ch = (unsigned char)auth.p[j];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("-.:[]", ch))) {
			*why = "URL host has a character other than letters, digits, '-.:[]'";
			return false;
		}
	}
	return true;
}

static bool host_valid(const char *host, bool v6)
{
	unsigned char tmp[16];

	if (v6)
		return inet_pton(AF_INET6, host, tmp) == 1;
	return strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, tmp) == 1;
}

static bool addr_parse(struct str v, struct cfg_addr *out, const char **why)
{
	struct cfg_addr a = {{0}, 0};
	struct str host, port;
	uint64_t p;
	bool v6 = v.n && v.p[0] == '[';
	long i;

	*why = "expected ADDR:PORT with an IPv4 address, [IPv6] or localhost";
	if (v6) {
		i = str_index(v, ']');
		if (i < 0 || (size_t)i + 1 >= v.n || v.p[i + 1] != ':')
			return false;
		host = (struct str){v.p + 1, (size_t)i - 1};
		port = (struct str){v.p + i + 2, v.n - (size_t)i - 2};
	} else {
		i = str_index(v, ':');
		if (i < 0)
			return false;
		host = (struct str){v.p, (size_t)i};
		port = (struct str){v.p + i + 1, v.n - (size_t)i - 1};
		if (str_index(port, ':') >= 0) {
			*why = "an IPv6 address needs brackets: [ADDR]:PORT";
			return false;
		}
	}
	if (host.n == 0 || host.n >= sizeof(a.host))
		return false;
	memcpy(a.host, host.p, host.n);
	if (!host_valid(a.host, v6))
		return false;
	if (!str_to_u64(port, 65535, &p)) {
		*why = "expected a port 0..65535 after ':'";
		return false;
	}
	a.port = (unsigned)p;
	*out = a;
	return true;
}

static bool bool_parse(struct str v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (str_eq_nocase(v, str_from(yes[i]))) {
			*out = true;
			return true;
		}
		if (str_eq_nocase(v, str_from(no[i]))) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool all_digits(struct str v)
{
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
	return v.n > 0;
}

/*
 * Parses `v` into the field of `k`. SE_CONFIG with the reason in `why`
 * ("expected an integer, got 'abc'"), or SE_NOMEM. Fields change only on
 * success.
 */
static enum err set_value(struct cfg *c, const struct cfg_key *k, struct str v, char *why, size_t n)
{
	char q[CFG_QUOTE_MAX], tmp[32];
	const char *problem;
	struct cfg_addr addr;
	uint64_t u;
	bool b;

	if (v.n > CFG_VALUE_MAX) {
		snprintf(why, n, "value longer than %d bytes", CFG_VALUE_MAX);
		return SE_CONFIG;
	}
	problem = cfg_text_problem(v, tmp, sizeof(tmp));
	if (problem) {
		snprintf(why, n, "%s in value", problem);
		return SE_CONFIG;
	}
	if (!is_text_kind(k->kind))
		v = str_trim(v);
	switch (k->kind) {
	case CFG_K_URL:
	case CFG_K_WSURL:
		if (v.n && !url_valid(v, k->kind == CFG_K_WSURL, &problem))
			goto bad;
		/* the host has no '/', so this stops at the path */
		while (v.n && v.p[v.n - 1] == '/')
			v.n--;
		return cfg_dup_text(v, str_field(c, k), k->flags & CFG_KEY_SECRET);
	case CFG_K_PATH:
		if (v.n == 0) {
			snprintf(why, n, "must not be empty");
			return SE_CONFIG;
		}
		return cfg_dup_text(v, str_field(c, k), k->flags & CFG_KEY_SECRET);
	case CFG_K_STR:
		return cfg_dup_text(v, str_field(c, k), k->flags & CFG_KEY_SECRET);
	case CFG_K_ADDR:
		if (!addr_parse(v, &addr, &problem))
			goto bad;
		*(struct cfg_addr *)(void *)((char *)c + k->off) = addr;
		return SE_OK;
	case CFG_K_UINT:
	case CFG_K_SIZE:
		if (!all_digits(v)) {
			problem = "expected an integer";
			goto bad;
		}
		if (!str_to_u64(v, k->max, &u) || u < k->min) {
			snprintf(why, n, "'%s' is out of range %llu..%llu",
			         cfg_esc(q, sizeof(q), v), k->min, k->max);
			return SE_CONFIG;
		}
		if (k->kind == CFG_K_UINT)
			*(unsigned *)(void *)((char *)c + k->off) = (unsigned)u;
		else
			*(size_t *)(void *)((char *)c + k->off) = (size_t)u;
		return SE_OK;
	case CFG_K_BOOL:
		if (!bool_parse(v, &b)) {
			problem = "expected true/false, yes/no, on/off or 1/0";
			goto bad;
		}
		*(bool *)(void *)((char *)c + k->off) = b;
		return SE_OK;
	case CFG_K_LEVEL:
		for (size_t i = 0; i < 4; i++) {
			if (str_eq_nocase(v, str_from(level_names[i]))) {
				*(enum log_level *)(void *)((char *)c + k->off) = (enum log_level)i;
				return SE_OK;
			}
		}
		problem = "expected debug, info, warn or error";
		goto bad;
	}
	problem = "unsupported key";
bad:
	snprintf(why, n, "%s, got '%s'", problem, cfg_esc(q, sizeof(q), v));
	return SE_CONFIG;
}

enum err cfg_apply_value(struct cfg *c, const struct cfg_key *k, struct str v, const char *loc,
                         struct err_info *ei)
{
	char why[112];
	enum err rc = set_value(c, k, v, why, sizeof(why));

	if (rc == SE_NOMEM)
		return SE_RAISEF(ei, SE_NOMEM, "config: out of memory");
	if (rc)
		return SE_RAISEF(ei, rc, "config: %s: key '%s.%s': %s", loc, k->section, k->name,
		                 why);
	return SE_OK;
}

void cfg_init(struct cfg *c)
{
	char why[112];

	memset(c, 0, sizeof(*c));
	c->config_file = xstrdup("");
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		if (is_text_kind(cfg_keys[i].kind)) {
			*str_field(c, &cfg_keys[i]) = xstrdup(cfg_keys[i].def);
		} else if (set_value(c, &cfg_keys[i], str_from(cfg_keys[i].def), why,
		                     sizeof(why))) {
			/* The table's defaults are tested; a bad one is a programming error. */
			log_error("config: bad default for '%s.%s': %s", cfg_keys[i].section,
			          cfg_keys[i].name, why);
		}
	}
}

void cfg_release(struct cfg *c)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (is_text_kind(cfg_keys[i].kind))
			text_free(*str_field(c, &cfg_keys[i]), cfg_keys[i].flags & CFG_KEY_SECRET);
	mem_free(c->config_file);
	memset(c, 0, sizeof(*c));
}

enum err cfg_set(struct cfg *c, const char *key, const char *value, const char *source,
                 struct err_info *ei)
{
	struct str name = str_from(key);
	struct str section = str_cut(&name, '.');
	const struct cfg_key *k = cfg_key_find(section, name);
	char q[CFG_QUOTE_MAX];

	if (!k)
		return SE_RAISEF(ei, SE_CONFIG, "config: %s: unknown key '%s'", source,
		                 cfg_esc(q, sizeof(q), str_from(key)));
	return cfg_apply_value(c, k, str_from(value), source, ei);
}

enum err cfg_check(const struct cfg *c, struct err_info *ei)
{
	const struct cfg_addr *h = &c->listen.http, *w = &c->listen.ws;

	if (h->port && h->port == w->port && strcmp(h->host, w->host) == 0)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'listen.http' and 'listen.ws' are both '%s:%u'", h->host,
		                 h->port);
	if (*c->smtp.host && !*c->smtp.from_address)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'smtp.from_address' is required when 'smtp.host' is set");
	if (!*c->captcha.hcaptcha_key != !*c->captcha.hcaptcha_sitekey)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'captcha.hcaptcha_key' and 'captcha.hcaptcha_sitekey' "
		                 "must be set together");
	if (*c->captcha.hcaptcha_key) {
		struct fetch_url u;

		if (fetch_url_parse(c->captcha.hcaptcha_verify_url, &u, NULL) != SE_OK)
			return SE_RAISEF(
			    ei, SE_CONFIG,
			    "config: 'captcha.hcaptcha_verify_url' is not an http(s) URL");
	}
	if (c->http.json_body_max > c->http.body_max)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'http.json_body_max' (%zu) exceeds 'http.body_max' (%zu)",
		                 c->http.json_body_max, c->http.body_max);
	if (strcmp(c->federation.sign_first, "cavage") != 0 &&
	    strcmp(c->federation.sign_first, "rfc9421") != 0)
		return SE_RAISEF(
		    ei, SE_CONFIG,
		    "config: 'federation.sign_first' must be \"cavage\" or \"rfc9421\", "
		    "not \"%s\"",
		    c->federation.sign_first);
	if (c->federation.delivery_per_host > c->federation.delivery_inflight)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'federation.delivery_per_host' (%u) exceeds "
		                 "'federation.delivery_inflight' (%u)",
		                 c->federation.delivery_per_host, c->federation.delivery_inflight);
	if (c->ws.max_message > c->ws.sendq_max)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'ws.max_message' (%zu) exceeds 'ws.sendq_max' (%zu)",
		                 c->ws.max_message, c->ws.sendq_max);
	return SE_OK;
}

/* Sets `name` ("hosts.autumn") to prefix + base + suffix when it is empty. */
static enum err derive(struct cfg *c, const char *name, const char *prefix, const char *base,
                       const char *suffix, struct err_info *ei)
{
	struct str n = str_from(name), sec = str_cut(&n, '.');
	const struct cfg_key *k = cfg_key_find(sec, n);
	struct buf b = BUF_INIT(CFG_VALUE_MAX);
	enum err rc = SE_OK;

	if (**str_field(c, k))
		goto out;
	if (!base) {
		rc = SE_RAISEF(ei, SE_CONFIG, "config: '%s' is empty and no listener was given",
		               name);
		goto out;
	}
	buf_puts(&b, prefix);
	buf_puts(&b, base);
	buf_puts(&b, suffix);
	rc = buf_err(&b);
	if (rc) {
		rc = SE_RAISEF(ei, rc, "config: derived '%s' is too long", name);
		goto out;
	}
	rc = cfg_apply_value(c, k, buf_str(&b), "derived", ei);
out:
	buf_release(&b);
	return rc;
}

enum err cfg_finalize_urls(struct cfg *c, const char *http_hostport, const char *ws_hostport,
                           struct err_info *ei)
{
	enum err rc;

	rc = derive(c, "hosts.public_url", "http://", http_hostport, "", ei);
	if (!rc)
		rc = derive(c, "hosts.public_ws_url", "ws://", ws_hostport, "", ei);
	if (!rc)
		rc = derive(c, "hosts.app", "", c->hosts.public_url, "", ei);
	if (!rc)
		rc = derive(c, "hosts.autumn", "", c->hosts.public_url, "/autumn", ei);
	if (!rc)
		rc = derive(c, "hosts.january", "", c->hosts.public_url, "/january", ei);
	return rc;
}

void cfg_addr_format(const struct cfg_addr *a, struct buf *out)
{
	if (strchr(a->host, ':'))
		buf_printf(out, "[%s]:%u", a->host, a->port);
	else
		buf_printf(out, "%s:%u", a->host, a->port);
}

void cfg_dump(const struct cfg *c, struct buf *out)
{
	const char *section = "";
	const void *f;

	buf_puts(out, "# effective configuration (secrets masked)\n");
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			buf_printf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		buf_printf(out, "%s = ", k->name);
		f = field(c, k);
		switch (k->kind) {
		case CFG_K_STR:
		case CFG_K_PATH:
		case CFG_K_URL:
		case CFG_K_WSURL:
			if ((k->flags & CFG_KEY_SECRET) && **(char *const *)f)
				buf_puts(out, "\"********\"");
			else
				buf_printf(out, "\"%s\"", *(char *const *)f);
			break;
		case CFG_K_ADDR:
			buf_putc(out, '"');
			cfg_addr_format(f, out);
			buf_putc(out, '"');
			break;
		case CFG_K_UINT:
			buf_printf(out, "%u", *(const unsigned *)f);
			break;
		case CFG_K_SIZE:
			buf_printf(out, "%zu", *(const size_t *)f);
			break;
		case CFG_K_BOOL:
			buf_puts(out, *(const bool *)f ? "true" : "false");
			break;
		case CFG_K_LEVEL:
			buf_printf(out, "\"%s\"", level_names[*(const enum log_level *)f & 3]);
			break;
		}
		buf_putc(out, '\n');
	}
}
