/* Scheduling syscalls (posix-sched): the unikernel runs one process on one CPU, so these
 * answer what Linux would answer for a process pinned to CPU 0 under SCHED_OTHER. glibc asks
 * sched_getaffinity for the CPU count (sysconf, malloc arenas); sched_yield is posix-process's. */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/posix-sched.h>

static bool is_self(long pid) { return pid == 0 || pid == 1; }

/* The kernel's mask is 8 bytes (one long): Linux returns the size it copied. */
UK_SYSCALL(sched_getaffinity)
{
	size_t len = (size_t)a1;

	if (!is_self(a0))
		return -ESRCH;
	if (len < 8 || len % 8)
		return -EINVAL;
	*(uint64_t *)a2 = 1; /* CPU 0 */
	return 8;
}

UK_SYSCALL(sched_setaffinity)
{
	if (!is_self(a0))
		return -ESRCH;
	if ((size_t)a1 < 1 || !(*(const uint8_t *)a2 & 1))
		return -EINVAL; /* a mask without CPU 0 leaves no CPU to run on */
	return 0;
}

UK_SYSCALL(sched_getscheduler) { return is_self(a0) ? UK_SCHED_OTHER : -ESRCH; }

UK_SYSCALL(sched_setscheduler)
{
	if (!is_self(a0))
		return -ESRCH;
	return a1 == UK_SCHED_OTHER ? 0 : -EPERM;
}

UK_SYSCALL(sched_getparam)
{
	if (!is_self(a0))
		return -ESRCH;
	*(int *)a1 = 0;
	return 0;
}

UK_SYSCALL(sched_setparam) { return is_self(a0) ? (*(const int *)a1 == 0 ? 0 : -EINVAL) : -ESRCH; }
UK_SYSCALL(sched_get_priority_max) { return a0 == UK_SCHED_OTHER ? 0 : (a0 == 1 || a0 == 2) ? 99 : -EINVAL; }
UK_SYSCALL(sched_get_priority_min) { return a0 == UK_SCHED_OTHER ? 0 : (a0 == 1 || a0 == 2) ? 1 : -EINVAL; }

/* getpriority returns 20 - nice (the raw syscall's convention); nice 0 here. */
static int nice_value;
UK_SYSCALL(getpriority) { return (a0 >= 0 && a0 <= 2 && (a1 == 0 || a1 == 1)) ? 20 - nice_value : -ESRCH; }

UK_SYSCALL(setpriority)
{
	if (a0 < 0 || a0 > 2 || (a1 != 0 && a1 != 1))
		return -ESRCH;
	nice_value = a2 < -20 ? -20 : a2 > 19 ? 19 : (int)a2;
	return 0;
}

UK_SYSCALL(getcpu)
{
	if (a0)
		*(unsigned *)a0 = 0;
	if (a1)
		*(unsigned *)a1 = 0;
	return 0;
}
