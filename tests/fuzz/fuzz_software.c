/*
 * tests/fuzz/fuzz_software.c: libFuzzer target for the NodeInfo client's
 * parsers (federation/software.h): the /.well-known/nodeinfo links and a
 * NodeInfo 2.x document's software.name, on the same input.
 * Invariants: links answers SE_OK, SE_PARSE or SE_NOT_FOUND; an accepted
 * href is an http(s) URL (https only without allow_http) shorter than
 * 2048 bytes with no byte <= 0x20 or 0x7f. software.name answers SE_OK,
 * SE_PARSE or SE_NOT_FOUND; an accepted name is 1..63 bytes of
 * [a-z0-9._-]; the family lookup and the reaction table accept it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/software.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_href(const char *h, bool allow_http)
{
	size_t n = strlen(h);

	if (n >= 2048 ||
	    !(strncmp(h, "https://", 8) == 0 || (allow_http && strncmp(h, "http://", 7) == 0)))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] <= 0x20 || h[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	char href[2048], name[FSOFT_NAME_MAX];
	enum fsoft_family fam;
	enum err rc;

	for (int http = 0; http < 2; http++) {
		rc = fsoft_parse_links(in, http, href, NULL);
		if (rc != SE_OK && rc != SE_PARSE && rc != SE_NOT_FOUND)
			abort();
		if (rc == SE_OK)
			check_href(href, http);
	}
	rc = fsoft_parse_nodeinfo(in, name, NULL);
	if (rc != SE_OK && rc != SE_PARSE && rc != SE_NOT_FOUND)
		abort();
	if (rc != SE_OK)
		return 0;
	if (!name[0] || strlen(name) >= FSOFT_NAME_MAX)
		abort();
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '_'))
			abort();
	fam = fsoft_family_of(name);
	if (fam == FSOFT_UNKNOWN || fam >= FSOFT__COUNT)
		abort();
	(void)fsoft_react_style(fam, true);
	(void)fsoft_react_style(fam, false);
	return 0;
}
