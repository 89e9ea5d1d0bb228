/* Binary test program (glibc): the file-system calls of fs-extra with the unikernel's answers
 * (statfs, xattrs, fadvise, close_range, poll/select); the test knows them exactly. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(void)
{
	struct statfs sf;
	char buf[64];
	int fd = open("/etc/hostname", O_RDONLY), fd2 = dup(fd), r;

	r = statfs("/etc", &sf);
	printf("statfs %d type %lx bsize %ld\n", r, (long)sf.f_type, (long)sf.f_bsize);
	r = statfs("/nope", &sf);
	printf("statfs missing %d %s\n", r, strerror(errno));
	r = lgetxattr("/etc/hostname", "security.selinux", buf, sizeof(buf));
	printf("lgetxattr %d %s\n", r, strerror(errno));
	printf("listxattr %zd\n", listxattr("/etc/hostname", buf, sizeof(buf)));
	r = setxattr("/etc/hostname", "user.a", "1", 1, 0);
	printf("setxattr %d %s\n", r, strerror(errno));
	printf("fadvise %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
	struct pollfd p[3] = { { fd, POLLIN, 0 }, { 1, POLLOUT, 0 }, { 99, POLLIN, 0 } };
	r = poll(p, 3, 1000);
	printf("poll %d: %x %x %x\n", r, p[0].revents, p[1].revents, p[2].revents);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval tv = { 1, 0 };
	r = select(fd + 1, &rd, NULL, NULL, &tv);
	printf("select %d %d\n", r, FD_ISSET(fd, &rd));
	r = syscall(SYS_close_range, fd, fd2, 0);
	ssize_t n = read(fd2, buf, 1);
	printf("close_range %d, read after: %zd %s\n", r, n, strerror(errno));
	return 0;
}
