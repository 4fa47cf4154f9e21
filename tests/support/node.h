/*
 * tests/support/node.h: run a revolt.js script (tests/js/<name>.mjs) under
 * node against a fresh daemon, bounded in time.
 *
 * Needs node >= 18 on PATH (or $SOLSTICE_NODE) and tests/js/node_modules
 * (`npm ci --prefix tests/js`); their absence is a failure, never a skip.
 * Run from the repository root (make test does).
 * Threads: the test thread only.
 */
#ifndef SOL_TESTS_SUPPORT_NODE_H
#define SOL_TESTS_SUPPORT_NODE_H

#include <stdbool.h>
#include <stddef.h>

#define TN_JS_DIR "tests/js"

/* $SOLSTICE_NODE, else the first executable `node` on $PATH, into out[n]. */
bool tn_node_find(char *out, size_t n);

/*
 * Run argv (argv[0] a path) in its own process group with stdout+stderr
 * captured into *output (owned, mem_free). Returns the exit status,
 * 128+signal, -1 if it could not be started; *timed_out tells whether the
 * group had to be killed at the deadline.
 */
int tn_run_bounded(const char *const *argv, char **output, int timeout_ms, bool *timed_out);

/*
 * The whole revolt.js test: check node, `script` and revolt.js are present,
 * start the daemon (rate limits off when no_ratelimit), run
 * `node <script> http://127.0.0.1:PORT/api` for at most $SOLSTICE_JS_TIMEOUT_MS
 * (default 180 s), stop the daemon. Fails the running cmocka test, naming
 * `what` and printing the script's output, unless it exits 0; a passing
 * run's output goes to stderr too.
 */
void tn_revoltjs_run(const char *script, const char *what, bool no_ratelimit);

#endif /* SOL_TESTS_SUPPORT_NODE_H */
