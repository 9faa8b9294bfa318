/* SPDX-License-Identifier: MIT */
/*
 * The ocifs command line: shared option parsing and the subcommands.
 * Exit status: 0 success, 1 error, 2 usage, 3 digest mismatch.
 */
#ifndef OCIFS_SRC_CLI_H
#define OCIFS_SRC_CLI_H
#include "image.h"
#include "layer.h"

#define OCIFS_EXIT_ERR 1
#define OCIFS_EXIT_USAGE 2
#define OCIFS_EXIT_DIGEST 3

struct cli {
	const char *cmd;
	struct ocifs_image_opts img;
	int json, verify, long_fmt, layer; /* layer: 1-based, 0 = none */
	int nargs;
	char **args;          /* positional arguments after the command */
	char *cache_dir;      /* owned */
};

/** Map a negative errno from the library to an exit status. */
int cli_exit(int rc);
int cli_open_image(struct cli *c, struct ocifs_image **img);
/** Open layer c->layer of img (checks the range). */
int cli_open_layer(struct cli *c, struct ocifs_image *img, struct ocifs_layer **l);

int cmd_inspect(struct cli *c);
int cmd_index(struct cli *c);
int cmd_verify(struct cli *c);
int cmd_ls(struct cli *c);
int cmd_cat(struct cli *c);

#endif
