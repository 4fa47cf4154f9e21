/*
 * users/report.h: the "reports" collection of safety reports (REVOLT.md
 * section 6 "Report"; revoltchat/backend crates/core/models/src/v0/
 * safety_reports.rs), stored in Revolt's shape:
 * {_id, author_id, content:{type, id, report_reason, message_id?},
 *  additional_context, status:"Created", notes}.
 * Owns: the collection name and limits. Writers: api/safety.c.
 * Threads: no functions.
 */
#ifndef SOL_USERS_REPORT_H
#define SOL_USERS_REPORT_H

#define REPORT_COLL "reports"
/* bytes of a report's additional context (DataReportContent: 0..1000) */
#define REPORT_CONTEXT_MAX 1000

/* The collection, as an initialiser for a schema table. */
#define REPORT_COLL_DEF                                                                            \
	{                                                                                          \
		REPORT_COLL, NULL, 0                                                               \
	}

#endif /* SOL_USERS_REPORT_H */
