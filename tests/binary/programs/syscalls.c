/* Binary test program (glibc): the syscalls glibc programs need beyond the basics, with the
 * answers the single-process, single-CPU unikernel gives (the test knows them exactly). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static void show_futex(void)
{
	uint32_t word = 5;
	struct timespec ts = { 0, 20 * 1000 * 1000 }, t0, t1;

	printf("futex wake -> %ld\n", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL));
	long r = futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL);
	printf("futex wait mismatch -> %ld %s\n", r, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("futex wait timeout -> %ld %s, waited >= 20 ms: %d\n", r, strerror(errno), elapsed_ms(&t0, &t1) >= 20.0);
}

static void show_limits(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile %llu %llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = 256;
	printf("setrlimit -> %d\n", setrlimit(RLIMIT_NOFILE, &rl));
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile now %llu\n", (unsigned long long)rl.rlim_cur);
	getrlimit(RLIMIT_STACK, &rl);
	printf("stack %llu\n", (unsigned long long)rl.rlim_cur);
}

int main(void)
{
	cpu_set_t set;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	char exe[256] = "";

	CPU_ZERO(&set);
	int r = sched_getaffinity(0, sizeof(set), &set);
	printf("sched_getaffinity -> %d, cpus %d\n", r, CPU_COUNT(&set));
	printf("nprocs %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	show_limits();
	show_futex();
	pthread_mutex_lock(&m);
	printf("mutex trylock while held -> %d\n", pthread_mutex_trylock(&m));
	pthread_mutex_unlock(&m);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	printf("exe %s (%zd)\n", n > 0 ? exe : strerror(errno), n);
	printf("getpriority -> %d\n", getpriority(PRIO_PROCESS, 0));
	return 0;
}
