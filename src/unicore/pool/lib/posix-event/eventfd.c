/* eventfd (posix-event): a 64-bit counter as a file. write adds (waiting while the sum would
 * pass 2^64-2), read takes all of it, or one with EFD_SEMAPHORE (waiting while it is 0); poll
 * says readable while it is non-zero, writable while 1 more fits. */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/posix-event.h>

#define EFD_SEMAPHORE 1
#define MAX_COUNT 0xfffffffffffffffeULL

struct eventfd {
	uint64_t count;
	bool semaphore;
	struct uk_waitq wq;
};

#define EVENTFD(f) ((struct eventfd *)(f)->vn->priv)

static long wait_change(struct uk_file *f, const char *what)
{
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	return uk_core_waitq_sleep(&EVENTFD(f)->wq, 0, what);
}

static long efd_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct eventfd *e = EVENTFD(f);
	long err;

	(void)off;
	if (len < 8)
		return -EINVAL;
	while (!e->count)
		if ((err = wait_change(f, "an eventfd to count")))
			return err;
	uint64_t v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, 8);
	uk_core_waitq_wake_all(&e->wq);
	return 8;
}

static long efd_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	struct eventfd *e = EVENTFD(f);
	uint64_t v;
	long err;

	(void)off;
	if (len < 8)
		return -EINVAL;
	memcpy(&v, buf, 8);
	if (v == ~0ULL)
		return -EINVAL;
	while (MAX_COUNT - e->count < v)
		if ((err = wait_change(f, "room in an eventfd")))
			return err;
	e->count += v;
	if (v)
		uk_core_waitq_wake_all(&e->wq);
	return 8;
}

static unsigned efd_poll(struct uk_file *f, struct uk_waitq **wq)
{
	struct eventfd *e = EVENTFD(f);

	*wq = &e->wq;
	return (e->count ? UK_POLLIN : 0) | (e->count < MAX_COUNT ? UK_POLLOUT : 0);
}

static void efd_release(struct uk_vnode *vn) { uk_vfs_free(vn); }

static const struct uk_vfs_ops eventfd_ops = {
	.read = efd_read, .write = efd_write, .poll = efd_poll, .release = efd_release,
};

UK_SYSCALL(eventfd2)
{
	struct eventfd *e;
	long fd = uk_posix_event_file_new(&eventfd_ops, sizeof(*e), (int)(a1 & ~EFD_SEMAPHORE), "anon_inode:[eventfd]",
					  (void **)&e);

	if (fd >= 0) {
		e->count = (uint32_t)a0;
		e->semaphore = a1 & EFD_SEMAPHORE;
	}
	return fd;
}

UK_SYSCALL(eventfd) { return uk_sys_eventfd2(a0, 0, 0, 0, 0, 0); }
