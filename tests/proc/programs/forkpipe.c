/* fork + pipe + waitpid: two children write through pipes, the parent reads and reaps them in
 * order, checks exit statuses, WNOHANG, getppid, a signalled child and ECHILD. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int counter = 100;

static pid_t spawn_writer(int id, int fds[2])
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[64];
		close(fds[0]);
		counter += id; /* the child's own copy */
		int n = snprintf(buf, sizeof(buf), "child %d: parent is the forker: %s, counter %d\n", id,
				 getppid() > 0 ? "yes" : "no", counter);
		write(fds[1], buf, n);
		_exit(10 + id);
	}
	return pid;
}

int main(void)
{
	int fds[2], status;
	char buf[256];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(fds))
		return perror("pipe"), 1;
	pid_t a = spawn_writer(1, fds), b;
	if (waitpid(a, &status, 0) != a)
		return perror("waitpid"), 1;
	b = spawn_writer(2, fds);
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	printf("%s", buf);
	printf("first child: exited %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));
	if (waitpid(b, &status, 0) != b)
		return perror("waitpid b"), 1;
	printf("second child: exited %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));
	printf("parent counter still %d\n", counter);
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	printf("WNOHANG while it runs: %d\n", (int)waitpid(c, &status, WNOHANG));
	kill(c, SIGTERM);
	waitpid(c, &status, 0);
	printf("killed child: signalled %d by %d\n", WIFSIGNALED(status), WTERMSIG(status));
	errno = 0;
	int w = (int)wait(&status);
	printf("no more children: %d %s\n", w, errno == ECHILD ? "ECHILD" : "?");
	return 3;
}
