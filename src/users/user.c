/*
 * users/user.c: user records (users collection), the username#discriminator
 * index and the self view.
 */
#include "users/user.h"

#include <stdio.h>
#include <string.h>

static enum err tag_of(const json_t *o, char out[160], size_t *len)
{
	const json_t *u = json_object_get(o, "username"), *d = json_object_get(o, "discriminator");

	if (!json_is_string(u) || !json_is_string(d))
		return SE_NOT_FOUND;
	return user_tag_key((struct str){json_string_value(u), json_string_length(u)},
	                    (struct str){json_string_value(d), json_string_length(d)}, out, len);
}

/* ASCII case folding; usernames differing only in non-ASCII case stay distinct. */
enum err user_tag_key(struct str username, struct str discriminator, char out[160], size_t *len)
{
	size_t n = 0;

	if (username.n == 0 || username.n + discriminator.n + 2 > 160)
		return SE_INVAL;
	for (size_t i = 0; i < username.n; i++) {
		char c = username.p[i];

		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	out[n++] = '#';
	memcpy(out + n, discriminator.p, discriminator.n);
	n += discriminator.n;
	out[n] = '\0';
	*len = n;
	return SE_OK;
}

static enum err x_tag(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
	char key[160];
	size_t n;
	enum err rc;

	(void)id;
	(void)arg;
	if (!o)
		return SE_PARSE;
	rc = tag_of(o, key, &n);
	json_decref(o);
	if (rc == SE_NOT_FOUND)
		return SE_OK;
	if (rc)
		return rc;
	return store_keys_add(out, (struct str){key, n});
}

const struct store_index_def user_idx[1] = {
    {USER_IDX_TAG, true, x_tag, NULL},
};

bool user_tag_taken(struct store_txn *txn, struct str username, unsigned discriminator)
{
	char key[160], disc[8];
	struct str id;
	size_t n = 0, len;

	snprintf(disc, sizeof(disc), "%04u", discriminator % 10000);
	if (user_tag_key(username, str_from(disc), key, &len))
		return true;
	if (store_index_find(txn, USER_COLL, USER_IDX_TAG, (struct str){key, len}, &id, 1, &n,
	                     NULL))
		return true; /* an unreadable index counts as taken: never a duplicate */
	return n > 0;
}

json_t *user_record_new(struct str id, struct str username, const char discriminator[5])
{
	return json_pack("{s:s%, s:s%, s:s}", "_id", id.p, id.n, "username", username.p, username.n,
	                 "discriminator", discriminator);
}

json_t *user_view_self(const json_t *rec, bool online)
{
	json_t *v = json_deep_copy(rec);

	if (!v)
		return NULL;
	json_object_set_new(v, "relationship", json_string("User"));
	json_object_set_new(v, "online", json_boolean(online));
	return v;
}
