/* SPDX-License-Identifier: MIT */
/*
 * Go build info (DESIGN §9), read the way Go's debug/buildinfo does: the
 * "\xff Go buildinf:" blob in .go.buildinfo or, without section headers,
 * 16-byte aligned near the start of the writable PT_LOAD; inline varint
 * strings (Go >= 1.18) or pointers to Go string headers resolved through
 * the PT_LOADs (older). Without it, the pclntab magic and a "go1.N"
 * string still identify a Go binary. The segments and sections come from
 * the file's one libelf parse (struct ocifs_elf, scan/elfinfo.c); the
 * blob itself is found by scanning and decoded by hand, as Go does: it
 * is Go's own format, not an ELF structure libelf knows. Every offset,
 * size and count comes from hostile input. The modinfo text is parsed in
 * scan/gomodinfo.c.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "elfinfo.h"
#include "goinfo.h"
#include "goinfo_priv.h"

#define GO_MAGIC "\xff Go buildinf:"
#define GO_MAGIC_LEN 14
#define GO_WINDOW (64 * 1024)           /* debug/buildinfo reads 64 KiB */
#define GO_MAX_MODINFO (16u << 20)
#define GO_MAX_VERSION 4096u
#define GO_SCAN_CHUNK (1u << 20)
#define GO_MAX_SCAN (512ull << 20)      /* pclntab/version scan budget */

struct seg {
	uint64_t vaddr, off, filesz;
	uint32_t flags;
};

struct elfv {
	const struct ocifs_rd *rd;
	int is64, be;
	size_t nsegs;
	struct seg *segs;       /* PT_LOAD only */
	int have_shdrs;
	uint64_t bi_off, bi_size;       /* .go.buildinfo, bi_size 0 if none */
	uint64_t pcln_off, pcln_size;   /* .gopclntab, pcln_size 0 if none */
};

static uint64_t get(const struct elfv *e, const unsigned char *p, int n)
{
	return ocifs_uint(p, (size_t)n, e->be);
}

/* ---- the ELF layout, from the one libelf parse (scan/elfinfo.c) ---- */

static int elf_load(const struct ocifs_rd *rd, const struct ocifs_elf *x, struct elfv *e)
{
	memset(e, 0, sizeof(*e));
	e->rd = rd;
	if (!x->cls)
		return -EINVAL;
	e->is64 = x->cls == 64;
	e->be = x->data == ELFDATA2MSB;
	e->segs = calloc(x->nsegs ? x->nsegs : 1, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < x->nsegs; i++) {
		const struct ocifs_elf_seg *p = &x->segs[i];
		struct seg *s = &e->segs[e->nsegs];

		if (p->type != PT_LOAD)
			continue;
		*s = (struct seg){ p->vaddr, p->offset, p->filesz, p->flags };
		/* keep only the part that is really in the file */
		if (s->off >= rd->size)
			s->filesz = 0;
		else if (s->filesz > rd->size - s->off)
			s->filesz = rd->size - s->off;
		if (s->vaddr + s->filesz < s->vaddr)
			s->filesz = UINT64_MAX - s->vaddr;
		e->nsegs++;
	}
	e->have_shdrs = x->has_sections;
	for (size_t i = 1; i < x->nsecs; i++) {
		const struct ocifs_elf_sec *c = &x->secs[i];
		uint64_t size = c->size;

		if (c->type == SHT_NOBITS || c->offset >= rd->size)
			continue;
		if (size > rd->size - c->offset)
			size = rd->size - c->offset;
		if (!strcmp(c->name, ".go.buildinfo")) {
			e->bi_off = c->offset;
			e->bi_size = size;
		} else if (!strcmp(c->name, ".gopclntab") || !strcmp(c->name, ".data.rel.ro.gopclntab")) {
			e->pcln_off = c->offset;
			e->pcln_size = size;
		}
	}
	return 0;
}

/* Virtual address -> file offset, with how many bytes from there are in
 * the same segment. */
static int va2off(const struct elfv *e, uint64_t va, uint64_t *off, uint64_t *avail)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct seg *s = &e->segs[i];

		if (s->filesz && va >= s->vaddr && va - s->vaddr < s->filesz) {
			*off = s->off + (va - s->vaddr);
			*avail = s->filesz - (va - s->vaddr);
			return 0;
		}
	}
	return -ERANGE;
}

/* ---- build info blob ---- */

/* Read a Go string header {ptr, len} at virtual address va. */
static int read_gostring(const struct elfv *e, uint64_t va, int ptrsz, int be, size_t max,
			 char **out, size_t *outlen)
{
	struct elfv b = *e;
	unsigned char hdr[16];
	uint64_t off, avail, dva, n;

	b.be = be;
	if (va2off(e, va, &off, &avail) || avail < (uint64_t)ptrsz * 2 ||
	    ocifs_rd_full(e->rd, hdr, (size_t)ptrsz * 2, off))
		return -ERANGE;
	dva = get(&b, hdr, ptrsz);
	n = get(&b, hdr + ptrsz, ptrsz);
	if (n > max)
		return -EFBIG;
	if (n && (va2off(e, dva, &off, &avail) || avail < n))
		return -ERANGE;
	if (!(*out = malloc((size_t)n + 1)))
		return -ENOMEM;
	if (n && ocifs_rd_full(e->rd, *out, (size_t)n, off)) {
		free(*out);
		*out = NULL;
		return -ERANGE;
	}
	(*out)[n] = '\0';
	*outlen = (size_t)n;
	return 0;
}

/* A uvarint-prefixed string at file offset *off (inline format). */
static int read_inline(const struct elfv *e, uint64_t *off, uint64_t end, size_t max,
		       char **out, size_t *outlen)
{
	unsigned char v[10];
	uint64_t n = 0;
	size_t got = 0, i;
	int rc;

	if (*off >= end)
		return -ERANGE;
	rc = e->rd->read_at(e->rd->ctx, v, sizeof(v), *off, &got);
	if (rc)
		return rc;
	for (i = 0; i < got && i < 10; i++) {
		n |= (uint64_t)(v[i] & 0x7f) << (7 * i);
		if (!(v[i] & 0x80))
			break;
	}
	if (i >= got || (i == 9 && v[9] > 1))
		return -ERANGE;
	*off += i + 1;
	if (n > max)
		return -EFBIG;
	if (*off > end || n > end - *off)
		return -ERANGE;
	if (!(*out = malloc((size_t)n + 1)))
		return -ENOMEM;
	if ((rc = ocifs_rd_full(e->rd, *out, (size_t)n, *off))) {
		free(*out);
		*out = NULL;
		return rc == -ENOMEM ? rc : -ERANGE;
	}
	(*out)[n] = '\0';
	*off += n;
	*outlen = (size_t)n;
	return 0;
}

/* Find the magic in [off, off+size) of the file, 16-byte aligned relative
 * to off, within the first 64 KiB; *at gets its file offset. */
static int find_magic(const struct elfv *e, uint64_t off, uint64_t size, uint64_t *at,
		      unsigned char hdr[32])
{
	unsigned char *w;
	size_t n = size > GO_WINDOW ? GO_WINDOW : (size_t)size;
	int found = 0;

	if (n < 32 || !(w = malloc(n)))
		return n < 32 ? 0 : -ENOMEM;
	if (!ocifs_rd_full(e->rd, w, n, off)) {
		for (size_t i = 0; i + 32 <= n; i += 16) {
			if (!memcmp(w + i, GO_MAGIC, GO_MAGIC_LEN)) {
				memcpy(hdr, w + i, 32);
				*at = off + i;
				found = 1;
				break;
			}
		}
	}
	free(w);
	return found;
}

static int decode_blob(const struct elfv *e, uint64_t at, uint64_t end, const unsigned char *h,
		       struct ocifs_goinfo *g)
{
	int ptrsz = h[14], flags = h[15], rc;
	char *vers = NULL, *mod = NULL;
	size_t vl = 0, ml = 0;

	if (flags & 2) {
		uint64_t p = at + 32;

		rc = read_inline(e, &p, end, GO_MAX_VERSION, &vers, &vl);
		if (!rc)
			rc = read_inline(e, &p, end, GO_MAX_MODINFO, &mod, &ml);
	} else {
		struct elfv b = *e;

		if (ptrsz != 4 && ptrsz != 8)
			return ocifs_goinfo_set_error(g, "build info: bad pointer size %d", ptrsz);
		b.be = flags & 1;
		rc = read_gostring(e, get(&b, h + 16, ptrsz), ptrsz, b.be, GO_MAX_VERSION, &vers, &vl);
		if (!rc)
			rc = read_gostring(e, get(&b, h + 16 + ptrsz, ptrsz), ptrsz, b.be,
					   GO_MAX_MODINFO, &mod, &ml);
	}
	if (rc == -ENOMEM)
		goto out;
	if (rc) {
		rc = ocifs_goinfo_set_error(g, "build info: %s string %s", vers ? "modinfo" : "version",
			       rc == -EFBIG ? "too long" : "outside the file");
		goto out;
	}
	g->has_buildinfo = 1;
	if (vl && !(g->version = ocifs_goinfo_dupn(vers, vl))) {
		rc = -ENOMEM;
		goto out;
	}
	/* debug/buildinfo: unwrap the sentinels, or there is no modinfo */
	if (ml >= 33 && mod[ml - 17] == '\n')
		rc = ocifs_goinfo_parse_lines(mod + 16, ml - 32, g);
	rc = rc < 0 ? rc : 0;
out:
	free(vers);
	free(mod);
	return rc;
}

static int try_buildinfo(const struct elfv *e, struct ocifs_goinfo *g)
{
	unsigned char h[32];
	uint64_t at = 0;
	size_t first = 0;
	int rc;

	if (e->bi_size) {
		rc = find_magic(e, e->bi_off, e->bi_size, &at, h);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			if (!(g->how = strdup("section .go.buildinfo")))
				return -ENOMEM;
			return decode_blob(e, at, e->bi_off + e->bi_size, h, g);
		}
	}
	if (e->have_shdrs && e->bi_size)
		return 0;
	/* No .go.buildinfo section: the first writable PT_LOAD (then any). */
	while (first < e->nsegs && !(e->segs[first].flags & 2))
		first++;
	for (int pass = 0, tries = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->nsegs && tries < 8; i++) {
			const struct seg *s = &e->segs[i];

			if (!(s->flags & 2) || (pass == 0) != (i == first))
				continue;
			tries++;
			rc = find_magic(e, s->off, s->filesz, &at, h);
			if (rc < 0)
				return rc;
			if (rc > 0) {
				if (!(g->how = strdup("writable segment scan")))
					return -ENOMEM;
				return decode_blob(e, at, s->off + s->filesz, h, g);
			}
		}
	}
	return 0;
}

/* ---- no build info: pclntab magic and the runtime version string ---- */

static int pcln_header(const struct elfv *e, const unsigned char *p)
{
	uint32_t m = (uint32_t)get(e, p, 4);

	return (m == 0xfffffff1 || m == 0xfffffff0 || m == 0xfffffffa || m == 0xfffffffb) &&
	       !p[4] && !p[5] && (p[6] == 1 || p[6] == 2 || p[6] == 4) &&
	       p[7] == (e->is64 ? 8 : 4);
}

static int isalnum_(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "go1.N" or "go1.N.M" at p (not inside a longer word); its length. */
static size_t version_at(const unsigned char *p, size_t n, int prev)
{
	size_t i = 4, d;

	if (n < 5 || memcmp(p, "go1.", 4) || isalnum_(prev) || prev == '/' || prev == '.')
		return 0;
	for (d = 0; i < n && p[i] >= '0' && p[i] <= '9' && d < 4; i++, d++)
		;
	if (!d)
		return 0;
	if (i + 1 < n && p[i] == '.' && p[i + 1] >= '0' && p[i + 1] <= '9') {
		for (i++, d = 0; i < n && p[i] >= '0' && p[i] <= '9' && d < 4; i++, d++)
			;
	}
	if (i >= n || (p[i] >= '0' && p[i] <= '9') || p[i] == '.')
		return 0;
	return i;
}

/* Scan the PT_LOADs in chunks, read-only ones first (PIE keeps pclntab
 * in the RELRO part of the writable one): the pclntab magic at 4-aligned
 * file offsets (unless already known) and the first version string. */
static int scan_readonly(const struct elfv *e, int need_pcln, int *pcln, char **vers)
{
	unsigned char *buf = malloc(GO_SCAN_CHUNK + 16);
	uint64_t budget = GO_MAX_SCAN;

	if (!buf)
		return -ENOMEM;
	for (size_t j = 0; j < 2 * e->nsegs && budget && !(*vers && (*pcln || !need_pcln)); j++) {
		const struct seg *s = &e->segs[j % e->nsegs];
		uint64_t pos = s->off & ~(uint64_t)3, end = s->off + s->filesz;

		if (!(s->flags & 2) != (j < e->nsegs))
			continue;
		while (pos < end && budget && !(*vers && (*pcln || !need_pcln))) {
			uint64_t left = end - pos;
			size_t step = left > GO_SCAN_CHUNK ? GO_SCAN_CHUNK : (size_t)left;
			size_t n = left > step + 16 ? step + 16 : (size_t)left;

			if (ocifs_rd_full(e->rd, buf, n, pos))
				break;
			for (size_t k = 0; k < step; k++) {
				size_t vl;

				if (need_pcln && !*pcln && !(k & 3) && k + 8 <= n && pcln_header(e, buf + k))
					*pcln = 1;
				if (!*vers && buf[k] == 'g' &&
				    (vl = version_at(buf + k, n - k, k ? buf[k - 1] : 0)) &&
				    !(*vers = ocifs_goinfo_dupn((const char *)buf + k, vl))) {
					free(buf);
					return -ENOMEM;
				}
			}
			pos += step;
			budget -= budget > step ? step : budget;
		}
	}
	free(buf);
	return 0;
}

static int try_pclntab(const struct elfv *e, struct ocifs_goinfo *g)
{
	unsigned char h[8];
	int pcln = 0, rc;
	char *vers = NULL;
	const char *how;

	if (e->pcln_size >= 8 && !ocifs_rd_full(e->rd, h, 8, e->pcln_off) && pcln_header(e, h))
		pcln = 1;
	how = pcln ? "section .gopclntab" : "pclntab magic";
	if (!pcln && e->have_shdrs && !e->pcln_size)
		return 0; /* sections, none of them Go's: not Go */
	rc = scan_readonly(e, !pcln, &pcln, &vers);
	if (rc)
		return rc;
	if (!pcln) {
		free(vers);
		return 0;
	}
	g->is_go = 1;
	if (!g->version)
		g->version = vers;
	else
		free(vers);
	if (!g->how && !(g->how = strdup(how)))
		return -ENOMEM;
	return 0;
}

int ocifs_goinfo_read(const struct ocifs_rd *rd, const struct ocifs_elf *elf,
		       struct ocifs_goinfo *out)
{
	struct elfv e;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = elf_load(rd, elf, &e);
	if (!rc)
		rc = try_buildinfo(&e, out);
	if (!rc && out->how) /* the magic alone says Go, even if damaged */
		out->is_go = 1;
	if (!rc && !out->has_buildinfo)
		rc = try_pclntab(&e, out);
	free(e.segs);
	return rc;
}

void ocifs_goinfo_fini(struct ocifs_goinfo *g)
{
	if (!g)
		return;
	free(g->version);
	free(g->path);
	ocifs_goinfo_mod_fini(&g->main);
	for (size_t i = 0; i < g->ndeps; i++)
		ocifs_goinfo_mod_fini(&g->deps[i]);
	free(g->deps);
	for (size_t i = 0; i < g->nsettings; i++) {
		free(g->settings[i].key);
		free(g->settings[i].value);
	}
	free(g->settings);
	free(g->how);
	free(g->error);
	memset(g, 0, sizeof(*g));
}
