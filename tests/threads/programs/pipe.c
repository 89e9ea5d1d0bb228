/* Producer/consumer over a pipe between two threads: the reader blocks on the empty pipe, the
 * writer on the full one (1 MiB through a 64 KiB pipe); poll with a timeout on an empty pipe
 * times out; poll wakes when another thread writes; EOF after the writer closes. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fds[2], late[2];
#define TOTAL (1 << 20)

static void *producer(void *arg)
{
	static char buf[3000];
	long sent = 0;

	(void)arg;
	for (int i = 0; sent < TOTAL; i++) {
		int n = TOTAL - sent < (long)sizeof(buf) ? (int)(TOTAL - sent) : (int)sizeof(buf);
		memset(buf, 'a' + i % 26, (size_t)n);
		if (write(fds[1], buf, (size_t)n) != n)
			return (void *)1;
		sent += n;
	}
	close(fds[1]);
	return NULL;
}

static void *late_writer(void *arg)
{
	(void)arg;
	usleep(50000);
	write(late[1], "x", 1);
	return NULL;
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

int main(void)
{
	pthread_t p, l;
	char buf[8192];
	long got = 0, sum = 0, n;
	struct timespec t0;

	pipe(fds);
	pipe(late);
	pthread_create(&p, NULL, producer, NULL);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			sum += buf[i];
		got += n;
	}
	void *r;
	pthread_join(p, &r);
	printf("consumed %ld bytes, checksum %ld, producer %ld, last read %ld\n", got, sum, (long)r, n);
	struct pollfd pf = { late[0], POLLIN, 0 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int k = poll(&pf, 1, 40);
	printf("poll empty -> %d after >= 40 ms: %d\n", k, ms_since(&t0) >= 40);
	pthread_create(&l, NULL, late_writer, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	k = poll(&pf, 1, 5000);
	printf("poll woken by a thread -> %d revents %d, before the timeout: %d\n", k, pf.revents, ms_since(&t0) < 4000);
	pthread_join(l, NULL);
	return 0;
}
