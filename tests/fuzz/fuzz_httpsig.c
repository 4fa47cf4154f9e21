/*
 * tests/fuzz/fuzz_httpsig.c: libFuzzer target for the signature parsers of
 * federation/httpsig.h. The input is "<mode byte><value>[\n<value2>]":
 * mode 'c' parses a cavage Signature value, 'r' an RFC 9421
 * Signature-Input (value) + Signature (value2), anything else runs both plus
 * the digest checker and the HTTP date parser on the values.
 * Modes 'k' and 'm' parse a remote public key (PEM, Multikey), 'b' base58.
 * Invariants: only the documented error codes; base58 round-trips; parsed fields stay within
 * their bounds; a parsed signature's signing string builds or fails cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "federation/base58.h"
#include "federation/httpsig.h"
#include "federation/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(enum err rc, const struct hsig_parsed *p, const struct hsig_request *r)
{
	struct buf base = BUF_INIT(1 << 16);

	if (rc != SE_OK && rc != SE_PARSE && rc != SE_INVAL && rc != SE_TOO_LARGE &&
	    rc != SE_NOMEM && rc != SE_NOT_FOUND)
		abort();
	if (rc != SE_OK)
		return;
	if (p->n_components == 0 || p->n_components > HSIG_COMPONENTS_MAX || p->sig_len == 0 ||
	    p->sig_len > HSIG_SIG_MAX || !p->key_id[0] ||
	    memchr(p->key_id, '\0', sizeof(p->key_id)) == NULL || p->params_len >= HSIG_PARAMS_MAX)
		abort();
	for (size_t i = 0; i < p->n_components; i++)
		if (!p->components[i][0] || !memchr(p->components[i], '\0', HSIG_COMPONENT_MAX))
			abort();
	for (int q = 0; q < 2; q++) {
		struct err_info ei = ERR_INFO_INIT;
		enum err e = hsig_signing_string(r, p, q, &base, &ei);

		if (e != SE_OK && e != SE_PARSE && e != SE_INVAL && e != SE_TOO_LARGE)
			abort();
	}
	buf_release(&base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data + (size ? 1 : 0), size ? size - 1 : 0}, a, b;
	char mode = size ? (char)data[0] : 0;
	struct hsig_header hs[6];
	struct hsig_request r;
	struct hsig_parsed p;
	long nl = str_index(in, '\n');
	int64_t t;

	a = nl >= 0 ? (struct str){in.p, (size_t)nl} : in;
	b = nl >= 0 ? (struct str){in.p + nl + 1, in.n - (size_t)nl - 1} : STR_NULL;
	hs[0] = (struct hsig_header){STR_LIT("host"), STR_LIT("h.example")};
	hs[1] = (struct hsig_header){STR_LIT("date"), a};
	hs[2] = (struct hsig_header){STR_LIT("digest"), a};
	hs[3] = (struct hsig_header){STR_LIT("content-digest"), b};
	r = (struct hsig_request){
	    "POST", STR_LIT("/inbox?q=1"), STR_LIT("h.example"), STR_LIT("https"), hs, 4, b, true};
	if (mode == 'k' || mode == 'm') {
		/* remote public keys: PEM (SPKI/PKCS#1) and FEP-521a Multikey */
		void *k = NULL;
		enum err rc = mode == 'k' ? fkeys_parse_pem(in, &k, NULL)
		                          : fkeys_parse_multibase(in, &k, NULL);

		if (rc != SE_OK && rc != SE_PARSE && rc != SE_INVAL && rc != SE_TOO_LARGE &&
		    rc != SE_NOMEM)
			abort();
		if ((rc == SE_OK) != (k != NULL))
			abort();
		fkeys_pkey_free(k);
		return 0;
	}
	if (mode == 'b') {
		unsigned char out[B58_MAX_BYTES];
		size_t n = 0;
		enum err rc = b58_decode(in, out, sizeof(out), &n);

		if (rc == SE_OK) {
			char text[B58_MAX_TEXT + 1];

			/* a round trip gives the input back */
			if (n > sizeof(out) || b58_encode(out, n, text, sizeof(text)) != SE_OK ||
			    strlen(text) != in.n || memcmp(text, in.p, in.n) != 0)
				abort();
		} else if (rc != SE_PARSE && rc != SE_TOO_LARGE) {
			abort();
		}
		return 0;
	}
	if (mode == 'c') {
		check_parsed(hsig_parse_cavage(in, &p, NULL), &p, &r);
	} else if (mode == 'r') {
		check_parsed(hsig_parse_rfc9421(a, b, STR_NULL, &p, NULL), &p, &r);
	} else {
		enum err rc;

		hs[4] = (struct hsig_header){STR_LIT("signature-input"), a};
		hs[5] = (struct hsig_header){STR_LIT("signature"), b};
		r.n_headers = mode & 1 ? 6 : 4;
		if (!(mode & 1))
			hs[3] = (struct hsig_header){STR_LIT("signature"), in};
		check_parsed(hsig_parse(&r, &p, NULL), &p, &r);
		rc = hsig_check_digest(&r, NULL);
		if (rc != SE_OK && rc != SE_INVAL)
			abort();
		if (hsig_parse_http_date(a, &t) && (t < 0 || a.n != 29))
			abort();
	}
	return 0;
}
