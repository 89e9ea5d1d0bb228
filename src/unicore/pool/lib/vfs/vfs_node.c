/* vfs core: vnode reference counting, the mount table, and path resolution (namei).
 *
 * Resolution walks a stack of referenced directories from "/", so ".." is the physical parent
 * of the directory actually reached (also after a symlink), and crossing into a mount swaps the
 * covered directory for the mounted root. Relative paths are resolved by prefixing the
 * canonical path of the cwd or of the dirfd's directory. */
#include "vfs_priv.h"

#define UK_VFS_DEPTH_MAX 256

static struct uk_mount *mounts;    /* all mounts, "/" first */
static uint64_t next_ino = 2;      /* 1 is kept for nothing; roots get fresh numbers too */
static uint64_t next_dev = 1;

size_t uk_vfs_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int uk_vfs_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

/* The C library's (host tests) or core's (kernel, 8 bytes a step): file data goes through
 * here, and a byte loop costs about 8x under TCG (a 5 MB root file system: 70 -> ~15 ms).
 * memmove: path walking copies within one buffer, between overlapping ranges. */
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void uk_vfs_memcpy(void *d, const void *s, size_t n)
{
	memmove(d, s, n);
}

void uk_vfs_memset(void *d, int c, size_t n)
{
	memset(d, c, n);
}

char *uk_vfs_strdup(const char *s)
{
	size_t n = uk_vfs_strlen(s) + 1;
	char *d = uk_vfs_alloc(n);

	if (d)
		uk_vfs_memcpy(d, s, n);
	return d;
}

uint64_t uk_vfs_next_ino(void)
{
	return next_ino++;
}

unsigned uk_vfs_dtype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return UK_DT_DIR;
	case S_IFREG: return UK_DT_REG;
	case S_IFLNK: return UK_DT_LNK;
	case S_IFCHR: return UK_DT_CHR;
	default: return UK_DT_UNKNOWN;
	}
}

void uk_vfs_attr_apply(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask)
{
	if (mask & UK_VA_MODE)
		vn->attr.mode = va->mode;
	if (mask & UK_VA_UID)
		vn->attr.uid = va->uid;
	if (mask & UK_VA_GID)
		vn->attr.gid = va->gid;
	if (mask & UK_VA_ATIME)
		vn->attr.atime = va->atime;
	if (mask & UK_VA_MTIME)
		vn->attr.mtime = va->mtime;
	uk_vfs_touch(vn, 0, 0, 1);
}

void uk_vfs_touch(struct uk_vnode *vn, int atime, int mtime, int ctime)
{
	struct uk_timespec now;

	uk_vfs_now(&now);
	if (atime)
		vn->attr.atime = now;
	if (mtime)
		vn->attr.mtime = now;
	if (ctime)
		vn->attr.ctime = now;
}

struct uk_vnode *uk_vfs_vnode_new(const struct uk_vfs_ops *ops, struct uk_mount *mnt, uint32_t mode,
			      size_t extra)
{
	struct uk_vnode *vn = uk_vfs_alloc(sizeof(*vn) + extra);

	if (!vn)
		return NULL;
	vn->ops = ops;
	vn->mnt = mnt;
	vn->refcnt = 1;
	vn->attr.mode = mode;
	vn->attr.nlink = UK_S_ISDIR(mode) ? 2 : 1;
	vn->attr.ino = uk_vfs_next_ino();
	vn->priv = extra ? (void *)(vn + 1) : NULL;
	vn->seekable = !UK_S_ISCHR(mode);
	uk_vfs_touch(vn, 1, 1, 1);
	return vn;
}

void uk_vfs_vnode_put(struct uk_vnode *vn)
{
	if (!vn || --vn->refcnt)
		return;
	if (vn->ops && vn->ops->release)
		vn->ops->release(vn);
}

/* ---------------------------------------------------------------- mounts */

struct uk_mount *uk_vfs_mount_new(void)
{
	struct uk_mount *m = uk_vfs_alloc(sizeof(*m));

	if (m)
		m->dev = next_dev++;
	return m;
}

static struct uk_mount *root_mount(void)
{
	struct uk_mount *m = mounts;

	while (m && m->covered)
		m = m->next;
	return m;
}

/* The vnode that a lookup result stands for once mounts are taken into account. */
static struct uk_vnode *cross_mounts(struct uk_vnode *vn)
{
	struct uk_mount *m;
	int again = 1;

	while (again) {
		again = 0;
		for (m = mounts; m; m = m->next) {
			if (m->covered == vn) {
				uk_vfs_vnode_put(vn);
				vn = uk_vnode_get(m->root);
				again = 1;
				break;
			}
		}
	}
	return vn;
}

int uk_vfs_is_mount_root(struct uk_vnode *vn)
{
	struct uk_mount *m;

	for (m = mounts; m; m = m->next)
		if (m->root == vn)
			return 1;
	return 0;
}

static void mount_link(struct uk_mount *m)
{
	struct uk_mount **pp = &mounts;

	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
}

long uk_vfs_mount(const char *path, struct uk_vnode *root, void *priv)
{
	struct uk_mount *m = root->mnt;
	struct uk_nameidata nd;
	long err;

	if (!m)
		return -EINVAL;
	m->root = root;
	m->priv = priv ? priv : m->priv;
	if (path[0] == '/' && path[1] == 0 && !root_mount()) {
		m->path = uk_vfs_strdup("/");
		mount_link(m);
		return 0;
	}
	err = uk_vfs_namei(AT_FDCWD, path, UK_NAMEI_FOLLOW, &nd);
	if (err)
		return err;
	if (!UK_S_ISDIR(nd.node->attr.mode)) {
		uk_vfs_nd_release(&nd);
		return -ENOTDIR;
	}
	m->covered = uk_vnode_get(nd.node);
	m->path = nd.path;
	nd.path = NULL;
	uk_vfs_nd_release(&nd);
	mount_link(m);
	return 0;
}

long uk_vfs_mkdir_p(const char *path, uint32_t mode)
{
	size_t i, n = uk_vfs_strlen(path);
	char *buf;
	long err = 0;

	if (n >= UK_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	buf = uk_vfs_alloc(n + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 1; i <= n && !err; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		uk_vfs_memcpy(buf, path, i);
		buf[i] = 0;
		err = uk_sys_mkdir((long)buf, mode, 0, 0, 0, 0);
		if (err == -EEXIST)
			err = 0;
	}
	uk_vfs_free(buf);
	return err;
}

/* ---------------------------------------------------------------- namei */

struct walk {
	struct uk_vnode *stack[UK_VFS_DEPTH_MAX];
	size_t plen[UK_VFS_DEPTH_MAX]; /* canonical path length at each depth */
	int depth;
	char canon[UK_VFS_PATH_MAX + 1];
	char rest[UK_VFS_PATH_MAX + 1];
	char tmp[UK_VFS_PATH_MAX + 1];
	char link[UK_VFS_PATH_MAX + 1];
};

static struct walk walk_area;
static int walk_busy;


static void walk_pop_all(struct walk *w)
{
	while (w->depth > 0)
		uk_vfs_vnode_put(w->stack[w->depth--]);
}

static long walk_push(struct walk *w, struct uk_vnode *vn, const char *name, size_t n)
{
	size_t at = w->plen[w->depth];

	if (w->depth + 1 >= UK_VFS_DEPTH_MAX || at + 1 + n > UK_VFS_PATH_MAX) {
		uk_vfs_vnode_put(vn);
		return -ENAMETOOLONG;
	}
	w->canon[at] = '/';
	uk_vfs_memcpy(w->canon + at + 1, name, n);
	w->stack[++w->depth] = vn;
	w->plen[w->depth] = at + 1 + n;
	return 0;
}

/* rest := a "/" b (just a when b is empty), using tmp; a and b may point into rest. */
static long walk_splice(struct walk *w, const char *a, const char *b)
{
	size_t na = uk_vfs_strlen(a), nb = uk_vfs_strlen(b), sep = nb ? 1 : 0;

	if (na + sep + nb > UK_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	uk_vfs_memcpy(w->tmp, a, na);
	w->tmp[na] = '/';
	uk_vfs_memcpy(w->tmp + na + sep, b, nb + 1);
	uk_vfs_memcpy(w->rest, w->tmp, na + sep + nb + 1);
	return 0;
}

static long walk_start(struct walk *w, int dirfd, const char *path)
{
	struct uk_mount *rm = root_mount();
	const char *base = "";
	long err = 0;

	if (!rm)
		return -ENOENT;
	w->stack[0] = uk_vnode_get(rm->root);
	w->plen[0] = 0;
	w->depth = 0;
	if (path[0] != '/') {
		base = dirfd == AT_FDCWD ? uk_vfs_cwd() : uk_vfs_fd_dirpath(dirfd, &err);
		if (err)
			return err;
	}
	return walk_splice(w, base, path);
}

/* Follow the symlink `vn` found with `p` left to walk. */
static long walk_symlink(struct walk *w, struct uk_vnode *vn, const char *p, int trailing)
{
	long n;

	if (!vn->ops->readlink) {
		uk_vfs_vnode_put(vn);
		return -EINVAL;
	}
	n = vn->ops->readlink(vn, w->link, UK_VFS_PATH_MAX);
	uk_vfs_vnode_put(vn);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	w->link[n] = 0;
	if (w->link[0] == '/')
		walk_pop_all(w);
	if (*p == 0)
		p = trailing ? "/" : "";
	return walk_splice(w, w->link, p);
}

static long walk_finish(struct walk *w, struct uk_nameidata *nd, struct uk_vnode *node)
{
	size_t n = w->plen[w->depth];

	nd->node = node;
	nd->path = uk_vfs_alloc(n + UK_VFS_NAME_MAX + 3);
	if (!nd->path)
		return -ENOMEM;
	uk_vfs_memcpy(nd->path, w->canon, n);
	if (!node) { /* would-be path of a missing last component */
		nd->path[n] = '/';
		uk_vfs_memcpy(nd->path + n + 1, nd->name, uk_vfs_strlen(nd->name) + 1);
	} else if (n == 0) {
		nd->path[0] = '/', nd->path[1] = 0;
	} else {
		nd->path[n] = 0;
	}
	return 0;
}

static int is_dot(const char *s, size_t n)
{
	return n == 1 && s[0] == '.';
}

static int is_dotdot(const char *s, size_t n)
{
	return n == 2 && s[0] == '.' && s[1] == '.';
}

/* One component step; returns 1 when resolution is complete (missing last component). */
static long walk_step(struct walk *w, struct uk_nameidata *nd, int flags, int *loops)
{
	char *c = w->rest, *p;
	size_t n = 0;
	int last, trailing;
	struct uk_vnode *cur = w->stack[w->depth], *child;
	long err;

	while (c[n] && c[n] != '/')
		n++;
	for (p = c + n; *p == '/'; p++)
		;
	last = *p == 0;
	trailing = last && c[n] == '/';
	if (!UK_S_ISDIR(cur->attr.mode))
		return -ENOTDIR;
	if (n > UK_VFS_NAME_MAX)
		return -ENAMETOOLONG;
	nd->trailing_slash = trailing;
	if (is_dot(c, n) || is_dotdot(c, n)) {
		if (is_dotdot(c, n) && w->depth > 0)
			uk_vfs_vnode_put(w->stack[w->depth--]);
		nd->dotlast = 1;
		uk_vfs_memcpy(nd->name, c, n);
		nd->name[n] = 0;
		uk_vfs_memcpy(w->rest, p, uk_vfs_strlen(p) + 1);
		return 0;
	}
	nd->dotlast = 0;
	uk_vfs_memcpy(nd->name, c, n);
	nd->name[n] = 0;
	if (!cur->ops->lookup)
		return -ENOTDIR;
	err = cur->ops->lookup(cur, nd->name, &child);
	if (err == -ENOENT && last && (flags & UK_NAMEI_CREATE))
		return 1;
	if (err)
		return err;
	child = cross_mounts(child);
	if (UK_S_ISLNK(child->attr.mode) && (!last || (flags & UK_NAMEI_FOLLOW) || trailing)) {
		if (++*loops > UK_VFS_SYMLOOP_MAX) {
			uk_vfs_vnode_put(child);
			return -ELOOP;
		}
		return walk_symlink(w, child, p, trailing);
	}
	err = walk_push(w, child, c, n);
	if (err)
		return err;
	uk_vfs_memcpy(w->rest, p, uk_vfs_strlen(p) + 1);
	return 0;
}

static long walk_run(struct walk *w, struct uk_nameidata *nd, int flags)
{
	int loops = 0;
	long err;
	char *p;

	for (;;) {
		for (p = w->rest; *p == '/'; p++)
			;
		if (*p == 0)
			break;
		if (p != w->rest)
			uk_vfs_memcpy(w->rest, p, uk_vfs_strlen(p) + 1);
		err = walk_step(w, nd, flags, &loops);
		if (err < 0)
			return err;
		if (err == 1) {
			nd->dir = uk_vnode_get(w->stack[w->depth]);
			return walk_finish(w, nd, NULL);
		}
	}
	if (w->depth == 0)
		nd->dotlast = 1;
	nd->dir = uk_vnode_get(w->stack[w->depth > 0 ? w->depth - 1 : 0]);
	if (nd->trailing_slash && !UK_S_ISDIR(w->stack[w->depth]->attr.mode))
		return -ENOTDIR;
	return walk_finish(w, nd, uk_vnode_get(w->stack[w->depth]));
}

long uk_vfs_namei(int dirfd, const char *path, int flags, struct uk_nameidata *nd)
{
	struct walk *w;
	long err;

	uk_vfs_memset(nd, 0, sizeof(*nd));
	if (!path)
		return -EFAULT;
	if (!path[0])
		return -ENOENT;
	if (uk_vfs_strlen(path) >= UK_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	/* The kernel is single-threaded and namei never nests, so one static work area serves
	 * (no 20 KiB allocation and zeroing per path operation); the heap is the fallback. */
	w = walk_busy ? uk_vfs_alloc(sizeof(*w)) : &walk_area;
	if (!w)
		return -ENOMEM;
	walk_busy |= w == &walk_area;
	w->depth = 0;
	w->stack[0] = NULL;
	err = walk_start(w, dirfd, path);
	if (!err)
		err = walk_run(w, nd, flags);
	walk_pop_all(w);
	if (w->stack[0])
		uk_vfs_vnode_put(w->stack[0]);
	if (w == &walk_area)
		walk_busy = 0;
	else
		uk_vfs_free(w);
	if (err)
		uk_vfs_nd_release(nd);
	return err;
}

void uk_vfs_nd_release(struct uk_nameidata *nd)
{
	uk_vfs_vnode_put(nd->dir);
	uk_vfs_vnode_put(nd->node);
	if (nd->path)
		uk_vfs_free(nd->path);
	nd->dir = nd->node = NULL;
	nd->path = NULL;
}
