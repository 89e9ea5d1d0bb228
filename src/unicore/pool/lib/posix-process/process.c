/* Process identity and exit (posix-process): one process, pid 1, running as root. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-process.h>

UK_SYSCALL(exit_group) { uk_plat_exit((int)a0); }
UK_SYSCALL(exit) { uk_plat_exit((int)a0); } /* single-threaded: the last thread ends the process */
UK_SYSCALL(getpid) { return UK_PID; }
UK_SYSCALL(gettid) { return UK_PID; }
UK_SYSCALL(getppid) { return 0; }
UK_SYSCALL(getuid) { return 0; }
UK_SYSCALL(geteuid) { return 0; }
UK_SYSCALL(getgid) { return 0; }
UK_SYSCALL(getegid) { return 0; }
UK_SYSCALL(sched_yield) { return 0; }

static long three_zeros(long a, long b, long c)
{
	unsigned *ids[3] = { (unsigned *)a, (unsigned *)b, (unsigned *)c };

	for (int i = 0; i < 3; i++)
		if (ids[i])
			*ids[i] = 0;
	return 0;
}

UK_SYSCALL(getresuid) { return three_zeros(a0, a1, a2); }
UK_SYSCALL(getresgid) { return three_zeros(a0, a1, a2); }

static int *clear_child_tid;
UK_SYSCALL(set_tid_address)
{
	clear_child_tid = (int *)a0; /* kept for threads (later) */
	return UK_PID;
}
