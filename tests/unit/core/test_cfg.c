/*
 * tests/unit/core/test_cfg.c: core/cfg — defaults, file, environment, flags,
 * precedence, every error class with its exact message, hostile files, OOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/limits.h"
#include "core/mem.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cfg.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

/* Writes `len` bytes to tmpdir/t.conf and returns the path (static). */
static const char *write_conf(const char *bytes, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_defaults(void **state)
{
	struct cfg c = CFG_INIT;

	(void)state;
	cfg_init(&c);
	assert_string_equal(c.hosts.public_url, "");
	assert_string_equal(c.hosts.public_ws_url, "");
	assert_string_equal(c.hosts.app, "");
	assert_string_equal(c.hosts.autumn, "");
	assert_string_equal(c.hosts.january, "");
	assert_string_equal(c.hosts.voso_legacy, "");
	assert_string_equal(c.hosts.voso_legacy_ws, "");
	assert_string_equal(c.listen.http.host, "127.0.0.1");
	assert_int_equal(c.listen.http.port, 14702);
	assert_string_equal(c.listen.ws.host, "127.0.0.1");
	assert_int_equal(c.listen.ws.port, 14703);
	assert_string_equal(c.storage.data, "data");
	assert_int_equal(c.storage.map_size_mb, 1024);
	assert_true(c.storage.sync);
	assert_int_equal(c.http.workers, 0);
	assert_int_equal(c.http.keepalive_timeout, 5);
	assert_int_equal(c.http.header_timeout, 10);
	assert_int_equal(c.http.max_connections, 4096);
	assert_int_equal(c.http.json_body_max, 1048576);
	assert_int_equal(c.http.body_max, 20000000);
	assert_int_equal(c.ws.sendq_max, 4194304);
	assert_int_equal(c.ws.max_message, 65536);
	assert_false(c.api.invite_only);
	assert_false(c.api.webhooks_enabled);
	assert_string_equal(c.captcha.hcaptcha_key, "");
	assert_string_equal(c.captcha.hcaptcha_sitekey, "");
	assert_string_equal(c.smtp.host, "");
	assert_int_equal(c.smtp.port, 587);
	assert_string_equal(c.smtp.username, "");
	assert_string_equal(c.smtp.password, "");
	assert_string_equal(c.smtp.from_address, "");
	assert_true(c.smtp.use_tls);
	assert_int_equal(c.log.level, LOG_LVL_INFO);
	assert_false(c.dev.enabled);
	assert_string_equal(c.config_file, "");
	assert_int_equal(cfg_check(&c, NULL), SE_OK);
	cfg_release(&c);
	assert_null(c.storage.data);
	cfg_release(&c);
}

static const char full_file[] = "# every key\n"
                                "[hosts]\n"
                                "public_url = https://chat.example.org/\n"
                                "public_ws_url = \"wss://chat.example.org/ws\"\n"
                                "app = https://app.example.org\n"
                                "autumn = https://chat.example.org/autumn\n"
                                "january = https://chat.example.org/january\n"
                                "voso_legacy = https://voice.example.org\n"
                                "voso_legacy_ws = wss://voice.example.org\n"
                                "[listen]\n"
                                "http = [::1]:8080\n"
                                "ws = localhost:0\n"
                                "[storage]\n"
                                "data = /var/lib/solstice\n"
                                "map_size_mb = 2048\n"
                                "sync = off\n"
                                "[http]\n"
                                "workers = 8\n"
                                "keepalive_timeout = 0\n"
                                "header_timeout = 30\n"
                                "max_connections = 100\n"
                                "json_body_max = 2048\n"
                                "body_max = 4096\n"
                                "[ws]\n"
                                "sendq_max = 8192\n"
                                "max_message = 1024\n"
                                "[api]\n"
                                "invite_only = YES\n"
                                "webhooks_enabled = 1\n"
                                "[captcha]\n"
                                "hcaptcha_key = 0xsecret\n"
                                "hcaptcha_sitekey = site\n"
                                "[smtp]\n"
                                "host = smtp.example.org\n"
                                "port = 465\n"
                                "username = solstice\n"
                                "password = p4ss;word ; inline comment\n"
                                "from_address = Solstice <noreply@example.org>\n"
                                "use_tls = no\n"
                                "[log]\n"
                                "level = DEBUG\n"
                                "[dev]\n"
                                "enabled = on\n";

static void check_full(const struct cfg *c)
{
	assert_string_equal(c->hosts.public_url, "https://chat.example.org");
	assert_string_equal(c->hosts.public_ws_url, "wss://chat.example.org/ws");
	assert_string_equal(c->hosts.app, "https://app.example.org");
	assert_string_equal(c->hosts.voso_legacy_ws, "wss://voice.example.org");
	assert_string_equal(c->listen.http.host, "::1");
	assert_int_equal(c->listen.http.port, 8080);
	assert_string_equal(c->listen.ws.host, "localhost");
	assert_int_equal(c->listen.ws.port, 0);
	assert_string_equal(c->storage.data, "/var/lib/solstice");
	assert_int_equal(c->storage.map_size_mb, 2048);
	assert_false(c->storage.sync);
	assert_int_equal(c->http.workers, 8);
	assert_int_equal(c->http.keepalive_timeout, 0);
	assert_int_equal(c->http.header_timeout, 30);
	assert_int_equal(c->http.max_connections, 100);
	assert_int_equal(c->http.json_body_max, 2048);
	assert_int_equal(c->http.body_max, 4096);
	assert_int_equal(c->ws.sendq_max, 8192);
	assert_int_equal(c->ws.max_message, 1024);
	assert_true(c->api.invite_only);
	assert_true(c->api.webhooks_enabled);
	assert_string_equal(c->smtp.host, "smtp.example.org");
	assert_int_equal(c->smtp.port, 465);
	assert_string_equal(c->smtp.from_address, "Solstice <noreply@example.org>");
	assert_false(c->smtp.use_tls);
	assert_int_equal(c->log.level, LOG_LVL_DEBUG);
	assert_true(c->dev.enabled);
}

static void test_file_values(void **state)
{
	struct cfg c = CFG_INIT;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_parse_buffer(&c, "t.conf", full_file, sizeof(full_file) - 1, &ei),
	                 SE_OK);
	check_full(&c);
	assert_string_equal(c.smtp.password, "p4ss;word");
	assert_string_equal(c.captcha.hcaptcha_key, "0xsecret");
	assert_string_equal(c.captcha.hcaptcha_verify_url, "https://api.hcaptcha.com/siteverify");
	assert_int_equal(cfg_check(&c, &ei), SE_OK);
	/* the verifier must be an http(s) URL */
	assert_int_equal(cfg_set(&c, "captcha.hcaptcha_verify_url", "ftp://x/", "test", &ei),
	                 SE_OK);
	assert_int_equal(cfg_check(&c, &ei), SE_CONFIG);
	assert_non_null(strstr(ei.detail, "hcaptcha_verify_url"));
	cfg_release(&c);
}

/* Files that parse; `check` looks at the result. */
struct ok_case {
	const char *name;
	const char *doc;
	size_t len; /* 0: strlen(doc) */
	unsigned workers;
	const char *public_url;
};

static void test_file_hostile_ok(void **state)
{
	static const struct ok_case cases[] = {
	    {"empty", "", 0, 0, ""},
	    {"only comments", "; a\n# b\n\n   \n\t\n", 0, 0, ""},
	    {"empty section", "[http]\n[ws]\n", 0, 0, ""},
	    {"crlf", "[http]\r\nworkers = 3\r\n", 0, 3, ""},
	    {"no final newline", "[http]\nworkers = 3", 0, 3, ""},
	    {"bom", "\xef\xbb\xbf[http]\nworkers = 3\n", 0, 3, ""},
	    {"indented key is not a continuation", "[http]\nkeepalive_timeout = 1\n  workers = 3\n",
	     0, 3, ""},
	    {"inline comment", "[http]\nworkers = 3 ; three\n", 0, 3, ""},
	    {"spaces", "  [http]  \n\tworkers\t=\t3\t\n", 0, 3, ""},
	    {"quoted empty url", "[hosts]\npublic_url = \"\"\n", 0, 0, ""},
	    {"colon separator", "[http]\nworkers: 3\n", 0, 3, ""},
	    {"utf-8 comment", "# café ☀ 𝄞\n[http]\nworkers = 3\n", 0, 3, ""},
	    {"trailing slashes", "[hosts]\npublic_url = http://[::1]:80//\n", 0, 0,
	     "http://[::1]:80"},
	    {"section reopened", "[http]\nworkers = 1\n[ws]\n[http]\nbody_max = 9999999\n", 0, 1,
	     ""},
	};
	char *longc = mem_try_alloc(10000);
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_non_null(longc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg c = CFG_INIT;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].doc);

		cfg_init(&c);
		if (cfg_parse_buffer(&c, "t.conf", cases[i].doc, len, &ei) != SE_OK)
			fail_msg("case '%s': %s", cases[i].name, ei.detail);
		assert_int_equal(c.http.workers, cases[i].workers);
		assert_string_equal(c.hosts.public_url, cases[i].public_url);
		cfg_release(&c);
	}
	/* a comment may be longer than a key line */
	memset(longc, '#', 9998);
	longc[9998] = '\n';
	{
		struct cfg c = CFG_INIT;

		cfg_init(&c);
		assert_int_equal(cfg_parse_buffer(&c, "t.conf", longc, 9999, &ei), SE_OK);
		assert_int_equal(cfg_parse_buffer(&c, "t.conf", NULL, 0, &ei), SE_OK);
		cfg_release(&c);
	}
	mem_free(longc);
}

struct err_case {
	const char *doc;
	size_t len; /* 0: strlen(doc) */
	enum err rc;
	const char *detail;
};

static void test_file_errors(void **state)
{
	static const struct err_case cases[] = {
	    {"[http]\nworkers = abc\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'http.workers': expected an integer, got 'abc'"},
	    {"[http]\nworkers = -1\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'http.workers': expected an integer, got '-1'"},
	    {"[http]\nworkers = 5000\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'http.workers': '5000' is out of range 0..1024"},
	    {"[http]\nworkers = 99999999999999999999999\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'http.workers': '99999999999999999999999' is out of range "
	     "0..1024"},
	    {"[smtp]\nport = 0\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'smtp.port': '0' is out of range 1..65535"},
	    {"[ws]\nsendq_max = 10\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'ws.sendq_max': '10' is out of range 4096..1073741824"},
	    {"[htp]\nworkers = 1\n", 0, SE_CONFIG, "config: t.conf:1: unknown section '[htp]'"},
	    {"\n\n[nothing]\n", 0, SE_CONFIG, "config: t.conf:3: unknown section '[nothing]'"},
	    {"[http] junk\n", 0, SE_CONFIG, "config: t.conf:1: unexpected text after ']'"},
	    {"[http]\nworkrs = 1\n", 0, SE_CONFIG, "config: t.conf:2: unknown key 'http.workrs'"},
	    {"workers = 1\n", 0, SE_CONFIG, "config: t.conf:1: key 'workers' outside a [section]"},
	    {"[http]\nworkers 4\n", 0, SE_CONFIG,
	     "config: t.conf:2: expected '[section]' or 'key = value'"},
	    {"[http\nworkers = 1\n", 0, SE_CONFIG,
	     "config: t.conf:1: expected '[section]' or 'key = value'"},
	    {"[http]\nnot a key line\nworkers = x\n", 0, SE_CONFIG,
	     "config: t.conf:2: expected '[section]' or 'key = value'"},
	    {"[http]\nworkers = 1\n\nworkers = 2\n", 0, SE_CONFIG,
	     "config: t.conf:4: key 'http.workers' already set on line 2"},
	    {"[http]\nworkers = 1\n[ws]\n[http]\nworkers = 1\n", 0, SE_CONFIG,
	     "config: t.conf:5: key 'http.workers' already set on line 2"},
	    {"[api]\ninvite_only = maybe\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'api.invite_only': expected true/false, yes/no, on/off or "
	     "1/0, got 'maybe'"},
	    {"[log]\nlevel = loud\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'log.level': expected debug, info, warn or error, got 'loud'"},
	    {"[listen]\nhttp = nope\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.http': expected ADDR:PORT with an IPv4 address, "
	     "[IPv6] or localhost, got 'nope'"},
	    {"[listen]\nhttp = example.org:80\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.http': expected ADDR:PORT with an IPv4 address, "
	     "[IPv6] or localhost, got 'example.org:80'"},
	    {"[listen]\nws = 1.2.3.4:70000\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.ws': expected a port 0..65535 after ':', got "
	     "'1.2.3.4:70000'"},
	    {"[listen]\nws = 1.2.3.4:\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.ws': expected a port 0..65535 after ':', got "
	     "'1.2.3.4:'"},
	    {"[listen]\nws = ::1:80\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.ws': an IPv6 address needs brackets: [ADDR]:PORT, "
	     "got '::1:80'"},
	    {"[listen]\nws = [1.2.3.4]:80\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'listen.ws': expected ADDR:PORT with an IPv4 address, "
	     "[IPv6] or localhost, got '[1.2.3.4]:80'"},
	    {"[hosts]\npublic_url = ftp://x\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_url': expected an http:// or https:// URL, "
	     "got 'ftp://x'"},
	    {"[hosts]\npublic_ws_url = http://x\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_ws_url': expected a ws:// or wss:// URL, got "
	     "'http://x'"},
	    {"[hosts]\npublic_url = https://\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_url': URL has no host, got 'https://'"},
	    {"[hosts]\npublic_url = https://x/?a=1\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_url': URL has a space, non-ASCII byte, query "
	     "or fragment, got 'https://x/?a=1'"},
	    {"[hosts]\npublic_url = https://u@x\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_url': URL host has a character other than "
	     "letters, digits, '-.:[]', got 'https://u@x'"},
	    {"[hosts]\npublic_url = \"http://x\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'hosts.public_url': unterminated quote"},
	    {"[storage]\ndata =\n", 0, SE_CONFIG,
	     "config: t.conf:2: key 'storage.data': must not be empty"},
	    {"[http]\nwor\0kers = 1\n", 18, SE_CONFIG, "config: t.conf:2: NUL byte"},
	    {"[http]\nworkers = 1\x01\n", 0, SE_CONFIG, "config: t.conf:2: control character 0x01"},
	    {"[http]\nworkers = 1\rworkers = 2\n", 0, SE_CONFIG,
	     "config: t.conf:2: control character 0x0d"},
	    {"[http]\n# caf\xc3\n", 0, SE_CONFIG, "config: t.conf:2: invalid UTF-8"},
	    {"[http]\n# \xed\xa0\x80 surrogate\n", 0, SE_CONFIG, "config: t.conf:2: invalid UTF-8"},
	    {"[http]\n# \xc0\xaf overlong\n", 0, SE_CONFIG, "config: t.conf:2: invalid UTF-8"},
	};
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg c = CFG_INIT;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].doc);

		memset(&ei, 0, sizeof(ei));
		cfg_init(&c);
		if (cfg_parse_buffer(&c, "t.conf", cases[i].doc, len, &ei) != cases[i].rc)
			fail_msg("case %zu: expected an error, got '%s'", i, ei.detail);
		assert_string_equal(ei.detail, cases[i].detail);
		cfg_release(&c);
	}
}

static void test_file_limits(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c = CFG_INIT;
	size_t big = LIM_CONFIG_FILE_MAX + 1;
	char *doc = mem_try_alloc(big);
	char line[400];

	(void)state;
	assert_non_null(doc);
	cfg_init(&c);
	/* a key line inih could not hold */
	memset(line, 'x', sizeof(line));
	memcpy(line, "[hosts]\npublic_url = http://", 28);
	assert_int_equal(cfg_parse_buffer(&c, "t.conf", line, sizeof(line), &ei), SE_CONFIG);
	assert_string_equal(ei.detail, "config: t.conf:2: line longer than 197 bytes");
	/* the longest line that fits */
	assert_int_equal(cfg_parse_buffer(&c, "t.conf", line, 8 + 197, &ei), SE_OK);
	assert_int_equal(strlen(c.hosts.public_url), 197 - 13);

	memset(doc, '#', big);
	assert_int_equal(cfg_parse_buffer(&c, "t.conf", doc, big, &ei), SE_TOO_LARGE);
	assert_string_equal(ei.detail, "config: t.conf: file larger than 1048576 bytes");
	assert_int_equal(cfg_parse_file(&c, write_conf(doc, big), &ei), SE_TOO_LARGE);
	assert_non_null(strstr(ei.detail, "t.conf: file larger than 1048576 bytes"));
	assert_int_equal(cfg_parse_file(&c, write_conf(doc, big - 1), &ei), SE_OK);

	assert_int_equal(cfg_parse_file(&c, "/nonexistent/x.conf", &ei), SE_IO);
	assert_string_equal(ei.detail,
	                    "config: /nonexistent/x.conf: cannot open: No such file or directory");
	assert_int_equal(cfg_parse_file(&c, tmpdir, &ei), SE_IO);
	assert_non_null(strstr(ei.detail, ": not a regular file"));
	mem_free(doc);
	cfg_release(&c);
}

struct env_case {
	const char *env[4];
	enum err rc;
	const char *detail; /* or the expected http.workers as text */
	unsigned workers;
};

static void test_env(void **state)
{
	static const struct env_case cases[] = {
	    {{"SOLSTICE_HTTP_WORKERS=8", NULL}, SE_OK, NULL, 8},
	    {{"PATH=/bin", "SOLSTICE_BIN=/x", "SOLSTICE_HTTP_WORKRS=3", NULL}, SE_OK, NULL, 0},
	    {{"SOLSTICE_HTTP_WORKERS=4", "SOLSTICE_HTTP_WORKERS=5", NULL}, SE_OK, NULL, 4},
	    {{"solstice_http_workers=4", "SOLSTICE_HTTP_WORKERS", NULL}, SE_OK, NULL, 0},
	    {{"SOLSTICE_HTTP_WORKERS=abc", NULL},
	     SE_CONFIG,
	     "config: SOLSTICE_HTTP_WORKERS: key 'http.workers': expected an integer, got 'abc'",
	     0},
	    {{"SOLSTICE_HTTP_WORKERS=", NULL},
	     SE_CONFIG,
	     "config: SOLSTICE_HTTP_WORKERS: key 'http.workers': expected an integer, got ''",
	     0},
	    {{"SOLSTICE_LISTEN_WS=localhost", NULL},
	     SE_CONFIG,
	     "config: SOLSTICE_LISTEN_WS: key 'listen.ws': expected ADDR:PORT with an IPv4 "
	     "address, [IPv6] or localhost, got 'localhost'",
	     0},
	    {{"SOLSTICE_SMTP_PASSWORD=a\nb", NULL},
	     SE_CONFIG,
	     "config: SOLSTICE_SMTP_PASSWORD: key 'smtp.password': control character 0x0a in "
	     "value",
	     0},
	};
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg c = CFG_INIT;
		enum err rc;

		memset(&ei, 0, sizeof(ei));
		cfg_init(&c);
		rc = cfg_apply_env(&c, (char *const *)cases[i].env, &ei);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d: %s", i, rc, ei.detail);
		if (rc)
			assert_string_equal(ei.detail, cases[i].detail);
		else
			assert_int_equal(c.http.workers, cases[i].workers);
		cfg_release(&c);
	}
}

static void test_env_every_key(void **state)
{
	static const char *const env[] = {
	    "SOLSTICE_HOSTS_PUBLIC_URL=https://chat.example.org/",
	    "SOLSTICE_HOSTS_PUBLIC_WS_URL=wss://chat.example.org/ws",
	    "SOLSTICE_HOSTS_APP=https://app.example.org",
	    "SOLSTICE_HOSTS_VOSO_LEGACY_WS=wss://voice.example.org",
	    "SOLSTICE_LISTEN_HTTP=[::1]:8080",
	    "SOLSTICE_LISTEN_WS=localhost:0",
	    "SOLSTICE_STORAGE_DATA=/var/lib/solstice",
	    "SOLSTICE_STORAGE_MAP_SIZE_MB=2048",
	    "SOLSTICE_STORAGE_SYNC=off",
	    "SOLSTICE_HTTP_WORKERS=8",
	    "SOLSTICE_HTTP_KEEPALIVE_TIMEOUT=0",
	    "SOLSTICE_HTTP_HEADER_TIMEOUT=30",
	    "SOLSTICE_HTTP_MAX_CONNECTIONS=100",
	    "SOLSTICE_HTTP_JSON_BODY_MAX=2048",
	    "SOLSTICE_HTTP_BODY_MAX=4096",
	    "SOLSTICE_WS_SENDQ_MAX=8192",
	    "SOLSTICE_WS_MAX_MESSAGE=1024",
	    "SOLSTICE_API_INVITE_ONLY=true",
	    "SOLSTICE_API_WEBHOOKS_ENABLED=yes",
	    "SOLSTICE_SMTP_HOST=smtp.example.org",
	    "SOLSTICE_SMTP_PORT=465",
	    "SOLSTICE_SMTP_FROM_ADDRESS=Solstice <noreply@example.org>",
	    "SOLSTICE_SMTP_USE_TLS=0",
	    "SOLSTICE_LOG_LEVEL=debug",
	    "SOLSTICE_DEV_ENABLED=1",
	    NULL,
	};
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c = CFG_INIT;

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_apply_env(&c, (char *const *)env, &ei), SE_OK);
	check_full(&c);
	assert_int_equal(cfg_apply_env(&c, NULL, &ei), SE_OK);
	cfg_release(&c);
}

struct load_case {
	const char *argv[6];
	const char *file; /* contents of tmpdir/t.conf, passed with --config */
	const char *env[3];
	enum err rc;
	enum cfg_action act;
	const char *detail; /* on error */
	const char *http;   /* listen.http host on success */
	unsigned port;      /* listen.http port on success */
};

static void test_load(void **state)
{
	static const struct load_case cases[] = {
	    {{"solstice", NULL}, NULL, {NULL}, SE_OK, CFG_ACT_RUN, NULL, "127.0.0.1", 14702},
	    {{"solstice", "--http", "0.0.0.0:1", NULL},
	     NULL,
	     {NULL},
	     SE_OK,
	     CFG_ACT_RUN,
	     NULL,
	     "0.0.0.0",
	     1},
	    {{"solstice", "--http=[::]:2", NULL}, NULL, {NULL}, SE_OK, CFG_ACT_RUN, NULL, "::", 2},
	    {{"solstice", "--http=0.0.0.0:1", "--http=0.0.0.0:3", NULL},
	     NULL,
	     {NULL},
	     SE_OK,
	     CFG_ACT_RUN,
	     NULL,
	     "0.0.0.0",
	     3},
	    {{"solstice", "--check-config", NULL},
	     NULL,
	     {NULL},
	     SE_OK,
	     CFG_ACT_CHECK,
	     NULL,
	     "127.0.0.1",
	     14702},
	    {{"solstice", "--help", "--bogus", NULL},
	     NULL,
	     {NULL},
	     SE_OK,
	     CFG_ACT_HELP,
	     NULL,
	     NULL,
	     0},
	    {{"solstice", "-h", NULL}, NULL, {NULL}, SE_OK, CFG_ACT_HELP, NULL, NULL, 0},
	    {{"solstice", "--version", NULL},
	     "[bad]\n",
	     {NULL},
	     SE_OK,
	     CFG_ACT_VERSION,
	     NULL,
	     NULL,
	     0},
	    /* precedence: file < environment < flags */
	    {{"solstice", NULL},
	     "[listen]\nhttp = 127.0.0.1:1000\n",
	     {NULL},
	     SE_OK,
	     CFG_ACT_RUN,
	     NULL,
	     "127.0.0.1",
	     1000},
	    {{"solstice", NULL},
	     "[listen]\nhttp = 127.0.0.1:1000\n",
	     {"SOLSTICE_LISTEN_HTTP=127.0.0.1:2000", NULL},
	     SE_OK,
	     CFG_ACT_RUN,
	     NULL,
	     "127.0.0.1",
	     2000},
	    {{"solstice", "--http", "127.0.0.1:3000", NULL},
	     "[listen]\nhttp = 127.0.0.1:1000\n",
	     {"SOLSTICE_LISTEN_HTTP=127.0.0.1:2000", NULL},
	     SE_OK,
	     CFG_ACT_RUN,
	     NULL,
	     "127.0.0.1",
	     3000},
	    /* errors */
	    {{"solstice", "--bogus", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: unknown option '--bogus' (see --help)",
	     NULL,
	     0},
	    {{"solstice", "foo", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: unexpected argument 'foo' (see --help)",
	     NULL,
	     0},
	    {{"solstice", "--", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: unexpected argument '--' (see --help)",
	     NULL,
	     0},
	    {{"solstice", "--http", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: option '--http' needs a value ADDR:PORT",
	     NULL,
	     0},
	    {{"solstice", "--http", "--dev", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: option '--http' needs a value ADDR:PORT",
	     NULL,
	     0},
	    {{"solstice", "--dev=1", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: option '--dev' takes no value",
	     NULL,
	     0},
	    {{"solstice", "--config=", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: option '--config' needs a value FILE",
	     NULL,
	     0},
	    {{"solstice", "--http", "junk", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: --http: key 'listen.http': expected ADDR:PORT with an IPv4 address, [IPv6] "
	     "or localhost, got 'junk'",
	     NULL,
	     0},
	    {{"solstice", "--public-url", "gopher://x", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: --public-url: key 'hosts.public_url': expected an http:// or https:// URL, "
	     "got 'gopher://x'",
	     NULL,
	     0},
	    {{"solstice", "--config", "/nonexistent/x.conf", NULL},
	     NULL,
	     {NULL},
	     SE_IO,
	     0,
	     "config: /nonexistent/x.conf: cannot open: No such file or directory",
	     NULL,
	     0},
	    {{"solstice", "--http", "127.0.0.1:5", "--ws=127.0.0.1:5", NULL},
	     NULL,
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: 'listen.http' and 'listen.ws' are both '127.0.0.1:5'",
	     NULL,
	     0},
	    {{"solstice", NULL},
	     "[smtp]\nhost = mail\n",
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: 'smtp.from_address' is required when 'smtp.host' is set",
	     NULL,
	     0},
	    {{"solstice", NULL},
	     NULL,
	     {"SOLSTICE_CAPTCHA_HCAPTCHA_KEY=k", NULL},
	     SE_CONFIG,
	     0,
	     "config: 'captcha.hcaptcha_key' and 'captcha.hcaptcha_sitekey' must be set together",
	     NULL,
	     0},
	    {{"solstice", NULL},
	     "[http]\njson_body_max = 100\nbody_max = 10\n",
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: 'http.json_body_max' (100) exceeds 'http.body_max' (10)",
	     NULL,
	     0},
	    {{"solstice", NULL},
	     "[ws]\nsendq_max = 5000\nmax_message = 6000\n",
	     {NULL},
	     SE_CONFIG,
	     0,
	     "config: 'ws.max_message' (6000) exceeds 'ws.sendq_max' (5000)",
	     NULL,
	     0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct load_case *t = &cases[i];
		char *argv[8] = {NULL};
		char cfgarg[160];
		struct err_info ei = ERR_INFO_INIT;
		enum cfg_action act = (enum cfg_action)99;
		struct cfg c = CFG_INIT;
		int argc = 0;
		enum err rc;

		for (; t->argv[argc]; argc++)
			argv[argc] = (char *)t->argv[argc];
		if (t->file) {
			snprintf(cfgarg, sizeof(cfgarg), "--config=%s",
			         write_conf(t->file, strlen(t->file)));
			argv[argc++] = cfgarg;
		}
		rc = cfg_load(&c, argc, argv, (char *const *)t->env, &act, &ei);
		if (rc != t->rc)
			fail_msg("case %zu: rc %d: %s", i, rc, ei.detail);
		if (rc) {
			assert_string_equal(ei.detail, t->detail);
			assert_int_equal(act, 99);
			assert_null(c.storage.data);
			continue;
		}
		assert_int_equal(act, t->act);
		if (!t->http) {
			assert_null(c.storage.data);
			continue;
		}
		assert_string_equal(c.listen.http.host, t->http);
		assert_int_equal(c.listen.http.port, t->port);
		if (t->file)
			assert_string_equal(c.config_file, cfgarg + 9);
		cfg_release(&c);
	}
}

static void test_load_flags(void **state)
{
	static const char *const argv0[] = {"solstice",
	                                    "--data",
	                                    "/srv/d",
	                                    "--ws",
	                                    "[::1]:9",
	                                    "--dev",
	                                    "--public-url",
	                                    "https://x.org/a/",
	                                    "--public-ws-url=wss://x.org/ws",
	                                    "--check-config",
	                                    NULL};
	char *argv[16];
	int argc = 0;
	struct err_info ei = ERR_INFO_INIT;
	enum cfg_action act;
	struct cfg c = CFG_INIT;

	(void)state;
	for (; argv0[argc]; argc++)
		argv[argc] = (char *)argv0[argc];
	argv[argc] = NULL;
	assert_int_equal(cfg_load(&c, argc, argv, NULL, &act, &ei), SE_OK);
	assert_int_equal(act, CFG_ACT_CHECK);
	assert_string_equal(c.storage.data, "/srv/d");
	assert_string_equal(c.listen.ws.host, "::1");
	assert_int_equal(c.listen.ws.port, 9);
	assert_true(c.dev.enabled);
	assert_string_equal(c.hosts.public_url, "https://x.org/a");
	assert_string_equal(c.hosts.public_ws_url, "wss://x.org/ws");
	assert_int_equal(cfg_finalize_urls(&c, NULL, NULL, &ei), SE_OK);
	assert_string_equal(c.hosts.app, "https://x.org/a");
	assert_string_equal(c.hosts.autumn, "https://x.org/a/autumn");
	assert_string_equal(c.hosts.january, "https://x.org/a/january");
	cfg_release(&c);
}

static void test_finalize(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c = CFG_INIT;
	struct buf b = BUF_INIT(256);

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_finalize_urls(&c, NULL, "127.0.0.1:2", &ei), SE_CONFIG);
	assert_string_equal(ei.detail,
	                    "config: 'hosts.public_url' is empty and no listener was given");
	assert_int_equal(cfg_finalize_urls(&c, "bad host:1", "127.0.0.1:2", &ei), SE_CONFIG);
	assert_string_equal(ei.detail,
	                    "config: derived: key 'hosts.public_url': URL has a space, "
	                    "non-ASCII byte, query or fragment, got 'http://bad host:1'");
	assert_int_equal(cfg_finalize_urls(&c, "[::1]:1", "127.0.0.1:2", &ei), SE_OK);
	assert_string_equal(c.hosts.public_url, "http://[::1]:1");
	assert_string_equal(c.hosts.public_ws_url, "ws://127.0.0.1:2");
	assert_string_equal(c.hosts.app, "http://[::1]:1");
	assert_string_equal(c.hosts.autumn, "http://[::1]:1/autumn");
	assert_string_equal(c.hosts.january, "http://[::1]:1/january");
	assert_string_equal(c.hosts.voso_legacy, "");

	cfg_addr_format(&c.listen.http, &b);
	buf_putc(&b, ' ');
	assert_int_equal(cfg_set(&c, "listen.ws", "[::1]:0", "test", &ei), SE_OK);
	cfg_addr_format(&c.listen.ws, &b);
	assert_string_equal(buf_cstr(&b), "127.0.0.1:14702 [::1]:0");
	assert_int_equal(cfg_set(&c, "listen.wss", "x", "test", &ei), SE_CONFIG);
	assert_string_equal(ei.detail, "config: test: unknown key 'listen.wss'");
	buf_release(&b);
	cfg_release(&c);
}

static void test_dump_roundtrip(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct cfg a = CFG_INIT, b = CFG_INIT;
	struct buf d1 = BUF_INIT(1 << 16), d2 = BUF_INIT(1 << 16);

	(void)state;
	cfg_init(&a);
	assert_int_equal(cfg_parse_buffer(&a, "t.conf", full_file, sizeof(full_file) - 1, &ei),
	                 SE_OK);
	cfg_dump(&a, &d1);
	assert_int_equal(buf_err(&d1), SE_OK);
	assert_null(strstr(buf_cstr(&d1), "p4ss"));
	assert_null(strstr(buf_cstr(&d1), "0xsecret"));
	assert_non_null(strstr(buf_cstr(&d1), "password = \"********\"\n"));
	assert_non_null(strstr(buf_cstr(&d1), "[listen]\nhttp = \"[::1]:8080\"\n"));
	assert_non_null(strstr(buf_cstr(&d1), "level = \"debug\"\n"));
	cfg_init(&b);
	if (cfg_parse_buffer(&b, "dump", d1.ptr, d1.len, &ei))
		fail_msg("%s", ei.detail);
	check_full(&b);
	cfg_dump(&b, &d2);
	assert_string_equal(buf_cstr(&d1), buf_cstr(&d2));

	buf_reset(&d1);
	cfg_usage(&d1, "solstice");
	assert_non_null(strstr(buf_cstr(&d1), "--public-ws-url URL"));
	assert_non_null(strstr(buf_cstr(&d1), "--check-config"));
	buf_release(&d1);
	buf_release(&d2);
	cfg_release(&a);
	cfg_release(&b);
}

/*
 * Secrets are wiped before they are freed (cfg_release, or a later value
 * replacing them). Freed bytes cannot be read back, so this checks what can
 * be seen: a failed replacement leaves the old secret whole, every path is
 * ASan-clean, and release leaves CFG_INIT.
 */
static void test_secrets(void **state)
{
	static const char file[] = "[captcha]\nhcaptcha_key = k1\nhcaptcha_sitekey = s\n"
	                           "[smtp]\npassword = p1\n";
	static const char *const env[] = {"SOLSTICE_SMTP_PASSWORD=p2", NULL};
	struct err_info ei = ERR_INFO_INIT;
	struct cfg c = CFG_INIT;

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_parse_buffer(&c, "t.conf", file, sizeof(file) - 1, &ei), SE_OK);
	assert_int_equal(cfg_apply_env(&c, (char *const *)env, &ei), SE_OK);
	assert_string_equal(c.smtp.password, "p2");
	mem_fail_at(1, 0);
	assert_int_equal(cfg_set(&c, "captcha.hcaptcha_key", "k2", "test", &ei), SE_NOMEM);
	mem_fail_at(0, 0);
	assert_string_equal(c.captcha.hcaptcha_key, "k1");
	assert_int_equal(cfg_set(&c, "captcha.hcaptcha_key", "", "test", &ei), SE_OK);
	assert_string_equal(c.captcha.hcaptcha_key, "");
	assert_int_equal(cfg_set(&c, "smtp.password", "p3", "test", &ei), SE_OK);
	cfg_release(&c);
	assert_null(c.smtp.password);
	assert_null(c.captcha.hcaptcha_key);
	cfg_release(&c);
}

/* Every mem_try_* failure along the way gives SE_NOMEM and leaks nothing. */
static void test_oom(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	unsigned long n;
	enum err rc = SE_NOMEM;

	(void)state;
	for (n = 1; n < 1000 && rc == SE_NOMEM; n++) {
		struct cfg c = CFG_INIT;

		cfg_init(&c);
		mem_fail_at(n, 0);
		rc = cfg_parse_buffer(&c, "t.conf", full_file, sizeof(full_file) - 1, &ei);
		mem_fail_at(0, 0);
		assert_true(rc == SE_OK || rc == SE_NOMEM);
		if (rc == SE_NOMEM)
			assert_string_equal(ei.detail, "config: out of memory");
		else
			check_full(&c);
		cfg_release(&c);
	}
	assert_int_equal(rc, SE_OK);
	assert_true(n > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_file_values),
	    cmocka_unit_test(test_file_hostile_ok),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_file_limits),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_env_every_key),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_flags),
	    cmocka_unit_test(test_finalize),
	    cmocka_unit_test(test_dump_roundtrip),
	    cmocka_unit_test(test_secrets),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
