/*
 * federation/process.c: inbound activities -> Revolt objects and events.
 * First version: accepts and logs; the handlers follow in the next commits.
 */
#include <jansson.h>

#include "core/log.h"
#include "federation/process.h"

enum err fproc_handle(struct fed *f, const struct fproc_in *in, struct err_info *ei)
{
	const char *type;

	(void)f;
	(void)ei;
	type = json_string_value(json_object_get(in->activity, "type"));
	log_info("fproc: activity '%s' from user '%s' not processed yet", type ? type : "?",
	         in->actor_user_id ? in->actor_user_id : "?");
	return SE_OK;
}
