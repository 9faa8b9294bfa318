/* SPDX-License-Identifier: MIT */
/*
 * What runs when the image executes a "#!" script: the interpreter line
 * split exactly as the Linux kernel's binfmt_script splits it (the first
 * BINPRM_BUF_SIZE = 256 bytes, "#!" included; spaces and tabs separate,
 * everything after the interpreter is ONE argument, trimmed of trailing
 * spaces/tabs but not of a CR), then, for an interpreter named "env",
 * the option parsing of coreutils env(1) (-S splitting, -i, -u, NAME=VALUE)
 * and glibc execvp's PATH search with the image's PATH; then the chain
 * of interpreters that are themselves scripts, as deep as the kernel
 * follows it (4 levels, then ELOOP), down to the ELF that runs. Paths are
 * resolved in the image through a struct ocifs_tree (chroot-style).
 * Not modelled: execute permission bits (the tree has no modes), the
 * working directory (relative names are reported, not resolved), env's
 * ${VAR} expansion of variables other than PATH, binfmt_misc.
 */
#ifndef OCIFS_SCAN_SCRIPT_H
#define OCIFS_SCAN_SCRIPT_H

#include "rd.h"
#include "tree.h"

#define OCIFS_SCRIPT_BUF 256            /* the kernel's BINPRM_BUF_SIZE */
#define OCIFS_SCRIPT_MAX_NEST 4         /* interpreter scripts the kernel follows */
#define OCIFS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct ocifs_script {
	char *interp;           /* as written, e.g. "/usr/bin/env"; NULL if the line is refused */
	char *arg;              /* the optional single argument ("python3", "-S python3 -u"), or NULL */
	char *program;          /* what actually runs: for env, the command it looks up; else interp */
	char *resolved;         /* canonical path in the image of the ELF that finally runs, or NULL */
	const char *rule;       /* "absolute", "env PATH", "relative" (against the working
				 * directory: not resolved), "not found"; static string */
	char *error;            /* NULL, or why nothing (or not what was meant) runs */
	int depth;              /* scripts followed after this one to reach resolved (the
				 * kernel follows 4 nested ones; each env exec starts anew) */
};

/** Analyze the script behind rd (rd->name: its path in the image, used
 *  to notice env running the script itself) with the image tree t and
 *  the image's PATH (path_env; NULL means OCIFS_DEFAULT_PATH) into *out
 *  (which need not be initialised).
 *  Returns 0 (problems in out->error, rule "not found" when nothing is
 *  found to run), -EINVAL if the file does not start with "#!" (nothing
 *  logged), -ENOMEM, or the reader's error other than a short read. Call
 *  ocifs_script_fini() whatever the result. Thread-safe if t is. */
int ocifs_script_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *t, const char *path_env,
			 struct ocifs_script *out);

/** Free everything s owns and zero it. Safe on a zeroed struct. */
void ocifs_script_fini(struct ocifs_script *s);

#endif
