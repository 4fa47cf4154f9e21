/*
 * tests/support/api_client.h: the Revolt API calls integration tests repeat:
 * one request with a token returning status + JSON, "expect this error",
 * a fresh onboarded user, a server with its first channel, an invite, and
 * waiting for one gateway event.
 *
 * Every function takes the daemon explicitly (no hidden state) and fails
 * the running cmocka test (fail_msg / assert_*) on a transport error or an
 * unexpected status, so callers need no error handling.
 * Threads: the test thread only.
 */
#ifndef SOL_TESTS_SUPPORT_API_CLIENT_H
#define SOL_TESTS_SUPPORT_API_CLIENT_H

#include <jansson.h>
#include <stdint.h>

#include "tests/support/daemon.h"
#include "tests/support/wsclient.h"

/* A registered, logged-in, onboarded account. */
struct tc_user {
	char token[128];
	char id[32];
};

/*
 * One request with header "<hname>: <token>" (no header when token is
 * NULL). Returns the status; *out (when out is non-NULL) gets the JSON body
 * (owned, new reference) or NULL for an empty body; a non-JSON body fails.
 */
long tc_call_h(struct td *d, const char *method, const char *path, const char *hname,
               const char *token, const char *body, json_t **out);
/* tc_call_h with X-Session-Token. */
long tc_call(struct td *d, const char *method, const char *path, const char *token,
             const char *body, json_t **out);
/* tc_call expecting `status`; returns the body (owned, may be NULL). */
json_t *tc_ok(struct td *d, const char *method, const char *path, const char *token,
              const char *body, long status);

/* String member `key` of `v` (borrowed from v), or NULL. */
const char *tc_sval(const json_t *v, const char *key);

/* Fail unless the call answers `status` and (when type is non-NULL) a body of that type. */
void tc_expect_h(struct td *d, const char *method, const char *path, const char *hname,
                 const char *token, const char *body, long status, const char *type);
void tc_expect(struct td *d, const char *method, const char *path, const char *token,
               const char *body, long status, const char *type);
/* Fail unless the call answers 403 MissingPermission{permission}. */
void tc_expect_perm(struct td *d, const char *method, const char *path, const char *token,
                    const char *body, const char *permission);

/* Register <name>@example.org, log in and onboard as `name`; fills *u. */
void tc_user_make(struct td *d, const char *name, struct tc_user *u);
/* A server named "Test" owned by `u`: its id and its first channel's id. */
void tc_server_make(struct td *d, const struct tc_user *u, char sid[32], char cid[32]);
/* An invite to channel `cid` created by `u`: its 8-character code. */
void tc_invite_make(struct td *d, const struct tc_user *u, const char *cid, char code[16]);

/* Wall clock in milliseconds. */
int64_t tc_now_ms(void);
/*
 * Read gateway messages until one of `type` arrives (at most `ms`). Returns
 * it (owned, new reference) or NULL on timeout; other messages are dropped.
 */
json_t *tc_ws_wait(struct wsc *c, const char *type, int ms);

#endif /* SOL_TESTS_SUPPORT_API_CLIENT_H */
