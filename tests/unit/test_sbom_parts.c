/* SPDX-License-Identifier: MIT */
/*
 * The small parts of the SBOM build: package URLs (purl.c) against
 * examples of the purl specification and of Trivy's output; os-release
 * parsing (osrel.c) against the shell itself (os-release is a shell
 * fragment: `. FILE; echo "$ID"` is the oracle) on this machine's file
 * and on quoted, escaped and commented variants, and the distro= /
 * namespace spelling of Trivy; the layer attribution (attrib.c) of a
 * package installed, kept, upgraded, removed and reinstalled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "osrel.h"
#include "purl.h"
#include "tap.h"

static void purl_case(const char *t, const char *ns, const char *n, const char *v, const char *q,
		      const char *sub, const char *want)
{
	char *p = ocifs_purl(t, ns, n, v, q, sub);

	is_str(p, want, "purl %s", want ? want : "(none)");
	free(p);
}

static void test_purl(void)
{
	/* the purl specification's examples */
	purl_case("maven", "org.apache.commons", "io", "1.3.4", NULL, NULL,
		  "pkg:maven/org.apache.commons/io@1.3.4");
	purl_case("npm", "@angular", "animation", "12.3.1", NULL, NULL,
		  "pkg:npm/%40angular/animation@12.3.1");
	purl_case("golang", "google.golang.org", "genproto", NULL, NULL, "googleapis/api/annotations",
		  "pkg:golang/google.golang.org/genproto#googleapis/api/annotations");
	purl_case("deb", "debian", "curl", "7.50.3-1", "distro=jessie&arch=i386", NULL,
		  "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie");
	purl_case("rpm", "fedora", "curl", "7.50.3-1.fc25", "arch=i386&distro=fedora-25", NULL,
		  "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25");
	purl_case("PyPI", NULL, "django", "1.11.1", NULL, NULL, "pkg:pypi/django@1.11.1");
	purl_case("pypi", NULL, "PyYAML_Ext", "6.0", NULL, NULL, "pkg:pypi/pyyaml-ext@6.0");
	/* as Trivy writes them (its qualifiers unsorted; ours sorted) */
	purl_case("deb", "debian", "bsdutils", "2.38.1-5+deb12u3", "arch=amd64&epoch=1&distro=debian-12.15",
		  NULL, "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12.15&epoch=1");
	purl_case("apk", "alpine", "musl", "1.1.22-r3", "arch=x86_64&distro=3.10.2", NULL,
		  "pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=3.10.2");
	purl_case("oci", NULL, "debian", "sha256:abc", "repository_url=docker.io/library/debian&arch=amd64",
		  NULL, "pkg:oci/debian@sha256:abc?arch=amd64&repository_url=docker.io/library/debian");
	/* empty qualifier values are dropped, names are escaped */
	purl_case("generic", NULL, "a b", NULL, "x=&y=1", NULL, "pkg:generic/a%20b?y=1");
	purl_case("generic", NULL, NULL, "1", NULL, NULL, NULL);
	purl_case(NULL, NULL, "x", "1", NULL, NULL, NULL);

	char *q = ocifs_purl_qualifier_set("arch=amd64&distro=old", "distro", "debian-12");
	is_str(q, "arch=amd64&distro=debian-12", "qualifier replaced");
	free(q);
	q = ocifs_purl_qualifier_set(NULL, "arch", "amd64");
	is_str(q, "arch=amd64", "qualifier added to none");
	free(q);
}

/* The shell's value of KEY after sourcing path. */
static char *shell_value(const char *path, const char *key)
{
	char cmd[1024], buf[512] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sh -c '. \"$0\" && printf %%s \"$%s\"' '%s'", key, path);
	if (!(p = popen(cmd, "r")))
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	pclose(p);
	return strdup(buf);
}

static void osrel_against_shell(const char *path, const char *label)
{
	static const char *const keys[] = { "ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME" };
	struct ocifs_osrel o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		ok(0, "%s: open %s", label, path);
		return;
	}
	buf = malloc(65536);
	len = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (!ok(buf && ocifs_osrel_parse(buf, len, NULL, &o) == 0, "%s: parsed", label)) {
		free(buf);
		return;
	}
	const char *ours[] = { o.id, o.version_id, o.codename, o.pretty_name };
	for (size_t i = 0; i < 4; i++) {
		char *sh = shell_value(path, keys[i]);
		is_str(ours[i] ? ours[i] : "", sh, "%s: %s as the shell reads it", label, keys[i]);
		free(sh);
	}
	ocifs_osrel_fini(&o);
	free(buf);
}

static void test_osrel(void)
{
	char path[] = "/tmp/ocifs-osrel-XXXXXX";
	int fd = mkstemp(path);
	struct ocifs_osrel o;

	if (access("/etc/os-release", R_OK) == 0)
		osrel_against_shell("/etc/os-release", "this machine");
	const char *variant =
		"# a comment\n"
		"NAME=\"Some \\\"quoted\\\" OS\"\n"
		"ID='rhel'\n"
		"  VERSION_ID=\"8.4\"\n"
		"VERSION_CODENAME=ootpa # trailing comment\n"
		"PRETTY_NAME=\"Red Hat \\$HOME \\\\ 8\"\n"
		"ID_LIKE=\"fedora\"\n";
	if (fd >= 0 && write(fd, variant, strlen(variant)) == (ssize_t)strlen(variant)) {
		close(fd);
		osrel_against_shell(path, "quoted variant");
		ok(ocifs_osrel_parse(variant, strlen(variant), NULL, &o) == 0 &&
			   !strcmp(o.family, "redhat") && !strcmp(o.version, "8.4"),
		   "rhel is Trivy's family redhat, version 8.4");
		char *d = ocifs_osrel_distro(o.family, o.version, "rpm");
		is_str(d, "redhat-8.4", "rpm distro=");
		is_str(ocifs_osrel_namespace(o.family, "rpm"), "redhat", "rpm namespace");
		ok(ocifs_osrel_namespace(o.family, "deb") == NULL, "no deb namespace on a redhat image");
		free(d);
		ocifs_osrel_fini(&o);
	}
	unlink(path);
	const char *deb = "ID=debian\nVERSION_ID=\"12\"\n";
	ok(ocifs_osrel_parse(deb, strlen(deb), "12.15\n", &o) == 0 && !strcmp(o.version, "12.15"),
	   "debian: /etc/debian_version refines the version");
	char *d = ocifs_osrel_distro(o.family, o.version, "deb");
	is_str(d, "debian-12.15", "deb distro= as Trivy writes it");
	free(d);
	ocifs_osrel_fini(&o);
	ok(ocifs_osrel_parse(deb, strlen(deb), "bookworm/sid\n", &o) == 0 && !strcmp(o.version, "12"),
	   "a version file that is not a number is ignored");
	ocifs_osrel_fini(&o);
	const char *alp = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.2\n";
	ok(ocifs_osrel_parse(alp, strlen(alp), NULL, &o) == 0, "alpine parsed");
	d = ocifs_osrel_distro(o.family, o.version, "apk");
	is_str(d, "3.10.2", "apk distro= is the version alone");
	free(d);
	ocifs_osrel_fini(&o);
	ok(ocifs_osrel_parse("NAME=x\n", 7, NULL, &o) != 0, "no ID: not an os-release");
}

static void test_attrib(void)
{
	struct ocifs_attrib *a;

	if (!ok(ocifs_attrib_new(&a) == 0, "attrib"))
		return;
	/* layer 0 installs x 1.0 and y 1.0; layer 2 upgrades x; layer 3
	 * removes y; layer 4 reinstalls y 1.0 and rewrites x unchanged */
	ocifs_attrib_layer(a, 0);
	ocifs_attrib_add(a, "x", "1.0");
	ocifs_attrib_add(a, "y", "1.0");
	ocifs_attrib_layer(a, 2);
	ocifs_attrib_add(a, "x", "2.0");
	ocifs_attrib_add(a, "y", "1.0");
	ocifs_attrib_add(a, "z", NULL);
	is_int(ocifs_attrib_layer_of(a, "x", "2.0", 99), 2, "upgraded in layer 2");
	is_int(ocifs_attrib_layer_of(a, "y", "1.0", 99), 0, "kept since layer 0");
	is_int(ocifs_attrib_layer_of(a, "z", "", 99), 2, "no version is \"\"");
	ocifs_attrib_layer(a, 3);
	ocifs_attrib_add(a, "x", "2.0");
	ocifs_attrib_layer(a, 4);
	ocifs_attrib_add(a, "x", "2.0");
	ocifs_attrib_add(a, "y", "1.0");
	is_int(ocifs_attrib_layer_of(a, "x", "2.0", 99), 2, "rewritten unchanged: still layer 2");
	is_int(ocifs_attrib_layer_of(a, "y", "1.0", 99), 4, "removed, then reinstalled in layer 4");
	is_int(ocifs_attrib_layer_of(a, "y", "0.9", 99), 99, "another version: the fallback");
	is_int(ocifs_attrib_layer_of(a, "z", "", 99), 99, "gone from the last copy: the fallback");
	is_int(ocifs_attrib_layer_of(a, "nope", "1", 7), 7, "unknown: the fallback");
	ocifs_attrib_free(a);
}

int main(void)
{
	test_purl();
	test_osrel();
	test_attrib();
	return done_testing();
}
