/* net: socket objects. A socket is a vnode (S_IFSOCK) of the vfs fd table with its own read,
 * write, close, poll and ioctl operations, so read/write/close/fcntl/poll/select/epoll work on
 * it as on any file. Each socket has one wait queue, woken by lwIP's callbacks; a stream keeps
 * what arrived in a ring (lwIP's window opens as the program reads it). AF_UNIX streams
 * (socketpair, or connected by name: sock_unix.c) are two sockets writing each other's ring. */
#include "net_priv.h"

static const struct uk_vfs_ops sock_ops;

#define SOCK(f) ((struct uk_net_sock *)(f)->vn->priv)

int uk_net_errno(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: return ENOMEM;
	case ERR_BUF: return ENOBUFS;
	case ERR_TIMEOUT: return ETIMEDOUT;
	case ERR_RTE: return EHOSTUNREACH;
	case ERR_INPROGRESS: return EINPROGRESS;
	case ERR_WOULDBLOCK: return EAGAIN;
	case ERR_USE: return EADDRINUSE;
	case ERR_ALREADY: return EALREADY;
	case ERR_ISCONN: return EISCONN;
	case ERR_CONN: case ERR_CLSD: return ENOTCONN;
	case ERR_ABRT: return ECONNABORTED;
	case ERR_RST: return ECONNRESET;
	default: return EINVAL;
	}
}

struct uk_net_sock *uk_net_sock_new(int domain, int type, int proto)
{
	struct uk_vnode *vn = uk_vfs_vnode_new(&sock_ops, NULL, S_IFSOCK | 0777, sizeof(struct uk_net_sock));
	struct uk_net_sock *s;

	if (!vn)
		return NULL;
	vn->seekable = 0;
	vn->attr.nlink = 1;
	s = vn->priv;
	s->vn = vn;
	s->domain = domain;
	s->type = type;
	s->proto = proto;
	return s;
}

/* An fd for a new socket (SOCK_NONBLOCK / SOCK_CLOEXEC in flags); the fd holds the vnode. */
long uk_net_sock_install(struct uk_net_sock *s, int flags)
{
	long err;
	struct uk_file *f = uk_vfs_file_open(s->vn, O_RDWR | (flags & UK_SOCK_NONBLOCK ? O_NONBLOCK : 0), "socket:", &err);

	uk_vfs_vnode_put(s->vn);
	if (!f)
		return err;
	return uk_vfs_fd_install(f, 0, !!(flags & UK_SOCK_CLOEXEC));
}

struct uk_net_sock *uk_net_sock_of(int fd, struct uk_file **file, long *err)
{
	struct uk_file *f = uk_vfs_fd_get(fd);

	*err = !f ? -EBADF : f->vn->ops != &sock_ops ? -ENOTSOCK : 0;
	if (*err)
		return NULL;
	if (file)
		*file = f;
	return SOCK(f);
}

void uk_net_wake(struct uk_net_sock *s) { uk_core_waitq_wake_all(&s->wq); }

/* Wait for a change on the socket: 0, -EAGAIN (non-blocking, or the SO_*TIMEO timeout), -EINTR. */
long uk_net_wait(struct uk_net_sock *s, bool nonblock, uint64_t timeout, const char *what)
{
	long r;

	if (nonblock)
		return -EAGAIN;
	r = uk_core_waitq_sleep(&s->wq, timeout ? uk_plat_monotonic_ns() + timeout : 0, what);
	uk_net_kick();
	return r == -ETIMEDOUT ? -EAGAIN : r;
}

int uk_net_err_take(struct uk_net_sock *s)
{
	int e = s->err;

	s->err = 0;
	return e;
}

/* Grow the ring (doubling, up to UK_NET_RING) until `more` bytes fit; false when they cannot
 * (full, or no memory: the caller waits or lets lwIP offer the data again). */
bool uk_net_ring_reserve(struct uk_net_sock *s, size_t more)
{
	size_t cap = s->cap ? s->cap : UK_NET_RING_MIN;
	unsigned char *bigger;

	if (more > UK_NET_RING - s->len)
		return false;
	while (cap < s->len + more)
		cap *= 2;
	if (s->ring && cap == s->cap)
		return true;
	if (!(bigger = uk_core_malloc(cap)))
		return false;
	uk_net_ring_get(s, bigger, s->len, true); /* the data, unwrapped, from offset 0 */
	uk_core_free(s->ring);
	s->ring = bigger;
	s->head = 0;
	s->cap = cap;
	return true;
}

/* Copy in what fits without growing (after uk_net_ring_reserve: all of it). */
size_t uk_net_ring_put(struct uk_net_sock *s, const void *buf, size_t len)
{
	size_t n = 0;

	while (s->ring && n < len && s->len < s->cap) {
		size_t at = (s->head + s->len) % s->cap, chunk = s->cap - at;
		if (chunk > s->cap - s->len)
			chunk = s->cap - s->len;
		if (chunk > len - n)
			chunk = len - n;
		memcpy(s->ring + at, (const char *)buf + n, chunk);
		s->len += chunk;
		n += chunk;
	}
	return n;
}

size_t uk_net_ring_get(struct uk_net_sock *s, void *buf, size_t len, bool peek)
{
	size_t n = 0, head = s->head, have = s->len;

	while (n < len && have) {
		size_t chunk = s->cap - head < have ? s->cap - head : have;
		if (chunk > len - n)
			chunk = len - n;
		memcpy((char *)buf + n, s->ring + head, chunk);
		head = (head + chunk) % s->cap;
		have -= chunk;
		n += chunk;
	}
	if (!peek) {
		s->head = have ? head : 0;
		s->len = have;
	}
	return n;
}

/* ---- AF_UNIX stream pairs: write the peer's ring, read our own ---- */
long uk_net_pair_send(struct uk_net_sock *s, const void *buf, size_t len, int flags)
{
	size_t sent = 0;

	if (!s->connected)
		return -ENOTCONN;
	while (sent < len) {
		if (!s->peer || s->wr_shut || s->peer->rd_shut) {
			if (!(flags & UK_MSG_NOSIGNAL))
				uk_vfs_sigpipe();
			return sent ? (long)sent : -EPIPE;
		}
		size_t want = len - sent, room = UK_NET_RING - s->peer->len;
		if (want > room)
			want = room;
		size_t n = want && uk_net_ring_reserve(s->peer, want) ? uk_net_ring_put(s->peer, (const char *)buf + sent, want) : 0;
		sent += n;
		if (n)
			uk_net_wake(s->peer);
		if (sent < len && !n) {
			long r = uk_net_wait(s, flags & UK_MSG_DONTWAIT, s->sndtimeo, "room in a socket pair");
			if (r)
				return sent ? (long)sent : r;
		}
	}
	return (long)sent;
}

long uk_net_pair_recv(struct uk_net_sock *s, void *buf, size_t len, int flags)
{
	while (!s->len && len) {
		if (!s->peer || s->peer->wr_shut || s->rd_shut)
			return 0;
		long r = uk_net_wait(s, flags & UK_MSG_DONTWAIT, s->rcvtimeo, "a socket pair to be written");
		if (r)
			return r;
	}
	size_t n = uk_net_ring_get(s, buf, len, flags & UK_MSG_PEEK);
	if (n && s->peer)
		uk_net_wake(s->peer);
	return (long)n;
}

static unsigned pair_poll(struct uk_net_sock *s)
{
	bool gone = !s->peer || s->peer->wr_shut;

	if (s->listening)
		return s->acq_head ? UK_POLLIN : 0;
	if (s->type == UK_SOCK_DGRAM)
		return (s->dq_head || s->rd_shut ? UK_POLLIN : 0) | (s->wr_shut ? 0 : UK_POLLOUT);
	if (!s->connected)
		return UK_POLLOUT | UK_POLLHUP;

	return (s->len || gone || s->rd_shut ? UK_POLLIN : 0) | (gone ? UK_POLLHUP : 0) |
	       (s->peer && s->peer->len < UK_NET_RING && !s->wr_shut ? UK_POLLOUT : 0);
}

/* ---- file operations ---- */
static long sock_recv(struct uk_net_sock *s, void *buf, size_t len, int flags)
{
	size_t full;

	if (s->domain == UK_AF_UNIX)
		return s->type == UK_SOCK_STREAM ? uk_net_pair_recv(s, buf, len, flags)
						 : uk_net_unix_recvfrom(s, buf, len, flags, NULL, NULL, &full);
	if (s->type == UK_SOCK_STREAM)
		return uk_net_tcp_recv(s, buf, len, flags);
	return uk_net_udp_recv(s, buf, len, flags, NULL, NULL, &full);
}

static long sock_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	(void)off;
	return sock_recv(SOCK(f), buf, len, f->flags & O_NONBLOCK ? UK_MSG_DONTWAIT : 0);
}

static long sock_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	struct uk_net_sock *s = SOCK(f);
	int flags = f->flags & O_NONBLOCK ? UK_MSG_DONTWAIT : 0;

	(void)off;
	if (s->domain == UK_AF_UNIX)
		return s->type == UK_SOCK_STREAM ? uk_net_pair_send(s, buf, len, flags)
						 : uk_net_unix_sendto(s, buf, len, NULL, 0);
	if (s->type == UK_SOCK_STREAM)
		return uk_net_tcp_send(s, buf, len, flags);
	return uk_net_udp_send(s, buf, len, NULL, 0);
}

static unsigned sock_poll(struct uk_file *f, struct uk_waitq **wq)
{
	struct uk_net_sock *s = SOCK(f);

	*wq = &s->wq;
	uk_net_kick();
	if (s->domain == UK_AF_UNIX)
		return pair_poll(s);
	return s->type == UK_SOCK_STREAM ? uk_net_tcp_poll(s) : uk_net_udp_poll(s);
}

static void sock_close(struct uk_file *f)
{
	struct uk_net_sock *s = SOCK(f);

	if (s->domain == UK_AF_UNIX) {
		if (s->peer) {
			s->peer->peer = NULL;
			uk_net_wake(s->peer);
		}
		s->peer = NULL;
		uk_net_unix_close(s);
	} else if (s->type == UK_SOCK_STREAM) {
		uk_net_tcp_close(s);
	} else {
		uk_net_udp_close(s);
	}
}

static void sock_release(struct uk_vnode *vn)
{
	struct uk_net_sock *s = vn->priv;

	uk_core_free(s->ring);
	uk_core_free(s->uname); /* a connection never accepted: uk_net_unix_close did not run */
	for (struct uk_net_dgram *d = s->dq_head, *next; d; d = next) {
		next = d->next;
		uk_core_free(d);
	}
	uk_vfs_free(vn);
}

static const struct uk_vfs_ops sock_ops = {
	.read = sock_read,
	.write = sock_write,
	.close = sock_close,
	.release = sock_release,
	.poll = sock_poll,
	.ioctl = uk_net_ioctl,
};
