/*
 * tests/unit/federation/test_policy.c: domain blocks: normalisation (ports,
 * case, trailing dot, IPv6 literals, junk), suffix matching (a block covers
 * subdomains, not look-alikes), URLs, add/replace/remove/list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jx.h"
#include "core/mem.h"
#include "federation/policy.h"
#include "storage/store.h"
#include "tests/support/tstore.h"

static const struct store_coll_def colls[] = {POLICY_COLL_DEF};
static const struct store_schema schema = {colls, 1};

static int setup(void **state)
{
	*state = tstore_open("policy", &schema);
	return 0;
}

static int teardown(void **state)
{
	tstore_close(*state);
	return 0;
}

static void test_normalise(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {"example.com", "example.com"},
	    {"Example.COM", "example.com"},
	    {"example.com.", "example.com"},
	    {"example.com:443", "example.com"},
	    {"EXAMPLE.com.:8080", "example.com"},
	    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
	    {"my_host.example", "my_host.example"},
	    {"localhost", "localhost"},
	    {"127.0.0.1", "127.0.0.1"},
	    {"127.0.0.1:3000", "127.0.0.1"},
	    {"[2001:DB8::1]", "2001:db8::1"},
	    {"[2001:db8::1]:443", "2001:db8::1"},
	    {"2001:db8::1", "2001:db8::1"},
	    {"", NULL},
	    {".", NULL},
	    {"..", NULL},
	    {".example.com", NULL},
	    {"example..com", NULL},
	    {"example.com..", NULL},
	    {"exa mple.com", NULL},
	    {" example.com", NULL},
	    {"example.com/", NULL},
	    {"example.com/path", NULL},
	    {"https://example.com", NULL},
	    {"user@example.com", NULL},
	    {"*.example.com", NULL},
	    {"example.com:", NULL},
	    {"example.com:0", NULL},
	    {"example.com:65536", NULL},
	    {"example.com:80:80", NULL},
	    {"example.com:8x", NULL},
	    {"b\xc3\xbc"
	     "cher.example",
	     NULL},
	    {"[::1", NULL},
	    {"[]", NULL},
	    {"[zz::1]", NULL},
	    {"[::1]x", NULL},
	    {"[::1]:", NULL},
	    {"a.%2e.com", NULL},
	};
	char out[POLICY_DOMAIN_MAX + 1];
	char big[400];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		enum err rc = policy_domain_normalise(str_from(cases[i].in), out, &ei);

		if (!cases[i].want) {
			if (rc != SE_INVAL)
				fail_msg("'%s' was accepted as '%s'", cases[i].in, out);
			assert_true(ei.detail[0] != '\0');
			continue;
		}
		if (rc != SE_OK)
			fail_msg("'%s' refused: %s", cases[i].in, ei.detail);
		assert_string_equal(out, cases[i].want);
	}
	/* NUL inside the slice, labels and names over the DNS limits */
	assert_int_equal(policy_domain_normalise((struct str){"a\0b.com", 7}, out, NULL), SE_INVAL);
	memset(big, 'a', 64);
	memcpy(big + 64, ".com", 5);
	assert_int_equal(policy_domain_normalise(str_from(big), out, NULL), SE_INVAL);
	memcpy(big + 63, ".com", 5);
	assert_int_equal(policy_domain_normalise(str_from(big), out, NULL), SE_OK);
	for (int i = 0; i < 300; i += 2) {
		big[i] = 'a';
		big[i + 1] = '.';
	}
	memcpy(big + 300, "com", 4);
	assert_int_equal(policy_domain_normalise(str_from(big), out, NULL), SE_INVAL);
	/* 253 bytes is the longest name */
	memcpy(big + 250, "com", 4);
	assert_int_equal(policy_domain_normalise(str_from(big), out, NULL), SE_OK);
	assert_int_equal(strlen(out), 253);
	assert_int_equal(policy_domain_normalise(STR_NULL, out, NULL), SE_INVAL);
}

struct op {
	bool add;
	const char *domain, *reason;
};

static enum err op_fn(struct store_wtxn *w, void *arg)
{
	const struct op *o = arg;

	if (o->add)
		return policy_block_add(w, str_from(o->domain), str_from(o->reason));
	return policy_block_remove(w, str_from(o->domain));
}

static enum err run(struct tstore *f, bool add, const char *domain, const char *reason)
{
	struct op o = {add, domain, reason};

	return store_write(f->s, op_fn, &o, NULL);
}

static bool allows(struct tstore *f, const char *host)
{
	struct store_txn *t = NULL;
	bool ok;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	ok = policy_allows_host(t, str_from(host));
	store_read_end(t);
	return ok;
}

static bool allows_url(struct tstore *f, const char *url)
{
	struct store_txn *t = NULL;
	bool ok;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	ok = policy_allows_url(t, url);
	store_read_end(t);
	return ok;
}

static void test_suffix_match(void **state)
{
	static const struct {
		const char *host;
		bool ok;
	} cases[] = {
	    {"example.com", false},
	    {"EXAMPLE.COM", false},
	    {"example.com.", false},
	    {"example.com:8443", false},
	    {"a.example.com", false},
	    {"a.b.example.com", false},
	    {"A.B.Example.Com:443", false},
	    {"badexample.com", true},
	    {"example.com.evil", true},
	    {"example.co", true},
	    {"com", true},
	    {"other.org", true},
	    {"sub.spam.net", false},
	    {"spam.net", true},
	    {"x.sub.spam.net", false},
	    {"10.1.2.3", false},
	    {"10.1.2.3:80", false},
	    {"1.2.3", true},
	    /* not an address, so a name whose parent is the blocked "10.1.2.3" */
	    {"2.10.1.2.3", false},
	    {"[2001:db8::5]", false},
	    {"2001:db8::5", false},
	    {"[2001:db8::6]", true},
	    /* junk is never allowed */
	    {"", false},
	    {"exa mple.org", false},
	    {"other.org/x", false},
	};
	struct tstore *f = *state;

	assert_int_equal(run(f, true, "Example.com.", "spam"), SE_OK);
	assert_int_equal(run(f, true, "sub.spam.net:443", ""), SE_OK);
	assert_int_equal(run(f, true, "10.1.2.3", "scanner"), SE_OK);
	assert_int_equal(run(f, true, "[2001:DB8::5]", ""), SE_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (allows(f, cases[i].host) != cases[i].ok)
			fail_msg("'%s': expected %s", cases[i].host,
			         cases[i].ok ? "allowed" : "blocked");

	assert_false(allows_url(f, "https://a.example.com/users/x"));
	assert_false(allows_url(f, "https://EXAMPLE.com:8443/inbox"));
	assert_false(allows_url(f, "http://10.1.2.3/"));
	assert_false(allows_url(f, "https://[2001:db8::5]/actor"));
	assert_true(allows_url(f, "https://badexample.com/users/x"));
	assert_false(allows_url(f, "not a url"));
	assert_false(allows_url(f, "ftp://other.org/"));
	assert_false(allows_url(f, NULL));

	/* removing lifts the block for the domain and its subdomains */
	assert_int_equal(run(f, false, "EXAMPLE.COM", NULL), SE_OK);
	assert_true(allows(f, "a.b.example.com"));
	assert_int_equal(run(f, false, "example.com", NULL), SE_NOT_FOUND);
	assert_int_equal(run(f, false, "bad domain", NULL), SE_INVAL);
	/* a block on the parent still covers a removed child's subtree */
	assert_false(allows(f, "x.sub.spam.net"));
}

struct listed {
	int n;
	char domains[8][64];
	char reasons[8][64];
	long long created[8];
	int stop_after;
};

static bool collect(const struct policy_block *b, void *arg)
{
	struct listed *l = arg;

	if (l->n < 8) {
		snprintf(l->domains[l->n], 64, "%.63s", b->domain);
		snprintf(l->reasons[l->n], 64, "%.63s", b->reason);
		l->created[l->n] = b->created;
		assert_string_equal(b->severity, "suspend");
	}
	l->n++;
	return l->stop_after == 0 || l->n < l->stop_after;
}

static void list(struct tstore *f, struct listed *l)
{
	struct store_txn *t = NULL;

	assert_int_equal(store_read_begin(f->s, &t), SE_OK);
	assert_int_equal(policy_block_list(t, collect, l), SE_OK);
	store_read_end(t);
}

static void test_add_list_remove(void **state)
{
	struct tstore *f = *state;
	struct listed l;
	char reason[POLICY_REASON_MAX + 2];
	long long first;

	memset(&l, 0, sizeof(l));
	list(f, &l);
	assert_int_equal(l.n, 0);

	assert_int_equal(run(f, true, "zeta.example", "z"), SE_OK);
	assert_int_equal(run(f, true, "alpha.example", "first"), SE_OK);
	assert_int_equal(run(f, true, "mid.example", ""), SE_OK);
	memset(&l, 0, sizeof(l));
	list(f, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.domains[0], "alpha.example");
	assert_string_equal(l.domains[1], "mid.example");
	assert_string_equal(l.domains[2], "zeta.example");
	assert_string_equal(l.reasons[0], "first");
	assert_true(l.created[0] > 1600000000000LL);
	first = l.created[0];

	/* re-adding replaces the reason, keeps the date, adds no row */
	assert_int_equal(run(f, true, "ALPHA.example:80", "second"), SE_OK);
	memset(&l, 0, sizeof(l));
	list(f, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.reasons[0], "second");
	assert_true(l.created[0] == first);

	/* the callback can stop the walk */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	list(f, &l);
	assert_int_equal(l.n, 2);

	/* hostile reasons */
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(run(f, true, "x.example", reason), SE_INVAL);
	reason[POLICY_REASON_MAX] = '\0';
	assert_int_equal(run(f, true, "x.example", reason), SE_OK);
	assert_int_equal(run(f, true, "y.example", "line\nbreak"), SE_INVAL);
	assert_int_equal(run(f, true, "y.example", "bad \xff utf8"), SE_INVAL);
	assert_int_equal(run(f, true, "y.example", "caf\xc3\xa9 \t ok"), SE_OK);
	assert_int_equal(run(f, true, "", "x"), SE_INVAL);
	assert_int_equal(run(f, true, "a/b", "x"), SE_INVAL);

	assert_int_equal(run(f, false, "mid.example", NULL), SE_OK);
	assert_int_equal(run(f, false, "x.example", NULL), SE_OK);
	assert_int_equal(run(f, false, "y.example", NULL), SE_OK);
	memset(&l, 0, sizeof(l));
	list(f, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.domains[1], "zeta.example");
}

/* More blocks than one scan page. */
static void test_list_pages(void **state)
{
	struct tstore *f = *state;
	struct listed l;
	char d[64];

	for (int i = 0; i < 150; i++) {
		snprintf(d, sizeof(d), "host%03d.example", i);
		assert_int_equal(run(f, true, d, "bulk"), SE_OK);
	}
	memset(&l, 0, sizeof(l));
	list(f, &l);
	assert_int_equal(l.n, 150);
	assert_string_equal(l.domains[0], "host000.example");
	assert_false(allows(f, "www.host149.example"));
	assert_true(allows(f, "host150.example"));
}

/* Every mem_try_* failure in add and list gives an error and leaks nothing; then it works. */
static void test_oom(void **state)
{
	struct tstore *f = *state;
	struct listed l;
	unsigned long n;
	enum err rc = SE_NOMEM;

	for (n = 1; n < 500 && rc != SE_OK; n++) {
		mem_fail_at(n, 0);
		rc = run(f, true, "oom.example", "out of memory");
		mem_fail_at(0, 0);
		if (rc != SE_OK && rc != SE_NOMEM && rc != SE_IO)
			fail_msg("allocation %lu: rc %d", n, rc);
	}
	assert_int_equal(rc, SE_OK);
	assert_true(n > 1);
	rc = SE_NOMEM;
	for (n = 1; n < 500 && rc != SE_OK; n++) {
		struct store_txn *t = NULL;

		memset(&l, 0, sizeof(l));
		assert_int_equal(store_read_begin(f->s, &t), SE_OK);
		mem_fail_at(n, 0);
		rc = policy_block_list(t, collect, &l);
		mem_fail_at(0, 0);
		store_read_end(t);
		if (rc != SE_OK && rc != SE_NOMEM && rc != SE_PARSE)
			fail_msg("list allocation %lu: rc %d", n, rc);
	}
	assert_int_equal(rc, SE_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.reasons[0], "out of memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test_setup_teardown(test_suffix_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_list_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	/* jansson's allocations go through mem_try_* (and the OOM hook) */
	jx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
