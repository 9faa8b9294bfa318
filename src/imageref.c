/* SPDX-License-Identifier: MIT */
/*
 * Parsing image names (imageref.h): a bare path, stdin, or one of
 * skopeo's transports, split as containers/image splits them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "log.h"

static const struct {
	const char *name;
	enum ocifs_ref_kind kind;
} transports[] = {
	{ "docker-archive", OCIFS_REF_DOCKER_ARCHIVE },
	{ "oci-archive", OCIFS_REF_OCI_ARCHIVE },
	{ "oci", OCIFS_REF_OCI_DIR },
	{ "docker", OCIFS_REF_REGISTRY },
	{ "containers-storage", OCIFS_REF_UNSUPPORTED },
	{ "docker-daemon", OCIFS_REF_UNSUPPORTED },
	{ "dir", OCIFS_REF_UNSUPPORTED },
	{ "ostree", OCIFS_REF_UNSUPPORTED },
	{ "sif", OCIFS_REF_UNSUPPORTED },
	{ "tarball", OCIFS_REF_UNSUPPORTED },
};

void ocifs_imageref_fini(struct ocifs_imageref *r)
{
	free(r->transport);
	free(r->path);
	free(r->select);
	memset(r, 0, sizeof(*r));
}

/* skopeo's "@N" (0-based source index) as our "#N" (1-based position). */
/* log_err() unless the caller parses quietly */
#define say(...)                                  \
	do {                                      \
		if (!quiet)                       \
			log_err(__VA_ARGS__);     \
	} while (0)

static int source_index(const char *s, const char *ref, char **out, int quiet)
{
	unsigned long long n = 0;
	const char *p = ref + 1;

	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || n > 100000000ULL)
			goto bad;
		n = n * 10 + (unsigned)(*p - '0');
	}
	return asprintf(out, "#%llu", n + 1) < 0 ? -ENOMEM : 0;
bad:
	say("%s: \"%s\" is not a source index (@N, where @0 is the first image)", s, ref);
	return -EINVAL;
}

static int parse(const char *s, struct ocifs_imageref *r, int quiet)
{
	const char *colon = strchr(s, ':'), *rest, *sep;
	size_t i, tl;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!strcmp(s, "-")) {
		r->kind = OCIFS_REF_STDIN;
		return (r->path = strdup(s)) ? 0 : -ENOMEM;
	}
	tl = colon ? (size_t)(colon - s) : 0;
	for (i = 0; colon && i < sizeof(transports) / sizeof(transports[0]); i++)
		if (strlen(transports[i].name) == tl && !strncmp(s, transports[i].name, tl))
			break;
	if (!colon || i == sizeof(transports) / sizeof(transports[0])) {
		r->kind = OCIFS_REF_PATH; /* not a transport: a path */
		if (!*s) {
			say("an empty image name");
			return -EINVAL;
		}
		return (r->path = strdup(s)) ? 0 : -ENOMEM;
	}
	r->kind = transports[i].kind;
	rest = colon + 1;
	if (!(r->transport = strndup(s, tl)))
		return -ENOMEM;
	if (r->kind == OCIFS_REF_REGISTRY) {
		if (strncmp(rest, "//", 2) || !rest[2]) {
			say("%s: a registry image is written docker://NAME[:TAG|@DIGEST]", s);
			rc = -EINVAL;
		} else if (!(r->path = strdup(rest + 2))) {
			rc = -ENOMEM;
		}
		goto out;
	}
	if (r->kind == OCIFS_REF_UNSUPPORTED) {
		rc = (r->path = strdup(rest)) ? 0 : -ENOMEM;
		goto out;
	}
	/* A file transport: PATH up to the next ':', then the reference. */
	sep = strchr(rest, ':');
	r->path = sep ? strndup(rest, (size_t)(sep - rest)) : strdup(rest);
	if (!r->path) {
		rc = -ENOMEM;
		goto out;
	}
	if (!*r->path) {
		say("%s: no path after \"%s:\"", s, r->transport);
		rc = -EINVAL;
		goto out;
	}
	if (!sep || !sep[1])
		goto out;
	sep++;
	if (*sep == '@') {
		rc = source_index(s, sep, &r->select, quiet);
	} else if (r->kind == OCIFS_REF_DOCKER_ARCHIVE && strchr(sep, '@')) {
		say("%s: docker-archive takes NAME:TAG or @N, not a digest reference", s);
		rc = -EINVAL;
	} else if (!(r->select = strdup(sep))) {
		rc = -ENOMEM;
	}
out:
	if (rc)
		ocifs_imageref_fini(r);
	return rc;
}

int ocifs_imageref_parse(const char *s, struct ocifs_imageref *r)
{
	return parse(s, r, 0);
}

int ocifs_imageref_split(const char *s, struct ocifs_imageref *r)
{
	return parse(s, r, 1);
}

int ocifs_imageref_unsupported(const struct ocifs_imageref *r, const char *s)
{
	if (!strcmp(r->transport, "containers-storage") || !strcmp(r->transport, "docker-daemon"))
		log_err("%s: the %s: transport is not supported; save the image to a file first: "
			"skopeo copy %s oci-archive:FILE.tar", s, r->transport, s);
	else
		log_err("%s: the %s: transport is not supported; ocifs reads docker-archive:, "
			"oci-archive: and oci: (skopeo copy %s oci:DIR converts)", s, r->transport, s);
	return -EOPNOTSUPP;
}

int ocifs_imageref_looks_like_name(const char *s)
{
	const char *colon = strrchr(s, ':'), *slash = strrchr(s, '/'), *at = strchr(s, '@');

	/* A reference is lower-case name components, then :TAG and/or
	 * @DIGEST; a path seldom has a ':' after its last '/'. */
	if (!(colon && (!slash || colon > slash)) && !at)
		return 0;
	if (*s == '/' || *s == '.' || *s == '~')
		return 0;
	for (const char *p = s; *p && p != at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/:", *p) ||
		      (*p >= 'A' && *p <= 'Z' && colon && p > colon)))
			return 0;
	return 1;
}
