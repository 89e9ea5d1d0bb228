/* poll, ppoll, select, pselect6 (fs-extra): scan the fds; when none is ready, put one waiter on
 * the wait queue of each file that has one (pipes; later sockets, eventfds) and block until a
 * change there, the timeout or a signal, then scan again. Files without a poll operation
 * (regular files, devices, the console) are always ready, as on Linux for regular files. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/posix-signal.h>

UK_OPTIONAL(uk_posix_signal_no_restart);
UK_OPTIONAL(uk_posix_signal_mask_during);

/* ppoll/pselect6's sigmask: the mask while this syscall waits (back on the way out). */
static void mask_during(const uint64_t *mask)
{
	if (mask && uk_posix_signal_mask_during)
		uk_posix_signal_mask_during(*mask);
}

#define FD_LIMIT 1024
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define NS 1000000000LL

struct pollfd {
	int fd;
	short events, revents;
};

/* What a scan needs: the fds, and waiters to register (NULL: only look). */
struct scan {
	long (*fn)(struct scan *s, struct uk_waiter *w);
	struct pollfd *fds;
	unsigned long n;
	uint64_t *sets[3], *out[3]; /* select: asked (copies) and answered */
	long nfds;
};

static unsigned fd_ready(int fd, struct uk_waiter *w)
{
	struct uk_file *f = uk_vfs_fd_get(fd);
	struct uk_waitq *q = NULL;

	if (!f)
		return POLLNVAL;
	if (!f->vn->ops->poll)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	unsigned m = f->vn->ops->poll(f, &q);
	if (w && q)
		uk_core_waitq_add(q, w);
	return m | ((m & POLLIN) ? POLLRDNORM : 0) | ((m & POLLOUT) ? POLLWRNORM : 0);
}

static long poll_scan(struct scan *s, struct uk_waiter *w)
{
	long ready = 0;

	for (unsigned long i = 0; i < s->n; i++) {
		struct pollfd *p = &s->fds[i];
		unsigned m = p->fd < 0 ? 0 : fd_ready(p->fd, w ? &w[i] : NULL);
		p->revents = (short)(m & ((unsigned)p->events | POLLERR | POLLHUP | POLLNVAL));
		ready += p->revents != 0;
	}
	return ready;
}

/* Block until a scan finds something, the deadline (0: none; -1: do not wait) or a signal. */
static long wait_loop(struct scan *s, unsigned long nwaiters, int64_t deadline)
{
	long ready = s->fn(s, NULL);
	struct uk_waiter *w;

	if (ready || deadline < 0)
		return ready;
	if (!(w = uk_core_zalloc((nwaiters ? nwaiters : 1) * sizeof(*w))))
		return -ENOMEM;
	while (!ready) {
		ready = s->fn(s, w);
		if (ready)
			break;
		int why = uk_core_thread_block((uint64_t)deadline, "poll/select");
		for (unsigned long i = 0; i < nwaiters; i++)
			uk_core_waitq_del(&w[i]);
		ready = why == UK_WAKE_SIGNAL ? -EINTR : s->fn(s, NULL);
		if (why == UK_WAKE_TIMEOUT)
			break;
	}
	for (unsigned long i = 0; i < nwaiters; i++)
		uk_core_waitq_del(&w[i]);
	uk_core_free(w);
	if (ready == -EINTR && uk_posix_signal_no_restart) /* never restarted, as on Linux */
		uk_posix_signal_no_restart();
	return ready;
}

/* A timeout in ns (negative: none) as a deadline for wait_loop. */
static int64_t deadline_in(int64_t ns)
{
	if (ns < 0)
		return 0;
	if (ns == 0)
		return -1;
	return (int64_t)uk_plat_monotonic_ns() + ns;
}

static int64_t timespec_ns(const struct uk_timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS)
		return -2;
	return ts->tv_sec * NS + ts->tv_nsec;
}

static long do_poll(struct pollfd *fds, unsigned long n, int64_t timeout_ns)
{
	struct scan s = { .fn = poll_scan, .fds = fds, .n = n };

	if (n > FD_LIMIT)
		return -EINVAL;
	return wait_loop(&s, n, deadline_in(timeout_ns));
}

UK_SYSCALL(poll) { return do_poll((struct pollfd *)a0, (unsigned long)a1, (int)a2 < 0 ? -1 : (int64_t)(int)a2 * 1000000); }

UK_SYSCALL(ppoll)
{
	int64_t ns = timespec_ns((const struct uk_timespec *)a2);

	if (ns == -2)
		return -EINVAL;
	mask_during((const uint64_t *)a3);
	return do_poll((struct pollfd *)a0, (unsigned long)a1, ns);
}

/* ---- select: fd_set bitmaps; readable, writable and exceptional (never) sets ---- */
static long select_scan(struct scan *s, struct uk_waiter *w)
{
	long ready = 0;

	for (long fd = 0; fd < s->nfds; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		bool asked = false;
		for (int k = 0; k < 3; k++)
			asked |= s->sets[k] && (s->sets[k][fd / 64] & bit);
		if (!asked)
			continue;
		unsigned m = fd_ready((int)fd, w ? &w[fd] : NULL);
		if (m & POLLNVAL)
			return -EBADF;
		unsigned want[3] = { POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI };
		for (int k = 0; k < 3; k++)
			if (s->sets[k] && (s->sets[k][fd / 64] & bit) && (m & want[k])) {
				s->out[k][fd / 64] |= bit;
				ready++;
			}
	}
	return ready;
}

static long do_select(long nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, int64_t timeout_ns)
{
	uint64_t asked[3][FD_LIMIT / 64], answer[3][FD_LIMIT / 64];
	uint64_t *user[3] = { rd, wr, ex };
	struct scan s = { .fn = select_scan, .nfds = nfds };

	if (nfds < 0 || nfds > FD_LIMIT)
		return -EINVAL;
	size_t words = (size_t)(nfds + 63) / 64;
	for (int k = 0; k < 3; k++) {
		s.sets[k] = user[k] ? memcpy(asked[k], user[k], words * 8) : NULL;
		s.out[k] = memset(answer[k], 0, sizeof(answer[k]));
	}
	long ready = wait_loop(&s, (unsigned long)nfds, deadline_in(timeout_ns));
	for (int k = 0; k < 3 && ready >= 0; k++)
		if (user[k])
			memcpy(user[k], answer[k], words * 8);
	return ready;
}

struct timeval_k {
	int64_t sec, usec;
};

UK_SYSCALL(select)
{
	const struct timeval_k *tv = (const void *)a4;

	if (tv && (tv->sec < 0 || tv->usec < 0 || tv->usec >= 1000000))
		return -EINVAL;
	return do_select(a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3, tv ? tv->sec * NS + tv->usec * 1000 : -1);
}

UK_SYSCALL(pselect6)
{
	int64_t ns = timespec_ns((const struct uk_timespec *)a4);
	const uint64_t *const *sigmask = (const void *)a5; /* { const sigset_t *ss; size_t len } */

	if (ns == -2)
		return -EINVAL;
	mask_during(sigmask ? sigmask[0] : NULL);
	return do_select(a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3, ns);
}
