/*
 * channels/webhook.h: channel webhooks (REVOLT.md section 6 "Webhook";
 * revoltchat/backend crates/core/database/src/models/channel_webhooks).
 *
 * Owns: the "webhooks" collection, stored in Revolt's Webhook shape
 * {id, name, avatar?, creator_id, channel_id, permissions, token} (note:
 * "id", not "_id"), its channel index, and the views clients receive.
 * Does not own: routes and permissions (api/webhooks.c), messages.
 *   index channel  "<channel_id>/<webhook_id>"
 * Threads: pure functions; store functions run in the caller's transaction.
 */
#ifndef SOL_CHANNELS_WEBHOOK_H
#define SOL_CHANNELS_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define WEBHOOK_COLL "webhooks"
#define WEBHOOK_IDX_CHANNEL "channel"
/* characters of a webhook name (CreateWebhookBody: 1..32) */
#define WEBHOOK_NAME_MAX 32
/* bytes of an avatar file id in a body (1..128) */
#define WEBHOOK_AVATAR_MAX 128
/* webhooks one channel listing returns at most */
#define WEBHOOK_LIST_MAX 1000
/* the token's length (nanoid 64) */
#define WEBHOOK_TOKEN_LEN 64

extern const struct store_index_def webhook_idx[1];
/* The collection, as an initialiser for a schema table. */
#define WEBHOOK_COLL_DEF                                                                           \
	{                                                                                          \
		WEBHOOK_COLL, webhook_idx, 1                                                       \
	}

/*
 * A new webhook record with a fresh token and the default permissions
 * (PERM_DEFAULT_WEBHOOK). `name` is copied. NULL on OOM.
 */
json_t *webhook_record_new(struct str id, struct str name, struct str creator, struct str channel);

/* Load webhook `id` (new reference). SE_NOT_FOUND, SE_PARSE, SE_IO. */
enum err webhook_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));
/* Store `rec` under its "id" (create fails with SE_EXISTS if present). */
enum err webhook_save(struct store_wtxn *w, const json_t *rec, bool create)
    __attribute__((warn_unused_result));

/* True when `token` is the webhook's token (constant time). */
bool webhook_token_ok(const json_t *rec, struct str token);

/* The record as sent in events: "token" null. New reference, NULL on OOM. */
json_t *webhook_view_event(const json_t *rec);
/* ResponseWebhook {id, name, avatar: file id | null, channel_id, permissions}. */
json_t *webhook_view_response(const json_t *rec);

/* Called for each webhook id of a channel (borrowed for the call). */
typedef enum err webhook_each_fn(struct str id, void *arg);
/* Walk the webhooks of `channel` in id order, at most WEBHOOK_LIST_MAX. */
enum err webhook_walk(struct store_txn *txn, struct str channel, webhook_each_fn *fn, void *arg)
    __attribute__((warn_unused_result));

#endif /* SOL_CHANNELS_WEBHOOK_H */
