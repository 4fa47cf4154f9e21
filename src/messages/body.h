/*
 * messages/body.h: pieces of a message body shared by sending (msg_post)
 * and editing (api/messages.c): Revolt's SendableEmbed validation, turning
 * one into a stored Text embed, and the shared content length cap.
 *
 * Threads: reentrant. Memory: JSON results are new references.
 */
#ifndef SOL_MESSAGES_BODY_H
#define SOL_MESSAGES_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* Code points of UTF-8 `s` (continuation bytes are not counted). */
size_t msg_chars(struct str s);

/*
 * A SendableEmbed {icon_url? 1-256, url? 1-256, title? 1-100,
 * description? 1-2000, media? (file id), colour? (RE_COLOUR, 1-128)}.
 * SE_OK or FailedValidation (ei->detail names the field).
 */
enum err msg_embed_validate(const json_t *embed, struct err_info *ei)
    __attribute__((warn_unused_result));

/*
 * Inside the write storing message `msg_id` by `author`: the Text embed
 * {type:"Text", ...} of a validated SendableEmbed (media claimed through
 * msg_attachment_claim). SE_UnknownAttachment, SE_NOMEM.
 */
enum err msg_text_embed(struct store_wtxn *w, const json_t *embed, struct str msg_id,
                        struct str author, json_t **out) __attribute__((warn_unused_result));

/*
 * Content bytes plus embed description bytes must stay within
 * MSG_CONTENT_MAX (Revolt's validate_sum): PayloadTooLarge otherwise.
 * `content` may be NULL, `embeds` NULL or an array.
 */
enum err msg_validate_sum(const json_t *content, const json_t *embeds, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_BODY_H */
