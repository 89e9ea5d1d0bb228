/* Two threads take two mutexes in opposite orders (a barrier makes sure each holds its first)
 * and deadlock; main joins them. Without arguments nothing else can run: the kernel reports the
 * deadlock (status 134). With "ticking", main keeps a timer armed (it naps in a loop, as a
 * watchdog would), so the kernel cannot prove it: `unicore run --timeout` stops the guest. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *take(void *arg)
{
	int first_a = arg != NULL;

	pthread_mutex_lock(first_a ? &a : &b);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(first_a ? &b : &a);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t1, t2;

	pthread_barrier_init(&both, NULL, 2);
	pthread_create(&t1, NULL, take, (void *)1);
	pthread_create(&t2, NULL, take, NULL);
	printf("two threads, two mutexes, opposite orders\n");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "ticking"))
		for (;;) {
			struct timespec nap = { 0, 50 * 1000000 };
			nanosleep(&nap, NULL);
		}
	pthread_join(t1, NULL);
	printf("not reached\n");
	return 0;
}
