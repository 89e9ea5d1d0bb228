/* Syscall round trip against a plain function call, in cycles of the CPU's counter per operation
 * (x86_64: the TSC; arm64: the generic timer's virtual count, CNTFRQ_EL0 a second). */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 200000

static inline unsigned long long tsc(void)
{
#ifdef __aarch64__
	unsigned long long v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
#endif
}

__attribute__((noinline)) long plain_call(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int main(void)
{
	long acc = 0;
	unsigned long long t0 = tsc();
	for (int i = 0; i < N; i++)
		acc += syscall(SYS_getpid);
	unsigned long long t1 = tsc();
	for (int i = 0; i < N; i++)
		acc += plain_call(i);
	unsigned long long t2 = tsc();
	printf("syscall %.1f cycles, function call %.1f cycles (%ld)\n",
	       (double)(t1 - t0) / N, (double)(t2 - t1) / N, acc & 1);
	return 0;
}
