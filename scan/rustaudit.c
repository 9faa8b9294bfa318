/* SPDX-License-Identifier: MIT */
/*
 * cargo-auditable's .dep-v0 and the FDO .note.package (see rustaudit.h).
 * .dep-v0 is inflated in 64 KiB input chunks into a buffer that may grow
 * to OCIFS_RUSTAUDIT_MAX_JSON and no further, so a zip bomb costs at most
 * that much memory; the JSON is parsed by json-c in strict mode with
 * UTF-8 validation and a small nesting limit, then checked field by field
 * the way auditable-serde's VersionInfo deserializes (unknown keys are
 * allowed, known ones must have their types) and validates (one root at
 * most, no dependency cycle; indices must also be in range, which serde
 * leaves to its users). Not done here: semver parsing of "version".
 * Where the data lies comes from the file's one ELF parse (struct
 * ocifs_elf: its sections and segments, decoded by libelf in
 * scan/elfinfo.c). Still hand-written: the walk over a note area for the
 * FDO note, read again through rd, since elfinfo's libelf handle is gone
 * by then (its copy of the file is per thread and reused); it follows
 * gelf_getnote's layout rules.
 */
#include <elf.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rustaudit.h"

#define RUST_MAX_COMPRESSED (8u << 20)  /* legitimate data compresses well below its 8 MiB cap */
#define RUST_CHUNK (64u << 10)
#define JSON_MAX_DEPTH 128              /* serde_json's recursion limit (the formats nest 4) */
#define NOTE_MAX_AREA (1u << 20)        /* bytes of one note section/segment read */

/* Keep the first reason (printf-style) in *slot; nothing is logged
 * (the rule in scan/rd.h), so rd is unused now.
 * -ENOMEM if it cannot be kept, else 0. */
static int __attribute__((format(printf, 3, 4))) ra_fail(char **slot, const struct ocifs_rd *rd,
							 const char *fmt, ...)
{
	va_list ap;
	int rc;

	(void)rd;
	va_start(ap, fmt);
	rc = ocifs_scan_verror(slot, 0, 256, fmt, ap);
	va_end(ap);
	return rc;
}

/* Parse text[0..len) as exactly one JSON value: the value, or NULL with
 * the reason in *why (a static string). */
static struct json_object *ra_json_parse(const char *text, size_t len, const char **why)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error err;
	size_t end;

	if (memchr(text, '\0', len)) {
		*why = "NUL byte in the JSON text";
		return NULL;
	}
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok) {
		*why = NULL;    /* out of memory */
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || err != json_tokener_success) {
		json_object_put(obj);
		*why = err == json_tokener_continue ? "truncated JSON" : json_tokener_error_desc(err);
		return NULL;
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(obj);
			*why = "data after the JSON value";
			return NULL;
		}
	*why = "";
	return obj;
}

/*
 * Inflate the zlib stream at off..off+len of the file into a malloc'd,
 * NUL-terminated buffer. 0, 1 with the reason in *why (bad data), or a
 * negative errno (-ENOMEM, the reader's error); *from_zlib tells that
 * *why is zlib's own message. Trailing bytes after the
 * end of the stream are ignored, as miniz_oxide does.
 */
static int ra_inflate(const struct ocifs_rd *rd, uint64_t off, uint64_t len, char **out,
		      size_t *outlen, const char **why, int *from_zlib)
{
	unsigned char *in = malloc(RUST_CHUNK);
	size_t cap = RUST_CHUNK, have = 0;
	char *buf = malloc(cap + 1);
	z_stream zs;
	int rc = 0, zrc = Z_OK;
	uint64_t done = 0;

	*out = NULL;
	memset(&zs, 0, sizeof(zs));
	if (!in || !buf || inflateInit2(&zs, 15) != Z_OK) {
		free(in);
		free(buf);
		return -ENOMEM;
	}
	while (zrc != Z_STREAM_END) {
		if (zs.avail_in == 0) {
			size_t n = len - done < RUST_CHUNK ? (size_t)(len - done) : RUST_CHUNK;

			if (n == 0) {
				*why = "truncated zlib stream";
				rc = 1;
				break;
			}
			rc = ocifs_rd_full(rd, in, n, off + done);
			if (rc) {
				if (rc == -EIO) {
					*why = "truncated: short read of .dep-v0";
					rc = 1;
				}
				break;
			}
			done += n;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		if (have == cap) {
			char *nb;

			if (cap >= OCIFS_RUSTAUDIT_MAX_JSON) {
				*why = "decompressed data exceeds 8 MiB (zip bomb?)";
				rc = 1;
				break;
			}
			cap = cap * 2 > OCIFS_RUSTAUDIT_MAX_JSON ? OCIFS_RUSTAUDIT_MAX_JSON : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		zs.next_out = (unsigned char *)buf + have;
		zs.avail_out = (uInt)(cap - have);
		zrc = inflate(&zs, Z_NO_FLUSH);
		have = cap - zs.avail_out;
		if (zrc == Z_MEM_ERROR) {
			rc = -ENOMEM;
			break;
		}
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			*why = zs.msg ? zs.msg : "error";
			*from_zlib = 1;
			rc = 1;
			break;
		}
	}
	inflateEnd(&zs);
	free(in);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[have] = '\0';
	*out = buf;
	*outlen = have;
	return 0;
}

static void ra_pkg_fini(struct ocifs_rust_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->source);
	free(p->kind);
	free(p->deps);
	memset(p, 0, sizeof(*p));
}

void ocifs_rustaudit_fini(struct ocifs_rustaudit *a)
{
	for (size_t i = 0; i < a->n; i++)
		ra_pkg_fini(&a->pkgs[i]);
	free(a->pkgs);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

/* A required (need) or optional string member: 0 and *out (NULL if
 * absent), 1 if absent but required or not a string, -ENOMEM. */
static int ra_str(struct json_object *o, const char *key, int need, char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return need ? 1 : 0;
	if (!json_object_is_type(v, json_type_string))
		return 1;
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

/* One element of "packages" into *p: 0, -ENOMEM, or 1 with the reason
 * written to msg. n is the package count (for index range checks). */
static int ra_package(struct json_object *o, size_t n, struct ocifs_rust_pkg *p, char *msg,
		      size_t msgsz)
{
	static const char *const req[] = { "name", "version", "source" };
	char **dst[] = { &p->name, &p->version, &p->source };
	struct json_object *v;
	size_t nd;
	int rc;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(msg, msgsz, "is not an object");
		return 1;
	}
	for (size_t k = 0; k < 3; k++) {
		if ((rc = ra_str(o, req[k], 1, dst[k])) != 0) {
			if (rc > 0)
				snprintf(msg, msgsz, "\"%s\" is missing or not a string", req[k]);
			return rc;
		}
	}
	if ((rc = ra_str(o, "kind", 0, &p->kind)) != 0) {
		if (rc > 0)
			snprintf(msg, msgsz, "\"kind\" is not a string");
		return rc;
	}
	if (p->kind && strcmp(p->kind, "runtime") && strcmp(p->kind, "build")) {
		snprintf(msg, msgsz, "unknown \"kind\" \"%.40s\"", p->kind);
		return 1;
	}
	if (!p->kind && !(p->kind = strdup("runtime")))
		return -ENOMEM;
	if (json_object_object_get_ex(o, "root", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(msg, msgsz, "\"root\" is not a boolean");
			return 1;
		}
		p->root = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(o, "dependencies", &v))
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		snprintf(msg, msgsz, "\"dependencies\" is not an array");
		return 1;
	}
	nd = json_object_array_length(v);
	if (!nd)
		return 0;
	p->deps = calloc(nd, sizeof(*p->deps));
	if (!p->deps)
		return -ENOMEM;
	for (size_t k = 0; k < nd; k++) {
		struct json_object *d = json_object_array_get_idx(v, k);
		int64_t x;

		if (!json_object_is_type(d, json_type_int)) {
			snprintf(msg, msgsz, "\"dependencies\"[%zu] is not an integer", k);
			return 1;
		}
		x = json_object_get_int64(d);
		if (x < 0 || (uint64_t)x >= n) {
			snprintf(msg, msgsz, "\"dependencies\"[%zu] = %lld is out of range (%zu packages)",
				 k, (long long)x, n);
			return 1;
		}
		p->deps[p->ndeps++] = (size_t)x;
	}
	return 0;
}

/*
 * A package on a dependency cycle, or n if there is none: an iterative
 * depth-first search (colour 1 = on the current path) over the deps
 * edges, O(packages + edges) time, two arrays of n entries.
 */
static int ra_find_cycle(const struct ocifs_rustaudit *a, size_t *at)
{
	unsigned char *colour = calloc(a->n ? a->n : 1, 1);
	size_t *stack = malloc((a->n ? a->n : 1) * sizeof(*stack));
	size_t *edge = calloc(a->n ? a->n : 1, sizeof(*edge));

	*at = a->n;
	if (!colour || !stack || !edge) {
		free(colour);
		free(stack);
		free(edge);
		return -ENOMEM;
	}
	for (size_t s = 0; s < a->n && *at == a->n; s++) {
		size_t sp = 0;

		if (colour[s])
			continue;
		stack[sp++] = s;
		colour[s] = 1;
		while (sp && *at == a->n) {
			size_t u = stack[sp - 1];
			const struct ocifs_rust_pkg *p = &a->pkgs[u];

			if (edge[u] == p->ndeps) {
				colour[u] = 2;
				sp--;
				continue;
			}
			size_t v = p->deps[edge[u]++];
			if (colour[v] == 1)
				*at = v;
			else if (!colour[v]) {
				colour[v] = 1;
				stack[sp++] = v;        /* each node is pushed once: sp <= n */
			}
		}
	}
	free(colour);
	free(stack);
	free(edge);
	return 0;
}

/* Decode the VersionInfo object root into a. 0 or -ENOMEM; problems
 * set a->error. */
static int ra_decode(const struct ocifs_rd *rd, struct json_object *root, struct ocifs_rustaudit *a)
{
	struct json_object *arr, *v;
	char msg[160];
	size_t n, cyc, r1 = 0;
	int rc = 0, roots = 0;

	if (!json_object_is_type(root, json_type_object))
		return ra_fail(&a->error, rd, ".dep-v0: JSON is not an object");
	if (json_object_object_get_ex(root, "format", &v)) {
		int64_t f = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || f < 0 || f > UINT32_MAX)
			return ra_fail(&a->error, rd, ".dep-v0: \"format\" is not a 32-bit unsigned integer");
		a->format = (uint32_t)f;
	}
	if (!json_object_object_get_ex(root, "packages", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return ra_fail(&a->error, rd, ".dep-v0: \"packages\" is missing or not an array");
	n = json_object_array_length(arr);
	if (!n)
		return 0;
	a->pkgs = calloc(n, sizeof(*a->pkgs));
	if (!a->pkgs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		rc = ra_package(json_object_array_get_idx(arr, i), n, &a->pkgs[i], msg, sizeof(msg));
		if (rc) {
			/* Keep packages 0..i-1, their deps cut to those. */
			ra_pkg_fini(&a->pkgs[i]);
			a->n = i;
			for (size_t k = 0; k < i; k++) {
				struct ocifs_rust_pkg *p = &a->pkgs[k];
				size_t m = 0;

				for (size_t d = 0; d < p->ndeps; d++)
					if (p->deps[d] < i)
						p->deps[m++] = p->deps[d];
				p->ndeps = m;
			}
			return rc < 0 ? rc : ra_fail(&a->error, rd, ".dep-v0: package %zu: %s", i, msg);
		}
		a->n = i + 1;
		if (!a->pkgs[i].root)
			continue;
		if (roots++ == 0)
			r1 = i;
		else if ((rc = ra_fail(&a->error, rd, ".dep-v0: several root packages (%zu and %zu)",
				       r1, i)))
			return rc;
	}
	if ((rc = ra_find_cycle(a, &cyc)))
		return rc;
	if (cyc < a->n)
		return ra_fail(&a->error, rd, ".dep-v0: dependency cycle through package %zu (%.60s)",
			       cyc, a->pkgs[cyc].name);
	return 0;
}

int ocifs_rustaudit_read(const struct ocifs_rd *rd, const struct ocifs_elf *e,
			 struct ocifs_rustaudit *out)
{
	const struct ocifs_elf_sec *s = ocifs_elf_section(e, ".dep-v0");
	struct json_object *root;
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc, from_zlib = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return 0;
	out->found = 1;
	if (s->type == SHT_NOBITS)
		return ra_fail(&out->error, rd, ".dep-v0 has no data (SHT_NOBITS)");
	if (s->offset > rd->size || s->size > rd->size - s->offset)
		return ra_fail(&out->error, rd, "truncated: .dep-v0 at %llu+%llu runs past the end of the file",
			       (unsigned long long)s->offset, (unsigned long long)s->size);
	if (s->size > RUST_MAX_COMPRESSED)
		return ra_fail(&out->error, rd, ".dep-v0 too large (%llu bytes)",
			       (unsigned long long)s->size);
	rc = ra_inflate(rd, s->offset, s->size, &text, &len, &why, &from_zlib);
	if (rc)
		return rc < 0 ? rc : ra_fail(&out->error, rd, ".dep-v0: %s%s",
					     from_zlib ? "bad zlib stream: " : "", why);
	root = ra_json_parse(text, len, &why);
	free(text);
	if (!root)
		return why ? ra_fail(&out->error, rd, ".dep-v0: %s", why) : -ENOMEM;
	rc = ra_decode(rd, root, out);
	json_object_put(root);
	return rc;
}

/* ---- FDO packaging metadata note ---- */

void ocifs_pkgnote_fini(struct ocifs_pkgnote *n)
{
	free(n->json);
	free(n->type);
	free(n->name);
	free(n->version);
	free(n->arch);
	free(n->cpe);
	free(n->error);
	memset(n, 0, sizeof(*n));
}

/* Decode the note's desc (desc[0..len)) into out. 0 or -ENOMEM. */
static int pn_decode(const struct ocifs_rd *rd, const char *desc, size_t len,
		     struct ocifs_pkgnote *out)
{
	static const char *const keys[] = { "type", "name", "version", "architecture", "osCpe" };
	char **dst[] = { &out->type, &out->name, &out->version, &out->arch, &out->cpe };
	const char *nul = memchr(desc, '\0', len), *why;
	struct json_object *obj;
	int rc = 0;

	if (nul)
		len = (size_t)(nul - desc);
	obj = ra_json_parse(desc, len, &why);
	if (!obj)
		return why ? ra_fail(&out->error, rd, "package note: %s", why) : -ENOMEM;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return ra_fail(&out->error, rd, "package note: JSON is not an object");
	}
	out->json = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!out->json)
		rc = -ENOMEM;
	for (size_t k = 0; !rc && k < sizeof(keys) / sizeof(keys[0]); k++) {
		rc = ra_str(obj, keys[k], 0, dst[k]);
		if (rc > 0)
			rc = ra_fail(&out->error, rd, "package note: \"%s\" is not a string", keys[k]);
	}
	json_object_put(obj);
	return rc;
}

/* Search one note area for the FDO note: 0 (out->found says if it was
 * there), -ENOMEM, or the reader's error. */
static int pn_area(const struct ocifs_rd *rd, const struct ocifs_elf *e, uint64_t off,
		   uint64_t len, uint64_t align, struct ocifs_pkgnote *out)
{
	size_t a = align == 8 ? 8 : 4;
	unsigned char *buf;
	uint64_t i = 0;
	int rc;

	if (off > rd->size || len > rd->size - off)
		return 0;       /* elfinfo reported that already */
	if (len > NOTE_MAX_AREA)
		len = NOTE_MAX_AREA;
	if (len < 12)
		return 0;
	buf = malloc((size_t)len);
	if (!buf)
		return -ENOMEM;
	rc = ocifs_rd_full(rd, buf, (size_t)len, off);
	if (rc) {
		free(buf);
		return rc == -EIO ? 0 : rc;
	}
	while (len - i >= 12) {
		uint64_t namesz = ocifs_elf_uint(e, buf + i, 4), descsz = ocifs_elf_uint(e, buf + i + 4, 4);
		uint32_t type = (uint32_t)ocifs_elf_uint(e, buf + i + 8, 4);
		uint64_t nameoff = i + 12, descoff = (nameoff + namesz + a - 1) & ~(uint64_t)(a - 1);
		int fdo;

		if (descoff > len || descsz > len - descoff)
			break;  /* runs past its area: nothing more to trust here */
		fdo = (namesz == 4 && memcmp(buf + nameoff, "FDO", 4) == 0) ||
		      (namesz == 3 && memcmp(buf + nameoff, "FDO", 3) == 0);
		if (fdo && type == OCIFS_PKGNOTE_TYPE) {
			out->found = 1;
			rc = pn_decode(rd, (const char *)buf + descoff, (size_t)descsz, out);
			break;
		}
		i = (descoff + descsz + a - 1) & ~(uint64_t)(a - 1);
	}
	free(buf);
	return rc;
}

int ocifs_pkgnote_read(const struct ocifs_rd *rd, const struct ocifs_elf *e,
		       struct ocifs_pkgnote *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; !rc && !out->found && i < e->nsecs; i++) {
		const struct ocifs_elf_sec *s = &e->secs[i];

		if (s->type == SHT_NOTE)
			rc = pn_area(rd, e, s->offset, s->size, s->align, out);
	}
	for (size_t i = 0; !rc && !out->found && i < e->nsegs; i++) {
		const struct ocifs_elf_seg *s = &e->segs[i];

		if (s->type == PT_NOTE)
			rc = pn_area(rd, e, s->offset, s->filesz, s->align, out);
	}
	return rc;
}
