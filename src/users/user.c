/*
 * users/user.c: user records (users collection), the username#discriminator
 * index, relationships on a record and the User views (REVOLT.md section 6;
 * revoltchat/backend crates/core/database/src/util/bridge/v0.rs User::into*).
 */
#include "users/user.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/ulid.h"

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

enum err user_find_by_tag(struct store_txn *txn, struct str username, struct str discriminator,
                          char out[STORE_ID_MAX])
{
	char key[160];
	struct str id;
	size_t n = 0, len;
	enum err rc = user_tag_key(username, discriminator, key, &len);

	if (rc)
		return rc;
	rc = store_index_find(txn, USER_COLL, USER_IDX_TAG, (struct str){key, len}, &id, 1, &n,
	                      NULL);
	if (rc)
		return rc;
	if (n == 0 || id.n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	memcpy(out, id.p, id.n);
	out[id.n] = '\0';
	return SE_OK;
}

json_t *user_record_new(struct str id, struct str username, const char discriminator[5])
{
	return json_pack("{s:s%, s:s%, s:s}", "_id", id.p, id.n, "username", username.p, username.n,
	                 "discriminator", discriminator);
}

enum err user_load(struct store_txn *txn, struct str id, json_t **out)
{
	struct str rec;
	json_t *o;
	enum err rc;

	if (id.n == 0 || id.n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	rc = store_get(txn, USER_COLL, id, &rec);
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

enum err user_save(struct store_wtxn *w, const json_t *rec)
{
	const char *id = user_id_of(rec);
	char *text;
	enum err rc;

	if (!*id)
		return SE_INVAL;
	text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return SE_NOMEM;
	rc = store_update(w, USER_COLL, str_from(id), str_from(text));
	mem_free(text);
	return rc;
}

const char *user_id_of(const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "_id"));

	return id ? id : "";
}

bool user_is_bot(const json_t *rec)
{
	return json_is_object(json_object_get(rec, "bot"));
}

bool user_is_privileged(const json_t *rec)
{
	return json_is_true(json_object_get(rec, "privileged"));
}

const char *user_bot_owner(const json_t *rec)
{
	return json_string_value(json_object_get(json_object_get(rec, "bot"), "owner"));
}

bool user_is_new(struct str id, int64_t now_ms)
{
	struct ulid u;

	if (ulid_parse(id, &u, NULL))
		return false;
	return now_ms - (int64_t)ulid_time_ms(&u) <= (int64_t)USER_NEW_HOURS * 3600 * 1000;
}

size_t user_outgoing_max(struct str id, int64_t now_ms)
{
	return user_is_new(id, now_ms) ? USER_OUTGOING_NEW : USER_OUTGOING_DEFAULT;
}

enum perm_relationship user_relation(const json_t *rec, const char *other)
{
	const json_t *rels = json_object_get(rec, "relations"), *r;
	size_t i;

	if (!other)
		return PERM_REL_NONE;
	if (strcmp(user_id_of(rec), other) == 0)
		return PERM_REL_USER;
	json_array_foreach(rels, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "_id"));

		if (i >= USER_RELATIONS_MAX)
			break;
		if (id && strcmp(id, other) == 0)
			return perm_relationship_parse(
			    json_string_value(json_object_get(r, "status")));
	}
	return PERM_REL_NONE;
}

enum err user_relation_set(json_t *rec, const char *other, enum perm_relationship status)
{
	json_t *rels = json_object_get(rec, "relations"), *entry;
	size_t i = 0;

	if (rels && !json_is_array(rels))
		return SE_PARSE;
	while (rels && i < json_array_size(rels)) {
		const char *id = json_string_value(json_object_get(json_array_get(rels, i), "_id"));

		if (id && strcmp(id, other) == 0)
			json_array_remove(rels, i);
		else
			i++;
	}
	if (status == PERM_REL_NONE || status == PERM_REL_USER) {
		if (rels && json_array_size(rels) == 0)
			json_object_del(rec, "relations");
		return SE_OK;
	}
	if (!rels) {
		rels = json_array();
		if (!rels || json_object_set_new(rec, "relations", rels))
			return SE_NOMEM;
	}
	if (json_array_size(rels) >= USER_RELATIONS_MAX)
		return SE_FULL;
	entry = json_pack("{s:s, s:s}", "_id", other, "status", perm_relationship_name(status));
	if (!entry || json_array_append_new(rels, entry))
		return SE_NOMEM;
	return SE_OK;
}

size_t user_relation_count(const json_t *rec, enum perm_relationship status)
{
	const json_t *r;
	size_t i, n = 0;

	json_array_foreach(json_object_get(rec, "relations"), i, r)
	{
		if (i >= USER_RELATIONS_MAX)
			break;
		if (perm_relationship_parse(json_string_value(json_object_get(r, "status"))) ==
		    status)
			n++;
	}
	return n;
}

static bool is_invisible(const json_t *rec)
{
	const char *p =
	    json_string_value(json_object_get(json_object_get(rec, "status"), "presence"));

	return p && strcmp(p, "Invisible") == 0;
}

/* Copy rec[key] into v when present (and, for integers, non-zero). */
static int copy(json_t *v, const json_t *rec, const char *key)
{
	json_t *x = json_object_get(rec, key);

	if (!x || json_is_null(x) || (json_is_integer(x) && json_integer_value(x) == 0) ||
	    json_is_false(x))
		return 0;
	return json_object_set(v, key, x);
}

/* Revolt's UserStatus::into(discard_invisible = true): NULL when empty. */
static json_t *status_view(const json_t *rec)
{
	const json_t *s = json_object_get(rec, "status");
	const json_t *text = json_object_get(s, "text");
	const char *pres = json_string_value(json_object_get(s, "presence"));
	json_t *o;

	if (!json_is_object(s))
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	if (json_is_string(text))
		json_object_set(o, "text", (json_t *)text);
	if (pres && strcmp(pres, "Invisible") != 0)
		json_object_set_new(o, "presence", json_string(pres));
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *user_view(const json_t *rec, const struct user_view_opts *o)
{
	json_t *v = json_object(), *status = NULL;
	int bad = 0;

	if (!v)
		return NULL;
	bad |= copy(v, rec, "_id");
	bad |= copy(v, rec, "username");
	bad |= copy(v, rec, "discriminator");
	bad |= copy(v, rec, "display_name");
	bad |= copy(v, rec, "avatar");
	if (o->relations && json_array_size(json_object_get(rec, "relations")) > 0)
		bad |= copy(v, rec, "relations");
	bad |= copy(v, rec, "badges");
	if (o->see_profile)
		status = status_view(rec);
	if (status)
		bad |= json_object_set_new(v, "status", status);
	bad |= copy(v, rec, "flags");
	bad |= copy(v, rec, "privileged");
	bad |= copy(v, rec, "bot");
	bad |= json_object_set_new(v, "relationship", json_string(perm_relationship_name(o->rel)));
	bad |= json_object_set_new(v, "online",
	                           json_boolean(o->see_profile && o->online && !is_invisible(rec)));
	if (bad) {
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *user_view_self(const json_t *rec, bool online)
{
	struct user_view_opts o = {PERM_REL_USER, true, true, online};

	return user_view(rec, &o);
}

json_t *user_view_for(const json_t *target, const json_t *viewer, bool see_profile, bool online)
{
	struct user_view_opts o = {PERM_REL_NONE, false, see_profile, online};

	if (user_is_bot(target)) {
		o.see_profile = true;
	} else if (strcmp(user_id_of(target), user_id_of(viewer)) == 0) {
		o.rel = PERM_REL_USER;
		o.relations = true;
		o.see_profile = true;
	} else {
		o.rel = user_relation(viewer, user_id_of(target));
	}
	return user_view(target, &o);
}
