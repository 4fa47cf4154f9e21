/*
 * tests/fuzz/fuzz_url.c: libFuzzer target for fetch_url_parse and the SSRF
 * address classifier. Invariants: an accepted URL has an http(s) scheme, a
 * non-empty lowercase host, a port in 1..65535 and a path starting with '/',
 * and re-parsing "scheme://hostport path" gives the same parts back. For the
 * classifier: an IPv4 address and its IPv4-mapped and NAT64 IPv6 forms get
 * the same answer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_addr(const uint8_t *d)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 m, n;
	bool v4;

	memset(&in4, 0, sizeof(in4));
	memset(&m, 0, sizeof(m));
	in4.sin_family = AF_INET;
	memcpy(&in4.sin_addr, d, 4);
	m.sin6_family = AF_INET6;
	m.sin6_addr.s6_addr[10] = 0xff;
	m.sin6_addr.s6_addr[11] = 0xff;
	memcpy(m.sin6_addr.s6_addr + 12, d, 4);
	n = m;
	memset(n.sin6_addr.s6_addr, 0, 12);
	n.sin6_addr.s6_addr[1] = 0x64;
	n.sin6_addr.s6_addr[2] = 0xff;
	n.sin6_addr.s6_addr[3] = 0x9b;
	v4 = fetch_addr_allowed((struct sockaddr *)&in4, false);
	if (fetch_addr_allowed((struct sockaddr *)&m, false) != v4 ||
	    fetch_addr_allowed((struct sockaddr *)&n, false) != v4)
		abort();
	if (!fetch_addr_allowed((struct sockaddr *)&in4, true))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char url[FETCH_URL_MAX + 2], again[FETCH_URL_MAX * 2];
	struct fetch_url u, v;

	if (size >= 4)
		check_addr(data);
	if (size > FETCH_URL_MAX + 1)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (fetch_url_parse(url, &u, NULL) != SE_OK)
		return 0;
	if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
		abort();
	if (!u.host[0] || u.port == 0 || u.port > 65535 || u.path[0] != '/')
		abort();
	for (const char *c = u.host; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
	snprintf(again, sizeof(again), "%s://%s%s", u.scheme, u.hostport, u.path);
	if (fetch_url_parse(again, &v, NULL) != SE_OK)
		abort();
	if (strcmp(u.host, v.host) != 0 || u.port != v.port || strcmp(u.path, v.path) != 0 ||
	    strcmp(u.hostport, v.hostport) != 0)
		abort();
	return 0;
}
