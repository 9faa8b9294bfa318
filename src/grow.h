/* SPDX-License-Identifier: MIT */
/*
 * Growing an array by doubling, the one way the library's builders do it
 * (the view, a layer's tree, the name tree, the efficiency counts).
 */
#ifndef OCIFS_SRC_GROW_H
#define OCIFS_SRC_GROW_H
#include <stdint.h>
#include <stdlib.h>

/** Room for one more of n elements of size sz in p (*cap allocated): p
 *  itself, or a larger copy (*cap doubled, from 64), or NULL (p
 *  untouched: no memory, or the size would overflow). */
static inline void *ocifs_grow(void *p, size_t n, size_t *cap, size_t sz)
{
	size_t nc;
	void *q;

	if (n < *cap)
		return p;
	nc = *cap ? *cap * 2 : 64;
	if (nc > SIZE_MAX / sz)
		return NULL;
	q = realloc(p, nc * sz);
	if (q)
		*cap = nc;
	return q;
}

/* arr = ocifs_grow(arr, ...), or return -ENOMEM from the calling function */
#define OCIFS_GROW(arr, n, cap)                                            \
	do {                                                               \
		void *g_ = ocifs_grow((arr), (n), &(cap), sizeof(*(arr))); \
		if (!g_)                                                   \
			return -ENOMEM;                                    \
		(arr) = g_;                                                \
	} while (0)

#endif
