/* uk/arch_stat.h (x86_64): Linux's struct stat for this architecture (arch/x86/include/uapi/
 * asm/stat.h), as struct uk_stat; included by uk/vfs_abi.h after struct uk_timespec. */
#ifndef UK_ARCH_STAT_H
#define UK_ARCH_STAT_H
#include <stdint.h>

struct uk_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	struct uk_timespec st_atim;
	struct uk_timespec st_mtim;
	struct uk_timespec st_ctim;
	int64_t unused[3];
};
#endif
