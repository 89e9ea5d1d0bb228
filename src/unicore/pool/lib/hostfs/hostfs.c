/* hostfs: vfs operations over host *at() calls relative to a volume's directory fd (spt only).
 * A vnode is a path relative to its volume ("." the root), each name one component the vfs
 * resolved (never "." or ".."); symlinks are read, not followed (AT_SYMLINK_NOFOLLOW,
 * O_NOFOLLOW), so the guest resolves them in its own namespace as on a 9p volume. The
 * confinement itself is the host's: the tender's Landlock ruleset lets the process reach
 * nothing outside the volume directories, and its seccomp filter pins every dirfd below to
 * them (docs/spt.md). Nothing is cached but attributes: writes reach the host at once. */
#include <uk/core.h>
#include <uk/hostfs.h>
#include <uk/vfs.h>

#define MAX_VOLUMES UK_HOSTFS_VOLUMES_MAX
#define H_O_DIRECTORY 0200000
#define H_O_NOFOLLOW 0400000
#define DIRBUF 2048

struct hostfs_node {
	char *path;
	int created_fd; /* opened read-write by create, handed to the open that follows (-1: none) */
};

struct hostfs_file {
	int fd;
	uint64_t next;      /* the cookie of the entry at buf[at] */
	unsigned at, len;   /* unread entries of the last getdents64 */
	char buf[DIRBUF];
};

static const struct uk_vfs_ops hostfs_ops;

#define VOLFD(vn) ((int)(long)(vn)->mnt->priv)
#define NODE(vn) ((struct hostfs_node *)(vn)->priv)
#define PATH(vn) (NODE(vn)->path)
#define HFILE(f) ((struct hostfs_file *)(f)->priv)

static long host(long nr, long a, long b, long c, long d, long e)
{
	return uk_plat_spt_volume_call(nr, a, b, c, d, e);
}

/* "dir/name" relative to the volume (uk_vfs_alloc'ed), NULL when out of memory. */
static char *child_path(struct uk_vnode *dir, const char *name)
{
	const char *d = PATH(dir);
	size_t dl = d[0] == '.' && !d[1] ? 0 : uk_vfs_strlen(d), nl = uk_vfs_strlen(name);
	char *p = uk_vfs_alloc(dl + nl + 2);

	if (!p)
		return NULL;
	uk_vfs_memcpy(p, d, dl);
	if (dl)
		p[dl++] = '/';
	uk_vfs_memcpy(p + dl, name, nl + 1);
	return p;
}

/* ---------------------------------------------------------------- attributes */

struct host_stat { /* Linux x86_64 struct stat */
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	struct uk_timespec atime, mtime, ctime;
	int64_t reserved[3];
};

static long stat_at(int dirfd, const char *path, int flags, struct uk_vattr *a)
{
	struct host_stat st;
	long err = host(UK_HOSTFS_NR_NEWFSTATAT, dirfd, (long)path, (long)&st, flags, 0);

	if (err)
		return err;
	a->mode = st.mode, a->nlink = (uint32_t)st.nlink, a->uid = st.uid, a->gid = st.gid;
	a->ino = st.ino, a->size = st.size, a->blocks = st.blocks, a->rdev = st.rdev;
	a->atime = st.atime, a->mtime = st.mtime, a->ctime = st.ctime;
	return 0;
}

static long h_getattr(struct uk_vnode *vn)
{
	return stat_at(VOLFD(vn), PATH(vn), AT_SYMLINK_NOFOLLOW, &vn->attr);
}

static long h_fgetattr(struct uk_file *f)
{
	return stat_at(HFILE(f)->fd, "", AT_EMPTY_PATH, &f->vn->attr);
}

/* A vnode for `path` (taken over), with the host's attributes. */
static long node_new(struct uk_mount *mnt, char *path, struct uk_vnode **out)
{
	struct uk_vattr a;
	struct uk_vnode *vn;
	long err = path ? stat_at((int)(long)mnt->priv, path, AT_SYMLINK_NOFOLLOW, &a) : -ENOMEM;

	if (!err && !(vn = uk_vfs_vnode_new(&hostfs_ops, mnt, a.mode, sizeof(struct hostfs_node))))
		err = -ENOMEM;
	if (err) {
		uk_vfs_free(path);
		return err;
	}
	vn->attr = a;
	vn->seekable = !UK_S_ISCHR(a.mode);
	NODE(vn)->path = path;
	NODE(vn)->created_fd = -1;
	*out = vn;
	return 0;
}

static long h_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	return node_new(dir->mnt, child_path(dir, name), out);
}

/* ---------------------------------------------------------------- names */

static long h_create(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out)
{
	char *path = child_path(dir, name);
	long fd, err;

	if (!path)
		return -ENOMEM;
	fd = host(UK_HOSTFS_NR_OPENAT, VOLFD(dir), (long)path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | H_O_NOFOLLOW,
		  mode & 07777, 0);
	if (fd < 0) {
		uk_vfs_free(path);
		return fd;
	}
	err = node_new(dir->mnt, path, out);
	if (err)
		host(UK_HOSTFS_NR_CLOSE, fd, 0, 0, 0, 0);
	else
		NODE(*out)->created_fd = (int)fd;
	return err;
}

/* A call on one new name in `dir`: nr(volfd, path, a, b), or with `target` first (symlinkat). */
static long at_name(long nr, struct uk_vnode *dir, const char *name, long a, long b)
{
	char *path = child_path(dir, name);
	long err;

	if (!path)
		return -ENOMEM;
	err = host(nr, VOLFD(dir), (long)path, a, b, 0);
	uk_vfs_free(path);
	return err;
}

static long h_mkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	return at_name(UK_HOSTFS_NR_MKDIRAT, dir, name, mode & 07777, 0);
}

static long h_unlink(struct uk_vnode *dir, const char *name, int isdir)
{
	return at_name(UK_HOSTFS_NR_UNLINKAT, dir, name, isdir ? AT_REMOVEDIR : 0, 0);
}

static long h_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	char *path = child_path(dir, name);
	long err;

	if (!path)
		return -ENOMEM;
	err = host(UK_HOSTFS_NR_SYMLINKAT, (long)target, VOLFD(dir), (long)path, 0, 0);
	uk_vfs_free(path);
	return err;
}

/* Two names in one volume: nr(volfd, a, volfd, b, flags) (renameat, linkat). */
static long two_names(long nr, struct uk_vnode *adir, const char *aname, const char *apath,
		      struct uk_vnode *bdir, const char *bname, long flags)
{
	char *a = apath ? NULL : child_path(adir, aname), *b = child_path(bdir, bname);
	long err = (apath || a) && b ? host(nr, VOLFD(adir), (long)(apath ? apath : a), VOLFD(bdir), (long)b, flags)
				     : -ENOMEM;

	uk_vfs_free(a);
	uk_vfs_free(b);
	return err;
}

static long h_rename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir, const char *nname)
{
	return odir->mnt != ndir->mnt ? -EXDEV : two_names(UK_HOSTFS_NR_RENAMEAT, odir, oname, NULL, ndir, nname, 0);
}

static long h_link(struct uk_vnode *dir, const char *name, struct uk_vnode *target)
{
	if (dir->mnt != target->mnt)
		return -EXDEV;
	return two_names(UK_HOSTFS_NR_LINKAT, target, NULL, PATH(target), dir, name, 0);
}

static long h_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	return host(UK_HOSTFS_NR_READLINKAT, VOLFD(vn), (long)PATH(vn), (long)buf, (long)len, 0);
}

/* ---------------------------------------------------------------- attributes set */

static long truncate_path(struct uk_vnode *vn, int64_t size)
{
	long fd = host(UK_HOSTFS_NR_OPENAT, VOLFD(vn), (long)PATH(vn), O_WRONLY | O_CLOEXEC | H_O_NOFOLLOW, 0, 0), err;

	if (fd < 0)
		return fd;
	err = host(UK_HOSTFS_NR_FTRUNCATE, fd, size, 0, 0, 0);
	host(UK_HOSTFS_NR_CLOSE, fd, 0, 0, 0, 0);
	return err;
}

static long set_times(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask)
{
	const long omit = (1L << 30) - 2; /* UTIME_OMIT */
	struct uk_timespec ts[2] = { va->atime, va->mtime };

	if (!(mask & UK_VA_ATIME))
		ts[0].tv_nsec = omit;
	if (!(mask & UK_VA_MTIME))
		ts[1].tv_nsec = omit;
	return host(UK_HOSTFS_NR_UTIMENSAT, VOLFD(vn), (long)PATH(vn), (long)ts, AT_SYMLINK_NOFOLLOW, 0);
}

/* Owners stay the host's: the tender's user owns what the guest creates. */
static long h_setattr(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask)
{
	long err = 0;

	if (mask & (UK_VA_UID | UK_VA_GID))
		return -EPERM;
	if (mask & UK_VA_MODE)
		err = host(UK_HOSTFS_NR_FCHMODAT, VOLFD(vn), (long)PATH(vn), va->mode & 07777, 0, 0);
	if (!err && (mask & UK_VA_SIZE))
		err = truncate_path(vn, va->size);
	if (!err && (mask & (UK_VA_ATIME | UK_VA_MTIME)))
		err = set_times(vn, va, mask);
	return err ? err : h_getattr(vn);
}

/* ---------------------------------------------------------------- open files */

static long open_fd(struct uk_vnode *vn, int flags)
{
	long hflags = (flags & O_ACCMODE) | O_CLOEXEC | H_O_NOFOLLOW; /* O_APPEND stays in vfs */

	if (UK_S_ISDIR(vn->attr.mode))
		hflags = O_RDONLY | O_CLOEXEC | H_O_DIRECTORY;
	return host(UK_HOSTFS_NR_OPENAT, VOLFD(vn), (long)PATH(vn), hflags, 0, 0);
}

static long h_open(struct uk_file *f)
{
	struct hostfs_file *hf = uk_vfs_alloc(sizeof(*hf));
	struct hostfs_node *n = NODE(f->vn);
	long fd;

	if (!hf)
		return -ENOMEM;
	fd = n->created_fd >= 0 ? n->created_fd : open_fd(f->vn, f->flags);
	n->created_fd = -1;
	if (fd < 0) {
		uk_vfs_free(hf);
		return fd;
	}
	hf->fd = (int)fd;
	f->priv = hf;
	return 0;
}

static void h_close(struct uk_file *f)
{
	if (f->priv) {
		host(UK_HOSTFS_NR_CLOSE, HFILE(f)->fd, 0, 0, 0, 0);
		uk_vfs_free(f->priv);
		f->priv = NULL;
	}
}

/* pread64/pwrite64 until done, end of file or an error (the host may return short counts). */
static long transfer(long nr, struct uk_file *f, char *buf, size_t len, uk_off_t off)
{
	size_t done = 0;
	long n = 0;

	while (done < len) {
		n = host(nr, HFILE(f)->fd, (long)(buf + done), (long)(len - done), off + (long)done, 0);
		if (n == -4) /* EINTR: the timer signal */
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done ? (long)done : n;
}

static long h_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	return transfer(UK_HOSTFS_NR_PREAD64, f, buf, len, off);
}

static long h_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	long n = transfer(UK_HOSTFS_NR_PWRITE64, f, (char *)buf, len, off);

	if (n > 0 && off + n > f->vn->attr.size) /* keep the cached size honest */
		f->vn->attr.size = off + n;
	return n;
}

static long h_fsync(struct uk_file *f)
{
	return host(UK_HOSTFS_NR_FSYNC, HFILE(f)->fd, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------- directories */

struct host_dirent { /* struct linux_dirent64 */
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

/* Back to the directory's first entry: a fresh fd (the filter allows no lseek). */
static long rewind_dir(struct uk_file *f)
{
	struct hostfs_file *hf = HFILE(f);
	long fd = open_fd(f->vn, O_RDONLY);

	if (fd < 0)
		return fd;
	host(UK_HOSTFS_NR_CLOSE, hf->fd, 0, 0, 0, 0);
	hf->fd = (int)fd, hf->next = 0, hf->at = hf->len = 0;
	return 0;
}

/* The next entry (NULL at the end), refilling the buffer from the host. */
static long next_entry(struct hostfs_file *hf, struct host_dirent **out)
{
	long n;

	if (hf->at >= hf->len) {
		n = host(UK_HOSTFS_NR_GETDENTS64, hf->fd, (long)hf->buf, DIRBUF, 0, 0);
		if (n < 0)
			return n;
		hf->at = 0, hf->len = (unsigned)n;
	}
	*out = hf->at < hf->len ? (struct host_dirent *)(hf->buf + hf->at) : NULL;
	return 0;
}

static long h_readdir(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg)
{
	struct hostfs_file *hf = HFILE(f);
	struct host_dirent *d;
	long err = hf->next == *cookie ? 0 : rewind_dir(f);

	while (!err && !(err = next_entry(hf, &d)) && d) {
		int skip = hf->next != *cookie; /* seeking forward to the caller's cookie */
		if (!skip && fill(arg, d->name, d->ino, d->type, (uint64_t)d->off))
			return 0;
		hf->at += d->reclen;
		hf->next = (uint64_t)d->off;
		if (!skip)
			*cookie = hf->next;
	}
	return err;
}

/* ---------------------------------------------------------------- vnodes, mounting */

static void h_release(struct uk_vnode *vn)
{
	if (NODE(vn)->created_fd >= 0)
		host(UK_HOSTFS_NR_CLOSE, NODE(vn)->created_fd, 0, 0, 0, 0);
	uk_vfs_free(PATH(vn));
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops hostfs_ops = {
	.lookup = h_lookup,
	.create = h_create,
	.mkdir = h_mkdir,
	.symlink = h_symlink,
	.unlink = h_unlink,
	.link = h_link,
	.rename = h_rename,
	.readlink = h_readlink,
	.getattr = h_getattr,
	.fgetattr = h_fgetattr,
	.setattr = h_setattr,
	.open = h_open,
	.close = h_close,
	.read = h_read,
	.write = h_write,
	.readdir = h_readdir,
	.fsync = h_fsync,
	.release = h_release,
};

static long mount_volume(int i, const char *path)
{
	struct uk_mount *mnt = uk_vfs_mount_new();
	struct uk_vnode *root;
	long err;

	if (!mnt)
		return -ENOMEM;
	mnt->priv = (void *)(long)(UK_HOSTFS_FD0 + i);
	err = node_new(mnt, uk_vfs_strdup("."), &root);
	if (err)
		return err;
	err = uk_vfs_mkdir_p(path, 0755);
	if (!err)
		err = uk_vfs_mount(path, root, mnt->priv);
	if (err)
		uk_vfs_vnode_put(root);
	return err;
}

long uk_hostfs_init(void)
{
	char key[] = "vol.vol00";
	long err, result = 0;

	for (int i = 0; i < MAX_VOLUMES; i++) {
		key[7] = i < 10 ? (char)('0' + i) : '1', key[8] = i < 10 ? 0 : (char)('0' + i - 10);
		const char *path = uk_core_boot_param(key);
		if (!path)
			break;
		err = path[0] == '/' ? mount_volume(i, path) : -EINVAL;
		if (err)
			uk_core_log(UK_LOG_ERR, "hostfs: cannot mount volume %d at %s: error %ld", i, path, -err);
		else
			uk_core_log(UK_LOG_INFO, "hostfs: host volume mounted at %s", path);
		result = err ? err : result;
	}
	return result;
}
