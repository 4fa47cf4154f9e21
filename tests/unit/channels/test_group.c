/*
 * tests/unit/channels/test_group.c: the Group record and its recipient
 * rules (order, size limit, ownership passing on), the friendship test,
 * permissions per channel type, and purging a channel with its invites and
 * unreads on a real store.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "channels/channel.h"
#include "channels/group.h"
#include "channels/sync.h"
#include "core/jx.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "storage/store.h"
#include "tests/support/tstore.h"
#include "users/user.h"

#define A "01HUSER000000000000000000A"
#define B "01HUSER000000000000000000B"
#define C "01HUSER000000000000000000C"
#define G "01HGROUP00000000000000000G"

static json_t *group_abc(void)
{
	json_t *r = json_pack("[s,s,s]", A, B, C);
	json_t *g =
	    group_record_new(str_from(G), str_from(A), str_from("trio"), STR_NULL, r, false);

	json_decref(r);
	assert_non_null(g);
	return g;
}

static void assert_json(const json_t *v, const char *want)
{
	char *got = jx_dump(v);

	assert_non_null(got);
	assert_string_equal(got, want);
	mem_free(got);
}

static void test_record(void **state)
{
	json_t *r = json_pack("[s]", A);
	json_t *g =
	    group_record_new(str_from(G), str_from(A), str_from("g"), str_from("d"), r, true);

	(void)state;
	assert_json(g, "{\"channel_type\":\"Group\",\"_id\":\"" G "\",\"name\":\"g\",\"owner\":\"" A
	               "\",\"description\":\"d\",\"recipients\":[\"" A "\"],\"nsfw\":true}");
	assert_int_equal(channel_type_of(g), CHANNEL_GROUP);
	json_decref(g);
	json_decref(r);
	g = group_abc();
	assert_json(g,
	            "{\"channel_type\":\"Group\",\"_id\":\"" G "\",\"name\":\"trio\",\"owner\":\"" A
	            "\",\"recipients\":[\"" A "\",\"" B "\",\"" C "\"]}");
	json_decref(g);
}

static void test_recipients(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	json_t *g = group_abc();
	char id[32];

	(void)state;
	assert_true(group_has_recipient(g, str_from(B)));
	assert_false(group_has_recipient(g, str_from("01HUSER000000000000000000D")));
	assert_int_equal(group_recipient_add(g, str_from(B), &ei), SE_AlreadyInGroup);
	assert_int_equal(group_recipient_remove(g, str_from("nobody")), SE_NotInGroup);
	for (int i = 3; i < GROUP_SIZE_MAX; i++) {
		snprintf(id, sizeof(id), "01HUSER%019d", i);
		assert_int_equal(group_recipient_add(g, str_from(id), &ei), SE_OK);
	}
	assert_int_equal(json_array_size(json_object_get(g, "recipients")), GROUP_SIZE_MAX);
	assert_int_equal(group_recipient_add(g, str_from("01HUSER000000000000000000Z"), &ei),
	                 SE_GroupTooLarge);
	assert_int_equal(ei.max, GROUP_SIZE_MAX);
	assert_int_equal(group_recipient_remove(g, str_from(id)), SE_OK);
	assert_false(group_has_recipient(g, str_from(id)));
	json_decref(g);
}

static void test_next_owner(void **state)
{
	json_t *g = group_abc();

	(void)state;
	assert_string_equal(group_next_owner(g, str_from(A)), B);
	assert_string_equal(group_next_owner(g, str_from(B)), A);
	assert_int_equal(group_recipient_remove(g, str_from(B)), SE_OK);
	assert_int_equal(group_recipient_remove(g, str_from(C)), SE_OK);
	assert_null(group_next_owner(g, str_from(A)));
	json_decref(g);
}

static void test_friends(void **state)
{
	json_t *u = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "_id", A, "relations", "_id", B,
	                      "status", "Friend", "_id", C, "status", "Outgoing");

	(void)state;
	assert_true(group_user_is_friend(u, str_from(B)));
	assert_false(group_user_is_friend(u, str_from(C)));
	assert_false(group_user_is_friend(u, str_from(A)));
	assert_false(group_user_is_friend(u, str_from("01HUSER000000000000000000D")));
	json_decref(u);
}

/* ---- on a store ---- */

static const struct store_coll_def colls[] = {USER_COLL_DEF, CHANNEL_COLL_DEF, SERVER_COLL_DEFS,
                                              SYNC_COLL_DEFS};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

static int setup(void **state)
{
	*state = tstore_open("group", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

struct put {
	const char *coll, *id, *rec;
};

static enum err seed_fn(struct store_wtxn *w, void *arg)
{
	const struct put *p = arg;
	enum err rc = SE_OK;

	for (; !rc && p->coll; p++)
		rc = store_put(w, p->coll, str_from(p->id), str_from(p->rec));
	return rc;
}

static enum err purge_fn(struct store_wtxn *w, void *arg)
{
	return group_channel_purge(w, str_from(arg));
}

static enum err unread_fn(struct store_wtxn *w, void *arg)
{
	enum err rc = sync_unread_mention(w, str_from(G), str_from(A), str_from("01HMSG1"));

	(void)arg;
	return rc ? rc : sync_unread_mention(w, str_from(G), str_from(B), str_from("01HMSG1"));
}

static bool exists(struct tstore *f, const char *coll, const char *id)
{
	struct store_txn *txn = NULL;
	struct str rec;
	enum err rc;

	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	rc = store_get(txn, coll, str_from(id), &rec);
	store_read_end(txn);
	return rc == SE_OK;
}

static void test_purge(void **state)
{
	struct tstore *f = *state;
	const struct put seed[] = {
	    {CHANNEL_COLL, G,
	     "{\"channel_type\":\"Group\",\"_id\":\"" G "\",\"name\":\"g\",\"owner\":\"" A
	     "\",\"recipients\":[\"" A "\",\"" B "\"]}"},
	    {INVITE_COLL, "inv00001",
	     "{\"type\":\"Group\",\"_id\":\"inv00001\",\"creator\":\"" A "\",\"channel\":\"" G
	     "\"}"},
	    {INVITE_COLL, "inv00002",
	     "{\"type\":\"Group\",\"_id\":\"inv00002\",\"creator\":\"" B "\",\"channel\":\"" G
	     "\"}"},
	    {INVITE_COLL, "inv00003",
	     "{\"type\":\"Group\",\"_id\":\"inv00003\",\"creator\":\"" A
	     "\",\"channel\":\"01HOTHER00000000000000000X\"}"},
	    {NULL, NULL, NULL},
	};

	assert_int_equal(store_write(f->s, seed_fn, (void *)seed, NULL), SE_OK);
	assert_int_equal(store_write(f->s, unread_fn, NULL, NULL), SE_OK);
	assert_int_equal(store_write(f->s, purge_fn, (void *)G, NULL), SE_OK);
	assert_false(exists(f, CHANNEL_COLL, G));
	assert_false(exists(f, INVITE_COLL, "inv00001"));
	assert_false(exists(f, INVITE_COLL, "inv00002"));
	assert_true(exists(f, INVITE_COLL, "inv00003"));
	assert_false(exists(f, SYNC_UNREADS_COLL, G "/" A));
	assert_false(exists(f, SYNC_UNREADS_COLL, G "/" B));
	assert_int_equal(store_write(f->s, purge_fn, (void *)G, NULL), SE_NOT_FOUND);
}

static uint64_t perms_of(struct tstore *f, const char *ch_text, const char *uid)
{
	struct store_txn *txn = NULL;
	json_t *ch = json_loads(ch_text, 0, NULL), *me = NULL;
	uint64_t p;

	assert_non_null(ch);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	if (user_load(txn, str_from(uid), &me))
		me = json_pack("{s:s}", "_id", uid);
	p = group_channel_perms(txn, ch, me, str_from(uid), 0);
	store_read_end(txn);
	json_decref(me);
	json_decref(ch);
	return p;
}

static void test_perms(void **state)
{
	struct tstore *f = *state;
	const struct put users[] = {
	    {USER_COLL, A,
	     "{\"_id\":\"" A "\",\"username\":\"a\",\"discriminator\":\"0001\","
	     "\"relations\":[{\"_id\":\"" B "\",\"status\":\"Friend\"},"
	     "{\"_id\":\"" C "\",\"status\":\"Blocked\"}]}"},
	    {USER_COLL, B,
	     "{\"_id\":\"" B "\",\"username\":\"b\",\"discriminator\":\"0001\","
	     "\"relations\":[{\"_id\":\"" A "\",\"status\":\"Friend\"}]}"},
	    {USER_COLL, C,
	     "{\"_id\":\"" C "\",\"username\":\"c\",\"discriminator\":\"0001\","
	     "\"relations\":[{\"_id\":\"" A "\",\"status\":\"BlockedOther\"}]}"},
	    {NULL, NULL, NULL},
	};
	const char *group =
	    "{\"channel_type\":\"Group\",\"_id\":\"" G "\",\"name\":\"g\",\"owner\":\"" A
	    "\",\"recipients\":[\"" A "\",\"" B "\"]}";
	const char *dm_ab = "{\"channel_type\":\"DirectMessage\",\"_id\":\"" G
	                    "\",\"active\":true,\"recipients\":[\"" A "\",\"" B "\"]}";
	const char *dm_ac = "{\"channel_type\":\"DirectMessage\",\"_id\":\"" G
	                    "\",\"active\":true,\"recipients\":[\"" A "\",\"" C "\"]}";
	const char *saved =
	    "{\"channel_type\":\"SavedMessages\",\"_id\":\"" G "\",\"user\":\"" A "\"}";

	assert_int_equal(store_write(f->s, seed_fn, (void *)users, NULL), SE_OK);
	assert_int_equal(perms_of(f, group, A), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perms_of(f, group, B), PERM_VIEW_ONLY | PERM_DEFAULT_DIRECT_MESSAGE);
	assert_int_equal(perms_of(f, group, C), 0);
	assert_int_equal(perms_of(f, dm_ab, A), PERM_DEFAULT_DIRECT_MESSAGE);
	assert_int_equal(perms_of(f, dm_ab, C), 0);
	/* a blocked partner: the DM can be read but not written */
	assert_int_equal(perms_of(f, dm_ac, A), PERM_VIEW_ONLY);
	assert_int_equal(perms_of(f, saved, A), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perms_of(f, saved, B), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record),
	    cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_next_owner),
	    cmocka_unit_test(test_friends),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_perms, setup, teardown),
	};

	jx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
