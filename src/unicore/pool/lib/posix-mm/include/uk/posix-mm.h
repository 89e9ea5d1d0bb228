/* uk/posix-mm.h: anonymous memory (mmap, munmap, mremap, madvise, mprotect, brk). File-backed
 * mmap is forwarded to the vfs (uk_vfs_mmap_file) when the plan links one, else -ENODEV. */
#ifndef UK_POSIX_MM_H
#define UK_POSIX_MM_H
#endif
