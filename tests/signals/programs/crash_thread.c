/* A thread other than the main one dereferences a bad pointer with no SIGSEGV handler: the
 * process dies of SIGSEGV (status 139); the unikernel's crash report names the thread. */
#include <pthread.h>
#include <stdio.h>

static void *crash(void *arg)
{
	printf("thread runs\n");
	fflush(stdout);
	*(volatile int *)arg = 1;
	return NULL;
}

int main(void)
{
	pthread_t th;

	pthread_create(&th, NULL, crash, (void *)8);
	pthread_join(th, NULL);
	printf("not reached\n");
	return 0;
}
