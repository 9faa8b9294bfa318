/* SPDX-License-Identifier: MIT */
/*
 * Forensics on the command line (lchange.h): `ocifs diff IMAGE --layer
 * N`, `ocifs diff IMAGE1 IMAGE2` and `ocifs history IMAGE PATH`, as
 * text (one line a change or a layer event, names escaped as `ls -b`
 * does) or as one JSON document (--json; every string valid UTF-8).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "esc.h"
#include "hex.h"
#include "jsonw.h"
#include "lchange.h"
#include "log.h"
#include "pkgtext.h"

#define DIFF_SCHEMA "ocifs-diff/1"
#define HISTORY_SCHEMA "ocifs-history/1"

static const char *type_word(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "?";
}

/* A string of the image as a JSON value: as it is when it is valid
 * UTF-8, else its `ls -b` escape (*esc set). */
static void jstr_bytes(struct ocifs_jsonw *w, const char *k, const char *s, int *esc)
{
	char *t;
	int bad = 0;

	ocifs_jsonw_key(w, k);
	if (!s) {
		ocifs_jsonw_null(w);
		return;
	}
	if (ocifs_pkg_utf8(s, strlen(s))) {
		ocifs_jsonw_str(w, s);
		return;
	}
	t = ocifs_pkg_text(s, strlen(s), &bad);
	ocifs_jsonw_str(w, t ? t : "?");
	free(t);
	*esc = 1;
}

static void sha_hex(const unsigned char *sha, char out[2 * OCIFS_SHA256_LEN + 1])
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < OCIFS_SHA256_LEN; i++) {
		out[2 * i] = h[sha[i] >> 4];
		out[2 * i + 1] = h[sha[i] & 15];
	}
	out[2 * OCIFS_SHA256_LEN] = '\0';
}

/* The members of one side (type, mode, owner, size, sha256, [layer,]
 * link). */
static void json_side_members(struct ocifs_jsonw *w, const struct ocifs_chg_side *sd,
			      int with_layer, int *esc)
{
	char mode[8], hex[2 * OCIFS_SHA256_LEN + 1];

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(sd->mode & 07777));
	ocifs_jsonw_kstr(w, "type", type_word(sd->mode));
	ocifs_jsonw_kstr(w, "mode", mode);
	ocifs_jsonw_kint(w, "uid", (int64_t)sd->uid);
	ocifs_jsonw_kint(w, "gid", (int64_t)sd->gid);
	ocifs_jsonw_kint(w, "size", (int64_t)sd->size);
	ocifs_jsonw_key(w, "sha256");
	if (sd->has_sha) {
		sha_hex(sd->sha256, hex);
		ocifs_jsonw_str(w, hex);
	} else {
		ocifs_jsonw_null(w);
	}
	if (with_layer)
		ocifs_jsonw_kint(w, "layer", sd->layer);
	jstr_bytes(w, "link", sd->link, esc);
}

static void json_side(struct ocifs_jsonw *w, const char *k, const struct ocifs_chg_side *sd,
		      int *esc)
{
	ocifs_jsonw_key(w, k);
	if (!sd->present) {
		ocifs_jsonw_null(w);
		return;
	}
	ocifs_jsonw_obj(w);
	json_side_members(w, sd, 1, esc);
	ocifs_jsonw_end_obj(w);
}

/* The what[] array: the names ocifs_chg_what() joins. */
static void json_what(struct ocifs_jsonw *w, uint32_t what)
{
	char buf[128];

	ocifs_jsonw_key(w, "what");
	ocifs_jsonw_arr(w);
	ocifs_chg_what(what, buf, sizeof(buf));
	for (char *p = buf, *e; *p; p = e + (*e == ',')) {
		e = p + strcspn(p, ",");
		ocifs_jsonw_strn(w, p, (size_t)(e - p));
	}
	ocifs_jsonw_end_arr(w);
}

/* --- diff ------------------------------------------------------------------ */

struct diff_out {
	int json;
	struct ocifs_jsonw w;
};

static void print_size(const struct ocifs_chg_side *sd)
{
	printf("%" PRIu64, sd->size);
}

static int diff_line(void *ctx, const struct ocifs_chg *c)
{
	struct diff_out *o = ctx;
	const struct ocifs_chg_side *sd = c->kind == OCIFS_CHG_REMOVED ? &c->old : &c->new;
	char what[128];

	if (o->json) {
		int esc = 0;
		ocifs_jsonw_obj(&o->w);
		ocifs_jsonw_kstr(&o->w, "kind", ocifs_chg_kind_name(c->kind));
		jstr_bytes(&o->w, "path", c->path, &esc);
		json_what(&o->w, c->what);
		jstr_bytes(&o->w, "marker", c->marker, &esc);
		json_side(&o->w, "old", &c->old, &esc);
		json_side(&o->w, "new", &c->new, &esc);
		if (esc)
			ocifs_jsonw_kbool(&o->w, "escaped", 1);
		ocifs_jsonw_end_obj(&o->w);
		return ferror(stdout) ? -EIO : 0;
	}
	putchar(c->kind == OCIFS_CHG_ADDED ? 'A' : c->kind == OCIFS_CHG_MODIFIED ? 'M' : 'D');
	putchar(' ');
	cli_print_esc(c->path);
	if (S_ISDIR(sd->mode))
		putchar('/');
	if (c->what)
		printf("  (%s)", ocifs_chg_what(c->what, what, sizeof(what)));
	fputs("  ", stdout);
	if (c->kind == OCIFS_CHG_MODIFIED && c->old.link && c->new.link) {
		cli_print_esc(c->old.link); /* a symlink: its targets */
		fputs(" -> ", stdout);
		cli_print_esc(c->new.link);
	} else {
		if (c->kind == OCIFS_CHG_MODIFIED) {
			print_size(&c->old);
			fputs(" -> ", stdout);
		}
		print_size(sd);
	}
	if (c->kind == OCIFS_CHG_MODIFIED && (c->what & OCIFS_CHG_TYPE))
		printf("  %s -> %s", type_word(c->old.mode), type_word(c->new.mode));
	if (c->kind == OCIFS_CHG_MODIFIED && (c->what & OCIFS_CHG_MODE))
		printf("  %04o -> %04o", (unsigned)(c->old.mode & 07777), (unsigned)(c->new.mode & 07777));
	if (c->kind == OCIFS_CHG_MODIFIED && (c->what & OCIFS_CHG_OWNER))
		printf("  %" PRIu64 ":%" PRIu64 " -> %" PRIu64 ":%" PRIu64, c->old.uid, c->old.gid,
		       c->new.uid, c->new.gid);
	putchar('\n');
	return ferror(stdout) ? -EIO : 0;
}

static void diff_begin(struct diff_out *o, const char *image, unsigned layer, const char *image2)
{
	int esc = 0;

	if (!o->json)
		return;
	ocifs_jsonw_init(&o->w, stdout);
	ocifs_jsonw_obj(&o->w);
	ocifs_jsonw_kstr(&o->w, "schema", DIFF_SCHEMA);
	if (image2) {
		jstr_bytes(&o->w, "old", image, &esc);
		jstr_bytes(&o->w, "new", image2, &esc);
	} else {
		jstr_bytes(&o->w, "image", image, &esc);
		ocifs_jsonw_kint(&o->w, "layer", layer);
	}
	ocifs_jsonw_key(&o->w, "changes");
	ocifs_jsonw_arr(&o->w);
}

static void diff_end(struct diff_out *o, const struct ocifs_chg_stats *st)
{
	if (!o->json) {
		printf("%" PRIu64 " added (%" PRIu64 " bytes), %" PRIu64 " modified (%" PRIu64
		       " bytes), %" PRIu64 " removed (%" PRIu64 " bytes)\n",
		       st->added, st->added_bytes, st->modified, st->modified_bytes, st->removed,
		       st->removed_bytes);
		return;
	}
	ocifs_jsonw_end_arr(&o->w);
	ocifs_jsonw_key(&o->w, "summary");
	ocifs_jsonw_obj(&o->w);
	ocifs_jsonw_kint(&o->w, "added", (int64_t)st->added);
	ocifs_jsonw_kint(&o->w, "modified", (int64_t)st->modified);
	ocifs_jsonw_kint(&o->w, "removed", (int64_t)st->removed);
	ocifs_jsonw_kint(&o->w, "added_bytes", (int64_t)st->added_bytes);
	ocifs_jsonw_kint(&o->w, "modified_bytes", (int64_t)st->modified_bytes);
	ocifs_jsonw_kint(&o->w, "removed_bytes", (int64_t)st->removed_bytes);
	ocifs_jsonw_end_obj(&o->w);
	ocifs_jsonw_end_obj(&o->w);
	putchar('\n');
}

/* The image's layer count, for checking --layer before indexing it all. */
static int layer_count(const struct cli *c, const char *ref, size_t *n)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s = NULL;
	int rc;

	so.no_layers = 1;
	if ((rc = ocifs_session_open(ref, &so, &s)))
		return rc;
	*n = s->img->nlayers;
	ocifs_session_close(s);
	return 0;
}

static int diff_layer(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s = NULL;
	struct diff_out o = { .json = c->json };
	struct ocifs_chg_stats st;
	size_t n;
	int rc;

	if ((rc = layer_count(c, c->args[0], &n)))
		return rc;
	if ((size_t)c->layer > n) {
		if (n)
			log_err("%s: no layer %d (the image has %zu: 1..%zu)", c->args[0], c->layer, n,
				n);
		else
			log_err("%s: no layer %d (the image has no layers)", c->args[0], c->layer);
		return OCIFS_EXIT_ERR;
	}
	if ((rc = ocifs_session_open(c->args[0], &so, &s)))
		return rc;
	diff_begin(&o, c->args[0], (unsigned)c->layer, NULL);
	rc = ocifs_lchange_layer(s, (unsigned)c->layer, diff_line, &o, &st);
	if (rc == -EIO && ferror(stdout))
		rc = 0; /* main() reports the write error once */
	else if (rc)
		log_err("%s: layer %d: %s", c->args[0], c->layer, strerror(-rc));
	if (!rc)
		diff_end(&o, &st);
	ocifs_session_close(s);
	return rc;
}

/* Whether IMAGE argument arg reads a stream (a pipe, socket or
 * terminal; "-" is stdin), which *st then identifies. */
static int is_stream(const char *arg, struct stat *st)
{
	int r = strcmp(arg, "-") ? stat(arg, st) : fstat(0, st);

	return r == 0 && (S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode) || S_ISCHR(st->st_mode));
}

static int diff_images(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *a = NULL, *b = NULL;
	struct diff_out o = { .json = c->json };
	struct ocifs_chg_stats st;
	struct stat s0, s1;
	int rc;

	/* the first open would drain it and the second find it "empty" */
	if (is_stream(c->args[0], &s0) && is_stream(c->args[1], &s1) && s0.st_dev == s1.st_dev &&
	    s0.st_ino == s1.st_ino) {
		log_err("diff: %s and %s are the same stream, which can be read only once; "
			"save the image to a file first", c->args[0], c->args[1]);
		return OCIFS_EXIT_USAGE;
	}
	if ((rc = ocifs_session_open(c->args[0], &so, &a)) ||
	    (rc = ocifs_session_open(c->args[1], &so, &b)))
		goto out;
	diff_begin(&o, c->args[0], 0, c->args[1]);
	rc = ocifs_lchange_views(a->view, b->view, diff_line, &o, &st);
	if (rc == -EIO && ferror(stdout))
		rc = 0;
	else if (rc)
		log_err("%s -> %s: %s", c->args[0], c->args[1], strerror(-rc));
	if (!rc)
		diff_end(&o, &st);
out:
	ocifs_session_close(a);
	ocifs_session_close(b);
	return rc;
}

int cmd_diff(struct cli *c)
{
	if (c->nargs == 1 && !c->layer) {
		log_err("diff: give --layer N, or a second image (usage: ocifs diff IMAGE --layer N | "
			"ocifs diff IMAGE1 IMAGE2)");
		return OCIFS_EXIT_USAGE;
	}
	if (c->nargs == 2 && c->layer) {
		log_err("diff: --layer does not apply to two images (usage: ocifs diff IMAGE --layer N "
			"| ocifs diff IMAGE1 IMAGE2)");
		return OCIFS_EXIT_USAGE;
	}
	return c->nargs == 1 ? diff_layer(c) : diff_images(c);
}

/* --- history --------------------------------------------------------------- */

struct hist_out {
	int json;
	struct ocifs_jsonw w;
	const struct ocifs_image *img;
	const char *image, *path; /* path: normalized */
	size_t events;
};

/* The header line, or the JSON document's opening: before the first
 * event, so a path no layer has prints nothing but the error. */
static int hist_begin(struct hist_out *o)
{
	int esc = 0;
	char *rooted = NULL;

	if (!o->json) {
		printf("%-5s %-12s %-24s %12s %4s %-11s %-12s  %s\n", "LAYER", "DIGEST", "EVENT",
		       "SIZE", "MODE", "  UID:GID", "SHA256", "CREATED BY");
		return 0;
	}
	if (asprintf(&rooted, "/%s", o->path) < 0)
		return -ENOMEM;
	ocifs_jsonw_init(&o->w, stdout);
	ocifs_jsonw_obj(&o->w);
	ocifs_jsonw_kstr(&o->w, "schema", HISTORY_SCHEMA);
	jstr_bytes(&o->w, "image", o->image, &esc);
	jstr_bytes(&o->w, "path", rooted, &esc);
	free(rooted);
	ocifs_jsonw_key(&o->w, "events");
	ocifs_jsonw_arr(&o->w);
	return 0;
}

static const char *layer_digest(const struct ocifs_image *img, unsigned layer)
{
	const struct ocifs_layer_desc *d = &img->layers[layer - 1];

	return *d->digest ? d->digest : *d->diff_id ? d->diff_id : "";
}

static int hist_line(void *ctx, const struct ocifs_hist *h)
{
	struct hist_out *o = ctx;
	const char *dg = layer_digest(o->img, h->layer), *colon = strchr(dg, ':');
	int attrs = h->kind == OCIFS_HIST_ADDED || h->kind == OCIFS_HIST_MODIFIED ||
		    h->kind == OCIFS_HIST_SAME;
	char what[128], ev[160], hex[2 * OCIFS_SHA256_LEN + 1];

	if (!o->events++ && hist_begin(o))
		return -ENOMEM;
	if (o->json) {
		int esc = 0;
		ocifs_jsonw_obj(&o->w);
		ocifs_jsonw_kint(&o->w, "layer", h->layer);
		ocifs_jsonw_kstr(&o->w, "digest", *dg ? dg : NULL);
		ocifs_jsonw_kstr(&o->w, "event", ocifs_hist_kind_name(h->kind));
		json_what(&o->w, h->what);
		jstr_bytes(&o->w, "marker", h->marker, &esc);
		if (attrs)
			json_side_members(&o->w, &h->st, 0, &esc);
		jstr_bytes(&o->w, "created_by", h->created_by, &esc);
		if (esc)
			ocifs_jsonw_kbool(&o->w, "escaped", 1);
		ocifs_jsonw_end_obj(&o->w);
		return ferror(stdout) ? -EIO : 0;
	}
	snprintf(ev, sizeof(ev), "%s%s%s%s", ocifs_hist_kind_name(h->kind), h->what ? "(" : "",
		 h->what ? ocifs_chg_what(h->what, what, sizeof(what)) : "", h->what ? ")" : "");
	printf("%-5u %-12.12s %-24s ", h->layer, colon ? colon + 1 : dg, ev);
	if (attrs) {
		if (h->st.has_sha)
			sha_hex(h->st.sha256, hex);
		printf("%12" PRIu64 " %04o %5" PRIu64 ":%-5" PRIu64 " %-12.12s  ", h->st.size,
		       (unsigned)(h->st.mode & 07777), h->st.uid, h->st.gid,
		       h->st.has_sha ? hex : "-");
	} else {
		printf("%12s %4s %5s %-5s %-12s  ", "-", "-", "-", "", "-");
	}
	if (h->created_by) {
		size_t n = strlen(h->created_by);
		char *buf = malloc(4 * n + 1);
		if (!buf)
			return -ENOMEM;
		ocifs_esc_buf(buf, 4 * n + 1, h->created_by, n, OCIFS_ESC_KEEP_SPACE);
		fputs(buf, stdout);
		free(buf);
	} else {
		putchar('-');
	}
	if (h->marker) {
		fputs("  [", stdout);
		cli_print_esc(h->marker);
		putchar(']');
	}
	if (attrs && h->st.link) {
		fputs(S_ISREG(h->st.mode) ? "  link to " : "  -> ", stdout);
		cli_print_esc(h->st.link);
	}
	putchar('\n');
	return ferror(stdout) ? -EIO : 0;
}

int cmd_history(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s = NULL;
	struct hist_out o = { .json = c->json };
	char *p, *shown = NULL;
	int rc, in_view = 0;

	if (cli_path_empty(c, c->args[1]) || !(p = cli_normalized_arg(c->args[1])))
		return OCIFS_EXIT_USAGE;
	if ((rc = ocifs_session_open(c->args[0], &so, &s)) || (rc = cli_path_slash(c, s, c->args[1])))
		goto out;
	o.img = s->img;
	o.image = c->args[0];
	o.path = p;
	rc = ocifs_lchange_history(s, p, hist_line, &o, &in_view);
	if (rc == -EIO && ferror(stdout)) {
		rc = 0;
		goto out;
	}
	if (rc) {
		ocifs_esc_name(c->args[1], &shown);
		log_err("%s: %s: %s", c->args[0], shown ? shown : "?", strerror(-rc));
		goto out;
	}
	if (o.json && o.events) {
		ocifs_jsonw_end_arr(&o.w);
		ocifs_jsonw_kbool(&o.w, "in_view", in_view);
		ocifs_jsonw_end_obj(&o.w);
		putchar('\n');
	}
	if (!o.events) {
		/* history takes PATH literally: say where a symlink on the way
		 * (/bin -> usr/bin on a merged-/usr image) leads instead */
		struct ocifs_view_found f;
		char *canon = NULL, *ecanon = NULL;

		ocifs_esc_name(c->args[1], &shown);
		if (ocifs_view_find(s->view, p, 0, &f, &canon) == 0 && strcmp(canon, p) != 0 &&
		    ocifs_esc_name(canon, &ecanon) == 0)
			log_err("%s: %s: no layer has this path (through a symlink it is %s: "
				"history takes PATH literally)", c->args[0], shown ? shown : "?", ecanon);
		else
			log_err("%s: %s: no layer has this path", c->args[0], shown ? shown : "?");
		free(canon);
		free(ecanon);
		rc = OCIFS_EXIT_ERR;
	}
out:
	free(shown);
	free(p);
	ocifs_session_close(s);
	return rc;
}
