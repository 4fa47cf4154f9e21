/*
 * auth/username.c: Revolt's username rules (RE_USERNAME, validate_username)
 * and DISCRIMINATOR_SEARCH_SPACE, with libunistring for \p{L}, \d and
 * lower-casing.
 */
#include "auth/username.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <unistr.h>

#include "core/crypto.h"
#include "core/mem.h"

/* a username is at most 32 code points of at most 4 bytes */
#define NAME_BYTES_MAX (UNAME_MAX * 4)

static bool char_allowed(ucs4_t uc)
{
	if (uc < 0x80)
		return (uc >= 'a' && uc <= 'z') || (uc >= 'A' && uc <= 'Z') ||
		       (uc >= '0' && uc <= '9') || uc == '_' || uc == '.' || uc == '-';
	return uc_is_general_category(uc, uc_general_category_or(UC_CATEGORY_L, UC_CATEGORY_Nd));
}

static bool in(ucs4_t uc, ucs4_t lo, ucs4_t hi)
{
	return uc >= lo && uc <= hi;
}

/* See the header: a documented approximation of decancer::cure(x) != x. */
static bool looks_like_ascii(ucs4_t uc)
{
	static const char *const scripts[] = {"Latin",    "Greek",  "Cyrillic", "Armenian",
	                                      "Cherokee", "Coptic", "Georgian"};
	const uc_script_t *sc;

	if (uc < 0x80)
		return false;
	if (uc_is_general_category(uc, UC_CATEGORY_Nd))
		return true;
	if (in(uc, 0xff00, 0xffef) || in(uc, 0x2100, 0x214f) || in(uc, 0x2460, 0x24ff) ||
	    in(uc, 0x1f100, 0x1f1ff) || in(uc, 0x1d00, 0x1dbf) || in(uc, 0x02b0, 0x02ff) ||
	    in(uc, 0x1d400, 0x1d7ff))
		return true;
	sc = uc_script(uc);
	if (!sc)
		return false;
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		if (strcmp(sc->name, scripts[i]) == 0)
			return true;
	return false;
}

static bool contains(const uint8_t *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return true;
	return false;
}

enum err uname_validate(struct str name)
{
	static const char *const blocked_names[] = {"admin", "revolt"};
	static const char *const blocked_parts[] = {"```",        "discord.gg", "rvlt.gg",
	                                            "guilded.gg", "https://",   "http://"};
	/* lower-casing at most doubles the size (U+0130) */
	uint8_t low[2 * NAME_BYTES_MAX + 16], *r;
	size_t count = 0, len = sizeof(low);
	const uint8_t *s = (const uint8_t *)name.p;
	enum err rc = SE_OK;

	/* 1. the validator: length and RE_USERNAME */
	if (name.n < UNAME_MIN || name.n > NAME_BYTES_MAX || u8_check(s, name.n) != NULL)
		return SE_INVAL;
	for (size_t i = 0; i < name.n;) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, s + i, name.n - i);

		if (k <= 0 || !char_allowed(uc))
			return SE_INVAL;
		i += (size_t)k;
		count++;
	}
	if (count < UNAME_MIN || count > UNAME_MAX)
		return SE_INVAL;

	/* 2. validate_username, on the lower-cased name */
	r = u8_tolower(s, name.n, NULL, NULL, low, &len);
	if (!r)
		return SE_NOMEM;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, r + i, len - i);

		if (k <= 0 || looks_like_ascii(uc)) {
			rc = SE_InvalidUsername;
			goto out;
		}
		i += (size_t)k;
	}
	for (size_t i = 0; i < sizeof(blocked_names) / sizeof(blocked_names[0]); i++) {
		if (len == strlen(blocked_names[i]) && memcmp(r, blocked_names[i], len) == 0) {
			rc = SE_InvalidUsername;
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(blocked_parts) / sizeof(blocked_parts[0]); i++) {
		if (contains(r, len, blocked_parts[i])) {
			rc = SE_InvalidUsername;
			goto out;
		}
	}
out:
	/* libunistring allocates only if the result outgrows `low` (it cannot) */
	if (r != low)
		mem_free(r);
	return rc;
}

bool uname_discriminator_allowed(unsigned d)
{
	if (d < UNAME_DISCRIM_MIN || d > UNAME_DISCRIM_MAX)
		return false;
	if (d == 123 || d == 1234 || d == 1488)
		return false;
	/* 1111, 2222, ..., 9999 */
	return !(d % 1111 == 0);
}

static void put4(char out[5], unsigned d)
{
	out[0] = (char)('0' + d / 1000);
	out[1] = (char)('0' + d / 100 % 10);
	out[2] = (char)('0' + d / 10 % 10);
	out[3] = (char)('0' + d % 10);
	out[4] = '\0';
}

enum err uname_discriminator_pick(bool (*taken)(void *arg, unsigned d), void *arg, char out[5])
{
	const unsigned span = UNAME_DISCRIM_MAX - UNAME_DISCRIM_MIN + 1;
	unsigned start;

	for (int i = 0; i < UNAME_PICK_TRIES; i++) {
		unsigned d = UNAME_DISCRIM_MIN + cry_random_below(span);

		if (uname_discriminator_allowed(d) && !taken(arg, d)) {
			put4(out, d);
			return SE_OK;
		}
	}
	start = cry_random_below(span);
	for (unsigned i = 0; i < span; i++) {
		unsigned d = UNAME_DISCRIM_MIN + (start + i) % span;

		if (uname_discriminator_allowed(d) && !taken(arg, d)) {
			put4(out, d);
			return SE_OK;
		}
	}
	return SE_UsernameTaken;
}
