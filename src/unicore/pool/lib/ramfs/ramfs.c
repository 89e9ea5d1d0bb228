/* ramfs: in-memory file system. Directories are lists of entries in creation order (a sequence
 * number per entry is the readdir cookie, so removals during a scan skip nothing); a file is
 * one contiguous buffer that grows geometrically; a quota bounds file data + symlink text. */
#include <uk/ramfs.h>

#if defined(__has_include)
#if __has_include(<uk_config.h>)
#include <uk_config.h>
#endif
#endif
#if defined(UK_RAMFS_QUOTA_KB)
#define RAMFS_QUOTA_KB UK_RAMFS_QUOTA_KB
#elif defined(CONFIG_UK_RAMFS_QUOTA_KB)
#define RAMFS_QUOTA_KB CONFIG_UK_RAMFS_QUOTA_KB
#else
#define RAMFS_QUOTA_KB 0
#endif

struct ramfs_fs {
	int64_t quota, used;
};

struct ramfs_dirent {
	struct ramfs_dirent *next;
	uint64_t seq;
	struct uk_vnode *vn; /* the tree's reference */
	char name[];
};

struct ramfs_node {
	struct uk_vnode *parent; /* directories: for ".." (not referenced: it outlives us) */
	struct ramfs_dirent *ents;
	uint64_t nextseq;
	char *data;   /* file bytes, or symlink target */
	size_t cap;
};

static const struct uk_vfs_ops ramfs_ops;

#define RN(vn) ((struct ramfs_node *)(vn)->priv)
#define FS(vn) ((struct ramfs_fs *)(vn)->mnt->priv)

static struct uk_vnode *node_new(struct uk_mount *m, uint32_t mode, struct uk_vnode *parent)
{
	struct uk_vnode *vn = uk_vfs_vnode_new(&ramfs_ops, m, mode, sizeof(struct ramfs_node));

	if (!vn)
		return NULL;
	RN(vn)->parent = parent ? parent : vn;
	RN(vn)->nextseq = 2; /* 0 and 1 are "." and ".." */
	return vn;
}

static struct ramfs_dirent *find(struct uk_vnode *dir, const char *name, struct ramfs_dirent ***pp)
{
	struct ramfs_dirent **p = &RN(dir)->ents;

	for (; *p; p = &(*p)->next) {
		if (!uk_vfs_strcmp((*p)->name, name)) {
			if (pp)
				*pp = p;
			return *p;
		}
	}
	return NULL;
}

static long link_in(struct uk_vnode *dir, const char *name, struct uk_vnode *vn)
{
	size_t n = uk_vfs_strlen(name) + 1;
	struct ramfs_dirent *d = uk_vfs_alloc(sizeof(*d) + n), **p = &RN(dir)->ents;

	if (!d)
		return -ENOSPC;
	uk_vfs_memcpy(d->name, name, n);
	d->vn = vn;
	d->seq = RN(dir)->nextseq++;
	while (*p)
		p = &(*p)->next;
	*p = d;
	uk_vfs_touch(dir, 0, 1, 1);
	return 0;
}

static long ramfs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct ramfs_dirent *d = find(dir, name, NULL);

	if (!d)
		return -ENOENT;
	*out = uk_vnode_get(d->vn);
	return 0;
}

static long charge(struct uk_vnode *vn, int64_t bytes)
{
	struct ramfs_fs *fs = FS(vn);

	if (bytes > 0 && fs->quota && fs->used + bytes > fs->quota)
		return -ENOSPC;
	fs->used += bytes;
	return 0;
}

static long make_node(struct uk_vnode *dir, const char *name, uint32_t mode,
		      struct uk_vnode **out)
{
	struct uk_vnode *vn;

	if (find(dir, name, NULL))
		return -EEXIST;
	vn = node_new(dir->mnt, mode, UK_S_ISDIR(mode) ? dir : NULL);
	if (!vn)
		return -ENOSPC;
	if (link_in(dir, name, vn)) {
		vn->attr.nlink = 0;
		uk_vfs_vnode_put(vn);
		return -ENOSPC;
	}
	if (UK_S_ISDIR(mode))
		dir->attr.nlink++;
	if (out)
		*out = uk_vnode_get(vn);
	return 0;
}

static long ramfs_create(struct uk_vnode *dir, const char *name, uint32_t mode,
			 struct uk_vnode **out)
{
	return make_node(dir, name, mode, out);
}

static long ramfs_mkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	return make_node(dir, name, mode, NULL);
}

static long ramfs_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	size_t n = uk_vfs_strlen(target);
	struct uk_vnode *vn;
	long err;

	if (n >= UK_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (charge(dir, (int64_t)n))
		return -ENOSPC;
	err = make_node(dir, name, S_IFLNK | 0777, &vn);
	if (err) {
		charge(dir, -(int64_t)n);
		return err;
	}
	RN(vn)->data = uk_vfs_strdup(target);
	vn->attr.size = (int64_t)n;
	err = RN(vn)->data ? 0 : -ENOSPC;
	uk_vfs_vnode_put(vn);
	return err;
}

static long ramfs_link(struct uk_vnode *dir, const char *name, struct uk_vnode *vn)
{
	long err;

	if (find(dir, name, NULL))
		return -EEXIST;
	if (vn->ops != &ramfs_ops)
		return -EXDEV;
	err = link_in(dir, name, uk_vnode_get(vn)); /* the new entry holds a reference */
	if (err) {
		uk_vfs_vnode_put(vn);
		return err;
	}
	vn->attr.nlink++;
	uk_vfs_touch(vn, 0, 0, 1);
	return 0;
}

static long ramfs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	size_t n = (size_t)vn->attr.size;

	if (!RN(vn)->data)
		return -EIO;
	if (n > len)
		n = len;
	uk_vfs_memcpy(buf, RN(vn)->data, n);
	return (long)n;
}

/* Drop the entry *pp from its directory; the node goes when its last reference does. */
static void unlink_ent(struct uk_vnode *dir, struct ramfs_dirent **pp)
{
	struct ramfs_dirent *d = *pp;
	struct uk_vnode *vn = d->vn;

	*pp = d->next;
	if (UK_S_ISDIR(vn->attr.mode)) {
		dir->attr.nlink--;
		vn->attr.nlink = 0;
	} else {
		vn->attr.nlink--;
	}
	uk_vfs_touch(dir, 0, 1, 1);
	uk_vfs_touch(vn, 0, 0, 1);
	uk_vfs_free(d);
	uk_vfs_vnode_put(vn);
}

static long ramfs_unlink(struct uk_vnode *dir, const char *name, int isdir)
{
	struct ramfs_dirent **pp, *d = find(dir, name, &pp);

	if (!d)
		return -ENOENT;
	if (isdir != UK_S_ISDIR(d->vn->attr.mode))
		return isdir ? -ENOTDIR : -EISDIR;
	if (isdir && RN(d->vn)->ents)
		return -ENOTEMPTY;
	unlink_ent(dir, pp);
	return 0;
}

static long ramfs_rename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
			 const char *nname)
{
	struct ramfs_dirent **op, **np, *o = find(odir, oname, &op), *n = find(ndir, nname, &np);
	struct uk_vnode *vn;
	long err;

	if (!o)
		return -ENOENT;
	vn = o->vn;
	if (n && UK_S_ISDIR(n->vn->attr.mode) && RN(n->vn)->ents)
		return -ENOTEMPTY;
	*op = o->next; /* detach first so replacing a same-directory entry is safe */
	uk_vfs_free(o);
	if (n && find(ndir, nname, &np))
		unlink_ent(ndir, np);
	err = link_in(ndir, nname, vn); /* the old entry's reference moves to the new one */
	if (err) { /* out of memory for a name: the object is lost, like a crash mid-rename */
		vn->attr.nlink = 0;
		uk_vfs_vnode_put(vn);
	}
	if (UK_S_ISDIR(vn->attr.mode) && odir != ndir) {
		odir->attr.nlink--;
		ndir->attr.nlink++;
		RN(vn)->parent = ndir;
	}
	uk_vfs_touch(odir, 0, 1, 1);
	uk_vfs_touch(vn, 0, 0, 1);
	return err;
}

static long ramfs_readdir(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg)
{
	struct uk_vnode *dir = f->vn;
	struct ramfs_dirent *d;

	if (*cookie == 0) {
		if (fill(arg, ".", dir->attr.ino, UK_DT_DIR, 1))
			return 1;
		*cookie = 1;
	}
	if (*cookie == 1) {
		if (fill(arg, "..", RN(dir)->parent->attr.ino, UK_DT_DIR, 2))
			return 1;
		*cookie = 2;
	}
	for (d = RN(dir)->ents; d; d = d->next) {
		if (d->seq < *cookie)
			continue;
		if (fill(arg, d->name, d->vn->attr.ino, uk_vfs_dtype(d->vn->attr.mode), d->seq + 1))
			return 1;
		*cookie = d->seq + 1;
	}
	return 0;
}

static long ramfs_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	struct uk_vnode *vn = f->vn;

	if (off >= vn->attr.size)
		return 0;
	if ((uint64_t)len > (uint64_t)(vn->attr.size - off))
		len = (size_t)(vn->attr.size - off);
	uk_vfs_memcpy(buf, RN(vn)->data + off, len);
	return (long)len;
}

/* Make room for `size` bytes, zero-filling from the old size up to `written`, where the caller
 * writes the rest (a write after the end leaves a hole of zeros; the written part is not
 * zeroed first: unpacking a 5 MB root file system saves a pass). */
static long grow(struct uk_vnode *vn, int64_t size, int64_t written)
{
	struct ramfs_node *rn = RN(vn);
	size_t cap = rn->cap ? rn->cap : 64;
	char *nd;

	if (size > vn->attr.size && charge(vn, size - vn->attr.size))
		return -ENOSPC;
	if ((size_t)size > rn->cap) {
		while (cap < (size_t)size)
			cap *= 2;
		nd = uk_vfs_alloc(cap);
		if (!nd && !(nd = uk_vfs_alloc(cap = (size_t)size))) {
			charge(vn, vn->attr.size - size);
			return -ENOSPC;
		}
		if (rn->data)
			uk_vfs_memcpy(nd, rn->data, (size_t)vn->attr.size);
		uk_vfs_free(rn->data);
		rn->data = nd, rn->cap = cap;
	}
	if (written > vn->attr.size)
		uk_vfs_memset(rn->data + vn->attr.size, 0, (size_t)(written - vn->attr.size));
	return 0;
}

/* Bytes of quota left for growing this file, or -1 for no limit. */
static int64_t room(struct uk_vnode *vn)
{
	struct ramfs_fs *fs = FS(vn);

	return fs->quota ? fs->quota - fs->used : -1;
}

static long ramfs_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	struct uk_vnode *vn = f->vn;
	int64_t end = off + (int64_t)len, left = room(vn);

	if (off < 0 || end < off)
		return -EFBIG;
	if (!len)
		return 0;
	if (end > vn->attr.size && left >= 0 && end - vn->attr.size > left) {
		end = vn->attr.size + left; /* short write up to the quota, like a full disk */
		if (end <= off)
			return -ENOSPC;
		len = (size_t)(end - off);
	}
	if (end > vn->attr.size) {
		if (grow(vn, end, off))
			return -ENOSPC;
		vn->attr.size = end;
	}
	uk_vfs_memcpy(RN(vn)->data + off, buf, len);
	uk_vfs_touch(vn, 0, 1, 1);
	return (long)len;
}

static long resize(struct uk_vnode *vn, int64_t size)
{
	struct ramfs_node *rn = RN(vn);

	if (size > vn->attr.size) {
		if (grow(vn, size, size))
			return -ENOSPC;
	} else {
		charge(vn, size - vn->attr.size);
		if (size == 0) { /* give memory back: journals are truncated to 0 all the time */
			uk_vfs_free(rn->data);
			rn->data = NULL, rn->cap = 0;
		}
	}
	vn->attr.size = size;
	uk_vfs_touch(vn, 0, 1, 1);
	return 0;
}

static long ramfs_setattr(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask)
{
	long err = 0;

	if (mask & UK_VA_SIZE)
		err = resize(vn, va->size);
	if (err)
		return err;
	uk_vfs_attr_apply(vn, va, mask);
	return 0;
}

static void ramfs_release(struct uk_vnode *vn)
{
	if (vn->attr.nlink)
		return; /* still in the tree (cannot happen: the tree holds a reference) */
	if (!UK_S_ISDIR(vn->attr.mode))
		charge(vn, -vn->attr.size);
	uk_vfs_free(RN(vn)->data);
	uk_vfs_free(vn);
}

static long ramfs_statfs(struct uk_vnode *vn, struct uk_statfs *sf)
{
	struct ramfs_fs *fs = FS(vn);

	sf->f_type = UK_RAMFS_MAGIC;
	if (fs->quota) { /* without a quota the size is free memory, which ramfs cannot know */
		sf->f_blocks = (uint64_t)fs->quota / 4096;
		sf->f_bfree = sf->f_bavail = (uint64_t)(fs->quota - fs->used) / 4096;
	}
	return 0;
}

static const struct uk_vfs_ops ramfs_ops = {
	.lookup = ramfs_lookup,
	.create = ramfs_create,
	.mkdir = ramfs_mkdir,
	.symlink = ramfs_symlink,
	.unlink = ramfs_unlink,
	.rename = ramfs_rename,
	.readlink = ramfs_readlink,
	.link = ramfs_link,
	.setattr = ramfs_setattr,
	.read = ramfs_read,
	.write = ramfs_write,
	.readdir = ramfs_readdir,
	.release = ramfs_release,
	.statfs = ramfs_statfs,
};

long uk_ramfs_mount(const char *path, int64_t quota)
{
	struct uk_mount *m = uk_vfs_mount_new();
	struct ramfs_fs *fs = uk_vfs_alloc(sizeof(*fs));
	struct uk_vnode *root;
	long err;

	if (!m || !fs)
		return -ENOMEM;
	fs->quota = quota;
	m->priv = fs;
	root = node_new(m, S_IFDIR | 0755, NULL);
	if (!root)
		return -ENOMEM;
	err = uk_vfs_mount(path, root, fs);
	if (err)
		uk_vfs_vnode_put(root);
	return err;
}

long uk_rootfs_mount(void)
{
	return uk_ramfs_mount("/", (int64_t)RAMFS_QUOTA_KB * 1024);
}

static long ramfs_of(const char *path, struct ramfs_fs **fs)
{
	struct uk_nameidata nd;
	long err = uk_vfs_namei(AT_FDCWD, path, UK_NAMEI_FOLLOW, &nd);

	if (err)
		return err;
	err = nd.node->ops == &ramfs_ops ? 0 : -EINVAL;
	*fs = err ? NULL : nd.node->mnt->priv;
	uk_vfs_nd_release(&nd);
	return err;
}

long uk_ramfs_set_quota(const char *path, int64_t quota)
{
	struct ramfs_fs *fs;
	long err = ramfs_of(path, &fs);

	if (!err)
		fs->quota = quota;
	return err;
}

int64_t uk_ramfs_used(const char *path)
{
	struct ramfs_fs *fs;
	long err = ramfs_of(path, &fs);

	return err ? err : fs->used;
}
