/* SPDX-License-Identifier: MIT */
/*
 * Private to zshadow.c and zshadow_file.c: the lazy shadow's state and
 * its file format's helpers. Nothing here is API; other modules use
 * zshadow.h.
 */
#ifndef OCIFS_SRC_ZSHADOW_PRIV_H
#define OCIFS_SRC_ZSHADOW_PRIV_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sha.h"
#include "src.h"
#include "zshadow.h"

#define HDR_LEN 32u
#define REC_LEN 72u
#define PIECE (128u << 10)        /* decode/compress step */
#define QMAX 64                   /* queued chunk requests at most */
#define CHUNKS_MAX (1u << 20)     /* chunks of one file at most */
#define ULEN_MAX (256ull << 20)   /* one chunk's bytes at most */

struct zchunk {
	uint64_t uoff, ulen;
	uint64_t coff, clen;      /* its frame in the file */
	unsigned char sha[OCIFS_SHA256_LEN];
	atomic_int state;         /* 0 unchecked, 1 good, -1 bad */
	struct zchunk *all;       /* every chunk ever made, for close */
};

/* One published snapshot; ck first, so a snapshot's ck is the snapshot. */
struct zsnap {
	struct ocifs_ckpts ck;
	struct zchunk **chunks;   /* shadow checkpoint's bits -> chunk */
	struct zsnap *older;
};

struct ocifs_zshadow {
	struct ocifs_src *blob;
	const struct ocifs_ckpts *base;
	char *path, *lockpath;
	uint64_t span;
	int fd;                   /* the file, O_RDWR (or O_RDONLY); -1: none yet */
	int readonly;
	struct ocifs_src *src;    /* over fd; set before the first snapshot with chunks */
	_Atomic(struct zsnap *) cur;
	atomic_int stop, disabled;
	pthread_mutex_t mu;       /* guards what follows */
	pthread_cond_t cv, idle;
	struct zsnap *snaps;      /* every snapshot, newest first */
	struct zchunk **chunks;   /* the table, sorted by uoff (worker writes) */
	size_t nchunks;
	struct zchunk *all;
	uint64_t known_end;       /* file bytes parsed (0: header not seen) */
	uint64_t q[QMAX];
	size_t nq;
	pthread_t th;
	int started, busy;
	atomic_ullong st_loaded, st_made, st_verified, st_bad, st_requests, st_file;
};

/* zshadow_file.c: the append-only file ------------------------------------
 * A 32-byte header (magic, the layer's usize and csize, an FNV-1a of
 * them), then records: a 72-byte header (magic, uoff, ulen, clen, the
 * chunk's sha256, an FNV-1a of the 64 bytes before it) followed by the
 * chunk's zstd frame. */

/** A source over z->fd (the shadow file's bytes). */
extern const struct ocifs_src_ops ocifs_zs_src_ops;
/** pread of exactly n bytes (-EIO when short), pwrite of all n. */
int ocifs_zs_pread_all(int fd, void *buf, size_t n, uint64_t off);
int ocifs_zs_pwrite_all(int fd, const void *buf, size_t n, uint64_t off);
/** The header z's file must start with. */
void ocifs_zs_file_header(const struct ocifs_zshadow *z, unsigned char h[HDR_LEN]);
/** A record's header for a chunk. */
void ocifs_zs_record_header(unsigned char h[REC_LEN], uint64_t uoff, uint64_t ulen, uint64_t clen,
			    const unsigned char sha[OCIFS_SHA256_LEN]);
/** Insert c into the sorted table (worker, or open; under mu). A chunk at
 *  the same offset replaces one that failed its check, else c is dropped
 *  (it stays owned by z->all either way). */
void ocifs_zs_table_add(struct ocifs_zshadow *z, struct zchunk *c);
/** Parse records from z->known_end to size; stop at the first invalid one
 *  (a crashed writer's tail). Returns the end of the last valid record. */
uint64_t ocifs_zs_scan_records(struct ocifs_zshadow *z, uint64_t size);
/** The file's header: 0 (matches), -ENODATA (short: none yet), -EBADMSG. */
int ocifs_zs_check_header(struct ocifs_zshadow *z, uint64_t size);

#endif
