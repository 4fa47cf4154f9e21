/*
 * core/ulid.c: ULID generation, encoding and parsing
 * (https://github.com/ulid/spec, monotonic variant).
 */
#include "core/ulid.h"

#include "core/crypto.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Process-wide generator: shared state like the random source itself. */
static struct ulid_gen default_gen = ULID_GEN_INIT;

void ulid_gen_init(struct ulid_gen *g)
{
	pthread_mutex_init(&g->mu, NULL);
	g->last_ms = 0;
	memset(&g->last, 0, sizeof(g->last));
	g->have_last = false;
}

void ulid_gen_release(struct ulid_gen *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->mu);
}

/* The one random source (STYLE rule 24): libsodium's CSPRNG. */
static enum err fill_random(uint8_t *p, size_t n)
{
	cry_random(p, n);
	return SE_OK;
}

/* Adds one to the 80-bit random part; false when it wraps around. */
static bool increment_random(struct ulid *u)
{
	for (int i = 15; i >= 6; i--) {
		if (++u->b[i] != 0)
			return true;
	}
	return false;
}

enum err ulid_from_parts(uint64_t ms, const uint8_t rnd[10], struct ulid *out)
{
	if (ms > ULID_TIME_MAX)
		return SE_INVAL;
	for (int i = 0; i < 6; i++)
		out->b[i] = (uint8_t)(ms >> (8 * (5 - i)));
	memcpy(out->b + 6, rnd, 10);
	return SE_OK;
}

enum err ulid_generate_at(struct ulid_gen *g, uint64_t now_ms, struct ulid *out)
{
	struct ulid u;
	uint8_t rnd[10];
	enum err rc;

	if (now_ms > ULID_TIME_MAX)
		return SE_INVAL;
	if (!g)
		g = &default_gen;
	pthread_mutex_lock(&g->mu);
	if (g->have_last && now_ms <= g->last_ms) {
		/* Same millisecond, or the clock went back: stay monotonic. */
		u = g->last;
		if (!increment_random(&u)) {
			rc = SE_FULL;
			goto out;
		}
	} else {
		rc = fill_random(rnd, sizeof(rnd));
		if (rc)
			goto out;
		rc = ulid_from_parts(now_ms, rnd, &u);
		if (rc)
			goto out;
		g->last_ms = now_ms;
	}
	g->last = u;
	g->have_last = true;
	*out = u;
	rc = SE_OK;
out:
	pthread_mutex_unlock(&g->mu);
	return rc;
}

enum err ulid_generate(struct ulid_gen *g, struct ulid *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ulid_generate_at(g, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
	                        out);
}

void ulid_encode(const struct ulid *u, char out[ULID_LEN + 1])
{
	/* 128 bits as 26 groups of 5 from the top; the first group has 3 bits. */
	for (int i = 0; i < ULID_LEN; i++) {
		int bit = 128 - 5 * (ULID_LEN - i); /* may be -2 for i == 0 */
		unsigned v = 0;

		for (int k = 0; k < 5; k++) {
			int pos = bit + k;

			v <<= 1;
			if (pos >= 0)
				v |= (u->b[pos / 8] >> (7 - pos % 8)) & 1u;
		}
		out[i] = alphabet[v];
	}
	out[ULID_LEN] = '\0';
}

static int decode_char(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	for (int i = 10; i < 32; i++) {
		if (alphabet[i] == c)
			return i;
	}
	return -1;
}

enum err ulid_parse(struct str in, struct ulid *out, struct err_info *ei)
{
	struct ulid u;

	memset(&u, 0, sizeof(u));
	if (in.n != ULID_LEN || !in.p)
		return SE_RAISEF(ei, SE_PARSE, "ulid: length %zu, want %d", in.n, ULID_LEN);
	for (size_t i = 0; i < ULID_LEN; i++) {
		int v = decode_char(in.p[i]);
		int bit = 128 - 5 * (ULID_LEN - (int)i);

		if (v < 0)
			return SE_RAISEF(ei, SE_PARSE, "ulid: bad character at %zu", i);
		if (i == 0 && v > 7)
			return SE_RAISEF(ei, SE_PARSE, "ulid: value overflows 128 bits");
		for (int k = 0; k < 5; k++) {
			int pos = bit + k;

			if (pos >= 0 && ((unsigned)v >> (4 - k)) & 1u)
				u.b[pos / 8] |= (uint8_t)(0x80u >> (pos % 8));
		}
	}
	*out = u;
	return SE_OK;
}

bool ulid_is_valid(struct str in)
{
	struct ulid u;

	return ulid_parse(in, &u, NULL) == SE_OK;
}

uint64_t ulid_time_ms(const struct ulid *u)
{
	uint64_t ms = 0;

	for (int i = 0; i < 6; i++)
		ms = (ms << 8) | u->b[i];
	return ms;
}

int ulid_cmp(const struct ulid *a, const struct ulid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
