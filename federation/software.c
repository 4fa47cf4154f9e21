/*
 * federation/software.c: the software of remote hosts (NodeInfo
 * software.name), cached in memory and looked up by one thread so that a
 * REST request never waits on a peer; the reaction style per family.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/fetch.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/fed.h"
#include "federation/policy.h"
#include "federation/software.h"
#include "storage/store.h"

#define NI_SCHEMA "nodeinfo.diaspora.software/ns/schema/"
/* links looked at in a /.well-known/nodeinfo answer */
#define LINKS_MAX 32

struct fsoft_entry {
	char host[264];
	enum fsoft_family fam;
	bool ok;    /* the last lookup worked */
	int64_t at; /* ms of the last lookup */
};

struct fsoft_job {
	char host[264];
	char scheme[8];
};

struct fsoft {
	struct fed *f;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool stop;
	struct fsoft_entry *e; /* FSOFT_HOSTS_MAX */
	size_t n;
	struct fsoft_job pend[FSOFT_PENDING_MAX];
	size_t n_pend;
	char inflight[264]; /* host being looked up, "" if none */
};

/* ---- the table ---- */

static const struct {
	const char *name;
	enum fsoft_family fam;
} families[] = {
    /* drop EmojiReact (Mastodon #4106); a Like shows as a favourite */
    {"mastodon", FSOFT_MASTODON},
    {"hometown", FSOFT_MASTODON},
    {"glitch-soc", FSOFT_MASTODON},
    {"gotosocial", FSOFT_MASTODON},
    {"pixelfed", FSOFT_MASTODON},
    {"takahe", FSOFT_MASTODON},
    /* Misskey and its forks read Like{_misskey_reaction} as the emoji */
    {"misskey", FSOFT_MISSKEY},
    {"sharkey", FSOFT_MISSKEY},
    {"firefish", FSOFT_MISSKEY},
    {"calckey", FSOFT_MISSKEY},
    {"foundkey", FSOFT_MISSKEY},
    {"iceshrimp", FSOFT_MISSKEY},
    {"iceshrimp.net", FSOFT_MISSKEY},
    {"cherrypick", FSOFT_MISSKEY},
    {"catodon", FSOFT_MISSKEY},
    {"meisskey", FSOFT_MISSKEY},
    /* EmojiReact (FEP-c0e0 / litepub) */
    {"pleroma", FSOFT_PLEROMA},
    {"akkoma", FSOFT_PLEROMA},
};

enum fsoft_family fsoft_family_of(const char *name)
{
	if (!name || !*name)
		return FSOFT_UNKNOWN;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcasecmp(name, families[i].name))
			return families[i].fam;
	return FSOFT_OTHER;
}

const char *fsoft_family_name(enum fsoft_family fam)
{
	switch (fam) {
	case FSOFT_MASTODON:
		return "mastodon";
	case FSOFT_MISSKEY:
		return "misskey";
	case FSOFT_PLEROMA:
		return "pleroma";
	case FSOFT_OTHER:
		return "other";
	default:
		return "unknown";
	}
}

enum fsoft_react fsoft_react_style(enum fsoft_family fam, bool is_default)
{
	switch (fam) {
	case FSOFT_MASTODON:
		return FSOFT_REACT_LIKE;
	case FSOFT_MISSKEY:
		return FSOFT_REACT_LIKE_EMOJI;
	default:
		return is_default ? FSOFT_REACT_LIKE_EMOJI : FSOFT_REACT_EMOJI_REACT;
	}
}

/* ---- parsers (pure) ---- */

static json_t *load_object(struct str json, struct err_info *ei)
{
	json_error_t je;
	json_t *doc;

	if (json.n > FSOFT_DOC_MAX) {
		SE_RAISEF(ei, SE_PARSE, "NodeInfo answer over %u bytes", FSOFT_DOC_MAX);
		return NULL;
	}
	doc = json.p ? json_loadb(json.p, json.n, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		SE_RAISEF(ei, SE_PARSE, "NodeInfo answer is not a JSON object");
		return NULL;
	}
	return doc;
}

/* 21 for the 2.1 schema, 20 for 2.0, 0 otherwise. */
static int schema_rank(const char *rel)
{
	const char *p;

	if (!rel)
		return 0;
	if (!strncmp(rel, "http://", 7))
		p = rel + 7;
	else if (!strncmp(rel, "https://", 8))
		p = rel + 8;
	else
		return 0;
	if (strncmp(p, NI_SCHEMA, strlen(NI_SCHEMA)))
		return 0;
	p += strlen(NI_SCHEMA);
	return !strcmp(p, "2.1") ? 21 : !strcmp(p, "2.0") ? 20 : 0;
}

/* An absolute http(s) URL without whitespace or control bytes. */
static bool href_ok(const char *h, bool allow_http)
{
	size_t n;

	if (!h)
		return false;
	n = strlen(h);
	if (n >= FETCH_URL_MAX ||
	    !(!strncmp(h, "https://", 8) || (allow_http && !strncmp(h, "http://", 7))))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] <= 0x20 || h[i] == 0x7f)
			return false;
	return true;
}

enum err fsoft_parse_links(struct str json, bool allow_http, char href[2048], struct err_info *ei)
{
	json_t *doc = load_object(json, ei), *links, *l;
	const char *best = NULL;
	int best_rank = 0;
	size_t i;
	enum err rc = SE_OK;

	if (!doc)
		return SE_PARSE;
	links = json_object_get(doc, "links");
	if (!json_is_array(links)) {
		rc = SE_RAISEF(ei, SE_PARSE, "NodeInfo links: no links array");
		goto out;
	}
	json_array_foreach(links, i, l)
	{
		const char *h = json_string_value(json_object_get(l, "href"));
		int r = schema_rank(json_string_value(json_object_get(l, "rel")));

		if (i >= LINKS_MAX)
			break;
		if (r > best_rank && href_ok(h, allow_http)) {
			best = h;
			best_rank = r;
		}
	}
	if (!best) {
		rc = SE_RAISEF(ei, SE_NOT_FOUND, "NodeInfo links: no 2.0/2.1 link");
		goto out;
	}
	memcpy(href, best, strlen(best) + 1);
out:
	json_decref(doc);
	return rc;
}

enum err fsoft_parse_nodeinfo(struct str json, char name[FSOFT_NAME_MAX], struct err_info *ei)
{
	json_t *doc = load_object(json, ei);
	const char *s;
	size_t n;
	enum err rc = SE_OK;

	if (!doc)
		return SE_PARSE;
	s = json_string_value(json_object_get(json_object_get(doc, "software"), "name"));
	if (!s || !*s) {
		rc = SE_RAISEF(ei, SE_NOT_FOUND, "NodeInfo: no software.name");
		goto out;
	}
	n = strlen(s);
	if (n >= FSOFT_NAME_MAX) {
		rc = SE_RAISEF(ei, SE_PARSE, "NodeInfo: software.name too long");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_')) {
			rc = SE_RAISEF(ei, SE_PARSE, "NodeInfo: bad byte in software.name");
			goto out;
		}
		name[i] = c;
	}
	name[n] = '\0';
out:
	json_decref(doc);
	return rc;
}

/* ---- the blocking lookup ---- */

static enum err get_doc(struct fed *f, const char *url, struct fetch_resp *r, struct err_info *ei)
{
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	struct fetch_opts o = {f->allow_private, FSOFT_TIMEOUT_S, FSOFT_DOC_MAX, 3, f->user_agent};
	struct fetch_req rq = {"GET", url, hdrs, STR_NULL};
	enum err rc = fetch_do(&o, &rq, r, ei);

	if (rc)
		return rc;
	if (r->status != 200) {
		rc = SE_RAISEF(ei, SE_NOT_FOUND, "GET %s: HTTP %ld", url, r->status);
		fetch_resp_release(r);
	}
	return rc;
}

static bool host_allowed(struct fed *f, const char *hostport)
{
	return policy_store_allows_host(f->store, str_from(hostport));
}

enum err fsoft_lookup(struct fed *f, const char *url, char name[FSOFT_NAME_MAX],
                      struct err_info *ei)
{
	struct fetch_url u, u2;
	struct fetch_resp r;
	char wk[FETCH_URL_MAX + 32], href[2048];
	enum err rc;

	fetch_resp_init(&r);
	rc = fetch_url_parse(url, &u, ei);
	if (rc)
		return rc;
	if (!host_allowed(f, u.hostport))
		return SE_RAISEF(ei, SE_MissingPermission, "host %s is blocked", u.hostport);
	snprintf(wk, sizeof(wk), "%s://%s/.well-known/nodeinfo", u.scheme, u.hostport);
	rc = get_doc(f, wk, &r, ei);
	if (rc)
		return rc;
	rc = fsoft_parse_links((struct str){r.body.ptr, r.body.len}, f->allow_private, href, ei);
	fetch_resp_release(&r);
	if (rc)
		return rc;
	/* the document must come from the host it describes */
	rc = fetch_url_parse(href, &u2, ei);
	if (rc)
		return rc;
	if (strcasecmp(u.hostport, u2.hostport))
		return SE_RAISEF(ei, SE_INVAL, "NodeInfo of %s is on %s", u.hostport, u2.hostport);
	rc = get_doc(f, href, &r, ei);
	if (rc)
		return rc;
	rc = fsoft_parse_nodeinfo((struct str){r.body.ptr, r.body.len}, name, ei);
	fetch_resp_release(&r);
	return rc;
}

/* ---- the cache ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under mu. */
static struct fsoft_entry *find(struct fsoft *s, const char *host)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].host, host))
			return &s->e[i];
	return NULL;
}

static bool fresh(const struct fsoft_entry *e, int64_t now)
{
	return e && now - e->at < (e->ok ? FSOFT_TTL_MS : FSOFT_FAIL_TTL_MS);
}

/* Under mu: the host's entry, made (or the stalest one reused) if missing. */
static struct fsoft_entry *slot(struct fsoft *s, const char *host)
{
	struct fsoft_entry *e = find(s, host);

	if (e)
		return e;
	if (s->n < FSOFT_HOSTS_MAX) {
		e = &s->e[s->n++];
	} else {
		e = &s->e[0];
		for (size_t i = 1; i < s->n; i++)
			if (s->e[i].at < e->at)
				e = &s->e[i];
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->host, sizeof(e->host), "%s", host);
	return e;
}

/* Under mu: queue host unless queued, in flight or the queue is full. */
static void enqueue(struct fsoft *s, const struct fetch_url *u)
{
	if (!strcmp(s->inflight, u->hostport))
		return;
	for (size_t i = 0; i < s->n_pend; i++)
		if (!strcmp(s->pend[i].host, u->hostport))
			return;
	if (s->n_pend >= FSOFT_PENDING_MAX)
		return;
	snprintf(s->pend[s->n_pend].host, sizeof(s->pend[0].host), "%s", u->hostport);
	snprintf(s->pend[s->n_pend].scheme, sizeof(s->pend[0].scheme), "%s", u->scheme);
	s->n_pend++;
	pthread_cond_broadcast(&s->cv);
}

static void *worker(void *arg)
{
	struct fsoft *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct fsoft_job job;
		struct fsoft_entry *e;
		struct err_info ei = ERR_INFO_INIT;
		char url[FETCH_URL_MAX], name[FSOFT_NAME_MAX] = "";
		enum err rc;

		while (!s->stop && s->n_pend == 0)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop)
			break;
		job = s->pend[0];
		memmove(&s->pend[0], &s->pend[1], (s->n_pend - 1) * sizeof(s->pend[0]));
		s->n_pend--;
		memcpy(s->inflight, job.host, sizeof(job.host));
		pthread_mutex_unlock(&s->mu);

		snprintf(url, sizeof(url), "%s://%s/", job.scheme, job.host);
		rc = fsoft_lookup(s->f, url, name, &ei);
		if (rc)
			log_info("fsoft: no software for %s: %s %s", job.host, err_type(rc),
			         ei.detail[0] ? ei.detail : "");
		else
			log_debug("fsoft: %s runs %s", job.host, name);

		pthread_mutex_lock(&s->mu);
		e = slot(s, job.host);
		e->ok = rc == SE_OK;
		e->fam = rc ? FSOFT_UNKNOWN : fsoft_family_of(name);
		e->at = now_ms();
		s->inflight[0] = '\0';
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

enum err fsoft_start(struct fed *f, struct err_info *ei)
{
	struct fsoft *s = mem_try_alloc(sizeof(*s));

	if (!s)
		return SE_RAISE(ei, SE_NOMEM);
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->e = mem_try_alloc(FSOFT_HOSTS_MAX * sizeof(*s->e));
	if (!s->e) {
		mem_free(s);
		return SE_RAISE(ei, SE_NOMEM);
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->th, NULL, worker, s)) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		mem_free(s->e);
		mem_free(s);
		return SE_RAISEF(ei, SE_IO, "cannot start the NodeInfo lookup thread");
	}
	f->soft = s;
	return SE_OK;
}

void fsoft_stop(struct fed *f)
{
	struct fsoft *s = f ? f->soft : NULL;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	mem_free(s->e);
	mem_free(s);
	f->soft = NULL;
}

/* The cached family (UNKNOWN if none); queues a lookup when missing or stale. */
static enum fsoft_family get_or_queue(struct fed *f, const char *url, bool *is_fresh)
{
	struct fsoft *s = f ? f->soft : NULL;
	struct fetch_url u;
	struct fsoft_entry *e;
	enum fsoft_family fam = FSOFT_UNKNOWN;

	*is_fresh = false;
	if (!s || !url || fetch_url_parse(url, &u, NULL))
		return FSOFT_UNKNOWN;
	pthread_mutex_lock(&s->mu);
	e = find(s, u.hostport);
	if (e)
		fam = e->fam;
	*is_fresh = fresh(e, now_ms());
	if (!*is_fresh)
		enqueue(s, &u);
	pthread_mutex_unlock(&s->mu);
	return fam;
}

enum fsoft_family fsoft_get(struct fed *f, const char *url)
{
	bool is_fresh;

	return get_or_queue(f, url, &is_fresh);
}

void fsoft_want(struct fed *f, const char *url)
{
	bool is_fresh;

	(void)get_or_queue(f, url, &is_fresh);
}

bool fsoft_wait(struct fed *f, const char *url, int timeout_ms)
{
	struct timespec d = {0, 10 * 1000 * 1000};
	bool is_fresh = false;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		(void)get_or_queue(f, url, &is_fresh);
		if (is_fresh)
			return true;
		while (nanosleep(&d, &d) && errno == EINTR)
			;
		d.tv_nsec = 10 * 1000 * 1000;
	}
	return false;
}
