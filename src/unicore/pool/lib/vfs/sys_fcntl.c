/* vfs: fcntl (flags, fd flags, F_DUPFD, POSIX record locks) and dup/dup2/dup3.
 *
 * The unikernel runs a single process, so every record lock has the same owner: locks never
 * conflict (F_GETLK reports F_UNLCK, F_SETLKW never waits), exactly what Linux does for one
 * process. Ranges are still kept, split and merged per file so that the bookkeeping (and
 * release on close) is real and ready for a second owner. */
#include "vfs_priv.h"

#define UK_VFS_PID 1
#define OFF_MAX 0x7fffffffffffffffLL

struct uk_vfs_lock {
	struct uk_vfs_lock *next;
	int64_t start, end; /* inclusive end; OFF_MAX means "to end of file" */
	int type;
};

void uk_vfs_locks_release(struct uk_vnode *vn)
{
	struct uk_vfs_lock *l = vn->locks, *n;

	for (; l; l = n) {
		n = l->next;
		uk_vfs_free(l);
	}
	vn->locks = NULL;
}

static struct uk_vfs_lock *lock_new(int64_t s, int64_t e, int type, struct uk_vfs_lock *next)
{
	struct uk_vfs_lock *l = uk_vfs_alloc(sizeof(*l));

	if (l) {
		l->start = s, l->end = e, l->type = type, l->next = next;
	}
	return l;
}

/* Remove [s, e] from the vnode's ranges, splitting ranges that straddle it. */
static long lock_cut(struct uk_vnode *vn, int64_t s, int64_t e)
{
	struct uk_vfs_lock **pp = &vn->locks, *l;

	while ((l = *pp)) {
		if (l->end < s || l->start > e) {
			pp = &l->next;
		} else if (l->start < s && l->end > e) {
			struct uk_vfs_lock *tail = lock_new(e + 1, l->end, l->type, l->next);

			if (!tail)
				return -ENOLCK;
			l->end = s - 1, l->next = tail;
			pp = &tail->next;
		} else if (l->start < s) {
			l->end = s - 1, pp = &l->next;
		} else if (l->end > e) {
			l->start = e + 1, pp = &l->next;
		} else {
			*pp = l->next;
			uk_vfs_free(l);
		}
	}
	return 0;
}

static long lock_range(struct uk_file *f, const struct uk_flock *fl, int64_t *s, int64_t *e)
{
	int64_t base;

	switch (fl->l_whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->off; break;
	case SEEK_END: uk_vfs_frefresh(f); base = f->vn->attr.size; break;
	default: return -EINVAL;
	}
	*s = base + fl->l_start;
	if (fl->l_len > 0) {
		*e = *s + fl->l_len - 1;
	} else if (fl->l_len < 0) {
		*e = *s - 1;
		*s += fl->l_len;
	} else {
		*e = OFF_MAX;
	}
	return *s < 0 ? -EINVAL : 0;
}

static long do_lock(struct uk_file *f, int cmd, struct uk_flock *fl)
{
	int64_t s, e;
	long err;

	if (!fl)
		return -EFAULT;
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	err = lock_range(f, fl, &s, &e);
	if (err)
		return err;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		fl->l_type = F_UNLCK; /* our own locks never conflict with us */
		return 0;
	}
	if (fl->l_type == F_RDLCK && (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (fl->l_type == F_WRLCK && (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	err = lock_cut(f->vn, s, e);
	if (err || fl->l_type == F_UNLCK)
		return err;
	f->vn->locks = lock_new(s, e, fl->l_type, f->vn->locks);
	return f->vn->locks ? 0 : -ENOLCK;
}

/* Number of lock ranges held on fd's file, for tests and the debugger. */
long uk_vfs_lock_count(int fd)
{
	struct uk_file *f = uk_vfs_fd_get(fd);
	struct uk_vfs_lock *l;
	long n = 0;

	if (!f)
		return -EBADF;
	for (l = f->vn->locks; l; l = l->next)
		n++;
	return n;
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_DSYNC)

static long dupfd(long fd, long minfd, int cloexec)
{
	struct uk_file *f = uk_vfs_fd_get((int)fd);

	if (!f)
		return -EBADF;
	if (minfd < 0 || minfd >= 1024)
		return -EINVAL;
	f->refcnt++;
	return uk_vfs_fd_install(f, (int)minfd, cloexec);
}

UK_VFS_SYSCALL(fcntl)
{
	struct uk_file *f;

	(void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	f = uk_vfs_fd_get((int)a0);
	if (!f)
		return -EBADF;
	switch (a1) {
	case F_DUPFD: return dupfd(a0, a2, 0);
	case F_DUPFD_CLOEXEC: return dupfd(a0, a2, 1);
	case F_GETFD: return uk_vfs_fd_cloexec((int)a0, -1) ? FD_CLOEXEC : 0;
	case F_SETFD: uk_vfs_fd_cloexec((int)a0, !!(a2 & FD_CLOEXEC)); return 0;
	case F_GETFL: return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | ((int)a2 & SETFL_MASK);
		return 0;
	case F_GETLK: case F_SETLK: case F_SETLKW:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		if (f->flags & O_PATH)
			return -EBADF;
		return do_lock(f, (int)a1, UK_PTR(a2));
	default: return -EINVAL;
	}
}

UK_VFS_SYSCALL(dup)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	return dupfd(a0, 0, 0);
}

static long dup_to(long oldfd, long newfd, int cloexec)
{
	struct uk_file *f = uk_vfs_fd_get((int)oldfd);

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= 1024)
		return -EBADF;
	f->refcnt++;
	return uk_vfs_fd_install_at(f, (int)newfd, cloexec);
}

UK_VFS_SYSCALL(dup2)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	if (a0 == a1)
		return uk_vfs_fd_get((int)a0) ? a1 : -EBADF;
	return dup_to(a0, a1, 0);
}

UK_VFS_SYSCALL(dup3)
{
	(void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	if (a0 == a1 || (a2 & ~(long)O_CLOEXEC))
		return -EINVAL;
	return dup_to(a0, a1, !!(a2 & O_CLOEXEC));
}
