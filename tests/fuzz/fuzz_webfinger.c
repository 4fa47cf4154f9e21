/*
 * tests/fuzz/fuzz_webfinger.c: libFuzzer target for the WebFinger resource
 * parser and the Accept negotiation of actor URLs.
 * Invariants: only SE_OK or SE_PARSE; an accepted resource is at most
 * WF_RESOURCE_MAX bytes without control bytes or spaces; every slice lies
 * inside the input; a handle has a non-empty name and 4 ASCII digits; a
 * user id is a valid ULID; HTML and AS2 are never both preferred.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ulid.h"
#include "federation/actor.h"
#include "federation/webfinger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct str s, const uint8_t *data, size_t size)
{
	if (s.n && ((const uint8_t *)s.p < data || (const uint8_t *)s.p + s.n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	struct err_info ei = ERR_INFO_INIT;
	struct wf_target t;
	enum err rc = wf_parse_resource(in, STR_LIT("https://chat.example:8443"),
	                                STR_LIT("chat.example:8443"), &t, &ei);

	if (actor_wants_html(in) && actor_wants_as2(in))
		abort();
	if (rc != SE_OK && rc != SE_PARSE)
		abort();
	if (rc != SE_OK)
		return 0;
	if (size == 0 || size > WF_RESOURCE_MAX)
		abort();
	for (size_t i = 0; i < size; i++)
		if (data[i] <= 0x20 || data[i] == 0x7f)
			abort();
	switch (t.kind) {
	case WF_HANDLE:
		inside(t.name, data, size);
		inside(t.discrim, data, size);
		if (t.name.n == 0 || t.name.n > WF_USERNAME_MAX || t.discrim.n != 4)
			abort();
		for (size_t i = 0; i < 4; i++)
			if (t.discrim.p[i] < '0' || t.discrim.p[i] > '9')
				abort();
		if (memchr(t.name.p, '@', t.name.n) || memchr(t.name.p, '/', t.name.n))
			abort();
		break;
	case WF_USER_ID:
		inside(t.id, data, size);
		if (!ulid_is_valid(t.id))
			abort();
		break;
	case WF_INSTANCE:
	case WF_FOREIGN:
		break;
	default:
		abort();
	}
	return 0;
}
