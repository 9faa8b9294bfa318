/* SPDX-License-Identifier: MIT */
/*
 * A layer's checkpoints load on first need, not at open (issue #14, goal
 * 3): a warm open of a zstd layer whose checkpoint table is damaged
 * afterwards still succeeds, and the first read then fails with EIO
 * (never wrong bytes). Loaded by 4 threads at once on a fresh open, the
 * checkpoints serve random reads byte-exact (the oracle: the file written
 * before `tar` and `zstd`), the layer's lazy shadow is created for its
 * one big frame and used, and every checkpoint pointer handed out stays
 * usable until close; a close while the shadow is being built returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "idxdb.h"
#include "image.h"
#include "layer.h"
#include "log.h"
#include "tap.h"
#include "zshadow.h"

#define FSIZE (20u << 20)

static char tmp[] = "/tmp/ocifs-lazyck.XXXXXX";
static unsigned char *data;

static int make_image(void)
{
	char path[128];
	FILE *f;
	uint64_t x = 88172645463325252ull;

	data = malloc(FSIZE);
	for (size_t i = 0; data && i < FSIZE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (i / 4096) % 3 ? (unsigned char)('a' + x % 7) : (unsigned char)x;
	}
	snprintf(path, sizeof(path), "%s/root/big", tmp);
	tap_sh("mkdir -p %s/root %s/img/blobs/sha256", tmp, tmp);
	if (!data || !(f = fopen(path, "wb")))
		return -1;
	fwrite(data, 1, FSIZE, f);
	fclose(f);
	/* an OCI layout by hand: one zstd layer (one frame), config, manifest */
	return tap_sh(
		"set -e; cd %s; tar -C root -cf l.tar big; zstd -q -3 l.tar -o l.tar.zst; "
		"u=$(sha256sum < l.tar | cut -d' ' -f1); d=$(sha256sum < l.tar.zst | cut -d' ' -f1); "
		"cp l.tar.zst img/blobs/sha256/$d; s=$(stat -c %%s l.tar.zst); "
		"printf '{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[\"sha256:%%s\"]},\"config\":{}}' $u > c.json; "
		"c=$(sha256sum < c.json | cut -d' ' -f1); cp c.json img/blobs/sha256/$c; "
		"printf '{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
		"\"sha256:%%s\",\"size\":%%s},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:%%s\",\"size\":%%s}]}' "
		"$c $(stat -c %%s c.json) $d $s > m.json; "
		"m=$(sha256sum < m.json | cut -d' ' -f1); cp m.json img/blobs/sha256/$m; "
		"printf '{\"imageLayoutVersion\":\"1.0.0\"}' > img/oci-layout; "
		"printf '{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		"\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%%s\",\"size\":%%s}]}' "
		"$m $(stat -c %%s m.json) > img/index.json",
		tmp);
}

struct job {
	struct ocifs_layer *l;
	struct ocifs_entry *e;
	unsigned seed;
	int bad;
	const struct ocifs_ckpts *ck;
};

static void *reader(void *arg)
{
	struct job *j = arg;
	struct ocifs_extent x;
	struct ocifs_zcursor *c = NULL;
	unsigned char *buf = malloc(8192);

	j->ck = ocifs_layer_ckpts(j->l); /* all 4 at once: the first need */
	ocifs_entry_extent(j->e, &x);
	if (!buf || ocifs_layer_cursor(j->l, &c))
		j->bad++;
	for (int i = 0; c && i < 10; i++) {
		uint64_t off = (uint64_t)rand_r(&j->seed) % (FSIZE - 8192);
		size_t got = 0;
		if (ocifs_layer_read(j->l, c, &x, buf, 8192, off, &got) || got != 8192 ||
		    memcmp(buf, data + off, 8192))
			j->bad++;
	}
	ocifs_zcursor_free(c);
	free(buf);
	return NULL;
}

static int lookup_big(struct ocifs_layer *l, struct ocifs_entry *e)
{
	struct ocifs_idxdb *db;
	int rc = ocifs_layer_db(l, &db);

	if (!rc)
		rc = ocifs_idxdb_lookup(db, "big", e);
	ocifs_layer_db_close(l);
	return rc;
}

int main(void)
{
	struct ocifs_image_opts io = { .platform = "linux/amd64" };
	struct ocifs_image *img = NULL;
	struct ocifs_layer *l = NULL;
	struct ocifs_entry e = { 0 };
	char cache_env[64], *cache = NULL;
	int rc;

	alarm(300);
	ocifs_log_threshold = OCIFS_LOG_WARN;
	if (tap_sh("zstd --version >/dev/null 2>&1 && sqlite3 --version >/dev/null 2>&1") != 0) {
		if (tap_in_ci())
			ok(0, "zstd or sqlite3 CLI missing");
		else
			skip("zstd or sqlite3 CLI missing");
		return done_testing();
	}
	if (!mkdtemp(tmp))
		abort();
	snprintf(cache_env, sizeof(cache_env), "%s/cache", tmp);
	setenv("XDG_CACHE_HOME", cache_env, 1);
	char layout[96];
	snprintf(layout, sizeof(layout), "%s/img", tmp);
	rc = make_image();
	rc = rc ? rc : ocifs_image_open(layout, &io, &img);
	rc = rc ? rc : ocifs_cache_open_dir(&cache);
	struct ocifs_layer_opts lo = { .cache_dir = cache };
	/* cold: built (and checked) once; warm opens trust it from here on */
	rc = rc ? rc : ocifs_layer_open(img, 0, &lo, &l);
	rc = rc ? rc : lookup_big(l, &e);
	if (!ok(rc == 0 && e.size == FSIZE, "an image of one zstd layer, indexed (%d)", rc))
		goto out;
	ok(ocifs_layer_ckpts(l)->n >= 1 && ocifs_layer_zshadow(l) != NULL,
	   "its one big frame gets a lazy shadow");
	ocifs_layer_close(l);
	l = NULL;

	/* warm open, then the checkpoint table is damaged: the open did not
	 * read it, the first read does and fails with EIO */
	rc = ocifs_layer_open(img, 0, &lo, &l);
	ok(rc == 0, "warm open");
	tap_sh("sqlite3 '%s' 'UPDATE ckpts SET flags = 2'", ocifs_layer_db_path(l));
	{
		struct ocifs_zcursor *c = NULL;
		int crc = ocifs_layer_cursor(l, &c);
		ok(crc == -EIO && ocifs_layer_ckpts(l)->n == 0,
		   "checkpoints damaged after a warm open: the first cursor gets EIO (%d), "
		   "no checkpoints are handed out", crc);
		ocifs_zcursor_free(c);
	}
	ocifs_layer_close(l);
	l = NULL;
	tap_sh("sqlite3 '%s/ocifs/layers/'*.db 'UPDATE ckpts SET flags = 1'", cache_env);

	/* 4 threads meet the first need at once */
	rc = ocifs_layer_open(img, 0, &lo, &l);
	if (ok(rc == 0, "warm open again")) {
		pthread_t t[4];
		struct job j[4];
		int bad = 0, same = 1;

		for (int i = 0; i < 4; i++) {
			j[i] = (struct job){ .l = l, .e = &e, .seed = 1000u + (unsigned)i };
			pthread_create(&t[i], NULL, reader, &j[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			bad += j[i].bad;
		}
		ok(bad == 0, "4 threads loading the checkpoints at once: 40 random reads byte-exact");
		ocifs_zshadow_wait(ocifs_layer_zshadow(l));
		struct ocifs_zshadow_stats st;
		ocifs_zshadow_stats(ocifs_layer_zshadow(l), &st);
		const struct ocifs_ckpts *now = ocifs_layer_ckpts(l);
		ok(st.made >= 1 && now->n > j[0].ck->n, "the reads made %llu shadow chunks; a newer "
		   "checkpoint list has %zu entries", (unsigned long long)st.made, now->n);
		for (int i = 0; i < 4; i++) /* older lists stay usable until close */
			same &= j[i].ck->n >= 1 && j[i].ck->v[0].uoff == 0 &&
				j[i].ck->usize == now->usize;
		ok(same, "checkpoint lists handed out earlier are still valid");
		/* a far read asks for more; close right away */
		struct ocifs_extent x;
		struct ocifs_zcursor *c = NULL;
		unsigned char b[4096];
		size_t got;
		ocifs_entry_extent(&e, &x);
		if (!ocifs_layer_cursor(l, &c))
			ocifs_layer_read(l, c, &x, b, sizeof(b), FSIZE - 3 * 4096, &got);
		ocifs_zcursor_free(c);
	}
	ocifs_layer_close(l); /* the alarm catches a hang */
	l = NULL;
	ok(1, "close while the shadow is built returns");
out:
	ocifs_entry_fini(&e);
	ocifs_layer_close(l);
	ocifs_image_free(img);
	free(cache);
	free(data);
	tap_sh("rm -rf '%s'", tmp);
	return done_testing();
}
