/* SPDX-License-Identifier: MIT */
/*
 * The registry of catalogers (catalog.h): a new cataloger is one file
 * and one line here. Order is run order within a pass.
 */
#include "catalog.h"

const struct ocifs_cataloger *const ocifs_catalogers[] = {
	&ocifs_cat_elf,
	&ocifs_cat_script,
	&ocifs_cat_ldso,
	&ocifs_cat_os,
	&ocifs_cat_dpkg,
	&ocifs_cat_rpm,
	&ocifs_cat_npm,
	&ocifs_cat_java,
	&ocifs_cat_apk,
	&ocifs_cat_python,
	&ocifs_cat_gem,
	&ocifs_cat_composer,
	&ocifs_cat_dotnet,
	&ocifs_cat_gomod,
	&ocifs_cat_rust,
};

const size_t ocifs_ncatalogers = sizeof(ocifs_catalogers) / sizeof(ocifs_catalogers[0]);
