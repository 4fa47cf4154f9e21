/*
 * core/log.h: one-line log records on stderr.
 *
 * Owns: the log level, the line format ("<ISO time> <level> <module>: <msg>")
 * and escaping of untrusted text before it is logged. Each record is written
 * with a single write(2), so lines from different threads never interleave.
 * Threads: any thread. The level is set once at start-up.
 */
#ifndef SOL_CORE_LOG_H
#define SOL_CORE_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_level_parse(const char *s);

void log_write(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LVL_ERROR, __VA_ARGS__)

/*
 * Copy at most `len` bytes of untrusted `src` into `dst` (size `n`, always
 * NUL-terminated), replacing control bytes, quotes, backslashes and non-ASCII
 * bytes with \xHH escapes; truncated output ends in "...". Returns dst.
 */
char *log_escape(char *dst, size_t n, const char *src, size_t len);

#endif /* SOL_CORE_LOG_H */
