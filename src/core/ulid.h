/*
 * core/ulid.h: ULIDs as Revolt uses them (https://github.com/ulid/spec).
 *
 * Owns: the 128-bit value (48-bit big-endian millisecond timestamp, then 80
 * random bits), its canonical text form (26 upper-case Crockford base32
 * characters, which sorts like the binary form), monotonic generation.
 * Does not own: the clock for tests (ulid_generate_at takes it explicitly).
 * Threads: parsing and encoding are pure; a generator has its own mutex.
 * Memory: value types only; nothing here allocates.
 */
#ifndef SOL_CORE_ULID_H
#define SOL_CORE_ULID_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* characters of the text form */
#define ULID_LEN 26
/* largest timestamp a ULID can carry (2^48 - 1 ms, year 10889) */
#define ULID_TIME_MAX ((UINT64_C(1) << 48) - 1)

/* The binary form; memcmp order equals time order, then random order. */
struct ulid {
	uint8_t b[16];
};

/*
 * Monotonic generator: within one millisecond (or if the clock goes back)
 * the random part of the previous ULID is incremented instead of drawn anew,
 * so ULIDs from one generator strictly increase.
 */
struct ulid_gen {
	pthread_mutex_t mu;
	uint64_t last_ms;
	struct ulid last;
	bool have_last;
};

#define ULID_GEN_INIT                                                                              \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, 0, {{0}}, false                                         \
	}

void ulid_gen_init(struct ulid_gen *g);
void ulid_gen_release(struct ulid_gen *g);

/*
 * New ULID at the current wall-clock time from `g` (NULL: the process-wide
 * generator, so every caller in the process shares one monotonic sequence).
 * Randomness comes from getrandom(2).
 * Returns SE_OK, SE_IO (no randomness available) or SE_FULL (the 80-bit
 * random part overflowed within one millisecond; practically impossible).
 * Threads: any thread.
 */
enum err ulid_generate(struct ulid_gen *g, struct ulid *out) __attribute__((warn_unused_result));

/*
 * Like ulid_generate with an explicit clock `now_ms` (milliseconds since the
 * Unix epoch). Returns SE_INVAL if now_ms > ULID_TIME_MAX.
 */
enum err ulid_generate_at(struct ulid_gen *g, uint64_t now_ms, struct ulid *out)
    __attribute__((warn_unused_result));

/* Builds a ULID from its parts. Returns SE_INVAL if ms > ULID_TIME_MAX. */
enum err ulid_from_parts(uint64_t ms, const uint8_t rnd[10], struct ulid *out)
    __attribute__((warn_unused_result));

/* Writes the canonical 26 characters plus a NUL into `out`. */
void ulid_encode(const struct ulid *u, char out[ULID_LEN + 1]);

/*
 * Parses the canonical text form. Pure: no allocation, never reads past in.n.
 * Accepts exactly 26 characters of "0123456789ABCDEFGHJKMNPQRSTVWXYZ" with a
 * first character <= '7' (larger values overflow 128 bits). Lower case and
 * the Crockford aliases (I, L, O) are rejected so that one ULID has exactly
 * one spelling (ids are compared as strings everywhere).
 * Returns SE_OK or SE_PARSE (ei->detail says why; ei may be NULL).
 */
enum err ulid_parse(struct str in, struct ulid *out, struct err_info *ei)
    __attribute__((warn_unused_result));

bool ulid_is_valid(struct str in);

/* Milliseconds since the Unix epoch carried by `u`. */
uint64_t ulid_time_ms(const struct ulid *u);

/* <0, 0, >0 like memcmp. */
int ulid_cmp(const struct ulid *a, const struct ulid *b);

#endif /* SOL_CORE_ULID_H */
