/* SPDX-License-Identifier: MIT */
/*
 * The dpkg cataloger (scan/cat_dpkg.c) through the pipeline, before any
 * writer: its components of built images against dpkg itself.
 *  - attribution: a 3-layer image where layer 2 installs X 1.0, Y and
 *    W, layer 3 upgrades X to 2.0, removes W and installs Z (epoch,
 *    Source with version): X reports layer 3, Y layer 2, W is absent;
 *  - distroless: status.d stanzas and md5sums cut from the Debian root,
 *    against dpkg-query over the same stanzas;
 *  - the Debian root's image (tests/lib.sh's debian_root, when the
 *    fixtures hold it): packages equal `dpkg-query -W` name for name,
 *    version for version; file ownership equals `dpkg-query -S` on 200
 *    files of the root.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "dpkg.h"
#include "log.h"
#include "pipeline.h"
#include "session.h"
#include "tap.h"

static char root[] = "/tmp/ocifs-test-cat-dpkg.XXXXXX";

static int scan(const char *ref, struct ocifs_model *m)
{
	static const struct ocifs_cataloger *const cats[] = { &ocifs_cat_dpkg };
	struct ocifs_session_opts so = { 0 };
	struct ocifs_pipeline_opts po = { .cats = cats, .ncats = 1 };
	struct ocifs_session *s = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = ocifs_session_open(ref, &so, &s)))
		return rc;
	rc = ocifs_pipeline_run(s->img, s->view, &po, m);
	ocifs_session_close(s);
	return rc;
}

static const struct ocifs_component *comp(const struct ocifs_model *m, const char *name)
{
	for (size_t i = 0; i < m->ncomps; i++)
		if (!strcmp(m->comps[i].name, name))
			return &m->comps[i];
	return NULL;
}

static const char *propv(const struct ocifs_component *c, const char *name)
{
	for (size_t i = 0; c && i < c->nprops; i++)
		if (!strcmp(c->props[i].name, name))
			return c->props[i].value;
	return NULL;
}

static int has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static void attribution(void)
{
	char img[PATH_MAX];
	struct ocifs_model m;
	const struct ocifs_component *c;

	snprintf(img, sizeof(img), "%s/attr", root);
	if (!ok(tap_sh("cd '%s' && mkdir -p a1/etc a2/var/lib/dpkg/info a2/usr/bin "
		       "a2/usr/share/doc/x a3/var/lib/dpkg/info a3/usr/bin a3/usr/share/doc/w && "
		       "echo 'ID=debian' >a1/etc/os-release && "
		       "S='Status: install ok installed' && "
		       "printf 'Package: x\\n%%s\\nVersion: 1.0\\nArchitecture: amd64\\n\\n"
		       "Package: y\\n%%s\\nVersion: 1.0\\nArchitecture: amd64\\nDepends: x (>= 1.0), y\\n\\n"
		       "Package: w\\n%%s\\nVersion: 0.1\\nArchitecture: all\\n' \"$S\" \"$S\" \"$S\" "
		       ">a2/var/lib/dpkg/status && "
		       "printf '/.\\n/usr\\n/usr/bin\\n/usr/bin/x\\n' >a2/var/lib/dpkg/info/x.list && "
		       "printf '/.\\n/usr/bin/y\\n' >a2/var/lib/dpkg/info/y.list && "
		       "printf '/.\\n/usr/share/doc/w/README\\n' >a2/var/lib/dpkg/info/w.list && "
		       "echo x1 >a2/usr/bin/x && echo y >a2/usr/bin/y && "
		       "printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\\n\\n"
		       "Files: *\\nLicense: GPL-2+\\n' >a2/usr/share/doc/x/copyright && "
		       "ln -s x a2/usr/share/doc/y && "
		       "printf 'Package: z\\n%%s\\nVersion: 2:3.0-1+b1\\nArchitecture: amd64\\n"
		       "Source: zsrc (3.0-1)\\nMaintainer: Z <z@example.org>\\n\\n"
		       "Package: y\\n%%s\\nVersion: 1.0\\nArchitecture: amd64\\nDepends: x (>= 1.0), y\\n\\n"
		       "Package: x\\n%%s\\nVersion: 2.0\\nArchitecture: amd64\\n' \"$S\" \"$S\" \"$S\" "
		       ">a3/var/lib/dpkg/status && "
		       "printf '/.\\n/usr/bin/x\\n/usr/bin/x2\\n' >a3/var/lib/dpkg/info/x.list && "
		       "printf '/.\\n/usr/bin/z\\n' >a3/var/lib/dpkg/info/z.list && "
		       "touch a3/var/lib/dpkg/info/.wh.w.list && echo x2 >a3/usr/bin/x && "
		       "echo z >a3/usr/bin/z && "
		       "for l in a1 a2 a3; do (cd $l && tar -cf ../$l.tar .) || exit 1; done && "
		       "bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && mkoci %s a1.tar a2.tar a3.tar' "
		       ">/dev/null",
		       root, img) == 0,
		"a 3-layer image: x 1.0, y, w in layer 2; x 2.0, z, no w in layer 3"))
		return;
	if (!ok(scan(img, &m) == 0, "the pipeline runs the dpkg cataloger"))
		goto out;
	is_int(m.ncomps, 3, "three packages: x, y, z");
	c = comp(&m, "x");
	if (ok(c != NULL, "x")) {
		is_str(c->version, "2.0", "x at its upgraded version");
		is_int(c->layer, 2, "x: the layer that upgraded it (0-based 2)");
		ok(c->nfiles == 2 && has(c->files, c->nfiles, "/usr/bin/x2"),
		   "x: the files of its current .list");
		ok(c->nlicenses == 1 && !strcmp(c->licenses[0], "GPL-2.0-or-later"),
		   "x: the license of its DEP-5 copyright");
		is_str(c->type, "deb", "type deb");
		ok(c->namespace_ == NULL, "no namespace (sbom.c fills in the distro)");
		is_str(c->kind, "library", "kind library");
		is_str(c->qualifiers, "arch=amd64", "arch qualifier");
		is_str(c->source, "/var/lib/dpkg/status", "source: the status file");
	}
	c = comp(&m, "y");
	if (ok(c != NULL, "y")) {
		is_int(c->layer, 1, "y: untouched by layer 3's rewrite, keeps layer 2 (0-based 1)");
		ok(c->ndepends == 2 && !strcmp(c->depends[0], "x") && !strcmp(c->depends[1], "y"),
		   "y: depends x and (cyclic) itself");
		ok(c->nlicenses == 1 && !strcmp(c->licenses[0], "GPL-2.0-or-later"),
		   "y: the license of x's copyright, its doc directory being a symlink to x's");
	}
	c = comp(&m, "z");
	if (ok(c != NULL, "z")) {
		is_int(c->layer, 2, "z: installed by layer 3");
		is_str(c->version, "3.0-1+b1", "z: version without its epoch");
		is_str(c->qualifiers, "arch=amd64&epoch=2&upstream=zsrc@3.0-1",
		       "z: epoch and Syft's upstream qualifier with the source version");
		is_str(propv(c, "ocifs:dpkg:source"), "zsrc", "z: source property");
		is_str(propv(c, "ocifs:dpkg:source_version"), "3.0-1", "z: source version property");
		is_str(propv(c, "ocifs:dpkg:maintainer"), "Z <z@example.org>", "z: maintainer");
	}
	ok(comp(&m, "w") == NULL, "w, removed from the status by layer 3, is absent");
out:
	ocifs_model_fini(&m);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name\tversion\n" of every dpkg component, sorted, epoch put back. */
static char *our_list(const struct ocifs_model *m)
{
	char **lines = calloc(m->ncomps + 1, sizeof(*lines));
	size_t n = 0, len = 0;
	char *out, *o;

	if (!lines)
		return NULL;
	for (size_t i = 0; i < m->ncomps; i++) {
		const struct ocifs_component *c = &m->comps[i];
		const char *q = c->qualifiers ? strstr(c->qualifiers, "epoch=") : NULL;
		int el = q ? (int)strcspn(q + 6, "&") : 0;
		if (asprintf(&lines[n], "%s\t%.*s%s%s\n", c->name, el, q ? q + 6 : "", q ? ":" : "",
			     c->version ? c->version : "") >= 0)
			len += strlen(lines[n++]);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	o = out = malloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		if (out)
			o = stpcpy(o, lines[i]);
		free(lines[i]);
	}
	if (out)
		*o = '\0';
	free(lines);
	return out;
}

static void distroless(const char *deb)
{
	char img[PATH_MAX], cmd[PATH_MAX * 2 + 512];
	struct ocifs_model m;
	const struct ocifs_component *c;
	char *want, *got;

	snprintf(img, sizeof(img), "%s/distroless", root);
	/* stanzas of the real database: libc6 and base-files alone, tzdata
	 * and zlib1g in one file; each with the md5sums dpkg wrote */
	if (!ok(tap_sh("cd '%s' && D='%s/var/lib/dpkg' && mkdir -p d/var/lib/dpkg/status.d adm/info adm/updates && "
		       "st() { awk -v p=\"$1\" 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} $0 ~ \"^Package: \" p \"\\n\"' \"$D/status\"; } && "
		       "st libc6 >d/var/lib/dpkg/status.d/libc6 && st base-files >d/var/lib/dpkg/status.d/base-files && "
		       "{ st tzdata; st zlib1g; } >d/var/lib/dpkg/status.d/multi && "
		       "cp \"$D/info/libc6:amd64.md5sums\" d/var/lib/dpkg/status.d/libc6.md5sums && "
		       "cp \"$D/info/base-files.md5sums\" d/var/lib/dpkg/status.d/base-files.md5sums && "
		       "cp \"$D/info/tzdata.md5sums\" d/var/lib/dpkg/status.d/tzdata.md5sums && "
		       "cat d/var/lib/dpkg/status.d/libc6 d/var/lib/dpkg/status.d/base-files "
		       "d/var/lib/dpkg/status.d/multi >adm/status && "
		       "(cd d && tar -cf ../d.tar .) && "
		       "bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && mkoci %s d.tar' >/dev/null",
		       root, deb, img) == 0,
		"a distroless image from the Debian root's stanzas"))
		return;
	snprintf(cmd, sizeof(cmd),
		 "dpkg-query --admindir='%s/adm' -W -f '${Package}\\t${Version}\\n' | LC_ALL=C sort",
		 root);
	want = tap_run(cmd, NULL);
	if (!ok(scan(img, &m) == 0, "distroless: the pipeline runs"))
		goto out;
	got = our_list(&m);
	ok(want && got && !strcmp(want, got) && m.ncomps == 4,
	   "distroless: packages equal dpkg-query -W over the same stanzas");
	if (want && got && strcmp(want, got))
		diag("ours:\n%s\ndpkg-query:\n%s", got, want);
	free(got);
	c = comp(&m, "libc6");
	if (ok(c != NULL, "libc6")) {
		snprintf(cmd, sizeof(cmd), "wc -l <'%s/d/var/lib/dpkg/status.d/libc6.md5sums'", root);
		char *nl = tap_run(cmd, NULL);
		is_int(c->nfiles, nl ? atol(nl) : -1, "libc6: the files of status.d/libc6.md5sums");
		free(nl);
		ok(c->nfiles && has(c->files, c->nfiles, "/lib/x86_64-linux-gnu/libc.so.6"),
		   "libc6 owns libc.so.6");
		is_str(c->source, "/var/lib/dpkg/status.d/libc6", "libc6: source its status.d file");
		is_str(c->qualifiers, "arch=amd64&upstream=glibc", "libc6: upstream=glibc");
	}
	c = comp(&m, "tzdata");
	ok(c && c->nfiles > 100, "tzdata (second file of one with two stanzas): its md5sums");
	c = comp(&m, "zlib1g");
	ok(c && c->nfiles == 0, "zlib1g: no md5sums beside it, no files");
out:
	free(want);
	ocifs_model_fini(&m);
}

static void debian_image(const char *deb)
{
	char ref[PATH_MAX + 16], cmd[PATH_MAX * 2 + 512];
	struct ocifs_model m;
	char *want, *got, *sample, *owners;
	size_t agree = 0, total = 0;

	snprintf(ref, sizeof(ref), "%s/../oci-gzip", deb);
	if (access(ref, R_OK))
		return (void)skip("no packed Debian image at %s", ref);
	snprintf(cmd, sizeof(cmd),
		 "dpkg-query --admindir='%s/var/lib/dpkg' -W -f '${db:Status-Status}\\t${Package}\\t${Version}\\n'"
		 " | grep -v '^config-files' | cut -f2- | LC_ALL=C sort",
		 deb);
	want = tap_run(cmd, NULL);
	if (!ok(scan(ref, &m) == 0, "Debian image: the pipeline runs"))
		goto out;
	got = our_list(&m);
	ok(want && got && !strcmp(want, got), "Debian image: %zu packages equal dpkg-query -W", m.ncomps);
	free(got);
	/* the .deb's sha256 from the available file, as dpkg-query -p prints it */
	{
		const struct ocifs_component *c = comp(&m, "adduser");
		char hex[65] = "";
		snprintf(cmd, sizeof(cmd),
			 "dpkg-query --admindir='%s/var/lib/dpkg' -p adduser | sed -n 's/^SHA256: //p'", deb);
		char *sum = tap_run(cmd, NULL);
		if (c && c->has_sha256)
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", c->sha256[i]);
		ok(sum && c && c->has_sha256 && !strncmp(sum, hex, 64),
		   "Debian image: adduser's sha256 is its .deb's, as dpkg-query -p says");
		free(sum);
	}
	/* 200 regular files of the root, every k-th in sorted order */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && find . -xdev -type f ! -name '*[][*?\\\\]*' | cut -c2- | LC_ALL=C sort | "
		 "awk '{a[NR]=$0} END{k=int(NR/200); if(k<1)k=1; for(i=1;i<=NR&&n<200;i+=k){print a[i]; n++}}'",
		 deb);
	sample = tap_run(cmd, NULL);
	if (!ok(sample != NULL, "a sample of the root's files"))
		goto out;
	/* one dpkg-query -S for all: "a, b:arch: /path" per owned path */
	{
		size_t cl = strlen(sample) * 3 + strlen(deb) + 256;
		char *q = malloc(cl), *o = q;
		o += sprintf(o, "dpkg-query --admindir='%s/var/lib/dpkg' -S", deb);
		for (char *s = sample, *e; *s; s = e + 1) {
			e = strchr(s, '\n');
			o += sprintf(o, " '%.*s'", (int)(e - s), s);
		}
		strcpy(o, " 2>/dev/null");
		owners = tap_run(q, NULL);
		free(q);
	}
	for (char *s = sample, *e; *s; s = e + 1) {
		char path[PATH_MAX], theirs[4096] = "", ours[4096] = "";
		size_t tl = 0, ol = 0;
		e = strchr(s, '\n');
		*e = '\0';
		snprintf(path, sizeof(path), "%s", s);
		/* dpkg's owners of path, ":arch" dropped, sorted */
		for (char *l = owners; l && *l;) {
			char *le = strchr(l, '\n'), *sep;
			if (!le)
				le = l + strlen(l);
			if (strncmp(l, "diversion ", 10) && (sep = strstr(l, ": ")) && sep < le &&
			    (size_t)(le - sep - 2) == strlen(path) && !strncmp(sep + 2, path, strlen(path))) {
				for (char *n = l; n < sep;) {
					char *ne = n + strcspn(n, ",:");
					if (ne > sep)
						ne = sep;
					tl += (size_t)snprintf(theirs + tl, sizeof(theirs) - tl, "%.*s ",
							       (int)(ne - n), n);
					n = ne;
					while (n < sep && *n != ',')
						n++; /* past ":arch" */
					while (n < sep && (*n == ',' || *n == ' '))
						n++;
				}
			}
			l = *le ? le + 1 : le;
		}
		for (size_t i = 0; i < m.ncomps; i++)
			if (has(m.comps[i].files, m.comps[i].nfiles, path))
				ol += (size_t)snprintf(ours + ol, sizeof(ours) - ol, "%s ", m.comps[i].name);
		total++;
		if (!strcmp(theirs, ours))
			agree++;
		else
			diag("%s: dpkg-query -S says \"%s\", we say \"%s\"", path, theirs, ours);
	}
	ok(total >= 100 && agree == total, "Debian image: owners of %zu/%zu sampled files equal dpkg-query -S",
	   agree, total);
	free(owners);
	free(sample);
out:
	free(want);
	ocifs_model_fini(&m);
}

int main(void)
{
	char deb[PATH_MAX], dir[PATH_MAX];

	ocifs_log_threshold = OCIFS_LOG_ERR;
	if (!mkdtemp(root))
		return ok(0, "mkdtemp"), done_testing();
	setenv("XDG_CACHE_HOME", root, 1); /* the session's cache under root */
	attribution();
	if (system("command -v dpkg-query >/dev/null 2>&1")) {
		skip("dpkg-query is needed for the oracle checks");
	} else if (tap_debian_root(dir, sizeof(dir)) ||
		   snprintf(deb, sizeof(deb), "%s/rootfs", dir) >= (int)sizeof(deb) || access(deb, R_OK)) {
		skip("no Debian root (tests/lib.sh debian_root: needs root and Debian's mirror)");
	} else {
		distroless(deb);
		debian_image(deb);
	}
	tap_sh("rm -rf '%s'", root);
	return done_testing();
}
