/* Calls getppid, which the test leaves out of the image: expects -1/ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long r = syscall(SYS_getppid);
	printf("getppid -> %ld errno=%s\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : strerror(errno));
	return r < 0 && errno == ENOSYS ? 0 : 1;
}
