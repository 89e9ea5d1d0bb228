/* vfs: pipes (pipe, pipe2). One process and no threads: a pipe is a 64 KiB ring buffer whose
 * reader and writer are the same program, so nothing may wait. A read of an empty pipe whose
 * write end is open, or a write to a full one, returns EAGAIN where Linux would block (and,
 * here, hang for ever); without readers a write gives EPIPE (no SIGPIPE is raised). */
#include "vfs_priv.h"

#define PIPE_SIZE 65536

struct pipe {
	char *buf;
	size_t head, len; /* read position and bytes held */
	int readers, writers;
};

#define PIPE(f) ((struct pipe *)(f)->vn->priv)

/* With --debug, say once that a blocking read of an empty pipe can never be satisfied: its
 * writers are this program's own fds, and the program is waiting (one thread). */
static long empty_with_writers(struct uk_file *f)
{
	static int said;

	if (!(f->flags & O_NONBLOCK) && !said && uk_vfs_debug()) {
		said = 1;
		uk_vfs_log("debug: read of an empty pipe would block for ever: its only writer is this "
			   "program, which is waiting in the read (one thread); returning EAGAIN");
	}
	return -EAGAIN;
}

static long pipe_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct pipe *p = PIPE(f);
	size_t n = 0, chunk;

	(void)off;
	if (!p->len)
		return p->writers ? empty_with_writers(f) : 0;
	while (n < len && p->len) {
		chunk = PIPE_SIZE - p->head < p->len ? PIPE_SIZE - p->head : p->len;
		if (chunk > len - n)
			chunk = len - n;
		uk_vfs_memcpy((char *)buf + n, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % PIPE_SIZE;
		p->len -= chunk;
		n += chunk;
	}
	return (long)n;
}

static long pipe_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	struct pipe *p = PIPE(f);
	size_t n = 0, at, chunk;

	(void)off;
	if (!p->readers)
		return -EPIPE;
	if (!p->buf && !(p->buf = uk_vfs_alloc(PIPE_SIZE)))
		return -ENOMEM;
	if (len && p->len == PIPE_SIZE)
		return -EAGAIN;
	while (n < len && p->len < PIPE_SIZE) {
		at = (p->head + p->len) % PIPE_SIZE;
		chunk = PIPE_SIZE - at < PIPE_SIZE - p->len ? PIPE_SIZE - at : PIPE_SIZE - p->len;
		if (chunk > len - n)
			chunk = len - n;
		uk_vfs_memcpy(p->buf + at, (const char *)buf + n, chunk);
		p->len += chunk;
		n += chunk;
	}
	return (long)n;
}

static void pipe_close(struct uk_file *f)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		PIPE(f)->readers--;
	else
		PIPE(f)->writers--;
}

static void pipe_release(struct uk_vnode *vn)
{
	uk_vfs_free(((struct pipe *)vn->priv)->buf);
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.close = pipe_close,
	.release = pipe_release,
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
