/*
 * tests/unit/auth/test_authn.c: token → identity on a real store: session
 * and bot tokens, precedence, unknown tokens, last-seen updates, MFA ticket
 * expiry, the lock-out schedule and the constant-time comparison.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/authn.h"
#include "auth/records.h"
#include "core/arena.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "http/http.h"
#include "storage/store.h"
#include "tests/support/daemon.h"

static char dir[] = "/tmp/solstice-authn-XXXXXX";
static struct store *store;

static const char session_token[] =
    "S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0S0";
static const char bot_token[] = "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0";

struct put_op {
	const char *coll;
	json_t *rec;
};

static enum err put_fn(struct store_wtxn *w, void *arg)
{
	struct put_op *op = arg;

	return authrec_save(w, op->coll, op->rec, false);
}

static void put(const char *coll, json_t *rec)
{
	struct put_op op = {coll, rec};
	struct err_info ei = ERR_INFO_INIT;

	assert_non_null(rec);
	assert_int_equal(store_write(store, put_fn, &op, &ei), SE_OK);
	json_decref(rec);
}

static int setup(void **state)
{
	struct store_opts o = {0};
	struct err_info ei = ERR_INFO_INIT;
	char hash[AUTHREC_HASH_LEN + 1];

	(void)state;
	o.no_sync = true;
	if (!mkdtemp(dir) || store_open(dir, api_schema(), &o, &store, &ei))
		return -1;
	authrec_token_hash(str_from(session_token), hash);
	put(AUTHREC_SESSIONS,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "_id", "01HSESSION0000000000000000", "user_id",
	              "01HUSER0000000000000000000", "token_hash", hash, "name", "t", "last_seen",
	              "2000-01-01T00:00:00.000Z"));
	put(AUTHREC_BOTS,
	    json_pack("{s:s, s:s, s:s, s:b}", "_id", "01HBOT00000000000000000000", "owner",
	              "01HUSER0000000000000000000", "token", bot_token, "public", 0));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(store);
	td_rm_rf(dir);
	return 0;
}

static void make_req(struct http_req *req, struct http_kv *kv, const char *session, const char *bot)
{
	memset(req, 0, sizeof(*req));
	if (session)
		kv[req->n_headers++] =
		    (struct http_kv){STR_LIT("x-session-token"), str_from(session)};
	if (bot)
		kv[req->n_headers++] = (struct http_kv){STR_LIT("x-bot-token"), str_from(bot)};
	req->headers = kv;
}

static void test_resolve(void **state)
{
	static const struct {
		const char *session, *bot;
		bool allow_bot;
		enum err rc;
		enum authn_kind kind;
		const char *user;
	} cases[] = {
	    {NULL, NULL, true, SE_OK, AUTHN_NONE, ""},
	    {session_token, NULL, true, SE_OK, AUTHN_SESSION, "01HUSER0000000000000000000"},
	    {NULL, bot_token, true, SE_OK, AUTHN_BOT, "01HBOT00000000000000000000"},
	    /* the bot token is checked first when both are sent */
	    {session_token, bot_token, true, SE_OK, AUTHN_BOT, "01HBOT00000000000000000000"},
	    /* authifier routes read the session token only */
	    {NULL, bot_token, false, SE_OK, AUTHN_NONE, ""},
	    {session_token, bot_token, false, SE_OK, AUTHN_SESSION, "01HUSER0000000000000000000"},
	    {"nope", NULL, true, SE_InvalidSession, AUTHN_NONE, ""},
	    {"", NULL, true, SE_InvalidSession, AUTHN_NONE, ""},
	    {NULL, "nope", true, SE_InvalidSession, AUTHN_NONE, ""},
	    /* a session token is not a bot token and vice versa */
	    {NULL, session_token, true, SE_InvalidSession, AUTHN_NONE, ""},
	    {bot_token, NULL, true, SE_InvalidSession, AUTHN_NONE, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		struct http_kv kv[2];
		struct http_req req;
		struct authn who;
		enum err rc;

		make_req(&req, kv, cases[i].session, cases[i].bot);
		rc = authn_resolve(store, &req, cases[i].allow_bot, authrec_now_ms(), &who, &ei);
		if (rc != cases[i].rc || (rc == SE_OK && who.kind != cases[i].kind))
			fail_msg("case %zu: rc %s kind %d", i, err_type(rc), who.kind);
		if (rc == SE_OK)
			assert_string_equal(who.user_id, cases[i].user);
	}
}

static void test_last_seen_updated(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	struct http_kv kv[2];
	struct http_req req;
	struct store_txn *txn = NULL;
	struct authn who;
	json_t *rec = NULL;

	(void)state;
	make_req(&req, kv, session_token, NULL);
	assert_int_equal(authn_resolve(store, &req, true, authrec_now_ms(), &who, &ei), SE_OK);
	assert_string_equal(who.session_id, "01HSESSION0000000000000000");
	assert_int_equal(store_read_begin(store, &txn), SE_OK);
	assert_int_equal(
	    authrec_load(txn, AUTHREC_SESSIONS, STR_LIT("01HSESSION0000000000000000"), &rec),
	    SE_OK);
	store_read_end(txn);
	/* it was 2000-01-01 */
	assert_true(strncmp(json_string_value(json_object_get(rec, "last_seen")), "2000", 4) != 0);
	json_decref(rec);
}

static void test_ticket_expiry(void **state)
{
	static const struct {
		int64_t age_ms;
		bool validated;
		enum err rc;
	} cases[] = {
	    {0, false, SE_OK},
	    {4 * 60 * 1000, true, SE_OK},
	    {6 * 60 * 1000, false, SE_InvalidToken},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char id[ULID_LEN + 1], token[65], hash[AUTHREC_HASH_LEN + 1];
		struct store_txn *txn = NULL;
		struct authn_ticket t;
		int64_t now = authrec_now_ms();
		struct ulid u;
		enum err rc;

		uint8_t rnd[10] = {(uint8_t)i, 1, 2, 3, 4, 5, 6, 7, 8, 9};

		assert_int_equal(ulid_from_parts((uint64_t)(now - cases[i].age_ms), rnd, &u),
		                 SE_OK);
		ulid_encode(&u, id);
		snprintf(token, sizeof(token), "T%063zu", i);
		authrec_token_hash(str_from(token), hash);
		put(AUTHREC_TICKETS, json_pack("{s:s, s:s, s:s, s:b, s:b}", "_id", id, "account_id",
		                               "01HUSER0000000000000000000", "token_hash", hash,
		                               "validated", cases[i].validated, "authorised", 0));
		assert_int_equal(store_read_begin(store, &txn), SE_OK);
		assert_int_equal(authn_ticket_find(txn, STR_LIT("unknown"), now, &t),
		                 SE_InvalidToken);
		rc = authn_ticket_find(txn, str_from(token), now, &t);
		store_read_end(txn);
		assert_int_equal(rc, cases[i].rc);
		if (rc == SE_OK) {
			assert_int_equal(t.validated, cases[i].validated);
			assert_string_equal(t.account_id, "01HUSER0000000000000000000");
		}
	}
}

static void test_lockout_schedule(void **state)
{
	static const struct {
		int64_t attempts, ms;
	} cases[] = {{1, 0},       {2, 0},       {3, 60000},      {4, 300000},
	             {5, 3600000}, {6, 3600000}, {1000, 3600000}, {0, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(account_lockout_ms(cases[i].attempts), cases[i].ms);
}

static void test_token_eq(void **state)
{
	(void)state;
	assert_true(authn_token_eq(str_from(session_token), str_from(session_token)));
	assert_false(authn_token_eq(str_from(session_token), str_from(bot_token)));
	assert_false(authn_token_eq(STR_LIT("a"), STR_LIT("ab")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),       cmocka_unit_test(test_last_seen_updated),
	    cmocka_unit_test(test_ticket_expiry), cmocka_unit_test(test_lockout_schedule),
	    cmocka_unit_test(test_token_eq),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
