/*
 * messages/history.c: history pages off the "channel" index
 * ("<channel_id>/<message_id>"); no collection scans.
 */
#include "messages/history.h"

#include <string.h>

#include "messages/message.h"

/* Append up to `cap` messages of range `r` to `arr`. */
static enum err scan(struct store_txn *txn, const struct store_range *r, size_t cap, json_t *arr)
{
	struct store_hit hits[MSG_HISTORY_MAX + 1];
	size_t n = 0;
	enum err rc;

	if (cap == 0)
		return SE_OK;
	if (cap > MSG_HISTORY_MAX + 1)
		cap = MSG_HISTORY_MAX + 1;
	rc = store_index_scan(txn, MSG_COLL, MSG_IDX_CHANNEL, r, hits, cap, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *m = NULL;

		rc = msg_load(txn, hits[i].id, &m);
		if (rc == SE_NOT_FOUND) {
			rc = SE_OK;
			continue;
		}
		if (!rc && json_array_append_new(arr, m))
			rc = SE_NOMEM;
	}
	return rc;
}

/* True when message `id` exists in the channel of `prefix` ("<channel>/"). */
static bool in_channel(struct store_txn *txn, struct str prefix, struct str id)
{
	json_t *m = NULL;
	const json_t *ch;
	bool yes = false;

	if (msg_load(txn, id, &m))
		return false;
	ch = json_object_get(m, "channel");
	yes = json_string_length(ch) + 1 == prefix.n &&
	      memcmp(json_string_value(ch), prefix.p, prefix.n - 1) == 0;
	json_decref(m);
	return yes;
}

enum err msg_history(struct store_txn *txn, const struct msg_query *q, json_t **out)
{
	char prefix[STORE_KEY_MAX];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_DESC};
	json_t *arr = NULL;
	enum err rc = SE_OK;

	if (q->limit < 1 || q->limit > MSG_HISTORY_MAX || q->channel_id.n == 0 ||
	    q->channel_id.n > 64)
		return SE_INVAL;
	memcpy(prefix, q->channel_id.p, q->channel_id.n);
	prefix[q->channel_id.n] = '/';
	r.prefix = (struct str){prefix, q->channel_id.n + 1};
	arr = json_array();
	if (!arr)
		return SE_NOMEM;
	if (q->nearby.p) {
		size_t half = q->limit / 2 + 1;
		json_t *m = NULL;

		if (in_channel(txn, r.prefix, q->nearby) && !msg_load(txn, q->nearby, &m)) {
			if (json_array_append_new(arr, m))
				rc = SE_NOMEM;
			half--;
		}
		r.dir = STORE_ASC;
		r.after = q->nearby;
		if (!rc)
			rc = scan(txn, &r, half, arr);
		r.dir = STORE_DESC;
		r.after = STR_NULL;
		r.before = q->nearby;
		if (!rc)
			rc = scan(txn, &r, q->limit / 2 + 1, arr);
	} else {
		r.before = q->before;
		r.after = q->after;
		r.dir = q->oldest ? STORE_ASC : STORE_DESC;
		rc = scan(txn, &r, q->limit, arr);
	}
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return SE_OK;
}
