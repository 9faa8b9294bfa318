/* SPDX-License-Identifier: MIT */
/*
 * /.sbom's build (sbom.h): the pipeline with every cataloger of the
 * registry over the merged view, then the model made whole --
 *  - purls: deb/apk/rpm namespace and distro= from the OS component;
 *  - each component's files checked against the view (directories
 *    dropped, paths a later layer deleted counted as missing);
 *  - ownership: path -> the component that lists it (OS packages
 *    first); every ELF no component owns becomes a component of its
 *    own;
 *  - the graph: package Depends by name or Provides within the
 *    ecosystem (the candidate nearest the depender's source first, as
 *    node and Go resolve), and every ELF's component -> the components
 *    owning the libraries ld.so loads for it;
 *  - layers: digest and config history line of each;
 * (the graph in sbom_graph.c) and rendered by sbom_cdx.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "hashtab.h"
#include "hex.h"
#include "log.h"
#include "osrel.h"
#include "pipeline.h"
#include "purl.h"
#include "sha.h"
#include "sbom.h"
#include "sbom_priv.h"
#include "trace.h"
#include "tree_view.h"

/* --- the image -------------------------------------------------------- */

/* Each layer's config history line (image.h maps entries to layers). */
static int read_history(struct sbom *s)
{
	const struct ocifs_image *img = s->img;

	if (!(s->layers = calloc(img->nlayers ? img->nlayers : 1, sizeof(*s->layers))))
		return -ENOMEM;
	s->nlayers = img->nlayers;
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct ocifs_history *h = ocifs_image_layer_history(img, i);

		s->layers[i].digest = img->layers[i].digest;
		s->layers[i].diff_id = img->layers[i].diff_id;
		if (h && h->created_by && !(s->layers[i].created_by = strdup(h->created_by)))
			return -ENOMEM;
	}
	return 0;
}

/* pkg:oci/NAME@sha256:...?arch=..&repository_url=..&tag=.. from the
 * image's first name (a RepoTag or ref.name), else its file name. */
static int image_purl(struct sbom *s)
{
	const struct ocifs_image *img = s->img;
	const char *full = img->nnames ? img->names[0] : NULL;
	char *repo = NULL, *tag = NULL, *q = NULL, *q2 = NULL;
	int rc = -ENOMEM;

	if (full && !strpbrk(full, "/:@")) { /* an OCI ref.name that is only a tag */
		if (!(tag = strdup(full)))
			goto out;
		full = NULL;
	}
	if (full) {
		const char *slash = strrchr(full, '/'), *colon = strrchr(full, ':');
		if (colon && (!slash || colon > slash)) {
			repo = strndup(full, (size_t)(colon - full));
			tag = strdup(colon + 1);
		} else {
			repo = strdup(full);
		}
		if (!repo)
			goto out;
		const char *base = strrchr(repo, '/');
		s->name = strdup(base ? base + 1 : repo);
	} else {
		const char *base = strrchr(img->path, '/');
		base = base && base[1] ? base + 1 : img->path;
		s->name = strndup(base, strcspn(base, "."));
		if (s->name && !*s->name) {
			free(s->name);
			s->name = strdup("image");
		}
	}
	if (!s->name)
		goto out;
	for (char *c = s->name; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!(q = ocifs_purl_qualifier_set(NULL, "arch", img->arch ? img->arch : "unknown")))
		goto out;
	if (repo) {
		q2 = ocifs_purl_qualifier_set(q, "repository_url", repo);
		free(q);
		if (!(q = q2))
			goto out;
	}
	if (tag) {
		q2 = ocifs_purl_qualifier_set(q, "tag", tag);
		free(q);
		if (!(q = q2))
			goto out;
	}
	s->purl = ocifs_purl("oci", NULL, s->name, img->manifest_digest, q, NULL);
	rc = s->purl ? 0 : -ENOMEM;
out:
	free(repo);
	free(tag);
	free(q);
	return rc;
}

void ocifs_sbom_epoch(char buf[32])
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char *end;
	struct tm tm;
	long long v;

	buf[0] = 0;
	if (!e || !*e)
		return;
	v = strtoll(e, &end, 10);
	time_t t = (time_t)v;
	if (*end || v < 0 || !gmtime_r(&t, &tm))
		return;
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- purls ------------------------------------------------------------ */

static int is_os_type(const char *t)
{
	return t && (!strcmp(t, "deb") || !strcmp(t, "apk") || !strcmp(t, "rpm"));
}

/* The purl of every component; OS packages take their namespace and
 * distro= from the OS component. */
static int make_purls(struct sbom *s)
{
	const struct ocifs_component *os = NULL;

	for (size_t i = 0; i < s->ncomps && !os; i++)
		if (s->comps[i].c->kind && !strcmp(s->comps[i].c->kind, "operating-system"))
			os = s->comps[i].c;
	for (size_t i = 0; i < s->ncomps; i++) {
		struct sbom_comp *sc = &s->comps[i];
		const struct ocifs_component *c = sc->c;
		const char *ns = c->namespace_;
		char *q = NULL;

		sc->os_package = is_os_type(c->type);
		if (!c->type)
			continue;
		if (sc->os_package && os) {
			char *d = ocifs_osrel_distro(os->name, os->version, c->type);
			if (!ns)
				ns = ocifs_osrel_namespace(os->name, c->type);
			if (d) {
				q = ocifs_purl_qualifier_set(c->qualifiers, "distro", d);
				free(d);
				if (!q)
					return -ENOMEM;
			}
		}
		sc->purl = ocifs_purl(c->type, ns, c->name, c->version, q ? q : c->qualifiers,
				      c->subpath);
		free(q);
		if (!sc->purl && c->name && *c->name)
			return -ENOMEM;
	}
	return 0;
}

/* --- files and ownership ---------------------------------------------- */


/* Is path (canonical) a directory of the view? */
static int is_dir(const struct ocifs_view *v, const char *path)
{
	struct ocifs_vattr a;
	uint64_t ino;

	return !ocifs_view_resolve(v, path, &ino) && !ocifs_view_getattr(v, ino, &a) &&
	       S_ISDIR(a.mode);
}

static int own_put(struct sbom_own *o, const char *path, size_t ci)
{
	int rc = ocifs_strmap_put(&o->map, path, strlen(path), ci, NULL);

	return rc < 0 ? rc : 0;
}

/* Check sc's files against the view and claim them. */
static int own_files(struct sbom_own *o, struct sbom_comp *sc, size_t ci)
{
	const struct ocifs_component *c = sc->c;
	int rc = 0;

	if (c->nfiles && !(sc->files = calloc(c->nfiles, sizeof(*sc->files))))
		return -ENOMEM;
	for (size_t k = 0; k < c->nfiles && !rc; k++) {
		char *real = NULL;
		const char *p = c->files[k];
		int r = o->tree->realpath(o->tree->ctx, p, &real);

		if (r == -ENOMEM)
			return r;
		if (r) {
			uint64_t ino; /* a dangling symlink is still the package's file */
			if (ocifs_view_resolve(o->v, p, &ino)) {
				sc->missing++;
				continue;
			}
		} else if (is_dir(o->v, real)) {
			free(real);
			continue;
		}
		sc->files[sc->nfiles++] = p;
		rc = own_put(o, p, ci);
		if (!rc && real)
			rc = own_put(o, real, ci);
		free(real);
	}
	return rc;
}

/* --- binaries of no package -------------------------------------------- */

static int add_prop(struct ocifs_prop **props, size_t *n, const char *name, const char *value)
{
	struct ocifs_prop *np;

	if (!value || !*value)
		return 0;
	if (!(np = realloc(*props, (*n + 1) * sizeof(*np))))
		return -ENOMEM;
	*props = np;
	np[*n].name = strdup(name);
	np[*n].value = strdup(value);
	if (!np[*n].name || !np[*n].value) {
		free(np[*n].name);
		free(np[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

/* A component for the ELF file f (bytes record b) no package owns. */
static int binary_component(const struct ocifs_mfile *f, const struct ocifs_mfile *b,
			    struct ocifs_component *c)
{
	const struct ocifs_elf *e = b->unpacked ? &b->upx_elf : &b->elf;
	const char *base = strrchr(f->path, '/');
	char hex[65];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->cataloger = "binary";
	c->layer = f->layer;
	if (!(c->type = strdup("generic")) || !(c->name = strdup(base ? base + 1 : f->path)) ||
	    !(c->kind = strdup(e->link == OCIFS_ELF_SHARED_LIB ? "library" : "application")) ||
	    !(c->source = strdup(f->path)) || !(c->files = calloc(1, sizeof(*c->files))) ||
	    !(c->files[0] = strdup(f->path)))
		return -ENOMEM;
	c->nfiles = 1;
	for (size_t i = 0; i < b->rust.n; i++) /* the crate it is, as cargo-auditable says */
		if (b->rust.pkgs[i].root && b->rust.pkgs[i].version) {
			if (!(c->version = strdup(b->rust.pkgs[i].version)))
				return -ENOMEM;
			break;
		}
	if (f->magic & OCIFS_EF_HASHED) {
		memcpy(c->sha256, f->sha256, 32);
		c->has_sha256 = 1;
		ocifs_hex_encode(hex, f->sha256, 32);
		hex[64] = 0;
		char q[96];
		snprintf(q, sizeof(q), "checksum=sha256:%s", hex);
		if (!(c->qualifiers = strdup(q)))
			return -ENOMEM;
	}
	rc = add_prop(&c->props, &c->nprops, "ocifs:elf:link", ocifs_elf_link_name(e->link));
	if (!rc)
		rc = add_prop(&c->props, &c->nprops, "ocifs:elf:libc", ocifs_libc_name(e->libc));
	if (!rc)
		rc = add_prop(&c->props, &c->nprops, "ocifs:elf:machine", e->machine_name);
	if (!rc)
		rc = add_prop(&c->props, &c->nprops, "ocifs:elf:build_id", e->build_id);
	if (!rc)
		rc = add_prop(&c->props, &c->nprops, "ocifs:elf:soname", e->soname);
	if (!rc)
		rc = add_prop(&c->props, &c->nprops, "ocifs:elf:stripped", e->stripped ? "true" : "false");
	if (!rc && b->upx.packed)
		rc = add_prop(&c->props, &c->nprops, "ocifs:upx:method", b->upx.method_name);
	if (!rc && b->go.is_go)
		rc = add_prop(&c->props, &c->nprops, "ocifs:go:toolchain",
			      b->go.version ? b->go.version : "unknown");
	return rc;
}

/* --- order and names ---------------------------------------------------- */

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int by_identity(const void *x, const void *y)
{
	const struct sbom_comp *a = x, *b = y;
	int c;

	if ((c = cmp_str(a->c->type, b->c->type)) || (c = cmp_str(a->c->namespace_, b->c->namespace_)) ||
	    (c = cmp_str(a->c->name, b->c->name)) || (c = cmp_str(a->c->version, b->c->version)) ||
	    (c = cmp_str(a->purl, b->purl)) || (c = cmp_str(a->c->source, b->c->source)))
		return c;
	return cmp_str(a->c->nfiles ? a->c->files[0] : NULL, b->c->nfiles ? b->c->files[0] : NULL);
}

static int by_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return (a > b) - (a < b);
}

/* bom-refs: the purl where it is unique, else the purl and a stable id
 * of where the component was found. */
static int make_refs(struct sbom *s)
{
	for (size_t i = 0; i < s->ncomps; i++) {
		struct sbom_comp *sc = &s->comps[i];
		const char *base = sc->purl;
		char buf[512];
		int dup = (i > 0 && s->comps[i - 1].purl && sc->purl && !strcmp(s->comps[i - 1].purl, sc->purl)) ||
			  (i + 1 < s->ncomps && s->comps[i + 1].purl && sc->purl &&
			   !strcmp(s->comps[i + 1].purl, sc->purl));
		if (!base) {
			snprintf(buf, sizeof(buf), "%s:%s@%s", sc->c->kind ? sc->c->kind : "component",
				 sc->c->name ? sc->c->name : "", sc->c->version ? sc->c->version : "");
			base = buf;
		}
		if (dup) {
			unsigned char h[32];
			char hex[65];
			const char *src = sc->c->source ? sc->c->source : "";
			if (ocifs_sha256(src, strlen(src), h))
				return -ENOMEM;
			ocifs_hex_encode(hex, h, 8);
			hex[16] = 0;
			if (asprintf(&sc->bom_ref, "%s%cpackage-id=%s", sc->purl,
				     strchr(sc->purl, '?') ? '&' : '?', hex) < 0)
				sc->bom_ref = NULL;
		} else {
			sc->bom_ref = strdup(base);
		}
		if (!sc->bom_ref)
			return -ENOMEM;
	}
	/* still equal (same purl and source): number them */
	for (size_t i = 1; i < s->ncomps; i++)
		if (!strcmp(s->comps[i].bom_ref, s->comps[i - 1].bom_ref)) {
			size_t k = 2;
			for (size_t j = i; j < s->ncomps && !strcmp(s->comps[j].bom_ref, s->comps[i - 1].bom_ref); j++) {
				char *n;
				if (asprintf(&n, "%s-%zu", s->comps[j].bom_ref, k++) < 0)
					return -ENOMEM;
				free(s->comps[j].bom_ref);
				s->comps[j].bom_ref = n;
			}
		}
	return 0;
}

/* --- the build ---------------------------------------------------------- */

static void sbom_fini(struct sbom *s)
{
	for (size_t i = 0; i < s->nlayers; i++)
		free(s->layers[i].created_by);
	free(s->layers);
	for (size_t i = 0; i < s->ncomps; i++) {
		struct sbom_comp *sc = &s->comps[i];
		free(sc->purl);
		free(sc->bom_ref);
		free(sc->files);
		free(sc->deps);
		for (size_t k = 0; k < sc->nunresolved; k++)
			free(sc->unresolved[k]);
		free(sc->unresolved);
	}
	free(s->comps);
	for (size_t i = 0; i < s->nerrors; i++)
		free(s->errors[i]);
	free(s->errors);
	free(s->name);
	free(s->purl);
}

static int by_string(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The reasons package catalogers recorded on files they could not read
 * whole (the ELF analysis keeps its own in /.deps). */
static int file_errors(struct sbom *s, const struct ocifs_model *m)
{
	uint64_t pkg = 0;

	for (size_t k = 0; k < ocifs_ncatalogers && k < 64; k++)
		if (strcmp(ocifs_catalogers[k]->name, "elf") && strcmp(ocifs_catalogers[k]->name, "script") &&
		    strcmp(ocifs_catalogers[k]->name, "ldso"))
			pkg |= 1ull << k;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct ocifs_mfile *f = &m->files[i];
		char **n, *e;
		if (!f->error || !(f->catalogers & pkg))
			continue;
		if (asprintf(&e, "%s: %s", f->path, f->error) < 0)
			return -ENOMEM;
		if (!(n = realloc(s->errors, (s->nerrors + 1) * sizeof(*n)))) {
			free(e);
			return -ENOMEM;
		}
		s->errors = n;
		s->errors[s->nerrors++] = e;
	}
	if (s->nerrors > 1)
		qsort(s->errors, s->nerrors, sizeof(*s->errors), by_string);
	return 0;
}

/* An ELF file (executable or shared object) no component owns? */
static int unowned_elf(const struct ocifs_model *m, const struct ocifs_mfile *f,
		       const struct sbom_own *o)
{
	const struct ocifs_mfile *b = ocifs_model_bytes(m, f);
	size_t ci;

	return b->is_elf && b->elf.link != OCIFS_ELF_OBJECT_OTHER && !ocifs_sbom_owner(o, f->path, &ci);
}

/* Tracing: the "catalog binary" span (the components of ELF files no
 * package owns) and a "skip" event for every ELF file a package owns,
 * naming the package: why it has no pkg:generic component. */
static void trace_owned(const struct sbom *s, const struct ocifs_model *m,
			const struct sbom_own *o, size_t nbin)
{
	ocifs_span sp;
	size_t owned = 0, ci;
	char reason[512];

	if (!ocifs_trace_on())
		return;
	sp = ocifs_trace_begin("catalog binary", 0);
	ocifs_trace_str(sp, "ocifs.cataloger", "binary");
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct ocifs_mfile *f = &m->files[i], *b = ocifs_model_bytes(m, f);
		if (!b->is_elf || b->elf.link == OCIFS_ELF_OBJECT_OTHER ||
		    !ocifs_sbom_owner(o, f->path, &ci) || ci >= s->ncomps)
			continue;
		const struct ocifs_component *c = s->comps[ci].c;
		snprintf(reason, sizeof(reason),
			 "owned by package %s%s%s (%s): no pkg:generic component of its own",
			 c->name ? c->name : "?", c->version ? " " : "", c->version ? c->version : "",
			 c->type ? c->type : "?");
		ocifs_trace_skip(sp, "binary", f->path, reason);
		owned++;
	}
	ocifs_trace_int(sp, "ocifs.components", (int64_t)nbin);
	ocifs_trace_int(sp, "ocifs.skipped", (int64_t)owned);
	ocifs_trace_end(sp);
}

static int ownership(struct sbom *s, struct ocifs_model *m, struct sbom_own *o)
{
	size_t first = m->ncomps;
	int rc = 0;

	/* OS packages claim their files first, then everything else */
	for (int round = 0; round < 2 && !rc; round++)
		for (size_t i = 0; i < s->ncomps && !rc; i++)
			if (is_os_type(s->comps[i].c->type) == !round)
				rc = own_files(o, &s->comps[i], i);
	/* every ELF no component owns becomes one (the model grows once) */
	size_t nbin = 0;
	for (size_t i = 0; i < m->nfiles && !rc; i++)
		nbin += unowned_elf(m, &m->files[i], o);
	if (!rc)
		trace_owned(s, m, o, nbin);
	if (rc || !nbin)
		return rc;
	struct ocifs_component *grown = realloc(m->comps, (m->ncomps + nbin) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	m->comps = grown;
	for (size_t i = 0; i < m->nfiles && !rc; i++) {
		const struct ocifs_mfile *f = &m->files[i];
		if (!unowned_elf(m, f, o))
			continue;
		rc = binary_component(f, ocifs_model_bytes(m, f), &m->comps[m->ncomps]);
		if (rc)
			ocifs_component_fini(&m->comps[m->ncomps]);
		else
			m->ncomps++;
	}
	if (rc)
		return rc;
	/* the model moved: repoint, then add and claim the new ones */
	struct sbom_comp *nc = realloc(s->comps, m->ncomps * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	s->comps = nc;
	for (size_t i = 0; i < s->ncomps; i++)
		s->comps[i].c = &m->comps[i];
	for (size_t i = first; i < m->ncomps && !rc; i++) {
		s->comps[i] = (struct sbom_comp){ .c = &m->comps[i] };
		s->ncomps++;
		rc = own_files(o, &s->comps[i], i);
	}
	return rc;
}

static int sbom_make(struct sbom *s, struct ocifs_model *m, const struct ocifs_view *v)
{
	struct ocifs_tree_view *tv = NULL;
	struct sbom_own o = { .v = v };
	int rc;

	if ((rc = read_history(s)) || (rc = image_purl(s)) || (rc = file_errors(s, m)))
		return rc;
	ocifs_sbom_epoch(s->timestamp);
	if (m->ncomps && !(s->comps = calloc(m->ncomps, sizeof(*s->comps))))
		return -ENOMEM;
	for (size_t i = 0; i < m->ncomps; i++)
		s->comps[i].c = &m->comps[i];
	s->ncomps = m->ncomps;
	if ((rc = ocifs_tree_view_new(v, &tv)))
		return rc;
	o.tree = ocifs_tree_view_tree(tv);
	rc = ownership(s, m, &o);
	if (!rc)
		rc = make_purls(s);
	if (!rc)
		rc = ocifs_sbom_package_edges(s);
	if (!rc)
		rc = ocifs_sbom_elf_edges(s, m, &o);
	ocifs_strmap_fini(&o.map);
	ocifs_tree_view_free(tv);
	if (rc)
		return rc;
	/* sort, keeping the edges: indices are remapped through the order */
	size_t *pos = malloc((s->ncomps ? s->ncomps : 1) * sizeof(*pos));
	struct sbom_comp *sorted = malloc((s->ncomps ? s->ncomps : 1) * sizeof(*sorted));
	if (!pos || !sorted) {
		free(pos);
		free(sorted);
		return -ENOMEM;
	}
	if (s->ncomps)
		memcpy(sorted, s->comps, s->ncomps * sizeof(*sorted));
	for (size_t i = 0; i < s->ncomps; i++)
		sorted[i].dcap = i; /* remember the old index while sorting */
	qsort(sorted, s->ncomps, sizeof(*sorted), by_identity);
	for (size_t i = 0; i < s->ncomps; i++)
		pos[sorted[i].dcap] = i;
	for (size_t i = 0; i < s->ncomps; i++) {
		sorted[i].dcap = sorted[i].ndeps;
		for (size_t k = 0; k < sorted[i].ndeps; k++)
			sorted[i].deps[k] = pos[sorted[i].deps[k]];
		if (sorted[i].ndeps > 1)
			qsort(sorted[i].deps, sorted[i].ndeps, sizeof(size_t), by_index);
	}
	free(pos);
	free(s->comps);
	s->comps = sorted;
	return make_refs(s);
}

int ocifs_sbom_build(struct ocifs_image *img, const struct ocifs_view *v,
		     const struct ocifs_sbom_opts *o, char **cdx, size_t *len,
		     struct ocifs_sbom_stats *st)
{
	struct ocifs_pipeline_opts po = { .cats = ocifs_catalogers, .ncats = ocifs_ncatalogers };
	struct ocifs_sbom_stats local;
	struct ocifs_model m;
	struct sbom s = { .img = img };
	double t0 = ocifs_now();
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o)
		ocifs_pipeline_limits(&po, o->threads, o->cancelled, o->cancel_ctx, o->timeout_ms, t0);
	rc = ocifs_pipeline_run(img, v, &po, &m);
	double t1 = ocifs_now();
	if (!rc)
		rc = sbom_make(&s, &m, v);
	if (!rc)
		rc = ocifs_sbom_cdx_write(&s, cdx, len);
	if (!rc) {
		st->components = s.ncomps;
		st->edges = s.edges;
		for (size_t i = 0; i < s.ncomps; i++) {
			st->packages += s.comps[i].os_package;
			st->binaries += !strcmp(s.comps[i].c->cataloger, "binary");
		}
		log_dbg("sbom: %zu components, %zu edges; pipeline %.3f s, graph and document %.3f s",
			s.ncomps, s.edges, t1 - t0, ocifs_now() - t1);
	}
	sbom_fini(&s);
	ocifs_model_fini(&m);
	st->secs = ocifs_now() - t0;
	return rc;
}
