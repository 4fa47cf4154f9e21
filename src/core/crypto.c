/*
 * core/crypto.c: randomness, tokens, comparisons, argon2id and SHA-256
 * (libsodium), HMAC-SHA1 (OpenSSL EVP_Q_mac, RFC 2104) and key files
 * (OpenSSL 3 EVP).
 */
#include "core/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"

_Static_assert(CRY_PWHASH_MAX == crypto_pwhash_STRBYTES, "CRY_PWHASH_MAX");

enum err cry_init(void)
{
	return sodium_init() < 0 ? SE_IO : SE_OK;
}

void cry_random(void *out, size_t n)
{
	randombytes_buf(out, n);
}

void cry_token(char *out, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

	/* 64 symbols: the low six bits of a uniform byte are uniform. */
	cry_random(out, n);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[(unsigned char)out[i] & 63];
	out[n] = '\0';
}

bool cry_eq(struct str a, struct str b)
{
	if (a.n != b.n)
		return false;
	if (a.n == 0)
		return true;
	return sodium_memcmp(a.p, b.p, a.n) == 0;
}

void cry_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

void cry_base64url(struct buf *out, const void *p, size_t n, bool pad)
{
	int variant =
	    pad ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t len = sodium_base64_encoded_len(n, variant);

	if (buf_grow(out, len))
		return;
	sodium_bin2base64(out->ptr + out->len, len, p, n, variant);
	out->len += len - 1;
}

enum err cry_pwhash(struct str pw, unsigned ops, size_t mem_kib, char out[CRY_PWHASH_MAX])
{
	char tmp[CRY_PWHASH_MAX];
	unsigned long long opslimit = ops;
	size_t memlimit;

	if (opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return SE_INVAL;
	if (mem_kib > crypto_pwhash_argon2id_MEMLIMIT_MAX / 1024)
		return SE_INVAL;
	memlimit = mem_kib * 1024;
	if (memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN)
		return SE_INVAL;
	if (pw.n > crypto_pwhash_argon2id_PASSWD_MAX)
		return SE_INVAL;
	/* libsodium fails only when it cannot allocate the memory cost */
	if (crypto_pwhash_str_alg(tmp, pw.n ? pw.p : "", pw.n, opslimit, memlimit,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SE_NOMEM;
	memcpy(out, tmp, sizeof(tmp));
	return SE_OK;
}

bool cry_pwhash_verify(const char *hash, struct str pw)
{
	if (!hash || memchr(hash, '\0', CRY_PWHASH_MAX) == NULL)
		return false;
	return crypto_pwhash_str_verify(hash, pw.n ? pw.p : "", pw.n) == 0;
}

void cry_sha256(const void *p, size_t n, unsigned char out[32])
{
	crypto_hash_sha256(out, n ? p : (const void *)"", n);
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(struct cry_sha256), "cry_sha256");

void cry_sha256_init(struct cry_sha256 *h)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)h->opaque);
}

void cry_sha256_update(struct cry_sha256 *h, const void *p, size_t n)
{
	if (n)
		crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)h->opaque, p, n);
}

void cry_sha256_final(struct cry_sha256 *h, unsigned char out[32])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)h->opaque, out);
	sodium_memzero(h, sizeof(*h));
}

void cry_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                     unsigned char out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, klen ? key : (const void *)"", klen);
	if (mlen)
		crypto_auth_hmacsha256_update(&st, msg, mlen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void cry_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                   unsigned char out[20])
{
	static const unsigned char empty[1];
	size_t len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, klen ? key : empty, klen,
	               mlen ? msg : empty, mlen, out, 20, &len) ||
	    len != 20) {
		/* a zero or partial MAC would be a guessable TOTP code: fail hard */
		log_error("crypto: HMAC-SHA1 failed");
		abort();
	}
}

uint32_t cry_random_below(uint32_t n)
{
	return n < 2 ? 0 : randombytes_uniform(n);
}

void cry_random_string(char *out, size_t n, const char *alphabet)
{
	unsigned char pool[64];
	size_t len = strlen(alphabet), used = sizeof(pool), i = 0;
	unsigned mask = 1;

	if (len == 0 || len > 256) {
		log_error("crypto: random string alphabet of %zu bytes", len);
		abort();
	}
	while (mask < len)
		mask <<= 1;
	mask -= 1;
	/* keep the low bits of each byte, drop values past the alphabet: unbiased */
	while (i < n) {
		unsigned v;

		if (used == sizeof(pool)) {
			cry_random(pool, sizeof(pool));
			used = 0;
		}
		v = pool[used++] & mask;
		if (v < len)
			out[i++] = alphabet[v];
	}
	out[n] = '\0';
	cry_wipe(pool, sizeof(pool));
}

static EVP_PKEY *read_key(const char *path, struct err_info *ei, enum err *rc)
{
	EVP_PKEY *key = NULL;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errno == ENOENT) {
			*rc = SE_NOT_FOUND;
			return NULL;
		}
		*rc = SE_RAISEF(ei, SE_IO, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key || !EVP_PKEY_is_a(key, "EC")) {
		EVP_PKEY_free(key);
		*rc = SE_RAISEF(ei, SE_PARSE, "'%s' is not an EC private key", path);
		return NULL;
	}
	*rc = SE_OK;
	return key;
}

static EVP_PKEY *create_key(const char *path, struct err_info *ei, enum err *rc)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	FILE *f = NULL;
	int fd;

	if (!key) {
		*rc = SE_RAISEF(ei, SE_IO, "cannot generate a P-256 key");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || fflush(f) ||
	    fsync(fileno(f))) {
		*rc = SE_RAISEF(ei, SE_IO, "cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		unlink(path);
		EVP_PKEY_free(key);
		return NULL;
	}
	fclose(f);
	*rc = SE_OK;
	return key;
}

enum err cry_vapid_load(const char *path, struct buf *pub_b64, struct err_info *ei)
{
	unsigned char point[65];
	size_t len = 0;
	enum err rc;
	EVP_PKEY *key = read_key(path, ei, &rc);

	if (rc == SE_NOT_FOUND)
		key = create_key(path, ei, &rc);
	if (rc)
		return rc;
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                     sizeof(point), &len) ||
	    len != sizeof(point) || point[0] != 4) {
		rc = SE_RAISEF(ei, SE_PARSE, "'%s' is not a P-256 key", path);
		goto out;
	}
	cry_base64url(pub_b64, point, len, true);
	rc = buf_err(pub_b64);
out:
	EVP_PKEY_free(key);
	return rc;
}

/* ---- 32-byte key files ---- */

/* bytes of a key file: base64 of 32 bytes, a newline, some slack */
#define KEY_FILE_MAX 128

static enum err key_decode(const char *who, struct str b64, unsigned char key[32], const char *what,
                           struct err_info *ei)
{
	unsigned char tmp[64];
	size_t n = 0;

	while (b64.n && (b64.p[b64.n - 1] == '\n' || b64.p[b64.n - 1] == '\r'))
		b64.n--;
	b64 = str_trim(b64);
	if (cry_base64_decode(b64, tmp, sizeof(tmp), &n) != SE_OK || n != 32) {
		cry_wipe(tmp, sizeof(tmp));
		return SE_RAISEF(ei, SE_CONFIG, "%s: %s is not base64 of 32 bytes", who, what);
	}
	memcpy(key, tmp, 32);
	cry_wipe(tmp, sizeof(tmp));
	return SE_OK;
}

static enum err key_create(const char *who, const char *path, struct err_info *ei)
{
	unsigned char key[32];
	struct buf b = BUF_INIT(KEY_FILE_MAX);
	enum err rc = SE_OK;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) /* another process made it first: use theirs */
			return SE_OK;
		return SE_RAISEF(ei, SE_IO, "%s: cannot create '%s': %s", who, path,
		                 strerror(errno));
	}
	cry_random(key, sizeof(key));
	cry_base64url(&b, key, sizeof(key), true);
	buf_putc(&b, '\n');
	cry_wipe(key, sizeof(key));
	/* some 46 bytes to a new regular file: one write() (a short one is an error) */
	if (buf_err(&b) || write(fd, b.ptr, b.len) != (ssize_t)b.len || fsync(fd)) {
		rc = SE_RAISEF(ei, SE_IO, "%s: cannot write '%s': %s", who, path, strerror(errno));
		unlink(path);
	} else {
		log_info("%s: generated the at-rest key '%s'", who, path);
	}
	close(fd);
	if (b.ptr)
		cry_wipe(b.ptr, b.len);
	buf_release(&b);
	return rc;
}

enum err cry_key_file_load(const struct cry_key_src *src, unsigned char key[32],
                           struct err_info *ei)
{
	struct buf path = BUF_INIT(4096);
	char text[KEY_FILE_MAX + 1];
	const char *p;
	struct stat st;
	enum err rc;
	ssize_t n;
	int fd = -1;

	if (src->b64 && src->b64[0])
		return key_decode(src->who, str_from(src->b64), key, src->b64_name, ei);
	buf_printf(&path, "%s/%s", src->dir, src->file);
	if (buf_err(&path)) {
		rc = SE_RAISEF(ei, SE_CONFIG, "%s: key file path too long", src->who);
		goto out;
	}
	p = buf_cstr(&path);
	if (mkdir(src->dir, 0700) != 0 && errno != EEXIST) {
		rc = SE_RAISEF(ei, SE_IO, "%s: cannot create '%s': %s", src->who, src->dir,
		               strerror(errno));
		goto out;
	}
	rc = key_create(src->who, p, ei);
	if (rc)
		goto out;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = SE_RAISEF(ei, SE_IO, "%s: cannot read '%s': %s", src->who, p, strerror(errno));
		goto out;
	}
	if (st.st_mode & 077)
		log_warn("%s: '%s' is readable by others (mode %03o); chmod 600 it", src->who, p,
		         (unsigned)(st.st_mode & 0777));
	n = read(fd, text, sizeof(text));
	if (n < 0 || n > KEY_FILE_MAX) {
		rc = SE_RAISEF(ei, SE_CONFIG, "%s: cannot read a key from '%s'", src->who, p);
		goto out;
	}
	rc = key_decode(src->who, (struct str){text, (size_t)n}, key, p, ei);
out:
	cry_wipe(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return rc;
}

uint64_t cry_shorthash(const unsigned char key[16], const void *p, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, p, n, key);
	for (int i = crypto_shorthash_BYTES - 1; i >= 0; i--)
		v = v << 8 | h[i];
	return v;
}

enum err cry_base64_decode(struct str in, void *out, size_t cap, size_t *n)
{
	static const int variants[] = {
	    sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	    sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
	const char *end = NULL;
	size_t len = 0;

	if (in.n / 4 * 3 > cap + 2)
		return SE_TOO_LARGE;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (sodium_base642bin(out, cap, in.n ? in.p : "", in.n, NULL, &len, &end,
		                      variants[i]) == 0 &&
		    end == in.p + in.n) {
			*n = len;
			return SE_OK;
		}
	}
	return SE_PARSE;
}

_Static_assert(CRY_SSTREAM_KEYBYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES, "key");
_Static_assert(CRY_SSTREAM_HEADERBYTES == crypto_secretstream_xchacha20poly1305_HEADERBYTES, "hdr");
_Static_assert(CRY_SSTREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES, "abytes");
_Static_assert(sizeof(crypto_secretstream_xchacha20poly1305_state) <= sizeof(struct cry_sstream),
               "cry_sstream");

#define SSTATE(st) ((crypto_secretstream_xchacha20poly1305_state *)(void *)(st)->opaque)

void cry_sstream_push_init(struct cry_sstream *st, unsigned char header[CRY_SSTREAM_HEADERBYTES],
                           const unsigned char key[CRY_SSTREAM_KEYBYTES])
{
	crypto_secretstream_xchacha20poly1305_init_push(SSTATE(st), header, key);
}

enum err cry_sstream_push(struct cry_sstream *st, unsigned char *c, const unsigned char *m,
                          size_t mlen, const void *ad, size_t adlen, bool final)
{
	static const unsigned char empty[1];
	unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
	                          : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;

	if (mlen > crypto_secretstream_xchacha20poly1305_MESSAGEBYTES_MAX)
		return SE_INVAL;
	if (crypto_secretstream_xchacha20poly1305_push(SSTATE(st), c, NULL, mlen ? m : empty, mlen,
	                                               adlen ? ad : NULL, adlen, tag) != 0)
		return SE_INVAL;
	return SE_OK;
}

enum err cry_sstream_pull_init(struct cry_sstream *st,
                               const unsigned char header[CRY_SSTREAM_HEADERBYTES],
                               const unsigned char key[CRY_SSTREAM_KEYBYTES])
{
	if (crypto_secretstream_xchacha20poly1305_init_pull(SSTATE(st), header, key) != 0)
		return SE_PARSE;
	return SE_OK;
}

enum err cry_sstream_pull(struct cry_sstream *st, unsigned char *m, const unsigned char *c,
                          size_t clen, const void *ad, size_t adlen, bool *final)
{
	unsigned char tag = 0;

	if (clen < CRY_SSTREAM_ABYTES)
		return SE_PARSE;
	if (crypto_secretstream_xchacha20poly1305_pull(SSTATE(st), m, NULL, &tag, c, clen,
	                                               adlen ? ad : NULL, adlen) != 0)
		return SE_PARSE;
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE &&
	    tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		return SE_PARSE;
	*final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return SE_OK;
}

void cry_sstream_wipe(struct cry_sstream *st)
{
	sodium_memzero(st, sizeof(*st));
}
