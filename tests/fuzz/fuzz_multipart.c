/*
 * tests/fuzz/fuzz_multipart.c: libFuzzer target for files/multipart.
 * Input: a Content-Type value up to the first '\n' (its boundary is used when
 * mp_boundary_from_content_type accepts it, else "b"), then the body. The
 * body is fed whole, in chunks whose sizes come from the body's own bytes,
 * and one byte at a time: all three must give the same events and result.
 * A fourth run has callbacks that fail. Invariants: callbacks come in
 * begin/data/end order, none after an error; data bytes <= body size; at
 * most LIM_MULTIPART_PARTS parts; mp_safe_filename output is safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "files/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	uint64_t hash; /* FNV-1a over the events, independent of data splits */
	size_t data, parts;
	bool in_part, stopped;
	size_t fail_data; /* on_part_data fails at this many bytes; 0: never */
	size_t fail_part; /* on_part_begin fails on this part; 0: never */
};

static void mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		r->hash ^= b[i];
		r->hash *= 0x100000001b3ull;
	}
}

static void mix_str(struct run *r, struct str s)
{
	mix(r, &s.n, sizeof(s.n));
	mix(r, s.p, s.n);
}

static void check_safe_name(struct str raw)
{
	struct buf b = BUF_INIT(4 * LIM_UPLOAD_FILENAME);
	bool dots = true;

	if (mp_safe_filename(raw, &b) != SE_OK || b.len == 0 || b.len > LIM_UPLOAD_FILENAME)
		abort();
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.ptr[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			abort();
		if (c != '.')
			dots = false;
	}
	if (dots || b.ptr[0] == ' ' || b.ptr[b.len - 1] == ' ')
		abort();
	buf_release(&b);
}

static enum err on_begin(void *ctx, const struct mp_part_headers *h)
{
	struct run *r = ctx;
	uint8_t f = h->has_filename;

	if (r->stopped || r->in_part)
		abort();
	r->in_part = true;
	r->parts++;
	if (r->parts > LIM_MULTIPART_PARTS)
		abort();
	mix(r, "B", 1);
	mix_str(r, h->name);
	mix(r, &f, 1);
	if (h->has_filename) {
		mix_str(r, h->filename);
		check_safe_name(h->filename);
	}
	mix_str(r, h->content_type);
	if (r->fail_part && r->parts == r->fail_part)
		return SE_EXISTS;
	return SE_OK;
}

static enum err on_data(void *ctx, const void *p, size_t n)
{
	struct run *r = ctx;

	if (r->stopped || !r->in_part || n == 0)
		abort();
	mix(r, p, n);
	r->data += n;
	if (r->fail_data && r->data >= r->fail_data)
		return SE_IO;
	return SE_OK;
}

static enum err on_end(void *ctx)
{
	struct run *r = ctx;

	if (r->stopped || !r->in_part)
		abort();
	r->in_part = false;
	mix(r, "E", 1);
	return SE_OK;
}

static const struct mp_callbacks cbs = {on_begin, on_data, on_end};

/* mode 0: whole; 1: chunk sizes from the body; 2: one byte at a time */
static enum err feed(struct str boundary, const uint8_t *d, size_t n, int mode, struct run *r)
{
	static struct mp_parser p;
	size_t i = 0;
	enum err rc = SE_OK;

	mp_init(&p, boundary, &cbs, r);
	while (!rc && i < n) {
		size_t k = n - i;

		if (mode == 1 && k > (size_t)d[i] % 97 + 1)
			k = (size_t)d[i] % 97 + 1;
		else if (mode == 2)
			k = 1;
		rc = mp_feed(&p, d + i, k);
		i += k;
	}
	if (rc) {
		r->stopped = true;
		if (mp_feed(&p, d, n) != rc || mp_finish(&p) != rc)
			abort();
		return rc;
	}
	rc = mp_finish(&p);
	if (rc == SE_OK && r->in_part)
		abort();
	if (mp_finish(&p) != rc)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	char bnd[MP_BOUNDARY_MAX + 1];
	size_t blen = 0, hlen = nl ? (size_t)(nl - data) : 0;
	struct str boundary = STR_LIT("b");
	const uint8_t *body = nl ? nl + 1 : data;
	size_t n = size - (size_t)(body - data);
	struct run r[3];
	struct run ab = {0xcbf29ce484222325ull, 0, 0, false, false, 0, 0};
	enum err rc[3];

	if (mp_boundary_from_content_type((struct str){(const char *)data, hlen}, bnd, &blen) ==
	    SE_OK) {
		if (blen < 1 || blen > MP_BOUNDARY_MAX || bnd[blen] != '\0' || strlen(bnd) != blen)
			abort();
		boundary = (struct str){bnd, blen};
	}
	check_safe_name((struct str){(const char *)data, size});

	for (int m = 0; m < 3; m++) {
		r[m] = ab;
		if (m == 2 && n > (64u << 10))
			break;
		rc[m] = feed(boundary, body, n, m, &r[m]);
		if (rc[m] != SE_OK && rc[m] != SE_PARSE && rc[m] != SE_TOO_LARGE)
			abort();
		if (r[m].data > n)
			abort();
		if (r[m].hash != r[0].hash || rc[m] != rc[0] || r[m].data != r[0].data)
			abort();
	}

	/* callbacks that fail: the error comes back and nothing runs after it */
	ab.fail_data = n % 61 + 1;
	ab.fail_part = n % 3 + 1;
	rc[0] = feed(boundary, body, n, 1, &ab);
	if (rc[0] != SE_OK && rc[0] != SE_PARSE && rc[0] != SE_TOO_LARGE && rc[0] != SE_IO &&
	    rc[0] != SE_EXISTS)
		abort();
	return 0;
}
