/*
 * tests/unit/federation/test_keys.c: actor key pairs: creation on first use,
 * one pair under concurrent first use, encryption at rest (wrong key, record
 * id bound as associated data), the cache, rotation, the at-rest key file;
 * remote key parsing (PEM SPKI/PKCS#1, Ed25519, Multikey) and base58.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/mem.h"
#include "federation/base58.h"
#include "federation/httpsig.h"
#include "federation/keys.h"
#include "storage/record.h"
#include "storage/store.h"

static const struct store_coll_def colls[] = {FKEYS_COLL_DEF};
static const struct store_schema schema = {colls, 1};

struct fx {
	char dir[64];
	struct store *s;
	struct fkeys *k;
	unsigned char key[32];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_opts o = {.no_sync = true};

	memcpy(f->dir, "/tmp/sol-fkeys-XXXXXX", 22);
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(f->dir, &schema, &o, &f->s, NULL), SE_OK);
	memset(f->key, 7, sizeof(f->key));
	assert_int_equal(fkeys_open_with_key(f->key, f->s, &f->k, NULL), SE_OK);
	*state = f;
	return 0;
}

static void rm(const char *dir, const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fkeys_close(f->k);
	store_close(f->s);
	rm(f->dir, "data.mdb");
	rm(f->dir, "lock.mdb");
	rm(f->dir, "keys/federation.key");
	rm(f->dir, "keys");
	remove(f->dir);
	mem_free(f);
	return 0;
}

/* Sign with the private key, verify with the published public one. */
static void sign_verify(void *priv, void *pub)
{
	struct hsig_header hs[8] = {{STR_LIT("host"), STR_LIT("h.example")}};
	char names[HSIG_OUT_MAX][32];
	struct hsig_request r = {
	    "POST", STR_LIT("/inbox"), STR_LIT("h.example"), STR_LIT("https"), hs, 1, STR_LIT("{}"),
	    true};
	struct hsig_out o = HSIG_OUT_INIT;
	struct hsig_parsed p;

	assert_int_equal(hsig_sign(HSIG_RFC9421, &r, "https://a/users/x#k", priv, 1000, &o, NULL),
	                 SE_OK);
	for (size_t i = 0; i < o.n; i++) {
		const char *c = strchr(o.lines[i], ':');
		size_t j;

		for (j = 0; o.lines[i] + j < c; j++)
			names[i][j] = (char)(o.lines[i][j] | 0x20);
		names[i][j] = '\0';
		hs[1 + i] = (struct hsig_header){str_from(names[i]), str_from(c + 2)};
	}
	r.n_headers = 1 + o.n;
	assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
	assert_int_equal(hsig_verify(&r, &p, pub, 1000, 60, NULL), SE_OK);
	hsig_out_release(&o);
}

static void test_create_and_use(void **state)
{
	struct fx *f = *state;
	struct arena a = ARENA_INIT(1 << 20);
	struct fkeys_pub p1, p2;
	void *rsa = NULL, *ed = NULL, *rsa2 = NULL, *pub = NULL, *edpub = NULL;
	struct store_txn *t;
	json_t *rec;
	const char *priv;

	(void)state;
	assert_int_equal(fkeys_public(f->k, STR_LIT("01USER"), &a, &p1, NULL), SE_OK);
	assert_non_null(strstr(p1.rsa_pem, "-----BEGIN PUBLIC KEY-----"));
	assert_true(p1.ed_multibase[0] == 'z' && strlen(p1.ed_multibase) == 48);
	assert_null(p1.rsa_pem_prev);
	assert_int_equal(fkeys_public(f->k, STR_LIT("01USER"), &a, &p2, NULL), SE_OK);
	assert_string_equal(p1.rsa_pem, p2.rsa_pem);
	assert_string_equal(p1.ed_multibase, p2.ed_multibase);
	/* private halves are not stored in the clear */
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_get_json(t, FKEYS_COLL, STR_LIT("01USER"), &rec), SE_OK);
	store_read_end(t);
	priv = json_string_value(json_object_get(rec, "rsa_priv"));
	assert_non_null(priv);
	assert_null(strstr(priv, "PRIVATE"));
	assert_true(strlen(priv) > 1000);
	json_decref(rec);

	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("01USER"), &rsa, NULL), SE_OK);
	assert_int_equal(fkeys_private_ed25519(f->k, STR_LIT("01USER"), &ed, NULL), SE_OK);
	assert_int_equal(EVP_PKEY_get_bits(rsa), 2048);
	assert_int_equal(fkeys_parse_pem(str_from(p1.rsa_pem), &pub, NULL), SE_OK);
	assert_int_equal(fkeys_parse_multibase(str_from(p1.ed_multibase), &edpub, NULL), SE_OK);
	sign_verify(rsa, pub);
	sign_verify(ed, edpub);
	/* cached: the same object again */
	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("01USER"), &rsa2, NULL), SE_OK);
	assert_ptr_equal(rsa, rsa2);
	fkeys_pkey_free(rsa2);
	/* and after forgetting, parsed again from the store: an equal key */
	fkeys_forget(f->k, STR_LIT("01USER"));
	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("01USER"), &rsa2, NULL), SE_OK);
	assert_ptr_not_equal(rsa, rsa2);
	assert_int_equal(EVP_PKEY_eq(rsa, rsa2), 1);
	fkeys_pkey_free(rsa2);
	/* bad ids */
	assert_int_equal(fkeys_public(f->k, STR_NULL, &a, &p2, NULL), SE_INVAL);
	assert_int_equal(fkeys_private_rsa(f->k, (struct str){"a\0b", 3}, &rsa2, NULL), SE_INVAL);
	fkeys_pkey_free(rsa);
	fkeys_pkey_free(ed);
	fkeys_pkey_free(pub);
	fkeys_pkey_free(edpub);
	arena_release(&a);
}

static void test_wrong_at_rest_key(void **state)
{
	struct fx *f = *state;
	struct fkeys *other;
	unsigned char key[32];
	struct err_info ei = ERR_INFO_INIT;
	void *k = NULL;

	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("instance"), &k, NULL), SE_OK);
	fkeys_pkey_free(k);
	memset(key, 8, sizeof(key));
	assert_int_equal(fkeys_open_with_key(key, f->s, &other, NULL), SE_OK);
	assert_int_equal(fkeys_private_rsa(other, STR_LIT("instance"), &k, &ei), SE_PARSE);
	assert_non_null(strstr(ei.detail, "decrypt"));
	fkeys_close(other);
}

struct copy_arg {
	const char *text;
};

static enum err put_copy(struct store_wtxn *w, void *varg)
{
	struct copy_arg *a = varg;

	return store_put(w, FKEYS_COLL, STR_LIT("01COPY"), str_from(a->text));
}

static void test_id_bound(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct copy_arg arg;
	json_t *rec;
	char *text;
	void *k = NULL;
	struct arena a = ARENA_INIT(1 << 20);
	struct fkeys_pub p;

	assert_int_equal(fkeys_public(f->k, STR_LIT("01ORIG"), &a, &p, NULL), SE_OK);
	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(store_get_json(t, FKEYS_COLL, STR_LIT("01ORIG"), &rec), SE_OK);
	store_read_end(t);
	text = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	arg.text = text;
	assert_int_equal(store_write(f->s, put_copy, &arg, NULL), SE_OK);
	free(text);
	assert_int_equal(fkeys_private_ed25519(f->k, STR_LIT("01COPY"), &k, NULL), SE_PARSE);
	assert_int_equal(fkeys_private_ed25519(f->k, STR_LIT("01ORIG"), &k, NULL), SE_OK);
	fkeys_pkey_free(k);
	arena_release(&a);
}

struct race {
	struct fkeys *k;
	char pem[1024];
	enum err rc;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct arena a = ARENA_INIT(1 << 20);
	struct fkeys_pub p;

	r->rc = fkeys_public(r->k, STR_LIT("01RACE"), &a, &p, NULL);
	if (!r->rc)
		snprintf(r->pem, sizeof(r->pem), "%s", p.rsa_pem);
	arena_release(&a);
	return NULL;
}

/* Threads asking for a new actor's keys at once all end with one pair. */
static void test_concurrent_first_use(void **state)
{
	struct fx *f = *state;
	struct race r[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){.k = f->k};
		assert_int_equal(pthread_create(&th[i], NULL, racer, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].rc, SE_OK);
		assert_string_equal(r[i].pem, r[0].pem);
	}
}

static void test_rotate(void **state)
{
	struct fx *f = *state;
	struct arena a = ARENA_INIT(1 << 20);
	struct fkeys_pub p1, p2;
	void *k1 = NULL, *k2 = NULL;

	assert_int_equal(fkeys_public(f->k, STR_LIT("01ROT"), &a, &p1, NULL), SE_OK);
	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("01ROT"), &k1, NULL), SE_OK);
	assert_int_equal(fkeys_rotate(f->k, STR_LIT("01ROT"), NULL), SE_OK);
	assert_int_equal(fkeys_public(f->k, STR_LIT("01ROT"), &a, &p2, NULL), SE_OK);
	assert_string_not_equal(p1.rsa_pem, p2.rsa_pem);
	assert_string_not_equal(p1.ed_multibase, p2.ed_multibase);
	assert_non_null(p2.rsa_pem_prev);
	assert_string_equal(p2.rsa_pem_prev, p1.rsa_pem);
	assert_string_equal(p2.ed_multibase_prev, p1.ed_multibase);
	assert_true(p2.created_ms == p1.created_ms);
	/* the cache does not serve the old private key */
	assert_int_equal(fkeys_private_rsa(f->k, STR_LIT("01ROT"), &k2, NULL), SE_OK);
	assert_int_equal(EVP_PKEY_eq(k1, k2), 0);
	fkeys_pkey_free(k1);
	fkeys_pkey_free(k2);
	/* rotating an actor without keys creates them */
	assert_int_equal(fkeys_rotate(f->k, STR_LIT("01NEW"), NULL), SE_OK);
	assert_int_equal(fkeys_public(f->k, STR_LIT("01NEW"), &a, &p1, NULL), SE_OK);
	assert_null(p1.rsa_pem_prev);
	arena_release(&a);
}

/* The cache answers per id: several actors, each its own key object. */
static void test_cache_bound(void **state)
{
	struct fx *f = *state;
	char id[32];
	void *k = NULL, *again = NULL;

	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "01C%d", i);
		assert_int_equal(fkeys_private_ed25519(f->k, str_from(id), &k, NULL), SE_OK);
		assert_int_equal(fkeys_private_ed25519(f->k, str_from(id), &again, NULL), SE_OK);
		assert_ptr_equal(k, again);
		fkeys_pkey_free(k);
		fkeys_pkey_free(again);
	}
}

static void test_open_with_cfg(void **state)
{
	struct fx *f = *state;
	struct cfg c;
	struct fkeys *k1 = NULL, *k2 = NULL;
	struct err_info ei = ERR_INFO_INIT;
	char path[128];
	struct stat st;
	void *pk = NULL;

	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "storage.data", f->dir, "test", NULL), SE_OK);
	assert_int_equal(fkeys_open(&c, f->s, &k1, NULL), SE_OK);
	snprintf(path, sizeof(path), "%s/keys/federation.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fkeys_private_rsa(k1, STR_LIT("01CFG"), &pk, NULL), SE_OK);
	fkeys_pkey_free(pk);
	/* a second open reads the same file: the keys decrypt */
	assert_int_equal(fkeys_open(&c, f->s, &k2, NULL), SE_OK);
	assert_int_equal(fkeys_private_rsa(k2, STR_LIT("01CFG"), &pk, NULL), SE_OK);
	fkeys_pkey_free(pk);
	fkeys_close(k1);
	fkeys_close(k2);
	/* a configured key must be base64 of 32 bytes */
	assert_int_equal(cfg_set(&c, "federation.key_encryption_key", "c2hvcnQ=", "test", NULL),
	                 SE_OK);
	assert_int_equal(fkeys_open(&c, f->s, &k1, &ei), SE_CONFIG);
	assert_int_equal(cfg_set(&c, "federation.key_encryption_key",
	                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "test", NULL),
	                 SE_OK);
	assert_int_equal(fkeys_open(&c, f->s, &k1, NULL), SE_OK);
	fkeys_close(k1);
	cfg_release(&c);
}

/* OOM at each mem_try_* point of first use and of loading: a clean error, then success */
static void test_oom(void **state)
{
	struct fx *f = *state;
	bool done = false;
	unsigned long k;

	for (k = 1; k < 80 && !done; k++) {
		struct arena a = ARENA_INIT(1 << 20);
		struct fkeys_pub p;
		void *pk = NULL;
		enum err rc;

		fkeys_forget(f->k, STR_LIT("01OOM"));
		mem_fail_at(k, 0);
		rc = fkeys_public(f->k, STR_LIT("01OOM"), &a, &p, NULL);
		if (!rc)
			rc = fkeys_private_ed25519(f->k, STR_LIT("01OOM"), &pk, NULL);
		mem_fail_at(0, 0);
		if (rc == SE_OK) {
			done = true;
			fkeys_pkey_free(pk);
		} else {
			assert_true(rc == SE_NOMEM || rc == SE_IO || rc == SE_PARSE ||
			            rc == SE_TOO_LARGE);
		}
		arena_release(&a);
	}
	assert_true(done);
	assert_true(k > 2); /* at least one injected failure was met */
}

/* ---- remote keys ---- */

static void test_parse_pem(void **state)
{
	static const struct {
		const char *pem;
		enum err want;
	} cases[] = {
	    {"-----BEGIN PUBLIC KEY-----\n"
	     "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n"
	     "6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\n"
	     "Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\n"
	     "oYi+1hqp1fIekaxsyQIDAQAB\n"
	     "-----END PUBLIC KEY-----\n",
	     SE_OK},
	    {"-----BEGIN RSA PUBLIC KEY-----\r\n"
	     "MIGJAoGBAMIUQ0bDffIaKHL3akONlCGXQLfqs8mP4K99ILz6rbyHEDXrVAU1R3Xf\r\n"
	     "C4JNRyrRB3aqwF7/aEXJzYMIkmDSHUvvz7pnhQxHsQ5yl91QT0d/eb+Gz4VRHjm4\r\n"
	     "El4MrUdIUcPxscoPqS/wU8Z8lOi1z7bGMnChiL7WGqnV8h6RrGzJAgMBAAE=\r\n"
	     "-----END RSA PUBLIC KEY-----\r\n",
	     SE_OK},
	    {"-----BEGIN PUBLIC KEY-----\n"
	     "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
	     "-----END PUBLIC KEY-----\n",
	     SE_OK},
	    /* P-256: a key type we do not verify */
	    {"-----BEGIN PUBLIC KEY-----\n"
	     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEmmv4IXXH6n6QU6wT18kYlZpaIbT\n"
	     "FfXRhinW+OfKq+JISvkfEmK1KwZwFXKxWLWxK9X6le9ZA8S8RtaT/h1vBw==\n"
	     "-----END PUBLIC KEY-----\n",
	     SE_INVAL},
	    /* a private key is not a public key */
	    {"-----BEGIN PRIVATE KEY-----\n"
	     "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
	     "-----END PRIVATE KEY-----\n",
	     SE_PARSE},
	    {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", SE_PARSE},
	    {"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", SE_PARSE},
	    {"-----BEGIN PUBLIC "
	     "KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=",
	     SE_PARSE},
	    {"", SE_PARSE},
	    {"garbage", SE_PARSE},
	};
	static char huge[FKEYS_PEM_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *k = NULL;
		enum err rc = fkeys_parse_pem(str_from(cases[i].pem), &k, NULL);

		if (rc != cases[i].want)
			fail_msg("pem case %zu: got %s", i, err_type(rc));
		fkeys_pkey_free(rc == SE_OK ? k : NULL);
	}
	memset(huge, 'A', sizeof(huge) - 1);
	{
		void *k = NULL;

		assert_int_equal(fkeys_parse_pem(str_from(huge), &k, NULL), SE_TOO_LARGE);
	}
}

static void test_multibase(void **state)
{
	static const struct {
		const char *in;
		enum err want;
	} cases[] = {
	    /* RFC 9421 test-key-ed25519 as a Multikey */
	    {"z6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3xHG", SE_OK},
	    {"6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3xHG", SE_PARSE},   /* no 'z' */
	    {"z6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3xH0", SE_PARSE},  /* '0' */
	    {"z2DQUz8yxybcgY49o2TDENNPqPQBbVynuU6CcNCWtSMrwMx", SE_PARSE},   /* 0xed01 + 31 bytes */
	    {"zDnadoyLJe2pfjUYTdAKesX7NfKRF3p88mNX8wrJSZpavNn47", SE_INVAL}, /* P-256 multikey */
	    {"z", SE_PARSE},
	    {"", SE_PARSE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *k = NULL;
		enum err rc = fkeys_parse_multibase(str_from(cases[i].in), &k, NULL);

		if (rc != cases[i].want)
			fail_msg("multibase case %zu: got %s", i, err_type(rc));
		fkeys_pkey_free(rc == SE_OK ? k : NULL);
	}
	{
		/* RFC 9421 B.1.4 x = JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs */
		static const unsigned char x[32] = {0x26, 0xb4, 0x0b, 0x8f, 0x93, 0xff, 0xf3, 0xd8,
		                                    0x97, 0x11, 0x2f, 0x7e, 0xbc, 0x58, 0x2b, 0x23,
		                                    0x2d, 0xbd, 0x72, 0x51, 0x7d, 0x08, 0x2f, 0xe8,
		                                    0x3c, 0xfb, 0x30, 0xdd, 0xce, 0x43, 0xd1, 0xbb};
		char mb[FKEYS_MULTIBASE_MAX];

		fkeys_ed25519_multibase(x, mb);
		assert_string_equal(mb, cases[0].in);
	}
}

static void test_base58(void **state)
{
	static const struct {
		const char *hex, *b58;
	} cases[] = {
	    {"", ""},
	    {"61", "2g"},
	    {"626262", "a3gV"},
	    {"636363", "aPEr"},
	    {"0000287fb4cd", "11233QC4"},
	    {"00", "1"},
	    {"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},
	    {"516b6fcd0f", "ABnLTmg"},
	    {"572e4794", "3EFU7m"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char in[64], out[64];
		char text[B58_MAX_TEXT];
		size_t n = strlen(cases[i].hex) / 2, m = 0;

		for (size_t j = 0; j < n; j++) {
			unsigned v;

			sscanf(cases[i].hex + 2 * j, "%2x", &v);
			in[j] = (unsigned char)v;
		}
		assert_int_equal(b58_encode(in, n, text, sizeof(text)), SE_OK);
		assert_string_equal(text, cases[i].b58);
		if (n) {
			assert_int_equal(b58_decode(str_from(cases[i].b58), out, sizeof(out), &m),
			                 SE_OK);
			assert_int_equal(m, n);
			assert_memory_equal(out, in, n);
		}
	}
	{
		unsigned char out[4], big[B58_MAX_BYTES + 1] = {1};
		char text[8];
		size_t m;

		assert_int_equal(b58_decode(STR_LIT("0OIl"), out, sizeof(out), &m), SE_PARSE);
		assert_int_equal(b58_decode(STR_LIT("zzzzzzzzzz"), out, sizeof(out), &m),
		                 SE_TOO_LARGE);
		assert_int_equal(b58_encode(big, sizeof(big), text, sizeof(text)), SE_TOO_LARGE);
		assert_int_equal(b58_encode(big, 8, text, sizeof(text)), SE_TOO_LARGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_at_rest_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_id_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_first_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_with_cfg, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	    cmocka_unit_test(test_parse_pem),
	    cmocka_unit_test(test_multibase),
	    cmocka_unit_test(test_base58),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
