/* epoll (posix-event): an instance watches files through their poll operation. Each watched
 * file (an item) keeps a waiter on the file's wait queue whose notify marks the item changed and
 * wakes the instance's waiters, so epoll_wait sleeps on one queue however many files it watches.
 * Level-triggered items are reported whenever ready; edge-triggered ones (EPOLLET) only when
 * they changed since their last report; EPOLLONESHOT items go quiet after one report until
 * EPOLL_CTL_MOD. Items belong to the open file, not the fd: when the file's last reference goes
 * (vfs's uk_vfs_file_gone) every instance forgets it, as Linux does. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/posix-event.h>
#include <uk/posix-signal.h>

UK_OPTIONAL(uk_posix_signal_mask_during);
UK_OPTIONAL(uk_posix_signal_no_restart);

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDNORM 0x040
#define EPOLLWRNORM 0x100
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define MAX_EVENTS (1 << 20)

struct epoll_event {
	uint32_t events;
	uint64_t data;
}
#ifdef __x86_64__
__attribute__((packed)) /* Linux packs it on x86_64 only */
#endif
;

struct epoll;
struct item {
	struct item *next, *all_next;  /* in its instance; in every instance's (file_gone) */
	struct epoll *ep;
	struct uk_file *file;
	int fd;
	uint32_t events;
	uint64_t data;
	bool changed, quiet;           /* EPOLLET: changed since reported; EPOLLONESHOT: reported */
	struct uk_waiter w;
};

struct epoll {
	struct item *items;
	struct uk_waitq wq;            /* epoll_wait callers, and pollers of the epoll fd itself */
};

static struct item *all_items;

static void item_changed(struct uk_waiter *w)
{
	struct item *it = (struct item *)((char *)w - __builtin_offsetof(struct item, w));

	it->changed = true;
	uk_core_waitq_wake_all(&it->ep->wq);
}

/* The item's ready events now, its waiter (re)armed on the file's queue. */
static uint32_t item_ready(struct item *it)
{
	struct uk_waitq *q = NULL;

	if (!it->file->vn->ops->poll)
		return UK_POLLIN | UK_POLLOUT;
	unsigned m = it->file->vn->ops->poll(it->file, &q);
	if (q && !it->w.q) {
		uk_core_waitq_add(q, &it->w);
		it->w.notify = item_changed;
	}
	m |= ((m & UK_POLLIN) ? EPOLLRDNORM : 0) | ((m & UK_POLLOUT) ? EPOLLWRNORM : 0);
	return m & (it->events | EPOLLERR | EPOLLHUP);
}

/* Report up to max ready items into out (NULL: only count, changing nothing). */
static int scan(struct epoll *ep, struct epoll_event *out, int max)
{
	int n = 0;

	for (struct item *it = ep->items; it && n < max; it = it->next) {
		if (it->quiet)
			continue;
		uint32_t ready = item_ready(it);
		if (!ready || ((it->events & EPOLLET) && !it->changed))
			continue;
		n++;
		if (!out)
			continue;
		out[n - 1] = (struct epoll_event){ ready, it->data };
		it->changed = false;
		if (it->events & EPOLLONESHOT)
			it->quiet = true;
	}
	return n;
}

static void item_free(struct item *it)
{
	struct item **p;

	uk_core_waitq_del(&it->w);
	for (p = &it->ep->items; *p != it; p = &(*p)->next)
		;
	*p = it->next;
	for (p = &all_items; *p != it; p = &(*p)->all_next)
		;
	*p = it->all_next;
	uk_core_free(it);
}

void uk_posix_event_file_gone(struct uk_file *f)
{
	for (struct item *it = all_items, *next; it; it = next) {
		next = it->all_next;
		if (it->file == f)
			item_free(it);
	}
}

#define EPOLL(f) ((struct epoll *)(f)->vn->priv)

static unsigned ep_poll(struct uk_file *f, struct uk_waitq **wq)
{
	*wq = &EPOLL(f)->wq;
	return scan(EPOLL(f), NULL, 1 << 30) ? UK_POLLIN : 0;
}

static void ep_close(struct uk_file *f)
{
	while (EPOLL(f)->items)
		item_free(EPOLL(f)->items);
}

static void ep_release(struct uk_vnode *vn) { uk_vfs_free(vn); }

static const struct uk_vfs_ops epoll_ops = { .poll = ep_poll, .close = ep_close, .release = ep_release };

UK_SYSCALL(epoll_create1)
{
	void *priv;

	return uk_posix_event_file_new(&epoll_ops, sizeof(struct epoll), (int)a0, "anon_inode:[eventpoll]", &priv);
}

UK_SYSCALL(epoll_create) { return a0 <= 0 ? -EINVAL : uk_sys_epoll_create1(0, 0, 0, 0, 0, 0); }

static struct item *find(struct epoll *ep, struct uk_file *f, int fd)
{
	for (struct item *it = ep->items; it; it = it->next)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

static long add(struct epoll *ep, struct uk_file *f, int fd, const struct epoll_event *ev)
{
	struct item *it = uk_core_zalloc(sizeof(*it));

	if (!it)
		return -ENOMEM;
	*it = (struct item){ .next = ep->items, .all_next = all_items, .ep = ep, .file = f, .fd = fd,
			     .events = ev->events, .data = ev->data, .changed = true };
	ep->items = it;
	all_items = it;
	if (item_ready(it)) /* already ready: a waiter on the instance learns now */
		uk_core_waitq_wake_all(&ep->wq);
	return 0;
}

UK_SYSCALL(epoll_ctl)
{
	struct epoll *ep = uk_posix_event_file_priv((int)a0, &epoll_ops);
	struct uk_file *f = uk_vfs_fd_get((int)a2);
	const struct epoll_event *ev = (const void *)a3;

	if (!uk_vfs_fd_get((int)a0) || !f)
		return -EBADF;
	if (!ep || a0 == a2)
		return -EINVAL;
	if ((f->vn->attr.mode & S_IFMT) == S_IFREG || (f->vn->attr.mode & S_IFMT) == S_IFDIR)
		return -EPERM; /* always ready: Linux refuses them */
	struct item *it = find(ep, f, (int)a2);
	switch (a1) {
	case EPOLL_CTL_ADD:
		return it ? -EEXIST : add(ep, f, (int)a2, ev);
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		it->events = ev->events, it->data = ev->data, it->changed = true, it->quiet = false;
		if (item_ready(it))
			uk_core_waitq_wake_all(&ep->wq);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Wait until something is ready, the timeout (ns, negative: none) or a signal. */
static long do_wait(long epfd, struct epoll_event *out, long max, int64_t timeout_ns)
{
	struct epoll *ep = uk_posix_event_file_priv((int)epfd, &epoll_ops);
	uint64_t deadline = timeout_ns > 0 ? uk_plat_monotonic_ns() + (uint64_t)timeout_ns : 0;

	if (!uk_vfs_fd_get((int)epfd))
		return -EBADF;
	if (!ep || max <= 0 || max > MAX_EVENTS)
		return -EINVAL;
	for (;;) {
		int n = scan(ep, out, (int)max);
		if (n || timeout_ns == 0)
			return n;
		long err = uk_core_waitq_sleep(&ep->wq, deadline, "epoll_wait");
		if (err == -ETIMEDOUT)
			return 0;
		if (err == -EINTR) {
			if (uk_posix_signal_no_restart) /* never restarted, as on Linux */
				uk_posix_signal_no_restart();
			return -EINTR;
		}
	}
}

static int64_t ms_ns(long ms) { return (int)ms < 0 ? -1 : (int64_t)(int)ms * 1000000; }

static void mask_during(const uint64_t *mask)
{
	if (mask && uk_posix_signal_mask_during)
		uk_posix_signal_mask_during(*mask);
}

UK_SYSCALL(epoll_wait) { return do_wait(a0, (void *)a1, a2, ms_ns(a3)); }

UK_SYSCALL(epoll_pwait)
{
	mask_during((const uint64_t *)a4);
	return do_wait(a0, (void *)a1, a2, ms_ns(a3));
}

UK_SYSCALL(epoll_pwait2)
{
	const struct { int64_t sec, nsec; } *ts = (const void *)a3;

	if (ts && (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000))
		return -EINVAL;
	mask_during((const uint64_t *)a4);
	return do_wait(a0, (void *)a1, a2, ts ? ts->sec * 1000000000 + ts->nsec : -1);
}
