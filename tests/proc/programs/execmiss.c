/* Runs argv[1] with execv, as a program that starts helpers does: with a path the image lacks it
 * exits 127, as a shell would for a command it cannot find. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("%s exited %d\n", argv[1], WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
