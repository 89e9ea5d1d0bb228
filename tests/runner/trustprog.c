/* Guest program for the runner trust tests (tests/runner): volumes, metadata, lifetime.
 *   ro DIR              try to create, mkdir, unlink and append on DIR; read DIR/in.txt
 *   meta DIR            chown a file, plant absolute and escaping symlinks, read them back
 *   writer DIR ID N     write N numbered lines to DIR/ID.txt, read them back, print a checksum
 *   tick DIR            print "ticking", then append a line to DIR/ticks forever (fsync each)
 *   spin                print "spinning", then loop forever
 *   echo ARGS...        print each argument on its own line */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *res(int rc)
{
	return rc < 0 ? strerror(errno) : "ok";
}

static char *join(const char *dir, const char *name)
{
	static char path[2][512];
	static int which;
	which ^= 1;
	snprintf(path[which], sizeof(path[which]), "%s/%s", dir, name);
	return path[which];
}

static int ro(const char *dir)
{
	char buf[64] = "";
	int fd = open(join(dir, "new.txt"), O_CREAT | O_WRONLY, 0644);
	printf("create: %s\n", res(fd));
	printf("mkdir: %s\n", res(mkdir(join(dir, "sub"), 0755)));
	printf("unlink: %s\n", res(unlink(join(dir, "in.txt"))));
	fd = open(join(dir, "in.txt"), O_WRONLY | O_APPEND);
	printf("append: %s\n", res(fd));
	fd = open(join(dir, "in.txt"), O_RDONLY);
	printf("read: %s %.*s", res(fd), (int)(fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1)), buf);
	return 0;
}

static void show_link(const char *path)
{
	char target[256];
	struct stat st;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	lstat(path, &st);
	printf("readlink: %s %s (%s)\n", res((int)n), target, S_ISLNK(st.st_mode) ? "symlink" : "not a symlink");
}

static int meta(const char *dir)
{
	struct stat st;
	int fd = open(join(dir, "owned.txt"), O_CREAT | O_WRONLY, 0640);
	close(fd);
	printf("chown: %s\n", res(chown(join(dir, "owned.txt"), 1234, 5678)));
	stat(join(dir, "owned.txt"), &st);
	printf("stat: uid %u gid %u mode %o\n", (unsigned)st.st_uid, (unsigned)st.st_gid, st.st_mode & 07777);
	printf("symlink abs: %s\n", res(symlink("/etc/hostname", join(dir, "abs"))));
	printf("symlink rel: %s\n", res(symlink("../../../../etc/hostname", join(dir, "rel"))));
	show_link(join(dir, "abs"));
	show_link(join(dir, "rel"));
	return 0;
}

static int writer(const char *dir, const char *id, int n)
{
	char line[64], buf[4096];
	unsigned long sum = 0;
	ssize_t got;
	int fd = open(join(dir, "out.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		return printf("open: %s\n", strerror(errno)), 1;
	for (int i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line), "%s line %d\n", id, i);
		if (write(fd, line, (size_t)len) != len)
			return printf("write: %s\n", strerror(errno)), 1;
	}
	fsync(fd);
	lseek(fd, 0, SEEK_SET);
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < got; i++)
			sum = sum * 31 + (unsigned char)buf[i];
	printf("writer %s: %d lines, checksum %lu\n", id, n, sum);
	return close(fd) < 0;
}

static int tick(const char *dir)
{
	int fd = open(join(dir, "ticks"), O_CREAT | O_WRONLY | O_APPEND, 0644);
	printf("ticking\n");
	fflush(stdout);
	for (unsigned long i = 0;; i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "tick %lu\n", i);
		if (write(fd, line, (size_t)len) != len)
			return 1;
		fsync(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "ro"))
		return ro(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "meta"))
		return meta(argv[2]);
	if (argc > 4 && !strcmp(argv[1], "writer"))
		return writer(argv[2], argv[3], atoi(argv[4]));
	if (argc > 2 && !strcmp(argv[1], "tick"))
		return tick(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "spin")) {
		printf("spinning\n");
		fflush(stdout);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	if (argc > 1 && !strcmp(argv[1], "echo")) {
		for (int i = 2; i < argc; i++)
			printf("%s\n", argv[i]);
		return 0;
	}
	fprintf(stderr, "usage: trustprog ro|meta|writer|tick|spin|echo ...\n");
	return 2;
}
