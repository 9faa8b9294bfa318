/* SPDX-License-Identifier: MIT */
/* Terminal progress bar; see progress.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

const char *ocifs_human(uint64_t n, char buf[16])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 16, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

void ocifs_progress_init(struct ocifs_progress *p, uint64_t grand_total)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDERR_FILENO);
	p->t0 = ocifs_now();
	p->grand_total = grand_total;
}

void ocifs_progress_update(struct ocifs_progress *p, const char *label, uint64_t done)
{
	char a[16], b[16], r[16], line[160], bar[21];
	double now = ocifs_now(), el;
	uint64_t cur = p->base + done;
	int pct = 0, fill;

	if (!p->on || now - p->last_draw < 0.1)
		return;
	p->last_draw = now;
	el = now - p->t0;
	if (p->grand_total)
		pct = (int)(100.0 * (double)cur / (double)p->grand_total);
	if (pct > 100)
		pct = 100;
	fill = pct / 5;
	memset(bar, '=', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(20 - fill));
	bar[20] = '\0';
	double rate = el > 0 ? (double)cur / el : 0;
	int eta = (rate > 0 && p->grand_total > cur) ? (int)((double)(p->grand_total - cur) / rate) : 0;
	snprintf(line, sizeof(line), "\r%-14.14s [%s] %3d%% %s / %s  %s/s  ETA %d:%02d ", label, bar,
		 pct, ocifs_human(cur, a), ocifs_human(p->grand_total, b),
		 ocifs_human((uint64_t)rate, r), eta / 60, eta % 60);
	if (write(STDERR_FILENO, line, strlen(line)) > 0)
		p->drawn = 1;
}

void ocifs_progress_next(struct ocifs_progress *p, uint64_t item_bytes)
{
	p->base += item_bytes;
}

void ocifs_progress_end(struct ocifs_progress *p)
{
	static const char clear[] = "\r\033[K";

	if (p->on && p->drawn && write(STDERR_FILENO, clear, sizeof(clear) - 1) < 0)
		p->drawn = 0;
	p->drawn = 0;
}
