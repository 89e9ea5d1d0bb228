/* Never ends: the runner's --timeout must stop it. */
#include <stdio.h>

int main(void)
{
	printf("hanging\n");
	fflush(stdout);
	for (volatile unsigned long i = 0;; i++)
		;
}
