/* SPDX-License-Identifier: MIT */
/*
 * ld.so.cache parsing checked against `ldconfig -p` on this machine's
 * cache and on a cache ldconfig writes for a tree the test builds; and
 * hostile caches (truncated, mutated, huge counts) rejected cleanly.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldcache.h"
#include "tap.h"

/* Our entries printed as ldconfig -p prints them must equal its output. */
static void compare_with_ldconfig(const char *cache, const char *label)
{
	char cmd[512], line[1024], want[1024];
	size_t len = 0, i = 0, bad = 0;
	char *buf = tap_slurp(cache, &len);
	struct ocifs_ldcache c;
	FILE *p;

	if (!buf) {
		ok(0, "%s: read %s", label, cache);
		return;
	}
	is_int(ocifs_ldcache_parse(buf, len, &c), 0, "%s: parse", label);
	snprintf(cmd, sizeof(cmd), "ldconfig -p -C '%s' 2>/dev/null", cache);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p)) { /* "N libs found in cache" */
		ok(0, "%s: ldconfig -p", label);
		if (p)
			pclose(p);
		free(buf);
		ocifs_ldcache_fini(&c);
		return;
	}
	size_t count = strtoul(line, NULL, 10);
	while (fgets(line, sizeof(line), p)) {
		if (line[0] != '\t')
			continue;
		if (i >= c.n) {
			bad++;
			continue;
		}
		const struct ocifs_ldcache_entry *e = &c.v[i++];
		const char *arch = ocifs_ldcache_arch_name(e->flags);
		char hw[64] = "";
		if (e->hwcap)
			snprintf(hw, sizeof(hw), ", hwcap: 0x%016llx", (unsigned long long)e->hwcap);
		static const char *const types[] = { "libc4", "ELF", "libc5", "libc6" };
		const char *type = (e->flags & OCIFS_LDC_TYPE_MASK) < 4 ? types[e->flags & OCIFS_LDC_TYPE_MASK] : "?";
		snprintf(want, sizeof(want), "\t%s (%s%s%s%s) => %s\n", e->name, type, *arch ? "," : "",
			 arch, hw, e->path);
		if (strcmp(want, line) != 0 && bad++ < 3)
			diag("ldconfig: %s  ours:     %s", line, want);
	}
	pclose(p);
	is_int(c.n, count, "%s: %zu entries, as ldconfig counts", label, c.n);
	is_int(bad, 0, "%s: every entry equals ldconfig -p's line", label);
	ocifs_ldcache_fini(&c);
	free(buf);
}

int main(void)
{
	char dir[] = "/tmp/ocifs-ldc.XXXXXX", cmd[1024], path[512];
	struct ocifs_ldcache c;
	const char *found;
	size_t len = 0;
	char *buf;

	if (system("command -v ldconfig >/dev/null 2>&1") != 0) {
		skip("ldconfig not found");
		return done_testing();
	}
	compare_with_ldconfig("/etc/ld.so.cache", "this machine's cache");

	/* A tree of our own: two sonames in two dirs, one listed twice. */
	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p root/lib/x86_64-linux-gnu root/opt/lib root/etc;"
		 "printf 'int f(void){return 1;}' > f.c;"
		 "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o root/opt/lib/libfoo.so.1 f.c;"
		 "cc -shared -fPIC -Wl,-soname,libbar.so.2 -o root/lib/x86_64-linux-gnu/libbar.so.2 f.c;"
		 "printf '/opt/lib\\n' > root/etc/ld.so.conf;"
		 "ldconfig -r root -C /etc/ld.so.cache -f /etc/ld.so.conf /lib/x86_64-linux-gnu",
		 dir);
	if (system(cmd) != 0) {
		if (tap_in_ci())
			ok(0, "build a tree and its cache with cc and ldconfig");
		else
			skip("cannot build a tree and its cache");
	} else {
		snprintf(path, sizeof(path), "%s/root/etc/ld.so.cache", dir);
		compare_with_ldconfig(path, "a cache written by ldconfig -r");
		buf = tap_slurp(path, &len);
		if (buf && ocifs_ldcache_parse(buf, len, &c) == 0) {
			uint32_t fl = ocifs_ldcache_flags_for(64, EM_X86_64);
			ok(ocifs_ldcache_lookup(&c, "libfoo.so.1", fl, &found) == 0 &&
				   !strcmp(found, "/opt/lib/libfoo.so.1"),
			   "lookup through an ld.so.conf dir");
			ok(ocifs_ldcache_lookup(&c, "libbar.so.2", fl, &found) == 0,
			   "lookup in a default dir");
			is_int(ocifs_ldcache_lookup(&c, "libbar.so.2", ocifs_ldcache_flags_for(32, EM_386),
						    &found), -ENOENT, "a 32-bit lookup skips 64-bit entries");
			is_int(ocifs_ldcache_lookup(&c, "libnone.so", fl, &found), -ENOENT, "missing soname");
			ocifs_ldcache_fini(&c);
		}
		free(buf);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");

	/* Hostile caches: never a crash, either parsed or -EBADMSG. */
	buf = tap_slurp("/etc/ld.so.cache", &len);
	if (buf) {
		unsigned seed = 7;
		int bad = 0;
		for (size_t cut = 0; cut < len && cut < 4096; cut += 7) {
			int rc = ocifs_ldcache_parse(buf, cut, &c);
			if (rc == 0)
				ocifs_ldcache_fini(&c);
			else if (rc != -EBADMSG)
				bad++;
		}
		for (int m = 0; m < 500; m++) {
			char *x = malloc(len);
			memcpy(x, buf, len);
			for (int k = 0; k < 4; k++)
				x[(size_t)rand_r(&seed) % (len < 4096 ? len : 4096)] ^= (char)(1 + rand_r(&seed) % 255);
			int rc = ocifs_ldcache_parse(x, len, &c);
			if (rc == 0) {
				for (size_t i = 0; i < c.n; i++) /* every string readable */
					bad += strlen(c.v[i].name) > len || strlen(c.v[i].path) > len;
				ocifs_ldcache_fini(&c);
			} else if (rc != -EBADMSG) {
				bad++;
			}
			free(x);
		}
		memset(buf + 20, 0xff, 4); /* nlibs huge */
		is_int(ocifs_ldcache_parse(buf, len, &c), -EBADMSG, "huge entry count rejected");
		is_int(bad, 0, "truncated and mutated caches: parsed or -EBADMSG, never a crash");
		free(buf);
	}
	is_int(ocifs_ldcache_parse("ld.so-1.7.0\0\xff\xff\xff\x7f", 16, &c), -EBADMSG,
	       "old format with a huge count rejected");
	is_int(ocifs_ldcache_parse("not a cache at all, really not", 30, &c), -EBADMSG, "garbage rejected");
	return done_testing();
}
