/* Resource limits (posix-rlimit): one process, so limits are a table the program reads back.
 * Defaults follow a Linux login shell (glibc sizes its thread stacks and ld.so checks the
 * stack limit from these); the stack limit reports the stack the process library really
 * gave the program. The program runs as root, so any consistent change (cur <= max) is taken. */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/posix-rlimit.h>

#define INF UK_RLIM_INFINITY

#ifdef UK_PROCESS_STACK_KB
#define STACK_BYTES ((uint64_t)UK_PROCESS_STACK_KB * 1024)
#else
#define STACK_BYTES (8ULL << 20)
#endif

static struct uk_rlimit limits[UK_RLIM_NLIMITS] = {
	[UK_RLIMIT_CPU] = { INF, INF },   [UK_RLIMIT_FSIZE] = { INF, INF },
	[UK_RLIMIT_DATA] = { INF, INF },  [UK_RLIMIT_STACK] = { STACK_BYTES, INF },
	[UK_RLIMIT_CORE] = { 0, INF },    [5] = { INF, INF },  /* RSS */
	[6] = { 1, 1 },                   /* NPROC: one process */
	[UK_RLIMIT_NOFILE] = { UK_POSIX_RLIMIT_NOFILE, UK_POSIX_RLIMIT_NOFILE },
	[8] = { 8ULL << 20, 8ULL << 20 }, /* MEMLOCK */
	[UK_RLIMIT_AS] = { INF, INF },    [10] = { INF, INF },  /* LOCKS */
	[11] = { 0, 0 },                  /* SIGPENDING: no queued signals */
	[12] = { 819200, 819200 },        /* MSGQUEUE */
	[13] = { 0, 0 }, [14] = { 0, 0 }, /* NICE, RTPRIO */
	[15] = { INF, INF },              /* RTTIME */
};

struct uk_rlimit *uk_posix_rlimit_get(int res)
{
	return (res >= 0 && res < UK_RLIM_NLIMITS) ? &limits[res] : NULL;
}

static long set_limit(struct uk_rlimit *lim, const struct uk_rlimit *want)
{
	if (want->cur > want->max)
		return -EINVAL;
	*lim = *want;
	return 0;
}

/* pid 0 or our own pid (1) is this process; there is no other. */
UK_SYSCALL(prlimit64)
{
	struct uk_rlimit *lim = uk_posix_rlimit_get((int)a1), old;
	const struct uk_rlimit *want = (const void *)a2;

	if (a0 != 0 && a0 != 1)
		return -ESRCH;
	if (!lim)
		return -EINVAL;
	old = *lim;
	if (want) {
		long err = set_limit(lim, want);
		if (err)
			return err;
	}
	if (a3)
		*(struct uk_rlimit *)a3 = old;
	return 0;
}

UK_SYSCALL(getrlimit)
{
	struct uk_rlimit *lim = uk_posix_rlimit_get((int)a0);

	if (!lim)
		return -EINVAL;
	*(struct uk_rlimit *)a1 = *lim;
	return 0;
}

UK_SYSCALL(setrlimit)
{
	struct uk_rlimit *lim = uk_posix_rlimit_get((int)a0);

	return lim ? set_limit(lim, (const void *)a1) : -EINVAL;
}
