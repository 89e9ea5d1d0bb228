/* uk/arch_abi.h (x86_64): Linux ABI definitions of this architecture that differ: struct stat (arch/x86/include/uapi/
 * asm/stat.h), as struct uk_stat, and the open flags asm/fcntl.h defines per architecture; included by
 * uk/vfs_abi.h after struct uk_timespec. */
#ifndef UK_ARCH_ABI_H
#define UK_ARCH_ABI_H
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
/* The open flags whose values differ per architecture (asm/fcntl.h) */
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#endif
