/* SPDX-License-Identifier: MIT */
/*
 * The rpm cataloger (pass 1, every byte): the package database at
 * /var/lib/rpm or /usr/lib/sysimage/rpm, whichever of the three
 * backends it is (rpmdb.h), one component per installed package
 * (rpmhdr.h): type "rpm", version VERSION-RELEASE, purl qualifiers
 * arch ("None" when the header has none, as Trivy), epoch (when not 0)
 * and upstream (the source rpm) as Trivy and Syft write them (sbom.c adds the namespace and distro= from
 * os-release), its files, provides and requires. The layer that brought
 * each package comes from the layers' own copies of the database
 * (attrib.h). Where rpm itself would read another backend of the same
 * directory first (rpmdb.sqlite, then Packages.db, then Packages), a
 * leftover database is not read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "catalog.h"
#include "hex.h"
#include "log.h"
#include "rpmdb.h"
#include "rpmhdr.h"

#define RPM_MAX_DB (256u << 20)         /* largest database read (RHEL's are < 100 MiB) */

/* the backends' file names, in the order rpm prefers them */
static const char *const rpm_names[] = { "rpmdb.sqlite", "Packages.db", "Packages" };
static const char *const rpm_dirs[] = { "/var/lib/rpm/", "/usr/lib/sysimage/rpm/" };

/* The index of path's file name in rpm_names, or -1 if path is no
 * rpm database. */
static int rpm_which(const char *path)
{
	for (size_t d = 0; d < sizeof(rpm_dirs) / sizeof(rpm_dirs[0]); d++) {
		size_t n = strlen(rpm_dirs[d]);
		if (strncmp(path, rpm_dirs[d], n))
			continue;
		for (size_t i = 0; i < sizeof(rpm_names) / sizeof(rpm_names[0]); i++)
			if (!strcmp(path + n, rpm_names[i]))
				return (int)i;
	}
	return -1;
}

static int rpm_match(const char *path, uint32_t magic)
{
	(void)magic;
	return rpm_which(path) >= 0;
}

/* Does the directory of path hold a database rpm reads before it? */
static int rpm_shadowed(const struct ocifs_tree *tree, const char *path)
{
	int which = rpm_which(path);
	const char *slash = strrchr(path, '/');
	char other[256];

	for (int i = 0; i < which; i++) {
		struct ocifs_tree_file tf;
		snprintf(other, sizeof(other), "%.*s%s", (int)(slash - path + 1), path, rpm_names[i]);
		if (tree->open_file(tree->ctx, other, &tf) == 0) {
			tree->close_file(tree->ctx, &tf);
			return 1;
		}
	}
	return 0;
}

/* --- the layers' copies --------------------------------------------------- */

/* A package's attribution key: name.arch E:V-R (several versions of one
 * name.arch are installed side by side: kernels). */
static int rpm_key(const struct ocifs_rpmhdr *h, char **out)
{
	return asprintf(out, "%s.%s %" PRIu32 ":%s-%s", h->name, h->arch ? h->arch : "",
			h->has_epoch ? h->epoch : 0, h->version ? h->version : "",
			h->release ? h->release : "") < 0 ? -ENOMEM : 0;
}

static int attrib_blob(void *ctx, const unsigned char *blob, size_t len)
{
	struct ocifs_rpmhdr h;
	char *key = NULL;
	int rc = ocifs_rpmhdr_parse(blob, len, OCIFS_RPMHDR_NEVRA, &h);

	if (rc == 0 && h.name && (rc = rpm_key(&h, &key)) == 0)
		rc = ocifs_attrib_add(ctx, key, NULL);
	free(key);
	ocifs_rpmhdr_fini(&h);
	return rc;
}

static int attrib_copy(void *cbctx, uint32_t layer, const char *buf, size_t len)
{
	char *error = NULL;
	int rc;

	if (!buf)
		return 0; /* unreadable: the run goes on across it */
	ocifs_attrib_layer(cbctx, layer);
	rc = ocifs_rpmdb_each((const unsigned char *)buf, len, attrib_blob, cbctx, &error);
	free(error);
	return rc;
}

/* --- the packages ------------------------------------------------------- */

struct rpm_walk {
	struct ocifs_emit *e;
	const struct ocifs_mfile *f;
	const struct ocifs_attrib *a;
	const char *kind;
	size_t packages;                /* emitted */
	size_t bad;                     /* headers that are no package */
	char *first_bad;
};

/* q += "&k=v" (v NULL: nothing); a value that would break the
 * qualifier string is left out. */
static void qual_add(char *q, size_t cap, const char *k, const char *v)
{
	size_t n = strlen(q);

	if (!v || !*v || strchr(v, '&') || n >= cap)
		return;
	snprintf(q + n, cap - n, "%s%s=%s", n ? "&" : "", k, v);
}

static int rpm_emit(struct rpm_walk *w, struct ocifs_rpmhdr *h)
{
	struct ocifs_component c = { 0 };
	struct ocifs_prop props[6];
	char version[1024], qual[1024] = "", epoch[16], size[32], md5[33];
	char *key = NULL;
	size_t np = 0;
	int rc;

	if ((rc = rpm_key(h, &key)))
		return rc;
	snprintf(version, sizeof(version), "%s%s%s", h->version ? h->version : "",
		 h->release ? "-" : "", h->release ? h->release : "");
	snprintf(epoch, sizeof(epoch), "%" PRIu32, h->epoch);
	/* no ARCH (gpg-pubkey): Trivy writes arch=None */
	qual_add(qual, sizeof(qual), "arch", h->arch ? h->arch : "None");
	qual_add(qual, sizeof(qual), "epoch", h->has_epoch && h->epoch ? epoch : NULL);
	qual_add(qual, sizeof(qual), "modularitylabel", h->modularitylabel);
	qual_add(qual, sizeof(qual), "upstream", h->sourcerpm);

	props[np++] = (struct ocifs_prop){ "ocifs:rpm:db", (char *)w->kind };
	if (h->sourcerpm)
		props[np++] = (struct ocifs_prop){ "ocifs:rpm:sourcerpm", h->sourcerpm };
	if (h->vendor)
		props[np++] = (struct ocifs_prop){ "ocifs:rpm:vendor", h->vendor };
	if (h->has_size) {
		snprintf(size, sizeof(size), "%" PRIu64, h->size);
		props[np++] = (struct ocifs_prop){ "ocifs:rpm:size", size };
	}
	if (h->has_sigmd5) {
		ocifs_hex_encode(md5, h->sigmd5, sizeof(h->sigmd5));
		md5[32] = 0;
		props[np++] = (struct ocifs_prop){ "ocifs:rpm:sigmd5", md5 };
	}
	if (h->error)
		props[np++] = (struct ocifs_prop){ "ocifs:error", h->error };

	c.type = "rpm";
	c.name = h->name;
	c.version = *version ? version : NULL;
	c.qualifiers = *qual ? qual : NULL;
	c.kind = "library";
	c.layer = ocifs_attrib_layer_of(w->a, key, NULL, w->f->layer);
	c.source = w->f->path;
	c.files = h->files;
	c.nfiles = h->nfiles;
	c.licenses = h->license ? &h->license : NULL;
	c.nlicenses = h->license ? 1 : 0;
	c.depends = h->requires;
	c.ndepends = h->nrequires;
	c.provides = h->provides;
	c.nprovides = h->nprovides;
	c.props = props;
	c.nprops = np;
	rc = ocifs_emit_component(w->e, &c);
	free(key);
	return rc;
}

static int rpm_blob(void *ctx, const unsigned char *blob, size_t len)
{
	struct rpm_walk *w = ctx;
	struct ocifs_rpmhdr h;
	int rc = ocifs_rpmhdr_parse(blob, len, 0, &h);

	if (rc == 0 && h.name) {
		rc = rpm_emit(w, &h);
		w->packages++;
	} else if (rc == 0 && !w->bad++) {
		w->first_bad = h.error;
		h.error = NULL;
	}
	ocifs_rpmhdr_fini(&h);
	return rc;
}

/* Record a reason as the database file's error (the first one wins)
 * and say it once on stderr: the parsers never log (rd.h), the
 * cataloger does (as cat_elf.c). */
static void __attribute__((format(printf, 2, 3))) rpm_note(struct ocifs_mfile *f, const char *fmt, ...)
{
	va_list ap;

	if (f->error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&f->error, fmt, ap) < 0)
		f->error = NULL;
	else
		log_warn("%s: %s", f->path, f->error);
	va_end(ap);
}

static int rpm_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	const struct ocifs_catalog_env *env = ocifs_emit_env(e);
	struct ocifs_mfile *f = ocifs_emit_file(e);
	struct rpm_walk w = { .e = e, .f = f };
	struct ocifs_attrib *a = NULL;
	unsigned char *own = NULL;
	const unsigned char *buf;
	char *error = NULL;
	int rc;

	if (rpm_shadowed(tree, f->path))
		return 0; /* rpm reads the other backend of this directory */
	if (rd->size > RPM_MAX_DB) {
		rpm_note(f, "rpm: database of %" PRIu64 " MiB not read (the limit is %u MiB)",
			 rd->size >> 20, RPM_MAX_DB >> 20);
		return 0;
	}
	if (!(buf = rd->mem)) {
		if (!(own = malloc(rd->size ? (size_t)rd->size : 1)))
			return -ENOMEM;
		if ((rc = ocifs_rd_full(rd, own, (size_t)rd->size, 0)))
			goto out;
		buf = own;
	}
	w.kind = ocifs_rpmdb_kind_name(ocifs_rpmdb_kind(buf, (size_t)rd->size));
	if ((rc = ocifs_attrib_new(&a)))
		goto out;
	if (env && env->layer_versions &&
	    (rc = env->layer_versions(env->layer_ctx, f->path, RPM_MAX_DB, attrib_copy, a)))
		goto out;
	w.a = a;
	rc = ocifs_rpmdb_each(buf, (size_t)rd->size, rpm_blob, &w, &error);
	if (error)
		rpm_note(f, "rpm: %s (%zu packages read)", error, w.packages);
	else if (w.bad)
		rpm_note(f, "rpm: %s (and %zu more headers that are no package)", w.first_bad,
			 w.bad - 1);
out:
	if (rc && rc != -ENOMEM)
		ocifs_emit_error(e, "rpm database", rc);
	free(error);
	free(w.first_bad);
	ocifs_attrib_free(a);
	free(own);
	return rc == -ENOMEM ? rc : 0;
}

const struct ocifs_cataloger ocifs_cat_rpm = {
	.name = "rpm",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = rpm_match,
	.analyze = rpm_analyze,
};
