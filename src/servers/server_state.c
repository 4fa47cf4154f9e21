/*
 * servers/server_state.c: a server, the caller's membership and permissions
 * read in one transaction; record writes and field validation shared by
 * the server, role and permission routes (revoltchat/backend
 * crates/core/database/src/models/servers).
 */
#include "servers/server_state.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "channels/channel.h"
#include "core/jx.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"

static enum err load_obj(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	struct str rec;
	json_t *o;
	enum err rc;

	if (id.n == 0 || id.n > 64)
		return SE_NOT_FOUND;
	rc = store_get(txn, coll, id, &rec);
	if (rc)
		return rc;
	o = json_loadb(rec.p, rec.n, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return SE_PARSE;
	}
	*out = o;
	return SE_OK;
}

static void compute(struct server_state *s)
{
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_server_input in;

	memset(&in, 0, sizeof(in));
	perm_server_input_from_json(s->server, s->member, s->uid, s->now_ms, roles, &in);
	in.privileged = s->privileged;
	s->owner = in.owner;
	s->perms = perm_server_calc(&in);
	s->ranking = perm_ranking(in.owner, in.roles, in.n_roles);
}

enum err server_state_load(struct store_txn *txn, struct str server_id, const char *user_id,
                           int64_t now_ms, struct server_state *out)
{
	struct server_state s = SERVER_STATE_INIT;
	enum err rc;

	s.uid = user_id;
	s.now_ms = now_ms;
	rc = server_load(txn, server_id, &s.server);
	if (rc == SE_NOT_FOUND)
		rc = SE_NotFound;
	if (rc)
		goto out;
	rc = server_member_load(txn, server_id, str_from(user_id), &s.member);
	if (rc == SE_NOT_FOUND)
		rc = SE_OK;
	if (rc)
		goto out;
	rc = load_obj(txn, USER_COLL, str_from(user_id), &s.user);
	if (rc == SE_NOT_FOUND)
		rc = SE_OK;
	if (rc)
		goto out;
	s.privileged = json_is_true(json_object_get(s.user, "privileged"));
	compute(&s);
	*out = s;
	return SE_OK;
out:
	server_state_release(&s);
	return rc;
}

void server_state_release(struct server_state *s)
{
	json_decref(s->server);
	json_decref(s->member);
	json_decref(s->user);
	*s = (struct server_state)SERVER_STATE_INIT;
}

uint64_t server_state_channel_perms(const struct server_state *s, const json_t *channel)
{
	if (s->privileged)
		return PERM_GRANT_ALL_SAFE;
	return perm_channel_json(s->server, s->member, channel, s->uid, s->now_ms);
}

static bool has_recipient(const json_t *ch, const char *uid)
{
	const json_t *r = json_object_get(ch, "recipients");
	size_t i;
	json_t *v;

	json_array_foreach(r, i, v) if (json_is_string(v) &&
	                                strcmp(json_string_value(v), uid) == 0) return true;
	return false;
}

enum err server_channel_perms(struct store_txn *txn, const json_t *channel, const char *user_id,
                              int64_t now_ms, struct server_state *st, uint64_t *out)
{
	const char *owner = json_string_value(json_object_get(channel, "owner"));
	const char *sid = json_string_value(json_object_get(channel, "server"));
	const json_t *gp = json_object_get(channel, "permissions");
	json_t *user = NULL;
	bool priv;
	enum err rc;

	switch (channel_type_of(channel)) {
	case CHANNEL_TEXT:
	case CHANNEL_VOICE:
		if (!sid)
			return SE_PARSE;
		rc = server_state_load(txn, str_from(sid), user_id, now_ms, st);
		if (rc)
			return rc;
		*out = server_state_channel_perms(st, channel);
		return SE_OK;
	default:
		break;
	}
	rc = load_obj(txn, USER_COLL, str_from(user_id), &user);
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	priv = json_is_true(json_object_get(user, "privileged"));
	json_decref(user);
	switch (channel_type_of(channel)) {
	case CHANNEL_GROUP:
		*out = perm_group_calc(priv, owner && strcmp(owner, user_id) == 0,
		                       has_recipient(channel, user_id), json_is_integer(gp),
		                       (uint64_t)json_integer_value(gp));
		break;
	case CHANNEL_DM:
		*out = perm_dm_calc(priv, has_recipient(channel, user_id), PERM_USER_ALL);
		break;
	case CHANNEL_SAVED:
		owner = json_string_value(json_object_get(channel, "user"));
		*out = perm_saved_calc(priv, owner && strcmp(owner, user_id) == 0);
		break;
	default:
		*out = 0;
		break;
	}
	return SE_OK;
}

enum err server_rec_write(struct store_wtxn *w, const char *coll, struct str id, const json_t *rec,
                          bool create)
{
	char *text = jx_dump(rec);
	enum err rc;

	if (!text)
		return SE_NOMEM;
	rc = create ? store_create(w, coll, id, str_from(text))
	            : store_put(w, coll, id, str_from(text));
	mem_free(text);
	return rc;
}

enum err server_index_ids(struct store_txn *txn, const char *coll, const char *index,
                          struct str prefix, struct str after, char (*ids)[72], size_t cap,
                          size_t *n, char last[72])
{
	struct store_hit hits[64];
	struct store_range r = {prefix, after, STR_NULL, STORE_ASC};
	size_t got = 0, k = 0;
	enum err rc;

	if (cap > 64)
		cap = 64;
	rc = store_index_scan(txn, coll, index, &r, hits, cap, &got);
	if (rc)
		return rc;
	last[0] = '\0';
	for (size_t i = 0; i < got; i++) {
		size_t rest = hits[i].key.n - prefix.n;

		if (i + 1 == got && rest < 72) {
			memcpy(last, hits[i].key.p + prefix.n, rest);
			last[rest] = '\0';
		}
		if (hits[i].id.n >= 72)
			continue;
		memcpy(ids[k], hits[i].id.p, hits[i].id.n);
		ids[k][hits[i].id.n] = '\0';
		k++;
	}
	*n = k;
	return SE_OK;
}

size_t server_utf8_len(struct str s)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n; n++) {
		unsigned char c = (unsigned char)s.p[i];
		size_t len = c < 0x80         ? 1
		             : (c >> 5) == 6  ? 2
		             : (c >> 4) == 14 ? 3
		             : (c >> 3) == 30 ? 4
		                              : 0;

		if (len == 0 || i + len > s.n)
			return SIZE_MAX;
		for (size_t j = 1; j < len; j++)
			if (((unsigned char)s.p[i + j] >> 6) != 2)
				return SIZE_MAX;
		i += len;
	}
	return n;
}

/* RE_COLOUR of revoltchat/backend crates/core/models/src/v0/server_members.rs in POSIX ERE. */
#define C_VALUE "([a-z ]+|var\\(--[a-z0-9-]+\\)|rgba?\\([0-9, ]+\\)|#[a-f0-9]+)"
#define C_FIRST "([a-z ]+|var\\(--[a-z0-9-]+\\)|rgba?\\([0-9, ]+\\)|#[a-f0-9]+|[0-9]+deg)"
#define C_STOP "([ ]+([0-9]{1,3}%|0))?"
static const char colour_re[] =
    "^(" C_VALUE "|(repeating-)?(linear|conic|radial)-gradient\\(" C_FIRST C_STOP
    "(,[ ]*" C_VALUE C_STOP ")+\\))$";

bool server_colour_valid(struct str c)
{
	char text[512];
	regex_t re;
	bool ok;

	if (c.n == 0 || c.n >= sizeof(text) || memchr(c.p, '\0', c.n))
		return false;
	memcpy(text, c.p, c.n);
	text[c.n] = '\0';
	if (regcomp(&re, colour_re, REG_EXTENDED | REG_ICASE | REG_NOSUB))
		return false;
	ok = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

int64_t server_role_next_rank(const json_t *server)
{
	const json_t *roles = json_object_get(server, "roles");
	int64_t next = 0;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)roles, k, v)
	{
		int64_t r = json_integer_value(json_object_get(v, "rank"));

		(void)k;
		if (r >= next)
			next = r + 1;
	}
	return next;
}

enum err server_count_joined(struct store_txn *txn, const char *user_id, size_t cap, size_t *n)
{
	char prefix[40];
	struct store_hit hits[128];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	int len = snprintf(prefix, sizeof(prefix), "%s/", user_id);

	if (len < 2 || (size_t)len >= sizeof(prefix))
		return SE_INVAL;
	r.prefix = (struct str){prefix, (size_t)len};
	if (cap > 128)
		cap = 128;
	return store_index_scan(txn, MEMBER_COLL, MEMBER_IDX_USER, &r, hits, cap, n);
}
