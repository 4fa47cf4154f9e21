/*
 * messages/mentions.c: the mention parser (revoltchat/backend
 * crates/core/parser/src/lib.rs, a logos lexer): the same tokens, escape
 * and code-marker rules, over bytes.
 */
#include "messages/mentions.h"

#include <string.h>

enum tok_kind {
	TOK_END,
	TOK_ESCAPE,
	TOK_CODE, /* n = 1, 2 or 3 backticks */
	TOK_USER,
	TOK_ROLE,
	TOK_EVERYONE,
	TOK_ONLINE,
};

struct tok {
	enum tok_kind kind;
	int code;
	const char *id; /* TOK_USER / TOK_ROLE: 26 bytes */
};

struct lexer {
	struct str in;
	size_t pos;
};

/* Crockford base32 in upper case, as the parser's id subpattern. */
static bool is_id_char(char c)
{
	return (c >= '0' && c <= '9') ||
	       (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
}

static bool has_at(const struct lexer *lx, size_t at, const char *lit)
{
	size_t n = strlen(lit);

	return lx->in.n - at >= n && memcmp(lx->in.p + at, lit, n) == 0;
}

/* "<@" / "<%" + 26 id characters + ">" at the current position. */
static bool mention_at(const struct lexer *lx, char sigil)
{
	size_t p = lx->pos;

	if (lx->in.n - p < 29 || lx->in.p[p] != '<' || lx->in.p[p + 1] != sigil ||
	    lx->in.p[p + 28] != '>')
		return false;
	for (size_t i = 0; i < 26; i++)
		if (!is_id_char(lx->in.p[p + 2 + i]))
			return false;
	return true;
}

/* The next token; bytes that start none are skipped (logos error tokens). */
static struct tok next(struct lexer *lx)
{
	struct tok t = {TOK_END, 0, NULL};

	while (lx->pos < lx->in.n) {
		char c = lx->in.p[lx->pos];

		if (c == '\\') {
			lx->pos++;
			t.kind = TOK_ESCAPE;
			return t;
		}
		if (c == '`') {
			if (has_at(lx, lx->pos, "```")) {
				lx->pos += 3;
				while (lx->pos < lx->in.n && lx->in.p[lx->pos] != '`' &&
				       lx->in.p[lx->pos] != '\n')
					lx->pos++;
				t.code = 3;
			} else {
				t.code = has_at(lx, lx->pos, "``") ? 2 : 1;
				lx->pos += (size_t)t.code;
			}
			t.kind = TOK_CODE;
			return t;
		}
		if (mention_at(lx, '@') || mention_at(lx, '%')) {
			t.kind = lx->in.p[lx->pos + 1] == '@' ? TOK_USER : TOK_ROLE;
			t.id = lx->in.p + lx->pos + 2;
			lx->pos += 29;
			return t;
		}
		if (has_at(lx, lx->pos, "@everyone")) {
			lx->pos += 9;
			t.kind = TOK_EVERYONE;
			return t;
		}
		if (has_at(lx, lx->pos, "@online")) {
			lx->pos += 7;
			t.kind = TOK_ONLINE;
			return t;
		}
		lx->pos++;
	}
	return t;
}

static enum err add_id(char (*list)[27], size_t *n, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp(list[i], id, 26) == 0)
			return SE_OK;
	if (*n >= MSG_MENTIONS_MAX)
		return SE_FULL;
	memcpy(list[*n], id, 26);
	list[*n][26] = '\0';
	(*n)++;
	return SE_OK;
}

static enum err record(struct msg_mentions *out, const struct tok *t)
{
	switch (t->kind) {
	case TOK_USER:
		return add_id(out->users, &out->n_users, t->id);
	case TOK_ROLE:
		return add_id(out->roles, &out->n_roles, t->id);
	case TOK_EVERYONE:
		out->everyone = true;
		return SE_OK;
	case TOK_ONLINE:
		out->online = true;
		return SE_OK;
	default:
		return SE_OK;
	}
}

/*
 * After an opening code marker: skip to the matching one. Without one, the
 * backend hands back every token it buffered, unprocessed (escapes and
 * other markers have no effect there), so those count.
 */
static enum err code_span(struct lexer *lx, int code, struct msg_mentions *out)
{
	size_t start = lx->pos;
	struct tok t;
	enum err rc = SE_OK;

	for (t = next(lx); t.kind != TOK_END; t = next(lx))
		if (t.kind == TOK_CODE && t.code == code)
			return SE_OK;
	lx->pos = start;
	for (t = next(lx); t.kind != TOK_END && !rc; t = next(lx))
		rc = record(out, &t);
	return rc;
}

enum err msg_mentions_parse(struct str content, struct msg_mentions *out)
{
	struct lexer lx = {content, 0};
	enum err rc = SE_OK;
	struct tok t;

	memset(out, 0, sizeof(*out));
	if (!content.p)
		return SE_OK;
	for (t = next(&lx); t.kind != TOK_END && !rc; t = next(&lx)) {
		if (t.kind == TOK_ESCAPE)
			(void)next(&lx);
		else if (t.kind == TOK_CODE)
			rc = code_span(&lx, t.code, out);
		else
			rc = record(out, &t);
	}
	return rc;
}
