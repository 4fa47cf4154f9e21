/*
 * tests/unit/users/test_user.c: the user record helpers: relationship
 * transitions (every op from every status), relations on a record, the
 * views (what others may see, omitted fields, Invisible), new-user limits,
 * the default avatar choice and its PNG.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ulid.h"
#include "users/avatar.h"
#include "users/relation.h"
#include "users/user.h"

#define N PERM_REL_NONE
#define U PERM_REL_USER
#define F PERM_REL_FRIEND
#define O PERM_REL_OUTGOING
#define I PERM_REL_INCOMING
#define B PERM_REL_BLOCKED
#define BO PERM_REL_BLOCKED_OTHER

static void test_transitions(void **state)
{
	static const struct {
		enum user_rel_op op;
		enum perm_relationship local, remote;
		size_t outgoing;
		enum err want;
		enum perm_relationship l, r;
	} cases[] = {
	    {USER_REL_ADD_FRIEND, N, N, 0, SE_OK, O, I},
	    {USER_REL_ADD_FRIEND, I, O, 0, SE_OK, F, F},
	    {USER_REL_ADD_FRIEND, I, O, 10, SE_OK, F, F}, /* accepting is not capped */
	    {USER_REL_ADD_FRIEND, N, N, 4, SE_OK, O, I},
	    {USER_REL_ADD_FRIEND, N, N, 5, SE_TooManyPendingFriendRequests, N, N},
	    {USER_REL_ADD_FRIEND, U, U, 0, SE_NoEffect, N, N},
	    {USER_REL_ADD_FRIEND, F, F, 0, SE_AlreadyFriends, N, N},
	    {USER_REL_ADD_FRIEND, O, I, 0, SE_AlreadySentRequest, N, N},
	    {USER_REL_ADD_FRIEND, B, BO, 0, SE_Blocked, N, N},
	    {USER_REL_ADD_FRIEND, BO, B, 0, SE_BlockedByOther, N, N},
	    {USER_REL_REMOVE_FRIEND, F, F, 0, SE_OK, N, N},
	    {USER_REL_REMOVE_FRIEND, O, I, 0, SE_OK, N, N},
	    {USER_REL_REMOVE_FRIEND, I, O, 0, SE_OK, N, N},
	    {USER_REL_REMOVE_FRIEND, N, N, 0, SE_NoEffect, N, N},
	    {USER_REL_REMOVE_FRIEND, B, BO, 0, SE_NoEffect, N, N},
	    {USER_REL_REMOVE_FRIEND, U, U, 0, SE_NoEffect, N, N},
	    {USER_REL_BLOCK, N, N, 0, SE_OK, B, BO},
	    {USER_REL_BLOCK, F, F, 0, SE_OK, B, BO},
	    {USER_REL_BLOCK, O, I, 0, SE_OK, B, BO},
	    {USER_REL_BLOCK, I, O, 0, SE_OK, B, BO},
	    {USER_REL_BLOCK, BO, B, 0, SE_OK, B, B},
	    {USER_REL_BLOCK, B, BO, 0, SE_NoEffect, N, N},
	    {USER_REL_BLOCK, U, U, 0, SE_NoEffect, N, N},
	    {USER_REL_UNBLOCK, B, B, 0, SE_OK, BO, B},
	    {USER_REL_UNBLOCK, B, BO, 0, SE_OK, N, N},
	    {USER_REL_UNBLOCK, B, N, 0, SE_InternalError, N, N},
	    {USER_REL_UNBLOCK, BO, B, 0, SE_NoEffect, N, N},
	    {USER_REL_UNBLOCK, N, N, 0, SE_NoEffect, N, N},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct err_info ei = ERR_INFO_INIT;
		enum perm_relationship l = PERM_REL_USER, r = PERM_REL_USER;
		enum err rc = user_rel_next(cases[i].op, cases[i].local, cases[i].remote,
		                            cases[i].outgoing, 5, &l, &r, &ei);

		if (rc != cases[i].want)
			fail_msg("case %zu: got %s", i, err_type(rc));
		if (rc == SE_OK) {
			assert_int_equal(l, cases[i].l);
			assert_int_equal(r, cases[i].r);
		} else {
			/* out-parameters untouched on failure */
			assert_int_equal(l, PERM_REL_USER);
		}
		if (rc == SE_TooManyPendingFriendRequests)
			assert_int_equal(ei.max, 5);
	}
}

static void test_relations(void **state)
{
	json_t *rec =
	    json_pack("{s:s, s:s, s:s}", "_id", "A", "username", "a", "discriminator", "0042");

	(void)state;
	assert_int_equal(user_relation(rec, "A"), PERM_REL_USER);
	assert_int_equal(user_relation(rec, "B"), PERM_REL_NONE);
	assert_int_equal(user_relation_set(rec, "B", PERM_REL_OUTGOING), SE_OK);
	assert_int_equal(user_relation_set(rec, "C", PERM_REL_OUTGOING), SE_OK);
	assert_int_equal(user_relation_count(rec, PERM_REL_OUTGOING), 2);
	assert_int_equal(user_relation_set(rec, "B", PERM_REL_FRIEND), SE_OK);
	assert_int_equal(user_relation(rec, "B"), PERM_REL_FRIEND);
	assert_int_equal(json_array_size(json_object_get(rec, "relations")), 2);
	/* replaced entries move to the end, as Revolt appends */
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(rec, "relations"), 1), "_id")),
	                    "B");
	assert_int_equal(user_relation_set(rec, "B", PERM_REL_NONE), SE_OK);
	assert_int_equal(user_relation_set(rec, "C", PERM_REL_NONE), SE_OK);
	/* an empty list is omitted */
	assert_null(json_object_get(rec, "relations"));
	json_decref(rec);
}

static void test_views(void **state)
{
	json_t *t = json_loads("{\"_id\":\"T\",\"username\":\"t\",\"discriminator\":\"0042\","
	                       "\"relations\":[{\"_id\":\"V\",\"status\":\"Friend\"}],\"badges\":0,"
	                       "\"status\":{\"text\":\"hi\",\"presence\":\"Invisible\"},"
	                       "\"profile\":{\"content\":\"x\"},\"flags\":0}",
	                       0, NULL);
	json_t *v = json_loads("{\"_id\":\"V\",\"username\":\"v\",\"discriminator\":\"0001\","
	                       "\"relations\":[{\"_id\":\"T\",\"status\":\"Friend\"}]}",
	                       0, NULL);
	json_t *bot = json_loads("{\"_id\":\"X\",\"username\":\"x\",\"discriminator\":\"0001\","
	                         "\"bot\":{\"owner\":\"V\"},\"status\":{\"text\":\"b\"}}",
	                         0, NULL);
	json_t *o;
	char *s;

	(void)state;
	o = user_view_self(t, true);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	/* field order and omissions as Revolt; Invisible hides presence and online */
	assert_string_equal(s, "{\"_id\":\"T\",\"username\":\"t\",\"discriminator\":\"0042\","
	                       "\"relations\":[{\"_id\":\"V\",\"status\":\"Friend\"}],"
	                       "\"status\":{\"text\":\"hi\"},\"relationship\":\"User\","
	                       "\"online\":false}");
	free(s);
	json_decref(o);
	o = user_view_for(t, v, true, true);
	assert_null(json_object_get(o, "relations"));
	assert_null(json_object_get(o, "profile"));
	assert_string_equal(json_string_value(json_object_get(o, "relationship")), "Friend");
	json_decref(o);
	/* without ViewProfile: no status, never online */
	json_object_del(t, "status");
	json_object_set_new(t, "status", json_pack("{s:s}", "text", "hello"));
	o = user_view_for(t, v, false, true);
	assert_null(json_object_get(o, "status"));
	assert_true(json_is_false(json_object_get(o, "online")));
	json_decref(o);
	o = user_view_for(t, v, true, true);
	assert_true(json_is_true(json_object_get(o, "online")));
	json_decref(o);
	/* a bot: relationship None, status always shown */
	o = user_view_for(bot, v, false, false);
	assert_string_equal(json_string_value(json_object_get(o, "relationship")), "None");
	assert_non_null(json_object_get(o, "status"));
	assert_non_null(json_object_get(o, "bot"));
	json_decref(o);
	json_decref(bot);
	json_decref(t);
	json_decref(v);
}

static void test_new_user(void **state)
{
	struct ulid u;
	char id[ULID_LEN + 1];
	const int64_t now = 1700000000000;
	const uint8_t rnd[10] = {1, 2, 3};

	(void)state;
	assert_int_equal(ulid_from_parts((uint64_t)now - 3600 * 1000, rnd, &u), SE_OK);
	ulid_encode(&u, id);
	assert_true(user_is_new(str_from(id), now));
	assert_int_equal(user_outgoing_max(str_from(id), now), USER_OUTGOING_NEW);
	assert_int_equal(ulid_from_parts((uint64_t)now - 73LL * 3600 * 1000, rnd, &u), SE_OK);
	ulid_encode(&u, id);
	assert_false(user_is_new(str_from(id), now));
	assert_int_equal(user_outgoing_max(str_from(id), now), USER_OUTGOING_DEFAULT);
	assert_false(user_is_new(STR_LIT("not a ulid"), now));
}

static void test_avatars(void **state)
{
	static const struct {
		char c;
		int want;
	} cases[] = {
	    {'0', 2}, {'3', 2}, {'S', 2}, {'Z', 2}, {'4', 3}, {'7', 3}, {'T', 3},
	    {'8', 4}, {'B', 4}, {'C', 5}, {'F', 5}, {'V', 5}, {'G', 6}, {'K', 6},
	    {'W', 6}, {'M', 7}, {'Q', 7}, {'X', 7}, {'R', 1}, {'Y', 1}, {'a', 1},
	};
	struct str a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(user_avatar_index(cases[i].c), cases[i].want);
	assert_int_equal(user_avatar_png(STR_LIT("01ARZ3NDEKTSV4RRFFQ69G5FA0"), &a), SE_OK);
	assert_int_equal(user_avatar_png(STR_LIT("01ARZ3NDEKTSV4RRFFQ69G5FAR"), &b), SE_OK);
	assert_true(a.n > 8 && b.n > 8);
	assert_memory_equal(a.p, "\x89PNG\r\n\x1a\n", 8);
	assert_false(a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transitions), cmocka_unit_test(test_relations),
	    cmocka_unit_test(test_views),       cmocka_unit_test(test_new_user),
	    cmocka_unit_test(test_avatars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
