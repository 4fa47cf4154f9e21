/*
 * messages/acks.c: mention recording and server-wide acks over the
 * channel_unreads records (channels/sync.h; Revolt's tasks/ack.rs).
 */
#include <string.h>

#include "channels/sync.h"
#include "messages/acks.h"

enum err msg_mentions_record(struct store_wtxn *w, struct str channel_id, struct str message_id,
                             const json_t *mentions)
{
	size_t n = json_array_size(mentions);
	enum err rc;

	if (n > MSG_ACK_MENTIONS_MAX)
		n = MSG_ACK_MENTIONS_MAX;
	for (size_t i = 0; i < n; i++) {
		const json_t *u = json_array_get(mentions, i);
		bool dup = false;

		if (!json_is_string(u))
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = json_equal(u, json_array_get(mentions, k));
		if (dup)
			continue;
		rc = sync_unread_mention(w, channel_id,
		                         (struct str){json_string_value(u), json_string_length(u)},
		                         message_id);
		if (rc)
			return rc;
	}
	return SE_OK;
}

enum err msg_ack_channels(struct store_wtxn *w, struct str user, const json_t *channels,
                          struct str message_id)
{
	size_t n = json_array_size(channels);
	enum err rc;

	if (n > MSG_ACK_CHANNELS_MAX)
		n = MSG_ACK_CHANNELS_MAX;
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(channels, i);

		if (!json_is_string(c))
			continue;
		rc = sync_unread_ack(w, (struct str){json_string_value(c), json_string_length(c)},
		                     user, message_id, NULL);
		if (rc)
			return rc;
	}
	return SE_OK;
}
