/* mprotect on the program's own memory (below 4 GiB in the unikernel: its .bss, in the identity-
 * mapped RAM): read-only pages stay readable, writes to them fault with SIGSEGV, and giving the
 * rights back works. stderr says where the buffer is (the test's proof of the path taken). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

static char buf[4 * 4096] __attribute__((aligned(4096)));

int main(void)
{
	volatile char *p = buf;

	fprintf(stderr, "buffer below 4 GiB: %d\n", (uintptr_t)buf < (1UL << 32));
	p[4096] = 'a';
	if (mprotect(buf + 4096, 4096, PROT_READ))
		return perror("mprotect"), 1;
	p[0] = 'b', p[8192] = 'c'; /* the neighbours keep their rights */
	printf("read-only page reads %c, neighbours written\n", p[4096]);
	mprotect(buf + 4096, 4096, PROT_READ | PROT_WRITE);
	p[4096] = 'd';
	printf("rights back: written %c\n", p[4096]);
	mprotect(buf + 4096, 4096, PROT_READ);
	fflush(stdout);
	p[4096] = 'e';
	printf("read-only page written: not enforced\n");
	return 0;
}
