/* SPDX-License-Identifier: MIT */
/*
 * ocifs: main(), option parsing and subcommand dispatch. The subcommands
 * live beside this file (cli.h); each opens its image through the session
 * and everything else it does goes through the src/ library.
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
#include "trace.h"
#include "trace_otlp.h"
#include "err.h"
#include "esc.h"
#include "log.h"
#include "zio.h"

static const char usage_text[] =
	"usage: ocifs COMMAND [OPTIONS] IMAGE [ARGS]\n"
	"\n"
	"Commands:\n"
	"  inspect IMAGE [--json]           format, platforms, config and layers\n"
	"  index IMAGE                      build (or check) every layer's index\n"
	"  verify IMAGE                     re-hash every blob, ignoring trusted caches\n"
	"  ls IMAGE [PATH] [-l] [-R]        list a directory of the merged image\n"
	"  cat IMAGE PATH                   print a file of the merged image\n"
	"  stat IMAGE PATH [--json]         metadata of a path, and its layer\n"
	"  ls/cat ... --layer N             the same within layer N alone\n"
	"  deps IMAGE [PATH...] [--json] [--unresolved]\n"
	"                                   every ELF and script: linking, libraries as\n"
	"                                   the image's ld.so finds them, Go, UPX, Rust\n"
	"  sbom IMAGE [--format F] [-o FILE] the packages of the image and their files,\n"
	"                                   CycloneDX, SPDX or a table\n"
	"  report IMAGE [-o FILE]           one self-contained HTML page about the image:\n"
	"                                   layers, merged tree, binaries, SBOM\n"
	"  efficiency IMAGE [--json] [--ci] [--lowest-efficiency R]\n"
	"      [--highest-wasted-bytes B] [--highest-user-wasted-percent P]\n"
	"                                   dive's efficiency score, wasted bytes per path\n"
	"                                   and layer; --ci: exit 1 when a rule fails\n"
	"                                   (defaults 0.9, disabled, 0.1)\n"
	"  mount IMAGE DIR [-o OPTS] [-f]   mount the merged image, read-only\n"
	"  umount DIR                       unmount an ocifs mount\n"
	"  diff IMAGE --layer N [--json]    what layer N added, modified and removed\n"
	"  diff IMAGE1 IMAGE2 [--json]      the same between two images' merged trees\n"
	"  history IMAGE PATH [--json]      every layer's version of PATH\n"
	"  explain IMAGE PATH [--json]      everything known of PATH: its layers, index\n"
	"                                   facts, analysis, owner, why in /.deps, /.sbom\n"
	"\n"
	"Options:\n"
	"  --platform OS/ARCH[/VARIANT]     manifest to use (default: this host)\n"
	"  --image NAME:TAG|N               image to use in a multi-image archive\n"
	"  --skip-missing                   leave out layers whose blob is absent\n"
	"  --zstd-window-max SIZE           largest zstd window to decode (default 128M,\n"
	"                                   up to 2G; also -o zstd_window_max=SIZE)\n"
	"  --layer N                        layer number, 1 = bottom\n"
	"  -l, --long                       long listing\n"
	"  -R, --recursive                  list subdirectories too (full paths)\n"
	"  --json                           machine-readable output\n"
	"  --unresolved                     deps: only files with a library not found\n"
	"  --format FORMAT                  sbom: cyclonedx (default), spdx or table\n"
	"  -o FILE                          sbom, report: write to FILE instead of stdout\n"
	"  -o OPTS                          mount options: timeout=SECONDS, cache_size=N[KMG],\n"
	"                                   uid=N, gid=N, allow_other, fsname=, ready_fd=N\n"
	"  -f, --foreground / -d, --debug   mount: stay in the foreground / also log requests\n"
	"  --trace FILE                     write what the command did (stages, times,\n"
	"                                   counts, files skipped and why) to FILE as\n"
	"                                   OpenTelemetry OTLP/JSON, also when it fails\n"
	"  -q, --quiet / -v, --verbose      less / more messages\n"
	"  -h, --help / -V, --version\n"
	"\n"
	"IMAGE is a docker-archive tar, an oci-archive tar (either may be gzip or\n"
	"zstd compressed) or an OCI layout directory. Exit status: 0 ok, 1 error,\n"
	"2 usage, 3 digest mismatch. Caches live in $XDG_CACHE_HOME/ocifs.\n";

enum { O_PLATFORM = 256, O_IMAGE, O_SKIP, O_LAYER, O_JSON, O_UNRESOLVED, O_ZWINDOW, O_FORMAT,
       O_CI, O_LOWEFF, O_HIWASTE, O_HIUSER,
       O_TRACE,
       O_CACHE_DIR, O_KEEP, O_NODEREF };

/* Which options a command takes (-q, -v, -h, -V: every command). */
enum {
	OPT_IMG = 1 << 0,    /* --platform, --image, --skip-missing, --zstd-window-max */
	OPT_LAYER = 1 << 1,  /* --layer */
	OPT_LONG = 1 << 2,   /* -l */
	OPT_REC = 1 << 3,    /* -R */
	OPT_JSON = 1 << 4,   /* --json */
	OPT_UNRES = 1 << 5,  /* --unresolved */
	OPT_MOUNT = 1 << 6,  /* -o, -f, -d */
	OPT_OUT = 1 << 7,    /* -o FILE, --format */
	OPT_EFF = 1 << 8,    /* efficiency: --ci and its thresholds */
	OPT_DEREF = 1 << 9,  /* stat: -L, --no-dereference */
	OPT_KEEP = 1 << 10,  /* mount: --keep (a spooled stdin image) */
	OPT_LAZY = 1 << 11,  /* umount: -l */
};

static const struct command {
	const char *name;
	const char *synopsis; /* the positional arguments, for error messages */
	int (*fn)(struct cli *c);
	int min_args, max_args;
	unsigned opts;        /* OPT_* */
} commands[] = {
	{ "inspect", "IMAGE", cmd_inspect, 1, 1, OPT_IMG | OPT_JSON },
	{ "index", "IMAGE", cmd_index, 1, 1, OPT_IMG },
	{ "verify", "IMAGE", cmd_verify, 1, 1, OPT_IMG },
	{ "ls", "IMAGE [PATH]", cmd_ls, 1, 2, OPT_IMG | OPT_LAYER | OPT_LONG | OPT_REC },
	{ "cat", "IMAGE PATH", cmd_cat, 2, 2, OPT_IMG | OPT_LAYER },
	{ "stat", "IMAGE PATH", cmd_stat, 2, 2, OPT_IMG | OPT_JSON | OPT_DEREF },
	{ "mount", "IMAGE DIR", cmd_mount, 2, 2, OPT_IMG | OPT_MOUNT | OPT_KEEP },
	{ "umount", "DIR", cmd_umount, 1, 1, OPT_LAZY },
	{ "deps", "IMAGE [PATH...]", cmd_deps, 1, 4096, OPT_IMG | OPT_JSON | OPT_UNRES },
	{ "sbom", "IMAGE", cmd_sbom, 1, 1, OPT_IMG | OPT_OUT },
	{ "report", "IMAGE", cmd_report, 1, 1, OPT_IMG | OPT_OUT },
	{ "diff", "IMAGE [IMAGE2]", cmd_diff, 1, 2, OPT_IMG | OPT_LAYER | OPT_JSON },
	{ "history", "IMAGE PATH", cmd_history, 2, 2, OPT_IMG | OPT_JSON },
	{ "efficiency", "IMAGE", cmd_efficiency, 1, 1, OPT_IMG | OPT_JSON | OPT_EFF },
	{ "explain", "IMAGE PATH", cmd_explain, 2, 2, OPT_IMG | OPT_JSON },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int cli_exit(int rc)
{
	if (rc >= 0)
		return rc;
	return rc == -OCIFS_EDIGEST ? OCIFS_EXIT_DIGEST
	       : rc == -OCIFS_EUSAGE ? OCIFS_EXIT_USAGE : OCIFS_EXIT_ERR;
}

struct ocifs_session_opts cli_session_opts(const struct cli *c)
{
	return (struct ocifs_session_opts){ .img = c->img, .progress = 1, .cache_dir = c->cache_dir,
					    .keep_spool = c->keep };
}

static int usage(FILE *f, int status)
{
	fputs(usage_text, f);
	return status;
}

/*
 * Whether `ocifs ARG DIR` is the mount form mount.fuse3 runs: ARG must be
 * an image that exists (a file, or a directory holding an OCI layout or a
 * docker-save tree), so a mistyped command is never taken for one.
 */
static int is_image(const char *arg)
{
	static const char *const marks[] = { "oci-layout", "index.json", "manifest.json" };
	struct stat st;
	int fd, found = 0;

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

/* Levenshtein distance of two short words (longer ones count as far). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[16];

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int unknown_command(const char *arg)
{
	const char *near = NULL;
	size_t best = 3; /* suggest only within two edits */
	char *shown = NULL;

	ocifs_esc_name(arg, &shown);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = edit_distance(arg, commands[i].name);
		if (d < best && d < strlen(arg)) {
			best = d;
			near = commands[i].name;
		}
	}
	if (arg[0] == '-')
		log_err("unknown command \"%s\" (options come after the command; try ocifs --help)",
			shown ? shown : "?");
	else if (near)
		log_err("unknown command \"%s\" (did you mean \"%s\"? try ocifs --help)",
			shown ? shown : "?", near);
	else
		log_err("unknown command \"%s\" (try ocifs --help)", shown ? shown : "?");
	free(shown);
	return OCIFS_EXIT_USAGE;
}

/* One line naming the option getopt_long() rejected (opt is '?' or ':'). */
static int bad_option(const char *cmd, const char *optstring, int opt, const char *last)
{
	char s[3] = { '-', (char)optopt, '\0' };
	const char *what = "unknown option";
	const char *name = last; /* a long option: argv[optind - 1] */
	char *shown = NULL;

	if (opt == ':')
		what = "missing argument for option";
	else if (optopt >= 256 || (optopt && strchr(optstring, optopt)))
		what = "no argument allowed for option"; /* --json=x */
	if (optopt > 0 && optopt < 256 && strncmp(last, "--", 2))
		name = s;
	ocifs_esc_name(name, &shown);
	log_err("%s: %s \"%s\" (try ocifs --help)", cmd, what, shown ? shown : "?");
	free(shown);
	return OCIFS_EXIT_USAGE;
}

static int bad_nargs(const struct command *cmd, int nargs, char **args)
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

/* The OPT_* scope of a getopt_long() result and its name; 0 = everywhere. */
static unsigned opt_scope(int opt, const char **name)
{
	static const struct {
		int opt;
		unsigned scope;
		const char *name;
	} t[] = {
		{ O_PLATFORM, OPT_IMG, "--platform" }, { O_IMAGE, OPT_IMG, "--image" },
		{ O_SKIP, OPT_IMG, "--skip-missing" }, { O_LAYER, OPT_LAYER, "--layer" },
		{ O_ZWINDOW, OPT_IMG, "--zstd-window-max" },
		{ O_JSON, OPT_JSON, "--json" },        { O_UNRESOLVED, OPT_UNRES, "--unresolved" },
		{ 'l', OPT_LONG, "-l" },               { 'R', OPT_REC, "-R" },
		{ 'o', OPT_MOUNT | OPT_OUT, "-o" },    { 'f', OPT_MOUNT, "-f" },
		{ O_FORMAT, OPT_OUT, "--format" },
		{ 'd', OPT_MOUNT, "-d" },
		{ O_CI, OPT_EFF, "--ci" }, { O_LOWEFF, OPT_EFF, "--lowest-efficiency" },
		{ O_HIWASTE, OPT_EFF, "--highest-wasted-bytes" },
		{ O_HIUSER, OPT_EFF, "--highest-user-wasted-percent" },
		{ 'L', OPT_DEREF, "-L" }, { O_NODEREF, OPT_DEREF, "--no-dereference" },
		{ O_KEEP, OPT_KEEP, "--keep" }, { 's', OPT_MOUNT, "-s" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].opt == opt) {
			*name = t[i].name;
			return t[i].scope;
		}
	}
	return 0;
}

/*
 * --trace FILE (and every mount, for /.ocifs/trace.json): the collector
 * on, a root span for the command around it, its exit status on it.
 */
static int cli_run_traced(struct cli *c, int (*fn)(struct cli *c))
{
	ocifs_span root = 0;
	int rc;

	if ((c->trace || !strcmp(c->cmd, "mount")) && ocifs_trace_enable() == 0) {
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

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, O_PLATFORM },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "skip-missing", no_argument, NULL, O_SKIP },
		{ "zstd-window-max", required_argument, NULL, O_ZWINDOW },
		{ "layer", required_argument, NULL, O_LAYER },
		{ "json", no_argument, NULL, O_JSON },
		{ "unresolved", no_argument, NULL, O_UNRESOLVED },
		{ "long", no_argument, NULL, 'l' },
		{ "options", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "ci", no_argument, NULL, O_CI },
		{ "lowest-efficiency", required_argument, NULL, O_LOWEFF },
		{ "highest-wasted-bytes", required_argument, NULL, O_HIWASTE },
		{ "highest-user-wasted-percent", required_argument, NULL, O_HIUSER },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "cache-dir", required_argument, NULL, O_CACHE_DIR },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "dereference", no_argument, NULL, 'L' },
		{ "no-dereference", no_argument, NULL, O_NODEREF },
		{ NULL, 0, NULL, 0 },
	};
	static const char optstring[] = ":lRqvhVo:fdLs";
	struct cli c = { 0 };
	int implied = 0;
	int opt, rc;
	size_t ci;
	char *end;

	if (argc < 2)
		return usage(stderr, OCIFS_EXIT_USAGE);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ocifs %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (ci = 0; ci < NCOMMANDS; ci++)
		if (!strcmp(argv[1], commands[ci].name))
			break;
	/* mount.fuse3 (fstab type fuse.ocifs) runs `ocifs IMAGE DIR -o OPTS`. */
	if (ci == NCOMMANDS && argv[1][0] != '-' && is_image(argv[1])) {
		for (ci = 0; strcmp(commands[ci].name, "mount"); ci++)
			;
		implied = 1;
	}
	if (ci == NCOMMANDS)
		return unknown_command(argv[1]);
	c.cmd = commands[ci].name;
	if (!implied) {
		argc--;
		argv++;
	}
	opterr = 0; /* bad_option() says it in one line */
	while ((opt = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		const char *oname;
		unsigned scope = opt_scope(opt, &oname);

		if (opt == 'l' && (commands[ci].opts & OPT_LAZY))
			scope = OPT_LAZY, oname = "-l"; /* umount -l: lazy */
		if (scope && !(commands[ci].opts & scope)) {
			log_err("%s: option %s does not apply (try ocifs --help)", c.cmd, oname);
			rc = OCIFS_EXIT_USAGE;
			goto out;
		}
		switch (opt) {
		case O_PLATFORM:
			c.img.platform = optarg;
			break;
		case O_IMAGE:
			c.img.image = optarg;
			break;
		case O_SKIP:
			c.img.skip_missing = 1;
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
		case 'o': {
			char *s = NULL;
			if (commands[ci].opts & OPT_OUT) {
				c.output = optarg;
				break;
			}
			if (asprintf(&s, "%s%s%s", c.mount_opts ? c.mount_opts : "",
				     c.mount_opts ? "," : "", optarg) < 0) {
				rc = OCIFS_EXIT_ERR;
				goto out;
			}
			free(c.mount_opts);
			c.mount_opts = s;
			break;
		}
		case 'f':
			c.foreground = 1;
			break;
		case 'd':
			c.debug = c.foreground = 1;
			break;
		case 'l':
			if (commands[ci].opts & OPT_LAZY)
				c.lazy = 1;
			else
				c.long_fmt = 1;
			break;
		case 'L':
			c.deref = 1;
			break;
		case O_NODEREF:
			c.deref = 0;
			break;
		case 's':
			c.single_thread = 1;
			break;
		case O_KEEP:
			c.keep = 1;
			break;
		case O_CACHE_DIR:
			c.cache_dir = optarg;
			break;
		case 'R':
			c.recursive = 1;
			break;
		case 'q':
			c.quiet = 1;
			ocifs_log_threshold = OCIFS_LOG_ERR;
			break;
		case 'v':
			c.verbose++;
			ocifs_log_threshold = ocifs_log_threshold < OCIFS_LOG_DBG ?
						      ocifs_log_threshold + 1 : OCIFS_LOG_DBG;
			break;
		case 'h':
			rc = usage(stdout, 0);
			goto out;
		case 'V':
			printf("ocifs %s\n", PACKAGE_VERSION);
			rc = 0;
			goto out;
		case O_TRACE:
			c.trace = optarg;
			break;
		default:
			rc = bad_option(c.cmd, optstring, opt, argv[optind - 1]);
			goto out;
		}
	}
	if (c.layer && c.recursive) {
		log_err("%s: -R does not apply with --layer (it lists one directory)", c.cmd);
		rc = OCIFS_EXIT_USAGE;
		goto out;
	}
	c.args = argv + optind;
	c.nargs = argc - optind;
	if (c.nargs < commands[ci].min_args || c.nargs > commands[ci].max_args) {
		rc = bad_nargs(&commands[ci], c.nargs, c.args);
		goto out;
	}
	rc = cli_run_traced(&c, commands[ci].fn);
out:
	if (c.trace)
		rc = cli_trace_write(&c, rc);
	free(c.mount_opts);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	if (close_stdout() && !rc)
		rc = OCIFS_EXIT_ERR;
	return rc;
}
