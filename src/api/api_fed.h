/*
 * api/api_fed.h: Revolt actions taken on behalf of a user outside an HTTP
 * request (federation/process.c applies inbound activities with them), so
 * that a remote user's message, edit, delete or reaction goes through the
 * same checks, writes and events as a local client's.
 *
 * Owns: nothing new; each function is the body of its route
 * (api/messages.c, api/reactions.c, api/users_dm.c) with the caller given
 * as a user id. Does not own: federation (the routes call federation's
 * fout_* after their writes).
 * Threads: any thread without an open store transaction.
 */
#ifndef SOL_API_API_FED_H
#define SOL_API_API_FED_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct app;

/*
 * POST /channels/{channel}/messages as `user` with DataMessageSend `data`
 * (borrowed) and Idempotency-Key `idempotency` (may be STR_NULL): the
 * user's permissions in the channel, msg_post, the Message event. `*out`
 * (may be NULL) gets the message (new reference). Errors as msg_post
 * (MissingPermission, DuplicateNonce, ...).
 */
enum err api_fed_message_send(struct app *app, struct str user, struct str channel,
                              const json_t *data, struct str idempotency, json_t **out,
                              struct err_info *ei) __attribute__((warn_unused_result));

/*
 * PATCH /channels/{channel}/messages/{id} as `user` with body {content}
 * (borrowed): author check, MessageUpdate. CannotEditMessage, NotFound,
 * FailedValidation.
 */
enum err api_fed_message_edit(struct app *app, struct str user, struct str channel, struct str id,
                              const json_t *body, struct err_info *ei)
    __attribute__((warn_unused_result));

/* DELETE /channels/{channel}/messages/{id} as `user`: MessageDelete. */
enum err api_fed_message_delete(struct app *app, struct str user, struct str channel, struct str id,
                                struct err_info *ei) __attribute__((warn_unused_result));

/*
 * PUT (add) / DELETE (!add) .../messages/{message}/reactions/{emoji} as
 * `user`: React permission, MessageReact / MessageUnreact. emoji is a
 * unicode emoji or a custom emoji id. InvalidOperation, NotFound.
 */
enum err api_fed_react(struct app *app, struct str user, struct str channel, struct str message,
                       struct str emoji, bool add, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * GET /users/{a}/dm as user b: the DirectMessage channel of a and b,
 * created (and announced with ChannelCreate) if missing, when b may send
 * messages to a (MissingPermission otherwise, as the route answers).
 * `*ch` gets it (new reference). UnknownUser, InvalidOperation (a == b).
 */
enum err api_fed_dm_open(struct app *app, struct str a, struct str b, json_t **ch,
                         struct err_info *ei) __attribute__((warn_unused_result));

#endif /* SOL_API_API_FED_H */
