/*
 * servers/emoji.c: emoji records and their server index.
 */
#include <stdio.h>
#include <string.h>

#include "servers/emoji.h"

#include "files/file.h"
#include "storage/record.h"

static enum err x_server(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
	const char *sid;
	char key[80];
	enum err rc = SE_OK;

	(void)arg;
	if (!o)
		return SE_PARSE;
	sid = json_string_value(json_object_get(json_object_get(o, "parent"), "id"));
	if (sid && strlen(sid) < 32 && id.n < 32) {
		int n = snprintf(key, sizeof(key), "%s/%.*s", sid, (int)id.n, id.p);

		rc = store_keys_add(out, (struct str){key, (size_t)n});
	}
	json_decref(o);
	return rc;
}

const struct store_index_def emoji_idx[1] = {
    {EMOJI_IDX_SERVER, true, x_server, NULL},
};

bool emoji_name_ok(struct str name)
{
	if (name.n == 0 || name.n > EMOJI_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.n; i++) {
		char c = name.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

enum err emoji_load(struct store_txn *txn, struct str id, json_t **out)
{
	if (id.n == 0 || id.n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	return store_get_json(txn, EMOJI_COLL, id, out);
}

enum err emoji_file_claim(struct store_wtxn *w, struct str file_id, struct str user_id,
                          bool *animated)
{
	json_t *rec = NULL, *view = NULL;
	const char *uploader, *type;
	bool mine, gif = false;
	enum err rc = file_load(store_wtxn_read(w), file_id, &rec);

	if (rc == SE_NOT_FOUND || rc == SE_PARSE)
		return SE_RAISEF(store_wtxn_ei(w), SE_UnknownAttachment, "no upload '%.*s'",
		                 (int)(file_id.n > 64 ? 64 : file_id.n), file_id.p);
	if (rc)
		return rc;
	/* File::use_emoji matches the uploader; the string dies with rec */
	uploader = json_string_value(json_object_get(rec, "uploader_id"));
	mine = uploader && str_eq_cstr(user_id, uploader);
	json_decref(rec);
	if (!mine)
		return SE_RAISEF(store_wtxn_ei(w), SE_UnknownAttachment,
		                 "upload '%.*s' is not yours",
		                 (int)(file_id.n > 64 ? 64 : file_id.n), file_id.p);
	rc = file_claim(w, file_id, "emojis", "Emoji", file_id, &view);
	if (rc)
		return rc;
	/* emoji_create.rs: animated = content_type == "image/gif" */
	type = json_string_value(json_object_get(view, "content_type"));
	gif = type && strcmp(type, "image/gif") == 0;
	json_decref(view);
	*animated = gif;
	return SE_OK;
}
