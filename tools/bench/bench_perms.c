/*
 * tools/bench/bench_perms.c: cost per call of perm_channel_json for a member
 * with 10 roles on a channel with 10 role overrides, and of the pure
 * perm_server_channel_calc, next to one json_loads of the member record
 * measured in the same run (the ratio is what matters, not the absolute).
 */
#include <stdio.h>
#include <time.h>

#include "core/jx.h"
#include "core/mem.h"
#include "perms/perms.h"

#define ROLES 10
#define RUN_NS 1000000000L

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* keeps results alive so the compiler cannot drop the calls */
static volatile uint64_t sink;

static json_t *build_server(void)
{
	json_t *roles = json_object();

	for (int i = 0; i < ROLES + 5; i++) {
		char id[32];

		snprintf(id, sizeof(id), "01J0ROLE%018d", i);
		json_object_set_new(roles, id,
		                    json_pack("{s:s, s:{s:I, s:I}, s:I}", "name", "role",
		                              "permissions", "a", (json_int_t)(1ull << (i % 30)),
		                              "d", (json_int_t)(1ull << ((i + 7) % 30)), "rank",
		                              (json_int_t)(ROLES - i)));
	}
	return json_pack("{s:s, s:s, s:s, s:[], s:I, s:o}", "_id", "01J0SERVER0000000000000000",
	                 "owner", "01J0OWNER00000000000000000", "name", "bench", "channels",
	                 "default_permissions", (json_int_t)PERM_DEFAULT_SERVER, "roles", roles);
}

static json_t *build_member(void)
{
	json_t *r = json_array();

	for (int i = 0; i < ROLES; i++) {
		char id[32];

		snprintf(id, sizeof(id), "01J0ROLE%018d", i);
		json_array_append_new(r, json_string(id));
	}
	return json_pack("{s:{s:s, s:s}, s:s, s:o}", "_id", "server", "01J0SERVER0000000000000000",
	                 "user", "01J0USER000000000000000000", "joined_at",
	                 "2025-09-23T12:00:00.000Z", "roles", r);
}

static json_t *build_channel(void)
{
	json_t *rp = json_object();

	for (int i = 0; i < ROLES; i++) {
		char id[32];

		snprintf(id, sizeof(id), "01J0ROLE%018d", i);
		json_object_set_new(rp, id,
		                    json_pack("{s:I, s:I}", "a",
		                              (json_int_t)(1ull << ((i + 3) % 30)), "d",
		                              (json_int_t)0));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I}, s:o}", "channel_type", "TextChannel",
	                 "_id", "01J0CHANNEL000000000000000", "server",
	                 "01J0SERVER0000000000000000", "name", "general", "default_permissions",
	                 "a", (json_int_t)0, "d", (json_int_t)0, "role_permissions", rp);
}

struct result {
	long calls;
	double ns;
};

static void report(const char *what, struct result r, double base_ns)
{
	printf("%-44s %9.1f ns/call %12.0f calls/s  %6.2fx json_loads\n", what, r.ns, 1e9 / r.ns,
	       r.ns / base_ns);
}

int main(void)
{
	json_t *server, *member, *channel;
	char *member_text;
	struct perm_role_override roles[PERM_ROLES_MAX], croles[ROLES];
	struct perm_server_input in;
	struct result base = {0, 0}, cj = {0, 0}, pure = {0, 0};
	long t0, end;

	jx_init();
	server = build_server();
	member = build_member();
	channel = build_channel();
	member_text = jx_dump(member);
	perm_server_input_from_json(server, member, "01J0USER000000000000000000", 0, roles, &in);
	for (int i = 0; i < ROLES; i++)
		croles[i] = (struct perm_role_override){ROLES - i, {1ull << ((i + 3) % 30), 0}};

	t0 = now_ns();
	end = t0 + RUN_NS;
	while (now_ns() < end) {
		for (int i = 0; i < 1000; i++) {
			json_t *m = json_loads(member_text, 0, NULL);

			sink += json_array_size(json_object_get(m, "roles"));
			json_decref(m);
		}
		base.calls += 1000;
	}
	base.ns = (double)(now_ns() - t0) / (double)base.calls;

	t0 = now_ns();
	end = t0 + RUN_NS;
	while (now_ns() < end) {
		for (int i = 0; i < 1000; i++)
			sink += perm_channel_json(server, member, channel,
			                          "01J0USER000000000000000000", 0);
		cj.calls += 1000;
	}
	cj.ns = (double)(now_ns() - t0) / (double)cj.calls;

	t0 = now_ns();
	end = t0 + RUN_NS;
	while (now_ns() < end) {
		for (int i = 0; i < 1000; i++)
			sink += perm_server_channel_calc(&in, NULL, croles, ROLES);
		pure.calls += 1000;
	}
	pure.ns = (double)(now_ns() - t0) / (double)pure.calls;

	printf("bench_perms: member with %d roles, channel with %d role overrides\n", ROLES, ROLES);
	report("json_loads(member record) [baseline]", base, base.ns);
	report("perm_channel_json", cj, base.ns);
	report("perm_server_channel_calc (pure)", pure, base.ns);
	printf("result %llu\n", (unsigned long long)perm_channel_json(
	                            server, member, channel, "01J0USER000000000000000000", 0));
	mem_free(member_text);
	json_decref(server);
	json_decref(member);
	json_decref(channel);
	return 0;
}
