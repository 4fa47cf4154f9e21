/*
 * tests/fuzz/fuzz_as2.c: inbound activity JSON through as2_parse_activity
 * (with and without AS2_ALLOW_HTTP) and as2_parse_object. Aborts when an
 * accepted activity breaks the header's promises: id and actor URLs,
 * audience arrays of strings within bounds, tags and attachments within
 * their maxima.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/as2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const json_t *arr)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > AS2_ADDR_MAX)
		abort();
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) > AS2_URL_MAX)
			abort();
	}
}

static void check_object(const struct as2_object *o)
{
	check_list(o->to);
	check_list(o->cc);
	check_list(o->bto);
	check_list(o->bcc);
	check_list(o->audience);
	if (o->n_tags > AS2_TAGS_MAX || o->n_atts > AS2_ATTACH_MAX)
		abort();
	for (size_t i = 0; i < o->n_tags; i++)
		if (o->tags[i].kind < AS2_TAG_MENTION || o->tags[i].kind > AS2_TAG_HASHTAG)
			abort();
	for (size_t i = 0; i < o->n_atts; i++)
		if (!o->atts[i].url || !o->atts[i].type)
			abort();
}

static void run(const json_t *doc, unsigned flags)
{
	struct as2_activity a;
	struct as2_object o;
	struct err_info ei = ERR_INFO_INIT;

	if (as2_parse_activity(doc, flags, &a, &ei) == SE_OK) {
		if (!as2_is_url(a.id, flags) || !as2_is_url(a.actor, flags) || !a.type)
			abort();
		check_list(a.to);
		check_list(a.cc);
		check_list(a.bto);
		check_list(a.bcc);
		check_list(a.audience);
		if (a.n_tags > AS2_TAGS_MAX)
			abort();
		if (a.has_obj)
			check_object(&a.obj);
		(void)as2_is_public(&a);
		(void)as2_addressed_to(&a, a.actor);
		as2_activity_release(&a);
	}
	if (as2_parse_object(doc, flags, &o, &ei) == SE_OK) {
		if (!o.id || !o.type || !as2_is_url(o.id, flags))
			abort();
		check_object(&o);
		as2_object_release(&o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL);

	if (!doc)
		return 0;
	run(doc, 0);
	run(doc, AS2_ALLOW_HTTP);
	json_decref(doc);
	return 0;
}
