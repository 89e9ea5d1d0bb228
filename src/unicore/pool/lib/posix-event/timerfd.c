/* timerfd (posix-event): a timer as a file. It counts expirations (periodic ones re-arm
 * themselves, missed periods counted too); read returns the count and resets it, waiting while
 * it is 0; poll says readable while it is not. Realtime (absolute deadlines converted to the
 * monotonic clock when set), monotonic and boottime clocks. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/posix-event.h>

#define NS 1000000000ULL
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2

struct ts { int64_t sec, nsec; };
struct itimerspec { struct ts interval, value; };

struct timerfd {
	struct uk_timer t;   /* first: the callback finds the timerfd from it */
	int clock;
	uint64_t interval, ticks;
	struct uk_waitq wq;
};

#define TIMERFD(f) ((struct timerfd *)(f)->vn->priv)

static void expired(struct uk_timer *t)
{
	struct timerfd *tf = (struct timerfd *)t;
	uint64_t n = 1;

	if (tf->interval) {
		uint64_t now = uk_plat_monotonic_ns(), next = t->deadline + tf->interval;
		if (next <= now) {
			uint64_t missed = (now - next) / tf->interval + 1;
			n += missed;
			next += missed * tf->interval;
		}
		uk_core_timer_add(t, next);
	}
	tf->ticks += n;
	uk_core_waitq_wake_all(&tf->wq);
}

static long tfd_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct timerfd *tf = TIMERFD(f);
	long err;

	(void)off;
	if (len < 8)
		return -EINVAL;
	while (!tf->ticks) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if ((err = uk_core_waitq_sleep(&tf->wq, 0, "a timerfd to expire")))
			return err;
	}
	memcpy(buf, &tf->ticks, 8);
	tf->ticks = 0;
	return 8;
}

static unsigned tfd_poll(struct uk_file *f, struct uk_waitq **wq)
{
	*wq = &TIMERFD(f)->wq;
	return TIMERFD(f)->ticks ? UK_POLLIN : 0;
}

static void tfd_release(struct uk_vnode *vn)
{
	uk_core_timer_del(&((struct timerfd *)vn->priv)->t);
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops timerfd_ops = { .read = tfd_read, .poll = tfd_poll, .release = tfd_release };

static bool clock_ok(long c) { return c == 0 || c == 1 || c == 7 || c == 8 || c == 9; }
static bool wall_clock(long c) { return c == 0 || c == 8; }

UK_SYSCALL(timerfd_create)
{
	struct timerfd *tf;

	if (!clock_ok(a0))
		return -EINVAL;
	long fd = uk_posix_event_file_new(&timerfd_ops, sizeof(*tf), (int)a1, "anon_inode:[timerfd]", (void **)&tf);
	if (fd >= 0) {
		tf->clock = (int)a0;
		tf->t.fn = expired;
	}
	return fd;
}

static uint64_t ts_ns(const struct ts *t) { return (uint64_t)t->sec * NS + (uint64_t)t->nsec; }
static struct ts ns_ts(uint64_t ns) { return (struct ts){ (int64_t)(ns / NS), (int64_t)(ns % NS) }; }
static bool ts_bad(const struct ts *t) { return t->sec < 0 || t->nsec < 0 || t->nsec >= (int64_t)NS; }

static void get(const struct timerfd *tf, struct itimerspec *out)
{
	uint64_t now = uk_plat_monotonic_ns(), left = !tf->t.armed ? 0 : tf->t.deadline > now ? tf->t.deadline - now : 1;

	*out = (struct itimerspec){ ns_ts(tf->interval), ns_ts(left) };
}

UK_SYSCALL(timerfd_settime)
{
	struct timerfd *tf = uk_posix_event_file_priv((int)a0, &timerfd_ops);
	const struct itimerspec *nv = (const void *)a2;

	if (!tf)
		return uk_vfs_fd_get((int)a0) ? -EINVAL : -EBADF;
	if (!nv || ts_bad(&nv->value) || ts_bad(&nv->interval) || (a1 & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)))
		return -EINVAL;
	if (a3)
		get(tf, (struct itimerspec *)a3);
	uint64_t value = ts_ns(&nv->value), mono = uk_plat_monotonic_ns();
	tf->interval = ts_ns(&nv->interval);
	tf->ticks = 0;
	if (!value) {
		uk_core_timer_del(&tf->t);
		return 0;
	}
	if (a1 & TFD_TIMER_ABSTIME) { /* converted once to the monotonic clock */
		uint64_t now = wall_clock(tf->clock) ? uk_plat_wall_ns() : mono;
		value = value > now ? value - now : 0;
	}
	uk_core_timer_add(&tf->t, mono + value);
	return 0;
}

UK_SYSCALL(timerfd_gettime)
{
	struct timerfd *tf = uk_posix_event_file_priv((int)a0, &timerfd_ops);

	if (!tf)
		return uk_vfs_fd_get((int)a0) ? -EINVAL : -EBADF;
	get(tf, (struct itimerspec *)a1);
	return 0;
}
