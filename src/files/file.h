/*
 * files/file.h: Autumn's File records (REVOLT.md sections 6 and 10;
 * revoltchat/backend crates/core/database/src/models/files).
 *
 * Owns: the "files" collection, stored in Revolt's shape {_id, tag,
 * filename, metadata, content_type, size, hash, uploaded_at, uploader_id,
 * used_for?, deleted?, reported?} plus the internal preview? {key: hash}, its indexes, the client
 * view (without the internal blob hash), the per-tag rules (size limit, preview box) and attaching
 * a file to the object that uses it (file_claim). files  id -> File   indexes: hash (blob hashes of
 * live files: the original and its cached previews), unattached ("<uploaded_at>/<id>", ISO 8601),
 *                       deleted (blob hash, files flagged deleted)
 * Does not own: the bytes (files/blob.h), sniffing (files/sniff.h), HTTP.
 * Threads: pure functions, or inside the caller's write (store_wtxn). The
 * blob lock serialises "is this hash still used" against new uploads.
 */
#ifndef SOL_FILES_FILE_H
#define SOL_FILES_FILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

#define FILE_COLL "files"
#define FILE_IDX_HASH "hash"
#define FILE_IDX_UNATTACHED "unattached"
#define FILE_IDX_DELETED "deleted"
/* bytes of a file id: nanoid 42, or a ULID (26) for emojis */
#define FILE_ID_LEN 42
/* bytes of a stored MIME type */
#define FILE_MIME_MAX 128
/* minimum upload size (Revolt.toml files.limit.min_file_size) */
#define FILE_MIN_SIZE 1

extern const struct store_index_def file_indexes[3];
/* The collection, as an initialiser for a schema table. */
#define FILE_COLL_DEF                                                                              \
	{                                                                                          \
		FILE_COLL, file_indexes, 3                                                         \
	}

/* Autumn's tags, in REVOLT.md section 10 order. */
enum file_tag {
	FILE_TAG_ATTACHMENTS,
	FILE_TAG_AVATARS,
	FILE_TAG_BACKGROUNDS,
	FILE_TAG_ICONS,
	FILE_TAG_BANNERS,
	FILE_TAG_EMOJIS,
	FILE_TAG__COUNT
};

/* Metadata.type values. */
enum file_meta {
	FILE_META_FILE,
	FILE_META_TEXT,
	FILE_META_IMAGE,
	FILE_META_VIDEO,
	FILE_META_AUDIO,
};

/* The tag named `s`; false for anything else. */
bool file_tag_parse(struct str s, enum file_tag *out);
/* "attachments", ... (static). */
const char *file_tag_name(enum file_tag t);
/* Upload limit in bytes (REVOLT.md section 10 table). */
uint64_t file_tag_max_size(enum file_tag t);
/* Preview box in pixels. */
void file_tag_box(enum file_tag t, unsigned *w, unsigned *h);

/* A new file id: a ULID for emojis, else nanoid(42) ([A-Za-z0-9_-]). */
void file_id_new(enum file_tag t, char out[FILE_ID_LEN + 1]);

/* What an upload produced; every string is borrowed for the call. */
struct file_new {
	const char *id, *tag, *filename, *content_type, *hash, *uploader_id;
	enum file_meta meta;
	unsigned width, height; /* Image and Video */
	uint64_t size;
	int64_t now_ms;
};

/* The record for `f` (new reference; NULL on OOM). */
json_t *file_record_new(const struct file_new *f);

/* Store a new record (inside the caller's write). SE_EXISTS, store errors. */
enum err file_insert(struct store_wtxn *w, const json_t *rec) __attribute__((warn_unused_result));

/* Record `id` (new reference). SE_NOT_FOUND, SE_PARSE, store errors. */
enum err file_load(struct store_txn *txn, struct str id, json_t **out)
    __attribute__((warn_unused_result));

/* The client view of a record: a deep copy without "hash" (NULL on OOM). */
json_t *file_view(const json_t *rec);

/*
 * The cached preview of `rec` under `key` (borrowed from `rec`), or NULL.
 * Records keep previews as "preview": {key: blob hash}; file_view strips it.
 */
const char *file_preview_get(const json_t *rec, const char *key);

/*
 * Remember blob `hash` as the preview `key` of file `id`, inside the
 * caller's write. `*recorded` is false (and nothing is written) when the
 * file is gone or flagged deleted: the caller then owns the blob's fate.
 * Call under the blob lock, from blob_writer_commit to the end of the
 * write, so the clean-up sees either the reference or no blob.
 * SE_NOMEM, store errors.
 */
enum err file_preview_set(struct store_wtxn *w, struct str id, const char *key, const char *hash,
                          bool *recorded) __attribute__((warn_unused_result));

/*
 * Whether a live file uses blob `hash` as its original or as a preview
 * (the hash index). Store errors.
 */
enum err file_hash_used(struct store *st, const char *hash, bool *used)
    __attribute__((warn_unused_result));

/* Served at all: attached (used_for present) and not deleted. */
bool file_is_served(const json_t *rec);

/*
 * Attach file `id` to an object, inside the caller's write `w`. The file
 * must exist, carry `tag`, not be deleted, and not be attached yet, or be
 * attached to the same {used_for_type, used_for_id} already (a retried
 * request). Sets used_for {type, id}. `*file_out` (may be NULL) gets the
 * client view as Revolt returns it from find_and_use_attachment (before
 * the update: no used_for), a new reference, written on success only.
 * `used_for_type` is Revolt's FileUsedForType: "Message", "ServerBanner",
 * "Emoji", "UserAvatar", "WebhookAvatar", "UserProfileBackground",
 * "LegacyGroupIcon", "ChannelIcon", "ServerIcon".
 * Errors: SE_UnknownAttachment (raised in store_wtxn_ei(w)), SE_NOMEM,
 * store errors.
 * Hooks still to wire by their owners, each inside its own store_write:
 *   messages: file_claim(w, id, "attachments", "Message", message_id, &f)
 *             per attachment id, appending f to the message's "attachments";
 *   emojis:   file_claim(w, file_id, "emojis", "Emoji", file_id, &f)
 *             in the emoji create write (the emoji id is the file id).
 */
enum err file_claim(struct store_wtxn *w, struct str id, const char *tag, const char *used_for_type,
                    struct str used_for_id, json_t **file_out) __attribute__((warn_unused_result));

/*
 * Flag a file deleted (idempotent) inside the caller's write. The clean-up
 * removes its blob once no live file shares the hash. SE_NOT_FOUND.
 */
enum err file_mark_deleted(struct store_wtxn *w, struct str id) __attribute__((warn_unused_result));

/*
 * The blob lock: held from blob_writer_commit until the upload's record is
 * stored, and by the clean-up from "no live file has this hash" until
 * blob_delete returns, so a new upload never loses its blob.
 */
void file_blob_lock(void);
void file_blob_unlock(void);

#endif /* SOL_FILES_FILE_H */
