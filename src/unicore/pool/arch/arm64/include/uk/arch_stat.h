/* uk/arch_stat.h (arm64): Linux's struct stat for this architecture (the generic one,
 * include/uapi/asm-generic/stat.h: mode before a 32-bit nlink, a 32-bit blksize), as struct
 * uk_stat; included by uk/vfs_abi.h after struct uk_timespec. */
#ifndef UK_ARCH_STAT_H
#define UK_ARCH_STAT_H
#include <stdint.h>

struct uk_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	uint64_t pad1;
	int64_t st_size;
	int32_t st_blksize;
	int32_t pad2;
	int64_t st_blocks;
	struct uk_timespec st_atim;
	struct uk_timespec st_mtim;
	struct uk_timespec st_ctim;
	uint32_t unused[2];
};
#endif
