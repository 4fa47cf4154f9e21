/*
 * channels/webhook.c: webhook records, their channel index and views
 * (revoltchat/backend crates/core/models/src/v0/channel_webhooks.rs).
 */
#include <stdio.h>
#include <string.h>

#include "auth/authn.h"
#include "auth/codes.h"
#include "channels/webhook.h"
#include "core/mem.h"
#include "perms/perms.h"
#include "servers/members.h"
#include "storage/record.h"

static enum err x_channel(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
	const char *ch;
	char key[80];
	enum err rc = SE_OK;

	(void)arg;
	if (!o)
		return SE_PARSE;
	ch = json_string_value(json_object_get(o, "channel_id"));
	if (ch && strlen(ch) < 32 && id.n < 32) {
		int n = snprintf(key, sizeof(key), "%s/%.*s", ch, (int)id.n, id.p);

		rc = store_keys_add(out, (struct str){key, (size_t)n});
	}
	json_decref(o);
	return rc;
}

const struct store_index_def webhook_idx[1] = {
    {WEBHOOK_IDX_CHANNEL, true, x_channel, NULL},
};

json_t *webhook_record_new(struct str id, struct str name, struct str creator, struct str channel)
{
	char token[WEBHOOK_TOKEN_LEN + 1];
	json_t *w;

	codes_token_new(token, WEBHOOK_TOKEN_LEN);
	w = json_pack("{s:s%, s:s%, s:s%, s:s%, s:I, s:s}", "id", id.p, id.n, "name", name.p,
	              name.n, "creator_id", creator.p, creator.n, "channel_id", channel.p,
	              channel.n, "permissions", (json_int_t)PERM_DEFAULT_WEBHOOK, "token", token);
	memset(token, 0, sizeof(token));
	return w;
}

enum err webhook_load(struct store_txn *txn, struct str id, json_t **out)
{
	if (id.n == 0 || id.n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	return store_get_json(txn, WEBHOOK_COLL, id, out);
}

enum err webhook_save(struct store_wtxn *w, const json_t *rec, bool create)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	char *text;
	enum err rc;

	if (!id)
		return SE_INVAL;
	text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return SE_NOMEM;
	rc = create ? store_create(w, WEBHOOK_COLL, str_from(id), str_from(text))
	            : store_update(w, WEBHOOK_COLL, str_from(id), str_from(text));
	mem_free(text);
	return rc;
}

bool webhook_token_ok(const json_t *rec, struct str token)
{
	const json_t *t = json_object_get(rec, "token");

	if (!json_is_string(t) || token.n != json_string_length(t))
		return false;
	return authn_token_eq((struct str){json_string_value(t), json_string_length(t)}, token);
}

json_t *webhook_view_event(const json_t *rec)
{
	json_t *v = json_deep_copy(rec);

	if (v && json_object_set_new(v, "token", json_null())) {
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *webhook_view_response(const json_t *rec)
{
	const json_t *av = json_object_get(rec, "avatar");
	const char *avatar = json_string_value(json_object_get(av, "_id"));

	return json_pack("{s:O, s:O, s:o, s:O, s:O}", "id", json_object_get(rec, "id"), "name",
	                 json_object_get(rec, "name"), "avatar",
	                 avatar ? json_string(avatar) : json_null(), "channel_id",
	                 json_object_get(rec, "channel_id"), "permissions",
	                 json_object_get(rec, "permissions"));
}

struct walk_arg {
	webhook_each_fn *fn;
	void *arg;
};

static enum err walk_one(struct str key, void *arg)
{
	struct walk_arg *a = arg;

	return a->fn(key, a->arg);
}

enum err webhook_walk(struct store_txn *txn, struct str channel, webhook_each_fn *fn, void *arg)
{
	struct walk_arg a = {fn, arg};

	return member_walk(txn, WEBHOOK_COLL, WEBHOOK_IDX_CHANNEL, channel, WEBHOOK_LIST_MAX,
	                   walk_one, &a);
}
