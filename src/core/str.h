/*
 * core/str.h: `struct str`, a borrowed byte slice passed by value.
 *
 * Owns: nothing it points at. All parsing of outside input uses slices; a
 * slice never implies a NUL terminator.
 * Threads: pure functions.
 */
#ifndef SOL_CORE_STR_H
#define SOL_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
	const char *p;
	size_t n;
};

#define STR_NULL ((struct str){NULL, 0})
/* A slice of a string literal. */
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* A slice of a NUL-terminated string; NULL gives the empty slice. */
struct str str_from(const char *s);
bool str_eq(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *b);
/* ASCII case-insensitive comparison. */
bool str_eq_nocase(struct str a, struct str b);
bool str_has_prefix(struct str s, struct str prefix);
/* Strips ASCII spaces and tabs from both ends. */
struct str str_trim(struct str s);
/*
 * Splits `*s` at the first `sep`: returns the part before it and leaves the
 * rest (after the separator) in `*s`. With no separator, returns all of `*s`
 * and leaves it empty.
 */
struct str str_cut(struct str *s, char sep);
/* Index of the first `c` in `s`, or -1. */
long str_index(struct str s, char c);
/*
 * Parses a whole decimal unsigned integer (no sign, no spaces) that is at most
 * `max`. Returns false on empty input, a non-digit or overflow.
 */
bool str_to_u64(struct str s, uint64_t max, uint64_t *out);

#endif /* SOL_CORE_STR_H */
