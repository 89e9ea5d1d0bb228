/* SIGPIPE's default action: a write to a pipe nobody reads kills the writer (status 141). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int fds[2];

	pipe(fds);
	close(fds[0]);
	printf("writing to a closed pipe\n");
	fflush(stdout);
	write(fds[1], "x", 1);
	printf("not reached\n");
	return 0;
}
