/* For the fuzzing test: behaviour the scenario never shows. It prints its file arguments; with
 * -v it also calls uname, with -n it truncates them (ftruncate, on the fuzzer's copies only), and
 * when stdin has more than two lines it calls sysinfo. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

static int has(int argc, char **argv, const char *opt)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], opt) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char buf[256];
	int lines = 0;
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	if (lines > 2) {
		struct sysinfo si;
		sysinfo(&si);
	}
	if (has(argc, argv, "-v")) {
		struct utsname u;
		uname(&u);
	}
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		int fd = open(argv[i], has(argc, argv, "-n") ? O_RDWR : O_RDONLY);
		if (fd < 0)
			continue;
		if (has(argc, argv, "-n"))
			ftruncate(fd, 0);
		while ((n = read(fd, buf, sizeof buf)) > 0)
			write(1, buf, n);
		close(fd);
	}
	return 0;
}
