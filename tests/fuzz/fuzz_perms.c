/*
 * tests/fuzz/fuzz_perms.c: the permission JSON adapters on arbitrary
 * records. Input is one JSON value; an array [server, member, channel] feeds
 * each slot, anything else is tried in every slot.
 */
#include <stdint.h>

#include "core/jx.h"
#include "perms/perms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const json_t *server, const json_t *member, const json_t *channel)
{
	struct perm_role_override roles[PERM_ROLES_MAX];
	struct perm_server_input in;
	struct perm_override o;
	uint64_t p;

	perm_server_input_from_json(server, member, "U", 1758628800000, roles, &in);
	if (in.n_roles > PERM_ROLES_MAX)
		__builtin_trap();
	p = perm_server_calc(&in);
	if ((in.owner || in.privileged) && p != PERM_GRANT_ALL_SAFE)
		__builtin_trap();
	(void)perm_ranking(in.owner, in.roles, in.n_roles);
	p = perm_channel_json(server, member, channel, "U", 1758628800000);
	/* a server channel without ViewChannel grants nothing at all */
	if (p && !(p & PERM_VIEW_CHANNEL))
		__builtin_trap();
	(void)perm_private_channel_json(channel, "U", false, PERM_USER_ALL);
	if (perm_override_parse(channel, &o) == SE_OK && (perm_apply(~0ull, o) & o.deny))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_info ei = ERR_INFO_INIT;
	json_t *v = NULL;

	if (jx_parse((struct str){(const char *)data, size}, 1 << 20, &v, &ei) != SE_OK)
		return 0;
	if (json_is_array(v) && json_array_size(v) == 3)
		run(json_array_get(v, 0), json_array_get(v, 1), json_array_get(v, 2));
	else
		run(v, v, v);
	json_decref(v);
	return 0;
}
