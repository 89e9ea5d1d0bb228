/* vfs: open/openat/creat, the cwd (chdir/fchdir/getcwd) and umask. */
#include "vfs_priv.h"

static uint32_t cur_umask = 022;

uint32_t uk_vfs_umask(void)
{
	return cur_umask;
}

static long open_create(struct uk_nameidata *nd, uint32_t mode)
{
	struct uk_vnode *dir = nd->dir;

	if (nd->trailing_slash)
		return -EISDIR;
	if (!dir->ops->create)
		return -EROFS;
	mode = S_IFREG | (mode & 07777 & ~cur_umask);
	return dir->ops->create(dir, nd->name, mode, &nd->node);
}

/* Checks on an existing object before opening it. */
static long open_check(struct uk_vnode *vn, int flags)
{
	int acc = flags & O_ACCMODE;

	if (flags & O_PATH)
		return 0;
	if (UK_S_ISLNK(vn->attr.mode))
		return -ELOOP;
	if ((flags & O_DIRECTORY) && !UK_S_ISDIR(vn->attr.mode))
		return -ENOTDIR;
	if (UK_S_ISDIR(vn->attr.mode) && (acc != O_RDONLY || (flags & O_CREAT)))
		return -EISDIR;
	if (acc == O_ACCMODE)
		return -EINVAL;
	return 0;
}

static long open_truncate(struct uk_vnode *vn, int flags)
{
	if (!(flags & O_TRUNC) || (flags & O_PATH) || !UK_S_ISREG(vn->attr.mode))
		return 0;
	if ((flags & O_ACCMODE) == O_RDONLY)
		return 0;
	return uk_vfs_truncate_vn(vn, 0);
}

long uk_vfs_do_open(int dirfd, const char *path, int flags, uint32_t mode)
{
	struct uk_nameidata nd;
	struct uk_file *f;
	int nflags = 0;
	long err;

	UK_VFS_READY();
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (!(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)))
		nflags |= UK_NAMEI_FOLLOW;
	if (flags & O_CREAT)
		nflags |= UK_NAMEI_CREATE;
	err = uk_vfs_namei(dirfd, path, nflags, &nd);
	if (err)
		return err;
	if (!nd.node)
		err = open_create(&nd, mode);
	else if ((flags & O_CREAT) && (flags & O_EXCL))
		err = -EEXIST;
	else
		err = open_check(nd.node, flags);
	if (!err)
		err = open_truncate(nd.node, flags);
	if (!err) {
		/* 64-bit Linux adds O_LARGEFILE to every open(2); F_GETFL shows it */
		f = uk_vfs_file_open(nd.node, flags | O_LARGEFILE, nd.path, &err);
		if (f)
			err = uk_vfs_fd_install(f, 0, !!(flags & O_CLOEXEC));
	}
	uk_vfs_nd_release(&nd);
	return err;
}

long uk_vfs_kopen(const char *path, int flags, uint32_t mode)
{
	return uk_vfs_do_open(AT_FDCWD, path, flags, mode);
}

UK_VFS_SYSCALL(open)
{
	(void)a3, (void)a4, (void)a5;
	return uk_vfs_do_open(AT_FDCWD, UK_PTR(a0), (int)a1, (uint32_t)a2);
}

UK_VFS_SYSCALL(openat)
{
	(void)a4, (void)a5;
	return uk_vfs_do_open((int)a0, UK_PTR(a1), (int)a2, (uint32_t)a3);
}

UK_VFS_SYSCALL(creat)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return uk_vfs_do_open(AT_FDCWD, UK_PTR(a0), O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a1);
}

UK_VFS_SYSCALL(umask)
{
	uint32_t old = cur_umask;

	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	cur_umask = (uint32_t)a0 & 0777;
	return old;
}

UK_VFS_SYSCALL(getcwd)
{
	const char *c;
	size_t n;

	(void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	c = uk_vfs_cwd();
	n = uk_vfs_strlen(c) + 1;
	if (!a0)
		return -EFAULT;
	if ((size_t)a1 < n)
		return -ERANGE;
	uk_vfs_memcpy(UK_PTR(a0), c, n);
	return (long)n;
}

long uk_vfs_chdir(const char *path)
{
	struct uk_nameidata nd;
	long err = uk_vfs_namei(AT_FDCWD, path, UK_NAMEI_FOLLOW, &nd);

	if (err)
		return err;
	if (!UK_S_ISDIR(nd.node->attr.mode)) {
		uk_vfs_nd_release(&nd);
		return -ENOTDIR;
	}
	uk_vfs_set_cwd(nd.path);
	nd.path = NULL;
	uk_vfs_nd_release(&nd);
	return 0;
}

UK_VFS_SYSCALL(chdir)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	return uk_vfs_chdir(UK_PTR(a0));
}

UK_VFS_SYSCALL(fchdir)
{
	struct uk_file *f;
	char *p;

	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	f = uk_vfs_fd_get((int)a0);
	if (!f)
		return -EBADF;
	if (!UK_S_ISDIR(f->vn->attr.mode))
		return -ENOTDIR;
	p = uk_vfs_strdup(f->path);
	if (!p)
		return -ENOMEM;
	return uk_vfs_set_cwd(p);
}
