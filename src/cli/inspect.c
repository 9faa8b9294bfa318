/* SPDX-License-Identifier: MIT */
/* `ocifs inspect`: what the image is, without reading any layer. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "esc.h"
#include "log.h"
#include "progress.h"

static json_object *jstr_array(char **v)
{
	json_object *a;

	if (!v)
		return NULL;
	a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static void jadd_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static int inspect_json(const struct ocifs_session *s)
{
	struct ocifs_image *img = s->img;
	json_object *o = json_object_new_object(), *layers = json_object_new_array();
	json_object *cfg = json_object_new_object(), *plats;

	jadd_str(o, "path", img->path);
	jadd_str(o, "format", ocifs_image_format_name(img->format));
	jadd_str(o, "outer_compression", ocifs_comp_name(img->outer_comp));
	jadd_str(o, "platform", img->platform);
	plats = jstr_array(img->platforms);
	json_object_object_add(o, "platforms", plats ? plats : json_object_new_array());
	jadd_str(o, "manifest_digest", img->manifest_digest);
	jadd_str(o, "config_digest", img->config_digest);
	json_object_object_add(o, "names", img->names ? jstr_array(img->names) : json_object_new_array());
	json_object_object_add(cfg, "entrypoint", jstr_array(img->entrypoint));
	json_object_object_add(cfg, "cmd", jstr_array(img->cmd));
	json_object_object_add(cfg, "env", jstr_array(img->env));
	jadd_str(cfg, "workdir", img->workdir);
	jadd_str(cfg, "user", img->user);
	jadd_str(cfg, "created", img->created);
	json_object_object_add(o, "config", cfg);
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *ld = &img->layers[i];
		struct ocifs_layer_info li;
		json_object *l = json_object_new_object();

		ocifs_layer_peek(img, i, s->cache_dir, &li);
		json_object_object_add(l, "number", json_object_new_int64((int64_t)i + 1));
		jadd_str(l, "digest", *ld->digest ? ld->digest : NULL);
		jadd_str(l, "diff_id", *ld->diff_id ? ld->diff_id : NULL);
		jadd_str(l, "media_type", ld->media_type);
		jadd_str(l, "compression", ocifs_comp_name(li.comp));
		json_object_object_add(l, "size", json_object_new_int64((int64_t)ld->size));
		json_object_object_add(l, "uncompressed_size",
				       li.state == OCIFS_CACHE_MISSING || li.state == OCIFS_CACHE_STALE
					       ? NULL : json_object_new_int64((int64_t)li.usize));
		json_object_object_add(l, "entries",
				       li.state == OCIFS_CACHE_MISSING || li.state == OCIFS_CACHE_STALE
					       ? NULL : json_object_new_int64((int64_t)li.entries));
		jadd_str(l, "cache", ocifs_cache_state_name(li.state));
		jadd_str(l, "location", ld->where);
		json_object_array_add(layers, l);
	}
	json_object_object_add(o, "layers", layers);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
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

int cmd_inspect(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	struct ocifs_image *img;
	char a[16];
	int rc;

	so.no_layers = 1;
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	if (c->json) {
		rc = inspect_json(s);
		ocifs_session_close(s);
		return rc;
	}
	img = s->img;
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
	ocifs_session_close(s);
	return 0;
}
