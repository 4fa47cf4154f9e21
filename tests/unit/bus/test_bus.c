/*
 * tests/unit/bus/test_bus.c: topic routing, multi-topic dedupe, refcounts,
 * limits, the backend seam, and unsubscribe/free racing publisher threads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "core/mem.h"

#define KEEP_MAX 64

struct rec {
	atomic_int count;
	struct bus_msg *keep[KEEP_MAX]; /* references taken in deliver */
	int nkeep;
	int keep_on;
};

static void rec_deliver(void *ctx, struct bus_msg *m)
{
	struct rec *r = ctx;

	atomic_fetch_add(&r->count, 1);
	if (r->keep_on && r->nkeep < KEEP_MAX)
		r->keep[r->nkeep++] = bus_msg_ref(m);
}

static void rec_release(struct rec *r)
{
	for (int i = 0; i < r->nkeep; i++)
		bus_msg_unref(r->keep[i]);
	r->nkeep = 0;
}

static void test_routing(void **state)
{
	struct bus *bus = bus_new(NULL, NULL);
	struct rec a = {0}, b = {0}, c = {0};
	struct bus_sub *sa = bus_sub_new(bus, rec_deliver, &a);
	struct bus_sub *sb = bus_sub_new(bus, rec_deliver, &b);
	struct bus_sub *sc = bus_sub_new(bus, rec_deliver, &c);
	static const struct {
		const char *topic;
		int a, b, c;
	} cases[] = {
	    {"a", 1, 0, 1},
	    {"b", 0, 1, 1},
	    {"x", 0, 0, 0},
	    {"ab", 0, 0, 0},
	};

	(void)state;
	assert_int_equal(bus_sub_add_topic(sa, STR_LIT("a")), SE_OK);
	assert_int_equal(bus_sub_add_topic(sb, STR_LIT("b")), SE_OK);
	assert_int_equal(bus_sub_add_topic(sc, STR_LIT("a")), SE_OK);
	assert_int_equal(bus_sub_add_topic(sc, STR_LIT("b")), SE_OK);
	/* adding twice is a no-op */
	assert_int_equal(bus_sub_add_topic(sc, STR_LIT("b")), SE_OK);
	assert_int_equal(bus_sub_topic_count(sc), 2);
	assert_int_equal(bus_topic_count(bus), 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		atomic_store(&a.count, 0);
		atomic_store(&b.count, 0);
		atomic_store(&c.count, 0);
		assert_int_equal(bus_publish(bus, str_from(cases[i].topic), STR_LIT("{}")), SE_OK);
		assert_int_equal(atomic_load(&a.count), cases[i].a);
		assert_int_equal(atomic_load(&b.count), cases[i].b);
		assert_int_equal(atomic_load(&c.count), cases[i].c);
	}
	assert_int_equal(bus_sub_remove_topic(sc, STR_LIT("a")), SE_OK);
	assert_int_equal(bus_sub_remove_topic(sc, STR_LIT("a")), SE_NOT_FOUND);
	atomic_store(&c.count, 0);
	assert_int_equal(bus_publish(bus, STR_LIT("a"), STR_LIT("1")), SE_OK);
	assert_int_equal(atomic_load(&c.count), 0);
	bus_sub_free(sa);
	assert_int_equal(bus_topic_count(bus), 1);
	bus_sub_free(sb);
	bus_sub_free(sc);
	assert_int_equal(bus_topic_count(bus), 0);
	bus_free(bus);
}

static void test_multi_dedupe(void **state)
{
	struct bus *bus = bus_new(NULL, NULL);
	struct rec r[3] = {0};
	struct bus_sub *s[3];
	const struct str topics[] = {STR_LIT("u1"), STR_LIT("s1"), STR_LIT("c1"), STR_LIT("u1"),
	                             STR_LIT("none")};

	(void)state;
	for (int i = 0; i < 3; i++)
		s[i] = bus_sub_new(bus, rec_deliver, &r[i]);
	/* r0 on all three, r1 on two, r2 on one */
	assert_int_equal(bus_sub_add_topic(s[0], STR_LIT("u1")), SE_OK);
	assert_int_equal(bus_sub_add_topic(s[0], STR_LIT("s1")), SE_OK);
	assert_int_equal(bus_sub_add_topic(s[0], STR_LIT("c1")), SE_OK);
	assert_int_equal(bus_sub_add_topic(s[1], STR_LIT("s1")), SE_OK);
	assert_int_equal(bus_sub_add_topic(s[1], STR_LIT("c1")), SE_OK);
	assert_int_equal(bus_sub_add_topic(s[2], STR_LIT("c1")), SE_OK);
	assert_int_equal(bus_publish_multi(bus, topics, 5, STR_LIT("x")), SE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&r[i].count), 1);
	assert_int_equal(bus_publish_multi(bus, topics, 0, STR_LIT("x")), SE_OK);
	for (int i = 0; i < 3; i++)
		bus_sub_free(s[i]);
	bus_free(bus);
}

/* Many subscribers on many topics: exercises table growth and the heap gather. */
static void test_many(void **state)
{
	enum { NSUB = 300, NTOP = 200 };
	struct bus *bus = bus_new(NULL, NULL);
	static struct rec r[NSUB];
	struct bus_sub *s[NSUB];
	struct str all[NTOP];
	static char names[NTOP][16];

	(void)state;
	for (int t = 0; t < NTOP; t++) {
		int k = snprintf(names[t], sizeof(names[t]), "topic%d", t);
		all[t] = (struct str){names[t], (size_t)k};
	}
	for (int i = 0; i < NSUB; i++) {
		atomic_store(&r[i].count, 0);
		s[i] = bus_sub_new(bus, rec_deliver, &r[i]);
		for (int t = i % 7; t < NTOP; t += 7)
			assert_int_equal(bus_sub_add_topic(s[i], all[t]), SE_OK);
	}
	assert_int_equal(bus_topic_count(bus), NTOP);
	assert_int_equal(bus_publish_multi(bus, all, NTOP, STR_LIT("m")), SE_OK);
	for (int i = 0; i < NSUB; i++)
		assert_int_equal(atomic_load(&r[i].count), 1);
	assert_int_equal(bus_publish(bus, all[3], STR_LIT("m")), SE_OK);
	for (int i = 0; i < NSUB; i++)
		assert_int_equal(atomic_load(&r[i].count), i % 7 == 3 ? 2 : 1);
	for (int i = 0; i < NSUB; i++)
		bus_sub_free(s[i]);
	assert_int_equal(bus_topic_count(bus), 0);
	bus_free(bus);
}

static void test_payload_shared_copy(void **state)
{
	struct bus *bus = bus_new(NULL, NULL);
	struct rec a = {.keep_on = 1}, b = {.keep_on = 1};
	struct bus_sub *sa = bus_sub_new(bus, rec_deliver, &a);
	struct bus_sub *sb = bus_sub_new(bus, rec_deliver, &b);
	char payload[] = "hello";

	(void)state;
	assert_int_equal(bus_sub_add_topic(sa, STR_LIT("t")), SE_OK);
	assert_int_equal(bus_sub_add_topic(sb, STR_LIT("t")), SE_OK);
	assert_int_equal(bus_publish(bus, STR_LIT("t"), str_from(payload)), SE_OK);
	payload[0] = 'J';
	assert_int_equal(a.nkeep, 1);
	assert_int_equal(b.nkeep, 1);
	/* one copy shared by both recipients */
	assert_ptr_equal(a.keep[0], b.keep[0]);
	assert_true(str_eq_cstr(bus_msg_data(a.keep[0]), "hello"));
	assert_int_equal(bus_msg_data(a.keep[0]).p[5], '\0');
	bus_sub_free(sa);
	bus_sub_free(sb);
	bus_free(bus);
	/* messages outlive the bus while referenced */
	assert_true(str_eq_cstr(bus_msg_data(b.keep[0]), "hello"));
	rec_release(&a);
	rec_release(&b);
}

static void test_limits(void **state)
{
	struct bus *bus = bus_new(NULL, NULL);
	struct rec a = {0};
	struct bus_sub *sa = bus_sub_new(bus, rec_deliver, &a);
	char longt[LIM_TOPIC_MAX + 2];
	char name[32];
	struct bus_msg *m = NULL;
	struct str big = {NULL, LIM_EVENT_MAX + 1};

	(void)state;
	memset(longt, 'x', sizeof(longt));
	assert_int_equal(bus_sub_add_topic(sa, STR_LIT("")), SE_INVAL);
	assert_int_equal(bus_sub_add_topic(sa, (struct str){longt, LIM_TOPIC_MAX + 1}), SE_INVAL);
	assert_int_equal(bus_sub_add_topic(sa, (struct str){longt, LIM_TOPIC_MAX}), SE_OK);
	assert_int_equal(bus_publish(bus, STR_LIT(""), STR_LIT("x")), SE_INVAL);
	assert_int_equal(bus_publish(bus, (struct str){longt, LIM_TOPIC_MAX + 1}, STR_LIT("x")),
	                 SE_INVAL);
	big.p = longt; /* never read: the size check comes first */
	assert_int_equal(bus_publish(bus, STR_LIT("t"), big), SE_TOO_LARGE);
	assert_int_equal(bus_msg_new(big, &m), SE_TOO_LARGE);
	assert_null(m);
	for (int i = 1; i < LIM_TOPICS_PER_CONN; i++) {
		int k = snprintf(name, sizeof(name), "t%d", i);
		assert_int_equal(bus_sub_add_topic(sa, (struct str){name, (size_t)k}), SE_OK);
	}
	assert_int_equal(bus_sub_add_topic(sa, STR_LIT("one-too-many")), SE_FULL);
	assert_int_equal(bus_sub_topic_count(sa), LIM_TOPICS_PER_CONN);
	/* injected allocation failure on publish: no delivery, no crash */
	mem_fail_at(1, 0);
	assert_int_equal(bus_publish(bus, STR_LIT("t1"), STR_LIT("x")), SE_NOMEM);
	mem_fail_at(0, 0);
	assert_int_equal(atomic_load(&a.count), 0);
	bus_sub_free(sa);
	assert_int_equal(bus_topic_count(bus), 0);
	bus_free(bus);
}

/* A fake cross-process backend: publish loops back through bus_backend_deliver. */
struct fake_be {
	struct bus *bus;
	int published, added, removed, freed;
};

static enum err fake_publish(void *be, const struct str *topics, size_t n, struct str payload)
{
	struct fake_be *f = be;

	f->published++;
	return bus_backend_deliver(f->bus, topics, n, payload);
}

static void fake_add(void *be, struct str topic)
{
	(void)topic;
	((struct fake_be *)be)->added++;
}

static void fake_remove(void *be, struct str topic)
{
	(void)topic;
	((struct fake_be *)be)->removed++;
}

static void fake_free(void *be)
{
	((struct fake_be *)be)->freed++;
}

static const struct bus_backend_ops fake_ops = {fake_publish, fake_add, fake_remove, fake_free};

static void test_backend_seam(void **state)
{
	struct fake_be f = {0};
	struct bus *bus = bus_new(&fake_ops, &f);
	struct rec a = {0}, b = {0};
	struct bus_sub *sa, *sb;

	(void)state;
	f.bus = bus;
	sa = bus_sub_new(bus, rec_deliver, &a);
	sb = bus_sub_new(bus, rec_deliver, &b);
	assert_int_equal(bus_sub_add_topic(sa, STR_LIT("t")), SE_OK);
	assert_int_equal(bus_sub_add_topic(sb, STR_LIT("t")), SE_OK);
	assert_int_equal(f.added, 1);
	assert_int_equal(bus_publish(bus, STR_LIT("t"), STR_LIT("x")), SE_OK);
	assert_int_equal(f.published, 1);
	assert_int_equal(atomic_load(&a.count), 1);
	bus_sub_free(sa);
	assert_int_equal(f.removed, 0);
	bus_sub_free(sb);
	assert_int_equal(f.removed, 1);
	bus_free(bus);
	assert_int_equal(f.freed, 1);
}

/*
 * Races: publisher threads hammer a few topics while the main thread keeps
 * creating subscribers, taking references, unsubscribing and freeing both the
 * subscriber and its context. A delivery after bus_sub_free would be a
 * use-after-free that ASan reports; leaked or double-freed messages show up
 * in LSan/ASan too.
 */
struct race {
	struct bus *bus;
	atomic_int stop;
	atomic_long published;
	atomic_int started; /* publishers that have published at least once */
};

struct race_ctx {
	atomic_int alive;
	pthread_mutex_t mu;
	struct bus_msg *keep[8];
	int nkeep;
};

static void race_deliver(void *ctx, struct bus_msg *m)
{
	struct race_ctx *rc = ctx;

	assert_int_equal(atomic_load(&rc->alive), 1);
	pthread_mutex_lock(&rc->mu);
	if (rc->nkeep < 8)
		rc->keep[rc->nkeep++] = bus_msg_ref(m);
	pthread_mutex_unlock(&rc->mu);
}

static void *race_publisher(void *arg)
{
	struct race *r = arg;
	const struct str topics[] = {STR_LIT("r0"), STR_LIT("r1"), STR_LIT("r2")};
	long i = 0;

	while (!atomic_load(&r->stop)) {
		enum err e;

		if (i & 1)
			e = bus_publish(r->bus, topics[i % 3], STR_LIT("payload"));
		else
			e = bus_publish_multi(r->bus, topics, 3, STR_LIT("multi"));
		assert_int_equal(e, SE_OK);
		if (i++ == 0)
			atomic_fetch_add(&r->started, 1);
	}
	atomic_fetch_add(&r->published, i);
	return NULL;
}

static void test_free_races_publishers(void **state)
{
	enum { NPUB = 4, ROUNDS = 3000 };
	struct race r = {.bus = bus_new(NULL, NULL)};
	pthread_t th[NPUB];

	(void)state;
	for (int i = 0; i < NPUB; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_publisher, &r), 0);
	/* On a loaded machine the publishers may start late: let them (bounded). */
	for (int i = 0; i < 1000 && atomic_load(&r.started) < NPUB; i++)
		usleep(5000);
	for (int round = 0; round < ROUNDS; round++) {
		struct race_ctx *ctx = xcalloc(1, sizeof(*ctx));
		struct bus_sub *s;

		atomic_store(&ctx->alive, 1);
		pthread_mutex_init(&ctx->mu, NULL);
		s = bus_sub_new(r.bus, race_deliver, ctx);
		assert_int_equal(bus_sub_add_topic(s, STR_LIT("r0")), SE_OK);
		assert_int_equal(bus_sub_add_topic(s, STR_LIT("r1")), SE_OK);
		if (round & 1)
			assert_int_equal(bus_sub_remove_topic(s, STR_LIT("r0")), SE_OK);
		bus_sub_free(s);
		atomic_store(&ctx->alive, 0);
		for (int i = 0; i < ctx->nkeep; i++)
			bus_msg_unref(ctx->keep[i]);
		pthread_mutex_destroy(&ctx->mu);
		mem_free(ctx);
	}
	atomic_store(&r.stop, 1);
	for (int i = 0; i < NPUB; i++)
		pthread_join(th[i], NULL);
	assert_true(atomic_load(&r.published) > 0);
	assert_int_equal(bus_topic_count(r.bus), 0);
	bus_free(r.bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routing),
	    cmocka_unit_test(test_multi_dedupe),
	    cmocka_unit_test(test_many),
	    cmocka_unit_test(test_payload_shared_copy),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_backend_seam),
	    cmocka_unit_test(test_free_races_publishers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
