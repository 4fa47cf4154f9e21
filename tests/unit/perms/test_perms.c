/*
 * tests/unit/perms/test_perms.c: every rule of the permission calculator
 * (REVOLT.md section 8, revoltchat/backend crates/core/permissions incl. its
 * test.rs scenarios), through the pure functions and the JSON adapters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "perms/perms.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define OV(a, d) ((struct perm_override){(a), (d)})
#define NOW_MS INT64_C(1758628800000) /* 2025-09-23T12:00:00.000Z */

static json_t *js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad test json: %s: %s", e.text, text);
	return v;
}

/* ---- names, apply, constants ---- */

static void test_names(void **state)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} cases[] = {
	    {PERM_MANAGE_CHANNEL, "ManageChannel"},
	    {PERM_MANAGE_SERVER, "ManageServer"},
	    {PERM_MANAGE_PERMISSIONS, "ManagePermissions"},
	    {PERM_MANAGE_ROLE, "ManageRole"},
	    {PERM_MANAGE_CUSTOMISATION, "ManageCustomisation"},
	    {PERM_KICK_MEMBERS, "KickMembers"},
	    {PERM_BAN_MEMBERS, "BanMembers"},
	    {PERM_TIMEOUT_MEMBERS, "TimeoutMembers"},
	    {PERM_ASSIGN_ROLES, "AssignRoles"},
	    {PERM_CHANGE_NICKNAME, "ChangeNickname"},
	    {PERM_MANAGE_NICKNAMES, "ManageNicknames"},
	    {PERM_CHANGE_AVATAR, "ChangeAvatar"},
	    {PERM_REMOVE_AVATARS, "RemoveAvatars"},
	    {PERM_VIEW_CHANNEL, "ViewChannel"},
	    {PERM_READ_MESSAGE_HISTORY, "ReadMessageHistory"},
	    {PERM_SEND_MESSAGE, "SendMessage"},
	    {PERM_MANAGE_MESSAGES, "ManageMessages"},
	    {PERM_MANAGE_WEBHOOKS, "ManageWebhooks"},
	    {PERM_INVITE_OTHERS, "InviteOthers"},
	    {PERM_SEND_EMBEDS, "SendEmbeds"},
	    {PERM_UPLOAD_FILES, "UploadFiles"},
	    {PERM_MASQUERADE, "Masquerade"},
	    {PERM_REACT, "React"},
	    {PERM_CONNECT, "Connect"},
	    {PERM_SPEAK, "Speak"},
	    {PERM_VIDEO, "Video"},
	    {PERM_MUTE_MEMBERS, "MuteMembers"},
	    {PERM_DEAFEN_MEMBERS, "DeafenMembers"},
	    {PERM_MOVE_MEMBERS, "MoveMembers"},
	    {PERM_MENTION_EVERYONE, "MentionEveryone"},
	    {PERM_MENTION_ROLES, "MentionRoles"},
	    {1ull << 5, NULL},
	    {1ull << 14, NULL},
	    {1ull << 36, NULL},
	    {PERM_VIEW_ONLY, NULL},
	    {0, NULL},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		const char *n = perm_name(cases[i].bit);

		if (cases[i].name)
			assert_string_equal(n, cases[i].name);
		else
			assert_null(n);
	}
	assert_string_equal(perm_user_name(PERM_USER_ACCESS), "Access");
	assert_string_equal(perm_user_name(PERM_USER_VIEW_PROFILE), "ViewProfile");
	assert_string_equal(perm_user_name(PERM_USER_SEND_MESSAGE), "SendMessage");
	assert_string_equal(perm_user_name(PERM_USER_INVITE), "Invite");
	assert_null(perm_user_name(16));
	assert_null(perm_user_name(3));
}

static void test_constants_and_apply(void **state)
{
	(void)state;
	/* values from REVOLT.md section 8 */
	assert_int_equal(PERM_VIEW_ONLY, 3145728);
	assert_int_equal(PERM_DEFAULT, 3463446528ull);
	assert_int_equal(PERM_DEFAULT_SERVER,
	                 PERM_DEFAULT | PERM_REACT | PERM_CHANGE_NICKNAME | PERM_CHANGE_AVATAR);
	assert_int_equal(PERM_DEFAULT_DIRECT_MESSAGE,
	                 PERM_DEFAULT | PERM_MANAGE_CHANNEL | PERM_REACT);
	assert_int_equal(PERM_GRANT_ALL_SAFE, 4503599627370495ull);
	assert_int_equal(perm_apply(0, OV(5, 0)), 5);
	assert_int_equal(perm_apply(7, OV(0, 2)), 5);
	/* deny wins inside one override */
	assert_int_equal(perm_apply(0, OV(6, 2)), 4);
	assert_int_equal(perm_apply(1, OV(0, 0)), 1);
}

/* ---- server ---- */

struct server_case {
	const char *what;
	struct perm_server_input in;
	struct perm_role_override roles[4];
	size_t n;
	uint64_t want;
};

static void test_server_calc(void **state)
{
	static const struct server_case cases[] = {
	    {"privileged non-member", {.privileged = true}, {{0}}, 0, PERM_GRANT_ALL_SAFE},
	    {"owner, not even a member", {.owner = true}, {{0}}, 0, PERM_GRANT_ALL_SAFE},
	    {"owner in timeout",
	     {.owner = true, .member = true, .timed_out = true},
	     {{0}},
	     0,
	     PERM_GRANT_ALL_SAFE},
	    {"non-member", {.default_permissions = PERM_DEFAULT_SERVER}, {{0}}, 0, 0},
	    {"default permissions",
	     {.member = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0}},
	     0,
	     PERM_DEFAULT_SERVER},
	    {"one role adds, one removes",
	     {.member = true, .default_permissions = PERM_VIEW_ONLY},
	     {{1, OV(PERM_MANAGE_MESSAGES, PERM_READ_MESSAGE_HISTORY)}},
	     1,
	     PERM_VIEW_CHANNEL | PERM_MANAGE_MESSAGES},
	    /* ranks 3, 2, 1 applied in that order: rank 1 (deny) wins */
	    {"three conflicting roles, highest denies",
	     {.member = true},
	     {{2, OV(PERM_SEND_MESSAGE, 0)},
	      {1, OV(0, PERM_SEND_MESSAGE)},
	      {3, OV(PERM_SEND_MESSAGE | PERM_REACT, 0)}},
	     3,
	     PERM_REACT},
	    /* same roles, different input order: same result */
	    {"three conflicting roles, other order",
	     {.member = true},
	     {{1, OV(0, PERM_SEND_MESSAGE)},
	      {3, OV(PERM_SEND_MESSAGE | PERM_REACT, 0)},
	      {2, OV(PERM_SEND_MESSAGE, 0)}},
	     3,
	     PERM_REACT},
	    /* highest (rank 0) allows what lower roles deny */
	    {"highest role allows",
	     {.member = true, .default_permissions = PERM_SEND_MESSAGE},
	     {{5, OV(0, PERM_SEND_MESSAGE | PERM_REACT)},
	      {0, OV(PERM_SEND_MESSAGE, 0)},
	      {9, OV(PERM_REACT, 0)}},
	     3,
	     PERM_SEND_MESSAGE},
	    {"negative ranks sort too",
	     {.member = true},
	     {{-5, OV(PERM_REACT, 0)}, {7, OV(0, PERM_REACT)}},
	     2,
	     PERM_REACT},
	    {"timeout keeps view only",
	     {.member = true, .timed_out = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0, OV(PERM_MANAGE_SERVER, 0)}},
	     1,
	     PERM_VIEW_ONLY},
	    {"timeout without view",
	     {.member = true, .timed_out = true, .default_permissions = PERM_SEND_MESSAGE},
	     {{0}},
	     0,
	     0},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct perm_server_input in = cases[i].in;

		in.roles = cases[i].roles;
		in.n_roles = cases[i].n;
		if (perm_server_calc(&in) != cases[i].want)
			fail_msg("%s: got %llu want %llu", cases[i].what,
			         (unsigned long long)perm_server_calc(&in),
			         (unsigned long long)cases[i].want);
	}
}

/* ---- server channel ---- */

struct chan_case {
	const char *what;
	struct perm_server_input in;
	struct perm_role_override roles[3];
	size_t n_roles;
	bool has_default;
	struct perm_override def;
	struct perm_role_override croles[3];
	size_t n_croles;
	uint64_t want;
};

static void test_server_channel_calc(void **state)
{
	static const struct chan_case cases[] = {
	    /* test.rs validate_server_permissions */
	    {"backend scenario",
	     {.member = true,
	      .default_permissions =
	          PERM_VIEW_CHANNEL | PERM_SEND_MESSAGE | PERM_READ_MESSAGE_HISTORY},
	     {{0, OV(PERM_UPLOAD_FILES | PERM_REACT, PERM_READ_MESSAGE_HISTORY)}},
	     1,
	     true,
	     OV(0, PERM_SEND_MESSAGE),
	     {{0, OV(0, PERM_REACT)}},
	     1,
	     PERM_VIEW_CHANNEL | PERM_UPLOAD_FILES},
	    /* test.rs validate_timed_out_member */
	    {"backend timeout",
	     {.member = true, .timed_out = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0}},
	     0,
	     true,
	     OV(0, 0),
	     {{0}},
	     0,
	     PERM_VIEW_ONLY},
	    {"timeout: channel allows are restricted again",
	     {.member = true, .timed_out = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0}},
	     0,
	     true,
	     OV(PERM_SEND_MESSAGE | PERM_MANAGE_MESSAGES, 0),
	     {{0}},
	     0,
	     PERM_VIEW_ONLY},
	    {"owner",
	     {.owner = true},
	     {{0}},
	     0,
	     true,
	     OV(0, PERM_VIEW_CHANNEL),
	     {{0}},
	     0,
	     PERM_GRANT_ALL_SAFE},
	    {"privileged",
	     {.privileged = true},
	     {{0}},
	     0,
	     false,
	     OV(0, 0),
	     {{0}},
	     0,
	     PERM_GRANT_ALL_SAFE},
	    {"non-member",
	     {.default_permissions = PERM_DEFAULT},
	     {{0}},
	     0,
	     true,
	     OV(PERM_VIEW_CHANNEL, 0),
	     {{0}},
	     0,
	     0},
	    {"no channel default",
	     {.member = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0}},
	     0,
	     false,
	     OV(0, 0),
	     {{0}},
	     0,
	     PERM_DEFAULT_SERVER},
	    {"default hides the channel: all bits go",
	     {.member = true, .default_permissions = PERM_DEFAULT_SERVER | PERM_MANAGE_SERVER},
	     {{0}},
	     0,
	     true,
	     OV(0, PERM_VIEW_CHANNEL),
	     {{0}},
	     0,
	     0},
	    {"a role override shows a hidden channel",
	     {.member = true, .default_permissions = PERM_DEFAULT_SERVER},
	     {{0}},
	     0,
	     true,
	     OV(0, PERM_VIEW_CHANNEL),
	     {{4, OV(PERM_VIEW_CHANNEL, 0)}},
	     1,
	     PERM_DEFAULT_SERVER},
	    {"channel role overrides in rank order",
	     {.member = true, .default_permissions = PERM_VIEW_CHANNEL},
	     {{0}},
	     0,
	     false,
	     OV(0, 0),
	     {{1, OV(PERM_MANAGE_MESSAGES, 0)},
	      {2, OV(0, PERM_MANAGE_MESSAGES | PERM_REACT)},
	      {3, OV(PERM_REACT | PERM_MASQUERADE, 0)}},
	     3,
	     PERM_VIEW_CHANNEL | PERM_MANAGE_MESSAGES | PERM_MASQUERADE},
	    {"server role allows, channel default denies, channel role re-allows",
	     {.member = true, .default_permissions = PERM_VIEW_CHANNEL},
	     {{3, OV(PERM_SEND_MESSAGE, 0)}},
	     1,
	     true,
	     OV(0, PERM_SEND_MESSAGE),
	     {{3, OV(PERM_SEND_MESSAGE, 0)}},
	     1,
	     PERM_VIEW_CHANNEL | PERM_SEND_MESSAGE},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct perm_server_input in = cases[i].in;
		uint64_t got;

		in.roles = cases[i].roles;
		in.n_roles = cases[i].n_roles;
		got = perm_server_channel_calc(&in, cases[i].has_default ? &cases[i].def : NULL,
		                               cases[i].croles, cases[i].n_croles);
		if (got != cases[i].want)
			fail_msg("%s: got %llu want %llu", cases[i].what, (unsigned long long)got,
			         (unsigned long long)cases[i].want);
	}
}

/* ---- group, DM, saved ---- */

static void test_private_channels(void **state)
{
	(void)state;
	/* group (test.rs validate_group_permissions) */
	assert_int_equal(perm_group_calc(false, false, true, true, PERM_SEND_MESSAGE),
	                 PERM_VIEW_ONLY | PERM_SEND_MESSAGE);
	assert_int_equal(perm_group_calc(false, false, true, false, 0),
	                 PERM_VIEW_ONLY | PERM_DEFAULT_DIRECT_MESSAGE);
	assert_int_equal(perm_group_calc(false, false, true, true, 0), PERM_VIEW_ONLY);
	assert_int_equal(perm_group_calc(false, true, true, true, 0), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perm_group_calc(false, true, false, false, 0), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perm_group_calc(false, false, false, false, 0), 0);
	assert_int_equal(perm_group_calc(true, false, false, false, 0), PERM_GRANT_ALL_SAFE);
	/* DM (test.rs validate_user_permissions: friend → DEFAULT_DIRECT_MESSAGE) */
	assert_int_equal(perm_dm_calc(false, true, PERM_USER_ALL), PERM_DEFAULT_DIRECT_MESSAGE);
	assert_int_equal(perm_dm_calc(false, true, PERM_USER_SEND_MESSAGE),
	                 PERM_DEFAULT_DIRECT_MESSAGE);
	assert_int_equal(perm_dm_calc(false, true, PERM_USER_ACCESS | PERM_USER_VIEW_PROFILE),
	                 PERM_VIEW_ONLY);
	assert_int_equal(perm_dm_calc(false, true, 0), PERM_VIEW_ONLY);
	assert_int_equal(perm_dm_calc(false, false, PERM_USER_ALL), 0);
	assert_int_equal(perm_dm_calc(true, false, 0), PERM_GRANT_ALL_SAFE);
	/* saved messages */
	assert_int_equal(perm_saved_calc(false, true), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perm_saved_calc(false, false), 0);
	assert_int_equal(perm_saved_calc(true, false), PERM_GRANT_ALL_SAFE);
}

/* ---- user permissions ---- */

struct user_case {
	const char *what;
	struct perm_user_input in;
	uint32_t want;
};

#define AV (PERM_USER_ACCESS | PERM_USER_VIEW_PROFILE)

static void test_user_calc(void **state)
{
	static const struct user_case cases[] = {
	    {"privileged", {.privileged = true, .rel = PERM_REL_BLOCKED}, PERM_USER_ALL},
	    {"same user", {.same = true, .rel = PERM_REL_USER}, PERM_USER_ALL},
	    {"friend", {.rel = PERM_REL_FRIEND}, PERM_USER_ALL},
	    {"friend, mutual", {.rel = PERM_REL_FRIEND, .mutual = true}, PERM_USER_ALL},
	    {"blocked", {.rel = PERM_REL_BLOCKED}, PERM_USER_ACCESS},
	    {"blocked even with mutual",
	     {.rel = PERM_REL_BLOCKED, .mutual = true},
	     PERM_USER_ACCESS},
	    {"blocked by other",
	     {.rel = PERM_REL_BLOCKED_OTHER, .mutual = true, .target_is_bot = true},
	     PERM_USER_ACCESS},
	    {"incoming", {.rel = PERM_REL_INCOMING}, PERM_USER_ACCESS},
	    {"outgoing", {.rel = PERM_REL_OUTGOING}, PERM_USER_ACCESS},
	    {"outgoing, mutual", {.rel = PERM_REL_OUTGOING, .mutual = true}, AV},
	    {"none", {.rel = PERM_REL_NONE}, 0},
	    {"none, mutual", {.mutual = true}, AV},
	    {"mutual, target bot",
	     {.mutual = true, .target_is_bot = true},
	     AV | PERM_USER_SEND_MESSAGE},
	    {"mutual, viewer bot",
	     {.mutual = true, .viewer_is_bot = true},
	     AV | PERM_USER_SEND_MESSAGE},
	    {"bot without mutual", {.target_is_bot = true, .viewer_is_bot = true}, 0},
	    /* a bot's owner: Revolt's relationship User falls through to mutual */
	    {"bot owner, no mutual", {.rel = PERM_REL_USER, .target_is_bot = true}, 0},
	    {"bot owner, mutual",
	     {.rel = PERM_REL_USER, .target_is_bot = true, .mutual = true},
	     AV | PERM_USER_SEND_MESSAGE},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		if (perm_user_calc(&cases[i].in) != cases[i].want)
			fail_msg("%s: got %u want %u", cases[i].what, perm_user_calc(&cases[i].in),
			         cases[i].want);
}

static void test_relationship_names(void **state)
{
	static const char *const names[] = {"None",     "User",    "Friend",      "Outgoing",
	                                    "Incoming", "Blocked", "BlockedOther"};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		assert_int_equal(perm_relationship_parse(names[i]), (enum perm_relationship)i);
		assert_string_equal(perm_relationship_name((enum perm_relationship)i), names[i]);
	}
	assert_int_equal(perm_relationship_parse("friend"), PERM_REL_NONE);
	assert_int_equal(perm_relationship_parse(""), PERM_REL_NONE);
	assert_int_equal(perm_relationship_parse(NULL), PERM_REL_NONE);
	assert_string_equal(perm_relationship_name((enum perm_relationship)99), "None");
}

/* ---- ranking, require, grant ---- */

static void test_ranking(void **state)
{
	static const struct perm_role_override r[] = {
	    {5, OV(0, 0)}, {2, OV(0, 0)}, {9, OV(0, 0)}, {-1, OV(0, 0)}};
	(void)state;
	assert_int_equal(perm_ranking(false, r, 3), 2);
	assert_int_equal(perm_ranking(false, r, 4), -1);
	assert_int_equal(perm_ranking(false, r, 0), INT64_MAX);
	assert_int_equal(perm_ranking(false, NULL, 0), INT64_MAX);
	assert_int_equal(perm_ranking(true, r, 4), INT64_MIN);
	assert_int_equal(perm_ranking(true, NULL, 0), INT64_MIN);
}

struct require_case {
	uint64_t have, need;
	enum err want;
	const char *name;
};

static void test_require(void **state)
{
	static const struct require_case cases[] = {
	    {PERM_DEFAULT, PERM_SEND_MESSAGE, SE_OK, NULL},
	    {PERM_DEFAULT, 0, SE_OK, NULL},
	    {0, 0, SE_OK, NULL},
	    {PERM_GRANT_ALL_SAFE, PERM_MANAGE_SERVER | PERM_MENTION_ROLES, SE_OK, NULL},
	    {0, PERM_SEND_MESSAGE, SE_MissingPermission, "SendMessage"},
	    {0, PERM_MANAGE_CHANNEL, SE_MissingPermission, "ManageChannel"},
	    {PERM_VIEW_ONLY, PERM_VIEW_CHANNEL | PERM_MANAGE_MESSAGES | PERM_INVITE_OTHERS,
	     SE_MissingPermission, "ManageMessages"},
	    {0, PERM_VIEW_CHANNEL | PERM_READ_MESSAGE_HISTORY, SE_MissingPermission, "ViewChannel"},
	    {PERM_VIEW_CHANNEL, PERM_VIEW_ONLY, SE_MissingPermission, "ReadMessageHistory"},
	    {0, PERM_INVITE_OTHERS, SE_MissingPermission, "InviteOthers"},
	    {0, PERM_MENTION_ROLES, SE_MissingPermission, "MentionRoles"},
	    /* a reserved bit alone has no name; named bits are reported first */
	    {0, (1ull << 5) | PERM_REACT, SE_MissingPermission, "React"},
	    {0, 1ull << 5, SE_MissingPermission, "GrantAllSafe"},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct err_info ei = ERR_INFO_INIT;
		enum err rc = perm_require(cases[i].have, cases[i].need, &ei);

		assert_int_equal(rc, cases[i].want);
		if (cases[i].name) {
			assert_string_equal(ei.permission, cases[i].name);
			assert_non_null(ei.where);
		} else {
			assert_null(ei.permission);
		}
	}
	assert_int_equal(perm_require(0, PERM_REACT, NULL), SE_MissingPermission);
}

static void test_require_user(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	(void)state;
	assert_int_equal(perm_require_user(PERM_USER_ALL, PERM_USER_SEND_MESSAGE, &ei), SE_OK);
	assert_null(ei.permission);
	assert_int_equal(perm_require_user(PERM_USER_ACCESS, PERM_USER_ACCESS, &ei), SE_OK);
	assert_int_equal(perm_require_user(0, PERM_USER_ACCESS, &ei), SE_MissingPermission);
	assert_string_equal(ei.permission, "Access");
	assert_int_equal(perm_require_user(AV, PERM_USER_SEND_MESSAGE | PERM_USER_INVITE, &ei),
	                 SE_MissingPermission);
	assert_string_equal(ei.permission, "SendMessage");
	assert_int_equal(perm_require_user(AV, PERM_USER_INVITE, &ei), SE_MissingPermission);
	assert_string_equal(ei.permission, "Invite");
	assert_int_equal(perm_require_user(0, PERM_USER_VIEW_PROFILE, NULL), SE_MissingPermission);
}

struct grant_case {
	const char *what;
	uint64_t own;
	struct perm_override old, new_;
	enum err want;
};

#define CG SE_CannotGiveMissingPermissions
#define S PERM_SEND_MESSAGE
#define M PERM_MANAGE_MESSAGES

static void test_check_grant(void **state)
{
	static const struct grant_case cases[] = {
	    {"no change", 0, OV(M, M), OV(M, M), SE_OK},
	    {"allow a bit we have", S, OV(0, 0), OV(S, 0), SE_OK},
	    {"allow a bit we lack", S, OV(0, 0), OV(M, 0), CG},
	    {"keep an allow we lack", S, OV(M, 0), OV(M | S, 0), SE_OK},
	    {"remove an allow we lack", 0, OV(M, 0), OV(0, 0), SE_OK},
	    {"add a deny we lack", 0, OV(0, 0), OV(0, M), SE_OK},
	    {"remove a deny we lack", 0, OV(0, M), OV(0, 0), CG},
	    {"remove a deny we have", M, OV(0, M), OV(0, 0), SE_OK},
	    {"move a lacked bit from deny to allow", S, OV(0, M), OV(M, 0), CG},
	    {"move a held bit from deny to allow", M, OV(0, M), OV(M, 0), SE_OK},
	    {"owner grants anything", PERM_GRANT_ALL_SAFE, OV(0, PERM_GRANT_ALL_SAFE),
	     OV(PERM_GRANT_ALL_SAFE, 0), SE_OK},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct err_info ei = ERR_INFO_INIT;

		if (perm_check_grant(cases[i].own, cases[i].old, cases[i].new_, &ei) !=
		    cases[i].want)
			fail_msg("%s", cases[i].what);
	}
}

/* ---- JSON adapters ---- */

struct parse_case {
	const char *json;
	enum err want;
	uint64_t allow, deny;
};

static void test_override_parse(void **state)
{
	static const struct parse_case cases[] = {
	    {"{\"a\":1,\"d\":2}", SE_OK, 1, 2},
	    {"{\"allow\":4194304,\"deny\":0}", SE_OK, PERM_SEND_MESSAGE, 0},
	    {"{\"a\":0,\"d\":0,\"extra\":true}", SE_OK, 0, 0},
	    {"{\"a\":4503599627370495,\"d\":0}", SE_OK, PERM_GRANT_ALL_SAFE, 0},
	    /* stored i64 is cast like Revolt's `as u64` */
	    {"{\"a\":-1,\"d\":0}", SE_OK, UINT64_MAX, 0},
	    {"{\"allow\":-1,\"deny\":0}", SE_PARSE, 0, 0},
	    {"{\"a\":1}", SE_PARSE, 0, 0},
	    {"{\"d\":1}", SE_PARSE, 0, 0},
	    {"{\"allow\":1}", SE_PARSE, 0, 0},
	    {"{\"a\":1,\"deny\":2}", SE_PARSE, 0, 0},
	    {"{\"a\":\"1\",\"d\":2}", SE_PARSE, 0, 0},
	    {"{\"a\":1.5,\"d\":2}", SE_PARSE, 0, 0},
	    {"{\"a\":null,\"d\":2}", SE_PARSE, 0, 0},
	    {"{}", SE_PARSE, 0, 0},
	    {"[1,2]", SE_PARSE, 0, 0},
	    {"7", SE_PARSE, 0, 0},
	    {"null", SE_PARSE, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		struct perm_override o = {99, 99};

		assert_non_null(v);
		assert_int_equal(perm_override_parse(v, &o), cases[i].want);
		if (cases[i].want == SE_OK) {
			assert_int_equal(o.allow, cases[i].allow);
			assert_int_equal(o.deny, cases[i].deny);
		}
		json_decref(v);
	}
	assert_int_equal(perm_override_parse(NULL, &(struct perm_override){0, 0}), SE_PARSE);
}

/* S0: view+send+history by default; roles r1 (rank 1) .. r3 (rank 3) */
static const char server_json[] =
    "{\"_id\":\"S0\",\"owner\":\"OWNER\",\"name\":\"s\",\"channels\":[\"C0\"],"
    "\"default_permissions\":7340032,"
    "\"roles\":{"
    "\"r1\":{\"name\":\"mod\",\"permissions\":{\"a\":8388608,\"d\":4194304},\"rank\":1},"
    "\"r2\":{\"name\":\"talk\",\"permissions\":{\"a\":4194304,\"d\":0},\"rank\":2},"
    "\"r3\":{\"name\":\"react\",\"permissions\":{\"a\":536870912,\"d\":0},\"rank\":3},"
    "\"bad\":{\"name\":\"bad\",\"permissions\":{\"a\":\"x\"},\"rank\":0}}}";

struct timeout_case {
	const char *timeout; /* JSON value text or NULL for absent */
	bool want;
};

static void test_member_timeout(void **state)
{
	static const struct timeout_case cases[] = {
	    {NULL, false},
	    {"null", false},
	    {"\"2025-09-23T12:00:00.001Z\"", true},
	    {"\"2025-09-23T12:00:00.000Z\"", false},
	    {"\"2025-09-23T11:59:59.999Z\"", false},
	    {"\"2099-01-01T00:00:00Z\"", true},
	    {"\"2020-01-01T00:00:00Z\"", false},
	    {"\"2025-09-23T12:00:01.5Z\"", true},
	    {"\"2025-09-23T12:00:00.123456789Z\"", true},
	    {"\"2025-09-23T13:00:01+01:00\"", true},
	    {"\"2025-09-23T13:00:00+01:00\"", false},
	    {"\"2025-09-23T11:00:01-01:00\"", true},
	    {"\"2025-09-23T10:59:59-01:00\"", false},
	    {"\"2025-09-23T11:01:01-00:59\"", true},
	    {"1758628800001", true},
	    {"1758628800000", false},
	    /* unreadable timeouts fail closed */
	    {"\"tomorrow\"", true},
	    {"\"2025-09-23T12:00:00\"", true},
	    {"\"2025-09-23T12:00:00.Z\"", true},
	    {"\"2025-13-23T12:00:00Z\"", true},
	    {"\"\"", true},
	    {"true", true},
	    {"{}", true},
	};
	json_t *server = js(server_json);
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char text[256];
		struct perm_role_override roles[PERM_ROLES_MAX];
		struct perm_server_input in;
		json_t *member;

		if (cases[i].timeout)
			snprintf(text, sizeof(text),
			         "{\"_id\":{\"server\":\"S0\",\"user\":\"U\"},\"roles\":[],"
			         "\"timeout\":%s}",
			         cases[i].timeout);
		else
			snprintf(text, sizeof(text),
			         "{\"_id\":{\"server\":\"S0\",\"user\":\"U\"}}");
		member = js(text);
		perm_server_input_from_json(server, member, "U", NOW_MS, roles, &in);
		if (in.timed_out != cases[i].want)
			fail_msg("timeout %s: got %d",
			         cases[i].timeout ? cases[i].timeout : "(absent)", in.timed_out);
		json_decref(member);
	}
	json_decref(server);
}

static void test_server_input_from_json(void **state)
{
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_server_input in;
	json_t *server = js(server_json);
	json_t *member = js("{\"_id\":{\"server\":\"S0\",\"user\":\"U\"},"
	                    "\"roles\":[\"r3\",\"gone\",\"r1\",\"r3\",7,\"bad\"]}");
	(void)state;

	perm_server_input_from_json(server, member, "U", NOW_MS, roles, &in);
	assert_true(in.member);
	assert_false(in.owner);
	assert_false(in.privileged);
	assert_false(in.timed_out);
	assert_int_equal(in.default_permissions, 7340032);
	/* deleted role, duplicate and non-string skipped; "bad" kept as neutral */
	assert_int_equal(in.n_roles, 3);
	assert_int_equal(in.roles[0].rank, 3);
	assert_int_equal(in.roles[1].rank, 1);
	assert_int_equal(in.roles[2].rank, 0);
	assert_int_equal(in.roles[2].o.allow, 0);
	assert_int_equal(in.roles[2].o.deny, 0);
	assert_int_equal(perm_ranking(in.owner, in.roles, in.n_roles), 0);
	/* r3 then r1: +React, +ManageMessages, -SendMessage */
	assert_int_equal(perm_server_calc(&in), PERM_VIEW_ONLY | PERM_REACT | PERM_MANAGE_MESSAGES);

	perm_server_input_from_json(server, NULL, "U", NOW_MS, roles, &in);
	assert_false(in.member);
	assert_int_equal(in.n_roles, 0);
	assert_int_equal(perm_server_calc(&in), 0);

	perm_server_input_from_json(server, NULL, "OWNER", NOW_MS, roles, &in);
	assert_true(in.owner);
	assert_int_equal(perm_server_calc(&in), PERM_GRANT_ALL_SAFE);
	assert_int_equal(perm_ranking(in.owner, in.roles, in.n_roles), INT64_MIN);

	json_decref(member);
	json_decref(server);
}

struct cj_case {
	const char *what;
	const char *member; /* NULL: not a member */
	const char *user;
	const char *channel;
	uint64_t want;
};

#define MEMBER(roles) "{\"_id\":{\"server\":\"S0\",\"user\":\"U\"},\"roles\":" roles "}"
#define TEXT(extra) "{\"channel_type\":\"TextChannel\",\"_id\":\"C0\",\"server\":\"S0\"" extra "}"

static void test_channel_json(void **state)
{
	static const struct cj_case cases[] = {
	    {"member without roles, plain channel", MEMBER("[]"), "U", TEXT(""),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"voice channel too", MEMBER("[]"), "U",
	     "{\"channel_type\":\"VoiceChannel\",\"server\":\"S0\"}",
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"non-member", NULL, "U", TEXT(""), 0},
	    {"owner without member record", NULL, "OWNER",
	     TEXT(",\"default_permissions\":{\"a\":0,\"d\":1048576}"), PERM_GRANT_ALL_SAFE},
	    {"default denies send", MEMBER("[]"), "U",
	     TEXT(",\"default_permissions\":{\"a\":0,\"d\":4194304}"), PERM_VIEW_ONLY},
	    {"default hides channel", MEMBER("[\"r2\"]"), "U",
	     TEXT(",\"default_permissions\":{\"a\":0,\"d\":1048576}"), 0},
	    {"role override shows it again", MEMBER("[\"r2\"]"), "U",
	     TEXT(",\"default_permissions\":{\"a\":0,\"d\":1048576},"
	          "\"role_permissions\":{\"r2\":{\"a\":1048576,\"d\":0}}"),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"override for a role we lack is ignored", MEMBER("[]"), "U",
	     TEXT(",\"role_permissions\":{\"r2\":{\"a\":0,\"d\":1048576}}"),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"override for a deleted role is ignored", MEMBER("[\"gone\"]"), "U",
	     TEXT(",\"role_permissions\":{\"gone\":{\"a\":0,\"d\":1048576}}"),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    /* channel r3 (rank 3) allows send, r1 (rank 1) denies send: r1 wins */
	    {"channel roles in rank order", MEMBER("[\"r1\",\"r3\"]"), "U",
	     TEXT(",\"role_permissions\":{\"r1\":{\"a\":0,\"d\":4194304},"
	          "\"r3\":{\"a\":4194304,\"d\":536870912}}"),
	     PERM_VIEW_ONLY | PERM_MANAGE_MESSAGES},
	    {"malformed channel overrides are neutral", MEMBER("[\"r2\"]"), "U",
	     TEXT(",\"default_permissions\":{\"a\":\"x\",\"d\":1048576},"
	          "\"role_permissions\":{\"r2\":[1,2]}"),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"malformed role_permissions", MEMBER("[\"r2\"]"), "U", TEXT(",\"role_permissions\":3"),
	     PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"timed out member",
	     "{\"_id\":{\"server\":\"S0\",\"user\":\"U\"},\"roles\":[\"r1\"],"
	     "\"timeout\":\"2099-01-01T00:00:00.000Z\"}",
	     "U", TEXT(",\"default_permissions\":{\"a\":4194304,\"d\":0}"), PERM_VIEW_ONLY},
	    {"channel of another server", MEMBER("[]"), "U",
	     "{\"channel_type\":\"TextChannel\",\"server\":\"S1\"}", 0},
	    {"not a server channel", MEMBER("[]"), "U",
	     "{\"channel_type\":\"Group\",\"owner\":\"U\",\"recipients\":[\"U\"]}", 0},
	    {"no channel type", MEMBER("[]"), "U", "{}", 0},
	};
	json_t *server = js(server_json);
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *member = cases[i].member ? js(cases[i].member) : NULL;
		json_t *channel = js(cases[i].channel);
		uint64_t got = perm_channel_json(server, member, channel, cases[i].user, NOW_MS);

		if (got != cases[i].want)
			fail_msg("%s: got %llu want %llu", cases[i].what, (unsigned long long)got,
			         (unsigned long long)cases[i].want);
		json_decref(member);
		json_decref(channel);
	}
	json_decref(server);
}

static void test_channel_json_hostile(void **state)
{
	static const char *const servers[] = {
	    "{}",
	    "[]",
	    "{\"roles\":[]}",
	    "{\"roles\":{\"r1\":5},\"default_permissions\":\"x\"}",
	    "{\"owner\":7,\"roles\":{\"r1\":{\"rank\":\"a\",\"permissions\":{\"a\":1,\"d\":0}}},"
	    "\"default_permissions\":1048576}",
	};
	static const char *const members[] = {
	    "{}",
	    "{\"roles\":{}}",
	    "{\"roles\":[null,\"r1\",\"r1\"]}",
	    "[]",
	    "{\"roles\":[\"r1\"],\"timeout\":[]}",
	};
	json_t *channel = js(TEXT(",\"role_permissions\":{\"r1\":{\"a\":2,\"d\":0}}"));
	(void)state;
	for (size_t i = 0; i < N_ELEMS(servers); i++) {
		json_t *s = js(servers[i]);

		for (size_t j = 0; j < N_ELEMS(members); j++) {
			json_t *m = js(members[j]);

			(void)perm_channel_json(s, m, channel, "U", NOW_MS);
			(void)perm_channel_json(s, m, channel, NULL, NOW_MS);
			json_decref(m);
		}
		json_decref(s);
	}
	assert_int_equal(perm_channel_json(NULL, NULL, NULL, NULL, 0), 0);
	/* the last server: rank "a" counts as 0; member with r1 sees ManageServer */
	{
		json_t *s = js(servers[4]);
		json_t *m = js("{\"roles\":[\"r1\"]}");

		assert_int_equal(perm_channel_json(s, m, channel, "U", NOW_MS),
		                 PERM_VIEW_CHANNEL | PERM_MANAGE_CHANNEL | PERM_MANAGE_SERVER);
		json_decref(m);
		json_decref(s);
	}
	json_decref(channel);
}

static void test_many_roles(void **state)
{
	/* more roles than PERM_ROLES_MAX: only the first PERM_ROLES_MAX count */
	json_t *server =
	    json_pack("{s:s, s:s, s:I, s:o}", "_id", "S0", "owner", "X", "default_permissions",
	              (json_int_t)PERM_VIEW_CHANNEL, "roles", json_object());
	json_t *sroles = json_object_get(server, "roles");
	json_t *mroles = json_array();
	json_t *member = json_pack("{s:o}", "roles", mroles);
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_server_input in;
	(void)state;

	for (int i = 0; i < PERM_ROLES_MAX + 10; i++) {
		char id[16];

		snprintf(id, sizeof(id), "r%d", i);
		json_object_set_new(sroles, id,
		                    json_pack("{s:I, s:{s:I, s:I}}", "rank", (json_int_t)i,
		                              "permissions", "a",
		                              (json_int_t)(i == PERM_ROLES_MAX ? PERM_REACT : 0),
		                              "d", (json_int_t)0));
		json_array_append_new(mroles, json_string(id));
	}
	perm_server_input_from_json(server, member, "U", NOW_MS, roles, &in);
	assert_int_equal(in.n_roles, PERM_ROLES_MAX);
	assert_int_equal(perm_server_calc(&in), PERM_VIEW_CHANNEL);
	json_decref(member);
	json_decref(server);
}

struct pj_case {
	const char *what;
	const char *channel;
	const char *user;
	bool privileged;
	uint32_t uperms;
	uint64_t want;
};

static void test_private_channel_json(void **state)
{
	static const struct pj_case cases[] = {
	    {"saved, owner", "{\"channel_type\":\"SavedMessages\",\"user\":\"U\"}", "U", false, 0,
	     PERM_GRANT_ALL_SAFE},
	    {"saved, other", "{\"channel_type\":\"SavedMessages\",\"user\":\"U\"}", "V", false, 0,
	     0},
	    {"saved, privileged", "{\"channel_type\":\"SavedMessages\",\"user\":\"U\"}", "V", true,
	     0, PERM_GRANT_ALL_SAFE},
	    {"dm, can send", "{\"channel_type\":\"DirectMessage\",\"recipients\":[\"U\",\"V\"]}",
	     "U", false, PERM_USER_ALL, PERM_DEFAULT_DIRECT_MESSAGE},
	    {"dm, cannot send", "{\"channel_type\":\"DirectMessage\",\"recipients\":[\"U\",\"V\"]}",
	     "V", false, AV, PERM_VIEW_ONLY},
	    {"dm, outsider", "{\"channel_type\":\"DirectMessage\",\"recipients\":[\"U\",\"V\"]}",
	     "W", false, PERM_USER_ALL, 0},
	    {"group, owner", "{\"channel_type\":\"Group\",\"owner\":\"U\",\"recipients\":[\"U\"]}",
	     "U", false, 0, PERM_GRANT_ALL_SAFE},
	    {"group, recipient default",
	     "{\"channel_type\":\"Group\",\"owner\":\"U\",\"recipients\":[\"U\",\"V\"]}", "V",
	     false, 0, PERM_VIEW_ONLY | PERM_DEFAULT_DIRECT_MESSAGE},
	    {"group, custom permissions",
	     "{\"channel_type\":\"Group\",\"owner\":\"U\",\"recipients\":[\"U\",\"V\"],"
	     "\"permissions\":4194304}",
	     "V", false, 0, PERM_VIEW_ONLY | PERM_SEND_MESSAGE},
	    {"group, outsider",
	     "{\"channel_type\":\"Group\",\"owner\":\"U\",\"recipients\":[\"U\"]}", "W", false, 0,
	     0},
	    {"server channel is not private", TEXT(""), "U", true, 0, 0},
	    {"garbage", "{\"channel_type\":5,\"recipients\":\"U\"}", "U", false, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *c = js(cases[i].channel);
		uint64_t got = perm_private_channel_json(c, cases[i].user, cases[i].privileged,
		                                         cases[i].uperms);

		if (got != cases[i].want)
			fail_msg("%s: got %llu want %llu", cases[i].what, (unsigned long long)got,
			         (unsigned long long)cases[i].want);
		json_decref(c);
	}
	assert_int_equal(perm_private_channel_json(NULL, NULL, false, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_constants_and_apply),
	    cmocka_unit_test(test_server_calc),
	    cmocka_unit_test(test_server_channel_calc),
	    cmocka_unit_test(test_private_channels),
	    cmocka_unit_test(test_user_calc),
	    cmocka_unit_test(test_relationship_names),
	    cmocka_unit_test(test_ranking),
	    cmocka_unit_test(test_require),
	    cmocka_unit_test(test_require_user),
	    cmocka_unit_test(test_check_grant),
	    cmocka_unit_test(test_override_parse),
	    cmocka_unit_test(test_member_timeout),
	    cmocka_unit_test(test_server_input_from_json),
	    cmocka_unit_test(test_channel_json),
	    cmocka_unit_test(test_channel_json_hostile),
	    cmocka_unit_test(test_many_roles),
	    cmocka_unit_test(test_private_channel_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
