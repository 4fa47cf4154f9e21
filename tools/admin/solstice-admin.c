/*
 * tools/admin/solstice-admin.c: the operator's command line for a Solstice
 * data directory: domain blocks (federation/policy.h) and the Revolt
 * `privileged` flag of a user. It opens the same LMDB environment as the
 * daemon and may run while the daemon does (LMDB is multi-process; the
 * daemon sees a change on its next read). Key rotation is the exception:
 * the daemon holds private keys in memory, so `key rotate` asks the running
 * daemon through its admin API instead. Exit codes: 0 done, 1 failed,
 * 2 bad usage. Errors are one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "api/api.h"
#include "core/err.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/ulid.h"
#include "federation/policy.h"
#include "storage/record.h"
#include "storage/store.h"
#include "users/pchange.h"
#include "users/user.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: solstice-admin [--data DIR] COMMAND\n"
    "\n"
    "  --data DIR        the daemon's data directory (storage.data; default: data)\n"
    "\n"
    "commands:\n"
    "  domain-block add DOMAIN [--reason TEXT]   refuse all federation with DOMAIN and\n"
    "                                            its subdomains (re-adding sets the reason)\n"
    "  domain-block remove DOMAIN                lift a block\n"
    "  domain-block list                         one block per line: domain, severity,\n"
    "                                            created (UTC), reason; tab-separated\n"
    "  user privileged USER_ID on|off            set or clear the Revolt `privileged` flag\n"
    "                                            (admin APIs accept privileged sessions)\n"
    "  policy-change add --description TEXT --url URL [--effective-in-days N]\n"
    "                                            record a platform policy change: users get\n"
    "                                            it in Ready until POST /policy/acknowledge\n"
    "  policy-change list                        one per line: id, created, effective (UTC),\n"
    "                                            url, description; tab-separated\n"
    "  policy-change remove ID                   forget a change\n"
    "  key rotate USER_ID|instance --url URL     new key pairs for a local user (their\n"
    "                                            followers get Update{Person}) or the\n"
    "                                            instance actor, through the running\n"
    "                                            daemon's admin API at URL (its public\n"
    "                                            address or 127.0.0.1:PORT); the session\n"
    "                                            token of a privileged user comes from\n"
    "                                            $SOLSTICE_TOKEN (or --token TOKEN)"
    "  --help                                    this text\n"
    "\n"
    "Safe while the daemon runs. Exit status: 0 done, 1 failed, 2 bad usage.\n";

static int bad_usage(const char *what)
{
	fprintf(stderr, "solstice-admin: %s (see --help)\n", what);
	return EXIT_USAGE;
}

static int failed(const char *what, const struct err_info *ei)
{
	if (ei && ei->detail[0])
		fprintf(stderr, "solstice-admin: %s: %s\n", what, ei->detail);
	else
		fprintf(stderr, "solstice-admin: %s\n", what);
	return 1;
}

/* Opens DIR/db, refusing to create a database where none is. */
static int open_store(const char *data, struct store **out)
{
	struct err_info ei = ERR_INFO_INIT;
	char path[4096];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/db/data.mdb", data) >= (int)sizeof(path))
		return bad_usage("data directory path too long");
	if (stat(path, &st) != 0) {
		fprintf(stderr, "solstice-admin: no Solstice database in '%s' (is --data right?)\n",
		        data);
		return 1;
	}
	path[strlen(path) - strlen("/data.mdb")] = '\0';
	if (store_open(path, api_schema(), NULL, out, &ei) != SE_OK)
		return failed("cannot open the database", &ei);
	return 0;
}

/* ---- domain-block ---- */

struct block_op {
	bool add;
	struct str domain, reason;
};

static enum err block_fn(struct store_wtxn *w, void *arg)
{
	const struct block_op *o = arg;

	if (o->add)
		return policy_block_add(w, o->domain, o->reason);
	return policy_block_remove(w, o->domain);
}

static bool print_block(const struct policy_block *b, void *arg)
{
	time_t t = (time_t)(b->created / 1000);
	struct tm tm;
	char when[32] = "-";

	(void)arg;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s\t%s\t%s\t", b->domain, b->severity, when);
	/* the reason is one field: tabs (the only control byte allowed) become spaces */
	for (const char *c = b->reason; *c; c++)
		putchar(*c == '\t' ? ' ' : *c);
	putchar('\n');
	return true;
}

static int cmd_domain_block(const char *data, int argc, char **argv)
{
	struct err_info ei = ERR_INFO_INIT;
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct block_op op = {false, STR_NULL, STR_LIT("")};
	const char *verb;
	char norm[POLICY_DOMAIN_MAX + 1];
	enum err rc;
	int ex;

	if (argc < 1)
		return bad_usage("domain-block needs add, remove or list");
	verb = argv[0];
	if (strcmp(verb, "list") == 0) {
		if (argc != 1)
			return bad_usage("domain-block list takes no arguments");
		ex = open_store(data, &s);
		if (ex)
			return ex;
		rc = store_read_begin(s, &t);
		if (!rc)
			rc = policy_block_list(t, print_block, NULL);
		store_read_end(t);
		store_close(s);
		if (fflush(stdout) != 0)
			return failed("cannot write the list", NULL);
		return rc ? failed("cannot read the blocks", NULL) : 0;
	}
	if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0)
		return bad_usage("domain-block needs add, remove or list");
	op.add = strcmp(verb, "add") == 0;
	for (int i = 1; i < argc; i++) {
		if (op.add && strcmp(argv[i], "--reason") == 0) {
			if (i + 1 >= argc)
				return bad_usage("--reason needs a value");
			op.reason = str_from(argv[++i]);
		} else if (op.add && strncmp(argv[i], "--reason=", 9) == 0) {
			op.reason = str_from(argv[i] + 9);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return bad_usage("unknown option");
		} else if (op.domain.p) {
			return bad_usage("one domain at a time");
		} else {
			op.domain = str_from(argv[i]);
		}
	}
	if (!op.domain.p)
		return bad_usage(op.add ? "domain-block add needs a DOMAIN"
		                        : "domain-block remove needs a DOMAIN");
	/* refuse junk before touching the database */
	if (policy_domain_normalise(op.domain, norm, &ei) != SE_OK) {
		fprintf(stderr, "solstice-admin: '%s' is not a domain: %s\n", op.domain.p,
		        ei.detail);
		return EXIT_USAGE;
	}
	if (op.reason.n > POLICY_REASON_MAX)
		return bad_usage("reason too long (1000 bytes at most)");
	ex = open_store(data, &s);
	if (ex)
		return ex;
	rc = store_write(s, block_fn, &op, &ei);
	store_close(s);
	if (rc == SE_NOT_FOUND) {
		fprintf(stderr, "solstice-admin: '%s' is not blocked\n", norm);
		return 1;
	}
	if (rc == SE_INVAL) {
		fprintf(stderr, "solstice-admin: %s\n", ei.detail[0] ? ei.detail : "invalid input");
		return EXIT_USAGE;
	}
	if (rc)
		return failed(op.add ? "cannot add the block" : "cannot remove the block", &ei);
	printf("%s %s\n", op.add ? "blocked" : "unblocked", norm);
	return 0;
}

/* ---- policy-change ---- */

struct pchange_op {
	enum { PC_ADD, PC_REMOVE } verb;
	struct str description, url, id;
	int64_t effective_ms;
	char new_id[32];
	struct err_info *ei;
};

static enum err pchange_fn(struct store_wtxn *w, void *arg)
{
	struct pchange_op *o = arg;
	struct timespec ts;
	int64_t now;

	if (o->verb == PC_REMOVE)
		return pchange_remove(w, o->id);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return pchange_add(w, o->description, o->url,
	                   o->effective_ms < 0 ? -1 : now + o->effective_ms, now, o->new_id, o->ei);
}

static void print_time(json_t *v)
{
	time_t t = (time_t)(json_integer_value(v) / 1000);
	struct tm tm;
	char when[32] = "-";

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s\t", when);
}

static int pchange_print(struct store *s)
{
	struct store_txn *txn = NULL;
	json_t *all = json_array(), *rec;
	enum err rc;
	size_t i;

	rc = store_read_begin(s, &txn);
	if (!rc)
		rc = pchange_list(txn, all);
	store_read_end(txn);
	json_array_foreach(all, i, rec)
	{
		printf("%s\t", json_string_value(json_object_get(rec, "_id")));
		print_time(json_object_get(rec, "created"));
		print_time(json_object_get(rec, "effective"));
		printf("%s\t%s\n", json_string_value(json_object_get(rec, "url")),
		       json_string_value(json_object_get(rec, "description")));
	}
	json_decref(all);
	return rc ? failed("cannot list the policy changes", NULL) : 0;
}

static int cmd_policy_change(const char *data, int argc, char **argv)
{
	struct err_info ei = ERR_INFO_INIT;
	struct pchange_op op = {.effective_ms = -1, .ei = &ei};
	struct store *s = NULL;
	enum err rc;
	int ex;

	if (argc < 1)
		return bad_usage("policy-change needs add, remove or list");
	if (strcmp(argv[0], "list") == 0) {
		if (argc != 1)
			return bad_usage("policy-change list takes no arguments");
		ex = open_store(data, &s);
		if (ex)
			return ex;
		ex = pchange_print(s);
		store_close(s);
		return ex;
	}
	if (strcmp(argv[0], "remove") == 0) {
		if (argc != 2)
			return bad_usage("policy-change remove needs an ID");
		op.verb = PC_REMOVE;
		op.id = str_from(argv[1]);
	} else if (strcmp(argv[0], "add") == 0) {
		op.verb = PC_ADD;
		for (int i = 1; i < argc; i++) {
			const char *v = i + 1 < argc ? argv[i + 1] : NULL;
			char *end = NULL;
			long days;

			if (!v)
				return bad_usage("an option of policy-change add has no value");
			if (strcmp(argv[i], "--description") == 0) {
				op.description = str_from(v);
			} else if (strcmp(argv[i], "--url") == 0) {
				op.url = str_from(v);
			} else if (strcmp(argv[i], "--effective-in-days") == 0) {
				days = strtol(v, &end, 10);
				if (!*v || *end || days < 0 || days > 3650)
					return bad_usage("--effective-in-days takes 0..3650");
				op.effective_ms = (int64_t)days * 86400000;
			} else {
				return bad_usage("unknown option of policy-change add");
			}
			i++;
		}
		if (!op.description.p || !op.url.p)
			return bad_usage("policy-change add needs --description and --url");
	} else {
		return bad_usage("policy-change needs add, remove or list");
	}
	ex = open_store(data, &s);
	if (ex)
		return ex;
	rc = store_write(s, pchange_fn, &op, &ei);
	store_close(s);
	if (rc == SE_NOT_FOUND) {
		fprintf(stderr, "solstice-admin: no policy change '%s'\n", argv[1]);
		return 1;
	}
	if (rc == SE_INVAL || rc == SE_FULL) {
		fprintf(stderr, "solstice-admin: %s\n", ei.detail[0] ? ei.detail : "invalid input");
		return rc == SE_INVAL ? EXIT_USAGE : 1;
	}
	if (rc)
		return failed("cannot write the policy change", &ei);
	if (op.verb == PC_ADD)
		printf("%s\n", op.new_id);
	else
		printf("removed %s\n", argv[1]);
	return 0;
}

/* ---- user privileged ---- */

struct priv_op {
	struct str id;
	bool on;
};

static enum err priv_fn(struct store_wtxn *w, void *arg)
{
	const struct priv_op *o = arg;
	json_t *rec = NULL;
	char *txt = NULL;
	enum err rc;

	rc = store_get_json(store_wtxn_read(w), USER_COLL, o->id, &rec);
	if (rc)
		return rc;
	/* Revolt omits `privileged` when false */
	if (o->on)
		json_object_set_new(rec, "privileged", json_true());
	else
		json_object_del(rec, "privileged");
	txt = jx_dump(rec);
	json_decref(rec);
	if (!txt)
		return SE_NOMEM;
	rc = store_update(w, USER_COLL, o->id, str_from(txt));
	mem_free(txt);
	return rc;
}

static int cmd_user(const char *data, int argc, char **argv)
{
	struct err_info ei = ERR_INFO_INIT;
	struct store *s = NULL;
	struct priv_op op;
	struct ulid u;
	enum err rc;
	int ex;

	if (argc < 1 || strcmp(argv[0], "privileged") != 0)
		return bad_usage("user needs: privileged USER_ID on|off");
	if (argc != 3)
		return bad_usage("usage: user privileged USER_ID on|off");
	op.id = str_from(argv[1]);
	if (ulid_parse(op.id, &u, NULL) != SE_OK)
		return bad_usage("USER_ID must be a user's ULID");
	if (strcmp(argv[2], "on") == 0)
		op.on = true;
	else if (strcmp(argv[2], "off") == 0)
		op.on = false;
	else
		return bad_usage("privileged takes on or off");
	ex = open_store(data, &s);
	if (ex)
		return ex;
	rc = store_write(s, priv_fn, &op, &ei);
	store_close(s);
	if (rc == SE_NOT_FOUND) {
		fprintf(stderr, "solstice-admin: no user '%s'\n", argv[1]);
		return 1;
	}
	if (rc)
		return failed("cannot update the user", &ei);
	printf("user %s privileged %s\n", argv[1], op.on ? "on" : "off");
	return 0;
}

/* ---- key rotate: through the daemon (it holds the keys in memory) ---- */

static int cmd_key(int argc, char **argv)
{
	struct err_info ei = ERR_INFO_INIT;
	struct fetch_opts o = {true, 60, 64 * 1024, 0, "solstice-admin"};
	struct fetch_resp r;
	const char *base = NULL, *token = getenv("SOLSTICE_TOKEN"), *owner;
	char url[2048], auth[512];
	const char *hdrs[] = {auth, NULL};
	struct fetch_req rq = {"POST", url, hdrs, STR_LIT("")};
	json_t *v;
	size_t n;
	int ex = 1;

	if (argc < 2 || strcmp(argv[0], "rotate") != 0)
		return bad_usage("key needs: rotate USER_ID|instance --url URL");
	owner = argv[1];
	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			return bad_usage("an option of key rotate has no value");
		if (strcmp(argv[i], "--url") == 0)
			base = argv[++i];
		else if (strcmp(argv[i], "--token") == 0)
			token = argv[++i];
		else
			return bad_usage("unknown option of key rotate");
	}
	/* the owner goes into a URL path: a ULID or "instance", nothing else */
	if (strcmp(owner, "instance") != 0 && !ulid_is_valid(str_from(owner)))
		return bad_usage("key rotate needs a user id (ULID) or 'instance'");
	if (!base || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
		return bad_usage("key rotate needs --url http(s)://HOST[:PORT]");
	if (!token || !*token || strpbrk(token, "\r\n"))
		return bad_usage("key rotate needs a session token in $SOLSTICE_TOKEN or --token");
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (snprintf(url, sizeof(url), "%.*s/admin/api/federation/keys/%s/rotate", (int)n, base,
	             owner) >= (int)sizeof(url) ||
	    snprintf(auth, sizeof(auth), "X-Session-Token: %s", token) >= (int)sizeof(auth))
		return bad_usage("--url or the token is too long");
	if (fetch_global_init())
		return failed("cannot start the HTTP client", NULL);
	if (fetch_do(&o, &rq, &r, &ei))
		return failed("cannot reach the daemon", &ei);
	v = json_loadb(r.body.ptr ? r.body.ptr : "", r.body.len, 0, NULL);
	if (r.status == 200 && json_is_object(v)) {
		printf("rotated %s: %s (%s)\n", owner,
		       json_string_value(json_object_get(v, "key_id")),
		       json_is_true(json_object_get(v, "followers_notified"))
		           ? "Update sent to followers"
		           : "no Update: peers refetch the key when a signature fails");
		ex = 0;
	} else {
		fprintf(stderr, "solstice-admin: the daemon answered %ld %s\n", r.status,
		        json_string_value(json_object_get(v, "type"))
		            ? json_string_value(json_object_get(v, "type"))
		            : "");
	}
	json_decref(v);
	fetch_resp_release(&r);
	fetch_global_release();
	return ex;
}

int main(int argc, char **argv)
{
	const char *data = "data";
	int i = 1;

	jx_init();
	/* the store's info lines would clutter the output */
	log_set_level(LOG_LVL_WARN);
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--data") == 0) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return bad_usage("--data needs a directory");
			data = argv[++i];
		} else if (strncmp(argv[i], "--data=", 7) == 0 && argv[i][7]) {
			data = argv[i] + 7;
		} else if (argv[i][0] == '-') {
			return bad_usage("unknown option");
		} else {
			break;
		}
	}
	for (int k = i; k < argc; k++)
		if (strcmp(argv[k], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
	if (i >= argc)
		return bad_usage("no command");
	if (strcmp(argv[i], "domain-block") == 0)
		return cmd_domain_block(data, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "user") == 0)
		return cmd_user(data, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "policy-change") == 0)
		return cmd_policy_change(data, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "key") == 0)
		return cmd_key(argc - i - 1, argv + i + 1);
	return bad_usage("unknown command");
}
