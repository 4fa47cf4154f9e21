/*
 * federation/follows.h: the "ap_follows" collection: who follows whom across
 * instances (both sides are user ids: remote actors are user records).
 *
 * Owns: the follow records {_id, follower, followee, state, activity,
 * created}, their indexes (by followee, by follower, the unique pair, the
 * Follow activity id), adding / accepting / removing one, paged lists and
 * counts. Does not own: the Revolt relationship on the user records
 * (federation/process.c and api/users_relations.c change both in the same
 * write), rendering activities (federation/outbox.h).
 * Threads: pure store operations; reentrant.
 */
#ifndef SOL_FEDERATION_FOLLOWS_H
#define SOL_FEDERATION_FOLLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "perms/perms.h"
#include "storage/store.h"

#define FFOLLOW_COLL "ap_follows"
/* key followee + "/" + state letter ('a' accepted, 'p' pending) + follower */
#define FFOLLOW_IDX_FOLLOWEE "followee"
/* key follower + "/" + state letter + followee */
#define FFOLLOW_IDX_FOLLOWER "follower"
/* unique key follower + "/" + followee */
#define FFOLLOW_IDX_PAIR "pair"
/* key: hex SHA-256 of the Follow activity id */
#define FFOLLOW_IDX_ACTIVITY "activity"

/* bytes of a Follow activity id we keep */
#define FFOLLOW_ACTIVITY_MAX 1024
/* bytes of a user id in a follow record (ULIDs: 26) */
#define FFOLLOW_USER_MAX 64
/* records one list call returns at most */
#define FFOLLOW_PAGE_MAX 200

extern const struct store_index_def ffollow_idx[4];
#define FFOLLOW_COLL_DEF                                                                           \
	{                                                                                          \
		FFOLLOW_COLL, ffollow_idx, 4                                                       \
	}

enum ffollow_state {
	FFOLLOW_PENDING,
	FFOLLOW_ACCEPTED,
};

/* One follow, copied out of the store. */
struct ffollow {
	char id[32]; /* ULID of the record */
	char follower[FFOLLOW_USER_MAX];
	char followee[FFOLLOW_USER_MAX];
	enum ffollow_state state;
	char activity[FFOLLOW_ACTIVITY_MAX]; /* the Follow's AP id ("" if unknown) */
	int64_t created;                     /* ms */
};

/* Which side of the relation a list walks. */
enum ffollow_side {
	FFOLLOW_FOLLOWERS, /* records whose followee is the user */
	FFOLLOW_FOLLOWING, /* records whose follower is the user */
};

/*
 * Records that `follower` follows `followee` with `state` and the Follow
 * activity id `activity` (may be empty). When the pair exists already, its
 * activity id is replaced by a non-empty one and its state is raised to
 * `state` (pending never lowers accepted); `*created` (may be NULL) says
 * whether a new record was made. Inside the caller's write.
 * Returns SE_OK, SE_INVAL (empty/too long ids), SE_TOO_LARGE, store errors.
 */
enum err ffollow_add(struct store_wtxn *w, struct str follower, struct str followee,
                     struct str activity, enum ffollow_state state, int64_t now_ms, bool *created)
    __attribute__((warn_unused_result));

/* Marks the pair accepted. SE_NOT_FOUND when there is no such follow. */
enum err ffollow_accept(struct store_wtxn *w, struct str follower, struct str followee)
    __attribute__((warn_unused_result));

/* Removes the pair. SE_NOT_FOUND when there is no such follow. */
enum err ffollow_remove(struct store_wtxn *w, struct str follower, struct str followee)
    __attribute__((warn_unused_result));

/* The pair, copied into *out. SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err ffollow_get(struct store_txn *txn, struct str follower, struct str followee,
                     struct ffollow *out) __attribute__((warn_unused_result));

/*
 * Both directions between users L and R: L -> R into *out (*have_out says
 * whether it exists) and R -> L into *in (*have_in). A missing follow is not
 * an error. SE_PARSE, SE_IO.
 */
enum err ffollow_get_pair(struct store_txn *txn, struct str L, struct str R, struct ffollow *out,
                          bool *have_out, struct ffollow *in, bool *have_in)
    __attribute__((warn_unused_result));

struct arena;

/* One follow of an ffollow_each walk; `a` is emptied after every page. A
 * non-SE_OK return stops the walk and is its result. */
typedef enum err ffollow_each_fn(void *arg, const struct ffollow *fw, struct arena *a);

/*
 * fn for each follow of `user` on `side` in `state`, in ffollow_list's
 * order, at most `max` of them, read page by page in `txn`; the arena of
 * one page holds at most `arena_max` bytes. SE_NOMEM, ffollow_list's errors
 * or fn's.
 */
enum err ffollow_each(struct store_txn *txn, enum ffollow_side side, struct str user,
                      enum ffollow_state state, size_t max, size_t arena_max, ffollow_each_fn *fn,
                      void *arg) __attribute__((warn_unused_result));

/* The follow whose Follow activity id is `activity`. SE_NOT_FOUND. */
enum err ffollow_by_activity(struct store_txn *txn, struct str activity, struct ffollow *out)
    __attribute__((warn_unused_result));

/*
 * Up to `cap` (<= FFOLLOW_PAGE_MAX) follows of `user` on `side` in `state`,
 * ordered by the other user's id, starting after the other user id `after`
 * (STR_NULL: from the start). `*n` gets the count, `*more` (may be NULL)
 * whether more follow. Returns SE_OK, SE_INVAL, SE_PARSE, SE_IO.
 */
enum err ffollow_list(struct store_txn *txn, enum ffollow_side side, struct str user,
                      enum ffollow_state state, struct str after, struct ffollow *out, size_t cap,
                      size_t *n, bool *more) __attribute__((warn_unused_result));

/*
 * How many follows `user` has on `side` in `state` (index keys only; stops
 * counting at `limit`, then *n == limit).
 */
enum err ffollow_count(struct store_txn *txn, enum ffollow_side side, struct str user,
                       enum ffollow_state state, size_t limit, size_t *n)
    __attribute__((warn_unused_result));

/*
 * The Revolt relationship a local user L should have toward a remote user R
 * given L's current status `cur` and the follows L -> R (`out`) and R -> L
 * (`in`), NULL when absent (docs/federation.md "Friends and follows"):
 * blocks are kept; no follows: None; only R -> L: Incoming (a friend
 * request); only L -> R: Outgoing; both accepted: Friend; both, one
 * pending: Friend if L already was (L accepted locally), else Incoming when
 * R's is the pending one, Outgoing otherwise. R's status is the mirror
 * (ffollow_relation_mirror). Pure.
 */
enum perm_relationship ffollow_relation(enum perm_relationship cur, const struct ffollow *out,
                                        const struct ffollow *in);
/* Friend -> Friend, Outgoing <-> Incoming, Blocked <-> BlockedOther, None -> None. */
enum perm_relationship ffollow_relation_mirror(enum perm_relationship r);

/* The state's stored name ("pending" / "accepted"). */
const char *ffollow_state_name(enum ffollow_state s);

#endif /* SOL_FEDERATION_FOLLOWS_H */
