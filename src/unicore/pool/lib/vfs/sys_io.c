/* vfs: fd-based I/O syscalls: read/write and their positional and vectored forms, lseek,
 * getdents64, fsync, ftruncate, close. */
#include "vfs_priv.h"

#define UK_IOV_MAX 1024

/* The names vfs shares with posix-io are weak: should a plan ever link both (posix-io chosen
 * for the console, vfs pulled in only as a requirement), posix-io's handlers win instead of the
 * link failing; no file is open then, so nothing is lost. */
#define UK_VFS_SHARED(name) __attribute__((weak)) UK_VFS_SYSCALL(name)

static long fd_file(long fd, struct uk_file **f)
{
	UK_VFS_READY();
	*f = uk_vfs_fd_get((int)fd);
	if (!*f || ((*f)->flags & O_PATH))
		return -EBADF;
	return 0;
}

static long can_read(struct uk_file *f)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (UK_S_ISDIR(f->vn->attr.mode))
		return -EISDIR;
	return f->vn->ops->read ? 0 : -EINVAL;
}

static long can_write(struct uk_file *f)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return f->vn->ops->write ? 0 : -EINVAL;
}

/* Read at the file offset (pos < 0) or at pos. */
static long do_read(struct uk_file *f, void *buf, size_t len, uk_off_t pos)
{
	long n = can_read(f);

	if (n)
		return n;
	if (len && !buf)
		return -EFAULT;
	n = f->vn->ops->read(f, buf, len, pos < 0 ? f->off : pos);
	if (n > 0 && pos < 0 && f->vn->seekable)
		f->off += n;
	return n;
}

static long do_write(struct uk_file *f, const void *buf, size_t len, uk_off_t pos)
{
	long n = can_write(f);

	if (n)
		return n;
	if (len && !buf)
		return -EFAULT;
	if (pos < 0 && (f->flags & O_APPEND) && f->vn->seekable) {
		uk_vfs_frefresh(f);
		f->off = f->vn->attr.size;
	}
	n = f->vn->ops->write(f, buf, len, pos < 0 ? f->off : pos);
	if (n > 0 && pos < 0 && f->vn->seekable)
		f->off += n;
	return n;
}

UK_VFS_SHARED(read)
{
	struct uk_file *f;
	long err = fd_file(a0, &f);

	(void)a3, (void)a4, (void)a5;
	return err ? err : do_read(f, UK_PTR(a1), (size_t)a2, -1);
}

UK_VFS_SHARED(write)
{
	struct uk_file *f;
	long err = fd_file(a0, &f);

	(void)a3, (void)a4, (void)a5;
	return err ? err : do_write(f, UK_PTR(a1), (size_t)a2, -1);
}

static long positional(long fd, long pos, struct uk_file **f)
{
	long err = fd_file(fd, f);

	if (err)
		return err;
	if (!(*f)->vn->seekable)
		return -ESPIPE;
	return pos < 0 ? -EINVAL : 0;
}

UK_VFS_SYSCALL(pread64)
{
	struct uk_file *f;
	long err = positional(a0, a3, &f);

	(void)a4, (void)a5;
	return err ? err : do_read(f, UK_PTR(a1), (size_t)a2, a3);
}

UK_VFS_SYSCALL(pwrite64)
{
	struct uk_file *f;
	long err = positional(a0, a3, &f);

	(void)a4, (void)a5;
	return err ? err : do_write(f, UK_PTR(a1), (size_t)a2, a3);
}

static long vectored(long fd, long iovp, long cnt, int writing)
{
	const struct uk_iovec *iov = UK_PTR(iovp);
	struct uk_file *f;
	long err = fd_file(fd, &f), n, total = 0;
	long i;

	if (err)
		return err;
	if (cnt < 0 || cnt > UK_IOV_MAX)
		return -EINVAL;
	if (cnt && !iov)
		return -EFAULT;
	err = writing ? can_write(f) : can_read(f);
	if (err)
		return err;
	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		n = writing ? do_write(f, iov[i].iov_base, iov[i].iov_len, -1)
			    : do_read(f, iov[i].iov_base, iov[i].iov_len, -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

UK_VFS_SHARED(readv)
{
	(void)a3, (void)a4, (void)a5;
	return vectored(a0, a1, a2, 0);
}

UK_VFS_SHARED(writev)
{
	(void)a3, (void)a4, (void)a5;
	return vectored(a0, a1, a2, 1);
}

UK_VFS_SHARED(lseek)
{
	struct uk_file *f;
	long err = fd_file(a0, &f);
	uk_off_t base;

	(void)a3, (void)a4, (void)a5;
	if (err)
		return err;
	if (!f->vn->seekable)
		return -ESPIPE;
	uk_vfs_frefresh(f);
	switch (a2) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->off; break;
	case SEEK_END: base = f->vn->attr.size; break;
	case UK_SEEK_DATA:
	case UK_SEEK_HOLE:
		if (a1 < 0 || a1 >= f->vn->attr.size)
			return -ENXIO;
		return f->off = a2 == UK_SEEK_DATA ? a1 : f->vn->attr.size;
	default: return -EINVAL;
	}
	if (__builtin_add_overflow(base, a1, &base))
		return -EOVERFLOW;
	if (base < 0)
		return -EINVAL;
	return f->off = base;
}

struct dent_buf {
	char *buf;
	size_t len, used;
};

static int fill_dent(void *arg, const char *name, uint64_t ino, unsigned dtype, uint64_t next)
{
	struct dent_buf *db = arg;
	size_t n = uk_vfs_strlen(name);
	size_t reclen = (19 + n + 1 + 7) & ~(size_t)7;
	struct uk_dirent64 *d;

	if (db->used + reclen > db->len)
		return 1;
	d = (struct uk_dirent64 *)(db->buf + db->used);
	d->d_ino = ino;
	d->d_off = (int64_t)next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)dtype;
	uk_vfs_memcpy(d->d_name, name, n);
	uk_vfs_memset(d->d_name + n, 0, reclen - 19 - n);
	db->used += reclen;
	return 0;
}

UK_VFS_SYSCALL(getdents64)
{
	struct uk_file *f;
	struct dent_buf db = { UK_PTR(a1), (size_t)a2, 0 };
	uint64_t cookie;
	long err = fd_file(a0, &f);

	(void)a3, (void)a4, (void)a5;
	if (err)
		return err;
	if (!UK_S_ISDIR(f->vn->attr.mode) || !f->vn->ops->readdir)
		return -ENOTDIR;
	if (!db.buf)
		return -EFAULT;
	cookie = (uint64_t)f->off;
	err = f->vn->ops->readdir(f, &cookie, fill_dent, &db);
	if (err < 0)
		return err;
	f->off = (uk_off_t)cookie;
	if (!db.used && err > 0)
		return -EINVAL; /* buffer too small for the next entry */
	return (long)db.used;
}

static long do_fsync(long fd)
{
	struct uk_file *f;
	long err = fd_file(fd, &f);

	if (err)
		return err;
	return f->vn->ops->fsync ? f->vn->ops->fsync(f) : 0;
}

UK_VFS_SYSCALL(fsync)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return do_fsync(a0);
}

UK_VFS_SYSCALL(fdatasync)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return do_fsync(a0);
}

long uk_vfs_truncate_vn(struct uk_vnode *vn, uk_off_t len)
{
	struct uk_vattr va;

	if (len < 0)
		return -EINVAL;
	if (UK_S_ISDIR(vn->attr.mode))
		return -EISDIR;
	if (!UK_S_ISREG(vn->attr.mode) || !vn->ops->setattr)
		return -EINVAL;
	uk_vfs_memset(&va, 0, sizeof(va));
	va.size = len;
	return vn->ops->setattr(vn, &va, UK_VA_SIZE);
}

UK_VFS_SYSCALL(ftruncate)
{
	struct uk_file *f;
	long err = fd_file(a0, &f);

	(void)a2, (void)a3, (void)a4, (void)a5;
	if (err)
		return err;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return uk_vfs_truncate_vn(f->vn, a1);
}

UK_VFS_SYSCALL(close)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	UK_VFS_READY();
	return uk_vfs_fd_close((int)a0);
}

/* ioctl: FIONBIO sets O_NONBLOCK on any file; other requests go to the file's own ioctl
 * operation (the console's: terminal ioctls, lib/tty, when the host stream is a terminal;
 * sockets: FIONREAD); any other file gives ENOTTY, as a regular file or a pipe does on Linux
 * (isatty relies on that). */
#define UK_FIONBIO 0x5421

UK_VFS_SHARED(ioctl)
{
	struct uk_file *f;
	long err = fd_file(a0, &f);

	(void)a3, (void)a4, (void)a5;
	if (err)
		return err;
	if ((unsigned long)a1 == UK_FIONBIO) {
		const int *on = UK_PTR(a2);
		if (!on)
			return -EFAULT;
		f->flags = *on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		return 0;
	}
	return f->vn->ops->ioctl ? f->vn->ops->ioctl(f, (unsigned long)a1, UK_PTR(a2)) : -ENOTTY;
}
