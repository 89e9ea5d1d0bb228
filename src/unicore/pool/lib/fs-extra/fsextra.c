/* File-system calls beyond vfs (fs-extra). Each first checks that the path or fd exists
 * through vfs's own stat handlers, so errors (ENOENT, EBADF, ENOTDIR...) are vfs's, then
 * answers for an in-memory file system: statfs like a tmpfs sized to the free RAM, no extended
 * attributes (coreutils' ls asks for SELinux labels and ACLs: ENODATA means "none"). */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/fs-extra.h>

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000

long uk_sys_newfstatat(long, long, long, long, long, long);
long uk_sys_close(long, long, long, long, long, long);
long uk_sys_fcntl(long, long, long, long, long, long);

/* 0 when the object exists, else vfs's error. */
static long check_path(long path, int follow)
{
	uint64_t st[18]; /* struct stat is 144 bytes */

	return uk_sys_newfstatat(AT_FDCWD, path, (long)st, follow ? 0 : AT_SYMLINK_NOFOLLOW, 0, 0);
}

static long check_fd(long fd)
{
	uint64_t st[18];

	return uk_sys_newfstatat(fd, (long)"", (long)st, AT_EMPTY_PATH, 0, 0);
}

static long fill_statfs(long err, struct uk_statfs *sf)
{
	if (err)
		return err;
	memset(sf, 0, sizeof(*sf));
	sf->f_type = UK_TMPFS_MAGIC;
	sf->f_bsize = sf->f_frsize = 4096;
	sf->f_blocks = uk_core_pages.npages;
	sf->f_bfree = sf->f_bavail = uk_core_pages.nfree;
	sf->f_files = sf->f_ffree = uk_core_pages.nfree; /* inodes are heap objects: bounded by RAM */
	sf->f_namelen = 255;
	return 0;
}

UK_SYSCALL(statfs) { return fill_statfs(check_path(a0, 1), (struct uk_statfs *)a1); }
UK_SYSCALL(fstatfs) { return fill_statfs(check_fd(a0), (struct uk_statfs *)a1); }
UK_SYSCALL(fadvise64) { return check_fd(a0); } /* advice only: every file is in memory */

static long no_attr(long err) { return err ? err : -UK_FS_EXTRA_ENODATA; }
static long no_list(long err) { return err ? err : 0; }
static long no_set(long err) { return err ? err : -UK_FS_EXTRA_ENOTSUP; }

UK_SYSCALL(getxattr) { return no_attr(check_path(a0, 1)); }
UK_SYSCALL(lgetxattr) { return no_attr(check_path(a0, 0)); }
UK_SYSCALL(fgetxattr) { return no_attr(check_fd(a0)); }
UK_SYSCALL(listxattr) { return no_list(check_path(a0, 1)); }
UK_SYSCALL(llistxattr) { return no_list(check_path(a0, 0)); }
UK_SYSCALL(flistxattr) { return no_list(check_fd(a0)); }
UK_SYSCALL(setxattr) { return no_set(check_path(a0, 1)); }
UK_SYSCALL(lsetxattr) { return no_set(check_path(a0, 0)); }
UK_SYSCALL(fsetxattr) { return no_set(check_fd(a0)); }
UK_SYSCALL(removexattr) { return no_attr(check_path(a0, 1)); }
UK_SYSCALL(lremovexattr) { return no_attr(check_path(a0, 0)); }
UK_SYSCALL(fremovexattr) { return no_attr(check_fd(a0)); }

/* ramfs has nothing to flush, and 9p writes reach the host at write(): sync is done already. */
UK_SYSCALL(sync) { return 0; }
UK_SYSCALL(syncfs) { return check_fd(a0); }

/* ---- close_range: close (or mark close-on-exec) every open fd in [first, last] ---- */
#define CLOSE_RANGE_CLOEXEC 4
#define CLOSE_RANGE_UNSHARE 2
#define F_SETFD 2
#define FD_CLOEXEC 1
#define FD_LIMIT 1024 /* vfs's table */

UK_SYSCALL(close_range)
{
	unsigned long first = (unsigned long)a0, last = (unsigned long)a1;

	if (first > last || (a2 & ~(long)(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE)))
		return -EINVAL;
	for (unsigned long fd = first; fd <= last && fd < FD_LIMIT; fd++) {
		if (check_fd((long)fd))
			continue;
		if (a2 & CLOSE_RANGE_CLOEXEC)
			uk_sys_fcntl((long)fd, F_SETFD, FD_CLOEXEC, 0, 0, 0);
		else
			uk_sys_close((long)fd, 0, 0, 0, 0, 0);
	}
	return 0;
}

/* ---- poll and select: one thread, no sockets or pipes: every open fd is ready at once (a
 * console read may then block, which is where a program waiting in poll would be anyway) ---- */
#define POLLIN 0x001
#define POLLOUT 0x004
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

struct pollfd {
	int fd;
	short events, revents;
};

static long do_poll(struct pollfd *fds, unsigned long n)
{
	long ready = 0;

	if (n > FD_LIMIT)
		return -EINVAL;
	for (unsigned long i = 0; i < n; i++) {
		if (fds[i].fd < 0) {
			fds[i].revents = 0;
			continue;
		}
		short ok = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
		fds[i].revents = check_fd(fds[i].fd) ? POLLNVAL : (short)(fds[i].events & ok);
		ready += fds[i].revents != 0;
	}
	return ready;
}

UK_SYSCALL(poll) { return do_poll((struct pollfd *)a0, (unsigned long)a1); }
UK_SYSCALL(ppoll) { return do_poll((struct pollfd *)a0, (unsigned long)a1); }

/* fd_set bitmaps: readable and writable sets keep their open fds, exceptional ones clear. */
static long do_select(long nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex)
{
	long ready = 0;

	if (nfds < 0 || nfds > FD_LIMIT)
		return -EINVAL;
	for (long fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		bool asked = (rd && rd[fd / 64] & bit) || (wr && wr[fd / 64] & bit) || (ex && ex[fd / 64] & bit);
		if (asked && check_fd(fd))
			return -EBADF;
		ready += rd && (rd[fd / 64] & bit) ? 1 : 0;
		ready += wr && (wr[fd / 64] & bit) ? 1 : 0;
		if (ex)
			ex[fd / 64] &= ~bit;
	}
	return ready;
}

UK_SYSCALL(select) { return do_select(a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3); }
UK_SYSCALL(pselect6) { return do_select(a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3); }
