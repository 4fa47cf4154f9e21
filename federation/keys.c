/*
 * federation/keys.c: actor key pairs (RSA-2048 for draft-cavage/RFC 9421,
 * Ed25519 for FEP-521a Multikey), encrypted at rest, cached in memory; and
 * the parsers of remote public keys. See federation/keys.h.
 */
#include "federation/keys.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/base58.h"
#include "storage/record.h"
#include "storage/store.h"

/* bytes of a sealed private key (a PKCS#8 PEM of RSA-4096 is ~3.3 KB) */
#define SEALED_MAX 8192

struct fkeys_entry {
	uint64_t hash; /* of id, compared first */
	char id[STORE_ID_MAX];
	EVP_PKEY *rsa, *ed;
	uint64_t used; /* LRU clock */
};

struct fkeys {
	struct store *s;
	unsigned char key[CRY_SSTREAM_KEYBYTES];
	pthread_mutex_t mu;
	uint64_t clock;
	uint64_t gen; /* bumped by rotations: a load that raced one is not cached */
	size_t n;
	struct fkeys_entry cache[FKEYS_CACHE_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the at-rest key ---- */

static enum err key_load(const struct cfg *cfg, unsigned char key[32], struct err_info *ei)
{
	struct buf dir = BUF_INIT(4096);
	enum err rc;

	buf_printf(&dir, "%s/keys", cfg->storage.data);
	if (buf_err(&dir)) {
		buf_release(&dir);
		return SE_RAISEF(ei, SE_CONFIG, "fkeys: data directory path too long");
	}
	rc = cry_key_file_load(&(struct cry_key_src){"fkeys", cfg->federation.key_encryption_key,
	                                             "federation.key_encryption_key",
	                                             buf_cstr(&dir), "federation.key"},
	                       key, ei);
	buf_release(&dir);
	return rc;
}

enum err fkeys_open_with_key(const unsigned char key[32], struct store *s, struct fkeys **out,
                             struct err_info *ei)
{
	struct fkeys *k;

	(void)ei;
	k = xcalloc(1, sizeof(*k));
	k->s = s;
	memcpy(k->key, key, sizeof(k->key));
	pthread_mutex_init(&k->mu, NULL);
	*out = k;
	return SE_OK;
}

enum err fkeys_open(const struct cfg *cfg, struct store *s, struct fkeys **out, struct err_info *ei)
{
	unsigned char key[32];
	enum err rc;

	rc = key_load(cfg, key, ei);
	if (!rc)
		rc = fkeys_open_with_key(key, s, out, ei);
	cry_wipe(key, sizeof(key));
	return rc;
}

void fkeys_close(struct fkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		EVP_PKEY_free(k->cache[i].rsa);
		EVP_PKEY_free(k->cache[i].ed);
	}
	pthread_mutex_destroy(&k->mu);
	cry_wipe(k->key, sizeof(k->key));
	mem_free(k);
}

void fkeys_pkey_free(void *evp)
{
	EVP_PKEY_free(evp);
}

/* ---- sealing private keys ---- */

/* b64url(header || XChaCha20-Poly1305(plain, ad = record id)) */
static enum err seal(const struct fkeys *k, struct str id, const void *plain, size_t n,
                     struct buf *out)
{
	unsigned char *c;
	struct cry_sstream st;
	size_t clen = CRY_SSTREAM_HEADERBYTES + n + CRY_SSTREAM_ABYTES;
	enum err rc;

	if (n > SEALED_MAX)
		return SE_TOO_LARGE;
	c = xmalloc(clen);
	cry_sstream_push_init(&st, c, k->key);
	rc = cry_sstream_push(&st, c + CRY_SSTREAM_HEADERBYTES, plain, n, id.p, id.n, true);
	cry_sstream_wipe(&st);
	if (!rc)
		cry_base64url(out, c, clen, false);
	mem_free(c);
	return rc ? rc : buf_err(out);
}

/* The plain bytes into `plain` (cap SEALED_MAX), `*n` their length. SE_PARSE. */
static enum err unseal(const struct fkeys *k, struct str id, struct str b64, unsigned char *plain,
                       size_t *n)
{
	unsigned char *c = xmalloc(SEALED_MAX + 64);
	struct cry_sstream st;
	size_t clen = 0;
	bool final = false;
	enum err rc = SE_PARSE;

	if (cry_base64_decode(b64, c, SEALED_MAX + 64, &clen) != SE_OK ||
	    clen < CRY_SSTREAM_HEADERBYTES + CRY_SSTREAM_ABYTES ||
	    clen - CRY_SSTREAM_HEADERBYTES - CRY_SSTREAM_ABYTES > SEALED_MAX)
		goto out;
	if (cry_sstream_pull_init(&st, c, k->key) != SE_OK)
		goto out;
	rc = cry_sstream_pull(&st, plain, c + CRY_SSTREAM_HEADERBYTES,
	                      clen - CRY_SSTREAM_HEADERBYTES, id.p, id.n, &final);
	cry_sstream_wipe(&st);
	if (!rc && !final)
		rc = SE_PARSE;
	if (!rc)
		*n = clen - CRY_SSTREAM_HEADERBYTES - CRY_SSTREAM_ABYTES;
out:
	cry_wipe(c, SEALED_MAX + 64);
	mem_free(c);
	return rc;
}

/* ---- generation ---- */

/* A fresh pair, serialised: public PEM / multibase, sealed private halves. */
struct pair {
	struct buf rsa_pub, rsa_priv, ed_pub, ed_priv;
};

static void pair_release(struct pair *p)
{
	buf_release(&p->rsa_pub);
	buf_release(&p->rsa_priv);
	buf_release(&p->ed_pub);
	buf_release(&p->ed_priv);
}

static enum err bio_text(BIO *b, struct buf *out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return SE_NOMEM;
	buf_append(out, data, (size_t)n);
	return buf_err(out);
}

static enum err pair_generate(const struct fkeys *k, struct str id, struct pair *p,
                              struct err_info *ei)
{
	EVP_PKEY *rsa = NULL, *ed = NULL;
	BIO *bpub = NULL, *bpriv = NULL;
	unsigned char raw[32];
	size_t rawn = sizeof(raw);
	char mb[FKEYS_MULTIBASE_MAX];
	char *pem = NULL;
	long pemn = 0;
	enum err rc = SE_NOMEM;

	*p = (struct pair){BUF_INIT(4096), BUF_INIT(SEALED_MAX * 2), BUF_INIT(128), BUF_INIT(256)};
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	bpub = BIO_new(BIO_s_mem());
	bpriv = BIO_new(BIO_s_mem());
	if (!rsa || !ed || !bpub || !bpriv) {
		rc = SE_RAISEF(ei, SE_NOMEM, "fkeys: key generation failed");
		goto out;
	}
	if (PEM_write_bio_PUBKEY(bpub, rsa) != 1 ||
	    PEM_write_bio_PrivateKey(bpriv, rsa, NULL, NULL, 0, NULL, NULL) != 1 ||
	    EVP_PKEY_get_raw_public_key(ed, raw, &rawn) != 1 || rawn != 32)
		goto out;
	rc = bio_text(bpub, &p->rsa_pub);
	if (rc)
		goto out;
	pemn = BIO_get_mem_data(bpriv, &pem);
	if (pemn <= 0)
		goto out;
	rc = seal(k, id, pem, (size_t)pemn, &p->rsa_priv);
	if (rc)
		goto out;
	fkeys_ed25519_multibase(raw, mb);
	buf_puts(&p->ed_pub, mb);
	rawn = sizeof(raw);
	if (EVP_PKEY_get_raw_private_key(ed, raw, &rawn) != 1 || rawn != 32) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = seal(k, id, raw, 32, &p->ed_priv);
	if (!rc)
		rc = buf_err(&p->ed_pub);
out:
	cry_wipe(raw, sizeof(raw));
	if (pem && pemn > 0)
		cry_wipe(pem, (size_t)pemn);
	BIO_free(bpub);
	BIO_free(bpriv);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	if (rc) {
		pair_release(p);
		rc = SE_RAISEF(ei, rc, "fkeys: cannot generate keys");
	}
	return rc;
}

/* ---- records ---- */

struct write_arg {
	struct str id;
	const struct pair *p;
	bool rotate;
	bool existed;
	int64_t now;
};

static json_t *record_new(const struct pair *p, int64_t now)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "rsa_pub", json_string(buf_cstr(&p->rsa_pub)));
	json_object_set_new(rec, "rsa_priv", json_string(buf_cstr(&p->rsa_priv)));
	json_object_set_new(rec, "ed_pub", json_string(buf_cstr(&p->ed_pub)));
	json_object_set_new(rec, "ed_priv", json_string(buf_cstr(&p->ed_priv)));
	json_object_set_new(rec, "created", json_integer(now));
	json_object_set_new(rec, "rotated", json_integer(0));
	return rec;
}

/* Runs in the store's write: the first pair written for an id wins. */
static enum err write_pair(struct store_wtxn *w, void *varg)
{
	struct write_arg *a = varg;
	json_t *old = NULL, *rec;
	char *text;
	enum err rc;

	a->existed = false;
	rc = store_get_json(store_wtxn_read(w), FKEYS_COLL, a->id, &old);
	if (rc == SE_OK && !a->rotate) {
		a->existed = true;
		json_decref(old);
		return SE_OK;
	}
	if (rc != SE_OK && rc != SE_NOT_FOUND)
		return rc;
	rec = record_new(a->p, a->now);
	if (old) {
		json_object_set(rec, "created", json_object_get(old, "created"));
		json_object_set_new(rec, "rotated", json_integer(a->now));
		json_object_set(rec, "prev_rsa_pub", json_object_get(old, "rsa_pub"));
		json_object_set(rec, "prev_ed_pub", json_object_get(old, "ed_pub"));
		json_object_set_new(rec, "prev_until", json_integer(a->now + FKEYS_GRACE_MS));
		json_decref(old);
	}
	text = jx_dump(rec);
	json_decref(rec);
	if (!text)
		return SE_NOMEM;
	rc = store_put(w, FKEYS_COLL, a->id, str_from(text));
	mem_free(text);
	return rc;
}

static enum err check_id(struct str id, struct err_info *ei)
{
	if (id.n == 0 || id.n >= STORE_ID_MAX || memchr(id.p, '\0', id.n))
		return SE_RAISEF(ei, SE_INVAL, "fkeys: bad owner id");
	return SE_OK;
}

/* The record of `id` (new reference), creating the pair on first use. */
static enum err record_get(struct fkeys *k, struct str id, json_t **out, struct err_info *ei)
{
	struct store_txn *t = NULL;
	struct pair p;
	struct write_arg a;
	enum err rc;

	rc = check_id(id, ei);
	if (rc)
		return rc;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = store_read_begin(k->s, &t);
		if (rc)
			return SE_RAISEF(ei, rc, "fkeys: cannot read the store");
		rc = store_get_json(t, FKEYS_COLL, id, out);
		store_read_end(t);
		if (rc != SE_NOT_FOUND)
			return rc ? SE_RAISEF(ei, rc, "fkeys: cannot load keys") : SE_OK;
		if (attempt)
			break;
		/* generation outside any transaction; the write decides who wins */
		rc = pair_generate(k, id, &p, ei);
		if (rc)
			return rc;
		a = (struct write_arg){id, &p, false, false, now_ms()};
		rc = store_write(k->s, write_pair, &a, ei);
		pair_release(&p);
		if (rc)
			return SE_RAISEF(ei, rc, "fkeys: cannot store keys");
		if (!a.existed)
			log_info("fkeys: created key pairs for '%.*s'", (int)id.n, id.p);
	}
	return SE_RAISEF(ei, SE_IO, "fkeys: keys vanished after creation");
}

enum err fkeys_public(struct fkeys *k, struct str owner_id, struct arena *a, struct fkeys_pub *out,
                      struct err_info *ei)
{
	json_t *rec = NULL;
	const char *rsa, *ed, *prsa, *ped;
	int64_t until;
	enum err rc;

	rc = record_get(k, owner_id, &rec, ei);
	if (rc)
		return rc;
	rsa = json_string_value(json_object_get(rec, "rsa_pub"));
	ed = json_string_value(json_object_get(rec, "ed_pub"));
	prsa = json_string_value(json_object_get(rec, "prev_rsa_pub"));
	ped = json_string_value(json_object_get(rec, "prev_ed_pub"));
	until = json_integer_value(json_object_get(rec, "prev_until"));
	if (!rsa || !ed) {
		rc = SE_RAISEF(ei, SE_PARSE, "fkeys: record without public keys");
		goto out;
	}
	out->rsa_pem = arena_strndup(a, rsa, strlen(rsa));
	out->ed_multibase = arena_strndup(a, ed, strlen(ed));
	out->rsa_pem_prev = NULL;
	out->ed_multibase_prev = NULL;
	out->created_ms = json_integer_value(json_object_get(rec, "created"));
	if (until > now_ms()) {
		out->rsa_pem_prev = prsa ? arena_strndup(a, prsa, strlen(prsa)) : NULL;
		out->ed_multibase_prev = ped ? arena_strndup(a, ped, strlen(ped)) : NULL;
	}
	if (!out->rsa_pem || !out->ed_multibase || (prsa && until > now_ms() && !out->rsa_pem_prev))
		rc = SE_RAISE(ei, SE_NOMEM);
out:
	json_decref(rec);
	return rc;
}

/* ---- private keys and the cache ---- */

static enum err private_parse(struct fkeys *k, struct str id, const json_t *rec, EVP_PKEY **rsa,
                              EVP_PKEY **ed, struct err_info *ei)
{
	unsigned char *plain = xmalloc(SEALED_MAX);
	const char *s1 = json_string_value(json_object_get(rec, "rsa_priv"));
	const char *s2 = json_string_value(json_object_get(rec, "ed_priv"));
	size_t n = 0;
	BIO *b = NULL;
	enum err rc = SE_PARSE;

	*rsa = *ed = NULL;
	if (!s1 || !s2 || unseal(k, id, str_from(s1), plain, &n) != SE_OK)
		goto out;
	b = BIO_new_mem_buf(plain, (int)n);
	*rsa = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	if (!*rsa || EVP_PKEY_get_base_id(*rsa) != EVP_PKEY_RSA)
		goto out;
	cry_wipe(plain, n);
	if (unseal(k, id, str_from(s2), plain, &n) != SE_OK || n != 32)
		goto out;
	*ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, plain, 32);
	if (*ed)
		rc = SE_OK;
out:
	BIO_free(b);
	cry_wipe(plain, SEALED_MAX);
	mem_free(plain);
	if (rc) {
		EVP_PKEY_free(*rsa);
		EVP_PKEY_free(*ed);
		*rsa = *ed = NULL;
		return SE_RAISEF(ei, rc,
		                 "fkeys: private keys of '%.*s' do not decrypt (wrong "
		                 "federation key?)",
		                 (int)(id.n > 40 ? 40 : id.n), id.p);
	}
	return SE_OK;
}

/* FNV-1a: the cache compares 64-bit hashes before ids */
static uint64_t id_hash(struct str id)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < id.n; i++)
		h = (h ^ (unsigned char)id.p[i]) * 1099511628211ULL;
	return h;
}

/* Under k->mu: the entry for id, or NULL. */
static struct fkeys_entry *cache_find(struct fkeys *k, struct str id)
{
	uint64_t h = id_hash(id);

	for (size_t i = 0; i < k->n; i++)
		if (k->cache[i].hash == h && strlen(k->cache[i].id) == id.n &&
		    memcmp(k->cache[i].id, id.p, id.n) == 0)
			return &k->cache[i];
	return NULL;
}

/* Takes rsa and ed (frees them when a rotation ran since `gen` was read). */
static void cache_put(struct fkeys *k, struct str id, EVP_PKEY *rsa, EVP_PKEY *ed, uint64_t gen)
{
	struct fkeys_entry *e;

	pthread_mutex_lock(&k->mu);
	if (gen != k->gen) {
		pthread_mutex_unlock(&k->mu);
		EVP_PKEY_free(rsa);
		EVP_PKEY_free(ed);
		return;
	}
	e = cache_find(k, id);
	if (!e && k->n < FKEYS_CACHE_MAX) {
		e = &k->cache[k->n++];
	} else if (!e) {
		e = &k->cache[0];
		for (size_t i = 1; i < k->n; i++)
			if (k->cache[i].used < e->used)
				e = &k->cache[i];
	}
	EVP_PKEY_free(e->rsa);
	EVP_PKEY_free(e->ed);
	memcpy(e->id, id.p, id.n);
	e->id[id.n] = '\0';
	e->hash = id_hash(id);
	e->rsa = rsa;
	e->ed = ed;
	e->used = ++k->clock;
	pthread_mutex_unlock(&k->mu);
}

/* A new reference to the cached key, or NULL; `*gen` gets the generation. */
static EVP_PKEY *cache_get(struct fkeys *k, struct str id, bool want_rsa, uint64_t *gen)
{
	struct fkeys_entry *e;
	EVP_PKEY *r = NULL;

	pthread_mutex_lock(&k->mu);
	*gen = k->gen;
	e = cache_find(k, id);
	if (e) {
		r = want_rsa ? e->rsa : e->ed;
		if (r)
			EVP_PKEY_up_ref(r);
		e->used = ++k->clock;
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

void fkeys_forget(struct fkeys *k, struct str id)
{
	struct fkeys_entry *e;

	pthread_mutex_lock(&k->mu);
	k->gen++;
	e = cache_find(k, id);
	if (e) {
		EVP_PKEY_free(e->rsa);
		EVP_PKEY_free(e->ed);
		*e = k->cache[--k->n];
		memset(&k->cache[k->n], 0, sizeof(k->cache[k->n]));
	}
	pthread_mutex_unlock(&k->mu);
}

static enum err private_get(struct fkeys *k, struct str id, bool want_rsa, void **evp_out,
                            struct err_info *ei)
{
	EVP_PKEY *rsa, *ed, *hit;
	json_t *rec = NULL;
	uint64_t gen;
	enum err rc;

	rc = check_id(id, ei);
	if (rc)
		return rc;
	hit = cache_get(k, id, want_rsa, &gen);
	if (hit) {
		*evp_out = hit;
		return SE_OK;
	}
	rc = record_get(k, id, &rec, ei);
	if (rc)
		return rc;
	rc = private_parse(k, id, rec, &rsa, &ed, ei);
	json_decref(rec);
	if (rc)
		return rc;
	hit = want_rsa ? rsa : ed;
	EVP_PKEY_up_ref(hit);
	cache_put(k, id, rsa, ed, gen);
	*evp_out = hit;
	return SE_OK;
}

enum err fkeys_private_rsa(struct fkeys *k, struct str owner_id, void **evp_out,
                           struct err_info *ei)
{
	return private_get(k, owner_id, true, evp_out, ei);
}

enum err fkeys_private_ed25519(struct fkeys *k, struct str owner_id, void **evp_out,
                               struct err_info *ei)
{
	return private_get(k, owner_id, false, evp_out, ei);
}

enum err fkeys_rotate(struct fkeys *k, struct str owner_id, struct err_info *ei)
{
	struct pair p;
	struct write_arg a;
	enum err rc;

	rc = check_id(owner_id, ei);
	if (rc)
		return rc;
	rc = pair_generate(k, owner_id, &p, ei);
	if (rc)
		return rc;
	a = (struct write_arg){owner_id, &p, true, false, now_ms()};
	rc = store_write(k->s, write_pair, &a, ei);
	pair_release(&p);
	fkeys_forget(k, owner_id);
	if (rc)
		return SE_RAISEF(ei, rc, "fkeys: cannot store rotated keys");
	log_info("fkeys: rotated the keys of '%.*s'", (int)owner_id.n, owner_id.p);
	return SE_OK;
}

/* ---- remote public keys ---- */

static enum err check_pub(EVP_PKEY *key, struct err_info *ei)
{
	int bits;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits < 1024 || bits > 8192)
			return SE_RAISEF(ei, SE_INVAL, "fkeys: RSA key of %d bits refused", bits);
		return SE_OK;
	case EVP_PKEY_ED25519:
		return SE_OK;
	default:
		return SE_RAISEF(ei, SE_INVAL, "fkeys: unsupported key type");
	}
}

enum err fkeys_parse_pem(struct str pem, void **evp_out, struct err_info *ei)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *q;
	long len = 0;
	EVP_PKEY *key = NULL;
	BIO *b;
	enum err rc = SE_PARSE;

	if (pem.n > FKEYS_PEM_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "fkeys: PEM over %d bytes", FKEYS_PEM_MAX);
	if (pem.n == 0)
		return SE_RAISEF(ei, SE_PARSE, "fkeys: empty PEM");
	b = BIO_new_mem_buf(pem.p, (int)pem.n);
	if (!b)
		return SE_RAISE(ei, SE_NOMEM);
	if (PEM_read_bio(b, &name, &header, &data, &len) != 1 || len <= 0)
		goto out;
	q = data;
	if (strcmp(name, "PUBLIC KEY") == 0)
		key = d2i_PUBKEY(NULL, &q, len);
	else if (strcmp(name, "RSA PUBLIC KEY") == 0)
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, len);
	if (!key || q != data + len)
		goto out;
	rc = check_pub(key, ei);
	if (rc)
		goto out_rc;
	*evp_out = key;
	key = NULL;
	rc = SE_OK;
	goto out_rc;
out:
	rc = SE_RAISEF(ei, SE_PARSE, "fkeys: not a PEM public key (SPKI or PKCS#1)");
out_rc:
	EVP_PKEY_free(key);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return rc;
}

enum err fkeys_parse_multibase(struct str mb, void **evp_out, struct err_info *ei)
{
	unsigned char raw[B58_MAX_BYTES];
	size_t n = 0;
	EVP_PKEY *key;

	if (mb.n < 2 || mb.p[0] != 'z')
		return SE_RAISEF(ei, SE_PARSE, "fkeys: multibase key is not base58btc ('z')");
	if (b58_decode((struct str){mb.p + 1, mb.n - 1}, raw, sizeof(raw), &n) != SE_OK)
		return SE_RAISEF(ei, SE_PARSE, "fkeys: bad base58 in a multibase key");
	if (n < 2 || raw[0] != 0xed || raw[1] != 0x01)
		return SE_RAISEF(ei, SE_INVAL, "fkeys: multikey is not Ed25519 (0xed01)");
	if (n != 34)
		return SE_RAISEF(ei, SE_PARSE, "fkeys: Ed25519 multikey of %zu bytes", n);
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 2, 32);
	if (!key)
		return SE_RAISEF(ei, SE_PARSE, "fkeys: bad Ed25519 public key");
	*evp_out = key;
	return SE_OK;
}

void fkeys_ed25519_multibase(const unsigned char pub[32], char out[FKEYS_MULTIBASE_MAX])
{
	unsigned char raw[34] = {0xed, 0x01};

	memcpy(raw + 2, pub, 32);
	out[0] = 'z';
	if (b58_encode(raw, sizeof(raw), out + 1, FKEYS_MULTIBASE_MAX - 1) != SE_OK)
		out[0] = '\0'; /* cannot happen: 34 bytes encode to 47 characters */
}
