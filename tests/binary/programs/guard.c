/* A guard page: PROT_NONE below a buffer; writing to it must end the program with SIGSEGV. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	mprotect(p, 4096, PROT_NONE);
	p[4096] = 1;
	printf("buffer written\n");
	fflush(stdout);
	((volatile char *)p)[100] = 1;
	printf("guard page written: not enforced\n");
	return 0;
}
