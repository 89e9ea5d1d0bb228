/* Exercises the posix basics in one boot: ids, uname, getrandom, signals, isatty (TIOCGWINSZ),
 * SSE floating point, TLS (errno), mmap/munmap; ends with abort() (SIGABRT: status 134). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

static volatile int got_usr1;
static void on_usr1(int sig)
{
	got_usr1 = sig;
	write(1, "in handler\n", 11); /* a syscall from the handler, on its signal frame */
}

int main(void)
{
	struct utsname u;
	unsigned char r1[32] = { 0 }, r2[32] = { 0 };
	sigset_t set, old;

	printf("ids %d %d %d %d\n", getpid(), getuid(), getgid(), geteuid());
	printf("uname %s %s %d\n", uname(&u) == 0 ? u.sysname : "?", u.machine, u.nodename[0] != 0);
	printf("getrandom %zd %d\n", getrandom(r1, sizeof(r1), 0), getrandom(r2, sizeof(r2), 0) == 32 && memcmp(r1, r2, 32));
	signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	printf("sigprocmask %d\n", sigprocmask(SIG_BLOCK, &set, NULL) == 0 && sigprocmask(SIG_BLOCK, NULL, &old) == 0 &&
	       sigismember(&old, SIGUSR2));
	fflush(stdout);
	raise(SIGUSR1);
	printf("handler %d\n", got_usr1);
	errno = 0;
	int tty = isatty(1);
	printf("isatty %d errno %s\n", tty, errno == ENOTTY ? "ENOTTY" : strerror(errno));
	volatile double x = 2.0;
	printf("sse %.6f %.3f\n", sqrt(x), x / 3.0);
	char *p = mmap(NULL, 3 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int zero = p != MAP_FAILED && p[0] == 0 && p[(3 << 20) - 1] == 0;
	memset(p, 7, 3 << 20);
	printf("mmap %d munmap %d\n", zero, munmap(p, 3 << 20));
	fflush(stdout);
	abort();
}
