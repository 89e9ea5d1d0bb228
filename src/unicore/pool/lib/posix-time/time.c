/* Time syscalls (posix-time) over the platform clocks. Sleeping blocks the thread (uk/wait.h):
 * another thread runs, or the CPU halts until the timer interrupt. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-time.h>
#include <uk/wait.h>
#include <uk/posix-signal.h>

UK_OPTIONAL(uk_posix_signal_no_restart);

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

/* Block until the deadline of clock clk; other threads run meanwhile, or the CPU halts. A
 * wall-clock deadline is converted once to the monotonic clock (nothing here sets the time). */
static long sleep_until(long clk, uint64_t deadline)
{
	uint64_t now = now_ns(clk), mono = uk_plat_monotonic_ns();

	if (deadline <= now)
		return 0;
	int why = uk_core_thread_block(mono + (deadline - now), "a sleep");
	if (why != UK_WAKE_SIGNAL)
		return 0;
	if (uk_posix_signal_no_restart) /* a handler ran: EINTR even with SA_RESTART, as on Linux */
		uk_posix_signal_no_restart();
	return -EINTR;
}

static long check(const struct uk_timespec *ts)
{
	return (!ts || ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NS) ? -EINVAL : 0;
}

/* A relative sleep a signal interrupted tells how much was left (monotonic deadline `end`). */
static void remaining(long r, uint64_t end, struct uk_timespec *rem)
{
	uint64_t now = uk_plat_monotonic_ns(), left = end > now ? end - now : 0;

	if (r == -EINTR && rem)
		*rem = (struct uk_timespec){ (int64_t)(left / NS), (int64_t)(left % NS) };
}

UK_SYSCALL(nanosleep)
{
	const struct uk_timespec *req = (const void *)a0;

	if (check(req))
		return -EINVAL;
	uint64_t end = uk_plat_monotonic_ns() + (uint64_t)req->tv_sec * NS + (uint64_t)req->tv_nsec;
	long r = sleep_until(1, end);
	remaining(r, end, (struct uk_timespec *)a1);
	return r;
}

UK_SYSCALL(clock_nanosleep)
{
	const struct uk_timespec *req = (const void *)a2;

	if (!valid_clock(a0) || check(req)) /* -EINVAL: the libc turns it into the returned number */
		return -EINVAL;
	uint64_t t = (uint64_t)req->tv_sec * NS + (uint64_t)req->tv_nsec, mono_end = uk_plat_monotonic_ns() + t;
	long r = sleep_until(a0, (a1 & TIMER_ABSTIME) ? t : now_ns(a0) + t);
	if (!(a1 & TIMER_ABSTIME))
		remaining(r, mono_end, (struct uk_timespec *)a3);
	return r;
}
