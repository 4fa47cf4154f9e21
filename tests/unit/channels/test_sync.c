/*
 * tests/unit/channels/test_sync.c: synced settings (revisions only move
 * forward, limits), channel unreads (ack, mentions, listing across pages,
 * dropping a channel) and policy acknowledgements on a real store.
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

#include "channels/sync.h"
#include "core/jx.h"
#include "core/mem.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

static const struct store_coll_def colls[] = {SYNC_COLL_DEFS};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

static int setup(void **state)
{
	jx_init();
	*state = tstore_open("sync", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

/* ---- a write as a closure ---- */

enum op_kind { OP_SET, OP_ACK, OP_MENTION, OP_DROP, OP_POLICY };

struct op {
	enum op_kind kind;
	const char *user, *channel, *msg;
	const json_t *values;
	int64_t ts;
	json_t *out;
};

static enum err op_fn(struct store_wtxn *w, void *arg)
{
	struct op *op = arg;

	json_decref(op->out);
	op->out = NULL;
	switch (op->kind) {
	case OP_SET:
		return sync_settings_set(w, str_from(op->user), op->values, op->ts, &op->out);
	case OP_ACK:
		return sync_unread_ack(w, str_from(op->channel), str_from(op->user),
		                       str_from(op->msg), &op->out);
	case OP_MENTION:
		return sync_unread_mention(w, str_from(op->channel), str_from(op->user),
		                           str_from(op->msg));
	case OP_DROP:
		return sync_unreads_drop_channel(w, str_from(op->channel));
	case OP_POLICY:
		return sync_policy_ack(w, str_from(op->user), op->ts);
	}
	return SE_INVAL;
}

static enum err run(struct tstore *f, struct op *op)
{
	return store_write(f->s, op_fn, op, NULL);
}

static enum err set(struct tstore *f, const char *user, const char *values, int64_t ts,
                    json_t **out)
{
	json_t *v = json_loads(values, 0, NULL);
	struct op op = {OP_SET, user, NULL, NULL, v, ts, NULL};
	enum err rc;

	assert_non_null(v);
	rc = run(f, &op);
	json_decref(v);
	if (out)
		*out = op.out;
	else
		json_decref(op.out);
	return rc;
}

static enum err fetch(struct tstore *f, const char *user, const char *keys, json_t **out)
{
	struct store_txn *txn = NULL;
	json_t *k = json_loads(keys, JSON_DECODE_ANY, NULL);
	enum err rc;

	assert_non_null(k);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	rc = sync_settings_fetch(txn, str_from(user), k, out);
	store_read_end(txn);
	json_decref(k);
	return rc;
}

static void assert_json(const json_t *v, const char *want)
{
	char *got = jx_dump(v);

	assert_non_null(got);
	assert_string_equal(got, want);
	mem_free(got);
}

#define U1 "01HUSER0000000000000000001"
#define U2 "01HUSER0000000000000000002"
#define C1 "01HCHAN0000000000000000001"
#define C2 "01HCHAN0000000000000000002"

static void test_settings(void **state)
{
	struct tstore *f = *state;
	json_t *v = NULL;
	char big[400];

	assert_int_equal(fetch(f, U1, "[\"a\"]", &v), SE_OK);
	assert_json(v, "{}");
	json_decref(v);
	assert_int_equal(set(f, U1, "{\"a\":\"1\"}", 100, &v), SE_OK);
	assert_json(v, "{\"a\":[100,\"1\"]}");
	json_decref(v);
	/* older than the stored revision: skipped; new keys still land */
	assert_int_equal(set(f, U1, "{\"a\":\"0\",\"b\":\"2\"}", 50, &v), SE_OK);
	assert_json(v, "{\"b\":[50,\"2\"]}");
	json_decref(v);
	assert_int_equal(fetch(f, U1, "[\"b\",\"a\",\"c\"]", &v), SE_OK);
	assert_json(v, "{\"b\":[50,\"2\"],\"a\":[100,\"1\"]}");
	json_decref(v);
	/* the same revision again is accepted (a client re-sending) */
	assert_int_equal(set(f, U1, "{\"a\":\"3\"}", 100, &v), SE_OK);
	assert_json(v, "{\"a\":[100,\"3\"]}");
	json_decref(v);
	assert_int_equal(fetch(f, U2, "[\"a\"]", &v), SE_OK);
	assert_json(v, "{}");
	json_decref(v);
	/* hostile input */
	assert_int_equal(set(f, U1, "{\"a\":1}", 200, NULL), SE_PARSE);
	assert_int_equal(set(f, U1, "{\"\":\"x\"}", 200, NULL), SE_PARSE);
	assert_int_equal(set(f, U1, "[]", 200, NULL), SE_PARSE);
	memset(big, 'k', 129);
	big[129] = '\0';
	{
		char body[512];

		snprintf(body, sizeof(body), "{\"%s\":\"v\"}", big);
		assert_int_equal(set(f, U1, body, 200, NULL), SE_PARSE);
	}
	assert_int_equal(fetch(f, U1, "{}", &v), SE_PARSE);
	assert_int_equal(fetch(f, U1, "[1]", &v), SE_PARSE);
}

static void test_settings_limits(void **state)
{
	struct tstore *f = *state;
	json_t *vals = json_object(), *keys = json_array(), *v = NULL;
	struct store_txn *txn = NULL;
	struct op op = {OP_SET, U2, NULL, NULL, NULL, 1, NULL};
	char k[32];

	for (int i = 0; i <= SYNC_SETTINGS_KEYS_MAX; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(vals, k, json_string("v"));
		json_array_append_new(keys, json_string(k));
	}
	op.values = vals;
	/* one key too many: nothing is written */
	assert_int_equal(run(f, &op), SE_FULL);
	assert_null(op.out);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(sync_settings_fetch(txn, str_from(U2), keys, &v), SE_FULL);
	json_array_remove(keys, 0);
	assert_int_equal(sync_settings_fetch(txn, str_from(U2), keys, &v), SE_OK);
	store_read_end(txn);
	assert_int_equal(json_object_size(v), 0);
	json_decref(v);
	json_decref(vals);
	json_decref(keys);
}

static json_t *list(struct tstore *f, const char *user)
{
	struct store_txn *txn = NULL;
	json_t *v = NULL;

	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(sync_unreads_list(txn, str_from(user), &v), SE_OK);
	store_read_end(txn);
	return v;
}

static void mention(struct tstore *f, const char *c, const char *u, const char *m)
{
	struct op op = {OP_MENTION, u, c, m, NULL, 0, NULL};

	assert_int_equal(run(f, &op), SE_OK);
}

static void test_unreads(void **state)
{
	struct tstore *f = *state;
	struct op op = {OP_ACK, U1, C1, "01HMSG00000000000000000002", NULL, 0, NULL};
	json_t *v;

	mention(f, C1, U1, "01HMSG00000000000000000001");
	mention(f, C1, U1, "01HMSG00000000000000000002");
	mention(f, C1, U1, "01HMSG00000000000000000003");
	v = list(f, U1);
	assert_json(v,
	            "[{\"_id\":{\"channel\":\"" C1 "\",\"user\":\"" U1 "\"},"
	            "\"mentions\":[\"01HMSG00000000000000000001\",\"01HMSG00000000000000000002\","
	            "\"01HMSG00000000000000000003\"]}]");
	json_decref(v);
	/* acking up to the second drops the mentions it covers */
	assert_int_equal(run(f, &op), SE_OK);
	assert_json(op.out, "{\"_id\":{\"channel\":\"" C1 "\",\"user\":\"" U1 "\"},"
	                    "\"mentions\":[\"01HMSG00000000000000000003\"],"
	                    "\"last_id\":\"01HMSG00000000000000000002\"}");
	json_decref(op.out);
	op.out = NULL;
	op.msg = "01HMSG00000000000000000009";
	assert_int_equal(run(f, &op), SE_OK);
	assert_json(op.out, "{\"_id\":{\"channel\":\"" C1 "\",\"user\":\"" U1 "\"},"
	                    "\"last_id\":\"01HMSG00000000000000000009\"}");
	json_decref(op.out);
	op.out = NULL;
	/* another channel; another user sees nothing of U1's */
	op.channel = C2;
	assert_int_equal(run(f, &op), SE_OK);
	json_decref(op.out);
	op.out = NULL;
	v = list(f, U1);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(v, 1), "_id"), "channel")),
	                    C2);
	json_decref(v);
	v = list(f, U2);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	/* dropping a channel removes its records only */
	mention(f, C1, U2, "01HMSG00000000000000000004");
	op.kind = OP_DROP;
	op.channel = C1;
	assert_int_equal(run(f, &op), SE_OK);
	v = list(f, U1);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);
	v = list(f, U2);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	/* bad keys */
	op.kind = OP_ACK;
	op.channel = "a/b";
	assert_int_equal(run(f, &op), SE_INVAL);
	op.channel = C1;
	op.msg = "";
	assert_int_equal(run(f, &op), SE_INVAL);
}

static void test_mentions_capped(void **state)
{
	struct tstore *f = *state;
	char m[32];
	json_t *v, *mentions;

	for (int i = 0; i < SYNC_MENTIONS_MAX + 5; i++) {
		snprintf(m, sizeof(m), "01HMSG%020d", i);
		mention(f, C2, U2, m);
	}
	v = list(f, U2);
	mentions = json_object_get(json_array_get(v, 0), "mentions");
	assert_int_equal(json_array_size(mentions), SYNC_MENTIONS_MAX);
	snprintf(m, sizeof(m), "01HMSG%020d", 5);
	assert_string_equal(json_string_value(json_array_get(mentions, 0)), m);
	json_decref(v);
}

static void test_list_pages(void **state)
{
	struct tstore *f = *state;
	const char *u = "01HUSER0000000000000000003";
	char c[32];
	json_t *v;

	/* more records than one index page */
	for (int i = 0; i < 300; i++) {
		snprintf(c, sizeof(c), "01HCHAN%019d", i);
		mention(f, c, u, "01HMSG00000000000000000001");
	}
	v = list(f, u);
	assert_int_equal(json_array_size(v), 300);
	snprintf(c, sizeof(c), "01HCHAN%019d", 299);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(v, 299), "_id"), "channel")),
	                    c);
	json_decref(v);
}

static void test_policy(void **state)
{
	struct tstore *f = *state;
	struct op op = {OP_POLICY, U1, NULL, NULL, NULL, 1234, NULL};
	struct store_txn *txn = NULL;
	struct str rec;

	assert_int_equal(run(f, &op), SE_OK);
	op.ts = 5678;
	assert_int_equal(run(f, &op), SE_OK);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(store_get(txn, SYNC_POLICY_COLL, str_from(U1), &rec), SE_OK);
	assert_true(rec.n > 0 && strstr(rec.p, "\"acknowledged_at\":5678") != NULL);
	store_read_end(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mentions_capped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
