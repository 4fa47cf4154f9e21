/*
 * auth/authn.c: token → identity (authifier's request guards) on the store.
 */
#include "auth/authn.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/records.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/ulid.h"
#include "http/http.h"
#include "storage/store.h"

/* a token longer than this is not one of ours */
#define AUTHN_TOKEN_MAX 256

bool authn_token_eq(struct str a, struct str b)
{
	return cry_eq(a, b);
}

static bool hash_matches(const json_t *rec, const char *hash)
{
	const json_t *h = json_object_get(rec, "token_hash");

	return json_is_string(h) &&
	       authn_token_eq((struct str){json_string_value(h), json_string_length(h)},
	                      (struct str){hash, AUTHREC_HASH_LEN});
}

static int64_t iso_ms(const char *iso)
{
	struct tm tm;
	int ms = 0;
	const char *rest;

	if (!iso)
		return 0;
	memset(&tm, 0, sizeof(tm));
	rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	if (rest[0] == '.')
		ms = (int)strtol(rest + 1, NULL, 10);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

struct touch {
	char id[32];
	int64_t now_ms;
};

static enum err touch_session(struct store_wtxn *w, void *arg)
{
	struct touch *t = arg;
	char iso[32];
	json_t *rec = NULL;
	enum err rc = authrec_load(store_wtxn_read(w), AUTHREC_SESSIONS, str_from(t->id), &rec);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_OK : rc; /* revoked meanwhile */
	authrec_iso8601(t->now_ms, iso);
	json_object_set_new(rec, "last_seen", json_string(iso));
	rc = authrec_save(w, AUTHREC_SESSIONS, rec, false);
	json_decref(rec);
	return rc;
}

static enum err find_by_token(struct store_txn *txn, const char *coll, struct str token,
                              json_t **out)
{
	char hash[AUTHREC_HASH_LEN + 1], id[32];
	json_t *rec = NULL;
	enum err rc;

	if (token.n == 0 || token.n > AUTHN_TOKEN_MAX)
		return SE_NOT_FOUND;
	authrec_token_hash(token, hash);
	rc = authrec_find_id(txn, coll, "token", (struct str){hash, AUTHREC_HASH_LEN}, id);
	if (rc)
		return rc;
	rc = authrec_load(txn, coll, str_from(id), &rec);
	if (rc)
		return rc;
	/* bots keep the token itself; sessions and tickets its hash */
	if (strcmp(coll, AUTHREC_BOTS) == 0) {
		const json_t *t = json_object_get(rec, "token");

		if (!json_is_string(t) ||
		    !authn_token_eq((struct str){json_string_value(t), json_string_length(t)},
		                    token))
			rc = SE_NOT_FOUND;
	} else if (!hash_matches(rec, hash)) {
		rc = SE_NOT_FOUND;
	}
	if (rc) {
		json_decref(rec);
		return rc;
	}
	*out = rec;
	return SE_OK;
}

static void copy_id(char dst[32], const json_t *v)
{
	const char *s = json_string_value(v);

	dst[0] = '\0';
	if (s && strlen(s) < 32)
		memcpy(dst, s, strlen(s) + 1);
}

enum err authn_resolve(struct store *store, const struct http_req *req, bool allow_bot,
                       int64_t now_ms, struct authn *out, struct err_info *ei)
{
	struct str bot = allow_bot ? http_req_header(req, "x-bot-token") : STR_NULL;
	struct str session = http_req_header(req, "x-session-token");
	struct store_txn *txn = NULL;
	struct touch touch = {{0}, now_ms};
	json_t *rec = NULL;
	bool stale = false;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if (!bot.p && !session.p)
		return SE_OK;
	rc = store_read_begin(store, &txn);
	if (rc)
		return SE_RAISE(ei, rc);
	if (bot.p) {
		rc = find_by_token(txn, AUTHREC_BOTS, bot, &rec);
		if (!rc) {
			out->kind = AUTHN_BOT;
			copy_id(out->user_id, json_object_get(rec, "_id"));
		}
	} else {
		rc = find_by_token(txn, AUTHREC_SESSIONS, session, &rec);
		if (!rc) {
			out->kind = AUTHN_SESSION;
			copy_id(out->user_id, json_object_get(rec, "user_id"));
			copy_id(out->session_id, json_object_get(rec, "_id"));
			stale =
			    now_ms - iso_ms(json_string_value(json_object_get(rec, "last_seen"))) >
			    AUTHN_LAST_SEEN_EVERY_MS;
		}
	}
	store_read_end(txn);
	json_decref(rec);
	if (rc == SE_NOT_FOUND)
		return SE_RAISE(ei, SE_InvalidSession);
	if (rc)
		return SE_RAISE(ei, rc);
	if (stale) {
		struct err_info tei = ERR_INFO_INIT;

		memcpy(touch.id, out->session_id, sizeof(touch.id));
		/* Last-seen is advisory: a failed update does not fail the request. */
		if (store_write(store, touch_session, &touch, &tei))
			log_warn("authn: cannot update last_seen of session '%s'", touch.id);
	}
	return SE_OK;
}

enum err authn_resolve_token(struct store *store, struct str token, bool allow_bot,
                             struct authn *out, struct err_info *ei)
{
	struct store_txn *txn = NULL;
	json_t *rec = NULL;
	struct authn who;
	enum err rc;

	memset(&who, 0, sizeof(who));
	rc = store_read_begin(store, &txn);
	if (rc)
		return SE_RAISE(ei, rc);
	rc = find_by_token(txn, AUTHREC_SESSIONS, token, &rec);
	if (!rc) {
		who.kind = AUTHN_SESSION;
		copy_id(who.user_id, json_object_get(rec, "user_id"));
		copy_id(who.session_id, json_object_get(rec, "_id"));
	} else if (rc == SE_NOT_FOUND && allow_bot) {
		rc = find_by_token(txn, AUTHREC_BOTS, token, &rec);
		if (!rc) {
			who.kind = AUTHN_BOT;
			copy_id(who.user_id, json_object_get(rec, "_id"));
		}
	}
	store_read_end(txn);
	json_decref(rec);
	if (rc == SE_NOT_FOUND)
		return SE_RAISE(ei, SE_InvalidSession);
	if (rc)
		return SE_RAISE(ei, rc);
	*out = who;
	return SE_OK;
}

enum err authn_ticket_find(struct store_txn *txn, struct str token, int64_t now_ms,
                           struct authn_ticket *out)
{
	struct ulid u;
	json_t *rec = NULL;
	enum err rc = find_by_token(txn, AUTHREC_TICKETS, token, &rec);

	if (rc)
		return rc == SE_NOT_FOUND ? SE_InvalidToken : rc;
	copy_id(out->id, json_object_get(rec, "_id"));
	copy_id(out->account_id, json_object_get(rec, "account_id"));
	out->validated = json_is_true(json_object_get(rec, "validated"));
	out->authorised = json_is_true(json_object_get(rec, "authorised"));
	json_decref(rec);
	if (ulid_parse(str_from(out->id), &u, NULL))
		return SE_InvalidToken;
	out->created_ms = (int64_t)ulid_time_ms(&u);
	if (now_ms > out->created_ms + AUTHN_TICKET_LIFE_MS)
		return SE_InvalidToken;
	return SE_OK;
}
