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

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static void new_role(struct td *d, const struct tc_user *w, const char *sid, const char *name,
                     char out[32])
{
	char path[128], body[128];
	json_t *v;

	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	v = tc_ok(d, "POST", path, w->token, body, 200);
	snprintf(out, 32, "%s", tc_sget(v, "id"));
	json_decref(v);
}

/* ManageChannel | ManageServer | ManagePermissions | ManageRole | AssignRoles */
#define MOD_ALLOW "527"

static void test_ranking(void **state)
{
	struct td *d = tc_start(NULL, START_MS);
	struct tc_user alice, bob;
	char path[256], body[512], sid[32], cid[32], mod[32], low[32], top[32];
	json_t *v;

	(void)state;
	assert_non_null(d);
	tc_user_make(d, "frank", &alice);
	tc_user_make(d, "grace", &bob);
	tc_server_create(d, &alice, "ranks", sid, cid);
	new_role(d, &alice, sid, "Top", top);
	new_role(d, &alice, sid, "Mod", mod);
	new_role(d, &alice, sid, "Low", low);
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, mod);
	json_decref(tc_ok(d, "PUT", path, alice.token,
	                  "{\"permissions\":{\"allow\":" MOD_ALLOW ",\"deny\":0}}", 200));
	tc_join(d, &alice, &bob, cid);
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	v = tc_ok(d, "GET", path, bob.token, NULL, 200);
	json_decref(v);
	/* a member without roles has the server default: no ManageRole */
	snprintf(path, sizeof(path), "/api/servers/%s/roles", sid);
	tc_expect_perm(d, "POST", path, bob.token, "{\"name\":\"x\"}", "ManageRole");
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	snprintf(body, sizeof(body), "{\"roles\":[\"%s\"]}", mod);
	json_decref(tc_ok(d, "PATCH", path, alice.token, body, 200));

	/* bob (rank 1) may edit Low (rank 2), not Mod (his own) nor Top (rank 0) */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	json_decref(tc_ok(d, "PATCH", path, bob.token, "{\"name\":\"Lower\"}", 200));
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, mod);
	tc_expect(d, "PATCH", path, bob.token, "{\"name\":\"x\"}", 403, "NotElevated");
	tc_expect(d, "DELETE", path, bob.token, "{}", 403, "NotElevated");
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, top);
	tc_expect(d, "PATCH", path, bob.token, "{\"name\":\"x\"}", 403, "NotElevated");
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, top);
	tc_expect(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 403,
	          "NotElevated");

	/* overrides: only what bob holds may be granted */
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/%s", sid, low);
	json_decref(
	    tc_ok(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":8,\"deny\":0}}", 200));
	tc_expect(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":128,\"deny\":0}}", 403,
	          "CannotGiveMissingPermissions");
	snprintf(path, sizeof(path), "/api/servers/%s/permissions/default", sid);
	tc_expect(d, "PUT", path, bob.token, "{\"permissions\":4503599627370495}", 403,
	          "CannotGiveMissingPermissions");
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, low);
	json_decref(tc_ok(d, "PUT", path, bob.token,
	                  "{\"permissions\":{\"allow\":0,\"deny\":4194304}}", 200));
	tc_expect(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":64,\"deny\":0}}", 403,
	          "CannotGiveMissingPermissions");
	snprintf(path, sizeof(path), "/api/channels/%s/permissions/%s", cid, top);
	tc_expect(d, "PUT", path, bob.token, "{\"permissions\":{\"allow\":0,\"deny\":0}}", 403,
	          "NotElevated");

	/* ranks: bob may reorder below himself only; the owner anything */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/ranks", sid);
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\",\"%s\"]}", top, mod, low);
	json_decref(tc_ok(d, "PATCH", path, bob.token, body, 200));
	snprintf(body, sizeof(body), "{\"ranks\":[\"%s\",\"%s\",\"%s\"]}", mod, top, low);
	tc_expect(d, "PATCH", path, bob.token, body, 403, "NotElevated");
	json_decref(tc_ok(d, "PATCH", path, alice.token, body, 200));

	/* now Mod is on top: bob may edit Top */
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, top);
	json_decref(tc_ok(d, "PATCH", path, bob.token, "{\"hoist\":true}", 200));

	/* bob leaves; the owner cannot leave (DELETE deletes the server) */
	snprintf(path, sizeof(path), "/api/servers/%s?leave_silently=true", sid);
	json_decref(tc_ok(d, "DELETE", path, bob.token, "{}", 204));
	snprintf(path, sizeof(path), "/api/servers/%s", sid);
	tc_expect(d, "GET", path, bob.token, NULL, 404, "NotFound");
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
	json_decref(v);
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	tc_expect_perm(d, "PATCH", path, bob.token, "{\"name\":\"x\"}", "ManageRole");

	/* deleting a role takes it off its members */
	tc_join(d, &alice, &bob, cid);
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	snprintf(body, sizeof(body), "{\"roles\":[\"%s\"]}", low);
	json_decref(tc_ok(d, "PATCH", path, alice.token, body, 200));
	snprintf(path, sizeof(path), "/api/servers/%s/roles/%s", sid, low);
	json_decref(tc_ok(d, "DELETE", path, alice.token, "{}", 204));
	snprintf(path, sizeof(path), "/api/servers/%s/members/%s", sid, bob.id);
	v = tc_ok(d, "GET", path, alice.token, NULL, 200);
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
