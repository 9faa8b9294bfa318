/* SPDX-License-Identifier: MIT */
/*
 * ELF analysis checked against readelf(1) and file(1) on binaries that
 * tests/gen/mkbins.sh builds (gcc dynamic/static/static-pie, a shared
 * library, RPATH/RUNPATH, stripped, no section headers, musl, Go) and on
 * real binaries of this machine; then hostile inputs (truncations, byte
 * flips, huge counts, tables past EOF) must never crash or hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfinfo.h"
#include "log.h"
#include "tap.h"

struct want {
	char *needed[64];
	size_t nneeded;
	char soname[256], rpath[512], runpath[512], interp[256], build_id[80], cls[16];
	char link[32];  /* from file(1) */
};

static void want_free(struct want *w)
{
	for (size_t i = 0; i < w->nneeded; i++)
		free(w->needed[i]);
}

/* The text between "[" and "]" after key in line, into out. */
static int bracket(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = strstr(line, key), *q;

	if (!p || !(p = strchr(p, '[')) || !(q = strrchr(p, ']')))
		return 0;
	snprintf(out, cap, "%.*s", (int)(q - p - 1), p + 1);
	return 1;
}

static int readelf_want(const char *path, struct want *w)
{
	char cmd[1024], line[2048], buf[512];
	const char *q;
	FILE *p;

	memset(w, 0, sizeof(*w));
	snprintf(cmd, sizeof(cmd), "readelf -W -h -l -d -n '%s' 2>/dev/null", path);
	if (!(p = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "(NEEDED)") && bracket(line, "Shared library:", buf, sizeof(buf)) &&
		    w->nneeded < 64)
			w->needed[w->nneeded++] = strdup(buf);
		else if (strstr(line, "(SONAME)"))
			bracket(line, "soname:", w->soname, sizeof(w->soname));
		else if (strstr(line, "(RPATH)"))
			bracket(line, "rpath:", w->rpath, sizeof(w->rpath));
		else if (strstr(line, "(RUNPATH)"))
			bracket(line, "runpath:", w->runpath, sizeof(w->runpath));
		else if ((q = strstr(line, "Requesting program interpreter: ")))
			snprintf(w->interp, sizeof(w->interp), "%.*s", (int)strcspn(q + 32, "]"), q + 32);
		else if (strstr(line, "Build ID:"))
			sscanf(strstr(line, "Build ID:") + 9, " %79s", w->build_id);
		else if (strstr(line, "Class:"))
			sscanf(strstr(line, "Class:") + 6, " %15s", w->cls);
	}
	pclose(p);
	snprintf(cmd, sizeof(cmd), "file -b '%s' 2>/dev/null", path);
	if ((p = popen(cmd, "r")) && fgets(line, sizeof(line), p)) {
		if (strstr(line, "static-pie linked"))
			strcpy(w->link, "static-pie");
		else if (strstr(line, "statically linked"))
			strcpy(w->link, "static");
		else if (strstr(line, "shared object") && !strstr(line, "interpreter"))
			strcpy(w->link, "shared-lib");
		else if (strstr(line, "dynamically linked"))
			strcpy(w->link, "dynamic");
	}
	if (p)
		pclose(p);
	return 0;
}

static int analyze_path(const char *path, struct ocifs_elf *e)
{
	int fd = open(path, O_RDONLY), rc;
	struct stat st;
	struct ocifs_rd rd = { .read_at = ocifs_rd_fd_read, .name = path };

	memset(e, 0, sizeof(*e));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	rd.ctx = &fd;
	rd.size = (uint64_t)st.st_size;
	rc = ocifs_elf_analyze(&rd, e);
	close(fd);
	return rc;
}

/* A file of 1 GiB: the bytes of a real ELF, then zeros; counts what is
 * read. */
struct big_file {
	const unsigned char *p;
	size_t len;
	uint64_t read;
};

static int big_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct big_file *b = ctx;

	memset(buf, 0, n);
	if (off < b->len)
		memcpy(buf, b->p + off, n < b->len - off ? n : (size_t)(b->len - off));
	b->read += n;
	*got = n;
	return 0;
}

/* A big file is analysed in place: only its headers and tables are read,
 * and memory does not grow with its size; the result is the small
 * file's. */
static void check_in_place(const char *path)
{
	struct ocifs_elf small, big;
	struct big_file b = { 0 };
	struct ocifs_rd rd = { big_read, &b, 1ull << 30, "big", NULL };
	struct rusage r0, r1;
	FILE *f = fopen(path, "rb");
	unsigned char *p = malloc(1u << 22);
	int rc;

	if (!f || !p || !(b.len = fread(p, 1, 1u << 22, f)) || analyze_path(path, &small)) {
		ok(0, "in place: read %s", path);
		goto out;
	}
	b.p = p;
	getrusage(RUSAGE_SELF, &r0);
	rc = ocifs_elf_analyze(&rd, &big);
	getrusage(RUSAGE_SELF, &r1);
	ok(rc == 0 && !big.error && big.nneeded == small.nneeded && big.nneeded &&
	   !strcmp(big.needed[0], small.needed[0]) && !strcmp(big.build_id, small.build_id) &&
	   big.link == small.link && big.nsecs == small.nsecs,
	   "in place: 1 GiB file analysed like the file it starts with");
	ok(b.read < (1u << 20), "in place: %llu bytes read of 1 GiB", (unsigned long long)b.read);
	ok(r1.ru_maxrss - r0.ru_maxrss < 32 * 1024, "in place: peak RSS grew by %ld KiB",
	   r1.ru_maxrss - r0.ru_maxrss);
	ocifs_elf_fini(&big);
	ocifs_elf_fini(&small);
out:
	if (f)
		fclose(f);
	free(p);
}

/* Analyze path and compare with readelf/file output of ref (usually the
 * same file; the original for a copy without section headers). */
static void check_bin(const char *path, const char *ref, const char *label, const char *libc,
		      int optional)
{
	struct ocifs_elf e;
	struct want w;
	int rc;

	if (access(path, R_OK) != 0) {
		if (tap_in_ci() && !optional)
			ok(0, "%s: %s missing", label, path);
		else
			skip("%s: %s not built", label, path);
		return;
	}
	readelf_want(ref, &w);
	rc = analyze_path(path, &e);
	is_int(rc, 0, "%s: analyze", label);
	is_str(e.error, NULL, "%s: no error", label);
	is_int(e.cls, strcmp(w.cls, "ELF32") == 0 ? 32 : 64, "%s: class %s", label, w.cls);
	is_int(e.nneeded, w.nneeded, "%s: %zu NEEDED", label, w.nneeded);
	for (size_t i = 0; i < w.nneeded && i < e.nneeded; i++)
		is_str(e.needed[i], w.needed[i], "%s: NEEDED[%zu]", label, i);
	is_str(e.soname, w.soname[0] ? w.soname : NULL, "%s: SONAME", label);
	is_str(e.rpath, w.rpath[0] ? w.rpath : NULL, "%s: RPATH", label);
	is_str(e.runpath, w.runpath[0] ? w.runpath : NULL, "%s: RUNPATH", label);
	is_str(e.interp, w.interp[0] ? w.interp : NULL, "%s: interpreter", label);
	is_str(e.build_id, w.build_id, "%s: build-id", label);
	if (w.link[0])
		is_str(ocifs_elf_link_name(e.link), w.link, "%s: link type as file(1)", label);
	if (libc)
		is_str(ocifs_libc_name(e.libc), libc, "%s: libc (%s)", label, e.libc_how);
	diag("%s: %s %s %s libc=%s stripped=%d sections=%d go=%d", label, e.machine_name,
	     ocifs_elf_link_name(e.link), e.interp ? e.interp : "-", ocifs_libc_name(e.libc),
	     e.stripped, e.has_sections, e.is_go);
	want_free(&w);
	ocifs_elf_fini(&e);
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The two analyses agree on everything deps.json shows of them. */
static int same_elf(const struct ocifs_elf *a, const struct ocifs_elf *b)
{
	int same = a->link == b->link && a->libc == b->libc && a->nneeded == b->nneeded &&
		   a->nsecs == b->nsecs && a->nsegs == b->nsegs && a->stripped == b->stripped &&
		   a->is_go == b->is_go && same_str(a->interp, b->interp) &&
		   same_str(a->soname, b->soname) && same_str(a->rpath, b->rpath) &&
		   same_str(a->runpath, b->runpath) && same_str(a->error, b->error) &&
		   strcmp(a->build_id, b->build_id) == 0;

	for (size_t i = 0; same && i < a->nneeded; i++)
		same = same_str(a->needed[i], b->needed[i]);
	return same;
}

static size_t borrowed_diff; /* mutants whose in-memory analysis differed */

/* Analyze a buffer: 1 if the result is acceptable for hostile input.
 * Twice: through the reader alone (a sparse copy), and with the bytes
 * in memory (rd.mem: libelf reads them in place), which must give the
 * same result and leave the bytes as they were. */
static int mem_ok(const unsigned char *p, size_t len, struct ocifs_elf *e)
{
	struct ocifs_rd_mem m = { p, len };
	struct ocifs_rd rd = { .read_at = ocifs_rd_mem_read, .ctx = &m, .size = len, .name = "mutant" };
	unsigned char *copy = malloc(len ? len : 1);
	struct ocifs_elf e2;
	int rc = ocifs_elf_analyze(&rd, e), rc2;

	if (!copy)
		abort();
	memcpy(copy, p, len);
	m.p = copy;
	rd.mem = copy;
	rc2 = ocifs_elf_analyze(&rd, &e2);
	if (rc2 != rc || memcmp(copy, p, len) != 0 || !same_elf(e, &e2))
		borrowed_diff++;
	ocifs_elf_fini(&e2);
	free(copy);
	return rc == 0 || rc == -EINVAL;
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void hostile(const char *path, const char *label)
{
	size_t len, bad = 0, n = 0;
	unsigned char *orig = tap_slurp(path, &len), *b;
	struct ocifs_elf e;
	uint64_t seed = 0x5eed1234abcdULL;
	int good;
	size_t orig_needed, step = len / 4000 > 61 ? len / 4000 : 61;
	int mutants = getenv("OCIFS_ELF_MUTANTS") ? atoi(getenv("OCIFS_ELF_MUTANTS")) : 400;
	enum ocifs_elf_link orig_link;

	if (!orig || len < 4096) {
		skip("%s: hostile inputs (no %s)", label, path);
		free(orig);
		return;
	}
	b = malloc(len);
	mem_ok(orig, len, &e);
	orig_needed = e.nneeded;
	orig_link = e.link;
	ocifs_elf_fini(&e);
	/* Truncations: every byte of the first 1 KiB, then some 4000 more. */
	for (size_t cut = 0; cut < len; cut += cut < 1024 ? 1 : step, n++) {
		bad += !mem_ok(orig, cut, &e);
		ocifs_elf_fini(&e);
	}
	is_int(bad, 0, "%s: %zu truncations handled", label, n);
	bad = n = 0;
	/* Byte flips, mostly in the headers and the section header table. */
	for (int m = 0; m < mutants; m++, n++) {
		memcpy(b, orig, len);
		for (int k = 0; k < 1 + m % 8; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t at = (seed >> 33) % (k & 1 ? len : 1024);       /* len >= 4096 */
			if (m % 3 == 0)
				at = len - 1 - (seed >> 20) % 2048;
			b[at] ^= (unsigned char)(1u << ((seed >> 13) & 7)) | (unsigned char)(seed >> 50);
		}
		bad += !mem_ok(b, len, &e);
		ocifs_elf_fini(&e);
	}
	is_int(bad, 0, "%s: %zu byte-flip mutants handled", label, n);

	/* Huge counts and tables past EOF (ELF64 LE offsets). */
	memcpy(b, orig, len);
	put16(b + 56, 0xffff);
	good = mem_ok(b, len, &e);
	ok(good && e.error, "%s: e_phnum 0xffff -> error \"%s\"", label, e.error ? e.error : "");
	ocifs_elf_fini(&e);
	memcpy(b, orig, len);
	put16(b + 56, 0xfffe);
	good = mem_ok(b, len, &e);
	ok(good && e.error, "%s: e_phnum 0xfffe -> error \"%s\"", label, e.error ? e.error : "");
	ocifs_elf_fini(&e);
	memcpy(b, orig, len);
	put16(b + 60, 0xfffe);
	ok(mem_ok(b, len, &e) && e.error && !e.has_sections, "%s: e_shnum 0xfffe -> error", label);
	ocifs_elf_fini(&e);
	memcpy(b, orig, len);
	put64(b + 40, (uint64_t)len - 10);
	ok(mem_ok(b, len, &e) && e.error && !e.has_sections, "%s: shdrs past EOF -> error", label);
	ocifs_elf_fini(&e);
	memcpy(b, orig, len);
	put16(b + 60, 0);       /* e_shnum 0, section 0's sh_size 0: no sections */
	good = mem_ok(b, len, &e);
	ok(good && !e.has_sections && e.link == orig_link, "%s: e_shnum 0 -> no sections", label);
	ocifs_elf_fini(&e);
	memcpy(b, orig, len);
	put64(b + 40, 0);
	put16(b + 60, 0);
	put16(b + 62, 0);
	ok(mem_ok(b, len, &e) && !e.error && e.nneeded == orig_needed && e.link == orig_link,
	   "%s: no section headers: same NEEDED and link type", label);
	/* Point DT_STRTAB outside every segment (no sections to fall back on). */
	for (size_t i = 0; i < e.nsegs; i++) {
		const struct ocifs_elf_seg *s = &e.segs[i];
		if (s->type != 2 /* PT_DYNAMIC */ || s->offset + s->filesz > len)
			continue;
		for (uint64_t o = s->offset; o + 16 <= s->offset + s->filesz; o += 16)
			if (b[o] == 5 /* DT_STRTAB */ && !memcmp(b + o + 1, "\0\0\0\0\0\0\0", 7))
				put64(b + o + 8, 0x7fff00000000ULL);
	}
	ocifs_elf_fini(&e);
	if (orig_needed) {
		good = mem_ok(b, len, &e);
		ok(good && e.error && e.nneeded == 0,
		   "%s: DT_STRTAB outside segments -> error \"%s\"", label, e.error ? e.error : "");
		ocifs_elf_fini(&e);
	} else {
		diag("%s: no NEEDED entries, so no DT_STRTAB test", label);
	}
	/* Not ELF at all. */
	memcpy(b, "\x7f" "ELG", 4);
	is_int(ocifs_elf_analyze(&(struct ocifs_rd){ .read_at = ocifs_rd_mem_read,
		.ctx = &(struct ocifs_rd_mem){ b, len }, .size = len, .name = "x" }, &e),
	       -EINVAL, "%s: bad magic -> -EINVAL", label);
	ocifs_elf_fini(&e);
	free(b);
	free(orig);
}

/* A minimal hand-made ELF of either class and byte order: PT_LOAD over
 * the whole file at 0x10000, PT_INTERP, PT_DYNAMIC (NEEDED libc.so.6,
 * RUNPATH /x, STRTAB, STRSZ, FLAGS_1 PIE) and a build-id note. */
static size_t craft(unsigned char *b, int cls, int msb, unsigned machine)
{
	size_t w = cls == 64 ? 8 : 4, eh = cls == 64 ? 64 : 52, ph = cls == 64 ? 56 : 32;
	size_t php = eh, interp = php + 4 * ph, str = interp + 32, dyn = str + 32, note = dyn + 7 * 2 * w;
	size_t end = note + 16 + 8;
	const uint64_t base = 0x10000;
#define PUT(off, v, n)                                                                  \
	do {                                                                            \
		for (size_t i_ = 0; i_ < (n); i_++)                                     \
			b[(off) + i_] = (unsigned char)((uint64_t)(v) >> (8 * (msb ? (n) - 1 - i_ : i_))); \
	} while (0)
	memset(b, 0, end);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = cls == 64 ? 2 : 1;
	b[5] = msb ? 2 : 1;
	b[6] = 1;
	PUT(16, 3, 2);                  /* ET_DYN */
	PUT(18, machine, 2);
	PUT(20, 1, 4);
	PUT(24, base + 0x100, w);       /* e_entry */
	PUT(24 + w, php, w);            /* e_phoff */
	size_t x = 24 + 3 * w + 4;      /* e_ehsize */
	PUT(x, eh, 2);
	PUT(x + 2, ph, 2);
	PUT(x + 4, 4, 2);               /* e_phnum */
	static const uint32_t types[4] = { 1, 3, 2, 4 }; /* LOAD INTERP DYNAMIC NOTE */
	const size_t offs[4] = { 0, interp, dyn, note }, szs[4] = { end, 28, 7 * 2 * w, 24 };
	for (int i = 0; i < 4; i++) {
		size_t p = php + (size_t)i * ph;
		PUT(p, types[i], 4);
		if (cls == 64) {
			PUT(p + 4, 5, 4);
			PUT(p + 8, offs[i], 8);
			PUT(p + 16, base + offs[i], 8);
			PUT(p + 32, szs[i], 8);
			PUT(p + 40, szs[i], 8);
			PUT(p + 48, 4, 8);
		} else {
			PUT(p + 4, offs[i], 4);
			PUT(p + 8, base + offs[i], 4);
			PUT(p + 16, szs[i], 4);
			PUT(p + 20, szs[i], 4);
			PUT(p + 24, 5, 4);
			PUT(p + 28, 4, 4);
		}
	}
	strcpy((char *)b + interp, "/lib/ld-linux-test.so.1");
	memcpy(b + str, "\0libc.so.6\0/x\0", 14);
	const uint64_t dt[7][2] = { { 1, 1 }, { 29, 11 }, { 5, base + str }, { 10, 14 },
				    { 0x6ffffffb, 0x08000000 }, { 0, 0 }, { 0, 0 } };
	for (int i = 0; i < 7; i++) {
		PUT(dyn + (size_t)i * 2 * w, dt[i][0], w);
		PUT(dyn + (size_t)i * 2 * w + w, dt[i][1], w);
	}
	PUT(note, 4, 4);
	PUT(note + 4, 8, 4);
	PUT(note + 8, 3, 4);            /* NT_GNU_BUILD_ID */
	memcpy(b + note + 12, "GNU", 4);
	memcpy(b + note + 16, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
#undef PUT
	return end;
}

static void check_crafted(int cls, int msb, unsigned machine, const char *arch)
{
	unsigned char b[1024];
	size_t len = craft(b, cls, msb, machine);
	struct ocifs_elf e;
	const char *label = arch;

	ok(mem_ok(b, len, &e) && !e.error, "%s: crafted ELF%d %s analyzed", label, cls, msb ? "MSB" : "LSB");
	is_int(e.cls, cls, "%s: class", label);
	is_str(e.machine_name, arch, "%s: machine name", label);
	is_str(e.interp, "/lib/ld-linux-test.so.1", "%s: interp", label);
	is_int(e.nneeded, 1, "%s: one NEEDED", label);
	if (e.nneeded == 1)
		is_str(e.needed[0], "libc.so.6", "%s: NEEDED", label);
	is_str(e.runpath, "/x", "%s: RUNPATH", label);
	is_int(e.flags_1, 0x08000000, "%s: FLAGS_1", label);
	is_str(e.build_id, "0123456789abcdef", "%s: build-id", label);
	is_str(ocifs_elf_link_name(e.link), "dynamic", "%s: dynamic", label);
	is_str(ocifs_libc_name(e.libc), "glibc", "%s: glibc by NEEDED", label);
	ok(e.stripped && !e.has_sections, "%s: no sections, stripped", label);
	ocifs_elf_fini(&e);
}

static int find_go(char *out, size_t cap)
{
	FILE *p = popen("readlink -f \"$(command -v go)\" 2>/dev/null", "r");
	int found = p && fgets(out, (int)cap, p) != NULL;

	if (p)
		pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return found && out[0] == '/';
}

int main(void)
{
	const char *srcdir = getenv("OCIFS_SRCDIR");
	char dir[] = "/tmp/ocifs-elf-XXXXXX", cmd[1024], p[1200], r[1200];
	static const struct {
		const char *name, *ref, *libc;
		int optional;   /* skipped even in CI when the toolchain lacks it */
	} bins[] = {
		{ "dyn", NULL, "glibc", 0 }, { "nopie", NULL, "glibc", 0 }, { "static", NULL, "glibc", 0 },
		{ "static-pie", NULL, "glibc", 0 }, { "static-stripped", NULL, "glibc", 0 },
		{ "libocifst.so.1", NULL, NULL, 0 }, { "rpath", NULL, "glibc", 0 },
		{ "runpath", NULL, "glibc", 0 }, { "dyn-stripped", NULL, "glibc", 0 },
		{ "dyn-noshdr", "dyn", "glibc", 0 }, { "musl-static", NULL, "musl", 0 },
		{ "musl-static-stripped", NULL, "musl", 0 }, { "musl-dyn", NULL, "musl", 0 },
		{ "musl-static-min", NULL, "musl", 0 },
		{ "dyn32", NULL, "glibc", 0 }, { "go-static", NULL, "none", 0 },
	};
	struct ocifs_elf e;

	ocifs_log_threshold = OCIFS_LOG_ERR;    /* hostile inputs warn by design */
	if (system("command -v gcc >/dev/null && command -v readelf >/dev/null && "
		   "command -v file >/dev/null") != 0) {
		ok(!tap_in_ci(), "gcc, readelf and file are needed # SKIP");
		return done_testing();
	}
	if (!mkdtemp(dir))
		return ok(0, "mkdtemp"), done_testing();
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/mkbins.sh' '%s' >/dev/null", srcdir ? srcdir : ".", dir);
	is_int(system(cmd), 0, "mkbins.sh");
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, bins[i].name);
		snprintf(r, sizeof(r), "%s/%s", dir, bins[i].ref ? bins[i].ref : bins[i].name);
		check_bin(p, r, bins[i].name, bins[i].libc, bins[i].optional);
	}
	snprintf(p, sizeof(p), "%s/dyn-stripped", dir);
	ok(analyze_path(p, &e) == 0 && e.stripped && e.has_sections, "dyn-stripped: stripped");
	ocifs_elf_fini(&e);
	snprintf(p, sizeof(p), "%s/dyn", dir);
	ok(analyze_path(p, &e) == 0 && !e.stripped && ocifs_elf_section(&e, ".dynstr") &&
	   !ocifs_elf_section(&e, ".nonexistent"), "dyn: not stripped, sections found by name");
	if (e.nsegs) {
		const struct ocifs_elf_sec *s = ocifs_elf_section(&e, ".interp");
		char buf[64] = "";
		struct ocifs_rd rd = { .read_at = ocifs_rd_fd_read, .size = e.size, .name = p };
		int fd = open(p, O_RDONLY);

		rd.ctx = &fd;
		ok(s && ocifs_elf_read_vaddr(&e, &rd, s->addr, buf, sizeof(buf) - 1 < s->size ?
		   sizeof(buf) - 1 : s->size) == 0 && strcmp(buf, e.interp) == 0,
		   "dyn: .interp read by virtual address");
		is_int(ocifs_elf_read_vaddr(&e, &rd, 0xffffffffffff0000ULL, buf, 4), -ENOENT,
		       "dyn: unmapped address -> -ENOENT");
		close(fd);
	}
	ocifs_elf_fini(&e);

	check_crafted(32, 1, 20 /* EM_PPC */, "ppc");
	check_crafted(64, 1, 22 /* EM_S390 */, "s390x");
	check_crafted(32, 0, 40 /* EM_ARM */, "arm");
	check_crafted(64, 0, 183 /* EM_AARCH64 */, "aarch64");

	check_bin("/bin/ls", "/bin/ls", "/bin/ls", "glibc", 0);
	check_bin("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		  "libc.so.6", "glibc", 1);
	if (find_go(p, sizeof(p)))
		check_bin(p, p, "go tool", NULL, 1);
	else
		skip("no Go binary on this machine");

	snprintf(p, sizeof(p), "%s/dyn", dir);
	check_in_place(p);
	hostile(p, "dyn");
	snprintf(p, sizeof(p), "%s/static-pie", dir);
	hostile(p, "static-pie");
	snprintf(p, sizeof(p), "%s/musl-dyn", dir);
	hostile(p, "musl-dyn");
	snprintf(p, sizeof(p), "%s/go-static", dir);
	if (access(p, R_OK) == 0)
		hostile(p, "go-static");
	ok(borrowed_diff == 0, "ELF in memory (rd.mem): same result as through the reader, bytes "
	   "untouched (%zu mutants differ)", borrowed_diff);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
