/*
 * bus/bus_redis.h: the Redis pub/sub backend of the event bus (multi-node).
 *
 * Owns: two Redis connections (one for PUBLISH, under a mutex; one for the
 * subscriber thread), this node's id and the message framing between nodes.
 * Does not own: local fan-out (bus.c; this backend calls
 * bus_backend_deliver), durability: Redis pub/sub drops what is published
 * while a node is disconnected, as Revolt's own bonfire does.
 * Design: one Redis channel (BUS_REDIS_CHANNEL) carries every publish with
 * its topics inside; each node hands what it receives to its local bus,
 * which ignores topics nobody here listens to. A publish is delivered to
 * local subscribers at once on the publisher's thread and sent to Redis
 * tagged with the node id; the subscriber thread drops its own node's
 * messages, so nothing arrives twice. See docs/internals/bus.md.
 * Threads: publish from any thread; bus_redis_start/bus free from one
 * controlling thread.
 */
#ifndef SOL_BUS_BUS_REDIS_H
#define SOL_BUS_BUS_REDIS_H

#include "bus/bus.h"
#include "core/err.h"

struct bus_redis;

/* the one pub/sub channel every node publishes on and subscribes to */
#define BUS_REDIS_CHANNEL "solstice:bus"
/* topics in one message between nodes */
#define BUS_REDIS_TOPICS_MAX 4096
/* milliseconds to connect or to wait for one reply */
#define BUS_REDIS_TIMEOUT_MS 1000

/* The ops to hand to bus_new together with a struct bus_redis. */
extern const struct bus_backend_ops bus_redis_ops;

/*
 * Parse `url` ("redis://[:password@]host[:port][/db]", borrowed) and connect
 * the publishing connection, so a wrong address fails at start-up. On
 * success *out is owned: hand it to bus_new(&bus_redis_ops, *out), which
 * steals it. Returns SE_CONFIG (bad URL) or SE_IO (cannot connect or
 * authenticate; ei->detail says why).
 */
enum err bus_redis_new(const char *url, struct bus_redis **out, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Start the subscriber thread delivering other nodes' messages to `bus`
 * (borrowed; the bus whose backend `r` is). Until then a publish reaches
 * Redis and local subscribers only. Returns SE_OK or SE_IO.
 */
enum err bus_redis_start(struct bus_redis *r, struct bus *bus) __attribute__((warn_unused_result));

/* This node's id (a ULID, borrowed for the life of `r`). */
const char *bus_redis_node(const struct bus_redis *r);

/*
 * A new connection to the same Redis server (same AUTH, BUS_REDIS_TIMEOUT_MS
 * for connect and replies), for other shared state (events/presence).
 * Owned: redisFree. NULL when it cannot connect, with the reason in `why`.
 */
struct redisContext *bus_redis_connect(struct bus_redis *r, char *why, size_t whyn);

/* Number of messages from other nodes delivered so far (tests, metrics). */
unsigned long bus_redis_received(const struct bus_redis *r);

#endif /* SOL_BUS_BUS_REDIS_H */
