/* SPDX-License-Identifier: MIT */
/*
 * `ocifs inspect`: what the image is, without reading any layer -- its
 * format, platform, digests, names, the config's run settings (entrypoint,
 * cmd, env, workdir, user, labels, exposed ports, volumes, stop signal),
 * its layers and its history aligned to them as `docker history` shows
 * it; as text or as the "ocifs-inspect/1" JSON document (ocifs-json(5)).
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "esc.h"
#include "jsonw.h"
#include "log.h"
#include "progress.h"

#define INSPECT_SCHEMA "ocifs-inspect/1"

/* What inspect reads from the config beyond struct ocifs_image: the
 * objects of config.Labels, .ExposedPorts, .Volumes (NULL when absent or
 * not an object) and .StopSignal (NULL unless a string), borrowed from
 * root. */
struct extra {
	json_object *root;
	json_object *labels, *ports, *volumes, *stop_signal;
};

static json_object *cfg_get(json_object *cfg, const char *k, json_type t)
{
	json_object *v;

	return cfg && json_object_object_get_ex(cfg, k, &v) && json_object_is_type(v, t) ? v : NULL;
}

/* The config was parsed and checked when the image was opened, so this
 * parse does not fail but for memory: then inspect shows less, no error. */
static void extra_load(const struct ocifs_image *img, struct extra *x)
{
	json_object *cfg = NULL;

	memset(x, 0, sizeof(*x));
	if (!img->config_json || !(x->root = json_tokener_parse(img->config_json)))
		return;
	cfg = cfg_get(x->root, "config", json_type_object);
	x->labels = cfg_get(cfg, "Labels", json_type_object);
	x->ports = cfg_get(cfg, "ExposedPorts", json_type_object);
	x->volumes = cfg_get(cfg, "Volumes", json_type_object);
	x->stop_signal = cfg_get(cfg, "StopSignal", json_type_string);
}

/* A json-c string as a JSON string of the same bytes (NULL: null). */
static void w_jstr(struct ocifs_jsonw *w, json_object *s)
{
	if (!s || !json_object_is_type(s, json_type_string))
		ocifs_jsonw_null(w);
	else
		ocifs_jsonw_strn(w, json_object_get_string(s), (size_t)json_object_get_string_len(s));
}

static void w_strv(struct ocifs_jsonw *w, const char *k, char *const *v, int null_if_absent)
{
	ocifs_jsonw_key(w, k);
	if (!v && null_if_absent) {
		ocifs_jsonw_null(w);
		return;
	}
	ocifs_jsonw_arr(w);
	for (; v && *v; v++)
		ocifs_jsonw_str(w, *v);
	ocifs_jsonw_end_arr(w);
}

/* The names of an object's members as an array ([] for NULL). */
static void w_keys(struct ocifs_jsonw *w, const char *k, json_object *o)
{
	ocifs_jsonw_key(w, k);
	ocifs_jsonw_arr(w);
	if (o) {
		json_object_object_foreach(o, key, val) {
			(void)val;
			ocifs_jsonw_str(w, key);
		}
	}
	ocifs_jsonw_end_arr(w);
}

/* Layer i's digest as shown: the blob digest, NULL when the format does
 * not say (old docker-archive). */
static const char *layer_digest(const struct ocifs_image *img, size_t i)
{
	return i < img->nlayers && *img->layers[i].digest ? img->layers[i].digest : NULL;
}

static void json_config(struct ocifs_jsonw *w, const struct ocifs_image *img, const struct extra *x)
{
	ocifs_jsonw_key(w, "config");
	ocifs_jsonw_obj(w);
	w_strv(w, "entrypoint", img->entrypoint, 1);
	w_strv(w, "cmd", img->cmd, 1);
	w_strv(w, "env", img->env, 1);
	ocifs_jsonw_kstr(w, "workdir", img->workdir);
	ocifs_jsonw_kstr(w, "user", img->user);
	ocifs_jsonw_kstr(w, "created", img->created);
	ocifs_jsonw_key(w, "labels");
	ocifs_jsonw_obj(w);
	if (x->labels) {
		json_object_object_foreach(x->labels, key, val) {
			ocifs_jsonw_key(w, key);
			w_jstr(w, val);
		}
	}
	ocifs_jsonw_end_obj(w);
	w_keys(w, "exposed_ports", x->ports);
	w_keys(w, "volumes", x->volumes);
	ocifs_jsonw_key(w, "stop_signal");
	w_jstr(w, x->stop_signal);
	ocifs_jsonw_end_obj(w);
}

static void json_layers(struct ocifs_jsonw *w, const struct ocifs_session *s)
{
	struct ocifs_image *img = s->img;

	ocifs_jsonw_key(w, "layers");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *ld = &img->layers[i];
		struct ocifs_layer_info li;
		int known;

		ocifs_layer_peek(img, i, s->cache_dir, &li);
		known = li.state != OCIFS_CACHE_MISSING && li.state != OCIFS_CACHE_STALE;
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kint(w, "number", (int64_t)i + 1);
		ocifs_jsonw_kstr(w, "digest", layer_digest(img, i));
		ocifs_jsonw_kstr(w, "diff_id", *ld->diff_id ? ld->diff_id : NULL);
		ocifs_jsonw_kstr(w, "media_type", ld->media_type);
		ocifs_jsonw_kstr(w, "compression", ocifs_comp_name(li.comp));
		ocifs_jsonw_kint(w, "size", (int64_t)ld->size);
		ocifs_jsonw_key(w, "uncompressed_size");
		if (known)
			ocifs_jsonw_int(w, (int64_t)li.usize);
		else
			ocifs_jsonw_null(w);
		ocifs_jsonw_key(w, "entries");
		if (known)
			ocifs_jsonw_int(w, (int64_t)li.entries);
		else
			ocifs_jsonw_null(w);
		ocifs_jsonw_kstr(w, "cache", ocifs_cache_state_name(li.state));
		ocifs_jsonw_kstr(w, "location", ld->where);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
}

/* history[]: each entry with the layer it made (docker history's
 * alignment: the i-th entry that is not empty_layer made layer i). */
static void json_history(struct ocifs_jsonw *w, const struct ocifs_image *img)
{
	ocifs_jsonw_key(w, "history");
	ocifs_jsonw_arr(w);
	for (size_t k = 0; k < img->nhistory; k++) {
		const struct ocifs_history *h = &img->history[k];
		int has = !h->empty_layer && h->layer < img->nlayers;

		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "created", h->created);
		ocifs_jsonw_kstr(w, "created_by", h->created_by);
		ocifs_jsonw_kstr(w, "author", h->author);
		ocifs_jsonw_kstr(w, "comment", h->comment);
		ocifs_jsonw_kbool(w, "empty_layer", h->empty_layer);
		ocifs_jsonw_key(w, "layer");
		if (has)
			ocifs_jsonw_int(w, (int64_t)h->layer + 1);
		else
			ocifs_jsonw_null(w);
		ocifs_jsonw_kstr(w, "digest", has ? layer_digest(img, h->layer) : NULL);
		ocifs_jsonw_kstr(w, "diff_id", has && *img->layers[h->layer].diff_id
						     ? img->layers[h->layer].diff_id : NULL);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
}

/* The "ocifs-inspect/1" document (ocifs-json(5)): every string from the
 * image is bytes, written surrogateescaped so the output is UTF-8. */
static int inspect_json(const struct ocifs_session *s, const struct extra *x)
{
	struct ocifs_image *img = s->img;
	struct ocifs_jsonw w;

	ocifs_jsonw_init(&w, stdout);
	w.surrogateescape = 1;
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "schema", INSPECT_SCHEMA);
	ocifs_jsonw_kstr(&w, "path", img->path);
	ocifs_jsonw_kstr(&w, "format", ocifs_image_format_name(img->format));
	ocifs_jsonw_kstr(&w, "outer_compression", ocifs_comp_name(img->outer_comp));
	ocifs_jsonw_kstr(&w, "platform", img->platform);
	w_strv(&w, "platforms", img->platforms, 0);
	ocifs_jsonw_kstr(&w, "manifest_digest", img->manifest_digest);
	ocifs_jsonw_kstr(&w, "config_digest", img->config_digest);
	w_strv(&w, "names", img->nnames ? img->names : NULL, 0);
	json_config(&w, img, x);
	json_layers(&w, s);
	json_history(&w, img);
	ocifs_jsonw_end_obj(&w);
	putchar('\n');
	if (w.err)
		log_err("inspect: internal error: unbalanced JSON");
	return w.err ? -EIO : 0;
}

/* "label:      value", the value escaped: every string here comes from the image. */
static void print_field(const char *label, const char *v)
{
	printf("%-12s", label);
	cli_print_esc(v);
	putchar('\n');
}

static void print_list(const char *label, char **v)
{
	int env = !strcmp(label, "env:");

	printf("%-12s", label);
	if (!v) {
		printf("-\n");
		return;
	}
	for (size_t i = 0; v[i]; i++) {
		if (i)
			fputs(env ? "\n            " : " ", stdout);
		cli_print_esc(v[i]);
	}
	printf("\n");
}

/* "labels:" and the like: one "key=value" a line, or "-". */
static void print_labels(json_object *o)
{
	int first = 1;

	printf("%-12s", "labels:");
	if (o) {
		json_object_object_foreach(o, key, val) {
			if (!first)
				fputs("\n            ", stdout);
			first = 0;
			cli_print_esc(key);
			putchar('=');
			cli_print_esc(json_object_is_type(val, json_type_string) ? json_object_get_string(val) : "");
		}
	}
	puts(first ? "-" : "");
}

/* The member names of o on one line, or "-". */
static void print_keys(const char *label, json_object *o)
{
	int first = 1;

	printf("%-12s", label);
	if (o) {
		json_object_object_foreach(o, key, val) {
			(void)val;
			if (!first)
				putchar(' ');
			first = 0;
			cli_print_esc(key);
		}
	}
	puts(first ? "-" : "");
}

/* Print s escaped (spaces kept) and padded to w columns; "-" for NULL.
 * Returns the escaped length. */
static size_t print_cell(const char *s, size_t w)
{
	char *e;
	size_t n;

	if (!s)
		s = "-";
	n = ocifs_esc_buf(NULL, 0, s, strlen(s), OCIFS_ESC_KEEP_SPACE);
	if (!w)
		return n;
	if (!(e = malloc(n + 1))) {
		printf("%-*s", (int)w, "?");
		return n;
	}
	ocifs_esc_buf(e, n + 1, s, strlen(s), OCIFS_ESC_KEEP_SPACE);
	printf("%-*s", (int)w, e);
	free(e);
	return n;
}

/* history as `docker history` aligns it, oldest first like the layer
 * table: the layer each entry made (its number and digest), "-" for an
 * empty_layer entry, "?" for an entry past the last layer. */
static void print_history(const struct ocifs_image *img)
{
	size_t cw = strlen("CREATED");

	if (!img->nhistory) {
		printf("%-12s-\n", "history:");
		return;
	}
	for (size_t k = 0; k < img->nhistory; k++) {
		size_t n = print_cell(img->history[k].created, 0);
		cw = n > cw ? n : cw;
	}
	cw = cw > 64 ? 64 : cw;
	printf("%-12s%zu entries\n", "history:", img->nhistory);
	printf("  %-3s %-19s %-*s  %s\n", "#", "LAYER", (int)cw, "CREATED", "CREATED BY");
	for (size_t k = 0; k < img->nhistory; k++) {
		const struct ocifs_history *h = &img->history[k];
		char num[24] = "-", dg[20] = "-";

		if (!h->empty_layer && h->layer < img->nlayers) {
			const char *d = layer_digest(img, h->layer);
			if (!d)
				d = img->layers[h->layer].diff_id;
			snprintf(num, sizeof(num), "%zu", h->layer + 1);
			ocifs_esc_name_buf(dg, sizeof(dg), d, strlen(d));
		} else if (!h->empty_layer) {
			strcpy(num, "?");
			strcpy(dg, "?");
		}
		printf("  %-3s %-19s ", num, *dg ? dg : "-");
		print_cell(h->created, cw);
		fputs("  ", stdout);
		print_cell(h->created_by, 1);
		putchar('\n');
		if (h->comment && *h->comment) {
			fputs("      comment: ", stdout);
			print_cell(h->comment, 1);
			putchar('\n');
		}
		if (h->author && *h->author) {
			fputs("      author: ", stdout);
			print_cell(h->author, 1);
			putchar('\n');
		}
	}
}

int cmd_inspect(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	struct ocifs_image *img;
	struct extra x;
	char a[16];
	int rc;

	so.no_layers = 1;
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	img = s->img;
	extra_load(img, &x);
	if (c->json) {
		rc = inspect_json(s, &x);
		goto out;
	}
	print_field("image:", img->path);
	printf("%-12s%s%s%s\n", "format:", ocifs_image_format_name(img->format),
	       img->outer_comp ? ", compressed with " : "",
	       img->outer_comp ? ocifs_comp_name(img->outer_comp) : "");
	printf("%-12s", "platform:");
	cli_print_esc(img->platform ? img->platform : "-");
	if (img->nplatforms > 1) {
		printf(" (available:");
		for (size_t i = 0; i < img->nplatforms; i++) {
			putchar(' ');
			cli_print_esc(img->platforms[i]);
		}
		printf(")");
	}
	putchar('\n');
	print_field("manifest:", img->manifest_digest);
	print_field("config:", img->config_digest);
	print_list("names:", img->nnames ? img->names : NULL);
	print_list("entrypoint:", img->entrypoint);
	print_list("cmd:", img->cmd);
	print_list("env:", img->env);
	if (img->workdir && *img->workdir)
		print_field("workdir:", img->workdir);
	if (img->user && *img->user)
		print_field("user:", img->user);
	print_labels(x.labels);
	print_keys("ports:", x.ports);
	print_keys("volumes:", x.volumes);
	if (x.stop_signal && json_object_get_string_len(x.stop_signal))
		print_field("stopsignal:", json_object_get_string(x.stop_signal));
	printf("%-12s%zu\n", "layers:", img->nlayers);
	printf("  %-3s %-19s %-19s %-5s %10s %12s %8s  %s\n", "#", "DIGEST", "DIFF_ID", "COMP",
	       "SIZE", "UNCOMPRESSED", "ENTRIES", "CACHE");
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *ld = &img->layers[i];
		struct ocifs_layer_info li;
		char us[16] = "-", en[24] = "-", dg[20], di[20];

		ocifs_layer_peek(img, i, s->cache_dir, &li);
		if (li.state == OCIFS_CACHE_READY || li.state == OCIFS_CACHE_UNVERIFIED) {
			ocifs_human(li.usize, us);
			snprintf(en, sizeof(en), "%" PRIu64, li.entries);
		}
		/* digests are checked when the image is opened; escape them anyway */
		ocifs_esc_name_buf(dg, sizeof(dg), ld->digest, strlen(ld->digest));
		ocifs_esc_name_buf(di, sizeof(di), ld->diff_id, strlen(ld->diff_id));
		printf("  %-3zu %-19.19s %-19.19s %-5s %10s %12s %8s  %s\n", i + 1,
		       *dg ? dg : "-", *di ? di : "-",
		       ld->blob ? ocifs_comp_name(li.comp) : "?", ocifs_human(ld->size, a),
		       strcmp(us, "-") ? us : "-", en, ld->blob ? ocifs_cache_state_name(li.state) : "blob missing");
	}
	print_history(img);
out:
	json_object_put(x.root);
	ocifs_session_close(s);
	return rc;
}
