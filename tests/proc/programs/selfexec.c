/* A fixed-address program (static, non-PIE) that forks and execs itself three levels deep while
 * each parent waits: every child's segments go where its parent's are. Each level fills its data
 * and bss with a pattern of its own before forking and checks it is intact after the child ran:
 * the child's load must not land in the parent's RAM. Exit status: the level's, plus the child's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int marker = 41;            /* data: 41 in every fresh image */
static unsigned char pattern[1 << 16]; /* bss: zero in every fresh image */

static int intact(int level)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		if (pattern[i] != (unsigned char)(i * 7 + level))
			return 0;
	return marker == 100 + level;
}

int main(int argc, char **argv)
{
	int level = argc > 1 ? atoi(argv[1]) : 0, zero = 1, status;
	char next[16];

	for (size_t i = 0; i < sizeof(pattern); i++)
		zero &= pattern[i] == 0;
	printf("level %d: fresh data %d, bss zero %s\n", level, marker, zero ? "yes" : "no");
	if (level == 3)
		return 3;
	marker = 100 + level;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + level);
	fflush(stdout);
	snprintf(next, sizeof(next), "%d", level + 1);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], next, (char *)NULL);
		perror("execl");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return perror("fork/waitpid"), 120;
	printf("level %d: child exited %d, own memory intact %s\n", level, WEXITSTATUS(status), intact(level) ? "yes" : "no");
	return level + WEXITSTATUS(status);
}
