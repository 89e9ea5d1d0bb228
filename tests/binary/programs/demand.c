/* Demand paging, as on Linux: reserve 1 GiB, touch 8 MiB of it, read VmRSS back from
 * /proc/self/status; mincore answers; madvise(MADV_DONTNEED) and munmap give pages back;
 * MAP_FIXED_NOREPLACE and mremap behave as on Linux. Prints lines the test compares. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

static long vm_kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int resident(const char *p, size_t len)
{
	unsigned char vec[4096];
	int n = 0;

	if (mincore((void *)p, len, vec))
		return -errno;
	for (size_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

int main(void)
{
	size_t gib = 1UL << 30, touch = 8UL << 20;
	setvbuf(stdout, NULL, _IOLBF, 0);
	long before = vm_kib("VmRSS:");
	char *p = mmap(NULL, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	printf("reserved 1 GiB: rss grew %s\n", vm_kib("VmRSS:") - before < 1024 ? "under 1 MiB" : "too much");
	for (size_t i = 0; i < touch; i += 4096)
		p[i] = (char)(i >> 12);
	long grew = vm_kib("VmRSS:") - before;
	printf("touched 8 MiB: rss grew %s\n", grew >= 8192 && grew < 8192 + 1024 ? "8 MiB" : "wrong");
	int sum = 0;
	for (size_t i = 0; i < touch; i += 4096)
		sum += p[i] == (char)(i >> 12);
	printf("pages kept their bytes %d/2048, untouched reads zero %d\n", sum, p[touch + 12345] == 0);
	printf("mincore first 16 pages %d, ", resident(p, 65536));
	printf("pages past the touched ones %d\n", resident(p + touch + 65536, 65536));
	printf("mincore unmapped %d\n", resident(p - 65536, 65536));
	madvise(p, 1 << 20, MADV_DONTNEED);
	int left = resident(p, 65536);
	printf("after MADV_DONTNEED: resident %d, reads %d\n", left, p[4096]);
	char *q = mmap(p + (2 << 20), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("MAP_FIXED_NOREPLACE over a mapping: %s\n", q == MAP_FAILED && errno == EEXIST ? "EEXIST" : "mapped");
	munmap(p, gib);
	printf("after munmap: rss back %s, mincore %d\n", vm_kib("VmRSS:") - before < 1024 ? "yes" : "no", resident(p, 4096));
	char *r = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(r, "kept");
	mprotect(r + 8192, 4096, PROT_NONE); /* the third page blocks growth in place */
	char *s = mremap(r, 8192, 1 << 20, MREMAP_MAYMOVE);
	if (s == MAP_FAILED)
		return perror("mremap"), 1;
	printf("mremap moved %d, bytes %s, tail zero %d\n", s != r, s, s[(1 << 20) - 1] == 0);
	printf("mremap without MAYMOVE blocked: %s\n", mremap(s, 1 << 20, 2 << 20, 0) == MAP_FAILED ? strerror(errno) : "grew");
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss over 8 MiB %d, rss high-water %s\n", ru.ru_maxrss > 8192, vm_kib("VmHWM:") >= 8192 ? "kept" : "lost");
	return 0;
}
