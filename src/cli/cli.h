/* SPDX-License-Identifier: MIT */
/*
 * The ocifs command line: shared option parsing and the subcommands,
 * one file a command group, each opening its image through the session
 * (src/session.h) and printing what the library hands back.
 *
 *   main.c     main(), option parsing, dispatch, exit status
 *   help.c     the command and option tables (help.h), every --help text
 *   out.c      output helpers: escaped names, `ls -l` lines, raw data
 *   inspect.c  inspect
 *   index.c    index, verify
 *   files.c    ls, cat (the merged view, or one layer with --layer)
 *   stat.c     stat (text and --json)
 *   mount.c    mount, umount
 *   deps.c     deps
 *   sbom.c     sbom
 *   report*.c  report (report.h: gathered in report.c, report_tree.c,
 *              report_scan.c; written as HTML by report_html.c)
 *   forensic.c diff, history
 *   efficiency.c  efficiency (dive's score, wasted bytes, CI rules)
 *   explain.c  explain (explain_text.c renders it)
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 digest mismatch.
 */
#ifndef OCIFS_SRC_CLI_CLI_H
#define OCIFS_SRC_CLI_CLI_H
#include <stdint.h>
#include <stdio.h>

#include "image.h"
#include "registry.h"
#include "session.h"

#define OCIFS_EXIT_ERR 1
#define OCIFS_EXIT_USAGE 2
#define OCIFS_EXIT_DIGEST 3

struct cli {
	const char *cmd;
	struct ocifs_image_opts img;
	int json, verify, long_fmt, layer; /* layer: 1-based, 0 = none */
	int recursive;
	int unresolved;       /* deps: only files with unresolved libraries */
	int nargs;
	char **args;          /* positional arguments after the command */
	char *mount_opts;     /* mount: -o OPTS, comma-joined when repeated (owned) */
	int foreground, debug; /* mount: -f, -d (-d implies -f) */
	const char *format;   /* sbom: --format */
	const char *output;   /* sbom, report: -o FILE */
	/* efficiency: --ci and dive's rule thresholds (NULL = dive's default) */
	int ci;
	const char *lowest_efficiency, *highest_wasted_bytes, *highest_user_wasted;
	const char *trace;    /* --trace FILE (every command), or NULL */
	/* issue #13 */
	const char *cache_dir; /* --cache-dir DIR (else $OCIFS_CACHE_DIR, else
				* the XDG default), or NULL */
	int keep;             /* mount -: keep the spooled stdin image */
	int deref;            /* stat: 1 -L/--dereference, 0 the link itself
			       * (default; --no-dereference) */
	int lazy;             /* umount -l */
	int single_thread;    /* mount -s */
	int quiet, verbose;   /* -q, -v (counted) */
	int push;             /* index --push */
	int no_artifact;      /* --ignore-artifact */
	struct ocifs_registry_opts reg; /* docker://: --tls-verify, --cert-dir,
				 * --creds, --authfile (img.registry points
				 * here) */
};

/** Map a negative errno from the library to an exit status. */
int cli_exit(int rc);
/** Set by a command whose process has nothing left to do but exit
 *  (mount's parent once the daemon serves): main() then ends with
 *  _exit() after stdout is flushed, skipping frees that only cost time
 *  (after a fork, every page freed is a copy-on-write fault) and the
 *  libraries' exit handlers. */
extern int cli_quick_exit;
/** Session options for c: its image options, a progress bar on a tty,
 *  everything opened; a command narrows them (no_view, layer, ...). */
struct ocifs_session_opts cli_session_opts(const struct cli *c);

/* Output helpers shared by the commands (out.c). */
/** Print s to stdout escaped as `ls -b` does (esc.h): names, link targets
 *  and strings from an image are untrusted bytes, never raw on a terminal. */
void cli_print_esc(const char *s);
/** One `ls -l` line; name and the link targets are printed escaped. */
void cli_print_long(uint32_t mode, uint64_t uid, uint64_t gid, uint64_t size, uint64_t rdev,
		    int64_t mtime_ns, const char *name, const char *symlink, const char *hardlink);
/** malloc'd normalized copy of a user path (path.h); NULL (logged) if it
 *  escapes. */
char *cli_normalized_arg(const char *arg);
/** write(2) all n bytes to stdout (unbuffered, for file data); on failure
 *  logs "write error: REASON" and returns the negative errno. */
int cli_write_stdout(const void *buf, size_t n);
/** write(2) all n bytes to fd: 0 or -errno (nothing logged). */
int cli_write_all(int fd, const void *buf, size_t n);

int cmd_inspect(struct cli *c);
int cmd_index(struct cli *c);
int cmd_verify(struct cli *c);
int cmd_ls(struct cli *c);
int cmd_cat(struct cli *c);
int cmd_stat(struct cli *c);
/** files.c: the merged view's session for c and user path arg resolved
 *  in it as the shell inside the image would (ocifs_view_find with
 *  flags: OCIFS_VIEW_FOLLOW follows a last symlink): its inode and
 *  attributes. Logs on failure (an empty arg: OCIFS_EXIT_USAGE); the
 *  caller closes *s (NULL if it did not open) whatever this returns. */
int cli_view_open(struct cli *c, const char *arg, unsigned flags, struct ocifs_session **s,
		  uint64_t *ino, struct ocifs_vattr *a);
/** files.c: whether user path arg is empty: 1 (a usage error, logged
 *  naming the image and the command) or 0. */
int cli_path_empty(struct cli *c, const char *arg);
/** files.c: a user path ending in "/" must name a directory (after
 *  links, as the shell asks): -ENOTDIR (logged) when the merged view of
 *  s resolves it to something else, else 0 (also when it has no view
 *  or no such path: callers reading one literal path per layer go on). */
int cli_path_slash(struct cli *c, struct ocifs_session *s, const char *arg);
/** stat.c: "regular file", "directory", "symbolic link", ... of a mode. */
const char *cli_type_name(uint32_t mode);
int cmd_mount(struct cli *c);
int cmd_umount(struct cli *c);
int cmd_deps(struct cli *c);
int cmd_sbom(struct cli *c);
int cmd_report(struct cli *c);
int cmd_diff(struct cli *c);
int cmd_history(struct cli *c);
int cmd_efficiency(struct cli *c);
int cmd_explain(struct cli *c);

#endif
