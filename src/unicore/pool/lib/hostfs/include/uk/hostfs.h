/* hostfs: host volumes on spt (docs/spt.md): the tender opens each host directory as fd
 * UK_HOSTFS_FD0 + i (uk/linux_host.h's UK_LINUX_FD_VOLUME0) and confines the process to them
 * (Landlock); a `vol.vol<i>=GUESTDIR` kernel token says where volume i is mounted. vfs calls
 * uk_hostfs_init once (vfs_fd.c). */
#ifndef UK_HOSTFS_H
#define UK_HOSTFS_H

#define UK_HOSTFS_FD0 6
#define UK_HOSTFS_VOLUMES_MAX 16

/* The host calls hostfs makes (x86_64 Linux numbers: spt's host), each one the tender's
 * seccomp filter allows when the image has volumes. */
#define UK_HOSTFS_NR_CLOSE 3
#define UK_HOSTFS_NR_PREAD64 17
#define UK_HOSTFS_NR_PWRITE64 18
#define UK_HOSTFS_NR_FSYNC 74
#define UK_HOSTFS_NR_FTRUNCATE 77
#define UK_HOSTFS_NR_GETDENTS64 217
#define UK_HOSTFS_NR_OPENAT 257
#define UK_HOSTFS_NR_MKDIRAT 258
#define UK_HOSTFS_NR_NEWFSTATAT 262
#define UK_HOSTFS_NR_UNLINKAT 263
#define UK_HOSTFS_NR_RENAMEAT 264
#define UK_HOSTFS_NR_LINKAT 265
#define UK_HOSTFS_NR_SYMLINKAT 266
#define UK_HOSTFS_NR_READLINKAT 267
#define UK_HOSTFS_NR_FCHMODAT 268
#define UK_HOSTFS_NR_UTIMENSAT 280

long uk_hostfs_init(void);

/* The gate plat/spt gives hostfs to the host (volume_spt.c): host call `nr` with five
 * arguments, the result or -errno as the host returns it. */
long uk_plat_spt_volume_call(long nr, long a0, long a1, long a2, long a3, long a4);
#endif
