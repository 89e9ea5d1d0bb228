/* First-touch page-fault cost: map MiB of anonymous memory, write one byte per 4 KiB page twice
 * (the first pass takes a fault per page: a zeroed page from the allocator; the second only
 * writes), and print nanoseconds per page for each pass and their difference (the fault's cost).
 * Run natively and as a unikernel by benchmarks/memory_bench.py. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double touch(volatile char *p, size_t len)
{
	double t0 = now_ns();

	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 32, len = mib << 20, pages = len / 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	double first = touch(p, len) / pages, again = touch(p, len) / pages;
	printf("pages=%zu first_ns=%.0f again_ns=%.0f fault_ns=%.0f\n", pages, first, again, first - again);
	return 0;
}
