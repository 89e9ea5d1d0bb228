/* Recurses without end: the stack's guard page must turn this into a crash report. */
#include <stdio.h>

__attribute__((noinline)) int deeper(volatile char *prev, int n)
{
	volatile char frame[256];
	frame[0] = (char)n;
	return deeper(frame, n + 1) + frame[0] + (prev ? prev[0] : 0);
}

int main(void)
{
	printf("recursing\n");
	fflush(stdout);
	return deeper(NULL, 0);
}
