/* Reads its own empty pipe in blocking mode: Linux would wait for ever (the only writer is this
 * process); the unikernel returns EAGAIN and, with --debug, says why. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	char c;

	if (pipe(p))
		return 1;
	ssize_t n = read(p[0], &c, 1);
	printf("read -> %zd %s\n", n, n < 0 ? strerror(errno) : "");
	return 0;
}
