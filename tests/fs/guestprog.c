/* Small guest-side checks, one per argv[1] mode; prints exact lines for the pytest side.
 *   enospc DIR       write 4 KiB blocks into DIR/big until the file system refuses
 *   outside PATH     open a path that is not in the image's root file system
 *   persist DIR N    write N numbered lines to DIR/out.txt, fsync, close; read DIR/in.txt
 *   mmap DIR         map DIR/m (two pages and a bit) privately and shared read-only
 *   bigio DIR        one 1 MiB write and read of DIR/big (crosses 9P message sizes)
 *   cat PATH...      each file's mode and contents (read with read(2))
 *   borrow PATH...   spt only: the host's openat(6, PATH) (6: the first volume's directory) made
 *                    through a `syscall; ret` found in the kernel's code at 1 MiB, as an exploit
 *                    would borrow the kernel's right to make host calls; prints each result
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int enospc(const char *dir)
{
	static char block[4096];
	char path[256];
	long total = 0, n;
	int fd;

	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	memset(block, 'x', sizeof(block));
	while ((n = write(fd, block, sizeof(block))) > 0)
		total += n;
	printf("wrote %ld then %s\n", total, n < 0 ? strerror(errno) : "0");
	printf("close %d", close(fd));
	printf(" unlink %d\n", unlink(path));
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	printf("write after unlink %ld\n", (long)write(fd, block, 100));
	return 0;
}

static int outside(const char *path)
{
	int fd = open(path, O_RDONLY);

	printf("open %s: %s\n", path, fd < 0 ? strerror(errno) : "opened");
	return 0;
}

static int persist(const char *dir, int lines)
{
	char path[256], buf[128];
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/out.txt", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	for (i = 0; i < lines; i++) {
		int len = snprintf(buf, sizeof(buf), "line %d\n", i);
		if (write(fd, buf, (size_t)len) != len)
			return 3;
	}
	i = fsync(fd); /* in sequence: argument evaluation order is unspecified */
	printf("fsync %d", i);
	printf(" close %d\n", close(fd));
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("in.txt: %s", buf);
	return 0;
}

static int maps(const char *dir)
{
	char path[256], back[8] = { 0 };
	int fd, i;
	char *p;

	snprintf(path, sizeof(path), "%s/m", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	for (i = 0; i < 9000; i++)
		write(fd, i % 2 ? "b" : "a", 1);
	p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("private %s: %c%c %c tail %d\n", p == MAP_FAILED ? "failed" : "ok", p[0], p[1],
	       p[8999], p[9000]);
	p[0] = 'X'; /* a private copy: the file keeps its byte */
	pread(fd, back, 1, 0);
	printf("file after private write: %s\n", back);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	printf("offset map: %c%c\n", p[0], p[1]);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("shared read-only %s: %c\n", p == MAP_FAILED ? "failed" : "ok", p[2]);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100);
	printf("unaligned offset: %s\n", p == MAP_FAILED ? strerror(errno) : "mapped");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 77, 0);
	printf("bad fd: %s\n", p == MAP_FAILED ? strerror(errno) : "mapped");
	return 0;
}

static int bigio(const char *dir)
{
	static unsigned char out[1 << 20], in[1 << 20];
	char path[256];
	unsigned sum = 0;
	int fd, i, same;

	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + i / 4099);
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	printf("write %ld\n", (long)write(fd, out, sizeof(out)));
	printf("pread %ld\n", (long)pread(fd, in, sizeof(in), 0));
	same = !memcmp(in, out, sizeof(in));
	printf("pread odd %ld\n", (long)pread(fd, in, 70001, 65530));
	same &= !memcmp(in, out + 65530, 70001);
	for (i = 0; i < 70001; i++)
		sum = sum * 31 + in[i];
	printf("same %d sum %u\n", same, sum);
	return close(fd);
}

static int cat(int n, char **paths)
{
	char buf[4096];
	struct stat st;
	long r;
	int i, fd;

	for (i = 0; i < n; i++) {
		if (lstat(paths[i], &st)) {
			printf("%s: %s\n", paths[i], strerror(errno));
			continue;
		}
		printf("%s: mode %o size %ld\n", paths[i], (unsigned)st.st_mode, (long)st.st_size);
		fd = open(paths[i], O_RDONLY);
		while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)r, stdout);
		close(fd);
	}
	return 0;
}

#ifdef __x86_64__
static const unsigned char *find_gadget(void)
{
	for (const unsigned char *p = (const unsigned char *)0x100000; p < (const unsigned char *)0x180000; p++)
		if (p[0] == 0x0f && p[1] == 0x05 && p[2] == 0xc3)
			return p;
	return 0;
}

static int borrow(int n, char **paths)
{
	const unsigned char *g = find_gadget();

	printf("gadget %s\n", g ? "found" : "missing");
	for (int i = 0; g && i < n; i++) {
		long r;
		__asm__ volatile("sub $128, %%rsp\n\tcall *%1\n\tadd $128, %%rsp" /* past the red zone */
				 : "=a"(r) : "r"(g), "a"((long)257 /* openat */), "D"(6L), "S"(paths[i]), "d"((long)O_RDONLY)
				 : "rcx", "r11", "memory");
		printf("openat %s: %s\n", paths[i], r >= 0 ? "opened" : strerror((int)-r));
	}
	return 0;
}
#else
static int borrow(int n, char **paths)
{
	return printf("borrow: x86_64 only\n") < 0 || n < 0 || !paths;
}
#endif

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "borrow"))
		return borrow(argc - 2, argv + 2);
	if (argc > 2 && !strcmp(argv[1], "cat"))
		return cat(argc - 2, argv + 2);
	if (argc > 2 && !strcmp(argv[1], "bigio"))
		return bigio(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "mmap"))
		return maps(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "enospc"))
		return enospc(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "outside"))
		return outside(argv[2]);
	if (argc > 3 && !strcmp(argv[1], "persist"))
		return persist(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: guestprog enospc DIR | outside PATH | persist DIR N\n");
	return 2;
}
