/*
 * tests/unit/messages/test_mentions.c: the mention parser against the
 * backend parser's rules (tokens, escapes, code markers) and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "messages/mentions.h"

#define A "01FD58YK5W7QRV5H3D64KTQYX3"
#define B "01FD58YK5W7QRV5H3D64KTQYX4"

struct mcase {
	const char *in;
	size_t n_users, n_roles;
	const char *first_user, *first_role;
	bool everyone, online;
};

static const struct mcase cases[] = {
    {"Hello everyone", 0, 0, NULL, NULL, false, false},
    {"Hello <@" A ">.", 1, 0, A, NULL, false, false},
    {"Hello <%" A ">.", 0, 1, NULL, A, false, false},
    {"Hello @everyone.", 0, 0, NULL, NULL, true, false},
    {"Hello @online.", 0, 0, NULL, NULL, false, true},
    {"<@" A ">, <%" B ">, @everyone and @online", 1, 1, A, B, true, true},
    {"<@" A "><@" A "><@" B ">", 2, 0, A, NULL, false, false},
    /* escapes hide the next token */
    {"\\<@" A ">", 0, 0, NULL, NULL, false, false},
    {"\\@everyone <@" A ">", 1, 0, A, NULL, false, false},
    /* code spans */
    {"`<@" A ">`", 0, 0, NULL, NULL, false, false},
    {"``@everyone``", 0, 0, NULL, NULL, false, false},
    {"```js\n<@" A ">\n```", 0, 0, NULL, NULL, false, false},
    {"`x` <@" A "> `y`", 1, 0, A, NULL, false, false},
    /* an unclosed marker: what follows counts */
    {"`<@" A ">", 1, 0, A, NULL, false, false},
    {"``@online`", 0, 0, NULL, NULL, false, true},
    /* near misses */
    {"<@" A, 0, 0, NULL, NULL, false, false},
    {"<@01fd58yk5w7qrv5h3d64ktqyx3>", 0, 0, NULL, NULL, false, false},
    {"<@01FD58YK5W7QRV5H3D64KTQYXI>", 0, 0, NULL, NULL, false, false},
    {"<@" A "0>", 0, 0, NULL, NULL, false, false},
    {"<<@" A ">>", 1, 0, A, NULL, false, false},
    {"<@<@" A ">", 1, 0, A, NULL, false, false},
    {"@everyon @onlin", 0, 0, NULL, NULL, false, false},
    {"@everyoneX", 0, 0, NULL, NULL, true, false},
    {"", 0, 0, NULL, NULL, false, false},
    {"\\", 0, 0, NULL, NULL, false, false},
    {"`", 0, 0, NULL, NULL, false, false},
    {"\xff\xfe<@" A ">\xc3", 1, 0, A, NULL, false, false},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];
		struct msg_mentions m;

		assert_int_equal(msg_mentions_parse(str_from(c->in), &m), SE_OK);
		if (m.n_users != c->n_users || m.n_roles != c->n_roles ||
		    m.everyone != c->everyone || m.online != c->online)
			fail_msg("case %zu '%s': users %zu roles %zu everyone %d online %d", i,
			         c->in, m.n_users, m.n_roles, m.everyone, m.online);
		if (c->first_user)
			assert_string_equal(m.users[0], c->first_user);
		if (c->first_role)
			assert_string_equal(m.roles[0], c->first_role);
	}
}

/* NUL bytes inside and a slice that ends inside a token. */
static void test_bounds(void **state)
{
	static const char text[] = "x\0<@" A ">";
	struct msg_mentions m;

	(void)state;
	assert_int_equal(msg_mentions_parse((struct str){text, sizeof(text) - 1}, &m), SE_OK);
	assert_int_equal(m.n_users, 1);
	assert_int_equal(msg_mentions_parse((struct str){text, sizeof(text) - 2}, &m), SE_OK);
	assert_int_equal(m.n_users, 0);
	assert_int_equal(msg_mentions_parse(STR_NULL, &m), SE_OK);
	assert_int_equal(m.n_users, 0);
}

/* More distinct users than MSG_MENTIONS_MAX: SE_FULL, never an overflow. */
static void test_too_many(void **state)
{
	static char text[(MSG_MENTIONS_MAX + 2) * 29 + 1];
	static struct msg_mentions m;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < MSG_MENTIONS_MAX + 2; i++) {
		char id[40];

		snprintf(id, sizeof(id), "01FD58YK5W7QRV5H3D64K%05u", (unsigned)i % 100000u);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "<@%s>", id);
	}
	assert_int_equal(msg_mentions_parse((struct str){text, n}, &m), SE_FULL);
	/* a long run of code markers and escapes stays linear and finite */
	memset(text, '`', sizeof(text) - 1);
	assert_int_equal(msg_mentions_parse((struct str){text, sizeof(text) - 1}, &m), SE_OK);
	memset(text, '\\', sizeof(text) - 1);
	assert_int_equal(msg_mentions_parse((struct str){text, sizeof(text) - 1}, &m), SE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
