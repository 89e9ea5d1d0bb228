/* Standard streams (posix-io): fds 0-2 only, each its own stream on the host through the
 * platform's console (stdin streamed while the program runs, docs/design.md). */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-io.h>
#include <uk/link.h>
#include <uk/tty.h>

UK_OPTIONAL(uk_tty_ioctl); /* a plan listing libraries by hand may leave tty out */


static long write_fd(long fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	return uk_plat_console_write((int)fd, buf, len);
}

UK_SYSCALL(write) { return write_fd(a0, (const void *)a1, (size_t)a2); }

UK_SYSCALL(read)
{
	if (a0 != 0)
		return -EBADF;
	return uk_plat_console_read((char *)a1, (size_t)a2, true);
}

UK_SYSCALL(writev)
{
	const struct uk_iovec *iov = (const void *)a1;
	long total = 0;

	if (a2 < 0 || a2 > 1024)
		return -EINVAL;
	for (long i = 0; i < a2; i++) {
		long r = write_fd(a0, iov[i].base, iov[i].len);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

UK_SYSCALL(readv)
{
	const struct uk_iovec *iov = (const void *)a1;
	long total = 0;

	if (a0 != 0)
		return -EBADF;
	for (long i = 0; i < a2; i++) {
		if (!iov[i].len)
			continue;
		long r = uk_plat_console_read(iov[i].base, iov[i].len, total == 0); /* then only what is there */
		if (r <= 0)
			break;
		total += r;
		if ((size_t)r < iov[i].len) /* short read: return what we have */
			break;
	}
	return total;
}

UK_SYSCALL(ioctl)
{
	if (a0 < 0 || a0 > 2)
		return -EBADF;
	if (!uk_tty_ioctl)
		return -ENOTTY;
	return uk_tty_ioctl((int)a0, (unsigned long)a1, (void *)a2); /* ENOTTY unless a terminal */
}

UK_SYSCALL(lseek) { return (a0 >= 0 && a0 <= 2) ? -ESPIPE : -EBADF; }
