/* vfs: path-based syscalls: the stat family, access, mkdir/rmdir/unlink/rename, symlinks,
 * truncate, and the recorded attributes (chmod/chown/utimensat). */
#include "vfs_priv.h"

#define RENAME_NOREPLACE 1

long uk_vfs_truncate_vn(struct uk_vnode *vn, uk_off_t len);

/* Resolve (dirfd, path) to an existing object, honouring AT_EMPTY_PATH. */
static long lookup_at(long dirfd, const char *path, int follow, int flags, struct uk_nameidata *nd)
{
	struct uk_file *f;

	UK_VFS_READY();
	if (path && !path[0] && (flags & AT_EMPTY_PATH)) {
		uk_vfs_memset(nd, 0, sizeof(*nd));
		if (dirfd == AT_FDCWD)
			return uk_vfs_namei(AT_FDCWD, ".", UK_NAMEI_FOLLOW, nd);
		f = uk_vfs_fd_get((int)dirfd);
		if (!f)
			return -EBADF;
		nd->node = uk_vnode_get(f->vn);
		return 0;
	}
	return uk_vfs_namei((int)dirfd, path, follow ? UK_NAMEI_FOLLOW : 0, nd);
}

static void fill_stat(struct uk_vnode *vn, struct uk_stat *st)
{
	const struct uk_vattr *a = &vn->attr;

	uk_vfs_memset(st, 0, sizeof(*st));
	st->st_dev = vn->mnt ? vn->mnt->dev : 0;
	st->st_ino = a->ino;
	st->st_nlink = a->nlink;
	st->st_mode = a->mode;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = a->size;
	st->st_blksize = 4096;
	st->st_blocks = a->blocks ? a->blocks : (a->size + 511) / 512;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

static long stat_fill(struct uk_vnode *vn, long buf);

static long stat_vn(struct uk_vnode *vn, long buf)
{
	long err = uk_vfs_refresh(vn);

	return err ? err : stat_fill(vn, buf);
}

static long stat_fill(struct uk_vnode *vn, long buf)
{
	if (!buf)
		return -EFAULT;
	fill_stat(vn, UK_PTR(buf));
	return 0;
}

static long stat_at(long dirfd, long path, long buf, long flags)
{
	struct uk_nameidata nd;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	err = lookup_at(dirfd, UK_PTR(path), !(flags & AT_SYMLINK_NOFOLLOW), (int)flags, &nd);
	if (err)
		return err;
	err = stat_vn(nd.node, buf);
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(stat)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return stat_at(AT_FDCWD, a0, a1, 0);
}

UK_VFS_SYSCALL(lstat)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return stat_at(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}

UK_VFS_SYSCALL(newfstatat)
{
	(void)a4, (void)a5;
	return stat_at(a0, a1, a2, a3);
}

UK_VFS_SYSCALL(fstat)
{
	struct uk_file *f;
	long err;

	(void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	f = uk_vfs_fd_get((int)a0);
	if (!f)
		return -EBADF;
	err = uk_vfs_frefresh(f);
	return err ? err : stat_fill(f->vn, a1);
}

static void statx_ts(struct uk_statx_ts *d, const struct uk_timespec *s)
{
	d->tv_sec = s->tv_sec;
	d->tv_nsec = (uint32_t)s->tv_nsec;
}

UK_VFS_SYSCALL(statx)
{
	struct uk_stat st;
	struct uk_statx *sx = UK_PTR(a4);
	long err = stat_at(a0, a1, (long)&st, a2 & ~0x6000L); /* AT_STATX_SYNC_* are hints */

	(void)a3, (void)a5;
	if (err)
		return err;
	if (!sx)
		return -EFAULT;
	uk_vfs_memset(sx, 0, sizeof(*sx));
	sx->stx_mask = UK_STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st.st_blksize;
	sx->stx_nlink = (uint32_t)st.st_nlink;
	sx->stx_uid = st.st_uid;
	sx->stx_gid = st.st_gid;
	sx->stx_mode = (uint16_t)st.st_mode;
	sx->stx_ino = st.st_ino;
	sx->stx_size = (uint64_t)st.st_size;
	sx->stx_blocks = (uint64_t)st.st_blocks;
	statx_ts(&sx->stx_atime, &st.st_atim);
	statx_ts(&sx->stx_mtime, &st.st_mtim);
	statx_ts(&sx->stx_ctime, &st.st_ctim);
	sx->stx_rdev_major = (uint32_t)(st.st_rdev >> 8);
	sx->stx_rdev_minor = (uint32_t)(st.st_rdev & 0xff);
	sx->stx_dev_minor = (uint32_t)st.st_dev;
	return 0;
}

/* ---------------------------------------------------------------- access */

static long access_at(long dirfd, long path, long mode, long flags)
{
	struct uk_nameidata nd;
	long err;

	if (mode & ~7L)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = lookup_at(dirfd, UK_PTR(path), !(flags & AT_SYMLINK_NOFOLLOW), (int)flags, &nd);
	if (err)
		return err;
	/* the program runs as root: only execute needs a permission bit (or a directory) */
	if ((mode & X_OK) && !err)
		err = uk_vfs_refresh(nd.node);
	if ((mode & X_OK) && !err && !UK_S_ISDIR(nd.node->attr.mode) && !(nd.node->attr.mode & 0111))
		err = -EACCES;
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(access)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return access_at(AT_FDCWD, a0, a1, 0);
}

UK_VFS_SYSCALL(faccessat)
{
	(void)a3, (void)a4, (void)a5;
	return access_at(a0, a1, a2, 0);
}

UK_VFS_SYSCALL(faccessat2)
{
	(void)a4, (void)a5;
	return access_at(a0, a1, a2, a3);
}

/* ---------------------------------------------------------------- create and remove */

static long create_at(long dirfd, long path, struct uk_nameidata *nd)
{
	long err;

	UK_VFS_READY();
	err = uk_vfs_namei((int)dirfd, UK_PTR(path), UK_NAMEI_CREATE, nd);
	if (err)
		return err;
	if (nd->node) {
		uk_vfs_nd_release(nd);
		return -EEXIST;
	}
	return 0;
}

static long mkdir_at(long dirfd, long path, long mode)
{
	struct uk_nameidata nd;
	long err = create_at(dirfd, path, &nd);

	if (err)
		return err;
	err = nd.dir->ops->mkdir ? nd.dir->ops->mkdir(nd.dir, nd.name,
		S_IFDIR | ((uint32_t)mode & 07777 & ~uk_vfs_umask())) : -EPERM;
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(mkdir)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return mkdir_at(AT_FDCWD, a0, a1);
}

UK_VFS_SYSCALL(mkdirat)
{
	(void)a3, (void)a4, (void)a5;
	return mkdir_at(a0, a1, a2);
}

static long symlink_at(long target, long dirfd, long path)
{
	struct uk_nameidata nd;
	long err;

	if (!target)
		return -EFAULT;
	if (!*(const char *)UK_PTR(target))
		return -ENOENT;
	err = create_at(dirfd, path, &nd);
	if (err)
		return err;
	err = nd.trailing_slash ? -ENOENT : nd.dir->ops->symlink ?
		nd.dir->ops->symlink(nd.dir, nd.name, UK_PTR(target)) : -EPERM;
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(symlink)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return symlink_at(a0, AT_FDCWD, a1);
}

UK_VFS_SYSCALL(symlinkat)
{
	(void)a3, (void)a4, (void)a5;
	return symlink_at(a0, a1, a2);
}

static long remove_checks(struct uk_nameidata *nd, int isdir)
{
	struct uk_vnode *vn = nd->node;

	if (isdir && !UK_S_ISDIR(vn->attr.mode))
		return -ENOTDIR;
	if (!isdir && UK_S_ISDIR(vn->attr.mode))
		return -EISDIR;
	if (isdir && nd->dotlast)
		return nd->name[0] == '.' && nd->name[1] == 0 ? -EINVAL :
		       nd->name[0] == '.' ? -ENOTEMPTY : -EBUSY;
	if (uk_vfs_is_mount_root(vn))
		return -EBUSY;
	return 0;
}

static long remove_at(long dirfd, long path, int isdir)
{
	struct uk_nameidata nd;
	long err;

	UK_VFS_READY();
	err = uk_vfs_namei((int)dirfd, UK_PTR(path), 0, &nd);
	if (err)
		return err;
	err = remove_checks(&nd, isdir);
	if (!err)
		err = nd.dir->ops->unlink ? nd.dir->ops->unlink(nd.dir, nd.name, isdir) : -EPERM;
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(unlink)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return remove_at(AT_FDCWD, a0, 0);
}

UK_VFS_SYSCALL(rmdir)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return remove_at(AT_FDCWD, a0, 1);
}

UK_VFS_SYSCALL(unlinkat)
{
	(void)a3, (void)a4, (void)a5;
	if (a2 & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	return remove_at(a0, a1, !!(a2 & AT_REMOVEDIR));
}

/* ---------------------------------------------------------------- hard links */

static long link_at(long odfd, long opath, long ndfd, long npath, long flags)
{
	struct uk_nameidata o, n;
	long err;

	if (flags & ~(long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = lookup_at(odfd, UK_PTR(opath), !!(flags & AT_SYMLINK_FOLLOW), (int)flags, &o);
	if (err)
		return err;
	err = create_at(ndfd, npath, &n);
	if (err) {
		uk_vfs_nd_release(&o);
		return err;
	}
	if (UK_S_ISDIR(o.node->attr.mode))
		err = -EPERM;
	else if (o.node->mnt != n.dir->mnt)
		err = -EXDEV;
	else if (n.trailing_slash)
		err = -ENOENT;
	else
		err = n.dir->ops->link ? n.dir->ops->link(n.dir, n.name, o.node) : -EPERM;
	uk_vfs_nd_release(&o);
	uk_vfs_nd_release(&n);
	return err;
}

UK_VFS_SYSCALL(link)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return link_at(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

UK_VFS_SYSCALL(linkat)
{
	(void)a5;
	return link_at(a0, a1, a2, a3, a4);
}

/* ---------------------------------------------------------------- rename */

static int path_inside(const char *inner, const char *outer)
{
	size_t n = uk_vfs_strlen(outer);
	size_t i;

	for (i = 0; i < n; i++)
		if (inner[i] != outer[i])
			return 0;
	return inner[n] == '/';
}

static long rename_checks(struct uk_nameidata *o, struct uk_nameidata *n, long flags)
{
	struct uk_vnode *src = o->node, *dst = n->node;

	if (o->dotlast || n->dotlast)
		return -EBUSY;
	if (o->dir->mnt != n->dir->mnt)
		return -EXDEV;
	if (uk_vfs_is_mount_root(src) || (dst && uk_vfs_is_mount_root(dst)))
		return -EBUSY;
	if (dst && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (UK_S_ISDIR(src->attr.mode)) {
		if (dst && !UK_S_ISDIR(dst->attr.mode))
			return -ENOTDIR;
		if (path_inside(n->path, o->path))
			return -EINVAL;
	} else if (dst && UK_S_ISDIR(dst->attr.mode)) {
		return -EISDIR;
	}
	if (n->trailing_slash && !UK_S_ISDIR(src->attr.mode))
		return -ENOTDIR;
	return o->dir->ops->rename ? 0 : -EPERM;
}

static long rename_at(long odfd, long opath, long ndfd, long npath, long flags)
{
	struct uk_nameidata o, n;
	long err;

	UK_VFS_READY();
	if (flags & ~(long)RENAME_NOREPLACE)
		return -EINVAL;
	err = uk_vfs_namei((int)odfd, UK_PTR(opath), 0, &o);
	if (err)
		return err;
	err = uk_vfs_namei((int)ndfd, UK_PTR(npath), UK_NAMEI_CREATE, &n);
	if (err) {
		uk_vfs_nd_release(&o);
		return err;
	}
	err = rename_checks(&o, &n, flags);
	if (!err && o.node != n.node)
		err = o.dir->ops->rename(o.dir, o.name, n.dir, n.name);
	uk_vfs_nd_release(&o);
	uk_vfs_nd_release(&n);
	return err;
}

UK_VFS_SYSCALL(rename)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return rename_at(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

UK_VFS_SYSCALL(renameat)
{
	(void)a4, (void)a5;
	return rename_at(a0, a1, a2, a3, 0);
}

UK_VFS_SYSCALL(renameat2)
{
	(void)a5;
	return rename_at(a0, a1, a2, a3, a4);
}

/* ---------------------------------------------------------------- readlink, truncate */

static long readlink_at(long dirfd, long path, long buf, long size)
{
	struct uk_nameidata nd;
	long err;

	if (size <= 0)
		return -EINVAL;
	err = lookup_at(dirfd, UK_PTR(path), 0, 0, &nd);
	if (err)
		return err;
	if (!UK_S_ISLNK(nd.node->attr.mode) || !nd.node->ops->readlink)
		err = -EINVAL;
	else
		err = buf ? nd.node->ops->readlink(nd.node, UK_PTR(buf), (size_t)size) : -EFAULT;
	uk_vfs_nd_release(&nd);
	return err;
}

UK_VFS_SYSCALL(readlink)
{
	(void)a3, (void)a4, (void)a5;
	return readlink_at(AT_FDCWD, a0, a1, a2);
}

UK_VFS_SYSCALL(readlinkat)
{
	(void)a4, (void)a5;
	return readlink_at(a0, a1, a2, a3);
}

UK_VFS_SYSCALL(truncate)
{
	struct uk_nameidata nd;
	long err;

	(void)a2, (void)a3, (void)a4, (void)a5;
	err = lookup_at(AT_FDCWD, UK_PTR(a0), 1, 0, &nd);
	if (err)
		return err;
	err = uk_vfs_truncate_vn(nd.node, a1);
	uk_vfs_nd_release(&nd);
	return err;
}

/* ---------------------------------------------------------------- recorded attributes */

static long setattr_vn(struct uk_vnode *vn, struct uk_vattr *va, unsigned mask)
{
	if (!vn->ops->setattr) { /* devices and the console keep attributes in the vnode */
		uk_vfs_attr_apply(vn, va, mask);
		return 0;
	}
	return vn->ops->setattr(vn, va, mask);
}

static long chmod_vn(struct uk_vnode *vn, long mode)
{
	struct uk_vattr va;

	uk_vfs_memset(&va, 0, sizeof(va));
	va.mode = (vn->attr.mode & S_IFMT) | ((uint32_t)mode & 07777);
	return setattr_vn(vn, &va, UK_VA_MODE);
}

static long chown_vn(struct uk_vnode *vn, long uid, long gid)
{
	struct uk_vattr va;
	unsigned mask = 0;

	uk_vfs_memset(&va, 0, sizeof(va));
	if ((uint32_t)uid != (uint32_t)-1)
		va.uid = (uint32_t)uid, mask |= UK_VA_UID;
	if ((uint32_t)gid != (uint32_t)-1)
		va.gid = (uint32_t)gid, mask |= UK_VA_GID;
	return mask ? setattr_vn(vn, &va, mask) : 0;
}

static long attr_at(long dirfd, long path, long flags, int op, long x, long y)
{
	struct uk_nameidata nd;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = lookup_at(dirfd, UK_PTR(path), !(flags & AT_SYMLINK_NOFOLLOW), (int)flags, &nd);
	if (err)
		return err;
	err = op ? chown_vn(nd.node, x, y) : chmod_vn(nd.node, x);
	uk_vfs_nd_release(&nd);
	return err;
}

static long attr_fd(long fd, int op, long x, long y)
{
	struct uk_file *f;

	UK_VFS_READY();
	f = uk_vfs_fd_get((int)fd);
	if (!f)
		return -EBADF;
	return op ? chown_vn(f->vn, x, y) : chmod_vn(f->vn, x);
}

UK_VFS_SYSCALL(chmod)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return attr_at(AT_FDCWD, a0, 0, 0, a1, 0);
}

UK_VFS_SYSCALL(fchmod)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return attr_fd(a0, 0, a1, 0);
}

UK_VFS_SYSCALL(fchmodat)
{
	(void)a3, (void)a4, (void)a5; /* Linux's fchmodat has no flags argument (libcs emulate theirs) */
	return attr_at(a0, a1, 0, 0, a2, 0);
}

UK_VFS_SYSCALL(chown)
{
	(void)a3, (void)a4, (void)a5;
	return attr_at(AT_FDCWD, a0, 0, 1, a1, a2);
}

UK_VFS_SYSCALL(lchown)
{
	(void)a3, (void)a4, (void)a5;
	return attr_at(AT_FDCWD, a0, AT_SYMLINK_NOFOLLOW, 1, a1, a2);
}

UK_VFS_SYSCALL(fchown)
{
	(void)a3, (void)a4, (void)a5;
	return attr_fd(a0, 1, a1, a2);
}

UK_VFS_SYSCALL(fchownat)
{
	(void)a5;
	return attr_at(a0, a1, a4, 1, a2, a3);
}

static long times_vn(struct uk_vnode *vn, const struct uk_timespec *ts)
{
	struct uk_vattr va;
	struct uk_timespec now;
	unsigned mask = 0;
	int i;

	uk_vfs_now(&now);
	uk_vfs_memset(&va, 0, sizeof(va));
	for (i = 0; i < 2; i++) {
		struct uk_timespec t = ts ? ts[i] : now;

		if (ts && t.tv_nsec == UK_UTIME_OMIT)
			continue;
		if (ts && t.tv_nsec == UK_UTIME_NOW)
			t = now;
		else if (t.tv_nsec < 0 || t.tv_nsec > 999999999)
			return -EINVAL;
		if (i == 0)
			va.atime = t, mask |= UK_VA_ATIME;
		else
			va.mtime = t, mask |= UK_VA_MTIME;
	}
	return mask ? setattr_vn(vn, &va, mask) : 0;
}

UK_VFS_SYSCALL(utimensat)
{
	struct uk_nameidata nd;
	struct uk_file *f;
	long err;

	(void)a4, (void)a5;
	UK_VFS_READY();
	if (a3 & ~(long)AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!a1) { /* futimens(fd, times) */
		f = uk_vfs_fd_get((int)a0);
		return f ? times_vn(f->vn, UK_PTR(a2)) : -EBADF;
	}
	err = lookup_at(a0, UK_PTR(a1), !(a3 & AT_SYMLINK_NOFOLLOW), 0, &nd);
	if (err)
		return err;
	err = times_vn(nd.node, UK_PTR(a2));
	uk_vfs_nd_release(&nd);
	return err;
}

/* utimes/futimesat take struct timeval pairs (microseconds); NULL means now. */
static long timeval_at(long dirfd, long path, long tv)
{
	const int64_t *t = UK_PTR(tv);
	struct uk_timespec ts[2];
	int i;

	if (!t)
		return uk_sys_utimensat(dirfd, path, 0, 0, 0, 0);
	for (i = 0; i < 2; i++) {
		if (t[2 * i + 1] < 0 || t[2 * i + 1] > 999999)
			return -EINVAL;
		ts[i].tv_sec = t[2 * i];
		ts[i].tv_nsec = t[2 * i + 1] * 1000;
	}
	return uk_sys_utimensat(dirfd, path, (long)ts, 0, 0, 0);
}

UK_VFS_SYSCALL(utimes)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	return timeval_at(AT_FDCWD, a0, a1);
}

UK_VFS_SYSCALL(futimesat)
{
	(void)a3, (void)a4, (void)a5;
	return timeval_at(a0, a1, a2);
}

/* ---------------------------------------------------------------- statfs */

static long statfs_vn(struct uk_vnode *vn, struct uk_statfs *sf)
{
	if (!sf)
		return -EFAULT;
	uk_vfs_memset(sf, 0, sizeof(*sf));
	sf->f_bsize = sf->f_frsize = 4096;
	sf->f_namelen = UK_VFS_NAME_MAX;
	sf->f_fsid[0] = (int32_t)(vn->mnt ? vn->mnt->dev : 0);
	return vn->ops->statfs ? vn->ops->statfs(vn, sf) : 0;
}

/* statfs of the file system holding (dirfd, path), or of fd dirfd when path is "" with
 * AT_EMPTY_PATH: what each file system reports (ramfs: its quota; 9p: the host's numbers).
 * The statfs/fstatfs syscalls belong to fs-extra, which may answer with this. */
long uk_vfs_statfs(long dirfd, const char *path, int flags, struct uk_statfs *sf)
{
	struct uk_nameidata nd;
	long err = lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), flags, &nd);

	if (err)
		return err;
	err = statfs_vn(nd.node, sf);
	uk_vfs_nd_release(&nd);
	return err;
}
