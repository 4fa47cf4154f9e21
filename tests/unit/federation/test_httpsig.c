/*
 * tests/unit/federation/test_httpsig.c: HTTP signatures: draft-cavage-12
 * appendix C vectors, RFC 9421 B.2.6 (Ed25519, reproduced exactly), fedify
 * 2.3.6 signed requests (tests/unit/federation/vectors/), sign/verify round
 * trips, and hostile headers, digests and clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/buf.h"
#include "core/mem.h"
#include "federation/httpsig.h"
#include "federation/keys.h"

#define VECTORS "tests/unit/federation/vectors"
/* a body and its SHA-256, and the SHA-256 of nothing */
#define PEER_BODY "{\"type\":\"Follow\"}"
#define DIG "GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww="
#define EMPTY_DIG "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* draft-cavage-12 appendix C: the "Test" key and request */
static const char cavage_priv[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF\n"
    "NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F\n"
    "UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB\n"
    "AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA\n"
    "QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK\n"
    "kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg\n"
    "f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u\n"
    "412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc\n"
    "mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7\n"
    "kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA\n"
    "gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW\n"
    "G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI\n"
    "7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==\n"
    "-----END RSA PRIVATE KEY-----\n";
static const char cavage_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n"
    "6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\n"
    "Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\n"
    "oYi+1hqp1fIekaxsyQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
#define CAVAGE_NOW 1388957500 /* Sun, 05 Jan 2014 21:31:40 GMT */
#define CAVAGE_BODY "{\"hello\": \"world\"}"
static const struct hsig_header cavage_hdrs[] = {
    {STR_LIT("host"), STR_LIT("example.com")},
    {STR_LIT("date"), STR_LIT("Sun, 05 Jan 2014 21:31:40 GMT")},
    {STR_LIT("content-type"), STR_LIT("application/json")},
    {STR_LIT("digest"), STR_LIT("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")},
    {STR_LIT("content-length"), STR_LIT("18")},
    {STR_NULL, STR_NULL}, /* room for a Signature */
};

/* RFC 9421 B.1.4 test-key-ed25519 and the B.2 test request */
static const char ed_priv[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
                              "-----END PRIVATE KEY-----\n";
static const char ed_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                             "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
                             "-----END PUBLIC KEY-----\n";

static EVP_PKEY *priv_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(k);
	return k;
}

static void *pub_key(const char *pem)
{
	void *k = NULL;

	assert_int_equal(fkeys_parse_pem(str_from(pem), &k, NULL), SE_OK);
	return k;
}

static struct hsig_request cavage_req(struct hsig_header *hs, size_t n)
{
	return (struct hsig_request){"POST",
	                             STR_LIT("/foo?param=value&pet=dog"),
	                             STR_LIT("example.com"),
	                             STR_LIT("https"),
	                             hs,
	                             n,
	                             STR_LIT(CAVAGE_BODY),
	                             true};
}

static bool raw_verify(EVP_PKEY *k, const EVP_MD *md, struct str tbs, const unsigned char *sig,
                       size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = EVP_DigestVerifyInit(c, NULL, md, NULL, k) == 1 &&
	          EVP_DigestVerify(c, sig, n, (const unsigned char *)tbs.p, tbs.n) == 1;

	EVP_MD_CTX_free(c);
	return ok;
}

/* draft-cavage-12 C.1 (default), C.2 (basic), C.3 (all headers) */
static void test_cavage_appendix_c(void **state)
{
	static const struct {
		const char *sig;
		const char *base;
		enum err verify;
	} cases[] = {
	    {"keyId=\"Test\",algorithm=\"rsa-sha256\",signature=\"SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mc"
	     "Jmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB"
	     "6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=\"",
	     "date: Sun, 05 Jan 2014 21:31:40 GMT", SE_INVAL},
	    {"keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\","
	     "signature=\"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2"
	     "aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgd"
	     "DEmn04swr2Os0=\"",
	     "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
	     "date: Sun, 05 Jan 2014 21:31:40 GMT",
	     SE_INVAL},
	    {"keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date "
	     "content-type digest "
	     "content-length\",signature=\"vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz"
	     "8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoB"
	     "TLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=\"",
	     "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
	     "date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n"
	     "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
	     SE_OK},
	};
	EVP_PKEY *priv = priv_key(cavage_priv);
	void *pub = pub_key(cavage_pub);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hsig_header hs[6];
		struct hsig_request r;
		struct hsig_parsed p;
		struct buf base = BUF_INIT(1 << 16);
		struct err_info ei = ERR_INFO_INIT;
		unsigned char sig[256];
		size_t n = sizeof(sig);
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		memcpy(hs, cavage_hdrs, sizeof(hs));
		hs[5] = (struct hsig_header){STR_LIT("signature"), str_from(cases[i].sig)};
		r = cavage_req(hs, 6);
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(p.scheme, HSIG_CAVAGE);
		assert_string_equal(p.key_id, "Test");
		assert_string_equal(p.alg, "rsa-sha256");
		assert_int_equal(hsig_signing_string(&r, &p, true, &base, NULL), SE_OK);
		assert_string_equal(buf_cstr(&base), cases[i].base);
		/* PKCS#1 v1.5 is deterministic: our signing string reproduces the draft */
		assert_true(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, priv) == 1);
		assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)base.ptr, base.len) ==
		            1);
		assert_int_equal(n, p.sig_len);
		assert_memory_equal(sig, p.sig, n);
		assert_true(raw_verify(pub, EVP_sha256(), buf_str(&base), p.sig, p.sig_len));
		/* only C.3 meets our POST minimum (it covers digest) */
		assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW, 3600, &ei), cases[i].verify);
		if (cases[i].verify)
			assert_non_null(strstr(ei.detail, "cover"));
		/* C.3 an hour and a second later: too old */
		if (!cases[i].verify)
			assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW + 3601, 3600, NULL),
			                 SE_INVAL);
		/* via Authorization: Signature too */
		{
			char auth[1024];

			snprintf(auth, sizeof(auth), "Signature %s", cases[i].sig);
			hs[5] = (struct hsig_header){STR_LIT("authorization"), str_from(auth)};
			assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
			assert_true(p.from_authorization);
			assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW, 60, NULL),
			                 cases[i].verify);
		}
		EVP_MD_CTX_free(c);
		buf_release(&base);
	}
	EVP_PKEY_free(priv);
	fkeys_pkey_free(pub);
}

/* PKCS#1 "RSA PUBLIC KEY" of the same test key verifies the same signature */
static void test_cavage_pkcs1_key(void **state)
{
	static const char pkcs1[] =
	    "-----BEGIN RSA PUBLIC KEY-----\n"
	    "MIGJAoGBAMIUQ0bDffIaKHL3akONlCGXQLfqs8mP4K99ILz6rbyHEDXrVAU1R3Xf\n"
	    "C4JNRyrRB3aqwF7/aEXJzYMIkmDSHUvvz7pnhQxHsQ5yl91QT0d/eb+Gz4VRHjm4\n"
	    "El4MrUdIUcPxscoPqS/wU8Z8lOi1z7bGMnChiL7WGqnV8h6RrGzJAgMBAAE=\n"
	    "-----END RSA PUBLIC KEY-----\n";
	struct hsig_header hs[6];
	struct hsig_request r;
	struct hsig_parsed p;
	void *pub = pub_key(pkcs1);

	(void)state;
	memcpy(hs, cavage_hdrs, sizeof(hs));
	hs[5] = (struct hsig_header){
	    STR_LIT("signature"),
	    STR_LIT("keyId=\"Test\",algorithm=\"hs2019\",headers=\"(request-target) host date "
	            "content-type digest content-length\",signature=\"vSdrb+dS3EceC9bcwHSo4MlyKS59"
	            "iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TA"
	            "D48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=\"")};
	r = cavage_req(hs, 6);
	assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
	assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW, 3600, NULL), SE_OK);
	/* tampered body: digest mismatch */
	r.body = STR_LIT("{\"hello\": \"World\"}");
	{
		struct err_info ei = ERR_INFO_INIT;

		assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW, 3600, &ei), SE_INVAL);
		assert_non_null(strstr(ei.detail, "mismatch"));
	}
	fkeys_pkey_free(pub);
}

/* RFC 9421 B.2.6: parse, base, exact Ed25519 signature, verify */
static void test_rfc9421_b26(void **state)
{
	static const char want_base[] =
	    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n"
	    "\"@authority\": example.com\n\"content-type\": application/json\n"
	    "\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" "
	    "\"@authority\" \"content-type\" \"content-length\");created=1618884473;"
	    "keyid=\"test-key-ed25519\"";
	const struct hsig_header hs[] = {
	    {STR_LIT("host"), STR_LIT("example.com")},
	    {STR_LIT("date"), STR_LIT("Tue, 20 Apr 2021 02:07:55 GMT")},
	    {STR_LIT("content-type"), STR_LIT("application/json")},
	    {STR_LIT("content-digest"),
	     STR_LIT("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNN"
	             "yealdVLvRwEmTHWXvJwew==:")},
	    {STR_LIT("content-length"), STR_LIT("18")},
	    {STR_LIT("signature-input"),
	     STR_LIT("sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
	             "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"")},
	    {STR_LIT("signature"),
	     STR_LIT("sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w"
	             "6vuQv5lIp5WPpBKRCw==:")},
	};
	struct hsig_request r = {"POST",
	                         STR_LIT("/foo?param=Value&Pet=dog"),
	                         STR_LIT("example.com"),
	                         STR_LIT("https"),
	                         hs,
	                         7,
	                         STR_LIT(CAVAGE_BODY),
	                         true};
	struct hsig_parsed p;
	struct buf base = BUF_INIT(1 << 16);
	struct err_info ei = ERR_INFO_INIT;
	EVP_PKEY *priv = priv_key(ed_priv);
	void *pub = pub_key(ed_pub);
	unsigned char sig[64];
	size_t n = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	(void)state;
	assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
	assert_int_equal(p.scheme, HSIG_RFC9421);
	assert_string_equal(p.label, "sig-b26");
	assert_string_equal(p.key_id, "test-key-ed25519");
	assert_true(p.created == 1618884473 && p.expires == -1);
	assert_int_equal(p.n_components, 6);
	assert_int_equal(hsig_signing_string(&r, &p, true, &base, NULL), SE_OK);
	assert_string_equal(buf_cstr(&base), want_base);
	assert_true(EVP_DigestSignInit(c, NULL, NULL, NULL, priv) == 1);
	assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)base.ptr, base.len) == 1);
	assert_int_equal(n, 64);
	assert_memory_equal(sig, p.sig, 64);
	assert_true(raw_verify(pub, NULL, buf_str(&base), p.sig, p.sig_len));
	/* the sha-512 Content-Digest of the test request is right */
	assert_int_equal(hsig_check_digest(&r, NULL), SE_OK);
	/* B.2.6 does not cover content-digest: below our POST minimum */
	assert_int_equal(hsig_verify(&r, &p, pub, 1618884473, 3600, &ei), SE_INVAL);
	assert_non_null(strstr(ei.detail, "digest"));
	/* as a GET (no digest needed) it meets the minimum, but @method is covered */
	r.method = "GET";
	r.has_body = false;
	assert_int_equal(hsig_verify(&r, &p, pub, 1618884473, 3600, &ei), SE_INVAL);
	assert_non_null(strstr(ei.detail, "bad signature"));
	EVP_MD_CTX_free(c);
	buf_release(&base);
	EVP_PKEY_free(priv);
	fkeys_pkey_free(pub);
}

/* ---- fedify vectors ---- */

static size_t load_request(json_t *v, struct hsig_header *hs, size_t cap, struct hsig_request *r)
{
	json_t *rq = json_object_get(v, "request"), *h = json_object_get(rq, "headers");
	const char *body = json_string_value(json_object_get(rq, "body"));
	size_t i, n = json_array_size(h);

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		json_t *pair = json_array_get(h, i);

		hs[i].name = str_from(json_string_value(json_array_get(pair, 0)));
		hs[i].value = str_from(json_string_value(json_array_get(pair, 1)));
	}
	*r = (struct hsig_request){json_string_value(json_object_get(rq, "method")),
	                           str_from(json_string_value(json_object_get(rq, "target"))),
	                           str_from(json_string_value(json_object_get(rq, "authority"))),
	                           str_from(json_string_value(json_object_get(rq, "scheme"))),
	                           hs,
	                           n,
	                           str_from(body),
	                           body != NULL};
	return n;
}

static json_t *load_vector(const char *name)
{
	char path[256];
	json_t *v;

	snprintf(path, sizeof(path), VECTORS "/%s.json", name);
	v = json_load_file(path, 0, NULL);
	if (!v)
		fail_msg("cannot load %s", path);
	return v;
}

static void test_fedify_vectors(void **state)
{
	json_t *index = json_load_file(VECTORS "/index.json", 0, NULL);
	size_t valid = 0, invalid = 0;

	(void)state;
	assert_non_null(index);
	assert_true(json_array_size(index) >= 20);
	for (size_t i = 0; i < json_array_size(index); i++) {
		const char *name = json_string_value(json_array_get(index, i));
		json_t *v = load_vector(name), *key = json_object_get(v, "key");
		struct hsig_header hs[32];
		struct hsig_request r;
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;
		bool want = strcmp(json_string_value(json_object_get(v, "expect")), "valid") == 0;
		const char *mb = json_string_value(json_object_get(key, "public_multibase"));
		void *pub = pub_key(json_string_value(json_object_get(key, "public_pem")));
		enum err rc;

		load_request(v, hs, 32, &r);
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_string_equal(p.key_id, json_string_value(json_object_get(key, "id")));
		assert_int_equal(p.scheme,
		                 strcmp(json_string_value(json_object_get(v, "scheme")), "cavage")
		                     ? HSIG_RFC9421
		                     : HSIG_CAVAGE);
		rc =
		    hsig_verify(&r, &p, pub, (int64_t)json_integer_value(json_object_get(v, "now")),
		                (unsigned)json_integer_value(json_object_get(v, "skew")), &ei);
		if ((rc == SE_OK) != want)
			fail_msg("%s: got %s (%s), want %s", name, rc ? "invalid" : "valid",
			         ei.detail, want ? "valid" : "invalid");
		want ? valid++ : invalid++;
		if (mb) {
			/* the Multikey of the vector is the same key as its PEM */
			void *k2 = NULL;

			assert_int_equal(fkeys_parse_multibase(str_from(mb), &k2, NULL), SE_OK);
			assert_int_equal(EVP_PKEY_eq(k2, pub), 1);
			if (want)
				assert_int_equal(
				    hsig_verify(&r, &p, k2,
				                json_integer_value(json_object_get(v, "now")), 3600,
				                NULL),
				    SE_OK);
			fkeys_pkey_free(k2);
		}
		fkeys_pkey_free(pub);
		json_decref(v);
	}
	assert_true(valid >= 5 && invalid >= 5);
	json_decref(index);
}

/* ---- sign / verify round trips ---- */

static void add_out(struct hsig_header *hs, size_t *n, const struct hsig_out *o, char low[][64])
{
	for (size_t i = 0; i < o->n; i++) {
		const char *line = o->lines[i], *colon = strchr(line, ':');
		size_t k;

		assert_non_null(colon);
		for (k = 0; line + k < colon; k++)
			low[i][k] =
			    (char)((line[k] >= 'A' && line[k] <= 'Z') ? line[k] + 32 : line[k]);
		low[i][k] = '\0';
		hs[*n].name = str_from(low[i]);
		hs[*n].value = str_from(colon + 2);
		(*n)++;
	}
}

static void round_trip(EVP_PKEY *priv, void *pub, enum hsig_scheme s, const char *method, bool body)
{
	struct hsig_header hs[16] = {
	    {STR_LIT("content-type"), STR_LIT("application/activity+json")},
	    {STR_LIT("accept"), STR_LIT("application/activity+json")},
	    {STR_LIT("host"), STR_LIT("peer.example:8443")},
	};
	char low[HSIG_OUT_MAX][64];
	size_t n = 3;
	struct hsig_out o = HSIG_OUT_INIT;
	struct hsig_request r = {method,
	                         STR_LIT("/users/bob/inbox?x=1"),
	                         STR_LIT("peer.example:8443"),
	                         STR_LIT("https"),
	                         hs,
	                         n,
	                         body ? STR_LIT("{\"type\":\"Follow\"}") : STR_NULL,
	                         body};
	struct hsig_parsed p;
	struct err_info ei = ERR_INFO_INIT;
	int64_t now = 1760000000;

	assert_int_equal(
	    hsig_sign(s, &r, "https://me.example/users/a#main-key", priv, now, &o, &ei), SE_OK);
	assert_int_equal(o.n, (body ? 3u : 2u) + (s == HSIG_RFC9421));
	assert_null(o.lines[o.n]);
	add_out(hs, &n, &o, low);
	r.n_headers = n;
	assert_int_equal(hsig_parse(&r, &p, &ei), SE_OK);
	assert_int_equal(p.scheme, s);
	assert_string_equal(p.key_id, "https://me.example/users/a#main-key");
	if (hsig_verify(&r, &p, pub, now + 30, 3600, &ei) != SE_OK)
		fail_msg("round trip %d %s: %s", (int)s, method, ei.detail);
	/* outside the window */
	assert_int_equal(hsig_verify(&r, &p, pub, now + 7200, 3600, NULL), SE_INVAL);
	assert_int_equal(hsig_verify(&r, &p, pub, now - 7200, 3600, NULL), SE_INVAL);
	/* another target */
	r.target = STR_LIT("/users/eve/inbox?x=1");
	assert_int_equal(hsig_verify(&r, &p, pub, now, 3600, NULL), SE_INVAL);
	r.target = STR_LIT("/users/bob/inbox?x=1");
	if (body) {
		r.body = STR_LIT("{\"type\":\"Block\"}");
		assert_int_equal(hsig_verify(&r, &p, pub, now, 3600, &ei), SE_INVAL);
		assert_non_null(strstr(ei.detail, "mismatch"));
	}
	hsig_out_release(&o);
	assert_int_equal(o.n, 0);
}

static void test_round_trips(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	static const enum hsig_scheme schemes[] = {HSIG_CAVAGE, HSIG_RFC9421};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		round_trip(rsa, rsa, schemes[i], "POST", true);
		round_trip(rsa, rsa, schemes[i], "GET", false);
		round_trip(ed, ed, schemes[i], "POST", true);
		round_trip(ed, ed, schemes[i], "GET", false);
	}
	/* the wrong key and the wrong key type */
	{
		struct hsig_header hs[8] = {{STR_LIT("host"), STR_LIT("h.example")}};
		char low[HSIG_OUT_MAX][64];
		size_t n = 1;
		struct hsig_out o = HSIG_OUT_INIT;
		struct hsig_request r = {"POST",
		                         STR_LIT("/inbox"),
		                         STR_LIT("h.example"),
		                         STR_LIT("https"),
		                         hs,
		                         1,
		                         STR_LIT("{}"),
		                         true};
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;

		assert_int_equal(hsig_sign(HSIG_CAVAGE, &r, "k", rsa, 100, &o, NULL), SE_OK);
		add_out(hs, &n, &o, low);
		r.n_headers = n;
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(hsig_verify(&r, &p, rsa, 100, 60, NULL), SE_OK);
		assert_int_equal(hsig_verify(&r, &p, ed, 100, 60, &ei), SE_INVAL);
		assert_non_null(strstr(ei.detail, "wrong key type"));
		hsig_out_release(&o);
		n = 1;
		assert_int_equal(hsig_sign(HSIG_RFC9421, &r, "k", ed, 100, &o, NULL), SE_OK);
		add_out(hs, &n, &o, low);
		r.n_headers = n;
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(hsig_verify(&r, &p, other, 100, 60, &ei), SE_INVAL);
		assert_non_null(strstr(ei.detail, "bad signature"));
		assert_int_equal(hsig_verify(&r, &p, rsa, 100, 60, &ei), SE_INVAL);
		hsig_out_release(&o);
		/* keyIds that cannot be written into a header */
		assert_int_equal(hsig_sign(HSIG_CAVAGE, &r, "a\"b", rsa, 100, &o, NULL), SE_INVAL);
		assert_int_equal(hsig_sign(HSIG_CAVAGE, &r, "", rsa, 100, &o, NULL), SE_INVAL);
		assert_int_equal(hsig_sign(HSIG_RFC9421, &r, "a\nb", rsa, 100, &o, NULL), SE_INVAL);
		assert_int_equal(o.n, 0);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(other);
}

/* hsig_sign_cover: extra headers (FEP-8fcf's Collection-Synchronization) are signed and checked */
static void test_sign_cover(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	static const enum hsig_scheme schemes[] = {HSIG_CAVAGE, HSIG_RFC9421};
	static const char *const cover[] = {"collection-synchronization"};
	static const char csync[] =
	    "collectionId=\"https://me.example/users/a/followers\", "
	    "url=\"https://me.example/users/a/followers?domain=peer.example\", "
	    "digest=\"00ff\"";

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct hsig_header hs[16] = {
		    {STR_LIT("content-type"), STR_LIT("application/activity+json")},
		    {STR_LIT("collection-synchronization"), STR_LIT(csync)},
		};
		char low[HSIG_OUT_MAX][64];
		size_t n = 2;
		struct hsig_out o = HSIG_OUT_INIT;
		struct hsig_request r = {"POST",
		                         STR_LIT("/inbox"),
		                         STR_LIT("peer.example"),
		                         STR_LIT("https"),
		                         hs,
		                         n,
		                         STR_LIT("{\"type\":\"Update\"}"),
		                         true};
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;
		EVP_PKEY *k = i < 2 ? rsa : ed;
		enum hsig_scheme s = schemes[i % 2];
		bool found = false;

		assert_int_equal(hsig_sign_cover(s, &r, "https://me.example/users/a#main-key", k,
		                                 1760000000, cover, 1, &o, &ei),
		                 SE_OK);
		add_out(hs, &n, &o, low);
		r.n_headers = n;
		assert_int_equal(hsig_parse(&r, &p, &ei), SE_OK);
		for (size_t c = 0; c < p.n_components; c++)
			found |= strcmp(p.components[c], "collection-synchronization") == 0;
		assert_true(found);
		/* the fixed set is still there, the extra one last */
		assert_string_equal(p.components[p.n_components - 1], "collection-synchronization");
		if (s == HSIG_CAVAGE) {
			assert_string_equal(p.components[0], "(request-target)");
			assert_int_equal(p.n_components, 5);
		} else {
			assert_string_equal(p.components[0], "@method");
			assert_int_equal(p.n_components, 5);
		}
		if (hsig_verify(&r, &p, k, 1760000010, 3600, &ei) != SE_OK)
			fail_msg("cover %zu: %s", i, ei.detail);
		/* a changed header value breaks the signature */
		hs[1].value = STR_LIT("collectionId=\"https://me.example/users/a/followers\", "
		                      "url=\"https://me.example/x\", digest=\"00ff\"");
		assert_int_equal(hsig_verify(&r, &p, k, 1760000010, 3600, &ei), SE_INVAL);
		assert_non_null(strstr(ei.detail, "bad signature"));
		/* and a dropped one cannot be checked at all */
		hs[1].name = STR_LIT("x-other");
		assert_int_equal(hsig_verify(&r, &p, k, 1760000010, 3600, &ei), SE_INVAL);
		hs[1].name = STR_LIT("collection-synchronization");
		hs[1].value = STR_LIT(csync);
		hsig_out_release(&o);
		/* what cannot be covered */
		r.n_headers = 2;
		{
			static const char *const bad[][1] = {
			    {"date"},      {"host"},     {"digest"},
			    {"signature"}, {"x-absent"}, {"Collection-Synchronization"},
			    {""},          {"a b"},      {"content-digest"}};

			for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
				assert_int_equal(
				    hsig_sign_cover(s, &r, "k", k, 100, bad[b], 1, &o, NULL),
				    SE_INVAL);
		}
		{
			static const char *const twice[] = {"collection-synchronization",
			                                    "collection-synchronization"};
			static const char *const nine[9] = {"content-type"};

			assert_int_equal(hsig_sign_cover(s, &r, "k", k, 100, twice, 2, &o, NULL),
			                 SE_INVAL);
			assert_int_equal(hsig_sign_cover(s, &r, "k", k, 100, nine, 9, &o, NULL),
			                 SE_INVAL);
			assert_int_equal(hsig_sign_cover(s, &r, "k", k, 100, NULL, 0, &o, NULL),
			                 SE_OK);
			hsig_out_release(&o);
		}
		assert_int_equal(o.n, 0);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* Signatures over a query string: cavage verifies with and without it */
static void test_cavage_query(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct hsig_header hs[4] = {
	    {STR_LIT("host"), STR_LIT("h.example")},
	    {STR_LIT("date"), STR_LIT("Thu, 01 Jan 1970 00:01:40 GMT")},
	};
	struct hsig_request r = {"GET",
	                         STR_LIT("/objects/1?page=2"),
	                         STR_LIT("h.example"),
	                         STR_LIT("https"),
	                         hs,
	                         2,
	                         STR_NULL,
	                         false};
	struct hsig_parsed p;
	struct buf base = BUF_INIT(4096);
	unsigned char sig[512];
	size_t n = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	(void)state;
	/* signed as fedify does: (request-target) without the query */
	memset(&p, 0, sizeof(p));
	p.scheme = HSIG_CAVAGE;
	p.created = p.expires = -1;
	p.n_components = 3;
	strcpy(p.components[0], "(request-target)");
	strcpy(p.components[1], "host");
	strcpy(p.components[2], "date");
	assert_int_equal(hsig_signing_string(&r, &p, false, &base, NULL), SE_OK);
	assert_string_equal(buf_cstr(&base), "(request-target): get /objects/1\nhost: h.example\n"
	                                     "date: Thu, 01 Jan 1970 00:01:40 GMT");
	assert_true(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, rsa) == 1);
	assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)base.ptr, base.len) == 1);
	memcpy(p.sig, sig, n);
	p.sig_len = n;
	assert_int_equal(hsig_verify(&r, &p, rsa, 100, 60, NULL), SE_OK);
	/* the query is not covered by such a signature; the path is */
	r.target = STR_LIT("/objects/1?page=3");
	assert_int_equal(hsig_verify(&r, &p, rsa, 100, 60, NULL), SE_OK);
	r.target = STR_LIT("/objects/2?page=2");
	assert_int_equal(hsig_verify(&r, &p, rsa, 100, 60, NULL), SE_INVAL);
	buf_release(&base);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(rsa);
}

/* ---- hostile input ---- */

static void test_cavage_hostile(void **state)
{
	static char huge_headers[HSIG_HEADER_MAX + 2];
	static char many[2048];
	static const struct {
		const char *in;
		enum err want;
	} cases[] = {
	    {"", SE_PARSE},
	    {"   ", SE_PARSE},
	    {"keyId=\"k\"", SE_PARSE},                                /* no signature */
	    {"signature=\"AAAA\"", SE_PARSE},                         /* no keyId */
	    {"keyId=\"k\",signature=\"AAAA", SE_PARSE},               /* unterminated quote */
	    {"keyId=\"k\",signature=\"AA\\", SE_PARSE},               /* escape at the end */
	    {"keyId=\"k\",signature=\"!!!!\"", SE_PARSE},             /* bad base64 */
	    {"keyId=\"k\",signature=\"\"", SE_PARSE},                 /* empty signature */
	    {"keyId=\"k\",keyId=\"j\",signature=\"AAAA\"", SE_PARSE}, /* duplicate */
	    {"keyId=\"k\",signature=\"AAAA\",signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\" signature=\"AAAA\"", SE_PARSE},  /* no comma */
	    {"keyId=\"k\",signature=\"AAAA\",", SE_PARSE}, /* trailing comma */
	    {"keyId,signature=\"AAAA\"", SE_PARSE},        /* no '=' */
	    {"keyId=,signature=\"AAAA\"", SE_PARSE},       /* empty token */
	    {"keyId=\"\",signature=\"AAAA\"", SE_PARSE},   /* empty keyId */
	    {"keyId=\"k\",headers=\"\",signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\",headers=\"date date\",signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\",created=12x,signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\",expires=-1,signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\",created=9999999999999,signature=\"AAAA\"", SE_PARSE},
	    {"keyId=\"k\",algorithm=\"rsa-sha1\",signature=\"AAAA\"", SE_INVAL},
	    {"keyId=\"k\",algorithm=\"hmac-sha256\",signature=\"AAAA\"", SE_INVAL},
	    {"keyId=\"k\",algorithm=\"ecdsa-sha256-but-much-longer-than-32\",signature=\"AAAA\"",
	     SE_INVAL},
	    {"keyId=\"k\",signature=\"AAAA\",headers=\"a\x01\"", SE_PARSE}, /* control byte */
	    {huge_headers, SE_TOO_LARGE},
	    {many, SE_TOO_LARGE},
	    {"keyId=\"a\\\"b\",signature=\"AAAA\"", SE_OK}, /* escaped quote */
	    {"KEYID=\"k\" , Signature = \"AAAA\" ,extra=\"x\"", SE_OK},
	    {"keyId=\"k\",created=1402170695,expires=\"1402170699\",signature=\"AAAA\"", SE_OK},
	};
	size_t off;

	(void)state;
	/* 8 KiB of one headers list: over HSIG_HEADER_MAX as a whole */
	off = (size_t)snprintf(huge_headers, sizeof(huge_headers), "keyId=\"k\",headers=\"");
	memset(huge_headers + off, 'a', sizeof(huge_headers) - off - 1);
	huge_headers[sizeof(huge_headers) - 1] = '\0';
	/* 40 distinct covered headers: over HSIG_COMPONENTS_MAX */
	off = (size_t)snprintf(many, sizeof(many), "keyId=\"k\",signature=\"AAAA\",headers=\"");
	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, "x-h%d ", i);
	snprintf(many + off, sizeof(many) - off, "\"");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;
		enum err rc = hsig_parse_cavage(str_from(cases[i].in), &p, &ei);

		if (rc != cases[i].want)
			fail_msg("case %zu: got %s (%s), want %s", i, err_type(rc), ei.detail,
			         err_type(cases[i].want));
		if (rc == SE_OK && i == sizeof(cases) / sizeof(cases[0]) - 1)
			assert_true(p.created == 1402170695 && p.expires == 1402170699 &&
			            p.n_components == 1 && !strcmp(p.components[0], "date"));
	}
	{
		struct hsig_parsed p;

		assert_int_equal(
		    hsig_parse_cavage(STR_LIT("keyId=\"a\\\"b\",signature=\"AAAA\""), &p, NULL),
		    SE_OK);
		assert_string_equal(p.key_id, "a\"b");
		assert_int_equal(p.sig_len, 3);
		/* NUL inside a value */
		assert_int_equal(
		    hsig_parse_cavage((struct str){"keyId=\"a\0b\",signature=\"AAAA\"", 28}, &p,
		                      NULL),
		    SE_PARSE);
	}
}

static void test_rfc9421_hostile(void **state)
{
	static const struct {
		const char *input, *sig;
		enum err want;
	} cases[] = {
	    {"sig1=(\"@method\");keyid=\"k\";created=1", "sig1=:AAAA:", SE_OK},
	    {"sig1=(\"@method\");keyid=\"k\"", "sig1=:AAAA:", SE_OK}, /* created checked later */
	    {"sig1=(\"@method\")", "sig1=:AAAA:", SE_PARSE},          /* no keyid */
	    {"sig1=()", "sig1=:AAAA:", SE_PARSE},                     /* nothing covered */
	    {"sig1=(\"@method\";sf);keyid=\"k\"", "sig1=:AAAA:", SE_INVAL},
	    {"sig1=(\"@method\");keyid=\"k\";alg=\"rsa-pss-sha512\"", "sig1=:AAAA:", SE_INVAL},
	    {"sig1=(\"@method\");keyid=\"k\";alg=\"hmac-sha256\"", "sig1=:AAAA:", SE_INVAL},
	    {"sig1=(\"@method\");keyid=\"k\";alg=rsa", "sig1=:AAAA:", SE_PARSE}, /* token */
	    {"sig1=(\"@method\" \"@method\");keyid=\"k\"", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"Date\");keyid=\"k\"", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(@method);keyid=\"k\"", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"@method\";keyid=\"k\"", "sig1=:AAAA:", SE_PARSE}, /* unterminated */
	    {"sig1=(\"@method);keyid=\"k\"", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"@method\");keyid=\"k\";keyid=\"j\"", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"@method\");keyid=\"k\";created=-5", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"@method\");keyid=\"k\";created=1.5", "sig1=:AAAA:", SE_PARSE},
	    {"sig1=(\"@method\");keyid=\"k\"", "sig1=:!!!!:", SE_PARSE},   /* bad base64 */
	    {"sig1=(\"@method\");keyid=\"k\"", "sig1=:AAAA", SE_PARSE},    /* unterminated */
	    {"sig1=(\"@method\");keyid=\"k\"", "sig1=\"AAAA\"", SE_PARSE}, /* not bytes */
	    {"sig1=(\"@method\");keyid=\"k\"", "sig2=:AAAA:", SE_PARSE},   /* no matching label */
	    {"sig1=(\"@method\");keyid=\"k\", sig1=(\"@path\");keyid=\"j\"",
	     "sig1=:AAAA:", SE_PARSE},                                    /* duplicate label */
	    {"Sig1=(\"@method\");keyid=\"k\"", "Sig1=:AAAA:", SE_PARSE},  /* bad key */
	    {"sig1=(\"@method\");keyid=\"k\",", "sig1=:AAAA:", SE_PARSE}, /* trailing comma */
	    {"a=1, sig2=(\"@method\");keyid=\"k\"", "sig2=:AAAA:, a=?1",
	     SE_OK}, /* first labelled */
	    {"sig1=(\"@method\" \"@authority\");keyid=\"k\";nonce=\"x\";tag=\"t\";created=5",
	     "x=:AA==:, sig1=:AAAA:", SE_OK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;
		enum err rc = hsig_parse_rfc9421(str_from(cases[i].input), str_from(cases[i].sig),
		                                 STR_NULL, &p, &ei);

		if (rc != cases[i].want)
			fail_msg("case %zu: got %s (%s), want %s", i, err_type(rc), ei.detail,
			         err_type(cases[i].want));
	}
	/* the params line is the member as received */
	{
		struct hsig_parsed p;

		assert_int_equal(
		    hsig_parse_rfc9421(
		        STR_LIT("sig1=(\"@method\" \"@authority\");created=5;keyid=\"k\""),
		        STR_LIT("sig1=:AAAA:"), STR_NULL, &p, NULL),
		    SE_OK);
		assert_string_equal(p.params, "(\"@method\" \"@authority\");created=5;keyid=\"k\"");
		assert_string_equal(p.label, "sig1");
		assert_true(p.created == 5);
	}
	/* Signature-Input without Signature, nothing at all */
	{
		struct hsig_header hs[] = {
		    {STR_LIT("signature-input"), STR_LIT("sig1=(\"@method\")")}};
		struct hsig_request r = {"GET", STR_LIT("/"), STR_LIT("h"), STR_LIT("https"), hs,
		                         1,     STR_NULL,     false};
		struct hsig_parsed p;

		assert_int_equal(hsig_parse(&r, &p, NULL), SE_PARSE);
		r.n_headers = 0;
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_NOT_FOUND);
	}
}

/* Coverage minimums and clocks, on a parsed signature with a real key */
static void test_policy(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	static const struct {
		const char *headers; /* cavage headers= */
		const char *method;
		bool body;
		const char *extra; /* ",created=..,expires=.." */
		int64_t now;
		enum err want;
		const char *why;
	} cases[] = {
	    {"(request-target) host date digest", "POST", true, "", 1000, SE_OK, NULL},
	    {"(request-target) host date", "POST", true, "", 1000, SE_INVAL, "digest"},
	    {"(request-target) host date", "POST", false, "", 1000, SE_INVAL, "digest"},
	    {"(request-target) host date", "GET", false, "", 1000, SE_OK, NULL},
	    {"host date digest", "POST", true, "", 1000, SE_INVAL, "request-target"},
	    {"(request-target) date digest", "POST", true, "", 1000, SE_INVAL, "host"},
	    {"(request-target) host digest", "POST", true, "", 1000, SE_INVAL, "date"},
	    {"(request-target) host (created) digest", "POST", true, ",created=1000", 1000, SE_OK,
	     NULL},
	    {"(request-target) host (created) digest", "POST", true, "", 1000, SE_INVAL,
	     "(created)"},
	    {"(request-target) host date digest", "POST", true, "", 1000 + 3601, SE_INVAL, "old"},
	    {"(request-target) host date digest", "POST", true, "", 1000 - 3601, SE_INVAL,
	     "future"},
	    {"(request-target) host date digest", "POST", true, ",created=5000", 1000, SE_INVAL,
	     "future"},
	    {"(request-target) host date digest", "POST", true, ",expires=100", 4000, SE_INVAL,
	     "expired"},
	    {"(request-target) host date digest", "POST", true, ",expires=100", 1000, SE_OK, NULL},
	    {"(request-target) host date digest x-missing", "POST", true, "", 1000, SE_INVAL,
	     "x-missing"},
	};
	const char *date = "Thu, 01 Jan 1970 00:16:40 GMT"; /* 1000 */

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hsig_header hs[6] = {{STR_LIT("host"), STR_LIT("h.example")},
		                            {STR_LIT("date"), str_from(date)},
		                            {STR_LIT("digest"), STR_NULL}};
		struct hsig_request r = {cases[i].method,
		                         STR_LIT("/inbox"),
		                         STR_LIT("h.example"),
		                         STR_LIT("https"),
		                         hs,
		                         3,
		                         STR_LIT(""),
		                         cases[i].body};
		struct buf dig = BUF_INIT(128), base = BUF_INIT(4096), hdr = BUF_INIT(4096);
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;
		unsigned char sig[64];
		size_t n = 64;
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		enum err rc;

		hsig_digest_sha256(STR_LIT(""), &dig);
		hs[2].value = buf_str(&dig);
		buf_printf(&hdr,
		           "keyId=\"k\",algorithm=\"hs2019\",headers=\"%s\"%s,signature=\"AAAA\"",
		           cases[i].headers, cases[i].extra);
		assert_int_equal(hsig_parse_cavage(buf_str(&hdr), &p, NULL), SE_OK);
		/* sign what we can build; a missing header leaves the dummy signature */
		if (hsig_signing_string(&r, &p, true, &base, NULL) == SE_OK) {
			assert_true(EVP_DigestSignInit(c, NULL, NULL, NULL, ed) == 1);
			assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)base.ptr,
			                           base.len) == 1);
			memcpy(p.sig, sig, 64);
			p.sig_len = 64;
		}
		rc = hsig_verify(&r, &p, ed, cases[i].now, 3600, &ei);
		if (rc != cases[i].want || (cases[i].why && !strstr(ei.detail, cases[i].why)))
			fail_msg("case %zu: got %s (%s), want %s (%s)", i, err_type(rc), ei.detail,
			         err_type(cases[i].want), cases[i].why ? cases[i].why : "");
		EVP_MD_CTX_free(c);
		buf_release(&dig);
		buf_release(&base);
		buf_release(&hdr);
	}
	EVP_PKEY_free(ed);
}

static void test_digest(void **state)
{
	static const struct {
		const char *digest, *content_digest; /* NULL: absent */
		const char *body;
		enum err want;
	} cases[] = {
	    /* {"hello": "world"} */
	    {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", NULL, CAVAGE_BODY, SE_OK},
	    {"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", NULL, CAVAGE_BODY, SE_OK},
	    {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", NULL, "{}", SE_INVAL},
	    {"MD5=abc, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", NULL, CAVAGE_BODY,
	     SE_OK},
	    {"MD5=abc", NULL, CAVAGE_BODY, SE_INVAL}, /* nothing recognised */
	    {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=,SHA-512=AAAA", NULL, CAVAGE_BODY,
	     SE_INVAL}, /* every recognised entry must match */
	    {"SHA-256=!!!!", NULL, CAVAGE_BODY, SE_INVAL},
	    {"SHA-256", NULL, CAVAGE_BODY, SE_INVAL},
	    {"=abc", NULL, CAVAGE_BODY, SE_INVAL},
	    {"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", NULL, "", SE_OK},
	    {NULL, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", CAVAGE_BODY, SE_OK},
	    {NULL, "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", CAVAGE_BODY, SE_INVAL},
	    {NULL, "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", CAVAGE_BODY, SE_INVAL},
	    {NULL,
	     "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwE"
	     "mTHWXvJwew==:",
	     CAVAGE_BODY, SE_OK},
	    {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
	     "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", CAVAGE_BODY, SE_INVAL},
	    {NULL, NULL, CAVAGE_BODY, SE_INVAL},
	    {",,,,,,,,,,,,,,,,,,,,,", NULL, CAVAGE_BODY, SE_INVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hsig_header hs[2];
		size_t n = 0;
		struct hsig_request r;

		if (cases[i].digest)
			hs[n++] =
			    (struct hsig_header){STR_LIT("digest"), str_from(cases[i].digest)};
		if (cases[i].content_digest)
			hs[n++] = (struct hsig_header){STR_LIT("content-digest"),
			                               str_from(cases[i].content_digest)};
		r = (struct hsig_request){"POST",
		                          STR_LIT("/"),
		                          STR_LIT("h"),
		                          STR_LIT("https"),
		                          hs,
		                          n,
		                          str_from(cases[i].body),
		                          true};
		if (hsig_check_digest(&r, NULL) != cases[i].want)
			fail_msg("digest case %zu", i);
	}
	{
		struct buf b = BUF_INIT(128);

		hsig_digest_sha256(STR_LIT(CAVAGE_BODY), &b);
		assert_string_equal(buf_cstr(&b),
		                    "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
		buf_reset(&b);
		hsig_content_digest_sha256(STR_LIT(""), &b);
		assert_string_equal(buf_cstr(&b),
		                    "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
		buf_release(&b);
	}
}

static void test_dates(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"Sun, 05 Jan 2014 21:31:40 GMT", true, 1388957500},
	    {"Thu, 01 Jan 1970 00:00:00 GMT", true, 0},
	    {"Tue, 29 Feb 2028 23:59:59 GMT", true, 1835481599},
	    {"Sun, 05 Jan 2014 21:31:40 UTC", false, 0},
	    {"Sunday, 05-Jan-14 21:31:40 GMT", false, 0},
	    {"Sun Jan  5 21:31:40 2014", false, 0},
	    {"Sun, 05 Foo 2014 21:31:40 GMT", false, 0},
	    {"Sun, 05 Jan 2014 25:31:40 GMT", false, 0},
	    {"Sun, 5 Jan 2014 21:31:40 GMT", false, 0},
	    {"", false, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;

		assert_int_equal(hsig_parse_http_date(str_from(cases[i].in), &t), cases[i].ok);
		if (cases[i].ok) {
			struct buf b = BUF_INIT(64);

			assert_true(t == cases[i].want);
			hsig_http_date(t, &b);
			assert_string_equal(buf_cstr(&b), cases[i].in);
			buf_release(&b);
		}
	}
}

/* Duplicate header instances are joined; a duplicated Signature is refused */
static void test_duplicates(void **state)
{
	struct hsig_header hs[] = {
	    {STR_LIT("x-a"), STR_LIT("1")},
	    {STR_LIT("X-A"), STR_LIT(" 2 ")},
	    {STR_LIT("signature"), STR_LIT("keyId=\"k\",signature=\"AAAA\"")},
	    {STR_LIT("signature"), STR_LIT("keyId=\"j\",signature=\"AAAA\"")},
	};
	struct hsig_request r = {"GET", STR_LIT("/"), STR_LIT("h"), STR_LIT("https"), hs,
	                         4,     STR_NULL,     false};
	struct buf tmp = BUF_INIT(256);
	struct hsig_parsed p;
	struct str v;

	(void)state;
	assert_true(hsig_header_get(&r, "x-a", &tmp, &v));
	assert_true(str_eq_cstr(v, "1, 2"));
	assert_false(hsig_header_get(&r, "x-b", &tmp, &v));
	assert_int_equal(hsig_parse(&r, &p, NULL), SE_PARSE);
	buf_release(&tmp);
}

/*
 * Requests signed the way each peer signs them (header sets, order, algorithm
 * names and keyId shapes from FEDIVERSE.md "HTTP signatures across servers"),
 * with the signing string written out by hand: our builder must produce the
 * same bytes, and the request must verify.
 */
static void test_peer_styles(void **state)
{
	static const struct {
		const char *peer, *method, *target, *alg, *headers, *extra, *key_id;
		const char *string; /* what the peer signs */
		bool body;
	} cases[] = {
	    {"mastodon POST", "POST", "/users/bob/inbox", "rsa-sha256",
	     "host date content-type digest (request-target)", "",
	     "https://m.example/users/a#main-key",
	     "host: h.example\ndate: Sun, 01 Jun 2025 12:00:00 GMT\n"
	     "content-type: application/activity+json\ndigest: SHA-256=" DIG "\n"
	     "(request-target): post /users/bob/inbox",
	     true},
	    {"mastodon GET", "GET", "/users/bob/outbox?page=true", "rsa-sha256",
	     "(request-target) host date", "", "https://m.example/actor#main-key",
	     "(request-target): get /users/bob/outbox?page=true\nhost: h.example\n"
	     "date: Sun, 01 Jun 2025 12:00:00 GMT",
	     false},
	    {"gotosocial POST", "POST", "/inbox", "hs2019", "(request-target) host date digest", "",
	     "https://g.example/users/a/main-key",
	     "(request-target): post /inbox\nhost: h.example\ndate: Sun, 01 Jun 2025 12:00:00 GMT\n"
	     "digest: SHA-256=" DIG,
	     true},
	    {"akkoma POST", "POST", "/inbox", "hs2019",
	     "(request-target) host (created) (expires) digest",
	     ",created=1748779190,expires=1748782790", "https://a.example/users/a#main-key",
	     "(request-target): post /inbox\nhost: h.example\n(created): 1748779190\n"
	     "(expires): 1748782790\ndigest: SHA-256=" DIG,
	     true},
	    {"misskey POST", "POST", "/inbox", "rsa-sha256", "(request-target) date host digest",
	     "", "https://k.example/users/9abc#main-key",
	     "(request-target): post /inbox\ndate: Sun, 01 Jun 2025 12:00:00 GMT\nhost: h.example\n"
	     "digest: SHA-256=" DIG,
	     true},
	    {"snac GET", "GET", "/users/bob", "rsa-sha256", "(request-target) host digest date", "",
	     "https://s.example/alice#main-key",
	     "(request-target): get /users/bob\nhost: h.example\ndigest: SHA-256=" EMPTY_DIG "\n"
	     "date: Sun, 01 Jun 2025 12:00:00 GMT",
	     false},
	    {"peertube POST", "POST", "/inbox", "rsa-sha256", "(request-target) date host digest",
	     "", "https://p.example/accounts/a#main-key",
	     "(request-target): post /inbox\ndate: Sun, 01 Jun 2025 12:00:00 GMT\nhost: h.example\n"
	     "digest: SHA-256=" DIG,
	     true},
	};
	EVP_PKEY *rsa = priv_key(cavage_priv);
	void *pub = pub_key(cavage_pub);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool body = cases[i].body;
		struct hsig_header hs[6] = {
		    {STR_LIT("host"), STR_LIT("h.example")},
		    {STR_LIT("date"), STR_LIT("Sun, 01 Jun 2025 12:00:00 GMT")},
		    {STR_LIT("content-type"), STR_LIT("application/activity+json")},
		    {STR_LIT("digest"),
		     body ? STR_LIT("SHA-256=" DIG) : STR_LIT("SHA-256=" EMPTY_DIG)},
		};
		struct hsig_request r = {cases[i].method,
		                         str_from(cases[i].target),
		                         STR_LIT("h.example"),
		                         STR_LIT("https"),
		                         hs,
		                         5,
		                         body ? STR_LIT(PEER_BODY) : STR_NULL,
		                         body};
		struct buf sigh = BUF_INIT(4096), base = BUF_INIT(4096);
		unsigned char sig[256], b64[512];
		size_t n = sizeof(sig);
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		struct hsig_parsed p;
		struct err_info ei = ERR_INFO_INIT;

		assert_true(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, rsa) == 1);
		assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)cases[i].string,
		                           strlen(cases[i].string)) == 1);
		EVP_MD_CTX_free(c);
		EVP_EncodeBlock(b64, sig, (int)n);
		buf_printf(&sigh, "keyId=\"%s\",algorithm=\"%s\",headers=\"%s\"%s,signature=\"%s\"",
		           cases[i].key_id, cases[i].alg, cases[i].headers, cases[i].extra,
		           (const char *)b64);
		hs[4] = (struct hsig_header){STR_LIT("signature"), buf_str(&sigh)};
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(hsig_signing_string(&r, &p, true, &base, NULL), SE_OK);
		if (strcmp(buf_cstr(&base), cases[i].string) != 0)
			fail_msg("%s: signing string\n%s\nwant\n%s", cases[i].peer, buf_cstr(&base),
			         cases[i].string);
		if (hsig_verify(&r, &p, pub, 1748779200, 3600, &ei) != SE_OK)
			fail_msg("%s: %s", cases[i].peer, ei.detail);
		buf_release(&sigh);
		buf_release(&base);
	}
	EVP_PKEY_free(rsa);
	fkeys_pkey_free(pub);
}

/* hs2019 with an RSA key as draft-cavage-12 defines it: RSASSA-PSS with SHA-512 */
static void test_hs2019_pss(void **state)
{
	static const char *const algs[] = {"hs2019", "rsa-sha256"};
	static const enum err want[] = {SE_OK, SE_INVAL};
	EVP_PKEY *rsa = priv_key(cavage_priv);
	void *pub = pub_key(cavage_pub);

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct hsig_header hs[6];
		struct hsig_request r;
		struct hsig_parsed p;
		struct buf base = BUF_INIT(4096), hdr = BUF_INIT(4096);
		unsigned char sig[256], b64[512];
		size_t n = sizeof(sig);
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;

		memcpy(hs, cavage_hdrs, sizeof(hs));
		buf_printf(&hdr,
		           "keyId=\"Test\",algorithm=\"%s\",headers=\"(request-target) host "
		           "date digest\",signature=\"AAAA\"",
		           algs[i]);
		hs[5] = (struct hsig_header){STR_LIT("signature"), buf_str(&hdr)};
		r = cavage_req(hs, 6);
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(hsig_signing_string(&r, &p, true, &base, NULL), SE_OK);
		assert_true(EVP_DigestSignInit(c, &pc, EVP_sha512(), NULL, rsa) == 1);
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1);
		assert_true(EVP_DigestSign(c, sig, &n, (const unsigned char *)base.ptr, base.len) ==
		            1);
		EVP_MD_CTX_free(c);
		EVP_EncodeBlock(b64, sig, (int)n);
		buf_reset(&hdr);
		buf_printf(&hdr,
		           "keyId=\"Test\",algorithm=\"%s\",headers=\"(request-target) host "
		           "date digest\",signature=\"%s\"",
		           algs[i], (const char *)b64);
		hs[5] = (struct hsig_header){STR_LIT("signature"), buf_str(&hdr)};
		assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
		assert_int_equal(hsig_verify(&r, &p, pub, CAVAGE_NOW, 60, NULL), want[i]);
		buf_release(&base);
		buf_release(&hdr);
	}
	EVP_PKEY_free(rsa);
	fkeys_pkey_free(pub);
}

/* A covered digest header that the request does not carry; an uncovered one that lies */
static void test_missing_digest(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct hsig_header hs[8] = {{STR_LIT("host"), STR_LIT("h.example")}};
	char low[HSIG_OUT_MAX][64];
	size_t n = 1, w = 0;
	struct hsig_out o = HSIG_OUT_INIT;
	struct hsig_request r = {
	    "POST", STR_LIT("/inbox"), STR_LIT("h.example"), STR_LIT("https"), hs, 1, STR_LIT(""),
	    true};
	struct hsig_parsed p;
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(hsig_sign(HSIG_CAVAGE, &r, "k", ed, 100, &o, NULL), SE_OK);
	add_out(hs, &n, &o, low);
	r.n_headers = n;
	assert_int_equal(hsig_parse(&r, &p, NULL), SE_OK);
	assert_int_equal(hsig_verify(&r, &p, ed, 100, 60, NULL), SE_OK); /* empty body */
	/* drop the Digest header: covered but absent */
	for (size_t i = 0; i < n; i++)
		if (!str_eq_cstr(hs[i].name, "digest"))
			hs[w++] = hs[i];
	r.n_headers = w;
	assert_int_equal(w, n - 1);
	assert_int_equal(hsig_verify(&r, &p, ed, 100, 60, &ei), SE_INVAL);
	assert_non_null(strstr(ei.detail, "missing"));
	/* an uncovered Content-Digest that does not match fails the inbox's check */
	hs[w++] =
	    (struct hsig_header){STR_LIT("content-digest"),
	                         STR_LIT("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")};
	r.n_headers = w;
	assert_int_equal(hsig_check_digest(&r, NULL), SE_INVAL);
	hsig_out_release(&o);
	EVP_PKEY_free(ed);
}

/* A line break in a covered value or the request line never reaches a signing string */
static void test_line_breaks(void **state)
{
	static const char *const bad[] = {"a\nb", "a\rb", "a\r\nx-extra: 1"};
	struct hsig_parsed p;

	(void)state;
	assert_int_equal(hsig_parse_cavage(STR_LIT("keyId=\"k\",headers=\"(request-target) host "
	                                           "x-a\",signature=\"AAAA\""),
	                                   &p, NULL),
	                 SE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hsig_header hs[] = {{STR_LIT("x-a"), str_from(bad[i])}};
		struct hsig_request r = {"GET", STR_LIT("/"), STR_LIT("h"), STR_LIT("https"), hs,
		                         1,     STR_NULL,     false};
		struct buf b = BUF_INIT(4096);

		assert_int_equal(hsig_signing_string(&r, &p, true, &b, NULL), SE_PARSE);
		hs[0].value = STR_LIT("ok");
		assert_int_equal(hsig_signing_string(&r, &p, true, &b, NULL), SE_OK);
		r.target = str_from(bad[i]);
		assert_int_equal(hsig_signing_string(&r, &p, true, &b, NULL), SE_PARSE);
		r.target = STR_LIT("/");
		r.authority = str_from(bad[i]);
		assert_int_equal(hsig_signing_string(&r, &p, true, &b, NULL), SE_PARSE);
		buf_release(&b);
	}
}

/* OOM: every mem_try_* failure point of parse + verify + sign fails cleanly */
static void test_oom(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct hsig_header hs[8] = {{STR_LIT("host"), STR_LIT("h.example")}};
	char low[HSIG_OUT_MAX][64];
	struct hsig_request r = {
	    "POST", STR_LIT("/inbox"), STR_LIT("h.example"), STR_LIT("https"), hs, 1, STR_LIT("{}"),
	    true};
	bool done = false;

	(void)state;
	for (unsigned long k = 1; k < 200 && !done; k++) {
		struct hsig_out o = HSIG_OUT_INIT;
		struct hsig_parsed p;
		size_t n = 1;
		enum err rc;

		r.n_headers = 1;
		mem_fail_at(k, 0);
		rc = hsig_sign(HSIG_RFC9421, &r, "k", ed, 100, &o, NULL);
		if (rc == SE_OK) {
			add_out(hs, &n, &o, low);
			r.n_headers = n;
			rc = hsig_parse(&r, &p, NULL);
			if (rc == SE_OK)
				rc = hsig_verify(&r, &p, ed, 100, 60, NULL);
		}
		mem_fail_at(0, 0);
		if (rc == SE_OK)
			done = true;
		else
			assert_true(rc == SE_NOMEM || rc == SE_TOO_LARGE || rc == SE_INVAL);
		hsig_out_release(&o);
	}
	assert_true(done);
	EVP_PKEY_free(ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cavage_appendix_c),
	    cmocka_unit_test(test_cavage_pkcs1_key),
	    cmocka_unit_test(test_rfc9421_b26),
	    cmocka_unit_test(test_fedify_vectors),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_sign_cover),
	    cmocka_unit_test(test_cavage_query),
	    cmocka_unit_test(test_cavage_hostile),
	    cmocka_unit_test(test_rfc9421_hostile),
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_line_breaks),
	    cmocka_unit_test(test_peer_styles),
	    cmocka_unit_test(test_missing_digest),
	    cmocka_unit_test(test_hs2019_pss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
