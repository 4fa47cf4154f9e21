/*
 * federation/prefs.c: the "solstice:federation" settings-sync value
 * (federation/prefs.h). The settings record is {"<key>": [revision,
 * "<json text>"], ...} (channels/sync.h); most users never set our key, so
 * a record without its bytes answers the default without any JSON work.
 */
#include "federation/prefs.h"

#include <string.h>

#include "channels/sync.h"
#include "core/jx.h"

enum err fprefs_parse(struct str text, struct fprefs *out, struct err_info *ei)
{
	json_t *doc = NULL, *v;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if (text.n > FPREFS_TEXT_MAX)
		return SE_RAISEF(ei, SE_PARSE, "%s: at most %d bytes", FPREFS_KEY, FPREFS_TEXT_MAX);
	rc = jx_parse_object(text, FPREFS_TEXT_MAX, &doc, NULL);
	if (rc == SE_NOMEM)
		return SE_RAISE(ei, rc);
	if (rc)
		return SE_RAISEF(ei, SE_PARSE, "%s must hold a JSON object", FPREFS_KEY);
	v = json_object_get(doc, "auto_accept_follows");
	if (v && !json_is_boolean(v))
		rc = SE_RAISEF(ei, SE_PARSE, "%s: auto_accept_follows must be true or false",
		               FPREFS_KEY);
	else if (v) {
		out->has_auto_accept = true;
		out->auto_accept = json_is_true(v);
	}
	json_decref(doc);
	return rc;
}

bool fprefs_auto_accept(struct store_txn *txn, struct str user, bool dflt)
{
	static const char tag[] = "\"" FPREFS_KEY "\"";
	struct str raw;
	struct fprefs p;
	json_t *rec = NULL, *text;
	bool res = dflt;

	if (store_get(txn, SYNC_SETTINGS_COLL, user, &raw) ||
	    !memmem(raw.p, raw.n, tag, sizeof(tag) - 1))
		return dflt;
	if (jx_parse_object(raw, SYNC_SETTINGS_BYTES_MAX, &rec, NULL))
		return dflt;
	/* the entry is [revision, "<json text>"] */
	text = json_array_get(json_object_get(rec, FPREFS_KEY), 1);
	if (json_is_string(text) &&
	    !fprefs_parse((struct str){json_string_value(text), json_string_length(text)}, &p,
	                  NULL) &&
	    p.has_auto_accept)
		res = p.auto_accept;
	json_decref(rec);
	return res;
}
