/*
 * federation/resolve_cache.c: the resolver's negative cache (10 minutes per
 * failing URL, as fedify does), per-host breaker (FRES_BREAKER_FAILS
 * consecutive failures open it for FRES_NEGATIVE_MS) and parsed-key cache.
 * Direct-mapped tables: bounded memory whatever remote input does.
 */
#include "federation/resolve_int.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "federation/keys.h"

struct neg_slot {
	uint64_t h;
	int64_t until;
};

struct host_slot {
	uint64_t h;
	unsigned fails;
	int64_t open_until;
};

struct key_slot {
	uint64_t h;
	char *key_id; /* owned */
	void *evp;    /* one reference */
	char user_id[32];
	char *actor_id; /* owned */
	uint64_t actor_h;
	int64_t at;
};

struct refresh_slot {
	uint64_t h;
	int64_t at;
};

struct fres_cache {
	pthread_mutex_t mu;
	struct neg_slot neg[FRES_NEG_SLOTS];
	struct host_slot host[FRES_HOST_SLOTS];
	struct key_slot key[FRES_KEY_SLOTS];
	struct refresh_slot refresh[FRES_HOST_SLOTS];
	unsigned inflight;
};

/* FNV-1a 64; 0 is reserved for "empty". */
static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

struct fres_cache *fres_cache_new(void)
{
	struct fres_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void key_clear(struct key_slot *k)
{
	fkeys_pkey_free(k->evp);
	mem_free(k->key_id);
	mem_free(k->actor_id);
	memset(k, 0, sizeof(*k));
}

void fres_cache_free(struct fres_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < FRES_KEY_SLOTS; i++)
		key_clear(&c->key[i]);
	pthread_mutex_destroy(&c->mu);
	mem_free(c);
}

bool fres_cache_fetch_begin(struct fres_cache *c)
{
	bool ok;

	if (!c)
		return true;
	pthread_mutex_lock(&c->mu);
	ok = c->inflight < FRES_INFLIGHT_MAX;
	if (ok)
		c->inflight++;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void fres_cache_fetch_end(struct fres_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->inflight > 0)
		c->inflight--;
	pthread_mutex_unlock(&c->mu);
}

bool fres_cache_negative(struct fres_cache *c, const char *url, int64_t now_ms)
{
	uint64_t h = hash(url);
	struct neg_slot *s;
	bool hit;

	if (!c)
		return false;
	pthread_mutex_lock(&c->mu);
	s = &c->neg[h % FRES_NEG_SLOTS];
	hit = s->h == h && s->until > now_ms;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void fres_cache_fail(struct fres_cache *c, const char *url, const char *host, int64_t now_ms)
{
	uint64_t h = hash(url), hh = hash(host);
	struct host_slot *hs;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->neg[h % FRES_NEG_SLOTS] = (struct neg_slot){h, now_ms + FRES_NEGATIVE_MS};
	hs = &c->host[hh % FRES_HOST_SLOTS];
	if (hs->h != hh)
		*hs = (struct host_slot){hh, 0, 0};
	if (++hs->fails >= FRES_BREAKER_FAILS)
		hs->open_until = now_ms + FRES_NEGATIVE_MS;
	pthread_mutex_unlock(&c->mu);
}

void fres_cache_ok(struct fres_cache *c, const char *url, const char *host)
{
	uint64_t h = hash(url), hh = hash(host);
	struct host_slot *hs;
	struct neg_slot *ns;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	hs = &c->host[hh % FRES_HOST_SLOTS];
	if (hs->h == hh)
		*hs = (struct host_slot){0, 0, 0};
	ns = &c->neg[h % FRES_NEG_SLOTS];
	if (ns->h == h)
		*ns = (struct neg_slot){0, 0};
	pthread_mutex_unlock(&c->mu);
}

bool fres_cache_host_open(struct fres_cache *c, const char *host, int64_t now_ms)
{
	uint64_t hh = hash(host);
	struct host_slot *hs;
	bool open;

	if (!c)
		return false;
	pthread_mutex_lock(&c->mu);
	hs = &c->host[hh % FRES_HOST_SLOTS];
	open = hs->h == hh && hs->open_until > now_ms;
	pthread_mutex_unlock(&c->mu);
	return open;
}

bool fres_cache_refresh_too_soon(struct fres_cache *c, const char *actor, int64_t now_ms)
{
	uint64_t h = hash(actor);
	struct refresh_slot *s;
	bool soon;

	if (!c)
		return false;
	pthread_mutex_lock(&c->mu);
	s = &c->refresh[h % FRES_HOST_SLOTS];
	soon = s->h == h && now_ms - s->at < FRES_REFRESH_MIN_MS;
	if (!soon)
		*s = (struct refresh_slot){h, now_ms};
	pthread_mutex_unlock(&c->mu);
	return soon;
}

bool fres_cache_key_get(struct fres_cache *c, const char *key_id, int64_t now_ms, void **evp,
                        char user_id[32], char actor_id[2048])
{
	uint64_t h = hash(key_id);
	struct key_slot *k;
	bool hit = false;

	if (!c)
		return false;
	pthread_mutex_lock(&c->mu);
	k = &c->key[h % FRES_KEY_SLOTS];
	if (k->h == h && k->key_id && strcmp(k->key_id, key_id) == 0 &&
	    now_ms - k->at < FRES_KEY_TTL_MS && EVP_PKEY_up_ref(k->evp) == 1) {
		*evp = k->evp;
		memcpy(user_id, k->user_id, 32);
		snprintf(actor_id, 2048, "%s", k->actor_id);
		hit = true;
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void fres_cache_key_put(struct fres_cache *c, const char *key_id, void *evp, const char *user_id,
                        const char *actor_id, int64_t now_ms)
{
	uint64_t h = hash(key_id);
	struct key_slot *k;

	if (!c || !evp || strlen(user_id) >= 32 || EVP_PKEY_up_ref(evp) != 1)
		return;
	pthread_mutex_lock(&c->mu);
	k = &c->key[h % FRES_KEY_SLOTS];
	key_clear(k);
	k->h = h;
	k->key_id = xstrdup(key_id);
	k->evp = evp;
	snprintf(k->user_id, sizeof(k->user_id), "%s", user_id);
	k->actor_id = xstrdup(actor_id);
	k->actor_h = hash(actor_id);
	k->at = now_ms;
	pthread_mutex_unlock(&c->mu);
}

void fres_cache_key_drop_actor(struct fres_cache *c, const char *actor_id)
{
	uint64_t h = hash(actor_id);

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < FRES_KEY_SLOTS; i++)
		if (c->key[i].h && c->key[i].actor_h == h &&
		    strcmp(c->key[i].actor_id, actor_id) == 0)
			key_clear(&c->key[i]);
	pthread_mutex_unlock(&c->mu);
}
