/* SPDX-License-Identifier: MIT */
/*
 * Composer's installed.json and .NET's deps.json (pkgjson.h) through
 * json-c, whose parse depth is bounded (json_tokener_new_ex).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "pkgjson.h"

#define PKGJSON_DEPTH 32

/* The JSON value of buf[0..len), or NULL with l->error set. */
static struct json_object *parse(const char *buf, size_t len, struct ocifs_pkglist *l)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len > (size_t)INT32_MAX - 1) {
		l->error = "file too large";
		return NULL;
	}
	if (!(tok = json_tokener_new_ex(PKGJSON_DEPTH))) {
		l->error = "out of memory";
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	if (!o && err == json_tokener_continue)
		l->error = "truncated JSON";
	else if (!o || err != json_tokener_success)
		l->error = json_tokener_error_desc(err);
	json_tokener_free(tok);
	return o;
}

static struct json_object *get(struct json_object *o, const char *key, json_type t)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* A copy of string value v (escaped if not UTF-8): 0, or -ENOMEM. */
static int str(struct json_object *v, char **out, int *bad)
{
	*out = NULL;
	if (!v || !json_object_is_type(v, json_type_string))
		return 0;
	*out = ocifs_pkg_text(json_object_get_string(v), (size_t)json_object_get_string_len(v),
			      bad);
	return *out ? 0 : -ENOMEM;
}

static int add(struct ocifs_strv *l, const char *s, size_t n, int *bad)
{
	int rc = ocifs_strv_add(l, s, n, OCIFS_PKGJSON_MAX_LIST, bad);

	return rc < 0 ? rc : 0;
}

/* Composer's platform packages: the PHP runtime and its extensions. */
static int platform(const char *name)
{
	return !strcmp(name, "php") || !strncmp(name, "php-", 4) || !strncmp(name, "ext-", 4) ||
	       !strncmp(name, "lib-", 4) || !strcmp(name, "composer") ||
	       !strncmp(name, "composer-", 9) || !strcmp(name, "hhvm");
}

static int composer_pkg(struct json_object *p, struct json_object *devnames,
			struct ocifs_pkglist *l)
{
	struct json_object *name = get(p, "name", json_type_string);
	struct ocifs_pkgrec *r;
	int rc;

	if (!name)
		return 0;
	if (!(r = ocifs_pkglist_add(l)))
		return -ENOMEM;
	const char *full = json_object_get_string(name);
	size_t flen = (size_t)json_object_get_string_len(name);
	const char *slash = memchr(full, '/', flen);
	if (slash) {
		if (!(r->namespace_ = ocifs_pkg_text(full, (size_t)(slash - full), &r->bad_text)))
			return -ENOMEM;
		if (!(r->name = ocifs_pkg_text(slash + 1, flen - (size_t)(slash - full) - 1,
					       &r->bad_text)))
			return -ENOMEM;
	} else if (!(r->name = ocifs_pkg_text(full, flen, &r->bad_text))) {
		return -ENOMEM;
	}
	if ((rc = str(get(p, "version", json_type_string), &r->version, &r->bad_text)))
		return rc;
	struct json_object *lic = get(p, "license", json_type_array);
	for (size_t i = 0; lic && i < json_object_array_length(lic); i++) {
		struct json_object *v = json_object_array_get_idx(lic, i);
		if (json_object_is_type(v, json_type_string) &&
		    (rc = add(&r->licenses, json_object_get_string(v),
			      (size_t)json_object_get_string_len(v), &r->bad_text)))
			return rc;
	}
	if ((lic = get(p, "license", json_type_string)) &&
	    (rc = add(&r->licenses, json_object_get_string(lic),
		      (size_t)json_object_get_string_len(lic), &r->bad_text)))
		return rc;
	struct json_object *req = get(p, "require", json_type_object);
	if (req) {
		json_object_object_foreach(req, k, v) {
			(void)v;
			if (!platform(k) && (rc = add(&r->depends, k, strlen(k), &r->bad_text)))
				return rc;
		}
	}
	for (size_t i = 0; devnames && i < json_object_array_length(devnames); i++) {
		struct json_object *v = json_object_array_get_idx(devnames, i);
		if (json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), full)) {
			if (!(r->extra = strdup("true")))
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

int ocifs_composer_parse(const char *buf, size_t len, struct ocifs_pkglist *l)
{
	struct json_object *o = parse(buf, len, l), *pkgs, *dev = NULL;
	int rc = 0;

	if (!o)
		return l->error && !strcmp(l->error, "out of memory") ? -ENOMEM : 0;
	if (json_object_is_type(o, json_type_array)) {
		pkgs = o; /* Composer 1 */
	} else if ((pkgs = get(o, "packages", json_type_array))) {
		dev = get(o, "dev-package-names", json_type_array); /* Composer 2 */
	} else {
		l->error = "neither a list of packages nor {\"packages\": [...]}";
		json_object_put(o);
		return 0;
	}
	size_t n = json_object_array_length(pkgs);
	if (n > OCIFS_PKGJSON_MAX_PKGS) {
		n = OCIFS_PKGJSON_MAX_PKGS;
		l->error = "more packages than the bound";
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = composer_pkg(json_object_array_get_idx(pkgs, i), dev, l);
	json_object_put(o);
	return rc;
}

/* The target entry "Name/Version" of any target framework, or NULL. */
static struct json_object *dotnet_target(struct json_object *targets, const char *key)
{
	if (!targets)
		return NULL;
	json_object_object_foreach(targets, fw, libs) {
		(void)fw;
		struct json_object *t = get(libs, key, json_type_object);
		if (t)
			return t;
	}
	return NULL;
}

int ocifs_dotnet_parse(const char *buf, size_t len, struct ocifs_pkglist *l)
{
	struct json_object *o = parse(buf, len, l);
	int rc = 0;

	if (!o)
		return l->error && !strcmp(l->error, "out of memory") ? -ENOMEM : 0;
	struct json_object *libs = get(o, "libraries", json_type_object);
	struct json_object *targets = get(o, "targets", json_type_object);
	if (!libs) {
		l->error = "no \"libraries\" object";
		json_object_put(o);
		return 0;
	}
	json_object_object_foreach(libs, key, lib) {
		struct json_object *type = get(lib, "type", json_type_string);
		const char *slash = strchr(key, '/');
		if (!type || strcmp(json_object_get_string(type), "package"))
			continue;
		if (!slash || slash == key) {
			l->error = "a library key that is not \"Name/Version\"";
			continue;
		}
		if (l->n >= OCIFS_PKGJSON_MAX_PKGS) {
			l->error = "more packages than the bound";
			break;
		}
		struct ocifs_pkgrec *r = ocifs_pkglist_add(l);
		if (!r || !(r->name = ocifs_pkg_text(key, (size_t)(slash - key), &r->bad_text)) ||
		    !(r->version = ocifs_pkg_text(slash + 1, strlen(slash + 1), &r->bad_text))) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = str(get(lib, "sha512", json_type_string), &r->extra, &r->bad_text)))
			break;
		struct json_object *deps = get(dotnet_target(targets, key), "dependencies",
					       json_type_object);
		if (deps) {
			json_object_object_foreach(deps, dn, dv) {
				(void)dv;
				if ((rc = add(&r->depends, dn, strlen(dn), &r->bad_text)))
					break;
			}
		}
		if (rc)
			break;
	}
	json_object_put(o);
	return rc;
}
