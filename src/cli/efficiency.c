/* SPDX-License-Identifier: MIT */
/*
 * `ocifs efficiency IMAGE [--json] [--ci] [--lowest-efficiency R]
 * [--highest-wasted-bytes B] [--highest-user-wasted-percent P]`: dive's
 * efficiency score, wasted bytes and inefficient files (src/efficiency.h
 * computes them from the layer indexes), the bytes each layer wrote that
 * a later one replaced or deleted, and dive's CI rules. This file owns
 * the rendering (dive's CI report layout; JSON in dive's export names)
 * and the rules' parsing and evaluation.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "efficiency.h"
#include "esc.h"
#include "jsonw.h"
#include "log.h"

#define EFF_SCHEMA "ocifs-efficiency/1"

enum rule_status { R_PASS, R_FAIL, R_SKIP };

struct rule {
	const char *key;        /* dive's rule name */
	const char *config;     /* as given ("disabled" when off) */
	int enabled;
	double threshold;       /* lowestEfficiency, highestUserWastedPercent */
	uint64_t bytes;         /* highestWastedBytes */
	enum rule_status status;
	char msg[200];
};

/* dive's isRuleDisabled(). */
static int rule_off(const char *v)
{
	while (isspace((unsigned char)*v))
		v++;
	size_t n = strlen(v);
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	return n == 0 || (n == 8 && !strncasecmp(v, "disabled", 8)) ||
	       (n == 3 && !strncasecmp(v, "off", 3)) || (n == 5 && !strncasecmp(v, "false", 5));
}

/* A ratio 0..1 (strconv.ParseFloat then dive's range check). */
static int parse_ratio(const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || !(*out >= 0 && *out <= 1))
		return -EINVAL;
	return 0;
}

/* go-humanize's ParseBytes(): digits (with '.' and ','), then an optional
 * unit: b, k/kb (1000), ki/kib (1024), ... up to e/eb/ei/eib. */
static int parse_bytes(const char *v, uint64_t *out)
{
	static const char units[] = "kmgtpe";
	char num[64], unit[8];
	size_t nd = 0, i = 0, un = 0;
	double f, m = 1;
	char *end;

	for (; v[i] && (isdigit((unsigned char)v[i]) || v[i] == '.' || v[i] == ','); i++)
		if (v[i] != ',' && nd < sizeof(num) - 1)
			num[nd++] = v[i];
	num[nd] = '\0';
	if (!nd || nd >= sizeof(num) - 1)
		return -EINVAL;
	errno = 0;
	f = strtod(num, &end);
	if (errno || *end)
		return -EINVAL;
	while (isspace((unsigned char)v[i]))
		i++;
	for (; v[i] && !isspace((unsigned char)v[i]); i++) {
		if (un >= sizeof(unit) - 1)
			return -EINVAL;
		unit[un++] = (char)tolower((unsigned char)v[i]);
	}
	unit[un] = '\0';
	while (isspace((unsigned char)v[i]))
		i++;
	if (v[i])
		return -EINVAL;
	if (un && strcmp(unit, "b")) {
		const char *u = strchr(units, unit[0]);
		const char *rest = unit + 1;
		double base = 1000;
		if (!u || !unit[0])
			return -EINVAL;
		if (*rest == 'i') {
			base = 1024;
			rest++;
		}
		if (*rest && strcmp(rest, "b"))
			return -EINVAL;
		for (const char *p = units; p <= u; p++)
			m *= base;
	}
	f *= m;
	if (!(f < 18446744073709551616.0))
		return -EINVAL;
	*out = (uint64_t)f;
	return 0;
}

/* The shortest decimal that reads back as x (Go's strconv 'g', -1). */
static void fmt_double(char *buf, size_t n, double x)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* go-humanize's Bytes(): SI units, one decimal below 10. */
static void fmt_human(char *buf, size_t n, uint64_t s)
{
	static const char *const sz[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double p = 1;
	int e = 0;
	uint64_t v10;

	if (s < 10) {
		snprintf(buf, n, "%llu B", (unsigned long long)s);
		return;
	}
	while (e < 6 && (double)s >= p * 1000) {
		p *= 1000;
		e++;
	}
	v10 = (uint64_t)((double)s / p * 10 + 0.5);
	snprintf(buf, n, v10 < 100 ? "%.1f %s" : "%.0f %s", (double)v10 / 10, sz[e]);
}

static int rules_parse(const struct cli *c, struct rule r[3])
{
	const char *le = c->lowest_efficiency ? c->lowest_efficiency : "0.9";
	const char *hw = c->highest_wasted_bytes ? c->highest_wasted_bytes : "disabled";
	const char *hu = c->highest_user_wasted ? c->highest_user_wasted : "0.1";

	r[0] = (struct rule){ .key = "lowestEfficiency", .config = le, .enabled = !rule_off(le) };
	r[1] = (struct rule){ .key = "highestWastedBytes", .config = hw, .enabled = !rule_off(hw) };
	r[2] = (struct rule){ .key = "highestUserWastedPercent", .config = hu,
			      .enabled = !rule_off(hu) };
	if (r[0].enabled && parse_ratio(le, &r[0].threshold)) {
		log_err("efficiency: --lowest-efficiency \"%s\" is not a ratio from 0 to 1", le);
		return -EINVAL;
	}
	if (r[1].enabled && parse_bytes(hw, &r[1].bytes)) {
		log_err("efficiency: --highest-wasted-bytes \"%s\" is not a size (e.g. 20MB, 1.5GiB)",
			hw);
		return -EINVAL;
	}
	if (r[2].enabled && parse_ratio(hu, &r[2].threshold)) {
		log_err("efficiency: --highest-user-wasted-percent \"%s\" is not a ratio from 0 to 1",
			hu);
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++)
		if (!r[i].enabled)
			r[i].config = "disabled";
	return 0;
}

/* dive's rule evaluation and messages. 1 if a rule failed. */
static int rules_eval(const struct ocifs_efficiency *e, struct rule r[3])
{
	char t[40];
	int fail = 0;

	for (int i = 0; i < 3; i++) {
		r[i].status = R_PASS;
		snprintf(r[i].msg, sizeof(r[i].msg), "%s", r[i].config);
		if (!r[i].enabled) {
			r[i].status = R_SKIP;
			continue;
		}
		fmt_double(t, sizeof(t), r[i].threshold);
		if (i == 0 && r[i].threshold > e->score) {
			r[i].status = R_FAIL;
			snprintf(r[i].msg, sizeof(r[i].msg),
				 "image efficiency is too low (efficiency=%2.2f < threshold=%s)",
				 e->score, t);
		} else if (i == 1 && e->wasted_bytes > r[i].bytes) {
			r[i].status = R_FAIL;
			snprintf(r[i].msg, sizeof(r[i].msg),
				 "too many bytes wasted (wasted-bytes=%llu > threshold=%llu)",
				 (unsigned long long)e->wasted_bytes, (unsigned long long)r[i].bytes);
		} else if (i == 2 && e->user_wasted_ratio > r[i].threshold) {
			r[i].status = R_FAIL;
			snprintf(r[i].msg, sizeof(r[i].msg),
				 "too many bytes wasted, relative to the user bytes added "
				 "(%%-user-wasted-bytes=%2.2f > threshold=%s)",
				 e->user_wasted_ratio, t);
		}
		fail |= r[i].status == R_FAIL;
	}
	return fail;
}

/* Text from the image (a Dockerfile line, a message quoting a path) on
 * stdout: spaces kept, control bytes and invalid UTF-8 escaped. */
static void print_text_esc(const char *s)
{
	size_t n = strlen(s), cap = 4 * n + 1;
	char *b = malloc(cap);

	if (!b) {
		fputs("?", stdout);
		return;
	}
	ocifs_esc_buf(b, cap, s, n, OCIFS_ESC_KEEP_SPACE);
	fputs(b, stdout);
	free(b);
}

static const char *const status_name[] = { "PASS", "FAIL", "SKIP" };

/* The layer's Dockerfile line as dive shows it ("/bin/sh -c " dropped),
 * or NULL when the config's history does not say. */
static const char *layer_command(const struct ocifs_session *s, size_t i)
{
	const struct ocifs_history *h = ocifs_image_layer_history(s->img, i);
	const char *cb = h ? h->created_by : NULL;

	if (!cb)
		return NULL;
	return strncmp(cb, "/bin/sh -c ", 11) ? cb : cb + 11;
}

static void print_text(const struct ocifs_session *s, const struct ocifs_efficiency *e,
		       struct rule *r, int ci)
{
	char h[32], w[32];

	fmt_human(h, sizeof(h), e->wasted_bytes);
	printf("Analysis:\n");
	printf("  %-18s %.2f %%\n", "efficiency:", e->score * 100);
	printf("  %-18s %llu bytes", "wastedBytes:", (unsigned long long)e->wasted_bytes);
	if (e->wasted_bytes)
		printf(" (%s)", h);
	printf("\n");
	if (e->wasted_bytes)
		printf("  %-18s %.2f %%\n", "userWastedPercent:", e->user_wasted_ratio * 100);
	else
		printf("  %-18s 0 %%\n", "userWastedPercent:");
	fmt_human(h, sizeof(h), e->size_bytes);
	printf("  %-18s %llu bytes (%s)\n", "sizeBytes:", (unsigned long long)e->size_bytes, h);
	fmt_human(h, sizeof(h), e->user_size_bytes);
	printf("  %-18s %llu bytes (%s)\n", "userSizeBytes:",
	       (unsigned long long)e->user_size_bytes, h);

	printf("\nInefficient Files:");
	if (!e->nfiles)
		printf(" (None)\n");
	else
		printf("\n  %-5s  %-12s  %s\n", "Count", "Wasted Space", "File Path");
	for (size_t i = 0; i < e->nfiles; i++) {
		fmt_human(h, sizeof(h), (uint64_t)e->files[i].bytes);
		printf("  %-5zu  %-12s  ", e->files[i].count, h);
		cli_print_esc(e->files[i].path);
		printf("\n");
	}

	printf("\nLayers:\n  %-5s  %-10s  %-10s  %s\n", "Layer", "Size", "Wasted", "Command");
	for (size_t i = 0; i < e->nlayers; i++) {
		fmt_human(h, sizeof(h), e->layers[i].size_bytes);
		fmt_human(w, sizeof(w), e->layers[i].wasted_bytes);
		printf("  %-5zu  %-10s  %-10s  ", i + 1, h, w);
		print_text_esc(layer_command(s, i) ? layer_command(s, i) : "(missing)");
		printf("\n");
	}

	if (ci) {
		int pass = 0, fail = 0, skip = 0;
		printf("\nEvaluation:\n");
		/* dive sorts the rules by name */
		static const int order[] = { 2, 1, 0 };
		for (int j = 0; j < 3; j++) {
			const struct rule *x = &r[order[j]];
			printf("  %s  %s (", status_name[x->status], x->key);
			print_text_esc(x->msg);
			printf(")\n");
			pass += x->status == R_PASS;
			fail += x->status == R_FAIL;
			skip += x->status == R_SKIP;
		}
		printf("\n%s [", fail ? "FAIL" : "PASS");
		const char *sep = "";
		if (pass)
			printf("%spass:%d", sep, pass), sep = " ";
		if (fail)
			printf("%sfail:%d", sep, fail), sep = " ";
		if (skip)
			printf("%sskip:%d", sep, skip);
		printf("]\n");
	}
}

static void jdouble(struct ocifs_jsonw *j, const char *k, double x)
{
	char b[40];

	ocifs_jsonw_key(j, k);
	if (!isfinite(x)) {
		ocifs_jsonw_null(j);
		return;
	}
	fmt_double(b, sizeof(b), x);
	ocifs_jsonw_raw(j, b);
}

static void print_json(const struct ocifs_session *s, const struct ocifs_efficiency *e,
		       const struct rule *r, int ci, int failed)
{
	struct ocifs_jsonw j;

	ocifs_jsonw_init(&j, stdout);
	j.surrogateescape = 1; /* paths and commands are bytes (ocifs-json(5)) */
	ocifs_jsonw_obj(&j);
	ocifs_jsonw_kstr(&j, "schema", EFF_SCHEMA);
	ocifs_jsonw_key(&j, "image");
	ocifs_jsonw_obj(&j);
	jdouble(&j, "efficiencyScore", e->score);
	ocifs_jsonw_kint(&j, "sizeBytes", (int64_t)e->size_bytes);
	ocifs_jsonw_kint(&j, "userSizeBytes", (int64_t)e->user_size_bytes);
	ocifs_jsonw_kint(&j, "inefficientBytes", (int64_t)e->wasted_bytes);
	jdouble(&j, "userWastedPercent", e->user_wasted_ratio);
	ocifs_jsonw_key(&j, "fileReference");
	ocifs_jsonw_arr(&j);
	for (size_t i = 0; i < e->nfiles; i++) {
		const struct ocifs_eff_file *f = &e->files[i];
		ocifs_jsonw_obj(&j);
		ocifs_jsonw_kint(&j, "count", (int64_t)f->count);
		ocifs_jsonw_kint(&j, "sizeBytes", f->bytes);
		ocifs_jsonw_kstr(&j, "file", f->path);
		ocifs_jsonw_key(&j, "layers");
		ocifs_jsonw_arr(&j);
		for (size_t h = 0; h < f->nholders; h++) {
			ocifs_jsonw_obj(&j);
			ocifs_jsonw_kint(&j, "layer", (int64_t)f->holders[h].layer + 1);
			ocifs_jsonw_kbool(&j, "whiteout", f->holders[h].whiteout);
			ocifs_jsonw_kint(&j, "sizeBytes", f->holders[h].bytes);
			ocifs_jsonw_end_obj(&j);
		}
		ocifs_jsonw_end_arr(&j);
		ocifs_jsonw_end_obj(&j);
	}
	ocifs_jsonw_end_arr(&j);
	ocifs_jsonw_end_obj(&j);
	ocifs_jsonw_key(&j, "layer");
	ocifs_jsonw_arr(&j);
	for (size_t i = 0; i < e->nlayers; i++) {
		const struct ocifs_layer_desc *d = &s->img->layers[i];
		ocifs_jsonw_obj(&j);
		ocifs_jsonw_kint(&j, "index", (int64_t)i);
		ocifs_jsonw_kint(&j, "number", (int64_t)i + 1);
		ocifs_jsonw_kstr(&j, "digest", d->digest[0] ? d->digest : NULL);
		ocifs_jsonw_kstr(&j, "digestId", d->diff_id[0] ? d->diff_id : NULL);
		ocifs_jsonw_kint(&j, "sizeBytes", (int64_t)e->layers[i].size_bytes);
		ocifs_jsonw_kstr(&j, "command", layer_command(s, i));
		ocifs_jsonw_kint(&j, "entries", (int64_t)e->layers[i].entries);
		ocifs_jsonw_kint(&j, "treeNodes", (int64_t)e->layers[i].nodes);
		ocifs_jsonw_kint(&j, "wastedBytes", (int64_t)e->layers[i].wasted_bytes);
		ocifs_jsonw_kbool(&j, "walkStopped", e->layers[i].walk_stopped);
		ocifs_jsonw_end_obj(&j);
	}
	ocifs_jsonw_end_arr(&j);
	if (ci) {
		ocifs_jsonw_key(&j, "ci");
		ocifs_jsonw_obj(&j);
		ocifs_jsonw_kbool(&j, "pass", !failed);
		ocifs_jsonw_key(&j, "rules");
		ocifs_jsonw_arr(&j);
		for (int i = 0; i < 3; i++) {
			ocifs_jsonw_obj(&j);
			ocifs_jsonw_kstr(&j, "name", r[i].key);
			ocifs_jsonw_kstr(&j, "status", status_name[r[i].status]);
			ocifs_jsonw_kstr(&j, "config", r[i].config);
			ocifs_jsonw_kstr(&j, "message", r[i].msg);
			ocifs_jsonw_end_obj(&j);
		}
		ocifs_jsonw_end_arr(&j);
		ocifs_jsonw_end_obj(&j);
	}
	ocifs_jsonw_end_obj(&j);
	fputc('\n', stdout);
}

int cmd_efficiency(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s = NULL;
	struct ocifs_efficiency *e = NULL;
	struct rule r[3];
	int ci = c->ci || c->lowest_efficiency || c->highest_wasted_bytes || c->highest_user_wasted;
	int rc, failed = 0;

	if (rules_parse(c, r))
		return OCIFS_EXIT_USAGE;
	so.no_view = 1; /* the layer indexes answer everything */
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	rc = ocifs_efficiency_compute(s, &e);
	if (!rc) {
		if (ci)
			failed = rules_eval(e, r);
		if (c->json)
			print_json(s, e, r, ci, failed);
		else
			print_text(s, e, r, ci);
	}
	ocifs_efficiency_free(e);
	ocifs_session_close(s);
	if (rc)
		return rc;
	return failed ? OCIFS_EXIT_ERR : 0;
}
