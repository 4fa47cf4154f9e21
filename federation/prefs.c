/*
 * federation/prefs.c: the "solstice:federation" settings-sync value
 * (federation/prefs.h). The settings record is {"<key>": [revision,
 * "<json text>"], ...} (channels/sync.h); only our entry is parsed, found
 * in the record's bytes (a whole record may be megabytes of client state).
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

/*
 * Where the value of our top-level entry starts (just after its ':'), or
 * NULL. Records without our name anywhere are answered by one memmem;
 * otherwise one pass over the bytes follows strings (with their escapes)
 * and nesting, so that only a key of the outer object counts, not a
 * mention inside a string or a nested object. The record is compact JSON
 * (jx_dump), which writes our key as plain bytes.
 */
static const char *entry_at(struct str rec)
{
	static const char key[] = FPREFS_KEY;
	const size_t kn = sizeof(key) - 1;
	const char *p = rec.p, *end = rec.p + rec.n;
	int depth = 0;

	if (!memmem(rec.p, rec.n, key, kn))
		return NULL;
	while (p < end) {
		const char *s;

		switch (*p) {
		case '"':
			s = ++p;
			while (p < end && *p != '"')
				p += *p == '\\' && end - p > 1 ? 2 : 1;
			if (p >= end)
				return NULL;
			if (depth == 1 && (size_t)(p - s) == kn && !memcmp(s, key, kn) &&
			    p + 1 < end && p[1] == ':')
				return p + 2;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		default:
			break;
		}
		p++;
	}
	return NULL;
}

bool fprefs_from_record(struct str rec, bool dflt)
{
	const char *at = rec.p ? entry_at(rec) : NULL;
	json_t *e =
	    at ? json_loadb(at, (size_t)(rec.p + rec.n - at), JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	const json_t *text = json_array_get(e, 1);
	struct fprefs p;
	bool res = dflt;

	if (json_is_string(text) &&
	    !fprefs_parse((struct str){json_string_value(text), json_string_length(text)}, &p,
	                  NULL) &&
	    p.has_auto_accept)
		res = p.auto_accept;
	json_decref(e);
	return res;
}

bool fprefs_auto_accept(struct store_txn *txn, struct str user, bool dflt)
{
	struct str raw;

	if (store_get(txn, SYNC_SETTINGS_COLL, user, &raw))
		return dflt;
	return fprefs_from_record(raw, dflt);
}
