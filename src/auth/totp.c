/*
 * auth/totp.c: base32 (RFC 4648 section 6), HOTP (RFC 4226 section 5.3
 * dynamic truncation) and TOTP (RFC 6238, SHA-1, T0 = 0, X = 30 s).
 */
#include "auth/totp.h"

#include <string.h>

#include "core/crypto.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void totp_b32_encode(const void *p, size_t n, char *out)
{
	const unsigned char *in = p;
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

static int b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

enum err totp_b32_decode(struct str in, unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0, symbols = 0;

	if (in.n > TOTP_B32_IN_MAX)
		return SE_TOO_LARGE;
	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];
		int v;

		if (c == ' ')
			continue;
		v = b32_value(c);
		if (v < 0)
			return SE_PARSE;
		symbols++;
		acc = ((acc << 5) | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return SE_TOO_LARGE;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* 8 symbols carry 5 bytes; 1, 3 or 6 leftover symbols never occur */
	switch (symbols % 8) {
	case 1:
	case 3:
	case 6:
		return SE_PARSE;
	default:
		break;
	}
	*out_len = o;
	return SE_OK;
}

void totp_secret_new(char out[TOTP_SECRET_B32 + 1])
{
	unsigned char raw[TOTP_SECRET_BYTES];

	cry_random(raw, sizeof(raw));
	totp_b32_encode(raw, sizeof(raw), out);
	cry_wipe(raw, sizeof(raw));
}

/* HOTP with an already decoded key; digits in 6..8 */
static void hotp_raw(const unsigned char *key, size_t klen, uint64_t counter, unsigned digits,
                     char *out)
{
	static const uint32_t pow10[] = {1000000, 10000000, 100000000};
	unsigned char msg[8], mac[20];
	uint32_t bin, off;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	cry_hmac_sha1(key, klen, msg, sizeof(msg), mac);
	off = mac[19] & 0xf;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	bin %= pow10[digits - 6];
	for (unsigned i = digits; i > 0; i--) {
		out[i - 1] = (char)('0' + bin % 10);
		bin /= 10;
	}
	out[digits] = '\0';
	cry_wipe(mac, sizeof(mac));
}

static enum err decode_key(struct str secret_b32, unsigned char key[TOTP_SECRET_MAX], size_t *klen)
{
	enum err rc = totp_b32_decode(secret_b32, key, TOTP_SECRET_MAX, klen);

	if (rc == SE_OK && *klen == 0)
		rc = SE_PARSE;
	return rc;
}

enum err totp_hotp(struct str secret_b32, uint64_t counter, unsigned digits, char *out)
{
	unsigned char key[TOTP_SECRET_MAX];
	size_t klen = 0;
	enum err rc;

	if (digits < 6 || digits > 8)
		return SE_INVAL;
	rc = decode_key(secret_b32, key, &klen);
	if (rc)
		goto out;
	hotp_raw(key, klen, counter, digits, out);
out:
	cry_wipe(key, sizeof(key));
	return rc;
}

bool totp_check(struct str secret_b32, struct str code, int64_t now_s, int64_t *step_out)
{
	unsigned char key[TOTP_SECRET_MAX];
	char want[TOTP_DIGITS + 1];
	size_t klen = 0;
	int64_t step, candidates[3], found = -1;
	bool ok = false;

	if (now_s < 0 || code.n != TOTP_DIGITS)
		return false;
	for (size_t i = 0; i < code.n; i++)
		if (code.p[i] < '0' || code.p[i] > '9')
			return false;
	if (decode_key(secret_b32, key, &klen))
		goto out;
	step = now_s / TOTP_STEP_S;
	candidates[0] = step;
	candidates[1] = step - 1;
	candidates[2] = step + 1;
	/* all three are computed and compared whatever matches first */
	for (int i = 0; i < 3; i++) {
		bool eq;

		if (candidates[i] < 0)
			continue;
		hotp_raw(key, klen, (uint64_t)candidates[i], TOTP_DIGITS, want);
		eq = cry_eq(code, (struct str){want, TOTP_DIGITS});
		if (eq && !ok) {
			ok = true;
			found = candidates[i];
		}
	}
	if (ok && step_out)
		*step_out = found;
out:
	cry_wipe(key, sizeof(key));
	cry_wipe(want, sizeof(want));
	return ok;
}
