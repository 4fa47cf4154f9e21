/*
 * core/cfg_int.h: internals shared by the files of core/cfg (STYLE rule 1);
 * nothing outside src/core/ includes it.
 *
 * cfg.c owns the key table, parsing and checking values, defaults, checks
 * between keys, derived URLs and the dump; cfg_ini.c the INI file (inih);
 * cfg_load.c the environment, the command line and the cfg_load chain.
 * Threads and memory: as core/cfg.h.
 */
#ifndef SOL_CORE_CFG_INT_H
#define SOL_CORE_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cfg.h" /* struct cfg */
#include "core/err.h" /* enum err, struct err_info */
#include "core/str.h" /* struct str */

/* bytes of a quoted value or name inside an error message */
#define CFG_QUOTE_MAX 40
/* entries in cfg_keys; cfg.c fails to compile when the table disagrees */
#define CFG_NKEYS 83

enum cfg_kind {
	CFG_K_STR,   /* any text */
	CFG_K_PATH,  /* non-empty text */
	CFG_K_URL,   /* "" or http(s)://... */
	CFG_K_WSURL, /* "" or ws(s)://... */
	CFG_K_ADDR,  /* ADDR:PORT */
	CFG_K_UINT,  /* unsigned in [min, max] */
	CFG_K_SIZE,  /* size_t in [min, max] */
	CFG_K_BOOL,  /* true/false, yes/no, on/off, 1/0 */
	CFG_K_LEVEL, /* debug|info|warn|error */
};

enum cfg_key_flags {
	CFG_KEY_SECRET = 1 << 0, /* masked by cfg_dump, wiped before it is freed */
};

/* One key: "section.name", how its text is parsed, where it is stored. */
struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_kind kind;
	size_t off; /* offsetof(struct cfg, field) */
	unsigned long long min, max;
	const char *def;
	unsigned flags;
};

/* Every key, grouped by section in file order; cfg_dump keeps this order. */
extern const struct cfg_key cfg_keys[CFG_NKEYS];

/* The key named `section`.`name`, or NULL. */
const struct cfg_key *cfg_key_find(struct str section, struct str name);

/*
 * Why `s` is not acceptable text ("NUL byte", "control character 0x01",
 * "invalid UTF-8"), or NULL. The result may be `tmp` (`n` bytes).
 */
const char *cfg_text_problem(struct str s, char *tmp, size_t n);

/*
 * Replaces the owned string `*dst` with a copy of `s`; the old string is
 * wiped first when `secret`. SE_NOMEM leaves `*dst` unchanged.
 */
enum err cfg_dup_text(struct str s, char **dst, bool secret) __attribute__((warn_unused_result));

/*
 * Parses `v` into the field of `k`; on failure raises one message naming
 * `loc` ("f.conf:3", "--http") and the key. SE_CONFIG or SE_NOMEM; the
 * field changes only on success.
 */
enum err cfg_apply_value(struct cfg *c, const struct cfg_key *k, struct str v, const char *loc,
                         struct err_info *ei) __attribute__((warn_unused_result));

/* log_escape() of a slice into `dst` (`n` bytes) for a message; returns `dst`. */
const char *cfg_esc(char *dst, size_t n, struct str s);

#endif /* SOL_CORE_CFG_INT_H */
