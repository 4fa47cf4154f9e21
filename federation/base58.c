/*
 * federation/base58.c: base58btc (draft-msporny-base58), the schoolbook
 * big-number conversion; inputs are small keys, so O(n^2) is fine.
 */
#include "federation/base58.h"

#include <string.h>

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

enum err b58_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	unsigned char digits[B58_MAX_TEXT];
	size_t zeros = 0, len = 0;

	if (n > B58_MAX_BYTES)
		return SE_TOO_LARGE;
	while (zeros < n && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = in[i];

		for (size_t j = 0; j < len; j++) {
			carry += (unsigned)digits[j] << 8;
			digits[j] = (unsigned char)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			digits[len++] = (unsigned char)(carry % 58);
			carry /= 58;
		}
	}
	if (zeros + len + 1 > cap)
		return SE_TOO_LARGE;
	memset(out, '1', zeros);
	for (size_t i = 0; i < len; i++)
		out[zeros + i] = alphabet[digits[len - 1 - i]];
	out[zeros + len] = '\0';
	return SE_OK;
}

static int digit_of(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

enum err b58_decode(struct str in, unsigned char *out, size_t cap, size_t *n)
{
	unsigned char bytes[B58_MAX_TEXT];
	size_t zeros = 0, len = 0;

	if (in.n == 0)
		return SE_PARSE;
	if (in.n > B58_MAX_TEXT)
		return SE_TOO_LARGE;
	while (zeros < in.n && in.p[zeros] == '1')
		zeros++;
	for (size_t i = zeros; i < in.n; i++) {
		int d = digit_of(in.p[i]);
		unsigned carry;

		if (d < 0)
			return SE_PARSE;
		carry = (unsigned)d;
		for (size_t j = 0; j < len; j++) {
			carry += (unsigned)bytes[j] * 58;
			bytes[j] = (unsigned char)(carry & 0xff);
			carry >>= 8;
		}
		while (carry) {
			bytes[len++] = (unsigned char)(carry & 0xff);
			carry >>= 8;
		}
	}
	if (zeros + len > cap || zeros + len > B58_MAX_BYTES)
		return SE_TOO_LARGE;
	memset(out, 0, zeros);
	for (size_t i = 0; i < len; i++)
		out[zeros + i] = bytes[len - 1 - i];
	*n = zeros + len;
	return SE_OK;
}
