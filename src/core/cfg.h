/*
 * core/cfg.h: the daemon's configuration (docs/configuration.md).
 *
 * Owns: the list of keys and their defaults; parsing the INI file (inih),
 * SOLSTICE_<SECTION>_<KEY> environment variables and command-line flags; the
 * precedence defaults < file < environment < flags; the error messages.
 * Does not own: binding listeners, creating the data directory, applying the
 * log level, printing (main does all of that).
 * Threads: load once in main before any thread starts; afterwards a
 * `const struct cfg *` is read-only and may be shared by every thread.
 * Memory: struct cfg owns all its strings (never NULL once initialised);
 * cfg_release frees them.
 */
#ifndef SOL_CORE_CFG_H
#define SOL_CORE_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h" /* enum err, struct err_info */
#include "core/log.h" /* enum log_level */

struct buf;

/* bytes of a listener host: IPv4 or IPv6 literal (no brackets), "localhost" */
#define CFG_HOST_MAX 64
/* bytes of one value taken from the environment or a flag */
#define CFG_VALUE_MAX 2048

/* A listener address; `host` is never empty. */
struct cfg_addr {
	char host[CFG_HOST_MAX];
	unsigned port; /* 0..65535; 0 lets the kernel pick a free port */
};

/* Public URLs: http(s) or ws(s), no trailing slash, "" when unset. */
struct cfg_hosts {
	char *public_url;     /* "" until cfg_finalize_urls: http:// + listener */
	char *public_ws_url;  /* "" until cfg_finalize_urls: ws:// + listener */
	char *app;            /* "" until cfg_finalize_urls: public_url */
	char *autumn;         /* "" until cfg_finalize_urls: public_url/autumn */
	char *january;        /* "" until cfg_finalize_urls: public_url/january */
	char *voso_legacy;    /* "" = voice disabled */
	char *voso_legacy_ws; /* "" = voice disabled */
};

struct cfg_listen {
	struct cfg_addr http;
	struct cfg_addr ws;
};

struct cfg_storage {
	char *data; /* directory; never empty */
	size_t map_size_mb;
	bool sync;
};

struct cfg_http {
	unsigned workers;           /* 0 = pick from the CPU count */
	unsigned keepalive_timeout; /* seconds, 0 = no keep-alive */
	unsigned header_timeout;    /* seconds */
	unsigned max_connections;
	size_t json_body_max; /* bytes */
	size_t body_max;      /* bytes */
};

struct cfg_ws {
	size_t sendq_max;      /* bytes */
	size_t max_message;    /* bytes */
	unsigned auth_timeout; /* seconds a socket may stay unauthenticated; 0 = forever */
};

struct cfg_api {
	bool invite_only;
	bool webhooks_enabled;
	bool trust_cloudflare; /* take the client IP from CF-Connecting-IP */
};

struct cfg_captcha {
	char *hcaptcha_key; /* secret; "" = no captcha */
	char *hcaptcha_sitekey;
	char *hcaptcha_verify_url; /* siteverify endpoint (tests point it at loopback) */
};

struct cfg_smtp {
	char *host; /* "" = no e-mail */
	unsigned port;
	char *username;
	char *password; /* secret */
	char *from_address;
	bool use_tls;
};

struct cfg_log {
	enum log_level level;
};

struct cfg_dev {
	bool enabled;
};

/* The event bus across nodes (bus/bus_redis.h). */
struct cfg_bus {
	char *redis_url; /* secret (may hold a password); "" = in-process only */
};

struct cfg_auth {
	unsigned argon2_ops;         /* argon2id passes (opslimit) */
	size_t argon2_mem_kib;       /* argon2id memory in KiB (memlimit / 1024) */
	unsigned password_min;       /* bytes */
	char *compromised_passwords; /* file, one password a line; "" = built-in list */
};

/* Revolt's rate-limit buckets (REVOLT.md section 15): requests per window. */
struct cfg_ratelimit {
	bool enabled;
	unsigned window_ms;
	unsigned user_edit, users, default_avatar, bots, messaging, channels, servers, auth,
	    auth_delete, swagger, safety_report, safety, any, upload;
};

/* The blob store (files/blob.h): at-rest key and backend. */
struct cfg_files {
	char *encryption_key; /* secret; base64 of 32 bytes; "" = <data>/keys/blob.key */
	char *backend;        /* "local" or "s3" (checked when the store opens) */
	char *local_root;     /* "" = <data>/blobs */
	char *s3_endpoint;    /* http(s)://host[:port], "" unless backend = s3 */
	char *s3_region;
	char *s3_bucket;
	char *s3_access_key;
	char *s3_secret_key;       /* secret */
	bool s3_path_style;        /* endpoint/bucket/key, else bucket.host/key */
	unsigned s3_timeout;       /* seconds per request */
	unsigned cleanup_interval; /* seconds between clean-up passes (files/cleanup.h) */
};

/* Federation (federation/): fetches, signatures, inbox, delivery. */
struct cfg_federation {
	bool enabled;             /* false: no AP routes answer, nothing is delivered */
	bool allow_private;       /* loopback/private peers and plain http (tests, --dev) */
	bool authorized_fetch;    /* AS2 GETs must carry a valid signature */
	bool auto_accept_follows; /* remote Follow of a local user: Accept at once */
	char *user_agent;         /* "" = "Solstice/<version> (+<public_url>)" */
	char *key_encryption_key; /* secret; base64 of 32 bytes; "" = <data>/keys/federation.key */
	char *sign_first;         /* "cavage" or "rfc9421": first attempt for unknown hosts */
	unsigned fetch_timeout;   /* seconds per outbound request */
	size_t fetch_max_bytes;   /* response body cap */
	unsigned max_redirects;
	size_t inbox_max;           /* inbound activity body cap (bytes) */
	unsigned clock_skew;        /* seconds a signature's Date/created may be off */
	unsigned delivery_workers;  /* threads draining the delivery queue */
	unsigned delivery_per_host; /* concurrent requests to one host */
	unsigned delivery_inflight; /* concurrent requests in all */
	unsigned unavailable_days;  /* distinct failing days before a host is skipped */
};

/* One member per section of the file, one field per key. */
struct cfg {
	struct cfg_hosts hosts;
	struct cfg_listen listen;
	struct cfg_storage storage;
	struct cfg_http http;
	struct cfg_ws ws;
	struct cfg_api api;
	struct cfg_captcha captcha;
	struct cfg_smtp smtp;
	struct cfg_log log;
	struct cfg_dev dev;
	struct cfg_bus bus;
	struct cfg_auth auth;
	struct cfg_ratelimit ratelimit;
	struct cfg_files files;
	struct cfg_federation federation;
	char *config_file; /* the --config path, "" when none */
};

/* The released state: no strings. Call cfg_init before reading fields. */
#define CFG_INIT                                                                                   \
	{                                                                                          \
		0                                                                                  \
	}

/* What main should do after cfg_load. */
enum cfg_action {
	CFG_ACT_RUN,     /* start the daemon */
	CFG_ACT_CHECK,   /* --check-config: print cfg_dump, exit 0 */
	CFG_ACT_HELP,    /* --help: print cfg_usage, exit 0; `out` untouched */
	CFG_ACT_VERSION, /* --version: print the version, exit 0; `out` untouched */
};

/* Sets every key to its default. Aborts on OOM (small fixed strings). */
void cfg_init(struct cfg *c);
/* Frees the strings and leaves `c` in its CFG_INIT state; accepts CFG_INIT. */
void cfg_release(struct cfg *c);

/*
 * The whole chain: parse `argv`, then defaults < --config file < `envp`
 * (a NULL-terminated "NAME=value" array like environ, may be NULL) < flags,
 * then cfg_check. On success `*act` says what to do and, for RUN and CHECK,
 * `*out` (CFG_INIT or released) holds the configuration, owned by the
 * caller. On failure neither is written and ei->detail is one line starting
 * "config: " that names the file and line, variable or flag, and the key.
 * Returns SE_OK, SE_CONFIG (bad flag or value), SE_IO (unreadable file),
 * SE_TOO_LARGE (file over LIM_CONFIG_FILE_MAX) or SE_NOMEM.
 */
enum err cfg_load(struct cfg *out, int argc, char **argv, char *const *envp, enum cfg_action *act,
                  struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Applies an INI document of `len` bytes (borrowed; NULs allowed and
 * rejected) on top of `c`. `name` is used in messages ("solstice.conf:12").
 * Pure: no I/O. Fuzzed by tests/fuzz/fuzz_cfg.c. On failure `c` may hold
 * some of the document's values; it stays valid for cfg_release.
 * Returns SE_OK, SE_CONFIG, SE_TOO_LARGE or SE_NOMEM.
 */
enum err cfg_parse_buffer(struct cfg *c, const char *name, const char *bytes, size_t len,
                          struct err_info *ei) __attribute__((warn_unused_result));

/* Reads `path` (at most LIM_CONFIG_FILE_MAX bytes) and cfg_parse_buffer()s it. */
enum err cfg_parse_file(struct cfg *c, const char *path, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Applies SOLSTICE_<SECTION>_<KEY> variables from `envp` (may be NULL).
 * Variables that match no key are ignored; a warning is logged for those
 * whose <SECTION> exists. When a name repeats, the first wins (getenv).
 */
enum err cfg_apply_env(struct cfg *c, char *const *envp, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Sets one key ("http.workers") from text; `source` names where the text
 * came from in messages ("--http", "SOLSTICE_HTTP_WORKERS"). SE_CONFIG for
 * an unknown key or a bad value.
 */
enum err cfg_set(struct cfg *c, const char *key, const char *value, const char *source,
                 struct err_info *ei) __attribute__((warn_unused_result));

/* Checks between keys, e.g. smtp.host needs smtp.from_address. SE_CONFIG. */
enum err cfg_check(const struct cfg *c, struct err_info *ei) __attribute__((warn_unused_result));

/*
 * Fills the empty public URLs from the listeners actually bound, given as
 * "host:port" ("[::1]:8080" for IPv6, a reachable address rather than
 * 0.0.0.0): public_url = http://HTTP, public_ws_url = ws://WS, app =
 * public_url, autumn = public_url/autumn, january = public_url/january.
 * `http_hostport`/`ws_hostport` are borrowed and may be NULL when the
 * matching URL is set. Call once in main, before threads start.
 * Returns SE_OK, SE_CONFIG (a result is not a valid URL) or SE_NOMEM.
 */
enum err cfg_finalize_urls(struct cfg *c, const char *http_hostport, const char *ws_hostport,
                           struct err_info *ei) __attribute__((warn_unused_result));

/* Appends "host:port" ("[::1]:14702" for IPv6) to `out`. */
void cfg_addr_format(const struct cfg_addr *a, struct buf *out);

/*
 * Appends the effective configuration as a file cfg_parse_buffer accepts,
 * secrets shown as "********". Errors are sticky in `out`.
 */
void cfg_dump(const struct cfg *c, struct buf *out);

/* Appends the --help text; `prog` is argv[0] (borrowed, may be NULL). */
void cfg_usage(struct buf *out, const char *prog);

#endif /* SOL_CORE_CFG_H */
