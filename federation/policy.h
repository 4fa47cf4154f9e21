/*
 * federation/policy.h: instance-level domain policy (for now: domain blocks).
 *
 * Owns: the "ap_domain_blocks" collection (id = normalised domain; record
 * {domain, severity:"suspend", reason, created (ms)}), domain normalisation,
 * and the one check every federation path makes: policy_allows_host/_url
 * (inbound POST before any key fetch, signed GET, outbound delivery, actor
 * fetch). A block on example.com covers every subdomain of it.
 * Does not own: the admin CLI (tools/admin/solstice-admin.c), moderation UI.
 * Threads: as the transaction passed in; no state of its own.
 */
#ifndef SOL_FEDERATION_POLICY_H
#define SOL_FEDERATION_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define POLICY_COLL "ap_domain_blocks"
/* bytes of a normalised domain (DNS name limit) */
#define POLICY_DOMAIN_MAX 253
/* bytes of a block's reason */
#define POLICY_REASON_MAX 1000
/* labels a host may have (bounds the parent-domain walk) */
#define POLICY_LABELS_MAX 127

/* Index of every block by domain, for listing. */
#define POLICY_IDX_ALL "all"

/* store_coll_def initialiser for the schema table (src/api/routes.c). */
#define POLICY_COLL_DEF                                                                            \
	{                                                                                          \
		POLICY_COLL, policy_indexes, 1                                                     \
	}
extern const struct store_index_def policy_indexes[1];

/*
 * Normalise a domain or host into `out` (POLICY_DOMAIN_MAX + 1 bytes):
 * ASCII lowercase, ":port" and one trailing dot removed, IPv6 literal
 * brackets removed. Accepts LDH labels (letters, digits, '-', '_'; an
 * IDN must be given in its xn-- form) of 1..63 bytes, IPv4 and bracketed
 * IPv6 literals. Pure. Returns SE_OK or SE_INVAL (empty, junk bytes,
 * empty label, too long, bad port).
 */
enum err policy_domain_normalise(struct str in, char *out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * False when `host` (may carry ":port") or any parent domain of it is
 * blocked, and for a host that does not normalise (junk is refused).
 * A storage error also answers false (fail closed).
 */
bool policy_allows_host(struct store_txn *txn, struct str host);
/* policy_allows_host on the host of an absolute http(s) URL; false for junk. */
bool policy_allows_url(struct store_txn *txn, const char *url);
/* The same two checks in a read view of their own (fail closed). */
bool policy_store_allows_host(struct store *s, struct str host);
bool policy_store_allows_url(struct store *s, const char *url);

/*
 * Add (or replace the reason of) a block on `domain` (normalised here).
 * `reason` may be empty; longer than POLICY_REASON_MAX is SE_INVAL.
 * Returns SE_OK, SE_INVAL (bad domain or reason; ei of the write says why)
 * or a store error.
 */
enum err policy_block_add(struct store_wtxn *w, struct str domain, struct str reason)
    __attribute__((warn_unused_result));
/* Remove a block. Returns SE_OK, SE_NOT_FOUND, SE_INVAL or a store error. */
enum err policy_block_remove(struct store_wtxn *w, struct str domain)
    __attribute__((warn_unused_result));

/* One block, as listed (strings copied out of the store). */
struct policy_block {
	char domain[POLICY_DOMAIN_MAX + 1];
	char severity[16];
	char reason[POLICY_REASON_MAX + 1];
	int64_t created; /* ms since the epoch */
};
/* Called per block in domain order; return false to stop. */
typedef bool policy_list_fn(const struct policy_block *b, void *arg);
/* Every block, in domain order. Returns SE_OK or a store error. */
enum err policy_block_list(struct store_txn *txn, policy_list_fn *fn, void *arg)
    __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_POLICY_H */
