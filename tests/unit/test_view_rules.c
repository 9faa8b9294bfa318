/* SPDX-License-Identifier: MIT */
/*
 * The merge rules of DESIGN §6 without FUSE: each case of the hand-
 * written layer generator (tests/gen/mklayers.py, the same layers
 * tests/mount/t10-exact.sh compares with umoci) is packed as an OCI
 * layout, opened, indexed and merged in-process, and the view rendered
 * one line per path:
 *
 *   PATH TYPE MODE UID:GID nNLINK (LLAYER tMTIME | implicit) [PAYLOAD]
 *
 * (MTIME: seconds after the generator's T0, which counts entries in
 * order, so it names the entry that won; PAYLOAD: size and bytes of a
 * file, "=PATH" for a later name of its inode, "-> TARGET" of a symlink,
 * "dev MAJ,MIN", "x:KEY=HEX" per xattr) is compared with the tree the
 * rules give, written out below case by case. The view is then opened
 * again from the cache file and must render the same.
 */
#include <sys/sysmacros.h>

#include "fuzz/fuzz_oci.h"
#include "cache.h"
#include "image.h"
#include "layer.h"
#include "reader.h"
#include "tap.h"
#include "view.h"

#define T0 1600000000 /* mklayers.py's T0 */

static const struct {
	const char *name;
	const char *tree;
} cases[] = {
	/* DIR/.wh..wh..opq hides what lower layers put under DIR, never the
	 * entries of its own layer (listed before the marker) or above */
	{ "opaque",
	  "/ d 0755 0:0 n3 implicit\n"
	  "a d 0750 0:0 n2 L2 t6\n"
	  "a/w f 0644 0:0 n1 L3 t9 2 \"w3\"\n"
	  "a/z f 0644 0:0 n1 L2 t7 2 \"z2\"\n"
	  "b f 0644 0:0 n1 L1 t5 2 \"b1\"\n" },
	/* .wh.NAME deletes NAME and its subtree from lower layers only: not
	 * c/d of its own layer, listed before it; a missing name is a no-op;
	 * a dir whited out and made again starts empty */
	{ "whiteouts",
	  "/ d 0755 0:0 n4 implicit\n"
	  "c d 0755 0:0 n2 L1 t1\n"
	  "c/d f 0644 0:0 n1 L2 t8 2 \"d2\"\n"
	  "keep f 0644 0:0 n1 L1 t7 2 \"k1\"\n"
	  "t d 0755 0:0 n2 L3 t13\n"
	  "t/new f 0644 0:0 n1 L3 t14 2 \"n3\"\n" },
	/* a file over a dir drops the subtree; a dir over a file starts
	 * empty; missing parents are 0755 root dirs of no layer */
	{ "replace",
	  "/ d 0755 0:0 n5 implicit\n"
	  "deep d 0755 0:0 n3 implicit\n"
	  "deep/er d 0755 0:0 n3 implicit\n"
	  "deep/er/est d 0755 0:0 n2 implicit\n"
	  "deep/er/est/file f 0644 0:0 n1 L1 t4 5 \"deep1\"\n"
	  "df d 0755 0:0 n2 L2 t6\n"
	  "df/child f 0644 0:0 n1 L2 t7 2 \"c2\"\n"
	  "fd d 0755 0:0 n2 L3 t8\n"
	  "fd/again f 0644 0:0 n1 L3 t9 6 \"again3\"\n" },
	/* within a layer the last entry for a path wins, "." sets the root */
	{ "lastwins",
	  "/ d 0711 0:0 n2 L1 t1\n"
	  "dup f 0600 0:0 n1 L1 t3 6 \"second\"\n"
	  "x f 0644 0:0 n1 L1 t5 15 \"x is a file now\"\n" },
	/* hardlinks share their target's inode; nlink counts the names left
	 * once a later layer replaces one */
	{ "hardlinks",
	  "/ d 0755 0:0 n3 implicit\n"
	  "h d 0755 0:0 n2 L1 t1\n"
	  "h/one f 0640 0:0 n2 L1 t2 6 \"shared\"\n"
	  "h/three f 0640 0:0 n2 L1 t2 6 \"shared\" =h/one\n"
	  "h/two f 0644 0:0 n1 L2 t6 10 \"broken out\"\n"
	  "solo f 0644 0:0 n1 L1 t5 4 \"solo\"\n" },
	/* a whiteout under a name its own layer makes a file */
	{ "whparentfile",
	  "/ d 0755 0:0 n2 implicit\n"
	  "p f 0644 0:0 n1 L2 t4 11 \"p is a file\"\n" },
	/* symlinks verbatim, devices, fifos, set-id and sticky modes, ids
	 * past 2^21; a whiteout and a new symlink of the same name */
	{ "special",
	  "/ d 0755 0:0 n4 implicit\n"
	  "abs l 0777 0:0 n1 L1 t3 -> /bin/tool\n"
	  "big-ids f 0644 4000000:4000001 n1 L1 t7 3 \"ids\"\n"
	  "bin d 0755 0:0 n2 L1 t1\n"
	  "bin/tool f 4755 1000:2000 n1 L1 t2 10 \"#!/bin/sh\\x0a\"\n"
	  "dangling l 0777 0:0 n1 L2 t12 -> now/somewhere\n"
	  "fifo p 0644 0:0 n1 L1 t10\n"
	  "loop0 b 0600 0:0 n1 L1 t9 dev 7,0\n"
	  "null c 0600 0:0 n1 L1 t8 dev 1,3\n"
	  "rel l 0777 0:0 n1 L1 t4 -> bin/tool\n"
	  "tmp d 1777 0:0 n2 L1 t6\n" },
	/* other .wh..wh.* names are never shown; the dir keeps its metadata */
	{ "reserved",
	  "/ d 0755 0:0 n3 implicit\n"
	  "r d 0755 0:0 n2 L1 t1\n"
	  "r/a f 0644 0:0 n1 L1 t2 2 \"a1\"\n"
	  "r/b f 0644 0:0 n1 L2 t4 2 \"b2\"\n" },
	/* PAX SCHILY.xattr.*, gone with the entry that carried them */
	{ "xattrs",
	  "/ d 0755 0:0 n3 implicit\n"
	  "xa f 0644 0:0 n1 L2 t3 19 \"replaced, no xattrs\"\n"
	  "xd d 0755 0:0 n2 L1 t2 x:user.dir=64\n" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct render {
	FILE *f;
	uint64_t *first;        /* per inode: 1 + the order of its first name */
	char **paths;           /* names in order */
	size_t n;
};

static void render_file(struct render *r, const struct ocifs_view *v, uint64_t ino,
			const struct ocifs_vattr *a)
{
	unsigned char buf[256];
	size_t got = 0;
	struct ocifs_reader_opts ro = { 0 }; /* no span cache */
	struct ocifs_reader *rd = NULL;
	struct ocifs_rfile *f = NULL;

	fprintf(r->f, " %" PRIu64 " \"", a->size);
	if (ocifs_reader_new(v, &ro, &rd) != 0 || ocifs_reader_open(rd, ino, &f) != 0 ||
	    ocifs_rfile_read(f, buf, sizeof(buf), 0, &got) != 0) {
		fprintf(r->f, "(unreadable)");
		got = 0;
	}
	ocifs_rfile_close(f);
	ocifs_reader_free(rd);
	for (size_t i = 0; i < got; i++)
		fprintf(r->f, buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '"' && buf[i] != '\\'
				      ? "%c" : "\\x%02x",
			buf[i]);
	fprintf(r->f, "\"");
	if (r->first[ino] != r->n + 1) /* a later name of an inode shown */
		fprintf(r->f, " =%s", r->paths[r->first[ino] - 1]);
}

static void render_node(struct render *r, const struct ocifs_view *v, const char *path,
			uint64_t ino)
{
	struct ocifs_vattr a;
	const char *s;
	uint32_t n;

	if (ocifs_view_getattr(v, ino, &a) != 0) {
		fprintf(r->f, "%s (getattr failed)\n", path);
		return;
	}
	char **np = realloc(r->paths, (r->n + 1) * sizeof(*np));
	if (!np || !(np[r->n] = strdup(path)))
		abort();
	r->paths = np;
	if (!r->first[ino])
		r->first[ino] = r->n + 1;
	char t = S_ISDIR(a.mode) ? 'd' : S_ISREG(a.mode) ? 'f' : S_ISLNK(a.mode) ? 'l'
		 : S_ISCHR(a.mode) ? 'c' : S_ISBLK(a.mode) ? 'b' : S_ISFIFO(a.mode) ? 'p' : '?';
	fprintf(r->f, "%s %c %04o %" PRIu64 ":%" PRIu64 " n%u", path, t, a.mode & 07777, a.uid,
		a.gid, a.nlink);
	if (a.layer == OCIFS_VIEW_NO_LAYER)
		fprintf(r->f, " implicit");
	else
		fprintf(r->f, " L%u t%lld", a.layer + 1, (long long)(a.mtime_ns / 1000000000 - T0));
	if (t == 'f')
		render_file(r, v, ino, &a);
	else if (t == 'l' && ocifs_view_readlink(v, ino, &s) == 0)
		fprintf(r->f, " -> %s", s);
	else if (t == 'c' || t == 'b')
		fprintf(r->f, " dev %u,%u", major(a.rdev), minor(a.rdev));
	if (ocifs_view_xattr_count(v, ino, &n) == 0)
		for (uint32_t i = 0; i < n; i++) {
			const void *val;
			size_t len;
			if (ocifs_view_xattr_entry(v, ino, i, &s, &val, &len) != 0)
				continue;
			fprintf(r->f, " x:%s=", s);
			for (size_t k = 0; k < len; k++)
				fprintf(r->f, "%02x", ((const unsigned char *)val)[k]);
		}
	fprintf(r->f, "\n");
	r->n++;
	if (t != 'd' || ocifs_view_dir_size(v, ino, &n) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t child, again;
		const char *name;
		char sub[1024];
		if (ocifs_view_dir_entry(v, ino, i, &name, &child) != 0)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", ino == OCIFS_VIEW_ROOT ? "" : path,
			 ino == OCIFS_VIEW_ROOT ? "" : "/", name);
		/* every name resolves, by path and by lookup, to its inode */
		if (ocifs_view_resolve(v, sub, &again) != 0 || again != child ||
		    ocifs_view_lookup(v, ino, name, &again) != 0 || again != child)
			fprintf(r->f, "%s (does not resolve)\n", sub);
		render_node(r, v, sub, child);
	}
}

/* The view as text (malloc'd). */
static char *render(const struct ocifs_view *v)
{
	struct render r = { 0 };
	char *text = NULL;
	size_t len = 0;

	r.first = calloc(ocifs_view_inodes(v) + 1, sizeof(*r.first));
	if (!r.first || !(r.f = open_memstream(&text, &len)))
		abort();
	render_node(&r, v, "/", OCIFS_VIEW_ROOT);
	fclose(r.f);
	for (size_t i = 0; i < r.n; i++)
		free(r.paths[i]);
	free(r.paths);
	free(r.first);
	return text;
}

/* Open layout dir with its layers and view: 0, or -errno (all closed). */
static int open_view(const char *dir, const char *cache, struct ocifs_image **img,
		     struct ocifs_layer **layers, struct ocifs_view **v)
{
	struct ocifs_image_opts o = { .platform = "linux/amd64" };
	struct ocifs_layer_opts lo = { .cache_dir = cache, .span = 65536 };
	int rc = ocifs_image_open(dir, &o, img);

	for (size_t i = 0; !rc && i < (*img)->nlayers; i++)
		rc = ocifs_layer_open(*img, i, &lo, &layers[i]);
	if (!rc)
		rc = ocifs_view_open(*img, layers, cache, v);
	return rc;
}

static void close_view(struct ocifs_image *img, struct ocifs_layer **layers,
		       struct ocifs_view *v)
{
	ocifs_view_free(v);
	for (size_t i = 0; i < FZ_MAXPARTS; i++) {
		ocifs_layer_close(layers[i]);
		layers[i] = NULL;
	}
	ocifs_image_free(img);
}

/* Print where two renderings part, line by line. */
static void diag_diff(const char *got, const char *want)
{
	while (*got || *want) {
		size_t g = strcspn(got, "\n"), w = strcspn(want, "\n");
		if (g != w || memcmp(got, want, g))
			diag("  got  %.*s\n#   want %.*s", (int)g, got, (int)w, want);
		got += g + (got[g] == '\n');
		want += w + (want[w] == '\n');
	}
}

static void check_case(const char *tmp, const char *cache, size_t c)
{
	struct fz_part parts[FZ_MAXPARTS];
	void *bufs[FZ_MAXPARTS] = { 0 };
	struct ocifs_layer *layers[FZ_MAXPARTS] = { 0 };
	struct ocifs_image *img = NULL;
	struct ocifs_view *v = NULL;
	struct ocifs_view_stats st;
	char path[1024], dir[512], *got = NULL, *again = NULL;
	size_t n = 0;
	int rc;

	for (; n < FZ_MAXPARTS; n++) {
		snprintf(path, sizeof(path), "%s/layers/%s/L%zu.tar", tmp, cases[c].name, n + 1);
		if (!(bufs[n] = tap_slurp(path, &parts[n].n)))
			break;
		parts[n].p = bufs[n];
	}
	snprintf(dir, sizeof(dir), "%s/img-%s", tmp, cases[c].name);
	if (!n || (rc = fz_layout_of_layers(dir, parts, n))) {
		ok(0, "%s: %zu layers packed as an OCI layout", cases[c].name, n);
		goto out;
	}
	if ((rc = open_view(dir, cache, &img, layers, &v))) {
		ok(0, "%s: image, layers and view open (%s)", cases[c].name, strerror(-rc));
		close_view(img, layers, v);
		goto out;
	}
	got = render(v);
	if (!ok(!strcmp(got, cases[c].tree), "%s: %zu layers merge to the expected tree",
		cases[c].name, n))
		diag_diff(got, cases[c].tree);
	close_view(img, layers, v);
	img = NULL;
	v = NULL;
	/* the same view again, from its cache file */
	if ((rc = open_view(dir, cache, &img, layers, &v))) {
		ok(0, "%s: reopened (%s)", cases[c].name, strerror(-rc));
	} else {
		ocifs_view_stats(v, &st);
		again = render(v);
		ok(st.from_cache && !strcmp(again, got), "%s: the cached view is the same tree",
		   cases[c].name);
	}
	close_view(img, layers, v);
out:
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	free(got);
	free(again);
}

int main(void)
{
	const char *src = getenv("OCIFS_SRCDIR"), *tmp = fz_tmp();
	int seen[NCASES] = { 0 };
	char cmd[2048], line[256], *cache = NULL;
	size_t ngen = 0;
	FILE *p;

	if (!src)
		src = ".";
	if (ocifs_cache_open_dir(&cache)) { /* under fz_tmp()'s XDG_CACHE_HOME */
		ok(0, "cache directory");
		return done_testing();
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/gen/mklayers.py' '%s/layers'", src, tmp);
	if (!(p = popen(cmd, "r"))) {
		ok(0, "run %s", cmd);
		free(cache);
		return done_testing();
	}
	while (fgets(line, sizeof(line), p)) {
		size_t c = 0;
		line[strcspn(line, "\n")] = '\0';
		ngen++;
		while (c < NCASES && strcmp(cases[c].name, line))
			c++;
		if (c == NCASES) {
			ok(0, "%s: the generator's case has an expected tree here", line);
			continue;
		}
		seen[c] = 1;
		check_case(tmp, cache, c);
	}
	is_int(pclose(p), 0, "tests/gen/mklayers.py ran (%zu cases)", ngen);
	for (size_t c = 0; c < NCASES; c++)
		if (!seen[c])
			ok(0, "%s: the generator still writes this case", cases[c].name);
	free(cache);
	return done_testing();
}
