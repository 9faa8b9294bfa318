/* SPDX-License-Identifier: MIT */
/*
 * ocifs: main(), option parsing and subcommand dispatch. The commands and
 * their options are help.c's tables (help.h): getopt_long()'s tables are
 * built from them per command, global options before the command are
 * moved after it, and an option the command does not take is refused in
 * one line. The subcommands live beside this file (cli.h); each opens its
 * image through the session and everything else it does goes through the
 * src/ library.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "help.h"
#include "trace.h"
#include "trace_otlp.h"
#include "err.h"
#include "esc.h"
#include "imageref.h"
#include "log.h"
#include "zio.h"

int cli_exit(int rc)
{
	if (rc >= 0)
		return rc;
	return rc == -OCIFS_EDIGEST ? OCIFS_EXIT_DIGEST
	       : rc == -OCIFS_EUSAGE ? OCIFS_EXIT_USAGE : OCIFS_EXIT_ERR;
}

struct ocifs_session_opts cli_session_opts(const struct cli *c)
{
	return (struct ocifs_session_opts){ .img = c->img, .cache_dir = c->cache_dir,
					    .progress = !c->quiet, .keep_spool = c->keep,
					    .no_artifact = c->no_artifact };
}

/*
 * Whether `ocifs ARG DIR` is the mount form mount.fuse3 runs: ARG must be
 * an image that exists (a file, or a directory holding an OCI layout or a
 * docker-save tree), so a mistyped command is never taken for one.
 */
static int is_image(const char *arg)
{
	static const char *const marks[] = { "oci-layout", "index.json", "manifest.json" };
	struct ocifs_imageref ref;
	struct stat st;
	int fd, found = 0;

	/* skopeo's names (an fstab source "oci:/srv/img:app"): their path */
	if (strchr(arg, ':') && ocifs_imageref_split(arg, &ref) == 0) {
		int named = ref.kind == OCIFS_REF_DOCKER_ARCHIVE || ref.kind == OCIFS_REF_OCI_ARCHIVE ||
			    ref.kind == OCIFS_REF_OCI_DIR;
		found = named && stat(ref.path, &st) == 0;
		if (ref.kind == OCIFS_REF_REGISTRY) /* docker://: no command's name */
			named = found = 1;
		ocifs_imageref_fini(&ref);
		if (named)
			return found;
	}
	if (stat(arg, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return 1;
	if (!S_ISDIR(st.st_mode) || (fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]) && !found; i++)
		found = faccessat(fd, marks[i], F_OK, 0) == 0;
	close(fd);
	return found;
}

/* A boolean option's value as Go's strconv.ParseBool reads it (skopeo's
 * --tls-verify=false): 1, 0, or -1 for anything else. */
static int bool_arg(const char *s)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	return -1;
}

static int bad_nargs(const struct cli_command *cmd, int nargs, char **args)
{
	const char *want = cmd->synopsis;
	char *shown = NULL;

	if (nargs > cmd->max_args) {
		ocifs_esc_name(args[cmd->max_args], &shown);
		log_err("%s: unexpected argument \"%s\" (usage: ocifs %s %s)", cmd->name,
			shown ? shown : "?", cmd->name, cmd->synopsis);
		free(shown);
		return OCIFS_EXIT_USAGE;
	}
	for (int i = 0; i < nargs && strchr(want, ' '); i++) /* the first one missing */
		want = strchr(want, ' ') + 1;
	log_err("%s: missing %.*s (usage: ocifs %s %s)", cmd->name, (int)strcspn(want, " "), want,
		cmd->name, cmd->synopsis);
	return OCIFS_EXIT_USAGE;
}

/*
 * coreutils' close_stdout(): output that never reached its file (a full
 * disk, /dev/full, an I/O error) is an error, reported once at exit.
 */
static int close_stdout(void)
{
	int pending = __fpending(stdout) != 0, prev = ferror(stdout);
	int fail = fclose(stdout) != 0, err = errno;

	if (!prev && (!fail || (!pending && err == EBADF)))
		return 0;
	if (fail)
		log_err("write error: %s", strerror(err));
	else
		log_err("write error");
	return -EIO;
}

/* -v: one line on stderr per stage the collector recorded, its time. */
static int print_stage(void *ctx, const struct ocifs_trace_span *s)
{
	double ms = (double)(s->end_ns - s->start_ns) / 1e6;

	(void)ctx;
	if (!s->has_parent)
		fprintf(stderr, "ocifs: stage %-28s %10.1f ms (total)\n", s->name, ms);
	else
		fprintf(stderr, "ocifs: stage %-28s %10.1f ms%s\n", s->name, ms,
			s->open ? " (not ended)" : "");
	return 0;
}

/*
 * --trace FILE, -v (each stage's time at the end) and every mount (for
 * /.ocifs/trace.json): the collector on, a root span for the command
 * around it, its exit status on it.
 */
static int cli_run_traced(struct cli *c, int (*fn)(struct cli *c))
{
	ocifs_span root = 0;
	int rc;

	if ((c->trace || c->verbose || !strcmp(c->cmd, "mount")) && ocifs_trace_enable() == 0) {
		root = ocifs_trace_beginf(0, "ocifs %s", c->cmd);
		ocifs_trace_str(root, "ocifs.command", c->cmd);
		if (c->nargs > 0)
			ocifs_trace_str(root, "ocifs.image", c->args[0]);
	}
	rc = cli_exit(fn(c));
	ocifs_trace_int(root, "ocifs.exit_status", rc);
	if (rc)
		ocifs_trace_error(root, "the command failed (see its messages)");
	ocifs_trace_end(root);
	if (c->verbose && root)
		ocifs_trace_visit(print_stage, NULL);
	return rc;
}

/* Write the trace of --trace FILE, whatever the command's fate; a trace
 * that cannot be written fails a command that succeeded. */
static int cli_trace_write(const struct cli *c, int rc)
{
	int w = ocifs_trace_enable();

	if (!w)
		w = ocifs_trace_otlp_write(c->trace);
	return w && !rc ? OCIFS_EXIT_ERR : rc;
}

/* One line for an option the command does not know or take ("WHAT
 * \"NAME\"", or "option NAME WHAT" when what starts with a space), and
 * where to look. */
static int bad_option(const char *cmd, const char *what, const char *name)
{
	char *shown = NULL, hint[64];

	ocifs_esc_name(name, &shown);
	if (cmd)
		snprintf(hint, sizeof(hint), "try 'ocifs %s --help'", cmd);
	else
		snprintf(hint, sizeof(hint), "try 'ocifs --help'");
	if (what[0] == ' ')
		log_err("%s%soption %s%s (%s)", cmd ? cmd : "", cmd ? ": " : "", shown ? shown : "?",
			what, hint);
	else
		log_err("%s%s%s \"%s\" (%s)", cmd ? cmd : "", cmd ? ": " : "", what,
			shown ? shown : "?", hint);
	free(shown);
	return OCIFS_EXIT_USAGE;
}

#define MAX_LONGOPTS 64

/*
 * getopt_long()'s tables for cmd: every spelling of cli_opts, cmd's own
 * first, so that a name two options share (-l: ls --long, umount --lazy)
 * is cmd's, and the others still parse, to be refused by name. The value
 * of a long option is 256 + its index in cli_opts.
 */
static void getopt_tables(const struct cli_command *cmd, struct option *lo, char *shorts)
{
	size_t n = 0, k = 0;

	shorts[k++] = ':';
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cli_nopts; i++) {
			const struct cli_opt *o = &cli_opts[i];
			int dup = 0;
			if (cli_opt_applies(o, cmd) != !pass)
				continue;
			for (size_t j = 0; o->lng && j < n; j++)
				dup |= !strcmp(lo[j].name, o->lng);
			if (o->lng && !dup && n < MAX_LONGOPTS - 1)
				lo[n++] = (struct option){ o->lng, o->arg ? required_argument : no_argument,
							   NULL, 256 + (int)i };
			if (o->shrt && !memchr(shorts, o->shrt, k) && k < MAX_LONGOPTS - 3) {
				shorts[k++] = o->shrt;
				if (o->arg)
					shorts[k++] = ':';
			}
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[k] = '\0';
}

/* The cli_opts row of a getopt_long() result: cmd's own for a letter
 * two options share. NULL for '?' and ':'. */
static const struct cli_opt *opt_row(const struct cli_command *cmd, int r)
{
	const struct cli_opt *first = NULL;

	if (r >= 256 && (size_t)(r - 256) < cli_nopts)
		return &cli_opts[r - 256];
	for (size_t i = 0; i < cli_nopts && r != '?' && r != ':'; i++) {
		if (cli_opts[i].shrt != r)
			continue;
		if (cli_opt_applies(&cli_opts[i], cmd))
			return &cli_opts[i];
		if (!first)
			first = &cli_opts[i];
	}
	return first;
}

/* A global option's row by its spelling (NULL: unknown). */
static const struct cli_opt *opt_by_name(const char *lng, size_t len, char shrt)
{
	for (size_t i = 0; i < cli_nopts; i++) {
		const struct cli_opt *o = &cli_opts[i];
		if (lng ? o->lng && strlen(o->lng) == len && !strncmp(o->lng, lng, len)
			: o->shrt == shrt)
			return o;
	}
	return NULL;
}

/*
 * The global options given before the command (-q, -v, --cache-dir,
 * --platform, --trace) are moved after it, so getopt_long() sees
 * `ocifs -q --cache-dir D inspect x` as `ocifs inspect -q --cache-dir D
 * x`. *out is a malloc'd argv (the strings borrowed); returns 0 or an
 * exit status (the reason logged).
 */
static int hoist_globals(int argc, char **argv, char ***out)
{
	char **v;
	char letter[3] = "-?";
	int i = 1, n = 1;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		const char *a = argv[i];
		const struct cli_opt *o = NULL;
		int takes_next = 0;

		if (a[1] == '-') {
			size_t len = strcspn(a + 2, "=");
			o = opt_by_name(a + 2, len, 0);
			if (o && o->global && o->arg && !a[2 + len])
				takes_next = 1;
			if (o && o->global && !o->arg && a[2 + len])
				return bad_option(NULL, "no argument allowed for option", a);
		} else {
			for (const char *p = a + 1; *p; p++) {
				o = opt_by_name(NULL, 0, *p);
				letter[1] = *p; /* named, if refused */
				a = letter;
				if (!o || !o->global || o->arg)
					break;
			}
		}
		if (!o)
			return bad_option(NULL, "unknown option", a);
		if (!o->global)
			return bad_option(NULL, " comes after the command", a);
		if (takes_next && i + 1 >= argc)
			return bad_option(NULL, "missing argument for option", a);
		i += 1 + takes_next;
	}
	if (i >= argc) {
		log_err("no command given (try 'ocifs --help')");
		return OCIFS_EXIT_USAGE;
	}
	v = calloc((size_t)argc + 1, sizeof(*v));
	if (!v)
		return OCIFS_EXIT_ERR;
	v[0] = argv[0];
	v[n++] = argv[i];
	for (int j = 1; j < i; j++)
		v[n++] = argv[j];
	for (int j = i + 1; j < argc; j++)
		v[n++] = argv[j];
	*out = v;
	return 0;
}

static int run(int argc, char **argv)
{
	struct option longopts[MAX_LONGOPTS];
	char shorts[MAX_LONGOPTS];
	const struct cli_command *cmd;
	struct cli_help_req help = { 0 };
	struct cli c = { 0 };
	char **v = NULL;
	int implied = 0, li = -1;
	int opt, rc;
	char *end;

	if (argc < 2) {
		cli_help_overview(stderr);
		return OCIFS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_help_overview(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ocifs %s\n", PACKAGE_VERSION);
		return 0;
	}
	c.reg.tls_verify = 1;
	c.img.registry = &c.reg;
	if ((rc = hoist_globals(argc, argv, &v)))
		return rc;
	argv = v;
	cmd = cli_command_find(argv[1]);
	/* mount.fuse3 (fstab type fuse.ocifs) runs `ocifs IMAGE DIR -o OPTS`. */
	if (!cmd && argv[1][0] != '-' && is_image(argv[1])) {
		cmd = cli_command_find("mount");
		implied = 1;
	}
	if (!cmd) {
		rc = cli_unknown_command(argv[1]);
		goto out;
	}
	c.cmd = cmd->name;
	if (!implied) {
		argc--;
		argv++;
	}
	getopt_tables(cmd, longopts, shorts);
	opterr = 0; /* bad_option() says it in one line */
	while ((opt = getopt_long(argc, argv, shorts, longopts, &li)) != -1) {
		const struct cli_opt *o = opt_row(cmd, opt == '?' || opt == ':' ? optopt : opt);
		const char *last = argv[optind - 1];
		char name[64];

		/* as the user spelled it: a long option sets li */
		if (o && o->lng && (li >= 0 || opt >= 256 || optopt >= 256))
			snprintf(name, sizeof(name), "--%s", o->lng);
		else if (o)
			snprintf(name, sizeof(name), "-%c", o->shrt);
		li = -1;
		if (opt == ':') {
			rc = bad_option(c.cmd, "missing argument for option", o ? name : last);
			goto out;
		}
		if (opt == '?') {
			if (o && optopt >= 256)
				rc = bad_option(c.cmd, "no argument allowed for option", last);
			else if (optopt > 0 && optopt < 256)
				rc = bad_option(c.cmd, "unknown option", (char[]){ '-', (char)optopt, 0 });
			else
				rc = bad_option(c.cmd, "unknown option", last);
			goto out;
		}
		if (!o || !cli_opt_applies(o, cmd)) {
			rc = bad_option(c.cmd, " does not apply", o ? name : last);
			goto out;
		}
		switch (o->id) {
		case O_PLATFORM: /* malformed: a usage error, as --layer's */
			if (!ocifs_img_platform_valid(optarg)) {
				log_err("--platform: \"%s\" is not OS/ARCH[/VARIANT] (e.g. linux/arm64)",
					optarg);
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			c.img.platform = optarg;
			break;
		case O_IMAGE:
			c.img.image = optarg;
			break;
		case O_SKIP:
			c.img.skip_missing = 1;
			break;
		case O_TLS_VERIFY: /* Go's strconv.ParseBool, as skopeo reads it */
			c.reg.tls_verify = bool_arg(optarg);
			if (c.reg.tls_verify < 0) {
				log_err("--tls-verify: \"%s\" is not true or false", optarg);
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			break;
		case O_CERT_DIR:
			c.reg.cert_dir = optarg;
			break;
		case O_CREDS:
			if (!*optarg) {
				log_err("--creds: empty (want USER[:PASSWORD])");
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			c.reg.creds = optarg;
			break;
		case O_AUTHFILE:
			c.reg.authfile = optarg;
			break;
		case O_PUSH:
			c.push = 1;
			break;
		case O_NO_ARTIFACT:
			c.no_artifact = 1;
			break;
		case O_ZWINDOW:
			if (ocifs_zstd_window_parse(optarg, &c.img.zstd_window_max)) {
				log_err("--zstd-window-max: \"%s\" is not a size from 1K to 2G", optarg);
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			break;
		case O_LAYER:
			errno = 0;
			c.layer = (int)strtol(optarg, &end, 10);
			if (errno || *end || c.layer < 1) {
				log_err("--layer: \"%s\" is not a layer number (1 = bottom)", optarg);
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			break;
		case O_JSON:
			c.json = 1;
			break;
		case O_UNRESOLVED:
			c.unresolved = 1;
			break;
		case O_FORMAT:
			c.format = optarg;
			break;
		case O_CI:
			c.ci = 1;
			break;
		case O_LOWEFF:
			c.lowest_efficiency = optarg;
			break;
		case O_HIWASTE:
			c.highest_wasted_bytes = optarg;
			break;
		case O_HIUSER:
			c.highest_user_wasted = optarg;
			break;
		case O_OUTPUT:
			c.output = optarg;
			break;
		case O_MOUNTOPTS: {
			char *s = NULL;
			if (asprintf(&s, "%s%s%s", c.mount_opts ? c.mount_opts : "",
				     c.mount_opts ? "," : "", optarg) < 0) {
				rc = OCIFS_EXIT_ERR;
				goto out;
			}
			free(c.mount_opts);
			c.mount_opts = s;
			break;
		}
		case O_FOREGROUND:
			c.foreground = 1;
			break;
		case O_DEBUG:
			c.debug = c.foreground = 1;
			break;
		case O_LONG:
			c.long_fmt = 1;
			break;
		case O_LAZY:
			c.lazy = 1;
			break;
		case O_DEREF:
			c.deref = 1;
			break;
		case O_NODEREF:
			c.deref = 0;
			break;
		case O_SINGLE:
			c.single_thread = 1;
			break;
		case O_KEEP:
			c.keep = 1;
			break;
		case O_CACHE_DIR:
			if (!*optarg) { /* not silently the default */
				log_err("--cache-dir: an empty directory name (try 'ocifs %s --help')",
					cmd ? cmd->name : "");
				rc = OCIFS_EXIT_USAGE;
				goto out;
			}
			c.cache_dir = optarg;
			break;
		case O_RECURSIVE:
			c.recursive = 1;
			break;
		case O_QUIET:
			c.quiet = 1;
			ocifs_log_threshold = OCIFS_LOG_ERR;
			break;
		case O_VERBOSE:
			c.verbose++;
			ocifs_log_threshold = ocifs_log_threshold < OCIFS_LOG_DBG ?
						      ocifs_log_threshold + 1 : OCIFS_LOG_DBG;
			break;
		case O_HELP:
			cli_help_command(stdout, cmd);
			rc = 0;
			goto out;
		case O_VERSION:
			printf("ocifs %s\n", PACKAGE_VERSION);
			rc = 0;
			goto out;
		case O_TRACE:
			c.trace = optarg;
			break;
		case O_H_COMMANDS:
			help.list_commands = 1;
			break;
		case O_H_OPTIONS:
			help.options_of = optarg;
			break;
		case O_H_MOUNTOPTS:
			help.mount_options = 1;
			break;
		default:
			rc = bad_option(c.cmd, "unknown option", last);
			goto out;
		}
	}
	c.args = argv + optind;
	c.nargs = argc - optind;
	if (c.nargs < cmd->min_args || c.nargs > cmd->max_args) {
		rc = bad_nargs(cmd, c.nargs, c.args);
		goto out;
	}
	if (!cmd->fn)
		rc = cli_help_run(&help, c.nargs, c.args);
	else
		rc = cli_run_traced(&c, cmd->fn);
out:
	if (c.trace)
		rc = cli_trace_write(&c, rc);
	free(c.mount_opts);
	free(v);
	return rc;
}

int cli_quick_exit;

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	if (close_stdout() && !rc)
		rc = OCIFS_EXIT_ERR;
	if (cli_quick_exit)
		_exit(rc); /* (stderr is unbuffered) */
	return rc;
}
