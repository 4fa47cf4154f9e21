/*
 * tests/unit/messages/test_search.c: the message tokeniser against hostile
 * Unicode (combining marks, RTL, emoji, zero-width and bidi controls,
 * invalid UTF-8, huge tokens), the index extractor's keys and cap, and
 * queries (AND intersection, bounds, sort, limit) on a real store.
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

#include "core/jx.h"
#include "messages/message.h"
#include "messages/search.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

#define CH "01HCHANNEL0000000000000000"
#define CH2 "01HCHANNEL0000000000000001"

static const struct store_index_def idx[] = {{MSG_IDX_SEARCH, false, msg_search_extract, NULL}};
static const struct store_coll_def colls[] = {{MSG_COLL, idx, 1}};
static const struct store_schema schema = {colls, 1};

/* ---- tokeniser ---- */

struct tok_case {
	const char *in;
	size_t in_len; /* 0: strlen */
	const char *want[8];
};

static const struct tok_case tok_cases[] = {
    {"Hello, World!", 0, {"hello", "world"}},
    {"hello hello HELLO", 0, {"hello"}},
    /* combining marks stay in the word; NFKC composes e + U+0301 into é */
    {"cafe\xcc\x81 caf\xc3\xa9", 0, {"caf\xc3\xa9"}},
    /* a leading combining mark has no base: dropped */
    {"\xcc\x81x", 0, {"x"}},
    /* Hebrew and Arabic with RTL marks and bidi overrides inside the word */
    {"\xd7\xa9\xd7\x9c\xe2\x80\x8f\xd7\x95\xd7\x9d", 0, {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"}},
    {"he\xe2\x80\xaell\xe2\x80\xaco", 0, {"hello"}},
    /* zero-width joiner / non-joiner / soft hyphen join; ZW space splits */
    {"wo\xe2\x80\x8drd to\xe2\x80\x8cken hy\xc2\xadphen", 0, {"word", "token", "hyphen"}},
    {"split\xe2\x80\x8bhere", 0, {"split", "here"}},
    /* emoji and symbols separate and are not indexed */
    {"\xf0\x9f\x98\x80party\xf0\x9f\x8e\x89time\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
     0,
     {"party", "time"}},
    /* invalid UTF-8 separates */
    {"ab\xff"
     "cd\xc3"
     "ef\xed\xa0\x80gh",
     0,
     {"ab", "cd", "ef", "gh"}},
    /* fullwidth and ligatures fold through NFKC; sharp s case-folds to ss */
    {"\xef\xbc\xa8\xef\xbd\x89 \xef\xac\x81sh Stra\xc3\x9f"
     "e",
     0,
     {"hi", "fish", "strasse"}},
    /* ideographs are one token each */
    {"\xe6\x9d\xb1\xe4\xba\xac tokyo", 0, {"\xe6\x9d\xb1", "\xe4\xba\xac", "tokyo"}},
    /* digits are words; slashes never reach a token */
    {"a/b 2024-01-02", 0, {"a", "b", "2024", "01", "02"}},
    /* NUL bytes separate */
    {"x\0y", 3, {"x", "y"}},
    {"", 0, {NULL}},
    {"!!! ??? \xe2\x80\x8b", 0, {NULL}},
};

static void test_tokenize_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(tok_cases) / sizeof(tok_cases[0]); c++) {
		const struct tok_case *tc = &tok_cases[c];
		struct msg_search_token t[16];
		size_t want = 0;
		size_t n = msg_search_tokenize(
		    (struct str){tc->in, tc->in_len ? tc->in_len : strlen(tc->in)}, t, 16);

		while (want < 8 && tc->want[want])
			want++;
		if (n != want)
			fail_msg("case %zu: %zu tokens, want %zu", c, n, want);
		for (size_t i = 0; i < n; i++)
			if (strcmp(t[i].b, tc->want[i]) != 0)
				fail_msg("case %zu token %zu: '%s' want '%s'", c, i, t[i].b,
				         tc->want[i]);
	}
}

static void test_tokenize_bounds(void **state)
{
	static char huge[100000];
	struct msg_search_token t[STORE_KEYS_MAX], a[1], b[1];
	char many[4000];
	size_t n, len = 0;

	(void)state;
	/* a huge run is cut: its token is at most MSG_SEARCH_TOKEN_MAX bytes */
	memset(huge, 'a', sizeof(huge));
	n = msg_search_tokenize((struct str){huge, sizeof(huge)}, t, 4);
	assert_int_equal(n, 1);
	assert_true(t[0].n <= MSG_SEARCH_TOKEN_MAX);
	assert_int_equal(t[0].n, MSG_SEARCH_RUN_MAX);
	/* a run of 4-byte letters is cut at a character boundary */
	for (size_t i = 0; i + 4 <= 400; i += 4)
		memcpy(huge + i, "\xf0\x9d\x90\x80", 4); /* MATHEMATICAL BOLD A (NFKC: a) */
	n = msg_search_tokenize((struct str){huge, 400}, t, 4);
	assert_int_equal(n, 1);
	/* the same long word gives the same token however long it goes on */
	n = msg_search_tokenize(STR_LIT("supercalifragilisticexpialidociousandthensome"), a, 1);
	assert_int_equal(n, 1);
	n = msg_search_tokenize(STR_LIT("supercalifragilisticexpialidociousandthensomemoremore"), b,
	                        1);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].b, b[0].b);
	/* the cap: first distinct tokens win */
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "w%d ", i);
	n = msg_search_tokenize((struct str){many, len}, t, STORE_KEYS_MAX);
	assert_int_equal(n, STORE_KEYS_MAX);
	assert_string_equal(t[0].b, "w0");
	assert_string_equal(t[STORE_KEYS_MAX - 1].b, "w31");
	/* a run of combining marks only, and marks stacked on one letter */
	memset(huge, 0, 64);
	for (size_t i = 0; i < 60; i += 2)
		memcpy(huge + i, "\xcc\x81", 2);
	assert_int_equal(msg_search_tokenize((struct str){huge, 60}, t, 4), 0);
	huge[0] = 'z';
	n = msg_search_tokenize((struct str){huge, 60}, t, 4);
	assert_int_equal(n, 1);
	assert_true(t[0].n <= MSG_SEARCH_TOKEN_MAX);
}

static void test_extract(void **state)
{
	struct store_keys k = {0};
	const char *rec = "{\"_id\":\"01HMSG00000000000000000000\",\"channel\":\"" CH "\","
	                  "\"author\":\"x\",\"content\":\"Hi there, hi!\"}";

	(void)state;
	assert_int_equal(
	    msg_search_extract(STR_LIT("01HMSG00000000000000000000"), str_from(rec), &k, NULL),
	    SE_OK);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.k[0].n, strlen(CH "/hi/01HMSG00000000000000000000"));
	assert_memory_equal(k.k[0].b, CH "/hi/01HMSG00000000000000000000", k.k[0].n);
	/* no content, bad JSON, a channel with '/': no keys, no error */
	k.n = 0;
	assert_int_equal(msg_search_extract(STR_LIT("m"), STR_LIT("{\"channel\":\"c\"}"), &k, NULL),
	                 SE_OK);
	assert_int_equal(msg_search_extract(STR_LIT("m"), STR_LIT("{not json"), &k, NULL), SE_OK);
	assert_int_equal(msg_search_extract(STR_LIT("m"),
	                                    STR_LIT("{\"channel\":\"a/b\",\"content\":\"x\"}"), &k,
	                                    NULL),
	                 SE_OK);
	assert_int_equal(k.n, 0);
}

/* ---- queries on a real store ---- */

static int setup(void **state)
{
	jx_init();
	*state = tstore_open("search", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

struct seed {
	const char *channel;
	const char *content;
};

/* message i of the seed gets id 01HM...<i as 2 digits>, so ids sort by i */
static const struct seed seeds[] = {
    {CH, "the quick brown fox"},        /* 00 */
    {CH, "lazy dog"},                   /* 01 */
    {CH, "quick dog jumps"},            /* 02 */
    {CH2, "quick brown fox elsewhere"}, /* 03 */
    {CH, "Brown FOX, quick!"},          /* 04 */
    {CH, "fox"},                        /* 05 */
    {CH, "QUICK brown dog and fox"},    /* 06 */
};

static void seed_id(size_t i, char out[27])
{
	snprintf(out, 27, "01HMSG000000000000000000%02zu", i);
}

static enum err seed_fn(struct store_wtxn *w, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char id[27], rec[256];
		enum err rc;

		seed_id(i, id);
		snprintf(rec, sizeof(rec), "{\"_id\":\"%s\",\"channel\":\"%s\",\"content\":\"%s\"}",
		         id, seeds[i].channel, seeds[i].content);
		rc = store_put(w, MSG_COLL, str_from(id), str_from(rec));
		if (rc)
			return rc;
	}
	return SE_OK;
}

struct q_case {
	const char *query;
	enum msg_search_sort sort;
	const char *before, *after;
	size_t limit;
	int want[8]; /* seed indexes, -1 ends */
};

static void test_query(void **state)
{
	static const struct q_case cases[] = {
	    {"quick brown fox", MSG_SEARCH_LATEST, NULL, NULL, 10, {6, 4, 0, -1}},
	    {"fox quick brown", MSG_SEARCH_OLDEST, NULL, NULL, 10, {0, 4, 6, -1}},
	    {"FOX", MSG_SEARCH_RELEVANCE, NULL, NULL, 10, {6, 5, 4, 0, -1}},
	    {"fox", MSG_SEARCH_LATEST, NULL, NULL, 2, {6, 5, -1}},
	    {"fox", MSG_SEARCH_LATEST, "01HMSG00000000000000000005", NULL, 10, {4, 0, -1}},
	    {"fox", MSG_SEARCH_OLDEST, NULL, "01HMSG00000000000000000000", 10, {4, 5, 6, -1}},
	    {"fox",
	     MSG_SEARCH_LATEST,
	     "01HMSG00000000000000000006",
	     "01HMSG00000000000000000000",
	     10,
	     {5, 4, -1}},
	    {"dog quick", MSG_SEARCH_LATEST, NULL, NULL, 10, {6, 2, -1}},
	    {"dog lazy quick", MSG_SEARCH_LATEST, NULL, NULL, 10, {-1}},
	    {"elsewhere", MSG_SEARCH_LATEST, NULL, NULL, 10, {-1}},
	    {"nothing", MSG_SEARCH_LATEST, NULL, NULL, 10, {-1}},
	    {"!!!", MSG_SEARCH_LATEST, NULL, NULL, 10, {-1}},
	};
	struct tstore *f = *state;
	struct store_txn *txn;

	assert_int_equal(store_write(f->s, seed_fn, NULL, NULL), SE_OK);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct q_case *qc = &cases[c];
		struct msg_search_opts o = {
		    str_from(qc->query), qc->before ? str_from(qc->before) : STR_NULL,
		    qc->after ? str_from(qc->after) : STR_NULL, qc->sort, qc->limit};
		struct msg_search_result r;
		size_t want = 0;

		assert_int_equal(msg_search_query(txn, STR_LIT(CH), &o, &r), SE_OK);
		while (qc->want[want] >= 0)
			want++;
		if (r.n != want)
			fail_msg("case %zu: %zu hits, want %zu", c, r.n, want);
		for (size_t i = 0; i < r.n; i++) {
			char id[27];

			seed_id((size_t)qc->want[i], id);
			if (strcmp(r.ids[i], id))
				fail_msg("case %zu hit %zu: %s want %s", c, i, r.ids[i], id);
		}
		assert_false(r.partial);
	}
	/* bad arguments */
	{
		struct msg_search_opts o = {STR_LIT("fox"), STR_NULL, STR_NULL, MSG_SEARCH_LATEST,
		                            0};
		struct msg_search_result r;

		assert_int_equal(msg_search_query(txn, STR_LIT(CH), &o, &r), SE_INVAL);
		o.limit = MSG_SEARCH_LIMIT_MAX + 1;
		assert_int_equal(msg_search_query(txn, STR_LIT(CH), &o, &r), SE_INVAL);
		o.limit = 1;
		assert_int_equal(msg_search_query(txn, STR_LIT("a/b"), &o, &r), SE_INVAL);
	}
	store_read_end(txn);
}

/* Editing or deleting a message moves its postings (the extractor is pure). */
static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	enum err rc;

	(void)arg;
	rc = store_put(w, MSG_COLL, STR_LIT("01HMSG00000000000000000005"),
	               STR_LIT("{\"channel\":\"" CH "\",\"content\":\"cat\"}"));
	return rc ? rc : store_delete(w, MSG_COLL, STR_LIT("01HMSG00000000000000000006"));
}

static void test_query_after_edit(void **state)
{
	struct tstore *f = *state;
	struct store_txn *txn;
	struct msg_search_opts o = {STR_LIT("fox"), STR_NULL, STR_NULL, MSG_SEARCH_LATEST, 10};
	struct msg_search_result r;

	assert_int_equal(store_write(f->s, seed_fn, NULL, NULL), SE_OK);
	assert_int_equal(store_write(f->s, edit_fn, NULL, NULL), SE_OK);
	assert_int_equal(store_read_begin(f->s, &txn), SE_OK);
	assert_int_equal(msg_search_query(txn, STR_LIT(CH), &o, &r), SE_OK);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ids[0], "01HMSG00000000000000000004");
	o.query = STR_LIT("cat");
	assert_int_equal(msg_search_query(txn, STR_LIT(CH), &o, &r), SE_OK);
	assert_int_equal(r.n, 1);
	store_read_end(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokenize_table),
	    cmocka_unit_test(test_tokenize_bounds),
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_after_edit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
