/*
 * federation/webfinger.h: WebFinger (RFC 7033) and host-meta (RFC 6415)
 * for our users and the instance actor.
 *
 * Owns: GET /.well-known/webfinger, /.well-known/host-meta and
 * /.well-known/host-meta.json; the strict parser of the `resource`
 * parameter (outside input: unit tests and tests/fuzz/fuzz_webfinger.c).
 * Threads: pure parser; handlers on HTTP worker threads.
 */
#ifndef SOL_FEDERATION_WEBFINGER_H
#define SOL_FEDERATION_WEBFINGER_H

#include "core/err.h"
#include "core/str.h"
#include "http/router.h"

/* bytes of a resource we look at */
#define WF_RESOURCE_MAX 512
/* bytes of a username (Revolt: 2..32 characters, UTF-8) */
#define WF_USERNAME_MAX 128

enum wf_kind {
	WF_HANDLE,   /* acct:<name>_<discriminator>@host or B/@<name>_<discriminator> */
	WF_USER_ID,  /* B/users/<ULID> */
	WF_INSTANCE, /* acct:<host>@<host>, B/actor */
	WF_FOREIGN,  /* well formed, but names another host or a URL that is not ours */
};

struct wf_target {
	enum wf_kind kind;
	struct str name;    /* WF_HANDLE: username (slice of the input) */
	struct str discrim; /* WF_HANDLE: 4 digits */
	struct str id;      /* WF_USER_ID: the ULID */
};

/*
 * "<name>_<dddd>" -> name and discriminator (slices of `handle`). False
 * unless the name is 1..WF_USERNAME_MAX bytes without '@', '/', ':', '?',
 * '#', '%', spaces or control bytes and the discriminator is 4 ASCII digits.
 */
bool wf_parse_handle(struct str handle, struct str *name, struct str *discrim);

/*
 * Parse a WebFinger resource for our instance at `base` (public URL, no
 * trailing slash) whose host is `host` (host[:port], lower case). Schemes
 * and hosts compare case-insensitively. Returns SE_OK (out filled; kind
 * WF_FOREIGN for a well-formed name of another host) or SE_PARSE for an
 * empty, over-long, garbled or unsupported resource (ei->detail says why).
 */
enum err wf_parse_resource(struct str resource, struct str base, struct str host,
                           struct wf_target *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/* Route handlers (federation/fed.c lists them). */
enum err wf_get(struct req_ctx *ctx);            /* GET /.well-known/webfinger */
enum err wf_host_meta(struct req_ctx *ctx);      /* GET /.well-known/host-meta */
enum err wf_host_meta_json(struct req_ctx *ctx); /* GET /.well-known/host-meta.json */

#endif /* SOL_FEDERATION_WEBFINGER_H */
