/*
 * tests/fuzz/fuzz_prefs.c: libFuzzer target for the per-user federation
 * settings parser (federation/prefs.h): the "solstice:federation" value a
 * user sends through POST /sync/settings/set.
 * Invariants: the answer is SE_OK or SE_PARSE (SE_NOMEM aside); a refused
 * input leaves nothing set; an accepted one is at most FPREFS_TEXT_MAX
 * bytes, a JSON object to jansson itself (duplicate keys refused) whose
 * auto_accept_follows, when present, is the boolean reported.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "federation/prefs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct fprefs p;
	json_t *doc, *v;
	enum err rc = fprefs_parse(in, &p, NULL);

	if (rc == SE_NOMEM)
		return 0;
	if (rc != SE_OK && rc != SE_PARSE)
		abort();
	if (rc) {
		if (p.has_auto_accept || p.auto_accept)
			abort();
		return 0;
	}
	if (size > FPREFS_TEXT_MAX)
		abort();
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc))
		abort();
	v = json_object_get(doc, "auto_accept_follows");
	if (p.has_auto_accept != (v != NULL) || (v && p.auto_accept != json_is_true(v)))
		abort();
	json_decref(doc);
	return 0;
}
