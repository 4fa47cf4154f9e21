/*
 * tools/bench/bench_pwhash.c: the raw argon2id verify rate (cry_pwhash_verify,
 * libsodium crypto_pwhash_str_verify) of one hash made with cry_pwhash, from
 * 1 thread and from N threads (N = online CPUs), each for a bounded time.
 * This is the ceiling for POST /api/auth/session/login, which verifies one
 * password per request; tools/bench/run prints logins/s against it.
 *
 * usage: bench_pwhash [OPS MEM_KIB [SECS]]
 *   OPS, MEM_KIB: argon2id cost; default: the daemon's auth.argon2_ops and
 *   auth.argon2_mem_kib defaults (cfg_init). SECS: seconds per phase (3).
 * Output, last line machine-readable for tools/bench/run:
 *   rate threads=1 ... and rate threads=N ..., then
 *   "pwhash ops=O mem_kib=M threads=N rate1=R1 rateN=RN"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/crypto.h"

#define MAX_THREADS 256
#define DEFAULT_SECS 3

static const char bench_pw[] = "correct horse battery staple 42";

struct phase {
	const char *hash; /* borrowed: main's hash buffer */
	long deadline_ns;
	pthread_mutex_t mu;
	unsigned long ok;
	unsigned long bad; /* verifies that returned false: a broken run */
};

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *verifier(void *p)
{
	struct phase *ph = p;
	unsigned long ok = 0, bad = 0;

	/* Finish the verify in flight at the deadline: the phase overruns by at
	 * most one verify, which run_phase's measured duration accounts for. */
	while (now_ns() < ph->deadline_ns) {
		if (cry_pwhash_verify(ph->hash, str_from(bench_pw)))
			ok++;
		else
			bad++;
	}
	pthread_mutex_lock(&ph->mu);
	ph->ok += ok;
	ph->bad += bad;
	pthread_mutex_unlock(&ph->mu);
	return NULL;
}

/* Verifies/s from `threads` threads for `secs` seconds; -1 on failure. */
static double run_phase(const char *hash, int threads, int secs)
{
	struct phase ph = {hash, 0, PTHREAD_MUTEX_INITIALIZER, 0, 0};
	pthread_t th[MAX_THREADS];
	long start = now_ns();
	int started = 0;
	double dt, rate;

	ph.deadline_ns = start + (long)secs * 1000000000L;
	for (; started < threads; started++)
		if (pthread_create(&th[started], NULL, verifier, &ph) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	dt = (double)(now_ns() - start) / 1e9;
	rate = (double)ph.ok / dt;
	printf("rate threads=%-3d verifies=%-6lu failed=%lu %.1f verifies/s (%.2f ms each per "
	       "thread)\n",
	       started, ph.ok, ph.bad, rate, ph.ok ? dt * 1000.0 * started / (double)ph.ok : 0.0);
	return started == threads && ph.bad == 0 && ph.ok > 0 ? rate : -1.0;
}

int main(int argc, char **argv)
{
	char hash[CRY_PWHASH_MAX];
	struct cfg c;
	unsigned ops;
	size_t mem_kib;
	int secs = DEFAULT_SECS;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double r1, rn;

	cfg_init(&c);
	ops = c.auth.argon2_ops;
	mem_kib = c.auth.argon2_mem_kib;
	cfg_release(&c);
	if (argc != 1 && argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bench_pwhash [OPS MEM_KIB [SECS]]\n");
		return 1;
	}
	if (argc >= 3) {
		ops = (unsigned)strtoul(argv[1], NULL, 10);
		mem_kib = (size_t)strtoull(argv[2], NULL, 10);
	}
	if (argc == 4)
		secs = atoi(argv[3]);
	if (secs < 1)
		secs = 1;
	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > MAX_THREADS)
		ncpu = MAX_THREADS;
	if (cry_init() != SE_OK) {
		fprintf(stderr, "bench_pwhash: cannot initialise libsodium\n");
		return 1;
	}
	if (cry_pwhash(str_from(bench_pw), ops, mem_kib, hash) != SE_OK) {
		fprintf(stderr, "bench_pwhash: cry_pwhash failed for ops=%u mem_kib=%zu\n", ops,
		        mem_kib);
		return 1;
	}
	printf("bench_pwhash: argon2id verify (crypto_pwhash_str_verify), ops=%u mem_kib=%zu, "
	       "%ds per phase, %ld CPUs\n",
	       ops, mem_kib, secs, ncpu);
	r1 = run_phase(hash, 1, secs);
	rn = run_phase(hash, (int)ncpu, secs);
	if (r1 < 0 || rn < 0) {
		fprintf(stderr, "bench_pwhash: a phase failed\n");
		return 2;
	}
	printf("ratio %ld/1 = %.2fx\n", ncpu, rn / r1);
	printf("pwhash ops=%u mem_kib=%zu threads=%ld rate1=%.1f rateN=%.1f\n", ops, mem_kib, ncpu,
	       r1, rn);
	return 0;
}
