/* 9pfs: vfs operations over a 9P2000.L connection. One request is in flight at a time (the
 * unikernel is single-threaded); every vnode holds an unopened "path" fid, every open file its
 * own opened fid. Nothing is cached but attributes, so writes reach the host immediately. */
#include <uk/9pfs.h>

#define P9_TAG 1
#define P9_GETATTR_BASIC 0x7ffULL
#define P9_SETATTR_MODE 0x1
#define P9_SETATTR_UID 0x2
#define P9_SETATTR_GID 0x4
#define P9_SETATTR_SIZE 0x8
#define P9_SETATTR_ATIME 0x10
#define P9_SETATTR_MTIME 0x20
#define P9_SETATTR_CTIME 0x40
#define P9_SETATTR_ATIME_SET 0x80
#define P9_SETATTR_MTIME_SET 0x100
#define P9_RW_OVERHEAD 24 /* Twrite header: size type tag fid offset count */

struct uk_9pfs_conn {
	uk_9pfs_xfer_t xfer;
	void *dev;
	uint32_t msize;
	uint32_t next_fid;
	struct uk_9pfs_msg t, r;
};

struct p9_node {
	uint32_t fid;
	uint32_t open_fid;  /* opened by Tlcreate, handed to the first open (0: none) */
	uint32_t open_iounit;
};

struct p9_file {
	uint32_t fid;
	uint32_t iounit;
};

static const struct uk_vfs_ops p9_ops;

#define CONN(vn) ((struct uk_9pfs_conn *)(vn)->mnt->priv)
#define FID(vn) (((struct p9_node *)(vn)->priv)->fid)
#define FFID(f) (((struct p9_file *)(f)->priv)->fid)

static struct uk_9pfs_msg *begin(struct uk_9pfs_conn *c, uint8_t type)
{
	uk_9pfs_begin(&c->t, type, type == UK_P9_TVERSION ? UK_P9_NOTAG : P9_TAG);
	return &c->t;
}

/* Send the message built in c->t; on success c->r is positioned after the reply header. */
static long rpc(struct uk_9pfs_conn *c, int rtype)
{
	long n;
	int type;

	if (c->t.err)
		return -ENAMETOOLONG; /* only names can overflow a message */
	uk_9pfs_finish(&c->t);
	n = c->xfer(c->dev, c->t.buf, c->t.len, c->r.buf, c->r.cap);
	if (n < 0)
		return n;
	type = uk_9pfs_open_reply(&c->r, (uint32_t)n);
	if (type == UK_P9_RLERROR) {
		uint32_t e = uk_9pfs_get32(&c->r);

		return e ? -(long)e : -EIO;
	}
	return type == rtype ? 0 : -EIO;
}

static uint32_t new_fid(struct uk_9pfs_conn *c)
{
	if (c->next_fid == UK_P9_NOFID)
		c->next_fid = 1;
	return c->next_fid++;
}

static void clunk(struct uk_9pfs_conn *c, uint32_t fid)
{
	uk_9pfs_put32(begin(c, UK_P9_TCLUNK), fid);
	rpc(c, UK_P9_RCLUNK);
}

/* Walk from `fid` along one name (or none: a clone) to a new fid; `q` gets the name's qid. */
static long walk_qid(struct uk_9pfs_conn *c, uint32_t fid, const char *name, uint32_t *out,
		     struct uk_9pfs_qid *q)
{
	struct uk_9pfs_msg *m = begin(c, UK_P9_TWALK);
	uint32_t nf = new_fid(c);
	long err;

	uk_9pfs_put32(m, fid);
	uk_9pfs_put32(m, nf);
	uk_9pfs_put16(m, name ? 1 : 0);
	if (name)
		uk_9pfs_putstr(m, name);
	err = rpc(c, UK_P9_RWALK);
	if (err)
		return err;
	if (uk_9pfs_get16(&c->r) != (name ? 1 : 0)) /* partial walk: the fid was not created */
		return -ENOENT;
	if (name && q)
		uk_9pfs_getqid(&c->r, q);
	*out = nf;
	return 0;
}

static long walk(struct uk_9pfs_conn *c, uint32_t fid, const char *name, uint32_t *out)
{
	return walk_qid(c, fid, name, out, NULL);
}

static void ts_get(struct uk_9pfs_msg *m, struct uk_timespec *ts)
{
	ts->tv_sec = (int64_t)uk_9pfs_get64(m);
	ts->tv_nsec = (int64_t)uk_9pfs_get64(m);
}

static long getattr_fid(struct uk_9pfs_conn *c, uint32_t fid, struct uk_vattr *a)
{
	struct uk_9pfs_msg *m = begin(c, UK_P9_TGETATTR);
	struct uk_9pfs_qid q;
	long err;

	uk_9pfs_put32(m, fid);
	uk_9pfs_put64(m, P9_GETATTR_BASIC);
	err = rpc(c, UK_P9_RGETATTR);
	if (err)
		return err;
	m = &c->r;
	uk_9pfs_get64(m); /* valid */
	uk_9pfs_getqid(m, &q);
	a->ino = q.path;
	a->mode = uk_9pfs_get32(m);
	a->uid = uk_9pfs_get32(m);
	a->gid = uk_9pfs_get32(m);
	a->nlink = (uint32_t)uk_9pfs_get64(m);
	a->rdev = uk_9pfs_get64(m);
	a->size = (int64_t)uk_9pfs_get64(m);
	uk_9pfs_get64(m); /* blksize */
	a->blocks = (int64_t)uk_9pfs_get64(m);
	ts_get(m, &a->atime);
	ts_get(m, &a->mtime);
	ts_get(m, &a->ctime);
	return m->err ? -EIO : 0;
}

static struct uk_vnode *node_alloc(struct uk_mount *mnt, uint32_t fid, uint32_t mode)
{
	struct uk_vnode *vn = uk_vfs_vnode_new(&p9_ops, mnt, mode, sizeof(struct p9_node));

	if (vn) {
		vn->seekable = !UK_S_ISCHR(mode);
		FID(vn) = fid;
	}
	return vn;
}

/* A vnode with the host's attributes (one Tgetattr). */
static long node_new(struct uk_mount *mnt, uint32_t fid, struct uk_vnode **out)
{
	struct uk_9pfs_conn *c = mnt->priv;
	struct uk_vattr a;
	struct uk_vnode *vn = NULL;
	long err = getattr_fid(c, fid, &a);

	if (!err && !(vn = node_alloc(mnt, fid, a.mode)))
		err = -ENOMEM;
	if (err) {
		clunk(c, fid);
		return err;
	}
	vn->attr = a;
	*out = vn;
	return 0;
}

/* A vnode knowing only its type, from the qid: path walks need no more, and vfs asks for
 * the attributes (getattr) before it reports or uses them. Saves a round trip per name. */
static long node_from_qid(struct uk_mount *mnt, uint32_t fid, const struct uk_9pfs_qid *q,
			  uint32_t perm, struct uk_vnode **out)
{
	uint32_t type = q->type & 0x80 ? S_IFDIR : q->type & 0x02 ? S_IFLNK : S_IFREG;
	struct uk_vnode *vn = node_alloc(mnt, fid, type | perm);

	if (!vn) {
		clunk(mnt->priv, fid);
		return -ENOMEM;
	}
	vn->attr.ino = q->path;
	*out = vn;
	return 0;
}

static long p9_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct uk_9pfs_qid q;
	uint32_t fid;
	long err = walk_qid(CONN(dir), FID(dir), name, &fid, &q);

	return err ? err : node_from_qid(dir->mnt, fid, &q, 0, out);
}

static long p9_getattr(struct uk_vnode *vn)
{
	return getattr_fid(CONN(vn), FID(vn), &vn->attr);
}

static long p9_fgetattr(struct uk_file *f)
{
	return getattr_fid(CONN(f->vn), FFID(f), &f->vn->attr);
}

/* Tlcreate opens the new file on a clone of the directory's fid; that open fid is kept for
 * the open(2) that follows (vfs opens right after creating), saving a walk and a Tlopen. */
static long p9_create(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out)
{
	struct uk_9pfs_conn *c = CONN(dir);
	struct uk_9pfs_msg *m;
	struct uk_9pfs_qid q;
	uint32_t ofid, iounit = 0, pfid = 0;
	long err = walk(c, FID(dir), NULL, &ofid);

	if (err)
		return err;
	m = begin(c, UK_P9_TLCREATE);
	uk_9pfs_put32(m, ofid);
	uk_9pfs_putstr(m, name);
	uk_9pfs_put32(m, O_CREAT | O_EXCL | O_RDWR);
	uk_9pfs_put32(m, mode & 07777);
	uk_9pfs_put32(m, 0);
	err = rpc(c, UK_P9_RLCREATE);
	if (!err) {
		uk_9pfs_getqid(&c->r, &q);
		iounit = uk_9pfs_get32(&c->r);
		err = walk(c, FID(dir), name, &pfid);
	}
	if (!err)
		err = node_from_qid(dir->mnt, pfid, &q, mode & 07777, out);
	if (err) {
		clunk(c, ofid);
		return err;
	}
	((struct p9_node *)(*out)->priv)->open_fid = ofid;
	((struct p9_node *)(*out)->priv)->open_iounit = iounit;
	return 0;
}

static long p9_mkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	struct uk_9pfs_msg *m = begin(CONN(dir), UK_P9_TMKDIR);

	uk_9pfs_put32(m, FID(dir));
	uk_9pfs_putstr(m, name);
	uk_9pfs_put32(m, mode & 07777);
	uk_9pfs_put32(m, 0);
	return rpc(CONN(dir), UK_P9_RMKDIR);
}

static long p9_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	struct uk_9pfs_msg *m = begin(CONN(dir), UK_P9_TSYMLINK);

	uk_9pfs_put32(m, FID(dir));
	uk_9pfs_putstr(m, name);
	uk_9pfs_putstr(m, target);
	uk_9pfs_put32(m, 0);
	return rpc(CONN(dir), UK_P9_RSYMLINK);
}

static long p9_link(struct uk_vnode *dir, const char *name, struct uk_vnode *target)
{
	struct uk_9pfs_msg *m = begin(CONN(dir), UK_P9_TLINK);

	uk_9pfs_put32(m, FID(dir));
	uk_9pfs_put32(m, FID(target));
	uk_9pfs_putstr(m, name);
	return rpc(CONN(dir), UK_P9_RLINK);
}

static long p9_unlink(struct uk_vnode *dir, const char *name, int isdir)
{
	struct uk_9pfs_msg *m = begin(CONN(dir), UK_P9_TUNLINKAT);

	uk_9pfs_put32(m, FID(dir));
	uk_9pfs_putstr(m, name);
	uk_9pfs_put32(m, isdir ? AT_REMOVEDIR : 0);
	return rpc(CONN(dir), UK_P9_RUNLINKAT);
}

static long p9_rename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
		      const char *nname)
{
	struct uk_9pfs_msg *m = begin(CONN(odir), UK_P9_TRENAMEAT);

	uk_9pfs_put32(m, FID(odir));
	uk_9pfs_putstr(m, oname);
	uk_9pfs_put32(m, FID(ndir));
	uk_9pfs_putstr(m, nname);
	return rpc(CONN(odir), UK_P9_RRENAMEAT);
}

static long p9_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	struct uk_9pfs_conn *c = CONN(vn);
	const char *s;
	uint16_t n;
	long err;

	uk_9pfs_put32(begin(c, UK_P9_TREADLINK), FID(vn));
	err = rpc(c, UK_P9_RREADLINK);
	if (err)
		return err;
	s = uk_9pfs_getstr(&c->r, &n);
	if (n > len)
		n = (uint16_t)len;
	uk_vfs_memcpy(buf, s, n);
	return n;
}

static long p9_setattr(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask)
{
	struct uk_9pfs_msg *m = begin(CONN(vn), UK_P9_TSETATTR);
	uint32_t valid = P9_SETATTR_CTIME;
	long err;

	valid |= mask & UK_VA_MODE ? P9_SETATTR_MODE : 0;
	valid |= mask & UK_VA_UID ? P9_SETATTR_UID : 0;
	valid |= mask & UK_VA_GID ? P9_SETATTR_GID : 0;
	valid |= mask & UK_VA_SIZE ? P9_SETATTR_SIZE : 0;
	valid |= mask & UK_VA_ATIME ? P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET : 0;
	valid |= mask & UK_VA_MTIME ? P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET : 0;
	uk_9pfs_put32(m, FID(vn));
	uk_9pfs_put32(m, valid);
	uk_9pfs_put32(m, va->mode & 07777);
	uk_9pfs_put32(m, va->uid);
	uk_9pfs_put32(m, va->gid);
	uk_9pfs_put64(m, (uint64_t)va->size);
	uk_9pfs_put64(m, (uint64_t)va->atime.tv_sec);
	uk_9pfs_put64(m, (uint64_t)va->atime.tv_nsec);
	uk_9pfs_put64(m, (uint64_t)va->mtime.tv_sec);
	uk_9pfs_put64(m, (uint64_t)va->mtime.tv_nsec);
	err = rpc(CONN(vn), UK_P9_RSETATTR);
	return err ? err : p9_getattr(vn);
}

static long p9_open(struct uk_file *f)
{
	struct uk_9pfs_conn *c = CONN(f->vn);
	struct p9_file *pf = uk_vfs_alloc(sizeof(*pf));
	struct uk_9pfs_msg *m;
	struct uk_9pfs_qid q;
	struct p9_node *pn = f->vn->priv;
	uint32_t flags = (uint32_t)f->flags & O_ACCMODE;
	long err;

	if (pf && pn->open_fid) { /* the fid Tlcreate opened read-write: vfs checks the mode */
		pf->fid = pn->open_fid, pf->iounit = pn->open_iounit;
		pn->open_fid = 0;
		f->priv = pf;
		return 0;
	}
	err = pf ? walk(c, FID(f->vn), NULL, &pf->fid) : -ENOMEM;
	if (err) {
		uk_vfs_free(pf);
		return err;
	}
	if (UK_S_ISDIR(f->vn->attr.mode))
		flags |= O_DIRECTORY;
	m = begin(c, UK_P9_TLOPEN); /* O_APPEND stays in vfs, which knows the offset to use */
	uk_9pfs_put32(m, pf->fid);
	uk_9pfs_put32(m, flags);
	err = rpc(c, UK_P9_RLOPEN);
	if (err) {
		clunk(c, pf->fid);
		uk_vfs_free(pf);
		return err;
	}
	uk_9pfs_getqid(&c->r, &q);
	pf->iounit = uk_9pfs_get32(&c->r);
	f->priv = pf;
	return 0;
}

static void p9_close(struct uk_file *f)
{
	if (f->priv) {
		clunk(CONN(f->vn), FFID(f));
		uk_vfs_free(f->priv);
		f->priv = NULL;
	}
}

static uint32_t chunk(struct uk_file *f, size_t len)
{
	struct uk_9pfs_conn *c = CONN(f->vn);
	uint32_t max = c->msize - P9_RW_OVERHEAD, io = ((struct p9_file *)f->priv)->iounit;

	if (io && io < max)
		max = io;
	return len < max ? (uint32_t)len : max;
}

static long read_once(struct uk_file *f, char *buf, uint32_t n, uk_off_t off)
{
	struct uk_9pfs_conn *c = CONN(f->vn);
	struct uk_9pfs_msg *m = begin(c, UK_P9_TREAD);
	uint32_t got;
	long err;

	uk_9pfs_put32(m, FFID(f));
	uk_9pfs_put64(m, (uint64_t)off);
	uk_9pfs_put32(m, n);
	err = rpc(c, UK_P9_RREAD);
	if (err)
		return err;
	got = uk_9pfs_get32(&c->r);
	if (got > n || c->r.pos + got > c->r.len)
		return -EIO;
	uk_vfs_memcpy(buf, c->r.buf + c->r.pos, got);
	return got;
}

static long p9_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	size_t done = 0;
	long n = 0;

	while (done < len) {
		n = read_once(f, (char *)buf + done, chunk(f, len - done), off + (uk_off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done ? (long)done : n;
}

static long write_once(struct uk_file *f, const char *buf, uint32_t n, uk_off_t off)
{
	struct uk_9pfs_conn *c = CONN(f->vn);
	struct uk_9pfs_msg *m = begin(c, UK_P9_TWRITE);
	long err;

	uk_9pfs_put32(m, FFID(f));
	uk_9pfs_put64(m, (uint64_t)off);
	uk_9pfs_put32(m, n);
	uk_9pfs_putbytes(m, buf, n);
	err = rpc(c, UK_P9_RWRITE);
	return err ? err : (long)uk_9pfs_get32(&c->r);
}

static long p9_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	size_t done = 0;
	long n = 0;

	while (done < len) {
		n = write_once(f, (const char *)buf + done, chunk(f, len - done), off + (uk_off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done && off + (int64_t)done > f->vn->attr.size) /* keep the cached size honest */
		f->vn->attr.size = off + (int64_t)done;
	return done ? (long)done : n;
}

static long p9_readdir(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg)
{
	struct uk_9pfs_conn *c = CONN(f->vn);
	struct uk_9pfs_msg *m;
	char name[UK_VFS_NAME_MAX + 1];
	uint32_t end;
	long err;

	for (;;) {
		m = begin(c, UK_P9_TREADDIR);
		uk_9pfs_put32(m, FFID(f));
		uk_9pfs_put64(m, *cookie);
		uk_9pfs_put32(m, c->msize - 11);
		err = rpc(c, UK_P9_RREADDIR);
		if (err)
			return err;
		m = &c->r;
		end = uk_9pfs_get32(m);
		if (!end)
			return 0;
		end += m->pos;
		while (m->pos < end && !m->err) {
			struct uk_9pfs_qid q;
			uint64_t next;
			uint8_t type;
			uint16_t n;
			const char *s;

			uk_9pfs_getqid(m, &q);
			next = uk_9pfs_get64(m);
			type = uk_9pfs_get8(m);
			s = uk_9pfs_getstr(m, &n);
			if (m->err || n > UK_VFS_NAME_MAX)
				return -EIO;
			uk_vfs_memcpy(name, s, n);
			name[n] = 0;
			if (fill(arg, name, q.path, type, next))
				return 1;
			*cookie = next;
		}
	}
}

static long p9_fsync(struct uk_file *f)
{
	struct uk_9pfs_msg *m = begin(CONN(f->vn), UK_P9_TFSYNC);

	uk_9pfs_put32(m, FFID(f));
	uk_9pfs_put32(m, 0);
	return rpc(CONN(f->vn), UK_P9_RFSYNC);
}

static long p9_statfs(struct uk_vnode *vn, struct uk_statfs *sf)
{
	struct uk_9pfs_conn *c = CONN(vn);
	long err;

	uk_9pfs_put32(begin(c, UK_P9_TSTATFS), FID(vn));
	err = rpc(c, UK_P9_RSTATFS);
	if (err)
		return err;
	uk_9pfs_get32(&c->r); /* the host's type: report 9p's own, as Linux does */
	sf->f_type = UK_V9FS_MAGIC;
	sf->f_bsize = sf->f_frsize = uk_9pfs_get32(&c->r);
	sf->f_blocks = uk_9pfs_get64(&c->r);
	sf->f_bfree = uk_9pfs_get64(&c->r);
	sf->f_bavail = uk_9pfs_get64(&c->r);
	sf->f_files = uk_9pfs_get64(&c->r);
	sf->f_ffree = uk_9pfs_get64(&c->r);
	uk_9pfs_get64(&c->r); /* fsid */
	sf->f_namelen = uk_9pfs_get32(&c->r);
	return c->r.err ? -EIO : 0;
}

static void p9_release(struct uk_vnode *vn)
{
	if (((struct p9_node *)vn->priv)->open_fid)
		clunk(CONN(vn), ((struct p9_node *)vn->priv)->open_fid);
	clunk(CONN(vn), FID(vn));
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops p9_ops = {
	.lookup = p9_lookup,
	.create = p9_create,
	.mkdir = p9_mkdir,
	.symlink = p9_symlink,
	.unlink = p9_unlink,
	.link = p9_link,
	.rename = p9_rename,
	.readlink = p9_readlink,
	.getattr = p9_getattr,
	.fgetattr = p9_fgetattr,
	.setattr = p9_setattr,
	.open = p9_open,
	.close = p9_close,
	.read = p9_read,
	.write = p9_write,
	.readdir = p9_readdir,
	.fsync = p9_fsync,
	.release = p9_release,
	.statfs = p9_statfs,
};

/* ---------------------------------------------------------------- mounting */

static long version(struct uk_9pfs_conn *c)
{
	struct uk_9pfs_msg *m = begin(c, UK_P9_TVERSION);
	const char *v;
	uint16_t n;
	uint32_t msize;
	long err;

	uk_9pfs_put32(m, c->msize);
	uk_9pfs_putstr(m, "9P2000.L");
	err = rpc(c, UK_P9_RVERSION);
	if (err)
		return err;
	msize = uk_9pfs_get32(&c->r);
	v = uk_9pfs_getstr(&c->r, &n);
	for (uint16_t i = 0; i < n && n == 8; i++) /* not NUL-terminated: compare 8 bytes */
		if (v[i] != "9P2000.L"[i])
			n = 0;
	if (n != 8 || msize < 4096)
		return -EIO;
	if (msize < c->msize)
		c->msize = msize;
	return 0;
}

static long attach(struct uk_9pfs_conn *c, uint32_t fid)
{
	struct uk_9pfs_msg *m = begin(c, UK_P9_TATTACH);

	uk_9pfs_put32(m, fid);
	uk_9pfs_put32(m, UK_P9_NOFID);
	uk_9pfs_putstr(m, "root");
	uk_9pfs_putstr(m, "");
	uk_9pfs_put32(m, 0);
	return rpc(c, UK_P9_RATTACH);
}

static struct uk_9pfs_conn *conn_new(uk_9pfs_xfer_t xfer, void *dev, uint32_t msize)
{
	struct uk_9pfs_conn *c = uk_vfs_alloc(sizeof(*c));

	if (!c)
		return NULL;
	c->xfer = xfer, c->dev = dev, c->msize = msize, c->next_fid = 1;
	c->t.buf = uk_vfs_alloc(msize);
	c->r.buf = uk_vfs_alloc(msize);
	c->t.cap = c->r.cap = msize;
	if (!c->t.buf || !c->r.buf) {
		uk_vfs_free(c->t.buf);
		uk_vfs_free(c->r.buf);
		uk_vfs_free(c);
		return NULL;
	}
	return c;
}

long uk_9pfs_mount(const char *path, uk_9pfs_xfer_t xfer, void *dev, uint32_t msize)
{
	struct uk_9pfs_conn *c = conn_new(xfer, dev, msize);
	struct uk_mount *mnt = uk_vfs_mount_new();
	struct uk_vnode *root;
	long err;

	if (!c || !mnt)
		return -ENOMEM;
	mnt->priv = c;
	err = version(c);
	if (!err)
		err = attach(c, 0);
	if (!err)
		err = node_new(mnt, 0, &root);
	if (err)
		return err;
	err = uk_vfs_mkdir_p(path, 0755);
	if (!err)
		err = uk_vfs_mount(path, root, c);
	if (err)
		uk_vfs_vnode_put(root);
	return err;
}
