/* The classic: one line on stdout, exit 0. */
#include <stdio.h>

int main(void)
{
	printf("Hello from unicore!\n");
	return 0;
}
