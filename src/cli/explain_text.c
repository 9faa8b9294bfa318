/* SPDX-License-Identifier: MIT */
/*
 * `ocifs explain`: the layer history of the path (lchange.h) into the
 * explanation, and the explanation as text: one "KEY  value" line per
 * fact, every string from the image printed escaped (esc.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "esc.h"
#include "explain.h"
#include "hex.h"
#include "lchange.h"

/* --- the history --------------------------------------------------------- */

struct hist_ctx {
	const struct ocifs_image *img;
	json_object *arr;
};

static int hist_event(void *ctx, const struct ocifs_hist *h)
{
	struct hist_ctx *hc = ctx;
	json_object *e = json_object_new_object();
	char what[128], hex[65];

	if (!e)
		return -ENOMEM;
	json_object_object_add(e, "layer", json_object_new_int64(h->layer));
	if (h->layer >= 1 && h->layer <= hc->img->nlayers)
		json_object_object_add(e, "digest",
				       json_object_new_string(hc->img->layers[h->layer - 1].digest));
	json_object_object_add(e, "event", json_object_new_string(ocifs_hist_kind_name(h->kind)));
	if (h->what)
		json_object_object_add(e, "what", json_object_new_string(
							  ocifs_chg_what(h->what, what, sizeof(what))));
	if (h->marker)
		json_object_object_add(e, "marker", explain_str(h->marker));
	if (h->kind == OCIFS_HIST_ADDED || h->kind == OCIFS_HIST_MODIFIED ||
	    h->kind == OCIFS_HIST_SAME) {
		json_object_object_add(e, "size", json_object_new_int64((int64_t)h->st.size));
		json_object_object_add(e, "mode", json_object_new_int((int)(h->st.mode & 07777)));
		if (h->st.has_sha) {
			ocifs_hex_encode(hex, h->st.sha256, 32);
			hex[64] = '\0';
			json_object_object_add(e, "sha256", json_object_new_string(hex));
		}
		if (h->st.link)
			json_object_object_add(e, "link", explain_str(h->st.link));
	}
	if (h->created_by)
		json_object_object_add(e, "created_by", explain_str(h->created_by));
	json_object_array_add(hc->arr, e);
	return 0;
}

int explain_history(struct ocifs_session *s, const char *path, json_object *o)
{
	struct hist_ctx hc = { .img = s->img, .arr = json_object_new_array() };
	int in_view = 0, rc;

	if (!hc.arr)
		return -ENOMEM;
	json_object_object_add(o, "history", hc.arr);
	rc = ocifs_lchange_history(s, path, hist_event, &hc, &in_view);
	return rc;
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/* For printing: "-" for a missing value. */
static const char *nz(const char *s)
{
	return s ? s : "-";
}

static int64_t get_int(json_object *o, const char *k, int64_t dflt)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) && v ? json_object_get_int64(v) : dflt;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

void explain_gone(json_object *o, char *buf, size_t cap)
{
	json_object *h = get(o, "history");
	size_t n = h ? json_object_array_length(h) : 0;

	if (!n) {
		snprintf(buf, cap, "no layer has it");
		return;
	}
	json_object *last = json_object_array_get_idx(h, n - 1);
	const char *ev = get_str(last, "event"), *marker = get_str(last, "marker");
	char m[256] = "";

	if (marker)
		ocifs_esc_buf(m, sizeof(m), marker, strlen(marker), 0);
	if (ev && !strcmp(ev, "whiteout"))
		snprintf(buf, cap, "removed by a whiteout in layer %" PRId64 ": %s",
			 get_int(last, "layer", 0), m);
	else if (ev && !strcmp(ev, "opaque"))
		snprintf(buf, cap, "hidden by an opaque directory in layer %" PRId64 ": %s",
			 get_int(last, "layer", 0), m);
	else if (ev && !strcmp(ev, "replaced"))
		snprintf(buf, cap, "a parent became a non-directory in layer %" PRId64 ": %s",
			 get_int(last, "layer", 0), m);
	else
		snprintf(buf, cap, "layer %" PRId64 " was its last event (%s)",
			 get_int(last, "layer", 0), ev ? ev : "?");
}

/* --- text ---------------------------------------------------------------- */

/* s escaped (esc.h) but with its spaces kept: a value ends its line. */
static void put_esc(const char *s)
{
	size_t n = strlen(s), m = 4 * n + 1;
	char small[1024], *buf = m <= sizeof(small) ? small : malloc(m);

	if (!buf)
		return;
	ocifs_esc_buf(buf, m, s, n, OCIFS_ESC_KEEP_SPACE);
	fputs(buf, stdout);
	if (buf != small)
		free(buf);
}

static void line(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("  %-12s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "  KEY  value" with value escaped. */
static void line_esc(const char *key, const char *s)
{
	printf("  %-12s ", key);
	put_esc(s ? s : "-");
	putchar('\n');
}

static void entry_text(json_object *e)
{
	json_object *magic = get(e, "magic"), *links = get(e, "hardlinks"), *sl = get(e, "symlink");

	line("type", "%s, mode %04" PRIo64 ", uid %" PRId64 ", gid %" PRId64 ", %" PRId64 " bytes",
	     nz(get_str(e, "type")), (uint64_t)get_int(e, "mode", 0), get_int(e, "uid", 0),
	     get_int(e, "gid", 0), get_int(e, "size", 0));
	if (get(e, "layer"))
		line("layer", "%" PRId64 " (%s)", get_int(e, "layer", 0), nz(get_str(e, "layer_digest")));
	else
		line("layer", "none (a directory no layer lists, implied by its children)");
	if (get_str(e, "created_by"))
		line_esc("created by", get_str(e, "created_by"));
	if (get_str(e, "sha256"))
		line("sha256", "%s", nz(get_str(e, "sha256")));
	if (magic) {
		char m[64] = "";
		for (size_t i = 0; i < json_object_array_length(magic); i++)
			snprintf(m + strlen(m), sizeof(m) - strlen(m), "%s%s", i ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(magic, i)));
		line("magic", "%s", *m ? m : "none (not ELF, zip or #!)");
	}
	line("links", "%" PRId64, get_int(e, "nlink", 1));
	for (size_t i = 0; links && i < json_object_array_length(links); i++)
		line_esc(i ? "" : "hard links", json_object_get_string(json_object_array_get_idx(links, i)));
	if (sl) {
		line_esc("target", get_str(sl, "target"));
		if (get_str(sl, "resolves_to"))
			line_esc("resolves to", get_str(sl, "resolves_to"));
		else
			line("resolves to", "nothing: %s", nz(get_str(sl, "error")));
	}
}

static void history_text(json_object *h)
{
	for (size_t i = 0; h && i < json_object_array_length(h); i++) {
		json_object *e = json_object_array_get_idx(h, i);
		char k[32];
		snprintf(k, sizeof(k), "layer %" PRId64, get_int(e, "layer", 0));
		printf("  %-12s %s", k, nz(get_str(e, "event")));
		if (get_str(e, "what"))
			printf(" (%s)", nz(get_str(e, "what")));
		if (get(e, "size"))
			printf(", %" PRId64 " bytes, mode %04" PRIo64, get_int(e, "size", 0),
			       (uint64_t)get_int(e, "mode", 0));
		if (get_str(e, "sha256"))
			printf(", sha256 %.12s", nz(get_str(e, "sha256")));
		if (get_str(e, "marker")) {
			fputs(", by ", stdout);
			put_esc(get_str(e, "marker"));
		}
		if (get_str(e, "link")) {
			fputs(" -> ", stdout);
			put_esc(get_str(e, "link"));
		}
		putchar('\n');
		if (get_str(e, "created_by"))
			line_esc("", get_str(e, "created_by"));
	}
}

static void deps_text(json_object *d)
{
	json_object *ent = get(d, "entry"), *needed = get(ent, "needed"), *go = get(ent, "go"),
		    *upx = get(ent, "upx");

	if (!ent) {
		line_esc("/.deps", "not in /.deps");
		line_esc("why", get_str(d, "why"));
	} else {
		printf("  %-12s in /.deps: %s", "/.deps", nz(get_str(ent, "kind")));
		if (get_str(ent, "link"))
			printf(", %s", nz(get_str(ent, "link")));
		putchar('\n');
		if (get_str(ent, "interp"))
			line_esc("interpreter", get_str(ent, "interp"));
		if (get_str(ent, "interpreter"))
			line_esc("interpreter", get_str(ent, "interpreter"));
		if (get_str(ent, "interpreter_path"))
			line_esc("resolves to", get_str(ent, "interpreter_path"));
		for (size_t i = 0; needed && i < json_object_array_length(needed); i++) {
			json_object *n = json_object_array_get_idx(needed, i);
			printf("  %-12s ", i ? "" : "needed");
			put_esc(get_str(n, "name"));
			fputs(" => ", stdout);
			if (get_str(n, "path")) {
				put_esc(get_str(n, "path"));
				printf(" (%s)\n", nz(get_str(n, "rule")));
			} else {
				puts("not found");
			}
		}
		if (go) {
			line_esc("go", get_str(go, "version") ? get_str(go, "version")
							      : "toolchain version unknown");
			line("build info", "%s", json_object_get_boolean(get(go, "build_info"))
							 ? "found"
							 : "missing: no modules known");
			if (get_str(go, "path"))
				line_esc("go package", get_str(go, "path"));
		}
		if (upx) {
			line_esc("upx", get_str(upx, "version") ? get_str(upx, "version")
							       : "version unknown");
			line("unpacked", "%s", json_object_get_boolean(get(upx, "unpacked"))
						       ? "yes: the unpacked program is what was analyzed"
						       : "no");
		}
		if (get_str(ent, "elf_error"))
			line_esc("elf error", get_str(ent, "elf_error"));
		if (get_str(ent, "error"))
			line_esc("error", get_str(ent, "error"));
	}
	if (get_str(d, "skipped"))
		line_esc("skipped", get_str(d, "skipped"));
}

static void sbom_text(json_object *d)
{
	json_object *owners = get(d, "owners"), *src = get(d, "source_of");
	size_t no = owners ? json_object_array_length(owners) : 0;

	line("/.sbom", "%s", no ? "in /.sbom" : "not in /.sbom");
	for (size_t i = 0; i < no; i++) {
		json_object *c = json_object_array_get_idx(owners, i);
		const char *pu = get_str(c, "purl");
		printf("  %-12s ", i ? "" : pu && !strncmp(pu, "pkg:generic/", 12) ? "component" : "owner");
		put_esc(get_str(c, "name") ? get_str(c, "name") : "?");
		if (get_str(c, "version")) {
			putchar(' ');
			put_esc(get_str(c, "version"));
		}
		fputs(" (", stdout);
		put_esc(get_str(c, "purl") ? get_str(c, "purl") : get_str(c, "type"));
		puts(")");
	}
	line_esc("why", get_str(d, "why"));
	for (size_t i = 0; src && i < json_object_array_length(src); i++) {
		json_object *c = json_object_array_get_idx(src, i);
		printf("  %-12s ", i ? "" : "source of");
		put_esc(get_str(c, "purl") ? get_str(c, "purl") : get_str(c, "name"));
		putchar('\n');
	}
}

int explain_text(json_object *o)
{
	int in = json_object_get_boolean(get(o, "in_image"));

	put_esc(get_str(o, "path"));
	printf(": %s\n", in ? "in the image" : "not in the merged image");
	if (in && strcmp(get_str(o, "path"), get_str(o, "canonical"))) {
		printf("  %-12s ", "canonical");
		put_esc(get_str(o, "canonical"));
		putchar('\n');
	}
	if (get(o, "entry"))
		entry_text(get(o, "entry"));
	puts("history");
	if (!json_object_array_length(get(o, "history")))
		line("", "no layer lists it by this name");
	history_text(get(o, "history"));
	if (get(o, "deps")) {
		puts("analysis");
		deps_text(get(o, "deps"));
	}
	if (get(o, "sbom")) {
		puts("packages");
		sbom_text(get(o, "sbom"));
	}
	fflush(stdout);
	return ferror(stdout) ? -EIO : 0;
}
