/* SPDX-License-Identifier: MIT */
/*
 * The rpm cataloger (scan/cat_rpm.c) through the pipeline, over images:
 *  - one tests/gen/mkrpm.sh builds with Debian's rpm and rpmbuild in three
 *    layers (and a gpg-pubkey): the components equal `rpm --root ROOT -qa` (name, epoch,
 *    version-release, arch, source rpm, license), each one's files equal
 *    `rpm -ql`, its requires `rpm -qR` (less rpmlib()), the purl
 *    qualifiers are Trivy's and Syft's, and the layer of each package is
 *    the layer that installed or upgraded it (a later rewrite of the
 *    database that left it alone does not count);
 *  - one holding the corpus databases: the SQLite one under
 *    /usr/lib/sysimage/rpm, the NDB one under /var/lib/rpm beside a
 *    Berkeley DB Packages that rpm would not read there (Packages.db comes
 *    first): 129 + 35 components, none from the shadowed file;
 *  - an rpmdb.sqlite too big for the pipeline to slurp, read in place;
 *  - a database file that is garbage: no component, the file's error says
 *    why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "catalog.h"
#include "image.h"
#include "layer.h"
#include "log.h"
#include "pipeline.h"
#include "tap.h"
#include "view.h"

static char root[] = "/tmp/ocifs-test-cat-rpm.XXXXXX";

struct opened {
	struct ocifs_image *img;
	struct ocifs_layer **layers;
	struct ocifs_view *v;
};

static void closed(struct opened *o)
{
	ocifs_view_free(o->v);
	for (size_t i = 0; o->layers && o->img && i < o->img->nlayers; i++)
		if (o->layers[i])
			ocifs_layer_close(o->layers[i]);
	free(o->layers);
	ocifs_image_free(o->img);
	memset(o, 0, sizeof(*o));
}

static int opened(const char *dir, const char *cache, struct opened *o)
{
	struct ocifs_layer_opts lo = { .cache_dir = cache };
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = ocifs_image_open(dir, NULL, &o->img)))
		return rc;
	if (!(o->layers = calloc(o->img->nlayers, sizeof(*o->layers))))
		return -ENOMEM;
	for (size_t i = 0; i < o->img->nlayers && !rc; i++)
		rc = ocifs_layer_open(o->img, i, &lo, &o->layers[i]);
	return rc ? rc : ocifs_view_open(o->img, o->layers, cache, &o->v);
}

static int run(struct opened *o, struct ocifs_model *m)
{
	static const struct ocifs_cataloger *const cats[] = { &ocifs_cat_rpm };
	struct ocifs_pipeline_opts po = { .cats = cats, .ncats = 1 };

	return ocifs_pipeline_run(o->img, o->v, &po, m);
}

static const char *prop(const struct ocifs_component *c, const char *name)
{
	for (size_t i = 0; i < c->nprops; i++)
		if (!strcmp(c->props[i].name, name))
			return c->props[i].value;
	return NULL;
}

/* The qualifier k of c, copied into buf ("" when absent). */
static const char *qual(const struct ocifs_component *c, const char *k, char *buf, size_t cap)
{
	size_t n = strlen(k);
	const char *q = c->qualifiers;

	*buf = 0;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len > n && !strncmp(q, k, n) && q[n] == '=') {
			snprintf(buf, cap, "%.*s", (int)(len - n - 1), q + n + 1);
			break;
		}
		q = amp ? amp + 1 : NULL;
	}
	return buf;
}

/* Our components as expected.tsv's lines, then compared with it. */
static void built_image(const char *cache)
{
	char dir[512], path[700], e[32], a[64], u[256];
	struct ocifs_model m = { 0 };
	struct opened o;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/gen", root);
	if (tap_sh("command -v rpmbuild >/dev/null 2>&1 && command -v rpm >/dev/null 2>&1")) {
		skip("rpm and rpmbuild not installed: no oracle");
		return;
	}
	if (!ok(tap_sh("sh \"$OCIFS_SRCDIR/tests/gen/mkrpm.sh\" %s", dir) == 0,
		"an image whose rpm database Debian's rpm built in three layers"))
		return;
	snprintf(path, sizeof(path), "%s/img", dir);
	if (!ok(opened(path, cache, &o) == 0, "it opens") || !ok(run(&o, &m) == 0, "the pipeline runs"))
		goto out;
	snprintf(path, sizeof(path), "%s/ours.tsv", dir);
	if (!(f = fopen(path, "w")))
		goto out;
	for (size_t i = 0; i < m.ncomps; i++) {
		const struct ocifs_component *c = &m.comps[i];
		const char *v = c->version;
		qual(c, "epoch", e, sizeof(e));
		qual(c, "arch", a, sizeof(a));
		qual(c, "upstream", u, sizeof(u));
		/* rpm's "(none)" is Trivy's arch=None, and no upstream */
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", c->name, *e ? e : "(none)", v,
			strcmp(a, "None") ? a : "(none)", *u ? u : "(none)",
			c->nlicenses ? c->licenses[0] : "(none)");
	}
	fclose(f);
	ok(tap_sh("cd %s && LC_ALL=C sort ours.tsv | diff - expected.tsv | sed 's/^/# /'; "
		  "LC_ALL=C sort ours.tsv | cmp -s - expected.tsv", dir) == 0,
	   "components equal rpm -qa: name, epoch, version-release, arch, source rpm, license");

	for (size_t i = 0; i < m.ncomps; i++) {
		const struct ocifs_component *c = &m.comps[i];
		is_str(c->type, "rpm", "%s: type rpm", c->name);
		is_str(c->kind, "library", "%s: kind library", c->name);
		ok(c->namespace_ == NULL, "%s: no namespace (sbom.c's, from os-release)", c->name);
		is_str(c->source, "/var/lib/rpm/rpmdb.sqlite", "%s: source", c->name);
		is_str(prop(c, "ocifs:rpm:db"), "sqlite", "%s: ocifs:rpm:db", c->name);
		if (strcmp(c->name, "gpg-pubkey"))
			is_str(prop(c, "ocifs:rpm:vendor"), "ocifs tests", "%s: ocifs:rpm:vendor", c->name);
		/* files and requires as rpm lists them */
		snprintf(path, sizeof(path), "%s/%s.ours", dir, c->name);
		if ((f = fopen(path, "w"))) {
			for (size_t k = 0; k < c->nfiles; k++)
				fprintf(f, "F %s\n", c->files[k]);
			for (size_t k = 0; k < c->ndepends; k++)
				fprintf(f, "R %s\n", c->depends[k]);
			for (size_t k = 0; k < c->nprovides; k++)
				fprintf(f, "P %s\n", c->provides[k]);
			fclose(f);
		}
		ok(tap_sh("cd %s && r() { rpm --root %s/root --dbpath /var/lib/rpm \"$@\" 2>/dev/null; }; "
			  "{ r -ql %s | grep -v '^(contains no files)$' | sed 's/^/F /'; r -q --qf '[R %%{REQUIRENAME}\\n]' %s | "
			  "grep -v '^R rpmlib(' | sort -u; r -q --qf '[P %%{PROVIDENAME}\\n]' %s | sort -u; } | "
			  "LC_ALL=C sort >%s.rpm && LC_ALL=C sort %s.ours | diff - %s.rpm | sed 's/^/# /' && "
			  "LC_ALL=C sort %s.ours | cmp -s - %s.rpm",
			  dir, dir, c->name, c->name, c->name, c->name, c->name, c->name, c->name,
			  c->name) == 0,
		   "%s: files, requires and provides equal rpm -ql, -qR, --provides", c->name);
		ok(tap_sh("grep -q '^%s\t%u$' %s/layers.tsv", c->name, c->layer, dir) == 0,
		   "%s: layer %u brought its version (layers.tsv)", c->name, c->layer);
	}
	for (size_t i = 0; i < m.nfiles; i++)
		ok(!m.files[i].error, "%s: no error (%s)", m.files[i].path,
		   m.files[i].error ? m.files[i].error : "none");
out:
	ocifs_model_fini(&m);
	closed(&o);
}

/* The corpus databases side by side; one of them shadowed. */
static void corpus_image(const char *cache)
{
	const char *corpus = getenv("OCIFS_CORPUS");
	char dir[512], path[700];
	struct ocifs_model m = { 0 };
	size_t n[4] = { 0 };
	struct opened o;

	corpus = corpus ? corpus : "/work/shared/corpus";
	snprintf(path, sizeof(path), "%s/pkgdb/rpm/cbl-mariner-2.0/rpmdb.sqlite", corpus);
	if (tap_sh("test -f %s", path)) {
		skip("%s not there (the shared corpus)", path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/corpus", root);
	if (!ok(tap_sh("d=%s; c=%s/pkgdb/rpm; mkdir -p $d/l/usr/lib/sysimage/rpm $d/l/var/lib/rpm "
		       "$d/g/var/lib/rpm && cp $c/cbl-mariner-2.0/rpmdb.sqlite $d/l/usr/lib/sysimage/rpm/ && "
		       "cp $c/sle15-bci-ndb/Packages.db $c/libuuid-bdb/Packages $d/l/var/lib/rpm/ && "
		       "(cd $d/l && tar -cf ../l1.tar .) && "
		       "head -c 70000 /dev/urandom >$d/g/var/lib/rpm/Packages && "
		       "(cd $d/g && tar -cf ../g1.tar .) && "
		       "export d && bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && mkoci $d/img $d/l1.tar && "
		       "mkoci $d/garbage $d/g1.tar' >/dev/null",
		       dir, corpus) == 0,
		"an image of the corpus databases"))
		return;
	snprintf(path, sizeof(path), "%s/img", dir);
	if (!ok(opened(path, cache, &o) == 0, "it opens") || !ok(run(&o, &m) == 0, "the pipeline runs"))
		goto out;
	for (size_t i = 0; i < m.ncomps; i++) {
		const char *db = prop(&m.comps[i], "ocifs:rpm:db");
		n[db && !strcmp(db, "sqlite") ? 1 : db && !strcmp(db, "ndb") ? 2 :
		  db && !strcmp(db, "bdb") ? 3 : 0]++;
	}
	is_int(n[1], 129, "SQLite under /usr/lib/sysimage/rpm: 129 packages");
	is_int(n[2], 35, "NDB under /var/lib/rpm: 35 packages");
	is_int(n[3], 0, "the Berkeley DB beside it is not read (rpm reads Packages.db first)");
	is_int(n[0], 0, "every component names its database format");
	ocifs_model_fini(&m);
	closed(&o);

	/* bigger than the pipeline slurps (4 MiB): read in place */
	if (!ok(tap_sh("d=%s; mkdir -p $d/b/var/lib/rpm && cp %s/pkgdb/rpm/cbl-mariner-2.0/rpmdb.sqlite "
		       "$d/b/var/lib/rpm/ && chmod u+w $d/b/var/lib/rpm/rpmdb.sqlite && "
		       "python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); "
		       "d.execute(\"create table Pad (x)\"); "
		       "d.execute(\"insert into Pad values (zeroblob(6000000))\"); d.commit(); d.close()' "
		       "$d/b/var/lib/rpm/rpmdb.sqlite && rm -f $d/b/var/lib/rpm/rpmdb.sqlite-* && "
		       "test $(stat -c %%s $d/b/var/lib/rpm/rpmdb.sqlite) -gt 5000000 && "
		       "(cd $d/b && tar -cf ../b1.tar .) && export d && "
		       "bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && mkoci $d/big $d/b1.tar' >/dev/null",
		       dir, corpus) == 0,
		"a 9 MiB rpmdb.sqlite (padded by python's sqlite3)"))
		goto out;
	snprintf(path, sizeof(path), "%s/big", dir);
	if (!ok(opened(path, cache, &o) == 0, "big: it opens") ||
	    !ok(run(&o, &m) == 0, "big: the pipeline runs"))
		goto out;
	is_int(m.ncomps, 129, "big: 129 packages, read in place");
	ok(m.nfiles == 1 && !m.files[0].error, "big: no error (%s)",
	   m.nfiles && m.files[0].error ? m.files[0].error : "none");
	ocifs_model_fini(&m);
	closed(&o);

	snprintf(path, sizeof(path), "%s/garbage", dir);
	if (!ok(opened(path, cache, &o) == 0, "garbage: it opens") ||
	    !ok(run(&o, &m) == 0, "garbage: the pipeline runs"))
		goto out;
	is_int(m.ncomps, 0, "garbage: no component");
	ok(m.nfiles == 1 && m.files[0].error && strstr(m.files[0].error, "not an rpm database"),
	   "garbage: the file's error says why (%s)", m.nfiles ? m.files[0].error : "no file");
out:
	ocifs_model_fini(&m);
	closed(&o);
}

int main(void)
{
	char *cache = NULL;

	ocifs_log_threshold = OCIFS_LOG_ERR;
	if (!mkdtemp(root))
		return ok(0, "mkdtemp"), done_testing();
	setenv("XDG_CACHE_HOME", root, 1);
	if (ok(ocifs_cache_open_dir(&cache) == 0, "a cache directory")) {
		built_image(cache);
		corpus_image(cache);
	}
	free(cache);
	tap_sh("rm -rf '%s'", root);
	return done_testing();
}
