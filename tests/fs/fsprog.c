/* fsprog: file-system semantics exerciser. It prints one line per operation with its exact
 * result (a value or -ERRNO name), so the same source gives comparable transcripts:
 *   - natively on Linux (raw syscalls, in a fresh directory given as argv[1]);
 *   - in the host harness (UK_HOST_HARNESS: calls vfs/ramfs/devfs handlers directly);
 *   - in the unikernel (musl, raw syscalls) on ramfs or on a 9p volume.
 * Values that legitimately differ between file systems (inode numbers, times, st_dev, block
 * counts, directory order) are never printed; directory listings are sorted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef UK_HOST_HARNESS
#include "harness.h"
#define SYS(name, ...) harness_sys_##name(__VA_ARGS__)
#else
#include <errno.h>
static long raw(long r)
{
	return r < 0 ? -errno : r;
}
#ifndef SYS_open
/* The generic syscall table (arm64) has only the *at forms of the path calls: the legacy ones
 * this program exercises are issued as the *at calls libc would make for them (same results). */
enum { SYS_open = 10000, SYS_creat, SYS_access, SYS_stat, SYS_lstat, SYS_mkdir, SYS_rmdir, SYS_unlink,
       SYS_rename, SYS_link, SYS_symlink, SYS_readlink, SYS_chmod, SYS_dup2, SYS_pipe, SYS_utimes };

static long legacy(long nr, const long *a)
{
	struct timespec ts[2];
	const struct timeval *tv = (const struct timeval *)a[1];

	switch (nr) {
	case SYS_open: return syscall(SYS_openat, AT_FDCWD, a[0], a[1], a[2]);
	case SYS_creat: return syscall(SYS_openat, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]);
	case SYS_access: return syscall(SYS_faccessat, AT_FDCWD, a[0], a[1], 0);
	case SYS_stat: return syscall(SYS_newfstatat, AT_FDCWD, a[0], a[1], 0);
	case SYS_lstat: return syscall(SYS_newfstatat, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
	case SYS_mkdir: return syscall(SYS_mkdirat, AT_FDCWD, a[0], a[1]);
	case SYS_rmdir: return syscall(SYS_unlinkat, AT_FDCWD, a[0], AT_REMOVEDIR);
	case SYS_unlink: return syscall(SYS_unlinkat, AT_FDCWD, a[0], 0);
	case SYS_rename: return syscall(SYS_renameat, AT_FDCWD, a[0], AT_FDCWD, a[1]);
	case SYS_link: return syscall(SYS_linkat, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case SYS_symlink: return syscall(SYS_symlinkat, a[0], AT_FDCWD, a[1]);
	case SYS_readlink: return syscall(SYS_readlinkat, AT_FDCWD, a[0], a[1], a[2]);
	case SYS_chmod: return syscall(SYS_fchmodat, AT_FDCWD, a[0], a[1]);
	case SYS_pipe: return syscall(SYS_pipe2, a[0], 0);
	case SYS_dup2: /* dup3 refuses equal fds; dup2 returns a valid one unchanged */
		if (a[0] == a[1])
			return syscall(SYS_fcntl, a[0], F_GETFD) < 0 ? -1 : a[0];
		return syscall(SYS_dup3, a[0], a[1], 0);
	case SYS_utimes:
		if (tv)
			for (int i = 0; i < 2; i++)
				ts[i] = (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
		return syscall(SYS_utimensat, AT_FDCWD, a[0], tv ? ts : NULL, 0);
	}
	return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#define syscall6(nr, a) legacy(nr, a)
#else
#define syscall6(nr, a) syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5])
#endif

static long sys6(long nr, const long *a)
{
	return raw(syscall6(nr, a));
}
/* every argument widened to long, as the kernel reads registers */
#define SYS(name, ...) sys6(SYS_##name, (long[6]){ __VA_ARGS__ })
#endif

static const char *errname(long e)
{
	static const char *names[] = { [1] = "EPERM", [2] = "ENOENT", [9] = "EBADF", [11] = "EAGAIN", [32] = "EPIPE",
		[13] = "EACCES", [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV",
		[20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [24] = "EMFILE", [27] = "EFBIG",
		[28] = "ENOSPC", [29] = "ESPIPE", [34] = "ERANGE", [36] = "ENAMETOOLONG",
		[39] = "ENOTEMPTY", [40] = "ELOOP", [95] = "EOPNOTSUPP" };
	static char buf[32];

	if (e > 0 && e < (long)(sizeof(names) / sizeof(names[0])) && names[e])
		return names[e];
	snprintf(buf, sizeof(buf), "E%ld", e);
	return buf;
}

/* F_GETFL without O_LARGEFILE: Linux adds it on 64-bit (x86_64 0100000, arm64 0400000), QEMU's
 * user mode (the native run of an arm64 program) drops it; it means nothing on 64-bit. */
static long getfl(long r)
{
	return r < 0 ? r : r & ~(long)O_LARGEFILE;
}

static long show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -%s\n", what, errname(-r));
	else
		printf("%s = %ld\n", what, r);
	return r;
}

#define T(what, call) show(what, (call))
#define L(x) ((long)(x))

static void show_stat(const char *what, const char *path, int nofollow)
{
	struct stat st;
	long r = nofollow ? SYS(lstat, L(path), L(&st)) : SYS(stat, L(path), L(&st));

	if (r < 0) {
		show(what, r);
		return;
	}
	printf("%s: type=%o perm=%o nlink=%lu size=%ld\n", what, st.st_mode & S_IFMT,
	       st.st_mode & 07777, (unsigned long)(S_ISDIR(st.st_mode) ? 0 : st.st_nlink),
	       S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
	char buf[512], *names[64];
	int n = 0, i;
	long fd = SYS(open, L(path), O_RDONLY | O_DIRECTORY, 0), r, off;

	if (fd < 0) {
		show("list open", fd);
		return;
	}
	/* a small buffer forces several getdents64 calls */
	while ((r = SYS(getdents64, fd, L(buf), 64)) > 0) {
		for (off = 0; off < r;) {
			uint16_t reclen = *(uint16_t *)(buf + off + 16);
			unsigned char type = *(unsigned char *)(buf + off + 18);
			char *name = buf + off + 19;

			if (n < 64 && (names[n] = malloc(strlen(name) + 4)))
				sprintf(names[n++], "%s:%u", name, type);
			off += reclen;
		}
	}
	show("getdents64 end", r);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	printf("ls %s:", path);
	for (i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	SYS(close, fd);
}

static void read_show(const char *what, long fd, long len)
{
	char buf[256] = { 0 };
	long r = SYS(read, fd, L(buf), len);

	if (r < 0) {
		show(what, r);
		return;
	}
	printf("%s = %ld \"", what, r);
	for (long i = 0; i < r; i++)
		putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
	printf("\"\n");
}

static void basic_io(void)
{
	long fd = T("open creat", SYS(open, L("a.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644));
	struct iovec iov[3] = { { "vec", 3 }, { "", 0 }, { "tor", 3 } };
	char b1[4] = { 0 }, b2[5] = { 0 };
	struct iovec riov[2] = { { b1, 3 }, { b2, 4 } };

	T("write", SYS(write, fd, L("hello world"), 11));
	T("lseek cur", SYS(lseek, fd, 0, SEEK_CUR));
	T("lseek set", SYS(lseek, fd, 6, SEEK_SET));
	read_show("read", fd, 100);
	read_show("read eof", fd, 100);
	T("pwrite", SYS(pwrite64, fd, L("W"), 1, 6));
	{
		char b[8] = { 0 };
		T("pread", SYS(pread64, fd, L(b), 5, 6));
		printf("pread data %s\n", b);
	}
	T("lseek end", SYS(lseek, fd, 0, SEEK_END));
	T("writev", SYS(writev, fd, L(iov), 3));
	T("lseek neg", SYS(lseek, fd, -100, SEEK_CUR));
	T("lseek bad whence", SYS(lseek, fd, 0, 9));
	T("lseek 0", SYS(lseek, fd, 0, SEEK_SET));
	T("readv", SYS(readv, fd, L(riov), 2));
	printf("readv data %s|%s\n", b1, b2);
	T("ftruncate shrink", SYS(ftruncate, fd, 5));
	show_stat("stat a.txt", "a.txt", 0);
	T("ftruncate grow", SYS(ftruncate, fd, 8));
	T("pread hole", SYS(pread64, fd, L(b2), 4, 4));
	printf("hole bytes %d %d %d %d\n", b2[0], b2[1], b2[2], b2[3]);
	T("lseek far", SYS(lseek, fd, 20, SEEK_SET));
	T("write far", SYS(write, fd, L("Z"), 1));
	show_stat("stat sparse", "a.txt", 0);
	{
		struct stat st;
		long tmp = SYS(open, L("tmp.bin"), O_CREAT | O_RDWR, 0600);
		char c[8] = { 0 };

		SYS(write, tmp, L("abc"), 3);
		T("unlink open file", SYS(unlink, L("tmp.bin")));
		T("fstat unlinked", SYS(fstat, tmp, L(&st)));
		printf("unlinked nlink=%lu size=%ld\n", (unsigned long)st.st_nlink, (long)st.st_size);
		T("pwrite unlinked", SYS(pwrite64, tmp, L("d"), 1, 3));
		T("pread unlinked", SYS(pread64, tmp, L(c), 4, 0));
		printf("unlinked data %s\n", c);
		T("lseek end unlinked", SYS(lseek, tmp, 0, SEEK_END));
		T("close unlinked", SYS(close, tmp));
		T("stat after", SYS(stat, L("tmp.bin"), L(&st)));
	}
	T("fsync", SYS(fsync, fd));
	T("fdatasync", SYS(fdatasync, fd));
	T("close", SYS(close, fd));
	T("close again", SYS(close, fd));
	T("read closed", SYS(read, fd, L(b1), 1));
}

static void flags_and_modes(void)
{
	long fd, fd2;

	T("getfl stdout (a pipe natively)", getfl(SYS(fcntl, 1, F_GETFL, 0)));
	T("open excl existing", SYS(open, L("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0600));
	T("open missing", SYS(open, L("nope.txt"), O_RDONLY, 0));
	T("open missing dir", SYS(open, L("nodir/x"), O_CREAT | O_WRONLY, 0600));
	fd = T("open rdonly", SYS(open, L("a.txt"), O_RDONLY, 0));
	T("write to rdonly", SYS(write, fd, L("x"), 1));
	T("ftruncate rdonly", SYS(ftruncate, fd, 0));
	T("fcntl getfl", getfl(SYS(fcntl, fd, F_GETFL, 0)));
	T("fcntl getfd", SYS(fcntl, fd, F_GETFD, 0));
	T("fcntl setfd", SYS(fcntl, fd, F_SETFD, FD_CLOEXEC));
	T("fcntl getfd after", SYS(fcntl, fd, F_GETFD, 0));
	fd2 = T("fcntl dupfd 100", SYS(fcntl, fd, F_DUPFD, 100));
	T("fcntl getfd dup", SYS(fcntl, fd2, F_GETFD, 0));
	T("close dup", SYS(close, fd2));
	T("close", SYS(close, fd));
	fd = T("open append", SYS(open, L("a.txt"), O_WRONLY | O_APPEND, 0));
	T("lseek 0", SYS(lseek, fd, 0, SEEK_SET));
	T("write append", SYS(write, fd, L("END"), 3));
	T("lseek cur after append", SYS(lseek, fd, 0, SEEK_CUR));
	T("fcntl setfl clear append", SYS(fcntl, fd, F_SETFL, 0));
	T("fcntl getfl", getfl(SYS(fcntl, fd, F_GETFL, 0)));
	T("read from wronly", SYS(read, fd, L(&fd2), 1));
	T("close", SYS(close, fd));
	show_stat("stat after append", "a.txt", 0);
	T("creat", SYS(creat, L("b.txt"), 0666));
	T("umask", SYS(umask, 077));
	fd = T("open with umask", SYS(open, L("c.txt"), O_CREAT | O_WRONLY, 0666));
	show_stat("stat c.txt", "c.txt", 0);
	T("fchmod", SYS(fchmod, fd, 0640));
	show_stat("stat c.txt after fchmod", "c.txt", 0);
	T("umask restore", SYS(umask, 022));
	T("close", SYS(close, fd));
	T("open dir for write", SYS(open, L("."), O_WRONLY, 0));
	T("open file as dir", SYS(open, L("a.txt"), O_RDONLY | O_DIRECTORY, 0));
	T("access exists", SYS(access, L("a.txt"), R_OK | W_OK));
	T("access missing", SYS(access, L("zzz"), F_OK));
	T("access exec", SYS(access, L("a.txt"), X_OK));
	T("access bad mode", SYS(access, L("a.txt"), 0x40));
	T("faccessat", SYS(faccessat, AT_FDCWD, L("a.txt"), R_OK, 0));
}

static void dup_tests(void)
{
	long fd = SYS(open, L("a.txt"), O_RDONLY, 0), d1, d2;
	char c[4] = { 0 };

	d1 = T("dup", SYS(dup, fd));
	T("read via dup", SYS(read, d1, L(c), 2));
	T("offset shared", SYS(lseek, fd, 0, SEEK_CUR));
	d2 = T("dup2 to 20", SYS(dup2, fd, 20));
	T("dup2 same", SYS(dup2, fd, fd));
	T("dup3 same", SYS(dup3, fd, fd, 0));
	T("dup3 cloexec", SYS(dup3, fd, 21, O_CLOEXEC));
	T("getfd 21", SYS(fcntl, 21, F_GETFD, 0));
	T("dup3 bad flags", SYS(dup3, fd, 22, 1));
	T("dup bad fd", SYS(dup, 999));
	T("close 21", SYS(close, 21));
	T("close d2", SYS(close, d2));
	T("close d1", SYS(close, d1));
	T("close fd", SYS(close, fd));
}

static void dirs_and_names(void)
{
	char buf[256];
	long fd;

	T("mkdir d", SYS(mkdir, L("d"), 0755));
	T("mkdir d again", SYS(mkdir, L("d"), 0755));
	T("mkdir d/e", SYS(mkdir, L("d/e"), 0700));
	T("mkdir missing parent", SYS(mkdir, L("x/y"), 0755));
	T("mkdir under file", SYS(mkdir, L("a.txt/y"), 0755));
	show_stat("stat d", "d", 0);
	show_stat("stat d/e", "d/e", 0);
	T("create d/f", SYS(close, SYS(open, L("d/f"), O_CREAT | O_WRONLY, 0644)));
	T("stat via dotdot", SYS(access, L("d/e/../f"), F_OK));
	T("stat via dot", SYS(access, L("./d/./f"), F_OK));
	T("file as dir", SYS(access, L("a.txt/"), F_OK));
	T("rmdir nonempty", SYS(rmdir, L("d")));
	T("rmdir file", SYS(rmdir, L("d/f")));
	T("unlink dir", SYS(unlink, L("d/e")));
	T("rmdir dot", SYS(rmdir, L("d/e/.")));
	list_dir("d");
	T("rename file", SYS(rename, L("d/f"), L("d/e/g")));
	T("rename missing", SYS(rename, L("d/f"), L("d/h")));
	T("rename dir into itself", SYS(rename, L("d"), L("d/e/z")));
	T("rename file over dir", SYS(rename, L("b.txt"), L("d/e")));
	T("rename dir over file", SYS(rename, L("d/e"), L("b.txt")));
	T("rename over existing", SYS(rename, L("c.txt"), L("b.txt")));
	show_stat("stat b.txt", "b.txt", 0);
	T("rename dir", SYS(rename, L("d/e"), L("e2")));
	list_dir(".");
	list_dir("e2");
	T("renameat", SYS(renameat, AT_FDCWD, L("e2/g"), AT_FDCWD, L("g2")));
	T("rmdir e2", SYS(rmdir, L("e2")));
	T("unlink g2", SYS(unlink, L("g2")));
	T("unlink again", SYS(unlink, L("g2")));
	T("symlink", SYS(symlink, L("a.txt"), L("ln")));
	T("symlink exists", SYS(symlink, L("a.txt"), L("ln")));
	T("readlink", SYS(readlink, L("ln"), L(buf), sizeof(buf)));
	T("readlink short", SYS(readlink, L("ln"), L(buf), 3));
	T("readlink not link", SYS(readlink, L("a.txt"), L(buf), sizeof(buf)));
	show_stat("stat ln", "ln", 0);
	show_stat("lstat ln", "ln", 1);
	T("symlink dangling", SYS(symlink, L("missing-target"), L("dang")));
	show_stat("stat dangling", "dang", 0);
	fd = T("open creat through dangling", SYS(open, L("dang"), O_CREAT | O_WRONLY, 0644));
	T("close", SYS(close, fd));
	show_stat("stat created target", "missing-target", 0);
	T("symlink loop a", SYS(symlink, L("loop-b"), L("loop-a")));
	T("symlink loop b", SYS(symlink, L("loop-a"), L("loop-b")));
	T("open loop", SYS(open, L("loop-a"), O_RDONLY, 0));
	T("open nofollow", SYS(open, L("ln"), O_RDONLY | O_NOFOLLOW, 0));
	T("symlink dir", SYS(symlink, L("d"), L("dl")));
	T("access through dir link", SYS(access, L("dl/../a.txt"), F_OK));
	T("unlink link", SYS(unlink, L("dl")));
	T("unlinkat file", SYS(unlinkat, AT_FDCWD, L("dang"), 0));
	T("unlinkat dir flag on file", SYS(unlinkat, AT_FDCWD, L("loop-a"), AT_REMOVEDIR));
	T("unlinkat bad flag", SYS(unlinkat, AT_FDCWD, L("loop-a"), 1));
	fd = T("open dir", SYS(open, L("d"), O_RDONLY | O_DIRECTORY, 0));
	T("openat rel", SYS(close, SYS(openat, fd, L("new"), O_CREAT | O_WRONLY, 0644)));
	T("mkdirat", SYS(mkdirat, fd, L("sub"), 0755));
	T("unlinkat rmdir", SYS(unlinkat, fd, L("sub"), AT_REMOVEDIR));
	T("faccessat dotdot", SYS(faccessat, fd, L("../a.txt"), F_OK, 0));
	T("read dir", SYS(read, fd, L(buf), 10));
	T("openat file fd", SYS(openat, 0 + SYS(open, L("a.txt"), O_RDONLY, 0), L("x"), O_RDONLY, 0));
	T("close dir", SYS(close, fd));
	list_dir("d");
	{
		char longname[300];

		memset(longname, 'a', 299);
		longname[299] = 0;
		T("long name", SYS(open, L(longname), O_RDONLY, 0));
	}
	T("empty path", SYS(open, L(""), O_RDONLY, 0));
	T("link", SYS(link, L("a.txt"), L("hard.txt")));
	show_stat("stat hard link", "hard.txt", 0);
	show_stat("stat original", "a.txt", 0);
	T("link exists", SYS(link, L("a.txt"), L("hard.txt")));
	T("link dir", SYS(link, L("d"), L("dirlink")));
	T("link missing", SYS(link, L("nope"), L("x")));
	T("rename onto own link", SYS(rename, L("a.txt"), L("hard.txt")));
	T("unlink hard link", SYS(unlink, L("hard.txt")));
	show_stat("stat original after", "a.txt", 0);
	T("linkat", SYS(linkat, AT_FDCWD, L("a.txt"), AT_FDCWD, L("h2"), 0));
	T("linkat bad flags", SYS(linkat, AT_FDCWD, L("a.txt"), AT_FDCWD, L("h3"), 1));
	T("unlink h2", SYS(unlink, L("h2")));
}

static void cwd_tests(void)
{
	char buf[4096], *base;
	long r;

	T("chdir d", SYS(chdir, L("d")));
	r = SYS(getcwd, L(buf), sizeof(buf));
	base = strrchr(buf, '/');
	printf("getcwd ok=%d last=%s\n", r > 0, base ? base : "?");
	T("getcwd small", SYS(getcwd, L(buf), 2));
	T("access rel after chdir", SYS(access, L("../a.txt"), F_OK));
	T("chdir file", SYS(chdir, L("new")));
	T("chdir missing", SYS(chdir, L("missing")));
	T("chdir back", SYS(chdir, L("..")));
	T("fchdir", SYS(fchdir, 0 + SYS(open, L("d"), O_RDONLY, 0)));
	T("access after fchdir", SYS(access, L("new"), F_OK));
	T("chdir back", SYS(chdir, L("..")));
}

static void lock_tests(void)
{
	long fd = SYS(open, L("a.txt"), O_RDWR, 0), ro = SYS(open, L("a.txt"), O_RDONLY, 0);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };

	T("setlk wr", SYS(fcntl, fd, F_SETLK, L(&fl)));
	fl.l_type = F_RDLCK, fl.l_start = 20, fl.l_len = 0;
	T("setlk rd to eof", SYS(fcntl, fd, F_SETLK, L(&fl)));
	fl.l_type = F_WRLCK, fl.l_start = 0, fl.l_len = 100;
	T("getlk", SYS(fcntl, fd, F_GETLK, L(&fl)));
	printf("getlk type=%d\n", fl.l_type);
	fl.l_type = F_UNLCK, fl.l_start = 2, fl.l_len = 3;
	T("unlock middle", SYS(fcntl, fd, F_SETLK, L(&fl)));
	fl.l_type = F_WRLCK, fl.l_start = 0, fl.l_len = 1;
	T("setlkw", SYS(fcntl, fd, F_SETLKW, L(&fl)));
	T("setlk wr on rdonly", SYS(fcntl, ro, F_SETLK, L(&fl)));
	fl.l_type = 7;
	T("setlk bad type", SYS(fcntl, fd, F_SETLK, L(&fl)));
	fl.l_type = F_RDLCK, fl.l_whence = SEEK_SET, fl.l_start = -5;
	T("setlk negative start", SYS(fcntl, fd, F_SETLK, L(&fl)));
	fl.l_start = 0, fl.l_whence = 9;
	T("setlk bad whence", SYS(fcntl, fd, F_SETLK, L(&fl)));
	T("fcntl bad cmd", SYS(fcntl, fd, 9999, 0));
	T("close ro", SYS(close, ro));
	T("close rw", SYS(close, fd));
}

static void attr_tests(void)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };
	struct stat st;

	T("utimensat", SYS(utimensat, AT_FDCWD, L("a.txt"), L(ts), 0));
	SYS(stat, L("a.txt"), L(&st));
	printf("times %ld.%ld %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ts[0].tv_nsec = UTIME_OMIT, ts[1].tv_sec = 1300000000, ts[1].tv_nsec = 0;
	T("utimensat omit", SYS(utimensat, AT_FDCWD, L("a.txt"), L(ts), 0));
	SYS(stat, L("a.txt"), L(&st));
	printf("times %ld.%ld %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ts[0].tv_nsec = 2000000000;
	T("utimensat bad nsec", SYS(utimensat, AT_FDCWD, L("a.txt"), L(ts), 0));
	{
		struct timeval tv[2] = { { 1400000000, 250000 }, { 1500000000, 1 } };

		T("utimes", SYS(utimes, L("a.txt"), L(tv)));
		SYS(stat, L("a.txt"), L(&st));
		printf("utimes %ld.%ld %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		tv[0].tv_usec = 1000000;
		T("utimes bad usec", SYS(utimes, L("a.txt"), L(tv)));
	}
	T("chmod", SYS(chmod, L("a.txt"), 0600));
	show_stat("stat after chmod", "a.txt", 0);
	T("fchmodat", SYS(fchmodat, AT_FDCWD, L("a.txt"), 0644, 0));
	T("newfstatat", SYS(newfstatat, AT_FDCWD, L("a.txt"), L(&st), 0));
	printf("newfstatat size=%ld\n", (long)st.st_size);
	T("newfstatat nofollow", SYS(newfstatat, AT_FDCWD, L("ln"), L(&st), AT_SYMLINK_NOFOLLOW));
	printf("is link %d\n", S_ISLNK(st.st_mode));
	{
		long fd = SYS(open, L("a.txt"), O_RDONLY, 0);

		T("newfstatat empty path", SYS(newfstatat, fd, L(""), L(&st), AT_EMPTY_PATH));
		printf("empty-path size=%ld\n", (long)st.st_size);
		T("fstat", SYS(fstat, fd, L(&st)));
		printf("fstat mode=%o\n", st.st_mode);
		SYS(close, fd);
	}
	{
		unsigned char sx[256];
		T("statx", SYS(statx, AT_FDCWD, L("a.txt"), 0, 0x7ff, L(sx)));
		printf("statx size=%llu mode=%o\n", (unsigned long long)*(uint64_t *)(sx + 40),
		       *(uint16_t *)(sx + 28));
	}
	T("stat missing", SYS(stat, L("missing"), L(&st)));
	T("fstat bad fd", SYS(fstat, 555, L(&st)));
	T("truncate path", SYS(truncate, L("a.txt"), 3));
	show_stat("stat truncated", "a.txt", 0);
	T("truncate dir", SYS(truncate, L("d"), 3));
}

static void copy_tests(void)
{
	long src = SYS(open, L("src.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	long dst = SYS(open, L("dst.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644), app;
	char a[4] = { 0 }, b[8] = { 0 }, back[32] = { 0 };
	struct iovec iov[2] = { { a, 3 }, { b, 5 } }, wiov[2] = { { "XY", 2 }, { "Z", 1 } };
	int64_t off = 4, oin = 0;
	struct stat st;

	SYS(write, src, L("0123456789abcdef"), 16);
	SYS(lseek, src, 0, SEEK_SET);
	T("sendfile with offset", SYS(sendfile, dst, src, L(&off), 6));
	printf("sendfile offset now %ld, src offset %ld\n", (long)off, SYS(lseek, src, 0, SEEK_CUR));
	T("sendfile without offset", SYS(sendfile, dst, src, 0, 3));
	T("copy_file_range", SYS(copy_file_range, src, L(&oin), dst, 0, 4, 0));
	printf("copy in offset %ld\n", (long)oin);
	T("copy_file_range bad flags", SYS(copy_file_range, src, L(&oin), dst, 0, 4, 1));
	T("pread dst", SYS(pread64, dst, L(back), 31, 0));
	printf("dst: %s\n", back);
	T("preadv", SYS(preadv, src, L(iov), 2, 2));
	printf("preadv: %s|%s\n", a, b);
	T("pwritev", SYS(pwritev, dst, L(wiov), 2, 1));
	memset(back, 0, sizeof(back));
	SYS(pread64, dst, L(back), 31, 0);
	printf("dst after pwritev: %s\n", back);
	T("preadv negative offset", SYS(preadv, src, L(iov), 2, -1));
	T("fallocate grow", SYS(fallocate, dst, 0, 0, 100));
	SYS(fstat, dst, L(&st));
	printf("size after fallocate %ld\n", (long)st.st_size);
	T("fallocate inside", SYS(fallocate, dst, 0, 10, 5));
	T("fallocate bad len", SYS(fallocate, dst, 0, 0, 0));
	app = SYS(open, L("dst.bin"), O_WRONLY | O_APPEND, 0);
	T("copy_file_range to O_APPEND", SYS(copy_file_range, src, 0, app, 0, 4, 0));
	T("flock ex", SYS(flock, dst, LOCK_EX));
	T("flock un", SYS(flock, dst, LOCK_UN));
	T("flock bad", SYS(flock, dst, LOCK_SH | LOCK_EX));
	T("flock bad fd", SYS(flock, 700, LOCK_SH));
	SYS(close, app);
	SYS(close, src);
	SYS(close, dst);
}

static void pipe_tests(void)
{
	int p[2];
	char buf[16] = { 0 };
	struct stat st;

	T("pipe2 nonblock", SYS(pipe2, L(p), O_NONBLOCK));
	T("write pipe", SYS(write, p[1], L("hello"), 5));
	T("read pipe", SYS(read, p[0], L(buf), 16));
	printf("pipe data %s\n", buf);
	T("read empty nonblocking", SYS(read, p[0], L(buf), 16));
	T("getfl read end", getfl(SYS(fcntl, p[0], F_GETFL, 0)));
	T("getfl write end", getfl(SYS(fcntl, p[1], F_GETFL, 0)));
	T("fstat pipe", SYS(fstat, p[0], L(&st)));
	printf("pipe mode %o\n", (unsigned)st.st_mode);
	T("lseek pipe", SYS(lseek, p[0], 0, SEEK_SET));
	T("write to read end", SYS(write, p[0], L("x"), 1));
	T("close write end", SYS(close, p[1]));
	T("read at eof", SYS(read, p[0], L(buf), 16));
	T("close read end", SYS(close, p[0]));
	T("pipe2 bad flags", SYS(pipe2, L(p), 1));
	T("pipe", SYS(pipe, L(p)));
	T("close read end", SYS(close, p[0]));
	T("write without reader", SYS(write, p[1], L("x"), 1));
	T("close", SYS(close, p[1]));
}

static void dev_tests(void)
{
	unsigned char buf[16];
	long fd;
	struct stat st;
	int nonzero = 0;

	fd = T("open /dev/null", SYS(open, L("/dev/null"), O_RDWR, 0));
	T("write null", SYS(write, fd, L("abc"), 3));
	T("read null", SYS(read, fd, L(buf), 3));
	T("close", SYS(close, fd));
	fd = SYS(open, L("/dev/zero"), O_RDONLY, 0);
	memset(buf, 7, sizeof(buf));
	T("read zero", SYS(read, fd, L(buf), 16));
	printf("zero bytes sum %d\n", buf[0] + buf[5] + buf[15]);
	SYS(close, fd);
	fd = SYS(open, L("/dev/urandom"), O_RDONLY, 0);
	T("read urandom", SYS(read, fd, L(buf), 16));
	for (int i = 0; i < 16; i++)
		nonzero |= buf[i];
	printf("urandom nonzero %d\n", nonzero != 0);
	T("lseek urandom", SYS(lseek, fd, 0, SEEK_SET));
	SYS(close, fd);
	T("stat /dev/null", SYS(stat, L("/dev/null"), L(&st)));
	printf("null chr=%d rdev=%d,%d\n", S_ISCHR(st.st_mode), (int)(st.st_rdev >> 8),
	       (int)(st.st_rdev & 0xff));
	T("access /dev/random", SYS(access, L("/dev/random"), R_OK));
	T("open /dev/nothing", SYS(open, L("/dev/nothing"), O_RDONLY, 0));
	fd = SYS(open, L("/dev/stdout"), O_WRONLY, 0);
	T("write /dev/stdout", SYS(write, fd, L("via /dev/stdout\n"), 16));
	SYS(close, fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
#ifndef UK_HOST_HARNESS
	signal(SIGPIPE, SIG_IGN); /* a write without reader must give EPIPE, not kill us */
#endif
#ifdef UK_HOST_HARNESS
	harness_init();
#endif
	if (argc > 1)
		SYS(mkdir, L(argv[1]), 0755); /* the unikernel starts with an empty ramfs */
	if (argc > 1 && SYS(chdir, L(argv[1])) < 0) {
		printf("cannot chdir to %s\n", argv[1]);
		return 2;
	}
	basic_io();
	flags_and_modes();
	dup_tests();
	dirs_and_names();
	cwd_tests();
	lock_tests();
	attr_tests();
	copy_tests();
	pipe_tests();
	if (argc < 3 || strcmp(argv[2], "nodev"))
		dev_tests();
#ifdef UK_HOST_HARNESS
	harness_extra();
#endif
	printf("done\n");
	return 0;
}
