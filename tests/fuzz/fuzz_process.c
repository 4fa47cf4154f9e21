/*
 * tests/fuzz/fuzz_process.c: any JSON document as an inbound activity from
 * a remote user, through fproc_handle against a real store holding a local
 * user and that remote user (friends, so direct Notes land in their DM).
 * State carries over between inputs, as it does in the daemon. Deliveries
 * are queued only (no workers); nothing touches the network.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "bus/bus.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "federation/process.h"
#include "storage/store.h"
#include "users/user.h"

#define L_ID "01HAAAAAAAAAAAAAAAAAAAAAAA"
#define R_ID "01HBBBBBBBBBBBBBBBBBBBBBBB"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	char dir[64];
	struct cfg cfg;
	struct app app;
	struct fed fed;
	bool ready;
} env;

static enum err add_users(struct store_wtxn *w, void *arg)
{
	json_t *l = user_record_new(STR_LIT(L_ID), STR_LIT("lucy"), "0001");
	json_t *r = user_record_new(STR_LIT(R_ID), STR_LIT("rem@remote.test"), "0001");
	char *tl, *tr;
	enum err rc;

	(void)arg;
	json_object_set_new(r, "ap",
	                    json_pack("{s:s, s:s, s:s, s:s}", "id", "http://remote.test/users/r",
	                              "inbox", "http://remote.test/inbox", "shared_inbox",
	                              "http://remote.test/inbox", "host", "remote.test"));
	rc = user_relation_set(l, R_ID, PERM_REL_FRIEND);
	if (!rc)
		rc = user_relation_set(r, L_ID, PERM_REL_FRIEND);
	tl = jx_dump(l);
	tr = jx_dump(r);
	if (!rc)
		rc = store_create(w, USER_COLL, STR_LIT(L_ID), str_from(tl));
	if (!rc)
		rc = store_create(w, USER_COLL, STR_LIT(R_ID), str_from(tr));
	mem_free(tl);
	mem_free(tr);
	json_decref(l);
	json_decref(r);
	return rc;
}

static void env_release(void)
{
	char p[128];

	store_close(env.app.store);
	bus_free(env.app.bus);
	mem_free(env.fed.base);
	mem_free(env.fed.host);
	cfg_release(&env.cfg);
	snprintf(p, sizeof(p), "%s/data.mdb", env.dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", env.dir);
	remove(p);
	remove(env.dir);
}

static void env_init(void)
{
	struct store_opts o = {.no_sync = true};

	memcpy(env.dir, "/tmp/sol-fuzz-fproc-XXXXXX", 27);
	if (!mkdtemp(env.dir))
		abort();
	log_set_level(LOG_LVL_ERROR);
	cfg_init(&env.cfg);
	if (store_open(env.dir, api_schema(), &o, &env.app.store, NULL))
		abort();
	env.app.cfg = &env.cfg;
	env.app.bus = bus_new(NULL, NULL);
	env.fed.cfg = &env.cfg;
	env.fed.store = env.app.store;
	env.fed.bus = env.app.bus;
	env.fed.app = &env.app;
	env.fed.base = xstrdup("http://local.test");
	env.fed.host = xstrdup("local.test");
	env.fed.allow_private = true;
	env.app.fed = &env.fed;
	if (store_write(env.app.store, add_users, NULL, NULL))
		abort();
	atexit(env_release);
	env.ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	struct fproc_in in = {NULL, R_ID, NULL, 1000};
	json_t *doc = NULL;

	if (!env.ready)
		env_init();
	if (jx_parse((struct str){(const char *)data, size}, 1 << 20, &doc, &ei) != SE_OK)
		return 0;
	in.activity = doc;
	/* every outcome is fine here; crashes, leaks and hangs are not */
	if (fproc_handle(&env.fed, &in, &ei) == SE_OK)
		ei.detail[0] = '\0';
	json_decref(doc);
	return 0;
}
