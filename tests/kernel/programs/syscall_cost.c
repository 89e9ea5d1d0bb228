/* Syscall cost: N getppid() calls through musl (N = argv[1], default 100000), the time per
 * call on stderr in ns (clock_gettime around the loop), and on stdout whether every call
 * returned the same value and the first byte of musl's getppid (0xb8, `mov $110, %eax`, as
 * linked; 0xe9, a jmp, once plat spt rewrote the site into a direct call). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct timespec a, b;
	pid_t first = getppid(), bad = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		bad += getppid() != first;
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n;
	printf("calls %ld mismatches %d getppid[0] %#x\n", n, (int)bad, *(volatile unsigned char *)getppid);
	fprintf(stderr, "ns/call %.1f\n", ns);
	return 0;
}
