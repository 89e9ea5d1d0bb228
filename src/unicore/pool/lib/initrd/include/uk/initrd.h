/* initrd: unpack a cpio "newc" archive (the PVH module) into the root ramfs at boot. */
#ifndef UK_INITRD_H
#define UK_INITRD_H

#include <uk/vfs.h>

/* Unpack `len` bytes at `buf` under directory `dest` ("/" for the root file system).
 * Returns the number of entries created, or -EINVAL for a malformed archive (nothing after
 * the bad entry is unpacked), or another -errno from the file system (e.g. -ENOSPC). */
long uk_initrd_unpack(const void *buf, size_t len, const char *dest);

/* Boot hook called by vfs: unpacks the module the platform reports, if any. */
long uk_initrd_init(void);

#endif
