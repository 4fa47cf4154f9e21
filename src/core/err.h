/*
 * core/err.h: the one error enum and its details.
 *
 * Owns: `enum err` (generated from core/err_list.h), the wire name and HTTP
 * status of each code, and `struct err_info`, which carries the payload
 * fields (max, permission, ...) and the raise site. Does not own: rendering
 * the JSON body (src/http/respond.h).
 * Threads: everything here is reentrant.
 */
#ifndef SOL_CORE_ERR_H
#define SOL_CORE_ERR_H

#include <stdbool.h>

enum err_payload {
	ERRP_NONE,
	ERRP_MAX,
	ERRP_PERMISSION,
	ERRP_DATABASE,
	ERRP_ERROR,
	ERRP_FEATURE,
	ERRP_WITH, /* authifier IncorrectData: which field */
};

enum err {
	SE_OK = 0,
#define ERR_ROW(name, status, payload) SE_##name,
#include "core/err_list.h"
#undef ERR_ROW
	SE__COUNT
};

#define ERR_DETAIL_MAX 160

/*
 * Details of the last error raised into it. Strings are either static
 * (permission, feature, collection, operation, where) or copied (detail).
 * ERR_INFO_INIT is all-empty.
 */
struct err_info {
	const char *where;           /* "file.c:123" of the raise site, static */
	long long max;               /* ERRP_MAX */
	const char *permission;      /* ERRP_PERMISSION: Revolt permission name */
	const char *feature;         /* ERRP_FEATURE */
	const char *collection;      /* ERRP_DATABASE */
	const char *operation;       /* ERRP_DATABASE */
	const char *with;            /* ERRP_WITH: the field authifier names */
	int status;                  /* HTTP status override; 0 = the code's own */
	char detail[ERR_DETAIL_MAX]; /* ERRP_ERROR text, or a parse reason */
};
#define ERR_INFO_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

/* "UnknownUser", "NOMEM", ...; "OK" for SE_OK, "?" when out of range. */
const char *err_type(enum err e);
/* HTTP status for the code (200 for SE_OK and NoEffect). */
int err_http_status(enum err e);
enum err_payload err_payload_kind(enum err e);
/* True for codes that are Revolt error types (may go on the wire as is). */
bool err_is_wire(enum err e);
/* Looks a code up by its type name; SE__COUNT when unknown. */
enum err err_from_type(const char *type);

/*
 * Map an internal code to the Revolt error a client sees: PARSE and INVAL →
 * FailedValidation, TOO_LARGE → PayloadTooLarge, NOT_FOUND → NotFound,
 * NOMEM/IO/FULL/... → InternalError or DatabaseError. Wire codes map to
 * themselves.
 */
enum err err_to_wire(enum err e);

/* Record the raise site and return `e`; `ei` may be NULL. */
enum err err_raise(struct err_info *ei, enum err e, const char *where);
/* Like err_raise, also formatting ei->detail (truncated to fit). */
enum err err_raisef(struct err_info *ei, enum err e, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define SE_STR2(x) #x
#define SE_STR(x) SE_STR2(x)
#define SE_RAISE(ei, e) err_raise((ei), (e), __FILE__ ":" SE_STR(__LINE__))
#define SE_RAISEF(ei, e, ...) err_raisef((ei), (e), __FILE__ ":" SE_STR(__LINE__), __VA_ARGS__)

#endif /* SOL_CORE_ERR_H */
