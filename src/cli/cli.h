/* SPDX-License-Identifier: MIT */
/*
 * The ocifs command line: shared option parsing and the subcommands.
 * Exit status: 0 success, 1 error, 2 usage, 3 digest mismatch.
 */
#ifndef OCIFS_SRC_CLI_H
#define OCIFS_SRC_CLI_H
#include <stdio.h>

#include "image.h"
#include "layer.h"
#include "view.h"

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
	char *cache_dir;      /* owned */
	char *mount_opts;     /* mount: -o OPTS, comma-joined when repeated (owned) */
	int foreground, debug; /* mount: -f, -d (-d implies -f) */
};

/** Map a negative errno from the library to an exit status. */
int cli_exit(int rc);
int cli_open_image(struct cli *c, struct ocifs_image **img);
/** Open layer c->layer of img (checks the range). */
int cli_open_layer(struct cli *c, struct ocifs_image *img, struct ocifs_layer **l);

/* Everything a merged-view command needs, opened in order. */
struct cli_session {
	struct ocifs_image *img;
	struct ocifs_layer **layers;   /* img->nlayers of them */
	struct ocifs_view *view;
};

/** Open the image, every layer (indexing with a progress bar on a tty)
 *  and the merged view. On error everything opened is closed. */
int cli_session_open(struct cli *c, struct cli_session *s);
void cli_session_close(struct cli_session *s);
/** Open (indexing if needed) every layer of img, with a progress bar on
 *  a tty; one summary line per layer to `summary` unless NULL. */
int cli_open_layers(struct cli *c, struct ocifs_image *img, int verify, FILE *summary,
		    struct ocifs_layer ***out);
void cli_close_layers(struct ocifs_layer **layers, size_t n);

/* Helpers shared by the commands (cli_layer.c). */
/** Print s to stdout escaped as `ls -b` does (esc.h): names, link targets
 *  and strings from an image are untrusted bytes, never raw on a terminal. */
void cli_print_esc(const char *s);
/** One `ls -l` line; name and the link targets are printed escaped. */
void cli_print_long(uint32_t mode, uint64_t uid, uint64_t gid, uint64_t size, uint64_t rdev,
		    int64_t mtime_ns, const char *name, const char *symlink, const char *hardlink);
/** malloc'd normalized copy of a user path; NULL (logged) if it escapes. */
char *cli_normalized_arg(const char *arg);
/** write(2) all n bytes to stdout (unbuffered, for file data); on failure
 *  logs "write error: REASON" and returns the negative errno. */
int cli_write_stdout(const void *buf, size_t n);
int cli_view_ls(struct cli *c);
int cli_view_cat(struct cli *c);

int cmd_inspect(struct cli *c);
int cmd_index(struct cli *c);
int cmd_verify(struct cli *c);
int cmd_ls(struct cli *c);
int cmd_cat(struct cli *c);
int cmd_stat(struct cli *c);
int cmd_mount(struct cli *c);   /* fs/cli_mount.c */
int cmd_umount(struct cli *c);  /* fs/cli_mount.c */
int cmd_deps(struct cli *c);    /* scan/cli_deps.c */

#endif
