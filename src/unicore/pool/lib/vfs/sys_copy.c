/* vfs: syscalls that move data between fds or reserve space: sendfile, copy_file_range,
 * preadv/pwritev, fallocate, and BSD flock (one process: never conflicts, only checked). */
#include "vfs_priv.h"

#define COPY_CHUNK 65536
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* Copy up to len bytes from in (at *pin or its offset) to out (at *pout or its offset). */
static long copy_fds(long in, int64_t *pin, long out, int64_t *pout, size_t len)
{
	char *buf = uk_vfs_alloc(len < COPY_CHUNK ? (len ? len : 1) : COPY_CHUNK);
	long done = 0, n = 0, w;
	size_t want;

	if (!buf)
		return -ENOMEM;
	while ((size_t)done < len) {
		want = len - (size_t)done < COPY_CHUNK ? len - (size_t)done : COPY_CHUNK;
		n = pin ? uk_sys_pread64(in, (long)buf, (long)want, *pin, 0, 0)
			: uk_sys_read(in, (long)buf, (long)want, 0, 0, 0);
		if (n <= 0)
			break;
		w = pout ? uk_sys_pwrite64(out, (long)buf, n, *pout, 0, 0)
			 : uk_sys_write(out, (long)buf, n, 0, 0, 0);
		if (w < 0) {
			n = w;
			break;
		}
		if (pin)
			*pin += w;
		if (pout)
			*pout += w;
		done += w;
		if (w < n)
			break;
	}
	uk_vfs_free(buf);
	return done ? done : n;
}

static long check_pair(long in, long out, int need_regular)
{
	struct uk_file *fi, *fo;

	UK_VFS_READY();
	fi = uk_vfs_fd_get((int)in), fo = uk_vfs_fd_get((int)out);
	if (!fi || !fo || (fi->flags & O_ACCMODE) == O_WRONLY || (fo->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (UK_S_ISDIR(fi->vn->attr.mode) || UK_S_ISDIR(fo->vn->attr.mode))
		return -EISDIR;
	if (need_regular && (!UK_S_ISREG(fi->vn->attr.mode) || !UK_S_ISREG(fo->vn->attr.mode)))
		return -EINVAL;
	if ((fo->flags & O_APPEND) && need_regular)
		return -EBADF;
	return 0;
}

UK_VFS_SYSCALL(sendfile)
{
	int64_t *off = UK_PTR(a2);
	long err = check_pair(a1, a0, 0);

	(void)a4, (void)a5;
	if (err)
		return err;
	if (off && *off < 0)
		return -EINVAL;
	return copy_fds(a1, off, a0, NULL, (size_t)a3);
}

UK_VFS_SYSCALL(copy_file_range)
{
	int64_t *oin = UK_PTR(a1), *oout = UK_PTR(a3);
	long err = check_pair(a0, a2, 1);

	(void)a5;
	if (err)
		return err;
	if (a5 != 0 || (oin && *oin < 0) || (oout && *oout < 0))
		return -EINVAL;
	return copy_fds(a0, oin, a2, oout, (size_t)a4);
}

static long vectored_at(long fd, long iovp, long cnt, long pos, int writing)
{
	const struct uk_iovec *iov = UK_PTR(iovp);
	long total = 0, n, i;

	if (cnt < 0 || cnt > 1024 || pos < 0)
		return -EINVAL;
	if (cnt && !iov)
		return -EFAULT;
	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len && i)
			continue;
		n = writing ? uk_sys_pwrite64(fd, (long)iov[i].iov_base, (long)iov[i].iov_len, pos + total, 0, 0)
			    : uk_sys_pread64(fd, (long)iov[i].iov_base, (long)iov[i].iov_len, pos + total, 0, 0);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

UK_VFS_SYSCALL(preadv)
{
	(void)a4, (void)a5;
	return vectored_at(a0, a1, a2, a3, 0);
}

UK_VFS_SYSCALL(pwritev)
{
	(void)a4, (void)a5;
	return vectored_at(a0, a1, a2, a3, 1);
}

UK_VFS_SYSCALL(fallocate)
{
	struct uk_file *f;

	(void)a4, (void)a5;
	UK_VFS_READY();
	f = uk_vfs_fd_get((int)a0);
	if (!f || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (a2 < 0 || a3 <= 0)
		return -EINVAL;
	if (a1 != 0) /* only plain allocation: no holes punched, no ranges zeroed or collapsed */
		return -EOPNOTSUPP;
	if (!UK_S_ISREG(f->vn->attr.mode))
		return UK_S_ISDIR(f->vn->attr.mode) ? -EISDIR : -ENODEV;
	uk_vfs_frefresh(f);
	if (a2 + a3 <= f->vn->attr.size)
		return 0;
	return uk_vfs_truncate_vn(f->vn, a2 + a3);
}

UK_VFS_SYSCALL(flock)
{
	long op = a1 & ~(long)LOCK_NB;

	(void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	if (!uk_vfs_fd_get((int)a0))
		return -EBADF;
	return op == LOCK_SH || op == LOCK_EX || op == LOCK_UN ? 0 : -EINVAL;
}
