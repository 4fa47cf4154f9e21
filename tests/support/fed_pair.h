/*
 * tests/support/fed_pair.h: what the federation integration tests repeat
 * around two (or more) real solstice --dev daemons on loopback: start one
 * (optionally posing as other software through NodeInfo), a user's
 * fediverse handle, stop them all checking their exit status, a
 * relation poll, befriending across instances, finding a DM channel and
 * waiting for a message's content.
 *
 * Every wait is a bounded poll of FPAIR_WAIT_MS; a failure fails the
 * running cmocka test (fail_msg / assert_*), so callers need no error
 * handling. Threads: the test thread only.
 */
#ifndef SOL_TESTS_SUPPORT_FED_PAIR_H
#define SOL_TESTS_SUPPORT_FED_PAIR_H

#include <stddef.h>

#include "tests/support/api_client.h"
#include "tests/support/daemon.h"

#define FPAIR_START_MS 20000
#define FPAIR_STOP_MS 15000
/* how long one federated change may take to show on the other side */
#define FPAIR_WAIT_MS 20000

/* Sleeps 100 ms (one poll step). */
void fpair_nap(void);

/*
 * tc_start with --dev (public URL http://127.0.0.1:PORT, private peers
 * allowed). `software` non-NULL: NodeInfo names it as software.name
 * ($SOLSTICE_TEST_NODEINFO_NAME, honoured under --dev only). NULL if the
 * daemon did not start.
 */
struct td *fpair_start(const char *software);

/*
 * Stops the n daemons (NULL entries skipped); -1 (and the statuses on
 * stderr) if any exited non-zero: sanitizer builds exit non-zero on a leak.
 */
int fpair_stop(struct td *const *d, size_t n);

/* u's fediverse handle on d, "<username>_<discriminator>@127.0.0.1:<port>". */
void fpair_handle(struct td *d, const struct tc_user *u, char *out, size_t n);

/*
 * The status `token`'s user has toward `other` (the first relation when
 * NULL) into out ("" when none); that relation's user id into who when
 * who is non-NULL and one matched.
 */
void fpair_relation(struct td *d, const char *token, const char *other, char out[32], char who[32]);

/* Polls fpair_relation until it is `want`; fails after FPAIR_WAIT_MS. */
void fpair_wait_relation(struct td *d, const char *token, const char *other, const char *want,
                         char who[32]);

/*
 * ua on a befriends the user with handle `hb` on b (ub): the friend request
 * by handle, b shows it Incoming, ub accepts, both sides reach Friend.
 * ub's id on a into b_on_a, ua's id on b into a_on_b.
 */
void fpair_befriend(struct td *a, const struct tc_user *ua, struct td *b, const struct tc_user *ub,
                    const char *hb, char b_on_a[32], char a_on_b[32]);

/* The usual two instances: alice on A, bob on B. */
struct fpair {
	struct td *a, *b;
	struct tc_user alice, bob;
	char bob_handle[128];              /* bob's handle as A sees it */
	char bob_on_a[32], alice_on_b[32]; /* each one's user id on the other (fpair_friends) */
};

/*
 * Starts A and B (fpair_start(NULL)), makes alice on A and bob on B and
 * bob's handle; -1 if a daemon did not start (return it from a cmocka
 * group setup; fpair_close still stops what started).
 */
int fpair_open(struct fpair *p);

/* Stops A and B: fpair_stop's result. */
int fpair_close(struct fpair *p);

/* alice befriends bob (fpair_befriend): fills bob_on_a and alice_on_b. */
void fpair_friends(struct fpair *p);

/* The DM channel on d of `token`'s user with `other` (polled: it appears on the first message). */
void fpair_find_dm(struct td *d, const char *token, const char *other, char out[32]);

/* Polls channel `cid` on d until a message with exactly `content` shows. */
void fpair_wait_content(struct td *d, const char *token, const char *cid, const char *content);

#endif
