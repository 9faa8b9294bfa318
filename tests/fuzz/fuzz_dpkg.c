/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: dpkg's databases (scan/dpkg.c). The same bytes as a
 * status file (both flags), a .list, a .md5sums and a copyright file.
 * Every string returned must be NUL-terminated within the caps, every
 * package named, an epoch split inside its version.
 */
#include "dpkg.h"
#include "fuzz.h"

static void check_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(v[i] && strlen(v[i]) < (4u << 20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ocifs_dpkg_files fl;
	struct ocifs_dpkg_db db;
	char **lic = NULL;
	size_t nlic = 0;

	for (unsigned flags = 0; flags < 2; flags++) {
		if (ocifs_dpkg_parse(buf, size, flags, &db) == 0) {
			for (size_t i = 0; i < db.n; i++) {
				const struct ocifs_dpkg_pkg *p = &db.pkgs[i];
				FZ_ASSERT(p->name && *p->name && strlen(p->name) <= 4096);
				FZ_ASSERT(p->installed == (p->status ? ocifs_dpkg_installed(p->status)
								     : (int)flags));
				if (p->version) {
					const char *ep;
					size_t el;
					const char *v = ocifs_dpkg_split_epoch(p->version, &ep, &el);
					FZ_ASSERT(v >= p->version && v <= p->version + strlen(p->version));
					FZ_ASSERT(el == 0 || v == ep + el + 1);
				}
				check_strs(p->depends, p->ndepends);
				check_strs(p->provides, p->nprovides);
				FZ_ASSERT(p->ndepends <= 8192 && p->nprovides <= 8192);
			}
		}
		ocifs_dpkg_db_fini(&db);
	}
	if (ocifs_dpkg_parse_list(buf, size, &fl) == 0)
		check_strs(fl.paths, fl.n);
	ocifs_dpkg_files_fini(&fl);
	if (ocifs_dpkg_parse_md5sums(buf, size, &fl) == 0) {
		check_strs(fl.paths, fl.n);
		for (size_t i = 0; i < fl.n; i++)
			FZ_ASSERT(fl.paths[i][0] == '/');
	}
	ocifs_dpkg_files_fini(&fl);
	if (ocifs_dpkg_copyright(buf, size, &lic, &nlic) == 0) {
		check_strs(lic, nlic);
		FZ_ASSERT(nlic <= 1024);
		for (size_t i = 0; i < nlic; i++)
			free(lic[i]);
		free(lic);
	}
	return 0;
}
