/* SPDX-License-Identifier: MIT */
/*
 * The command and option tables of the ocifs command (help.c): what each
 * command is called, takes and says. main.c parses argv with them; the
 * help (`ocifs CMD --help`, `ocifs help ...`) prints them, so an option
 * is accepted exactly where its help says it is.
 */
#ifndef OCIFS_SRC_CLI_HELP_H
#define OCIFS_SRC_CLI_HELP_H
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* The option groups a command takes (struct cli_command.opts); an option
 * of scope 0 is taken by every command. */
enum {
	OPT_IMG = 1 << 0,    /* --platform, --image, --skip-missing, --zstd-window-max,
			      * and a registry's --tls-verify, --cert-dir, --creds,
			      * --authfile, --ignore-artifact */
	OPT_LAYER = 1 << 1,  /* --layer */
	OPT_LONG = 1 << 2,   /* ls -l */
	OPT_REC = 1 << 3,    /* -R */
	OPT_JSON = 1 << 4,   /* --json */
	OPT_UNRES = 1 << 5,  /* --unresolved */
	OPT_MOUNT = 1 << 6,  /* mount: -o OPTS, -f, -d, -s */
	OPT_OUT = 1 << 7,    /* -o FILE */
	OPT_EFF = 1 << 8,    /* efficiency: --ci and its thresholds */
	OPT_DEREF = 1 << 9,  /* stat: -L, --no-dereference */
	OPT_KEEP = 1 << 10,  /* mount: --keep (a spooled stdin image) */
	OPT_LAZY = 1 << 11,  /* umount: -l */
	OPT_HELP = 1 << 12,  /* help: --commands, --options, --mount-options */
	OPT_FORMAT = 1 << 13, /* sbom: --format */
	OPT_PUSH = 1 << 14,  /* index: --push */
};

/* What main.c switches on (struct cli_opt.id). */
enum {
	O_PLATFORM = 256, O_IMAGE, O_SKIP, O_ZWINDOW, O_LAYER, O_JSON, O_UNRESOLVED, O_LONG,
	O_RECURSIVE, O_MOUNTOPTS, O_OUTPUT, O_FORMAT, O_FOREGROUND, O_DEBUG, O_SINGLE, O_KEEP,
	O_LAZY, O_DEREF, O_NODEREF, O_CI, O_LOWEFF, O_HIWASTE, O_HIUSER, O_TRACE, O_CACHE_DIR,
	O_QUIET, O_VERBOSE, O_HELP, O_VERSION, O_H_COMMANDS, O_H_OPTIONS, O_H_MOUNTOPTS,
	O_TLS_VERIFY, O_CERT_DIR, O_CREDS, O_AUTHFILE, O_PUSH, O_NO_ARTIFACT,
};

struct cli_opt {
	int id;           /* O_* */
	char shrt;        /* -x, or 0 */
	const char *lng;  /* --name, or NULL */
	const char *arg;  /* its argument's name, NULL: takes none */
	unsigned scope;   /* OPT_* a command must take; 0: every command */
	int global;       /* may also come before the command */
	const char *help; /* one line */
};

struct cli_command {
	const char *name;
	const char *synopsis; /* the positional arguments */
	int (*fn)(struct cli *c); /* NULL: help (main.c) */
	int min_args, max_args;
	unsigned opts;        /* OPT_* */
	const char *summary;  /* one line, for the overview and --help */
	const char *notes;    /* more lines for --help, or NULL */
	const char *exits;    /* its exit statuses, one line each */
};

extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_opt cli_opts[];
extern const size_t cli_nopts;

/** The command called name, or NULL. */
const struct cli_command *cli_command_find(const char *name);
/** Does cmd take option o? */
int cli_opt_applies(const struct cli_opt *o, const struct cli_command *cmd);
/** `ocifs --help`: every command and the options every one takes. */
void cli_help_overview(FILE *f);
/** `ocifs CMD --help`: its usage, summary, options and exit statuses. */
void cli_help_command(FILE *f, const struct cli_command *cmd);

/* `ocifs help`: what main.c parsed for it. */
struct cli_help_req {
	int list_commands;       /* --commands */
	const char *options_of;  /* --options CMD */
	int mount_options;       /* --mount-options */
};
/** Run `ocifs help [CMD]` or one of its listings; an exit status. */
int cli_help_run(const struct cli_help_req *r, int nargs, char **args);
/** Log "unknown command X" with a "did you mean"; OCIFS_EXIT_USAGE. */
int cli_unknown_command(const char *arg);

#endif
