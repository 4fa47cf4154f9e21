/*
 * bus/bus.h: in-process publish/subscribe by topic (the event bus).
 *
 * Owns: the topic index (topic name -> subscriber set), subscribers and the
 * refcounted immutable messages handed to them. Does not own what a
 * subscriber does with a message (the gateway queues it for a socket), nor
 * cross-process fan-out: that is a backend behind struct bus_backend_ops
 * (a Redis pub/sub backend is planned; only the in-process path exists).
 * Threads: every function may be called from any thread, except where noted.
 * A deliver_fn runs on the publisher's thread while the bus read lock is
 * held: it must only enqueue, must not block and must not call any bus_
 * function other than bus_msg_ref/bus_msg_unref/bus_msg_data.
 * Memory: a publish copies the payload once; all recipients share it.
 */
#ifndef SOL_BUS_BUS_H
#define SOL_BUS_BUS_H

#include <stddef.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/str.h"

struct bus;
struct bus_sub;
struct bus_msg;

/*
 * Called once per publish per subscriber that has at least one of the
 * published topics. `msg` is borrowed for the duration of the call; take a
 * reference with bus_msg_ref to keep it. Runs on the publisher's thread.
 */
typedef void bus_deliver_fn(void *ctx, struct bus_msg *msg);

/*
 * The seam for a cross-process backend (Redis pub/sub). With a backend, a
 * publish goes to ops->publish, and the backend hands every message it
 * receives (its own included) to bus_backend_deliver, which fans out to
 * local subscribers. topic_add/topic_remove tell the backend which topics
 * have local subscribers; they are called with the bus write lock held and
 * must only enqueue work for the backend's own thread. With no backend
 * (NULL ops), bus_publish delivers locally at once.
 */
struct bus_backend_ops {
	enum err (*publish)(void *be, const struct str *topics, size_t n, struct str payload);
	void (*topic_add)(void *be, struct str topic);
	void (*topic_remove)(void *be, struct str topic);
	/* Called by bus_free, after the last subscriber is gone. */
	void (*free)(void *be);
};

/* Lifecycle */

/*
 * A new bus (owned: free with bus_free). `ops` and `be` may be NULL for the
 * in-process bus; otherwise `ops` is borrowed for the life of the bus and
 * `be` is stolen (released through ops->free). Aborts on OOM only.
 */
struct bus *bus_new(const struct bus_backend_ops *ops, void *be);
/* Frees the bus; accepts NULL. Every subscriber must have been freed. */
void bus_free(struct bus *bus);

/* Publishing */

/*
 * Publish `payload` (copied) to every subscriber of `topic`.
 * Returns SE_OK (also when nobody listens), SE_INVAL for an empty topic or
 * one longer than LIM_TOPIC_MAX, SE_TOO_LARGE for a payload over
 * LIM_EVENT_MAX, SE_NOMEM, or the backend's error.
 */
enum err bus_publish(struct bus *bus, struct str topic, struct str payload)
    __attribute__((warn_unused_result));
/*
 * Publish one payload to several topics: a subscriber of more than one of
 * them (or a topic given twice) receives it once. Errors as bus_publish;
 * n = 0 is SE_OK.
 */
enum err bus_publish_multi(struct bus *bus, const struct str *topics, size_t n, struct str payload)
    __attribute__((warn_unused_result));
/*
 * For backends only: deliver a message that arrived from elsewhere to the
 * local subscribers of `topics`. Same errors as bus_publish_multi.
 */
enum err bus_backend_deliver(struct bus *bus, const struct str *topics, size_t n,
                             struct str payload) __attribute__((warn_unused_result));

/* Subscribers */

/*
 * A new subscriber with no topics (owned: free with bus_sub_free). `fn` and
 * `ctx` are borrowed until bus_sub_free returns. Aborts on OOM only.
 */
struct bus_sub *bus_sub_new(struct bus *bus, bus_deliver_fn *fn, void *ctx);
/*
 * Subscribe to `topic` (copied). Adding a topic twice is SE_OK and has no
 * effect. Returns SE_INVAL (empty or over LIM_TOPIC_MAX) or SE_FULL when
 * the subscriber already has LIM_TOPICS_PER_CONN topics.
 */
enum err bus_sub_add_topic(struct bus_sub *sub, struct str topic)
    __attribute__((warn_unused_result));
/* Unsubscribe from `topic`; SE_OK, or SE_NOT_FOUND when not subscribed. */
enum err bus_sub_remove_topic(struct bus_sub *sub, struct str topic);
/* Number of topics `sub` has. */
size_t bus_sub_topic_count(struct bus_sub *sub);
/*
 * Unsubscribe from everything and free; accepts NULL. Once it returns, the
 * deliver_fn is not running for `sub` and is never called for it again, even
 * with publishers running concurrently. Must not be called from a
 * deliver_fn (it waits for running deliveries).
 */
void bus_sub_free(struct bus_sub *sub);

/*
 * The backend given to bus_new (borrowed), or NULL for the in-process bus;
 * *ops_out gets its ops. Lets other modules that share the backend's server
 * (presence over Redis) find it.
 */
void *bus_backend(struct bus *bus, const struct bus_backend_ops **ops_out);

/* Number of topics with at least one subscriber (for tests and metrics). */
size_t bus_topic_count(struct bus *bus);

/* Messages */

/*
 * A message holding a copy of `payload` with one reference (owned: release
 * with bus_msg_unref). Returns SE_TOO_LARGE over LIM_EVENT_MAX or SE_NOMEM.
 * Lets a transport queue its own replies the same way as bus messages.
 */
enum err bus_msg_new(struct str payload, struct bus_msg **out) __attribute__((warn_unused_result));
/* Adds a reference; returns `m`. */
struct bus_msg *bus_msg_ref(struct bus_msg *m);
/* Drops a reference, freeing on the last one; accepts NULL. */
void bus_msg_unref(struct bus_msg *m);
/* The payload, NUL-terminated; borrowed while a reference is held. */
struct str bus_msg_data(const struct bus_msg *m);

#endif /* SOL_BUS_BUS_H */
