/*
 * files/blob_int.h: what blob.c shares with its backends (STYLE rule 1);
 * nothing outside src/files/ includes it.
 *
 * blob.c owns the key, the on-disk format (header, secretstream chunks), the
 * writer and the reader; a backend only moves finished encrypted files:
 * blob_local.c to a directory, blob_s3.c to a bucket.
 * Threads and memory: as files/blob.h; backend state is immutable after
 * creation, so every op may run on any thread at once.
 */
#ifndef SOL_FILES_BLOB_INT_H
#define SOL_FILES_BLOB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h" /* CRY_SSTREAM_* */
#include "core/err.h"
#include "files/blob.h"

/* "SOLB", version, 3 zero bytes, plaintext size (u64 big-endian) */
#define BLOB_HDR 16
#define BLOB_VERSION 1
/* everything before the first chunk */
#define BLOB_PREFIX (BLOB_HDR + CRY_SSTREAM_HEADERBYTES)

struct blob_store;

/* A backend. `hash` arguments are always valid (blob_is_hash). */
struct blob_ops {
	/*
	 * Store the finished encrypted file (`fd`, `len` bytes, at `tmp_path`)
	 * as `hash` unless it already exists. Consumes the temporary file: on
	 * return, success or not, nothing is left at `tmp_path`. `fd` stays
	 * open (the caller closes it).
	 */
	enum err (*put)(struct blob_store *s, int fd, const char *tmp_path, uint64_t len,
	                const char *hash, struct err_info *ei);
	/* An fd (owned by the caller) positioned at the start of the encrypted blob. */
	enum err (*open)(struct blob_store *s, const char *hash, int *fd, struct err_info *ei);
	/* The first BLOB_HDR bytes of the blob. */
	enum err (*head)(struct blob_store *s, const char *hash, unsigned char hdr[BLOB_HDR],
	                 struct err_info *ei);
	enum err (*exists)(struct blob_store *s, const char *hash, bool *yes, struct err_info *ei);
	enum err (*del)(struct blob_store *s, const char *hash, struct err_info *ei);
	void (*free)(void *be);
};

struct blob_store {
	const struct blob_ops *ops;
	void *be;      /* backend state, owned */
	char *tmp_dir; /* owned; where writers (and S3 reads) put temporary files */
	uint64_t max_size;
	unsigned char key[CRY_SSTREAM_KEYBYTES];
};

/* Backends: fill s->ops, s->be and s->tmp_dir. Errors as blob_store_new. */
enum err blob_local_new(struct blob_store *s, const struct blob_opts *o, struct err_info *ei)
    __attribute__((warn_unused_result));
enum err blob_s3_new(struct blob_store *s, const struct blob_opts *o, struct err_info *ei)
    __attribute__((warn_unused_result));

/* mkdir -p with mode 0700 for every directory it creates. SE_IO. */
enum err blob_mkdirs(const char *path, struct err_info *ei) __attribute__((warn_unused_result));
/* Owned "a/b" (abort on OOM: paths are short and ours). */
char *blob_join(const char *a, const char *b);
/* Encrypted size of a blob of `plain` bytes. */
uint64_t blob_cipher_size(uint64_t plain);
/* An unlinked temporary file in s->tmp_dir, open read-write. SE_IO. */
enum err blob_anon_tmp(struct blob_store *s, int *fd, struct err_info *ei)
    __attribute__((warn_unused_result));

#endif /* SOL_FILES_BLOB_INT_H */
