/*
 * tools/bench/bench_httpsig.c: HTTP signature cost per core. For RSA-2048
 * (draft-cavage, what we send first) and Ed25519 (RFC 9421): verifies/s and
 * signs/s through federation/httpsig.h (parse + digest + signing string +
 * crypto: the whole inbound / outbound path) next to bare OpenSSL
 * EVP_DigestVerify / EVP_DigestSign over the same signing string, in the
 * same run, one thread, interleaved over three rounds (best of each kept);
 * the ratio is what our code costs on top of the crypto.
 *
 * usage: bench_httpsig [SECS]   (seconds per measurement, default 2)
 * Output: one line per measurement, then the machine-readable
 *   "httpsig rsa_verify=V bare_rsa_verify=B ... " summary.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "federation/httpsig.h"

#define BODY_BYTES 1024
/* interleaved rounds; each measurement keeps its best */
#define ROUNDS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctx {
	enum hsig_scheme scheme;
	EVP_PKEY *key;
	struct hsig_header hs[12];
	char names[HSIG_OUT_MAX][32];
	struct hsig_request r;
	struct hsig_out out;
	struct buf base;
	unsigned char sig[1024];
	size_t sig_len;
	int64_t t;
};

static char body[BODY_BYTES + 1];

static void setup(struct ctx *c, enum hsig_scheme s, EVP_PKEY *key)
{
	struct hsig_parsed p;
	struct err_info ei = ERR_INFO_INIT;

	memset(c, 0, sizeof(*c));
	c->scheme = s;
	c->key = key;
	c->t = (int64_t)time(NULL);
	c->hs[0] = (struct hsig_header){STR_LIT("host"), STR_LIT("peer.example")};
	c->hs[1] =
	    (struct hsig_header){STR_LIT("content-type"), STR_LIT("application/activity+json")};
	c->hs[2] = (struct hsig_header){STR_LIT("user-agent"), STR_LIT("Solstice/bench")};
	c->r = (struct hsig_request){"POST",
	                             STR_LIT("/users/01JX00000000000000000000BB/inbox"),
	                             STR_LIT("peer.example"),
	                             STR_LIT("https"),
	                             c->hs,
	                             3,
	                             (struct str){body, BODY_BYTES},
	                             true};
	c->out = (struct hsig_out)HSIG_OUT_INIT;
	if (hsig_sign(s, &c->r, "https://me.example/users/01JX000000000000000000000A#main-key", key,
	              c->t, &c->out, &ei) != SE_OK) {
		fprintf(stderr, "bench_httpsig: sign: %s\n", ei.detail);
		exit(1);
	}
	for (size_t i = 0; i < c->out.n; i++) {
		const char *line = c->out.lines[i], *colon = strchr(line, ':');
		size_t k;

		for (k = 0; line + k < colon && k < 31; k++)
			c->names[i][k] = (char)(line[k] | 0x20);
		c->names[i][k] = '\0';
		c->hs[c->r.n_headers++] =
		    (struct hsig_header){str_from(c->names[i]), str_from(colon + 2)};
	}
	buf_init(&c->base, 1 << 16);
	if (hsig_parse(&c->r, &p, &ei) != SE_OK ||
	    hsig_signing_string(&c->r, &p, true, &c->base, &ei) != SE_OK ||
	    hsig_verify(&c->r, &p, key, c->t, 3600, &ei) != SE_OK) {
		fprintf(stderr, "bench_httpsig: self-check: %s\n", ei.detail);
		exit(1);
	}
	memcpy(c->sig, p.sig, p.sig_len);
	c->sig_len = p.sig_len;
}

static void release(struct ctx *c)
{
	hsig_out_release(&c->out);
	buf_release(&c->base);
}

static const EVP_MD *md_of(const struct ctx *c)
{
	return EVP_PKEY_get_base_id(c->key) == EVP_PKEY_RSA ? EVP_sha256() : NULL;
}

static int op_bare_verify(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(m, NULL, md_of(c), NULL, c->key) == 1 &&
	         EVP_DigestVerify(m, c->sig, c->sig_len, (const unsigned char *)c->base.ptr,
	                          c->base.len) == 1;

	EVP_MD_CTX_free(m);
	return ok;
}

static int op_hsig_verify(struct ctx *c)
{
	struct hsig_parsed p;

	return hsig_parse(&c->r, &p, NULL) == SE_OK &&
	       hsig_verify(&c->r, &p, c->key, c->t, 3600, NULL) == SE_OK;
}

static int op_bare_sign(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t n = sizeof(sig);
	int ok = EVP_DigestSignInit(m, NULL, md_of(c), NULL, c->key) == 1 &&
	         EVP_DigestSign(m, sig, &n, (const unsigned char *)c->base.ptr, c->base.len) == 1;

	EVP_MD_CTX_free(m);
	return ok;
}

static int op_hsig_sign(struct ctx *c)
{
	struct hsig_out o = HSIG_OUT_INIT;
	struct hsig_request r = c->r;
	int ok;

	r.n_headers = 3;
	ok =
	    hsig_sign(c->scheme, &r, "https://me.example/users/01JX000000000000000000000A#main-key",
	              c->key, c->t, &o, NULL) == SE_OK;
	hsig_out_release(&o);
	return ok;
}

static double rate(struct ctx *c, int (*op)(struct ctx *), double secs)
{
	double start = now_s(), end = start + secs, t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 8; i++) {
			if (!op(c)) {
				fprintf(stderr, "bench_httpsig: an operation failed\n");
				exit(1);
			}
			n++;
		}
		t = now_s();
	} while (t < end);
	return (double)n / (t - start);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 2.0;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct ctx c;
	double v[8];
	static const char *const names[] = {"rsa_verify",    "bare_rsa_verify", "rsa_sign",
	                                    "bare_rsa_sign", "ed_verify",       "bare_ed_verify",
	                                    "ed_sign",       "bare_ed_sign"};

	if (!rsa || !ed || secs <= 0) {
		fprintf(stderr, "usage: bench_httpsig [SECS]\n");
		return 2;
	}
	for (int i = 0; i < BODY_BYTES; i++)
		body[i] = (char)('a' + i % 26);
	/* the machines are shared: interleave, three rounds, keep each best */
	memset(v, 0, sizeof(v));
	for (int round = 0; round < ROUNDS; round++) {
		static int (*const ops[4])(struct ctx *) = {op_hsig_verify, op_bare_verify,
		                                            op_hsig_sign, op_bare_sign};

		for (int k = 0; k < 2; k++) {
			setup(&c, k ? HSIG_RFC9421 : HSIG_CAVAGE, k ? ed : rsa);
			for (int i = 0; i < 4; i++) {
				double r = rate(&c, ops[i], secs / ROUNDS);

				if (r > v[4 * k + i])
					v[4 * k + i] = r;
			}
			release(&c);
		}
	}
	printf("RSA-2048 cavage POST (1 KiB body), 1 thread:\n");
	printf("  verify: hsig %.0f/s | bare EVP %.0f/s | ratio %.2f\n", v[0], v[1], v[0] / v[1]);
	printf("  sign:   hsig %.0f/s | bare EVP %.0f/s | ratio %.2f\n", v[2], v[3], v[2] / v[3]);
	printf("Ed25519 RFC 9421 POST (1 KiB body), 1 thread:\n");
	printf("  verify: hsig %.0f/s | bare EVP %.0f/s | ratio %.2f\n", v[4], v[5], v[4] / v[5]);
	printf("  sign:   hsig %.0f/s | bare EVP %.0f/s | ratio %.2f\n", v[6], v[7], v[6] / v[7]);
	printf("httpsig");
	for (int i = 0; i < 8; i++)
		printf(" %s=%.0f", names[i], v[i]);
	printf("\n");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	return 0;
}
