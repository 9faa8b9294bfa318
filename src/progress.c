/* SPDX-License-Identifier: MIT */
/* Terminal progress bar; see progress.h. Drawn with Unicode block
 * elements when the locale's codeset is UTF-8, else in ASCII. */
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static int locale_utf8;
static pthread_once_t locale_once = PTHREAD_ONCE_INIT;

static void locale_probe(void)
{
	/* The environment's LC_CTYPE (LC_ALL, LC_CTYPE, LANG), asked without
	 * changing this process's locale (escaping follows the C locale). */
	locale_t loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
	const char *cs;

	if (loc == (locale_t)0)
		return;
	cs = nl_langinfo_l(CODESET, loc);
	locale_utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	freelocale(loc);
}

int ocifs_locale_is_utf8(void)
{
	/* once: the environment does not change, and newlocale() reads the
	 * locale files (asked for every layer's summary line) */
	pthread_once(&locale_once, locale_probe);
	return locale_utf8;
}

/* The bar's 20 cells for pct (0..100) into bar: "█" full cells and one
 * of "▏▎▍▌▋▊▉" for the part of the next (eighths), or '=' cells with a
 * '>' head in ASCII; after them "░" (spaces in ASCII). */
static void draw_bar(char *bar, size_t cap, int pct, int utf8)
{
	static const char *const eighth[] = { "", "\xe2\x96\x8f", "\xe2\x96\x8e",
					      "\xe2\x96\x8d", "\xe2\x96\x8c",
					      "\xe2\x96\x8b", "\xe2\x96\x8a",
					      "\xe2\x96\x89" }; /* U+258F..U+2589 */
	int units = pct * 20 * 8 / 100, full = units / 8, part = units % 8;
	size_t n = 0;

	for (int i = 0; i < 20 && n + 4 < cap; i++) {
		const char *cell = utf8 ? "\xe2\x96\x91" : " "; /* U+2591 light shade */
		if (i < full)
			cell = utf8 ? "\xe2\x96\x88" : "="; /* U+2588 */
		else if (i == full && part)
			cell = utf8 ? eighth[part] : ">";
		n += (size_t)snprintf(bar + n, cap - n, "%s", cell);
	}
	bar[n] = '\0';
}

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
	p->utf8 = p->on && ocifs_locale_is_utf8();
	p->t0 = ocifs_now();
	p->grand_total = grand_total;
}

void ocifs_progress_update(struct ocifs_progress *p, const char *label, uint64_t done)
{
	char a[16], b[16], r[16], line[224], bar[64];
	double now = ocifs_now(), el;
	uint64_t cur = p->base + done;
	int pct = 0;

	if (!p->on || now - p->last_draw < 0.1)
		return;
	p->last_draw = now;
	el = now - p->t0;
	if (p->grand_total)
		pct = (int)(100.0 * (double)cur / (double)p->grand_total);
	if (pct > 100)
		pct = 100;
	draw_bar(bar, sizeof(bar), pct, p->utf8);
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
