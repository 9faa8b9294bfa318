/* SPDX-License-Identifier: MIT */
/*
 * rpm header blobs (rpmhdr.h), read by hand: librpm is not on the
 * design card (and would open databases itself, with locks and
 * writes), and no library on it parses rpm headers. The layout, as
 * rpm's lib/header.c writes it into every database backend:
 *
 *   be32 il, be32 dl                   index entries, data bytes
 *   il x { be32 tag, type, offset, count }
 *   dl bytes of data                   entries point at offset in it
 *
 * A region tag (63, HEADERIMMUTABLE) opens the index and points at a
 * trailer in the data; the tags it covers are ordinary index entries,
 * and entries added after install ("dribbles") repeat a tag: the last
 * entry of a tag wins, as rpm's header import does. Only the tags the
 * SBOM needs are read; every offset, count and string is bounded by
 * the data store, every list by a cap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "hashtab.h"
#include "rd.h"
#include "rpmhdr.h"

#define HDR_MAX_INDEX 0xffffu           /* rpm's hdrchkTags */
#define HDR_MAX_DATA (256u << 20)       /* rpm's hdrchkData */
#define HDR_ERR_CAP 256

/* data types of an index entry */
enum { T_INT16 = 3, T_INT32 = 4, T_INT64 = 5, T_STRING = 6, T_BIN = 7,
       T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

/* the tags read, and their slot in struct hdr's table */
static const uint32_t hdr_tags[] = {
	1000, /* NAME */ 1001, /* VERSION */ 1002, /* RELEASE */ 1003, /* EPOCH */
	1009, /* SIZE */ 1011, /* VENDOR */ 1014, /* LICENSE */ 1022, /* ARCH */
	1027, /* OLDFILENAMES */ 1044, /* SOURCERPM */ 1047, /* PROVIDENAME */
	1049, /* REQUIRENAME */ 1116, /* DIRINDEXES */ 1117, /* BASENAMES */
	1118, /* DIRNAMES */ 5009, /* LONGSIZE */ 5096, /* MODULARITYLABEL */
	261, /* SIGMD5 */
};
enum { S_NAME, S_VERSION, S_RELEASE, S_EPOCH, S_SIZE, S_VENDOR, S_LICENSE, S_ARCH,
       S_OLDFILENAMES, S_SOURCERPM, S_PROVIDENAME, S_REQUIRENAME, S_DIRINDEXES,
       S_BASENAMES, S_DIRNAMES, S_LONGSIZE, S_MODULARITYLABEL, S_SIGMD5, S_N };

struct ent {
	int present;
	uint32_t type, off, count;
};

struct hdr {
	const unsigned char *data;      /* the data store */
	size_t dl;
	struct ent e[S_N];
	struct ocifs_rpmhdr *h;
};

/* a string in the data store */
struct sv {
	const char *s;
	size_t n;
};

static int __attribute__((format(printf, 2, 3))) hdr_err(struct ocifs_rpmhdr *h, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(&h->error, 0, HDR_ERR_CAP, fmt, ap);
	va_end(ap);
	return rc;
}

/* The NUL-terminated string at *off, which moves past it: 0, or -EBADMSG
 * when it runs off the data store. */
static int str_next(const struct hdr *d, size_t *off, struct sv *out)
{
	const unsigned char *nul;

	if (*off >= d->dl || !(nul = memchr(d->data + *off, 0, d->dl - *off)))
		return -EBADMSG;
	out->s = (const char *)d->data + *off;
	out->n = (size_t)(nul - (d->data + *off));
	*off += out->n + 1;
	return 0;
}

/* Entry slot as one string (STRING, or the first of an I18NSTRING):
 * 0 and a malloc'd *out (NULL when absent or "(none)"), -ENOMEM. */
static int get_string(struct hdr *d, int slot, const char *what, char **out)
{
	const struct ent *e = &d->e[slot];
	size_t off = e->off;
	struct sv v;

	*out = NULL;
	if (!e->present)
		return 0;
	if ((e->type != T_STRING && e->type != T_I18NSTRING) || e->count < 1 ||
	    str_next(d, &off, &v))
		return hdr_err(d->h, "bad %s entry (type %u, offset %u)", what, e->type, e->off);
	if (v.n == 6 && !memcmp(v.s, "(none)", 6))
		return 0;
	return (*out = strndup(v.s, v.n)) ? 0 : -ENOMEM;
}

/* Entry slot as count numbers of size bytes each: 0 and *p (NULL when
 * absent or bad: bad is recorded), or -ENOMEM. */
static int get_numbers(struct hdr *d, int slot, uint32_t type, size_t size, const char *what,
		       const unsigned char **p, size_t *count)
{
	const struct ent *e = &d->e[slot];

	*p = NULL;
	*count = 0;
	if (!e->present)
		return 0;
	if (e->type != type || e->count < 1 || e->off >= d->dl ||
	    e->count > (d->dl - e->off) / size)
		return hdr_err(d->h, "bad %s entry (type %u, offset %u, count %u)", what, e->type,
			       e->off, e->count);
	*p = d->data + e->off;
	*count = e->count;
	return 0;
}

/* Entry slot as a string array: 0 and a malloc'd *out of *n views
 * (NULL when absent or bad: bad is recorded), or -ENOMEM. */
static int get_array(struct hdr *d, int slot, const char *what, struct sv **out, size_t *n)
{
	const struct ent *e = &d->e[slot];
	size_t off = e->off;

	*out = NULL;
	*n = 0;
	if (!e->present)
		return 0;
	/* every string takes at least its NUL: a count beyond the data
	 * store cannot be right, and bounds the allocation */
	if (e->type != T_STRING_ARRAY || e->count < 1 || e->off >= d->dl ||
	    e->count > d->dl - e->off)
		return hdr_err(d->h, "bad %s entry (type %u, offset %u, count %u)", what, e->type,
			       e->off, e->count);
	/* walk it first: the views are allocated only for strings that are there */
	for (size_t i = 0; i < e->count; i++) {
		struct sv tmp;
		if (str_next(d, &off, &tmp))
			return hdr_err(d->h, "%s: string %zu of %u runs off the header", what, i,
				       e->count);
	}
	struct sv *v = malloc(e->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	off = e->off;
	for (size_t i = 0; i < e->count; i++)
		(void)str_next(d, &off, &v[i]);
	*out = v;
	*n = e->count;
	return 0;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Does requires name key the SBOM can resolve? Not rpm's own features
 * (rpmlib(...)) nor rich dependencies "(a if b)" (Syft skips them too). */
static int dep_wanted(const struct sv *v)
{
	return v->n && v->s[0] != '(' && !(v->n >= 7 && !memcmp(v->s, "rpmlib(", 7));
}

/* A name list (PROVIDENAME, REQUIRENAME): each name once, capped. */
static int get_names(struct hdr *d, int slot, const char *what, int requires, char ***out,
		     size_t *nout)
{
	struct ocifs_strmap seen = { 0 };
	struct sv *v;
	size_t n, k = 0;
	char **l = NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = get_array(d, slot, what, &v, &n)) || !v)
		return rc;
	if (!(l = calloc(n < OCIFS_RPMHDR_MAX_DEPS ? n : OCIFS_RPMHDR_MAX_DEPS, sizeof(*l)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (requires ? !dep_wanted(&v[i]) : !v[i].n)
			continue;
		if ((rc = ocifs_strmap_put(&seen, v[i].s, v[i].n, i, NULL)) < 0)
			goto out;
		if (rc == 0)
			continue;
		if (k == OCIFS_RPMHDR_MAX_DEPS) {
			rc = hdr_err(d->h, "%s: more than %u names, the rest left out", what,
				     OCIFS_RPMHDR_MAX_DEPS);
			break;
		}
		if (!(l[k++] = strndup(v[i].s, v[i].n))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = rc < 0 ? rc : 0;
out:
	if (rc < 0) {
		free_list(l, k);
	} else if (k) {
		*out = l;
		*nout = k;
	} else {
		free(l);
	}
	ocifs_strmap_fini(&seen);
	free(v);
	return rc;
}

/* Append a + b to the file list (room for it was made): 0, 1 when the
 * byte cap is reached (recorded), -ENOMEM. */
static int add_file(struct hdr *d, size_t *total, const struct sv *a, const struct sv *b)
{
	struct ocifs_rpmhdr *h = d->h;
	size_t n = a->n + (b ? b->n : 0);
	char *p;

	if (n > OCIFS_RPMHDR_MAX_FILE_BYTES - *total) {
		int rc = hdr_err(h, "file list longer than %u bytes, the rest left out",
				 OCIFS_RPMHDR_MAX_FILE_BYTES);
		return rc ? rc : 1;
	}
	*total += n;
	if (!(p = malloc(n + 1)))
		return -ENOMEM;
	memcpy(p, a->s, a->n);
	if (b)
		memcpy(p + a->n, b->s, b->n);
	p[n] = 0;
	h->files[h->nfiles++] = p;
	return 0;
}

/* The files: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES. */
static int get_files(struct hdr *d)
{
	struct sv *base = NULL, *dirs = NULL, *old = NULL;
	size_t nbase = 0, ndirs = 0, nidx = 0, nold = 0, total = 0;
	const unsigned char *idx = NULL;
	struct ocifs_rpmhdr *h = d->h;
	int rc;

	if ((rc = get_array(d, S_BASENAMES, "BASENAMES", &base, &nbase)) ||
	    (rc = get_array(d, S_DIRNAMES, "DIRNAMES", &dirs, &ndirs)) ||
	    (rc = get_numbers(d, S_DIRINDEXES, T_INT32, 4, "DIRINDEXES", &idx, &nidx)))
		goto out;
	if (base) {
		if (!dirs || !idx || nidx != nbase) {
			rc = hdr_err(h, "%zu BASENAMES but %zu DIRINDEXES and %zu DIRNAMES", nbase,
				     nidx, ndirs);
			goto out;
		}
		if (!(h->files = calloc(nbase, sizeof(*h->files)))) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nbase && rc == 0; i++) {
			uint32_t di = ocifs_be32(idx + 4 * i);
			if (di >= ndirs)
				rc = hdr_err(h, "file %zu: directory index %u of %zu", i, di, ndirs);
			else
				rc = add_file(d, &total, &dirs[di], &base[i]);
		}
	} else {
		if ((rc = get_array(d, S_OLDFILENAMES, "OLDFILENAMES", &old, &nold)) || !old)
			goto out;
		if (!(h->files = calloc(nold, sizeof(*h->files)))) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nold && rc == 0; i++)
			rc = add_file(d, &total, &old[i], NULL);
	}
	rc = rc < 0 ? rc : 0;
out:
	free(base);
	free(dirs);
	free(old);
	return rc;
}

static int get_scalars(struct hdr *d)
{
	struct ocifs_rpmhdr *h = d->h;
	const unsigned char *p;
	size_t n;
	int rc;

	if ((rc = get_string(d, S_NAME, "NAME", &h->name)) ||
	    (rc = get_string(d, S_VERSION, "VERSION", &h->version)) ||
	    (rc = get_string(d, S_RELEASE, "RELEASE", &h->release)) ||
	    (rc = get_string(d, S_ARCH, "ARCH", &h->arch)) ||
	    (rc = get_string(d, S_SOURCERPM, "SOURCERPM", &h->sourcerpm)) ||
	    (rc = get_string(d, S_LICENSE, "LICENSE", &h->license)) ||
	    (rc = get_string(d, S_VENDOR, "VENDOR", &h->vendor)) ||
	    (rc = get_string(d, S_MODULARITYLABEL, "MODULARITYLABEL", &h->modularitylabel)))
		return rc;
	if ((rc = get_numbers(d, S_EPOCH, T_INT32, 4, "EPOCH", &p, &n)))
		return rc;
	if (p) {
		h->has_epoch = 1;
		h->epoch = ocifs_be32(p);
	}
	if ((rc = get_numbers(d, S_LONGSIZE, T_INT64, 8, "LONGSIZE", &p, &n)))
		return rc;
	if (p) {
		h->has_size = 1;
		h->size = ocifs_be64(p);
	} else {
		if ((rc = get_numbers(d, S_SIZE, T_INT32, 4, "SIZE", &p, &n)))
			return rc;
		if (p) {
			h->has_size = 1;
			h->size = ocifs_be32(p);
		}
	}
	if (d->e[S_SIGMD5].present && d->e[S_SIGMD5].count == 16) {
		if ((rc = get_numbers(d, S_SIGMD5, T_BIN, 1, "SIGMD5", &p, &n)))
			return rc;
		if (p) {
			h->has_sigmd5 = 1;
			memcpy(h->sigmd5, p, 16);
		}
	}
	return 0;
}

int ocifs_rpmhdr_parse(const unsigned char *p, size_t len, unsigned flags,
		       struct ocifs_rpmhdr *h)
{
	struct hdr d = { .h = h };
	uint32_t il, dl;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < 8)
		return hdr_err(h, "header of %zu bytes", len);
	il = ocifs_be32(p);
	dl = ocifs_be32(p + 4);
	if (il < 1 || il > HDR_MAX_INDEX || dl > HDR_MAX_DATA ||
	    (uint64_t)il * 16 + dl > len - 8)
		return hdr_err(h, "not an rpm header (%u index entries, %u data bytes, %zu bytes)",
			       il, dl, len);
	d.data = p + 8 + (size_t)il * 16;
	d.dl = dl;
	for (uint32_t i = 0; i < il; i++) {
		const unsigned char *q = p + 8 + (size_t)i * 16;
		uint32_t tag = ocifs_be32(q);
		for (int s = 0; s < S_N; s++) {
			if (hdr_tags[s] != tag)
				continue;
			d.e[s] = (struct ent){ 1, ocifs_be32(q + 4), ocifs_be32(q + 8),
					       ocifs_be32(q + 12) };
			break;
		}
	}
	if ((rc = get_scalars(&d)))
		return rc;
	if (!(flags & OCIFS_RPMHDR_NEVRA) &&
	    ((rc = get_names(&d, S_PROVIDENAME, "PROVIDENAME", 0, &h->provides, &h->nprovides)) ||
	     (rc = get_names(&d, S_REQUIRENAME, "REQUIRENAME", 1, &h->requires, &h->nrequires)) ||
	     (rc = get_files(&d))))
		return rc;
	if (!h->name)
		return hdr_err(h, "header without a package name");
	return 0;
}

void ocifs_rpmhdr_fini(struct ocifs_rpmhdr *h)
{
	free(h->name);
	free(h->version);
	free(h->release);
	free(h->arch);
	free(h->sourcerpm);
	free(h->license);
	free(h->vendor);
	free(h->modularitylabel);
	free_list(h->provides, h->nprovides);
	free_list(h->requires, h->nrequires);
	free_list(h->files, h->nfiles);
	free(h->error);
	memset(h, 0, sizeof(*h));
}
