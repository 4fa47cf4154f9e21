/*
 * core/crypto.c: randomness, tokens, comparisons (libsodium) and key files
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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"

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

uint64_t cry_shorthash(const unsigned char key[16], const void *p, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, p, n, key);
	for (int i = crypto_shorthash_BYTES - 1; i >= 0; i--)
		v = v << 8 | h[i];
	return v;
}
