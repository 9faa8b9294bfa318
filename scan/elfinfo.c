/* SPDX-License-Identifier: MIT */
/*
 * ELF analysis over a read callback, decoded by libelf (elf_memory,
 * gelf_getehdr/phdr/shdr, elf_getdata_rawchunk, gelf_getdyn,
 * gelf_getnote, elf_strptr) over a sparse copy of the file
 * (scan/elfmap.h): only the headers and the tables they point to are read
 * into it, each with its own bounded read: the file header, section and
 * program headers, PT_INTERP, the dynamic section and its string table,
 * notes. Every offset, size and count comes from a hostile file, so each
 * is checked against the file size and a cap before libelf is asked (a
 * table that fails a check is hidden from libelf by zeroing its header
 * fields in the copy); a bad table stops that part of the analysis and
 * sets e->error, the rest goes on. Hand-written still: the e_ident
 * checks before libelf is called (whether it is ELF at all decides
 * -EINVAL), and the libc signature scan of the file body
 * (scan/elflibc.c), which is a byte search, not an ELF structure.
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "elfinfo.h"
#include "elfinfo_priv.h"
#include "elfmap.h"
#include "hex.h"

#define ELF_MAX_PHNUM 65536u
#define ELF_MAX_SHNUM (1u << 20)
#define ELF_MAX_STRTAB (16u << 20)      /* .shstrtab, dynamic strings */
#define ELF_MAX_DYNAMIC (1u << 20)      /* bytes of the dynamic section */
#define ELF_MAX_NOTES (1u << 20)        /* bytes per note segment */
#define ELF_MAX_INTERP 4096u
#define ELF_MAX_NEEDED 4096u

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ELF_NATIVE_DATA ELFDATA2MSB
#else
#define ELF_NATIVE_DATA ELFDATA2LSB
#endif

/* Dynamic-section values before the string table is known. */
struct elf_dyn {
	uint64_t strtab, strsz, soname, rpath, runpath;
	int have_strtab, have_strsz, have_soname, have_rpath, have_runpath;
	uint64_t *needed;
	size_t nneeded;
};

uint64_t ocifs_elf_uint(const struct ocifs_elf *e, const void *p, size_t n)
{
	if (n != 2 && n != 4 && n != 8)
		return 0;
	return ocifs_uint(p, n, e->data == ELFDATA2MSB);
}

/* Record why analysis stopped (the first reason wins); nothing is logged
 * (the rule in scan/rd.h).
 * Returns -ENOMEM if the message cannot be kept, else 0. */
static int __attribute__((format(printf, 2, 3))) elf_fail(struct elf_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(&c->e->error, 0, 256, fmt, ap);
	va_end(ap);
	return rc;
}

static int elf_in_file(const struct elf_ctx *c, uint64_t off, uint64_t n)
{
	return off <= c->e->size && n <= c->e->size - off;
}

/* elfinfo_priv.h */
int ocifs_elf_read(struct elf_ctx *c, void *buf, size_t n, uint64_t off, const char *what)
{
	int rc = ocifs_rd_full(c->rd, buf, n, off);

	if (rc == -EIO) {
		rc = elf_fail(c, "truncated: short read of %s at %llu", what, (unsigned long long)off);
		return rc ? rc : 1;
	}
	return rc;
}

/* Fill [off, off+n) of the copy libelf reads (the caller checked it lies
 * in the file): 0, 1 if the file turned out shorter (e->error set), or a
 * negative errno from the reader. */
static int elf_fetch(struct elf_ctx *c, uint64_t off, uint64_t n, const char *what)
{
	int rc = ocifs_elfmap_need(&c->m, off, n);

	if (rc == -EIO) {
		rc = elf_fail(c, "truncated: short read of %s at %llu", what, (unsigned long long)off);
		return rc ? rc : 1;
	}
	return rc;
}

/* Check that n bytes at off lie in the file and within cap, and fill
 * them in: 0, 1 if not (reason in e->error), -errno. */
static int elf_fetch_checked(struct elf_ctx *c, uint64_t off, uint64_t n, uint64_t cap,
			     const char *what)
{
	if (n > cap)
		return elf_fail(c, "%s too large (%llu bytes)", what, (unsigned long long)n) ?: 1;
	if (!elf_in_file(c, off, n))
		return elf_fail(c, "truncated: %s at %llu+%llu past end of file", what,
				(unsigned long long)off, (unsigned long long)n) ?: 1;
	return elf_fetch(c, off, n, what);
}

/* Allocate a NUL-terminated copy of n bytes at off: 0, 1 if not read
 * (reason in e->error), -errno. */
static int elf_read_alloc(struct elf_ctx *c, uint64_t off, uint64_t n, uint64_t cap,
			  const char *what, char **out)
{
	int rc = elf_fetch_checked(c, off, n, cap, what);

	*out = NULL;
	if (rc)
		return rc;
	if (!(*out = malloc((size_t)n + 1)))
		return -ENOMEM;
	memcpy(*out, c->m.p + off, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

/* libelf refused what our checks let through: say so, once. */
static int elf_libelf_fail(struct elf_ctx *c, const char *what)
{
	return elf_fail(c, "%s: %s", what, elf_errmsg(-1));
}

/* The file header, through libelf over just its bytes: -EINVAL (not
 * ELF), 1 (stop: e->error), 0, -errno. */
static int elf_header(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	size_t n = e->size < 64 ? (size_t)e->size : 64, hsz;
	unsigned char *h;
	GElf_Ehdr eh;
	int rc;

	if (n < EI_NIDENT)
		return -EINVAL;
	if ((rc = ocifs_elfmap_init(&c->m, c->rd)) || (rc = ocifs_elfmap_need(&c->m, 0, n)))
		return rc == -EIO ? -EINVAL : rc;
	h = c->m.p;
	if (memcmp(h, ELFMAG, SELFMAG) != 0)
		return -EINVAL;
	if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
		return elf_fail(c, "bad class %u", h[EI_CLASS]) ?: 1;
	if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
		return elf_fail(c, "bad byte order %u", h[EI_DATA]) ?: 1;
	e->cls = h[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	e->data = h[EI_DATA];
	hsz = e->cls == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (n < hsz)
		return elf_fail(c, "truncated: file header (%zu of %zu bytes)", n, hsz) ?: 1;
	/* libelf converts tables of the other byte order in place in memory
	 * it was given (elf_memory), so such a file gets a copy of its own */
	if ((e->data != ELF_NATIVE_DATA || h[EI_VERSION] != EV_CURRENT) &&
	    (rc = ocifs_elfmap_own(&c->m)))
		return rc;
	h = c->m.p;
	h[EI_VERSION] = EV_CURRENT;     /* libelf wants it; we never checked it */
	c->hdr = elf_memory((char *)h, hsz);
	if (!c->hdr || !gelf_getehdr(c->hdr, &eh))
		return elf_libelf_fail(c, "file header") ?: 1;
	e->type = eh.e_type;
	e->machine = eh.e_machine;
	e->machine_name = ocifs_elf_arch(e);
	e->entry = eh.e_entry;
	c->phoff = eh.e_phoff;
	c->shoff = eh.e_shoff;
	c->phentsize = eh.e_phentsize;
	c->phnum = eh.e_phnum;
	c->shentsize = eh.e_shentsize;
	c->shnum = eh.e_shnum;
	c->shstrndx = eh.e_shstrndx;
	return 0;
}

/* Section header 0 (extended numbering), decoded by libelf from the
 * header-only handle: 0, 1 (e->error), -errno. */
static int elf_shdr0(struct elf_ctx *c, GElf_Shdr *s0)
{
	union {
		Elf32_Shdr s32;
		Elf64_Shdr s64;
	} u;
	Elf_Data src = { .d_type = ELF_T_SHDR, .d_version = EV_CURRENT }, dst = src;
	int rc;

	src.d_size = c->e->cls == 64 ? sizeof(u.s64) : sizeof(u.s32);
	if ((rc = elf_fetch(c, c->shoff, src.d_size, "section header 0")))
		return rc;
	src.d_buf = c->m.p + c->shoff;
	dst.d_buf = &u;
	dst.d_size = sizeof(u);
	if (!gelf_xlatetom(c->hdr, &dst, &src, (unsigned)c->e->data))
		return elf_libelf_fail(c, "section header 0") ?: 1;
	if (c->e->cls == 64) {
		s0->sh_size = u.s64.sh_size;
		s0->sh_link = u.s64.sh_link;
		s0->sh_info = u.s64.sh_info;
	} else {
		s0->sh_size = u.s32.sh_size;
		s0->sh_link = u.s32.sh_link;
		s0->sh_info = u.s32.sh_info;
	}
	return 0;
}

/* Check the section header table (resolving extended numbering: e_shnum
 * 0, e_phnum PN_XNUM, e_shstrndx SHN_XINDEX from section 0) and fill it
 * in: c->sections_ok says whether libelf may see it. */
static int elf_check_sections(struct elf_ctx *c)
{
	size_t esz = c->e->cls == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	GElf_Shdr s0;
	int rc;

	if (!c->shoff)
		return 0;
	if (c->shentsize != esz)
		return elf_fail(c, "bad e_shentsize %u", c->shentsize);
	if (!elf_in_file(c, c->shoff, esz))
		return elf_fail(c, "truncated: section headers at %llu past end of file",
				(unsigned long long)c->shoff);
	if ((rc = elf_shdr0(c, &s0)))
		return rc < 0 ? rc : 0;
	if (c->shnum == 0)
		c->shnum = s0.sh_size > ELF_MAX_SHNUM ? ELF_MAX_SHNUM + 1 : (size_t)s0.sh_size;
	if (c->phnum == PN_XNUM) {
		c->phnum = s0.sh_info;
		if (s0.sh_info < PN_XNUM && (rc = elf_fail(c, "bad extended e_phnum %u", s0.sh_info)))
			return rc;
	}
	if (c->shstrndx == SHN_XINDEX)
		c->shstrndx = s0.sh_link;
	if (c->shnum == 0)
		return 0;       /* e_shoff set, but no sections */
	if (c->shnum > ELF_MAX_SHNUM)
		return elf_fail(c, "too many sections (%zu)", c->shnum);
	if (!elf_in_file(c, c->shoff, (uint64_t)c->shnum * esz))
		return elf_fail(c, "truncated: %zu section headers at %llu past end of file", c->shnum,
				(unsigned long long)c->shoff);
	if ((rc = elf_fetch(c, c->shoff, c->shnum * esz, "section headers")))
		return rc < 0 ? rc : 0;
	c->sections_ok = 1;
	return 0;
}

/* Check the program header table and fill it in: c->segments_ok. What is
 * wrong is kept in c->seg_err and recorded after the sections (the
 * order the reasons were always found in). */
static int elf_check_segments(struct elf_ctx *c)
{
	size_t esz = c->e->cls == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	char *m = c->seg_err;
	size_t ms = sizeof(c->seg_err);
	int rc;

	if (!c->phoff || !c->phnum)
		return 0;
	if (c->phentsize != esz)
		snprintf(m, ms, "bad e_phentsize %u", c->phentsize);
	else if (c->phnum > ELF_MAX_PHNUM)
		snprintf(m, ms, "too many program headers (%zu)", c->phnum);
	else if (!elf_in_file(c, c->phoff, (uint64_t)c->phnum * esz))
		snprintf(m, ms, "truncated: %zu program headers at %llu past end of file",
			 c->phnum, (unsigned long long)c->phoff);
	if (m[0])
		return 0;
	if ((rc = elf_fetch(c, c->phoff, c->phnum * esz, "program headers")))
		return rc < 0 ? rc : 0;
	c->segments_ok = 1;
	return 0;
}

/* Zero a file-header field in the copy libelf reads (zero needs no byte
 * order): how a table our checks refused is hidden from libelf. */
static int elf_hide(struct elf_ctx *c, size_t off64, size_t off32, size_t n64, size_t n32)
{
	size_t off = c->e->cls == 64 ? off64 : off32, n = c->e->cls == 64 ? n64 : n32;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (c->m.p[off + i]) {
			/* the file's own bytes may be borrowed: never write them */
			if ((rc = ocifs_elfmap_own(&c->m)))
				return rc;
			memset(c->m.p + off, 0, n);
			break;
		}
	return 0;
}

#define ELF_HIDE(c, f) \
	elf_hide(c, offsetof(Elf64_Ehdr, f), offsetof(Elf32_Ehdr, f), \
		 sizeof(((Elf64_Ehdr *)0)->f), sizeof(((Elf32_Ehdr *)0)->f))

/* The whole-file libelf handle, over the tables that passed the checks:
 * 0, 1 (e->error), -errno. */
static int elf_open(struct elf_ctx *c)
{
	int rc;

	if (!c->sections_ok &&
	    ((rc = ELF_HIDE(c, e_shoff)) || (rc = ELF_HIDE(c, e_shnum)) ||
	     (rc = ELF_HIDE(c, e_shstrndx))))
		return rc;
	if (!c->segments_ok || (c->phnum >= PN_XNUM && !c->sections_ok)) {
		c->segments_ok = 0;
		if ((rc = ELF_HIDE(c, e_phoff)) || (rc = ELF_HIDE(c, e_phnum)))
			return rc;
	}
	/* a table read since elf_header may have put the file's own byte
	 * back (the map is refilled from the file); libelf without it takes
	 * the file for no ELF at all and sizes its types from class 0 */
	if (c->m.p[EI_VERSION] != EV_CURRENT)
		c->m.p[EI_VERSION] = EV_CURRENT;  /* not borrowed: elf_header owns it then */
	c->elf = elf_memory((char *)c->m.p, (size_t)c->e->size);
	if (!c->elf)
		return elf_libelf_fail(c, "libelf") ?: 1;
	if (elf_kind(c->elf) != ELF_K_ELF || gelf_getclass(c->elf) != (c->e->cls == 64 ? ELFCLASS64 : ELFCLASS32))
		return elf_fail(c, "libelf does not read it as ELF%u", c->e->cls) ?: 1;
	return 0;
}

/* Sections and their names, from libelf. */
static int elf_sections(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	uint32_t *names;
	int rc = 0;

	if (!c->sections_ok)
		return 0;
	e->secs = calloc(c->shnum, sizeof(*e->secs));
	names = calloc(c->shnum, sizeof(*names));
	if (!e->secs || !names) {
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->shnum; i++) {
		struct ocifs_elf_sec *s = &e->secs[i];
		GElf_Shdr sh;

		if (!gelf_getshdr(elf_getscn(c->elf, i), &sh)) {
			rc = elf_libelf_fail(c, "section headers");
			goto out;
		}
		names[i] = sh.sh_name;
		*s = (struct ocifs_elf_sec){ "", sh.sh_type, sh.sh_link, sh.sh_info, sh.sh_flags,
					     sh.sh_addr, sh.sh_offset, sh.sh_size, sh.sh_addralign,
					     sh.sh_entsize };
		e->nsecs++;
	}
	if (c->shstrndx != SHN_UNDEF && c->shstrndx < e->nsecs) {
		const struct ocifs_elf_sec *st = &e->secs[c->shstrndx];

		if (st->type == SHT_NOBITS) {
			rc = elf_fail(c, "section name table has no data");
			goto out;
		}
		rc = elf_read_alloc(c, st->offset, st->size, ELF_MAX_STRTAB, "section name table",
				    &e->shstrtab);
		if (rc)
			goto out;
		for (size_t i = 0; i < e->nsecs; i++)
			if (names[i] < st->size)
				e->secs[i].name = e->shstrtab + names[i];
	} else if (c->shstrndx != SHN_UNDEF) {
		rc = elf_fail(c, "bad e_shstrndx %u", c->shstrndx);
		goto out;
	}
	e->has_sections = 1;
out:
	free(names);
	return rc < 0 ? rc : 0;
}

/* Program headers, from libelf. */
static int elf_segments(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;

	if (c->seg_err[0])
		return elf_fail(c, "%s", c->seg_err);
	if (!c->segments_ok)
		return 0;
	if (!(e->segs = calloc(c->phnum, sizeof(*e->segs))))
		return -ENOMEM;
	for (size_t i = 0; i < c->phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(c->elf, (int)i, &ph))
			return elf_libelf_fail(c, "program headers");
		e->segs[i] = (struct ocifs_elf_seg){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr,
						     ph.p_filesz, ph.p_memsz, ph.p_align };
		e->nsegs++;
	}
	return 0;
}

static const struct ocifs_elf_seg *elf_seg(const struct ocifs_elf *e, uint32_t type)
{
	for (size_t i = 0; i < e->nsegs; i++)
		if (e->segs[i].type == type)
			return &e->segs[i];
	return NULL;
}

static const struct ocifs_elf_sec *elf_sec_type(const struct ocifs_elf *e, uint32_t type)
{
	for (size_t i = 0; i < e->nsecs; i++)
		if (e->secs[i].type == type)
			return &e->secs[i];
	return NULL;
}

const struct ocifs_elf_sec *ocifs_elf_section(const struct ocifs_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nsecs; i++)
		if (strcmp(e->secs[i].name, name) == 0)
			return &e->secs[i];
	return NULL;
}

int ocifs_elf_vaddr_to_off(const struct ocifs_elf *e, uint64_t vaddr, uint64_t *off,
			   uint64_t *avail)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct ocifs_elf_seg *s = &e->segs[i];
		uint64_t d, end;

		if (s->type != PT_LOAD || vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		d = vaddr - s->vaddr;
		if (s->offset > e->size || d >= e->size - s->offset)
			continue;
		end = s->filesz < e->size - s->offset ? s->filesz : e->size - s->offset;
		*off = s->offset + d;
		*avail = end - d;
		return 0;
	}
	return -ENOENT;
}

int ocifs_elf_read_vaddr(const struct ocifs_elf *e, const struct ocifs_rd *rd, uint64_t vaddr,
			 void *buf, size_t n)
{
	uint64_t off, avail;

	if (ocifs_elf_vaddr_to_off(e, vaddr, &off, &avail) || n > avail)
		return -ENOENT;
	return ocifs_rd_full(rd, buf, n, off);
}

static int elf_interp(struct elf_ctx *c)
{
	const struct ocifs_elf_seg *s = elf_seg(c->e, PT_INTERP);
	char *buf;
	int rc;

	if (!s)
		return 0;
	rc = elf_read_alloc(c, s->offset, s->filesz, ELF_MAX_INTERP, "PT_INTERP", &buf);
	if (rc)
		return rc < 0 ? rc : 0;
	if (!buf[0]) {
		free(buf);
		return elf_fail(c, "empty PT_INTERP");
	}
	c->e->interp = buf;     /* cut at its first NUL */
	return 0;
}

/* A string at off in the dynamic string table, copied; -EBADMSG if off is
 * out of range or the string is not terminated within the table. */
static int elf_dynstr(struct elf_ctx *c, const char *tab, uint64_t len, uint64_t off, char **out)
{
	size_t n;

	if (off >= len)
		return elf_fail(c, "dynamic string offset %llu outside the table (%llu bytes)",
				(unsigned long long)off, (unsigned long long)len) ?: -EBADMSG;
	n = strnlen(tab + off, (size_t)(len - off));
	if (n == len - off)
		return elf_fail(c, "unterminated dynamic string at %llu", (unsigned long long)off) ?: -EBADMSG;
	*out = strndup(tab + off, n);
	return *out ? 0 : -ENOMEM;
}

static int elf_dyn_entries(struct elf_ctx *c, Elf_Data *data, struct elf_dyn *d)
{
	struct ocifs_elf *e = c->e;
	size_t n = data->d_size / gelf_fsize(c->elf, ELF_T_DYN, 1, EV_CURRENT), cap = 0;

	for (size_t i = 0; i < n; i++) {
		GElf_Dyn dyn;
		uint64_t val;

		if (!gelf_getdyn(data, (int)i, &dyn))
			return elf_libelf_fail(c, "dynamic section");
		val = dyn.d_un.d_val;
		switch (dyn.d_tag) {
		case DT_NULL:
			return 0;
		case DT_NEEDED:
			if (d->nneeded >= ELF_MAX_NEEDED)
				return elf_fail(c, "too many DT_NEEDED entries");
			if (d->nneeded == cap) {
				uint64_t *nv;

				cap = cap ? 2 * cap : 16;
				nv = realloc(d->needed, cap * sizeof(*nv));
				if (!nv)
					return -ENOMEM;
				d->needed = nv;
			}
			d->needed[d->nneeded++] = val;
			break;
		case DT_STRTAB: d->strtab = val; d->have_strtab = 1; break;
		case DT_STRSZ: d->strsz = val; d->have_strsz = 1; break;
		case DT_SONAME: d->soname = val; d->have_soname = 1; break;
		case DT_RPATH: d->rpath = val; d->have_rpath = 1; break;
		case DT_RUNPATH: d->runpath = val; d->have_runpath = 1; break;
		case DT_FLAGS: e->flags = val; break;
		case DT_FLAGS_1: e->flags_1 = val; break;
		default: break;
		}
	}
	return 0;
}

/* Locate the dynamic string table: DT_STRTAB through the PT_LOAD
 * segments, else the section the dynamic section links to, else .dynstr.
 * *tab points into the copy libelf reads. */
static int elf_dyn_strtab(struct elf_ctx *c, const struct elf_dyn *d,
			  const struct ocifs_elf_sec *dynsec, const char **tab, uint64_t *len)
{
	const struct ocifs_elf *e = c->e;
	const struct ocifs_elf_sec *s = NULL;
	uint64_t off, avail;
	int rc;

	if (d->have_strtab && ocifs_elf_vaddr_to_off(e, d->strtab, &off, &avail) == 0) {
		*len = d->have_strsz && d->strsz < avail ? d->strsz : avail;
		if (*len > ELF_MAX_STRTAB)
			*len = ELF_MAX_STRTAB;
	} else {
		if (dynsec && dynsec->link < e->nsecs && e->secs[dynsec->link].type == SHT_STRTAB)
			s = &e->secs[dynsec->link];
		if (!s)
			s = ocifs_elf_section(e, ".dynstr");
		if (!s || s->type == SHT_NOBITS)
			return elf_fail(c, "DT_STRTAB 0x%llx is in no segment and no .dynstr",
					(unsigned long long)d->strtab) ?: 1;
		off = s->offset;
		*len = s->size;
	}
	if ((rc = elf_fetch_checked(c, off, *len, ELF_MAX_STRTAB, "dynamic string table")))
		return rc;
	*tab = (const char *)c->m.p + off;
	return 0;
}

static int elf_dynamic(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	const struct ocifs_elf_seg *ps = elf_seg(e, PT_DYNAMIC);
	const struct ocifs_elf_sec *dynsec = elf_sec_type(e, SHT_DYNAMIC);
	size_t esz = gelf_fsize(c->elf, ELF_T_DYN, 1, EV_CURRENT);
	struct elf_dyn d = { 0 };
	const char *tab = NULL;
	Elf_Data *data;
	uint64_t off, len, tlen = 0;
	int rc;

	if (ps) {
		off = ps->offset;
		len = ps->filesz;
	} else if (dynsec && dynsec->type != SHT_NOBITS) {
		off = dynsec->offset;
		len = dynsec->size;
	} else {
		return 0;
	}
	if (len > ELF_MAX_DYNAMIC)
		len = ELF_MAX_DYNAMIC;  /* a real one ends with DT_NULL long before */
	rc = elf_fetch_checked(c, off, len, ELF_MAX_DYNAMIC, "dynamic section");
	if (rc)
		goto out;
	e->has_dynamic = 1;
	len -= len % esz;
	if (!len)
		goto out;
	if (!(data = elf_getdata_rawchunk(c->elf, (int64_t)off, (size_t)len, ELF_T_DYN))) {
		rc = elf_libelf_fail(c, "dynamic section");
		goto out;
	}
	rc = elf_dyn_entries(c, data, &d);
	if (rc)
		goto out;
	if (!d.nneeded && !d.have_soname && !d.have_rpath && !d.have_runpath)
		goto out;
	rc = elf_dyn_strtab(c, &d, dynsec, &tab, &tlen);
	if (rc)
		goto out;
	e->needed = calloc(d.nneeded ? d.nneeded : 1, sizeof(*e->needed));
	if (!e->needed) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < d.nneeded; i++) {
		rc = elf_dynstr(c, tab, tlen, d.needed[i], &e->needed[e->nneeded]);
		if (rc)
			goto out;
		e->nneeded++;
	}
	if (d.have_soname && (rc = elf_dynstr(c, tab, tlen, d.soname, &e->soname)))
		goto out;
	if (d.have_rpath && (rc = elf_dynstr(c, tab, tlen, d.rpath, &e->rpath)))
		goto out;
	if (d.have_runpath && (rc = elf_dynstr(c, tab, tlen, d.runpath, &e->runpath)))
		goto out;
out:
	free(d.needed);
	return rc == -ENOMEM ? rc : (rc < 0 && rc != -EBADMSG ? rc : 0);
}

static void elf_note(struct elf_ctx *c, const char *name, size_t namesz, uint32_t type,
		     const unsigned char *desc, size_t descsz)
{
	struct ocifs_elf *e = c->e;

	if (namesz == 4 && memcmp(name, "GNU", 4) == 0) {
		if (type == NT_GNU_BUILD_ID && descsz && !e->build_id[0])
			ocifs_hex_encode(e->build_id, desc, descsz < 32 ? descsz : 32);
		else if (type == NT_GNU_ABI_TAG)
			c->abi_tag = 1;
	} else if (namesz == 3 && memcmp(name, "Go", 3) == 0 && type == 4) {
		e->is_go = 1;   /* the Go linker's build ID note */
	}
}

/* One note area (a PT_NOTE segment or SHT_NOTE section), walked by
 * gelf_getnote. */
static int elf_notes(struct elf_ctx *c, uint64_t off, uint64_t len, uint64_t align)
{
	Elf_Data *data;
	size_t i = 0;
	int rc;

	if (len > ELF_MAX_NOTES)
		len = ELF_MAX_NOTES;
	rc = elf_fetch_checked(c, off, len, ELF_MAX_NOTES, "notes");
	if (rc || len < 12)
		return rc < 0 ? rc : 0;
	data = elf_getdata_rawchunk(c->elf, (int64_t)off, (size_t)len,
				    align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
	if (!data)
		return elf_libelf_fail(c, "notes");
	while (i < len && len - i >= 12) {
		size_t nameoff, descoff, next;
		GElf_Nhdr nh;

		next = gelf_getnote(data, i, &nh, &nameoff, &descoff);
		if (!next) {
			rc = elf_fail(c, "note at %llu runs past its area", (unsigned long long)(off + i));
			break;
		}
		elf_note(c, (const char *)data->d_buf + nameoff, nh.n_namesz, nh.n_type,
			 (const unsigned char *)data->d_buf + descoff, nh.n_descsz);
		i = next;
	}
	return rc;
}

static int elf_all_notes(struct elf_ctx *c)
{
	const struct ocifs_elf *e = c->e;
	int rc, any = 0;

	for (size_t i = 0; i < e->nsegs; i++) {
		const struct ocifs_elf_seg *s = &e->segs[i];

		if (s->type != PT_NOTE)
			continue;
		any = 1;
		if ((rc = elf_notes(c, s->offset, s->filesz, s->align)))
			return rc;
	}
	for (size_t i = 0; !any && i < e->nsecs; i++) {
		const struct ocifs_elf_sec *s = &e->secs[i];

		if (s->type == SHT_NOTE && (rc = elf_notes(c, s->offset, s->size, s->align)))
			return rc;
	}
	return 0;
}

static void elf_classify(struct ocifs_elf *e)
{
	int pie = (e->flags_1 & DF_1_PIE) != 0;

	if (e->type != ET_EXEC && e->type != ET_DYN)
		e->link = OCIFS_ELF_OBJECT_OTHER;
	else if (elf_seg(e, PT_INTERP))
		e->link = OCIFS_ELF_DYNAMIC;
	else if (e->type == ET_EXEC || !e->has_dynamic)
		e->link = OCIFS_ELF_STATIC;
	else if (pie && !e->nneeded)
		e->link = OCIFS_ELF_STATIC_PIE;    /* what file(1) calls static-pie */
	else if (!pie && !e->nneeded && !e->soname && e->entry)
		e->link = OCIFS_ELF_STATIC_PIE;    /* older linkers set no DF_1_PIE */
	else
		e->link = OCIFS_ELF_SHARED_LIB;
}

void ocifs_elf_fini(struct ocifs_elf *e)
{
	for (size_t i = 0; i < e->nneeded; i++)
		free(e->needed[i]);
	free(e->needed);
	free(e->interp);
	free(e->soname);
	free(e->rpath);
	free(e->runpath);
	free(e->segs);
	free(e->secs);
	free(e->shstrtab);
	free(e->error);
	memset(e, 0, sizeof(*e));
}

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;

static void elf_init_libelf(void)
{
	elf_version(EV_CURRENT);
}

/* Everything but the libc flavour, through libelf: >0 stop (e->error
 * says why), 0, -errno. */
static int elf_parse(struct elf_ctx *c)
{
	int rc;

	if ((rc = elf_header(c)) || (rc = elf_check_sections(c)) || (rc = elf_check_segments(c)) ||
	    (rc = elf_open(c)) || (rc = elf_sections(c)) || (rc = elf_segments(c)) ||
	    (rc = elf_interp(c)) || (rc = elf_dynamic(c)) || (rc = elf_all_notes(c)))
		return rc;
	return 0;
}

int ocifs_elf_analyze(const struct ocifs_rd *rd, struct ocifs_elf *out)
{
	struct elf_ctx c = { .rd = rd, .e = out };
	int rc;

	pthread_once(&elf_once, elf_init_libelf);
	memset(out, 0, sizeof(*out));
	out->size = rd->size;
	out->machine_name = "unknown";
	out->libc_how = "";
	out->link = OCIFS_ELF_OBJECT_OTHER;
	out->libc = OCIFS_LIBC_UNKNOWN;
	out->stripped = 1;
	rc = elf_parse(&c);
	elf_end(c.elf);
	elf_end(c.hdr);
	ocifs_elfmap_fini(&c.m);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (ocifs_elf_section(out, ".go.buildinfo") || ocifs_elf_section(out, ".gopclntab") ||
	    ocifs_elf_section(out, ".note.go.buildid"))
		out->is_go = 1;
	if (out->has_sections)
		out->stripped = elf_sec_type(out, SHT_SYMTAB) == NULL;
	elf_classify(out);
	return ocifs_elf_libc(&c);
}
