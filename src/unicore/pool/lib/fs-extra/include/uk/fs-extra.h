/* uk/fs-extra.h: the struct statfs of Linux x86_64 and the magic number fs-extra reports. */
#ifndef UK_FS_EXTRA_H
#define UK_FS_EXTRA_H
#include <stdint.h>

#define UK_TMPFS_MAGIC 0x01021994 /* what an in-memory file system is on Linux */
#define UK_FS_EXTRA_ENODATA 61
#define UK_FS_EXTRA_ENOTSUP 95

struct uk_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags;
	int64_t f_spare[4];
};
#endif
