/*
 * federation/software.h: which software a remote host runs (NodeInfo
 * software.name), and what that means for the activities we send it.
 *
 * Owns: the NodeInfo client (GET /.well-known/nodeinfo -> the 2.1 or 2.0
 * document -> software.name, through the fetcher and the domain policy),
 * the in-memory cache of host -> software (FSOFT_HOSTS_MAX hosts, refreshed
 * after FSOFT_TTL_MS, failures remembered FSOFT_FAIL_TTL_MS), its lookup
 * thread, and the table that picks how a reaction goes out (Like,
 * Misskey-style Like, EmojiReact) per software family.
 * Does not own: our own NodeInfo documents (federation/nodeinfo.h), the
 * activities themselves (federation/outbox.h).
 * Threads: fsoft_get / fsoft_want are for any thread and never block on the
 * network (a missing or stale host is queued for the lookup thread); the
 * pure functions are reentrant; fsoft_lookup blocks (the thread, tests).
 */
#ifndef SOL_FEDERATION_SOFTWARE_H
#define SOL_FEDERATION_SOFTWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct fed;
struct fsoft;

/* hosts remembered (the least recently looked-up one is replaced beyond) */
#define FSOFT_HOSTS_MAX 4096
/* hosts waiting for a lookup (more are dropped until the queue drains) */
#define FSOFT_PENDING_MAX 64
/* a known software is looked up again after a day */
#define FSOFT_TTL_MS (24LL * 3600 * 1000)
/* a failed lookup (no NodeInfo, timeout, junk) is retried after an hour */
#define FSOFT_FAIL_TTL_MS (3600LL * 1000)
/* bytes of a software name, NUL included */
#define FSOFT_NAME_MAX 64
/* NodeInfo documents are small: larger answers are refused */
#define FSOFT_DOC_MAX (64u << 10)
/* per request */
#define FSOFT_TIMEOUT_S 5

/* Software families that differ in what they accept. */
enum fsoft_family {
	FSOFT_UNKNOWN = 0, /* not looked up yet, or no NodeInfo */
	FSOFT_MASTODON,    /* Mastodon, Hometown, GoToSocial, Pixelfed...: drop EmojiReact */
	FSOFT_MISSKEY,     /* Misskey and forks: Like{content, _misskey_reaction} */
	FSOFT_PLEROMA,     /* Pleroma, Akkoma: EmojiReact (FEP-c0e0) */
	FSOFT_OTHER,       /* anything else that answered NodeInfo */
	FSOFT__COUNT
};

/* How a reaction goes out. */
enum fsoft_react {
	FSOFT_REACT_LIKE,        /* Like (a favourite; the emoji is not carried) */
	FSOFT_REACT_LIKE_EMOJI,  /* Like{content, _misskey_reaction} */
	FSOFT_REACT_EMOJI_REACT, /* EmojiReact{content, _misskey_reaction} */
};

/* The family of NodeInfo software.name `name` (case-insensitive); NULL: UNKNOWN. Pure. */
enum fsoft_family fsoft_family_of(const char *name);
/* "mastodon", "misskey", "pleroma", "other", "unknown". */
const char *fsoft_family_name(enum fsoft_family fam);

/*
 * How a reaction with `emoji` goes out to a host of family `fam`;
 * `is_default` says the emoji is our favourite (the thumbs-up). Pure:
 * MASTODON -> LIKE for every emoji; MISSKEY -> LIKE_EMOJI; PLEROMA,
 * OTHER and UNKNOWN -> LIKE_EMOJI for the default, EMOJI_REACT otherwise.
 */
enum fsoft_react fsoft_react_style(enum fsoft_family fam, bool is_default);

/*
 * The NodeInfo document URL in a /.well-known/nodeinfo answer: the link
 * whose rel is the 2.1 schema, else 2.0, whose href is an http(s) URL
 * (http only with allow_http). Copied into href. Pure; fuzzed.
 * SE_PARSE (not JSON / no links array), SE_NOT_FOUND (no usable link).
 */
enum err fsoft_parse_links(struct str json, bool allow_http, char href[2048], struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * software.name of a NodeInfo 2.x document, lower-cased, checked against
 * [a-z0-9._-]{1,63}. Pure; fuzzed. SE_PARSE, SE_NOT_FOUND (no name).
 */
enum err fsoft_parse_nodeinfo(struct str json, char name[FSOFT_NAME_MAX], struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Blocking lookup of the software of the host of `url` (any URL on it; its
 * scheme is used): policy check, both GETs (timeout FSOFT_TIMEOUT_S,
 * FSOFT_DOC_MAX bytes, the NodeInfo document must be on the same host).
 * SE_OK, SE_MissingPermission (blocked), SE_INVAL, SE_NOT_FOUND, SE_PARSE,
 * fetch errors.
 */
enum err fsoft_lookup(struct fed *f, const char *url, char name[FSOFT_NAME_MAX],
                      struct err_info *ei) __attribute__((warn_unused_result));

/* Starts the cache and its lookup thread as f->soft. SE_NOMEM, SE_IO. */
enum err fsoft_start(struct fed *f, struct err_info *ei) __attribute__((warn_unused_result));
/* Stops the thread (waits for a lookup in flight) and frees f->soft. Accepts NULL. */
void fsoft_stop(struct fed *f);

/*
 * The cached family of the host of `url`. A host not cached, or whose
 * entry is stale, is queued for the lookup thread (the answer is then
 * UNKNOWN or the stale value). Never blocks; UNKNOWN when f->soft is NULL.
 */
enum fsoft_family fsoft_get(struct fed *f, const char *url);
/* Queue a lookup for the host of `url` if needed (warming the cache). */
void fsoft_want(struct fed *f, const char *url);

/*
 * Waits until the host of `url` has a fresh entry (or `timeout_ms` ends);
 * true if it has. For tests and tools; queues the lookup itself.
 */
bool fsoft_wait(struct fed *f, const char *url, int timeout_ms);

#endif /* SOL_FEDERATION_SOFTWARE_H */
