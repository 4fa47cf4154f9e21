/*
 * core/cfg.c: configuration keys, the INI file (inih), SOLSTICE_* variables
 * and command-line flags. Reference: docs/configuration.md; the flag
 * contract is in DESIGN.md "Command line".
 */
#include "core/cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/str.h"

enum kind {
	K_STR,   /* any text */
	K_PATH,  /* non-empty text */
	K_URL,   /* "" or http(s)://... */
	K_WSURL, /* "" or ws(s)://... */
	K_ADDR,  /* ADDR:PORT */
	K_UINT,  /* unsigned in [min, max] */
	K_SIZE,  /* size_t in [min, max] */
	K_BOOL,  /* true/false, yes/no, on/off, 1/0 */
	K_LEVEL, /* debug|info|warn|error */
};

enum { KEY_SECRET = 1 };

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long long min, max;
	const char *def;
	unsigned flags;
};

#define OFF(f) offsetof(struct cfg, f)
#define MB(n) ((unsigned long long)(n) << 20)

/* Grouped as in the file and in Revolt.toml; cfg_dump keeps this order. */
static const struct key keys[] = {
    {"hosts", "public_url", K_URL, OFF(hosts.public_url), 0, 0, "", 0},
    {"hosts", "public_ws_url", K_WSURL, OFF(hosts.public_ws_url), 0, 0, "", 0},
    {"hosts", "app", K_URL, OFF(hosts.app), 0, 0, "", 0},
    {"hosts", "autumn", K_URL, OFF(hosts.autumn), 0, 0, "", 0},
    {"hosts", "january", K_URL, OFF(hosts.january), 0, 0, "", 0},
    {"hosts", "voso_legacy", K_URL, OFF(hosts.voso_legacy), 0, 0, "", 0},
    {"hosts", "voso_legacy_ws", K_WSURL, OFF(hosts.voso_legacy_ws), 0, 0, "", 0},
    {"listen", "http", K_ADDR, OFF(listen.http), 0, 0, "127.0.0.1:14702", 0},
    {"listen", "ws", K_ADDR, OFF(listen.ws), 0, 0, "127.0.0.1:14703", 0},
    {"storage", "data", K_PATH, OFF(storage.data), 0, 0, "data", 0},
    {"storage", "map_size_mb", K_SIZE, OFF(storage.map_size_mb), 1, MB(1), "1024", 0},
    {"storage", "sync", K_BOOL, OFF(storage.sync), 0, 0, "true", 0},
    {"http", "workers", K_UINT, OFF(http.workers), 0, 1024, "0", 0},
    {"http", "keepalive_timeout", K_UINT, OFF(http.keepalive_timeout), 0, 3600, "5", 0},
    {"http", "header_timeout", K_UINT, OFF(http.header_timeout), 1, 3600, "10", 0},
    {"http", "max_connections", K_UINT, OFF(http.max_connections), 1, 1000000, "4096", 0},
    {"http", "json_body_max", K_SIZE, OFF(http.json_body_max), 1, MB(64), "1048576", 0},
    {"http", "body_max", K_SIZE, OFF(http.body_max), 1, MB(4096), "20000000", 0},
    {"ws", "sendq_max", K_SIZE, OFF(ws.sendq_max), 4096, MB(1024), "4194304", 0},
    {"ws", "max_message", K_SIZE, OFF(ws.max_message), 1, MB(16), "65536", 0},
    {"api", "invite_only", K_BOOL, OFF(api.invite_only), 0, 0, "false", 0},
    {"api", "webhooks_enabled", K_BOOL, OFF(api.webhooks_enabled), 0, 0, "false", 0},
    {"captcha", "hcaptcha_key", K_STR, OFF(captcha.hcaptcha_key), 0, 0, "", KEY_SECRET},
    {"captcha", "hcaptcha_sitekey", K_STR, OFF(captcha.hcaptcha_sitekey), 0, 0, "", 0},
    {"smtp", "host", K_STR, OFF(smtp.host), 0, 0, "", 0},
    {"smtp", "port", K_UINT, OFF(smtp.port), 1, 65535, "587", 0},
    {"smtp", "username", K_STR, OFF(smtp.username), 0, 0, "", 0},
    {"smtp", "password", K_STR, OFF(smtp.password), 0, 0, "", KEY_SECRET},
    {"smtp", "from_address", K_STR, OFF(smtp.from_address), 0, 0, "", 0},
    {"smtp", "use_tls", K_BOOL, OFF(smtp.use_tls), 0, 0, "true", 0},
    {"log", "level", K_LEVEL, OFF(log.level), 0, 0, "info", 0},
    {"dev", "enabled", K_BOOL, OFF(dev.enabled), 0, 0, "false", 0},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* bytes of a quoted value or name inside an error message */
#define QUOTE_MAX 40
/* bytes of "SOLSTICE_<SECTION>_<KEY>" */
#define ENV_NAME_MAX 64

static bool is_text_kind(enum kind k)
{
	return k == K_STR || k == K_PATH || k == K_URL || k == K_WSURL;
}

static char **str_field(struct cfg *c, const struct key *k)
{
	return (char **)(void *)((char *)c + k->off);
}

static const void *field(const struct cfg *c, const struct key *k)
{
	return (const char *)c + k->off;
}

static const char *esc(char *dst, size_t n, struct str s)
{
	return log_escape(dst, n, s.p ? s.p : "", s.n);
}

static const struct key *key_find(struct str section, struct str name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (str_eq_cstr(section, keys[i].section) && str_eq_cstr(name, keys[i].name))
			return &keys[i];
	return NULL;
}

static bool section_known(struct str section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (str_eq_cstr(section, keys[i].section))
			return true;
	return false;
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

/* Why `s` is not acceptable text (NUL, control byte, bad UTF-8), or NULL. */
static const char *text_problem(struct str s, char *tmp, size_t n)
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

static enum err dup_text(struct str s, char **dst)
{
	char *p = mem_try_alloc(s.n + 1);

	if (!p)
		return SE_NOMEM;
	if (s.n)
		memcpy(p, s.p, s.n);
	p[s.n] = '\0';
	mem_free(*dst);
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
static enum err set_value(struct cfg *c, const struct key *k, struct str v, char *why, size_t n)
{
	char q[QUOTE_MAX], tmp[32];
	const char *problem;
	struct cfg_addr addr;
	uint64_t u;
	bool b;

	if (v.n > CFG_VALUE_MAX) {
		snprintf(why, n, "value longer than %d bytes", CFG_VALUE_MAX);
		return SE_CONFIG;
	}
	problem = text_problem(v, tmp, sizeof(tmp));
	if (problem) {
		snprintf(why, n, "%s in value", problem);
		return SE_CONFIG;
	}
	if (!is_text_kind(k->kind))
		v = str_trim(v);
	switch (k->kind) {
	case K_URL:
	case K_WSURL:
		if (v.n && !url_valid(v, k->kind == K_WSURL, &problem))
			goto bad;
		/* the host has no '/', so this stops at the path */
		while (v.n && v.p[v.n - 1] == '/')
			v.n--;
		return dup_text(v, str_field(c, k));
	case K_PATH:
		if (v.n == 0) {
			snprintf(why, n, "must not be empty");
			return SE_CONFIG;
		}
		return dup_text(v, str_field(c, k));
	case K_STR:
		return dup_text(v, str_field(c, k));
	case K_ADDR:
		if (!addr_parse(v, &addr, &problem))
			goto bad;
		*(struct cfg_addr *)(void *)((char *)c + k->off) = addr;
		return SE_OK;
	case K_UINT:
	case K_SIZE:
		if (!all_digits(v)) {
			problem = "expected an integer";
			goto bad;
		}
		if (!str_to_u64(v, k->max, &u) || u < k->min) {
			snprintf(why, n, "'%s' is out of range %llu..%llu", esc(q, sizeof(q), v),
			         k->min, k->max);
			return SE_CONFIG;
		}
		if (k->kind == K_UINT)
			*(unsigned *)(void *)((char *)c + k->off) = (unsigned)u;
		else
			*(size_t *)(void *)((char *)c + k->off) = (size_t)u;
		return SE_OK;
	case K_BOOL:
		if (!bool_parse(v, &b)) {
			problem = "expected true/false, yes/no, on/off or 1/0";
			goto bad;
		}
		*(bool *)(void *)((char *)c + k->off) = b;
		return SE_OK;
	case K_LEVEL:
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
	snprintf(why, n, "%s, got '%s'", problem, esc(q, sizeof(q), v));
	return SE_CONFIG;
}

/* set_value, with a full message naming `loc` ("f.conf:3", "--http") and the key. */
static enum err apply_value(struct cfg *c, const struct key *k, struct str v, const char *loc,
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
	for (size_t i = 0; i < NKEYS; i++) {
		if (is_text_kind(keys[i].kind)) {
			*str_field(c, &keys[i]) = xstrdup(keys[i].def);
		} else if (set_value(c, &keys[i], str_from(keys[i].def), why, sizeof(why))) {
			/* The table's defaults are tested; a bad one is a programming error. */
			log_error("config: bad default for '%s.%s': %s", keys[i].section,
			          keys[i].name, why);
		}
	}
}

void cfg_release(struct cfg *c)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (is_text_kind(keys[i].kind))
			mem_free(*str_field(c, &keys[i]));
	mem_free(c->config_file);
	memset(c, 0, sizeof(*c));
}

enum err cfg_set(struct cfg *c, const char *key, const char *value, const char *source,
                 struct err_info *ei)
{
	struct str name = str_from(key);
	struct str section = str_cut(&name, '.');
	const struct key *k = key_find(section, name);
	char q[QUOTE_MAX];

	if (!k)
		return SE_RAISEF(ei, SE_CONFIG, "config: %s: unknown key '%s'", source,
		                 esc(q, sizeof(q), str_from(key)));
	return apply_value(c, k, str_from(value), source, ei);
}

/* ---- the INI file ---- */

struct parse {
	struct cfg *c;
	char name[64]; /* escaped file name for messages */
	const char *p; /* rest of the document */
	size_t left;
	unsigned line;          /* lines handed to inih so far */
	unsigned set_on[NKEYS]; /* line each key was set on, for duplicates */
	enum err rc;            /* first error from the reader or the handler */
	unsigned err_line;
	struct err_info *ei;
};

static void perr(struct parse *ps, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct parse *ps, enum err e, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->rc = SE_RAISEF(ps->ei, e, "config: %s:%u: %s", ps->name, ps->line, msg);
	ps->err_line = ps->line;
}

/*
 * inih's ini_reader: hands over one line per call, so ps->line is the line
 * number while inih calls the handler (Debian's inih is built without
 * INI_HANDLER_LINENO). Lines are checked for bytes inih would mishandle,
 * leading blanks are removed (inih would take an indented line for a
 * continuation of the previous value), comment lines are handed over empty
 * so they may be of any length, and section names are checked here so an
 * empty unknown section is still reported.
 */
static char *reader(char *dst, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl, *problem;
	struct str line, rest;
	char tmp[32], q[QUOTE_MAX];
	long end;

	if (ps->rc || ps->left == 0 || num < 3)
		return NULL;
	nl = memchr(ps->p, '\n', ps->left);
	line = (struct str){ps->p, nl ? (size_t)(nl - ps->p) : ps->left};
	ps->p += line.n + (nl != NULL);
	ps->left -= line.n + (nl != NULL);
	ps->line++;
	if (line.n && line.p[line.n - 1] == '\r')
		line.n--;
	problem = text_problem(line, tmp, sizeof(tmp));
	if (problem) {
		perr(ps, SE_CONFIG, "%s", problem);
		return NULL;
	}
	if (ps->line == 1 && str_has_prefix(line, STR_LIT("\xef\xbb\xbf"))) {
		line.p += 3;
		line.n -= 3;
	}
	line = str_trim(line);
	if (line.n == 0 || line.p[0] == ';' || line.p[0] == '#') {
		memcpy(dst, "\n", 2);
		return dst;
	}
	if (line.n > (size_t)num - 3) {
		perr(ps, SE_CONFIG, "line longer than %d bytes", num - 3);
		return NULL;
	}
	end = str_index(line, ']');
	if (line.p[0] == '[' && end > 0) {
		rest = str_trim((struct str){line.p + end + 1, line.n - (size_t)end - 1});
		if (!section_known((struct str){line.p + 1, (size_t)end - 1})) {
			perr(ps, SE_CONFIG, "unknown section '[%s]'",
			     esc(q, sizeof(q), (struct str){line.p + 1, (size_t)end - 1}));
			return NULL;
		}
		if (rest.n && rest.p[0] != ';' && rest.p[0] != '#') {
			perr(ps, SE_CONFIG, "unexpected text after ']'");
			return NULL;
		}
	}
	memcpy(dst, line.p, line.n);
	dst[line.n] = '\n';
	dst[line.n + 1] = '\0';
	return dst;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	struct str v = str_from(value);
	const struct key *k;
	char loc[96], q[QUOTE_MAX];
	size_t idx;

	if (ps->rc)
		return 0;
	if (!*section) {
		perr(ps, SE_CONFIG, "key '%s' outside a [section]",
		     esc(q, sizeof(q), str_from(name)));
		return 0;
	}
	k = key_find(str_from(section), str_from(name));
	if (!k) {
		/* the reader let only known section names through */
		perr(ps, SE_CONFIG, "unknown key '%s.%s'", section,
		     esc(q, sizeof(q), str_from(name)));
		return 0;
	}
	idx = (size_t)(k - keys);
	if (ps->set_on[idx]) {
		perr(ps, SE_CONFIG, "key '%s.%s' already set on line %u", k->section, k->name,
		     ps->set_on[idx]);
		return 0;
	}
	ps->set_on[idx] = ps->line;
	/* "..." around a value is optional, so `public_url = ""` reads as in TOML. */
	if (v.n && v.p[0] == '"') {
		if (v.n < 2 || v.p[v.n - 1] != '"') {
			perr(ps, SE_CONFIG, "key '%s.%s': unterminated quote", k->section, k->name);
			return 0;
		}
		v = (struct str){v.p + 1, v.n - 2};
	}
	snprintf(loc, sizeof(loc), "%s:%u", ps->name, ps->line);
	ps->rc = apply_value(ps->c, k, v, loc, ps->ei);
	if (ps->rc) {
		ps->err_line = ps->line;
		return 0;
	}
	return 1;
}

enum err cfg_parse_buffer(struct cfg *c, const char *name, const char *bytes, size_t len,
                          struct err_info *ei)
{
	struct parse ps;
	int ret;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.ei = ei;
	ps.p = bytes;
	ps.left = bytes ? len : 0;
	log_escape(ps.name, sizeof(ps.name), name ? name : "", name ? strlen(name) : 0);
	if (len > LIM_CONFIG_FILE_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "config: %s: file larger than %u bytes", ps.name,
		                 LIM_CONFIG_FILE_MAX);
	ret = ini_parse_stream(reader, &ps, handler, &ps);
	/* inih reports the first malformed line; ours may come later. */
	if (ret > 0 && (!ps.rc || (unsigned)ret < ps.err_line)) {
		ps.line = (unsigned)ret;
		perr(&ps, SE_CONFIG, "expected '[section]' or 'key = value'");
	} else if (!ps.rc && ret < 0) {
		ps.rc = SE_RAISEF(ei, SE_NOMEM, "config: %s: parser failed (%d)", ps.name, ret);
	}
	return ps.rc;
}

enum err cfg_parse_file(struct cfg *c, const char *path, struct err_info *ei)
{
	struct buf b = BUF_INIT(LIM_CONFIG_FILE_MAX);
	char name[64], chunk[8192];
	struct stat st;
	enum err rc = SE_OK;
	ssize_t n;
	int fd;

	log_escape(name, sizeof(name), path, strlen(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = SE_RAISEF(ei, SE_IO, "config: %s: cannot open: %s", name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = SE_RAISEF(ei, SE_IO, "config: %s: not a regular file", name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SE_RAISEF(ei, SE_IO, "config: %s: cannot read: %s", name,
			               strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		buf_append(&b, chunk, (size_t)n);
		if (buf_err(&b) == SE_TOO_LARGE) {
			rc = SE_RAISEF(ei, SE_TOO_LARGE, "config: %s: file larger than %u bytes",
			               name, LIM_CONFIG_FILE_MAX);
			goto out;
		}
		if (buf_err(&b)) {
			rc = SE_RAISEF(ei, SE_NOMEM, "config: out of memory");
			goto out;
		}
	}
	rc = cfg_parse_buffer(c, path, b.ptr, b.len, ei);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}

/* ---- environment ---- */

/* "SOLSTICE_" + upper-case section + "_" + upper-case key, dots/dashes as '_'. */
static void env_name(const struct key *k, char *out, size_t n)
{
	int len = snprintf(out, n, "SOLSTICE_%s_%s", k->section, k->name);

	for (int i = 0; i < len && (size_t)i < n; i++) {
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
		else if (out[i] == '.' || out[i] == '-')
			out[i] = '_';
	}
}

enum err cfg_apply_env(struct cfg *c, char *const *envp, struct err_info *ei)
{
	bool seen[NKEYS] = {false};
	char en[ENV_NAME_MAX], q[QUOTE_MAX];
	enum err rc;

	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		struct str name, rest;
		size_t i;

		if (!eq || strncmp(*envp, "SOLSTICE_", 9) != 0)
			continue;
		name = (struct str){*envp, (size_t)(eq - *envp)};
		for (i = 0; i < NKEYS; i++) {
			env_name(&keys[i], en, sizeof(en));
			if (str_eq_cstr(name, en))
				break;
		}
		if (i == NKEYS) {
			rest = (struct str){name.p + 9, name.n - 9};
			for (i = 0; i < NKEYS; i++) {
				env_name(&keys[i], en, sizeof(en));
				if (str_has_prefix(name,
				                   (struct str){en, 10 + strlen(keys[i].section)}))
					break;
			}
			if (i < NKEYS)
				log_warn("config: ignoring unknown variable 'SOLSTICE_%s'",
				         esc(q, sizeof(q), rest));
			continue;
		}
		if (seen[i])
			continue;
		seen[i] = true;
		rc = apply_value(c, &keys[i], str_from(eq + 1), en, ei);
		if (rc)
			return rc;
	}
	return SE_OK;
}

/* ---- checks between keys, derived URLs ---- */

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
	if (c->http.json_body_max > c->http.body_max)
		return SE_RAISEF(ei, SE_CONFIG,
		                 "config: 'http.json_body_max' (%zu) exceeds 'http.body_max' (%zu)",
		                 c->http.json_body_max, c->http.body_max);
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
	const struct key *k = key_find(sec, n);
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
	rc = apply_value(c, k, buf_str(&b), "derived", ei);
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
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			buf_printf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		buf_printf(out, "%s = ", k->name);
		f = field(c, k);
		switch (k->kind) {
		case K_STR:
		case K_PATH:
		case K_URL:
		case K_WSURL:
			if ((k->flags & KEY_SECRET) && **(char *const *)f)
				buf_puts(out, "\"********\"");
			else
				buf_printf(out, "\"%s\"", *(char *const *)f);
			break;
		case K_ADDR:
			buf_putc(out, '"');
			cfg_addr_format(f, out);
			buf_putc(out, '"');
			break;
		case K_UINT:
			buf_printf(out, "%u", *(const unsigned *)f);
			break;
		case K_SIZE:
			buf_printf(out, "%zu", *(const size_t *)f);
			break;
		case K_BOOL:
			buf_puts(out, *(const bool *)f ? "true" : "false");
			break;
		case K_LEVEL:
			buf_printf(out, "\"%s\"", level_names[*(const enum log_level *)f & 3]);
			break;
		}
		buf_putc(out, '\n');
	}
}

/* ---- command line ---- */

enum opt_id { OPT_CONFIG, OPT_CHECK, OPT_HELP, OPT_VERSION, OPT_KEY };

static const struct opt {
	const char *name;
	const char *key;     /* key the value sets, for OPT_KEY */
	const char *metavar; /* NULL: takes no value */
	enum opt_id id;
	const char *help;
} opts[] = {
    {"config", NULL, "FILE", OPT_CONFIG, "configuration file (optional)"},
    {"check-config", NULL, NULL, OPT_CHECK, "validate the configuration, print it, exit"},
    {"data", "storage.data", "DIR", OPT_KEY, "data directory (default data)"},
    {"http", "listen.http", "ADDR:PORT", OPT_KEY, "HTTP listener (default 127.0.0.1:14702)"},
    {"ws", "listen.ws", "ADDR:PORT", OPT_KEY, "WebSocket listener (default 127.0.0.1:14703)"},
    {"public-url", "hosts.public_url", "URL", OPT_KEY,
     "public base URL (default http:// + HTTP listener)"},
    {"public-ws-url", "hosts.public_ws_url", "URL", OPT_KEY,
     "public WebSocket URL (default ws:// + WS listener)"},
    {"dev", "dev.enabled", NULL, OPT_KEY, "development mode (never in production)"},
    {"help", NULL, NULL, OPT_HELP, "show this help and exit"},
    {"version", NULL, NULL, OPT_VERSION, "print the version and exit"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void cfg_usage(struct buf *out, const char *prog)
{
	char left[40];

	buf_printf(out, "usage: %s [options]\n\noptions:\n", prog && *prog ? prog : "solstice");
	for (size_t i = 0; i < NOPTS; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
		         opts[i].metavar ? opts[i].metavar : "");
		buf_printf(out, "  %-26s %s\n", left, opts[i].help);
	}
	buf_puts(out, "\nEvery key can also be set with SOLSTICE_<SECTION>_<KEY>; flags win over\n"
	              "the environment, which wins over the file. See docs/configuration.md.\n");
}

/*
 * Collects flag values (borrowed from argv) into `val`; stops at --help or
 * --version. SE_CONFIG for an unknown flag or a missing value.
 */
static enum err parse_args(int argc, char **argv, const char **val, enum cfg_action *act,
                           struct err_info *ei)
{
	char q[QUOTE_MAX];

	*act = CFG_ACT_RUN;
	for (int i = 1; i < argc; i++) {
		struct str arg = str_from(argv[i]), name, value = STR_NULL;
		bool has_eq;
		size_t o;

		if (str_eq_cstr(arg, "-h"))
			arg = STR_LIT("--help");
		if (!str_has_prefix(arg, STR_LIT("--")) || arg.n == 2)
			return SE_RAISEF(ei, SE_CONFIG,
			                 "config: unexpected argument '%s' (see --help)",
			                 esc(q, sizeof(q), arg));
		name = (struct str){arg.p + 2, arg.n - 2};
		has_eq = str_index(name, '=') >= 0;
		value = name;
		name = str_cut(&value, '=');
		for (o = 0; o < NOPTS; o++)
			if (str_eq_cstr(name, opts[o].name))
				break;
		if (o == NOPTS)
			return SE_RAISEF(ei, SE_CONFIG,
			                 "config: unknown option '--%s' (see --help)",
			                 esc(q, sizeof(q), name));
		if (!opts[o].metavar && has_eq)
			return SE_RAISEF(ei, SE_CONFIG, "config: option '--%s' takes no value",
			                 opts[o].name);
		if (opts[o].metavar && !has_eq) {
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
				return SE_RAISEF(ei, SE_CONFIG,
				                 "config: option '--%s' needs a value %s",
				                 opts[o].name, opts[o].metavar);
			value = str_from(argv[++i]);
		}
		if (opts[o].id == OPT_HELP || opts[o].id == OPT_VERSION) {
			*act = opts[o].id == OPT_HELP ? CFG_ACT_HELP : CFG_ACT_VERSION;
			return SE_OK;
		}
		if (opts[o].id == OPT_CHECK)
			*act = CFG_ACT_CHECK;
		/* value.p points into argv[i] after '=', or is argv[i]: NUL-terminated */
		val[o] = opts[o].metavar ? value.p : "true";
	}
	return SE_OK;
}

enum err cfg_load(struct cfg *out, int argc, char **argv, char *const *envp, enum cfg_action *act,
                  struct err_info *ei)
{
	struct cfg c = CFG_INIT;
	const char *val[NOPTS] = {NULL};
	enum cfg_action a;
	char src[40];
	enum err rc;

	rc = parse_args(argc, argv, val, &a, ei);
	if (rc || a == CFG_ACT_HELP || a == CFG_ACT_VERSION)
		goto out;
	cfg_init(&c);
	if (val[OPT_CONFIG]) {
		if (!*val[OPT_CONFIG]) {
			rc = SE_RAISEF(ei, SE_CONFIG,
			               "config: option '--config' needs a value FILE");
			goto out;
		}
		rc = dup_text(str_from(val[OPT_CONFIG]), &c.config_file);
		if (rc) {
			rc = SE_RAISEF(ei, rc, "config: out of memory");
			goto out;
		}
		rc = cfg_parse_file(&c, val[OPT_CONFIG], ei);
		if (rc)
			goto out;
	}
	rc = cfg_apply_env(&c, envp, ei);
	if (rc)
		goto out;
	for (size_t o = 0; o < NOPTS; o++) {
		if (opts[o].id != OPT_KEY || !val[o])
			continue;
		snprintf(src, sizeof(src), "--%s", opts[o].name);
		rc = cfg_set(&c, opts[o].key, val[o], src, ei);
		if (rc)
			goto out;
	}
	rc = cfg_check(&c, ei);
	if (rc)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	if (!rc)
		*act = a;
	cfg_release(&c);
	return rc;
}
