/*
 * gateway/wire.c: JSON <-> msgpack for format=msgpack sockets (REVOLT.md §9;
 * bonfire encodes with rmp_serde::to_vec_named and decodes client frames
 * with rmp_serde::from_slice). Spec: https://github.com/msgpack/msgpack.
 */
#include "gateway/wire.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"

/* ---- packing (libmsgpack-c into our bounded buf) ---- */

static int buf_write(void *data, const char *p, size_t n)
{
	struct buf *b = data;

	buf_append(b, p, n);
	return buf_err(b) ? -1 : 0;
}

static enum err pack(msgpack_packer *pk, const json_t *v, int depth, struct err_info *ei)
{
	const char *key;
	json_t *item;
	size_t i;
	enum err rc;

	if (depth > WIRE_DEPTH_MAX)
		return SE_RAISEF(ei, SE_PARSE, "wire: nesting deeper than %d", WIRE_DEPTH_MAX);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach((json_t *)v, key, item)
		{
			size_t kn = strlen(key);

			msgpack_pack_str(pk, kn);
			msgpack_pack_str_body(pk, key, kn);
			rc = pack(pk, item, depth + 1, ei);
			if (rc)
				return rc;
		}
		return SE_OK;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(v));
		json_array_foreach(v, i, item)
		{
			rc = pack(pk, item, depth + 1, ei);
			if (rc)
				return rc;
		}
		return SE_OK;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		msgpack_pack_str_body(pk, json_string_value(v), json_string_length(v));
		return SE_OK;
	case JSON_INTEGER:
		/* msgpack-c picks the smallest encoding, as rmp does */
		msgpack_pack_int64(pk, (int64_t)json_integer_value(v));
		return SE_OK;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		return SE_OK;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return SE_OK;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return SE_OK;
	case JSON_NULL:
	default:
		msgpack_pack_nil(pk);
		return SE_OK;
	}
}

enum err wire_pack_json(const struct json_t *v, struct buf *out, struct err_info *ei)
{
	msgpack_packer pk;
	enum err rc;

	msgpack_packer_init(&pk, out, buf_write);
	rc = pack(&pk, v, 0, ei);
	if (!rc && buf_err(out))
		rc = SE_RAISE(ei, buf_err(out));
	return rc;
}

enum err wire_json_to_msgpack(struct str json, struct buf *out, struct err_info *ei)
{
	json_error_t je;
	json_t *v = json_loadb(json.p, json.n, JSON_DECODE_ANY, &je);
	enum err rc;

	if (!v)
		return SE_RAISEF(ei, SE_PARSE, "wire: not JSON: %s", je.text);
	rc = wire_pack_json(v, out, ei);
	json_decref(v);
	return rc;
}

/* ---- unpacking (ours: bounded by the bytes actually present) ---- */

struct rd {
	const unsigned char *p;
	size_t n;
	struct err_info *ei;
};

static enum err bad(struct rd *r, const char *why)
{
	return SE_RAISEF(r->ei, SE_PARSE, "wire: bad msgpack: %s", why);
}

/* Read a big-endian unsigned of `w` bytes. */
static enum err take_be(struct rd *r, size_t w, uint64_t *out)
{
	uint64_t v = 0;

	if (r->n < w)
		return bad(r, "truncated");
	for (size_t i = 0; i < w; i++)
		v = v << 8 | r->p[i];
	r->p += w;
	r->n -= w;
	*out = v;
	return SE_OK;
}

static enum err unpack(struct rd *r, int depth, json_t **out);

static enum err unpack_str(struct rd *r, uint64_t len, json_t **out)
{
	if (len > r->n)
		return bad(r, "string longer than the input");
	*out = json_stringn((const char *)r->p, (size_t)len);
	if (!*out)
		return bad(r, "string is not UTF-8");
	r->p += len;
	r->n -= len;
	return SE_OK;
}

static enum err unpack_array(struct rd *r, uint64_t count, int depth, json_t **out)
{
	json_t *a, *item;
	enum err rc = SE_OK;

	/* every element takes at least one byte */
	if (count > r->n)
		return bad(r, "array count beyond the input");
	a = json_array();
	if (!a)
		return SE_RAISE(r->ei, SE_NOMEM);
	for (uint64_t i = 0; i < count && !rc; i++) {
		rc = unpack(r, depth + 1, &item);
		if (!rc && json_array_append_new(a, item))
			rc = SE_RAISE(r->ei, SE_NOMEM);
	}
	if (rc)
		json_decref(a);
	else
		*out = a;
	return rc;
}

static enum err unpack_map(struct rd *r, uint64_t count, int depth, json_t **out)
{
	json_t *o, *key = NULL, *val = NULL;
	enum err rc = SE_OK;

	/* every pair takes at least two bytes */
	if (count > r->n / 2)
		return bad(r, "map count beyond the input");
	o = json_object();
	if (!o)
		return SE_RAISE(r->ei, SE_NOMEM);
	for (uint64_t i = 0; i < count && !rc; i++) {
		rc = unpack(r, depth + 1, &key);
		if (rc)
			break;
		if (!json_is_string(key))
			rc = bad(r, "map key is not a string");
		else if (strlen(json_string_value(key)) != json_string_length(key))
			rc = bad(r, "NUL in a map key");
		else if (json_object_get(o, json_string_value(key)))
			rc = bad(r, "duplicate map key");
		if (!rc)
			rc = unpack(r, depth + 1, &val);
		if (!rc && json_object_set_new(o, json_string_value(key), val))
			rc = SE_RAISE(r->ei, SE_NOMEM);
		json_decref(key);
		key = NULL;
	}
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}

static enum err unpack_int(struct rd *r, json_int_t v, json_t **out)
{
	*out = json_integer(v);
	return *out ? SE_OK : SE_RAISE(r->ei, SE_NOMEM);
}

static enum err unpack_float(struct rd *r, double d, json_t **out)
{
	/* NaN and infinities have no JSON form */
	*out = json_real(d);
	return *out ? SE_OK : bad(r, "float is not finite");
}

static enum err unpack(struct rd *r, int depth, json_t **out)
{
	unsigned char t;
	uint64_t v = 0;
	enum err rc;

	if (depth > WIRE_DEPTH_MAX)
		return bad(r, "nested too deeply");
	if (r->n == 0)
		return bad(r, "truncated");
	t = *r->p++;
	r->n--;
	if (t <= 0x7f)
		return unpack_int(r, t, out);
	if (t >= 0xe0)
		return unpack_int(r, (int8_t)t, out);
	if ((t & 0xf0) == 0x80)
		return unpack_map(r, t & 0x0f, depth, out);
	if ((t & 0xf0) == 0x90)
		return unpack_array(r, t & 0x0f, depth, out);
	if ((t & 0xe0) == 0xa0)
		return unpack_str(r, t & 0x1f, out);
	switch (t) {
	case 0xc0:
		*out = json_null();
		return SE_OK;
	case 0xc2:
		*out = json_false();
		return SE_OK;
	case 0xc3:
		*out = json_true();
		return SE_OK;
	case 0xca: {
		uint32_t u;
		float f;

		rc = take_be(r, 4, &v);
		if (rc)
			return rc;
		u = (uint32_t)v;
		memcpy(&f, &u, sizeof(f));
		return unpack_float(r, f, out);
	}
	case 0xcb: {
		double d;

		rc = take_be(r, 8, &v);
		if (rc)
			return rc;
		memcpy(&d, &v, sizeof(d));
		return unpack_float(r, d, out);
	}
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		rc = take_be(r, (size_t)1 << (t - 0xcc), &v);
		if (rc)
			return rc;
		if (v > INT64_MAX)
			return bad(r, "unsigned integer over INT64_MAX");
		return unpack_int(r, (json_int_t)v, out);
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		size_t w = (size_t)1 << (t - 0xd0);
		int64_t s;

		rc = take_be(r, w, &v);
		if (rc)
			return rc;
		/* sign-extend the w-byte two's complement value */
		s = w == 8 ? (int64_t)v
		           : (int64_t)(v ^ (1ull << (w * 8 - 1))) - (1ll << (w * 8 - 1));
		return unpack_int(r, s, out);
	}
	case 0xd9:
	case 0xda:
	case 0xdb:
		rc = take_be(r, (size_t)1 << (t - 0xd9), &v);
		return rc ? rc : unpack_str(r, v, out);
	case 0xdc:
	case 0xdd:
		rc = take_be(r, t == 0xdc ? 2 : 4, &v);
		return rc ? rc : unpack_array(r, v, depth, out);
	case 0xde:
	case 0xdf:
		rc = take_be(r, t == 0xde ? 2 : 4, &v);
		return rc ? rc : unpack_map(r, v, depth, out);
	default:
		/* 0xc1 (never used), bin 8/16/32, ext and fixext */
		return bad(r, "unsupported type");
	}
}

enum err wire_msgpack_to_json(struct str in, struct buf *out, struct err_info *ei)
{
	struct rd r = {(const unsigned char *)in.p, in.n, ei};
	json_t *v = NULL;
	size_t n;
	enum err rc;

	rc = unpack(&r, 0, &v);
	if (rc)
		goto out;
	if (r.n) {
		rc = bad(&r, "trailing bytes");
		goto out;
	}
	n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	rc = buf_grow(out, n);
	if (rc) {
		rc = SE_RAISE(ei, rc);
		goto out;
	}
	out->len += json_dumpb(v, out->ptr + out->len, n, JSON_COMPACT | JSON_ENCODE_ANY);
	out->ptr[out->len] = '\0';
out:
	json_decref(v);
	return rc;
}
