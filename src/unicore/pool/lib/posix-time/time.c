/* Time syscalls (posix-time) over the platform clocks; sleeping is the platform's
 * uk_plat_wait_until (plat/qemu spins: no interrupts, the program is the only thing running). */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-time.h>

#define NS 1000000000ULL
#define TIMER_ABSTIME 1

static bool is_wall(long clk) { return clk == UK_CLOCK_REALTIME || clk == UK_CLOCK_REALTIME_COARSE || clk == UK_CLOCK_TAI; }
static bool valid_clock(long clk) { return clk >= 0 && clk <= 11 && clk != 8 && clk != 9 && clk != 10; }
static uint64_t now_ns(long clk) { return is_wall(clk) ? uk_plat_wall_ns() : uk_plat_monotonic_ns(); }

UK_SYSCALL(clock_gettime)
{
	struct uk_timespec *ts = (void *)a1;

	if (!valid_clock(a0))
		return -EINVAL;
	uint64_t ns = now_ns(a0);
	ts->tv_sec = (int64_t)(ns / NS);
	ts->tv_nsec = (int64_t)(ns % NS);
	return 0;
}

UK_SYSCALL(clock_getres)
{
	struct uk_timespec *ts = (void *)a1;

	if (!valid_clock(a0))
		return -EINVAL;
	if (ts)
		*ts = (struct uk_timespec){ 0, 1 };
	return 0;
}

UK_SYSCALL(gettimeofday)
{
	struct uk_timeval *tv = (void *)a0;

	if (tv) {
		uint64_t ns = uk_plat_wall_ns();
		tv->tv_sec = (int64_t)(ns / NS);
		tv->tv_usec = (int64_t)(ns % NS / 1000);
	}
	return 0;
}

UK_SYSCALL(time)
{
	long t = (long)(uk_plat_wall_ns() / NS);

	if (a0)
		*(long *)a0 = t;
	return t;
}

/* The platform waits on the monotonic clock: a wall-clock deadline is converted first. */
static long sleep_until(long clk, uint64_t deadline)
{
	if (is_wall(clk)) {
		uint64_t now = uk_plat_wall_ns();
		deadline = now >= deadline ? 0 : uk_plat_monotonic_ns() + (deadline - now);
	}
	uk_plat_wait_until(deadline);
	return 0;
}

static long check(const struct uk_timespec *ts)
{
	return (!ts || ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NS) ? -EINVAL : 0;
}

UK_SYSCALL(nanosleep)
{
	const struct uk_timespec *req = (const void *)a0;

	if (check(req))
		return -EINVAL;
	return sleep_until(1, uk_plat_monotonic_ns() + (uint64_t)req->tv_sec * NS + (uint64_t)req->tv_nsec);
}

UK_SYSCALL(clock_nanosleep)
{
	const struct uk_timespec *req = (const void *)a2;

	if (!valid_clock(a0))
		return EINVAL; /* clock_nanosleep returns the error number itself */
	if (check(req))
		return EINVAL;
	uint64_t t = (uint64_t)req->tv_sec * NS + (uint64_t)req->tv_nsec;
	return sleep_until(a0, (a1 & TIMER_ABSTIME) ? t : now_ns(a0) + t);
}
