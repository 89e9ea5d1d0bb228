/* signalfd (posix-event): the running thread's pending signals of a mask read as files (struct
 * signalfd_siginfo each, taking them as sigwaitinfo would), waiting while none is pending; poll
 * says readable while one is. The signals are posix-signal's: without it, ENOSYS. */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/posix-event.h>
#include <uk/posix-signal.h>

UK_OPTIONAL(uk_posix_signal_pending_of);
UK_OPTIONAL(uk_posix_signal_dequeue);
UK_OPTIONAL(uk_posix_signal_sent_queue);

#define UNBLOCKABLE ((1ULL << (UK_SIGKILL - 1)) | (1ULL << (UK_SIGSTOP - 1)))

struct signalfd_siginfo {
	uint32_t signo;
	int32_t errno_, code;
	uint32_t pid, uid;
	int32_t fd;
	uint32_t tid, band, overrun, trapno;
	int32_t status, int_;
	uint64_t ptr, utime, stime, addr;
	uint16_t addr_lsb;
	uint8_t pad[46];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "Linux's signalfd_siginfo");

struct signalfd {
	uint64_t mask;
};

#define SIGNALFD(f) ((struct signalfd *)(f)->vn->priv)

static void fill(struct signalfd_siginfo *out, const struct uk_posix_signal_info *i)
{
	*out = (struct signalfd_siginfo){ .signo = (uint32_t)i->signo, .errno_ = i->errno_, .code = i->code };
	if (i->signo == UK_SIGCHLD) {
		out->pid = (uint32_t)i->u.child.pid, out->uid = i->u.child.uid, out->status = i->u.child.status;
	} else if (i->code == UK_SI_TIMER) {
		out->tid = (uint32_t)i->u.timer.tid, out->overrun = (uint32_t)i->u.timer.overrun;
		out->ptr = i->u.timer.value, out->int_ = (int32_t)i->u.timer.value;
	} else if (i->signo == UK_SIGSEGV || i->signo == UK_SIGBUS || i->signo == UK_SIGILL || i->signo == UK_SIGFPE) {
		out->addr = i->u.fault.addr;
	} else {
		out->pid = (uint32_t)i->u.kill.pid, out->uid = i->u.kill.uid;
		out->ptr = i->u.kill.value, out->int_ = (int32_t)i->u.kill.value;
	}
}

static long sfd_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct uk_posix_signal_info info;
	size_t n = 0;

	(void)off;
	if (len < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	while (!uk_posix_signal_pending_of(SIGNALFD(f)->mask)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		long err = uk_core_waitq_sleep(uk_posix_signal_sent_queue(), 0, "a signal (signalfd)");
		if (err)
			return err;
	}
	while (n + sizeof(struct signalfd_siginfo) <= len && uk_posix_signal_dequeue(SIGNALFD(f)->mask, &info))
		fill((struct signalfd_siginfo *)((char *)buf + n), &info), n += sizeof(struct signalfd_siginfo);
	return (long)n;
}

static unsigned sfd_poll(struct uk_file *f, struct uk_waitq **wq)
{
	*wq = uk_posix_signal_sent_queue();
	return uk_posix_signal_pending_of(SIGNALFD(f)->mask) ? UK_POLLIN : 0;
}

static void sfd_release(struct uk_vnode *vn) { uk_vfs_free(vn); }

static const struct uk_vfs_ops signalfd_ops = { .read = sfd_read, .poll = sfd_poll, .release = sfd_release };

UK_SYSCALL(signalfd4)
{
	struct signalfd *s;

	if (!uk_posix_signal_dequeue)
		return -ENOSYS;
	if (a2 != 8)
		return -EINVAL;
	uint64_t mask = *(const uint64_t *)a1 & ~UNBLOCKABLE;
	if ((int)a0 != -1) { /* a new mask for an existing signalfd (an int: glibc passes 32 bits) */
		if (!(s = uk_posix_event_file_priv((int)a0, &signalfd_ops)))
			return uk_vfs_fd_get((int)a0) ? -EINVAL : -EBADF;
		s->mask = mask;
		return (int)a0;
	}
	long fd = uk_posix_event_file_new(&signalfd_ops, sizeof(*s), (int)a3, "anon_inode:[signalfd]", (void **)&s);
	if (fd >= 0)
		s->mask = mask;
	return fd;
}

UK_SYSCALL(signalfd) { return uk_sys_signalfd4(a0, a1, a2, 0, 0, 0); }
