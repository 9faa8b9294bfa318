/* SPDX-License-Identifier: MIT */
/*
 * PAX extended header records for the tar reader: strict framing, lenient
 * numbers (as libarchive reads them), the xattr encodings of star/GNU tar
 * (SCHILY.xattr: raw bytes), bsdtar (LIBARCHIVE.xattr: URL-encoded name,
 * base-64 value) and Red Hat's tar (RHT.security.selinux), and the GNU
 * sparse 0.0/0.1 maps and 1.0 markers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"
#include "pax.h"

struct pax_rec {
	const char *key;        /* never contains NUL */
	size_t klen;
	const char *val;        /* may contain NUL */
	size_t vlen;
};

/* Parse context, for error messages. */
struct pax_ctx {
	const char *name;
	uint64_t hdr_off;
};

static int __attribute__((format(printf, 2, 3))) pax_bad(const struct pax_ctx *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s: %s (entry header at offset %" PRIu64 ")", c->name, msg, c->hdr_off);
	return -EBADMSG;
}

/* The record at buf[*pos]: 1 (and *pos moved past it), 0 at the end, or
 * -EBADMSG. */
static int pax_next(const struct pax_ctx *c, const char *buf, size_t len, size_t *pos,
		    struct pax_rec *rec)
{
	const char *p = buf + *pos, *end, *eq;
	size_t left = len - *pos, reclen = 0, i = 0;

	if (left == 0)
		return 0;
	for (; i < left && p[i] >= '0' && p[i] <= '9'; i++) {
		reclen = reclen * 10 + (size_t)(p[i] - '0');
		if (reclen > left)
			break;
	}
	if (i == 0 || i >= left || p[i] != ' ' || reclen > left || reclen <= i + 1)
		return pax_bad(c, "PAX record with a bad length at byte %zu", *pos);
	if (p[reclen - 1] != '\n')
		return pax_bad(c, "PAX record at byte %zu does not end in a newline", *pos);
	end = p + reclen - 1;
	rec->key = p + i + 1;
	eq = memchr(rec->key, '=', (size_t)(end - rec->key));
	if (!eq || eq == rec->key || memchr(rec->key, '\0', (size_t)(eq - rec->key)))
		return pax_bad(c, "PAX record at byte %zu has a bad key", *pos);
	rec->klen = (size_t)(eq - rec->key);
	rec->val = eq + 1;
	rec->vlen = (size_t)(end - rec->val);
	*pos += reclen;
	return 1;
}

static int pax_is(const struct pax_rec *r, const char *key)
{
	size_t n = strlen(key);

	return r->klen == n && memcmp(r->key, key, n) == 0;
}

static int pax_has_prefix(const struct pax_rec *r, const char *prefix)
{
	size_t n = strlen(prefix);

	return r->klen >= n && memcmp(r->key, prefix, n) == 0;
}

/* Digits of s[*i..n) onto *acc; -ERANGE past INT64_MAX. */
static int pax_digits(const char *s, size_t n, size_t *i, int64_t *acc)
{
	for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		int d = s[*i] - '0';

		if (*acc > (INT64_MAX - d) / 10)
			return -ERANGE;
		*acc = *acc * 10 + d;
	}
	return 0;
}

static int pax_num(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	int neg = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (pax_digits(s, n, &i, &v))
		return -ERANGE;
	*out = neg ? -v : v;
	return 0;
}

static int pax_time(const char *s, size_t n, int64_t *sec, uint32_t *nsec)
{
	size_t i = 0;
	int64_t v = 0;
	uint32_t ns = 0, scale = 100000000;
	int neg = 0;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (pax_digits(s, n, &i, &v))
		return -ERANGE;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9' && scale; i++, scale /= 10)
			ns += (uint32_t)(s[i] - '0') * scale;
	}
	if (neg && ns) {
		if (v == INT64_MAX)
			return -ERANGE;
		v++;
		ns = 1000000000u - ns;
	}
	*sec = neg ? -v : v;
	*nsec = ns;
	return 0;
}

static int pax_base64(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *d = malloc(n - n / 4 + 1);
	size_t i = 0, o = 0;

	if (!d)
		return -ENOMEM;
	while (i < n) {
		unsigned v = 0;
		int group = 0;

		while (group < 4 && i < n) {
			const char *c;

			if (s[i] == '=' || s[i] == '_') {
				i = n;
				break;
			}
			c = s[i] ? strchr(digits, s[i]) : NULL;
			i++;
			if (!c)
				continue;
			v = v << 6 | (unsigned)(c - digits);
			group++;
		}
		v <<= 6 * (4 - group);
		if (group >= 2)
			d[o++] = (unsigned char)(v >> 16);
		if (group >= 3)
			d[o++] = (unsigned char)(v >> 8);
		if (group == 4)
			d[o++] = (unsigned char)v;
	}
	*out = d;
	*outlen = o;
	return 0;
}


static int pax_urldecode(const char *s, size_t n, char **out)
{
	char *d = malloc(n + 1);
	size_t i = 0, o = 0;

	if (!d)
		return -ENOMEM;
	while (i < n) {
		int hi = i + 2 < n ? ocifs_hex_val(s[i + 1]) : -1;
		int lo = i + 2 < n ? ocifs_hex_val(s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			d[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			d[o++] = s[i++];
		}
		if (d[o - 1] == '\0') {
			free(d);
			return -EBADMSG;
		}
	}
	d[o] = '\0';
	*out = d;
	return 0;
}

/* A string value: no NUL inside; empty unsets (the header's value stays). */
static int pax_str(const struct pax_ctx *c, const struct pax_rec *r, char **dst)
{
	char *s = NULL;

	if (memchr(r->val, '\0', r->vlen))
		return pax_bad(c, "NUL in PAX %.*s", (int)r->klen, r->key);
	if (r->vlen) {
		s = malloc(r->vlen + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, r->val, r->vlen);
		s[r->vlen] = '\0';
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* A non-negative number no larger than max. */
static int pax_unum(const struct pax_ctx *c, const struct pax_rec *r, uint64_t max, uint64_t *out)
{
	int64_t v;

	if (pax_num(r->val, r->vlen, &v) || v < 0 || (uint64_t)v > max)
		return pax_bad(c, "bad PAX %.*s", (int)r->klen, r->key);
	*out = (uint64_t)v;
	return 0;
}

int ocifs_pax_sparse_push(struct ocifs_sparse **map, size_t *n, size_t *cap, int64_t off,
			  int64_t len)
{
	if (off < 0 || len < 0 || off > INT64_MAX - len || *n >= OCIFS_PAX_MAX_SPARSE)
		return -EBADMSG;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct ocifs_sparse *m = realloc(*map, c * sizeof(*m));

		if (!m)
			return -ENOMEM;
		*map = m;
		*cap = c;
	}
	(*map)[*n].off = (uint64_t)off;
	(*map)[*n].len = (uint64_t)len;
	(*n)++;
	return 0;
}

static int pax_push(const struct pax_ctx *c, struct ocifs_pax_attrs *a, int64_t off, int64_t len)
{
	int rc = ocifs_pax_sparse_push(&a->map, &a->nmap, &a->mapcap, off, len);

	a->has_map = 1;
	return rc == -EBADMSG ? pax_bad(c, "bad GNU sparse map entry %zu", a->nmap) : rc;
}

/* GNU.sparse.map (0.1): "off,len,off,len..." */
static int pax_map01(const struct pax_ctx *c, struct ocifs_pax_attrs *a, const char *s, size_t n)
{
	int64_t v[2];
	size_t i = 0;
	int k = 0;

	a->nmap = 0;
	a->has_map = 1;
	while (n) {
		size_t j = i;

		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j == i || (j < n && s[j] != ',') || pax_num(s + i, j - i, &v[k]))
			return pax_bad(c, "bad GNU.sparse.map");
		if (++k == 2) {
			int rc = pax_push(c, a, v[0], v[1]);

			if (rc)
				return rc;
			k = 0;
		}
		if (j == n)
			break;
		i = j + 1;
	}
	return k ? pax_bad(c, "odd GNU.sparse.map") : 0;
}

/* Takes ownership of key and val, also on failure. */
static int pax_xattr_add(struct ocifs_pax_attrs *a, char *key, unsigned char *val, size_t len)
{
	struct ocifs_xattr *x;
	size_t i;

	for (i = 0; i < a->nxattr && strcmp(a->xattr[i].key, key); i++)
		;
	if (i == a->nxattr) {
		x = realloc(a->xattr, (a->nxattr + 1) * sizeof(*x));
		if (!x) {
			free(key);
			free(val);
			return -ENOMEM;
		}
		a->xattr = x;
		a->nxattr++;
	} else {
		free(a->xattr[i].key);
		free(a->xattr[i].val);
	}
	a->xattr[i] = (struct ocifs_xattr){ key, val, len };
	return 0;
}

/* kind 0: SCHILY.xattr.NAME=raw; 1: LIBARCHIVE.xattr.URLNAME=base64;
 * 2: RHT.security.selinux=raw. */
static int pax_xattr(const struct pax_ctx *c, struct ocifs_pax_attrs *a, const struct pax_rec *r,
		     int kind)
{
	static const char *const pfx[] = { "SCHILY.xattr.", "LIBARCHIVE.xattr.", "RHT." };
	size_t plen = strlen(pfx[kind]), len = r->vlen;
	unsigned char *val = NULL;
	char *key = NULL;

	if (r->klen == plen)
		return pax_bad(c, "PAX xattr without a name");
	if (kind == 1) {
		int rc = pax_urldecode(r->key + plen, r->klen - plen, &key);

		if (rc == -EBADMSG)
			return pax_bad(c, "NUL in a PAX xattr name");
		if (rc == 0 && (rc = pax_base64(r->val, r->vlen, &val, &len)))
			free(key);
		if (rc)
			return rc;
	} else {
		key = strndup(r->key + plen, r->klen - plen);
		val = malloc(len ? len : 1);
		if (!key || !val) {
			free(key);
			free(val);
			return -ENOMEM;
		}
		memcpy(val, r->val, len);
	}
	return pax_xattr_add(a, key, val, len);
}

/* One record into *a. */
static int pax_apply(const struct pax_ctx *c, struct ocifs_pax_attrs *a, const struct pax_rec *r)
{
	uint64_t v;
	int rc = 0;

	if (pax_is(r, "path"))
		return pax_str(c, r, &a->path);
	if (pax_is(r, "linkpath"))
		return pax_str(c, r, &a->linkpath);
	if (pax_is(r, "uname"))
		return pax_str(c, r, &a->uname);
	if (pax_is(r, "gname"))
		return pax_str(c, r, &a->gname);
	if (pax_is(r, "GNU.sparse.name"))
		return pax_str(c, r, &a->sparse_name);
	if (pax_is(r, "uid")) {
		a->has_uid = 1;
		return pax_unum(c, r, INT64_MAX, &a->uid);
	}
	if (pax_is(r, "gid")) {
		a->has_gid = 1;
		return pax_unum(c, r, INT64_MAX, &a->gid);
	}
	if (pax_is(r, "size")) {
		a->has_size = 1;
		return pax_unum(c, r, INT64_MAX, &a->size);
	}
	if (pax_is(r, "mtime")) {
		a->has_mtime = 1;
		return pax_time(r->val, r->vlen, &a->mtime, &a->mtime_ns) ? pax_bad(c, "bad PAX mtime") : 0;
	}
	if (pax_is(r, "SCHILY.devmajor") && (rc = pax_unum(c, r, UINT32_MAX, &v)) == 0) {
		a->has_devmajor = 1;
		a->devmajor = (uint32_t)v;
	} else if (pax_is(r, "SCHILY.devminor") && (rc = pax_unum(c, r, UINT32_MAX, &v)) == 0) {
		a->has_devminor = 1;
		a->devminor = (uint32_t)v;
	} else if (pax_has_prefix(r, "SCHILY.xattr.")) {
		rc = pax_xattr(c, a, r, 0);
	} else if (pax_has_prefix(r, "LIBARCHIVE.xattr.")) {
		rc = pax_xattr(c, a, r, 1);
	} else if (pax_is(r, "RHT.security.selinux")) {
		rc = pax_xattr(c, a, r, 2);
	} else if (pax_is(r, "GNU.sparse.size") || pax_is(r, "GNU.sparse.realsize") ||
		   pax_is(r, "SCHILY.realsize")) {
		if ((rc = pax_unum(c, r, INT64_MAX, &v)) == 0)
			a->realsize = (int64_t)v;
	} else if (pax_is(r, "GNU.sparse.numblocks")) {
		a->pend_off = -1;
	} else if (pax_is(r, "GNU.sparse.offset")) {
		if ((rc = pax_unum(c, r, INT64_MAX, &v)) == 0)
			a->pend_off = (int64_t)v;
	} else if (pax_is(r, "GNU.sparse.numbytes")) {
		if (a->pend_off < 0)
			return pax_bad(c, "GNU.sparse.numbytes without an offset");
		if ((rc = pax_unum(c, r, INT64_MAX, &v)) == 0)
			rc = pax_push(c, a, a->pend_off, (int64_t)v);
		a->pend_off = -1;
	} else if (pax_is(r, "GNU.sparse.map")) {
		rc = pax_map01(c, a, r->val, r->vlen);
	} else if (pax_is(r, "GNU.sparse.major") && (rc = pax_unum(c, r, INT64_MAX, &v)) == 0) {
		a->sparse_major = (int64_t)v;
	} else if (pax_is(r, "GNU.sparse.minor") && (rc = pax_unum(c, r, INT64_MAX, &v)) == 0) {
		a->sparse_minor = (int64_t)v;
	}
	return rc;
}

int ocifs_pax_parse(const char *buf, size_t len, const char *name, uint64_t hdr_off,
		    struct ocifs_pax_attrs *a)
{
	const struct pax_ctx c = { name, hdr_off };
	struct pax_rec r;
	size_t pos = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->realsize = a->sparse_major = a->sparse_minor = a->pend_off = -1;
	while ((rc = pax_next(&c, buf, len, &pos, &r)) > 0)
		if ((rc = pax_apply(&c, a, &r)))
			break;
	return rc;
}

void ocifs_pax_attrs_free(struct ocifs_pax_attrs *a)
{
	size_t i;

	free(a->path);
	free(a->linkpath);
	free(a->uname);
	free(a->gname);
	free(a->sparse_name);
	free(a->map);
	for (i = 0; i < a->nxattr; i++) {
		free(a->xattr[i].key);
		free(a->xattr[i].val);
	}
	free(a->xattr);
	memset(a, 0, sizeof(*a));
}
