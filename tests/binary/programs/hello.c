/* Binary test program: prints its arguments and environment, uses malloc and stdio, and exits
 * with the status given as argv[1]. Built as musl static, glibc static, static-pie, dynamic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv)
{
	size_t total = 0;

	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	for (int i = 1; i <= 64; i++) { /* small and large blocks: brk and mmap paths of malloc */
		char *p = malloc((size_t)i * 4096);
		memset(p, i, (size_t)i * 4096);
		total += (unsigned char)p[i * 4096 - 1];
		free(p);
	}
	printf("sum %zu\n", total);
	fflush(stdout);
	return argc > 1 ? atoi(argv[1]) : 0;
}
