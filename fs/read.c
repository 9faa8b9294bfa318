/* SPDX-License-Identifier: MIT */
/*
 * Reading regular files. Three paths, chosen per open file:
 *
 *  splice  an uncompressed layer backed by a file descriptor (an OCI
 *          directory's blob, or a range of an uncompressed outer tar),
 *          and a file without holes: the reply is that fd range, spliced
 *          by libfuse into /dev/fuse with no copy in user space.
 *  spans   everything else reads the layer's uncompressed stream in
 *          aligned 256 KiB blocks through the span cache (spancache.h)
 *          shared by all open files; a block is decoded once, by
 *          whichever reader missed it, through that reader's own forward
 *          cursor (ocifs_layer_cursor). A sequential reader's cursor
 *          just continues, so no byte is decompressed twice; its blocks
 *          enter the cache "cold" and stay only long enough to serve
 *          readahead that arrives out of order. Random reads (and small
 *          files packed next to each other) share the cached blocks.
 *          With -o cache_size=0 the cursor is read directly.
 *  parked  when a file is closed its cursor is parked (a few per layer);
 *          the next file of that layer that would otherwise restart at
 *          a checkpoint takes the parked cursor that reaches its data
 *          soonest, so walking a tree in tar order decodes each layer
 *          about once. Parking also caps decoder memory (below).
 *
 * Sparse files map their logical bytes onto packed extents in the
 * stream; holes read as zeros (the splice path is never used for them).
 * An image deleted or truncated under the mount makes reads fail with
 * EIO, never return short: a short read would make the kernel shrink the
 * file's cached size. (Data already in the kernel's page cache is still
 * served from there.)
 *
 * An image changed in place under the mount must give EIO, never other
 * bytes: each open compares the identity of the layer's blob file
 * (device, inode, size, mtime, ctime) with the one taken at mount
 * (fs_blob_ids_take), and a file read whole and in order on the copy
 * path is hashed as it goes, its sha256 checked against the index at its
 * last byte (a corrupt gzip stream can decode without an error;
 * ocifs_view_hashck_*). A mismatch marks the file bad for the life of
 * the view, so later reads fail too. Out-of-order reads, sparse files and the splice
 * path (no bytes in user space) rely on the identity check alone.
 *
 * Locking: a file's cursor is protected by the file's own mutex. The
 * only locks shared between files are the span cache's shard locks and
 * a layer's parking lock, each held for a few pointer moves and never
 * while decoding.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "sha.h"
#include "spancache.h"

/* How far ahead of the cursor a read may start and still be reached by
 * decoding forward (keeping the blocks skipped) rather than restarting
 * at a checkpoint: 2 MiB, more than the kernel keeps in flight. */
#define FS_GAP_BLOCKS 8

/* Cursors parked by closed files, per layer, for the next file that
 * needs to decode near where they stopped: a tree walk (diff -r, tar,
 * a scanner) reads many small files of one layer one after another, and
 * each would otherwise restart the decoder at a checkpoint up to 4 MiB
 * back. */
#define FS_PARK_MAX 4

/* Decoder memory cap (DESIGN §5): a zstd cursor holds the frame's whole
 * window (up to 8 MiB at high levels), so an open file keeps its cursor
 * between reads only while fewer than this many exist; past that, each
 * read hands its cursor back to the parking lot, where the next read of
 * that file (or a neighbour) picks it up again if nobody took it. */
#define FS_CURSORS_MAX 32

struct park_slot {
	struct ocifs_zcursor *cur;      /* NULL = empty */
	uint64_t pos;                   /* stream offset it stopped at */
};

struct fs_park {
	pthread_mutex_t lock;
	struct park_slot slot[FS_PARK_MAX]; /* protected by lock */
	unsigned next;                  /* round-robin victim; protected by lock */
};

struct fs_parking {
	pthread_mutex_t files_lock;
	struct fs_file *files;          /* open files; protected by files_lock */
	size_t nlayers;
	struct fs_park layer[];         /* by layer number - 1 */
};

struct fs_file {
	pthread_mutex_t lock;
	struct ocifs_fs *fs;
	struct ocifs_layer *layer;
	struct ocifs_entry e;          /* borrowed from the view */
	int splice_fd;                 /* blob fd for the splice path, or -1 */
	uint64_t splice_base;          /* offset of the file's byte 0 in it */
	struct ocifs_zcursor *cur;     /* protected by lock; created lazily */
	uint64_t cur_pos;              /* protected by lock: stream offset after
					* the cursor's last read */
	struct ocifs_view_hashck hc;   /* protected by lock: first full read
					* checked against the index's sha256 */
	struct fs_file *prev, *next;   /* fs->parking->files; under its files_lock */
};

struct fs_blob_id {
	struct ocifs_src *src;         /* NULL: not a file, nothing to check */
	struct stat st;                /* at mount */
	int warned;                    /* atomic: logged once */
};

int fs_blob_ids_take(struct ocifs_image *img, struct fs_blob_id **out)
{
	struct fs_blob_id *ids = calloc(img->nlayers ? img->nlayers : 1, sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_src *b = img->layers[i].blob;
		if (b && ocifs_src_fstat(b, &ids[i].st) == 0)
			ids[i].src = b;
	}
	*out = ids;
	return 0;
}

/* Has the blob file of layer l been changed (or replaced) since mount? */
static int blob_changed(struct ocifs_fs *fs, const struct ocifs_layer *l)
{
	struct fs_blob_id *id;
	struct stat st;

	if (!fs->blob_ids || l->num < 1 || l->num > fs->nlayers)
		return 0;
	id = &fs->blob_ids[l->num - 1];
	if (!id->src)
		return 0;
	if (ocifs_src_fstat(id->src, &st) == 0 && st.st_dev == id->st.st_dev && st.st_ino == id->st.st_ino &&
	    st.st_size == id->st.st_size && st.st_mtim.tv_sec == id->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == id->st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == id->st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == id->st.st_ctim.tv_nsec)
		return 0;
	if (!__atomic_exchange_n(&id->warned, 1, __ATOMIC_RELAXED))
		log_err("%s: changed since it was mounted (layer %u): its files fail with EIO",
			l->desc->blob->name, l->num);
	return 1;
}


static void cursor_free(struct ocifs_fs *fs, struct ocifs_zcursor *c)
{
	if (c) {
		ocifs_zcursor_free(c);
		__atomic_sub_fetch(&fs->cursors, 1, __ATOMIC_RELAXED);
	}
}

int fs_parking_new(size_t nlayers, struct fs_parking **out)
{
	struct fs_parking *p = calloc(1, sizeof(*p) + nlayers * sizeof(p->layer[0]));

	if (!p)
		return -ENOMEM;
	p->nlayers = nlayers;
	pthread_mutex_init(&p->files_lock, NULL);
	for (size_t i = 0; i < nlayers; i++)
		pthread_mutex_init(&p->layer[i].lock, NULL);
	*out = p;
	return 0;
}

void fs_parking_free(struct ocifs_fs *fs, struct fs_parking *p)
{
	if (!p)
		return;
	/* Files the kernel never released: the session ended (SIGTERM,
	 * SIGINT, SIGHUP) with files still open or their RELEASE still
	 * queued, and no RELEASE comes after that. */
	while (p->files)
		fs_file_close(p->files);
	pthread_mutex_destroy(&p->files_lock);
	for (size_t i = 0; i < p->nlayers; i++) {
		for (unsigned k = 0; k < FS_PARK_MAX; k++)
			cursor_free(fs, p->layer[i].slot[k].cur);
		pthread_mutex_destroy(&p->layer[i].lock);
	}
	free(p);
}

static struct fs_park *park_of(struct ocifs_fs *fs, const struct ocifs_layer *l)
{
	if (!fs->parking || l->num < 1 || l->num > fs->parking->nlayers || l->comp == OCIFS_COMP_NONE)
		return NULL;
	return &fs->parking->layer[l->num - 1];
}

/* Park a cursor that stopped at pos (takes ownership). */
static void park_put(struct ocifs_fs *fs, const struct ocifs_layer *l, struct ocifs_zcursor *c,
		     uint64_t pos)
{
	struct fs_park *pk = park_of(fs, l);
	struct ocifs_zcursor *old = c;

	if (pk) {
		pthread_mutex_lock(&pk->lock);
		unsigned k = pk->next++ % FS_PARK_MAX;
		for (unsigned i = 0; i < FS_PARK_MAX; i++)
			if (!pk->slot[i].cur) {
				k = i;
				break;
			}
		old = pk->slot[k].cur;
		pk->slot[k].cur = c;
		pk->slot[k].pos = pos;
		pthread_mutex_unlock(&pk->lock);
	}
	cursor_free(fs, old);
}

/* Bytes a cursor must decode to reach uoff when it starts over at the
 * checkpoint at or before uoff. */
static uint64_t restart_cost(const struct ocifs_layer *l, uint64_t uoff)
{
	if (!l->ck.n)
		return 0;
	return uoff - l->ck.v[ocifs_ckpts_find(&l->ck, uoff)].uoff;
}

/* Before reading at uoff: if a parked cursor gets there cheaper than
 * the file's own cursor (continuing or restarting), swap them. Called
 * with f->lock held. */
static void cursor_prepare(struct fs_file *f, uint64_t uoff)
{
	struct fs_park *pk = park_of(f->fs, f->layer);
	uint64_t best = restart_cost(f->layer, uoff);
	int pick = -1;

	if (!pk)
		return;
	if (f->cur && f->cur_pos <= uoff && uoff - f->cur_pos <= best)
		return;
	pthread_mutex_lock(&pk->lock);
	for (int i = 0; i < FS_PARK_MAX; i++) {
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

/* Open files are listed in the parking lot, which outlives the session:
 * what the kernel never released is closed when the mount ends. */
static void files_link(struct fs_file *f)
{
	struct fs_parking *p = f->fs->parking;

	if (!p)
		return;
	pthread_mutex_lock(&p->files_lock);
	f->next = p->files;
	if (p->files)
		p->files->prev = f;
	p->files = f;
	pthread_mutex_unlock(&p->files_lock);
}

static void files_unlink(struct fs_file *f)
{
	struct fs_parking *p = f->fs->parking;

	if (!p)
		return;
	pthread_mutex_lock(&p->files_lock);
	if (f->prev)
		f->prev->next = f->next;
	else if (p->files == f)
		p->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
	pthread_mutex_unlock(&p->files_lock);
}

int fs_file_open(struct ocifs_fs *fs, uint64_t vino, struct fs_file **out)
{
	struct fs_file *f = calloc(1, sizeof(*f));
	const struct ocifs_src *blob;
	int rc;

	if (!f)
		return -ENOMEM;
	rc = ocifs_view_data(fs->view, vino, &f->layer, &f->e);
	if (rc) {
		free(f);
		return rc == -EINVAL ? -EISDIR : rc;
	}
	f->fs = fs;
	if (blob_changed(fs, f->layer)) {
		free(f);
		return -EIO;
	}
	blob = f->layer->desc->blob;
	f->splice_fd = -1;
	if (f->layer->comp == OCIFS_COMP_NONE && blob && !f->e.nsparse &&
	    ocifs_src_pin_fd(f->layer->desc->blob, &f->splice_fd, &f->splice_base) == 0)
		f->splice_base += f->e.data_off; /* unpinned in fs_file_close */
	else
		f->splice_fd = -1;
	if (f->splice_fd < 0) /* spliced bytes never pass through here */
		ocifs_view_hashck_begin(fs->view, vino, &f->hc);
	pthread_mutex_init(&f->lock, NULL);
	files_link(f);
	*out = f;
	return 0;
}

void fs_file_close(struct fs_file *f)
{
	if (!f)
		return;
	files_unlink(f);
	if (f->cur)
		park_put(f->fs, f->layer, f->cur, f->cur_pos);
	if (f->splice_fd >= 0)
		ocifs_src_unpin_fd(f->layer->desc->blob);
	ocifs_view_hashck_end(&f->hc);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Bytes [uoff, uoff+n) of the layer stream through the file's cursor,
 * all of them or -EIO. Called with f->lock held. */
static int cursor_read(struct fs_file *f, void *buf, size_t n, uint64_t uoff)
{
	size_t got = 0;
	int rc;

	cursor_prepare(f, uoff);
	if (!f->cur) {
		rc = ocifs_layer_cursor(f->layer, &f->cur);
		if (rc)
			return rc;
		__atomic_add_fetch(&f->fs->cursors, 1, __ATOMIC_RELAXED);
		f->cur_pos = 0;
	}
	rc = ocifs_zcursor_pread(f->cur, buf, n, uoff, &got);
	if (!rc && got != n) {
		log_dbg("layer %u: stream ends at %" PRIu64 ", wanted %zu bytes at %" PRIu64,
			f->layer->num, uoff + got, n, uoff);
		rc = -EIO;
	}
	if (rc) {
		/* The decoder may be mid-way through garbage: start afresh. */
		cursor_free(f->fs, f->cur);
		f->cur = NULL;
		return rc;
	}
	f->cur_pos = uoff + n;
	return 0;
}

/* Decode block blk of the layer stream through the file's cursor and
 * cache it. A block that continues the cursor (a sequential stream) goes
 * in cold: such blocks are kept only briefly, for reads that the kernel's
 * parallel readahead delivers out of order, and never push out the
 * blocks random readers come back to. */
static int span_decode(struct ocifs_fs *fs, struct fs_file *f, uint64_t blk, struct fs_span **out)
{
	size_t bs = fs_spancache_block(fs->spans);
	uint64_t start = blk * bs, usize = f->layer->usize;
	int cold = f->cur && f->cur_pos == start;
	struct fs_span *s;
	int rc;

	if (start >= usize)
		return -EIO;
	rc = fs_span_new(f->layer->num, blk, usize - start < bs ? (size_t)(usize - start) : bs, &s);
	if (rc)
		return rc;
	rc = cursor_read(f, s->data, s->len, start);
	if (rc) {
		fs_span_unref(s);
		return rc;
	}
	fs_spancache_insert(fs->spans, s, cold);
	*out = s;
	return 0;
}

/* One block of the layer stream, from the span cache or decoded. */
static int span_get(struct ocifs_fs *fs, struct fs_file *f, uint64_t blk, struct fs_span **out)
{
	size_t bs = fs_spancache_block(fs->spans);
	struct fs_span *s = fs_spancache_get(fs->spans, f->layer->num, blk);
	int rc;

	if (s) {
		*out = s;
		return 0;
	}
	/* A little ahead of the cursor: the blocks in between must be
	 * decoded anyway to get there, so keep them for the reads that
	 * parallel readahead has not delivered yet. */
	cursor_prepare(f, blk * bs);
	if (f->cur && f->cur_pos % bs == 0 && f->cur_pos < blk * bs &&
	    blk * bs - f->cur_pos <= FS_GAP_BLOCKS * (uint64_t)bs) {
		for (uint64_t b = f->cur_pos / bs; b < blk; b++) {
			rc = span_decode(fs, f, b, &s);
			if (rc)
				return rc;
			fs_span_unref(s);
		}
	}
	return span_decode(fs, f, blk, out);
}

/* Bytes [uoff, uoff+n) of the layer stream. Called with f->lock held.
 * With the span cache, the cursor only ever decodes whole blocks, so
 * its position stays block-aligned. */
static int stream_read(struct ocifs_fs *fs, struct fs_file *f, char *buf, size_t n, uint64_t uoff)
{
	size_t bs;

	if (!fs->spans)
		return cursor_read(f, buf, n, uoff);
	bs = fs_spancache_block(fs->spans);
	while (n) {
		uint64_t blk = uoff / bs, in = uoff % bs;
		struct fs_span *s;
		size_t k;
		int rc = span_get(fs, f, blk, &s);

		if (rc)
			return rc;
		if (in >= s->len) {
			fs_span_unref(s);
			return -EIO;
		}
		k = s->len - in < n ? (size_t)(s->len - in) : n;
		memcpy(buf, s->data + in, k);
		fs_span_unref(s);
		buf += k;
		uoff += k;
		n -= k;
	}
	return 0;
}

struct file_reader {
	struct ocifs_fs *fs;
	struct fs_file *f;
};

static int file_stream_read(void *ctx, char *buf, size_t n, uint64_t uoff)
{
	struct file_reader *r = ctx;

	return stream_read(r->fs, r->f, buf, n, uoff);
}

/* Logical bytes [off, off+n) of the file (n already clamped to its size). */
static int file_read(struct ocifs_fs *fs, struct fs_file *f, char *buf, size_t n, uint64_t off)
{
	struct file_reader r = { .fs = fs, .f = f };

	return ocifs_entry_read(&f->e, buf, n, off, file_stream_read, &r);
}

/* Has the image gone away under the mount? Deleted (no links left) or,
 * when end is given, truncated before byte end of the blob's file. Only
 * for blobs backed by a file descriptor (not inside a compressed outer
 * archive); a truncation elsewhere shows up as a short stream read. */
static int blob_gone(const struct fs_file *f, uint64_t end)
{
	struct ocifs_src *blob = f->layer->desc->blob;
	struct stat st;
	int rc = blob ? ocifs_src_fstat(blob, &st) : -EOPNOTSUPP;

	if (rc == -EOPNOTSUPP)
		return 0;
	if (rc < 0 || st.st_nlink == 0)
		return 1;
	return end && end > (uint64_t)st.st_size;
}

int fs_file_read(struct ocifs_fs *fs, struct fs_file *f, size_t size, off_t off, struct fs_read *r)
{
	char *buf;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= f->e.size || !size)
		return 0; /* EOF: an empty buf */
	n = f->e.size - (uint64_t)off < size ? (size_t)(f->e.size - (uint64_t)off) : size;

	if (f->splice_fd >= 0) {
		/* Splice would reply short from a truncated file (and the
		 * kernel would shrink the file), so check the file first. */
		if ((uint64_t)off + n > f->e.data_len ||
		    blob_gone(f, f->splice_base + (uint64_t)off + n))
			return -EIO;
		r->bv = FUSE_BUFVEC_INIT(n);
		r->bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		r->bv.buf[0].fd = f->splice_fd;
		r->bv.buf[0].pos = (off_t)(f->splice_base + (uint64_t)off);
		return 0;
	}
	if (blob_gone(f, 0))
		return -EIO;

	/* The buffer belongs to the request, not to f: once the reply is
	 * written, a release may free f at any moment. */
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&f->lock);
	rc = file_read(fs, f, buf, n, (uint64_t)off);
	if (!rc)
		rc = ocifs_view_hashck_update(fs->view, &f->hc, buf, n, (uint64_t)off);
	if (f->cur && __atomic_load_n(&fs->cursors, __ATOMIC_RELAXED) > FS_CURSORS_MAX) {
		park_put(fs, f->layer, f->cur, f->cur_pos);
		f->cur = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (rc) {
		free(buf);
		return rc;
	}
	r->buf = buf;
	r->len = n;
	return 0;
}

void fs_read_done(struct fs_read *r)
{
	free(r->buf);
	r->buf = NULL;
}

int fs_file_lseek(struct fs_file *f, off_t off, int whence, off_t *out)
{
	const struct ocifs_entry *e = &f->e;
	uint64_t pos = (uint64_t)off, size = e->size;

	if (off < 0)
		return -ENXIO;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (pos >= size)
		return -ENXIO;
	if (!e->nsparse) {
		*out = whence == SEEK_DATA ? off : (off_t)size;
		return 0;
	}
	for (size_t i = 0; i < e->nsparse; i++) {
		const struct ocifs_sparse *s = &e->sparse[i];

		if (!s->len || s->off + s->len <= pos)
			continue;
		if (whence == SEEK_DATA) {
			*out = (off_t)(s->off > pos ? s->off : pos);
			return 0;
		}
		if (s->off > pos)
			break; /* pos is in a hole */
		/* pos is data: the hole starts where adjacent extents end */
		pos = s->off + s->len;
	}
	if (whence == SEEK_DATA)
		return -ENXIO; /* only a hole up to the end */
	*out = (off_t)(pos < size ? pos : size);
	return 0;
}
