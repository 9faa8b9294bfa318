/* SPDX-License-Identifier: MIT */
/*
 * Go build info checked against `go version -m`: binaries that
 * tests/gen/mkgo.sh builds (cgo on/off, -trimpath, stripped, PIE, 386,
 * arm64, big-endian mips, no vcs), the same with section headers removed
 * or the build info scrubbed, and Go binaries installed on this machine;
 * synthetic ELFs in the old pointer format (64-bit LE, 32-bit BE, with
 * and without sections); modinfo syntax; hostile inputs (truncated,
 * flipped bytes, pointers out of range, huge lengths) that never crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goinfo.h"
#include "gomfmt.h"
#include "tap.h"

static char tmp[256];

static int read_mem(const void *p, size_t len, struct ocifs_goinfo *g)
{
	struct ocifs_rd_mem m = { p, len };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, len, "mem", NULL };

	return goinfo_of(&rd, g);
}

static int same_as_go(const char *label, const char *file, const struct ocifs_goinfo *g,
		      const char *want)
{
	char *got = format_go(file, g);
	int eq = !strcmp(got, want);

	if (!ok(eq, "%s: equals go version -m", label))
		first_diff(got, want);
	free(got);
	return eq;
}

/* ---- generated binaries ---- */

static void zero_shdrs(unsigned char *b, size_t len)
{
	if (len < 64)
		return;
	if (b[4] == 2) {
		memset(b + 40, 0, 8);   /* e_shoff */
		memset(b + 60, 0, 4);   /* e_shnum, e_shstrndx */
	} else {
		memset(b + 32, 0, 4);
		memset(b + 48, 0, 4);
	}
}

static void hostile_real(const char *label, unsigned char *b, size_t len)
{
	unsigned char *mg = memmem(b, len, "\xff Go buildinf:", 14);
	size_t at = mg ? (size_t)(mg - b) : 0, crashes = 0;
	struct ocifs_goinfo g;
	unsigned seed = 1;

	/* truncated everywhere interesting */
	for (size_t n = 0; n < len; n += n < 128 ? 1 : n < 65536 ? 4093 : 65521) {
		read_mem(b, n, &g);
		ocifs_goinfo_fini(&g);
	}
	for (size_t n = at; mg && n < at + 4096 && n < len; n += 7) {
		read_mem(b, n, &g);
		ocifs_goinfo_fini(&g);
	}
	/* flipped bytes in the headers, the build info, the section headers */
	for (int i = 0; i < 3000; i++) {
		size_t r = (size_t)rand_r(&seed);
		size_t off = i % 3 == 0 ? r % 4096 : i % 3 == 1 ? at + r % 512 : len - 1 - r % 4096;
		unsigned char old, bit = (unsigned char)(1u << (rand_r(&seed) % 8));

		if (off >= len)
			continue;
		old = b[off];
		b[off] ^= i % 5 ? bit : 0xff;
		if (read_mem(b, len, &g) == -ENOMEM)
			crashes++;
		ocifs_goinfo_fini(&g);
		b[off] = old;
	}
	ok(!crashes, "%s: truncated and flipped copies parsed without crash", label);
}

static void test_generated(const char *dir)
{
	static const char *const names[] = { "default", "cgo0", "trimpath", "stripped", "pie",
					     "i386", "arm64", "mips", "novcs", "dirty" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char path[512], cmd[600], *want;
		struct ocifs_goinfo g;
		size_t len = 0;
		unsigned char *b;
		int fd, rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(cmd, sizeof(cmd), "go version -m '%s'", path);
		want = run(cmd);
		if (!ok(want != NULL, "%s: go version -m", names[i]))
			continue;
		fd = open(path, O_RDONLY);
		{
			struct stat st;
			struct ocifs_rd rd = { ocifs_rd_fd_read, &fd, 0, path, NULL };

			if (fd < 0 || fstat(fd, &st)) {
				ok(0, "%s: open", names[i]);
				free(want);
				continue;
			}
			rd.size = (uint64_t)st.st_size;
			rc = goinfo_of(&rd, &g);
			close(fd);
		}
		is_int(rc, 0, "%s: read", names[i]);
		ok(g.is_go && g.has_buildinfo, "%s: Go with build info", names[i]);
		is_str(g.how, "section .go.buildinfo", "%s: found by section", names[i]);
		is_str(g.error, NULL, "%s: no error", names[i]);
		same_as_go(names[i], path, &g, want);
		if (!strcmp(names[i], "dirty")) {
			int found = 0;
			for (size_t k = 0; k < g.nsettings; k++)
				found |= !strcmp(g.settings[k].key, "-ldflags") &&
					 !strcmp(g.settings[k].value, "-X \"main.x=a b\" -s");
			ok(found, "dirty: quoted -ldflags unquoted");
		}
		ocifs_goinfo_fini(&g);

		b = tap_slurp(path, &len);
		if (!ok(b != NULL, "%s: slurp", names[i])) {
			free(want);
			continue;
		}
		/* no section headers: the writable segment scan */
		zero_shdrs(b, len);
		is_int(read_mem(b, len, &g), 0, "%s/noshdr: read", names[i]);
		is_str(g.how, "writable segment scan", "%s/noshdr: found by scanning", names[i]);
		snprintf(cmd, sizeof(cmd), "%s/noshdr", names[i]);
		same_as_go(cmd, path, &g, want);
		ocifs_goinfo_fini(&g);
		free(b);

		/* build info scrubbed: pclntab section, then pclntab magic */
		b = tap_slurp(path, &len);
		if (b) {
			unsigned char *mg = memmem(b, len, "\xff Go buildinf:", 14);
			if (mg)
				mg[0] = 0;
			is_int(read_mem(b, len, &g), 0, "%s/scrubbed: read", names[i]);
			ok(g.is_go && !g.has_buildinfo, "%s/scrubbed: still Go", names[i]);
			is_str(g.how, "section .gopclntab", "%s/scrubbed: by .gopclntab", names[i]);
			is_str(g.version, "go1.19.8", "%s/scrubbed: runtime version string", names[i]);
			ocifs_goinfo_fini(&g);
			zero_shdrs(b, len);
			is_int(read_mem(b, len, &g), 0, "%s/scrubbed+noshdr: read", names[i]);
			ok(g.is_go && !g.has_buildinfo, "%s/scrubbed+noshdr: still Go", names[i]);
			is_str(g.how, "pclntab magic", "%s/scrubbed+noshdr: by pclntab magic", names[i]);
			is_str(g.version, "go1.19.8", "%s/scrubbed+noshdr: version", names[i]);
			ocifs_goinfo_fini(&g);
			if (!strcmp(names[i], "default") || !strcmp(names[i], "mips")) {
				if (mg)
					mg[0] = 0xff;
				hostile_real(names[i], b, len);
			}
			free(b);
		}
		free(want);
	}
}

/* ---- Go binaries installed on this machine ---- */

static void test_installed(const char *dir)
{
	char cmd[600], *all, *p;
	size_t matched = 0, files = 0, bad = 0;
	DIR *d;
	struct dirent *de;

	snprintf(cmd, sizeof(cmd), "go version -m '%s' 2>/dev/null", dir);
	all = run(cmd);
	if (!all)
		all = strdup("");
	d = opendir(dir);
	if (!d) {
		free(all);
		return;
	}
	while ((de = readdir(d))) {
		char path[1024], head[1100], *want = NULL;
		struct ocifs_goinfo g;
		struct stat st;
		int fd, rc;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		{
			struct ocifs_rd rd = { ocifs_rd_fd_read, &fd, (uint64_t)st.st_size, path, NULL };
			rc = goinfo_of(&rd, &g);
		}
		close(fd);
		files++;
		snprintf(head, sizeof(head), "%s: ", path);
		for (p = all; (p = strstr(p, head)); p++) {
			if (p == all || p[-1] == '\n')
				break;
		}
		if (p) {
			char *end = p + 1;
			while ((end = strchr(end, '\n')) && end[1] == '\t')
				end++;
			want = end ? strndup(p, (size_t)(end + 1 - p)) : strdup(p);
			if (same_as_go(de->d_name, path, &g, want))
				matched++;
			else
				bad++;
			free(want);
		} else if (rc == 0 && g.has_buildinfo) {
			ok(0, "%s: build info found where go version -m found none", path);
			bad++;
		} else if (g.is_go) {
			diag("%s: Go without build info (%s, %s)", path, g.how, g.version ? g.version : "unknown");
		}
		ocifs_goinfo_fini(&g);
	}
	closedir(d);
	free(all);
	ok(!bad, "%s: %zu files, %zu Go binaries equal go version -m", dir, files, matched);
}

/* ---- synthetic old-format (pointer) binaries ---- */

static const char sent_a[] = "0w\xaf\x0c\x92t\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
static const char sent_b[] = "\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";
static const char old_mod[] =
	"path\texample.com/old/cmd\n"
	"mod\texample.com/old\tv1.0.0\th1:main=\n"
	"dep\tgolang.org/x/sys\tv0.1.0\th1:sys=\n"
	"=>\t../sys\t(devel)\t\n"
	"dep\tgithub.com/a/b\tv2.0.0+incompatible\th1:ab=\n"
	"build\t-ldflags=\"-s -w\"\n"
	"build\tCGO_ENABLED=0\n";

static void put(unsigned char *p, uint64_t v, int n, int be)
{
	for (int i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

/* Layout: ehdr, 1 phdr, data at 0x200 (vaddr base+0x200): blob, string
 * headers, strings; then .shstrtab and 3 section headers. */
static size_t mk_old(unsigned char *b, size_t cap, int is64, int be, int sections,
		     uint64_t base, uint64_t vers_len, uint64_t mod_ptr_delta)
{
	int ps = is64 ? 8 : 4;
	size_t d = 0x200, ml = 32 + strlen(old_mod);
	uint64_t va = base + d;
	size_t hv = d + 32, hm = d + 32 + 2 * ps, sv = d + 64, sm = sv + 16, end = sm + ml;
	size_t shstr = (end + 15) & ~(size_t)15, sho = shstr + 32;
	const char names[] = "\0.go.buildinfo\0.shstrtab\0";

	memset(b, 0, cap);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = be ? 2 : 1;
	b[6] = 1;
	put(b + 16, 2, 2, be);
	put(b + 18, is64 ? 62 : 3, 2, be);
	if (is64) {
		put(b + 32, 64, 8, be);
		put(b + 40, sections ? sho : 0, 8, be);
		put(b + 52, 64, 2, be);
		put(b + 54, 56, 2, be);
		put(b + 56, 1, 2, be);
		put(b + 58, 64, 2, be);
		put(b + 60, sections ? 3 : 0, 2, be);
		put(b + 62, sections ? 2 : 0, 2, be);
		put(b + 64, 1, 4, be);
		put(b + 68, 6, 4, be);
		put(b + 72, d, 8, be);
		put(b + 80, va, 8, be);
		put(b + 96, end - d, 8, be);
		put(b + 104, end - d, 8, be);
	} else {
		put(b + 28, 52, 4, be);
		put(b + 32, sections ? sho : 0, 4, be);
		put(b + 40, 52, 2, be);
		put(b + 42, 32, 2, be);
		put(b + 44, 1, 2, be);
		put(b + 46, 40, 2, be);
		put(b + 48, sections ? 3 : 0, 2, be);
		put(b + 50, sections ? 2 : 0, 2, be);
		put(b + 52, 1, 4, be);
		put(b + 56, d, 4, be);
		put(b + 60, va, 4, be);
		put(b + 68, end - d, 4, be);
		put(b + 72, end - d, 4, be);
		put(b + 76, 6, 4, be);
	}
	memcpy(b + d, "\xff Go buildinf:", 14);
	b[d + 14] = (unsigned char)ps;
	b[d + 15] = be ? 1 : 0;
	put(b + d + 16, va + 32, ps, be);
	put(b + d + 16 + ps, va + 32 + 2 * ps + mod_ptr_delta, ps, be);
	put(b + hv, va + 64, ps, be);
	put(b + hv + ps, vers_len, ps, be);
	put(b + hm, va + 80, ps, be);
	put(b + hm + ps, ml, ps, be);
	memcpy(b + sv, "go1.16.15", 9);
	memcpy(b + sm, sent_a, 16);
	memcpy(b + sm + 16, old_mod, strlen(old_mod));
	memcpy(b + sm + 16 + strlen(old_mod), sent_b, 16);
	memcpy(b + shstr, names, sizeof(names));
	if (sections) {
		unsigned char *s1 = b + sho + (is64 ? 64 : 40), *s2 = s1 + (is64 ? 64 : 40);
		put(s1, 1, 4, be);
		put(s1 + 4, 1, 4, be);
		put(s2, 15, 4, be);
		put(s2 + 4, 3, 4, be);
		if (is64) {
			put(s1 + 16, va, 8, be);
			put(s1 + 24, d, 8, be);
			put(s1 + 32, 32, 8, be);
			put(s2 + 24, shstr, 8, be);
			put(s2 + 32, sizeof(names), 8, be);
		} else {
			put(s1 + 12, va, 4, be);
			put(s1 + 16, d, 4, be);
			put(s1 + 20, 32, 4, be);
			put(s2 + 16, shstr, 4, be);
			put(s2 + 20, sizeof(names), 4, be);
		}
		return sho + 3 * (is64 ? 64 : 40);
	}
	return shstr + 32;
}

static void check_old(const char *label, const unsigned char *b, size_t len, const char *how)
{
	struct ocifs_goinfo g;

	is_int(read_mem(b, len, &g), 0, "%s: read", label);
	ok(g.is_go && g.has_buildinfo, "%s: Go with build info", label);
	is_str(g.how, how, "%s: how", label);
	is_str(g.version, "go1.16.15", "%s: version", label);
	is_str(g.path, "example.com/old/cmd", "%s: path", label);
	is_str(g.main.path, "example.com/old", "%s: main module", label);
	is_str(g.main.version, "v1.0.0", "%s: main version", label);
	is_str(g.main.sum, "h1:main=", "%s: main sum", label);
	is_int(g.ndeps, 2, "%s: 2 deps", label);
	if (g.ndeps == 2) {
		is_str(g.deps[0].rep_path, "../sys", "%s: replacement", label);
		is_str(g.deps[0].rep_version, "(devel)", "%s: replacement version", label);
		is_str(g.deps[0].rep_sum, "", "%s: replacement sum", label);
		is_str(g.deps[1].version, "v2.0.0+incompatible", "%s: dep version", label);
		is_str(g.deps[1].rep_path, NULL, "%s: no replacement", label);
	}
	is_int(g.nsettings, 2, "%s: 2 settings", label);
	if (g.nsettings == 2) {
		is_str(g.settings[0].key, "-ldflags", "%s: -ldflags", label);
		is_str(g.settings[0].value, "-s -w", "%s: -ldflags unquoted", label);
	}
	is_str(g.error, NULL, "%s: no error", label);
	ocifs_goinfo_fini(&g);
}

static void test_old_format(void)
{
	static unsigned char b[4096];
	struct ocifs_goinfo g;
	size_t n;

	n = mk_old(b, sizeof(b), 1, 0, 1, 0x400000, 9, 0);
	check_old("old 64-bit LE", b, n, "section .go.buildinfo");
	n = mk_old(b, sizeof(b), 1, 0, 1, 0x1000, 9, 0); /* PIE-like: vaddr != offset, low base */
	check_old("old 64-bit LE PIE", b, n, "section .go.buildinfo");
	n = mk_old(b, sizeof(b), 0, 1, 1, 0x10000, 9, 0);
	check_old("old 32-bit BE", b, n, "section .go.buildinfo");
	n = mk_old(b, sizeof(b), 1, 0, 0, 0x400000, 9, 0);
	check_old("old 64-bit LE no sections", b, n, "writable segment scan");
	n = mk_old(b, sizeof(b), 0, 1, 0, 0x8000, 9, 0);
	check_old("old 32-bit BE no sections", b, n, "writable segment scan");

	/* hostile: pointers out of range, huge lengths */
	n = mk_old(b, sizeof(b), 1, 0, 1, 0x400000, 9, 1u << 30);
	is_int(read_mem(b, n, &g), 0, "old: modinfo pointer out of range");
	ok(g.is_go && !g.has_buildinfo && g.error, "  is Go, no build info, error \"%s\"", g.error);
	ocifs_goinfo_fini(&g);
	n = mk_old(b, sizeof(b), 1, 0, 1, 0x400000, UINT64_MAX, 0);
	is_int(read_mem(b, n, &g), 0, "old: huge version length");
	ok(g.error && !g.has_buildinfo, "  error \"%s\"", g.error);
	ocifs_goinfo_fini(&g);
	n = mk_old(b, sizeof(b), 0, 1, 0, 0xfffffff0u, 9, 0); /* segment wraps */
	is_int(read_mem(b, n, &g), 0, "old: segment at the top of the address space");
	ocifs_goinfo_fini(&g);
	for (size_t k = 0; k < n; k++) {
		read_mem(b, k, &g);
		ocifs_goinfo_fini(&g);
	}
	ok(1, "old: every truncation parsed");
	for (int is64 = 0; is64 < 2; is64++) {
		unsigned seed = 7;
		n = mk_old(b, sizeof(b), is64, !is64, is64, 0x400000, 9, 0);
		for (int i = 0; i < 20000; i++) {
			size_t off = (size_t)rand_r(&seed) % n;
			unsigned char old = b[off];
			b[off] = (unsigned char)rand_r(&seed);
			read_mem(b, n, &g);
			ocifs_goinfo_fini(&g);
			b[off] = old;
		}
	}
	ok(1, "old: 40000 single-byte mutations parsed");

	/* inline format with a huge varint and one running off the end */
	n = mk_old(b, sizeof(b), 1, 0, 0, 0x400000, 9, 0);
	b[0x200 + 15] = 2;
	memcpy(b + 0x200 + 32, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	is_int(read_mem(b, n, &g), 0, "inline: huge varint");
	ok(g.is_go && g.error && !g.has_buildinfo, "  error \"%s\"", g.error);
	ocifs_goinfo_fini(&g);
	memcpy(b + 0x200 + 32, "\x08go1.20.1\xff\x7f", 11);
	is_int(read_mem(b, n, &g), 0, "inline: modinfo past the segment");
	ok(g.error && !g.has_buildinfo, "  error \"%s\"", g.error);
	ocifs_goinfo_fini(&g);
	memcpy(b + 0x200 + 32, "\x08go1.20.1\x00", 10);
	is_int(read_mem(b, n, &g), 0, "inline: empty modinfo");
	ok(g.has_buildinfo && !g.path && !g.ndeps, "  version only");
	is_str(g.version, "go1.20.1", "  version");
	ocifs_goinfo_fini(&g);
}

/* ---- modinfo syntax ---- */

static void test_modinfo(void)
{
	static const char good[] =
		"path\tx/cmd\nmod\tx\t(devel)\t\n"
		"build\t\"we=ird\"=`raw \"v\"`\n"
		"build\t-gcflags=\"a\\tb\\x41\\u00e9\\101\"\n"
		"build\tEMPTY=\n"
		"unknown line\n";
	static const char *const bad[] = {
		"dep\tonly\n", "dep\ta\tb\tc\td\n", "=>\ta\tb\tc\n", "dep\ta\tb\n=>\ta\tb\n",
		"build\t\n", "build\t=v\n", "build\tnoeq\n", "build\t\"k\"v\n", "build\tk=\"open\n",
		"build\tk=\"a\"b\n", "build\tk=\"\\q\"\n", "build\tk=\"\\u12\"\n",
		"build\tk=\"\\ud800\"\n", "build\tk=\"\\777\"\n", "build\ta b=c\n",
	};
	struct ocifs_goinfo g;
	static const char body[] = "path\tw\nbuild\tGOAMD64=v1\n";
	char wrapped[256];
	size_t wl;

	memset(&g, 0, sizeof(g));
	is_int(ocifs_goinfo_parse_modinfo(good, strlen(good), &g), 0, "modinfo: parse");
	is_str(g.error, NULL, "modinfo: no error");
	is_str(g.path, "x/cmd", "modinfo: path");
	is_str(g.main.version, "(devel)", "modinfo: main version");
	is_int(g.nsettings, 3, "modinfo: 3 settings");
	if (g.nsettings == 3) {
		is_str(g.settings[0].key, "we=ird", "modinfo: quoted key");
		is_str(g.settings[0].value, "raw \"v\"", "modinfo: raw-quoted value");
		is_str(g.settings[1].value, "a\tbA\xc3\xa9" "A", "modinfo: escapes");
		is_str(g.settings[2].value, "", "modinfo: empty value");
	}
	ocifs_goinfo_fini(&g);

	wl = strlen(body);
	memcpy(wrapped, sent_a, 16);
	memcpy(wrapped + 16, body, wl);
	memcpy(wrapped + 16 + wl, sent_b, 16);
	is_int(ocifs_goinfo_parse_modinfo(wrapped, wl + 32, &g), 0, "modinfo: wrapped");
	is_str(g.path, "w", "modinfo: sentinels stripped");
	ok(g.nsettings == 1 && !strcmp(g.settings[0].value, "v1"), "modinfo: last line kept");
	ocifs_goinfo_fini(&g);
	is_int(ocifs_goinfo_parse_modinfo(wrapped + 16, wl, &g), 0,
	       "modinfo: unwrapped 17-byte last line");
	ok(g.path && g.nsettings == 1, "modinfo: not mistaken for sentinels");
	ocifs_goinfo_fini(&g);

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&g, 0, sizeof(g));
		is_int(ocifs_goinfo_parse_modinfo(bad[i], strlen(bad[i]), &g), 0, "bad modinfo %zu", i);
		ok(g.error != NULL, "  error: %s", g.error ? g.error : "(none)");
		ocifs_goinfo_fini(&g);
	}
}

static void test_not_go(void)
{
	struct ocifs_goinfo g;
	size_t len = 0;
	unsigned char *b = tap_slurp("/bin/ls", &len);

	if (b) {
		is_int(read_mem(b, len, &g), 0, "/bin/ls: read");
		ok(!g.is_go && !g.has_buildinfo, "/bin/ls: not Go");
		ocifs_goinfo_fini(&g);
		zero_shdrs(b, len);
		is_int(read_mem(b, len, &g), 0, "/bin/ls without sections: read");
		ok(!g.is_go, "/bin/ls without sections: not Go");
		ocifs_goinfo_fini(&g);
		free(b);
	}
	is_int(read_mem("#!/bin/sh\necho hello world, this is not ELF at all\n", 50, &g), -EINVAL,
	       "not ELF: -EINVAL");
	ocifs_goinfo_fini(&g);
	is_int(read_mem("\177ELF", 4, &g), -EINVAL, "4 bytes: -EINVAL");
	ocifs_goinfo_fini(&g);
	ocifs_goinfo_fini(NULL);
}

static int find_mkgo(char *out, size_t cap)
{
	const char *srcdir = getenv("OCIFS_SRCDIR");
	char here[512];

	if (srcdir) {
		snprintf(out, cap, "%s/tests/gen/mkgo.sh", srcdir);
		if (!access(out, R_OK))
			return 0;
	}
	snprintf(here, sizeof(here), "%s", __FILE__);
	*strrchr(here, '/') = '\0';
	snprintf(out, cap, "%s/../gen/mkgo.sh", here);
	return access(out, R_OK);
}

int main(void)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/usr/local/bin",
					     "/usr/lib/go-1.19/bin", "/usr/lib/go-1.19/pkg/tool/linux_amd64" };
	char script[600], cmd[1400], out[300];
	int have_go = !system("command -v go >/dev/null 2>&1");

	snprintf(tmp, sizeof(tmp), "%s/ocifs-test-goinfo.XXXXXX",
		 getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 200 ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_modinfo();
	test_old_format();
	test_not_go();
	if (!have_go && !tap_in_ci()) {
		skip("go not installed: generated and installed Go binaries");
	} else if (getenv("OCIFS_GOINFO_BINS")) { /* prebuilt by mkgo.sh, for development */
		test_generated(getenv("OCIFS_GOINFO_BINS"));
	} else if (find_mkgo(script, sizeof(script))) {
		ok(0, "tests/gen/mkgo.sh not found (set OCIFS_SRCDIR)");
	} else {
		snprintf(out, sizeof(out), "%s/go", tmp);
		snprintf(cmd, sizeof(cmd), "sh '%s' '%s' >'%s/mkgo.log' 2>&1", script, out, tmp);
		if (!ok(system(cmd) == 0, "mkgo.sh built the Go test binaries")) {
			snprintf(cmd, sizeof(cmd), "sed 's/^/# /' '%s/mkgo.log'", tmp);
			if (system(cmd))
				diag("no log");
		} else {
			test_generated(out);
		}
	}
	for (size_t i = 0; have_go && i < sizeof(dirs) / sizeof(*dirs); i++)
		if (!access(dirs[i], R_OK))
			test_installed(dirs[i]);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", tmp, tmp);
	if (system(cmd))
		diag("cleanup of %s failed", tmp);
	return done_testing();
}
