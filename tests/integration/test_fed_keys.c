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

#define START_MS 20000
#define STOP_MS 15000
/* how long one federated change may take to show on the other side */
#define FED_WAIT_MS 20000

struct fx {
	struct td *a, *b;
	struct tc_user alice, carol, bob;
	char bob_handle[128];
	char bob_on_a[32], alice_on_b[32];
	char dm_a[32], dm_b[32];
};

static void nap(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	static const char *const args[] = {"--dev", NULL};
	struct fx *f = calloc(1, sizeof(*f));
	json_t *me;

	assert_non_null(f);
	f->a = tc_start(args, START_MS);
	f->b = tc_start(args, START_MS);
	if (!f->a || !f->b)
		return -1;
	tc_user_make(f->a, "alice", &f->alice);
	tc_user_make(f->a, "carol", &f->carol);
	tc_user_make(f->b, "bob", &f->bob);
	me = tc_ok(f->b, "GET", "/api/users/@me", f->bob.token, NULL, 200);
	snprintf(f->bob_handle, sizeof(f->bob_handle), "%s_%s@127.0.0.1:%d",
	         tc_sget(me, "username"), tc_sget(me, "discriminator"), td_http_port(f->b));
	json_decref(me);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int ra = f->a ? td_stop(f->a, STOP_MS, false) : 0;
	int rb = f->b ? td_stop(f->b, STOP_MS, false) : 0;

	free(f);
	if (ra != 0 || rb != 0) {
		fprintf(stderr, "daemon exit status: A %d, B %d\n", ra, rb);
		return -1;
	}
	return 0;
}

/* The status `token`'s user has toward `other` (any when NULL), polled until `want`. */
static void wait_relation(struct td *d, const char *token, const char *other, const char *want,
                          char who[32])
{
	int64_t end = tc_now_ms() + FED_WAIT_MS;
	char got[32] = "";

	while (tc_now_ms() < end) {
		json_t *me = tc_ok(d, "GET", "/api/users/@me", token, NULL, 200), *r;
		size_t i;

		json_array_foreach(json_object_get(me, "relations"), i, r)
		{
			if (!other || !strcmp(tc_sval(r, "_id") ? tc_sval(r, "_id") : "", other)) {
				snprintf(got, sizeof(got), "%s", tc_sval(r, "status"));
				if (who)
					snprintf(who, 32, "%s", tc_sval(r, "_id"));
				break;
			}
		}
		json_decref(me);
		if (!strcmp(got, want))
			return;
		nap();
	}
	fail_msg("relation toward %s: '%s', want '%s'", other ? other : "anyone", got, want);
}

/* Polls channel `cid` on `d` until a message with `content` shows. */
static void wait_content(struct td *d, const char *token, const char *cid, const char *content)
{
	char path[128];
	int64_t end = tc_now_ms() + FED_WAIT_MS;

	snprintf(path, sizeof(path), "/api/channels/%s/messages?limit=50", cid);
	while (tc_now_ms() < end) {
		json_t *list = tc_ok(d, "GET", path, token, NULL, 200), *m;
		size_t i;

		json_array_foreach(list, i, m)
		{
			if (tc_sval(m, "content") && !strcmp(tc_sval(m, "content"), content)) {
				json_decref(list);
				return;
			}
		}
		json_decref(list);
		nap();
	}
	fail_msg("'%s' never reached channel %s", content, cid);
}

/* The DM channel on `d` of `token`'s user with `other` (polled). */
static void find_dm(struct td *d, const char *token, const char *other, char out[32])
{
	int64_t end = tc_now_ms() + FED_WAIT_MS;

	while (tc_now_ms() < end) {
		json_t *dms = tc_ok(d, "GET", "/api/users/dms", token, NULL, 200), *c, *r;
		size_t i, k;

		json_array_foreach(dms, i, c)
		{
			json_array_foreach(json_object_get(c, "recipients"), k, r)
			{
				if (json_is_string(r) && !strcmp(json_string_value(r), other)) {
					snprintf(out, 32, "%s", tc_sget(c, "_id"));
					json_decref(dms);
					return;
				}
			}
		}
		json_decref(dms);
		nap();
	}
	fail_msg("no DM with %s", other);
}

static void send_dm(struct fx *f, const char *content)
{
	char path[128], body[256];

	snprintf(path, sizeof(path), "/api/channels/%s/messages", f->dm_a);
	snprintf(body, sizeof(body), "{\"content\":\"%s\"}", content);
	json_decref(tc_ok(f->a, "POST", path, f->alice.token, body, 200));
	if (!f->dm_b[0])
		find_dm(f->b, f->bob.token, f->alice_on_b, f->dm_b);
	wait_content(f->b, f->bob.token, f->dm_b, content);
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
	int64_t end = tc_now_ms() + FED_WAIT_MS;
	long delivered = -1;

	while (tc_now_ms() < end) {
		json_t *v = tc_ok(f->a, "GET", "/admin/api/federation/deliveries?limit=1",
		                  f->alice.token, NULL, 200);
		json_t *act = json_array_get(json_object_get(v, "activities"), 0);

		assert_non_null(act);
		assert_string_equal(tc_sget(act, "signer"), signer);
		delivered = (long)json_integer_value(
		    json_object_get(json_object_get(act, "counts"), "delivered"));
		json_decref(v);
		if (delivered == 1)
			return;
		nap();
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
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", f->bob_handle);
	v = tc_ok(f->a, "POST", "/api/users/friend", f->alice.token, body, 200);
	snprintf(f->bob_on_a, sizeof(f->bob_on_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	wait_relation(f->b, f->bob.token, NULL, "Incoming", f->alice_on_b);
	snprintf(path, sizeof(path), "/api/users/%s/friend", f->alice_on_b);
	json_decref(tc_ok(f->b, "PUT", path, f->bob.token, "{}", 200));
	wait_relation(f->a, f->alice.token, f->bob_on_a, "Friend", NULL);
	wait_relation(f->b, f->bob.token, f->alice_on_b, "Friend", NULL);
	snprintf(path, sizeof(path), "/api/users/%s/dm", f->bob_on_a);
	v = tc_ok(f->a, "GET", path, f->alice.token, NULL, 200);
	snprintf(f->dm_a, sizeof(f->dm_a), "%s", tc_sget(v, "_id"));
	json_decref(v);
	send_dm(f, "before the rotation");

	snprintf(actor, sizeof(actor), "/users/%s", f->alice.id);
	before = served_pem(f->a, actor);
	inst_before = served_pem(f->a, "/actor");

	/* only a privileged session may rotate */
	snprintf(path, sizeof(path), "/admin/api/federation/keys/%s/rotate", f->alice.id);
	tc_expect(f->a, "POST", path, NULL, NULL, 401, NULL);
	tc_expect(f->a, "POST", path, f->carol.token, NULL, 403, "NotPrivileged");
	tc_expect(f->a, "POST", path, f->alice.token, NULL, 403, "NotPrivileged");
	make_admin(f->a, f->alice.id);
	/* nobody, a remote user: 404 */
	tc_expect(f->a, "POST", "/admin/api/federation/keys/01HZZZZZZZZZZZZZZZZZZZZZZZ/rotate",
	          f->alice.token, NULL, 404, "NotFound");
	snprintf(body, sizeof(body), "/admin/api/federation/keys/%s/rotate", f->bob_on_a);
	tc_expect(f->a, "POST", body, f->alice.token, NULL, 404, "NotFound");
	after = served_pem(f->a, actor);
	assert_string_equal(after, before); /* refusals changed nothing */
	free(after);

	/* rotate: the answer names the new key, the actor serves it */
	v = tc_ok(f->a, "POST", path, f->alice.token, NULL, 200);
	assert_true(json_is_true(json_object_get(v, "followers_notified")));
	assert_non_null(strstr(tc_sget(v, "key_id"), actor));
	assert_non_null(strstr(tc_sget(v, "key_id"), "#main-key"));
	assert_string_not_equal(tc_sget(v, "rsa_public_pem"), before);
	after = served_pem(f->a, actor);
	assert_string_equal(after, tc_sget(v, "rsa_public_pem"));
	json_decref(v);
	assert_string_not_equal(after, before);

	/* B accepted the Update{Person} signed with the new key */
	wait_newest_delivered(f, f->alice.id);
	/* and a later delivery signed with it verifies there */
	send_dm(f, "after the rotation");

	/* the instance actor's keys, through the REST route and then the CLI */
	v = tc_ok(f->a, "POST", "/admin/api/federation/keys/instance/rotate", f->alice.token, NULL,
	          200);
	assert_false(json_is_true(json_object_get(v, "followers_notified")));
	assert_non_null(strstr(tc_sget(v, "key_id"), "/actor#main-key"));
	inst_after = served_pem(f->a, "/actor");
	assert_string_equal(inst_after, tc_sget(v, "rsa_public_pem"));
	assert_string_not_equal(inst_after, inst_before);
	json_decref(v);
	free(inst_before);
	inst_before = inst_after;
	assert_int_equal(cli_rotate(f->a, "instance", f->alice.token, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "/actor#main-key"));
	inst_after = served_pem(f->a, "/actor");
	assert_string_not_equal(inst_after, inst_before);
	/* the CLI refuses a bad owner and a missing token without asking the daemon */
	assert_int_equal(cli_rotate(f->a, "../deliveries", f->alice.token, out, sizeof(out)), 2);
	assert_int_equal(cli_rotate(f->a, "instance", NULL, out, sizeof(out)), 2);
	/* an unprivileged token: the daemon says no */
	assert_int_equal(cli_rotate(f->a, "instance", f->carol.token, out, sizeof(out)), 1);
	/* alice's actor is unchanged by it */
	free(before);
	before = served_pem(f->a, actor);
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
