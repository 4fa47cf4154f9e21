/*
 * files/blob.h: the encrypted, content-addressed blob store behind Autumn.
 *
 * Owns: naming blobs by the SHA-256 of their plaintext (lowercase hex), one
 * copy per hash (de-duplication), encryption at rest (libsodium secretstream
 * XChaCha20-Poly1305 in 64 KiB chunks, through core/crypto), the at-rest key
 * (files.encryption_key or <data>/keys/blob.key, 0600), and two backends:
 * a directory on local disk and an S3-compatible bucket (AWS SigV4).
 * Does not own: file metadata, tags, MIME types, reference counting (the
 * caller decides when blob_delete is safe), HTTP Range parsing.
 * Threads: a store may be shared by every thread once made; a writer or a
 * reader belongs to one thread at a time. Blocking I/O (disk, and network
 * for S3): never call from the lws service thread, except blob_reader_read
 * and blob_reader_close on an open reader (one chunk of local file I/O: S3
 * objects are fetched at open), which a streamed HTTP body does.
 * Memory: store, writer and reader are owned by the caller and freed with
 * their _free/_abort/_close (NULL accepted). Uploads stream: a writer holds
 * one chunk (64 KiB) in memory, never the whole file. docs/internals/blob.md.
 */
#ifndef SOL_FILES_BLOB_H
#define SOL_FILES_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h" /* enum err, struct err_info */

/* plaintext bytes per encrypted chunk */
#define BLOB_CHUNK (64u * 1024)
/* bytes of a hash name: 64 lowercase hex digits and a NUL */
#define BLOB_HASH_HEX 65
/* default per-writer limit when blob_opts.max_size is 0 (Autumn's body limit) */
#define BLOB_MAX_DEFAULT 20000000u
/* default seconds for one S3 request (connect + transfer) */
#define BLOB_S3_TIMEOUT_DEFAULT 60

enum blob_backend {
	BLOB_LOCAL = 0,
	BLOB_S3,
};

/* Every string is borrowed for the duration of blob_store_new (it copies). */
struct blob_opts {
	enum blob_backend backend;
	const char *data_dir; /* required: keys/, tmp/ and the default root live here */
	const char *root;     /* local: blob directory; NULL or "" = <data_dir>/blobs */
	const char *key_b64;  /* base64 of 32 bytes; NULL or "" = <data_dir>/keys/blob.key */
	uint64_t max_size;    /* default writer limit in plaintext bytes; 0 = BLOB_MAX_DEFAULT */
	/* s3 only */
	const char *endpoint; /* "https://s3.example.com" or "http://127.0.0.1:9000", no path */
	const char *region;   /* "us-east-1" when NULL or "" */
	const char *bucket;
	const char *access_key;
	const char *secret_key;
	bool path_style;     /* endpoint/bucket/key, else bucket.endpoint-host/key */
	unsigned timeout_s;  /* per request; 0 = BLOB_S3_TIMEOUT_DEFAULT */
	const char *resolve; /* optional curl "host:port:address" pin (tests, split DNS) */
};

struct blob_store;
struct blob_writer;
struct blob_reader;

/*
 * Open a store. Creates the local root (0700), <data_dir>/tmp and, without
 * key_b64, <data_dir>/keys/blob.key (32 random bytes, 0600) on first start,
 * reusing it later. `*out` is owned: free with blob_store_free.
 * Errors: SE_CONFIG (bad options or key; ei->detail says which), SE_IO
 * (ei->detail names the path), SE_NOMEM.
 */
enum err blob_store_new(const struct blob_opts *o, struct blob_store **out, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Frees the store and wipes its key. Writers and readers must be gone. Accepts NULL. */
void blob_store_free(struct blob_store *s);

/*
 * Start an upload. Data goes encrypted into a temporary file under
 * <data_dir>/tmp as it arrives. `max_size` limits the plaintext (0 = the
 * store's). `*out` is owned: finish with blob_writer_commit or
 * blob_writer_abort. Errors: SE_IO, SE_NOMEM.
 */
enum err blob_writer_begin(struct blob_store *s, uint64_t max_size, struct blob_writer **out,
                           struct err_info *ei) __attribute__((warn_unused_result));
/*
 * Append `n` bytes (borrowed). SE_TOO_LARGE once the limit is passed: the
 * temporary file is removed at once and every later call fails the same
 * way (errors are sticky); SE_IO for disk errors. Call abort afterwards.
 */
enum err blob_writer_write(struct blob_writer *w, const void *p, size_t n, struct err_info *ei)
    __attribute__((warn_unused_result));
/*
 * Finish: seal the stream, then store it under the SHA-256 of its plaintext
 * (written to `hash_hex`) unless a blob of that hash already exists, in
 * which case the new copy is discarded. Local: fsync, then an atomic rename
 * in the same file system. S3: HEAD, then one PUT streamed from the file.
 * Frees `w` whatever the outcome (do not abort it afterwards); nothing
 * temporary is left behind. `*plain_size` (may be NULL) gets the size.
 * Errors: the writer's sticky error, SE_IO, SE_TIMEOUT (S3).
 */
enum err blob_writer_commit(struct blob_writer *w, char hash_hex[BLOB_HASH_HEX],
                            uint64_t *plain_size, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Drop an unfinished upload and its temporary file. Accepts NULL. */
void blob_writer_abort(struct blob_writer *w);

/*
 * Open blob `hash` (64 lowercase hex digits) for reading. Local: opens the
 * file. S3: GETs the object into an unlinked temporary file first.
 * `*out` is owned: blob_reader_close. `*plain_size` (may be NULL) gets the
 * size from the blob's header. Errors: SE_NOT_FOUND, SE_PARSE (bad hash or
 * a blob that is not ours), SE_IO, SE_TIMEOUT.
 */
enum err blob_reader_open(struct blob_store *s, const char *hash, struct blob_reader **out,
                          uint64_t *plain_size, struct err_info *ei)
    __attribute__((warn_unused_result));
/*
 * Read up to `cap` plaintext bytes into `buf`; `*n` = 0 means the end.
 * Every byte returned has been authenticated: a chunk that fails (tampered,
 * reordered, truncated, extended, wrong key) gives SE_PARSE and no data,
 * and the error is sticky. SE_IO for read errors.
 */
enum err blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n,
                          struct err_info *ei) __attribute__((warn_unused_result));
/*
 * Skip `n` plaintext bytes (for HTTP Range): chunks before the offset are
 * decrypted and discarded, since secretstream cannot seek; with 64 KiB
 * chunks this costs one ChaCha20 pass over the skipped bytes. Skipping past
 * the end stops at the end. Errors as blob_reader_read.
 */
enum err blob_reader_skip(struct blob_reader *r, uint64_t n, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Close and free. Accepts NULL. */
void blob_reader_close(struct blob_reader *r);

/*
 * Plaintext size of blob `hash` from its header, without decrypting (the
 * header is authenticated when the blob is read). Errors as blob_reader_open.
 */
enum err blob_size(struct blob_store *s, const char *hash, uint64_t *plain_size,
                   struct err_info *ei) __attribute__((warn_unused_result));
/* Whether blob `hash` is stored. Errors: SE_PARSE (bad hash), SE_IO, SE_TIMEOUT. */
enum err blob_exists(struct blob_store *s, const char *hash, bool *exists, struct err_info *ei)
    __attribute__((warn_unused_result));
/* Remove blob `hash`; SE_NOT_FOUND when absent (S3: SE_OK, it cannot tell). */
enum err blob_delete(struct blob_store *s, const char *hash, struct err_info *ei)
    __attribute__((warn_unused_result));

/* True for 64 lowercase hex digits. */
bool blob_is_hash(const char *hash);

#endif /* SOL_FILES_BLOB_H */
