/* SPDX-License-Identifier: MIT */
/*
 * package.json of an installed npm package (npm.h), through json-c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "npm.h"
#include "rd.h"

#define NPM_DEPTH 64            /* JSON nesting parsed */
#define NPM_FIELD_MAX 512u      /* longest name, version, license kept */
#define NPM_LICENSES_MAX 16u
#define NPM_DEPENDS_MAX 4096u
#define NPM_ERR_CAP 256u

static void npm_error(struct ocifs_npm_pkg *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ocifs_scan_verror(&p->error, 0, NPM_ERR_CAP, fmt, ap);
	va_end(ap);
}

void ocifs_npm_fini(struct ocifs_npm_pkg *p)
{
	free(p->name);
	free(p->version);
	for (size_t i = 0; i < p->nlicenses; i++)
		free(p->licenses[i]);
	free(p->licenses);
	for (size_t i = 0; i < p->ndepends; i++)
		free(p->depends[i]);
	free(p->depends);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

/* The string value of o, if it is a usable one (non-empty, no NUL, not
 * too long): 1 and *s, else 0. */
static int str_of(struct json_object *o, const char **s)
{
	if (!o || !json_object_is_type(o, json_type_string))
		return 0;
	size_t n = (size_t)json_object_get_string_len(o);
	*s = json_object_get_string(o);
	return n && n <= NPM_FIELD_MAX && strlen(*s) == n;
}

/* Append a copy of s to the list (at most max; duplicates dropped). 0,
 * -ENOMEM. */
static int push(char ***list, size_t *n, size_t max, const char *s, struct ocifs_npm_pkg *p,
		const char *what)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s))
			return 0;
	if (*n >= max) {
		npm_error(p, "more than %zu %s", max, what);
		return 0;
	}
	char **nl = realloc(*list, (*n + 1) * sizeof(**list));
	if (!nl)
		return -ENOMEM;
	*list = nl;
	if (!(nl[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* A license declaration: "MIT", {"type": "MIT", "url": ...}, or an
 * array of those. */
static int add_license(struct ocifs_npm_pkg *p, struct json_object *o, int depth)
{
	const char *s;
	int rc = 0;

	if (str_of(o, &s))
		return push(&p->licenses, &p->nlicenses, NPM_LICENSES_MAX, s, p, "licenses");
	if (o && json_object_is_type(o, json_type_object)) {
		struct json_object *t;
		if (json_object_object_get_ex(o, "type", &t) && str_of(t, &s))
			return push(&p->licenses, &p->nlicenses, NPM_LICENSES_MAX, s, p, "licenses");
		return 0;
	}
	if (depth == 0 && o && json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n && !rc; i++)
			rc = add_license(p, json_object_array_get_idx(o, i), 1);
	}
	return rc;
}

static int add_depends(struct ocifs_npm_pkg *p, struct json_object *o)
{
	int rc = 0;

	if (!o || !json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!*key || strlen(key) > NPM_FIELD_MAX)
			continue;
		if ((rc = push(&p->depends, &p->ndepends, NPM_DEPENDS_MAX, key, p, "dependencies")))
			break;
	}
	return rc;
}

int ocifs_npm_parse(const char *buf, size_t len, struct ocifs_npm_pkg *p)
{
	struct json_tokener *tok;
	struct json_object *root, *o;
	const char *s;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (len > INT_MAX) {
		npm_error(p, "package.json too big");
		return 0;
	}
	if (!(tok = json_tokener_new_ex(NPM_DEPTH)))
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		npm_error(p, "package.json: %s",
			  jerr == json_tokener_continue ? "truncated JSON"
							: json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		npm_error(p, "package.json: not a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(root, "name", &o) && str_of(o, &s) && !(p->name = strdup(s)))
		rc = -ENOMEM;
	if (!rc && json_object_object_get_ex(root, "version", &o) && str_of(o, &s) &&
	    !(p->version = strdup(s)))
		rc = -ENOMEM;
	if (!rc && json_object_object_get_ex(root, "license", &o))
		rc = add_license(p, o, 0);
	if (!rc && json_object_object_get_ex(root, "licenses", &o))
		rc = add_license(p, o, 0);
	if (!rc && json_object_object_get_ex(root, "dependencies", &o))
		rc = add_depends(p, o);
	if (!rc && json_object_object_get_ex(root, "optionalDependencies", &o))
		rc = add_depends(p, o);
out:
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int ocifs_npm_path(const char *path, const char **name)
{
	static const char leaf[] = "/package.json", nm[] = "node_modules/";
	size_t n = strlen(path), ll = sizeof(leaf) - 1, nl = sizeof(nm) - 1;
	const char *end, *d1, *d2;

	if (n <= ll || strcmp(path + n - ll, leaf))
		return 0;
	end = path + n - ll; /* the package directory ends here */
	d1 = end;
	while (d1 > path && d1[-1] != '/')
		d1--; /* its last component starts at d1 */
	if (d1 == end || *d1 == '.' || *d1 == '@' || d1 == path)
		return 0;
	/* unscoped: .../node_modules/NAME */
	if ((size_t)(d1 - path) >= nl && !memcmp(d1 - nl, nm, nl) &&
	    (d1 - nl == path || *(d1 - nl - 1) == '/')) {
		if (name)
			*name = d1;
		return 1;
	}
	/* scoped: .../node_modules/@SCOPE/NAME */
	d2 = d1 - 1;
	while (d2 > path && d2[-1] != '/')
		d2--;
	if (*d2 != '@' || d1 - d2 < 3 || (size_t)(d2 - path) < nl || memcmp(d2 - nl, nm, nl) ||
	    (d2 - nl != path && *(d2 - nl - 1) != '/'))
		return 0;
	if (name)
		*name = d2;
	return 1;
}

int ocifs_npm_root(const char *path)
{
	static const char leaf[] = "/package.json";
	size_t n = strlen(path), ll = sizeof(leaf) - 1;

	if (n < ll || strcmp(path + n - ll, leaf))
		return 0;
	for (const char *s = path; (s = strstr(s, "node_modules")); s++)
		if ((s == path || s[-1] == '/') && s[12] == '/')
			return 0;
	return 1;
}

int ocifs_npm_split(const char *name, char **ns, const char **base)
{
	const char *slash = name[0] == '@' ? strchr(name, '/') : NULL;

	*ns = NULL;
	*base = name;
	if (!slash || slash == name + 1 || !slash[1])
		return 0;
	if (!(*ns = strndup(name, (size_t)(slash - name))))
		return -ENOMEM;
	*base = slash + 1;
	return 0;
}
