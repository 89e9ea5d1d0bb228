/* net: named AF_UNIX sockets inside the guest. bind makes a socket file (S_IFSOCK) at the path
 * in the vfs, or takes an abstract name (a leading NUL byte); a registry maps the file, or the
 * abstract name, to the bound socket. A stream connect makes the server's end at once, paired
 * with the client's like socketpair (each writes the other's ring), and queues it for accept.
 * Datagrams are copied into the bound receiver's queue with the sender's name. */
#include "net_priv.h"

#define SUN_PATH 108
#define UNIX_QUEUE (256 * 1024) /* a datagram socket's queue, in bytes */

struct sockaddr_un_k {
	uint16_t family;
	char path[SUN_PATH];
};

static struct uk_net_sock *bound; /* the registry: sockets with a name (unext) */

/* The name in a sockaddr_un: *len bytes at *name (abstract: starting with its NUL). */
static long name_in(const void *uaddr, long len, const char **name, size_t *n)
{
	const struct sockaddr_un_k *a = uaddr;
	size_t max;

	if (!a)
		return -EFAULT;
	if (len < 2 || len > (long)sizeof(*a))
		return -EINVAL;
	if (a->family != UK_AF_UNIX)
		return -EAFNOSUPPORT;
	max = (size_t)len - 2;
	*name = a->path;
	if (max && !a->path[0]) {
		*n = max;
		return 0;
	}
	for (*n = 0; *n < max && a->path[*n]; (*n)++)
		;
	return *n ? 0 : -EINVAL;
}

/* A path name as a C string (the sockaddr's path need not end with a NUL). */
static char *path_of(const char *name, size_t n)
{
	char *p = uk_core_malloc(n + 1);

	if (p) {
		memcpy(p, name, n);
		p[n] = 0;
	}
	return p;
}

/* The socket file at a path: a referenced vnode, or NULL with *err. */
static struct uk_vnode *node_at(const char *path, bool create, long *err)
{
	struct uk_nameidata nd;
	struct uk_vnode *vn = NULL;

	*err = uk_vfs_namei(AT_FDCWD, path, create ? UK_NAMEI_CREATE : UK_NAMEI_FOLLOW, &nd);
	if (*err)
		return NULL;
	if (create && nd.node)
		*err = -EADDRINUSE;
	else if (create && !nd.dir->ops->create)
		*err = -EROFS;
	else if (create)
		*err = nd.dir->ops->create(nd.dir, nd.name, S_IFSOCK | (0777 & ~uk_vfs_umask()), &nd.node);
	if (!*err && nd.node)
		vn = uk_vnode_get(nd.node);
	uk_vfs_nd_release(&nd);
	return vn;
}

static struct uk_net_sock *find(const char *name, size_t n, long *err)
{
	struct uk_vnode *vn = NULL;

	if (name[0]) {
		char *path = path_of(name, n);
		if (!path)
			return *err = -ENOMEM, NULL;
		vn = node_at(path, false, err);
		uk_core_free(path);
		if (!vn)
			return NULL;
	}
	for (struct uk_net_sock *s = bound; s; s = s->unext)
		if (vn ? s->unode == vn : !s->unode && s->unamelen == n && !memcmp(s->uname, name, n)) {
			if (vn)
				uk_vfs_vnode_put(vn);
			return s;
		}
	if (vn)
		uk_vfs_vnode_put(vn);
	*err = -ECONNREFUSED;
	return NULL;
}

long uk_net_unix_bind(struct uk_net_sock *s, const void *uaddr, long len)
{
	const char *name;
	size_t n;
	long err = name_in(uaddr, len, &name, &n);

	if (err)
		return err;
	if (s->uname)
		return -EINVAL;
	if (!name[0]) {
		long dup;
		if (find(name, n, &dup))
			return -EADDRINUSE;
	} else {
		char *path = path_of(name, n);
		if (!path)
			return -ENOMEM;
		s->unode = node_at(path, true, &err);
		uk_core_free(path);
		if (!s->unode)
			return err;
	}
	if (!(s->uname = path_of(name, n)))
		return -ENOMEM;
	s->unamelen = n;
	s->unext = bound;
	bound = s;
	s->bound = true;
	return 0;
}

long uk_net_unix_listen(struct uk_net_sock *s, int backlog)
{
	if (s->type != UK_SOCK_STREAM)
		return -EOPNOTSUPP;
	if (!s->uname || s->connected)
		return -EINVAL;
	s->backlog = backlog < 1 ? 1 : backlog > 4096 ? 4096 : backlog;
	s->listening = true;
	return 0;
}

/* The server's end of a new connection, queued on the listener l. */
static long queue_accept(struct uk_net_sock *l, struct uk_net_sock *s)
{
	struct uk_net_sock *c;

	if (l->acq_len >= l->backlog)
		return -EAGAIN;
	if (!(c = uk_net_sock_new(UK_AF_UNIX, UK_SOCK_STREAM, 0)) || !(c->uname = path_of(l->uname, l->unamelen))) {
		if (c)
			uk_vfs_vnode_put(c->vn);
		return -ENOMEM;
	}
	c->unamelen = l->unamelen;
	c->peer = s;
	s->peer = c;
	c->connected = s->connected = true;
	if (l->acq_tail)
		l->acq_tail->acq_next = c;
	else
		l->acq_head = c;
	l->acq_tail = c;
	l->acq_len++;
	uk_net_wake(l);
	return 0;
}

long uk_net_unix_connect(struct uk_net_sock *s, const void *uaddr, long len)
{
	const char *name;
	size_t n;
	long err = name_in(uaddr, len, &name, &n);
	struct uk_net_sock *l;

	if (err)
		return err;
	if (s->connected && s->type == UK_SOCK_STREAM)
		return -EISCONN;
	if (!(l = find(name, n, &err)))
		return err;
	if (l->type != s->type)
		return -EPROTOTYPE;
	if (s->type == UK_SOCK_DGRAM) {
		uk_core_free(s->udest);
		if (!(s->udest = path_of(name, n)))
			return -ENOMEM;
		s->udestlen = n;
		s->connected = true;
		return 0;
	}
	return l->listening ? queue_accept(l, s) : -ECONNREFUSED;
}

/* A datagram to the socket named by (to, tolen), or the connected one, or the pair's peer. */
long uk_net_unix_sendto(struct uk_net_sock *s, const void *buf, size_t len, const void *to, long tolen)
{
	struct uk_net_sock *r = s->peer;
	struct uk_net_dgram *d;
	const char *name = s->udest;
	size_t n = s->udestlen;
	long err;

	if (to && (err = name_in(to, tolen, &name, &n)))
		return err;
	if (name && !(r = find(name, n, &err)))
		return err;
	if (!r)
		return s->wr_shut ? -EPIPE : -ENOTCONN;
	if (r->type != UK_SOCK_DGRAM)
		return -EPROTOTYPE;
	if (len > UNIX_QUEUE)
		return -EMSGSIZE;
	if (r->dq_bytes + len > UNIX_QUEUE)
		return -EAGAIN; /* the receiver's queue is full: Linux would block */
	/* the sender's name follows the data (port holds its length) */
	if (!(d = uk_core_malloc(sizeof(*d) + len + s->unamelen)))
		return -ENOMEM;
	d->next = NULL;
	d->len = len;
	d->port = (uint16_t)s->unamelen;
	memcpy(d->data, buf, len);
	if (s->unamelen)
		memcpy(d->data + len, s->uname, s->unamelen);
	if (r->dq_tail)
		r->dq_tail->next = d;
	else
		r->dq_head = d;
	r->dq_tail = d;
	r->dq_bytes += len;
	uk_net_wake(r);
	return (long)len;
}

/* A sockaddr_un with `n` bytes of name (unnamed: the family alone), as Linux sizes it. */
void uk_net_unix_name_out(void *uaddr, uint32_t *lenp, const char *name, size_t n)
{
	struct sockaddr_un_k a = { .family = UK_AF_UNIX };
	uint32_t full = (uint32_t)(2 + n + (n && name[0] ? 1 : 0)), k;

	if (!uaddr || !lenp)
		return;
	if (n)
		memcpy(a.path, name, n);
	k = *lenp < full ? *lenp : full;
	memcpy(uaddr, &a, k);
	*lenp = full;
}

long uk_net_unix_recvfrom(struct uk_net_sock *s, void *buf, size_t len, int flags, void *from, uint32_t *fromlen,
			  size_t *full)
{
	struct uk_net_dgram *d;

	while (!(d = s->dq_head)) {
		if (s->rd_shut)
			return 0;
		long r = uk_net_wait(s, flags & UK_MSG_DONTWAIT, s->rcvtimeo, "a datagram");
		if (r)
			return r;
	}
	size_t n = d->len < len ? d->len : len;
	memcpy(buf, d->data, n);
	*full = d->len;
	uk_net_unix_name_out(from, fromlen, (const char *)d->data + d->len, d->port);
	if (!(flags & UK_MSG_PEEK)) {
		s->dq_head = d->next;
		if (!s->dq_head)
			s->dq_tail = NULL;
		s->dq_bytes -= d->len;
		uk_core_free(d);
	}
	return (long)n;
}

/* Closing: out of the registry (the socket file stays, as on Linux), connections never
 * accepted see their peer gone. */
void uk_net_unix_close(struct uk_net_sock *s)
{
	for (struct uk_net_sock **p = &bound; *p; p = &(*p)->unext)
		if (*p == s) {
			*p = s->unext;
			break;
		}
	while (s->acq_head) {
		struct uk_net_sock *c = s->acq_head;
		s->acq_head = c->acq_next;
		if (c->peer) {
			c->peer->peer = NULL;
			uk_net_wake(c->peer);
		}
		uk_vfs_vnode_put(c->vn);
	}
	if (s->unode)
		uk_vfs_vnode_put(s->unode);
	s->unode = NULL;
	uk_core_free(s->uname);
	uk_core_free(s->udest);
	s->uname = s->udest = NULL;
}
