/* SPDX-License-Identifier: MIT */
/*
 * Reading regular files through the mount. Two paths, chosen per open
 * file:
 *
 *  splice  an uncompressed layer backed by a file descriptor (an OCI
 *          directory's blob, or a range of an uncompressed outer tar),
 *          and a file without holes: the reply is that fd range, spliced
 *          by libfuse into /dev/fuse with no copy in user space.
 *  blocks  everything else reads through the view's reader (src/reader.h:
 *          the span cache of -o cache_size, read-ahead, parked cursors,
 *          the sha256 check of a file read whole); the reply is written
 *          straight from the reader's decoded blocks (fuse_reply_iov),
 *          which the request pins until then.
 *  copy    where the reader cannot hand out blocks (no cache, holes),
 *          into a buffer the reply owns.
 *
 * An image deleted or truncated under the mount makes reads fail with
 * EIO, never return short: a short read would make the kernel shrink the
 * file's cached size. (Data already in the kernel's page cache is still
 * served from there.)
 *
 * An image changed in place under the mount must give EIO, never other
 * bytes: each open compares the identity of the layer's blob file
 * (device, inode, size, mtime, ctime) with the one taken at mount
 * (fs_blob_ids_take); the copy path also checks the sha256 of a file
 * read whole and in order (the reader's hashck). Out-of-order reads,
 * sparse files and the splice path (no bytes in user space) rely on the
 * identity check alone.
 *
 * Reply buffers of the copy path are recycled (a few, up to
 * FS_READ_BUF_MAX bytes each): a fresh malloc of a 128 KiB-1 MiB read
 * is an mmap, its pages faulted in and unmapped again on every request.
 *
 * Locking: an open file's state is immutable after open but for its
 * reader file, which locks itself; the open-file list and the spare
 * buffers have their own lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "reader.h"

/* Spare reply buffers kept: one per thread that reads at once, about. */
#define FS_READ_BUFS 8
#define FS_READ_BUF_MAX (4u << 20)

struct fs_files {
	pthread_mutex_t lock;
	struct fs_file *head;           /* open files; protected by lock */
	char *spare[FS_READ_BUFS];      /* reply buffers; protected by lock */
	size_t spare_cap[FS_READ_BUFS];
	unsigned nspare;                /* protected by lock */
};

struct fs_file {
	struct ocifs_fs *fs;
	struct ocifs_layer *layer;
	struct ocifs_extent x;          /* its map borrowed from the view
					 * or the layer's tree */
	int splice_fd;                  /* blob fd for the splice path, or -1 */
	uint64_t splice_base;           /* offset of the file's byte 0 in it */
	struct ocifs_rfile *rf;         /* the copy path, or NULL */
	struct fs_file *prev, *next;    /* fs->files; under its lock */
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
	unsigned num = ocifs_layer_num(l);
	struct fs_blob_id *id;
	struct stat st;

	if (!fs->blob_ids || num < 1 || num > fs->nlayers)
		return 0;
	id = &fs->blob_ids[num - 1];
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
			ocifs_layer_blob(l)->name, num);
	return 1;
}

int fs_files_new(struct fs_files **out)
{
	struct fs_files *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void fs_files_free(struct fs_files *p)
{
	if (!p)
		return;
	/* Files the kernel never released: the session ended (SIGTERM,
	 * SIGINT, SIGHUP) with files still open or their RELEASE still
	 * queued, and no RELEASE comes after that. */
	while (p->head)
		fs_file_close(p->head);
	while (p->nspare)
		free(p->spare[--p->nspare]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Open files are listed, and the list outlives the session: what the
 * kernel never released is closed when the mount ends. */
static void files_link(struct fs_file *f)
{
	struct fs_files *p = f->fs->files;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	f->next = p->head;
	if (p->head)
		p->head->prev = f;
	p->head = f;
	pthread_mutex_unlock(&p->lock);
}

static void files_unlink(struct fs_file *f)
{
	struct fs_files *p = f->fs->files;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (f->prev)
		f->prev->next = f->next;
	else if (p->head == f)
		p->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
	pthread_mutex_unlock(&p->lock);
}

/* Open the bytes of extent x of layer l: view inode vino's, or, with
 * vino UINT64_MAX, an extent the view does not name (a layer's own
 * tree). */
static int file_open(struct ocifs_fs *fs, struct ocifs_layer *l, const struct ocifs_extent *x,
		     uint64_t vino, const unsigned char *sha256, unsigned char *verdict,
		     struct fs_file **out)
{
	struct fs_file *f;
	struct ocifs_src *blob;
	int rc;

	if (blob_changed(fs, l))
		return -EIO;
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	f->fs = fs;
	f->layer = l;
	f->x = *x;
	blob = ocifs_layer_blob(f->layer);
	f->splice_fd = -1;
	if (ocifs_layer_comp(f->layer) == OCIFS_COMP_NONE && blob && !f->x.nsparse &&
	    ocifs_src_pin_fd(blob, &f->splice_fd, &f->splice_base) == 0)
		f->splice_base += f->x.data_off; /* unpinned in fs_file_close */
	else
		f->splice_fd = -1;
	if (f->splice_fd < 0) {
		rc = vino == UINT64_MAX
			     ? ocifs_reader_open_extent(fs->reader, l, x, sha256, verdict, &f->rf)
			     : ocifs_reader_open(fs->reader, vino, &f->rf);
		if (rc) {
			free(f);
			return rc;
		}
	}
	files_link(f);
	*out = f;
	return 0;
}

int fs_file_open(struct ocifs_fs *fs, uint64_t vino, struct fs_file **out)
{
	struct ocifs_layer *l;
	struct ocifs_extent x;
	int rc = ocifs_view_data(fs->view, vino, &l, &x);

	if (rc)
		return rc == -EINVAL ? -EISDIR : rc;
	return file_open(fs, l, &x, vino, NULL, NULL, out);
}

int fs_file_open_extent(struct ocifs_fs *fs, struct ocifs_layer *l, const struct ocifs_extent *x,
			const unsigned char *sha256, unsigned char *verdict, struct fs_file **out)
{
	if (verdict && __atomic_load_n(verdict, __ATOMIC_RELAXED) == OCIFS_READER_BAD)
		return -EIO; /* also on the splice path, once the copy path knows */
	return file_open(fs, l, x, UINT64_MAX, sha256, verdict, out);
}

void fs_file_close(struct fs_file *f)
{
	if (!f)
		return;
	files_unlink(f);
	ocifs_rfile_close(f->rf);
	if (f->splice_fd >= 0)
		ocifs_src_unpin_fd(ocifs_layer_blob(f->layer));
	free(f);
}

/* A reply buffer of at least n bytes (*cap of them): a spare one, or
 * new (rounded up to 128 KiB, so that it fits the next reads too). */
static char *buf_get(struct fs_files *p, size_t n, size_t *cap)
{
	char *b = NULL;

	if (p) {
		pthread_mutex_lock(&p->lock);
		for (unsigned i = p->nspare; i-- > 0;)
			if (p->spare_cap[i] >= n) {
				b = p->spare[i];
				*cap = p->spare_cap[i];
				p->spare[i] = p->spare[--p->nspare];
				p->spare_cap[i] = p->spare_cap[p->nspare];
				break;
			}
		pthread_mutex_unlock(&p->lock);
	}
	if (!b) {
		*cap = (n + (128u << 10) - 1) & ~(size_t)((128u << 10) - 1);
		b = malloc(*cap);
	}
	return b;
}

static void buf_put(struct fs_files *p, char *b, size_t cap)
{
	if (p && b && cap <= FS_READ_BUF_MAX) {
		pthread_mutex_lock(&p->lock);
		if (p->nspare < FS_READ_BUFS) {
			p->spare[p->nspare] = b;
			p->spare_cap[p->nspare++] = cap;
			b = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	free(b);
}

/* Has the image gone away under the mount? Deleted (no links left) or,
 * when end is given, truncated before byte end of the blob's file. Only
 * for blobs backed by a file descriptor (not inside a compressed outer
 * archive); a truncation elsewhere shows up as a short stream read. */
static int blob_gone(const struct fs_file *f, uint64_t end)
{
	struct ocifs_src *blob = ocifs_layer_blob(f->layer);
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
	size_t n, got;
	int rc;

	memset(r, 0, sizeof(*r));
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= f->x.size || !size)
		return 0; /* EOF: an empty buf */
	n = f->x.size - (uint64_t)off < size ? (size_t)(f->x.size - (uint64_t)off) : size;

	if (f->splice_fd >= 0) {
		/* Splice would reply short from a truncated file (and the
		 * kernel would shrink the file), so check the file first. */
		if ((uint64_t)off + n > f->x.data_len ||
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

	/* The blocks or the buffer belong to the request, not to f: once
	 * the reply is written, a release may free f at any moment. */
	rc = ocifs_rfile_readv(f->rf, n, (uint64_t)off, &r->vec, &got);
	if (!rc && got != n) {
		ocifs_rvec_release(&r->vec);
		rc = -EIO; /* never short: n is within the file */
	}
	if (rc != -EAGAIN)
		return rc;
	buf = buf_get(fs->files, n, &r->cap);
	if (!buf)
		return -ENOMEM;
	rc = ocifs_rfile_read(f->rf, buf, n, (uint64_t)off, &got);
	if (!rc && got != n)
		rc = -EIO; /* never short: n is within the file */
	if (rc) {
		buf_put(fs->files, buf, r->cap);
		return rc;
	}
	r->buf = buf;
	r->len = n;
	r->home = fs->files;
	return 0;
}

void fs_read_done(struct fs_read *r)
{
	ocifs_rvec_release(&r->vec);
	buf_put(r->home, r->buf, r->cap);
	r->buf = NULL;
}

int fs_file_lseek(struct fs_file *f, off_t off, int whence, off_t *out)
{
	const struct ocifs_extent *x = &f->x;
	uint64_t pos = (uint64_t)off, size = x->size;

	if (off < 0)
		return -ENXIO;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (pos >= size)
		return -ENXIO;
	if (!x->nsparse) {
		*out = whence == SEEK_DATA ? off : (off_t)size;
		return 0;
	}
	for (size_t i = 0; i < x->nsparse; i++) {
		const struct ocifs_sparse *s = &x->sparse[i];

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
