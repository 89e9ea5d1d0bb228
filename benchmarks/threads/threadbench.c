/* Thread micro-benchmarks (benchmarks/threads_bench.py runs it natively and as a unikernel):
 *   create N     pthread_create + pthread_join of an empty thread, N times: ns per pair
 *   pingpong N   two threads hand a token back and forth through raw futex wait/wake, N round
 *                trips: ns per round trip
 *   switch N     two threads sched_yield to each other N times each: TSC cycles per switch
 *   sleep S      sleep S seconds (the harness measures the CPU time that costs)
 * Prints "<what> <value>". */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *nothing(void *arg) { return arg; }

static void bench_create(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	printf("create_join_ns %.0f\n", (double)(now_ns() - t0) / (double)n);
}

static _Atomic int token;
static long rounds;

static void futex_wait(_Atomic int *addr, int val) { syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0); }
static void futex_wake(_Atomic int *addr) { syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

/* Player `me` (0 or 1) waits until the token is its own, then passes it on. */
static void *player(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (long i = 0; i < rounds; i++) {
		while (atomic_load(&token) != me)
			futex_wait(&token, !me);
		atomic_store(&token, !me);
		futex_wake(&token);
	}
	return NULL;
}

static void bench_pingpong(long n)
{
	pthread_t a, b;
	rounds = n;
	uint64_t t0 = now_ns();
	pthread_create(&a, NULL, player, (void *)0);
	pthread_create(&b, NULL, player, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("pingpong_ns %.0f\n", (double)(now_ns() - t0) / (double)n);
}

static void *yielder(void *arg)
{
	for (long i = 0; i < rounds; i++)
		sched_yield();
	return arg;
}

static void bench_switch(long n)
{
	pthread_t a, b;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one); /* natively too: both on one CPU, so a yield switches */
	rounds = n;
	uint64_t c0 = __rdtsc();
	pthread_create(&a, NULL, yielder, NULL);
	pthread_create(&b, NULL, yielder, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("switch_cycles %.0f\n", (double)(__rdtsc() - c0) / (double)(2 * n));
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "create"))
		bench_create(n);
	else if (!strcmp(argv[1], "pingpong"))
		bench_pingpong(n);
	else if (!strcmp(argv[1], "switch"))
		bench_switch(n);
	else if (!strcmp(argv[1], "sleep"))
		sleep((unsigned)n), printf("slept %ld\n", n);
	else
		return 2;
	return 0;
}
