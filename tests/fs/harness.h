/* Host test harness: lets fsprog.c call the vfs syscall handlers directly (no kernel).
 * Only glibc-independent declarations here, so fsprog.c can also include glibc headers. */
#ifndef FS_HARNESS_H
#define FS_HARNESS_H

typedef long (*harness_fn)(long, long, long, long, long, long);

static inline long hcall(harness_fn fn, const long *a)
{
	return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
}

#define HSYS(name) long uk_sys_##name(long, long, long, long, long, long)
HSYS(read); HSYS(write); HSYS(open); HSYS(close); HSYS(stat); HSYS(fstat); HSYS(lstat);
HSYS(lseek); HSYS(pread64); HSYS(pwrite64); HSYS(readv); HSYS(writev); HSYS(access);
HSYS(dup); HSYS(dup2); HSYS(dup3); HSYS(fcntl); HSYS(fsync); HSYS(fdatasync); HSYS(truncate);
HSYS(ftruncate); HSYS(getdents64); HSYS(getcwd); HSYS(chdir); HSYS(fchdir); HSYS(rename);
HSYS(mkdir); HSYS(rmdir); HSYS(creat); HSYS(unlink); HSYS(symlink); HSYS(readlink);
HSYS(chmod); HSYS(fchmod); HSYS(chown); HSYS(fchown); HSYS(umask); HSYS(openat);
HSYS(mkdirat); HSYS(newfstatat); HSYS(unlinkat); HSYS(renameat); HSYS(renameat2);
HSYS(symlinkat); HSYS(readlinkat); HSYS(fchmodat); HSYS(faccessat); HSYS(faccessat2);
HSYS(utimensat); HSYS(statx); HSYS(utimes); HSYS(sendfile); HSYS(copy_file_range);
HSYS(preadv); HSYS(pwritev); HSYS(fallocate); HSYS(flock); HSYS(pipe); HSYS(pipe2); HSYS(link); HSYS(linkat);

/* missing trailing arguments are zero, as the compound literal pads them */
#define harness_sys(name, ...) hcall(uk_sys_##name, (long[6]){ __VA_ARGS__ })
#define harness_sys_read(...) harness_sys(read, __VA_ARGS__)
#define harness_sys_write(...) harness_sys(write, __VA_ARGS__)
#define harness_sys_open(...) harness_sys(open, __VA_ARGS__)
#define harness_sys_close(...) harness_sys(close, __VA_ARGS__)
#define harness_sys_stat(...) harness_sys(stat, __VA_ARGS__)
#define harness_sys_fstat(...) harness_sys(fstat, __VA_ARGS__)
#define harness_sys_lstat(...) harness_sys(lstat, __VA_ARGS__)
#define harness_sys_lseek(...) harness_sys(lseek, __VA_ARGS__)
#define harness_sys_pread64(...) harness_sys(pread64, __VA_ARGS__)
#define harness_sys_pwrite64(...) harness_sys(pwrite64, __VA_ARGS__)
#define harness_sys_readv(...) harness_sys(readv, __VA_ARGS__)
#define harness_sys_writev(...) harness_sys(writev, __VA_ARGS__)
#define harness_sys_access(...) harness_sys(access, __VA_ARGS__)
#define harness_sys_dup(...) harness_sys(dup, __VA_ARGS__)
#define harness_sys_dup2(...) harness_sys(dup2, __VA_ARGS__)
#define harness_sys_dup3(...) harness_sys(dup3, __VA_ARGS__)
#define harness_sys_fcntl(...) harness_sys(fcntl, __VA_ARGS__)
#define harness_sys_fsync(...) harness_sys(fsync, __VA_ARGS__)
#define harness_sys_fdatasync(...) harness_sys(fdatasync, __VA_ARGS__)
#define harness_sys_truncate(...) harness_sys(truncate, __VA_ARGS__)
#define harness_sys_ftruncate(...) harness_sys(ftruncate, __VA_ARGS__)
#define harness_sys_getdents64(...) harness_sys(getdents64, __VA_ARGS__)
#define harness_sys_getcwd(...) harness_sys(getcwd, __VA_ARGS__)
#define harness_sys_chdir(...) harness_sys(chdir, __VA_ARGS__)
#define harness_sys_fchdir(...) harness_sys(fchdir, __VA_ARGS__)
#define harness_sys_rename(...) harness_sys(rename, __VA_ARGS__)
#define harness_sys_mkdir(...) harness_sys(mkdir, __VA_ARGS__)
#define harness_sys_rmdir(...) harness_sys(rmdir, __VA_ARGS__)
#define harness_sys_creat(...) harness_sys(creat, __VA_ARGS__)
#define harness_sys_unlink(...) harness_sys(unlink, __VA_ARGS__)
#define harness_sys_symlink(...) harness_sys(symlink, __VA_ARGS__)
#define harness_sys_readlink(...) harness_sys(readlink, __VA_ARGS__)
#define harness_sys_chmod(...) harness_sys(chmod, __VA_ARGS__)
#define harness_sys_fchmod(...) harness_sys(fchmod, __VA_ARGS__)
#define harness_sys_umask(...) harness_sys(umask, __VA_ARGS__)
#define harness_sys_openat(...) harness_sys(openat, __VA_ARGS__)
#define harness_sys_mkdirat(...) harness_sys(mkdirat, __VA_ARGS__)
#define harness_sys_newfstatat(...) harness_sys(newfstatat, __VA_ARGS__)
#define harness_sys_unlinkat(...) harness_sys(unlinkat, __VA_ARGS__)
#define harness_sys_renameat(...) harness_sys(renameat, __VA_ARGS__)
#define harness_sys_fchmodat(...) harness_sys(fchmodat, __VA_ARGS__)
#define harness_sys_faccessat(...) harness_sys(faccessat, __VA_ARGS__)
#define harness_sys_utimensat(...) harness_sys(utimensat, __VA_ARGS__)
#define harness_sys_statx(...) harness_sys(statx, __VA_ARGS__)
#define harness_sys_utimes(...) harness_sys(utimes, __VA_ARGS__)
#define harness_sys_sendfile(...) harness_sys(sendfile, __VA_ARGS__)
#define harness_sys_copy_file_range(...) harness_sys(copy_file_range, __VA_ARGS__)
#define harness_sys_preadv(...) harness_sys(preadv, __VA_ARGS__)
#define harness_sys_pwritev(...) harness_sys(pwritev, __VA_ARGS__)
#define harness_sys_fallocate(...) harness_sys(fallocate, __VA_ARGS__)
#define harness_sys_flock(...) harness_sys(flock, __VA_ARGS__)
#define harness_sys_pipe(...) harness_sys(pipe, __VA_ARGS__)
#define harness_sys_pipe2(...) harness_sys(pipe2, __VA_ARGS__)
#define harness_sys_link(...) harness_sys(link, __VA_ARGS__)
#define harness_sys_linkat(...) harness_sys(linkat, __VA_ARGS__)

void harness_init(void);
void harness_extra(void);

#endif
