/* SPDX-License-Identifier: MIT */
/*
 * imageref.c: image names split the way containers/image splits them
 * (containers-transports(5)): the transport before the first ':', the
 * path of a file transport up to the next ':', the rest its reference;
 * skopeo's 0-based "@N" as our 1-based "#N"; names that are not a known
 * transport are paths; the unsupported transports are recognized.
 */
#include <errno.h>
#include <string.h>

#include "imageref.h"
#include "tap.h"

#define NUL "(null)"

static const char *or_null(const char *s)
{
	return s ? s : NUL;
}

int main(void)
{
	static const struct {
		const char *in;
		int rc;
		enum ocifs_ref_kind kind;
		const char *transport, *path, *select; /* NUL: NULL */
	} cases[] = {
		{ "img.tar", 0, OCIFS_REF_PATH, NUL, "img.tar", NUL },
		{ "/a/b/oci", 0, OCIFS_REF_PATH, NUL, "/a/b/oci", NUL },
		{ "nginx:latest", 0, OCIFS_REF_PATH, NUL, "nginx:latest", NUL },
		{ "./a:b.tar", 0, OCIFS_REF_PATH, NUL, "./a:b.tar", NUL },
		{ "ociX:foo", 0, OCIFS_REF_PATH, NUL, "ociX:foo", NUL },
		{ "-", 0, OCIFS_REF_STDIN, NUL, "-", NUL },
		{ "docker-archive:x.tar", 0, OCIFS_REF_DOCKER_ARCHIVE, "docker-archive", "x.tar", NUL },
		{ "docker-archive:x.tar:", 0, OCIFS_REF_DOCKER_ARCHIVE, "docker-archive", "x.tar", NUL },
		{ "docker-archive:/d/x.tar:nginx:1.25", 0, OCIFS_REF_DOCKER_ARCHIVE, "docker-archive",
		  "/d/x.tar", "nginx:1.25" },
		{ "docker-archive:x.tar:reg.io:5000/a/b:v1", 0, OCIFS_REF_DOCKER_ARCHIVE,
		  "docker-archive", "x.tar", "reg.io:5000/a/b:v1" },
		{ "docker-archive:x.tar:@0", 0, OCIFS_REF_DOCKER_ARCHIVE, "docker-archive", "x.tar", "#1" },
		{ "docker-archive:x.tar:@12", 0, OCIFS_REF_DOCKER_ARCHIVE, "docker-archive", "x.tar",
		  "#13" },
		{ "docker-archive:x.tar:@", -EINVAL, 0, NUL, NUL, NUL },
		{ "docker-archive:x.tar:@1x", -EINVAL, 0, NUL, NUL, NUL },
		{ "docker-archive:x.tar:@-1", -EINVAL, 0, NUL, NUL, NUL },
		{ "docker-archive:x.tar:a@sha256:00", -EINVAL, 0, NUL, NUL, NUL },
		{ "docker-archive:", -EINVAL, 0, NUL, NUL, NUL },
		{ "docker-archive::a:b", -EINVAL, 0, NUL, NUL, NUL },
		{ "oci-archive:o.tar", 0, OCIFS_REF_OCI_ARCHIVE, "oci-archive", "o.tar", NUL },
		{ "oci-archive:o.tar:v1", 0, OCIFS_REF_OCI_ARCHIVE, "oci-archive", "o.tar", "v1" },
		{ "oci-archive:o.tar:@1", 0, OCIFS_REF_OCI_ARCHIVE, "oci-archive", "o.tar", "#2" },
		{ "oci:dir", 0, OCIFS_REF_OCI_DIR, "oci", "dir", NUL },
		{ "oci:dir:latest", 0, OCIFS_REF_OCI_DIR, "oci", "dir", "latest" },
		{ "oci:/a/dir:x:y", 0, OCIFS_REF_OCI_DIR, "oci", "/a/dir", "x:y" },
		{ "docker://nginx:latest", 0, OCIFS_REF_REGISTRY, "docker", "nginx:latest", NUL },
		{ "docker://ghcr.io/a/b@sha256:00", 0, OCIFS_REF_REGISTRY, "docker",
		  "ghcr.io/a/b@sha256:00", NUL },
		{ "docker:nginx", -EINVAL, 0, NUL, NUL, NUL },
		{ "containers-storage:nginx", 0, OCIFS_REF_UNSUPPORTED, "containers-storage", "nginx",
		  NUL },
		{ "docker-daemon:nginx:latest", 0, OCIFS_REF_UNSUPPORTED, "docker-daemon",
		  "nginx:latest", NUL },
		{ "dir:/x", 0, OCIFS_REF_UNSUPPORTED, "dir", "/x", NUL },
		{ "", -EINVAL, 0, NUL, NUL, NUL },
	};
	static const struct {
		const char *s;
		int name;
	} names[] = {
		{ "nginx:latest", 1 },    { "ghcr.io/a/b:1.2", 1 },   { "localhost:5000/x", 0 },
		{ "localhost:5000/x:y", 1 }, { "alpine@sha256:ab", 1 }, { "img.tar", 0 },
		{ "./x:y", 0 },           { "/tmp/x:y", 0 },          { "My Image:1", 0 },
		{ "a/b", 0 },             { "nginx:Latest", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ocifs_imageref r;
		int rc = ocifs_imageref_parse(cases[i].in, &r);

		is_int(rc, cases[i].rc, "parse \"%s\": status", cases[i].in);
		if (rc || cases[i].rc) {
			ok(!r.path && !r.transport && !r.select, "parse \"%s\": nothing left", cases[i].in);
			continue;
		}
		ok(r.kind == cases[i].kind, "parse \"%s\": kind %d", cases[i].in, (int)r.kind);
		is_str(or_null(r.transport), cases[i].transport, "parse \"%s\": transport", cases[i].in);
		is_str(or_null(r.path), cases[i].path, "parse \"%s\": path", cases[i].in);
		is_str(or_null(r.select), cases[i].select, "parse \"%s\": reference", cases[i].in);
		ocifs_imageref_fini(&r);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		is_int(ocifs_imageref_looks_like_name(names[i].s), names[i].name,
		       "\"%s\" %s an image name", names[i].s, names[i].name ? "is" : "is not");
	return done_testing();
}
