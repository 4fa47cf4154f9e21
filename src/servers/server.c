/*
 * servers/server.c: servers, members, bans and invites collections.
 */
#include "servers/server.h"
#include "storage/record.h"

#include <stdio.h>
#include <string.h>

enum err server_member_key(struct str server_id, struct str user_id, char out[64], size_t *len)
{
	int n;

	if (server_id.n == 0 || user_id.n == 0 || server_id.n > 31 || user_id.n > 31)
		return SE_INVAL;
	n = snprintf(out, 64, "%.*s/%.*s", (int)server_id.n, server_id.p, (int)user_id.n,
	             user_id.p);
	*len = (size_t)n;
	return SE_OK;
}

static json_t *parse(struct str rec)
{
	return json_loadb(rec.p, rec.n, 0, NULL);
}

/* Key "<a>/<b>" from two string fields (a nested "_id" object or top level). */
static enum err pair(struct str rec, const char *obj, const char *fa, const char *fb,
                     struct store_keys *out, struct str b_default)
{
	json_t *o = parse(rec);
	const json_t *base;
	const char *a, *b;
	char key[64];
	size_t n;
	enum err rc = SE_OK;

	if (!o)
		return SE_PARSE;
	base = obj ? json_object_get(o, obj) : o;
	a = json_string_value(json_object_get(base, fa));
	b = fb ? json_string_value(json_object_get(base, fb)) : NULL;
	if (a && (b || b_default.p) &&
	    !server_member_key(str_from(a), b ? str_from(b) : b_default, key, &n))
		rc = store_keys_add(out, (struct str){key, n});
	json_decref(o);
	return rc;
}

static enum err x_member_server(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return pair(rec, "_id", "server", "user", out, STR_NULL);
}

static enum err x_member_user(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return pair(rec, "_id", "user", "server", out, STR_NULL);
}

static enum err x_invite_server(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)arg;
	return pair(rec, NULL, "server", NULL, out, id);
}

static enum err x_invite_channel(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)arg;
	return pair(rec, NULL, "channel", NULL, out, id);
}

const struct store_index_def server_member_idx[2] = {
    {MEMBER_IDX_SERVER, false, x_member_server, NULL},
    {MEMBER_IDX_USER, false, x_member_user, NULL},
};

const struct store_index_def server_ban_idx[1] = {
    {BAN_IDX_SERVER, false, x_member_server, NULL},
};

const struct store_index_def server_invite_idx[2] = {
    {INVITE_IDX_SERVER, false, x_invite_server, NULL},
    {INVITE_IDX_CHANNEL, false, x_invite_channel, NULL},
};

static enum err load(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	if (id.n == 0 || id.n > 64)
		return SE_NOT_FOUND;
	return store_get_json(txn, coll, id, out);
}

enum err server_load(struct store_txn *txn, struct str id, json_t **out)
{
	return load(txn, SERVER_COLL, id, out);
}

enum err server_member_load(struct store_txn *txn, struct str server_id, struct str user_id,
                            json_t **out)
{
	char key[64];
	size_t n;

	if (server_member_key(server_id, user_id, key, &n))
		return SE_NOT_FOUND;
	return load(txn, MEMBER_COLL, (struct str){key, n}, out);
}
