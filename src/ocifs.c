/* SPDX-License-Identifier: MIT */
/*
 * ocifs: main(), option parsing and subcommand dispatch. Subcommands live
 * in cli_*.c; everything they do goes through the src/ library.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "cli.h"
#include "log.h"

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
	"  mount IMAGE DIR [-o OPTS] [-f]   mount the merged image, read-only\n"
	"  umount DIR                       unmount an ocifs mount\n"
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
	"  -o OPTS                          mount options: timeout=SECONDS, cache_size=N[KMG],\n"
	"                                   uid=N, gid=N, allow_other, fsname=, ready_fd=N\n"
	"  -f, --foreground / -d, --debug   mount: stay in the foreground / also log requests\n"
	"  -q, --quiet / -v, --verbose      less / more messages\n"
	"  -h, --help / -V, --version\n"
	"\n"
	"IMAGE is a docker-archive tar, an oci-archive tar (either may be gzip or\n"
	"zstd compressed) or an OCI layout directory. Exit status: 0 ok, 1 error,\n"
	"2 usage, 3 digest mismatch. Caches live in $XDG_CACHE_HOME/ocifs.\n";

static const struct {
	const char *name;
	int (*fn)(struct cli *c);
	int min_args, max_args;
} commands[] = {
	{ "inspect", cmd_inspect, 1, 1 },
	{ "index", cmd_index, 1, 1 },
	{ "verify", cmd_verify, 1, 1 },
	{ "ls", cmd_ls, 1, 2 },
	{ "cat", cmd_cat, 2, 2 },
	{ "stat", cmd_stat, 2, 2 },
	{ "mount", cmd_mount, 2, 2 },
	{ "umount", cmd_umount, 1, 1 },
	{ "deps", cmd_deps, 1, 4096 },
};

int cli_exit(int rc)
{
	if (rc >= 0)
		return rc;
	return rc == -EILSEQ ? OCIFS_EXIT_DIGEST : OCIFS_EXIT_ERR;
}

int cli_open_image(struct cli *c, struct ocifs_image **img)
{
	return ocifs_image_open(c->args[0], &c->img, img);
}

int cli_open_layer(struct cli *c, struct ocifs_image *img, struct ocifs_layer **l)
{
	struct ocifs_layer_opts lo = { .cache_dir = c->cache_dir };

	if (c->layer < 1 || (size_t)c->layer > img->nlayers) {
		log_err("%s: no layer %d (the image has %zu; layers are numbered from 1)",
			c->args[0], c->layer, img->nlayers);
		return -EINVAL;
	}
	return ocifs_layer_open(img, (size_t)c->layer - 1, &lo, l);
}

static int usage(FILE *f, int status)
{
	fputs(usage_text, f);
	return status;
}

int main(int argc, char **argv)
{
	enum { O_PLATFORM = 256, O_IMAGE, O_SKIP, O_LAYER, O_JSON, O_UNRESOLVED, O_ZWINDOW };
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
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct stat dst;
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
	for (ci = 0; ci < sizeof(commands) / sizeof(commands[0]); ci++)
		if (!strcmp(argv[1], commands[ci].name))
			break;
	/* mount.fuse3 (fstab type fuse.ocifs) runs `ocifs IMAGE DIR -o OPTS`. */
	if (ci == sizeof(commands) / sizeof(commands[0]) && argc >= 3 && argv[1][0] != '-' &&
	    stat(argv[2], &dst) == 0 && S_ISDIR(dst.st_mode)) {
		for (ci = 0; strcmp(commands[ci].name, "mount"); ci++)
			;
		implied = 1;
	}
	if (ci == sizeof(commands) / sizeof(commands[0])) {
		log_err("unknown command \"%s\" (try ocifs --help)", argv[1]);
		return OCIFS_EXIT_USAGE;
	}
	c.cmd = commands[ci].name;
	if (!implied) {
		argc--;
		argv++;
	}
	while ((opt = getopt_long(argc, argv, "lRqvhVo:fd", longopts, NULL)) != -1) {
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
		case 'o': {
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
		case 'f':
			c.foreground = 1;
			break;
		case 'd':
			c.debug = c.foreground = 1;
			break;
		case 'l':
			c.long_fmt = 1;
			break;
		case 'R':
			c.recursive = 1;
			break;
		case 'q':
			ocifs_log_threshold = OCIFS_LOG_ERR;
			break;
		case 'v':
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
		default:
			rc = usage(stderr, OCIFS_EXIT_USAGE);
			goto out;
		}
	}
	c.args = argv + optind;
	c.nargs = argc - optind;
	if (c.nargs < commands[ci].min_args || c.nargs > commands[ci].max_args) {
		log_err("%s: wrong number of arguments (try ocifs --help)", c.cmd);
		rc = OCIFS_EXIT_USAGE;
		goto out;
	}
	rc = ocifs_cache_open_dir(&c.cache_dir);
	if (!rc)
		rc = commands[ci].fn(&c);
	rc = cli_exit(rc);
out:
	free(c.cache_dir);
	free(c.mount_opts);
	return rc;
}
