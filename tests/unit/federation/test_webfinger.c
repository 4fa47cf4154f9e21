/*
 * tests/unit/federation/test_webfinger.c: the WebFinger resource parser
 * (every kind, case variants, ports, hostile inputs), handle parsing,
 * Accept negotiation for actor URLs and the URL helpers of fed.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "federation/actor.h"
#include "federation/fed.h"
#include "federation/webfinger.h"

#define BASE "https://chat.example:8443"
#define HOST "chat.example:8443"
#define ULID1 "01HZY3M5T6XQ8V9W0ABCDEFGHJ"

static enum err parse(const char *r, struct wf_target *t)
{
	struct err_info ei = ERR_INFO_INIT;

	return wf_parse_resource(r ? (struct str){r, strlen(r)} : STR_NULL, STR_LIT(BASE),
	                         STR_LIT(HOST), t, &ei);
}

static void test_resource_ok(void **state)
{
	static const struct {
		const char *r;
		enum wf_kind kind;
		const char *a, *b; /* name+discrim or id */
	} cases[] = {
	    {"acct:alice_0042@chat.example:8443", WF_HANDLE, "alice", "0042"},
	    {"acct:Alice_0042@CHAT.example:8443", WF_HANDLE, "Alice", "0042"},
	    {"ACCT:al_ice_0001@chat.example:8443", WF_HANDLE, "al_ice", "0001"},
	    {"acct:j\xc3\xa9r\xc3\xb4me_1234@chat.example:8443", WF_HANDLE, "j\xc3\xa9r\xc3\xb4me",
	     "1234"},
	    {"acct:a.b-c_9999@chat.example:8443", WF_HANDLE, "a.b-c", "9999"},
	    {"acct:chat.example@chat.example:8443", WF_INSTANCE, NULL, NULL},
	    {"acct:chat.example:8443@chat.example:8443", WF_INSTANCE, NULL, NULL},
	    {"acct:alice_0042@other.example", WF_FOREIGN, NULL, NULL},
	    {"acct:alice_0042@chat.example", WF_FOREIGN, NULL, NULL}, /* port differs */
	    {BASE "/users/" ULID1, WF_USER_ID, ULID1, NULL},
	    {"HTTPS://CHAT.EXAMPLE:8443/users/" ULID1, WF_USER_ID, ULID1, NULL},
	    {BASE "/@alice_0042", WF_HANDLE, "alice", "0042"},
	    {BASE "/actor", WF_INSTANCE, NULL, NULL},
	    {"https://other.example/users/" ULID1, WF_FOREIGN, NULL, NULL},
	    {BASE "/objects/x", WF_FOREIGN, NULL, NULL},
	    {BASE "x/users/" ULID1, WF_FOREIGN, NULL, NULL},
	    {"http://chat.example:8443/users/" ULID1, WF_FOREIGN, NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wf_target t;

		if (parse(cases[i].r, &t) != SE_OK)
			fail_msg("case %zu '%s' rejected", i, cases[i].r);
		if (t.kind != cases[i].kind)
			fail_msg("case %zu '%s': kind %d want %d", i, cases[i].r, t.kind,
			         cases[i].kind);
		if (t.kind == WF_HANDLE) {
			assert_true(str_eq_cstr(t.name, cases[i].a));
			assert_true(str_eq_cstr(t.discrim, cases[i].b));
		} else if (t.kind == WF_USER_ID) {
			assert_true(str_eq_cstr(t.id, cases[i].a));
		}
	}
}

static void test_resource_hostile(void **state)
{
	static const char *const bad[] = {
	    "",
	    "alice_0042@chat.example:8443", /* no scheme */
	    "acct:",
	    "acct:@chat.example:8443",
	    "acct:alice_0042@",
	    "acct:@alice_0042@chat.example:8443",
	    "acct:alice@chat.example:8443",        /* no discriminator */
	    "acct:alice_042@chat.example:8443",    /* 3 digits */
	    "acct:alice_00420@chat.example:8443",  /* 5 digits */
	    "acct:alice_00a2@chat.example:8443",   /* not digits */
	    "acct:_0042@chat.example:8443",        /* empty name */
	    "acct:al ice_0042@chat.example:8443",  /* space */
	    "acct:al\tice_0042@chat.example:8443", /* control byte */
	    "acct:al/ice_0042@chat.example:8443",
	    "acct:al%40ice_0042@chat.example:8443",
	    "acct:alice_0042@chat.example:8443/x",
	    "acct:alice_0042@chat.example:8443#f",
	    "acct:alice_0042@chat_example",
	    "mailto:alice@chat.example",
	    "javascript:alert(1)",
	    "https://",
	    "https:///users/" ULID1,
	    BASE "/users/not-a-ulid",
	    BASE "/users/" ULID1 "/inbox",
	    BASE "/users/" ULID1 "x",
	    BASE "/users/",
	    BASE "/@alice",
	    BASE "/@",
	    BASE "/users/" ULID1 "\x7f",
	};
	char big[WF_RESOURCE_MAX + 64];
	struct wf_target t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &t) != SE_PARSE)
			fail_msg("case %zu '%s' accepted (kind %d)", i, bad[i], t.kind);
	assert_int_equal(parse(NULL, &t), SE_PARSE);
	/* NUL inside the value */
	{
		struct err_info ei = ERR_INFO_INIT;
		static const char nul[] = "acct:alice_0042\0@chat.example:8443";

		assert_int_equal(wf_parse_resource((struct str){nul, sizeof(nul) - 1},
		                                   STR_LIT(BASE), STR_LIT(HOST), &t, &ei),
		                 SE_PARSE);
	}
	/* over-long */
	memcpy(big, "acct:", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	memcpy(big + sizeof(big) - 30, "_0042@chat.example:8443", 24);
	assert_int_equal(parse(big, &t), SE_PARSE);
}

static void test_handle(void **state)
{
	struct str n, d;
	char name[WF_USERNAME_MAX + 8];

	(void)state;
	assert_true(wf_parse_handle(STR_LIT("bob_0001"), &n, &d));
	assert_true(str_eq_cstr(n, "bob") && str_eq_cstr(d, "0001"));
	assert_true(wf_parse_handle(STR_LIT("a_b_c_0001"), &n, &d));
	assert_true(str_eq_cstr(n, "a_b_c"));
	assert_false(wf_parse_handle(STR_LIT("bob_0001_"), &n, &d));
	assert_false(wf_parse_handle(STR_LIT("bob"), &n, &d));
	assert_false(wf_parse_handle(STR_LIT(""), &n, &d));
	assert_false(wf_parse_handle(STR_LIT("_0001"), &n, &d));
	assert_false(wf_parse_handle(STR_LIT("b:b_0001"), &n, &d));
	assert_false(wf_parse_handle(STR_LIT("b?b_0001"), &n, &d));
	memset(name, 'x', sizeof(name));
	memcpy(name + WF_USERNAME_MAX, "_0001", 5);
	assert_true(wf_parse_handle((struct str){name, WF_USERNAME_MAX + 5}, &n, &d));
	memcpy(name + WF_USERNAME_MAX + 1, "_0001", 5);
	assert_false(wf_parse_handle((struct str){name, WF_USERNAME_MAX + 6}, &n, &d));
}

static void test_negotiation(void **state)
{
	static const struct {
		const char *accept;
		bool html, as2;
	} cases[] = {
	    {NULL, false, false},
	    {"*/*", false, false},
	    {"application/activity+json", false, true},
	    {"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", false, true},
	    {"application/json", false, true},
	    {"text/html", true, false},
	    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true, false},
	    {"application/activity+json, text/html", false, true},
	    {"text/html, application/activity+json", true, false},
	    {"text/html;q=0.5, application/activity+json", false, true},
	    {"application/activity+json;q=0.1, text/html;q=0.9", true, false},
	    {"text/html;q=0", false, false},
	    {"text/html;q=0.2, */*", false, false},
	    {"TEXT/HTML", true, false},
	    {"application/activity+json, application/ld+json; "
	     "profile=\"https://www.w3.org/ns/activitystreams\"",
	     false, true},
	    {"text/plain", false, false},
	    {",,,;;;q=,", false, false},
	    {"text/html;q=abc", false, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct str a = cases[i].accept ? str_from(cases[i].accept) : STR_NULL;

		if (actor_wants_html(a) != cases[i].html)
			fail_msg("case %zu '%s': html %d", i, cases[i].accept, !cases[i].html);
		if (actor_wants_as2(a) != cases[i].as2)
			fail_msg("case %zu '%s': as2 %d", i, cases[i].accept, !cases[i].as2);
	}
}

static void test_urls(void **state)
{
	struct fed f = {0};
	struct arena a = ARENA_INIT(1 << 16);
	struct str id;
	char *u;

	(void)state;
	f.base = (char *)BASE;
	f.host = (char *)HOST;
	assert_string_equal(fed_actor_url(&f, &a, STR_LIT(ULID1)), BASE "/users/" ULID1);
	assert_string_equal(fed_object_url(&f, &a, STR_LIT(ULID1)), BASE "/objects/" ULID1);
	u = fed_activity_url(&f, &a);
	assert_non_null(u);
	assert_int_equal(strlen(u), strlen(BASE "/activities/") + 26);
	assert_true(fed_local_user_of(&f, str_from(BASE "/users/" ULID1), &id));
	assert_true(str_eq_cstr(id, ULID1));
	assert_true(fed_local_user_of(&f, str_from(BASE "/users/" ULID1 "#main-key"), &id));
	assert_true(str_eq_cstr(id, ULID1));
	assert_true(fed_local_user_of(&f, str_from(BASE "/users/" ULID1 "/inbox"), &id));
	assert_false(fed_local_user_of(&f, str_from(BASE "/users/xyz"), &id));
	assert_false(fed_local_user_of(&f, str_from(BASE "/users/"), &id));
	assert_false(fed_local_user_of(&f, str_from("https://evil.example/users/" ULID1), &id));
	assert_false(fed_local_user_of(&f, str_from(BASE "x/users/" ULID1), &id));
	assert_false(fed_local_user_of(&f, STR_NULL, &id));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resource_ok), cmocka_unit_test(test_resource_hostile),
	    cmocka_unit_test(test_handle),      cmocka_unit_test(test_negotiation),
	    cmocka_unit_test(test_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
