/* SPDX-License-Identifier: MIT */
/*
 * One layer's own tree (src/ltree.h) without FUSE: a hand-written tar
 * layer holding the cases tar extraction decides (a root "./" entry, a
 * file replaced by a directory and back, a path whose parents are a file
 * that a later entry replaces, hard links made before their target is
 * replaced, chained, dangling or to a directory, a directory listed after
 * its children and listed twice) is indexed, its tree built and rendered
 * one line per path:
 *
 *   PATH TYPE MODE nNLINK (tN | implicit) [= "BYTES" | -> TARGET]
 *
 * (tN: the entry's mtime is T0 + N, N its position in the tar, so it
 * names the entry that won) and compared with the tree extraction gives.
 * Then the inode ids (the index rows), lookups, parents and the errors of
 * each call.
 */
#include <sys/stat.h>

#include "fuzz/fuzz_oci.h"
#include "cache.h"
#include "facts.h"
#include "image.h"
#include "layer.h"
#include "ltree.h"
#include "tap.h"

#define T0 1600000000

struct ent {
	const char *name;
	char type;              /* '0' file, '1' link, '2' symlink, '5' dir */
	unsigned mode;
	const char *arg;        /* file bytes, or link target */
};

/* The layer, in tar order (entry k has mtime T0 + k, from 1). */
static const struct ent layer[] = {
	{ "./", '5', 0700, NULL },              /* 1: the root's metadata */
	{ "x", '0', 0644, "old" },              /* 2: replaced by ... */
	{ "x/", '5', 0750, NULL },              /* 3: ... a directory */
	{ "x/y", '0', 0644, "y" },              /* 4 */
	{ "d/", '5', 0755, NULL },              /* 5: replaced by ... */
	{ "d/e", '0', 0644, "e" },              /* 6: (gone with it) */
	{ "d", '0', 0644, "dfile" },            /* 7: ... a file */
	{ "p/q/r", '0', 0644, "r" },            /* 8: parents p, p/q made */
	{ "p", '0', 0644, "pfile" },            /* 9: p a file after all */
	{ "f", '0', 0644, "f1" },               /* 10 */
	{ "h1", '1', 0644, "f" },               /* 11: f's inode of now */
	{ "h2", '1', 0644, "h1" },              /* 12: a link to a link */
	{ "bad", '1', 0644, "missing" },        /* 13: nothing to link to */
	{ "dl", '1', 0644, "x" },               /* 14: a directory: no */
	{ "z/w", '0', 0644, "w" },              /* 15 */
	{ "z/", '5', 0700, NULL },              /* 16: after its child */
	{ "k/", '5', 0755, NULL },              /* 17 */
	{ "k/a", '0', 0644, "a" },              /* 18 */
	{ "k/", '5', 0711, NULL },              /* 19: again: same children */
	{ "s", '2', 0777, "target" },           /* 20 */
	{ "f", '0', 0600, "f2" },               /* 21: h1, h2 keep f1 */
	{ "n/m/", '5', 0755, NULL },            /* 22: n never listed */
	{ "m", '0', 0644, "mfile" },            /* 23: replaced by a dir ... */
	{ "m/b", '0', 0644, "b" },              /* 24: ... no row describes */
};
#define NENT (sizeof(layer) / sizeof(layer[0]))

static const char want[] =
	"/ d 0700 n7 t1\n"
	"d f 0644 n1 t7 = \"dfile\"\n"
	"f f 0600 n1 t21 = \"f2\"\n"
	"h1 f 0644 n2 t10 = \"f1\"\n"
	"h2 f 0644 n2 t10 = \"f1\"\n"
	"k d 0711 n2 t19\n"
	"k/a f 0644 n1 t18 = \"a\"\n"
	"m d 0755 n2 implicit\n"
	"m/b f 0644 n1 t24 = \"b\"\n"
	"n d 0755 n3 implicit\n"
	"n/m d 0755 n2 t22\n"
	"p f 0644 n1 t9 = \"pfile\"\n"
	"s l 0777 n1 t20 -> target\n"
	"x d 0750 n2 t3\n"
	"x/y f 0644 n1 t4 = \"y\"\n"
	"z d 0700 n2 t16\n"
	"z/w f 0644 n1 t15 = \"w\"\n";

static void tar_add(FILE *t, const struct ent *e, unsigned k)
{
	int link = e->type == '1' || e->type == '2';
	size_t n = e->type == '0' ? strlen(e->arg) : 0;

	tap_tar_member(t, e->name, e->type, e->mode, T0 + k, link ? e->arg : NULL, e->arg, n);
}

struct render {
	const struct ocifs_ltree *t;
	struct ocifs_layer *l;
	FILE *f;
};

static void render_node(struct render *r, const char *path, uint64_t id)
{
	struct ocifs_ltree_attr a;
	struct ocifs_extent x;
	struct ocifs_zcursor *c = NULL;
	const char *target;
	char buf[64], sub[512];
	size_t got = 0;
	uint32_t n;

	if (ocifs_ltree_getattr(r->t, id, &a)) {
		fprintf(r->f, "%s: no inode %llu\n", path, (unsigned long long)id);
		return;
	}
	fprintf(r->f, "%s %c %04o n%u ", path, S_ISDIR(a.mode) ? 'd' : S_ISLNK(a.mode) ? 'l' : 'f',
		a.mode & 07777, a.nlink);
	if (a.flags & OCIFS_EF_IMPLICIT)
		fprintf(r->f, "implicit");
	else
		fprintf(r->f, "t%lld", (long long)(a.mtime_ns / 1000000000 - T0));
	if (S_ISREG(a.mode) && !ocifs_ltree_data(r->t, id, &x) && x.size < sizeof(buf) &&
	    !ocifs_layer_cursor(r->l, &c) && !ocifs_layer_read(r->l, c, &x, buf, x.size, 0, &got))
		fprintf(r->f, " = \"%.*s\"", (int)got, buf);
	ocifs_zcursor_free(c);
	if (!ocifs_ltree_readlink(r->t, id, &target))
		fprintf(r->f, " -> %s", target);
	fputc('\n', r->f);
	if (ocifs_ltree_dir_size(r->t, id, &n))
		return;
	for (uint32_t i = 0; i < n; i++) {
		const char *name;
		uint64_t child;
		if (ocifs_ltree_dir_entry(r->t, id, i, &name, &child))
			continue;
		if (id == OCIFS_LTREE_ROOT)
			snprintf(sub, sizeof(sub), "%s", name);
		else
			snprintf(sub, sizeof(sub), "%s/%s", path, name);
		render_node(r, sub, child);
	}
}

static void diag_diff(const char *got, const char *exp)
{
	while (*got || *exp) {
		size_t g = strcspn(got, "\n"), w = strcspn(exp, "\n");
		if (g != w || memcmp(got, exp, g))
			diag("  got  %.*s\n#   want %.*s", (int)g, got, (int)w, exp);
		got += g + (got[g] == '\n');
		exp += w + (exp[w] == '\n');
	}
}

static uint64_t at(const struct ocifs_ltree *t, const char *path)
{
	char buf[256], *save = NULL;
	uint64_t id = OCIFS_LTREE_ROOT;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (ocifs_ltree_lookup(t, id, c, &id))
			return UINT64_MAX;
	return id;
}

static void checks(const struct ocifs_ltree *t)
{
	struct ocifs_ltree_attr a;
	struct ocifs_extent x;
	const char *s;
	uint64_t id, p;
	uint32_t n, flags;
	unsigned char sha[32];

	/* ids are the index rows (tar order, from 1); links their target's */
	ok(at(t, "h1") == 10 && at(t, "h2") == 10 && at(t, "f") == 21 && at(t, "x") == 3 &&
		   at(t, "z") == 16 && at(t, "k") == 19 && at(t, "d") == 7,
	   "inode ids are the index rows; hard links share their target's row");
	ok(ocifs_ltree_getattr(t, 2, &a) == -ENOENT && ocifs_ltree_getattr(t, 17, &a) == -ENOENT &&
		   ocifs_ltree_getattr(t, 6, &a) == -ENOENT && ocifs_ltree_getattr(t, 11, &a) == -ENOENT &&
		   ocifs_ltree_getattr(t, 1u << 30, &a) == -ENOENT,
	   "rows no name reaches (replaced, removed, a link's own) are no inode");
	/* the index appends implicit rows for p/q and n (in the order first
	 * named); p/q's finds no directory (p became a file) */
	id = at(t, "n");
	ok(id == NENT + 2 && !ocifs_ltree_getattr(t, id, &a) && (a.flags & OCIFS_EF_IMPLICIT) &&
		   at(t, "m") > NENT + 2 && at(t, "m") != UINT64_MAX,
	   "an implicit directory takes its implicit row; one without a row comes after all rows");
	ok(ocifs_ltree_lookup(t, OCIFS_LTREE_ROOT, "bad", &id) == -ENOENT &&
		   ocifs_ltree_lookup(t, OCIFS_LTREE_ROOT, "dl", &id) == -ENOENT &&
		   ocifs_ltree_lookup(t, at(t, "p"), "q", &id) == -ENOTDIR,
	   "lookup: dangling links and links to directories are not there; a file is no directory");
	ok(!ocifs_ltree_parent(t, at(t, "x"), &p) && p == OCIFS_LTREE_ROOT &&
		   !ocifs_ltree_parent(t, at(t, "n/m"), &p) && p == at(t, "n") &&
		   !ocifs_ltree_parent(t, OCIFS_LTREE_ROOT, &p) && p == OCIFS_LTREE_ROOT &&
		   ocifs_ltree_parent(t, at(t, "f"), &p) == -ENOTDIR,
	   "parent of a directory (the root's is the root), ENOTDIR for a file");
	ok(ocifs_ltree_readlink(t, at(t, "f"), &s) == -EINVAL &&
		   ocifs_ltree_data(t, at(t, "x"), &x) == -EINVAL &&
		   ocifs_ltree_file_facts(t, at(t, "s"), &flags, sha) == -EINVAL &&
		   ocifs_ltree_dir_size(t, at(t, "f"), &n) == -ENOTDIR &&
		   !ocifs_ltree_dir_size(t, at(t, "x"), &n) && n == 1 &&
		   ocifs_ltree_dir_entry(t, at(t, "x"), 1, &s, &id) == -ENOENT,
	   "each call's error for the wrong kind of inode, and past a directory's end");
	ok(!ocifs_ltree_file_facts(t, at(t, "f"), &flags, sha) && (flags & OCIFS_EF_HASHED) &&
		   !ocifs_ltree_xattr_count(t, at(t, "f"), &n) && n == 0,
	   "a file's facts carry its sha256 from the index");
}

int main(void)
{
	const char *tmp = fz_tmp();
	struct ocifs_image_opts io = { .platform = "linux/amd64" };
	struct ocifs_layer_opts lo = { 0 };
	struct ocifs_image *img = NULL;
	struct ocifs_layer *l = NULL;
	struct ocifs_ltree *t = NULL;
	struct fz_part part;
	char dir[256], *cache = NULL, *tar = NULL, *got = NULL;
	size_t tlen = 0, glen = 0;
	struct render r;
	FILE *f;
	int rc;

	if (ocifs_cache_open_dir(&cache) || !(f = open_memstream(&tar, &tlen))) {
		ok(0, "cache directory and a tar in memory");
		free(cache);
		return done_testing();
	}
	for (unsigned k = 0; k < NENT; k++)
		tar_add(f, &layer[k], k + 1);
	for (int i = 0; i < 2; i++)
		fwrite((char[512]){ 0 }, 1, 512, f);
	fclose(f);
	part = (struct fz_part){ .p = (const uint8_t *)tar, .n = tlen };
	lo.cache_dir = cache;
	rc = snprintf(dir, sizeof(dir), "%s/img", tmp) >= (int)sizeof(dir) ? -ENAMETOOLONG : 0;
	if (!rc)
		rc = fz_layout_of_layers(dir, &part, 1);
	if (!rc)
		rc = ocifs_image_open(dir, &io, &img);
	if (!rc)
		rc = ocifs_layer_open(img, 0, &lo, &l);
	if (!rc)
		rc = ocifs_ltree_build(l, &t);
	if (!ok(!rc, "layer indexed, its tree built (%s)", rc ? strerror(-rc) : "ok"))
		goto out;
	r = (struct render){ .t = t, .l = l };
	if (!(r.f = open_memstream(&got, &glen)))
		goto out;
	render_node(&r, "/", OCIFS_LTREE_ROOT);
	fclose(r.f);
	if (!ok(!strcmp(got, want), "the tree is what extracting the tar gives"))
		diag_diff(got, want);
	checks(t);
out:
	ocifs_ltree_free(t);
	ocifs_layer_close(l);
	ocifs_image_free(img);
	free(got);
	free(tar);
	free(cache);
	return done_testing();
}
