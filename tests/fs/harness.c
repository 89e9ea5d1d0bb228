/* Host test harness, kernel-side checks that have no native counterpart: the console on fds
 * 0-2, ramfs quota (ENOSPC), mounts (EXDEV/EBUSY), the mmap hook, lock bookkeeping, EMFILE.
 * Output is deterministic and compared exactly by tests/fs/test_fs_host.py. */
#include <stdio.h>
#include <string.h>

#include <uk/vfs.h>
#include <uk/ramfs.h>

long uk_vfs_lock_count(int fd);
#define S(name, ...) uk_sys_##name(__VA_ARGS__)
#define P(what, v) printf("%s = %ld\n", what, (long)(v))

void harness_init(void)
{
	uk_vfs_init();
	uk_sys_mkdir((long)"/work", 0755, 0, 0, 0, 0);
}

static void console_checks(void)
{
	char buf[64] = { 0 };
	struct uk_stat st;

	P("console write", S(write, 1, (long)"console ok\n", 11, 0, 0, 0));
	P("console read 1", S(read, 0, (long)buf, 63, 0, 0, 0));
	P("console read 2", S(read, 0, (long)buf, 63, 0, 0, 0));
	printf("last line: %s", buf);
	P("console read eof", S(read, 0, (long)buf, 63, 0, 0, 0));
	P("console lseek", S(lseek, 1, 0, SEEK_CUR, 0, 0, 0));
	P("console fstat", S(fstat, 2, (long)&st, 0, 0, 0, 0));
	printf("console mode %o\n", st.st_mode);
}

static void quota_checks(void)
{
	static char chunk[4096];
	long fd, i, r;

	P("mkdir /small", S(mkdir, (long)"/small", 0755, 0, 0, 0, 0));
	P("mount ramfs quota 10000", uk_ramfs_mount("/small", 10000));
	fd = S(open, (long)"/small/big", O_CREAT | O_WRONLY, 0644, 0, 0, 0);
	for (i = 0; i < 5; i++) {
		r = S(write, fd, (long)chunk, sizeof(chunk), 0, 0, 0);
		printf("write %ld = %ld\n", i, r);
	}
	P("used when full", uk_ramfs_used("/small"));
	{
		struct uk_statfs sf;

		P("statfs", uk_vfs_statfs(AT_FDCWD, "/small/big", 0, &sf));
		printf("statfs type=%lx blocks=%lu free=%lu\n", (long)sf.f_type,
		       (unsigned long)sf.f_blocks, (unsigned long)sf.f_bfree);
	}
	P("create empty when full", S(close, S(open, (long)"/small/empty", O_CREAT | O_WRONLY, 0644, 0, 0, 0), 0, 0, 0, 0, 0));
	P("symlink when full", S(symlink, (long)"target-text", (long)"/small/ln", 0, 0, 0, 0));
	P("ftruncate shrink", S(ftruncate, fd, 100, 0, 0, 0, 0));
	P("used after shrink", uk_ramfs_used("/small"));
	P("ftruncate grow past quota", S(ftruncate, fd, 20000, 0, 0, 0, 0));
	P("pwrite far past quota", S(pwrite64, fd, (long)"x", 1, 1 << 20, 0, 0));
	P("rename across mounts", S(rename, (long)"/small/big", (long)"/work/big", 0, 0, 0, 0));
	P("rmdir mount point", S(rmdir, (long)"/small", 0, 0, 0, 0, 0));
	P("unlink open file", S(unlink, (long)"/small/big", 0, 0, 0, 0, 0));
	P("used while still open", uk_ramfs_used("/small"));
	P("close", S(close, fd, 0, 0, 0, 0, 0));
	P("used after close", uk_ramfs_used("/small"));
	P("unlink empty", S(unlink, (long)"/small/empty", 0, 0, 0, 0, 0));
	P("used at end", uk_ramfs_used("/small"));
}

static void mmap_and_lock_checks(void)
{
	char buf[16];
	struct uk_flock fl = { F_WRLCK, SEEK_SET, 0, 30, 0 };
	long fd = S(open, (long)"/work/m", O_CREAT | O_RDWR, 0644, 0, 0, 0);
	long wr = S(open, (long)"/work/m", O_WRONLY, 0, 0, 0, 0);

	S(write, fd, (long)"0123456789", 10, 0, 0, 0);
	memset(buf, 'x', sizeof(buf));
	P("mmap fill", uk_vfs_mmap_fill((int)fd, 4, buf, sizeof(buf)));
	printf("mapped: %.6s tail zero %d\n", buf, buf[6] == 0 && buf[15] == 0);
	P("mmap fill write-only fd", uk_vfs_mmap_fill((int)wr, 0, buf, 4));
	P("mmap fill bad fd", uk_vfs_mmap_fill(500, 0, buf, 4));
	P("mmap fill console", uk_vfs_mmap_fill(1, 0, buf, 4));
	P("setlk", S(fcntl, fd, F_SETLK, (long)&fl, 0, 0, 0));
	fl.l_type = F_UNLCK, fl.l_start = 10, fl.l_len = 5;
	P("unlock middle", S(fcntl, fd, F_SETLK, (long)&fl, 0, 0, 0));
	P("lock ranges", uk_vfs_lock_count((int)fd));
	fl.l_type = F_RDLCK, fl.l_start = 0, fl.l_len = 0;
	P("relock whole file", S(fcntl, fd, F_SETLK, (long)&fl, 0, 0, 0));
	P("lock ranges", uk_vfs_lock_count((int)fd));
	P("close other fd", S(close, wr, 0, 0, 0, 0, 0));
	P("lock ranges after close", uk_vfs_lock_count((int)fd));
	S(close, fd, 0, 0, 0, 0, 0);
}

static void limit_checks(void)
{
	long fds[1100], n = 0, r, i;
	char path[64];

	P("O_TMPFILE", S(open, (long)"/work", 020200000 | O_RDWR, 0600, 0, 0, 0));
	while ((r = S(open, (long)"/work/m", O_RDONLY, 0, 0, 0, 0)) >= 0 && n < 1100)
		fds[n++] = r;
	printf("opened %ld then %ld\n", n, r);
	for (i = 0; i < n; i++)
		S(close, fds[i], 0, 0, 0, 0, 0);
	for (i = 0; i < 41; i++) { /* a chain of 41 links is one too many */
		snprintf(path, sizeof(path), "/work/l%ld", i + 1);
		char target[64];
		snprintf(target, sizeof(target), "l%ld", i);
		S(symlink, (long)target, (long)path, 0, 0, 0, 0);
	}
	S(close, S(creat, (long)"/work/l0", 0644, 0, 0, 0, 0), 0, 0, 0, 0, 0);
	P("chain of 40", S(access, (long)"/work/l40", F_OK, 0, 0, 0, 0));
	P("chain of 41", S(access, (long)"/work/l41", F_OK, 0, 0, 0, 0));
	P("dotdot above root", S(access, (long)"/../../work/m", F_OK, 0, 0, 0, 0));
	P("dotdot out of mount", S(access, (long)"/dev/../work/m", F_OK, 0, 0, 0, 0));
}

void harness_extra(void)
{
	printf("--- harness ---\n");
	console_checks();
	quota_checks();
	mmap_and_lock_checks();
	limit_checks();
}
