/* vfs kernel glue: the only vfs file that talks to core and the platform (allocation,
 * console, clock, log, boot-time init). The host test harness (tests/fs/shim.c) replaces it. */
#include <uk/core.h>
#include <uk/wait.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/posix-process.h>
#include <uk/posix-signal.h>
#include <uk/posix-event.h>

UK_OPTIONAL(uk_posix_signal_send);
UK_OPTIONAL(uk_posix_event_file_gone);

void *uk_vfs_alloc(size_t size)
{
	return uk_core_zalloc(size);
}

void uk_vfs_free(void *ptr)
{
	if (ptr)
		uk_core_free(ptr);
}

long uk_vfs_console_write(int fd, const char *buf, size_t len)
{
	return uk_plat_console_write(fd, buf, len);
}

long uk_vfs_console_read(char *buf, size_t len, int nonblock)
{
	return uk_plat_console_read(buf, len, !nonblock);
}

/* Nodes made while booting get time 0: reading the clock would calibrate the TSC (about
 * 2 ms) before main; the program's first file operation pays for it instead. */
static int clock_ok;

void uk_vfs_now(struct uk_timespec *ts)
{
	uint64_t ns = clock_ok ? uk_plat_wall_ns() : 0;

	ts->tv_sec = (int64_t)(ns / 1000000000ULL);
	ts->tv_nsec = (int64_t)(ns % 1000000000ULL);
}

void uk_vfs_log(const char *msg)
{
	uk_core_log(UK_LOG_ERR, "%s", msg);
}

int uk_vfs_debug(void)
{
	return uk_core_boot.debug;
}

const char *uk_vfs_boot_param(const char *key)
{
	return uk_core_boot_param(key);
}

_Noreturn void uk_vfs_fail(int status)
{
	uk_plat_exit(status);
}

/* For kernel libraries that make nodes after vfs's init but before the program starts (exec's
 * /proc/self/exe): hold=1 gives them the boot time 0 too, hold=0 goes back to the clock. */
void uk_vfs_boot_clock_hold(int hold)
{
	clock_ok = !hold;
}

static void vfs_boot_init(void)
{
	uk_vfs_init();
	clock_ok = 1;
}
UK_INIT(vfs_boot_init, 5);

/* mmap of a file, called by posix-mm's mmap for non-anonymous mappings: anonymous pages from
 * posix-mm (weak: absent when the program never maps memory), filled with the file's bytes.
 * MAP_PRIVATE is exact; MAP_SHARED is a snapshot, so writable shared maps are refused. */
#define UK_PROT_WRITE 0x2
#define UK_MAP_SHARED 0x01
#define UK_MAP_ANONYMOUS 0x20
UK_SYSCALL_DECL(mmap);
UK_SYSCALL_DECL(munmap);
UK_OPTIONAL(uk_sys_mmap);
UK_OPTIONAL(uk_sys_munmap);
UK_SYSCALL_DECL(mprotect);
UK_OPTIONAL(uk_sys_mprotect);
#define UK_MAP_POPULATE 0x8000

long uk_vfs_mmap_file(long addr, long len, long prot, long flags, long fd, long off)
{
	long a, err;

	if (!uk_sys_mmap)
		return -ENODEV;
	if (off & 4095)
		return -EINVAL;
	if (!uk_vfs_fd_get((int)fd))
		return -EBADF;
	if ((flags & UK_MAP_SHARED) && (prot & UK_PROT_WRITE))
		return -ENODEV;
	/* writable and backed while the bytes go in (read-only pages are enforced), then prot */
	a = uk_sys_mmap(addr, len, prot | UK_PROT_WRITE, flags | UK_MAP_ANONYMOUS | UK_MAP_POPULATE, -1, 0);
	if (a < 0)
		return a;
	err = uk_vfs_mmap_fill((int)fd, off, (void *)a, (size_t)len);
	if (err) {
		if (uk_sys_munmap)
			uk_sys_munmap(a, len, 0, 0, 0, 0);
		return err;
	}
	if (!(prot & UK_PROT_WRITE) && uk_sys_mprotect)
		uk_sys_mprotect(a, len, prot, 0, 0, 0);
	return a;
}

struct uk_waitq *uk_vfs_waitq_new(void) { return uk_core_zalloc(sizeof(struct uk_waitq)); }
void uk_vfs_wake(struct uk_waitq *q) { uk_core_waitq_wake_all(q); }

long uk_vfs_wait(struct uk_waitq *q, const char *what)
{
	return uk_core_waitq_sleep(q, 0, what);
}

/* SIGPIPE to the writing thread (posix-signal); the write fails with EPIPE as well, which the
 * program sees when it ignores or handles the signal. */
void uk_vfs_sigpipe(void)
{
	if (uk_posix_signal_send)
		uk_posix_signal_send(UK_PID, UK_POSIX_SIGNAL_SELF, UK_SIGPIPE, NULL);
}

void uk_vfs_file_gone(struct uk_file *f)
{
	if (uk_posix_event_file_gone)
		uk_posix_event_file_gone(f);
}
