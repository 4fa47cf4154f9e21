/*
 * api/users_edit.c: PATCH /users/{target} (DataEditUser) and PATCH
 * /users/@me/username (backend crates/delta/src/routes/users/edit_user.rs,
 * change_username.rs; User::update, update_username, find_discriminator).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_int.h"
#include "api/users_int.h"
#include "app.h"
#include "auth/account.h"
#include "auth/username.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/ulid.h"
#include "federation/outbox.h"
#include "files/file.h"
#include "storage/store.h"
#include "users/user.h"

/* validator limits of DataEditUser / DataChangeUsername, in code points */
#define DISPLAY_NAME_MIN 2
#define DISPLAY_NAME_MAX 32
#define FILE_ID_MAX 128
#define STATUS_TEXT_MAX 128
#define PROFILE_CONTENT_MAX 2000
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

static const char *const fields_user[] = {
    "Avatar",      "StatusText", "StatusPresence", "ProfileContent", "ProfileBackground",
    "DisplayName", "Internal",
};
static const char *const presences[] = {"Online", "Idle", "Focus", "Busy", "Invisible"};

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

/* A string field of `o` with min..max code points; absent/null is fine. */
static enum err text_field(struct req_ctx *ctx, const json_t *o, const char *key, size_t min,
                           size_t max)
{
	const json_t *v = json_object_get(o, key);
	size_t n;

	if (!v || json_is_null(v))
		return SE_OK;
	if (!json_is_string(v))
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "'%s' must be a string", key);
	n = code_points(json_string_value(v));
	if (n < min || n > max)
		return SE_RAISEF(&ctx->ei, SE_FailedValidation, "%s: length must be %zu-%zu", key,
		                 min, max);
	return SE_OK;
}

static bool present(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v && !json_is_null(v);
}

/* DataEditUser's validator, in the backend's terms (FailedValidation). */
static enum err validate_edit(struct req_ctx *ctx, const json_t *body)
{
	const json_t *status = json_object_get(body, "status");
	const json_t *profile = json_object_get(body, "profile");
	const json_t *remove = json_object_get(body, "remove"), *x;
	const char *dn = json_string_value(json_object_get(body, "display_name"));
	enum err rc;
	size_t i;

	rc = text_field(ctx, body, "display_name", DISPLAY_NAME_MIN, DISPLAY_NAME_MAX);
	if (!rc && dn && (strstr(dn, "\xE2\x80\x8B") || strpbrk(dn, "\r\n")))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "display_name: invalid characters");
	if (!rc)
		rc = text_field(ctx, body, "avatar", 1, FILE_ID_MAX);
	if (!rc && present(body, "status") && !json_is_object(status))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'status' must be an object");
	if (!rc && json_is_object(status))
		rc = text_field(ctx, status, "text", 0, STATUS_TEXT_MAX);
	x = json_object_get(status, "presence");
	if (!rc && x && !json_is_null(x) &&
	    !one_of(json_string_value(x), presences, sizeof(presences) / sizeof(*presences)))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "status.presence: unknown variant");
	if (!rc && present(body, "profile") && !json_is_object(profile))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'profile' must be an object");
	if (!rc && json_is_object(profile))
		rc = text_field(ctx, profile, "content", 0, PROFILE_CONTENT_MAX);
	if (!rc && json_is_object(profile))
		rc = text_field(ctx, profile, "background", 1, FILE_ID_MAX);
	if (!rc &&
	    ((present(body, "badges") && !json_is_integer(json_object_get(body, "badges"))) ||
	     (present(body, "flags") && !json_is_integer(json_object_get(body, "flags")))))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "badges and flags must be integers");
	if (!rc && present(body, "remove") && !json_is_array(remove))
		rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "'remove' must be an array");
	json_array_foreach(remove, i, x)
	{
		if (rc)
			break;
		if (!one_of(json_string_value(x), fields_user,
		            sizeof(fields_user) / sizeof(*fields_user)))
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation, "remove: unknown field");
	}
	return rc;
}

static void del_in(json_t *rec, const char *obj, const char *key)
{
	json_t *o = json_object_get(rec, obj);

	json_object_del(o, key);
	if (json_is_object(o) && json_object_size(o) == 0)
		json_object_del(rec, obj);
}

/* User::remove_field for one FieldsUser name. */
static void remove_field(json_t *rec, const char *f)
{
	if (strcmp(f, "Avatar") == 0)
		json_object_del(rec, "avatar");
	else if (strcmp(f, "StatusText") == 0)
		del_in(rec, "status", "text");
	else if (strcmp(f, "StatusPresence") == 0)
		del_in(rec, "status", "presence");
	else if (strcmp(f, "ProfileContent") == 0)
		del_in(rec, "profile", "content");
	else if (strcmp(f, "ProfileBackground") == 0)
		del_in(rec, "profile", "background");
	else if (strcmp(f, "DisplayName") == 0)
		json_object_del(rec, "display_name");
}

/* Merge the fields of `in` (stored names) into rec[obj]; null fields are skipped. */
static int merge(json_t *rec, const char *obj, const json_t *in, const char *const *keys, size_t n)
{
	json_t *o = json_object_get(rec, obj);

	if (!json_is_object(o)) {
		o = json_object();
		if (!o || json_object_set_new(rec, obj, o))
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(in, keys[i]);

		if (v && !json_is_null(v) && json_object_set(o, keys[i], v))
			return -1;
	}
	if (json_object_size(o) == 0)
		json_object_del(rec, obj);
	return 0;
}

struct edit_op {
	struct str id;
	const json_t *body;
	const char *avatar_id, *background_id; /* files to claim (files/file.h), or NULL */
	json_t *avatar, *background;           /* claimed File objects, or NULL */
	json_t *rec;                           /* out: the record after the edit */
	json_t *data;                          /* out: UserUpdate.data */
};

static enum err edit_fn(struct store_wtxn *w, void *arg)
{
	static const char *const status_keys[] = {"text", "presence"};
	static const char *const profile_keys[] = {"content", "background"};
	struct edit_op *op = arg;
	const json_t *b = op->body, *x;
	json_t *rec = NULL, *data = json_object(), *prof = NULL;
	enum err rc = user_load(store_wtxn_read(w), op->id, &rec);
	size_t i;
	int bad = 0;

	if (rc || !data) {
		rc = rc ? rc : SE_NOMEM;
		goto out;
	}
	/* files hook: claimed in this write, so a failed edit attaches nothing */
	json_decref(op->avatar);
	json_decref(op->background);
	op->avatar = op->background = NULL;
	if (op->avatar_id)
		rc = file_claim(w, str_from(op->avatar_id), "avatars", "UserAvatar", op->id,
		                &op->avatar);
	if (!rc && op->background_id)
		rc = file_claim(w, str_from(op->background_id), "backgrounds",
		                "UserProfileBackground", op->id, &op->background);
	if (rc)
		goto out;
	json_array_foreach(json_object_get(b, "remove"), i, x)
	    remove_field(rec, json_string_value(x));
	if (present(b, "display_name"))
		bad |= json_object_set(rec, "display_name", json_object_get(b, "display_name"));
	if (op->avatar)
		bad |= json_object_set(rec, "avatar", op->avatar);
	if (present(b, "badges"))
		bad |= json_object_set(rec, "badges", json_object_get(b, "badges"));
	if (json_is_object(json_object_get(b, "status")))
		bad |= merge(rec, "status", json_object_get(b, "status"), status_keys, 2);
	if (json_is_object(json_object_get(b, "profile"))) {
		prof = json_pack("{s:O?, s:O?}", "content",
		                 json_object_get(json_object_get(b, "profile"), "content"),
		                 "background", op->background);
		bad |= !prof || merge(rec, "profile", prof, profile_keys, 2);
	}
	if (present(b, "flags"))
		bad |= json_object_set(rec, "flags", json_object_get(b, "flags"));
	/* UserUpdate.data: PartialUser in the v0 field order */
	if (present(b, "display_name"))
		bad |= json_object_set(data, "display_name", json_object_get(rec, "display_name"));
	if (op->avatar)
		bad |= json_object_set(data, "avatar", op->avatar);
	if (present(b, "badges"))
		bad |= json_object_set(data, "badges", json_object_get(rec, "badges"));
	if (json_is_object(json_object_get(b, "status")) && json_object_get(rec, "status"))
		bad |= json_object_set(data, "status", json_object_get(rec, "status"));
	if (present(b, "flags"))
		bad |= json_object_set(data, "flags", json_object_get(rec, "flags"));
	if (bad) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = user_save(w, rec);
out:
	json_decref(prof);
	json_decref(op->rec);
	json_decref(op->data);
	op->rec = rc ? NULL : rec;
	op->data = rc ? NULL : data;
	if (rc) {
		json_decref(rec);
		json_decref(data);
	}
	return rc;
}

static bool changes_nothing(const json_t *b)
{
	static const char *const keys[] = {"display_name", "status", "profile", "avatar", "badges"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (present(b, keys[i]))
			return false;
	return !present(b, "flags") && json_array_size(json_object_get(b, "remove")) == 0;
}

/* Resolve the edited user: self, a bot the caller owns, or anyone for staff. */
static enum err edit_target(struct req_ctx *ctx, const json_t *body, json_t **target)
{
	struct str id = ctx->req->params[0];
	struct store_txn *txn = NULL;
	json_t *me = NULL, *t = NULL;
	enum err rc = store_read_begin(api_app(ctx)->store, &txn);
	const char *owner;

	if (rc)
		return SE_RAISE(&ctx->ei, rc);
	rc = api_users_caller(ctx, txn, &me);
	if (!rc && !user_is_privileged(me) && (present(body, "badges") || present(body, "flags")))
		rc = SE_RAISE(&ctx->ei, SE_NotPrivileged);
	if (!rc && !str_eq(id, STR_LIT("@me")) && !str_eq(id, str_from(user_id_of(me)))) {
		rc = api_users_load(ctx, txn, id, &t);
		owner = t ? user_bot_owner(t) : NULL;
		if (!rc && !(owner && strcmp(owner, user_id_of(me)) == 0) &&
		    !user_is_privileged(me))
			rc = SE_RAISE(&ctx->ei, SE_NotPrivileged);
	}
	store_read_end(txn);
	if (!rc && !t) {
		t = me;
		me = NULL;
	}
	json_decref(me);
	if (rc)
		json_decref(t);
	else
		*target = t;
	return rc;
}

/* UserUpdate {id, data, clear, event_id} (new reference; NULL on OOM). */
static json_t *user_update_event(const char *id, json_t *data, const json_t *clear)
{
	struct ulid u;
	char eid[ULID_LEN + 1];

	if (ulid_generate(NULL, &u))
		return NULL;
	ulid_encode(&u, eid);
	return json_pack("{s:s, s:s, s:O, s:o, s:s}", "type", "UserUpdate", "id", id, "data", data,
	                 "clear", clear ? json_deep_copy(clear) : json_array(), "event_id", eid);
}

enum err api_users_edit(struct req_ctx *ctx)
{
	struct edit_op op = {STR_NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	json_t *body = NULL, *target = NULL, *v, *ev;
	enum err rc = api_body(ctx, &body);

	if (!rc)
		rc = validate_edit(ctx, body);
	if (!rc)
		rc = edit_target(ctx, body, &target);
	if (rc)
		goto out;
	op.id = str_from(user_id_of(target));
	if (changes_nothing(body)) {
		v = user_view_self(target, api_users_online(api_app(ctx), user_id_of(target)));
		rc = v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
		goto out;
	}
	/* files hook: the files are claimed inside edit_fn (file_claim) */
	op.avatar_id = json_string_value(json_object_get(body, "avatar"));
	op.background_id =
	    json_string_value(json_object_get(json_object_get(body, "profile"), "background"));
	op.body = body;
	if (!rc)
		rc = store_write(api_app(ctx)->store, edit_fn, &op, &ctx->ei);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_UnknownUser : rc);
		goto out;
	}
	ev = user_update_event(user_id_of(op.rec), op.data, json_object_get(body, "remove"));
	if (ev)
		api_users_publish_user(api_app(ctx), user_id_of(op.rec), ev);
	/* display name, avatar, background, bio, status: Update{Person} to followers */
	if (fout_profile_update(api_app(ctx)->fed, str_from(user_id_of(op.rec)), NULL))
		log_warn("api: cannot federate the profile update of '%s'", user_id_of(op.rec));
	v = user_view_self(op.rec, api_users_online(api_app(ctx), user_id_of(op.rec)));
	rc = v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
out:
	json_decref(op.avatar);
	json_decref(op.background);
	json_decref(op.rec);
	json_decref(op.data);
	json_decref(target);
	json_decref(body);
	return rc;
}

struct username_op {
	struct str id, username;
	int64_t now_ms;
	json_t *rec;  /* out: the record after the change */
	json_t *data; /* out: UserUpdate.data */
};

struct taken_arg {
	struct store_txn *txn;
	struct str username;
};

static bool taken(void *arg, unsigned d)
{
	struct taken_arg *t = arg;

	return user_tag_taken(t->txn, t->username, d);
}

static bool same_ci(struct str a, const char *b)
{
	return b && a.n == strlen(b) && strncasecmp(a.p, b, a.n) == 0;
}

/*
 * find_discriminator with the current one preferred: kept when free under
 * the new name; otherwise a random one, at most once per 24 hours.
 */
static enum err pick_discriminator(struct store_wtxn *w, struct username_op *op, const char *cur,
                                   char out[5])
{
	struct taken_arg t = {store_wtxn_read(w), op->username};
	char rl_id[STORE_ID_MAX];
	struct str rec;
	json_t *ev;
	char *text;
	enum err rc;
	unsigned d = 0;

	for (const char *p = cur; *p >= '0' && *p <= '9' && p - cur < 4; p++)
		d = d * 10 + (unsigned)(*p - '0');
	if (strlen(cur) == 4 && uname_discriminator_allowed(d) && !taken(&t, d)) {
		memcpy(out, cur, 5);
		return SE_OK;
	}
	snprintf(rl_id, sizeof(rl_id), "%.*s/DiscriminatorChange", (int)op->id.n, op->id.p);
	rc = store_get(t.txn, USER_RL_COLL, str_from(rl_id), &rec);
	if (rc == SE_OK) {
		json_t *o = json_loadb(rec.p, rec.n, 0, NULL);
		int64_t at = json_integer_value(json_object_get(o, "at"));

		json_decref(o);
		if (op->now_ms - at < USER_DISCRIM_CHANGE_MS)
			return SE_DiscriminatorChangeRatelimited;
	} else if (rc != SE_NOT_FOUND) {
		return rc;
	}
	rc = uname_discriminator_pick(taken, &t, out);
	if (rc)
		return rc;
	ev = json_pack("{s:s, s:s%, s:s, s:I}", "_id", rl_id, "target_id", op->id.p, op->id.n,
	               "event_type", "DiscriminatorChange", "at", (json_int_t)op->now_ms);
	text = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(ev);
	rc = text ? store_put(w, USER_RL_COLL, str_from(rl_id), str_from(text)) : SE_NOMEM;
	mem_free(text);
	return rc;
}

static enum err username_fn(struct store_wtxn *w, void *arg)
{
	struct username_op *op = arg;
	json_t *rec = NULL, *data = NULL;
	char disc[5];
	const char *cur;
	enum err rc = user_load(store_wtxn_read(w), op->id, &rec);

	if (rc)
		goto out;
	cur = json_string_value(json_object_get(rec, "discriminator"));
	if (same_ci(op->username, json_string_value(json_object_get(rec, "username")))) {
		data = json_pack("{s:s%}", "username", op->username.p, op->username.n);
	} else {
		rc = pick_discriminator(w, op, cur ? cur : "", disc);
		if (rc)
			goto out;
		data = json_pack("{s:s%, s:s}", "username", op->username.p, op->username.n,
		                 "discriminator", disc);
	}
	if (!data || json_object_update(rec, data)) {
		rc = SE_NOMEM;
		goto out;
	}
	rc = user_save(w, rec);
	if (rc == SE_EXISTS)
		rc = SE_UsernameTaken;
out:
	json_decref(op->rec);
	json_decref(op->data);
	op->rec = rc ? NULL : rec;
	op->data = rc ? NULL : data;
	if (rc) {
		json_decref(rec);
		json_decref(data);
	}
	return rc;
}

enum err api_users_change_username(struct req_ctx *ctx)
{
	struct username_op op = {str_from(api_who(ctx)->user_id), STR_NULL, 0, NULL, NULL};
	struct user_view_opts vo = {PERM_REL_NONE, false, false, false};
	json_t *body = NULL, *acct = NULL, *v, *ev;
	struct str pw;
	size_t n;
	enum err rc = api_body(ctx, &body), name_rc = SE_OK;

	if (!rc)
		rc = api_str(ctx, body, "username", 4 * UNAME_MAX, &op.username);
	if (!rc)
		rc = api_str(ctx, body, "password", 4 * PASSWORD_MAX, &pw);
	if (!rc) {
		name_rc = uname_validate(op.username);
		n = code_points(json_string_value(json_object_get(body, "password")));
		if (name_rc == SE_INVAL || n < PASSWORD_MIN || n > PASSWORD_MAX)
			rc = SE_RAISEF(&ctx->ei, SE_FailedValidation,
			               name_rc == SE_INVAL ? "username: invalid"
			                                   : "password: length");
	}
	if (!rc)
		rc = api_caller_account(ctx, &acct);
	if (!rc && !account_password_ok(acct, pw))
		rc = SE_RAISE(&ctx->ei, SE_InvalidCredentials);
	/* reserved names and look-alikes are refused after the password check */
	if (!rc && name_rc)
		rc = SE_RAISE(&ctx->ei, name_rc);
	if (rc)
		goto out;
	op.now_ms = api_now_ms();
	rc = store_write(api_app(ctx)->store, username_fn, &op, &ctx->ei);
	if (rc) {
		rc = SE_RAISE(&ctx->ei, rc == SE_NOT_FOUND ? SE_InvalidSession : rc);
		goto out;
	}
	ev = user_update_event(user_id_of(op.rec), op.data, NULL);
	if (ev)
		api_users_publish_user(api_app(ctx), user_id_of(op.rec), ev);
	/* a new handle (preferredUsername) for the followers too */
	if (fout_profile_update(api_app(ctx)->fed, str_from(user_id_of(op.rec)), NULL))
		log_warn("api: cannot federate the username change of '%s'", user_id_of(op.rec));
	/* the backend renders this one without a perspective (User::into(db, None)) */
	v = user_view(op.rec, &vo);
	rc = v ? api_json(ctx, 200, v) : SE_RAISE(&ctx->ei, SE_NOMEM);
out:
	json_decref(op.rec);
	json_decref(op.data);
	json_decref(acct);
	json_decref(body);
	return rc;
}
