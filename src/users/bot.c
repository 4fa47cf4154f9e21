/*
 * users/bot.c: bot records, their owner links and the bot user's deletion
 * (revoltchat/backend crates/core/database/src/models/bots/model.rs).
 */
#include <stdio.h>
#include <string.h>

#include "auth/codes.h"
#include "auth/records.h"
#include "core/mem.h"
#include "servers/members.h"
#include "users/bot.h"
#include "users/user.h"

/* owner links a walk reads at most (the cap is BOT_MAX_DEFAULT) */
#define BOT_WALK_MAX (BOT_MAX_DEFAULT * 4)

/* the link's id "<owner>/<bot>" is its own index key */
static enum err x_owner(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)rec;
	(void)arg;
	return store_keys_add(out, id);
}

const struct store_index_def bot_owner_idx[1] = {
    {BOT_OWNER_IDX, true, x_owner, NULL},
};

size_t bot_max(struct str owner_id, int64_t now_ms)
{
	return user_is_new(owner_id, now_ms) ? BOT_MAX_NEW : BOT_MAX_DEFAULT;
}

json_t *bot_record_new(struct str id, struct str owner)
{
	char token[BOT_TOKEN_LEN + 1];
	json_t *b;

	codes_token_new(token, BOT_TOKEN_LEN);
	b = json_pack("{s:s%, s:s%, s:s, s:b}", "_id", id.p, id.n, "owner", owner.p, owner.n,
	              "token", token, "public", 0);
	memset(token, 0, sizeof(token));
	return b;
}

enum err bot_token_reset(json_t *bot)
{
	char token[BOT_TOKEN_LEN + 1];
	enum err rc;

	codes_token_new(token, BOT_TOKEN_LEN);
	rc = json_object_set_new(bot, "token", json_string(token)) ? SE_NOMEM : SE_OK;
	memset(token, 0, sizeof(token));
	return rc;
}

enum err bot_load(struct store_txn *txn, struct str id, json_t **out)
{
	return authrec_load(txn, AUTHREC_BOTS, id, out);
}

static enum err link_key(struct str owner, struct str bot, char out[80], size_t *n)
{
	int k;

	if (owner.n == 0 || owner.n > 31 || bot.n == 0 || bot.n > 31)
		return SE_INVAL;
	k = snprintf(out, 80, "%.*s/%.*s", (int)owner.n, owner.p, (int)bot.n, bot.p);
	*n = (size_t)k;
	return SE_OK;
}

enum err bot_save(struct store_wtxn *w, const json_t *bot, bool create)
{
	const char *id = json_string_value(json_object_get(bot, "_id"));
	const char *owner = json_string_value(json_object_get(bot, "owner"));
	char key[80];
	size_t n;
	enum err rc;

	if (!id || !owner)
		return SE_INVAL;
	rc = authrec_save(w, AUTHREC_BOTS, bot, create);
	if (rc || !create)
		return rc;
	rc = link_key(str_from(owner), str_from(id), key, &n);
	return rc ? rc : store_create(w, BOT_OWNER_COLL, (struct str){key, n}, STR_LIT("{}"));
}

enum err bot_drop(struct store_wtxn *w, struct str id, struct str owner)
{
	char key[80];
	size_t n;
	enum err rc = link_key(owner, id, key, &n);

	if (!rc)
		rc = store_delete(w, AUTHREC_BOTS, id);
	if (!rc)
		rc = store_delete(w, BOT_OWNER_COLL, (struct str){key, n});
	return rc;
}

enum err bot_count(struct store_txn *txn, struct str owner, size_t max, size_t *n)
{
	return member_count(txn, BOT_OWNER_COLL, BOT_OWNER_IDX, owner, max, n);
}

struct walk_arg {
	bot_each_fn *fn;
	void *arg;
};

static enum err walk_one(struct str link, void *arg)
{
	struct walk_arg *a = arg;
	const char *slash = memchr(link.p, '/', link.n);

	if (!slash)
		return SE_OK;
	return a->fn((struct str){slash + 1, link.n - (size_t)(slash + 1 - link.p)}, a->arg);
}

enum err bot_walk(struct store_txn *txn, struct str owner, bot_each_fn *fn, void *arg)
{
	struct walk_arg a = {fn, arg};
	enum err rc =
	    member_walk(txn, BOT_OWNER_COLL, BOT_OWNER_IDX, owner, BOT_WALK_MAX, walk_one, &a);

	return rc == SE_FULL ? SE_OK : rc;
}

enum err bot_user_mark_deleted(json_t *user)
{
	static const char *const removed[] = {"avatar", "status", "profile"};
	const char *id = user_id_of(user);
	char name[64];

	snprintf(name, sizeof(name), "Deleted User %s", id);
	for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++)
		json_object_del(user, removed[i]);
	if (json_object_set_new(user, "username", json_string(name)) ||
	    json_object_set_new(user, "flags", json_integer(2)))
		return SE_NOMEM;
	return SE_OK;
}

json_t *bot_public_view(const json_t *user)
{
	const json_t *avatar = json_object_get(user, "avatar");
	const json_t *profile = json_object_get(user, "profile");
	const char *av = json_is_object(avatar) ? json_string_value(json_object_get(avatar, "_id"))
	                                        : json_string_value(avatar);
	const char *desc = json_string_value(json_object_get(profile, "content"));
	const char *username = json_string_value(json_object_get(user, "username"));
	json_t *v =
	    json_pack("{s:s, s:s}", "_id", user_id_of(user), "username", username ? username : "");

	if (v && av && av[0])
		json_object_set_new(v, "avatar", json_string(av));
	if (v && desc && desc[0])
		json_object_set_new(v, "description", json_string(desc));
	return v;
}
