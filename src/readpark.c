/* SPDX-License-Identifier: MIT */
/*
 * The reader's parked cursors (see reader.c for the whole reader): when
 * a file is closed, its decoder cursor is parked, a few per layer, and
 * the next file of that layer that would otherwise restart at a
 * checkpoint takes the parked cursor that reaches its data soonest; and
 * the cap on live cursors (decoder memory) hands cursors back here. Also
 * whether a layer is read in place (an uncompressed file: no cursor to
 * park, nothing to cache).
 *
 * Locking: a layer's slots are protected by its park lock, held for a
 * few pointer moves, never while decoding; taken after a file's lock.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "reader_priv.h"

void ocifs_reader_cursor_free(struct ocifs_reader *r, struct ocifs_zcursor *c)
{
	if (c) {
		ocifs_zcursor_free(c);
		__atomic_sub_fetch(&r->cursors, 1, __ATOMIC_RELAXED);
	}
}

/* An uncompressed layer in a file is read in place: a pread costs less
 * than caching its bytes would (and the mount splices most of them). */
int ocifs_reader_layer_plain(struct ocifs_reader *r, struct ocifs_layer *l)
{
	unsigned num = ocifs_layer_num(l);
	int *plain = num >= 1 && num <= r->nlayers ? &r->layer[num - 1].plain : NULL;
	int v = plain ? __atomic_load_n(plain, __ATOMIC_RELAXED) : 0;
	struct stat st;

	if (!v) {
		v = ocifs_layer_comp(l) == OCIFS_COMP_NONE && ocifs_layer_blob(l) &&
				    ocifs_src_fstat(ocifs_layer_blob(l), &st) == 0
			    ? 1
			    : 2;
		if (plain)
			__atomic_store_n(plain, v, __ATOMIC_RELAXED);
	}
	return v == 1;
}

struct park *ocifs_reader_park_of(struct ocifs_reader *r, const struct ocifs_layer *l)
{
	unsigned num = ocifs_layer_num(l);

	if (num < 1 || num > r->nlayers || ocifs_layer_comp(l) == OCIFS_COMP_NONE)
		return NULL;
	return &r->layer[num - 1];
}

/* Park a cursor that stopped at pos (takes ownership). */
void ocifs_reader_park_put(struct ocifs_reader *r, const struct ocifs_layer *l,
			   struct ocifs_zcursor *c, uint64_t pos)
{
	struct park *pk = ocifs_reader_park_of(r, l);
	struct ocifs_zcursor *old = c;

	if (pk) {
		pthread_mutex_lock(&pk->lock);
		unsigned k = pk->next++ % READER_PARK_MAX;
		for (unsigned i = 0; i < READER_PARK_MAX; i++)
			if (!pk->slot[i].cur) {
				k = i;
				break;
			}
		old = pk->slot[k].cur;
		pk->slot[k].cur = c;
		pk->slot[k].pos = pos;
		pthread_mutex_unlock(&pk->lock);
	}
	ocifs_reader_cursor_free(r, old);
}

/* Before reading at uoff: if a parked cursor gets there cheaper than
 * the file's own cursor (continuing or restarting), swap them. Called
 * with f->lock held. */
void ocifs_reader_cursor_prepare(struct ocifs_rfile *f, uint64_t uoff)
{
	struct park *pk = ocifs_reader_park_of(f->r, f->layer);
	uint64_t best = ocifs_layer_restart_cost(f->layer, uoff);
	int pick = -1;

	if (!pk)
		return;
	if (f->cur && f->cur_pos <= uoff && uoff - f->cur_pos <= best)
		return;
	pthread_mutex_lock(&pk->lock);
	for (int i = 0; i < READER_PARK_MAX; i++) {
		struct park_slot *sl = &pk->slot[i];
		if (sl->cur && sl->pos <= uoff && uoff - sl->pos < best) {
			best = uoff - sl->pos;
			pick = i;
		}
	}
	if (pick >= 0) {
		struct ocifs_zcursor *mine = f->cur;
		uint64_t mypos = f->cur_pos;

		f->cur = pk->slot[pick].cur;
		f->cur_pos = pk->slot[pick].pos;
		pk->slot[pick].cur = mine;      /* ours takes its place (or NULL) */
		pk->slot[pick].pos = mypos;
	}
	pthread_mutex_unlock(&pk->lock);
}
