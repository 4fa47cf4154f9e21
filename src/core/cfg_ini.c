/*
 * core/cfg_ini.c: the configuration file. Reads it (at most
 * LIM_CONFIG_FILE_MAX bytes) and feeds it to inih line by line, so every
 * message names the line; values go through cfg_apply_value (cfg.c).
 * Format and the choice of inih: docs/configuration.md.
 */
#include "core/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cfg_int.h"
#include "core/limits.h"
#include "core/str.h"

struct parse {
	struct cfg *c;
	char name[64]; /* escaped file name for messages */
	const char *p; /* rest of the document */
	size_t left;
	unsigned line;              /* lines handed to inih so far */
	unsigned set_on[CFG_NKEYS]; /* line each key was set on, for duplicates */
	enum err rc;                /* first error from the reader or the handler */
	unsigned err_line;
	struct err_info *ei;
};

static bool section_known(struct str section)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (str_eq_cstr(section, cfg_keys[i].section))
			return true;
	return false;
}

static void perr(struct parse *ps, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct parse *ps, enum err e, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->rc = SE_RAISEF(ps->ei, e, "config: %s:%u: %s", ps->name, ps->line, msg);
	ps->err_line = ps->line;
}

/*
 * inih's ini_reader: hands over one line per call, so ps->line is the line
 * number while inih calls the handler (Debian's inih is built without
 * INI_HANDLER_LINENO). Lines are checked for bytes inih would mishandle,
 * leading blanks are removed (inih would take an indented line for a
 * continuation of the previous value), comment lines are handed over empty
 * so they may be of any length, and section names are checked here so an
 * empty unknown section is still reported.
 */
static char *reader(char *dst, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl, *problem;
	struct str line, rest;
	char tmp[32], q[CFG_QUOTE_MAX];
	long end;

	if (ps->rc || ps->left == 0 || num < 3)
		return NULL;
	nl = memchr(ps->p, '\n', ps->left);
	line = (struct str){ps->p, nl ? (size_t)(nl - ps->p) : ps->left};
	ps->p += line.n + (nl != NULL);
	ps->left -= line.n + (nl != NULL);
	ps->line++;
	if (line.n && line.p[line.n - 1] == '\r')
		line.n--;
	problem = cfg_text_problem(line, tmp, sizeof(tmp));
	if (problem) {
		perr(ps, SE_CONFIG, "%s", problem);
		return NULL;
	}
	if (ps->line == 1 && str_has_prefix(line, STR_LIT("\xef\xbb\xbf"))) {
		line.p += 3;
		line.n -= 3;
	}
	line = str_trim(line);
	if (line.n == 0 || line.p[0] == ';' || line.p[0] == '#') {
		memcpy(dst, "\n", 2);
		return dst;
	}
	if (line.n > (size_t)num - 3) {
		perr(ps, SE_CONFIG, "line longer than %d bytes", num - 3);
		return NULL;
	}
	end = str_index(line, ']');
	if (line.p[0] == '[' && end > 0) {
		rest = str_trim((struct str){line.p + end + 1, line.n - (size_t)end - 1});
		if (!section_known((struct str){line.p + 1, (size_t)end - 1})) {
			perr(ps, SE_CONFIG, "unknown section '[%s]'",
			     cfg_esc(q, sizeof(q), (struct str){line.p + 1, (size_t)end - 1}));
			return NULL;
		}
		if (rest.n && rest.p[0] != ';' && rest.p[0] != '#') {
			perr(ps, SE_CONFIG, "unexpected text after ']'");
			return NULL;
		}
	}
	memcpy(dst, line.p, line.n);
	dst[line.n] = '\n';
	dst[line.n + 1] = '\0';
	return dst;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	struct str v = str_from(value);
	const struct cfg_key *k;
	char loc[96], q[CFG_QUOTE_MAX];
	size_t idx;

	if (ps->rc)
		return 0;
	if (!*section) {
		perr(ps, SE_CONFIG, "key '%s' outside a [section]",
		     cfg_esc(q, sizeof(q), str_from(name)));
		return 0;
	}
	k = cfg_key_find(str_from(section), str_from(name));
	if (!k) {
		/* the reader let only known section names through */
		perr(ps, SE_CONFIG, "unknown key '%s.%s'", section,
		     cfg_esc(q, sizeof(q), str_from(name)));
		return 0;
	}
	idx = (size_t)(k - cfg_keys);
	if (ps->set_on[idx]) {
		perr(ps, SE_CONFIG, "key '%s.%s' already set on line %u", k->section, k->name,
		     ps->set_on[idx]);
		return 0;
	}
	ps->set_on[idx] = ps->line;
	/* "..." around a value is optional, so `public_url = ""` reads as in TOML. */
	if (v.n && v.p[0] == '"') {
		if (v.n < 2 || v.p[v.n - 1] != '"') {
			perr(ps, SE_CONFIG, "key '%s.%s': unterminated quote", k->section, k->name);
			return 0;
		}
		v = (struct str){v.p + 1, v.n - 2};
	}
	snprintf(loc, sizeof(loc), "%s:%u", ps->name, ps->line);
	ps->rc = cfg_apply_value(ps->c, k, v, loc, ps->ei);
	if (ps->rc) {
		ps->err_line = ps->line;
		return 0;
	}
	return 1;
}

enum err cfg_parse_buffer(struct cfg *c, const char *name, const char *bytes, size_t len,
                          struct err_info *ei)
{
	struct parse ps;
	int ret;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.ei = ei;
	ps.p = bytes;
	ps.left = bytes ? len : 0;
	log_escape(ps.name, sizeof(ps.name), name ? name : "", name ? strlen(name) : 0);
	if (len > LIM_CONFIG_FILE_MAX)
		return SE_RAISEF(ei, SE_TOO_LARGE, "config: %s: file larger than %u bytes", ps.name,
		                 LIM_CONFIG_FILE_MAX);
	ret = ini_parse_stream(reader, &ps, handler, &ps);
	/* inih reports the first malformed line; ours may come later. */
	if (ret > 0 && (!ps.rc || (unsigned)ret < ps.err_line)) {
		ps.line = (unsigned)ret;
		perr(&ps, SE_CONFIG, "expected '[section]' or 'key = value'");
	} else if (!ps.rc && ret < 0) {
		ps.rc = SE_RAISEF(ei, SE_NOMEM, "config: %s: parser failed (%d)", ps.name, ret);
	}
	return ps.rc;
}

enum err cfg_parse_file(struct cfg *c, const char *path, struct err_info *ei)
{
	struct buf b = BUF_INIT(LIM_CONFIG_FILE_MAX);
	char name[64], chunk[8192];
	struct stat st;
	enum err rc = SE_OK;
	ssize_t n;
	int fd;

	log_escape(name, sizeof(name), path, strlen(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = SE_RAISEF(ei, SE_IO, "config: %s: cannot open: %s", name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = SE_RAISEF(ei, SE_IO, "config: %s: not a regular file", name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SE_RAISEF(ei, SE_IO, "config: %s: cannot read: %s", name,
			               strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		buf_append(&b, chunk, (size_t)n);
		if (buf_err(&b) == SE_TOO_LARGE) {
			rc = SE_RAISEF(ei, SE_TOO_LARGE, "config: %s: file larger than %u bytes",
			               name, LIM_CONFIG_FILE_MAX);
			goto out;
		}
		if (buf_err(&b)) {
			rc = SE_RAISEF(ei, SE_NOMEM, "config: out of memory");
			goto out;
		}
	}
	rc = cfg_parse_buffer(c, path, b.ptr, b.len, ei);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}
