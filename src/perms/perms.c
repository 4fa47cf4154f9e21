/*
 * perms/perms.c: the pure permission calculator, following
 * revoltchat/backend crates/core/permissions (impl.rs, models/mod.rs) and
 * REVOLT.md section 8. The JSON adapters live in perms_json.c.
 */
#include "perms/perms.h"

#include <string.h>

struct perm_bit_name {
	uint64_t bit;
	const char *name;
};

/* Revolt's ChannelPermission variant names (Display = Debug = the variant). */
static const struct perm_bit_name bit_names[] = {
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
};

static const struct perm_bit_name user_bit_names[] = {
    {PERM_USER_ACCESS, "Access"},
    {PERM_USER_VIEW_PROFILE, "ViewProfile"},
    {PERM_USER_SEND_MESSAGE, "SendMessage"},
    {PERM_USER_INVITE, "Invite"},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup(const struct perm_bit_name *t, size_t n, uint64_t bit)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	return NULL;
}

const char *perm_name(uint64_t bit)
{
	return lookup(bit_names, N_ELEMS(bit_names), bit);
}

const char *perm_user_name(uint32_t bit)
{
	return lookup(user_bit_names, N_ELEMS(user_bit_names), bit);
}

uint64_t perm_apply(uint64_t p, struct perm_override o)
{
	return (p | o.allow) & ~o.deny;
}

/*
 * Apply overrides largest rank first, so the smallest rank (the highest
 * role) is applied last and wins. Revolt sorts with a stable sort; equal
 * ranks keep the input order here. At most PERM_ROLES_MAX are taken.
 */
static uint64_t apply_ranked(uint64_t p, const struct perm_role_override *r, size_t n)
{
	uint16_t order[PERM_ROLES_MAX];

	if (!r)
		return p;
	if (n > PERM_ROLES_MAX)
		n = PERM_ROLES_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		while (j > 0 && r[order[j - 1]].rank < r[i].rank) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = (uint16_t)i;
	}
	for (size_t i = 0; i < n; i++)
		p = perm_apply(p, r[order[i]].o);
	return p;
}

uint64_t perm_server_calc(const struct perm_server_input *in)
{
	uint64_t p;

	if (in->privileged || in->owner)
		return PERM_GRANT_ALL_SAFE;
	if (!in->member)
		return 0;
	p = apply_ranked(in->default_permissions, in->roles, in->n_roles);
	if (in->timed_out)
		p &= PERM_ALLOW_IN_TIMEOUT;
	return p;
}

uint64_t perm_server_channel_calc(const struct perm_server_input *server,
                                  const struct perm_override *channel_default,
                                  const struct perm_role_override *channel_roles, size_t n)
{
	uint64_t p;

	if (server->privileged || server->owner)
		return PERM_GRANT_ALL_SAFE;
	if (!server->member)
		return 0;
	p = perm_server_calc(server);
	if (channel_default)
		p = perm_apply(p, *channel_default);
	p = apply_ranked(p, channel_roles, n);
	if (server->timed_out)
		p &= PERM_ALLOW_IN_TIMEOUT;
	if (!(p & PERM_VIEW_CHANNEL))
		p = 0;
	return p;
}

uint64_t perm_group_calc(bool privileged, bool owner, bool recipient, bool has_permissions,
                         uint64_t group_permissions)
{
	if (privileged || owner)
		return PERM_GRANT_ALL_SAFE;
	if (!recipient)
		return 0;
	return PERM_VIEW_ONLY | (has_permissions ? group_permissions : PERM_DEFAULT_DIRECT_MESSAGE);
}

uint64_t perm_dm_calc(bool privileged, bool recipient, uint32_t user_perms_to_other)
{
	if (privileged)
		return PERM_GRANT_ALL_SAFE;
	if (!recipient)
		return 0;
	if (user_perms_to_other & PERM_USER_SEND_MESSAGE)
		return PERM_DEFAULT_DIRECT_MESSAGE;
	return PERM_VIEW_ONLY;
}

uint64_t perm_saved_calc(bool privileged, bool owner)
{
	if (privileged || owner)
		return PERM_DEFAULT_SAVED_MESSAGES;
	return 0;
}

static const char *const rel_names[] = {
    [PERM_REL_NONE] = "None",
    [PERM_REL_USER] = "User",
    [PERM_REL_FRIEND] = "Friend",
    [PERM_REL_OUTGOING] = "Outgoing",
    [PERM_REL_INCOMING] = "Incoming",
    [PERM_REL_BLOCKED] = "Blocked",
    [PERM_REL_BLOCKED_OTHER] = "BlockedOther",
};

enum perm_relationship perm_relationship_parse(const char *s)
{
	if (!s)
		return PERM_REL_NONE;
	for (size_t i = 0; i < N_ELEMS(rel_names); i++)
		if (!strcmp(rel_names[i], s))
			return (enum perm_relationship)i;
	return PERM_REL_NONE;
}

const char *perm_relationship_name(enum perm_relationship r)
{
	if ((size_t)r >= N_ELEMS(rel_names))
		return "None";
	return rel_names[r];
}

uint32_t perm_user_calc(const struct perm_user_input *in)
{
	uint32_t p = 0;

	if (in->privileged || in->same)
		return PERM_USER_ALL;
	switch (in->rel) {
	case PERM_REL_FRIEND:
		return PERM_USER_ALL;
	case PERM_REL_BLOCKED:
	case PERM_REL_BLOCKED_OTHER:
		return PERM_USER_ACCESS;
	case PERM_REL_INCOMING:
	case PERM_REL_OUTGOING:
		p = PERM_USER_ACCESS;
		break;
	default:
		/* None and User (a bot's owner, as Revolt maps it) grant nothing here */
		break;
	}
	if (in->mutual) {
		p = PERM_USER_ACCESS | PERM_USER_VIEW_PROFILE;
		if (in->target_is_bot || in->viewer_is_bot)
			p |= PERM_USER_SEND_MESSAGE;
	}
	return p;
}

int64_t perm_ranking(bool owner, const struct perm_role_override *roles, size_t n)
{
	int64_t v = INT64_MAX;

	if (owner)
		return INT64_MIN;
	for (size_t i = 0; roles && i < n; i++)
		if (roles[i].rank < v)
			v = roles[i].rank;
	return v;
}

enum err perm_require(uint64_t have, uint64_t need, struct err_info *ei)
{
	uint64_t missing = need & ~have;
	const char *name = NULL;

	if (!missing)
		return SE_OK;
	/* lowest missing bit that has a name; unnamed (reserved) bits come last */
	for (uint64_t m = missing; m && !name; m &= m - 1)
		name = perm_name(m & (~m + 1));
	if (ei)
		ei->permission = name ? name : "GrantAllSafe";
	return SE_RAISE(ei, SE_MissingPermission);
}

enum err perm_require_user(uint32_t have, uint32_t need, struct err_info *ei)
{
	uint32_t missing = need & ~have;
	const char *name = NULL;

	if (!missing)
		return SE_OK;
	for (uint32_t m = missing; m && !name; m &= m - 1)
		name = perm_user_name(m & (~m + 1));
	if (ei)
		ei->permission = name ? name : "Access";
	/*
	 * Revolt's throw_if_lacking_user_permission raises MissingPermission
	 * with the user permission's name; MissingUserPermission is declared
	 * but never raised by the backend.
	 */
	return SE_RAISE(ei, SE_MissingPermission);
}

enum err perm_check_grant(uint64_t own, struct perm_override old, struct perm_override new_,
                          struct err_info *ei)
{
	/* allows added and denies removed must both lie within `own` */
	uint64_t added = ~old.allow & new_.allow;
	uint64_t undenied = old.deny & ~new_.deny;

	if ((own & added) != added || (own & undenied) != undenied)
		return SE_RAISE(ei, SE_CannotGiveMissingPermissions);
	return SE_OK;
}
