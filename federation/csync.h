/*
 * federation/csync.h: FEP-8fcf followers collection synchronisation (prefix
 * fcsync_), both directions (docs/internals/federation-sync.md).
 *
 * Owns: the `Collection-Synchronization` header (parse, render), the
 * followers digest (XOR of the SHA-256 of each follower actor id, lower-case
 * hex), the one list of "followers of a local user on host H" that both the
 * partial collection (`<actor>/followers?domain=H`, federation/collections.c)
 * and the outbound header are computed from, the header a delivery carries
 * (federation/deliver_batch.c asks for it at claim time), and the inbound
 * check: compare with our view, fetch the partial collection on a mismatch
 * (at most once per actor per FCSYNC_INTERVAL_MS, collection "ap_csync"),
 * and end (Undo{Follow}) the local follows the remote no longer lists.
 * Does not own: signing (federation/httpsig.h covers the header), the inbox
 * pipeline (federation/inbox.c checks that the signature covers the header
 * and queues its value), follow records (federation/follows.h).
 * Threads: reentrant; fcsync_check blocks (signed GET) and runs on the inbox
 * worker.
 */
#ifndef SOL_FEDERATION_CSYNC_H
#define SOL_FEDERATION_CSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

struct fed;
struct buf;
struct arena;

/* the header, lower case (as hsig_request / a covered component names it) */
#define FCSYNC_HEADER "collection-synchronization"
/* bytes of a header value we read or write */
#define FCSYNC_HEADER_MAX 4096
/* bytes of collectionId / url (NUL included) */
#define FCSYNC_URL_MAX 2048
/* hex digest length */
#define FCSYNC_DIGEST_HEX 64
/* one fetch of the partial collection per remote actor per this */
#define FCSYNC_INTERVAL_MS (10LL * 60 * 1000)
/* items of a fetched partial collection we look at */
#define FCSYNC_ITEMS_MAX 100000
/* pages of a fetched partial collection we follow */
#define FCSYNC_PAGES_MAX 20
/* followers one digest / partial collection walks at most */
#define FCSYNC_WALK_MAX 100000

/* rate-limit records: id = remote user id, {checked: ms} */
#define FCSYNC_COLL "ap_csync"
#define FCSYNC_COLL_DEF                                                                            \
	{                                                                                          \
		FCSYNC_COLL, NULL, 0                                                               \
	}

/* A parsed header value. */
struct fcsync_hdr {
	char collection_id[FCSYNC_URL_MAX];
	char url[FCSYNC_URL_MAX];
	char digest[FCSYNC_DIGEST_HEX + 1]; /* lower case */
};

/*
 * Parses `collectionId="..", url="..", digest=".."` (parameters in any
 * order, comma separated, optional whitespace, quoted strings with
 * backslash escapes or bare tokens, unknown parameters ignored). All three
 * are required, each at most once; digest must be 64 hex digits (lower-cased
 * into out). Pure. Returns SE_OK, SE_PARSE, SE_TOO_LARGE. Fuzzed
 * (tests/fuzz/fuzz_csync.c).
 */
enum err fcsync_parse(struct str value, struct fcsync_hdr *out) __attribute__((warn_unused_result));

/* Appends the header value for the three fields to `out`. SE_INVAL for a
 * field with a quote, backslash or control byte. */
enum err fcsync_render(const char *collection_id, const char *url, const char *digest_hex,
                       struct buf *out) __attribute__((warn_unused_result));

/* The running XOR of SHA-256 digests; zero-initialise ({0}). */
struct fcsync_digest {
	unsigned char x[32];
	size_t n; /* ids added */
};
void fcsync_digest_add(struct fcsync_digest *d, struct str actor_id);
/* 64 lower-case hex digits + NUL. */
void fcsync_digest_hex(const struct fcsync_digest *d, char out[FCSYNC_DIGEST_HEX + 1]);

/*
 * Calls fn(arg, actor id, host) for each accepted follower of the local
 * user `user` (remote followers: their AP id and ap.host; local ones: our
 * actor URL and f->host; users that no longer exist are skipped), in
 * follower id order, at most FCSYNC_WALK_MAX. The strings are valid during
 * the call only. A non-zero return of fn stops the walk and is returned.
 */
typedef enum err (*fcsync_follower_fn)(void *arg, const char *actor_id, const char *host);
enum err fcsync_followers_walk(const struct fed *f, struct store_txn *txn, struct str user,
                               fcsync_follower_fn fn, void *arg)
    __attribute__((warn_unused_result));

/*
 * Per-host digests of one user's followers, built in one walk (a delivery
 * batch asks for many hosts of the same activity).
 */
struct fcsync_table;
enum err fcsync_table_build(const struct fed *f, struct store_txn *txn, struct str user,
                            struct fcsync_table **out) __attribute__((warn_unused_result));
/* The digest of the followers on `host` (case-insensitive; zero when none). */
void fcsync_table_get(const struct fcsync_table *t, struct str host, struct fcsync_digest *out);
void fcsync_table_free(struct fcsync_table *t);
/* The header value for `user`'s followers on `host` from `t`, appended to `out`. */
enum err fcsync_table_header(const struct fcsync_table *t, const struct fed *f, struct str user,
                             struct str host, struct buf *out) __attribute__((warn_unused_result));

/* The digest of `user`'s accepted followers whose host is `host` (case-insensitive). */
enum err fcsync_followers_digest(const struct fed *f, struct store_txn *txn, struct str user,
                                 struct str host, struct fcsync_digest *out)
    __attribute__((warn_unused_result));

/*
 * True when activity `body` (JSON text) is addressed (to/cc/bto/bcc/audience)
 * to `followers_url`. Pure; false for junk.
 */
bool fcsync_addressed_to(struct str body, const char *followers_url);

/*
 * The Collection-Synchronization value for a delivery of `body` signed by
 * `signer` (a local user id; "instance" never gets one) to an inbox on
 * `host`: appended to `out` and true when the activity is addressed to the
 * signer's followers, else false (nothing appended). `*rc` gets store
 * errors (then false).
 */
bool fcsync_delivery_header(const struct fed *f, struct store_txn *txn, struct str signer,
                            struct str body, struct str host, struct buf *out, enum err *rc);

/*
 * Our view of remote user `remote_user`'s followers collection: the digest
 * of our local users who follow it (accepted).
 */
enum err fcsync_local_digest(const struct fed *f, struct store_txn *txn, struct str remote_user,
                             struct fcsync_digest *out) __attribute__((warn_unused_result));

/*
 * Adds the member ids of one collection page `doc` ("orderedItems" or
 * "items": strings or objects with an "id") as keys of the JSON object
 * `set`, at most FCSYNC_ITEMS_MAX in all. `*next` (borrowed from doc, may
 * be NULL) gets the next page to fetch: "next", or "first" when the
 * document carries no items (an embedded "first" page is read in place).
 * Pure. SE_OK, SE_PARSE (not a collection), SE_TOO_LARGE, SE_NOMEM.
 */
enum err fcsync_collection_items(const json_t *doc, json_t *set, const char **next)
    __attribute__((warn_unused_result));

/*
 * Ends every accepted follow of remote user `remote_user` by a local user
 * whose actor URL is not a key of `listed`: Undo{Follow} is sent, the
 * follow removed and both users' relationship recomputed (and published).
 * Then the listed actors that are our local users: a pending follow of
 * `remote_user` is marked accepted (its Accept was lost), a follow we have
 * no record of gets an Undo{Follow} (Mastodon's repair). `*removed` (may be
 * NULL) gets how many follows were changed. SE_OK or store errors.
 */
enum err fcsync_reconcile(struct fed *f, struct str remote_user, const json_t *listed,
                          size_t *removed, struct err_info *ei) __attribute__((warn_unused_result));

/*
 * The inbound check (inbox worker): `value` is a Collection-Synchronization
 * header that the verified signature of an activity of `remote_user`
 * covered. Ignored (SE_OK) unless collectionId is that actor's followers
 * collection and url is on its host; equal digests end it; otherwise, at
 * most once per FCSYNC_INTERVAL_MS per actor, fetches url (signed GET) and
 * ends the local follows of the actor that the collection does not list
 * (Undo{Follow} sent, relationship updated). `*removed` (may be NULL) gets
 * how many. Returns SE_OK, SE_PARSE (bad header), SE_RETRY (rate-limited:
 * nothing done), fetch/store errors.
 */
enum err fcsync_check(struct fed *f, struct str remote_user, struct str value, int64_t now_ms,
                      size_t *removed, struct err_info *ei) __attribute__((warn_unused_result));

#endif /* SOL_FEDERATION_CSYNC_H */
