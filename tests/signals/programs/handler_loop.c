/* Asynchronous delivery to a program that never makes a syscall: a periodic SIGALRM interrupts
 * a busy loop (delivered on the way back from the timer interrupt) until the handler has run
 * five times (the fifth stops the timer); the handler's FP work must not disturb the loop's. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile int ticks;
static volatile double h;

static void on_alrm(int sig)
{
	(void)sig;
	h = h * 1.5 + 1.0;
	if (++ticks == 5) { /* the fifth stops the timer: exactly five */
		struct itimerval off = { 0 };
		setitimer(ITIMER_REAL, &off, NULL);
	}
}

int main(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	volatile double acc = 0;
	unsigned long spins = 0;

	signal(SIGALRM, on_alrm);
	setitimer(ITIMER_REAL, &it, NULL);
	while (ticks < 5) {
		acc = acc + 0.5;
		spins++;
	}
	printf("ticks %d, loop sum exact %d, handler value %.4f\n", ticks, acc == spins * 0.5, h);
	return 0;
}
