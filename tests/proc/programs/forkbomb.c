/* A fork bomb under RLIMIT_NPROC: every process forks for as long as it can. Nobody reaps until
 * the end, so exactly limit - 1 forks succeed (each child reports itself through a pipe), then
 * fork fails with EAGAIN everywhere and the bomb ends; the first process reaps them all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 24

int main(void)
{
	struct rlimit lim = { LIMIT, LIMIT };
	int fds[2], err = 0, reaped = 0;
	pid_t first = getpid();
	char c;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (setrlimit(RLIMIT_NPROC, &lim))
		return perror("setrlimit"), 1;
	pipe(fds);
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			write(fds[1], "x", 1);
			continue;
		}
		if (pid < 0) {
			err = errno;
			break;
		}
	}
	if (getpid() != first)
		_exit(0);
	close(fds[1]);
	int forks = 0;
	while (read(fds[0], &c, 1) == 1)
		forks++;
	while (wait(NULL) > 0)
		reaped++;
	printf("fork bomb stopped: %d forks, then %s; %d processes reaped\n", forks, strerror(err), reaped);
	return 0;
}
