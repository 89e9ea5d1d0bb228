/* Parse /proc/self/maps: every line "lo-hi perms off dev inode [name]", sorted, non-overlapping;
 * the stack pointer, main's code and a fresh mapping each fall in a line with the right perms. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static char perms_at(unsigned long addr, char *perms)
{
	char line[512];
	unsigned long lo, hi, last = 0;
	int ordered = 1, found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3 || lo >= hi)
			return fclose(f), 0;
		ordered &= lo >= last;
		last = hi;
		if (addr >= lo && addr < hi)
			found = 1, memcpy(perms, p, 5);
	}
	fclose(f);
	return ordered && found;
}

int main(void)
{
	char perms[5] = "", local;
	char *m = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	printf("stack %d %.2s\n", perms_at((unsigned long)&local, perms), perms);
	printf("code %d %c\n", perms_at((unsigned long)main, perms), perms[0]);
	printf("mapping %d %s\n", perms_at((unsigned long)m + 4096, perms), perms);
	mprotect(m, 65536, PROT_READ | PROT_WRITE);
	printf("after mprotect %d %s\n", perms_at((unsigned long)m + 4096, perms), perms);
	munmap(m, 65536);
	printf("after munmap %d\n", perms_at((unsigned long)m + 4096, perms));
	return 0;
}
