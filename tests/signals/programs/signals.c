/* Signals end to end: handlers with siginfo and ucontext, the interrupted registers and FP
 * state back after rt_sigreturn, masks and pending sets, EINTR and SA_RESTART on a blocking
 * pipe read, alarm and setitimer, sigsuspend, sigtimedwait, sigaltstack, SIGSEGV and SIGFPE
 * handlers leaving through siglongjmp, SIGPIPE ignored (EPIPE), POSIX timers, a signal to
 * another thread with tgkill. One line per check; the output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got, got_code, count;
static volatile int mask_seen;
static volatile double fp_in_handler;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;
	got = sig;
	got_code = si->si_code == SI_TKILL || si->si_code == SI_USER;
	fp_in_handler = 1.0 / 3.0;
	mask_seen = sigismember(&u->uc_sigmask, SIGUSR2) && u->uc_mcontext.gregs[REG_RIP] != 0;
}

static void check_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigset_t m;
	volatile double x = 2.5;

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	printf("handler: sig %d user-code %d uc-mask %d fp %.2f %.4f\n", (int)got, (int)got_code, mask_seen,
	       x * 2, fp_in_handler);
}

static void on_signal(int sig) { got = sig; count++; }

static void check_mask_pending(void)
{
	sigset_t m, p;

	signal(SIGUSR2, on_signal);
	got = 0;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	kill(getpid(), SIGUSR2);
	sigpending(&p);
	printf("blocked: got %d pending %d\n", (int)got, sigismember(&p, SIGUSR2));
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	printf("unblocked: got %d\n", (int)got);
}

static int pipe_w;

static void *late_writer(void *arg)
{
	sigset_t all;
	struct timespec t = { 0, 400 * 1000000 };

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGALRM goes to the reader */
	(void)arg;
	nanosleep(&t, NULL);
	write(pipe_w, "x", 1);
	return NULL;
}

static void check_eintr_restart(void)
{
	int fds[2];
	char c = '?';
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t th;

	pipe(fds);
	pipe_w = fds[1];
	sigaction(SIGALRM, &sa, NULL);
	got = 0;
	alarm(1);
	ssize_t n = read(fds[0], &c, 1);
	printf("read, no SA_RESTART: %zd %s, got %d\n", n, strerror(errno), (int)got);

	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 100000 } }, left;
	setitimer(ITIMER_REAL, &it, NULL);
	got = 0;
	pthread_create(&th, NULL, late_writer, NULL);
	n = read(fds[0], &c, 1);
	printf("read, SA_RESTART: %zd '%c', got %d\n", n, c, (int)got);
	pthread_join(th, NULL);
	getitimer(ITIMER_REAL, &left);
	printf("itimer after expiry: %ld %ld\n", (long)left.it_value.tv_sec, (long)left.it_value.tv_usec);
	unsigned first = alarm(5), second = alarm(0);
	printf("alarm left: %u then %u\n", first, second);
	close(fds[0]);
	close(fds[1]);
}

static void check_sleep_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct timespec t = { 2, 0 }, rem;

	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 100000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int r = nanosleep(&t, &rem);
	printf("nanosleep with SA_RESTART: %d %s\n", r, r ? strerror(errno) : "");
}

static void check_sigsuspend(void)
{
	sigset_t block, old, wait;

	signal(SIGUSR1, on_signal);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	got = 0;
	kill(getpid(), SIGUSR1);
	sigemptyset(&wait);
	int r = sigsuspend(&wait);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("sigsuspend: %d %s got %d, mask restored %d\n", r, strerror(errno), (int)got, sigismember(&now, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void check_sigtimedwait(void)
{
	sigset_t set;
	siginfo_t si;
	struct timespec t = { 0, 50 * 1000000 };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	errno = 0;
	int r = sigtimedwait(&set, &si, &t);
	printf("sigtimedwait, nothing: %d %s\n", r, strerror(errno));
	union sigval v = { .sival_int = 42 };
	sigqueue(getpid(), SIGUSR2, v);
	r = sigtimedwait(&set, &si, &t);
	printf("sigtimedwait: %d code %d value %d\n", r, si.si_code == SI_QUEUE, si.si_value.sival_int);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static char altstack[65536];
static volatile int on_alt;

static void on_alt_handler(int sig)
{
	char here;
	(void)sig;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
}

static void check_altstack(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, cur;
	struct sigaction sa = { .sa_handler = on_alt_handler, .sa_flags = SA_ONSTACK };

	sigaltstack(&ss, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaltstack(NULL, &cur);
	printf("sigaltstack: handler on it %d, size %zu, flags %d\n", on_alt, cur.ss_size, cur.ss_flags);
}

static sigjmp_buf jump;
static volatile uintptr_t fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(jump, sig);
}

static void check_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	volatile int zero = 0;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	int sig = sigsetjmp(jump, 1);
	if (!sig)
		*(volatile int *)16 = 1;
	printf("SIGSEGV handler: sig %d addr %#lx\n", sig, (unsigned long)fault_addr);
	sig = sigsetjmp(jump, 1);
	if (!sig)
		printf("%d\n", 7 / zero);
	printf("SIGFPE handler: sig %d\n", sig);
}

static void check_sigpipe(void)
{
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	pipe(fds);
	close(fds[0]);
	errno = 0;
	ssize_t n = write(fds[1], "x", 1);
	printf("write to a closed pipe, SIGPIPE ignored: %zd %s\n", n, strerror(errno));
	close(fds[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void check_timer(void)
{
	timer_t t;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN, .sigev_value.sival_int = 7 };
	struct itimerspec its = { .it_interval = { 0, 20 * 1000000 }, .it_value = { 0, 20 * 1000000 } }, cur;
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	timer_settime(t, 0, &its, NULL);
	int n = 0, value = 0;
	for (int i = 0; i < 3; i++)
		if (sigwaitinfo(&set, &si) == SIGRTMIN && si.si_code == SI_TIMER)
			n++, value = si.si_value.sival_int;
	timer_gettime(t, &cur);
	printf("timer_create: %d expirations, value %d, interval %ld ms\n", n, value, cur.it_interval.tv_nsec / 1000000);
	timer_delete(t);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile pid_t handled_by;

static void on_usr1_tid(int sig) { (void)sig; handled_by = (pid_t)syscall(SYS_gettid); }

static void *target_thread(void *arg)
{
	volatile pid_t *tid = arg;
	*tid = (pid_t)syscall(SYS_gettid);
	while (!handled_by)
		sched_yield();
	return NULL;
}

static void check_tgkill(void)
{
	pthread_t th;
	volatile pid_t tid = 0;

	signal(SIGUSR1, on_usr1_tid);
	pthread_create(&th, NULL, target_thread, (void *)&tid);
	while (!tid)
		sched_yield();
	syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	pthread_join(th, NULL);
	printf("tgkill: handled by the target thread %d\n", handled_by == tid);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	check_handler();
	check_mask_pending();
	check_eintr_restart();
	check_sleep_eintr();
	check_sigsuspend();
	check_sigtimedwait();
	check_altstack();
	check_faults();
	check_sigpipe();
	check_timer();
	check_tgkill();
	printf("raise(SIGTERM) ends the program with status 143\n");
	raise(SIGTERM);
	return 0;
}
