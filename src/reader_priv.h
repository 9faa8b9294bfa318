/* SPDX-License-Identifier: MIT */
/*
 * Private to the reader (reader.c reads, readpark.c parks cursors): the
 * reader, an open file, and the functions the two share. reader.h keeps
 * both opaque.
 */
#ifndef OCIFS_SRC_READER_PRIV_H
#define OCIFS_SRC_READER_PRIV_H
#include <pthread.h>
#include <stdint.h>

#include "reader.h"
#include "sha.h"

/* Cursors parked by closed files, per layer, for the next file that
 * needs to decode near where they stopped: a tree walk (diff -r, tar,
 * a scanner) reads many small files of one layer one after another, and
 * each would otherwise restart the decoder at a checkpoint up to 4 MiB
 * back. */
#define READER_PARK_MAX 4

/* Decoder memory cap (DESIGN §5): a zstd cursor holds the frame's whole
 * window (up to 8 MiB at high levels), so an open file keeps its cursor
 * between reads only while fewer than this many exist; past that, each
 * read hands its cursor back to the parking lot, where the next read of
 * that file (or a neighbour) picks it up again if nobody took it. */
#define READER_CURSORS_MAX 32

struct park_slot {
	struct ocifs_zcursor *cur;      /* NULL = empty */
	uint64_t pos;                   /* stream offset it stopped at */
};

struct park {
	int plain;                      /* atomic: 0 not known yet, 1 the layer is
					 * an uncompressed file (read in place,
					 * not cached), 2 not */
	pthread_mutex_t lock;
	struct park_slot slot[READER_PARK_MAX]; /* protected by lock */
	unsigned next;                  /* round-robin victim; protected by lock */
};

struct ocifs_reader {
	const struct ocifs_view *view;
	struct ocifs_spancache *spans;  /* NULL: no cache */
	struct ocifs_spanpool *pool;    /* span buffers (with spans or ra) */
	struct ocifs_ra *ra;            /* NULL: no read-ahead */
	size_t block;
	uint64_t run_blocks;            /* most blocks one miss decodes */
	uint64_t ahead;                 /* opts.readahead, bytes */
	int hashck;
	int cursors;                    /* live decoder cursors; atomic */
	pthread_mutex_t files_lock;
	struct ocifs_rfile *files;      /* open files; protected by files_lock */
	size_t nlayers;
	struct park layer[];            /* by layer number - 1 */
};

struct ocifs_rfile {
	pthread_mutex_t lock;
	struct ocifs_reader *r;
	struct ocifs_layer *layer;
	struct ocifs_extent x;          /* borrowed from the view */
	uint64_t ino;
	int direct;                     /* read through the cursor, uncached */
	struct ocifs_zcursor *cur;      /* protected by lock; created lazily */
	uint64_t cur_pos;               /* protected by lock: stream offset after
					 * the cursor's last read */
	struct ocifs_view_hashck hc;    /* protected by lock: first full read
					 * checked against the index's sha256 */
	struct extent_check *xc;        /* open_extent's check, or NULL;
					 * protected by lock */
	uint64_t seq_next;              /* protected by lock: stream offset
					 * after the last read, 0 before one */
	int seq;                        /* protected by lock: the last read
					 * followed the one before */
	int ra_owner;                   /* protected by lock: has jobs queued */
	struct ocifs_rfile *prev, *next; /* r->files; under its files_lock */
};

/* The sha256 check of a file opened by extent (a layer's own tree): as
 * the view's hashck, the verdict kept where the caller said. */
struct extent_check {
	struct ocifs_sha *sha;          /* NULL: not hashing (any more) */
	uint64_t pos;                   /* bytes hashed so far */
	unsigned char want[OCIFS_SHA256_LEN];
	unsigned char *verdict;         /* atomic: OCIFS_READER_* */
};

/* --- readpark.c --- */

/** Free a decoder cursor and count it out of r->cursors (NULL: nothing). */
void ocifs_reader_cursor_free(struct ocifs_reader *r, struct ocifs_zcursor *c);
/** Is l an uncompressed layer in a file (read in place, never cached)?
 *  Asked once per layer, then remembered. */
int ocifs_reader_layer_plain(struct ocifs_reader *r, struct ocifs_layer *l);
/** The parking lot of l, or NULL (an uncompressed layer has none). */
struct park *ocifs_reader_park_of(struct ocifs_reader *r, const struct ocifs_layer *l);
/** Park cursor c of l that stopped at stream offset pos (takes
 *  ownership; the slot's old cursor, if any, is freed). */
void ocifs_reader_park_put(struct ocifs_reader *r, const struct ocifs_layer *l,
			   struct ocifs_zcursor *c, uint64_t pos);
/** Before f reads at uoff: if a parked cursor gets there cheaper than
 *  f's own (continuing or restarting), swap them. f->lock held. */
void ocifs_reader_cursor_prepare(struct ocifs_rfile *f, uint64_t uoff);

#endif
