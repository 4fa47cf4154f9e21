/*
 * federation/process_int.h: what process.c (follows, actors, dispatch) and
 * process_notes.c (direct Notes, reactions) share. Nothing outside
 * federation/ includes it.
 * Threads: one activity per call, on the inbox worker.
 */
#ifndef SOL_FEDERATION_PROCESS_INT_H
#define SOL_FEDERATION_PROCESS_INT_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "federation/as2.h"
#include "federation/process.h"

/* local recipients of one direct Note */
#define PROC_RECIPIENTS_MAX 8
/* bytes of Markdown we put in a message (Revolt's limit is 2,000 characters) */
#define PROC_CONTENT_BYTES 1900

/* One activity being applied. */
struct pctx {
	struct fed *f;
	const struct fproc_in *in;
	struct as2_activity act;
	struct arena a;
	struct str R; /* the sender, a remote user id */
	struct err_info *ei;
};

/* Store and network failures that may pass become SE_RETRY; others stay. */
enum err fproc_transient(enum err rc);
/* The local user `url` names (an actor of ours that exists), into out. */
bool fproc_local_user(struct pctx *p, const char *url, char out[32]);

/* process_notes.c */
/* True when both absolute URLs have the same host[:port] (an actor speaks for its own host). */
bool fproc_same_host(const char *a, const char *b);
bool fproc_note_type(const char *t);
enum err fproc_on_create(struct pctx *p);
enum err fproc_on_update_note(struct pctx *p);
enum err fproc_on_delete_note(struct pctx *p, const char *url);
bool fproc_reaction_type(const char *t);
/* The emoji a Like / EmojiReact stands for (borrowed or static). */
const char *fproc_reaction_emoji(const char *type, const char *content, const char *misskey);
/* Add or remove the sender's reaction `emoji` on Note `note`; act_id is recorded for Undo. */
enum err fproc_react(struct pctx *p, const char *note, const char *emoji, const char *act_id,
                     bool add);
/* Undo naming only a Like/EmojiReact id we recorded: local = "<message id> <emoji>". */
enum err fproc_undo_reaction_by_id(struct pctx *p, char *local);

#endif /* SOL_FEDERATION_PROCESS_INT_H */
