/* SPDX-License-Identifier: MIT */
/*
 * /.deps (see deps.h): the pipeline (pipeline.h) with the /.deps
 * catalogers -- ELF (with UPX, Go, Rust, package note), scripts, the
 * library search -- over the merged view, rendered by deps_json.c; then
 * cached on disk.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "deps.h"
#include "deps_priv.h"
#include "log.h"
#include "pipeline.h"
#include "sha.h"

/* The catalogers of /.deps, in run order. */
static const struct ocifs_cataloger *const deps_cats[] = {
	&ocifs_cat_elf,
	&ocifs_cat_script,
	&ocifs_cat_ldso,
};

int ocifs_deps_build(struct ocifs_image *img, const struct ocifs_view *v,
		     const struct ocifs_deps_opts *o, char **json, size_t *len,
		     struct ocifs_deps_stats *st)
{
	struct ocifs_pipeline_opts po = { .cats = deps_cats,
					  .ncats = sizeof(deps_cats) / sizeof(deps_cats[0]) };
	struct ocifs_deps_stats local;
	struct ocifs_model m;
	double t0 = ocifs_now();
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o) {
		po.threads = o->threads;
		po.cancelled = o->cancelled;
		po.cancel_ctx = o->cancel_ctx;
		if (o->timeout_ms)
			po.deadline = t0 + o->timeout_ms / 1e3;
	}
	rc = ocifs_pipeline_run(img, v, &po, &m);
	if (rc == 0) {
		double t = ocifs_now();
		rc = deps_json_write(&m, img, json, len, st);
		log_dbg("deps: %zu files, document %.3f s", m.nfiles, ocifs_now() - t);
	}
	ocifs_model_fini(&m);
	st->secs = ocifs_now() - t0;
	return rc;
}

/* --- the cache ------------------------------------------------------- */

/* The GNU build-id of the running program, so that a rebuilt ocifs
 * (whose analysis may differ within one version number) does not trust
 * documents an older build wrote. */
static int self_note(struct dl_phdr_info *info, size_t size, void *ctx)
{
	unsigned char *id = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *nh = (const void *)(p + off);
			size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
			const unsigned char *d = p + off + sizeof(*nh) + name;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(p + off + sizeof(*nh), "GNU", 4) &&
			    off + sizeof(*nh) + name + nh->n_descsz <= ph->p_memsz) {
				id[0] = (unsigned char)(nh->n_descsz < 32 ? nh->n_descsz : 32);
				memcpy(id + 1, d, id[0]);
				return 1;
			}
			off += sizeof(*nh) + name + desc;
		}
	}
	return 1; /* the first object is the program itself */
}

static int cache_path(struct ocifs_image *img, const char *dir, char **out)
{
	char hex[OCIFS_DIGEST_STRLEN + 1], tag[64];
	unsigned char key[32];
	struct ocifs_sha *h;
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	unsigned char self[33] = { 0 };

	snprintf(tag, sizeof(tag), "ocifs-deps %s schema %d\n", PACKAGE_VERSION, OCIFS_DEPS_SCHEMA);
	ocifs_sha_update(h, tag, strlen(tag));
	dl_iterate_phdr(self_note, self);
	ocifs_sha_update(h, self, sizeof(self));
	ocifs_sha_update(h, img->manifest_digest, strlen(img->manifest_digest));
	for (size_t i = 0; i < img->nlayers; i++) {
		ocifs_sha_update(h, "\n", 1);
		ocifs_sha_update(h, img->layers[i].digest, strlen(img->layers[i].digest));
	}
	ocifs_sha_final(h, key);
	ocifs_sha_free(h);
	ocifs_digest_format(key, hex);
	return asprintf(out, "%s/deps/%s.json", dir, hex + 7) < 0 ? -ENOMEM : 0;
}

/* The cached document, if it looks like one this build wrote: 0,
 * -ENOENT, -ESTALE. Only its frame is checked (the schema line first,
 * the closing brace last, a files array): the file was renamed into
 * place whole, and a full parse would cost more than the rest of a warm
 * open. Its bytes are served as they are; whoever parses them (deps.txt,
 * PATH selection) parses them in full. */
static int cache_load(const char *path, char **json, size_t *len)
{
	char head[64];
	int fd = ocifs_cache_open_read(path); /* never through a symlink */
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *b = NULL;
	long n;
	int rc = -ESTALE, hl;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return fd == -ELOOP ? -ESTALE : -ENOENT;
	}
	hl = snprintf(head, sizeof(head), "{\n  \"schema\": %d,\n", OCIFS_DEPS_SCHEMA);
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > hl + 2 && n < (1L << 30) &&
	    fseek(fp, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) &&
	    fread(b, 1, (size_t)n, fp) == (size_t)n) {
		b[n] = '\0';
		if (!memcmp(b, head, (size_t)hl) && !strcmp(b + n - 2, "}\n") &&
		    strstr(b, "\n  \"files\": [")) {
			*json = b;
			*len = (size_t)n;
			b = NULL;
			rc = 0;
		}
	}
	free(b);
	fclose(fp);
	return rc;
}

int ocifs_deps_json(struct ocifs_image *img, const struct ocifs_view *v,
		    const struct ocifs_deps_opts *o, char **json, size_t *len,
		    struct ocifs_deps_stats *st)
{
	struct ocifs_deps_stats local;
	char *path = NULL;
	double t0 = ocifs_now();
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o && o->cache_dir) {
		if ((rc = cache_path(img, o->cache_dir, &path)))
			return rc;
		rc = cache_load(path, json, len);
		if (rc == 0) {
			st->from_cache = 1;
			st->secs = ocifs_now() - t0;
			free(path);
			return 0;
		}
		if (rc == -ESTALE)
			log_warn("cache %s is unusable; rebuilding it", path);
	}
	rc = ocifs_deps_build(img, v, o, json, len, st);
	if (rc == 0 && path && ocifs_cache_write_atomic(path, *json, *len))
		log_warn("%s: cannot write the deps cache", path);
	st->secs = ocifs_now() - t0;
	free(path);
	return rc;
}
