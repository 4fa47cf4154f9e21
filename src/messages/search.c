/*
 * messages/search.c: tokeniser, index extractor and leapfrog query of the
 * message full-text index (POST /channels/{id}/search; REVOLT.md section 6).
 * The rules are in messages/search.h.
 */
#include <jansson.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/mem.h"
#include "messages/message.h"
#include "messages/search.h"

#define ZERO_WIDTH_SPACE 0x200B
/* bytes of a folded run: NFKC expands a code point to at most 18, folding x3 */
#define FOLD_BUF 4096
/* bytes of a channel id or message id in a key */
#define ID_MAX 64

static bool is_word(ucs4_t c)
{
	return uc_is_general_category_withtable(c, UC_CATEGORY_MASK_L | UC_CATEGORY_MASK_N);
}

static bool is_mark(ucs4_t c)
{
	return uc_is_general_category_withtable(c, UC_CATEGORY_MASK_M);
}

static bool is_format(ucs4_t c)
{
	return c != ZERO_WIDTH_SPACE && uc_is_general_category_withtable(c, UC_CATEGORY_MASK_Cf);
}

struct tok_state {
	struct msg_search_token *out;
	size_t cap, n;
	ucs4_t run[MSG_SEARCH_RUN_MAX];
	size_t nrun;
	bool in_run;
};

/* Keep only L/N/M of the folded text, cut at MSG_SEARCH_TOKEN_MAX bytes. */
static void filter_into(const uint8_t *s, size_t n, struct msg_search_token *t)
{
	size_t i = 0;

	t->n = 0;
	while (i < n) {
		ucs4_t c;
		int len = u8_mbtouc(&c, s + i, n - i);

		if (len <= 0)
			break;
		if ((is_word(c) || is_mark(c)) && c != '/') {
			if (t->n + (size_t)len > MSG_SEARCH_TOKEN_MAX)
				break;
			memcpy(t->b + t->n, s + i, (size_t)len);
			t->n += (size_t)len;
		}
		i += (size_t)len;
	}
	t->b[t->n] = '\0';
}

static void flush(struct tok_state *st)
{
	uint8_t raw[MSG_SEARCH_RUN_MAX * 4], fold_buf[FOLD_BUF], *fold;
	size_t nraw = 0, nfold = sizeof(fold_buf);
	struct msg_search_token t;

	st->in_run = false;
	if (st->nrun == 0)
		return;
	for (size_t i = 0; i < st->nrun; i++) {
		int len = u8_uctomb(raw + nraw, st->run[i], (ptrdiff_t)(sizeof(raw) - nraw));

		if (len > 0)
			nraw += (size_t)len;
	}
	st->nrun = 0;
	fold = u8_casefold(raw, nraw, NULL, UNINORM_NFKC, fold_buf, &nfold);
	if (!fold)
		return;
	filter_into(fold, nfold, &t);
	/* libunistring allocated with malloc when the buffer was too small */
	if (fold != fold_buf)
		mem_free(fold);
	if (t.n == 0 || st->n >= st->cap)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->out[i].n == t.n && memcmp(st->out[i].b, t.b, t.n) == 0)
			return;
	st->out[st->n++] = t;
}

size_t msg_search_tokenize(struct str text, struct msg_search_token *out, size_t cap)
{
	struct tok_state st = {out, cap, 0, {0}, 0, false};
	const uint8_t *p = (const uint8_t *)text.p;
	size_t i = 0;

	while (i < text.n && st.n < cap) {
		ucs4_t c;
		int len = u8_mbtouc(&c, p + i, text.n - i);

		/* invalid sequences decode as U+FFFD (a symbol): a separator */
		i += len > 0 ? (size_t)len : 1;
		if (uc_is_property_ideographic(c)) {
			flush(&st);
			st.run[st.nrun++] = c;
			flush(&st);
		} else if (is_word(c) || (st.in_run && is_mark(c))) {
			if (st.nrun < MSG_SEARCH_RUN_MAX)
				st.run[st.nrun++] = c;
			st.in_run = true;
		} else if (!(st.in_run && is_format(c))) {
			flush(&st);
		}
	}
	flush(&st);
	return st.n;
}

/* An id usable in a key: non-empty, short, no '/'. */
static bool key_part_ok(struct str s)
{
	return s.n > 0 && s.n <= ID_MAX && memchr(s.p, '/', s.n) == NULL;
}

enum err msg_search_extract(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	struct msg_search_token toks[STORE_KEYS_MAX];
	json_error_t jerr;
	json_t *m, *channel, *content;
	struct str ch;
	size_t n;
	enum err rc = SE_OK;

	(void)arg;
	m = json_loadb(rec.p, rec.n, 0, &jerr);
	if (!m)
		return json_error_code(&jerr) == json_error_out_of_memory ? SE_NOMEM : SE_OK;
	channel = json_object_get(m, "channel");
	content = json_object_get(m, "content");
	if (!json_is_string(channel) || !json_is_string(content))
		goto out;
	ch = (struct str){json_string_value(channel), json_string_length(channel)};
	if (!key_part_ok(ch) || !key_part_ok(id))
		goto out;
	n = msg_search_tokenize(
	    (struct str){json_string_value(content), json_string_length(content)}, toks,
	    STORE_KEYS_MAX - out->n);
	for (size_t i = 0; i < n; i++) {
		struct store_key k;

		k.n = 0;
		memcpy(k.b, ch.p, ch.n);
		k.n = ch.n;
		k.b[k.n++] = '/';
		memcpy(k.b + k.n, toks[i].b, toks[i].n);
		k.n += toks[i].n;
		k.b[k.n++] = '/';
		memcpy(k.b + k.n, id.p, id.n);
		k.n += id.n;
		rc = store_keys_add(out, (struct str){k.b, k.n});
		if (rc)
			goto out;
	}
out:
	json_decref(m);
	return rc;
}

/* ---- query ---- */

struct term {
	char prefix[ID_MAX + MSG_SEARCH_TOKEN_MAX + 4];
	size_t n;
};

struct join {
	struct store_txn *txn;
	const struct msg_search_opts *o;
	enum store_dir dir;
	size_t seeks;
};

/*
 * The first id of `t` from `from` on in the join's direction (inclusive or
 * not; NULL: from the user's bound), within the user's bounds.
 */
static enum err seek(struct join *j, const struct term *t, const char *from, bool incl,
                     char out[27], bool *found)
{
	struct store_range r = {{t->prefix, t->n}, j->o->after, j->o->before, j->dir};
	char bound[28];
	struct store_hit hit;
	size_t n = 0;
	enum err rc;

	j->seeks++;
	if (from) {
		memcpy(bound, from, 26);
		if (j->dir == STORE_DESC) {
			/* "<= from" is "< from\0" bytewise */
			bound[26] = '\0';
			r.before = (struct str){bound, incl ? 27u : 26u};
		} else if (incl) {
			/* ids are 26 bytes: the largest string below `from` is from[..25]-1 "\xff"
			 */
			bound[25]--;
			bound[26] = (char)0xff;
			r.after = (struct str){bound, 27};
		} else {
			r.after = (struct str){bound, 26};
		}
	}
	rc = store_index_scan(j->txn, MSG_COLL, MSG_IDX_SEARCH, &r, &hit, 1, &n);
	if (rc)
		return rc;
	*found = n == 1 && hit.id.n == 26;
	if (*found) {
		memcpy(out, hit.id.p, 26);
		out[26] = '\0';
	}
	return SE_OK;
}

/* Has `a` reached (or passed) `b` in the join direction? */
static int order(const struct join *j, const char *a, const char *b)
{
	int c = memcmp(a, b, 26);

	return j->dir == STORE_DESC ? -c : c;
}

static enum err leapfrog(struct join *j, const struct term *terms, size_t nt,
                         struct msg_search_result *out)
{
	char cand[27], d[27];
	bool found;
	size_t agree, i = 0;
	enum err rc = seek(j, &terms[0], NULL, false, cand, &found);

	while (!rc && found) {
		agree = 1;
		i = (i + 1) % nt;
		while (agree < nt) {
			if (j->seeks >= MSG_SEARCH_SEEKS_MAX) {
				out->partial = true;
				return SE_OK;
			}
			rc = seek(j, &terms[i], cand, true, d, &found);
			if (rc || !found)
				return rc;
			if (memcmp(d, cand, 26) == 0) {
				agree++;
			} else {
				/* d lies beyond cand: every other list must reach d */
				memcpy(cand, d, 27);
				agree = 1;
			}
			i = (i + 1) % nt;
		}
		memcpy(out->ids[out->n++], cand, 27);
		if (out->n >= j->o->limit)
			return SE_OK;
		if (j->seeks >= MSG_SEARCH_SEEKS_MAX) {
			out->partial = true;
			return SE_OK;
		}
		rc = seek(j, &terms[i], cand, false, d, &found);
		if (!rc && found && order(j, d, cand) <= 0)
			found = false;
		memcpy(cand, d, 27);
	}
	return rc;
}

enum err msg_search_query(struct store_txn *txn, struct str channel_id,
                          const struct msg_search_opts *o, struct msg_search_result *out)
{
	struct msg_search_token toks[MSG_SEARCH_TERMS_MAX];
	struct term terms[MSG_SEARCH_TERMS_MAX];
	struct join j = {txn, o, o->sort == MSG_SEARCH_OLDEST ? STORE_ASC : STORE_DESC, 0};
	size_t nt;

	out->n = 0;
	out->partial = false;
	if (!key_part_ok(channel_id) || o->limit == 0 || o->limit > MSG_SEARCH_LIMIT_MAX)
		return SE_INVAL;
	nt = msg_search_tokenize(o->query, toks, MSG_SEARCH_TERMS_MAX);
	if (nt == 0)
		return SE_OK;
	for (size_t i = 0; i < nt; i++) {
		memcpy(terms[i].prefix, channel_id.p, channel_id.n);
		terms[i].n = channel_id.n;
		terms[i].prefix[terms[i].n++] = '/';
		memcpy(terms[i].prefix + terms[i].n, toks[i].b, toks[i].n);
		terms[i].n += toks[i].n;
		terms[i].prefix[terms[i].n++] = '/';
	}
	return leapfrog(&j, terms, nt, out);
}
