/*
 * perms/perms_json.c: adapters from the stored Revolt records (server,
 * member, channel; REVOLT.md section 6) to the pure calculator in perms.c,
 * mirroring crates/core/database/src/util/permissions.rs.
 */
#include "perms/perms.h"

#include <string.h>

enum err perm_override_parse(const json_t *v, struct perm_override *out)
{
	const json_t *a, *d;
	bool stored;

	if (!json_is_object(v))
		return SE_PARSE;
	a = json_object_get(v, "a");
	d = json_object_get(v, "d");
	stored = a || d;
	if (!stored) {
		a = json_object_get(v, "allow");
		d = json_object_get(v, "deny");
	}
	if (!json_is_integer(a) || !json_is_integer(d))
		return SE_PARSE;
	/* stored OverrideField is i64 (cast as u64); requests carry u64 */
	if (!stored && (json_integer_value(a) < 0 || json_integer_value(d) < 0))
		return SE_PARSE;
	out->allow = (uint64_t)json_integer_value(a);
	out->deny = (uint64_t)json_integer_value(d);
	return SE_OK;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * RFC 3339 ("2025-09-23T12:00:00.000Z", any fraction, Z or +hh:mm) to ms.
 * -1 when malformed.
 */
static int parse_rfc3339(const char *s, size_t n, int64_t *out)
{
	int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
	size_t i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		size_t k = 0;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
			if (k < 3)
				ms = ms * 10 + (s[i] - '0');
		if (k == 0)
			return -1;
		for (; k < 3; k++)
			ms *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		sign = s[i] == '+' ? 1 : -1;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	        sign * (oh * 3600 + om * 60)) *
	           1000 +
	       ms;
	return 0;
}

/*
 * A member is timed out while `timeout` lies in the future. A timeout we
 * cannot read counts as in force: the restriction fails closed.
 */
static bool member_timed_out(const json_t *member, int64_t now_ms)
{
	const json_t *t = json_object_get(member, "timeout");
	int64_t at;

	if (!t || json_is_null(t))
		return false;
	if (json_is_integer(t))
		return json_integer_value(t) > now_ms;
	if (!json_is_string(t))
		return true;
	if (parse_rfc3339(json_string_value(t), json_string_length(t), &at))
		return true;
	return at > now_ms;
}

static int64_t role_rank(const json_t *role)
{
	const json_t *r = json_object_get(role, "rank");

	return json_is_integer(r) ? (int64_t)json_integer_value(r) : 0;
}

static bool seen_before(const json_t *arr, size_t i, const char *id)
{
	for (size_t j = 0; j < i; j++) {
		const char *o = json_string_value(json_array_get(arr, j));

		if (o && !strcmp(o, id))
			return true;
	}
	return false;
}

void perm_server_input_from_json(const json_t *server, const json_t *member, const char *user_id,
                                 int64_t now_ms, struct perm_role_override *roles,
                                 struct perm_server_input *in)
{
	const char *owner = json_string_value(json_object_get(server, "owner"));
	const json_t *dp = json_object_get(server, "default_permissions");
	const json_t *sroles = json_object_get(server, "roles");
	const json_t *mroles = json_object_get(member, "roles");
	size_t n = 0;

	memset(in, 0, sizeof(*in));
	in->owner = owner && user_id && !strcmp(owner, user_id);
	in->member = json_is_object(member);
	in->timed_out = in->member && member_timed_out(member, now_ms);
	if (json_is_integer(dp))
		in->default_permissions = (uint64_t)json_integer_value(dp);
	in->roles = roles;
	if (!in->member || !json_is_object(sroles) || !json_is_array(mroles) || !roles)
		return;
	for (size_t i = 0; i < json_array_size(mroles) && n < PERM_ROLES_MAX; i++) {
		const char *id = json_string_value(json_array_get(mroles, i));
		const json_t *role;

		if (!id || seen_before(mroles, i, id))
			continue;
		role = json_object_get(sroles, id);
		if (!json_is_object(role))
			continue; /* deleted role */
		roles[n].rank = role_rank(role);
		/* a malformed override is neutral, the role still ranks */
		if (perm_override_parse(json_object_get(role, "permissions"), &roles[n].o))
			roles[n].o = (struct perm_override){0, 0};
		n++;
	}
	in->n_roles = n;
}

static bool is_server_channel(const json_t *channel)
{
	const char *t = json_string_value(json_object_get(channel, "channel_type"));

	return t && (!strcmp(t, "TextChannel") || !strcmp(t, "VoiceChannel"));
}

uint64_t perm_channel_json(const json_t *server, const json_t *member, const json_t *channel,
                           const char *user_id, int64_t now_ms)
{
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_role_override croles[PERM_ROLES_MAX];
	struct perm_server_input in;
	struct perm_override def, *defp = NULL;
	const json_t *sroles = json_object_get(server, "roles");
	const json_t *rp = json_object_get(channel, "role_permissions");
	const json_t *mroles = json_object_get(member, "roles");
	const char *sid = json_string_value(json_object_get(server, "_id"));
	const char *csid = json_string_value(json_object_get(channel, "server"));
	size_t n = 0;

	if (!json_is_object(server) || !is_server_channel(channel))
		return 0;
	if (sid && csid && strcmp(sid, csid))
		return 0;
	perm_server_input_from_json(server, member, user_id, now_ms, roles, &in);
	if (!perm_override_parse(json_object_get(channel, "default_permissions"), &def))
		defp = &def;
	if (json_is_object(rp) && json_is_array(mroles) && json_is_object(sroles)) {
		for (size_t i = 0; i < json_array_size(mroles) && n < PERM_ROLES_MAX; i++) {
			const char *id = json_string_value(json_array_get(mroles, i));
			const json_t *role;

			if (!id || seen_before(mroles, i, id))
				continue;
			role = json_object_get(sroles, id);
			if (!json_is_object(role))
				continue;
			if (perm_override_parse(json_object_get(rp, id), &croles[n].o))
				continue; /* absent or malformed: no override */
			croles[n].rank = role_rank(role);
			n++;
		}
	}
	return perm_server_channel_calc(&in, defp, croles, n);
}

static bool in_recipients(const json_t *channel, const char *user_id)
{
	const json_t *r = json_object_get(channel, "recipients");

	for (size_t i = 0; user_id && i < json_array_size(r); i++) {
		const char *id = json_string_value(json_array_get(r, i));

		if (id && !strcmp(id, user_id))
			return true;
	}
	return false;
}

static bool field_is(const json_t *obj, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v && want && !strcmp(v, want);
}

uint64_t perm_private_channel_json(const json_t *channel, const char *user_id, bool privileged,
                                   uint32_t user_perms_to_other)
{
	const char *t = json_string_value(json_object_get(channel, "channel_type"));
	const json_t *gp;

	if (!t)
		return 0;
	if (!strcmp(t, "SavedMessages"))
		return perm_saved_calc(privileged, field_is(channel, "user", user_id));
	if (!strcmp(t, "DirectMessage"))
		return perm_dm_calc(privileged, in_recipients(channel, user_id),
		                    user_perms_to_other);
	if (!strcmp(t, "Group")) {
		gp = json_object_get(channel, "permissions");
		return perm_group_calc(privileged, field_is(channel, "owner", user_id),
		                       in_recipients(channel, user_id), json_is_integer(gp),
		                       json_is_integer(gp) ? (uint64_t)json_integer_value(gp) : 0);
	}
	return 0;
}
