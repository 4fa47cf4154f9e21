/*
 * tests/unit/federation/test_objmap.c: the ap_ids mapping on a real store:
 * hex ids, put/get/replace/delete, the reverse (kind, local) lookup and
 * hostile ids (empty, oversized, NUL inside, bad UTF-8, bad kinds).
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

#include "core/arena.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/ulid.h"
#include "federation/objmap.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

static const struct store_coll_def colls[] = {FMAP_COLL_DEF};
static const struct store_schema schema = {colls, sizeof(colls) / sizeof(colls[0])};

static int setup(void **state)
{
	*state = tstore_open("objmap", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

struct op {
	int what; /* 0 put, 1 delete */
	struct str ap;
	const char *kind;
	struct str local;
};

static enum err op_fn(struct store_wtxn *w, void *arg)
{
	const struct op *o = arg;

	if (o->what == 0)
		return fmap_put(w, o->ap, o->kind, o->local);
	return fmap_delete(w, o->ap);
}

static enum err put(struct store *s, struct str ap, const char *kind, const char *local)
{
	struct op o = {0, ap, kind, str_from(local)};

	return store_write(s, op_fn, &o, NULL);
}

static enum err del(struct store *s, const char *ap)
{
	struct op o = {1, str_from(ap), NULL, STR_NULL};

	return store_write(s, op_fn, &o, NULL);
}

static enum err get(struct store *s, const char *ap, char kind[16], char local[128])
{
	struct store_txn *t = NULL;
	enum err rc;

	assert_int_equal(store_read_begin(s, &t), SE_OK);
	rc = fmap_get(t, str_from(ap), kind, local);
	store_read_end(t);
	return rc;
}

static void test_hex(void **state)
{
	char h[FMAP_HEX_LEN];

	(void)state;
	fmap_id_hex(STR_LIT("abc"), h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fmap_id_hex(STR_NULL, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_roundtrip(void **state)
{
	struct tstore *f = *state;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	struct store_txn *t = NULL;
	struct arena a = ARENA_INIT(1 << 16);
	const char *ap = NULL;

	assert_int_equal(get(f->s, "https://x.example/users/a", kind, local), SE_NOT_FOUND);
	assert_int_equal(
	    put(f->s, STR_LIT("https://x.example/users/a"), "user", "01HUSER000000000000000000A"),
	    SE_OK);
	assert_int_equal(put(f->s, STR_LIT("https://x.example/notes/1"), "message",
	                     "01HMSG0000000000000000000A"),
	                 SE_OK);
	assert_int_equal(get(f->s, "https://x.example/users/a", kind, local), SE_OK);
	assert_string_equal(kind, "user");
	assert_string_equal(local, "01HUSER000000000000000000A");
	/* ids are exact: no case folding, no trailing-slash games */
	assert_int_equal(get(f->s, "https://x.example/users/A", kind, local), SE_NOT_FOUND);
	assert_int_equal(get(f->s, "https://x.example/users/a/", kind, local), SE_NOT_FOUND);

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(fmap_ap_of(t, "user", STR_LIT("01HUSER000000000000000000A"), &a, &ap),
	                 SE_OK);
	assert_string_equal(ap, "https://x.example/users/a");
	/* the kind is part of the reverse key */
	assert_int_equal(fmap_ap_of(t, "message", STR_LIT("01HUSER000000000000000000A"), &a, &ap),
	                 SE_NOT_FOUND);
	assert_int_equal(fmap_ap_of(t, "Bad", STR_LIT("x"), &a, &ap), SE_NOT_FOUND);
	assert_int_equal(fmap_ap_of(t, "user", STR_NULL, &a, &ap), SE_NOT_FOUND);
	store_read_end(t);

	/* replace: the reverse index follows */
	assert_int_equal(
	    put(f->s, STR_LIT("https://x.example/users/a"), "user", "01HUSER000000000000000000B"),
	    SE_OK);
	assert_int_equal(get(f->s, "https://x.example/users/a", kind, local), SE_OK);
	assert_string_equal(local, "01HUSER000000000000000000B");
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(fmap_ap_of(t, "user", STR_LIT("01HUSER000000000000000000A"), &a, &ap),
	                 SE_NOT_FOUND);
	assert_int_equal(fmap_ap_of(t, "user", STR_LIT("01HUSER000000000000000000B"), &a, &ap),
	                 SE_OK);
	store_read_end(t);

	assert_int_equal(del(f->s, "https://x.example/users/a"), SE_OK);
	assert_int_equal(del(f->s, "https://x.example/users/a"), SE_NOT_FOUND);
	assert_int_equal(get(f->s, "https://x.example/users/a", kind, local), SE_NOT_FOUND);
	assert_int_equal(get(f->s, "https://x.example/notes/1", kind, local), SE_OK);
	assert_string_equal(kind, "message");
	arena_release(&a);
}

static void test_hostile(void **state)
{
	struct tstore *f = *state;
	static char big[FMAP_AP_ID_MAX + 2];
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	static const struct {
		struct str ap;
		const char *kind, *local;
		enum err want;
	} cases[] = {
	    {{"", 0}, "user", "L", SE_INVAL},
	    {{NULL, 0}, "user", "L", SE_INVAL},
	    {{"https://x/a\0b", 13}, "user", "L", SE_INVAL},
	    {{"https://x/\xff\xfe", 12}, "user", "L", SE_INVAL},
	    {{"https://x/a", 11}, "", "L", SE_INVAL},
	    {{"https://x/a", 11}, "User", "L", SE_INVAL},
	    {{"https://x/a", 11}, "user:x", "L", SE_INVAL},
	    {{"https://x/a", 11}, "averyveryverylongkind", "L", SE_INVAL},
	    {{"https://x/a", 11}, "user", "", SE_INVAL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(put(f->s, cases[i].ap, cases[i].kind, cases[i].local),
		                 cases[i].want);
	assert_int_equal(put(f->s, STR_LIT("https://x/a"), NULL, "L"), SE_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(put(f->s, (struct str){big, FMAP_AP_ID_MAX + 1}, "user", "L"),
	                 SE_TOO_LARGE);
	/* exactly the limit is fine, and long ids never hit the store's id limit */
	assert_int_equal(put(f->s, (struct str){big, FMAP_AP_ID_MAX}, "user", "L"), SE_OK);
	big[FMAP_AP_ID_MAX] = '\0';
	assert_int_equal(get(f->s, big, kind, local), SE_OK);
	{
		char lid[FMAP_LOCAL_MAX + 1];

		memset(lid, 'x', sizeof(lid));
		lid[FMAP_LOCAL_MAX - 1] = '\0';
		assert_int_equal(put(f->s, STR_LIT("https://x/b"), "user", lid), SE_OK);
		lid[FMAP_LOCAL_MAX - 1] = 'x';
		lid[FMAP_LOCAL_MAX] = '\0';
		assert_int_equal(put(f->s, STR_LIT("https://x/b"), "user", lid), SE_TOO_LARGE);
	}
	assert_int_equal(get(f->s, "", kind, local), SE_NOT_FOUND);
}

struct purge {
	const char *kind;
	struct str before;
	size_t max, n;
};

static enum err purge_fn(struct store_wtxn *w, void *arg)
{
	struct purge *p = arg;

	return fmap_purge_before(w, p->kind, p->before, p->max, &p->n);
}

static void ulid_at(uint64_t ms, char out[ULID_LEN + 1])
{
	struct ulid u;

	assert_int_equal(ulid_generate_at(NULL, ms, &u), SE_OK);
	ulid_encode(&u, out);
}

static void test_purge(void **state)
{
	struct tstore *f = *state;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX], u[3][ULID_LEN + 1], cut[ULID_LEN + 1];
	char ap[64];
	struct purge p;
	uint64_t t0 = 1700000000000ULL;

	for (int i = 0; i < 3; i++) {
		ulid_at(t0 + (uint64_t)i * 1000, u[i]);
		snprintf(ap, sizeof(ap), "https://x.example/activities/%d", i);
		assert_int_equal(put(f->s, str_from(ap), "activity", u[i]), SE_OK);
	}
	/* same ids as another kind: never touched */
	assert_int_equal(put(f->s, STR_LIT("https://x.example/users/a"), "user", u[0]), SE_OK);
	/* the cut: the 10-character time part of a ULID at t0 + 1500 ms */
	ulid_at(t0 + 1500, cut);
	cut[10] = '\0';
	p = (struct purge){"activity", str_from(cut), 100, 0};
	assert_int_equal(store_write(f->s, purge_fn, &p, NULL), SE_OK);
	assert_int_equal(p.n, 2);
	assert_int_equal(get(f->s, "https://x.example/activities/0", kind, local), SE_NOT_FOUND);
	assert_int_equal(get(f->s, "https://x.example/activities/1", kind, local), SE_NOT_FOUND);
	assert_int_equal(get(f->s, "https://x.example/activities/2", kind, local), SE_OK);
	assert_int_equal(get(f->s, "https://x.example/users/a", kind, local), SE_OK);
	/* nothing left before the cut; max bounds the work */
	assert_int_equal(store_write(f->s, purge_fn, &p, NULL), SE_OK);
	assert_int_equal(p.n, 0);
	ulid_at(t0 + 5000, cut);
	p = (struct purge){"activity", str_from(cut), 0, 0};
	assert_int_equal(store_write(f->s, purge_fn, &p, NULL), SE_OK);
	assert_int_equal(p.n, 0);
	p.max = 1;
	assert_int_equal(store_write(f->s, purge_fn, &p, NULL), SE_OK);
	assert_int_equal(p.n, 1);
	p = (struct purge){"Bad", str_from(cut), 1, 0};
	assert_int_equal(store_write(f->s, purge_fn, &p, NULL), SE_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};

	jx_init();
	if (cry_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
