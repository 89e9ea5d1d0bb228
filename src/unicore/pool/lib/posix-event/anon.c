/* Anonymous files (posix-event): the vnode and open file behind an epoll instance, an eventfd
 * or a timerfd, installed as an fd as pipes are. */
#include <uk/core.h>
#include <uk/vfs.h>
#include <uk/posix-event.h>

long uk_posix_event_file_new(const struct uk_vfs_ops *ops, size_t size, int flags, const char *name, void **priv)
{
	struct uk_vnode *vn;
	long err = uk_vfs_init();

	if (err < 0)
		return err;
	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!(vn = uk_vfs_vnode_new(ops, NULL, 0600, size)))
		return -ENOMEM;
	vn->seekable = 0;
	vn->attr.nlink = 1;
	struct uk_file *f = uk_vfs_file_open(vn, O_RDWR | (flags & O_NONBLOCK), name, &err);
	uk_vfs_vnode_put(vn); /* the file holds it */
	if (!f)
		return err;
	*priv = vn->priv;
	return uk_vfs_fd_install(f, 0, !!(flags & O_CLOEXEC));
}

void *uk_posix_event_file_priv(int fd, const struct uk_vfs_ops *ops)
{
	struct uk_file *f = uk_vfs_fd_get(fd);

	return f && f->vn->ops == ops ? f->vn->priv : NULL;
}
