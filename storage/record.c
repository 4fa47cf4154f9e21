/*
 * storage/record.c: loading a JSON record (storage/record.h).
 */
#include "storage/record.h"

enum err store_get_json(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	struct str rec;
	json_t *o;
	enum err rc = store_get(txn, coll, id, &rec);

	if (rc)
		return rc;
	o = json_loadb(rec.p, rec.n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return SE_PARSE;
	}
	*out = o;
	return SE_OK;
}
