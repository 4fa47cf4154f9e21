/*
 * tests/fuzz/fuzz_csync.c: libFuzzer target for FEP-8fcf's outside input
 * (federation/csync.h): the Collection-Synchronization header value a
 * remote server sends, and, on the same bytes read as JSON, a fetched
 * partial followers collection page and an activity's addressing.
 * Invariants: the parser answers SE_OK, SE_PARSE or SE_TOO_LARGE; an
 * accepted header has a non-empty collectionId and url without control
 * bytes and a 64-digit lower-case hex digest, and renders back (when
 * renderable) to a value that parses to the same fields. The page reader
 * answers SE_OK, SE_PARSE, SE_TOO_LARGE or SE_NOMEM and keeps at most
 * FCSYNC_ITEMS_MAX members; fcsync_addressed_to never crashes.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "federation/csync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *v)
{
	if (!v[0])
		abort();
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct fcsync_hdr h, h2;
	enum err rc = fcsync_parse(in, &h);

	if (rc != SE_OK && rc != SE_PARSE && rc != SE_TOO_LARGE)
		abort();
	if (rc == SE_OK) {
		struct buf b = BUF_INIT(3 * FCSYNC_URL_MAX + 256);

		check_field(h.collection_id);
		check_field(h.url);
		if (strlen(h.digest) != FCSYNC_DIGEST_HEX)
			abort();
		for (size_t i = 0; i < FCSYNC_DIGEST_HEX; i++)
			if (!strchr("0123456789abcdef", h.digest[i]))
				abort();
		if (fcsync_render(h.collection_id, h.url, h.digest, &b) == SE_OK &&
		    buf_str(&b).n <= FCSYNC_HEADER_MAX) {
			if (fcsync_parse(buf_str(&b), &h2) != SE_OK ||
			    strcmp(h.collection_id, h2.collection_id) != 0 ||
			    strcmp(h.url, h2.url) != 0 || strcmp(h.digest, h2.digest) != 0)
				abort();
		}
		buf_release(&b);
	}
	{
		json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
		json_t *set = json_object();
		const char *next = NULL;

		if (doc && set) {
			rc = fcsync_collection_items(doc, set, &next);
			if (rc != SE_OK && rc != SE_PARSE && rc != SE_TOO_LARGE && rc != SE_NOMEM)
				abort();
			if (json_object_size(set) > FCSYNC_ITEMS_MAX)
				abort();
		}
		json_decref(set);
		json_decref(doc);
	}
	(void)fcsync_addressed_to(in, "https://a.example/users/a/followers");
	return 0;
}
