/* Sleeps 50 ms and checks the monotonic clock saw it; prints whether the wall clock is sane. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec a, b, req = { 0, 50 * 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &a);
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	time_t now = time(NULL);
	printf("slept %s\n", ms >= 50 && ms < 5000 ? "ok" : "wrong");
	printf("wall clock %s\n", now > 1700000000 ? "sane" : "wrong");
	return 0;
}
