/* Host shim replacing src/unicore/pool/lib/vfs/glue.c: allocation from the C library (so
 * AddressSanitizer sees every buffer), console on the real stdout and a scripted stdin, a
 * fixed clock. Built only into the host test harness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <uk/arch.h>
#include <uk/vfs.h>

/* The arch's random word (devfs seeds from it): the host's. */
int uk_arch_rdrand64(uint64_t *out) { return getrandom(out, sizeof(*out), 0) == (ssize_t)sizeof(*out); }

static const char *stdin_data = "line one\nline two\n";
static size_t stdin_pos;

void *uk_vfs_alloc(size_t size)
{
	return calloc(1, size);
}

void uk_vfs_free(void *ptr)
{
	free(ptr);
}

long uk_vfs_console_write(int fd, const char *buf, size_t len)
{
	(void)fd; /* one stream here: the harness's stdout */
	fflush(stdout);
	return write(1, buf, len);
}

long uk_vfs_console_read(char *buf, size_t len, int nonblock)
{
	size_t n = 0, avail = strlen(stdin_data) - stdin_pos;

	(void)nonblock; /* the scripted stdin is all there */
	while (n < len && n < avail) {
		buf[n] = stdin_data[stdin_pos + n];
		if (buf[n++] == '\n')
			break;
	}
	stdin_pos += n;
	return (long)n;
}

int uk_vfs_debug(void)
{
	return 0; /* the harness runs without --debug */
}

void uk_vfs_now(struct uk_timespec *ts)
{
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
}

void uk_vfs_log(const char *msg)
{
	fprintf(stderr, "vfs log: %s\n", msg);
}

/* One host thread: nothing could wake a waiter. */
struct uk_waitq *uk_vfs_waitq_new(void) { return calloc(1, 16); }
long uk_vfs_wait(struct uk_waitq *q, const char *what) { (void)q, (void)what; return -EAGAIN; }
void uk_vfs_wake(struct uk_waitq *q) { (void)q; }
void uk_vfs_sigpipe(void) {}
const char *uk_vfs_boot_param(const char *key) { (void)key; return NULL; }
_Noreturn void uk_vfs_fail(int status) { exit(status); }
void uk_vfs_file_gone(struct uk_file *f) { (void)f; }
