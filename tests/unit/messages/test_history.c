/*
 * tests/unit/messages/test_history.c: msg_insert and history pages on a
 * real store: before/after/nearby, both sorts, limits, channel isolation,
 * last_message_id, and the unique nonce.
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

#include "channels/channel.h"
#include "core/jx.h"
#include "core/ulid.h"
#include "messages/history.h"
#include "messages/message.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

#define C1 "01HCHANNE1000000000000000A"
#define C2 "01HCHANNE1000000000000000B"
#define DM "01HCHANNE1000000000000000C"
#define N1 30

static const struct store_coll_def colls[] = {CHANNEL_COLL_DEF, MSG_COLL_DEF};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

struct fx {
	struct tstore *t; /* owns the store */
	struct store *s;  /* t->s */
	char ids[N1][27];
};

struct put {
	const json_t *rec;
	const char *coll; /* NULL: msg_insert */
};

static enum err put_fn(struct store_wtxn *w, void *arg)
{
	struct put *p = arg;
	char *text;
	enum err rc;

	if (!p->coll)
		return msg_insert(w, p->rec);
	text = jx_dump(p->rec);
	rc = store_put(w, p->coll, str_from(json_string_value(json_object_get(p->rec, "_id"))),
	               str_from(text));
	free(text);
	return rc;
}

static enum err put(struct store *s, const char *coll, json_t *rec)
{
	struct put p = {rec, coll};
	enum err rc = store_write(s, put_fn, &p, NULL);

	json_decref(rec);
	return rc;
}

static void message(struct fx *f, const char *channel, uint64_t ms, const char *nonce, char out[27])
{
	struct ulid u;
	json_t *m;

	assert_int_equal(ulid_generate_at(NULL, ms, &u), SE_OK);
	ulid_encode(&u, out);
	m = json_pack("{s:s,s:s,s:s,s:s,s:s}", "_id", out, "nonce", nonce, "channel", channel,
	              "author", "01HAUTH0R00000000000000000", "content", "hi");
	assert_int_equal(put(f->s, NULL, m), SE_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char id[27], nonce[16];

	jx_init();
	assert_non_null(f);
	f->t = tstore_open("hist", &schema);
	f->s = f->t->s;
	assert_int_equal(put(f->s, CHANNEL_COLL,
	                     json_pack("{s:s,s:s,s:s,s:s}", "channel_type", "TextChannel", "_id",
	                               C1, "server", "01HSERVER00000000000000000", "name", "a")),
	                 SE_OK);
	assert_int_equal(put(f->s, CHANNEL_COLL,
	                     json_pack("{s:s,s:s,s:s,s:s}", "channel_type", "TextChannel", "_id",
	                               C2, "server", "01HSERVER00000000000000000", "name", "b")),
	                 SE_OK);
	assert_int_equal(put(f->s, CHANNEL_COLL,
	                     json_pack("{s:s,s:s,s:b,s:[s,s]}", "channel_type", "DirectMessage",
	                               "_id", DM, "active", 0, "recipients", "A", "B")),
	                 SE_OK);
	/* interleave the two channels in time */
	for (int i = 0; i < N1; i++) {
		snprintf(nonce, sizeof(nonce), "n%d", i);
		message(f, C1, 1700000000000ull + (uint64_t)i * 10, nonce, f->ids[i]);
		if (i % 6 == 0)
			message(f, C2, 1700000000000ull + (uint64_t)i * 10 + 5, nonce, id);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tstore_close(f->t);
	free(f);
	return 0;
}

/* The page's ids must be ids[from], ids[from+step], ... (n of them). */
static void expect(struct fx *f, const struct msg_query *q, int from, int step, size_t n)
{
	struct store_txn *txn = NULL;
	json_t *arr = NULL;

	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(msg_history(txn, q, &arr), SE_OK);
	store_read_end(txn);
	if (json_array_size(arr) != n)
		fail_msg("expected %zu messages, got %zu", n, json_array_size(arr));
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(arr, i), "_id"));

		assert_string_equal(id, f->ids[from + (int)i * step]);
	}
	json_decref(arr);
}

static struct msg_query q_of(size_t limit)
{
	struct msg_query q;

	memset(&q, 0, sizeof(q));
	q.channel_id = str_from(C1);
	q.limit = limit;
	return q;
}

static void test_sorts(void **state)
{
	struct fx *f = *state;
	struct msg_query q = q_of(10);

	expect(f, &q, N1 - 1, -1, 10);
	q.oldest = true;
	expect(f, &q, 0, 1, 10);
	q = q_of(100);
	expect(f, &q, N1 - 1, -1, N1);
}

static void test_bounds(void **state)
{
	struct fx *f = *state;
	struct msg_query q = q_of(5);

	q.before = str_from(f->ids[20]);
	expect(f, &q, 19, -1, 5);
	q = q_of(5);
	q.after = str_from(f->ids[20]);
	q.oldest = true;
	expect(f, &q, 21, 1, 5);
	q = q_of(50);
	q.after = str_from(f->ids[5]);
	q.before = str_from(f->ids[10]);
	expect(f, &q, 9, -1, 4);
	q.oldest = true;
	expect(f, &q, 6, 1, 4);
	/* past either end */
	q = q_of(5);
	q.before = str_from(f->ids[0]);
	expect(f, &q, 0, 1, 0);
	q = q_of(5);
	q.after = str_from(f->ids[N1 - 1]);
	expect(f, &q, 0, 1, 0);
}

static void test_nearby(void **state)
{
	struct fx *f = *state;
	struct msg_query q = q_of(10);
	struct store_txn *txn = NULL;
	json_t *arr = NULL;
	const char *want[12];
	size_t k = 0;

	q.nearby = str_from(f->ids[15]);
	for (int i = 15; i <= 20; i++)
		want[k++] = f->ids[i];
	for (int i = 14; i >= 9; i--)
		want[k++] = f->ids[i];
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(msg_history(txn, &q, &arr), SE_OK);
	assert_int_equal(json_array_size(arr), k);
	for (size_t i = 0; i < k; i++)
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(arr, i), "_id")), want[i]);
	json_decref(arr);
	/* at the newest message: itself, then the older side */
	q.nearby = str_from(f->ids[N1 - 1]);
	assert_int_equal(msg_history(txn, &q, &arr), SE_OK);
	assert_int_equal(json_array_size(arr), 7);
	json_decref(arr);
	/* an id of another channel is not part of this one */
	q.nearby = str_from("01HZZZZZZZZZZZZZZZZZZZZZZZ");
	assert_int_equal(msg_history(txn, &q, &arr), SE_OK);
	assert_int_equal(json_array_size(arr), 6);
	json_decref(arr);
	store_read_end(txn);
}

static void test_limits_and_isolation(void **state)
{
	struct fx *f = *state;
	struct msg_query q = q_of(0);
	struct store_txn *txn = NULL;
	json_t *arr = NULL, *ch = NULL;

	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(msg_history(txn, &q, &arr), SE_INVAL);
	q.limit = MSG_HISTORY_MAX + 1;
	assert_int_equal(msg_history(txn, &q, &arr), SE_INVAL);
	q = q_of(100);
	q.channel_id = str_from(C2);
	assert_int_equal(msg_history(txn, &q, &arr), SE_OK);
	assert_int_equal(json_array_size(arr), 5);
	json_decref(arr);
	q.channel_id = str_from(DM);
	assert_int_equal(msg_history(txn, &q, &arr), SE_OK);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(channel_load(txn, str_from(C1), &ch), SE_OK);
	assert_string_equal(json_string_value(json_object_get(ch, "last_message_id")),
	                    f->ids[N1 - 1]);
	json_decref(ch);
	store_read_end(txn);
}

static void test_nonce_and_dm(void **state)
{
	struct fx *f = *state;
	struct store_txn *txn = NULL;
	struct ulid u;
	char id[27];
	json_t *ch = NULL;

	/* same nonce in the same channel: SE_EXISTS; in another channel: fine */
	assert_int_equal(ulid_generate(NULL, &u), SE_OK);
	ulid_encode(&u, id);
	assert_int_equal(put(f->s, NULL,
	                     json_pack("{s:s,s:s,s:s,s:s}", "_id", id, "nonce", "n3", "channel", C1,
	                               "author", "X")),
	                 SE_EXISTS);
	message(f, DM, 1700000009999ull, "n3", id);
	/* a message for a channel that does not exist is refused */
	assert_int_equal(ulid_generate(NULL, &u), SE_OK);
	ulid_encode(&u, id);
	assert_int_equal(put(f->s, NULL,
	                     json_pack("{s:s,s:s,s:s}", "_id", id, "channel",
	                               "01HNOCHANNE100000000000000", "author", "X")),
	                 SE_NOT_FOUND);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(channel_load(txn, str_from(DM), &ch), SE_OK);
	assert_true(json_is_true(json_object_get(ch, "active")));
	assert_non_null(json_object_get(ch, "last_message_id"));
	json_decref(ch);
	store_read_end(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sorts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nearby, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits_and_isolation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_and_dm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
