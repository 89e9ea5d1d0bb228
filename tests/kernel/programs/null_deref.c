/* Dereferences NULL in a named function: the crash report must name it. */
#include <stdio.h>

__attribute__((noinline)) int crash_here(volatile int *p)
{
	return *p + 1;
}

int main(void)
{
	printf("about to crash\n");
	fflush(stdout);
	return crash_here((volatile int *)0);
}
