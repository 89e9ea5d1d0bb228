/* Process identity and exit (posix-process): one process, pid 1, running as root; with the
 * proc library (fork, execve) many, and these ask it. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-process.h>

#include <uk/link.h>
#include <uk/sched.h>
#include <uk/proc.h>

/* The sched library's, when the image has threads. */
UK_OPTIONAL(uk_sched_thread_exit);
UK_OPTIONAL(uk_sched_gettid);
UK_OPTIONAL(uk_sched_set_tid_address);
UK_OPTIONAL(uk_sched_yield);
UK_OPTIONAL(uk_proc_exit);
UK_OPTIONAL(uk_proc_exit_thread);
UK_OPTIONAL(uk_proc_getpid);
UK_OPTIONAL(uk_proc_getppid);

UK_SYSCALL(exit_group)
{
	if (uk_proc_exit)
		uk_proc_exit((int)a0);
	uk_core_exit((int)a0);
}

UK_SYSCALL(exit) /* one thread ends; the last one ends the process */
{
	if (uk_proc_exit_thread)
		uk_proc_exit_thread((int)a0);
	if (uk_sched_thread_exit)
		uk_sched_thread_exit((int)a0);
	uk_core_exit((int)a0);
}

UK_SYSCALL(getpid) { return uk_proc_getpid ? uk_proc_getpid() : UK_PID; }
UK_SYSCALL(gettid) { return uk_sched_gettid ? uk_sched_gettid() : UK_PID; }
UK_SYSCALL(getppid) { return uk_proc_getppid ? uk_proc_getppid() : 0; }
UK_SYSCALL(getuid) { return 0; }
UK_SYSCALL(geteuid) { return 0; }
UK_SYSCALL(getgid) { return 0; }
UK_SYSCALL(getegid) { return 0; }

UK_SYSCALL(sched_yield)
{
	if (uk_sched_yield)
		uk_sched_yield();
	return 0;
}

static long three_zeros(long a, long b, long c)
{
	unsigned *ids[3] = { (unsigned *)a, (unsigned *)b, (unsigned *)c };

	for (int i = 0; i < 3; i++)
		if (ids[i])
			*ids[i] = 0;
	return 0;
}

/* The one user is root: "becoming" root again (0, or -1 for unchanged) succeeds, as glibc's
 * posix_spawn with POSIX_SPAWN_RESETIDS and daemons dropping nothing do; another id cannot be. */
static long only_root(long a, long b, long c)
{
	long ids[3] = { a, b, c };

	for (int i = 0; i < 3; i++)
		if ((int)ids[i] != 0 && (int)ids[i] != -1)
			return -EPERM;
	return 0;
}

UK_SYSCALL(setuid) { return only_root(a0, 0, 0); }
UK_SYSCALL(setgid) { return only_root(a0, 0, 0); }
UK_SYSCALL(setreuid) { return only_root(a0, a1, 0); }
UK_SYSCALL(setregid) { return only_root(a0, a1, 0); }
UK_SYSCALL(setresuid) { return only_root(a0, a1, a2); }
UK_SYSCALL(setresgid) { return only_root(a0, a1, a2); }

/* Root has no supplementary groups; setting them to none or to group 0 succeeds (daemons drop
 * them before serving: memcached -u root, initgroups), any other group cannot be had. */
UK_SYSCALL(getgroups) { return a0 < 0 ? -EINVAL : 0; }

UK_SYSCALL(setgroups)
{
	const unsigned *gids = (const unsigned *)a1;

	if (a0 < 0 || a0 > 65536)
		return -EINVAL;
	if (a0 && !gids)
		return -EFAULT;
	for (long i = 0; i < a0; i++)
		if (gids[i] != 0)
			return -EPERM;
	return 0;
}

UK_SYSCALL(getresuid) { return three_zeros(a0, a1, a2); }
UK_SYSCALL(getresgid) { return three_zeros(a0, a1, a2); }

UK_SYSCALL(set_tid_address)
{
	return uk_sched_set_tid_address ? uk_sched_set_tid_address((int *)a0) : UK_PID; /* one thread: never cleared */
}
