/* Timers that raise signals (posix-signal): alarm and setitimer(ITIMER_REAL) (SIGALRM to the
 * process), and POSIX timers (timer_create: SIGEV_SIGNAL to the process, SIGEV_THREAD_ID to one
 * thread as glibc's SIGEV_THREAD helper wants, SIGEV_NONE) on the realtime, monotonic and
 * boottime clocks, one-shot or periodic, relative or absolute. Each is a core timer whose
 * callback (interrupt context) sends the signal; a periodic one that expires again while its
 * signal is still pending counts an overrun instead. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/posix-process.h>
#include "signal_priv.h"

#define NS 1000000000ULL
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME 1
#define MAX_TIMERS 64

struct ts { int64_t sec, nsec; };
struct itimerspec { struct ts interval, value; };
struct tv { int64_t sec, usec; };
struct itimerval { struct tv interval, value; };
struct sigevent { uint64_t value; int32_t signo, notify, tid; };

struct ptimer {
	struct uk_timer t;      /* first: the callback finds the ptimer from it */
	bool used;
	int id, clock, signo, notify, tid, code, overrun;
	uint64_t value, interval; /* sigev_value; period in ns (0: one-shot) */
};

static struct ptimer itimer_real = { .signo = UK_SIGALRM, .code = UK_SI_KERNEL };
static struct ptimer timers[MAX_TIMERS];

static bool still_pending(const struct ptimer *p)
{
	struct uk_posix_signal_thread *st = p->tid ? uk_posix_signal_of_tid(p->tid) : NULL;

	return ((st ? st->pending : uk_posix_signal_proc.pending) & BIT(p->signo)) != 0;
}

static void fire(struct ptimer *p)
{
	struct uk_posix_signal_info info;

	if (p->notify == SIGEV_NONE)
		return;
	if (still_pending(p)) {
		p->overrun++;
		return;
	}
	uk_posix_signal_info_init(&info, p->signo, p->code);
	if (p->code == UK_SI_TIMER)
		info.u.timer = (typeof(info.u.timer)){ p->id, p->overrun, p->value };
	p->overrun = 0;
	uk_posix_signal_send(uk_posix_signal_pid(), p->tid, p->signo, &info);
}

static void expired(struct uk_timer *t)
{
	struct ptimer *p = (struct ptimer *)t;

	if (p->interval) {
		uint64_t next = t->deadline + p->interval, now = uk_plat_monotonic_ns();
		if (next <= now) { /* missed periods (a slow guest) count as overruns */
			uint64_t missed = (now - next) / p->interval + 1;
			p->overrun += (int)missed;
			next += missed * p->interval;
		}
		uk_core_timer_add(t, next);
	}
	fire(p);
}

static uint64_t ts_ns(const struct ts *t) { return (uint64_t)t->sec * NS + (uint64_t)t->nsec; }
static struct ts ns_ts(uint64_t ns) { return (struct ts){ (int64_t)(ns / NS), (int64_t)(ns % NS) }; }
static bool ts_bad(const struct ts *t) { return t->sec < 0 || t->nsec < 0 || t->nsec >= (int64_t)NS; }

static uint64_t remaining(const struct ptimer *p)
{
	uint64_t now = uk_plat_monotonic_ns();

	if (!p->t.armed)
		return 0;
	return p->t.deadline > now ? p->t.deadline - now : 1;
}

/* Arm p `value` ns from now (0 disarms), then every `interval` ns. */
static void arm(struct ptimer *p, uint64_t value, uint64_t interval)
{
	p->t.fn = expired;
	p->interval = interval;
	p->overrun = 0;
	if (value)
		uk_core_timer_add(&p->t, uk_plat_monotonic_ns() + value);
	else
		uk_core_timer_del(&p->t);
}

/* ---- setitimer, getitimer, alarm: ITIMER_REAL only (no CPU-time accounting here) ---- */
static struct tv ns_tv(uint64_t ns) { return (struct tv){ (int64_t)(ns / NS), (int64_t)(ns % NS / 1000) }; }
static uint64_t tv_ns(const struct tv *t) { return (uint64_t)t->sec * NS + (uint64_t)t->usec * 1000; }

static void itimer_get(struct itimerval *out)
{
	*out = (struct itimerval){ ns_tv(itimer_real.interval), ns_tv(remaining(&itimer_real)) };
}

UK_SYSCALL(getitimer)
{
	if (a0 != 0)
		return -EINVAL;
	itimer_get((struct itimerval *)a1);
	return 0;
}

UK_SYSCALL(setitimer)
{
	const struct itimerval *nv = (const void *)a1;

	if (a0 != 0)
		return -EINVAL;
	if (nv && (nv->value.sec < 0 || nv->value.usec < 0 || nv->value.usec >= 1000000 || nv->interval.usec < 0 ||
		   nv->interval.usec >= 1000000 || nv->interval.sec < 0))
		return -EINVAL;
	if (a2)
		itimer_get((struct itimerval *)a2);
	if (nv)
		arm(&itimer_real, tv_ns(&nv->value), tv_ns(&nv->interval));
	return 0;
}

UK_SYSCALL(alarm)
{
	uint64_t left = remaining(&itimer_real);
	long secs = (long)(left / NS) + ((left % NS) >= NS / 2 || (left && left < NS) ? 1 : 0);

	arm(&itimer_real, (uint64_t)(unsigned)a0 * NS, 0);
	return secs;
}

/* ---- POSIX timers ---- */
static bool clock_ok(long c) { return c == 0 || c == 1 || c == 7 || c == 8 || c == 9 || c == 11; }
static bool wall_clock(long c) { return c == 0 || c == 8 || c == 11; }

static struct ptimer *timer_of(long id)
{
	return id >= 0 && id < MAX_TIMERS && timers[id].used ? &timers[id] : NULL;
}

static long check_event(const struct sigevent *ev)
{
	if (ev->notify != SIGEV_SIGNAL && ev->notify != SIGEV_NONE && ev->notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (ev->notify != SIGEV_NONE && (ev->signo < 1 || ev->signo > UK_SIGNALS))
		return -EINVAL;
	if (ev->notify == SIGEV_THREAD_ID && !uk_posix_signal_of_tid(ev->tid))
		return -EINVAL;
	return 0;
}

UK_SYSCALL(timer_create)
{
	const struct sigevent *ev = (const void *)a1;
	int id = 0;

	if (!clock_ok(a0))
		return -EINVAL;
	if (ev && check_event(ev))
		return -EINVAL;
	while (id < MAX_TIMERS && timers[id].used)
		id++;
	if (id == MAX_TIMERS)
		return -EAGAIN;
	struct ptimer *p = &timers[id];
	*p = (struct ptimer){ .used = true, .id = id, .clock = (int)a0, .code = UK_SI_TIMER, .signo = UK_SIGALRM,
			      .notify = SIGEV_SIGNAL, .value = (uint64_t)id };
	if (ev) {
		p->signo = ev->signo, p->notify = ev->notify, p->value = ev->value;
		p->tid = ev->notify == SIGEV_THREAD_ID ? ev->tid : 0;
	}
	*(int *)a2 = id;
	return 0;
}

static void timer_get(const struct ptimer *p, struct itimerspec *out)
{
	*out = (struct itimerspec){ ns_ts(p->interval), ns_ts(remaining(p)) };
}

UK_SYSCALL(timer_settime)
{
	struct ptimer *p = timer_of(a0);
	const struct itimerspec *nv = (const void *)a2;

	if (!p)
		return -EINVAL;
	if (!nv || ts_bad(&nv->value) || ts_bad(&nv->interval))
		return -EINVAL;
	if (a3)
		timer_get(p, (struct itimerspec *)a3);
	uint64_t value = ts_ns(&nv->value);
	if (value && (a1 & TIMER_ABSTIME)) { /* converted once to the monotonic clock */
		uint64_t now = wall_clock(p->clock) ? uk_plat_wall_ns() : uk_plat_monotonic_ns();
		value = value > now ? value - now : 1;
	}
	arm(p, value, ts_ns(&nv->interval));
	return 0;
}

UK_SYSCALL(timer_gettime)
{
	struct ptimer *p = timer_of(a0);

	if (!p)
		return -EINVAL;
	timer_get(p, (struct itimerspec *)a1);
	return 0;
}

UK_SYSCALL(timer_getoverrun)
{
	struct ptimer *p = timer_of(a0);

	return p ? p->overrun : -EINVAL;
}

UK_SYSCALL(timer_delete)
{
	struct ptimer *p = timer_of(a0);

	if (!p)
		return -EINVAL;
	uk_core_timer_del(&p->t);
	p->used = false;
	return 0;
}
