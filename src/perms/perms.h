/*
 * perms/perms.h: the one permission calculator (REVOLT.md section 8,
 * revoltchat/backend crates/core/permissions).
 *
 * Owns: the bit values and names, server / channel / user permission
 * calculation, member ranking, the "cannot give missing permissions" rule,
 * and turning a missing bit into MissingPermission{permission}. Two layers:
 * pure functions over small structs (perm_server_calc, perm_channel_calc,
 * perm_user_calc), and adapters that read the stored Revolt JSON records
 * (server, member, channel) into those structs.
 * Does not own: loading records (callers pass them) or the clock (passed in).
 * Threads: pure; reentrant.
 */
#ifndef SOL_PERMS_PERMS_H
#define SOL_PERMS_PERMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Channel/server permission bits (u64; values as Revolt). */
enum perm_bit {
	PERM_MANAGE_CHANNEL = 1ull << 0,
	PERM_MANAGE_SERVER = 1ull << 1,
	PERM_MANAGE_PERMISSIONS = 1ull << 2,
	PERM_MANAGE_ROLE = 1ull << 3,
	PERM_MANAGE_CUSTOMISATION = 1ull << 4,
	PERM_KICK_MEMBERS = 1ull << 6,
	PERM_BAN_MEMBERS = 1ull << 7,
	PERM_TIMEOUT_MEMBERS = 1ull << 8,
	PERM_ASSIGN_ROLES = 1ull << 9,
	PERM_CHANGE_NICKNAME = 1ull << 10,
	PERM_MANAGE_NICKNAMES = 1ull << 11,
	PERM_CHANGE_AVATAR = 1ull << 12,
	PERM_REMOVE_AVATARS = 1ull << 13,
	PERM_VIEW_CHANNEL = 1ull << 20,
	PERM_READ_MESSAGE_HISTORY = 1ull << 21,
	PERM_SEND_MESSAGE = 1ull << 22,
	PERM_MANAGE_MESSAGES = 1ull << 23,
	PERM_MANAGE_WEBHOOKS = 1ull << 24,
	PERM_INVITE_OTHERS = 1ull << 25,
	PERM_SEND_EMBEDS = 1ull << 26,
	PERM_UPLOAD_FILES = 1ull << 27,
	PERM_MASQUERADE = 1ull << 28,
	PERM_REACT = 1ull << 29,
	PERM_CONNECT = 1ull << 30,
	PERM_SPEAK = 1ull << 31,
	PERM_VIDEO = 1ull << 32,
	PERM_MUTE_MEMBERS = 1ull << 33,
	PERM_DEAFEN_MEMBERS = 1ull << 34,
	PERM_MOVE_MEMBERS = 1ull << 35,
	PERM_MENTION_EVERYONE = 1ull << 37,
	PERM_MENTION_ROLES = 1ull << 38,
};

#define PERM_GRANT_ALL_SAFE 0x000FFFFFFFFFFFFFull
#define PERM_VIEW_ONLY (PERM_VIEW_CHANNEL | PERM_READ_MESSAGE_HISTORY)
#define PERM_ALLOW_IN_TIMEOUT PERM_VIEW_ONLY
#define PERM_DEFAULT 3463446528ull
#define PERM_DEFAULT_SERVER 4000322560ull
#define PERM_DEFAULT_DIRECT_MESSAGE 4000317441ull
#define PERM_DEFAULT_SAVED_MESSAGES PERM_GRANT_ALL_SAFE
#define PERM_DEFAULT_WEBHOOK 876609536ull

/* User permission bits (viewer → target). */
enum perm_user_bit {
	PERM_USER_ACCESS = 1u << 0,
	PERM_USER_VIEW_PROFILE = 1u << 1,
	PERM_USER_SEND_MESSAGE = 1u << 2,
	PERM_USER_INVITE = 1u << 3,
};
#define PERM_USER_ALL 0xFFFFFFFFu

/* Revolt's name of a single channel bit ("SendMessage"); NULL if unknown. */
const char *perm_name(uint64_t bit);
/* Revolt's name of a single user bit ("Access"); NULL if unknown. */
const char *perm_user_name(uint32_t bit);

/* {allow, deny} as stored ("a","d") or requested ("allow","deny"). */
struct perm_override {
	uint64_t allow, deny;
};

/* apply: (p | allow) & ~deny */
uint64_t perm_apply(uint64_t p, struct perm_override o);

/* A role as it applies to one member: its rank and the override in play. */
struct perm_role_override {
	int64_t rank; /* lower = higher priority; applied largest first */
	struct perm_override o;
};

/* Maximum roles per member / overrides per channel the calculator takes. */
#define PERM_ROLES_MAX 256

struct perm_server_input {
	bool privileged; /* platform staff */
	bool owner;      /* server.owner == user */
	bool member;
	bool timed_out; /* member.timeout in the future */
	uint64_t default_permissions;
	const struct perm_role_override *roles; /* the member's roles (server overrides) */
	size_t n_roles;
};

/* Server-level permissions (section 8 rule 1). */
uint64_t perm_server_calc(const struct perm_server_input *in);

/*
 * Server channel (Text/Voice): server value, then the channel's default
 * override, then its role overrides for the member's roles (rank order),
 * then the timeout restriction; 0 without ViewChannel (rule 2).
 */
uint64_t perm_server_channel_calc(const struct perm_server_input *server,
                                  const struct perm_override *channel_default /* may be NULL */,
                                  const struct perm_role_override *channel_roles, size_t n);

/* Group: owner → all; recipient → VIEW_ONLY | (permissions or DEFAULT_DIRECT_MESSAGE). */
uint64_t perm_group_calc(bool privileged, bool owner, bool recipient, bool has_permissions,
                         uint64_t group_permissions);
/* DM: recipient → DEFAULT_DIRECT_MESSAGE if user perms toward the other allow SendMessage, else
 * VIEW_ONLY. */
uint64_t perm_dm_calc(bool privileged, bool recipient, uint32_t user_perms_to_other);
/* Saved messages: owner → all. */
uint64_t perm_saved_calc(bool privileged, bool owner);

/* Relationship from the viewer's side (User = self). */
enum perm_relationship {
	PERM_REL_NONE,
	PERM_REL_USER,
	PERM_REL_FRIEND,
	PERM_REL_OUTGOING,
	PERM_REL_INCOMING,
	PERM_REL_BLOCKED,
	PERM_REL_BLOCKED_OTHER,
};
enum perm_relationship perm_relationship_parse(const char *s);
const char *perm_relationship_name(enum perm_relationship r);

struct perm_user_input {
	bool privileged;
	/*
	 * viewer == target (Revolt's are_the_users_same). A bot's owner is
	 * rel PERM_REL_USER toward the bot, which, as in Revolt, grants
	 * nothing by itself; set `same` for the owner only to deviate on purpose.
	 */
	bool same;
	enum perm_relationship rel;
	bool mutual; /* a shared server, group or DM */
	bool target_is_bot, viewer_is_bot;
};

/* User permissions (rule 6). */
uint32_t perm_user_calc(const struct perm_user_input *in);

/* A member's ranking: the smallest rank of their roles; INT64_MAX without roles; owner INT64_MIN.
 */
int64_t perm_ranking(bool owner, const struct perm_role_override *roles, size_t n);

/*
 * SE_OK when `have` holds every bit of `need`; else MissingPermission with
 * ei->permission set to the name of the lowest missing bit.
 */
enum err perm_require(uint64_t have, uint64_t need, struct err_info *ei)
    __attribute__((warn_unused_result));
/*
 * The same for user permission bits: MissingPermission naming the user bit
 * ("Access"), as Revolt's throw_if_lacking_user_permission does.
 */
enum err perm_require_user(uint32_t have, uint32_t need, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Changing an override from `old` to `new` may only add allows or remove
 * denies within `own` permissions: CannotGiveMissingPermissions otherwise.
 */
enum err perm_check_grant(uint64_t own, struct perm_override old, struct perm_override new_,
                          struct err_info *ei) __attribute__((warn_unused_result));

/* ---- adapters over stored Revolt JSON records ---- */

/* Parse {"a","d"} (stored) or {"allow","deny"} (requests). SE_PARSE when malformed. */
enum err perm_override_parse(const json_t *v, struct perm_override *out)
    __attribute__((warn_unused_result));

/*
 * Fill `in` for `user_id` (privileged left false: the caller sets it from
 * the user record) from a server record and that user's member record
 * (NULL when not a member), at `now_ms` (for the timeout). `roles` (cap
 * PERM_ROLES_MAX) receives the member's role overrides; roles that no longer
 * exist on the server are skipped.
 */
void perm_server_input_from_json(const json_t *server, const json_t *member, const char *user_id,
                                 int64_t now_ms, struct perm_role_override *roles,
                                 struct perm_server_input *in);

/*
 * Permissions of `user_id` in server channel `channel` (a stored TextChannel
 * or VoiceChannel record) of `server`, with `member` (NULL if none).
 */
uint64_t perm_channel_json(const json_t *server, const json_t *member, const json_t *channel,
                           const char *user_id, int64_t now_ms);

/*
 * Permissions of `user_id` in a SavedMessages, DirectMessage or Group record;
 * 0 for any other record. `user_perms_to_other` is perm_user_calc of the
 * viewer toward the DM's other recipient (ignored for other types).
 */
uint64_t perm_private_channel_json(const json_t *channel, const char *user_id, bool privileged,
                                   uint32_t user_perms_to_other);

#endif /* SOL_PERMS_PERMS_H */
