/*
 * core/jx.c: bounded JSON parsing and typed getters (jansson 2.14).
 */
#include "core/jx.h"

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"

static void *jx_alloc(size_t n)
{
	return mem_try_alloc(n);
}

void jx_init(void)
{
	json_set_alloc_funcs(jx_alloc, mem_free);
}

size_t jx_depth(struct str in)
{
	size_t depth = 0, max = 0;
	bool in_string = false;

	for (size_t i = 0; i < in.n; i++) {
		char c = in.p[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return max;
}

enum err jx_parse(struct str in, size_t max, json_t **out, struct err_info *ei)
{
	json_error_t jerr;
	json_t *v;

	if (in.n > max)
		return SE_RAISE(ei, SE_TOO_LARGE);
	if (in.n == 0)
		return SE_RAISEF(ei, SE_PARSE, "empty body");
	if (jx_depth(in) > LIM_JSON_DEPTH)
		return SE_RAISEF(ei, SE_PARSE, "nesting deeper than %d", LIM_JSON_DEPTH);
	v = json_loadb(in.p, in.n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return SE_RAISE(ei, SE_NOMEM);
		return SE_RAISEF(ei, SE_PARSE, "%s at line %d column %d", jerr.text, jerr.line,
		                 jerr.column);
	}
	*out = v;
	return SE_OK;
}

enum err jx_parse_object(struct str in, size_t max, json_t **out, struct err_info *ei)
{
	json_t *v = NULL;
	enum err rc = jx_parse(in, max, &v, ei);

	if (rc)
		return rc;
	if (!json_is_object(v)) {
		json_decref(v);
		return SE_RAISEF(ei, SE_PARSE, "expected a JSON object");
	}
	*out = v;
	return SE_OK;
}

static const json_t *field(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return v && !json_is_null(v) ? v : NULL;
}

enum err jx_get_str(const json_t *obj, const char *key, struct str *out, struct err_info *ei)
{
	const json_t *v = field(obj, key);

	if (!v)
		return SE_NOT_FOUND;
	if (!json_is_string(v))
		return SE_RAISEF(ei, SE_PARSE, "'%s' must be a string", key);
	out->p = json_string_value(v);
	out->n = json_string_length(v);
	return SE_OK;
}

enum err jx_get_bool(const json_t *obj, const char *key, bool *out, struct err_info *ei)
{
	const json_t *v = field(obj, key);

	if (!v)
		return SE_NOT_FOUND;
	if (!json_is_boolean(v))
		return SE_RAISEF(ei, SE_PARSE, "'%s' must be a boolean", key);
	*out = json_is_true(v);
	return SE_OK;
}

enum err jx_get_int(const json_t *obj, const char *key, int64_t *out, struct err_info *ei)
{
	const json_t *v = field(obj, key);

	if (!v)
		return SE_NOT_FOUND;
	if (!json_is_integer(v))
		return SE_RAISEF(ei, SE_PARSE, "'%s' must be an integer", key);
	*out = (int64_t)json_integer_value(v);
	return SE_OK;
}

static int dump_to_buf(const char *p, size_t n, void *arg)
{
	struct buf *b = arg;

	buf_append(b, p, n);
	return buf_err(b) ? -1 : 0;
}

/*
 * Not json_dumps: jansson 2.14 ignores a failed write of an object key
 * (dump.c, dump_string's result is dropped), so under OOM it can return
 * truncated JSON such as {"a":1,":2}. Our buffer's error is sticky, so
 * every write after a failure fails too and the dump as a whole fails.
 */
char *jx_dump(const json_t *v)
{
	struct buf b = BUF_INIT(SIZE_MAX);

	if (json_dump_callback(v, dump_to_buf, &b,
	                       JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0 ||
	    buf_err(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}
