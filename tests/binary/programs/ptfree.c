/* Page-table pages go back with munmap: 64 rounds of reserving 1 GiB, touching one byte per
 * 2 MiB (a page table each: 2 MiB of tables per round) and unmapping it, each round at a new
 * address (a hint), so no round finds the tables of another. In a 32 MiB guest that only ends if
 * munmap frees the tables as well as the pages. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	size_t gib = 1UL << 30;
	int round;

	for (round = 0; round < 64; round++) {
		char *hint = (char *)(0x100000000000UL + ((unsigned long)round << 31));
		char *p = mmap(hint, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != hint)
			return printf("round %d: mmap at %p, not the hint\n", round, (void *)p), 1;
		for (size_t i = 0; i < gib; i += 2UL << 20)
			p[i] = 1;
		munmap(p, gib);
	}
	printf("%d rounds of 512 page tables\n", round);
	return 0;
}
