/*
 * users/access.c: mutual connections and user permissions (backend
 * crates/core/database/src/models/users/ops/mongodb.rs fetch_mutual_*,
 * util/permissions.rs DatabasePermissionQuery for users).
 */
#include "users/access.h"

#include <stdio.h>
#include <string.h>

#include "channels/channel.h"
#include "perms/perms.h"
#include "servers/server.h"
#include "users/user.h"

/* Called with the part of an index key after "<user>/"; false stops the scan. */
typedef enum err scan_fn(struct str rest, void *arg, bool *more);

/* Every key of `index` starting with "<user>/", in pages, at most USER_SCAN_MAX. */
static enum err scan_user(struct store_txn *txn, const char *coll, const char *index,
                          struct str user, scan_fn *fn, void *arg)
{
	char prefix[STORE_ID_MAX + 2], after[STORE_KEY_MAX];
	struct store_hit hits[USER_SCAN_PAGE];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_ASC};
	size_t seen = 0, n;
	bool more = true;
	enum err rc;

	if (user.n == 0 || user.n >= STORE_ID_MAX)
		return SE_OK;
	snprintf(prefix, sizeof(prefix), "%.*s/", (int)user.n, user.p);
	r.prefix = str_from(prefix);
	while (more && seen < USER_SCAN_MAX) {
		rc = store_index_scan(txn, coll, index, &r, hits, USER_SCAN_PAGE, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n && more; i++) {
			struct str rest = {hits[i].key.p + r.prefix.n, hits[i].key.n - r.prefix.n};

			rc = fn(rest, arg, &more);
			if (rc)
				return rc;
		}
		seen += n;
		if (n < USER_SCAN_PAGE)
			break;
		/* the next page starts after the last key of this one */
		memcpy(after, hits[n - 1].key.p + r.prefix.n, hits[n - 1].key.n - r.prefix.n);
		r.after = (struct str){after, hits[n - 1].key.n - r.prefix.n};
	}
	return SE_OK;
}

struct mutual_arg {
	struct store_txn *txn;
	struct str other;
	size_t cap;
	json_t *out; /* NULL: only find out whether one exists */
	bool found;
};

static enum err add_id(struct mutual_arg *m, struct str id, bool *more)
{
	m->found = true;
	if (!m->out) {
		*more = false;
		return SE_OK;
	}
	if (json_array_append_new(m->out, json_stringn(id.p, id.n)))
		return SE_NOMEM;
	*more = json_array_size(m->out) < m->cap;
	return SE_OK;
}

static enum err server_hit(struct str server, void *arg, bool *more)
{
	struct mutual_arg *m = arg;
	char key[64];
	size_t len;
	struct str rec;
	enum err rc;

	if (server_member_key(server, m->other, key, &len))
		return SE_OK;
	rc = store_get(m->txn, MEMBER_COLL, (struct str){key, len}, &rec);
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	return rc ? rc : add_id(m, server, more);
}

static enum err channel_hit(struct str channel, void *arg, bool *more)
{
	struct mutual_arg *m = arg;
	char key[STORE_KEY_MAX];
	struct str id;
	size_t n = 0;
	enum err rc;

	if (m->other.n + channel.n + 2 > sizeof(key))
		return SE_OK;
	snprintf(key, sizeof(key), "%.*s/%.*s", (int)m->other.n, m->other.p, (int)channel.n,
	         channel.p);
	rc = store_index_find(m->txn, CHANNEL_COLL, CHANNEL_IDX_MEMBER, str_from(key), &id, 1, &n,
	                      NULL);
	if (rc || n == 0)
		return rc;
	return add_id(m, channel, more);
}

enum err user_mutual_servers(struct store_txn *txn, struct str a, struct str b, size_t cap,
                             json_t *out)
{
	struct mutual_arg m = {txn, b, cap, out, false};

	return cap ? scan_user(txn, MEMBER_COLL, MEMBER_IDX_USER, a, server_hit, &m) : SE_OK;
}

enum err user_mutual_channels(struct store_txn *txn, struct str a, struct str b, size_t cap,
                              json_t *out)
{
	struct mutual_arg m = {txn, b, cap, out, false};

	return cap ? scan_user(txn, CHANNEL_COLL, CHANNEL_IDX_MEMBER, a, channel_hit, &m) : SE_OK;
}

json_t *user_mutual_friends(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(json_object_get(a, "relations"), i, r)
	{
		const char *id = json_string_value(json_object_get(r, "_id"));
		const char *st = json_string_value(json_object_get(r, "status"));

		if (!out || i >= USER_RELATIONS_MAX)
			break;
		if (id && st && strcmp(st, "Friend") == 0 &&
		    user_relation(b, id) == PERM_REL_FRIEND &&
		    json_array_append_new(out, json_string(id))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

enum err user_has_mutual(struct store_txn *txn, struct str a, struct str b, bool *out)
{
	struct mutual_arg m = {txn, b, 1, NULL, false};
	enum err rc = scan_user(txn, MEMBER_COLL, MEMBER_IDX_USER, a, server_hit, &m);

	if (!rc && !m.found)
		rc = scan_user(txn, CHANNEL_COLL, CHANNEL_IDX_MEMBER, a, channel_hit, &m);
	if (rc)
		return rc;
	*out = m.found;
	return SE_OK;
}

struct list_arg {
	size_t cap;
	json_t *out;
};

static enum err list_hit(struct str id, void *arg, bool *more)
{
	struct list_arg *l = arg;

	if (json_array_append_new(l->out, json_stringn(id.p, id.n)))
		return SE_NOMEM;
	*more = json_array_size(l->out) < l->cap;
	return SE_OK;
}

enum err user_server_ids(struct store_txn *txn, struct str user, size_t cap, json_t *out)
{
	struct list_arg l = {cap, out};

	return cap ? scan_user(txn, MEMBER_COLL, MEMBER_IDX_USER, user, list_hit, &l) : SE_OK;
}

enum err user_private_channel_ids(struct store_txn *txn, struct str user, size_t cap, json_t *out)
{
	struct list_arg l = {cap, out};

	return cap ? scan_user(txn, CHANNEL_COLL, CHANNEL_IDX_MEMBER, user, list_hit, &l) : SE_OK;
}

static struct perm_user_input perm_input(const json_t *viewer, const json_t *target, bool mutual)
{
	const char *vid = user_id_of(viewer), *tid = user_id_of(target);
	const char *owner = user_bot_owner(target);
	struct perm_user_input in = {user_is_privileged(viewer), strcmp(vid, tid) == 0,
	                             user_relation(viewer, tid), mutual,
	                             user_is_bot(target),        user_is_bot(viewer)};

	/* Revolt treats a bot's owner as the bot itself for the relationship */
	if (owner && strcmp(owner, vid) == 0)
		in.rel = PERM_REL_USER;
	return in;
}

uint32_t user_perms_known(const json_t *viewer, const json_t *target, bool mutual)
{
	struct perm_user_input in = perm_input(viewer, target, mutual);

	return perm_user_calc(&in);
}

enum err user_perms(struct store_txn *txn, const json_t *viewer, const json_t *target,
                    uint32_t *out)
{
	struct perm_user_input in = perm_input(viewer, target, false);
	enum err rc;

	if (!in.privileged && !in.same && in.rel != PERM_REL_FRIEND && in.rel != PERM_REL_BLOCKED &&
	    in.rel != PERM_REL_BLOCKED_OTHER) {
		rc = user_has_mutual(txn, str_from(user_id_of(viewer)),
		                     str_from(user_id_of(target)), &in.mutual);
		if (rc)
			return rc;
	}
	*out = perm_user_calc(&in);
	return SE_OK;
}
