/*
 * tests/unit/storage/test_record.c: store_get_json on a real store: an
 * object, a missing id, and stored bytes that are not a JSON object.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/record.h"
#include "tests/support/daemon.h"

static const struct store_coll_def colls[] = {{"things", NULL, 0}};
static const struct store_schema schema = {colls, 1};

struct put {
	const char *id, *rec;
};

static enum err put_fn(struct store_wtxn *w, void *arg)
{
	const struct put *p = arg;

	return store_put(w, "things", str_from(p->id), str_from(p->rec));
}

static void test_get_json(void **state)
{
	static const struct {
		const char *id, *stored; /* NULL: not stored */
		enum err want;
	} cases[] = {
	    {"obj", "{\"_id\":\"obj\",\"n\":1}", SE_OK},
	    {"arr", "[1,2]", SE_PARSE},
	    {"junk", "{not json", SE_PARSE},
	    {"dup", "{\"a\":1,\"a\":2}", SE_PARSE},
	    {"absent", NULL, SE_NOT_FOUND},
	};
	char dir[] = "/tmp/solstice-record-XXXXXX";
	struct store_opts o = {.no_sync = true};
	struct store *s = NULL;
	struct store_txn *txn = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &schema, &o, &s, NULL), SE_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct put p = {cases[i].id, cases[i].stored};

		if (cases[i].stored)
			assert_int_equal(store_write(s, put_fn, &p, NULL), SE_OK);
	}
	assert_int_equal(store_read_begin(s, &txn), SE_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = (json_t *)&v; /* must stay untouched on failure */
		enum err rc = store_get_json(txn, "things", str_from(cases[i].id), &v);

		assert_int_equal(rc, cases[i].want);
		if (rc == SE_OK) {
			assert_int_equal(json_integer_value(json_object_get(v, "n")), 1);
			json_decref(v);
		} else {
			assert_ptr_equal(v, (json_t *)&v);
		}
	}
	store_read_end(txn);
	store_close(s);
	td_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
