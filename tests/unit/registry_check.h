/* SPDX-License-Identifier: MIT */
/*
 * What test_registry.c and test_registry_faults.c share: the REGT_*
 * environment t41/t42 set, the pushed image's local blobs, opening a
 * client for HOST/REPO, and a manifest fetch that keeps its error line.
 */
#ifndef OCIFS_TESTS_REGISTRY_CHECK_H
#define OCIFS_TESTS_REGISTRY_CHECK_H
#include "log.h"
#include "registry.h"
#include "tap.h"

#define BLOCK (256u << 10)

static inline const char *env(const char *k)
{
	const char *v = getenv(k);

	return v && *v ? v : NULL;
}

static char *oci_dir; /* REGT_OCI: the pushed image's OCI layout */

/* The requests of a whole sequential pass over len bytes: one a window,
 * 1 MiB doubling to 64 MiB (registry_blob.c). */
static inline int pass_windows(size_t len)
{
	int n = 0;

	for (uint64_t at = 0, w = 1u << 20; at < len; at += w, w = w < (64u << 20) ? 2 * w : w)
		n++;
	return n;
}

static inline void *local_blob(const char *digest, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", oci_dir, digest + 7);
	return tap_slurp(path, len);
}

static inline int open_reg(const char *host, const char *repo,
			   const struct ocifs_registry_opts *o, struct ocifs_registry **r)
{
	struct ocifs_regname n;
	char name[300];
	int rc;

	snprintf(name, sizeof(name), "%s/%s", host, repo);
	rc = ocifs_regname_parse(name, &n);
	if (rc == 0) {
		rc = ocifs_registry_open(&n, o, r);
		ocifs_regname_fini(&n);
	}
	return rc;
}

/* get_manifest of tag with a held log: rc, and the message into msg. */
static inline int try_manifest(struct ocifs_registry *r, const char *tag, char *msg, size_t msz)
{
	struct ocifs_log_hold h = { 0 };
	char *body = NULL, *mt = NULL, dig[OCIFS_DIGEST_STRLEN + 1];
	size_t len;
	int rc;

	ocifs_log_hold_attach(&h);
	rc = ocifs_registry_get_manifest(r, tag, 1 << 20, &body, &len, &mt, dig);
	ocifs_log_hold_attach(NULL);
	snprintf(msg, msz, "%s", h.have ? h.msg : "");
	free(body);
	free(mt);
	return rc;
}

#endif
