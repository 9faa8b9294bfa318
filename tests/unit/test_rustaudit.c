/* SPDX-License-Identifier: MIT */
/*
 * Embedded package metadata checked against independent decoders, on
 * binaries tests/gen/mkrustaudit.sh builds with the real toolchain:
 *  - .dep-v0 (cargo-auditable) against rust-oracle.py: objcopy
 *    --dump-section, python's zlib (8 MiB cap) and json, auditable-serde's
 *    validation; in a rustc-linked binary and in gcc binaries with good
 *    and hostile payloads (the oracle must agree on which are bad);
 *  - the FDO package note against readelf -n (GNU ld's own
 *    --package-metadata output, a copy without section headers, and
 *    hand-made notes), compared as JSON values by python;
 * then truncations, byte flips and section headers pointing past the end
 * of the file must never crash, hang or allocate without bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfinfo.h"
#include "log.h"
#include "rustaudit.h"
#include "tap.h"

static char dir[4096];

struct loaded {
	unsigned char *buf;
	size_t len;
	struct ocifs_rd_mem m;
	struct ocifs_rd rd;
	struct ocifs_elf e;
	int elf_rc;
};

static int load(const char *name, struct loaded *l)
{
	char p[4200];

	memset(l, 0, sizeof(*l));
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	l->buf = tap_slurp(p, &l->len);
	if (!l->buf)
		return -1;
	l->m = (struct ocifs_rd_mem){ l->buf, l->len };
	l->rd = (struct ocifs_rd){ ocifs_rd_mem_read, &l->m, l->len, name, NULL };
	l->elf_rc = ocifs_elf_analyze(&l->rd, &l->e);
	return 0;
}

static void unload(struct loaded *l)
{
	ocifs_elf_fini(&l->e);
	free(l->buf);
}

/* Which oracle error class our message must correspond to. */
static int same_class(const char *cls, const char *err)
{
	static const struct {
		const char *cls, *word;
	} map[] = {
		{ "bomb", "8 MiB" }, { "zlib", "zlib" }, { "json", "JSON" }, { "json", "UTF" },
		{ "json", "data after" }, { "json", "unexpected" }, { "json", "invalid" },
		{ "type", "not a" }, { "type", "missing" }, { "type", "kind" }, { "range", "out of range" },
		{ "roots", "several root" }, { "cycle", "cycle" }, { "zlib", "truncated" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].cls, cls) && strstr(err, map[i].word))
			return 1;
	return 0;
}

static void check_dep(const char *name)
{
	char cmd[8400], line[4096], cls[32] = "";
	struct ocifs_rustaudit a;
	struct loaded l;
	size_t want_n = 0, k = 0, bad = 0;
	int rc, none = 0, okline = 0;
	FILE *p;

	if (load(name, &l)) {
		/* rustc is optional (not a declared build dependency) */
		ok(tap_in_ci() && strncmp(name, "rust-", 5) ? 0 : 1, "%s: not built # SKIP", name);
		return;
	}
	rc = ocifs_rustaudit_read(&l.rd, &l.e, &a);
	is_int(rc, 0, "%s: read", name);
	snprintf(cmd, sizeof(cmd), "python3 '%s/rust-oracle.py' '%s/%s'", dir, dir, name);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "none")) {
			none = 1;
		} else if (!strncmp(line, "error ", 6)) {
			snprintf(cls, sizeof(cls), "%.30s", line + 6);
		} else if (!strncmp(line, "ok ", 3)) {
			want_n = strtoul(line + 3, NULL, 10);
			okline = 1;
		} else if (line[0] == 'P' && line[1] == '\t') {
			char *f[8], *s = line + 2, deps[4096] = "";
			int nf = 0;

			f[nf++] = s;
			while (nf < 8 && (s = strchr(s, '\t'))) {
				*s++ = '\0';
				f[nf++] = s;
			}
			if (nf != 6 || k >= a.n) {
				bad++;
				k++;
				continue;
			}
			const struct ocifs_rust_pkg *pk = &a.pkgs[k];
			size_t o = 0;
			for (size_t d = 0; d < pk->ndeps && o < sizeof(deps) - 24; d++)
				o += (size_t)snprintf(deps + o, sizeof(deps) - o, "%s%zu", d ? "," : "", pk->deps[d]);
			bad += strcmp(pk->name, f[0]) || strcmp(pk->version, f[1]) || strcmp(pk->source, f[2]) ||
			       strcmp(pk->kind, f[3]) || pk->root != atoi(f[4]) || strcmp(deps, f[5]);
			if (bad == 1)
				diag("%s: package %zu: ours %s %s %s %s %d [%s], oracle %s %s %s %s %s [%s]",
				     name, k, pk->name, pk->version, pk->source, pk->kind, pk->root, deps,
				     f[0], f[1], f[2], f[3], f[4], f[5]);
			k++;
		}
	}
	if (p)
		pclose(p);
	if (none) {
		ok(!a.found && !a.error && !a.n, "%s: no .dep-v0, none found", name);
		goto out;
	}
	ok(a.found, "%s: .dep-v0 found", name);
	if (cls[0])
		ok(a.error && same_class(cls, a.error), "%s: bad data (%s) -> error \"%s\"", name, cls,
		   a.error ? a.error : "");
	else
		is_str(a.error, NULL, "%s: no error, as the oracle", name);
	if (okline) {
		is_int(a.n, want_n, "%s: %zu packages, as the oracle", name, want_n);
		is_int(bad, 0, "%s: every package as the oracle decoded it", name);
	} else {
		is_int(a.n, 0, "%s: no packages", name);
	}
out:
	ocifs_rustaudit_fini(&a);
	unload(&l);
}

static void check_note(const char *name)
{
	char cmd[8600], line[4096], tmpf[] = "/tmp/ocifs-note-XXXXXX", state[64] = "";
	struct ocifs_pkgnote n;
	struct loaded l;
	int fd, rc, fields_bad = 0;
	FILE *p;

	if (load(name, &l)) {
		ok(tap_in_ci() && strncmp(name, "rust-", 5) ? 0 : 1, "%s: not built # SKIP", name);
		return;
	}
	rc = ocifs_pkgnote_read(&l.rd, &l.e, &n);
	is_int(rc, 0, "%s: read", name);
	fd = mkstemp(tmpf);
	if (fd >= 0) {
		if (n.json && write(fd, n.json, strlen(n.json)) < 0)
			diag("write failed");
		close(fd);
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/note-oracle.py' '%s/%s' '%s'", dir, dir, name, tmpf);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		static const char *const keys[] = { "type=", "name=", "version=", "architecture=", "osCpe=" };
		const char *ours[] = { n.type, n.name, n.version, n.arch, n.cpe };

		line[strcspn(line, "\n")] = '\0';
		if (!state[0]) {
			snprintf(state, sizeof(state), "%.60s", line);
			continue;
		}
		for (size_t k = 0; k < 5; k++) {
			const char *v = line + strlen(keys[k]);
			if (strncmp(line, keys[k], strlen(keys[k])))
				continue;
			if (!strcmp(v, "<absent>") || !strcmp(v, "<nonstring>"))
				fields_bad += ours[k] != NULL;
			else
				fields_bad += !ours[k] || strcmp(ours[k], v);
		}
	}
	if (p)
		pclose(p);
	unlink(tmpf);
	if (!strcmp(state, "none")) {
		ok(!n.found && !n.json, "%s: no package note, as readelf", name);
	} else if (!strcmp(state, "invalid")) {
		ok(n.found && !n.json && n.error, "%s: invalid note JSON -> error \"%s\"", name,
		   n.error ? n.error : "");
	} else {
		ok(n.found && n.json, "%s: note found", name);
		is_str(state, "valid SAME", "%s: our JSON equals readelf's as a JSON value", name);
		is_int(fields_bad, 0, "%s: type/name/version/architecture/osCpe as readelf", name);
		if (strstr(name, "numver"))
			ok(n.error && strstr(n.error, "version"), "%s: non-string version -> error", name);
		else
			is_str(n.error, NULL, "%s: no error", name);
	}
	diag("%s: found=%d type=%s name=%s version=%s arch=%s cpe=%s error=%s", name, n.found,
	     n.type ? n.type : "-", n.name ? n.name : "-", n.version ? n.version : "-",
	     n.arch ? n.arch : "-", n.cpe ? n.cpe : "-", n.error ? n.error : "-");
	ocifs_pkgnote_fini(&n);
	unload(&l);
}

/* Analyze a mutated buffer completely: 1 if the result is acceptable. */
static int mutant_ok(const unsigned char *b, size_t len)
{
	struct ocifs_rd_mem m = { b, len };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, len, "mutant", NULL };
	struct ocifs_rustaudit a;
	struct ocifs_pkgnote n;
	struct ocifs_elf e;
	int good = 1, rc = ocifs_elf_analyze(&rd, &e);

	if (rc == 0) {
		good &= ocifs_rustaudit_read(&rd, &e, &a) == 0;
		for (size_t i = 0; i < a.n; i++)
			for (size_t d = 0; d < a.pkgs[i].ndeps; d++)
				good &= a.pkgs[i].deps[d] < a.n;
		good &= ocifs_pkgnote_read(&rd, &e, &n) == 0;
		ocifs_rustaudit_fini(&a);
		ocifs_pkgnote_fini(&n);
	} else {
		good = rc == -EINVAL;
	}
	ocifs_elf_fini(&e);
	return good;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void hostile(const char *name)
{
	struct loaded l;
	const struct ocifs_elf_sec *s;
	size_t bad = 0, n = 0;
	uint64_t seed = 0x1234567ULL;
	unsigned char *b;

	if (load(name, &l) || l.elf_rc || !(s = ocifs_elf_section(&l.e, ".dep-v0"))) {
		ok(!tap_in_ci() || !strncmp(name, "rust-", 5), "%s: hostile inputs need it # SKIP", name);
		if (l.buf)
			unload(&l);
		return;
	}
	b = malloc(l.len);
	/* Truncations through the section and the headers after it. */
	for (size_t cut = (size_t)s->offset; cut < l.len; cut += 1 + (l.len - cut) / 64, n++)
		bad += !mutant_ok(l.buf, cut);
	is_int(bad, 0, "%s: %zu truncations handled", name, n);
	/* Byte flips in the compressed payload. */
	bad = n = 0;
	for (int m = 0; m < 300; m++, n++) {
		memcpy(b, l.buf, l.len);
		for (int k = 0; k < 1 + m % 4; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			b[s->offset + (seed >> 33) % s->size] ^= (unsigned char)(1u << ((seed >> 20) & 7));
		}
		bad += !mutant_ok(b, l.len);
	}
	is_int(bad, 0, "%s: %zu payload byte-flip mutants handled", name, n);
	/* The section header: offset past the end, size past the end, huge. */
	uint64_t shoff = 0;
	size_t idx = (size_t)(s - l.e.secs);
	for (int i = 0; i < 8; i++)
		shoff |= (uint64_t)l.buf[0x28 + i] << (8 * i);
	static const struct {
		size_t field;
		uint64_t v;
		const char *what, *word;
	} patches[] = {
		{ 24, 1ull << 40, "sh_offset past EOF", "past the end" },
		{ 32, 1ull << 30, "sh_size past EOF", "past the end" },
		{ 32, 0, "sh_size 0", "truncated" },
		{ 4, 8, "SHT_NOBITS", "NOBITS" },
	};
	for (size_t k = 0; k < sizeof(patches) / sizeof(patches[0]); k++) {
		struct ocifs_rd_mem m = { b, l.len };
		struct ocifs_rd rd = { ocifs_rd_mem_read, &m, l.len, "patched", NULL };
		struct ocifs_rustaudit a;
		struct ocifs_elf e;

		memcpy(b, l.buf, l.len);
		if (patches[k].field == 4)
			b[shoff + idx * 64 + 4] = (unsigned char)patches[k].v;
		else
			put64(b + shoff + idx * 64 + patches[k].field, patches[k].v);
		ocifs_elf_analyze(&rd, &e);
		int rc = ocifs_rustaudit_read(&rd, &e, &a);
		ok(rc == 0 && a.found && a.error &&
		   strstr(a.error, patches[k].word), "%s: %s -> error \"%s\"", name, patches[k].what,
		   a.error ? a.error : "");
		ocifs_rustaudit_fini(&a);
		ocifs_elf_fini(&e);
	}
	free(b);
	unload(&l);
}

static void each_listed(const char *list, const char *prefix, void (*fn)(const char *))
{
	char p[4200], line[256], name[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, list);
	f = fopen(p, "r");
	ok(f != NULL, "list %s", list);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, line);
		fn(name);
	}
	fclose(f);
}

int main(void)
{
	const char *srcdir = getenv("OCIFS_SRCDIR"), *bdir = getenv("OCIFS_BUILDDIR");
	char cmd[8400];

	ocifs_log_threshold = OCIFS_LOG_ERR;    /* bad data warns by design */
	if (system("command -v gcc >/dev/null && command -v objcopy >/dev/null && "
		   "command -v readelf >/dev/null && command -v python3 >/dev/null") != 0) {
		ok(!tap_in_ci(), "gcc, objcopy, readelf and python3 are needed # SKIP");
		return done_testing();
	}
	snprintf(dir, sizeof(dir), "%s/tests/rustaudit", bdir ? bdir : "/tmp/ocifs-test");
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/mkrustaudit.sh' '%s' >/dev/null",
		 srcdir ? srcdir : ".", dir);
	if (!ok(system(cmd) == 0, "mkrustaudit.sh %s", dir))
		return done_testing();
	each_listed("payloads", "dep-", check_dep);
	check_dep("rust-good");
	check_dep("rust-plain");
	check_dep("base");
	check_note("note-ld");
	check_note("note-noshdr");
	each_listed("notes", "note-", check_note);
	check_note("base");
	check_note("rust-good");
	hostile("dep-good");
	hostile("dep-big");
	hostile("rust-good");
	return done_testing();
}
