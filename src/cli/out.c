/* SPDX-License-Identifier: MIT */
/*
 * Output helpers every command shares: untrusted names escaped as `ls -b`
 * does, `ls -l` lines, user paths in normal form, raw file data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "esc.h"
#include "log.h"
#include "path.h"
#include "timens.h"

void cli_print_esc(const char *s)
{
	char out[4 * 256 + 1];
	size_t n = strlen(s);

	/* In pieces of up to 256 bytes, each cut before a byte that starts a
	 * character, so a UTF-8 sequence is never split and escaped as bytes. */
	for (size_t i = 0; i < n;) {
		size_t end = n - i > 256 ? i + 256 : n;
		while (end < n && end > i + 252 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
		ocifs_esc_name_buf(out, sizeof(out), s + i, end - i);
		fputs(out, stdout);
		i = end;
	}
}

void cli_print_long(uint32_t mode, uint64_t uid, uint64_t gid, uint64_t size, uint64_t rdev,
		    int64_t mtime_ns, const char *name, const char *symlink, const char *hardlink)
{
	static const char rwx[] = "rwxrwxrwx";
	char m[11], when[32], sz[32];
	struct tm tm;
	int64_t sec;
	long nsec;
	time_t t;

	m[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b'
	     : S_ISFIFO(mode) ? 'p' : S_ISREG(mode) ? '-' : 'h';
	for (int i = 0; i < 9; i++)
		m[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		m[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		m[6] = (mode & 010) ? 's' : 'S';
	if (mode & 01000)
		m[9] = (mode & 01) ? 't' : 'T';
	m[10] = '\0';
	ocifs_ns_split(mtime_ns, &sec, &nsec);
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		strcpy(when, "?");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		snprintf(sz, sizeof(sz), "%u,%u", major(rdev), minor(rdev));
	else
		snprintf(sz, sizeof(sz), "%" PRIu64, size);
	printf("%s %" PRIu64 "/%" PRIu64 " %10s %s ", m, uid, gid, sz, when);
	cli_print_esc(name);
	if (symlink) {
		fputs(" -> ", stdout);
		cli_print_esc(symlink);
	}
	if (hardlink) {
		fputs(" link to ", stdout);
		cli_print_esc(hardlink);
	}
	putchar('\n');
}

char *cli_normalized_arg(const char *arg)
{
	char *p = strdup(arg);

	if (p && ocifs_path_normalize(p)) {
		log_err("%s: path leaves the root", arg);
		free(p);
		return NULL;
	}
	return p;
}

int cli_write_all(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)w;
	}
	return 0;
}

int cli_write_stdout(const void *buf, size_t n)
{
	int rc = cli_write_all(STDOUT_FILENO, buf, n);

	if (rc)
		log_err("write error: %s", strerror(-rc));
	return rc;
}
