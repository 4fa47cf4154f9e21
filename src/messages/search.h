/*
 * messages/search.h: the full-text index of message content and its query.
 *
 * Owns: the tokeniser (one rule for indexing and querying), the "search"
 * index extractor of the messages collection, and answering a query by
 * intersecting posting lists. Does not own: the collection (messages/
 * message.h), permissions or the route (api/search.c).
 *
 * Tokens: runs of letters and digits (Unicode general categories L and N),
 * with combining marks (M) kept inside a run; format characters (Cf: ZWJ,
 * ZWNJ, soft hyphen, bidi controls) are ignored inside a run, except U+200B
 * ZERO WIDTH SPACE, which separates. Each ideograph is a token of its own
 * (CJK has no spaces). Everything else (punctuation, symbols, emoji,
 * invalid UTF-8) separates. A run is cut to its first MSG_SEARCH_RUN_MAX
 * code points, case-folded and NFKC-normalised (u8_casefold), stripped of
 * anything not L/N/M that NFKC produced, and cut to MSG_SEARCH_TOKEN_MAX
 * bytes at a character boundary. Query and index use the same rule, so a
 * long word still matches itself.
 * Index keys: "<channel_id>/<token>/<message_id>"; a token never holds '/',
 * so each "<channel>/<token>/" prefix is prefix-free. A message indexes its
 * first STORE_KEYS_MAX (32) distinct tokens in content order; later new
 * words of a long message are not searchable (messages are at most 2000
 * characters, and the first 32 distinct words cover most of them).
 * Threads: reentrant; no state.
 */
#ifndef SOL_MESSAGES_SEARCH_H
#define SOL_MESSAGES_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "storage/store.h"

/* code points of a run read before folding; the rest of the run is skipped */
#define MSG_SEARCH_RUN_MAX 32
/* bytes of one folded token */
#define MSG_SEARCH_TOKEN_MAX 64
/* distinct terms of one query that are used (the rest are ignored) */
#define MSG_SEARCH_TERMS_MAX 8
/* results of one query */
#define MSG_SEARCH_LIMIT_MAX 100
/* index seeks one query may spend before it answers with what it found */
#define MSG_SEARCH_SEEKS_MAX 20000

struct msg_search_token {
	size_t n;
	char b[MSG_SEARCH_TOKEN_MAX + 1]; /* NUL-terminated */
};

/*
 * Split `text` (any bytes; invalid UTF-8 separates) into at most `cap`
 * distinct tokens, in order of first appearance. Returns the count. Pure;
 * never allocates on the heap; never fails.
 */
size_t msg_search_tokenize(struct str text, struct msg_search_token *out, size_t cap);

/*
 * store_extract_fn of the messages collection's "search" index: keys
 * "<channel>/<token>/<id>" for the tokens of the record's "content" (a
 * record without content or channel yields no keys). `arg` is unused.
 * Returns SE_OK, or SE_NOMEM when the record cannot be parsed for lack of
 * memory. Messages engineer: list it in the collection definition as
 * {MSG_IDX_SEARCH, false, msg_search_extract, NULL}.
 */
enum err msg_search_extract(struct str id, struct str rec, struct store_keys *out, void *arg)
    __attribute__((warn_unused_result));

enum msg_search_sort {
	MSG_SEARCH_LATEST,    /* newest first (the default) */
	MSG_SEARCH_OLDEST,    /* oldest first */
	MSG_SEARCH_RELEVANCE, /* every hit holds every term: ranked as LATEST */
};

struct msg_search_opts {
	struct str query;  /* 1-64 bytes */
	struct str before; /* exclusive message id bound, STR_NULL: none */
	struct str after;  /* exclusive message id bound, STR_NULL: none */
	enum msg_search_sort sort;
	size_t limit; /* 1..MSG_SEARCH_LIMIT_MAX */
};

struct msg_search_result {
	size_t n;
	bool partial; /* the seek budget ran out: later hits may exist */
	char ids[MSG_SEARCH_LIMIT_MAX][27];
};

/*
 * Ids of the messages of `channel_id` whose indexed tokens include every
 * term of o->query (AND), in the order of o->sort, at most o->limit.
 * Algorithm: a leapfrog join of the terms' posting lists, which are sorted
 * by message id (time): take a candidate from one list, seek every other
 * list to the first id at or beyond it; on a mismatch the larger jump
 * becomes the new candidate, on agreement it is a hit. Each step is one
 * B-tree seek (O(log N)); the number of steps is bounded by the number of
 * hits plus the number of times the lists disagree, and capped at
 * MSG_SEARCH_SEEKS_MAX (then `partial` is set). A single term is a plain
 * range scan. No message record is read.
 * Returns SE_OK (also for a query without tokens: zero hits), SE_INVAL,
 * SE_IO.
 */
enum err msg_search_query(struct store_txn *txn, struct str channel_id,
                          const struct msg_search_opts *o, struct msg_search_result *out)
    __attribute__((warn_unused_result));

#endif /* SOL_MESSAGES_SEARCH_H */
