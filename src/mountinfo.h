/* SPDX-License-Identifier: MIT */
/*
 * The mount table of this process's namespace (/proc/self/mountinfo):
 * which mount is at a path or holds it, and the one message for a path
 * on a FUSE mount whose daemon is gone (ENOTCONN, "Transport endpoint
 * is not connected"), which names the mount to unmount.
 */
#ifndef OCIFS_SRC_MOUNTINFO_H
#define OCIFS_SRC_MOUNTINFO_H
#include <stddef.h>
#include <sys/types.h>

/** Is path (absolute) a mountpoint? 1 and the type of the mount on top
 *  ("fuse.ocifs") in type, 0 if not, or -errno. */
int ocifs_mountinfo_find(const char *path, char *type, size_t typelen);

/** The device (st_dev) of the mount on top at absolute path: 1 and *dev,
 *  0 when nothing is mounted there, or -errno. Unlike stat(2) it never
 *  asks the file system (a dead or not yet serving FUSE mount). */
int ocifs_mountinfo_dev(const char *path, dev_t *dev);

/** path made absolute without touching it (a dead mount cannot be
 *  resolved): the working directory prepended to a relative path, "."
 *  and ".." applied by name. malloc'd; NULL on error (errno set). */
char *ocifs_mountinfo_abspath(const char *path);

/** Log the error rc (a negative errno) about the file at path, called
 *  name in messages (e.g. "docker-archive:PATH"), as one line, "NAME:
 *  REASON". For -ENOTCONN the line names the dead mount holding path and
 *  how to remove it: "NAME: not connected: run ocifs umount MOUNTPOINT"
 *  (fusermount3 -u for another FUSE file system). */
void ocifs_log_path_err(const char *name, const char *path, int rc);

#endif
