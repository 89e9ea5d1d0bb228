/* An address-space scan with mincore, as libsigsegv does without /proc/self/maps: walk the
 * whole 47-bit space in 1 GiB steps counting the steps mincore says are mapped; it must end. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	unsigned char vec[1];
	unsigned long mapped = 0, unmapped = 0, step = 1UL << 30;
	char local;
	unsigned long sp = (unsigned long)&local & ~4095UL;

	for (unsigned long a = 0; a < (1UL << 47); a += step)
		mincore((void *)a, 4096, vec) == 0 ? mapped++ : errno == ENOMEM ? unmapped++ : 0;
	printf("scan ended: %lu of %lu steps unmapped\n", unmapped, mapped + unmapped);
	printf("stack page %d\n", mincore((void *)sp, 4096, vec) == 0 && (vec[0] & 1));
	return 0;
}
