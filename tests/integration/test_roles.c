/*
 * tests/integration/test_roles.c: role ranking rules with a second member
 * (who joins through an invite and gets a role): editing, deleting and
 * reordering roles at or above one's own rank (NotElevated), granting
 * missing permissions (CannotGiveMissingPermissions), and leaving a server.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

struct who {
	char token[128];
	char id[32];
};

static struct td *start(void)
{
	struct td *d;

	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	assert_non_null(d);
	return d;
}

/* One request; the status, and the JSON body in *out when asked (NULL if empty). */
static long call(struct td *d, const char *method, const char *path, const struct who *w,
                 const char *body, json_t **out)
{
	char h[160];
	const char *hdrs[2] = {NULL, NULL};
	struct td_resp r;
	long status;

	if (w) {
		snprintf(h, sizeof(h), "X-Session-Token: %s", w->token);
		hdrs[0] = h;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out) {
		*out = r.body_len ? json_loadb(r.body, r.body_len, JSON_DECODE_ANY, NULL) : NULL;
		if (r.body_len && !*out)
			fail_msg("%s %s: not JSON: '%s'", method, path, r.body);
	}
	td_resp_release(&r);
	return status;
}

/* call() expecting `status`; returns the body (caller decrefs). */
static json_t *ok(struct td *d, const char *method, const char *path, const struct who *w,
                  const char *body, long status)
{
	json_t *v = NULL;
	long s = call(d, method, path, w, body, &v);

	if (s != status)
		fail_msg("%s %s %s: got %ld %s, want %ld", method, path, body ? body : "", s,
		         v ? json_dumps(v, 0) : "(no body)", status);
	return v;
}

static void expect(struct td *d, const char *method, const char *path, const struct who *w,
                   const char *body, long status, const char *type, const char *permission)
{
	json_t *v = NULL;
	long s = call(d, method, path, w, body, &v);
	const char *t = json_string_value(json_object_get(v, "type"));
	const char *p = json_string_value(json_object_get(v, "permission"));

	if (s != status || !t || strcmp(t, type) != 0 ||
	    (permission && (!p || strcmp(p, permission) != 0)))
		fail_msg("%s %s %s: got %ld %s, want %ld %s %s", method, path, body ? body : "", s,
		         v ? json_dumps(v, 0) : "(no body)", status, type,
		         permission ? permission : "");
	json_decref(v);
}

static void user(struct td *d, const char *name, struct who *w)
{
	char body[256];
	json_t *v;

	memset(w, 0, sizeof(*w));
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	json_decref(ok(d, "POST", "/api/auth/account/create", NULL, body, 204));
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s@example.org\",\"password\":\"correct horse battery\"}", name);
	v = ok(d, "POST", "/api/auth/session/login", NULL, body, 200);
	snprintf(w->token, sizeof(w->token), "%s", json_string_value(json_object_get(v, "token")));
	snprintf(w->id, sizeof(w->id), "%s", json_string_value(json_object_get(v, "user_id")));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	json_decref(ok(d, "POST", "/api/onboard/complete", w, body, 200));
}

static const char *sget(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	assert_non_null(s);
	return s;
}

/* A server of `w` named `name`: its id and first channel's id. */
static void make_server(struct td *d, const struct who *w, const char *name, char sid[32],
                        char cid[32])
{
	char body[128];
	json_t *v, *server, *ch;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	v = ok(d, "POST", "/api/servers/create", w, body, 200);
	server = json_object_get(v, "server");
	ch = json_array_get(json_object_get(v, "channels"), 0);
	snprintf(sid, 32, "%s", sget(server, "_id"));
	if (cid)
		snprintf(cid, 32, "%s", sget(ch, "_id"));
	json_decref(v);
}

static void join(struct td *d, const struct who *owner, const struct who *w, const char *cid)
{
	char path[128];
	json_t *v;

	snprintf(path, sizeof(path), "/api/channels/%s/invites", cid);
	v = ok(d, "POST", path, owner, "{}", 200);
	snprintf(path, sizeof(path), "/api/invites/%s", sget(v, "_id"));
	json_decref(v);
	json_decref(ok(d, "POST", path, w, "{}", 200));
}

static void new_role(struct td *d, const struct who *w, const char *sid, const char *name,
                     char out[32])
{
	char path[128], body[128];
	json_t *v;

	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	v = ok(d, "POST", path, w, body, 200);
	snprintf(out, 32, "%s", sget(v, "id"));
	json_decref(v);
}

/* ManageChannel | ManageServer | ManagePermissions | ManageRole | AssignRoles */
#define MOD_ALLOW "527"

static void test_ranking(void **state)
{
	struct td *d = start();
	struct who alice, bob;
	char path[256], body[512], sid[32], cid[32], mod[32], low[32], top[32];
	json_t *v;

	(void)state;
	user(d, "frank", &alice);
	user(d, "grace", &bob);
	make_server(d, &alice, "ranks", sid, cid);
	new_role(d, &alice, sid, "Top", top);
	new_role(d, &alice, sid, "Mod", mod);
	new_role(d, &alice, sid, "Low", low);
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, mod);
	json_decref(ok(d, "PUT", path, &alice,
	               "{\"permissions\":{\"allow\":" MOD_ALLOW ",\"deny\":0}}", 200));
	join(d, &alice, &bob, cid);
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	v = ok(d, "GET", path, &bob, NULL, 200);
	json_decref(v);
	/* a member without roles has the server default: no ManageRole */
	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	expect(d, "POST", path, &bob, "{\"name\":\"x\"}", 403, "MissingPermission", "ManageRole");
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	snprintf(body, sizeof(body), "{\"roles\":[\"%s\"]}", mod);
	json_decref(ok(d, "PATCH", path, &alice, body, 200));

	/* bob (rank 1) may edit Low (rank 2), not Mod (his own) nor Top (rank 0) */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	json_decref(ok(d, "PATCH", path, &bob, "{\"name\":\"Lower\"}", 200));
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, mod);
	expect(d, "PATCH", path, &bob, "{\"name\":\"x\"}", 403, "NotElevated", NULL);
	expect(d, "DELETE", path, &bob, "{}", 403, "NotElevated", NULL);
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, top);
	expect(d, "PATCH", path, &bob, "{\"name\":\"x\"}", 403, "NotElevated", NULL);
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, top);
	expect(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 403,
	       "NotElevated", NULL);

	/* overrides: only what bob holds may be granted */
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, low);
	json_decref(ok(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":8,\"deny\":0}}", 200));
	expect(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":128,\"deny\":0}}", 403,
	       "CannotGiveMissingPermissions", NULL);
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/default", sid);
	expect(d, "PUT", path, &bob, "{\"permissions\":4503599627370495}", 403,
	       "CannotGiveMissingPermissions", NULL);
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, low);
	json_decref(
	    ok(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":0,\"deny\":4194304}}", 200));
	expect(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":64,\"deny\":0}}", 403,
	       "CannotGiveMissingPermissions", NULL);
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, top);
	expect(d, "PUT", path, &bob, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 403,
	       "NotElevated", NULL);

	/* ranks: bob may reorder below himself only; the owner anything */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/ranks", sid);
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\",\"%s\"]}", top, mod, low);
	json_decref(ok(d, "PATCH", path, &bob, body, 200));
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\",\"%s\"]}", mod, top, low);
	expect(d, "PATCH", path, &bob, body, 403, "NotElevated", NULL);
	json_decref(ok(d, "PATCH", path, &alice, body, 200));

	/* now Mod is on top: bob may edit Top */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, top);
	json_decref(ok(d, "PATCH", path, &bob, "{\"hoist\":true}", 200));

	/* bob leaves; the owner cannot leave (DELETE deletes the server) */
	snprintf(path, sizeof(path), "/api/servers/%s?leave_silently=true", sid);
	json_decref(ok(d, "DELETE", path, &bob, "{}", 204));
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	expect(d, "GET", path, &bob, NULL, 404, "NotFound", NULL);
	v = ok(d, "GET", path, &alice, NULL, 200);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	expect(d, "PATCH", path, &bob, "{\"name\":\"x\"}", 403, "MissingPermission", "ManageRole");

	/* deleting a role takes it off its members */
	join(d, &alice, &bob, cid);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	snprintf(body, sizeof(body), "{\"roles\":[\"%s\"]}", low);
	json_decref(ok(d, "PATCH", path, &alice, body, 200));
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	json_decref(ok(d, "DELETE", path, &alice, "{}", 204));
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	v = ok(d, "GET", path, &alice, NULL, 200);
	assert_null(json_object_get(v, "roles"));
	json_decref(v);

	assert_int_equal(td_stop(d, STOP_MS, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
