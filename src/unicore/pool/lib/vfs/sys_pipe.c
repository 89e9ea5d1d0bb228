/* vfs: pipes (pipe, pipe2): a 64 KiB ring buffer and one wait queue for both ends. A read of
 * an empty pipe whose write end is open blocks until a writer writes or closes, a write blocks
 * until everything is written (O_NONBLOCK: EAGAIN instead of blocking, a partial write when
 * some fits); without readers a write raises SIGPIPE and fails with EPIPE. With one thread
 * nothing could wake a blocked end: the kernel reports the deadlock. */
#include "vfs_priv.h"

#define PIPE_SIZE 65536

struct pipe {
	char *buf;
	size_t head, len; /* read position and bytes held */
	int readers, writers;
	struct uk_waitq *wq;
};

#define PIPE(f) ((struct pipe *)(f)->vn->priv)

static size_t ring_read(struct pipe *p, char *buf, size_t len)
{
	size_t n = 0, chunk;

	while (n < len && p->len) {
		chunk = PIPE_SIZE - p->head < p->len ? PIPE_SIZE - p->head : p->len;
		if (chunk > len - n)
			chunk = len - n;
		uk_vfs_memcpy(buf + n, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % PIPE_SIZE;
		p->len -= chunk;
		n += chunk;
	}
	return n;
}

static long pipe_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct pipe *p = PIPE(f);

	(void)off;
	while (!p->len && len) {
		if (!p->writers)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		long err = uk_vfs_wait(p->wq, "a pipe to be written");
		if (err)
			return err;
	}
	size_t n = ring_read(p, buf, len);
	if (n)
		uk_vfs_wake(p->wq);
	return (long)n;
}

static size_t ring_write(struct pipe *p, const char *buf, size_t len)
{
	size_t n = 0, at, chunk;

	while (n < len && p->len < PIPE_SIZE) {
		at = (p->head + p->len) % PIPE_SIZE;
		chunk = PIPE_SIZE - at < PIPE_SIZE - p->len ? PIPE_SIZE - at : PIPE_SIZE - p->len;
		if (chunk > len - n)
			chunk = len - n;
		uk_vfs_memcpy(p->buf + at, buf + n, chunk);
		p->len += chunk;
		n += chunk;
	}
	return n;
}

/* Writes of up to PIPE_BUF (4096) bytes are atomic: they wait until they fit whole. */
static long pipe_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	struct pipe *p = PIPE(f);
	size_t n = 0;

	(void)off;
	if (!p->buf && !(p->buf = uk_vfs_alloc(PIPE_SIZE)))
		return -ENOMEM;
	while (n < len) {
		if (!p->readers) {
			uk_vfs_sigpipe();
			return n ? (long)n : -EPIPE;
		}
		size_t room = PIPE_SIZE - p->len;
		if (room && (len - n > 4096 || room >= len - n)) {
			n += ring_write(p, (const char *)buf + n, len - n);
			uk_vfs_wake(p->wq);
			continue;
		}
		if (f->flags & O_NONBLOCK)
			return n ? (long)n : -EAGAIN;
		long err = uk_vfs_wait(p->wq, "room in a pipe");
		if (err)
			return n ? (long)n : err;
	}
	return (long)n;
}

static unsigned pipe_poll(struct uk_file *f, struct uk_waitq **wq)
{
	struct pipe *p = PIPE(f);

	*wq = p->wq;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return (p->len ? UK_POLLIN : 0) | (p->writers ? 0 : UK_POLLHUP);
	return (p->len < PIPE_SIZE ? UK_POLLOUT : 0) | (p->readers ? 0 : UK_POLLERR);
}

static void pipe_close(struct uk_file *f)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		PIPE(f)->readers--;
	else
		PIPE(f)->writers--;
	uk_vfs_wake(PIPE(f)->wq); /* a blocked reader sees the end, a writer the missing reader */
}

static void pipe_release(struct uk_vnode *vn)
{
	uk_vfs_free(((struct pipe *)vn->priv)->buf);
	uk_vfs_free(((struct pipe *)vn->priv)->wq);
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.close = pipe_close,
	.release = pipe_release,
	.poll = pipe_poll,
};

static long do_pipe(int *fds, long flags)
{
	struct uk_vnode *vn;
	struct uk_file *r, *w;
	long err;
	int cloexec = !!(flags & O_CLOEXEC);

	UK_VFS_READY();
	if (!fds)
		return -EFAULT;
	if (flags & ~(long)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	vn = uk_vfs_vnode_new(&pipe_ops, NULL, S_IFIFO | 0600, sizeof(struct pipe));
	if (!vn)
		return -ENOMEM;
	vn->seekable = 0;
	if (!(((struct pipe *)vn->priv)->wq = uk_vfs_waitq_new())) {
		uk_vfs_vnode_put(vn);
		return -ENOMEM;
	}
	vn->attr.nlink = 1;
	r = uk_vfs_file_open(vn, O_RDONLY | (int)(flags & O_NONBLOCK), "pipe:", &err);
	w = r ? uk_vfs_file_open(vn, O_WRONLY | (int)(flags & O_NONBLOCK), "pipe:", &err) : NULL;
	uk_vfs_vnode_put(vn); /* the two files hold it now */
	if (!w) {
		uk_vfs_file_put(r);
		return err;
	}
	((struct pipe *)vn->priv)->readers = ((struct pipe *)vn->priv)->writers = 1;
	fds[0] = uk_vfs_fd_install(r, 0, cloexec);
	if (fds[0] < 0) {
		uk_vfs_file_put(w);
		return fds[0];
	}
	fds[1] = uk_vfs_fd_install(w, 0, cloexec);
	if (fds[1] < 0) {
		uk_vfs_fd_close(fds[0]);
		return fds[1];
	}
	return 0;
}

UK_VFS_SYSCALL(pipe)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return do_pipe(UK_PTR(a0), 0);
}

UK_VFS_SYSCALL(pipe2)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return do_pipe(UK_PTR(a0), a1);
}
