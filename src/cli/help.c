/* SPDX-License-Identifier: MIT */
/*
 * The command and option tables of ocifs (help.h) and everything printed
 * from them: `ocifs --help`, `ocifs CMD --help`, `ocifs help [CMD]`, the
 * listings for shell completion (`ocifs help --commands`, `--options
 * CMD`, `--mount-options`) and "unknown command ... did you mean".
 */
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "esc.h"
#include "fs.h"
#include "log.h"

#define EXIT_COMMON                                                              \
	"  0  success\n"                                                         \
	"  1  error (a message on stderr names the file and the reason)\n"      \
	"  2  usage error (unknown command or option, missing argument)\n"      \
	"  3  a blob does not match its digest\n"

#define IMAGE_NOTE                                                                     \
	"IMAGE is a docker-archive or oci-archive tar (may be gzip or zstd compressed),\n" \
	"an OCI layout directory, or skopeo's names for them: docker-archive:PATH\n"       \
	"[:NAME:TAG|:@N], oci-archive:PATH[:REF|:@N], oci:DIR[:REF|:@N] (@N counts\n"       \
	"from 0, as in skopeo); - (also /dev/stdin or a FIFO) reads it from stdin;\n"       \
	"docker://NAME[:TAG|@DIGEST] is an image in a registry (--tls-verify,\n"           \
	"--cert-dir, --creds, --authfile as in skopeo).\n"

const struct cli_command cli_commands[] = {
	{ "inspect", "IMAGE", cmd_inspect, 1, 1, OPT_IMG | OPT_JSON,
	  "format, platforms, config and layers of an image", IMAGE_NOTE, EXIT_COMMON },
	{ "index", "IMAGE", cmd_index, 1, 1, OPT_IMG | OPT_PUSH,
	  "build (or check) every layer's index in the cache",
	  "With --push (IMAGE docker://...): the indexes are pushed to the registry as an\n"
	  "OCI artifact referring to the image, which mounts on other machines use\n"
	  "instead of reading every layer; its digest is printed.\n" IMAGE_NOTE, EXIT_COMMON },
	{ "verify", "IMAGE", cmd_verify, 1, 1, OPT_IMG,
	  "re-hash every blob, ignoring trusted caches", IMAGE_NOTE, EXIT_COMMON },
	{ "ls", "IMAGE [PATH]", cmd_ls, 1, 2, OPT_IMG | OPT_LAYER | OPT_LONG | OPT_REC,
	  "list a directory of the merged image (or of one layer)",
	  "Symlinks in PATH are followed inside the image, as ls does on the mount.\n" IMAGE_NOTE,
	  EXIT_COMMON },
	{ "cat", "IMAGE PATH", cmd_cat, 2, 2, OPT_IMG | OPT_LAYER,
	  "print a file of the merged image (or of one layer)",
	  "Symlinks in PATH are followed inside the image.\n" IMAGE_NOTE, EXIT_COMMON },
	{ "stat", "IMAGE PATH", cmd_stat, 2, 2, OPT_IMG | OPT_JSON | OPT_DEREF,
	  "metadata of a path, and the layer it comes from",
	  "Like stat(1): a symlink as the last component is described itself unless -L.\n"
	  IMAGE_NOTE, EXIT_COMMON },
	{ "mount", "IMAGE DIR", cmd_mount, 2, 2, OPT_IMG | OPT_MOUNT | OPT_KEEP,
	  "mount the merged image read-only on DIR",
	  "Returns once the mount answers; the daemon serves until `ocifs umount DIR`.\n"
	  "An image read from stdin (-) is spooled to the cache directory and removed\n"
	  "at unmount unless --keep.\n" IMAGE_NOTE,
	  "  0  the mount answers\n"
	  "  1  error (the image, DIR, or the mount itself; a message says why)\n"
	  "  2  usage error (also an unknown or malformed -o option)\n"
	  "  3  a blob does not match its digest\n" },
	{ "umount", "DIR", cmd_umount, 1, 1, OPT_LAZY, "unmount an ocifs mount", NULL,
	  "  0  unmounted (with -l: detached)\n"
	  "  1  error (not mounted, not an ocifs mount, busy, no permission)\n"
	  "  2  usage error\n" },
	{ "deps", "IMAGE [PATH...]", cmd_deps, 1, 4096, OPT_IMG | OPT_JSON | OPT_UNRES,
	  "linking of every ELF and script: libraries as the image's ld.so finds them",
	  "Also Go build info, UPX packing and Rust audit data. The same document as\n"
	  "/.deps in the mount.\n" IMAGE_NOTE,
	  "  0  success; with --unresolved: nothing is unresolved\n"
	  "  1  with --unresolved: something is unresolved (it is listed), as diff\n"
	  "     exits 1 on a difference; else, or also, an error (a message on stderr)\n"
	  "  2  usage error\n"
	  "  3  a blob does not match its digest\n" },
	{ "sbom", "IMAGE", cmd_sbom, 1, 1, OPT_IMG | OPT_OUT | OPT_FORMAT,
	  "the packages of the image and their files: CycloneDX, SPDX or a table",
	  IMAGE_NOTE, EXIT_COMMON },
	{ "report", "IMAGE", cmd_report, 1, 1, OPT_IMG | OPT_OUT,
	  "one self-contained HTML page: layers, merged tree, binaries, SBOM", IMAGE_NOTE,
	  EXIT_COMMON },
	{ "diff", "IMAGE [IMAGE2]", cmd_diff, 1, 2, OPT_IMG | OPT_LAYER | OPT_JSON,
	  "what layer N added, modified and removed, or the same between two images",
	  "ocifs diff IMAGE --layer N, or ocifs diff IMAGE1 IMAGE2.\n" IMAGE_NOTE, EXIT_COMMON },
	{ "history", "IMAGE PATH", cmd_history, 2, 2, OPT_IMG | OPT_JSON,
	  "every layer's version of PATH", IMAGE_NOTE, EXIT_COMMON },
	{ "efficiency", "IMAGE", cmd_efficiency, 1, 1, OPT_IMG | OPT_JSON | OPT_EFF,
	  "dive's efficiency score and wasted bytes per path and layer", IMAGE_NOTE,
	  "  0  success; with --ci: every rule passes\n"
	  "  1  with --ci: a rule fails; else an error (a message on stderr)\n"
	  "  2  usage error\n"
	  "  3  a blob does not match its digest\n" },
	{ "explain", "IMAGE PATH", cmd_explain, 2, 2, OPT_IMG | OPT_JSON,
	  "everything known of PATH: layers, index facts, analysis, owner", IMAGE_NOTE,
	  EXIT_COMMON },
	{ "help", "[COMMAND]", NULL, 0, 1, OPT_HELP,
	  "the overview, or one command's usage, options and exit statuses",
	  "The listings (--commands, --options, --mount-options) are one item a line,\n"
	  "meant for shell completion.\n",
	  "  0  success\n"
	  "  2  unknown command\n" },
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* In the order --help lists them. */
const struct cli_opt cli_opts[] = {
	/* help */
	{ O_H_COMMANDS, 0, "commands", NULL, OPT_HELP, 0, "list the commands, one a line" },
	{ O_H_OPTIONS, 0, "options", "CMD", OPT_HELP, 0,
	  "list CMD's option spellings, one a line" },
	{ O_H_MOUNTOPTS, 0, "mount-options", NULL, OPT_HELP, 0,
	  "list the -o mount options, one a line (name= if it takes a value)" },
	/* what a command is about */
	{ O_LONG, 'l', "long", NULL, OPT_LONG, 0, "long listing, as ls -l" },
	{ O_RECURSIVE, 'R', "recursive", NULL, OPT_REC, 0, "list subdirectories too (paths relative to PATH)" },
	{ O_LAZY, 'l', "lazy", NULL, OPT_LAZY, 0,
	  "lazy: detach now, finish when the mount is no longer busy" },
	{ O_DEREF, 'L', "dereference", NULL, OPT_DEREF, 0, "follow a symlink as the last component" },
	{ O_NODEREF, 0, "no-dereference", NULL, OPT_DEREF, 0,
	  "describe a symlink itself (the default)" },
	{ O_LAYER, 0, "layer", "N", OPT_LAYER, 0, "layer N alone, 1 = the bottom layer" },
	{ O_JSON, 0, "json", NULL, OPT_JSON, 0, "machine-readable output (JSON)" },
	{ O_UNRESOLVED, 0, "unresolved", NULL, OPT_UNRES, 0,
	  "only files with a library the loader would not find (exit 1 if any)" },
	{ O_FORMAT, 0, "format", "FORMAT", OPT_FORMAT, 0, "cyclonedx (default), spdx or table" },
	{ O_OUTPUT, 'o', "output", "FILE", OPT_OUT, 0, "write to FILE instead of stdout" },
	{ O_MOUNTOPTS, 'o', "options", "OPTS", OPT_MOUNT, 0,
	  "mount options, comma-separated (below)" },
	{ O_FOREGROUND, 'f', "foreground", NULL, OPT_MOUNT, 0, "stay in the foreground" },
	{ O_DEBUG, 'd', "debug", NULL, OPT_MOUNT, 0, "foreground, and log every FUSE request" },
	{ O_SINGLE, 's', NULL, NULL, OPT_MOUNT, 0, "single-threaded: one thread serves every request" },
	{ O_KEEP, 0, "keep", NULL, OPT_KEEP, 0,
	  "IMAGE -: keep the image spooled from stdin after unmount" },
	{ O_CI, 0, "ci", NULL, OPT_EFF, 0, "evaluate dive's CI rules; exit 1 when one fails" },
	{ O_LOWEFF, 0, "lowest-efficiency", "R", OPT_EFF, 0,
	  "fail below this efficiency (default 0.9; implies --ci)" },
	{ O_HIWASTE, 0, "highest-wasted-bytes", "B", OPT_EFF, 0,
	  "fail above this many wasted bytes (default: off; implies --ci)" },
	{ O_HIUSER, 0, "highest-user-wasted-percent", "P", OPT_EFF, 0,
	  "fail above this wasted share of user layers (default 0.1; implies --ci)" },
	/* which image */
	{ O_PLATFORM, 0, "platform", "OS/ARCH[/VARIANT]", OPT_IMG, 1,
	  "manifest to use from an index (default: this host)" },
	{ O_IMAGE, 0, "image", "NAME:TAG|N", OPT_IMG, 0,
	  "image of a multi-image archive: by name or number, 1 = the first" },
	{ O_SKIP, 0, "skip-missing", NULL, OPT_IMG, 0, "leave out layers whose blob is absent" },
	{ O_ZWINDOW, 0, "zstd-window-max", "SIZE", OPT_IMG, 0,
	  "largest zstd window to decode, 1K to 2G (default 128M)" },
	/* a registry (docker://), as skopeo takes them */
	{ O_TLS_VERIFY, 0, "tls-verify", "BOOL", OPT_IMG, 1,
	  "docker://: verify TLS (default true); false also allows plain http" },
	{ O_CERT_DIR, 0, "cert-dir", "DIR", OPT_IMG, 1,
	  "docker://: CA certificates (*.crt) and a client pair (*.cert, *.key)" },
	{ O_CREDS, 0, "creds", "USER[:PASS]", OPT_IMG, 1,
	  "docker://: credentials for the registry" },
	{ O_AUTHFILE, 0, "authfile", "FILE", OPT_IMG, 1,
	  "docker://: auth.json to read credentials from (default: $REGISTRY_AUTH_FILE,\n"
	  "$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)" },
	{ O_NO_ARTIFACT, 0, "ignore-artifact", NULL, OPT_IMG, 1,
	  "docker://: index every layer from its blob, not from an index artifact" },
	{ O_PUSH, 0, "push", NULL, OPT_PUSH, 0,
	  "docker://: push the indexes as an artifact referring to the image" },
	/* every command */
	{ O_CACHE_DIR, 0, "cache-dir", "DIR", 0, 1,
	  "cache directory (default $OCIFS_CACHE_DIR, else $XDG_CACHE_HOME/ocifs);\n"
	  "if it cannot be written, read-only commands use a temporary one" },
	{ O_TRACE, 0, "trace", "FILE", 0, 1,
	  "write what the command did to FILE as OpenTelemetry OTLP/JSON" },
	{ O_QUIET, 'q', "quiet", NULL, 0, 1, "errors only: no progress, warnings or summaries" },
	{ O_VERBOSE, 'v', "verbose", NULL, 0, 1,
	  "more messages and each stage's time at the end; twice: debug" },
	{ O_HELP, 'h', "help", NULL, 0, 0, "this help" },
	{ O_VERSION, 'V', "version", NULL, 0, 0, "the version" },
};
const size_t cli_nopts = sizeof(cli_opts) / sizeof(cli_opts[0]);

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i].name, name))
			return &cli_commands[i];
	return NULL;
}

int cli_opt_applies(const struct cli_opt *o, const struct cli_command *cmd)
{
	return !o->scope || (o->scope & cmd->opts);
}

/* "  -l, --long" / "      --layer N" / "  -s", padded to a column. */
static void print_opt(FILE *f, const char *lead, const struct cli_opt *o)
{
	char spell[64];

	snprintf(spell, sizeof(spell), "%s%c%s%s%s%s%s", o->shrt ? "-" : " ", o->shrt ? o->shrt : ' ',
		 o->shrt && o->lng ? ", " : "  ", o->lng ? "--" : "", o->lng ? o->lng : "",
		 o->arg ? " " : "", o->arg ? o->arg : "");
	if (strlen(spell) > 26)
		fprintf(f, "%s%s\n  %-26s  ", lead, spell, "");
	else
		fprintf(f, "%s%-26s  ", lead, spell);
	for (const char *h = o->help; *h; h++) { /* a help of several lines stays in its column */
		putc(*h, f);
		if (*h == '\n')
			fprintf(f, "%*s", (int)strlen(lead) + 28, "");
	}
	putc('\n', f);
}

static void print_mount_opts(FILE *f)
{
	char spell[64];

	fputs("\nMount options (-o, comma-separated; always ro,nosuid,nodev,default_permissions):\n",
	      f);
	for (const struct fs_mount_opt *m = fs_mount_opts; m->name; m++) {
		snprintf(spell, sizeof(spell), "%s%s%s", m->name, m->arg ? "=" : "",
			 m->arg ? m->arg : "");
		fprintf(f, "  %-26s  %s\n", spell, m->help);
	}
	fputs("mount(8)'s own options (defaults, noauto, nofail, _netdev, user, x-*, comment=)\n"
	      "are accepted and ignored.\n",
	      f);
}

void cli_help_command(FILE *f, const struct cli_command *cmd)
{
	fprintf(f, "usage: ocifs %s [OPTIONS] %s\n\n%s.\n", cmd->name, cmd->synopsis, cmd->summary);
	if (cmd->notes)
		fprintf(f, "\n%s", cmd->notes);
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < cli_nopts; i++)
		if (cli_opt_applies(&cli_opts[i], cmd))
			print_opt(f, "  ", &cli_opts[i]);
	if (cmd->opts & OPT_MOUNT)
		print_mount_opts(f);
	fprintf(f, "\nExit status:\n%s", cmd->exits);
}

void cli_help_overview(FILE *f)
{
	fputs("usage: ocifs COMMAND [OPTIONS] ARGS...\n"
	      "       ocifs [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n\nCommands:\n",
	      f);
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-11s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fputs("\nGlobal options, before or after the command (--platform: where an image\n"
	      "is opened), and -h, -V:\n",
	      f);
	for (size_t i = 0; i < cli_nopts; i++) {
		const struct cli_opt *o = &cli_opts[i];
		if (!o->scope || o->global)
			print_opt(f, "  ", o);
	}
	fputs("\n'ocifs COMMAND --help' or 'ocifs help COMMAND' shows a command's usage,\n"
	      "options and exit statuses; see also ocifs(1).\n\n" IMAGE_NOTE,
	      f);
}

/* Levenshtein distance of two short words (over 15 bytes count as far). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[16];

	if (la >= 16 || lb >= 16)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t x = 1; x <= la; x++) {
		size_t diag = row[0];
		row[0] = x;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], m = diag + (a[x - 1] != b[j - 1]);
			if (up + 1 < m)
				m = up + 1;
			if (row[j - 1] + 1 < m)
				m = row[j - 1] + 1;
			diag = up;
			row[j] = m;
		}
	}
	return row[lb];
}

int cli_unknown_command(const char *arg)
{
	const char *near = NULL;
	size_t best = 3; /* suggest only within two edits */
	char *shown = NULL;

	ocifs_esc_name(arg, &shown);
	for (size_t i = 0; i < cli_ncommands; i++) {
		size_t d = edit_distance(arg, cli_commands[i].name);
		if (d < best && d < strlen(arg)) {
			best = d;
			near = cli_commands[i].name;
		}
	}
	if (near)
		log_err("unknown command \"%s\" (did you mean \"%s\"? try 'ocifs --help')",
			shown ? shown : "?", near);
	else
		log_err("unknown command \"%s\" (try 'ocifs --help')", shown ? shown : "?");
	free(shown);
	return OCIFS_EXIT_USAGE;
}

int cli_help_run(const struct cli_help_req *r, int nargs, char **args)
{
	const struct cli_command *cmd;

	if (r->list_commands + !!r->options_of + r->mount_options + (nargs > 0) > 1) {
		log_err("help: give one of COMMAND, --commands, --options CMD, --mount-options "
			"(try 'ocifs help --help')");
		return OCIFS_EXIT_USAGE;
	}
	if (r->list_commands) {
		for (size_t i = 0; i < cli_ncommands; i++)
			printf("%s\n", cli_commands[i].name);
		return 0;
	}
	if (r->mount_options) {
		for (const struct fs_mount_opt *m = fs_mount_opts; m->name; m++)
			printf("%s%s\n", m->name, m->arg ? "=" : "");
		return 0;
	}
	if (r->options_of) {
		if (!(cmd = cli_command_find(r->options_of)))
			return cli_unknown_command(r->options_of);
		for (size_t i = 0; i < cli_nopts; i++) {
			const struct cli_opt *o = &cli_opts[i];
			if (!cli_opt_applies(o, cmd))
				continue;
			if (o->shrt)
				printf("-%c\n", o->shrt);
			if (o->lng)
				printf("--%s\n", o->lng);
		}
		return 0;
	}
	if (nargs == 0) {
		cli_help_overview(stdout);
		return 0;
	}
	if (!(cmd = cli_command_find(args[0])))
		return cli_unknown_command(args[0]);
	cli_help_command(stdout, cmd);
	return 0;
}
