/* ramfs: in-memory files, directories and symlinks with a byte quota (ENOSPC when full). */
#ifndef UK_RAMFS_H
#define UK_RAMFS_H

#include <uk/vfs.h>

/* Mount a fresh ramfs at `path` (an existing directory, or "/" before anything else is
 * mounted). quota: bytes of file data and symlink text it may hold, 0 = bounded only by memory. */
long uk_ramfs_mount(const char *path, int64_t quota);
/* Change the quota of the ramfs holding `path`; returns -EINVAL if it is not a ramfs. */
long uk_ramfs_set_quota(const char *path, int64_t quota);
/* Bytes in use by the ramfs holding `path`, or -errno. */
int64_t uk_ramfs_used(const char *path);

#endif
