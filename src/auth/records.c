/*
 * auth/records.c: account, session, ticket and bot-token records and their
 * indexes (authifier's database layer, on the LMDB store).
 *
 * accounts  _id → {_id, email, email_normalised, password, disabled,
 *           verification{status, token?, expiry?, new_email?},
 *           password_reset?{token, expiry}, deletion?{status, token?, expiry?,
 *           after?}, lockout?{attempts, expiry?}, mfa{totp_token?{status,
 *           secret}, totp_last_step?, recovery_codes?}}
 *           indexes: email (unique, normalised), verify/reset/deletion
 *           tokens (unique)
 * sessions  _id → {_id, user_id, token_hash, name, last_seen, origin?}
 *           indexes: token (unique), user (user_id, many)
 * tickets   _id → {_id, account_id, token_hash, validated, authorised}
 *           index: token (unique)
 * bots      _id → {..., token} index: token (unique, by hash)
 */
#include "auth/records.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"
#include "core/jx.h"
#include "core/limits.h"
#include "core/mem.h"
#include "storage/record.h"

void authrec_token_hash(struct str token, char out[AUTHREC_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[32];

	cry_sha256(token.p ? token.p : "", token.n, h);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[AUTHREC_HASH_LEN] = '\0';
}

static json_t *parse(struct str rec)
{
	return json_loadb(rec.p, rec.n, JSON_REJECT_DUPLICATES, NULL);
}

/* Adds the string at `path` ("a" or "a.b") of the record as a key, if any. */
static enum err add_field(struct str rec, const char *outer, const char *inner,
                          struct store_keys *out)
{
	json_t *o = parse(rec);
	const json_t *v;
	enum err rc = SE_OK;

	if (!o)
		return SE_PARSE;
	v = json_object_get(o, outer);
	if (inner)
		v = json_object_get(v, inner);
	if (json_is_string(v) && json_string_length(v) > 0)
		rc = store_keys_add(out, (struct str){json_string_value(v), json_string_length(v)});
	json_decref(o);
	return rc;
}

static enum err x_email(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return add_field(rec, "email_normalised", NULL, out);
}

static enum err x_verify(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return add_field(rec, "verification", "token", out);
}

static enum err x_reset(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return add_field(rec, "password_reset", "token", out);
}

static enum err x_deletion(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return add_field(rec, "deletion", "token", out);
}

static enum err x_token_hash(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	(void)id;
	(void)arg;
	return add_field(rec, "token_hash", NULL, out);
}

/* sessions by user: "<user_id>/<session_id>" so one user's keys share a prefix */
static enum err x_user(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = parse(rec);
	const char *user;
	char key[80];
	enum err rc = SE_OK;

	(void)arg;
	if (!o)
		return SE_PARSE;
	user = json_string_value(json_object_get(o, "user_id"));
	if (user && strlen(user) < 32 && id.n < 32) {
		int n = snprintf(key, sizeof(key), "%s/%.*s", user, (int)id.n, id.p);

		rc = store_keys_add(out, (struct str){key, (size_t)n});
	}
	json_decref(o);
	return rc;
}

/* bots keep their token (owners read it back); the index holds its hash */
static enum err x_bot_token(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	json_t *o = parse(rec);
	const json_t *t;
	char h[AUTHREC_HASH_LEN + 1];
	enum err rc = SE_OK;

	(void)id;
	(void)arg;
	if (!o)
		return SE_PARSE;
	t = json_object_get(o, "token");
	if (json_is_string(t)) {
		authrec_token_hash((struct str){json_string_value(t), json_string_length(t)}, h);
		rc = store_keys_add(out, (struct str){h, AUTHREC_HASH_LEN});
	}
	json_decref(o);
	return rc;
}

const struct store_index_def authrec_account_idx[4] = {
    {"email", true, x_email, NULL},
    {"verify", true, x_verify, NULL},
    {"reset", true, x_reset, NULL},
    {"deletion", true, x_deletion, NULL},
};

const struct store_index_def authrec_session_idx[2] = {
    {"token", true, x_token_hash, NULL},
    {"user", false, x_user, NULL},
};

const struct store_index_def authrec_ticket_idx[1] = {
    {"token", true, x_token_hash, NULL},
};

const struct store_index_def authrec_bot_idx[1] = {
    {"token", true, x_bot_token, NULL},
};

enum err authrec_load(struct store_txn *txn, const char *coll, struct str id, json_t **out)
{
	return store_get_json(txn, coll, id, out);
}

enum err authrec_find_id(struct store_txn *txn, const char *coll, const char *index, struct str key,
                         char out[32])
{
	struct str id;
	size_t n = 0;
	enum err rc;

	if (key.n == 0 || key.n > STORE_KEY_MAX)
		return SE_NOT_FOUND;
	rc = store_index_find(txn, coll, index, key, &id, 1, &n, NULL);
	if (rc)
		return rc;
	if (n == 0 || id.n >= 32)
		return SE_NOT_FOUND;
	memcpy(out, id.p, id.n);
	out[id.n] = '\0';
	return SE_OK;
}

enum err authrec_save(struct store_wtxn *w, const char *coll, const json_t *rec, bool create)
{
	const char *id = json_string_value(json_object_get(rec, "_id"));
	char *text;
	enum err rc;

	if (!id)
		return SE_INVAL;
	text = jx_dump(rec);
	if (!text)
		return SE_NOMEM;
	if (create)
		rc = store_create(w, coll, str_from(id), str_from(text));
	else
		rc = store_put(w, coll, str_from(id), str_from(text));
	mem_free(text);
	return rc;
}

int64_t authrec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void authrec_iso8601(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&s, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}
