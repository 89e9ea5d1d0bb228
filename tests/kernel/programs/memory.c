/* Allocates and frees well over 100 MB in mixed sizes (malloc, realloc, calloc, free; musl uses
 * brk and mmap underneath), filling every block with a pattern and checking it back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64

static uint32_t rng = 12345;
static uint32_t next(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

static void fill(unsigned char *p, size_t n, unsigned seed) { for (size_t i = 0; i < n; i += 61) p[i] = (unsigned char)(seed + i); }
static int check(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i += 61)
		if (p[i] != (unsigned char)(seed + i))
			return 0;
	return 1;
}

static size_t pick_size(void)
{
	switch (next() % 4) {
	case 0: return 1 + next() % 256;            /* small */
	case 1: return 256 + next() % 16384;        /* medium */
	case 2: return 16384 + next() % 200000;     /* large */
	default: return 1000000 + next() % 3000000; /* mmap-sized */
	}
}

int main(void)
{
	unsigned char *slot[SLOTS] = { 0 };
	size_t size[SLOTS] = { 0 };
	unsigned seed[SLOTS] = { 0 };
	unsigned long long total = 0;
	int errors = 0, ops = 0;

	while (total < 120ull << 20) {
		int i = (int)(next() % SLOTS);
		if (slot[i] && !check(slot[i], size[i], seed[i]))
			errors++;
		if (slot[i] && next() % 3 == 0) {         /* grow or shrink, keeping the prefix */
			size_t n = pick_size(), keep = n < size[i] ? n : size[i];
			unsigned char *p = realloc(slot[i], n);
			if (!p || !check(p, keep, seed[i]))
				errors++;
			slot[i] = p, size[i] = n, total += n;
		} else {
			free(slot[i]);
			size[i] = pick_size();
			slot[i] = (next() & 1) ? malloc(size[i]) : calloc(1, size[i]);
			if (!slot[i]) { printf("allocation of %zu failed\n", size[i]); return 2; }
			total += size[i];
		}
		seed[i] = next();
		fill(slot[i], size[i], seed[i]);
		ops++;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i] && !check(slot[i], size[i], seed[i]))
			errors++;
		free(slot[i]);
	}
	printf("allocated %llu MB in %d operations, %d errors\n", total >> 20, ops, errors);
	return errors ? 1 : 0;
}
