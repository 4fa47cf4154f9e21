/*
 * federation/httpsig_int.h: what the parsers of federation/httpsig.h share
 * (httpsig_parse.c: draft-cavage and hsig_parse; httpsig_sf.c: RFC 8941
 * structured fields for RFC 9421). Nothing outside federation/httpsig*.c
 * includes it.
 */
#ifndef SOL_FEDERATION_HTTPSIG_INT_H
#define SOL_FEDERATION_HTTPSIG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "federation/httpsig.h"

/* parameters seen once each (duplicates are refused) */
enum hsig_seen {
	HSIG_SEEN_KEYID = 1 << 0,
	HSIG_SEEN_ALG = 1 << 1,
	HSIG_SEEN_HEADERS = 1 << 2,
	HSIG_SEEN_SIG = 1 << 3,
	HSIG_SEEN_CREATED = 1 << 4,
	HSIG_SEEN_EXPIRES = 1 << 5,
};

static inline bool hsig_is_lc(char c)
{
	return c >= 'a' && c <= 'z';
}

static inline bool hsig_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline char hsig_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 tchar, used by cavage parameter names and sf-tokens */
static inline bool hsig_is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || hsig_is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static inline void hsig_skip_ows(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* An empty parsed signature of scheme `s` (created/expires -1). */
void hsig_parsed_init(struct hsig_parsed *o, enum hsig_scheme s);
/* Copies `v` NUL-terminated into `dst`; SE_TOO_LARGE, SE_PARSE (NUL inside). */
enum err hsig_copy_field(char *dst, size_t cap, struct str v, const char *what,
                         struct err_info *ei);
/* Appends a covered component (lower-cased if asked); SE_PARSE for an empty,
 * duplicated or ill-formed name, SE_TOO_LARGE past the limits. */
enum err hsig_add_component(struct hsig_parsed *o, struct str name, bool lowercase,
                            struct err_info *ei);
/* created/expires: 1 to 12 digits. */
bool hsig_parse_time(struct str v, int64_t *out);
/* Base64 signature into o->sig; SE_PARSE, SE_TOO_LARGE. */
enum err hsig_decode_sig(struct str b64, struct hsig_parsed *o, struct err_info *ei);

#endif /* SOL_FEDERATION_HTTPSIG_INT_H */
