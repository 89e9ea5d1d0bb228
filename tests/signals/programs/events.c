/* Event files end to end: eventfd (counter, EFD_SEMAPHORE, EFD_NONBLOCK, a blocked read woken by
 * another thread), timerfd (relative, periodic, absolute realtime, gettime), epoll (level and
 * edge triggered, EPOLLONESHOT and EPOLL_CTL_MOD, a wait woken by another thread, timeouts,
 * EINTR even with SA_RESTART, a closed file forgotten, an epoll fd seen by poll), poll on event
 * files, signalfd (read, under epoll, the signals taken). One line per check; the output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static void *write_later(void *arg)
{
	uint64_t one = 1;
	sleep_ms(100);
	write(*(int *)arg, &one, 8);
	return NULL;
}

static void check_eventfd(void)
{
	uint64_t v = 3, r = 0;
	int fd = eventfd(0, 0);
	pthread_t th;

	write(fd, &v, 8);
	write(fd, &v, 8);
	read(fd, &r, 8);
	printf("eventfd: read %llu\n", (unsigned long long)r);
	int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t a = 0, b = 0, c = 0;
	read(sem, &a, 8);
	read(sem, &b, 8);
	errno = 0;
	long n = read(sem, &c, 8);
	printf("semaphore: %llu %llu, then %ld %s\n", (unsigned long long)a, (unsigned long long)b, n, strerror(errno));
	pthread_create(&th, NULL, write_later, &fd);
	uint64_t t0 = now_ms();
	read(fd, &r, 8);
	printf("blocked read woken by a thread: %llu after >= 90 ms %d\n", (unsigned long long)r, now_ms() - t0 >= 90);
	pthread_join(th, NULL);
	struct pollfd p = { .fd = sem, .events = POLLIN | POLLOUT };
	int ready = poll(&p, 1, 0);
	printf("poll on an empty eventfd: %d revents %#x\n", ready, p.revents);
	close(fd);
	close(sem);
}

static void check_timerfd(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = { .it_value = { 0, 50 * 1000000 } }, cur;
	uint64_t ticks = 0, t0 = now_ms();

	timerfd_settime(fd, 0, &its, NULL);
	read(fd, &ticks, 8);
	printf("timerfd one-shot: %llu after >= 45 ms %d\n", (unsigned long long)ticks, now_ms() - t0 >= 45);
	its = (struct itimerspec){ .it_interval = { 0, 10 * 1000000 }, .it_value = { 0, 10 * 1000000 } };
	timerfd_settime(fd, 0, &its, NULL);
	sleep_ms(100);
	read(fd, &ticks, 8);
	timerfd_gettime(fd, &cur);
	printf("timerfd periodic: >= 5 expirations %d, interval %ld ms\n", ticks >= 5, cur.it_interval.tv_nsec / 1000000);
	its = (struct itimerspec){ 0 };
	timerfd_settime(fd, 0, &its, NULL);
	timerfd_gettime(fd, &cur);
	printf("timerfd disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	wall.tv_nsec += 30 * 1000000;
	if (wall.tv_nsec >= 1000000000)
		wall.tv_sec++, wall.tv_nsec -= 1000000000;
	its = (struct itimerspec){ .it_value = wall };
	timerfd_settime(rt, TFD_TIMER_ABSTIME, &its, NULL);
	errno = 0;
	long n = read(rt, &ticks, 8);
	printf("timerfd absolute, before: %ld %s\n", n, strerror(errno));
	struct pollfd p = { .fd = rt, .events = POLLIN };
	int ready = poll(&p, 1, 1000);
	read(rt, &ticks, 8);
	printf("timerfd absolute, polled: %d %llu\n", ready, (unsigned long long)ticks);
	close(fd);
	close(rt);
}

static int wait_one(int ep, int timeout, uint32_t *events)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, timeout);
	if (n > 0 && events)
		*events = ev[0].events;
	return n;
}

static void check_epoll_triggers(void)
{
	int fds[2], ep = epoll_create1(EPOLL_CLOEXEC);
	uint32_t evs = 0;
	char buf[8];

	pipe(fds);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
	printf("epoll empty: %d\n", wait_one(ep, 0, NULL));
	write(fds[1], "ab", 2);
	int a = wait_one(ep, 0, &evs), b = wait_one(ep, 0, NULL);
	printf("level-triggered: %d %d events %#x\n", a, b, evs);
	ev.events = EPOLLIN | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fds[0], &ev);
	a = wait_one(ep, 0, NULL), b = wait_one(ep, 0, NULL);
	read(fds[0], buf, 1);
	write(fds[1], "c", 1);
	int c = wait_one(ep, 0, NULL);
	printf("edge-triggered: %d %d, after new data %d\n", a, b, c);
	ev.events = EPOLLIN | EPOLLONESHOT;
	epoll_ctl(ep, EPOLL_CTL_MOD, fds[0], &ev);
	a = wait_one(ep, 0, NULL), b = wait_one(ep, 0, NULL);
	epoll_ctl(ep, EPOLL_CTL_MOD, fds[0], &ev);
	c = wait_one(ep, 0, NULL);
	printf("oneshot: %d %d, after MOD %d\n", a, b, c);
	errno = 0;
	int r = epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
	printf("add twice: %d %s\n", r, strerror(errno));
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_MOD, fds[0], &ev);
	struct pollfd p = { .fd = ep, .events = POLLIN };
	int ready = poll(&p, 1, 0);
	printf("poll on the epoll fd: %d revents %#x\n", ready, p.revents);
	close(fds[0]);
	printf("closed file forgotten: %d\n", wait_one(ep, 0, NULL));
	close(fds[1]);
	close(ep);
}

static void on_alrm(int sig) { (void)sig; }

static void check_epoll_waits(void)
{
	int ep = epoll_create1(0), efd = eventfd(0, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = efd }, out;
	pthread_t th;

	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	uint64_t t0 = now_ms();
	int n = epoll_wait(ep, &out, 1, 60);
	printf("epoll timeout: %d after >= 55 ms %d\n", n, now_ms() - t0 >= 55);
	pthread_create(&th, NULL, write_later, &efd);
	n = epoll_wait(ep, &out, 1, -1);
	printf("epoll woken by a thread: %d fd ok %d events %#x\n", n, out.data.fd == efd, out.events);
	pthread_join(th, NULL);
	uint64_t v;
	read(efd, &v, 8);
	struct sigaction sa = { .sa_handler = on_alrm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	errno = 0;
	n = epoll_wait(ep, &out, 1, 5000);
	printf("epoll_wait and a signal (SA_RESTART): %d %s\n", n, strerror(errno));
	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = { .it_value = { 0, 20 * 1000000 } };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = tfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	timerfd_settime(tfd, 0, &its, NULL);
	n = epoll_wait(ep, &out, 1, 2000);
	printf("epoll on a timerfd: %d is it %d\n", n, out.data.fd == tfd);
	close(tfd);
	close(efd);
	close(ep);
}

static void check_signalfd(void)
{
	sigset_t set;
	struct signalfd_siginfo si[2];
	int ep = epoll_create1(0);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	errno = 0;
	long n = read(fd, si, sizeof(si));
	printf("signalfd, nothing pending: %ld %s\n", n, strerror(errno));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	kill(getpid(), SIGUSR2);
	union sigval v = { .sival_int = 5 };
	sigqueue(getpid(), SIGUSR1, v);
	int ready = epoll_wait(ep, &out, 1, 1000);
	n = read(fd, si, sizeof(si));
	printf("signalfd: epoll %d, read %ld bytes: %u code %d pid ok %d, %u value %d\n", ready, n, si[0].ssi_signo,
	       si[0].ssi_code, si[0].ssi_pid == (uint32_t)getpid(), si[1].ssi_signo, si[1].ssi_int);
	sigset_t pending;
	sigpending(&pending);
	printf("taken, no longer pending: %d\n", !sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2));
	close(fd);
	close(ep);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	check_eventfd();
	check_timerfd();
	check_epoll_triggers();
	check_epoll_waits();
	check_signalfd();
	return 0;
}
