/* SPDX-License-Identifier: MIT */
/*
 * The report's one HTML page, written from the model of report.h: the
 * image summary, the layers (with their bar chart as inline SVG), the
 * merged tree as nested <details> (no script needed to browse it), the
 * /.deps summary and the SBOM's components by layer.
 *
 * Self-contained: inline CSS and two small inline scripts, no URL. A
 * Content-Security-Policy meta allows exactly those (by their sha256),
 * so nothing else can load or run, even from an image's hostile names.
 * Every string from the image goes through esc(): escaped as `ls -b`
 * escapes control bytes and invalid UTF-8 (esc.h, spaces kept), then as
 * HTML text, so the page is valid UTF-8 and no name becomes markup.
 * The first script counts errors (window.onerror: script errors; a
 * capturing listener: failed loads; unhandled rejections; content the
 * policy blocked) in the <html> element's data-errors attribute; the last one
 * wires the tree's expand/collapse buttons and sets data-ready="1".
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "esc.h"
#include "progress.h"
#include "report.h"
#include "sha.h"
#include "view.h"

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#fff}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccd}"
	"table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}"
	"th{background:#eef0f6}tr:nth-child(even) td{background:#f7f8fb}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code,.m{font-family:ui-monospace,monospace;font-size:.92em}"
	".cb{font-family:ui-monospace,monospace;font-size:.9em;max-width:46em;word-break:break-all}"
	".e{color:#667;font-size:.85em}.dim{color:#889}.warn{color:#a4000f}"
	"dl.sum{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dt{font-weight:600}"
	"dd{margin:0;word-break:break-all}"
	"ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:1.3em}ul.tree{padding-left:0}"
	"ul.tree li{white-space:nowrap}ul.tree li.f{margin-left:1.1em}summary{cursor:pointer}"
	".ly{display:inline-block;min-width:2.2em;margin-left:.6em;padding:0 4px;border-radius:3px;"
	"background:#dde6f7;color:#123;font-size:.8em;text-align:center}"
	".ev{margin-left:.4em;color:#8a5a00;font-size:.8em}.sz{margin-left:.6em;color:#556;font-size:.85em}"
	".add{fill:#2e9b4f}.mod{fill:#d99a1e}.rem{fill:#c8374a}.use{fill:#7d93b8}.was{fill:#c8374a}"
	".legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:-1px}"
	".la{background:#2e9b4f}.lm{background:#d99a1e}.lr{background:#c8374a}.lu{background:#7d93b8}"
	"button{margin-right:.5em}code.arg{border:1px solid #ccd;border-radius:3px;padding:0 3px;"
	"white-space:pre-wrap}";

static const char js_errors[] =
	"(function(){var h=document.documentElement,n=0;"
	"function f(m){n++;h.setAttribute('data-errors',String(n));"
	"h.setAttribute('data-error-last',String(m).slice(0,500));}"
	"window.onerror=function(m){f(m);};"
	"window.addEventListener('error',function(e){if(e.target!==window)"
	"f('failed to load: '+(e.target&&e.target.tagName));},true);"
	"window.addEventListener('unhandledrejection',function(e){f('unhandled rejection: '+e.reason);});"
	"document.addEventListener('securitypolicyviolation',function(e){"
	"f('blocked by the page policy: '+e.violatedDirective);});})();";

static const char js_ready[] =
	"(function(){var d=document;function all(o){var x=d.querySelectorAll('#tree details');"
	"for(var i=0;i<x.length;i++)x[i].open=o;}"
	"d.getElementById('expand').addEventListener('click',function(){all(true);});"
	"d.getElementById('collapse').addEventListener('click',function(){all(false);});"
	"d.documentElement.setAttribute('data-ready','1');})();";

/* Untrusted bytes s[0..n) as HTML text (also right inside "" attributes). */
static void esc_n(FILE *f, const char *s, size_t n)
{
	char out[4 * 256 + 1];

	/* in pieces cut before a byte that starts a character (out.c) */
	for (size_t i = 0; i < n;) {
		size_t end = n - i > 256 ? i + 256 : n;
		while (end < n && end > i + 252 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
		ocifs_esc_buf(out, sizeof(out), s + i, end - i, OCIFS_ESC_KEEP_SPACE);
		for (const char *p = out; *p; p++) {
			switch (*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&#39;", f); break;
			default: fputc(*p, f);
			}
		}
		i = end;
	}
}

static void esc(FILE *f, const char *s)
{
	if (s)
		esc_n(f, s, strlen(s));
}

static void human(FILE *f, uint64_t n)
{
	char b[16];

	fprintf(f, "<span title=\"%" PRIu64 " bytes\">%s</span>", n, ocifs_human(n, b));
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* 'sha256-...' of an inline block, for the policy. */
static void csp_hash(FILE *f, const char *text)
{
	unsigned char d[OCIFS_SHA256_LEN];
	char b[48];

	ocifs_sha256(text, strlen(text), d);
	base64(d, sizeof(d), b);
	fprintf(f, " 'sha256-%s'", b);
}

static void head(const struct rpt *r, FILE *f)
{
	const struct ocifs_image *img = r->s->img;

	fputs("<!DOCTYPE html>\n<html lang=\"en\" data-ready=\"0\" data-errors=\"0\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; script-src", f);
	csp_hash(f, js_errors);
	csp_hash(f, js_ready);
	fputs("; style-src", f);
	csp_hash(f, css);
	fputs("; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>ocifs report: ", f);
	esc(f, img->nnames ? img->names[0] : r->image_arg);
	fprintf(f, "</title>\n<script>%s</script>\n<style>%s</style>\n</head>\n<body>\n", js_errors, css);
}

/* An exec-form list (entrypoint, cmd): one box per argument. */
static void str_list(FILE *f, char **v)
{
	if (!v) {
		fputs("<span class=\"dim\">none</span>", f);
		return;
	}
	for (size_t i = 0; v[i]; i++) {
		fputs(i ? " <code class=\"arg\">" : "<code class=\"arg\">", f);
		esc(f, v[i]);
		fputs("</code>", f);
	}
}

static void summary(const struct rpt *r, FILE *f)
{
	const struct ocifs_image *img = r->s->img;

	fputs("<h1>ocifs report: ", f);
	esc(f, img->nnames ? img->names[0] : r->image_arg);
	fputs("</h1>\n<section id=\"summary\"><h2>Image</h2>\n<dl class=\"sum\">\n<dt>Names</dt><dd>", f);
	for (size_t i = 0; i < img->nnames; i++) {
		fputs(i ? "<br>" : "", f);
		esc(f, img->names[i]);
	}
	if (!img->nnames)
		fputs("<span class=\"dim\">none</span>", f);
	fputs("</dd>\n<dt>File</dt><dd>", f);
	esc(f, r->image_arg);
	fprintf(f, " <span class=\"dim\">(%s)</span></dd>\n<dt>Manifest</dt><dd><code id=\"manifest\">",
		ocifs_image_format_name(img->format));
	esc(f, img->manifest_digest);
	fputs("</code></dd>\n<dt>Config</dt><dd><code>", f);
	esc(f, img->config_digest);
	fputs("</code></dd>\n<dt>Platform</dt><dd>", f);
	esc(f, img->platform ? img->platform : "unknown");
	fputs("</dd>\n<dt>Created</dt><dd>", f);
	esc(f, img->created ? img->created : "unknown");
	fputs("</dd>\n<dt>Size</dt><dd>", f);
	human(f, r->csize);
	fputs(" compressed, ", f);
	human(f, r->usize);
	fputs(" uncompressed</dd>\n", f);
	if (r->eff) {
		fprintf(f, "<dt>Efficiency</dt><dd id=\"efficiency\" data-score=\"%.6f\" "
			"data-wasted=\"%" PRIu64 "\">%.1f%% (dive&#39;s score); ", r->eff->score,
			r->eff->wasted_bytes, 100 * r->eff->score);
		human(f, r->eff->wasted_bytes);
		fputs(" in paths several layers hold</dd>\n", f);
	}
	fprintf(f, "<dt>Layers</dt><dd id=\"nlayers\">%zu</dd>\n", r->nlayers);
	fputs("<dt>Entrypoint</dt><dd>", f);
	str_list(f, img->entrypoint);
	fputs("</dd>\n<dt>Cmd</dt><dd>", f);
	str_list(f, img->cmd);
	fputs("</dd>\n", f);
	if (img->workdir && *img->workdir) {
		fputs("<dt>Workdir</dt><dd>", f);
		esc(f, img->workdir);
		fputs("</dd>\n", f);
	}
	if (img->user && *img->user) {
		fputs("<dt>User</dt><dd>", f);
		esc(f, img->user);
		fputs("</dd>\n", f);
	}
	fputs("</dl></section>\n", f);
}

/* The history lines of empty layers (ENV, CMD, ...) given after the
 * line of layer `next` - 1 and before the line of layer `next` (0-based;
 * img->nlayers: after the last layer), to f (NULL: only counted). */
static size_t empty_lines(const struct ocifs_image *img, size_t next, FILE *f)
{
	size_t made = 0, n = 0; /* layers made so far, lines */

	for (size_t i = 0; i < img->nhistory; i++) {
		const struct ocifs_history *h = &img->history[i];
		if (!h->empty_layer) {
			made++;
			continue;
		}
		if (made != next || !h->created_by)
			continue;
		n++;
		if (!f)
			continue;
		fputs("<div class=\"e\">", f);
		esc(f, h->created_by);
		fputs("</div>", f);
	}
	return n;
}

static void num_cell(FILE *f, int have, uint64_t v, const char *cls)
{
	if (have)
		fprintf(f, "<td class=\"n %s\">%" PRIu64 "</td>", cls, v);
	else
		fprintf(f, "<td class=\"n %s dim\">n/a</td>", cls);
}

static double scale(uint64_t v, uint64_t max, double w)
{
	return max ? w * (double)v / (double)max : 0;
}

static void chart(const struct rpt_layer *l, uint64_t maxchg, uint64_t maxsz, FILE *f)
{
	const struct ocifs_chg_stats *c = &l->chg;
	double w = 220, a = 0, m = 0, d = 0, u = scale(l->usize, maxsz, w);

	if (l->have_chg) {
		a = scale(c->added, maxchg, w);
		m = scale(c->modified, maxchg, w);
		d = scale(c->removed, maxchg, w);
	}
	fprintf(f, "<svg class=\"bars\" width=\"%d\" height=\"30\" viewBox=\"0 0 %d 30\" "
		"role=\"img\" aria-label=\"layer %u\">", (int)w, (int)w, l->num);
	fprintf(f, "<rect class=\"add\" x=\"0\" y=\"2\" width=\"%.1f\" height=\"11\">"
		"<title>%" PRIu64 " added</title></rect>", a, c->added);
	fprintf(f, "<rect class=\"mod\" x=\"%.1f\" y=\"2\" width=\"%.1f\" height=\"11\">"
		"<title>%" PRIu64 " modified</title></rect>", a, m, c->modified);
	fprintf(f, "<rect class=\"rem\" x=\"%.1f\" y=\"2\" width=\"%.1f\" height=\"11\">"
		"<title>%" PRIu64 " removed</title></rect>", a + m, d, c->removed);
	fprintf(f, "<rect class=\"use\" x=\"0\" y=\"16\" width=\"%.1f\" height=\"11\">"
		"<title>%" PRIu64 " bytes uncompressed</title></rect>", u, l->usize);
	if (l->have_waste) {
		double x = scale(l->wasted, maxsz, w);
		fprintf(f, "<rect class=\"was\" x=\"0\" y=\"16\" width=\"%.1f\" height=\"11\">"
			"<title>%" PRIu64 " bytes wasted</title></rect>",
			l->wasted && x < 2 ? 2 : x, l->wasted); /* some waste: visible */
	}
	fputs("</svg>", f);
}

/* dive's inefficient files: the paths several layers hold, most bytes first. */
static void inefficient(const struct rpt *r, FILE *f)
{
	const struct ocifs_efficiency *e = r->eff;
	size_t n;

	if (!e || !e->nfiles)
		return;
	n = e->nfiles < RPT_INEFF_MAX ? e->nfiles : RPT_INEFF_MAX;
	fprintf(f, "<h3>Paths several layers hold</h3>\n<p>%zu paths", e->nfiles);
	if (n < e->nfiles)
		fprintf(f, " (the %zu with the most bytes listed)", n);
	fputs(", as dive counts them: every copy&#39;s bytes.</p>\n<table id=\"inefficient\">"
	      "<thead><tr><th>Path</th><th class=\"n\">Copies</th><th class=\"n\">Bytes</th>"
	      "<th>Layers</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct ocifs_eff_file *x = &e->files[i];
		fputs("<tr><td class=\"m\">", f);
		esc(f, x->path);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">", x->count);
		human(f, x->bytes < 0 ? 0 : (uint64_t)x->bytes);
		fputs("</td><td>", f);
		for (size_t j = 0; j < x->nholders; j++)
			fprintf(f, "%sL%zu%s", j ? ", " : "", x->holders[j].layer + 1,
				x->holders[j].whiteout ? " (deleted)" : "");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void layers(const struct rpt *r, FILE *f)
{
	const struct ocifs_image *img = r->s->img;
	uint64_t maxchg = 0, maxsz = 0;

	for (size_t i = 0; i < r->nlayers; i++) {
		const struct rpt_layer *l = &r->layers[i];
		uint64_t t = l->chg.added + l->chg.modified + l->chg.removed;
		maxchg = t > maxchg ? t : maxchg;
		maxsz = l->usize > maxsz ? l->usize : maxsz;
	}
	fputs("<section id=\"layers\"><h2>Layers</h2>\n<p class=\"legend\">Files changed:"
	      "<span class=\"la\"></span>added<span class=\"lm\"></span>modified"
	      "<span class=\"lr\"></span>removed. Bytes: <span class=\"lu\"></span>uncompressed"
	      "<span class=\"lr\"></span>wasted (overwritten or deleted by a later layer)</p>\n", f);
	fputs("<table id=\"layer-table\">\n<thead><tr><th>#</th><th>Dockerfile line</th>"
	      "<th class=\"n\">Compressed</th><th class=\"n\">Uncompressed</th><th class=\"n\">"
	      "Entries</th><th class=\"n\">Added</th><th class=\"n\">Modified</th>"
	      "<th class=\"n\">Removed</th><th class=\"n\">Wasted</th><th>Chart</th></tr></thead>\n"
	      "<tbody>\n", f);
	for (size_t i = 0; i < r->nlayers; i++) {
		const struct rpt_layer *l = &r->layers[i];
		fprintf(f, "<tr class=\"layer\" id=\"layer-%u\" data-layer=\"%u\" data-csize=\"%" PRIu64
			"\" data-usize=\"%" PRIu64 "\" data-entries=\"%" PRIu64 "\"", l->num, l->num,
			l->desc->size, l->usize, l->entries);
		if (l->have_chg)
			fprintf(f, " data-added=\"%" PRIu64 "\" data-modified=\"%" PRIu64
				"\" data-removed=\"%" PRIu64 "\"", l->chg.added, l->chg.modified,
				l->chg.removed);
		if (l->have_waste)
			fprintf(f, " data-wasted=\"%" PRIu64 "\"", l->wasted);
		fprintf(f, "><td class=\"n\">%u</td><td>", l->num);
		empty_lines(img, i, f); /* the lines leading to it */
		fputs("<div class=\"cb\">", f);
		if (l->hist && l->hist->created_by)
			esc(f, l->hist->created_by);
		else
			fputs("<span class=\"dim\">(no history line)</span>", f);
		fputs("</div><div class=\"e m\" title=\"", f);
		esc(f, l->desc->digest);
		fputs("\">", f);
		esc_n(f, l->desc->digest, strnlen(l->desc->digest, 19));
		fputs("</div></td><td class=\"n\">", f);
		human(f, l->desc->size);
		fputs("</td><td class=\"n\">", f);
		human(f, l->usize);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td>", l->entries);
		num_cell(f, l->have_chg, l->chg.added, "added");
		num_cell(f, l->have_chg, l->chg.modified, "modified");
		num_cell(f, l->have_chg, l->chg.removed, "removed");
		if (l->have_waste) {
			fputs("<td class=\"n wasted\">", f);
			human(f, l->wasted);
			fputs("</td>", f);
		} else {
			fputs("<td class=\"n wasted dim\">n/a</td>", f);
		}
		fputs("<td>", f);
		chart(l, maxchg, maxsz, f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (empty_lines(img, r->nlayers, NULL)) {
		fputs("<div id=\"history-after\"><p>After the last layer:</p>", f);
		empty_lines(img, r->nlayers, f);
		fputs("</div>", f);
	}
	inefficient(r, f);
	fputs("</section>\n", f);
}

/* "3" for 0-based layer 2, "-" for an implicit directory. */
static void tree_entry(const struct rpt *r, size_t i, FILE *f)
{
	const struct rpt_tree *t = &r->tree;
	const struct rpt_node *n = &t->n[i];
	const char *path = ocifs_strmap_key(&t->paths, i), *name = strrchr(path, '/');
	unsigned layer = n->layer == OCIFS_VIEW_NO_LAYER ? 0 : n->layer + 1;
	const struct rpt_layer *rl = layer ? &r->layers[layer - 1] : NULL;
	int dir = S_ISDIR(n->mode), any = 0;

	name = name ? name + 1 : path;
	fprintf(f, "<li class=\"%s\" data-path=\"/", dir ? "d" : "f");
	esc(f, path);
	fprintf(f, "\" data-layer=\"%u\" data-earlier=\"", layer);
	for (uint32_t v = n->first; v != UINT32_MAX; v = t->ver[v].next)
		if (t->ver[v].layer != n->layer)
			fprintf(f, "%s%u", any++ ? " " : "", t->ver[v].layer + 1);
	fputs("\">", f);
	if (dir)
		fputs("<details><summary>", f);
	esc(f, name);
	if (dir)
		fputc('/', f);
	else if (S_ISLNK(n->mode) && n->link) {
		fputs(" <span class=\"dim\">&rarr; ", f);
		esc(f, n->link);
		fputs("</span>", f);
	}
	if (layer) {
		fprintf(f, "<span class=\"ly\" title=\"from layer %u", layer);
		if (rl->hist && rl->hist->created_by) {
			fputs(": ", f);
			esc(f, rl->hist->created_by);
		}
		fprintf(f, "\">L%u</span>", layer);
	} else {
		fputs("<span class=\"ly\" title=\"implied by its entries\">&middot;</span>", f);
	}
	if (any) {
		any = 0;
		fputs("<span class=\"ev\">earlier in ", f);
		for (uint32_t v = n->first; v != UINT32_MAX; v = t->ver[v].next)
			if (t->ver[v].layer != n->layer)
				fprintf(f, "%sL%u", any++ ? ", " : "", t->ver[v].layer + 1);
		fputs("</span>", f);
	}
	if (S_ISREG(n->mode)) {
		fputs("<span class=\"sz\">", f);
		human(f, n->size);
		fputs("</span>", f);
	}
	fputs(dir ? "</summary><ul>" : "</li>\n", f);
}

static void tree(const struct rpt *r, FILE *f)
{
	const struct rpt_tree *t = &r->tree;
	uint32_t open = 0;

	fprintf(f, "<section id=\"tree\" data-entries=\"%zu\" data-total=\"%" PRIu64 "\">"
		"<h2>Merged tree</h2>\n<p>Each entry shows the layer it comes from (L<i>n</i>) "
		"and the earlier layers that held a version of it.</p>\n", t->nn, t->total);
	if (t->cut)
		fprintf(f, "<p class=\"warn\" id=\"tree-cut\">The tree is cut after %zu of its %"
			PRIu64 " entries (a report lists at most %u, depth first in name order, "
			"and at most %u MiB of paths).</p>\n", t->nn, t->total, RPT_TREE_MAX,
			RPT_TREE_PATH_BYTES >> 20);
	fputs("<p><button type=\"button\" id=\"expand\">Expand all</button>"
	      "<button type=\"button\" id=\"collapse\">Collapse all</button></p>\n<ul class=\"tree\">\n", f);
	for (size_t i = 0; i < t->nn; i++) {
		for (; open > t->n[i].depth; open--)
			fputs("</ul></details></li>\n", f);
		tree_entry(r, i, f);
		if (S_ISDIR(t->n[i].mode))
			open++;
	}
	for (; open; open--)
		fputs("</ul></details></li>\n", f);
	fputs("</ul></section>\n", f);
}

static void group_table(const struct rpt_groups *gs, const char *id, const char *what, FILE *f)
{
	fprintf(f, "<table id=\"%s\"><thead><tr><th>%s</th><th class=\"n\">Files</th>"
		"<th>Which</th></tr></thead><tbody>\n", id, what);
	for (size_t i = 0; i < gs->n; i++) {
		const struct rpt_group *g = &gs->g[i];
		fputs("<tr data-key=\"", f);
		esc(f, g->key);
		fprintf(f, "\" data-count=\"%zu\"><td><code>", g->count);
		esc(f, g->key);
		fprintf(f, "</code></td><td class=\"n\">%zu</td><td><details><summary>files</summary>",
			g->count);
		for (size_t j = 0; j < g->nfiles; j++) {
			fputs("<div class=\"m\">", f);
			esc(f, g->files[j]);
			fputs("</div>", f);
		}
		if (g->count > g->nfiles)
			fprintf(f, "<div class=\"dim\">and %zu more</div>", g->count - g->nfiles);
		fputs("</details></td></tr>\n", f);
	}
	if (!gs->n)
		fputs("<tr><td colspan=\"3\" class=\"dim\">none</td></tr>\n", f);
	fputs("</tbody></table>\n", f);
}

static void deps(const struct rpt *r, FILE *f)
{
	const struct rpt_scan *sc = &r->scan;

	fputs("<section id=\"deps\"><h2>Binaries (/.deps)</h2>\n", f);
	if (sc->deps_error) {
		fprintf(f, "<p class=\"warn\">%s.</p></section>\n", sc->deps_error);
		return;
	}
	fprintf(f, "<p id=\"deps-summary\" data-files=\"%" PRId64 "\" data-elf=\"%" PRId64
		"\" data-scripts=\"%" PRId64 "\" data-go=\"%" PRId64 "\" data-unresolved=\"%" PRId64
		"\">%" PRId64 " files: %" PRId64 " ELF, %" PRId64 " scripts, %" PRId64 " Go, %"
		PRId64 " UPX-packed; %" PRId64 " with a library the loader would not find; %"
		PRId64 " analyzed only in part.</p>\n", sc->files, sc->elf, sc->scripts, sc->go,
		sc->unresolved, sc->files, sc->elf, sc->scripts, sc->go, sc->upx, sc->unresolved,
		sc->errors);
	fputs("<h3>By linking</h3>\n", f);
	group_table(&sc->link, "deps-link", "Kind", f);
	fputs("<h3>Unresolved libraries</h3>\n", f);
	group_table(&sc->unres, "deps-unresolved", "Library", f);
	fputs("<h3>Go versions</h3>\n", f);
	group_table(&sc->gover, "deps-go", "Go", f);
	fputs("</section>\n", f);
}

static void sbom(const struct rpt *r, FILE *f)
{
	const struct rpt_scan *sc = &r->scan;

	fputs("<section id=\"sbom\"><h2>Components by layer (SBOM)</h2>\n", f);
	if (sc->sbom_error) {
		fprintf(f, "<p class=\"warn\">%s.</p></section>\n", sc->sbom_error);
		return;
	}
	fprintf(f, "<p data-components=\"%zu\">%zu components", sc->ncomp, sc->ncomp);
	if (sc->shown < sc->ncomp)
		fprintf(f, " (the first %zu listed)", sc->shown);
	fputs(".</p>\n", f);
	for (size_t i = 0; i < sc->ncl; i++) {
		const struct rpt_comp_layer *cl = &sc->cl[i];
		const struct rpt_layer *rl = cl->layer ? &r->layers[cl->layer - 1] : NULL;

		fprintf(f, "<details class=\"comps\" data-layer=\"%u\" data-count=\"%zu\"><summary>",
			cl->layer, cl->n);
		if (rl) {
			fprintf(f, "Layer %u: %zu components <span class=\"e\">", cl->layer, cl->n);
			esc(f, rl->hist && rl->hist->created_by ? rl->hist->created_by : "");
			fputs("</span>", f);
		} else {
			fprintf(f, "No layer: %zu components", cl->n);
		}
		fputs("</summary><table><thead><tr><th>Name</th><th>Version</th><th>Type</th>"
		      "<th>Found by</th><th>purl</th></tr></thead><tbody>\n", f);
		for (size_t j = 0; j < cl->n; j++) {
			const struct rpt_comp *c = &cl->c[j];
			fputs("<tr><td>", f);
			esc(f, c->name);
			fputs("</td><td>", f);
			esc(f, c->version);
			fputs("</td><td>", f);
			esc(f, c->type);
			fputs("</td><td>", f);
			esc(f, c->cataloger);
			fputs("</td><td class=\"m\">", f);
			esc(f, c->purl);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table></details>\n", f);
	}
	fputs("</section>\n", f);
}

int rpt_html_write(const struct rpt *r, FILE *f)
{
	head(r, f);
	summary(r, f);
	layers(r, f);
	tree(r, f);
	deps(r, f);
	sbom(r, f);
	fprintf(f, "<p class=\"dim\">Made by ocifs %s from the layer indexes, without reading "
		"or running the image.</p>\n<script>%s</script>\n</body>\n</html>\n",
		PACKAGE_VERSION, js_ready);
	return ferror(f) ? -EIO : 0;
}
