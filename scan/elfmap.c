/* SPDX-License-Identifier: MIT */
/* A sparse, lazily filled copy of a file for libelf (scan/elfmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "elfmap.h"

int ocifs_elfmap_init(struct ocifs_elfmap *m, const struct ocifs_rd *rd)
{
	void *p;

	memset(m, 0, sizeof(*m));
	m->rd = rd;
	if (rd->size > SIZE_MAX / 2)
		return -EFBIG;
	m->len = rd->size ? (size_t)rd->size : 1;
	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		m->len = 0;
		return -ENOMEM;
	}
	m->p = p;
	return 0;
}

int ocifs_elfmap_need(struct ocifs_elfmap *m, uint64_t off, uint64_t n)
{
	int rc;

	if (!n)
		return 0;
	if (off > m->rd->size || n > m->rd->size - off)
		return -EIO;
	for (size_t i = 0; i < m->nhave; i++)
		if (off >= m->have[i].off && n <= m->have[i].n && off - m->have[i].off <= m->have[i].n - n)
			return 0;
	if ((rc = ocifs_rd_full(m->rd, m->p + off, (size_t)n, off)))
		return rc;
	if (m->nhave == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		void *v = realloc(m->have, cap * sizeof(*m->have));

		if (!v)
			return 0;       /* only a lookup shortcut: read again next time */
		m->have = v;
		m->cap = cap;
	}
	m->have[m->nhave].off = off;
	m->have[m->nhave++].n = n;
	return 0;
}

void ocifs_elfmap_fini(struct ocifs_elfmap *m)
{
	if (m->p)
		munmap(m->p, m->len);
	free(m->have);
	memset(m, 0, sizeof(*m));
}
