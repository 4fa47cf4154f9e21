/*
 * tests/fuzz/fuzz_search.c: libFuzzer target for msg_search_tokenize and
 * msg_search_extract. Invariants: never reads past the input; tokens are
 * non-empty, at most MSG_SEARCH_TOKEN_MAX bytes, valid UTF-8, free of '/',
 * NUL-terminated and pairwise distinct; the extractor succeeds and yields
 * at most STORE_KEYS_MAX keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "core/jx.h"
#include "core/mem.h"
#include "messages/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_search_token t[STORE_KEYS_MAX];
	struct store_keys keys = {0};
	size_t n = msg_search_tokenize((struct str){(const char *)data, size}, t, STORE_KEYS_MAX);
	json_t *rec;
	char *text;

	if (n > STORE_KEYS_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (t[i].n == 0 || t[i].n > MSG_SEARCH_TOKEN_MAX || t[i].b[t[i].n] != '\0')
			abort();
		if (memchr(t[i].b, '/', t[i].n) || u8_check((const uint8_t *)t[i].b, t[i].n))
			abort();
		for (size_t k = 0; k < i; k++)
			if (t[k].n == t[i].n && memcmp(t[k].b, t[i].b, t[i].n) == 0)
				abort();
	}
	jx_init();
	rec = json_object();
	json_object_set_new(rec, "channel", json_string("01HCHANNEL0000000000000000"));
	json_object_set_new(rec, "content", json_stringn_nocheck((const char *)data, size));
	text = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	if (text) {
		if (msg_search_extract(STR_LIT("01HMSG00000000000000000000"), str_from(text), &keys,
		                       NULL) != SE_OK ||
		    keys.n > STORE_KEYS_MAX)
			abort();
		mem_free(text);
	}
	return 0;
}
