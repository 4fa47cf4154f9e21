/*
 * bus/bus.c: the event bus. Two chained hash tables under one writer-
 * preferring rwlock: topic name -> topic (with its array of memberships) and
 * (subscriber, topic) -> membership. Publishers hold the read lock while they
 * deliver, which is what makes bus_sub_free race-free. See
 * docs/internals/bus.md.
 */
#include "bus/bus.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define BUS_BUCKETS_MIN 64
/* recipients gathered on the stack by a multi-topic publish before spilling */
#define BUS_GATHER_STACK 64

struct bus_msg {
	atomic_size_t refs;
	size_t len;
	char data[];
};

struct bus_link;

struct bus_topic {
	struct bus_topic *hnext; /* chain in bus->topics */
	uint64_t hash;
	struct bus_link **links; /* members, unordered */
	size_t n, cap;
	size_t len;
	char name[LIM_TOPIC_MAX + 1];
};

/* One membership of a subscriber in a topic. */
struct bus_link {
	struct bus_link *hnext; /* chain in bus->links */
	uint64_t hash;
	struct bus_sub *sub;
	struct bus_topic *topic;
	size_t tpos; /* index in topic->links */
	size_t spos; /* index in sub->links */
};

struct bus_sub {
	struct bus *bus;
	bus_deliver_fn *fn;
	void *ctx;
	struct bus_link **links;
	size_t n, cap;
};

struct bus_table {
	void **buckets;
	size_t mask, count;
};

struct bus {
	pthread_rwlock_t lock;
	const struct bus_backend_ops *ops;
	void *be;
	struct bus_table topics; /* of struct bus_topic */
	struct bus_table links;  /* of struct bus_link */
};

static uint64_t hash_name(struct str s)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < s.n; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t hash_pair(const void *a, const void *b)
{
	uint64_t h = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)(uintptr_t)b + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ull;
}

static bool topic_ok(struct str t)
{
	return t.p && t.n > 0 && t.n <= LIM_TOPIC_MAX;
}

/* Chained tables: the chain pointer is the first member of both node types. */
static void **table_slot(struct bus_table *t, uint64_t hash)
{
	return &t->buckets[hash & t->mask];
}

static void table_init(struct bus_table *t)
{
	t->buckets = xcalloc(BUS_BUCKETS_MIN, sizeof(void *));
	t->mask = BUS_BUCKETS_MIN - 1;
	t->count = 0;
}

static void table_grow_topics(struct bus_table *t)
{
	size_t nb = (t->mask + 1) * 2;
	void **nbk;

	if (t->count < t->mask + 1)
		return;
	nbk = xcalloc(nb, sizeof(void *));
	for (size_t i = 0; i <= t->mask; i++) {
		struct bus_topic *tp = t->buckets[i], *next;

		for (; tp; tp = next) {
			next = tp->hnext;
			tp->hnext = nbk[tp->hash & (nb - 1)];
			nbk[tp->hash & (nb - 1)] = tp;
		}
	}
	mem_free(t->buckets);
	t->buckets = nbk;
	t->mask = nb - 1;
}

static void table_grow_links(struct bus_table *t)
{
	size_t nb = (t->mask + 1) * 2;
	void **nbk;

	if (t->count < t->mask + 1)
		return;
	nbk = xcalloc(nb, sizeof(void *));
	for (size_t i = 0; i <= t->mask; i++) {
		struct bus_link *l = t->buckets[i], *next;

		for (; l; l = next) {
			next = l->hnext;
			l->hnext = nbk[l->hash & (nb - 1)];
			nbk[l->hash & (nb - 1)] = l;
		}
	}
	mem_free(t->buckets);
	t->buckets = nbk;
	t->mask = nb - 1;
}

static struct bus_topic *topic_find(struct bus *bus, struct str name, uint64_t hash)
{
	struct bus_topic *tp = *table_slot(&bus->topics, hash);

	for (; tp; tp = tp->hnext)
		if (tp->hash == hash && tp->len == name.n && memcmp(tp->name, name.p, name.n) == 0)
			return tp;
	return NULL;
}

static struct bus_link *link_find(struct bus *bus, struct bus_sub *sub, struct bus_topic *tp)
{
	uint64_t hash = hash_pair(sub, tp);
	struct bus_link *l = *table_slot(&bus->links, hash);

	for (; l; l = l->hnext)
		if (l->sub == sub && l->topic == tp)
			return l;
	return NULL;
}

static void ptr_push(struct bus_link ***arr, size_t *n, size_t *cap, struct bus_link *l)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	(*arr)[(*n)++] = l;
}

/* Removes a topic with no members from the table. Write lock held. */
static void topic_drop(struct bus *bus, struct bus_topic *tp)
{
	void **slot = table_slot(&bus->topics, tp->hash);
	struct bus_topic **pp = (struct bus_topic **)slot;

	while (*pp != tp)
		pp = &(*pp)->hnext;
	*pp = tp->hnext;
	bus->topics.count--;
	if (bus->ops && bus->ops->topic_remove)
		bus->ops->topic_remove(bus->be, (struct str){tp->name, tp->len});
	mem_free(tp->links);
	mem_free(tp);
}

/* Unlinks one membership from all three places. Write lock held. */
static void link_remove(struct bus *bus, struct bus_link *l)
{
	struct bus_topic *tp = l->topic;
	struct bus_sub *sub = l->sub;
	struct bus_link **pp = (struct bus_link **)table_slot(&bus->links, l->hash);

	while (*pp != l)
		pp = &(*pp)->hnext;
	*pp = l->hnext;
	bus->links.count--;

	tp->links[l->tpos] = tp->links[--tp->n];
	tp->links[l->tpos]->tpos = l->tpos;
	sub->links[l->spos] = sub->links[--sub->n];
	sub->links[l->spos]->spos = l->spos;
	mem_free(l);
	if (tp->n == 0)
		topic_drop(bus, tp);
}

struct bus *bus_new(const struct bus_backend_ops *ops, void *be)
{
	struct bus *bus = xcalloc(1, sizeof(*bus));
	pthread_rwlockattr_t attr;

	/*
	 * glibc rwlocks prefer readers by default; with a steady stream of
	 * publishers, subscribe/unsubscribe would starve.
	 */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&bus->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	bus->ops = ops;
	bus->be = be;
	table_init(&bus->topics);
	table_init(&bus->links);
	return bus;
}

void bus_free(struct bus *bus)
{
	if (!bus)
		return;
	/* Subscribers left over are a caller bug; free what we can. */
	while (bus->links.count) {
		for (size_t i = 0; i <= bus->links.mask; i++)
			while (bus->links.buckets[i])
				link_remove(bus, bus->links.buckets[i]);
	}
	if (bus->ops && bus->ops->free)
		bus->ops->free(bus->be);
	mem_free(bus->topics.buckets);
	mem_free(bus->links.buckets);
	pthread_rwlock_destroy(&bus->lock);
	mem_free(bus);
}

enum err bus_msg_new(struct str payload, struct bus_msg **out)
{
	struct bus_msg *m;

	if (payload.n > LIM_EVENT_MAX)
		return SE_RAISE(NULL, SE_TOO_LARGE);
	m = mem_try_alloc(sizeof(*m) + payload.n + 1);
	if (!m)
		return SE_RAISE(NULL, SE_NOMEM);
	atomic_init(&m->refs, 1);
	m->len = payload.n;
	if (payload.n)
		memcpy(m->data, payload.p, payload.n);
	m->data[payload.n] = '\0';
	*out = m;
	return SE_OK;
}

struct bus_msg *bus_msg_ref(struct bus_msg *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

void bus_msg_unref(struct bus_msg *m)
{
	if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		mem_free(m);
}

struct str bus_msg_data(const struct bus_msg *m)
{
	return (struct str){m->data, m->len};
}

static int cmp_sub(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (struct bus_sub *const *)a;
	uintptr_t y = (uintptr_t) * (struct bus_sub *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fan out to local subscribers. The read lock is held across the deliveries:
 * bus_sub_free takes the write lock, so it waits for them to finish.
 */
static void deliver_local(struct bus *bus, const struct str *topics, size_t n, struct bus_msg *m)
{
	struct bus_sub *stack[BUS_GATHER_STACK];
	struct bus_sub **subs = stack;
	size_t ns = 0, cap = BUS_GATHER_STACK, ntopics = 0;

	pthread_rwlock_rdlock(&bus->lock);
	if (n == 1) {
		struct bus_topic *tp = topic_find(bus, topics[0], hash_name(topics[0]));

		for (size_t i = 0; tp && i < tp->n; i++)
			tp->links[i]->sub->fn(tp->links[i]->sub->ctx, m);
		goto out;
	}
	for (size_t t = 0; t < n; t++) {
		struct bus_topic *tp = topic_find(bus, topics[t], hash_name(topics[t]));

		if (!tp)
			continue;
		ntopics++;
		for (size_t i = 0; i < tp->n; i++) {
			if (ns == cap) {
				struct bus_sub **nsubs = xmalloc(cap * 2 * sizeof(*nsubs));

				memcpy(nsubs, subs, ns * sizeof(*subs));
				if (subs != stack)
					mem_free(subs);
				subs = nsubs;
				cap *= 2;
			}
			subs[ns++] = tp->links[i]->sub;
		}
	}
	if (ntopics > 1)
		qsort(subs, ns, sizeof(*subs), cmp_sub);
	for (size_t i = 0; i < ns; i++)
		if (i == 0 || subs[i] != subs[i - 1])
			subs[i]->fn(subs[i]->ctx, m);
out:
	pthread_rwlock_unlock(&bus->lock);
	if (subs != stack)
		mem_free(subs);
}

static enum err check_topics(const struct str *topics, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!topic_ok(topics[i]))
			return SE_RAISE(NULL, SE_INVAL);
	return SE_OK;
}

enum err bus_backend_deliver(struct bus *bus, const struct str *topics, size_t n,
                             struct str payload)
{
	struct bus_msg *m = NULL;
	enum err rc;

	if (n == 0)
		return SE_OK;
	rc = check_topics(topics, n);
	if (rc)
		goto out;
	rc = bus_msg_new(payload, &m);
	if (rc)
		goto out;
	deliver_local(bus, topics, n, m);
out:
	bus_msg_unref(m);
	return rc;
}

enum err bus_publish_multi(struct bus *bus, const struct str *topics, size_t n, struct str payload)
{
	enum err rc;

	if (n == 0)
		return SE_OK;
	rc = check_topics(topics, n);
	if (rc)
		return rc;
	if (payload.n > LIM_EVENT_MAX)
		return SE_RAISE(NULL, SE_TOO_LARGE);
	if (bus->ops && bus->ops->publish)
		return bus->ops->publish(bus->be, topics, n, payload);
	return bus_backend_deliver(bus, topics, n, payload);
}

enum err bus_publish(struct bus *bus, struct str topic, struct str payload)
{
	return bus_publish_multi(bus, &topic, 1, payload);
}

struct bus_sub *bus_sub_new(struct bus *bus, bus_deliver_fn *fn, void *ctx)
{
	struct bus_sub *sub = xcalloc(1, sizeof(*sub));

	sub->bus = bus;
	sub->fn = fn;
	sub->ctx = ctx;
	return sub;
}

enum err bus_sub_add_topic(struct bus_sub *sub, struct str topic)
{
	struct bus *bus = sub->bus;
	uint64_t hash = hash_name(topic);
	struct bus_topic *tp;
	struct bus_link *l;
	enum err rc = SE_OK;

	if (!topic_ok(topic))
		return SE_RAISE(NULL, SE_INVAL);
	pthread_rwlock_wrlock(&bus->lock);
	tp = topic_find(bus, topic, hash);
	if (tp && link_find(bus, sub, tp))
		goto out;
	if (sub->n >= LIM_TOPICS_PER_CONN) {
		rc = SE_RAISE(NULL, SE_FULL);
		goto out;
	}
	if (!tp) {
		tp = xcalloc(1, sizeof(*tp));
		tp->hash = hash;
		tp->len = topic.n;
		memcpy(tp->name, topic.p, topic.n);
		table_grow_topics(&bus->topics);
		tp->hnext = *table_slot(&bus->topics, hash);
		*table_slot(&bus->topics, hash) = tp;
		bus->topics.count++;
		if (bus->ops && bus->ops->topic_add)
			bus->ops->topic_add(bus->be, topic);
	}
	l = xcalloc(1, sizeof(*l));
	l->sub = sub;
	l->topic = tp;
	l->hash = hash_pair(sub, tp);
	l->tpos = tp->n;
	ptr_push(&tp->links, &tp->n, &tp->cap, l);
	l->spos = sub->n;
	ptr_push(&sub->links, &sub->n, &sub->cap, l);
	table_grow_links(&bus->links);
	l->hnext = *table_slot(&bus->links, l->hash);
	*table_slot(&bus->links, l->hash) = l;
	bus->links.count++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

enum err bus_sub_remove_topic(struct bus_sub *sub, struct str topic)
{
	struct bus *bus = sub->bus;
	struct bus_topic *tp;
	struct bus_link *l = NULL;
	enum err rc = SE_OK;

	if (!topic_ok(topic))
		return SE_NOT_FOUND;
	pthread_rwlock_wrlock(&bus->lock);
	tp = topic_find(bus, topic, hash_name(topic));
	if (tp)
		l = link_find(bus, sub, tp);
	if (!l) {
		rc = SE_NOT_FOUND;
		goto out;
	}
	link_remove(bus, l);
out:
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

size_t bus_sub_topic_count(struct bus_sub *sub)
{
	size_t n;

	pthread_rwlock_rdlock(&sub->bus->lock);
	n = sub->n;
	pthread_rwlock_unlock(&sub->bus->lock);
	return n;
}

void bus_sub_free(struct bus_sub *sub)
{
	struct bus *bus;

	if (!sub)
		return;
	bus = sub->bus;
	/* Taking the write lock also waits out deliveries already running. */
	pthread_rwlock_wrlock(&bus->lock);
	while (sub->n)
		link_remove(bus, sub->links[sub->n - 1]);
	pthread_rwlock_unlock(&bus->lock);
	mem_free(sub->links);
	mem_free(sub);
}

void *bus_backend(struct bus *bus, const struct bus_backend_ops **ops_out)
{
	*ops_out = bus->ops;
	return bus->be;
}

size_t bus_topic_count(struct bus *bus)
{
	size_t n;

	pthread_rwlock_rdlock(&bus->lock);
	n = bus->topics.count;
	pthread_rwlock_unlock(&bus->lock);
	return n;
}
