/*
 * federation/process_notes.c: inbound direct Notes and reactions -> DM
 * messages, edits, deletes and MessageReact (docs/federation.md "Direct
 * messages", "Reactions"), through the same Revolt code paths as a local
 * client's (api/api_fed.h).
 */
#include <stdio.h>
#include <string.h>

#include "api/api_fed.h"
#include "app.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/fed.h"
#include "federation/html.h"
#include "federation/mapping_int.h"
#include "federation/media.h"
#include "federation/objmap.h"
#include "federation/process_int.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/user.h"

static const char *jget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

struct mention_ctx {
	struct pctx *p;
};

/* fhtml_mention_fn: a mention of one of our users becomes "<@ULID>". */
static bool mention_local(void *ctx, const char *href, const char *handle, struct buf *out)
{
	struct mention_ctx *m = ctx;
	struct store_txn *txn = NULL;
	char L[32], id[STORE_ID_MAX];
	struct str h = str_from(handle), name, host;
	long us;
	bool ok = false;

	if (fproc_local_user(m->p, href, L)) {
		buf_printf(out, "<@%s>", L);
		return true;
	}
	/*
	 * Mastodon links a mention to the profile page (B/@name_0042), not the
	 * actor: the handle "name_0042@host" names our user when host is ours.
	 */
	name = str_cut(&h, '@');
	host = h;
	if (!handle || !str_eq_nocase(host, str_from(m->p->f->host)) || name.n < 6)
		return false;
	us = (long)name.n - 5;
	if (name.p[us] != '_')
		return false;
	if (store_read_begin(m->p->f->store, &txn))
		return false;
	ok = !user_find_by_tag(txn, (struct str){name.p, (size_t)us},
	                       (struct str){name.p + us + 1, 4}, id) &&
	     fout_is_local(txn, str_from(id));
	store_read_end(txn);
	if (ok)
		buf_printf(out, "<@%s>", id);
	return ok;
}

/* Cuts `b` to at most `max` bytes at a UTF-8 boundary. */
static void utf8_cut(struct buf *b, size_t max)
{
	size_t n;

	if (b->len <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)b->ptr[n] & 0xC0) == 0x80)
		n--;
	b->len = n;
	b->ptr[n] = '\0';
}

/*
 * Appends remote URL `u` as an autolink on its own line. Characters that could end the
 * autolink or start Markdown or a mention (<>[]()`*_~|\\ @ and controls/spaces) are
 * percent-encoded, so a URL cannot smuggle `<@ULID>` or formatting into the message.
 */
static void link_append(struct buf *md, const char *u)
{
	if (md->len)
		buf_putc(md, '\n');
	buf_putc(md, '<');
	for (const unsigned char *c = (const unsigned char *)u; *c; c++) {
		if (*c <= 0x20 || *c == 0x7f || strchr("<>[]()`*_~|\\@!\"'", *c))
			buf_printf(md, "%%%02X", *c);
		else
			buf_putc(md, (char)*c);
	}
	buf_putc(md, '>');
}

/* The Markdown content of Note `o` (source when Markdown/plain, else sanitised HTML) + links to
 * the attachments not stored as files (`skip[i]` true: attachment i is a file; may be NULL). */
static enum err note_markdown(struct pctx *p, const struct as2_object *o, const bool *skip,
                              struct buf *md)
{
	struct mention_ctx mc = {p};
	struct fhtml_opts ho = {mention_local, &mc, PROC_CONTENT_BYTES};
	const char *mt = o->source_media_type;
	bool mentions = false;
	enum err rc = SE_OK;

	for (size_t i = 0; i < o->n_tags; i++)
		mentions |= o->tags[i].kind == AS2_TAG_MENTION;
	mentions &= !o->source_content || strstr(o->source_content, "<@") != NULL;
	/* a source that mentions someone does it in its sender's syntax (another Solstice's
	 * <@ULID>, neutralised below); the HTML has them as links to actors, which map to our
	 * users, so such a Note is read from its HTML */
	if (mentions && o->content) {
		rc = fhtml_to_markdown_opts(str_from(o->content), &ho, md, NULL, p->ei);
	} else if (o->source_content && mt && !strncmp(mt, "text/markdown", 13)) {
		/* remote Markdown keeps its formatting, never its mentions or mass pings:
		 * another server's <@ULID> names its own users, not ours */
		rc = fhtml_markdown_safe(str_from(o->source_content), PROC_CONTENT_BYTES, md, NULL,
		                         p->ei);
	} else if (o->source_content && mt && !strncmp(mt, "text/plain", 10)) {
		fhtml_escape_text(str_from(o->source_content), md);
		utf8_cut(md, PROC_CONTENT_BYTES);
	} else if (o->content) {
		rc = fhtml_to_markdown_opts(str_from(o->content), &ho, md, NULL, p->ei);
	}
	if (rc)
		return rc;
	/* attachments that could not be fetched (federation/media.c) stay links */
	for (size_t i = 0; i < o->n_atts; i++) {
		const char *u = o->atts[i].url;

		if (!u || (skip && skip[i]) || !as2_is_url(u, AS2_ALLOW_HTTP) ||
		    md->len + 3 * strlen(u) + 3 > PROC_CONTENT_BYTES)
			continue;
		link_append(md, u);
	}
	return buf_err(md);
}

_Static_assert(FMEDIA_COPIES_MAX >= PROC_RECIPIENTS_MAX, "one file per copy of a Note");

/* A Note's attachments stored as Autumn files: ids[k][copy] for the k-th stored one. */
struct note_files {
	bool fetched[AS2_ATTACH_MAX];
	size_t n;
	char ids[MSG_ATTACHMENTS_MAX][FMEDIA_COPIES_MAX][FILE_ID_LEN + 1];
};

/*
 * Fetch the first MSG_ATTACHMENTS_MAX attachments of `o` into `copies` files
 * each (one per local recipient); one that fails stays a link.
 */
static void note_fetch_files(struct pctx *p, const struct as2_object *o, size_t copies,
                             struct note_files *nf)
{
	char uploader[32];

	memset(nf->fetched, 0, sizeof(nf->fetched));
	nf->n = 0;
	if (p->R.n >= sizeof(uploader) || copies == 0)
		return;
	memcpy(uploader, p->R.p, p->R.n);
	uploader[p->R.n] = '\0';
	for (size_t i = 0; i < o->n_atts && nf->n < MSG_ATTACHMENTS_MAX; i++) {
		const char *u = o->atts[i].url;
		struct err_info ei = ERR_INFO_INIT;
		enum err rc;

		if (!u || !as2_is_url(u, AS2_ALLOW_HTTP))
			continue;
		rc = fmedia_attachment(p->f, u, uploader, copies, nf->ids[nf->n], NULL, &ei);
		if (rc) {
			log_info("fproc: attachment of Note '%s' kept as a link: %s (%s)", o->id,
			         err_type(rc), ei.detail);
			continue;
		}
		nf->fetched[i] = true;
		nf->n++;
	}
}

/*
 * On an edit: the attachments the message already holds as files (the
 * first `k` linkable ones, k = its attachment count) get no link again.
 */
static void note_attached_mask(struct pctx *p, const struct as2_object *o, const char *msg_id,
                               bool skip[AS2_ATTACH_MAX])
{
	struct store_txn *txn = NULL;
	json_t *m = NULL;
	size_t k = 0;

	memset(skip, 0, AS2_ATTACH_MAX * sizeof(bool));
	if (store_read_begin(p->f->store, &txn))
		return;
	if (!msg_load(txn, str_from(msg_id), &m))
		k = json_array_size(json_object_get(m, "attachments"));
	store_read_end(txn);
	json_decref(m);
	for (size_t i = 0; i < o->n_atts && k; i++) {
		if (!o->atts[i].url || !as2_is_url(o->atts[i].url, AS2_ALLOW_HTTP))
			continue;
		skip[i] = true;
		k--;
	}
}

bool fproc_note_type(const char *t)
{
	return t && (!strcmp(t, "Note") || !strcmp(t, "ChatMessage") || !strcmp(t, "Article") ||
	             !strcmp(t, "Question") || !strcmp(t, "Page"));
}

/* Adds the local user `url` names to ids (deduplicated, bounded). */
static void collect_one(struct pctx *p, const char *url, char ids[][32], size_t *n)
{
	char L[32];
	bool dup = false;

	if (*n >= PROC_RECIPIENTS_MAX || !fproc_local_user(p, url, L))
		return;
	for (size_t k = 0; k < *n; k++)
		dup |= !strcmp(ids[k], L);
	if (!dup)
		memcpy(ids[(*n)++], L, 32);
}

/* Adds the local users of `list` (array of URLs) to ids. */
static void collect_locals(struct pctx *p, const json_t *list, char ids[][32], size_t *n)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		collect_one(p, json_string_value(v), ids, n);
	}
}

struct map_op {
	struct str ap, local;
	const char *kind;
	bool del;
};

/* Kinds an inbound Note or reaction may replace: its own entries, never an actor, key,
 * activity or anything we sent. */
static bool kind_replaceable(const char *k)
{
	return !strcmp(k, "note") || !strcmp(k, "message") || !strcmp(k, "copy") ||
	       !strcmp(k, "reaction");
}

static enum err map_fn(struct store_wtxn *w, void *arg)
{
	struct map_op *m = arg;
	char kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	enum err rc = fmap_get(store_wtxn_read(w), m->ap, kind, local);

	if (rc && rc != SE_NOT_FOUND)
		return rc;
	if (m->del) /* only what this kind of op recorded */
		return rc || strcmp(kind, m->kind) ? SE_OK : fmap_delete(w, m->ap);
	if (!rc && !kind_replaceable(kind)) {
		log_info("fproc: '%.*s' is already mapped as a %s: not remapped as a %s",
		         (int)(m->ap.n > 200 ? 200 : m->ap.n), m->ap.p, kind, m->kind);
		return SE_OK;
	}
	return fmap_put(w, m->ap, m->kind, m->local);
}

static enum err map_run(struct pctx *p, struct map_op *m)
{
	return fproc_transient(store_write(p->f->store, map_fn, m, p->ei));
}

/* The message Note `url` maps to and its channel/author (arena). SE_NOT_FOUND. */
static enum err note_message(struct pctx *p, const char *url, char id[32], const char **channel,
                             const char **author)
{
	struct store_txn *txn = NULL;
	json_t *m = NULL;
	enum err rc;

	if (!url)
		return SE_NOT_FOUND;
	rc = store_read_begin(p->f->store, &txn);
	if (rc)
		return fproc_transient(rc);
	rc = fout_msg_of_note(p->f, txn, str_from(url), id);
	if (!rc)
		rc = msg_load(txn, str_from(id), &m);
	store_read_end(txn);
	if (rc)
		return rc == SE_NOT_FOUND || rc == SE_PARSE ? SE_NOT_FOUND : fproc_transient(rc);
	*channel = jget(m, "channel")
	               ? arena_strndup(&p->a, jget(m, "channel"), strlen(jget(m, "channel")))
	               : NULL;
	*author = jget(m, "author")
	              ? arena_strndup(&p->a, jget(m, "author"), strlen(jget(m, "author")))
	              : NULL;
	json_decref(m);
	return *channel && *author ? SE_OK : SE_NOT_FOUND;
}

/*
 * A Note addressed to several local users becomes one message per DM. The
 * first copy is the Note's "message" mapping (replies, reactions and
 * fout_note_id use it); copy k >= 1 is mapped as "copy <k> <Note id>" ->
 * message id, kind "copy". A space never occurs in a URL, so no AP id can
 * collide with those keys. Edits and deletes go through every copy.
 */
#define COPY_KIND "copy"
#define COPY_KEY_MAX (FMAP_AP_ID_MAX + 16)

/* "copy <k> <url>" into out; false when it does not fit. */
static bool copy_key(const char *url, size_t k, char out[COPY_KEY_MAX])
{
	int n = snprintf(out, COPY_KEY_MAX, "%s %zu %s", COPY_KIND, k, url);

	return n > 0 && n < COPY_KEY_MAX;
}

/* One stored copy of a Note (channel and author in the pctx arena). */
struct note_copy {
	char id[32];
	const char *channel, *author;
};

/* The message id copy `k` of Note `url` maps to, into id. SE_NOT_FOUND. */
static enum err copy_lookup(struct pctx *p, struct store_txn *txn, const char *url, size_t k,
                            char id[32])
{
	char key[COPY_KEY_MAX], kind[FMAP_KIND_MAX], local[FMAP_LOCAL_MAX];
	enum err rc;

	if (k == 0)
		return fout_msg_of_note(p->f, txn, str_from(url), id);
	if (!copy_key(url, k, key))
		return SE_NOT_FOUND;
	rc = fmap_get(txn, str_from(key), kind, local);
	if (rc == SE_TOO_LARGE || rc == SE_INVAL || rc == SE_PARSE)
		return SE_NOT_FOUND;
	if (rc)
		return rc;
	if (strcmp(kind, COPY_KIND) || !ulid_is_valid(str_from(local)))
		return SE_NOT_FOUND;
	memcpy(id, local, strlen(local) + 1);
	return SE_OK;
}

/*
 * Every message Note `url` maps to that still exists: the first copy, then
 * the later ones, into out[*n]. SE_OK (maybe *n == 0), SE_RETRY.
 */
static enum err note_copies(struct pctx *p, const char *url,
                            struct note_copy out[PROC_RECIPIENTS_MAX], size_t *n)
{
	struct store_txn *txn = NULL;
	enum err rc = SE_OK;

	*n = 0;
	if (!url)
		return SE_OK;
	rc = store_read_begin(p->f->store, &txn);
	if (rc)
		return fproc_transient(rc);
	for (size_t k = 0; k < PROC_RECIPIENTS_MAX && !rc; k++) {
		struct note_copy *c = &out[*n];
		json_t *m = NULL;
		const char *ch, *au;

		rc = copy_lookup(p, txn, url, k, c->id);
		if (!rc)
			rc = msg_load(txn, str_from(c->id), &m);
		if (rc == SE_NOT_FOUND || rc == SE_PARSE) {
			rc = SE_OK; /* not mapped, or the copy was deleted here */
			continue;
		}
		if (rc)
			break;
		ch = jget(m, "channel");
		au = jget(m, "author");
		c->channel = ch ? arena_strndup(&p->a, ch, strlen(ch)) : NULL;
		c->author = au ? arena_strndup(&p->a, au, strlen(au)) : NULL;
		json_decref(m);
		if (c->channel && c->author)
			(*n)++;
	}
	store_read_end(txn);
	return fproc_transient(rc);
}

/* Removes the mappings of every copy of Note `url` (absent ones are fine). */
static enum err unmap_copies_fn(struct store_wtxn *w, void *arg)
{
	const char *url = arg;
	char key[COPY_KEY_MAX];
	enum err rc = SE_OK;

	for (size_t k = 0; k < PROC_RECIPIENTS_MAX && (!rc || rc == SE_NOT_FOUND); k++) {
		if (k == 0)
			rc = fmap_delete(w, str_from(url));
		else if (copy_key(url, k, key))
			rc = fmap_delete(w, str_from(key));
	}
	return rc == SE_NOT_FOUND ? SE_OK : rc;
}

/* The Note is by the sender: attributedTo (when given) is the actor. */
static bool by_sender(const struct pctx *p, const struct as2_object *o)
{
	return !o->attributed_to || !strcmp(o->attributed_to, p->act.actor);
}

enum err fproc_on_create(struct pctx *p)
{
	const struct as2_object *o = &p->act.obj;
	char ids[PROC_RECIPIENTS_MAX][32], mid[32], nonce[65];
	unsigned char h[32];
	const char *ch_id, *author;
	size_t n = 0;
	struct buf md = BUF_INIT(4 * PROC_CONTENT_BYTES);
	struct note_files *nf = NULL;
	enum err rc = SE_OK;

	if (!p->act.has_obj || !fproc_note_type(o->type) || !o->id) {
		log_info("fproc: Create of '%s' from '%s': not a Note, ignored",
		         p->act.object_type ? p->act.object_type : "?", p->act.actor);
		goto out;
	}
	if (!by_sender(p, o)) {
		log_info("fproc: Create of a Note attributed to someone else from '%s': ignored",
		         p->act.actor);
		goto out;
	}
	if (!fproc_same_host(o->id, p->act.actor)) {
		log_info("fproc: Note '%s' from '%s': its id is on another host, ignored", o->id,
		         p->act.actor);
		goto out;
	}
	if (as2_is_public(&p->act)) {
		log_debug("fproc: public Note '%s': no timelines here, ignored", o->id);
		goto out;
	}
	/* replay of the same Note (another Create id): done already */
	if (!note_message(p, o->id, mid, &ch_id, &author))
		goto out;
	collect_locals(p, o->to, ids, &n);
	collect_locals(p, o->cc, ids, &n);
	collect_locals(p, o->bto, ids, &n);
	collect_locals(p, o->bcc, ids, &n);
	collect_locals(p, p->act.to, ids, &n);
	collect_locals(p, p->act.cc, ids, &n);
	collect_locals(p, p->act.bto, ids, &n);
	collect_locals(p, p->act.bcc, ids, &n);
	/*
	 * A non-public Note POSTed to one user's own inbox is addressed to them
	 * even when the sender stripped bto/bcc before delivery (as it should).
	 */
	if (n == 0 && p->in->recipient_user_id && strlen(p->in->recipient_user_id) < 32) {
		char url[512];

		snprintf(url, sizeof(url), "%s/users/%s", p->f->base, p->in->recipient_user_id);
		collect_one(p, url, ids, &n);
	}
	if (n == 0) {
		log_debug("fproc: Note '%s' addressed to nobody here: ignored", o->id);
		goto out;
	}
	/* remote attachments become Autumn files (federation/media.c) */
	nf = mem_try_alloc(sizeof(*nf));
	if (!nf) {
		rc = SE_RETRY;
		goto out;
	}
	note_fetch_files(p, o, n, nf);
	rc = note_markdown(p, o, nf->fetched, &md);
	if (rc)
		goto out;
	cry_sha256(o->id, strlen(o->id), h);
	for (size_t i = 0; i < 32; i++)
		snprintf(nonce + 2 * i, 3, "%02x", h[i]);
	/*
	 * The Note id is findable from the message's nonce before the message
	 * exists, so that a reply sent the moment it appears can name it.
	 */
	{
		struct map_op pre = {str_from(o->id), str_from(nonce), "note", false};

		rc = map_run(p, &pre);
		if (rc)
			goto out;
	}
	for (size_t i = 0, copies = 0; i < n; i++) {
		struct err_info ei = ERR_INFO_INIT;
		json_t *ch = NULL, *data, *msg = NULL;
		char rid[32];
		const char *rch = NULL, *rauthor = NULL;

		rc = api_fed_dm_open(p->f->app, str_from(ids[i]), p->R, &ch, &ei);
		if (rc == SE_MissingPermission || rc == SE_UnknownUser) {
			log_info("fproc: Note '%s' from '%s' to '%s' dropped: %s", o->id,
			         p->act.actor, ids[i], err_type(rc));
			rc = SE_OK;
			continue;
		}
		if (rc) {
			rc = fproc_transient(rc);
			goto out;
		}
		data = json_pack("{s:s}", "content", buf_cstr(&md));
		if (data && nf->n) {
			json_t *files = json_array();

			for (size_t k = 0; files && k < nf->n; k++)
				json_array_append_new(files, json_string(nf->ids[k][i]));
			json_object_set_new(data, "attachments", files);
		}
		/* a reply to a message of this DM keeps the thread */
		if (data && o->in_reply_to &&
		    !note_message(p, o->in_reply_to, rid, &rch, &rauthor) &&
		    !strcmp(rch, jget(ch, "_id")))
			json_object_set_new(data, "replies",
			                    json_pack("[{s:s, s:b}]", "id", rid, "mention", 0));
		rc = data ? api_fed_message_send(p->f->app, p->R, str_from(jget(ch, "_id")), data,
		                                 str_from(nonce), &msg, &ei)
		          : SE_NOMEM;
		json_decref(data);
		json_decref(ch);
		if (rc == SE_DuplicateNonce) {
			rc = SE_OK;
			continue;
		}
		if (rc == SE_MissingPermission || rc == SE_EmptyMessage ||
		    rc == SE_FailedValidation || rc == SE_PayloadTooLarge ||
		    rc == SE_UnknownChannel) {
			log_info("fproc: Note '%s' from '%s' to '%s' dropped: %s", o->id,
			         p->act.actor, ids[i], err_type(rc));
			rc = SE_OK;
			json_decref(msg);
			continue;
		}
		if (rc) {
			rc = fproc_transient(rc);
			json_decref(msg);
			goto out;
		}
		/* the Note id names the first copy, "copy <k> <id>" the later ones */
		if (jget(msg, "_id")) {
			char key[COPY_KEY_MAX];
			struct map_op m = {str_from(o->id), str_from(jget(msg, "_id")), "message",
			                   false};
			enum err mrc = SE_OK;

			if (copies > 0) {
				m.kind = COPY_KIND;
				m.ap = copy_key(o->id, copies, key) ? str_from(key) : STR_NULL;
			}
			if (!m.ap.n)
				mrc = SE_TOO_LARGE;
			else if (copies > 0 || note_message(p, o->id, mid, &ch_id, &author))
				mrc = map_run(p, &m);
			if (mrc)
				log_warn("fproc: cannot map Note '%s' (copy %zu): %s", o->id,
				         copies, err_type(mrc));
			copies++;
		}
		json_decref(msg);
	}
out:
	mem_free(nf);
	buf_release(&md);
	return rc;
}

enum err fproc_on_update_note(struct pctx *p)
{
	const struct as2_object *o = &p->act.obj;
	struct buf md = BUF_INIT(4 * PROC_CONTENT_BYTES);
	struct note_copy cp[PROC_RECIPIENTS_MAX];
	bool skip[AS2_ATTACH_MAX];
	size_t n = 0;
	json_t *body = NULL;
	enum err rc = note_copies(p, o->id, cp, &n);

	if (rc)
		goto out;
	if (n == 0) {
		log_debug("fproc: Update of unknown Note '%s': ignored", o->id ? o->id : "?");
		goto out;
	}
	if (!by_sender(p, o) || !str_eq_cstr(p->R, cp[0].author)) {
		log_info("fproc: Update of Note '%s' by '%s', not its author: ignored", o->id,
		         p->act.actor);
		goto out;
	}
	note_attached_mask(p, o, cp[0].id, skip);
	rc = note_markdown(p, o, skip, &md);
	if (rc)
		goto out;
	if (!md.len)
		goto out;
	body = json_pack("{s:s}", "content", buf_cstr(&md));
	if (!body) {
		rc = SE_NOMEM;
		goto out;
	}
	/* every copy (one per local recipient) */
	for (size_t i = 0; i < n && !rc; i++) {
		if (!str_eq_cstr(p->R, cp[i].author))
			continue;
		rc = api_fed_message_edit(p->f->app, p->R, str_from(cp[i].channel),
		                          str_from(cp[i].id), body, p->ei);
		if (rc && rc != SE_NOMEM && fproc_transient(rc) != SE_RETRY) {
			log_info("fproc: Update of Note '%s' (message %s) not applied: %s", o->id,
			         cp[i].id, err_type(rc));
			rc = SE_OK;
		}
	}
out:
	json_decref(body);
	buf_release(&md);
	return fproc_transient(rc);
}

enum err fproc_on_delete_note(struct pctx *p, const char *url)
{
	struct note_copy cp[PROC_RECIPIENTS_MAX];
	size_t n = 0;
	enum err rc = note_copies(p, url, cp, &n);

	if (rc)
		return rc;
	if (n == 0)
		return SE_OK; /* unknown or already deleted */
	if (!str_eq_cstr(p->R, cp[0].author)) {
		log_info("fproc: Delete of Note '%s' by '%s', not its author: ignored", url,
		         p->act.actor);
		return SE_OK;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (!str_eq_cstr(p->R, cp[i].author))
			continue;
		rc = api_fed_message_delete(p->f->app, p->R, str_from(cp[i].channel),
		                            str_from(cp[i].id), p->ei);
		if (rc && fproc_transient(rc) != SE_RETRY)
			rc = SE_OK;
	}
	if (!rc)
		rc = store_write(p->f->store, unmap_copies_fn, (void *)url, p->ei);
	return fproc_transient(rc);
}

/* The emoji a Like / EmojiReact stands for (arena or static). */
const char *fproc_reaction_emoji(const char *type, const char *content, const char *misskey)
{
	const char *e = content && *content ? content : misskey && *misskey ? misskey : NULL;

	(void)type;
	/* remote custom emoji (":name:") have no local copy: the default stands in */
	if (!e || e[0] == ':')
		return FPROC_LIKE_EMOJI;
	return e;
}

static enum err react_apply(struct pctx *p, const char *mid, const char *ch, const char *emoji,
                            const char *act_id, bool add)
{
	char key[128];
	enum err rc = api_fed_react(p->f->app, p->R, str_from(ch), str_from(mid), str_from(emoji),
	                            add, p->ei);

	if (rc == SE_InvalidOperation && add && strcmp(emoji, FPROC_LIKE_EMOJI)) {
		emoji = FPROC_LIKE_EMOJI; /* not an emoji Revolt shows: the default */
		rc = api_fed_react(p->f->app, p->R, str_from(ch), str_from(mid), str_from(emoji),
		                   add, p->ei);
	}
	if (rc && fproc_transient(rc) != SE_RETRY) {
		log_info("fproc: reaction on '%s' from '%s' not applied: %s", mid, p->act.actor,
		         err_type(rc));
		return SE_OK;
	}
	if (rc)
		return SE_RETRY;
	/* remember what a Like/EmojiReact did, for an Undo naming only its id */
	if (act_id && fproc_same_host(act_id, p->act.actor) &&
	    snprintf(key, sizeof(key), "%s %s", mid, emoji) < (int)sizeof(key)) {
		struct map_op m = {str_from(act_id), str_from(key), "reaction", !add};

		return map_run(p, &m);
	}
	return SE_OK;
}

enum err fproc_react(struct pctx *p, const char *note, const char *emoji, const char *act_id,
                     bool add)
{
	char mid[32];
	const char *ch, *author;
	enum err rc = note_message(p, note, mid, &ch, &author);

	if (rc == SE_NOT_FOUND) {
		log_debug("fproc: reaction to unknown Note '%s': ignored", note ? note : "?");
		return SE_OK;
	}
	if (rc)
		return rc;
	return react_apply(p, mid, ch, emoji, act_id, add);
}

bool fproc_reaction_type(const char *t)
{
	return t && (!strcmp(t, "Like") || !strcmp(t, "EmojiReact") || !strcmp(t, "EmojiReaction"));
}

/* Undo naming only a Like/EmojiReact id we recorded ("<message id> <emoji>"). */
enum err fproc_undo_reaction_by_id(struct pctx *p, char *local)
{
	struct store_txn *txn = NULL;
	char *sp = strchr(local, ' ');
	const char *ch = NULL;
	json_t *m = NULL;
	enum err rc;

	if (!sp)
		return SE_OK;
	*sp = '\0';
	rc = store_read_begin(p->f->store, &txn);
	if (rc)
		return fproc_transient(rc);
	if (!msg_load(txn, str_from(local), &m) && jget(m, "channel"))
		ch = arena_strndup(&p->a, jget(m, "channel"), strlen(jget(m, "channel")));
	store_read_end(txn);
	json_decref(m);
	if (!ch)
		return SE_OK;
	return react_apply(p, local, ch, sp + 1, p->act.object_id, false);
}
