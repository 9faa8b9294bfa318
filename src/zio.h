/* SPDX-License-Identifier: MIT */
/*
 * Compressed blobs: one streaming decode pass that records checkpoints, and
 * cursors that read any uncompressed byte range by resuming from the
 * nearest checkpoint. This header is the codec-neutral front; gzidx.c and
 * zstdidx.c implement it, and zio.c dispatches on the codec.
 *
 * A checkpoint is a place where decoding can restart without decoding what
 * came before:
 *   gzip  - a deflate block boundary: compressed offset coff, bit offset
 *           bits (0..7: that many bits of the byte at coff-1 still belong
 *           to the stream), uncompressed offset uoff, and the preceding
 *           32 KiB window, stored deflate-compressed. A checkpoint at the
 *           start of a gzip member has flags OCIFS_CK_MEMBER and no window.
 *   zstd  - the start of a frame (flags OCIFS_CK_MEMBER), no window; or
 *           (OCIFS_CK_SHADOW, made at run time by zshadow.h, never
 *           stored in the index) the start of a frame of the layer's
 *           lazy shadow file holding ulen bytes from uoff re-compressed.
 *   none  - no checkpoints; the uncompressed stream is the blob itself.
 * The first checkpoint is always at uoff 0. Checkpoints are sorted by uoff.
 */
#ifndef OCIFS_SRC_ZIO_H
#define OCIFS_SRC_ZIO_H
#include <stddef.h>
#include <stdint.h>

#include "src.h"

enum ocifs_comp {
	OCIFS_COMP_NONE = 0,
	OCIFS_COMP_GZIP = 1,
	OCIFS_COMP_ZSTD = 2,
	/* recognized only to be refused by name (ocifs_comp_supported) */
	OCIFS_COMP_XZ = 3,
	OCIFS_COMP_BZIP2 = 4,
	OCIFS_COMP_LZ4 = 5,
};

/* Default distance between checkpoints, in uncompressed bytes. Large
 * enough that windows cost < 1% (32 KiB compressed ~ 10-20 KiB per 4 MiB),
 * small enough that a random 4 KiB read costs a few ms. */
#define OCIFS_SPAN_DEFAULT (4u << 20)

/* zstd frames declare the window (history) their decoder must keep; a
 * hostile or careless `zstd --long=31` layer makes every decoder allocate
 * 2 GiB. Windows above the limit are refused unless the user raises it
 * (--zstd-window-max / -o zstd_window_max=). The default is the zstd
 * CLI's own decoding limit (windowLog 27); the ceiling is the format's
 * largest window on 64-bit (windowLog 31). */
#define OCIFS_ZSTD_WINDOW_DEFAULT (1ull << 27)
#define OCIFS_ZSTD_WINDOW_MIN (1ull << 10)
#define OCIFS_ZSTD_WINDOW_CEIL (1ull << 31)

/** Parse a window limit given by the user: N[K|M|G][i][B] (powers of
 *  1024), within OCIFS_ZSTD_WINDOW_MIN..OCIFS_ZSTD_WINDOW_CEIL. 0 or
 *  -EINVAL; logs nothing. */
int ocifs_zstd_window_parse(const char *s, uint64_t *out);
/** Format a byte count the way the window messages do: "128 MiB",
 *  "2 GiB", "1536 KiB" or "1000000 bytes". */
void ocifs_zstd_window_str(uint64_t v, char *buf, size_t cap);

#define OCIFS_CK_MEMBER 1u /* start of a gzip member or zstd frame */
#define OCIFS_CK_SHADOW 2u /* zstd: coff is an offset in the lazy shadow
			    * file (ckpts.live), where a frame of ulen
			    * bytes starts; bits: its chunk number */

struct ocifs_ckpt {
	uint64_t coff;          /* compressed offset */
	uint64_t uoff;          /* uncompressed offset */
	uint32_t bits;          /* gzip: unused bits count (0..7) */
	uint32_t flags;         /* OCIFS_CK_* */
	uint32_t wlen;          /* bytes in window (compressed form) */
	uint32_t ulen;          /* OCIFS_CK_SHADOW: bytes its frame holds */
	unsigned char *window;  /* malloc'd, or NULL */
	/* The sha256 the window must have, or NULL: set for windows read from
	 * a cached outer archive's record (outeridx.c), which are checked when
	 * a cursor restarts there, not when the record is opened. A window
	 * that fails it is skipped for an earlier checkpoint (gzidx.c). */
	const unsigned char *wsum;
};

struct ocifs_ckpts {
	enum ocifs_comp comp;
	uint64_t csize;         /* compressed size */
	uint64_t usize;         /* total uncompressed size */
	size_t n;
	struct ocifs_ckpt *v;   /* malloc'd array, owned */
	/* zstd layers with frames much larger than a span: the layer's lazy
	 * shadow (zshadow.h), or NULL. Then this array is one published
	 * snapshot: checkpoints flagged OCIFS_CK_SHADOW point into its file,
	 * the others into the blob, and a cursor asks it for the newest
	 * snapshot whenever it restarts. Borrowed. */
	struct ocifs_zshadow *live;
	/* zstd cursors: the window limit (bytes; 0 = the default). Set by
	 * whoever opens cursors; not stored in the cache. */
	uint64_t window_max;
	/* zstd pass: the largest window a frame asked for (bytes) */
	uint64_t window;
	/* When set, the windows point into this read-only mapping (a cached
	 * outer archive's listing, outeridx.c), which fini unmaps instead
	 * of freeing each window. */
	void *wmap;
	size_t wmap_len;
};

void ocifs_ckpts_fini(struct ocifs_ckpts *c);
/** Append a checkpoint (takes ownership of window). */
int ocifs_ckpts_push(struct ocifs_ckpts *c, const struct ocifs_ckpt *ck);
/** Index of the last checkpoint with uoff <= off (0 if none). */
size_t ocifs_ckpts_find(const struct ocifs_ckpts *c, uint64_t off);

/** Detect the codec from the first bytes of a blob: gzip 1f 8b; zstd
 *  28 b5 2f fd or a skippable frame 5? 2a 4d 18 (RFC 8878: a stream may
 *  begin with one); xz, bzip2 and lz4 (to refuse them by name); else none.
 *  Give it at least OCIFS_COMP_MAGIC bytes when the blob has them. */
enum ocifs_comp ocifs_comp_detect(const unsigned char *p, size_t n);
#define OCIFS_COMP_MAGIC 6
/** 1 for none, gzip and zstd: the codecs zpass/zcursor can read. */
int ocifs_comp_supported(enum ocifs_comp c);
/** "none", "gzip", "zstd", "xz", "bzip2" or "lz4". */
const char *ocifs_comp_name(enum ocifs_comp c);

/*
 * The decode pass: reads `in` sequentially from offset 0 to its end, calls
 * on_input(ctx, bytes, n) on every compressed byte exactly once in order
 * (for hashing), and returns uncompressed bytes from read(). Records a
 * checkpoint about every `span` output bytes (zstd: at frame starts only,
 * so a frame much larger than a span is one gap; zshadow.h fills such
 * gaps lazily, for the ranges read at random).
 */
struct ocifs_zpass_opts {
	enum ocifs_comp comp;
	uint64_t span;                  /* 0 = OCIFS_SPAN_DEFAULT */
	void (*on_input)(void *ctx, const void *p, size_t n);
	void *ctx;
	uint64_t window_max;            /* zstd: largest window accepted,
					 * bytes; 0 = OCIFS_ZSTD_WINDOW_DEFAULT.
					 * Larger: -EOPNOTSUPP, logged. */
};

struct ocifs_zpass;

int ocifs_zpass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o,
		    struct ocifs_zpass **out);
/** 0 and *got bytes (0 = clean end of stream) or a negative errno:
 *  -EBADMSG corrupt data, -EIO truncated input. Errors are logged once. */
int ocifs_zpass_read(struct ocifs_zpass *p, void *buf, size_t n, size_t *got);
/** After read() returned 0 bytes: move the checkpoints to *out. */
int ocifs_zpass_finish(struct ocifs_zpass *p, struct ocifs_ckpts *out);
void ocifs_zpass_free(struct ocifs_zpass *p);

/*
 * Cursors: random access to the uncompressed bytes. A cursor keeps its
 * decoder state, so a read that starts where the previous one ended (or
 * a little after, within one span) continues without restarting. A cursor
 * is not thread-safe; use one per open file or per thread. `ck` must
 * outlive the cursor. Reads never decode more than from the checkpoint at
 * or before `off` (or from the cursor position when that is closer).
 */
struct ocifs_zcursor;

int ocifs_zcursor_new(struct ocifs_src *in, const struct ocifs_ckpts *ck,
		      struct ocifs_zcursor **out);
/** 0 and *got (< n only at end of stream) or a negative errno. */
int ocifs_zcursor_pread(struct ocifs_zcursor *c, void *buf, size_t n,
			uint64_t off, size_t *got);
/** Bytes decoded since creation (for tests and benchmarks). */
uint64_t ocifs_zcursor_decoded(const struct ocifs_zcursor *c);
void ocifs_zcursor_free(struct ocifs_zcursor *c);

/** A thread-safe ocifs_src over the uncompressed bytes (for a compressed
 *  outer archive): a small pool of cursors behind it. Takes refs on in;
 *  takes ownership of *ck (moved). */
int ocifs_zview_new(struct ocifs_src *in, struct ocifs_ckpts *ck,
		    struct ocifs_src **out);

/* Codec back ends, used by zio.c only. */
struct ocifs_zcodec {
	int (*pass_new)(struct ocifs_src *in, const struct ocifs_zpass_opts *o, void **st);
	int (*pass_read)(void *st, void *buf, size_t n, size_t *got);
	int (*pass_finish)(void *st, struct ocifs_ckpts *out);
	void (*pass_free)(void *st);
	int (*cur_new)(struct ocifs_src *in, const struct ocifs_ckpts *ck, void **st);
	int (*cur_pread)(void *st, void *buf, size_t n, uint64_t off, size_t *got);
	uint64_t (*cur_decoded)(const void *st);
	void (*cur_free)(void *st);
};
extern const struct ocifs_zcodec ocifs_gz_codec;   /* gzidx.c */
extern const struct ocifs_zcodec ocifs_zstd_codec; /* zstdidx.c */

#endif
