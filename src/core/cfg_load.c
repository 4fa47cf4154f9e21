/*
 * core/cfg_load.c: SOLSTICE_* environment variables, command-line flags and
 * the cfg_load chain (defaults < file < environment < flags, then
 * cfg_check). Reference: docs/configuration.md; the flag contract is in
 * DESIGN.md "Command line".
 */
#include "core/cfg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg_int.h"
#include "core/str.h"

/* bytes of "SOLSTICE_<SECTION>_<KEY>" */
#define ENV_NAME_MAX 64

/* "SOLSTICE_" + upper-case section + "_" + upper-case key, dots/dashes as '_'. */
static void env_name(const struct cfg_key *k, char *out, size_t n)
{
	int len = snprintf(out, n, "SOLSTICE_%s_%s", k->section, k->name);

	for (int i = 0; i < len && (size_t)i < n; i++) {
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
		else if (out[i] == '.' || out[i] == '-')
			out[i] = '_';
	}
}

enum err cfg_apply_env(struct cfg *c, char *const *envp, struct err_info *ei)
{
	bool seen[CFG_NKEYS] = {false};
	char en[ENV_NAME_MAX], q[CFG_QUOTE_MAX];
	enum err rc;

	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		struct str name, rest;
		size_t i;

		if (!eq || strncmp(*envp, "SOLSTICE_", 9) != 0)
			continue;
		name = (struct str){*envp, (size_t)(eq - *envp)};
		for (i = 0; i < CFG_NKEYS; i++) {
			env_name(&cfg_keys[i], en, sizeof(en));
			if (str_eq_cstr(name, en))
				break;
		}
		if (i == CFG_NKEYS) {
			rest = (struct str){name.p + 9, name.n - 9};
			for (i = 0; i < CFG_NKEYS; i++) {
				env_name(&cfg_keys[i], en, sizeof(en));
				if (str_has_prefix(
				        name, (struct str){en, 10 + strlen(cfg_keys[i].section)}))
					break;
			}
			if (i < CFG_NKEYS)
				log_warn("config: ignoring unknown variable 'SOLSTICE_%s'",
				         cfg_esc(q, sizeof(q), rest));
			continue;
		}
		if (seen[i])
			continue;
		seen[i] = true;
		rc = cfg_apply_value(c, &cfg_keys[i], str_from(eq + 1), en, ei);
		if (rc)
			return rc;
	}
	return SE_OK;
}

/* ---- command line ---- */

enum opt_id { OPT_CONFIG, OPT_CHECK, OPT_HELP, OPT_VERSION, OPT_KEY };

static const struct opt {
	const char *name;
	const char *key;     /* key the value sets, for OPT_KEY */
	const char *metavar; /* NULL: takes no value */
	enum opt_id id;
	const char *help;
} opts[] = {
    {"config", NULL, "FILE", OPT_CONFIG, "configuration file (optional)"},
    {"check-config", NULL, NULL, OPT_CHECK, "validate the configuration, print it, exit"},
    {"data", "storage.data", "DIR", OPT_KEY, "data directory (default data)"},
    {"http", "listen.http", "ADDR:PORT", OPT_KEY, "HTTP listener (default 127.0.0.1:14702)"},
    {"ws", "listen.ws", "ADDR:PORT", OPT_KEY, "WebSocket listener (default 127.0.0.1:14703)"},
    {"public-url", "hosts.public_url", "URL", OPT_KEY,
     "public base URL (default http:// + HTTP listener)"},
    {"public-ws-url", "hosts.public_ws_url", "URL", OPT_KEY,
     "public WebSocket URL (default ws:// + WS listener)"},
    {"dev", "dev.enabled", NULL, OPT_KEY, "development mode (never in production)"},
    {"help", NULL, NULL, OPT_HELP, "show this help and exit"},
    {"version", NULL, NULL, OPT_VERSION, "print the version and exit"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void cfg_usage(struct buf *out, const char *prog)
{
	char left[40];

	buf_printf(out, "usage: %s [options]\n\noptions:\n", prog && *prog ? prog : "solstice");
	for (size_t i = 0; i < NOPTS; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
		         opts[i].metavar ? opts[i].metavar : "");
		buf_printf(out, "  %-26s %s\n", left, opts[i].help);
	}
	buf_puts(out, "\nEvery key can also be set with SOLSTICE_<SECTION>_<KEY>; flags win over\n"
	              "the environment, which wins over the file. See docs/configuration.md.\n");
}

/*
 * Collects flag values (borrowed from argv) into `val`; stops at --help or
 * --version. SE_CONFIG for an unknown flag or a missing value.
 */
static enum err parse_args(int argc, char **argv, const char **val, enum cfg_action *act,
                           struct err_info *ei)
{
	char q[CFG_QUOTE_MAX];

	*act = CFG_ACT_RUN;
	for (int i = 1; i < argc; i++) {
		struct str arg = str_from(argv[i]), name, value = STR_NULL;
		bool has_eq;
		size_t o;

		if (str_eq_cstr(arg, "-h"))
			arg = STR_LIT("--help");
		if (!str_has_prefix(arg, STR_LIT("--")) || arg.n == 2)
			return SE_RAISEF(ei, SE_CONFIG,
			                 "config: unexpected argument '%s' (see --help)",
			                 cfg_esc(q, sizeof(q), arg));
		name = (struct str){arg.p + 2, arg.n - 2};
		has_eq = str_index(name, '=') >= 0;
		value = name;
		name = str_cut(&value, '=');
		for (o = 0; o < NOPTS; o++)
			if (str_eq_cstr(name, opts[o].name))
				break;
		if (o == NOPTS)
			return SE_RAISEF(ei, SE_CONFIG,
			                 "config: unknown option '--%s' (see --help)",
			                 cfg_esc(q, sizeof(q), name));
		if (!opts[o].metavar && has_eq)
			return SE_RAISEF(ei, SE_CONFIG, "config: option '--%s' takes no value",
			                 opts[o].name);
		if (opts[o].metavar && !has_eq) {
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
				return SE_RAISEF(ei, SE_CONFIG,
				                 "config: option '--%s' needs a value %s",
				                 opts[o].name, opts[o].metavar);
			value = str_from(argv[++i]);
		}
		if (opts[o].id == OPT_HELP || opts[o].id == OPT_VERSION) {
			*act = opts[o].id == OPT_HELP ? CFG_ACT_HELP : CFG_ACT_VERSION;
			return SE_OK;
		}
		if (opts[o].id == OPT_CHECK)
			*act = CFG_ACT_CHECK;
		/* value.p points into argv[i] after '=', or is argv[i]: NUL-terminated */
		val[o] = opts[o].metavar ? value.p : "true";
	}
	return SE_OK;
}

enum err cfg_load(struct cfg *out, int argc, char **argv, char *const *envp, enum cfg_action *act,
                  struct err_info *ei)
{
	struct cfg c = CFG_INIT;
	const char *val[NOPTS] = {NULL};
	enum cfg_action a;
	char src[40];
	enum err rc;

	rc = parse_args(argc, argv, val, &a, ei);
	if (rc || a == CFG_ACT_HELP || a == CFG_ACT_VERSION)
		goto out;
	cfg_init(&c);
	if (val[OPT_CONFIG]) {
		if (!*val[OPT_CONFIG]) {
			rc = SE_RAISEF(ei, SE_CONFIG,
			               "config: option '--config' needs a value FILE");
			goto out;
		}
		rc = cfg_dup_text(str_from(val[OPT_CONFIG]), &c.config_file, false);
		if (rc) {
			rc = SE_RAISEF(ei, rc, "config: out of memory");
			goto out;
		}
		rc = cfg_parse_file(&c, val[OPT_CONFIG], ei);
		if (rc)
			goto out;
	}
	rc = cfg_apply_env(&c, envp, ei);
	if (rc)
		goto out;
	for (size_t o = 0; o < NOPTS; o++) {
		if (opts[o].id != OPT_KEY || !val[o])
			continue;
		snprintf(src, sizeof(src), "--%s", opts[o].name);
		rc = cfg_set(&c, opts[o].key, val[o], src, ei);
		if (rc)
			goto out;
	}
	rc = cfg_check(&c, ei);
	if (rc)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	if (!rc)
		*act = a;
	cfg_release(&c);
	return rc;
}
