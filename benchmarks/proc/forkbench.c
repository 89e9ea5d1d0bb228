/* fork+exit+wait and fork+exec+wait latency: `forkbench fork N` or `forkbench exec N PATH`;
 * prints the mean microseconds per operation, measured inside (CLOCK_MONOTONIC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[2]), exec = !strcmp(argv[1], "exec");
	double start = now_us();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (exec)
				execl(argv[3], argv[3], (char *)NULL);
			_exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	printf("%s %.1f us\n", argv[1], (now_us() - start) / n);
	return 0;
}
