/*
 * tests/unit/federation/test_software.c: the software family table, the
 * reaction style per family, the NodeInfo parsers against hostile input,
 * the blocking lookup and the cache against loopback NodeInfo servers
 * (Mastodon, Misskey, Akkoma, an off-host link, a 404, an oversized and a
 * blocked host), and fout_react choosing Like / Misskey Like / EmojiReact
 * per peer as a local user reacts to a remote user's DM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api.h"
#include "app.h"
#include "bus/bus.h"
#include "channels/channel.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/mem.h"
#include "federation/deliver.h"
#include "federation/fed.h"
#include "federation/outbox.h"
#include "federation/policy.h"
#include "federation/process.h"
#include "federation/software.h"
#include "messages/message.h"
#include "storage/store.h"
#include "users/user.h"

/* ---- pure ---- */

static void test_table(void **state)
{
	static const struct {
		const char *name;
		enum fsoft_family fam;
		enum fsoft_react thumbs, other;
	} rows[] = {
	    {"mastodon", FSOFT_MASTODON, FSOFT_REACT_LIKE, FSOFT_REACT_LIKE},
	    {"Mastodon", FSOFT_MASTODON, FSOFT_REACT_LIKE, FSOFT_REACT_LIKE},
	    {"hometown", FSOFT_MASTODON, FSOFT_REACT_LIKE, FSOFT_REACT_LIKE},
	    {"gotosocial", FSOFT_MASTODON, FSOFT_REACT_LIKE, FSOFT_REACT_LIKE},
	    {"misskey", FSOFT_MISSKEY, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_LIKE_EMOJI},
	    {"sharkey", FSOFT_MISSKEY, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_LIKE_EMOJI},
	    {"firefish", FSOFT_MISSKEY, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_LIKE_EMOJI},
	    {"iceshrimp", FSOFT_MISSKEY, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_LIKE_EMOJI},
	    {"akkoma", FSOFT_PLEROMA, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	    {"pleroma", FSOFT_PLEROMA, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	    {"solstice", FSOFT_OTHER, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	    {"mastodonx", FSOFT_OTHER, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	    {"", FSOFT_UNKNOWN, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	    {NULL, FSOFT_UNKNOWN, FSOFT_REACT_LIKE_EMOJI, FSOFT_REACT_EMOJI_REACT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum fsoft_family fam = fsoft_family_of(rows[i].name);

		assert_int_equal(fam, rows[i].fam);
		assert_int_equal(fsoft_react_style(fam, true), rows[i].thumbs);
		assert_int_equal(fsoft_react_style(fam, false), rows[i].other);
		assert_non_null(fsoft_family_name(fam));
	}
	assert_string_equal(fsoft_family_name(FSOFT_MISSKEY), "misskey");
}

static enum err links(const char *json, bool http, char href[2048])
{
	return fsoft_parse_links(str_from(json), http, href, NULL);
}

static enum err software(const char *json, char name[FSOFT_NAME_MAX])
{
	return fsoft_parse_nodeinfo(str_from(json), name, NULL);
}

static void test_parsers(void **state)
{
	char href[2048], name[FSOFT_NAME_MAX];
	char *big;

	(void)state;
	/* 2.1 wins over 2.0 whatever the order; https rel prefix too */
	assert_int_equal(
	    links("{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.0\","
	          "\"href\":\"https://a.example/nodeinfo/2.0\"},{\"rel\":\"https://nodeinfo."
	          "diaspora.software/ns/schema/2.1\",\"href\":\"https://a.example/ni/2.1\"}]}",
	          false, href),
	    SE_OK);
	assert_string_equal(href, "https://a.example/ni/2.1");
	assert_int_equal(
	    links("{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.0\","
	          "\"href\":\"https://a.example/nodeinfo/2.0\"}]}",
	          false, href),
	    SE_OK);
	assert_string_equal(href, "https://a.example/nodeinfo/2.0");
	/* http only when allowed; junk hrefs and other schemas skipped */
	assert_int_equal(
	    links("{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\","
	          "\"href\":\"http://a.example/ni\"}]}",
	          false, href),
	    SE_NOT_FOUND);
	assert_int_equal(
	    links("{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\","
	          "\"href\":\"http://a.example/ni\"}]}",
	          true, href),
	    SE_OK);
	assert_int_equal(
	    links("{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\","
	          "\"href\":\"https://a.example/n i\"},{\"rel\":\"http://nodeinfo.diaspora."
	          "software/ns/schema/1.0\",\"href\":\"https://a.example/1\"},{\"rel\":\"http://"
	          "nodeinfo.diaspora.software/ns/schema/2.1\",\"href\":\"file:///etc/passwd\"},"
	          "{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\",\"href\":7},"
	          "{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1x\","
	          "\"href\":\"https://a.example/x\"},\"str\",null]}",
	          true, href),
	    SE_NOT_FOUND);
	assert_int_equal(links("{\"links\":{}}", true, href), SE_PARSE);
	assert_int_equal(links("[]", true, href), SE_PARSE);
	assert_int_equal(links("{\"links\":[", true, href), SE_PARSE);
	assert_int_equal(links("", true, href), SE_PARSE);
	assert_int_equal(links("{\"links\":[],\"links\":[]}", true, href), SE_PARSE);
	assert_int_equal(fsoft_parse_links(STR_NULL, true, href, NULL), SE_PARSE);
	/* software.name */
	assert_int_equal(
	    software("{\"software\":{\"name\":\"Mastodon\",\"version\":\"4.3\"}}", name), SE_OK);
	assert_string_equal(name, "mastodon");
	assert_int_equal(software("{\"software\":{\"name\":\"iceshrimp.net\"}}", name), SE_OK);
	assert_string_equal(name, "iceshrimp.net");
	assert_int_equal(software("{\"software\":{\"name\":\"\"}}", name), SE_NOT_FOUND);
	assert_int_equal(software("{\"software\":{\"name\":5}}", name), SE_NOT_FOUND);
	assert_int_equal(software("{\"software\":\"mastodon\"}", name), SE_NOT_FOUND);
	assert_int_equal(software("{\"software\":{\"name\":\"mast odon\"}}", name), SE_PARSE);
	assert_int_equal(software("{\"software\":{\"name\":\"m\\u0000x\"}}", name), SE_PARSE);
	assert_int_equal(software("{\"software\":{\"name\":\"\\u00e9\"}}", name), SE_PARSE);
	assert_int_equal(
	    software("{\"software\":{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	             "aaaaaaaaaaaaaaaa\"}}",
	             name),
	    SE_PARSE);
	assert_int_equal(software("null", name), SE_PARSE);
	/* oversized input is refused before parsing */
	big = xmalloc(FSOFT_DOC_MAX + 64);
	memset(big, ' ', FSOFT_DOC_MAX + 63);
	memcpy(big, "{\"software\":{\"name\":\"x\"}}", 25);
	big[FSOFT_DOC_MAX + 63] = '\0';
	assert_int_equal(software(big, name), SE_PARSE);
	mem_free(big);
}

/* ---- loopback NodeInfo servers ---- */

enum srv_mode { SRV_OK, SRV_OFFHOST, SRV_404, SRV_HUGE };

struct srv {
	int fd, port;
	pthread_t th;
	pthread_mutex_t mu;
	bool stop;
	unsigned hits;
	const char *name;
	enum srv_mode mode;
};

static void reply(int c, int status, const char *body, size_t n)
{
	char head[256];

	snprintf(head, sizeof(head),
	         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n",
	         status, n);
	if (write(c, head, strlen(head)) < 0 || write(c, body, n) < 0)
		fprintf(stderr, "srv: write failed\n");
}

static void srv_one(struct srv *s, int c)
{
	char req[4096], path[512] = "", body[1024];
	size_t n = 0;

	while (n < sizeof(req) - 1) {
		struct pollfd p = {c, POLLIN, 0};
		ssize_t k;

		if (poll(&p, 1, 2000) <= 0)
			break;
		k = read(c, req + n, sizeof(req) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	sscanf(req, "GET %511s", path);
	pthread_mutex_lock(&s->mu);
	s->hits++;
	pthread_mutex_unlock(&s->mu);
	if (s->mode == SRV_404) {
		reply(c, 404, "{}", 2);
	} else if (!strcmp(path, "/.well-known/nodeinfo")) {
		snprintf(body, sizeof(body),
		         "{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\","
		         "\"href\":\"http://%s:%d/nodeinfo/2.1\"}]}",
		         s->mode == SRV_OFFHOST ? "localhost" : "127.0.0.1", s->port);
		reply(c, 200, body, strlen(body));
	} else if (!strcmp(path, "/nodeinfo/2.1")) {
		if (s->mode == SRV_HUGE) {
			size_t big = FSOFT_DOC_MAX + 1024;
			char *b = xmalloc(big);

			memset(b, ' ', big);
			memcpy(b, "{\"software\":{\"name\":\"x\"}}", 25);
			reply(c, 200, b, big);
			mem_free(b);
		} else {
			snprintf(body, sizeof(body),
			         "{\"version\":\"2.1\",\"software\":{\"name\":\"%s\",\"version\":"
			         "\"1.0\"},\"protocols\":[\"activitypub\"]}",
			         s->name);
			reply(c, 200, body, strlen(body));
		}
	} else {
		reply(c, 404, "{}", 2);
	}
	close(c);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	for (;;) {
		struct pollfd p = {s->fd, POLLIN, 0};
		bool stop;

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		if (poll(&p, 1, 20) == 1) {
			int c = accept(s->fd, NULL, NULL);

			if (c >= 0)
				srv_one(s, c);
		}
	}
	return NULL;
}

static void srv_start(struct srv *s, const char *name, enum srv_mode mode)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->name = name;
	s->mode = mode;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 16), 0);
	getsockname(s->fd, (struct sockaddr *)&a, &len);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static unsigned srv_hits(struct srv *s)
{
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = s->hits;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void srv_stop(struct srv *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
}

enum { S_MASTODON, S_MISSKEY, S_AKKOMA, S_OFFHOST, S_404, S_HUGE, S_BLOCKED, S__COUNT };

#define L_ID "01HAAAAAAAAAAAAAAAAAAAAAAA"
#define R_ID "01HBBBBBBBBBBBBBBBBBBBBBBB"
#define BASE "http://local.test"

struct fx {
	char dir[64];
	struct cfg cfg;
	struct app app;
	struct fed fed;
	struct srv s[S__COUNT];
	int closed_port; /* nothing listens there */
	char r_url[128];
};

static struct fx *F;

static void url_of(int port, const char *path, char *out, size_t n)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", port, path);
}

static enum err add_users(struct store_wtxn *w, void *arg)
{
	json_t *l = user_record_new(STR_LIT(L_ID), STR_LIT("lucy"), "0001");
	json_t *r = user_record_new(STR_LIT(R_ID), STR_LIT("rem@remote"), "0001");
	char inbox[160], *text;
	enum err rc;

	(void)arg;
	url_of(F->s[S_MASTODON].port, "/users/r/inbox", inbox, sizeof(inbox));
	json_object_set_new(r, "ap",
	                    json_pack("{s:s, s:s, s:s, s:s}", "id", F->r_url, "inbox", inbox,
	                              "shared_inbox", inbox, "host", "127.0.0.1"));
	rc = user_relation_set(l, R_ID, PERM_REL_FRIEND);
	if (!rc)
		rc = user_relation_set(r, L_ID, PERM_REL_FRIEND);
	text = jx_dump(l);
	if (!rc)
		rc = store_create(w, USER_COLL, STR_LIT(L_ID), str_from(text));
	mem_free(text);
	text = jx_dump(r);
	if (!rc)
		rc = store_create(w, USER_COLL, STR_LIT(R_ID), str_from(text));
	mem_free(text);
	json_decref(l);
	json_decref(r);
	return rc;
}

static enum err block_fn(struct store_wtxn *w, void *arg)
{
	return policy_block_add(w, str_from(arg), STR_LIT("test"));
}

static int setup(void **state)
{
	static const char *const names[S__COUNT] = {"mastodon", "misskey",  "akkoma",  "mastodon",
	                                            "mastodon", "mastodon", "mastodon"};
	static const enum srv_mode modes[S__COUNT] = {SRV_OK,  SRV_OK,   SRV_OK, SRV_OFFHOST,
	                                              SRV_404, SRV_HUGE, SRV_OK};
	struct store_opts o = {.no_sync = true};
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd;

	F = xcalloc(1, sizeof(*F));
	memcpy(F->dir, "/tmp/sol-fsoft-XXXXXX", 22);
	assert_non_null(mkdtemp(F->dir));
	for (int i = 0; i < S__COUNT; i++)
		srv_start(&F->s[i], names[i], modes[i]);
	/* a port nobody listens on: bind, read the port, close */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	F->closed_port = ntohs(a.sin_port);
	close(fd);
	url_of(F->s[S_MASTODON].port, "/users/r", F->r_url, sizeof(F->r_url));
	cfg_init(&F->cfg);
	assert_int_equal(store_open(F->dir, api_schema(), &o, &F->app.store, NULL), SE_OK);
	F->app.cfg = &F->cfg;
	F->app.bus = bus_new(NULL, NULL);
	F->fed.cfg = &F->cfg;
	F->fed.store = F->app.store;
	F->fed.bus = F->app.bus;
	F->fed.app = &F->app;
	F->fed.base = xstrdup(BASE);
	F->fed.host = xstrdup("local.test");
	F->fed.allow_private = true;
	F->fed.user_agent = xstrdup("test_software");
	F->app.fed = &F->fed;
	assert_int_equal(store_write(F->app.store, add_users, NULL, NULL), SE_OK);
	/* the policy ignores ports: "localhost" stands for the blocked peer */
	assert_int_equal(store_write(F->app.store, block_fn, (void *)"localhost", NULL), SE_OK);
	assert_int_equal(fsoft_start(&F->fed, NULL), SE_OK);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	char p[128];

	(void)state;
	fsoft_stop(&F->fed);
	assert_null(F->fed.soft);
	fsoft_stop(&F->fed); /* idempotent */
	for (int i = 0; i < S__COUNT; i++)
		srv_stop(&F->s[i]);
	store_close(F->app.store);
	bus_free(F->app.bus);
	mem_free(F->fed.base);
	mem_free(F->fed.host);
	mem_free(F->fed.user_agent);
	cfg_release(&F->cfg);
	snprintf(p, sizeof(p), "%s/data.mdb", F->dir);
	remove(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", F->dir);
	remove(p);
	remove(F->dir);
	mem_free(F);
	return 0;
}

static enum err lookup(int port, char name[FSOFT_NAME_MAX])
{
	char url[128];

	url_of(port, "/users/someone", url, sizeof(url));
	return fsoft_lookup(&F->fed, url, name, NULL);
}

static void test_lookup(void **state)
{
	char name[FSOFT_NAME_MAX], url[128];
	unsigned before;

	(void)state;
	assert_int_equal(lookup(F->s[S_MASTODON].port, name), SE_OK);
	assert_string_equal(name, "mastodon");
	assert_int_equal(lookup(F->s[S_MISSKEY].port, name), SE_OK);
	assert_string_equal(name, "misskey");
	/* the document must be on the host it describes */
	assert_int_not_equal(lookup(F->s[S_OFFHOST].port, name), SE_OK);
	assert_int_equal(srv_hits(&F->s[S_OFFHOST]), 1);
	assert_int_equal(lookup(F->s[S_404].port, name), SE_NOT_FOUND);
	assert_int_not_equal(lookup(F->s[S_HUGE].port, name), SE_OK);
	assert_int_not_equal(lookup(F->closed_port, name), SE_OK);
	/* a blocked host is not even asked */
	before = srv_hits(&F->s[S_BLOCKED]);
	snprintf(url, sizeof(url), "http://localhost:%d/users/x", F->s[S_BLOCKED].port);
	assert_int_equal(fsoft_lookup(&F->fed, url, name, NULL), SE_MissingPermission);
	assert_int_equal(srv_hits(&F->s[S_BLOCKED]), before);
	/* junk URLs */
	assert_int_not_equal(fsoft_lookup(&F->fed, "ftp://x/", name, NULL), SE_OK);
	assert_int_not_equal(fsoft_lookup(&F->fed, "not a url", name, NULL), SE_OK);
}

static void test_cache(void **state)
{
	char url[128];
	unsigned hits;

	(void)state;
	url_of(F->s[S_MISSKEY].port, "/users/x/inbox", url, sizeof(url));
	/* never blocks: unknown at first, the thread fills it in */
	assert_int_equal(fsoft_get(&F->fed, url), FSOFT_UNKNOWN);
	assert_true(fsoft_wait(&F->fed, url, 5000));
	assert_int_equal(fsoft_get(&F->fed, url), FSOFT_MISSKEY);
	hits = srv_hits(&F->s[S_MISSKEY]);
	assert_int_equal(hits, 2);
	/* cached: no more requests, for any URL on that host */
	url_of(F->s[S_MISSKEY].port, "/inbox", url, sizeof(url));
	for (int i = 0; i < 50; i++)
		assert_int_equal(fsoft_get(&F->fed, url), FSOFT_MISSKEY);
	assert_int_equal(srv_hits(&F->s[S_MISSKEY]), hits);
	/* a failure is cached too (bounded): one attempt, then UNKNOWN without asking */
	url_of(F->s[S_404].port, "/inbox", url, sizeof(url));
	fsoft_want(&F->fed, url);
	assert_true(fsoft_wait(&F->fed, url, 5000));
	hits = srv_hits(&F->s[S_404]);
	assert_int_equal(hits, 1);
	for (int i = 0; i < 20; i++)
		assert_int_equal(fsoft_get(&F->fed, url), FSOFT_UNKNOWN);
	assert_int_equal(srv_hits(&F->s[S_404]), hits);
	/* junk never reaches the thread */
	assert_int_equal(fsoft_get(&F->fed, "::junk::"), FSOFT_UNKNOWN);
	assert_int_equal(fsoft_get(&F->fed, NULL), FSOFT_UNKNOWN);
	assert_int_equal(fsoft_get(NULL, url), FSOFT_UNKNOWN);
}

/* ---- fout_react per peer ---- */

/* R's inbox moves to server `port` (the peer's software follows the host). */
static enum err move_fn(struct store_wtxn *w, void *arg)
{
	const char *inbox = arg;
	json_t *r = NULL;
	enum err rc = user_load(store_wtxn_read(w), STR_LIT(R_ID), &r);

	if (rc)
		return rc;
	json_object_set_new(json_object_get(r, "ap"), "inbox", json_string(inbox));
	json_object_set_new(json_object_get(r, "ap"), "shared_inbox", json_string(inbox));
	rc = user_save(w, r);
	json_decref(r);
	return rc;
}

static void move_inbox(int port)
{
	char inbox[128];

	url_of(port, "/users/r/inbox", inbox, sizeof(inbox));
	assert_int_equal(store_write(F->app.store, move_fn, inbox, NULL), SE_OK);
	if (port != F->closed_port)
		assert_true(fsoft_wait(&F->fed, inbox, 5000));
}

/* The last queued activity (new reference). */
static json_t *last_activity(void)
{
	struct store_txn *t = NULL;
	struct store_hit hits[1];
	struct store_range r = {STR_NULL, STR_NULL, STR_NULL, STORE_DESC};
	struct str rec;
	size_t n = 0;
	json_t *doc = NULL, *act;

	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(store_index_scan(t, FDEL_ACT_COLL, FDEL_ACT_IDX_ALL, &r, hits, 1, &n),
	                 SE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_get(t, FDEL_ACT_COLL, hits[0].id, &rec), SE_OK);
	doc = json_loadb(rec.p, rec.n, 0, NULL);
	store_read_end(t);
	assert_non_null(doc);
	act = json_loads(json_string_value(json_object_get(doc, "body")), 0, NULL);
	json_decref(doc);
	assert_non_null(act);
	return act;
}

static void expect_react(const char *emoji, const char *type, bool with_content)
{
	json_t *act;
	const char *mid;
	struct store_txn *t = NULL;
	char key[64], note[64];
	size_t len, n = 0;
	struct str ch_id;
	struct store_hit hit;
	struct store_range r;

	/* the one message of the DM */
	assert_int_equal(store_read_begin(F->app.store, &t), SE_OK);
	assert_int_equal(channel_dm_key(STR_LIT(L_ID), STR_LIT(R_ID), key, &len), SE_OK);
	assert_int_equal(store_index_find(t, CHANNEL_COLL, CHANNEL_IDX_DM, (struct str){key, len},
	                                  &ch_id, 1, &n, NULL),
	                 SE_OK);
	assert_int_equal(n, 1);
	snprintf(key, sizeof(key), "%.*s/", (int)ch_id.n, ch_id.p);
	r = (struct store_range){str_from(key), STR_NULL, STR_NULL, STORE_ASC};
	assert_int_equal(store_index_scan(t, MSG_COLL, MSG_IDX_CHANNEL, &r, &hit, 1, &n), SE_OK);
	assert_int_equal(n, 1);
	mid = strndup(hit.id.p, hit.id.n);
	store_read_end(t);
	assert_int_equal(
	    fout_react(&F->fed, STR_LIT(L_ID), str_from(mid), str_from(emoji), true, NULL), SE_OK);
	act = last_activity();
	assert_string_equal(json_string_value(json_object_get(act, "type")), type);
	snprintf(note, sizeof(note), "http://127.0.0.1:%d/n/1", F->s[S_MASTODON].port);
	assert_string_equal(json_string_value(json_object_get(act, "object")), note);
	if (with_content) {
		assert_string_equal(json_string_value(json_object_get(act, "content")), emoji);
		assert_string_equal(json_string_value(json_object_get(act, "_misskey_reaction")),
		                    emoji);
	} else {
		assert_null(json_object_get(act, "content"));
		assert_null(json_object_get(act, "_misskey_reaction"));
	}
	json_decref(act);
	/* the Undo embeds the same shape */
	assert_int_equal(
	    fout_react(&F->fed, STR_LIT(L_ID), str_from(mid), str_from(emoji), false, NULL), SE_OK);
	act = last_activity();
	assert_string_equal(json_string_value(json_object_get(act, "type")), "Undo");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(act, "object"), "type")), type);
	json_decref(act);
	free((void *)mid);
}

static void test_react(void **state)
{
	struct err_info ei = ERR_INFO_INIT;
	char act[512];
	json_t *doc;
	struct fproc_in in = {NULL, R_ID, NULL, 1000};

	(void)state;
	/* R's DM to lucy (its Note id is what the reaction names) */
	snprintf(act, sizeof(act),
	         "{\"type\":\"Create\",\"id\":\"http://127.0.0.1:%d/c/1\",\"actor\":\"%s\","
	         "\"object\":{\"type\":\"Note\",\"id\":\"http://127.0.0.1:%d/n/1\","
	         "\"attributedTo\":\"%s\",\"to\":[\"" BASE "/users/" L_ID "\"],"
	         "\"content\":\"hi\"}}",
	         F->s[S_MASTODON].port, F->r_url, F->s[S_MASTODON].port, F->r_url);
	doc = json_loads(act, 0, NULL);
	assert_non_null(doc);
	in.activity = doc;
	assert_int_equal(fproc_handle(&F->fed, &in, &ei), SE_OK);
	json_decref(doc);
	/* Mastodon: a plain Like for any emoji */
	move_inbox(F->s[S_MASTODON].port);
	expect_react("\xF0\x9F\x98\x82", "Like", false);
	expect_react(FPROC_LIKE_EMOJI, "Like", false);
	/* Misskey: Like carrying the emoji */
	move_inbox(F->s[S_MISSKEY].port);
	expect_react("\xF0\x9F\x98\x82", "Like", true);
	/* Akkoma: EmojiReact; the default emoji stays a Like */
	move_inbox(F->s[S_AKKOMA].port);
	expect_react("\xF0\x9F\x98\x82", "EmojiReact", true);
	expect_react(FPROC_LIKE_EMOJI, "Like", true);
	/* unknown (nothing answers): EmojiReact, and the request did not wait */
	move_inbox(F->closed_port);
	expect_react("\xF0\x9F\x98\x82", "EmojiReact", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_parsers),
	    cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_react, setup, teardown),
	};

	if (fetch_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
