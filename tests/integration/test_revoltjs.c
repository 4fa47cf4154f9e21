/*
 * tests/integration/test_revoltjs.c: the real revolt.js 7.2.0 client against
 * the real daemon. Starts build/solstice on free loopback ports and runs
 * `node tests/js/auth_flow.mjs http://127.0.0.1:PORT/api` (account creation,
 * login, onboarding, sessions, logout as in REVOLT.md §5), which must exit 0.
 *
 * Needs node >= 18 on PATH (or $SOLSTICE_NODE) and tests/js/node_modules
 * (`npm ci --prefix tests/js`); tools/install-deps provides both. Their absence
 * is a failure, never a skip. Run from the repository root (make test does).
 * The node run is bounded (NODE_MS, or $SOLSTICE_JS_TIMEOUT_MS; each step
 * inside it by $STEP_TIMEOUT_MS, default 10 s);
 * its output is printed when it fails. TD_ECHO=1 also echoes the daemon log.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/support/node.h"

static void test_auth_flow_with_revoltjs(void **state)
{
	(void)state;
	tn_revoltjs_run(TN_JS_DIR "/auth_flow.mjs", "auth flow", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_flow_with_revoltjs),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
