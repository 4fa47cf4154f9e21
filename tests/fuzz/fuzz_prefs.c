/*
 * tests/fuzz/fuzz_prefs.c: libFuzzer target for the per-user federation
 * settings (federation/prefs.h): the "solstice:federation" value a user
 * sends through POST /sync/settings/set, and the scan of a stored settings
 * record for our entry.
 * Invariants: fprefs_parse answers SE_OK or SE_PARSE (SE_NOMEM aside); a
 * refused input leaves nothing set; an accepted one is at most
 * FPREFS_TEXT_MAX bytes, a JSON object to jansson itself (duplicate keys
 * refused) whose auto_accept_follows, when present, is the boolean
 * reported. fprefs_from_record survives any bytes, and on a record as the
 * store writes it (the input parsed as an object, dumped with jx_dump) it
 * agrees with parsing the whole record, for both defaults.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/jx.h"
#include "core/mem.h"
#include "federation/prefs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct fprefs p;
	json_t *doc, *v;
	enum err rc = fprefs_parse(in, &p, NULL);

	if (rc == SE_NOMEM)
		return;
	if (rc != SE_OK && rc != SE_PARSE)
		abort();
	if (rc) {
		if (p.has_auto_accept || p.auto_accept)
			abort();
		return;
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
}

/* What parsing the whole record says (the reference for the byte scan). */
static bool whole(const json_t *rec, bool dflt)
{
	const json_t *text = json_array_get(json_object_get(rec, FPREFS_KEY), 1);
	struct fprefs p;

	if (json_is_string(text) &&
	    !fprefs_parse((struct str){json_string_value(text), json_string_length(text)}, &p,
	                  NULL) &&
	    p.has_auto_accept)
		return p.auto_accept;
	return dflt;
}

static void check_record(const uint8_t *data, size_t size)
{
	json_t *rec;
	char *text;

	(void)fprefs_from_record((struct str){(const char *)data, size}, false);
	rec = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	text = json_is_object(rec) ? jx_dump(rec) : NULL;
	if (text) {
		for (int d = 0; d < 2; d++)
			if (fprefs_from_record(str_from(text), d) != whole(rec, d))
				abort();
	}
	mem_free(text);
	json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_record(data, size);
	return 0;
}
