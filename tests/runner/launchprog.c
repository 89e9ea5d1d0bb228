/* The launcher tests' guest (tests/runner/test_launcher.py): exit N, copy stdin to stdout,
 * announce itself and spin, or fault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int copy_stdin(void)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0)
		for (ssize_t at = 0; at < n;) {
			ssize_t w = write(1, buf + at, (size_t)(n - at));
			if (w <= 0)
				return 1;
			at += w;
		}
	return n < 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exit")) {
		printf("exiting %s\n", argv[2]);
		fprintf(stderr, "to stderr\n");
		return atoi(argv[2]);
	}
	if (argc > 1 && !strcmp(argv[1], "cat"))
		return copy_stdin();
	if (argc > 1 && !strcmp(argv[1], "spin")) {
		printf("spinning\n");
		fflush(stdout);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	if (argc > 1 && !strcmp(argv[1], "crash"))
		return *(volatile int *)(argc - 2);
	return 99;
}
