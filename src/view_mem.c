/* SPDX-License-Identifier: MIT */
/*
 * The view file's pages in memory (ocifs_view_willneed, view.h). The
 * view is mapped and read by page faults; after reclaim or drop_caches
 * took its pages, a walk would fault them back one read-ahead window at
 * a time, each a synchronous read (12 for the Debian image's 1.7 MB view
 * with the usual 128 KiB window). Asking for the whole file first makes
 * that one batch of reads in flight together.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "view.h"
#include "view_priv.h"

/* Every one of VIEW_SAMPLES pages spread over the mapping is in the page
 * cache (mincore, a page each): reclaim and drop_caches take a file's
 * pages wholesale, and a sample costs microseconds where asking for a
 * 20 MB view that is there costs ~0.3 ms. */
#define VIEW_SAMPLES 16

static int view_resident(const char *data, size_t len)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = (len + page - 1) / page;
	unsigned char in = 0;

	for (size_t i = 0; i < VIEW_SAMPLES; i++)
		if (mincore((void *)(data + i * (pages - 1) / (VIEW_SAMPLES - 1) * page), page,
			    &in) ||
		    !(in & 1))
			return 0;
	return 1;
}

/* The kernel reads at most one read-ahead window (or the device's
 * optimal I/O size) a call: asked 128 KiB (the usual window) at a time,
 * every piece is in flight at once. */
void ocifs_view_willneed(const struct ocifs_view *v)
{
	const size_t step = (size_t)128 << 10;
	const void *data;
	size_t len;

	if (ocifs_view_mapping(v, &data, &len) || view_resident(data, len))
		return;
	for (size_t off = 0; off < len; off += step)
		(void)madvise((char *)data + off, len - off < step ? len - off : step,
			      MADV_WILLNEED);
}
