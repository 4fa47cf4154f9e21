/*
 * api/messages_int.h: what the channel and message handlers share
 * (api/channels.c, api/messages.c, api/messages_query.c): the caller's
 * view of a channel, loaded through one transaction.
 *
 * Threads: HTTP worker threads; per request. Memory: struct api_chan owns
 * its JSON values (api_chan_release).
 */
#ifndef SOL_API_MESSAGES_INT_H
#define SOL_API_MESSAGES_INT_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "http/http.h"
#include "storage/store.h"

struct api_chan {
	json_t *me;     /* owned: the caller's user record */
	json_t *ch;     /* owned: the channel record */
	uint64_t perms; /* the caller's permissions in it */
};
#define API_CHAN_INIT                                                                              \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

/*
 * Load the caller `uid`, channel `channel_id` and the caller's permissions
 * at `now_ms`. SE_InvalidSession (no user record), SE_UnknownChannel,
 * SE_PARSE, SE_IO. On error `out` holds nothing to release.
 */
enum err api_chan_load(struct store_txn *txn, struct str uid, struct str channel_id, int64_t now_ms,
                       struct api_chan *out) __attribute__((warn_unused_result));
void api_chan_release(struct api_chan *c);

/* Message `id` of channel `channel_id` (new reference): SE_NotFound otherwise. */
enum err api_msg_in_channel(struct store_txn *txn, struct str channel_id, struct str id,
                            json_t **out) __attribute__((warn_unused_result));

/* Handlers of api/channels.c and api/messages_query.c (api/messages.c lists the routes). */
enum err api_channel_fetch(struct req_ctx *ctx);
enum err api_channel_edit(struct req_ctx *ctx);
enum err api_messages_query(struct req_ctx *ctx);

#endif /* SOL_API_MESSAGES_INT_H */
