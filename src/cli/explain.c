/* SPDX-License-Identifier: MIT */
/*
 * `ocifs explain IMAGE PATH [--json]`: everything ocifs knows about one
 * path, gathered into one JSON object (printed as it is with --json,
 * else rendered as text by explain_text.c):
 *
 *   entry    the merged view's facts: type, mode, owner, size, the layer
 *            that supplied it (and its config history line), sha256 and
 *            magic flags of the layer index, hard links, a symlink's
 *            target and where it resolves inside the image;
 *   history  every layer's version of it (lchange.h);
 *   deps     the /.deps verdict: its deps.json entry (the cached document
 *            the command and the mount serve) or why it has none, and
 *            the reason the analysis skipped it (the /.deps catalogers
 *            run over this file alone: the same code, the same verdict);
 *   sbom     the packages whose files include it (the cached CycloneDX
 *            document), its own component, or why it is in none.
 *
 * Exit status: 0 when PATH is in the merged image, 1 when it is not
 * (one line on stderr says what removed it, if a layer did), 2 usage.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli.h"
#include "deps.h"
#include "esc.h"
#include "explain.h"
#include "hex.h"
#include "log.h"
#include "model.h"
#include "pkgtext.h"
#include "sbom.h"
#include "tree_view.h"

#define EXPLAIN_MAX_LINKS 16    /* names of a hard-linked inode listed */

/* A JSON string of untrusted bytes: valid UTF-8 as it is, else escaped. */
json_object *explain_str(const char *s)
{
	char *t;
	json_object *o;

	if (!s)
		return NULL;
	if (!(t = ocifs_pkg_text(s, strlen(s), NULL)))
		return NULL;
	o = json_object_new_string(t);
	free(t);
	return o;
}

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static const char *type_word(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "unknown";
	}
}

struct links {
	uint64_t ino;
	json_object *arr;
};

static int link_name(void *ctx, const char *path, uint64_t ino, const struct ocifs_vattr *a)
{
	struct links *l = ctx;

	(void)a;
	if (ino == l->ino)
		json_object_array_add(l->arr, explain_str(path));
	return json_object_array_length(l->arr) >= EXPLAIN_MAX_LINKS;
}

/* The names of inode ino (a hard-linked file): a walk of the view's
 * directories, once. */
static void link_names(const struct ocifs_view *v, uint64_t ino, json_object *arr)
{
	struct links l = { ino, arr };

	if (json_object_array_length(arr) < EXPLAIN_MAX_LINKS)
		(void)ocifs_view_walk(v, link_name, &l); /* out of memory: the names so far */
}

/* The view's facts of the path (ino, canonical name canon). */
static json_object *entry_facts(struct ocifs_session *s, struct ocifs_tree_view *tv,
				const char *canon, uint64_t ino)
{
	json_object *e = json_object_new_object(), *magic;
	struct ocifs_vattr a;
	unsigned char sha[32];
	uint32_t fl = 0;
	char hex[65];

	if (!e || ocifs_view_getattr(s->view, ino, &a)) {
		json_object_put(e);
		return NULL;
	}
	put(e, "type", json_object_new_string(type_word(a.mode)));
	put(e, "mode", json_object_new_int((int)(a.mode & 07777)));
	put(e, "uid", json_object_new_int64((int64_t)a.uid));
	put(e, "gid", json_object_new_int64((int64_t)a.gid));
	put(e, "size", json_object_new_int64((int64_t)a.size));
	put(e, "mtime_ns", json_object_new_int64(a.mtime_ns));
	if (a.layer != OCIFS_VIEW_NO_LAYER && a.layer < s->img->nlayers) {
		const struct ocifs_history *h = ocifs_image_layer_history(s->img, a.layer);
		put(e, "layer", json_object_new_int64((int64_t)a.layer + 1));
		put(e, "layer_digest", json_object_new_string(s->img->layers[a.layer].digest));
		put(e, "created_by", h && h->created_by ? explain_str(h->created_by) : NULL);
	} else {
		put(e, "layer", NULL); /* a directory no layer lists: implied */
	}
	put(e, "nlink", json_object_new_int64(a.nlink));
	if (S_ISREG(a.mode) && ocifs_view_file_facts(s->view, ino, &fl, sha) == 0) {
		if (fl & OCIFS_EF_HASHED) {
			ocifs_hex_encode(hex, sha, 32);
			hex[64] = '\0';
			put(e, "sha256", json_object_new_string(hex));
		}
		magic = json_object_new_array();
		if (fl & OCIFS_EF_ELF)
			json_object_array_add(magic, json_object_new_string("elf"));
		if (fl & OCIFS_EF_ZIP)
			json_object_array_add(magic, json_object_new_string("zip"));
		if (fl & OCIFS_EF_SCRIPT)
			json_object_array_add(magic, json_object_new_string("script"));
		put(e, "magic", magic);
		if (fl & OCIFS_EF_SPARSE)
			put(e, "sparse", json_object_new_boolean(1));
		if (a.nlink > 1) {
			json_object *names = json_object_new_array();
			link_names(s->view, ino, names);
			put(e, "hardlinks", names);
		}
	}
	if (S_ISLNK(a.mode)) {
		const char *target = NULL;
		json_object *l = json_object_new_object();
		char *real = NULL;
		uint64_t rino;
		int rc;

		ocifs_view_readlink(s->view, ino, &target);
		put(l, "target", explain_str(target));
		rc = ocifs_tree_view_resolve(tv, canon, 1, &rino, &real);
		put(l, "resolves_to", rc ? NULL : explain_str(real));
		if (rc)
			put(l, "error", json_object_new_string(rc == -ENOENT ? "dangling: no such path in the image"
								 : rc == -ELOOP ? "a loop of symbolic links"
										: strerror(-rc)));
		free(real);
		put(e, "symlink", l);
	}
	return e;
}

/* The deps.json entry of path, or NULL. */
static json_object *deps_entry(json_object *doc, const char *path)
{
	json_object *files;

	if (!json_object_object_get_ex(doc, "files", &files))
		return NULL;
	for (size_t i = 0, n = json_object_array_length(files); i < n; i++) {
		json_object *f = json_object_array_get_idx(files, i), *p;
		if (json_object_object_get_ex(f, "path", &p) &&
		    !strcmp(json_object_get_string(p), path))
			return json_object_get(f);
	}
	return NULL;
}

/* Why the /.deps catalogers do not want a file, from its view facts. */
static const char *deps_why_not(const struct ocifs_vattr *a, uint32_t fl)
{
	if (!S_ISREG(a->mode))
		return "not a regular file: /.deps lists ELF files and scripts";
	if (!(fl & (OCIFS_EF_ELF | OCIFS_EF_SCRIPT)))
		return (a->mode & 0111) ? "executable, but its bytes start with neither ELF magic nor "
					  "#!: no /.deps analysis wants it"
					: "its bytes start with neither ELF magic nor #!: "
					  "no /.deps analysis wants it";
	return NULL;
}

/* The analyzers warn about a bad file (log_warn) each time they read it:
 * building deps.json already said it once, and explain prints the verdict
 * itself, so its own re-analysis (and the SBOM build's) stays quiet. */
static enum ocifs_log_level quiet_warnings(void)
{
	enum ocifs_log_level was = ocifs_log_threshold;

	if (was < OCIFS_LOG_DBG && was > OCIFS_LOG_ERR)
		ocifs_log_threshold = OCIFS_LOG_ERR;
	return was;
}

/* The /.deps verdict of canon (ino). */
static int deps_part(struct ocifs_session *s, const char *canon, uint64_t ino, json_object *o)
{
	struct ocifs_deps_opts dopts = { .cache_dir = s->cache_dir };
	json_object *d = json_object_new_object(), *doc = NULL, *ent = NULL;
	struct ocifs_model m;
	struct ocifs_vattr a;
	char *json = NULL;
	size_t len = 0;
	uint32_t fl = 0;
	int rc;

	put(o, "deps", d);
	if ((rc = ocifs_deps_json(s->img, s->view, &dopts, &json, &len, NULL)))
		return rc;
	doc = json_tokener_parse(json);
	free(json);
	if (!doc)
		return -EBADMSG;
	ent = deps_entry(doc, canon);
	json_object_put(doc);
	put(d, "in_deps", json_object_new_boolean(ent != NULL));
	put(d, "entry", ent);
	ocifs_view_getattr(s->view, ino, &a);
	ocifs_view_file_facts(s->view, ino, &fl, NULL);
	const char *why = deps_why_not(&a, fl);
	if (why) {
		put(d, "why", json_object_new_string(why));
		return 0;
	}
	/* a candidate: the analysis of this file alone says what it found */
	enum ocifs_log_level was = quiet_warnings();
	rc = ocifs_deps_one(s->img, s->view, canon, &m);
	ocifs_log_threshold = was;
	if (rc) {
		ocifs_model_fini(&m);
		return rc;
	}
	if (m.nfiles) {
		const struct ocifs_mfile *f = &m.files[0];
		if (f->skipped)
			put(d, "skipped", explain_str(f->skipped));
		if (!ent)
			put(d, "why", explain_str(f->skipped ? f->skipped
					: f->error ? f->error
					: (fl & OCIFS_EF_ELF) ? "ELF magic, but not an ELF file"
							      : "#! but no interpreter line"));
	}
	ocifs_model_fini(&m);
	return 0;
}

/* The SBOM components that list canon (directly, or through a symlinked
 * directory: their paths resolve to it), and those whose source it is. */
static int sbom_part(struct ocifs_session *s, struct ocifs_tree_view *tv, const char *canon,
		     uint64_t ino, json_object *o)
{
	struct ocifs_sbom_opts so = { .cache_dir = s->cache_dir };
	json_object *d = json_object_new_object(), *doc, *comps, *owners, *sources;
	const char *base = strrchr(canon, '/');
	char *cdx = NULL;
	size_t len = 0;
	int rc;

	put(o, "sbom", d);
	enum ocifs_log_level was = quiet_warnings();
	rc = ocifs_sbom_cdx(s->img, s->view, &so, &cdx, &len, NULL);
	ocifs_log_threshold = was;
	if (rc)
		return rc;
	doc = json_tokener_parse(cdx);
	free(cdx);
	if (!doc)
		return -EBADMSG;
	base = base ? base + 1 : canon;
	owners = json_object_new_array();
	sources = json_object_new_array();
	if (json_object_object_get_ex(doc, "components", &comps)) {
		for (size_t i = 0, n = json_object_array_length(comps); i < n; i++) {
			json_object *c = json_object_array_get_idx(comps, i), *ev, *occ, *props;
			int owns = 0, src = 0;
			if (json_object_object_get_ex(c, "evidence", &ev) &&
			    json_object_object_get_ex(ev, "occurrences", &occ)) {
				for (size_t k = 0, no = json_object_array_length(occ); k < no && !owns; k++) {
					json_object *loc;
					const char *l, *lb;
					uint64_t li;
					if (!json_object_object_get_ex(json_object_array_get_idx(occ, k),
								       "location", &loc))
						continue;
					l = json_object_get_string(loc);
					lb = strrchr(l, '/');
					if (!strcmp(l, canon))
						owns = 1;
					else if (!strcmp(lb ? lb + 1 : l, base) &&
						 ocifs_tree_view_resolve(tv, l, 0, &li, NULL) == 0)
						owns = li == ino; /* the same file by another path */
				}
			}
			if (json_object_object_get_ex(c, "properties", &props)) {
				for (size_t k = 0, np = json_object_array_length(props); k < np; k++) {
					json_object *p = json_object_array_get_idx(props, k), *nm, *v;
					if (json_object_object_get_ex(p, "name", &nm) &&
					    json_object_object_get_ex(p, "value", &v) &&
					    !strcmp(json_object_get_string(nm), "ocifs:source") &&
					    !strcmp(json_object_get_string(v), canon))
						src = 1;
				}
			}
			if (!owns && !src)
				continue;
			json_object *x = json_object_new_object();
			static const char *const keys[] = { "type", "name", "version", "purl" };
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				json_object *v;
				if (json_object_object_get_ex(c, keys[k], &v))
					put(x, keys[k], json_object_get(v));
			}
			json_object_array_add(owns ? owners : sources, x);
		}
	}
	json_object_put(doc);
	put(d, "in_sbom", json_object_new_boolean(json_object_array_length(owners) > 0));
	put(d, "owners", owners);
	put(d, "source_of", sources);
	return 0;
}

/* Words for the /.sbom verdict (owners already found). */
static void sbom_why(json_object *o)
{
	json_object *d, *owners, *entry, *magic, *deps, *ent;
	int elf = 0;

	if (!json_object_object_get_ex(o, "sbom", &d) ||
	    !json_object_object_get_ex(d, "owners", &owners))
		return;
	if (json_object_array_length(owners)) {
		json_object *c = json_object_array_get_idx(owners, 0), *p, *t;
		const char *purl = json_object_object_get_ex(c, "purl", &p) ? json_object_get_string(p) : "";
		const char *type = json_object_object_get_ex(c, "type", &t) ? json_object_get_string(t) : "";
		put(d, "why", json_object_new_string(
			!strncmp(purl, "pkg:generic/", 12)
				? "its own component: an ELF file no package lists"
			: !strcmp(type, "application")
				? "its own component: the application the binary is (its build info "
				  "names it)"
				: "a file of the package(s) listed: a package's files get no component "
				  "of their own"));
		return;
	}
	if (json_object_object_get_ex(o, "entry", &entry) &&
	    json_object_object_get_ex(entry, "type", &magic) &&
	    strcmp(json_object_get_string(magic), "regular file")) {
		put(d, "why", json_object_new_string("not a regular file, and no package lists it "
						     "(a package's directories are not claimed)"));
		return;
	}
	if (json_object_object_get_ex(o, "entry", &entry) &&
	    json_object_object_get_ex(entry, "magic", &magic))
		for (size_t i = 0; i < json_object_array_length(magic); i++)
			elf |= !strcmp(json_object_get_string(json_object_array_get_idx(magic, i)), "elf");
	if (elf && json_object_object_get_ex(o, "deps", &deps) &&
	    json_object_object_get_ex(deps, "entry", &ent) && ent)
		put(d, "why", json_object_new_string("an ELF object file that is neither a program "
						     "nor a library: no component"));
	else if (elf)
		put(d, "why", json_object_new_string("ELF magic, but not an ELF file the analysis "
						     "could read: no component"));
	else
		put(d, "why", json_object_new_string("no package lists it, and only ELF files get a "
						     "component of their own"));
}

int cmd_explain(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_tree_view *tv = NULL;
	struct ocifs_session *s = NULL;
	json_object *o = NULL;
	char *norm = NULL, *arg = NULL, *canon = NULL;
	uint64_t ino = 0;
	int rc, in_view;

	if (!(norm = cli_normalized_arg(c->args[1])))
		return OCIFS_EXIT_USAGE;
	if (asprintf(&arg, "/%s", norm) < 0) {
		free(norm);
		return -ENOMEM;
	}
	free(norm);
	if ((rc = ocifs_session_open(c->args[0], &so, &s)))
		goto out;
	if ((rc = ocifs_tree_view_new(s->view, &tv)))
		goto out;
	o = json_object_new_object();
	put(o, "schema", json_object_new_string("ocifs-explain/1"));
	put(o, "image", explain_str(c->args[0]));
	put(o, "path", explain_str(arg));
	rc = ocifs_tree_view_resolve(tv, arg, 0, &ino, &canon);
	in_view = rc == 0;
	if (rc && rc != -ENOENT && rc != -ENOTDIR && rc != -ELOOP)
		goto out;
	put(o, "in_image", json_object_new_boolean(in_view));
	if (in_view) {
		put(o, "canonical", explain_str(canon));
		put(o, "entry", entry_facts(s, tv, canon, ino));
	}
	if ((rc = explain_history(s, arg, o)))
		goto out;
	if (in_view) {
		if ((rc = deps_part(s, canon, ino, o)) || (rc = sbom_part(s, tv, canon, ino, o)))
			goto out;
		sbom_why(o);
	}
	if (c->json)
		rc = puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ? -EIO : 0;
	else
		rc = explain_text(o);
	if (!rc && !in_view) {
		char why[512];
		explain_gone(o, why, sizeof(why));
		char *shown = NULL;
		ocifs_esc_name(arg, &shown);
		log_err("%s: %s is not in the merged image (%s)", c->args[0], shown ? shown : "?", why);
		free(shown);
		rc = OCIFS_EXIT_ERR;
	}
out:
	if (rc < 0 && o) {
		char *shown = NULL;
		ocifs_esc_name(arg, &shown);
		log_err("%s: cannot explain %s: %s", c->args[0], shown ? shown : "?", strerror(-rc));
		free(shown);
	}
	json_object_put(o);
	free(canon);
	free(arg);
	ocifs_tree_view_free(tv);
	ocifs_session_close(s);
	return rc;
}
