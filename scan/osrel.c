/* SPDX-License-Identifier: MIT */
/*
 * os-release(5) parsing and the distribution families (osrel.h). The
 * format is a few shell-style assignments: no library parses it, and
 * the subset is small (quotes and backslash escapes, no expansion).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osrel.h"

/* os-release ID -> the family Trivy names (purl namespace). */
static const struct {
	const char *id, *family, *type;
} families[] = {
	{ "debian", "debian", "deb" },
	{ "ubuntu", "ubuntu", "deb" },
	{ "alpine", "alpine", "apk" },
	{ "wolfi", "wolfi", "apk" },
	{ "chainguard", "chainguard", "apk" },
	{ "rhel", "redhat", "rpm" },
	{ "centos", "centos", "rpm" },
	{ "rocky", "rocky", "rpm" },
	{ "almalinux", "alma", "rpm" },
	{ "fedora", "fedora", "rpm" },
	{ "amzn", "amazon", "rpm" },
	{ "ol", "oracle", "rpm" },
	{ "opensuse", "opensuse", "rpm" },
	{ "opensuse-leap", "opensuse.leap", "rpm" },
	{ "opensuse-tumbleweed", "opensuse.tumbleweed", "rpm" },
	{ "sles", "sles", "rpm" },
	{ "sled", "sles", "rpm" },
	{ "sle_hpc", "sles", "rpm" },
	{ "sles_sap", "sles", "rpm" },
	{ "sle-micro", "sles", "rpm" },
	{ "photon", "photon", "rpm" },
	{ "mariner", "cbl-mariner", "rpm" },
	{ "azurelinux", "azurelinux", "rpm" },
};

/* One value: unquote "…" (backslash escapes \" \\ \$ \`) and '…'. */
static char *unquote(const char *v, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	char q = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!q && (c == '"' || c == '\'')) {
			q = c;
		} else if (q && c == q) {
			q = 0;
		} else if (q == '"' && c == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1])) {
			*o++ = v[++i];
		} else if (!q && (c == ' ' || c == '\t' || c == '#')) {
			break; /* unquoted value ends at blank or comment */
		} else {
			*o++ = c;
		}
	}
	*o = 0;
	return out;
}

static int set(char **slot, const char *v, size_t n)
{
	char *s = unquote(v, n);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

void ocifs_osrel_fini(struct ocifs_osrel *o)
{
	free(o->id);
	free(o->id_like);
	free(o->version_id);
	free(o->codename);
	free(o->pretty_name);
	free(o->name);
	free(o->version);
	memset(o, 0, sizeof(*o));
}

/* The first line of a version file, when it is a version. */
static char *version_line(const char *f)
{
	size_t n = strcspn(f, "\r\n");

	if (!n || n > 64 || f[0] < '0' || f[0] > '9')
		return NULL;
	return strndup(f, n);
}

int ocifs_osrel_parse(const char *buf, size_t len, const char *ver_file,
		      struct ocifs_osrel *o)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "ID", offsetof(struct ocifs_osrel, id) },
		{ "ID_LIKE", offsetof(struct ocifs_osrel, id_like) },
		{ "VERSION_ID", offsetof(struct ocifs_osrel, version_id) },
		{ "VERSION_CODENAME", offsetof(struct ocifs_osrel, codename) },
		{ "PRETTY_NAME", offsetof(struct ocifs_osrel, pretty_name) },
		{ "NAME", offsetof(struct ocifs_osrel, name) },
	};
	const char *p = buf, *end = buf + len;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *eq;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		eq = memchr(p, '=', (size_t)(le - p));
		for (size_t k = 0; eq && k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].key);
			if ((size_t)(eq - p) == kl && !memcmp(p, keys[k].key, kl) &&
			    set((char **)((char *)o + keys[k].off), eq + 1, (size_t)(le - eq - 1))) {
				ocifs_osrel_fini(o);
				return -ENOMEM;
			}
		}
		p = le + 1;
	}
	if (!o->id || !*o->id) {
		ocifs_osrel_fini(o);
		return -ENOENT;
	}
	for (char *c = o->id; *c; c++) /* IDs are lower case; some are not */
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	o->family = o->id;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(o->id, families[i].id))
			o->family = families[i].family;
	o->version = ver_file ? version_line(ver_file) : NULL;
	if (!o->version && o->version_id && !(o->version = strdup(o->version_id))) {
		ocifs_osrel_fini(o);
		return -ENOMEM;
	}
	return 0;
}

const char *ocifs_osrel_namespace(const char *family, const char *purl_type)
{
	if (!family)
		return NULL;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(family, families[i].family))
			return strcmp(purl_type, families[i].type) ? NULL : families[i].family;
	return family; /* a distribution we do not know: its own id */
}

char *ocifs_osrel_distro(const char *family, const char *version, const char *purl_type)
{
	char *s = NULL;

	if (!family || !version || !*version)
		return NULL;
	if (!strcmp(purl_type, "apk"))
		return strdup(version);
	if (asprintf(&s, "%s-%s", family, version) < 0)
		return NULL;
	return s;
}
