/* SPDX-License-Identifier: MIT */
/*
 * ELF analysis over a read callback. Only the headers and the tables they
 * point to are read, each with its own bounded read: the file header,
 * section and program headers, PT_INTERP, the dynamic section and its
 * string table, notes. Every offset, size and count comes from a hostile
 * file, so each is checked against the file size and a cap before use;
 * a bad table stops that part of the analysis and sets e->error, the
 * rest goes on. No libelf: nothing needs the whole file in memory.
 * The libc flavour is decided in scan/elflibc.c.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "elfinfo_priv.h"
#include "log.h"

#define ELF_MAX_PHNUM 65536u
#define ELF_MAX_SHNUM (1u << 20)
#define ELF_MAX_STRTAB (16u << 20)      /* .shstrtab, dynamic strings */
#define ELF_MAX_DYNAMIC (1u << 20)      /* bytes of the dynamic section */
#define ELF_MAX_NOTES (1u << 20)        /* bytes per note segment */
#define ELF_MAX_INTERP 4096u
#define ELF_MAX_NEEDED 4096u

/* Dynamic-section values before the string table is known. */
struct elf_dyn {
	uint64_t strtab, strsz, soname, rpath, runpath;
	int have_strtab, have_strsz, have_soname, have_rpath, have_runpath;
	uint64_t *needed;
	size_t nneeded;
};

uint64_t ocifs_elf_uint(const struct ocifs_elf *e, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	if (n != 2 && n != 4 && n != 8)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = e->data == ELFDATA2MSB ? i : n - 1 - i;
		v = (v << 8) | b[k];
	}
	return v;
}

/* Record why analysis stopped (the first reason wins) and log it once.
 * Returns -ENOMEM if the message cannot be kept, else 0. */
static int __attribute__((format(printf, 2, 3))) elf_fail(struct elf_ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->e->error)
		return 0;
	log_warn("%s: ELF: %s", c->rd->name ? c->rd->name : "?", msg);
	c->e->error = strdup(msg);
	return c->e->error ? 0 : -ENOMEM;
}

static int elf_in_file(const struct elf_ctx *c, uint64_t off, uint64_t n)
{
	return off <= c->e->size && n <= c->e->size - off;
}

/* elfinfo_priv.h */
int elf_read(struct elf_ctx *c, void *buf, size_t n, uint64_t off, const char *what)
{
	int rc = ocifs_rd_full(c->rd, buf, n, off);

	if (rc == -EIO) {
		rc = elf_fail(c, "truncated: short read of %s at %llu", what, (unsigned long long)off);
		return rc ? rc : 1;
	}
	return rc;
}

/* Allocate and read n bytes at off (NUL-terminated): 0, 1 if not read
 * (reason in e->error), -errno. */
static int elf_read_alloc(struct elf_ctx *c, uint64_t off, uint64_t n, uint64_t cap,
			  const char *what, char **out)
{
	char *buf;
	int rc;

	*out = NULL;
	if (n > cap)
		return elf_fail(c, "%s too large (%llu bytes)", what, (unsigned long long)n) ?: 1;
	if (!elf_in_file(c, off, n))
		return elf_fail(c, "truncated: %s at %llu+%llu past end of file", what,
				(unsigned long long)off, (unsigned long long)n) ?: 1;
	buf = malloc((size_t)n + 1);
	if (!buf)
		return -ENOMEM;
	rc = elf_read(c, buf, (size_t)n, off, what);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static const struct {
	unsigned em;
	const char *name;
} elf_machines[] = {
	{ EM_386, "i386" }, { EM_X86_64, "x86_64" }, { EM_AARCH64, "aarch64" }, { EM_ARM, "arm" },
	{ EM_PPC, "ppc" }, { EM_PPC64, "ppc64" }, { EM_S390, "s390" }, { EM_RISCV, "riscv" },
	{ EM_MIPS, "mips" }, { EM_LOONGARCH, "loongarch" }, { EM_SPARC, "sparc" },
	{ EM_SPARCV9, "sparc64" }, { EM_IA_64, "ia64" }, { EM_68K, "m68k" }, { EM_SH, "sh" },
	{ EM_ALPHA, "alpha" }, { EM_PARISC, "hppa" },
};

const char *ocifs_elf_machine_name(unsigned machine)
{
	for (size_t i = 0; i < sizeof(elf_machines) / sizeof(elf_machines[0]); i++)
		if (elf_machines[i].em == machine)
			return elf_machines[i].name;
	return "unknown";
}

/* The machine name refined by class and byte order where that is how
 * distributions name the architecture. */
static const char *elf_arch(const struct ocifs_elf *e)
{
	int le = e->data == ELFDATA2LSB, w64 = e->cls == 64;

	switch (e->machine) {
	case EM_PPC64: return le ? "ppc64le" : "ppc64";
	case EM_S390: return w64 ? "s390x" : "s390";
	case EM_RISCV: return w64 ? "riscv64" : "riscv32";
	case EM_MIPS: return w64 ? (le ? "mips64el" : "mips64") : (le ? "mipsel" : "mips");
	case EM_LOONGARCH: return w64 ? "loongarch64" : "loongarch32";
	case EM_ARM: return le ? "arm" : "armeb";
	default: return ocifs_elf_machine_name(e->machine);
	}
}

const char *ocifs_elf_link_name(enum ocifs_elf_link l)
{
	static const char *const names[] = { "static", "static-pie", "dynamic", "shared-lib" };

	return (unsigned)l < 4 ? names[l] : "other";
}

const char *ocifs_libc_name(enum ocifs_libc c)
{
	static const char *const names[] = { "none", "glibc", "musl" };

	return (unsigned)c < 3 ? names[c] : "unknown";
}

/* The file header: -EINVAL (not ELF), 1 (stop: e->error), 0, -errno. */
static int elf_header(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	unsigned char h[64];
	size_t n = e->size < sizeof(h) ? (size_t)e->size : sizeof(h), hsz, x;
	int rc;

	if (n < EI_NIDENT)
		return -EINVAL;
	rc = ocifs_rd_full(c->rd, h, n, 0);
	if (rc)
		return rc == -EIO ? -EINVAL : rc;
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
	e->type = (unsigned)ocifs_elf_uint(e, h + 16, 2);
	e->machine = (unsigned)ocifs_elf_uint(e, h + 18, 2);
	e->machine_name = elf_arch(e);
	if (e->cls == 64) {
		e->entry = ocifs_elf_uint(e, h + 24, 8);
		c->phoff = ocifs_elf_uint(e, h + 32, 8);
		c->shoff = ocifs_elf_uint(e, h + 40, 8);
		x = 54;         /* offset of e_phentsize */
	} else {
		e->entry = ocifs_elf_uint(e, h + 24, 4);
		c->phoff = ocifs_elf_uint(e, h + 28, 4);
		c->shoff = ocifs_elf_uint(e, h + 32, 4);
		x = 42;
	}
	c->phentsize = (unsigned)ocifs_elf_uint(e, h + x, 2);
	c->phnum = (size_t)ocifs_elf_uint(e, h + x + 2, 2);
	c->shentsize = (unsigned)ocifs_elf_uint(e, h + x + 4, 2);
	c->shnum = (size_t)ocifs_elf_uint(e, h + x + 6, 2);
	c->shstrndx = (unsigned)ocifs_elf_uint(e, h + x + 8, 2);
	return 0;
}

static void elf_parse_shdr(const struct ocifs_elf *e, const unsigned char *p, struct ocifs_elf_sec *s,
			   uint32_t *name)
{
	int w = e->cls == 64 ? 8 : 4;

	*name = (uint32_t)ocifs_elf_uint(e, p, 4);
	s->type = (uint32_t)ocifs_elf_uint(e, p + 4, 4);
	s->flags = ocifs_elf_uint(e, p + 8, w);
	s->addr = ocifs_elf_uint(e, p + 8 + w, w);
	s->offset = ocifs_elf_uint(e, p + 8 + 2 * w, w);
	s->size = ocifs_elf_uint(e, p + 8 + 3 * w, w);
	s->link = (uint32_t)ocifs_elf_uint(e, p + 8 + 4 * w, 4);
	s->info = (uint32_t)ocifs_elf_uint(e, p + 12 + 4 * w, 4);
	s->align = ocifs_elf_uint(e, p + 16 + 4 * w, w);
	s->entsize = ocifs_elf_uint(e, p + 16 + 5 * w, w);
}

/* Section headers and names. Also resolves extended numbering (e_shnum
 * 0, e_phnum PN_XNUM, e_shstrndx SHN_XINDEX) from section 0. */
static int elf_sections(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	size_t esz = e->cls == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	unsigned char *raw = NULL;
	uint32_t *names = NULL;
	struct ocifs_elf_sec s0;
	uint32_t nm;
	int rc;

	if (!c->shoff)
		return 0;
	if (c->shentsize != esz)
		return elf_fail(c, "bad e_shentsize %u", c->shentsize);
	if (!elf_in_file(c, c->shoff, esz))
		return elf_fail(c, "truncated: section headers at %llu past end of file",
				(unsigned long long)c->shoff);
	raw = malloc(esz);
	if (!raw)
		return -ENOMEM;
	rc = elf_read(c, raw, esz, c->shoff, "section header 0");
	if (rc)
		goto out;
	elf_parse_shdr(e, raw, &s0, &nm);
	if (c->shnum == 0)
		c->shnum = s0.size > ELF_MAX_SHNUM ? ELF_MAX_SHNUM + 1 : (size_t)s0.size;
	if (c->phnum == PN_XNUM) {
		c->phnum = s0.info;
		if (s0.info < PN_XNUM && (rc = elf_fail(c, "bad extended e_phnum %u", s0.info)))
			goto out;
	}
	if (c->shstrndx == SHN_XINDEX)
		c->shstrndx = s0.link;
	free(raw);
	raw = NULL;
	if (c->shnum == 0)
		goto out;       /* e_shoff set, but no sections */
	if (c->shnum > ELF_MAX_SHNUM) {
		rc = elf_fail(c, "too many sections (%zu)", c->shnum);
		goto out;
	}
	if (!elf_in_file(c, c->shoff, (uint64_t)c->shnum * esz)) {
		rc = elf_fail(c, "truncated: %zu section headers at %llu past end of file", c->shnum,
			      (unsigned long long)c->shoff);
		goto out;
	}
	raw = malloc(c->shnum * esz);
	e->secs = calloc(c->shnum, sizeof(*e->secs));
	names = calloc(c->shnum, sizeof(*names));
	if (!raw || !e->secs || !names) {
		rc = -ENOMEM;
		goto out;
	}
	rc = elf_read(c, raw, c->shnum * esz, c->shoff, "section headers");
	if (rc)
		goto out;
	e->nsecs = c->shnum;
	for (size_t i = 0; i < e->nsecs; i++) {
		elf_parse_shdr(e, raw + i * esz, &e->secs[i], &names[i]);
		e->secs[i].name = "";
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
	free(raw);
	free(names);
	return rc < 0 ? rc : 0;
}

static int elf_segments(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	size_t esz = e->cls == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned char *raw;
	int rc;

	if (!c->phoff || !c->phnum)
		return 0;
	if (c->phentsize != esz)
		return elf_fail(c, "bad e_phentsize %u", c->phentsize);
	if (c->phnum > ELF_MAX_PHNUM)
		return elf_fail(c, "too many program headers (%zu)", c->phnum);
	if (!elf_in_file(c, c->phoff, (uint64_t)c->phnum * esz))
		return elf_fail(c, "truncated: %zu program headers at %llu past end of file",
				c->phnum, (unsigned long long)c->phoff);
	raw = malloc(c->phnum * esz);
	e->segs = calloc(c->phnum, sizeof(*e->segs));
	if (!raw || !e->segs) {
		free(raw);
		return -ENOMEM;
	}
	rc = elf_read(c, raw, c->phnum * esz, c->phoff, "program headers");
	if (rc) {
		free(raw);
		return rc < 0 ? rc : 0;
	}
	e->nsegs = c->phnum;
	for (size_t i = 0; i < e->nsegs; i++) {
		const unsigned char *p = raw + i * esz;
		struct ocifs_elf_seg *s = &e->segs[i];

		s->type = (uint32_t)ocifs_elf_uint(e, p, 4);
		if (e->cls == 64) {
			s->flags = (uint32_t)ocifs_elf_uint(e, p + 4, 4);
			s->offset = ocifs_elf_uint(e, p + 8, 8);
			s->vaddr = ocifs_elf_uint(e, p + 16, 8);
			s->filesz = ocifs_elf_uint(e, p + 32, 8);
			s->memsz = ocifs_elf_uint(e, p + 40, 8);
			s->align = ocifs_elf_uint(e, p + 48, 8);
		} else {
			s->offset = ocifs_elf_uint(e, p + 4, 4);
			s->vaddr = ocifs_elf_uint(e, p + 8, 4);
			s->filesz = ocifs_elf_uint(e, p + 16, 4);
			s->memsz = ocifs_elf_uint(e, p + 20, 4);
			s->flags = (uint32_t)ocifs_elf_uint(e, p + 24, 4);
			s->align = ocifs_elf_uint(e, p + 28, 4);
		}
	}
	free(raw);
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

static int elf_dyn_entries(struct elf_ctx *c, const unsigned char *p, uint64_t len, struct elf_dyn *d)
{
	struct ocifs_elf *e = c->e;
	size_t w = e->cls == 64 ? 8 : 4, cap = 0;

	for (uint64_t i = 0; i + 2 * w <= len; i += 2 * w) {
		uint64_t tag = ocifs_elf_uint(e, p + i, w), val = ocifs_elf_uint(e, p + i + w, w);

		switch (tag) {
		case DT_NULL:
			return 0;
		case DT_NEEDED:
			if (d->nneeded >= ELF_MAX_NEEDED)
				return elf_fail(c, "too many DT_NEEDED entries");
			if (d->nneeded == cap) {
				uint64_t *n;

				cap = cap ? 2 * cap : 16;
				n = realloc(d->needed, cap * sizeof(*n));
				if (!n)
					return -ENOMEM;
				d->needed = n;
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
 * segments, else the section the dynamic section links to, else .dynstr. */
static int elf_dyn_strtab(struct elf_ctx *c, const struct elf_dyn *d,
			  const struct ocifs_elf_sec *dynsec, char **tab, uint64_t *len)
{
	const struct ocifs_elf *e = c->e;
	const struct ocifs_elf_sec *s = NULL;
	uint64_t off, avail;

	if (d->have_strtab && ocifs_elf_vaddr_to_off(e, d->strtab, &off, &avail) == 0) {
		*len = d->have_strsz && d->strsz < avail ? d->strsz : avail;
		if (*len > ELF_MAX_STRTAB)
			*len = ELF_MAX_STRTAB;
		return elf_read_alloc(c, off, *len, ELF_MAX_STRTAB, "dynamic string table", tab);
	}
	if (dynsec && dynsec->link < e->nsecs && e->secs[dynsec->link].type == SHT_STRTAB)
		s = &e->secs[dynsec->link];
	if (!s)
		s = ocifs_elf_section(e, ".dynstr");
	if (!s || s->type == SHT_NOBITS)
		return elf_fail(c, "DT_STRTAB 0x%llx is in no segment and no .dynstr",
				(unsigned long long)d->strtab) ?: 1;
	*len = s->size;
	return elf_read_alloc(c, s->offset, s->size, ELF_MAX_STRTAB, "dynamic string table", tab);
}

static int elf_dynamic(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	const struct ocifs_elf_seg *ps = elf_seg(e, PT_DYNAMIC);
	const struct ocifs_elf_sec *dynsec = elf_sec_type(e, SHT_DYNAMIC);
	struct elf_dyn d = { 0 };
	char *raw = NULL, *tab = NULL;
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
	rc = elf_read_alloc(c, off, len, ELF_MAX_DYNAMIC, "dynamic section", &raw);
	if (rc)
		goto out;
	e->has_dynamic = 1;
	rc = elf_dyn_entries(c, (unsigned char *)raw, len, &d);
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
	free(raw);
	free(tab);
	free(d.needed);
	return rc == -ENOMEM ? rc : (rc < 0 && rc != -EBADMSG ? rc : 0);
}

static void elf_note(struct elf_ctx *c, const char *name, size_t namesz, uint32_t type,
		     const unsigned char *desc, size_t descsz)
{
	struct ocifs_elf *e = c->e;

	if (namesz == 4 && memcmp(name, "GNU", 4) == 0) {
		if (type == NT_GNU_BUILD_ID && descsz && !e->build_id[0]) {
			static const char hex[] = "0123456789abcdef";

			for (size_t i = 0; i < descsz && i < 32; i++) {
				e->build_id[2 * i] = hex[desc[i] >> 4];
				e->build_id[2 * i + 1] = hex[desc[i] & 15];
			}
		} else if (type == NT_GNU_ABI_TAG) {
			c->abi_tag = 1;
		}
	} else if (namesz == 3 && memcmp(name, "Go", 3) == 0 && type == 4) {
		e->is_go = 1;   /* the Go linker's build ID note */
	}
}

/* One note area (a PT_NOTE segment or SHT_NOTE section). */
static int elf_notes(struct elf_ctx *c, uint64_t off, uint64_t len, uint64_t align)
{
	size_t a = align == 8 ? 8 : 4;
	const unsigned char *buf;
	char *raw;
	uint64_t i = 0;
	int rc;

	if (len > ELF_MAX_NOTES)
		len = ELF_MAX_NOTES;
	rc = elf_read_alloc(c, off, len, ELF_MAX_NOTES, "notes", &raw);
	if (rc)
		return rc < 0 ? rc : 0;
	buf = (const unsigned char *)raw;
	while (i < len && len - i >= 12) {
		uint64_t namesz = ocifs_elf_uint(c->e, buf + i, 4);
		uint64_t descsz = ocifs_elf_uint(c->e, buf + i + 4, 4);
		uint32_t type = (uint32_t)ocifs_elf_uint(c->e, buf + i + 8, 4);
		uint64_t nameoff = i + 12, descoff = (nameoff + namesz + a - 1) & ~(uint64_t)(a - 1);

		if (descoff > len || descsz > len - descoff) {
			rc = elf_fail(c, "note at %llu runs past its area", (unsigned long long)(off + i));
			break;
		}
		elf_note(c, raw + nameoff, (size_t)namesz, type, buf + descoff,
			 (size_t)descsz);
		i = (descoff + descsz + a - 1) & ~(uint64_t)(a - 1);
	}
	free(raw);
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

int ocifs_elf_analyze(const struct ocifs_rd *rd, struct ocifs_elf *out)
{
	struct elf_ctx c = { .rd = rd, .e = out };
	int rc;

	memset(out, 0, sizeof(*out));
	out->size = rd->size;
	out->machine_name = "unknown";
	out->libc_how = "";
	out->link = OCIFS_ELF_OBJECT_OTHER;
	out->libc = OCIFS_LIBC_UNKNOWN;
	out->stripped = 1;
	rc = elf_header(&c);
	if (rc)
		return rc > 0 ? 0 : rc;
	if ((rc = elf_sections(&c)) || (rc = elf_segments(&c)) || (rc = elf_interp(&c)) ||
	    (rc = elf_dynamic(&c)) || (rc = elf_all_notes(&c)))
		return rc;
	if (ocifs_elf_section(out, ".go.buildinfo") || ocifs_elf_section(out, ".gopclntab") ||
	    ocifs_elf_section(out, ".note.go.buildid"))
		out->is_go = 1;
	if (out->has_sections)
		out->stripped = elf_sec_type(out, SHT_SYMTAB) == NULL;
	elf_classify(out);
	return elf_libc(&c);
}
