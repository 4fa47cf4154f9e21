/*
 * tests/integration/test_fed_keys.c: key rotation end to end, with two real
 * solstice --dev daemons on loopback. alice (A) and bob (B) become friends
 * and exchange a DM; the admin API refuses strangers and unprivileged
 * sessions; an operator rotates alice's keys: A's actor document serves the
 * new key, the Update{Person} signed with it is accepted by B (B's inbox
 * verifies every POST, so its 2xx means B fetched the new key), and a DM
 * alice sends afterwards reaches bob. The instance actor's keys rotate too.
 * Every wait is a bounded poll.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/api_client.h"
#include "core/err.h"
#include "tests/support/daemon.h"
#include "tests/support/fed_pair.h"

struct fx {
	struct fpair p;
	struct tc_user carol; /* on A */
	char dm_a[32], dm_b[32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	if (fpair_open(&f->p) != 0)
		return -1;
	tc_user_make(f->p.a, "carol", &f->carol);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	/* both daemons shut down cleanly (sanitizer builds exit non-zero on a leak) */
	int rc = fpair_close(&f->p);

	free(f);
	return rc;
}

static void send_dm(struct fx *f, const char *content)
{
	char path[128], body[256];

	snprintf(path, sizeof(path), "/api/channels/%s/messages", f->dm_a);
	snprintf(body, sizeof(body), "{\"content\":\"%s\"}", content);
	json_decref(tc_ok(f->p.a, "POST", path, f->p.alice.token, body, 200));
	if (!f->dm_b[0])
		fpair_find_dm(f->p.b, f->p.bob.token, f->p.alice_on_b, f->dm_b);
	fpair_wait_content(f->p.b, f->p.bob.token, f->dm_b, content);
}

/* publicKey.publicKeyPem of the AS2 document at `path` on `d` (owned). */
static char *served_pem(struct td *d, const char *path)
{
	static const char *const hdrs[] = {"Accept: application/activity+json", NULL};
	struct td_resp r;
	json_t *doc;
	char *pem;

	assert_int_equal(td_http(td_http_port(d), "GET", path, hdrs, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	doc = json_loads(r.body, 0, NULL);
	td_resp_release(&r);
	assert_non_null(doc);
	assert_non_null(tc_sval(json_object_get(doc, "publicKey"), "publicKeyPem"));
	pem = strdup(tc_sval(json_object_get(doc, "publicKey"), "publicKeyPem"));
	json_decref(doc);
	return pem;
}

static void make_admin(struct td *d, const char *uid)
{
	char admin[1024];
	const char *s = getenv("SOLSTICE_BIN");
	const char *slash = s ? strrchr(s, '/') : NULL;
	pid_t pid;
	int st = -1;

	if (slash)
		snprintf(admin, sizeof(admin), "%.*s/solstice-admin", (int)(slash - s), s);
	else
		snprintf(admin, sizeof(admin), "build/release/solstice-admin");
	pid = fork();
	if (pid == 0) {
		execl(admin, admin, "--data", td_data_dir(d), "user", "privileged", uid, "on",
		      (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s user privileged: status %d", admin, st);
}

/*
 * `solstice-admin key rotate OWNER --url A` with $SOLSTICE_TOKEN = token
 * (unset when NULL); its output in out. Returns the exit status.
 */
static int cli_rotate(struct td *d, const char *owner, const char *token, char *out, size_t n)
{
	char admin[1024], url[64];
	const char *s = getenv("SOLSTICE_BIN");
	const char *slash = s ? strrchr(s, '/') : NULL;
	size_t len = 0;
	int p[2], st = -1;
	pid_t pid;

	if (slash)
		snprintf(admin, sizeof(admin), "%.*s/solstice-admin", (int)(slash - s), s);
	else
		snprintf(admin, sizeof(admin), "build/release/solstice-admin");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", td_http_port(d));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		if (token)
			setenv("SOLSTICE_TOKEN", token, 1);
		else
			unsetenv("SOLSTICE_TOKEN");
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		execl(admin, admin, "key", "rotate", owner, "--url", url, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	close(p[1]);
	/* the CLI's own request timeout bounds this read */
	for (;;) {
		ssize_t k = read(p[0], out + len, n - 1 - len);

		if (k <= 0)
			break;
		len += (size_t)k;
		if (len >= n - 1)
			break;
	}
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The newest activity A queued: polled until its one delivery is done. */
static void wait_newest_delivered(struct fx *f, const char *signer)
{
	int64_t end = tc_now_ms() + FPAIR_WAIT_MS;
	long delivered = -1;

	while (tc_now_ms() < end) {
		json_t *v = tc_ok(f->p.a, "GET", "/admin/api/federation/deliveries?limit=1",
		                  f->p.alice.token, NULL, 200);
		json_t *act = json_array_get(json_object_get(v, "activities"), 0);

		assert_non_null(act);
		assert_string_equal(tc_sget(act, "signer"), signer);
		delivered = (long)json_integer_value(
		    json_object_get(json_object_get(act, "counts"), "delivered"));
		json_decref(v);
		if (delivered == 1)
			return;
		fpair_nap();
	}
	fail_msg("the Update was not accepted by B (delivered %ld)", delivered);
}

static void test_rotate(void **state)
{
	struct fx *f = *state;
	char body[256], path[256], actor[128], out[1024];
	char *before, *after, *inst_before, *inst_after;
	json_t *v;

	/* friends, and a DM signed with the first key */
	fpair_friends(&f->p);
	snprintf(path, sizeof(path), "/api/users/%s/dm", f->p.bob_on_a);
	v = tc_ok(f->p.a, "GET", path, f->p.alice.token, NULL, 200);
	snprintf(f->dm_a, sizeof(f->dm_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	send_dm(f, "before the rotation");

	snprintf(actor, sizeof(actor), "/users/%s", f->p.alice.id);
	before = served_pem(f->p.a, actor);
	inst_before = served_pem(f->p.a, "/actor");

	/* only a privileged session may rotate */
	snprintf(path, sizeof(path), "/admin/api/federation/keys/%s/rotate", f->p.alice.id);
	tc_expect(f->p.a, "POST", path, NULL, NULL, 401, NULL);
	tc_expect(f->p.a, "POST", path, f->carol.token, NULL, 403, "NotPrivileged");
	tc_expect(f->p.a, "POST", path, f->p.alice.token, NULL, 403, "NotPrivileged");
	make_admin(f->p.a, f->p.alice.id);
	/* nobody, a remote user: 404 */
	tc_expect(f->p.a, "POST", "/admin/api/federation/keys/01HZZZZZZZZZZZZZZZZZZZZZZZ/rotate",
	          f->p.alice.token, NULL, 404, "NotFound");
	snprintf(body, sizeof(body), "/admin/api/federation/keys/%s/rotate", f->p.bob_on_a);
	tc_expect(f->p.a, "POST", body, f->p.alice.token, NULL, 404, "NotFound");
	after = served_pem(f->p.a, actor);
	assert_string_equal(after, before); /* refusals changed nothing */
	free(after);

	/* rotate: the answer names the new key, the actor serves it */
	v = tc_ok(f->p.a, "POST", path, f->p.alice.token, NULL, 200);
	assert_true(json_is_true(json_object_get(v, "followers_notified")));
	assert_non_null(strstr(tc_sget(v, "key_id"), actor));
	assert_non_null(strstr(tc_sget(v, "key_id"), "#main-key"));
	assert_string_not_equal(tc_sget(v, "rsa_public_pem"), before);
	after = served_pem(f->p.a, actor);
	assert_string_equal(after, tc_sget(v, "rsa_public_pem"));
	json_decref(v);
	assert_string_not_equal(after, before);

	/* B accepted the Update{Person} signed with the new key */
	wait_newest_delivered(f, f->p.alice.id);
	/* and a later delivery signed with it verifies there */
	send_dm(f, "after the rotation");

	/* the instance actor's keys, through the REST route and then the CLI */
	v = tc_ok(f->p.a, "POST", "/admin/api/federation/keys/instance/rotate", f->p.alice.token,
	          NULL, 200);
	assert_false(json_is_true(json_object_get(v, "followers_notified")));
	assert_non_null(strstr(tc_sget(v, "key_id"), "/actor#main-key"));
	inst_after = served_pem(f->p.a, "/actor");
	assert_string_equal(inst_after, tc_sget(v, "rsa_public_pem"));
	assert_string_not_equal(inst_after, inst_before);
	json_decref(v);
	free(inst_before);
	inst_before = inst_after;
	assert_int_equal(cli_rotate(f->p.a, "instance", f->p.alice.token, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "/actor#main-key"));
	inst_after = served_pem(f->p.a, "/actor");
	assert_string_not_equal(inst_after, inst_before);
	/* the CLI refuses a bad owner and a missing token without asking the daemon */
	assert_int_equal(cli_rotate(f->p.a, "../deliveries", f->p.alice.token, out, sizeof(out)),
	                 2);
	assert_int_equal(cli_rotate(f->p.a, "instance", NULL, out, sizeof(out)), 2);
	/* an unprivileged token: the daemon says no */
	assert_int_equal(cli_rotate(f->p.a, "instance", f->carol.token, out, sizeof(out)), 1);
	/* alice's actor is unchanged by it */
	free(before);
	before = served_pem(f->p.a, actor);
	assert_string_equal(before, after);

	free(before);
	free(after);
	free(inst_before);
	free(inst_after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
