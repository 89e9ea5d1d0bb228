/* Threads test: mutex, condition variable, barrier, rwlock, semaphore, TLS, join with return
 * values, preemption (a thread spinning without syscalls must not stop another), sched_yield,
 * timed waits, the CPU count. Output is the same natively and in the unikernel. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#define N 4
#define ROUNDS 20000
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t sem;
static __thread long mine = 7;
static long counter, finished, readers_saw;
static volatile int go;

static void *worker(void *arg)
{
	long id = (long)arg;

	mine = id * 100; /* TLS: each thread its own */
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		if (i % 5000 == 0)
			sched_yield();
	}
	pthread_rwlock_rdlock(&rw);
	readers_saw += 1;
	pthread_rwlock_unlock(&rw);
	sem_post(&sem);
	pthread_mutex_lock(&lock);
	finished++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return (void *)(mine + 1);
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!go) /* no syscalls: only preemption lets main run */
		;
	return NULL;
}

static void *setter(void *arg)
{
	(void)arg;
	go = 1;
	return NULL;
}

int main(void)
{
	pthread_t t[N], s1, s2;
	cpu_set_t cpus;

	pthread_barrier_init(&barrier, NULL, N);
	sem_init(&sem, 0, 0);
	for (long i = 0; i < N; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i)) {
			perror("pthread_create");
			return 1;
		}
	pthread_mutex_lock(&lock);
	while (finished < N)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	long sum = 0;
	for (int i = 0; i < N; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
		sem_wait(&sem);
	}
	printf("counter %ld (want %d), join sum %ld, readers %ld, main tls %ld\n", counter, N * ROUNDS, sum,
	       readers_saw, mine);
	pthread_create(&s1, NULL, spinner, NULL);
	pthread_create(&s2, NULL, setter, NULL);
	pthread_join(s1, NULL);
	pthread_join(s2, NULL);
	printf("preempted spinner joined\n");
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 30000000;
	if (dl.tv_nsec >= 1000000000) dl.tv_sec++, dl.tv_nsec -= 1000000000;
	pthread_mutex_lock(&lock);
	int r = pthread_cond_timedwait(&cond, &lock, &dl);
	pthread_mutex_unlock(&lock);
	printf("timedwait -> %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
	printf("sem_trywait -> %d\n", sem_trywait(&sem));
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	printf("cpus in affinity = sysconf(_SC_NPROCESSORS_ONLN): %d\n", CPU_COUNT(&cpus) == sysconf(_SC_NPROCESSORS_ONLN));
	return 3;
}
