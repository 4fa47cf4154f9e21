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
 * td_start(extra, NULL, timeout_ms) with SOLSTICE_RATELIMIT_ENABLED=false in
 * its environment (tests that make many requests). NULL if it did not start.
 */
struct td *tc_start(const char *const *extra, int timeout_ms);

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
/* tc_sval that fails the test when the member is missing or not a string. */
const char *tc_sget(const json_t *v, const char *key);

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
/* A server named `name` owned by `u`: its id, and its first channel's id unless cid is NULL. */
void tc_server_create(struct td *d, const struct tc_user *u, const char *name, char sid[32],
                      char cid[32]);
/* tc_server_create named "Test". */
void tc_server_make(struct td *d, const struct tc_user *u, char sid[32], char cid[32]);
/* An invite to channel `cid` created by `u`: its 8-character code. */
void tc_invite_make(struct td *d, const struct tc_user *u, const char *cid, char code[16]);

/* `owner` invites to channel `cid` and `u` joins through that invite. */
void tc_join(struct td *d, const struct tc_user *owner, const struct tc_user *u, const char *cid);
/*
 * A bot of `owner` named `name`: its id and token; checks the create
 * response (owner, public false, the bot user with its discriminator).
 */
void tc_bot_make(struct td *d, const struct tc_user *owner, const char *name, char id[32],
                 char token[80]);

/* Wall clock in milliseconds. */
int64_t tc_now_ms(void);
/*
 * Read gateway messages until one of `type` arrives (at most `ms`). Returns
 * it (owned, new reference) or NULL on timeout; other messages are dropped.
 */
json_t *tc_ws_wait(struct wsc *c, const char *type, int ms);

#endif /* SOL_TESTS_SUPPORT_API_CLIENT_H */
