/*
 * tests/support/daemon.h: start the real solstice binary for integration
 * tests and talk HTTP to it (libcurl).
 *
 * Owns: the child process, its temporary data directory (removed by
 * td_stop unless `keep_data`), and a thread that drains its stderr into a
 * log the test can search. Every wait is bounded.
 * Threads: one test thread drives a daemon; td_log_has may run concurrently
 * with the drain thread.
 */
#ifndef SOL_TESTS_SUPPORT_DAEMON_H
#define SOL_TESTS_SUPPORT_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct td;

/*
 * Start $SOLSTICE_BIN (default build/release/solstice) with
 * --http 127.0.0.1:0 --ws 127.0.0.1:0 --data <tmp> and the NULL-terminated
 * `extra` arguments (may be NULL), and wait up to timeout_ms for its ready
 * line. `data_dir` reuses a directory instead of a fresh one (may be NULL).
 * Returns NULL (after printing why) if it did not become ready.
 */
/*
 * Call first in every forked child that outlives a moment (daemons,
 * servers, peers): the kernel SIGKILLs it when the test process dies, so a
 * test that crashes or is killed leaves nothing running behind it.
 */
void td_child_init(void);
struct td *td_start(const char *const *extra, const char *data_dir, int timeout_ms);
int td_http_port(const struct td *d);
int td_ws_port(const struct td *d);
const char *td_data_dir(const struct td *d);
pid_t td_pid(const struct td *d);
/* True once a log line containing `needle` was seen (waits up to timeout_ms). */
bool td_log_has(struct td *d, const char *needle, int timeout_ms);
/*
 * SIGTERM, wait up to timeout_ms, SIGKILL if still running. Returns the exit
 * status (0..255), 128+signal when killed by one, -1 on error. Frees `d`;
 * removes its data directory unless keep_data.
 */
int td_stop(struct td *d, int timeout_ms, bool keep_data);
/* SIGKILL now (crash simulation); frees `d`, keeps the data directory. */
void td_kill9(struct td *d);

/* rm -rf `dir` (waits for it). */
void td_rm_rf(const char *dir);

/* Run the binary with `argv` (NULL-terminated, argv[0] ignored) to completion,
 * capturing stdout+stderr (owned, free()) and returning the exit status. */
int td_run(const char *const *argv, char **output, int timeout_ms);

struct td_resp {
	long status;
	char *body; /* owned, NUL-terminated */
	size_t body_len;
	char *headers; /* owned, raw header block */
};

/*
 * One HTTP request to 127.0.0.1:port. `headers` is NULL-terminated
 * "Name: value" strings (may be NULL); `body` may be NULL. Returns 0, or -1
 * on a transport error. Release with td_resp_release.
 */
int td_http(int port, const char *method, const char *path, const char *const *headers,
            const char *body, struct td_resp *out);
void td_resp_release(struct td_resp *r);
/* Value of response header `name` (case-insensitive) copied into buf, or NULL. */
const char *td_resp_header(const struct td_resp *r, const char *name, char *buf, size_t n);

#endif /* SOL_TESTS_SUPPORT_DAEMON_H */
