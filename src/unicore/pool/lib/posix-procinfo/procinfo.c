/* Process information and attributes (posix-procinfo) for the unikernel's one process (pid 1,
 * its own process group and session, all time spent "in user mode"). Programs ask these at
 * start-up: sort sizes its buffers from sysinfo, shells read their process group, glibc tries
 * membarrier (sigaltstack is posix-signal's). */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-procinfo.h>
#include <uk/posix-mm.h>
#include <uk/proc.h>

/* posix-mm's counters when it is linked (the resident high-water mark), else all pages in use. */
UK_OPTIONAL(uk_memory_hiwater_kib);
UK_OPTIONAL(uk_memory_faults);

#define NS 1000000000ULL
#define HZ 100
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_SECCOMP 21
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39

UK_SYSCALL(sysinfo)
{
	struct uk_sysinfo *si = (void *)a0;

	memset(si, 0, sizeof(*si));
	si->uptime = (int64_t)(uk_plat_monotonic_ns() / NS);
	si->totalram = uk_core_pages.npages * 4096;
	si->freeram = uk_core_pages.nfree * 4096;
	si->procs = 1;
	si->mem_unit = 1;
	return 0;
}

/* Everything since boot counts as the program's user time: there is nothing else. */
UK_SYSCALL(times)
{
	int64_t ticks = (int64_t)(uk_plat_monotonic_ns() / (NS / HZ));

	if (a0)
		*(struct uk_tms *)a0 = (struct uk_tms){ ticks, 0, 0, 0 };
	return ticks;
}

UK_SYSCALL(getrusage)
{
	struct uk_rusage *ru = (void *)a1;
	uint64_t ns = uk_plat_monotonic_ns();

	if (a0 != 0 && a0 != 1 && a0 != -1) /* SELF, THREAD, CHILDREN */
		return -EINVAL;
	memset(ru, 0, sizeof(*ru));
	if (a0 == -1)
		return 0; /* no children ever ran */
	ru->utime_sec = (int64_t)(ns / NS);
	ru->utime_usec = (int64_t)(ns % NS / 1000);
	ru->maxrss = (int64_t)(uk_memory_hiwater_kib ? uk_memory_hiwater_kib() : (uk_core_pages.npages - uk_core_pages.nfree) * 4);
	ru->minflt = (int64_t)(uk_memory_faults ? uk_memory_faults() : 0);
	return 0;
}

static char comm[16]; /* Linux: the executable's base name, at most 15 bytes */
static long dumpable = 1, pdeathsig, no_new_privs;

static void get_name(char *out)
{
	if (!comm[0]) {
		const char *name = uk_core_boot.argv[0], *slash = name;
		for (const char *c = name; *c; c++)
			if (*c == '/')
				slash = c + 1;
		uk_core_strncpy_z(comm, slash, sizeof(comm));
	}
	memcpy(out, comm, sizeof(comm));
}

UK_SYSCALL(prctl)
{
	switch (a0) {
	case PR_SET_NAME:
		uk_core_strncpy_z(comm, (const char *)a1, sizeof(comm));
		return 0;
	case PR_GET_NAME:
		get_name((char *)a1);
		return 0;
	case PR_SET_DUMPABLE:
		return (a1 == 0 || a1 == 1) ? (dumpable = a1, 0) : -EINVAL;
	case PR_GET_DUMPABLE:
		return dumpable;
	case PR_SET_PDEATHSIG:
		return (a1 >= 0 && a1 <= 64) ? (pdeathsig = a1, 0) : -EINVAL;
	case PR_GET_PDEATHSIG:
		*(int *)a1 = (int)pdeathsig;
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		return a1 == 1 ? (no_new_privs = 1, 0) : -EINVAL;
	case PR_GET_NO_NEW_PRIVS:
		return no_new_privs;
	case PR_GET_SECCOMP:
		return 0;
	default:
		return -EINVAL; /* as Linux answers an option it does not know */
	}
}

static unsigned long persona;
UK_SYSCALL(personality)
{
	unsigned long old = persona;

	if ((unsigned int)a0 != 0xffffffffu)
		persona = (unsigned int)a0;
	return (long)old;
}

/* With processes (lib/proc) groups and sessions are its; else the one process leads both. */
UK_OPTIONAL(uk_proc_getpgid);
UK_OPTIONAL(uk_proc_getsid);
UK_OPTIONAL(uk_proc_setsid);
UK_OPTIONAL(uk_proc_setpgid);

static bool is_self(long pid) { return pid == 0 || pid == 1; }
UK_SYSCALL(getpgrp) { return uk_proc_getpgid ? uk_proc_getpgid(0) : 1; }
UK_SYSCALL(getpgid) { return uk_proc_getpgid ? uk_proc_getpgid((int)a0) : is_self(a0) ? 1 : -ESRCH; }
UK_SYSCALL(getsid) { return uk_proc_getsid ? uk_proc_getsid((int)a0) : is_self(a0) ? 1 : -ESRCH; }
UK_SYSCALL(setsid) { return uk_proc_setsid ? uk_proc_setsid() : -EPERM; } /* pid 1 leads its group already */

UK_SYSCALL(setpgid)
{
	if (uk_proc_setpgid)
		return uk_proc_setpgid((int)a0, (int)a1);
	if (!is_self(a0))
		return -ESRCH;
	return (a1 == 0 || a1 == 1) ? 0 : -EPERM;
}

/* One thread: every barrier holds trivially, but saying none is supported keeps libraries on
 * their plain path (the query returns the supported-commands mask). */
UK_SYSCALL(membarrier) { return a0 == 0 ? 0 : -EINVAL; }
