/* SPDX-License-Identifier: MIT */
/*
 * A sparse, lazily filled copy of a file for libelf (scan/elfmap.h).
 * Each thread keeps its mapping from one file to the next: mmap, munmap
 * and madvise cost a TLB shootdown across every analysis thread, per
 * file. What a file filled in is zeroed again after it, so the next file
 * sees zeros where it did not read; once the pages touched this way add
 * up to ELFMAP_DIRTY_MAX, one MADV_DONTNEED hands them all back, so the
 * memory stays bounded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfmap.h"

#define ELFMAP_GRAIN (16u << 20)        /* mappings grow in these steps */
#define ELFMAP_DIRTY_MAX (4u << 20)     /* resident zeroed pages kept per thread */

struct elfmap_keep {
	unsigned char *p;
	size_t len;
	size_t dirty;           /* bytes of pages zeroed but still resident */
};

static pthread_key_t elfmap_key;
static int elfmap_keyed;        /* elfmap_key exists: mappings are kept */
static pthread_once_t elfmap_once = PTHREAD_ONCE_INIT;

static void elfmap_drop(void *v)
{
	struct elfmap_keep *k = v;

	if (k->p)
		munmap(k->p, k->len);
	free(k);
}

static void elfmap_init_key(void)
{
	elfmap_keyed = pthread_key_create(&elfmap_key, elfmap_drop) == 0;
}

int ocifs_elfmap_init(struct ocifs_elfmap *m, const struct ocifs_rd *rd)
{
	struct elfmap_keep *k;
	size_t want;
	void *p;

	memset(m, 0, sizeof(*m));
	m->rd = rd;
	if (rd->size > SIZE_MAX / 2)
		return -EFBIG;
	if (rd->mem) {
		m->p = (unsigned char *)rd->mem; /* never written: see _own */
		m->borrowed = 1;
		return 0;
	}
	want = rd->size ? (size_t)rd->size : 1;
	pthread_once(&elfmap_once, elfmap_init_key);
	k = elfmap_keyed ? pthread_getspecific(elfmap_key) : NULL;
	if (k && k->len >= want) {
		pthread_setspecific(elfmap_key, NULL);  /* ours until fini */
		m->p = k->p;
		m->len = k->len;
		m->dirty = k->dirty;
		free(k);
		return 0;
	}
	want = (want + ELFMAP_GRAIN - 1) / ELFMAP_GRAIN * ELFMAP_GRAIN;
	p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	m->p = p;
	m->len = want;
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
	if (m->nhave == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		void *v = realloc(m->have, cap * sizeof(*m->have));

		if (!v)
			return -ENOMEM; /* fini must know every page it filled */
		m->have = v;
		m->cap = cap;
	}
	m->have[m->nhave].off = off;
	m->have[m->nhave++].n = n;
	if (m->borrowed || m->own) {
		/* the bytes are there already; rd reads them only for what it
		 * does on the side (a keeping reader keeps them) */
		unsigned char *scratch;

		if (m->rd->read_at == ocifs_rd_mem_read)
			return 0;
		if (!(scratch = malloc((size_t)n)))
			return -ENOMEM;
		rc = ocifs_rd_full(m->rd, scratch, (size_t)n, off);
		free(scratch);
		return rc;
	}
	if ((rc = ocifs_rd_full(m->rd, m->p + off, (size_t)n, off)))
		return rc;
	return 0;
}

int ocifs_elfmap_own(struct ocifs_elfmap *m)
{
	size_t n = (size_t)m->rd->size;

	if (!m->borrowed)
		return 0;
	if (!(m->own = malloc(n ? n : 1)))
		return -ENOMEM;
	memcpy(m->own, m->rd->mem, n);
	m->p = m->own;
	m->borrowed = 0;
	return 0;
}

void ocifs_elfmap_fini(struct ocifs_elfmap *m)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct elfmap_keep *k = NULL;

	if (!m->p || m->borrowed || m->own) {
		free(m->own);
		goto out;
	}
	/* the pages filled in read as zeros again: zeroed while few, else
	 * handed back all at once */
	for (size_t i = 0; i < m->nhave; i++) {
		uintptr_t a = (uintptr_t)m->p + m->have[i].off, e = a + m->have[i].n;

		m->dirty += (size_t)(((e + pg - 1) & ~(pg - 1)) - (a & ~(pg - 1)));
	}
	if (m->dirty > ELFMAP_DIRTY_MAX) {
		madvise(m->p, m->len, MADV_DONTNEED);
		m->dirty = 0;
	} else {
		for (size_t i = 0; i < m->nhave; i++)
			memset(m->p + m->have[i].off, 0, (size_t)m->have[i].n);
	}
	if (elfmap_keyed && !pthread_getspecific(elfmap_key) && (k = malloc(sizeof(*k)))) {
		k->p = m->p;
		k->len = m->len;
		k->dirty = m->dirty;
		if (pthread_setspecific(elfmap_key, k) == 0)
			goto out;
		free(k);
	}
	munmap(m->p, m->len);
out:
	free(m->have);
	memset(m, 0, sizeof(*m));
}
