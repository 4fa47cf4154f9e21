/*
 * core/err.c: tables generated from core/err_list.h and the raise helpers.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

static const struct {
	const char *name;
	int status;
	enum err_payload payload;
} rows[SE__COUNT] = {
    [SE_OK] = {"OK", 200, ERRP_NONE},
#define ERR_ROW(n, s, p) [SE_##n] = {#n, s, p},
#include "core/err_list.h"
#undef ERR_ROW
};

const char *err_type(enum err e)
{
	if ((unsigned)e >= SE__COUNT)
		return "?";
	return rows[e].name;
}

int err_http_status(enum err e)
{
	if ((unsigned)e >= SE__COUNT)
		return 500;
	return rows[e].status;
}

enum err_payload err_payload_kind(enum err e)
{
	if ((unsigned)e >= SE__COUNT)
		return ERRP_NONE;
	return rows[e].payload;
}

bool err_is_wire(enum err e)
{
	return e > SE_BUSY && e < SE__COUNT;
}

enum err err_from_type(const char *type)
{
	for (int i = SE_OK + 1; i < SE__COUNT; i++)
		if (strcmp(rows[i].name, type) == 0)
			return (enum err)i;
	return SE__COUNT;
}

enum err err_to_wire(enum err e)
{
	if (err_is_wire(e))
		return e;
	switch (e) {
	case SE_PARSE:
	case SE_INVAL:
		return SE_FailedValidation;
	case SE_TOO_LARGE:
		return SE_PayloadTooLarge;
	case SE_NOT_FOUND:
		return SE_NotFound;
	case SE_IO:
	case SE_FULL:
		return SE_DatabaseError;
	default:
		return SE_InternalError;
	}
}

enum err err_raise(struct err_info *ei, enum err e, const char *where)
{
	if (ei)
		ei->where = where;
	log_debug("err: raised %s at %s", err_type(e), where);
	return e;
}

enum err err_raisef(struct err_info *ei, enum err e, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (ei) {
		ei->where = where;
		va_start(ap, fmt);
		vsnprintf(ei->detail, sizeof(ei->detail), fmt, ap);
		va_end(ap);
	}
	log_debug("err: raised %s at %s", err_type(e), where);
	return e;
}
