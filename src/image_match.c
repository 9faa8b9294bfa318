/* SPDX-License-Identifier: MIT */
/*
 * Choosing an image: platform strings and containerd-style matching
 * (normalized architectures and variants), reference names as users type
 * them against RepoTags and ref.name annotations, the host's platform, and
 * the small string-vector and message helpers image*.c share. Pure
 * functions; nothing here reads the image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image_priv.h"

int ocifs_img_strv_add(char ***v, size_t *n, const char *s, struct ocifs_strmap *seen)
{
	char **nv;
	int rc;

	if (seen && (rc = ocifs_strmap_put(seen, s, strlen(s), *n, NULL)) <= 0)
		return rc; /* present, or -ENOMEM */
	if (!((*n + 1) & *n)) { /* n + 1 slots used, a power of two: full */
		nv = realloc(*v, 2 * (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	nv = *v;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

void ocifs_img_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

char *ocifs_img_platform_str(const char *os, const char *arch, const char *variant)
{
	const char *v = variant && *variant ? variant : NULL;
	size_t n = strlen(os) + strlen(arch) + (v ? strlen(v) + 1 : 0) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s%s%s", os, arch, v ? "/" : "", v ? v : "");
	return s;
}

struct plat {
	char os[32], arch[32], variant[32];
	int has_variant; /* as given, before normalization */
};

static int plat_parse(const char *s, struct plat *p)
{
	const char *a = strchr(s, '/'), *v = a ? strchr(a + 1, '/') : NULL;
	size_t ol = a ? (size_t)(a - s) : 0, al = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;

	memset(p, 0, sizeof(*p));
	if (!ol || !al || ol >= sizeof(p->os) || al >= sizeof(p->arch) ||
	    (v && (!v[1] || strlen(v + 1) >= sizeof(p->variant) || strchr(v + 1, '/'))))
		return -EINVAL;
	memcpy(p->os, s, ol);
	memcpy(p->arch, a + 1, al);
	if (v)
		strcpy(p->variant, v + 1);
	p->has_variant = v != NULL;
	/* containerd's normalizeArch */
	if (!strcmp(p->arch, "x86_64") || !strcmp(p->arch, "x86-64"))
		strcpy(p->arch, "amd64");
	else if (!strcmp(p->arch, "aarch64"))
		strcpy(p->arch, "arm64");
	else if (!strcmp(p->arch, "i386") || !strcmp(p->arch, "i686"))
		strcpy(p->arch, "386");
	else if (!strcmp(p->arch, "armhf") || !strcmp(p->arch, "armel")) {
		strcpy(p->variant, p->arch[3] == 'h' ? "v7" : "v6");
		strcpy(p->arch, "arm");
	}
	if (!strcmp(p->arch, "amd64") && !strcmp(p->variant, "v1"))
		p->variant[0] = '\0';
	else if (!strcmp(p->arch, "arm64") && (!strcmp(p->variant, "v8") || !strcmp(p->variant, "8")))
		p->variant[0] = '\0';
	else if (!strcmp(p->arch, "arm") && (!p->variant[0] || !strcmp(p->variant, "7")))
		strcpy(p->variant, "v7");
	else if (!strcmp(p->arch, "arm") && p->variant[0] >= '5' && p->variant[0] <= '8' &&
		 !p->variant[1]) { /* "6" -> "v6" */
		p->variant[1] = p->variant[0];
		p->variant[0] = 'v';
	}
	return 0;
}

int ocifs_img_platform_valid(const char *s)
{
	struct plat p;

	return plat_parse(s, &p) == 0;
}

int ocifs_img_platform_match(const char *want, const char *have)
{
	struct plat w, h;

	if (!want || !have || plat_parse(want, &w) || plat_parse(have, &h))
		return 0;
	if (strcmp(w.os, h.os) || strcmp(w.arch, h.arch))
		return 0;
	if (!strcmp(w.variant, h.variant))
		return 2;
	return !h.has_variant; /* the manifest does not say: accept */
}

/* Strip the implied registry and namespace: docker.io/library/x = x. */
static const char *short_ref(const char *s)
{
	if (!strncmp(s, "docker.io/", 10))
		s += 10;
	if (!strncmp(s, "library/", 8))
		s += 8;
	return s;
}

/* The tag of a reference ("" when it has none). */
static const char *ref_tag(const char *s)
{
	const char *colon = strrchr(s, ':'), *slash = strrchr(s, '/');

	return colon && (!slash || colon > slash) ? colon + 1 : "";
}

int ocifs_img_name_match(const char *want, const char *have)
{
	const char *w, *h;
	size_t wl;

	if (!want || !have)
		return 0;
	w = short_ref(want);
	h = short_ref(have);
	if (!strcmp(w, h))
		return 1;
	if (!strchr(h, '/') && !strchr(h, ':') && !strcmp(ref_tag(w), h))
		return 1; /* ref.name holding just the tag, as skopeo writes it */
	wl = strlen(w);
	return !*ref_tag(w) && !strncmp(w, h, wl) && !strcmp(h + wl, ":latest");
}

int ocifs_img_image_number(const char *s, size_t *n, int *only)
{
	unsigned long long v;
	char *end;

	*only = 0;
	if (!s)
		return -1;
	if (*s == '#') {
		*only = 1;
		s++;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > SIZE_MAX)
		return -1;
	*n = (size_t)v;
	return 0;
}

int ocifs_img_msg_add(char *buf, size_t cap, const char *sep, const char *s)
{
	size_t l = strlen(buf);

	if (l + 4 >= cap) { /* full: a last item would not fit */
		strcpy(buf + cap - 4, "...");
		return 1;
	}
	snprintf(buf + l, cap - l, "%s%s", l ? sep : "", s);
	if (strlen(buf) + 1 >= cap) { /* truncated: say so */
		strcpy(buf + cap - 4, "...");
		return 1;
	}
	return 0;
}

const char *ocifs_host_platform(void)
{
	static const struct {
		const char *machine, *platform;
	} map[] = {
		{ "x86_64", "linux/amd64" },    { "aarch64", "linux/arm64" },
		{ "arm64", "linux/arm64" },     { "armv7l", "linux/arm/v7" },
		{ "armv8l", "linux/arm/v7" },   { "armv6l", "linux/arm/v6" },
		{ "i686", "linux/386" },        { "i586", "linux/386" },
		{ "i386", "linux/386" },        { "ppc64le", "linux/ppc64le" },
		{ "s390x", "linux/s390x" },     { "riscv64", "linux/riscv64" },
		{ "loongarch64", "linux/loong64" },
	};
	struct utsname u;

	if (uname(&u) == 0)
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(u.machine, map[i].machine))
				return map[i].platform;
	return "linux/unknown";
}
