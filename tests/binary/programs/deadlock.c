/* Binary test program: a futex wait that nothing can end (no timeout, one thread). */
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	static uint32_t word = 1;

	printf("waiting\n");
	fflush(stdout);
	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
	printf("woken?\n");
	return 0;
}
