/*
 * http/ratelimit.c: Revolt's rate limiter (REVOLT.md section 15; bucket rules
 * from revoltchat/backend crates/delta/src/util/ratelimits.rs and
 * crates/services/autumn/src/ratelimits.rs, window rules from
 * crates/core/ratelimits/src/ratelimiter.rs) over a sharded, bounded,
 * open-addressing table of fixed windows.
 */
#include "http/ratelimit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "core/crypto.h"
#include "core/mem.h"

/*
 * One window. key 0 marks an empty slot (a real hash of 0 is stored as 1).
 * reset_ms is when the window ends.
 */
struct slot {
	uint64_t key;
	int64_t reset_ms;
	uint32_t used;
};

struct shard {
	pthread_mutex_t mu;
	struct slot *slots;
	size_t mask; /* slots - 1; slots is a power of two */
	size_t count;
	size_t max;            /* count never exceeds this (load <= 3/4) */
	int64_t last_sweep_ms; /* periodic sweep: once per window */
	int64_t min_reset_ms;  /* no window ends before this: skip sweeps when full */
	uint64_t fail_open, reclaimed;
} __attribute__((aligned(64)));

struct rl {
	bool enabled;
	int64_t window_ms;
	uint32_t limits[RL_BUCKET__COUNT];
	unsigned char key[16];
	size_t max_entries;
	struct shard shards[RL_SHARDS];
};

static const char *const bucket_names[RL_BUCKET__COUNT] = {
    [RL_B_USER_EDIT] = "user_edit",
    [RL_B_USERS] = "users",
    [RL_B_DEFAULT_AVATAR] = "default_avatar",
    [RL_B_BOTS] = "bots",
    [RL_B_MESSAGING] = "messaging",
    [RL_B_CHANNELS] = "channels",
    [RL_B_SERVERS] = "servers",
    [RL_B_AUTH] = "auth",
    [RL_B_AUTH_DELETE] = "auth_delete",
    [RL_B_SWAGGER] = "swagger",
    [RL_B_SAFETY_REPORT] = "safety_report",
    [RL_B_SAFETY] = "safety",
    [RL_B_ANY] = "any",
    [RL_B_UPLOAD] = "upload",
    [RL_B_UNLIMITED] = "any",
};

const char *rl_bucket_name(enum rl_bucket b)
{
	return (unsigned)b < RL_BUCKET__COUNT ? bucket_names[b] : "any";
}

/* ---- classification ---- */

/* The next non-empty '/'-separated segment of *rest; empty at the end. */
static struct str next_segment(struct str *rest)
{
	struct str seg = STR_NULL;

	while (rest->n && !seg.n)
		seg = str_cut(rest, '/');
	return seg;
}

static void set(struct rl_key_parts *out, enum rl_bucket b, struct str resource)
{
	out->bucket = b;
	out->name = bucket_names[b];
	out->resource = resource;
}

void rl_classify(enum http_method m, struct str revolt_path, struct rl_key_parts *out)
{
	struct str rest = revolt_path;
	struct str seg, res, extra;

	if (!rest.p)
		rest.n = 0;
	seg = next_segment(&rest);
	/* delta mounts every route at "/" and "/0.8"; its fairing skips one "0.8" */
	if (str_eq_cstr(seg, "0.8"))
		seg = next_segment(&rest);
	res = next_segment(&rest);
	extra = next_segment(&rest);

	if (str_eq_cstr(seg, "users")) {
		if (m == HTTP_PATCH)
			set(out, RL_B_USER_EDIT, res);
		else if (str_eq_cstr(extra, "default_avatar"))
			set(out, RL_B_DEFAULT_AVATAR, STR_NULL);
		else
			set(out, RL_B_USERS, STR_NULL);
	} else if (str_eq_cstr(seg, "bots")) {
		set(out, RL_B_BOTS, STR_NULL);
	} else if (str_eq_cstr(seg, "channels") && res.n) {
		if (m == HTTP_POST && str_eq_cstr(extra, "messages"))
			set(out, RL_B_MESSAGING, res);
		else
			set(out, RL_B_CHANNELS, res);
	} else if (str_eq_cstr(seg, "servers") && res.n) {
		set(out, RL_B_SERVERS, res);
	} else if (str_eq_cstr(seg, "auth")) {
		set(out, m == HTTP_DELETE ? RL_B_AUTH_DELETE : RL_B_AUTH, STR_NULL);
	} else if (str_eq_cstr(seg, "swagger")) {
		set(out, RL_B_SWAGGER, STR_NULL);
	} else if (str_eq_cstr(seg, "safety")) {
		/* delta keys this bucket with the literal "report" as resource */
		if (str_eq_cstr(res, "report"))
			set(out, RL_B_SAFETY_REPORT, STR_LIT("report"));
		else
			set(out, RL_B_SAFETY, STR_NULL);
	} else {
		set(out, RL_B_ANY, STR_NULL);
	}
}

bool rl_path_counted(struct str path)
{
	static const struct str api = STR_LIT("/api");

	if (!path.p || !str_has_prefix(path, api))
		return false;
	return path.n == api.n || path.p[api.n] == '/';
}

void rl_classify_autumn(enum http_method m, struct str autumn_path, struct rl_key_parts *out)
{
	struct str rest = autumn_path;
	struct str tag;

	if (!rest.p)
		rest.n = 0;
	/*
	 * autumn: path.trim_matches('/').split_terminator('/') must be exactly
	 * [tag]; outer slashes are trimmed, inner empty segments count
	 */
	while (rest.n && rest.p[0] == '/') {
		rest.p++;
		rest.n--;
	}
	while (rest.n && rest.p[rest.n - 1] == '/')
		rest.n--;
	tag = rest;
	if (m == HTTP_POST && tag.n && str_index(tag, '/') < 0)
		set(out, RL_B_UPLOAD, tag);
	else
		set(out, RL_B_UNLIMITED, STR_NULL);
}

/* ---- lifecycle ---- */

enum err rl_new_bounded(const struct cfg_ratelimit *cfg, size_t max_entries, struct rl **out)
{
	struct rl *rl = xcalloc(1, sizeof(*rl));
	size_t per_shard, cap;

	rl->enabled = cfg->enabled;
	rl->window_ms = cfg->window_ms ? cfg->window_ms : 1;
	rl->limits[RL_B_USER_EDIT] = cfg->user_edit;
	rl->limits[RL_B_USERS] = cfg->users;
	rl->limits[RL_B_DEFAULT_AVATAR] = cfg->default_avatar;
	rl->limits[RL_B_BOTS] = cfg->bots;
	rl->limits[RL_B_MESSAGING] = cfg->messaging;
	rl->limits[RL_B_CHANNELS] = cfg->channels;
	rl->limits[RL_B_SERVERS] = cfg->servers;
	rl->limits[RL_B_AUTH] = cfg->auth;
	rl->limits[RL_B_AUTH_DELETE] = cfg->auth_delete;
	rl->limits[RL_B_SWAGGER] = cfg->swagger;
	rl->limits[RL_B_SAFETY_REPORT] = cfg->safety_report;
	rl->limits[RL_B_SAFETY] = cfg->safety;
	rl->limits[RL_B_ANY] = cfg->any;
	rl->limits[RL_B_UPLOAD] = cfg->upload;
	rl->limits[RL_B_UNLIMITED] = UINT32_MAX;
	cry_random(rl->key, sizeof(rl->key));

	if (max_entries < 1)
		max_entries = 1;
	per_shard = (max_entries + RL_SHARDS - 1) / RL_SHARDS;
	rl->max_entries = per_shard * RL_SHARDS;
	/* load factor at most 3/4 keeps linear probes short and always ends them */
	cap = 4;
	while (cap / 4 * 3 < per_shard)
		cap *= 2;
	for (size_t i = 0; i < RL_SHARDS; i++) {
		struct shard *sh = &rl->shards[i];

		pthread_mutex_init(&sh->mu, NULL);
		sh->max = per_shard;
		sh->mask = cap - 1;
		/* a disabled limiter never touches its shards: keep them empty */
		if (rl->enabled)
			sh->slots = xcalloc(cap, sizeof(*sh->slots));
	}
	*out = rl;
	return SE_OK;
}

enum err rl_new(const struct cfg_ratelimit *cfg, struct rl **out)
{
	return rl_new_bounded(cfg, RL_MAX_ENTRIES_DEFAULT, out);
}

void rl_free(struct rl *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < RL_SHARDS; i++) {
		pthread_mutex_destroy(&rl->shards[i].mu);
		mem_free(rl->shards[i].slots);
	}
	mem_free(rl);
}

uint32_t rl_limit(const struct rl *rl, enum rl_bucket b)
{
	if ((unsigned)b >= RL_BUCKET__COUNT || b == RL_B_UNLIMITED)
		return UINT32_MAX;
	return rl->limits[b];
}

/* ---- the table ---- */

/*
 * The key hashes each variable-length part on its own and then the fixed
 * triple, so ("ab", "c") and ("a", "bc") cannot meet (delta concatenates).
 */
static uint64_t key_hash(const struct rl *rl, struct str identifier,
                         const struct rl_key_parts *parts)
{
	unsigned char b[17];
	uint64_t h;

	h = cry_shorthash(rl->key, identifier.n ? identifier.p : "", identifier.n);
	memcpy(b, &h, 8);
	b[8] = (unsigned char)parts->bucket;
	h = cry_shorthash(rl->key, parts->resource.n ? parts->resource.p : "", parts->resource.n);
	memcpy(b + 9, &h, 8);
	return cry_shorthash(rl->key, b, sizeof(b));
}

static bool expired(const struct rl *rl, const struct slot *s, int64_t now)
{
	/* a clock that went backwards past the window start also ends it */
	return now >= s->reset_ms || now < s->reset_ms - rl->window_ms;
}

/* Backward-shift deletion: no tombstones, probe chains stay intact. */
static void slot_delete(struct shard *sh, size_t i)
{
	size_t j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & sh->mask;
		if (sh->slots[j].key == 0)
			break;
		home = sh->slots[j].key & sh->mask;
		/* leave the entry if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		sh->slots[i] = sh->slots[j];
		i = j;
	}
	sh->slots[i].key = 0;
	sh->count--;
}

static void sweep(const struct rl *rl, struct shard *sh, int64_t now)
{
	int64_t min_reset = now + rl->window_ms;
	size_t i = 0;

	while (i <= sh->mask) {
		struct slot *s = &sh->slots[i];

		if (s->key && expired(rl, s, now)) {
			/* an entry may shift into slot i: look at it again */
			slot_delete(sh, i);
			sh->reclaimed++;
			continue;
		}
		if (s->key && s->reset_ms < min_reset)
			min_reset = s->reset_ms;
		i++;
	}
	sh->last_sweep_ms = now;
	sh->min_reset_ms = min_reset;
}

/* The slot of `key`, or NULL after inserting failed (the shard is full). */
static struct slot *slot_get(const struct rl *rl, struct shard *sh, uint64_t key, int64_t now)
{
	size_t i = key & sh->mask;

	while (sh->slots[i].key) {
		if (sh->slots[i].key == key)
			return &sh->slots[i];
		i = (i + 1) & sh->mask;
	}
	if (sh->count >= sh->max ? now >= sh->min_reset_ms
	                         : now - sh->last_sweep_ms >= rl->window_ms) {
		sweep(rl, sh, now);
		/* the sweep may have moved entries: find the free slot again */
		i = key & sh->mask;
		while (sh->slots[i].key)
			i = (i + 1) & sh->mask;
	}
	if (sh->count >= sh->max)
		return NULL;
	sh->count++;
	sh->slots[i].key = key;
	sh->slots[i].used = 0;
	sh->slots[i].reset_ms = now + rl->window_ms;
	return &sh->slots[i];
}

enum err rl_hit(struct rl *rl, struct str identifier, const struct rl_key_parts *parts,
                int64_t now_ms, struct rl_result *out)
{
	struct shard *sh;
	struct slot *s;
	uint64_t key;
	uint32_t limit;

	memset(out, 0, sizeof(*out));
	out->allowed = true;
	if (!rl || !rl->enabled || (unsigned)parts->bucket >= RL_BUCKET__COUNT ||
	    parts->bucket == RL_B_UNLIMITED)
		return SE_OK;

	limit = rl->limits[parts->bucket];
	out->enforced = true;
	out->limit = limit;
	out->bucket_hash = key_hash(rl, identifier, parts);
	key = out->bucket_hash ? out->bucket_hash : 1;
	/* the top bits pick the shard, the low bits the slot */
	sh = &rl->shards[key >> 58 & (RL_SHARDS - 1)];

	pthread_mutex_lock(&sh->mu);
	s = slot_get(rl, sh, key, now_ms);
	if (!s) {
		/* full and nothing expired: allow, report a fresh window */
		sh->fail_open++;
		out->remaining = limit ? limit - 1 : 0;
		out->reset_after_ms = (uint64_t)rl->window_ms;
		goto out;
	}
	if (expired(rl, s, now_ms)) {
		/* the window starts with the first request after the last one ended */
		s->used = 0;
		s->reset_ms = now_ms + rl->window_ms;
	}
	if (s->used >= limit) {
		out->allowed = false;
		out->remaining = 0;
	} else {
		s->used++;
		out->remaining = limit - s->used;
	}
	out->reset_after_ms = (uint64_t)(s->reset_ms - now_ms);
out:
	pthread_mutex_unlock(&sh->mu);
	return SE_OK;
}

void rl_stats(struct rl *rl, struct rl_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!rl)
		return;
	out->max_entries = rl->max_entries;
	for (size_t i = 0; i < RL_SHARDS; i++) {
		struct shard *sh = &rl->shards[i];

		pthread_mutex_lock(&sh->mu);
		out->entries += sh->count;
		out->fail_open += sh->fail_open;
		out->reclaimed += sh->reclaimed;
		pthread_mutex_unlock(&sh->mu);
	}
}

/* ---- responses ---- */

void rl_headers(const struct rl_result *r, struct http_resp *resp)
{
	char v[24];

	if (!r->enforced)
		return;
	snprintf(v, sizeof(v), "%" PRIu32, r->limit);
	http_resp_header(resp, "X-RateLimit-Limit", v);
	snprintf(v, sizeof(v), "%" PRIu64, r->bucket_hash);
	http_resp_header(resp, "X-RateLimit-Bucket", v);
	snprintf(v, sizeof(v), "%" PRIu32, r->remaining);
	http_resp_header(resp, "X-RateLimit-Remaining", v);
	snprintf(v, sizeof(v), "%" PRIu64, r->reset_after_ms);
	http_resp_header(resp, "X-RateLimit-Reset-After", v);
}

void rl_deny(const struct rl_result *r, struct http_resp *resp)
{
	char body[48];
	int n = snprintf(body, sizeof(body), "{\"retry_after\":%" PRIu64 "}", r->reset_after_ms);

	http_resp_set(resp, 429, "application/json", (struct str){body, (size_t)n});
}
