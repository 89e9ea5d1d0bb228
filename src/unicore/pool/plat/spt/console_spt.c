/* spt console: the program's stdout and stderr are the process's fds 1 and 2, its stdin fd 0,
 * kernel messages fd 3 (the tender makes it a copy of stderr when the runner gave none). The
 * host's pipes and terminals do the flow control; nothing is framed. */
#include <uk/arch.h>
#include <uk/plat.h>
#include "spt.h"

#define EINTR 4
#define EAGAIN 11
#define POLLIN 1

void uk_plat_spt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		long n = uk_linux_syscall3(UK_LINUX_NR_WRITE, fd, p, len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return; /* the reader went away: the bytes are lost, as they would be natively */
		p += n;
		len -= (size_t)n;
	}
}

/* Streams 1 and 2; another stream (tty's terminal settings for a lent terminal: the runner
 * lends none to spt) has no host end here and is dropped. */
long uk_plat_console_write(int fd, const void *buf, size_t len)
{
	if (fd == 1 || fd == 2)
		uk_plat_spt_write_all(fd, buf, len);
	return (long)len;
}

void uk_plat_kernel_write(const char *buf, size_t len) { uk_plat_spt_write_all(UK_LINUX_FD_KERNEL, buf, len); }

static bool stdin_ready(void)
{
	struct { int fd; short events, revents; } p = { UK_LINUX_FD_STDIN, POLLIN, 0 };
	static const long zero[2] = { 0, 0 };

	return uk_linux_syscall6(UK_LINUX_NR_PPOLL, (long)&p, 1, (long)zero, 0, 8, 0) > 0;
}

long uk_plat_console_read(char *buf, size_t len, bool wait)
{
	static bool ended;
	long n;

	if (ended)
		return 0;
	if (!wait && !stdin_ready())
		return -EAGAIN;
	do
		n = uk_linux_syscall3(UK_LINUX_NR_READ, UK_LINUX_FD_STDIN, buf, len);
	while (n == -EINTR);
	if (n <= 0)
		ended = true, n = 0;
	return n;
}
