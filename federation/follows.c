/*
 * federation/follows.c: the ap_follows collection (who follows whom across
 * instances) and its four indexes. Records are compact JSON
 * {_id, follower, followee, state, activity, created}.
 */
#include "federation/follows.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/jx.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "storage/record.h"

/* index entries one scan call returns */
#define SCAN_BATCH 64

const char *ffollow_state_name(enum ffollow_state s)
{
	return s == FFOLLOW_ACCEPTED ? "accepted" : "pending";
}

static char state_letter(enum ffollow_state s)
{
	return s == FFOLLOW_ACCEPTED ? 'a' : 'p';
}

static bool id_ok(struct str id)
{
	if (id.n == 0 || id.n >= FFOLLOW_USER_MAX)
		return false;
	for (size_t i = 0; i < id.n; i++)
		if (id.p[i] == '/' || id.p[i] == '|' || (unsigned char)id.p[i] < 0x21)
			return false;
	return true;
}

/* "<a><sep><b>" (sep 0: none) into key. */
static enum err key3(struct str a, char sep, char letter, struct str b, struct store_key *key)
{
	size_t n = a.n + (sep ? 1 : 0) + (letter ? 1 : 0) + b.n;

	if (n > STORE_KEY_MAX || n == 0)
		return SE_TOO_LARGE;
	memcpy(key->b, a.p, a.n);
	key->n = a.n;
	if (sep)
		key->b[key->n++] = sep;
	if (letter)
		key->b[key->n++] = letter;
	if (b.n)
		memcpy(key->b + key->n, b.p, b.n);
	key->n += b.n;
	return SE_OK;
}

static void activity_hex(struct str activity, char hex[65])
{
	unsigned char h[32];

	cry_sha256(activity.p, activity.n, h);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

static struct str jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		return STR_NULL;
	return (struct str){json_string_value(v), json_string_length(v)};
}

static enum ffollow_state state_of(const json_t *rec)
{
	return str_eq_cstr(jstr(rec, "state"), "accepted") ? FFOLLOW_ACCEPTED : FFOLLOW_PENDING;
}

/* Index extractor; `arg` names the index ("followee", "follower", "pair", "activity"). */
static enum err x_follow(struct str id, struct str rec, struct store_keys *out, void *arg)
{
	const char *which = arg;
	json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
	struct str er, ee, act;
	struct store_key k;
	char hex[65];
	enum err rc = SE_OK;

	(void)id;
	if (!o)
		return SE_PARSE;
	er = jstr(o, "follower");
	ee = jstr(o, "followee");
	act = jstr(o, "activity");
	if (!er.n || !ee.n) {
		rc = SE_PARSE;
		goto out;
	}
	if (!strcmp(which, FFOLLOW_IDX_FOLLOWEE))
		rc = key3(ee, '/', state_letter(state_of(o)), er, &k);
	else if (!strcmp(which, FFOLLOW_IDX_FOLLOWER))
		rc = key3(er, '/', state_letter(state_of(o)), ee, &k);
	else if (!strcmp(which, FFOLLOW_IDX_PAIR))
		rc = key3(er, '|', 0, ee, &k);
	else if (act.n) {
		activity_hex(act, hex);
		rc = key3(str_from(hex), 0, 0, STR_NULL, &k);
	} else
		goto out;
	if (!rc)
		rc = store_keys_add(out, (struct str){k.b, k.n});
out:
	json_decref(o);
	return rc;
}

const struct store_index_def ffollow_idx[4] = {
    {FFOLLOW_IDX_FOLLOWEE, false, x_follow, (void *)FFOLLOW_IDX_FOLLOWEE},
    {FFOLLOW_IDX_FOLLOWER, false, x_follow, (void *)FFOLLOW_IDX_FOLLOWER},
    {FFOLLOW_IDX_PAIR, true, x_follow, (void *)FFOLLOW_IDX_PAIR},
    {FFOLLOW_IDX_ACTIVITY, false, x_follow, (void *)FFOLLOW_IDX_ACTIVITY},
};

static void copy_field(char *dst, size_t cap, struct str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;

	memcpy(dst, s.p ? s.p : "", n);
	dst[n] = '\0';
}

static enum err from_json(const json_t *o, struct ffollow *out)
{
	struct str id = jstr(o, "_id"), er = jstr(o, "follower"), ee = jstr(o, "followee");
	const json_t *c = json_object_get(o, "created");

	if (!id.n || id.n >= sizeof(out->id) || !er.n || er.n >= FFOLLOW_USER_MAX || !ee.n ||
	    ee.n >= FFOLLOW_USER_MAX || jstr(o, "activity").n >= FFOLLOW_ACTIVITY_MAX)
		return SE_PARSE;
	copy_field(out->id, sizeof(out->id), id);
	copy_field(out->follower, sizeof(out->follower), er);
	copy_field(out->followee, sizeof(out->followee), ee);
	copy_field(out->activity, sizeof(out->activity), jstr(o, "activity"));
	out->state = state_of(o);
	out->created = json_is_integer(c) ? (int64_t)json_integer_value(c) : 0;
	return SE_OK;
}

/* The record id of the pair into id[STORE_ID_MAX]; SE_NOT_FOUND. */
static enum err pair_id(struct store_txn *txn, struct str follower, struct str followee,
                        char id[STORE_ID_MAX])
{
	struct store_key k;
	struct str ids[1];
	size_t n = 0;
	enum err rc;

	if (!id_ok(follower) || !id_ok(followee))
		return SE_INVAL;
	rc = key3(follower, '|', 0, followee, &k);
	if (!rc)
		rc = store_index_find(txn, FFOLLOW_COLL, FFOLLOW_IDX_PAIR, (struct str){k.b, k.n},
		                      ids, 1, &n, NULL);
	if (rc)
		return rc;
	if (n == 0 || ids[0].n >= STORE_ID_MAX)
		return SE_NOT_FOUND;
	memcpy(id, ids[0].p, ids[0].n);
	id[ids[0].n] = '\0';
	return SE_OK;
}

static enum err load(struct store_txn *txn, const char *id, json_t **out)
{
	return store_get_json(txn, FFOLLOW_COLL, str_from(id), out);
}

static enum err save(struct store_wtxn *w, const json_t *rec, bool create)
{
	char *text = jx_dump(rec);
	enum err rc;

	if (!text)
		return SE_NOMEM;
	rc = create ? store_create(w, FFOLLOW_COLL, jstr(rec, "_id"), str_from(text))
	            : store_update(w, FFOLLOW_COLL, jstr(rec, "_id"), str_from(text));
	mem_free(text);
	return rc;
}

enum err ffollow_add(struct store_wtxn *w, struct str follower, struct str followee,
                     struct str activity, enum ffollow_state state, int64_t now_ms, bool *created)
{
	struct store_txn *txn = store_wtxn_read(w);
	char id[STORE_ID_MAX], uid[ULID_LEN + 1];
	json_t *rec = NULL;
	struct ulid u;
	bool fresh = false;
	enum err rc;

	if (!id_ok(follower) || !id_ok(followee) || str_eq(follower, followee))
		return SE_INVAL;
	if (activity.n >= FFOLLOW_ACTIVITY_MAX)
		return SE_TOO_LARGE;
	rc = pair_id(txn, follower, followee, id);
	if (rc == SE_NOT_FOUND) {
		rc = ulid_generate(NULL, &u);
		if (rc)
			goto out;
		ulid_encode(&u, uid);
		rec = json_pack("{s:s, s:s%, s:s%, s:s, s:s%, s:I}", "_id", uid, "follower",
		                follower.p, follower.n, "followee", followee.p, followee.n, "state",
		                ffollow_state_name(state), "activity", activity.p ? activity.p : "",
		                activity.n, "created", (json_int_t)now_ms);
		if (!rec) {
			rc = SE_NOMEM;
			goto out;
		}
		fresh = true;
		rc = save(w, rec, true);
		goto out;
	}
	if (rc)
		goto out;
	rc = load(txn, id, &rec);
	if (rc)
		goto out;
	if (activity.n &&
	    json_object_set_new(rec, "activity", json_stringn(activity.p, activity.n))) {
		rc = SE_NOMEM;
		goto out;
	}
	if (state == FFOLLOW_ACCEPTED &&
	    json_object_set_new(rec, "state", json_string(ffollow_state_name(state)))) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = save(w, rec, false);
out:
	json_decref(rec);
	if (!rc && created)
		*created = fresh;
	return rc;
}

enum err ffollow_accept(struct store_wtxn *w, struct str follower, struct str followee)
{
	struct store_txn *txn = store_wtxn_read(w);
	char id[STORE_ID_MAX];
	json_t *rec = NULL;
	enum err rc = pair_id(txn, follower, followee, id);

	if (!rc)
		rc = load(txn, id, &rec);
	if (!rc && json_object_set_new(rec, "state", json_string("accepted")))
		rc = SE_NOMEM;
	if (!rc)
		rc = save(w, rec, false);
	json_decref(rec);
	return rc;
}

enum err ffollow_remove(struct store_wtxn *w, struct str follower, struct str followee)
{
	char id[STORE_ID_MAX];
	enum err rc = pair_id(store_wtxn_read(w), follower, followee, id);

	if (!rc)
		rc = store_delete(w, FFOLLOW_COLL, str_from(id));
	return rc;
}

enum err ffollow_get(struct store_txn *txn, struct str follower, struct str followee,
                     struct ffollow *out)
{
	char id[STORE_ID_MAX];
	json_t *rec = NULL;
	struct ffollow f;
	enum err rc = pair_id(txn, follower, followee, id);

	if (!rc)
		rc = load(txn, id, &rec);
	if (!rc)
		rc = from_json(rec, &f);
	json_decref(rec);
	if (!rc)
		*out = f;
	return rc;
}

enum err ffollow_get_pair(struct store_txn *txn, struct str L, struct str R, struct ffollow *out,
                          bool *have_out, struct ffollow *in, bool *have_in)
{
	enum err rc = ffollow_get(txn, L, R, out);

	*have_out = rc == SE_OK;
	if (rc && rc != SE_NOT_FOUND)
		return rc;
	rc = ffollow_get(txn, R, L, in);
	*have_in = rc == SE_OK;
	return rc == SE_NOT_FOUND ? SE_OK : rc;
}

enum err ffollow_by_activity(struct store_txn *txn, struct str activity, struct ffollow *out)
{
	char hex[65], id[STORE_ID_MAX];
	struct str ids[4];
	json_t *rec = NULL;
	struct ffollow f;
	size_t n = 0;
	enum err rc;

	if (!activity.n)
		return SE_NOT_FOUND;
	activity_hex(activity, hex);
	rc = store_index_find(txn, FFOLLOW_COLL, FFOLLOW_IDX_ACTIVITY, str_from(hex), ids, 4, &n,
	                      NULL);
	if (rc)
		return rc;
	/* a hash collision is not a match: compare the stored id */
	for (size_t i = 0; i < n; i++) {
		if (ids[i].n >= STORE_ID_MAX)
			continue;
		memcpy(id, ids[i].p, ids[i].n);
		id[ids[i].n] = '\0';
		rc = load(txn, id, &rec);
		if (!rc)
			rc = from_json(rec, &f);
		json_decref(rec);
		rec = NULL;
		if (rc)
			return rc;
		if (str_eq_cstr(activity, f.activity)) {
			*out = f;
			return SE_OK;
		}
	}
	return SE_NOT_FOUND;
}

static const char *side_index(enum ffollow_side side)
{
	return side == FFOLLOW_FOLLOWERS ? FFOLLOW_IDX_FOLLOWEE : FFOLLOW_IDX_FOLLOWER;
}

enum err ffollow_list(struct store_txn *txn, enum ffollow_side side, struct str user,
                      enum ffollow_state state, struct str after, struct ffollow *out, size_t cap,
                      size_t *n, bool *more)
{
	struct store_hit hits[FFOLLOW_PAGE_MAX + 1];
	struct store_key prefix;
	struct store_range r;
	char id[STORE_ID_MAX];
	size_t got = 0, k = 0;
	enum err rc;

	if (!id_ok(user) || cap == 0 || cap > FFOLLOW_PAGE_MAX)
		return SE_INVAL;
	rc = key3(user, '/', state_letter(state), STR_NULL, &prefix);
	if (rc)
		return rc;
	r = (struct store_range){(struct str){prefix.b, prefix.n}, after, STR_NULL, STORE_ASC};
	rc = store_index_scan(txn, FFOLLOW_COLL, side_index(side), &r, hits, cap + 1, &got);
	if (rc)
		return rc;
	for (size_t i = 0; i < got && k < cap; i++) {
		json_t *rec = NULL;

		if (hits[i].id.n >= STORE_ID_MAX)
			return SE_PARSE;
		memcpy(id, hits[i].id.p, hits[i].id.n);
		id[hits[i].id.n] = '\0';
		rc = load(txn, id, &rec);
		if (!rc)
			rc = from_json(rec, &out[k]);
		json_decref(rec);
		if (rc)
			return rc;
		k++;
	}
	*n = k;
	if (more)
		*more = got > cap;
	return SE_OK;
}

enum err ffollow_each(struct store_txn *txn, enum ffollow_side side, struct str user,
                      enum ffollow_state state, size_t max, size_t arena_max, ffollow_each_fn *fn,
                      void *arg)
{
	struct ffollow *page = mem_try_alloc(FFOLLOW_PAGE_MAX * sizeof(*page));
	char cursor[FFOLLOW_USER_MAX] = "";
	size_t walked = 0, got = 0;
	bool more = true;
	enum err rc = page ? SE_OK : SE_NOMEM;

	while (!rc && more && walked < max) {
		struct arena a = ARENA_INIT(arena_max);

		rc = ffollow_list(txn, side, user, state, cursor[0] ? str_from(cursor) : STR_NULL,
		                  page, FFOLLOW_PAGE_MAX, &got, &more);
		for (size_t i = 0; !rc && i < got && walked + i < max; i++)
			rc = fn(arg, &page[i], &a);
		arena_release(&a);
		walked += got;
		if (got)
			snprintf(cursor, sizeof(cursor), "%s",
			         side == FFOLLOW_FOLLOWERS ? page[got - 1].follower
			                                   : page[got - 1].followee);
	}
	mem_free(page);
	return rc;
}

enum err ffollow_count(struct store_txn *txn, enum ffollow_side side, struct str user,
                       enum ffollow_state state, size_t limit, size_t *n)
{
	struct store_hit hits[SCAN_BATCH];
	struct store_key prefix, last;
	struct store_range r;
	size_t total = 0, got;
	enum err rc;

	if (!id_ok(user))
		return SE_INVAL;
	rc = key3(user, '/', state_letter(state), STR_NULL, &prefix);
	if (rc)
		return rc;
	r = (struct store_range){(struct str){prefix.b, prefix.n}, STR_NULL, STR_NULL, STORE_ASC};
	while (total < limit) {
		rc = store_index_scan(txn, FFOLLOW_COLL, side_index(side), &r, hits, SCAN_BATCH,
		                      &got);
		if (rc)
			return rc;
		total += got;
		if (got < SCAN_BATCH)
			break;
		/* resume after the last key's suffix (copied: hits are borrowed) */
		last.n = hits[got - 1].key.n - prefix.n;
		memcpy(last.b, hits[got - 1].key.p + prefix.n, last.n);
		r.after = (struct str){last.b, last.n};
	}
	*n = total < limit ? total : limit;
	return SE_OK;
}

enum perm_relationship ffollow_relation(enum perm_relationship cur, const struct ffollow *out,
                                        const struct ffollow *in)
{
	if (cur == PERM_REL_BLOCKED || cur == PERM_REL_BLOCKED_OTHER || cur == PERM_REL_USER)
		return cur;
	if (!out && !in)
		return PERM_REL_NONE;
	if (!out)
		return PERM_REL_INCOMING;
	if (!in)
		return PERM_REL_OUTGOING;
	if (out->state == FFOLLOW_ACCEPTED && in->state == FFOLLOW_ACCEPTED)
		return PERM_REL_FRIEND;
	if (cur == PERM_REL_FRIEND)
		return PERM_REL_FRIEND;
	return in->state == FFOLLOW_PENDING ? PERM_REL_INCOMING : PERM_REL_OUTGOING;
}

enum perm_relationship ffollow_relation_mirror(enum perm_relationship r)
{
	switch (r) {
	case PERM_REL_OUTGOING:
		return PERM_REL_INCOMING;
	case PERM_REL_INCOMING:
		return PERM_REL_OUTGOING;
	case PERM_REL_BLOCKED:
		return PERM_REL_BLOCKED_OTHER;
	case PERM_REL_BLOCKED_OTHER:
		return PERM_REL_BLOCKED;
	default:
		return r;
	}
}
