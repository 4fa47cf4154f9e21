/*
 * channels/channel.c: the channels collection, its indexes and loading.
 */
#include "channels/channel.h"
#include "storage/record.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
    [CHANNEL_UNKNOWN] = "",    [CHANNEL_SAVED] = "SavedMessages", [CHANNEL_DM] = "DirectMessage",
    [CHANNEL_GROUP] = "Group", [CHANNEL_TEXT] = "TextChannel",    [CHANNEL_VOICE] = "VoiceChannel",
};

enum channel_type channel_type_of(const json_t *ch)
{
	const char *t = json_string_value(json_object_get(ch, "channel_type"));

	for (int i = CHANNEL_SAVED; t && i <= CHANNEL_VOICE; i++)
		if (strcmp(t, type_names[i]) == 0)
			return (enum channel_type)i;
	return CHANNEL_UNKNOWN;
}

const char *channel_type_name(enum channel_type t)
{
	return (unsigned)t <= CHANNEL_VOICE ? type_names[t] : "";
}

static enum err add_pair(struct store_keys *out, const char *a, struct str b)
{
	char key[80];
	int n;

	if (!a || strlen(a) > 32 || b.n > 32)
		return SE_OK;
	n = snprintf(key, sizeof(key), "%s/%.*s", a, (int)b.n, b.p);
	return store_keys_add(out, (struct str){key, (size_t)n});
}

enum err channel_dm_key(struct str a, struct str b, char out[64], size_t *len)
{
	struct str lo = a, hi = b;
	int n;

	if (a.n == 0 || b.n == 0 || a.n > 31 || b.n > 31)
		return SE_INVAL;
	if (strncmp(a.p, b.p, a.n < b.n ? a.n : b.n) > 0 ||
	    (a.n > b.n && strncmp(a.p, b.p, b.n) == 0)) {
		lo = b;
		hi = a;
	}
	n = snprintf(out, 64, "%.*s/%.*s", (int)lo.n, lo.p, (int)hi.n, hi.p);
	*len = (size_t)n;
	return SE_OK;
}

static json_t *parse(struct str rec)
{
	return json_loadb(rec.p, rec.n, 0, NULL);
}

static enum err x_server(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *ch = parse(rec);
	enum err rc = SE_OK;
	enum channel_type t;

	(void)arg;
	if (!ch)
		return SE_PARSE;
	t = channel_type_of(ch);
	if (t == CHANNEL_TEXT || t == CHANNEL_VOICE)
		rc = add_pair(out, json_string_value(json_object_get(ch, "server")), id);
	json_decref(ch);
	return rc;
}

static enum err x_member(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *ch = parse(rec), *v;
	enum err rc = SE_OK;
	size_t i;

	(void)arg;
	if (!ch)
		return SE_PARSE;
	switch (channel_type_of(ch)) {
	case CHANNEL_SAVED:
		rc = add_pair(out, json_string_value(json_object_get(ch, "user")), id);
		break;
	case CHANNEL_DM:
	case CHANNEL_GROUP:
		json_array_foreach(json_object_get(ch, "recipients"), i, v)
		{
			rc = add_pair(out, json_string_value(v), id);
			if (rc)
				break;
		}
		break;
	default:
		break;
	}
	json_decref(ch);
	return rc;
}

static enum err x_dm(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *ch = parse(rec), *r;
	enum err rc = SE_OK;
	char key[64];
	size_t n;

	(void)id;
	(void)arg;
	if (!ch)
		return SE_PARSE;
	r = json_object_get(ch, "recipients");
	if (channel_type_of(ch) == CHANNEL_DM && json_array_size(r) == 2 &&
	    json_is_string(json_array_get(r, 0)) && json_is_string(json_array_get(r, 1)) &&
	    !channel_dm_key(str_from(json_string_value(json_array_get(r, 0))),
	                    str_from(json_string_value(json_array_get(r, 1))), key, &n))
		rc = store_keys_add(out, (struct str){key, n});
	json_decref(ch);
	return rc;
}

static enum err x_saved(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *ch = parse(rec);
	const char *user;
	enum err rc = SE_OK;

	(void)id;
	(void)arg;
	if (!ch)
		return SE_PARSE;
	user = json_string_value(json_object_get(ch, "user"));
	if (channel_type_of(ch) == CHANNEL_SAVED && user)
		rc = store_keys_add(out, str_from(user));
	json_decref(ch);
	return rc;
}

const struct store_index_def channel_idx[4] = {
    {CHANNEL_IDX_SERVER, false, x_server, NULL},
    {CHANNEL_IDX_MEMBER, false, x_member, NULL},
    {CHANNEL_IDX_DM, true, x_dm, NULL},
    {CHANNEL_IDX_SAVED, true, x_saved, NULL},
};

enum err channel_load(struct store_txn *txn, struct str id, json_t **out)
{
	if (id.n == 0 || id.n > 32)
		return SE_NOT_FOUND;
	return store_get_json(txn, CHANNEL_COLL, id, out);
}
