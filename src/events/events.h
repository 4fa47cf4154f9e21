/*
 * events/events.h: Revolt's WebSocket event protocol ("bonfire", REVOLT.md
 * section 9) on top of the gateway transport (gateway/gateway.h).
 *
 * Owns: authenticating sockets (token query or Authenticate message, session
 * tokens then bot tokens), the Authenticated -> Ready -> events order, each
 * socket's topic set and how events change it (visibility), Ping/Pong,
 * typing relays, per-socket flood limits, presence (online users) and
 * Logout on session deletion. Design notes: docs/internals/events.md.
 * Does not own: sockets and queues (gateway), topics and fan-out (bus),
 * the events REST handlers publish (src/api/).
 * Threads: the gw_handler callbacks run on the gateway's service thread;
 * ev_user_online may be called from any thread.
 */
#ifndef SOL_EVENTS_EVENTS_H
#define SOL_EVENTS_EVENTS_H

#include <stdbool.h>

#include "core/str.h"
#include "gateway/gateway.h"

struct app;
struct ev;

/*
 * The protocol state for `app` (borrowed for the life of the result; the
 * store, bus and cfg must be set). Owned: ev_free after the gateway stopped.
 * Aborts on OOM only.
 */
struct ev *ev_new(struct app *app);
/* Frees; accepts NULL. No socket may be open (gw_stop first). */
void ev_free(struct ev *ev);
/* The gateway handler table (borrowed for the life of `ev`). */
const struct gw_handler *ev_handler(struct ev *ev);
/* The per-socket filter for gw_opts.filter (called with the handler's ctx). */
gw_filter_fn *ev_filter_fn(void);

/*
 * True when `user_id` has at least one authenticated socket that received
 * Ready and the user is not Invisible. Any thread; false without app->ev.
 */
bool ev_user_online(struct app *app, struct str user_id);

#endif /* SOL_EVENTS_EVENTS_H */
