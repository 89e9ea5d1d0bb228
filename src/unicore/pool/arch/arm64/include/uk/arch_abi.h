/* uk/arch_abi.h (arm64): the Linux ABI definitions that differ per architecture: struct stat (the generic one,
 * include/uapi/asm-generic/stat.h: mode before a 32-bit nlink, a 32-bit blksize), as struct
 * uk_stat, and the open flags asm/fcntl.h defines per architecture; included by uk/vfs_abi.h
 * after struct uk_timespec. */
#ifndef UK_ARCH_ABI_H
#define UK_ARCH_ABI_H
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
/* The open flags whose values differ per architecture (asm/fcntl.h) */
#define O_DIRECT 00200000
#define O_LARGEFILE 00400000
#define O_DIRECTORY 00040000
#define O_NOFOLLOW 00100000
#endif
