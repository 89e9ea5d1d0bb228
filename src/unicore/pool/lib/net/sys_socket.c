/* net: the socket syscalls. They find the socket behind an fd (ENOTSOCK otherwise), turn
 * Linux's sockaddr_in into lwIP's addresses, and pass O_NONBLOCK / MSG_DONTWAIT down as one
 * flag. AF_INET (AF_INET6: EAFNOSUPPORT) and AF_UNIX (socketpair, and names: sock_unix.c). */
#include <uk/syscall.h>
#include "net_priv.h"

struct sockaddr_in_k {
	uint16_t family, port; /* port and address in network order */
	uint32_t addr;
	uint8_t zero[8];
};

#define PTR(x) ((void *)(uintptr_t)(x))
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IOV_MAX 1024

static long addr_in(const void *uaddr, long len, ip_addr_t *ip, uint16_t *port)
{
	const struct sockaddr_in_k *a = uaddr;

	if (!a)
		return -EFAULT;
	if (len < 2)
		return -EINVAL;
	if (a->family != UK_AF_INET)
		return a->family == 0 ? -EAFNOSUPPORT : -EAFNOSUPPORT;
	if (len < (long)sizeof(*a))
		return -EINVAL;
	ip_addr_set_ip4_u32(ip, a->addr);
	*port = lwip_ntohs(a->port);
	return 0;
}

/* Write an address for the program: at most *lenp bytes, *lenp set to the full size. */
static void addr_out(void *uaddr, uint32_t *lenp, const ip_addr_t *ip, uint16_t port)
{
	struct sockaddr_in_k a = { .family = UK_AF_INET, .port = lwip_htons(port) };
	uint32_t n;

	if (!uaddr || !lenp)
		return;
	a.addr = ip ? ip_addr_get_ip4_u32(ip) : 0;
	n = *lenp < sizeof(a) ? *lenp : (uint32_t)sizeof(a);
	memcpy(uaddr, &a, n);
	*lenp = sizeof(a);
}

static struct uk_net_sock *sock_nb(long fd, int *flags, long *err)
{
	struct uk_file *f;
	struct uk_net_sock *s = uk_net_sock_of((int)fd, &f, err);

	if (s && (f->flags & O_NONBLOCK))
		*flags |= UK_MSG_DONTWAIT;
	return s;
}

static long sock_open(struct uk_net_sock *s)
{
	return s->type == UK_SOCK_STREAM ? uk_net_tcp_open(s) : uk_net_udp_open(s);
}

UK_SYSCALL(socket)
{
	int type = (int)a1 & 0xf, flags = (int)a1 & ~0xf;
	struct uk_net_sock *s;
	long err;

	if (flags & ~(UK_SOCK_NONBLOCK | UK_SOCK_CLOEXEC))
		return -EINVAL;
	if (a0 != UK_AF_INET && a0 != UK_AF_UNIX)
		return -EAFNOSUPPORT;
	if (type != UK_SOCK_STREAM && type != UK_SOCK_DGRAM)
		return a0 == UK_AF_UNIX ? -ESOCKTNOSUPPORT : -EPROTONOSUPPORT;
	if (a2 && (a0 == UK_AF_UNIX || a2 != (type == UK_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP)))
		return -EPROTONOSUPPORT;
	if (a0 == UK_AF_UNIX)
		return (s = uk_net_sock_new((int)a0, type, 0)) ? uk_net_sock_install(s, flags) : -ENOMEM;
	if ((err = uk_net_init()))
		return err;
	if (!(s = uk_net_sock_new((int)a0, type, (int)a2)))
		return -ENOMEM;
	if ((err = sock_open(s))) {
		uk_vfs_vnode_put(s->vn);
		return err;
	}
	return uk_net_sock_install(s, flags);
}

UK_SYSCALL(socketpair)
{
	int type = (int)a1 & 0xf, flags = (int)a1 & ~0xf, *sv = PTR(a3);
	struct uk_net_sock *s[2];

	if (a0 != UK_AF_UNIX)
		return -EOPNOTSUPP;
	if (type != UK_SOCK_STREAM && type != UK_SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (!sv)
		return -EFAULT;
	s[0] = uk_net_sock_new(UK_AF_UNIX, type, 0);
	s[1] = s[0] ? uk_net_sock_new(UK_AF_UNIX, type, 0) : NULL;
	if (!s[1]) {
		if (s[0])
			uk_vfs_vnode_put(s[0]->vn);
		return -ENOMEM;
	}
	s[0]->peer = s[1];
	s[1]->peer = s[0];
	s[0]->connected = s[1]->connected = true;
	long fd0 = uk_net_sock_install(s[0], flags), fd1 = fd0 < 0 ? fd0 : uk_net_sock_install(s[1], flags);
	if (fd1 < 0)
		return fd1;
	sv[0] = (int)fd0;
	sv[1] = (int)fd1;
	return 0;
}

UK_SYSCALL(bind)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)a0, NULL, &err);
	ip_addr_t ip;
	uint16_t port;

	if (!s)
		return err;
	if (s->domain == UK_AF_UNIX)
		return uk_net_unix_bind(s, PTR(a1), a2);
	if ((err = addr_in(PTR(a1), a2, &ip, &port)))
		return err;
	return s->type == UK_SOCK_STREAM ? uk_net_tcp_bind(s, &ip, port) : uk_net_udp_bind(s, &ip, port);
}

UK_SYSCALL(listen)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)a0, NULL, &err);

	if (!s)
		return err;
	if (s->domain == UK_AF_UNIX)
		return uk_net_unix_listen(s, (int)a1);
	if (s->type != UK_SOCK_STREAM)
		return -EOPNOTSUPP;
	return uk_net_tcp_listen(s, (int)a1);
}

UK_SYSCALL(accept4)
{
	int flags = 0;
	long err;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err), *c;

	if (!s)
		return err;
	if (a3 & ~(long)(UK_SOCK_NONBLOCK | UK_SOCK_CLOEXEC))
		return -EINVAL;
	if (s->type != UK_SOCK_STREAM)
		return -EOPNOTSUPP;
	if ((err = uk_net_tcp_accept(s, &c, flags & UK_MSG_DONTWAIT)))
		return err;
	if (s->domain == UK_AF_UNIX)
		uk_net_unix_name_out(PTR(a1), PTR(a2), c->peer ? c->peer->uname : NULL, c->peer ? c->peer->unamelen : 0);
	else if (c->pcb.tcp)
		addr_out(PTR(a1), PTR(a2), &c->pcb.tcp->remote_ip, c->pcb.tcp->remote_port);
	else
		addr_out(PTR(a1), PTR(a2), NULL, 0);
	return uk_net_sock_install(c, (int)a3);
}

UK_SYSCALL(accept) { return uk_sys_accept4(a0, a1, a2, 0, 0, 0); }

UK_SYSCALL(connect)
{
	int flags = 0;
	long err;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err);
	ip_addr_t ip;
	uint16_t port;

	if (!s)
		return err;
	if (s->domain == UK_AF_UNIX)
		return uk_net_unix_connect(s, PTR(a1), a2);
	if (s->type == UK_SOCK_DGRAM && a1 && ((const struct sockaddr_in_k *)PTR(a1))->family == 0)
		return uk_net_udp_connect(s, NULL, 0); /* AF_UNSPEC: dissolve the association */
	if ((err = addr_in(PTR(a1), a2, &ip, &port)))
		return err;
	if (s->type == UK_SOCK_DGRAM)
		return uk_net_udp_connect(s, &ip, port);
	return uk_net_tcp_connect(s, &ip, port, flags & UK_MSG_DONTWAIT);
}

static long do_send(struct uk_net_sock *s, const void *buf, size_t len, int flags, const void *to, long tolen)
{
	ip_addr_t ip;
	uint16_t port;
	long err;

	if (s->domain == UK_AF_UNIX)
		return s->type == UK_SOCK_STREAM ? uk_net_pair_send(s, buf, len, flags)
						 : uk_net_unix_sendto(s, buf, len, to, tolen);
	if (s->type == UK_SOCK_STREAM)
		return uk_net_tcp_send(s, buf, len, flags);
	if (!to)
		return uk_net_udp_send(s, buf, len, NULL, 0);
	if ((err = addr_in(to, tolen, &ip, &port)))
		return err;
	return uk_net_udp_send(s, buf, len, &ip, port);
}

/* One receive; for datagrams *full is the datagram's length, the sender in (name, namelen). */
static long do_recv(struct uk_net_sock *s, void *buf, size_t len, int flags, void *from, uint32_t *fromlen,
		    size_t *full)
{
	ip_addr_t ip;
	uint16_t port;
	long n;

	*full = 0;
	if (s->domain == UK_AF_UNIX && s->type == UK_SOCK_DGRAM)
		return uk_net_unix_recvfrom(s, buf, len, flags, from, fromlen, full);
	if (s->domain == UK_AF_UNIX) {
		n = uk_net_pair_recv(s, buf, len, flags);
		if (n >= 0 && from && fromlen && s->peer && s->peer->uname)
			uk_net_unix_name_out(from, fromlen, s->peer->uname, s->peer->unamelen);
		else if (n >= 0 && fromlen)
			*fromlen = 0; /* Linux: no address when the sender has no name */
		return n;
	}
	if (s->type == UK_SOCK_STREAM) {
		n = uk_net_tcp_recv(s, buf, len, flags);
		if (n >= 0 && from && s->pcb.tcp)
			addr_out(from, fromlen, &s->pcb.tcp->remote_ip, s->pcb.tcp->remote_port);
		return n;
	}
	n = uk_net_udp_recv(s, buf, len, flags, &ip, &port, full);
	if (n >= 0)
		addr_out(from, fromlen, &ip, port);
	return n;
}

UK_SYSCALL(sendto)
{
	int flags = (int)a3;
	long err;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err);

	if (!s)
		return err;
	if (a2 && !a1)
		return -EFAULT;
	return do_send(s, PTR(a1), (size_t)a2, flags, PTR(a4), a5);
}

UK_SYSCALL(recvfrom)
{
	int flags = (int)a3;
	long err, n;
	size_t full;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err);

	if (!s)
		return err;
	if (a2 && !a1)
		return -EFAULT;
	n = do_recv(s, PTR(a1), (size_t)a2, flags, PTR(a4), PTR(a5), &full);
	return n >= 0 && (flags & UK_MSG_TRUNC) && full > (size_t)n ? (long)full : n;
}

static size_t iov_total(const struct msghdr_k *m)
{
	size_t total = 0;

	for (size_t i = 0; i < m->iovlen; i++)
		total += m->iov[i].iov_len;
	return total;
}

static long gather(const struct msghdr_k *m, char **out)
{
	size_t total = iov_total(m), at = 0;

	if (!(*out = uk_core_malloc(total ? total : 1)))
		return -ENOMEM;
	for (size_t i = 0; i < m->iovlen; i++) {
		memcpy(*out + at, m->iov[i].iov_base, m->iov[i].iov_len);
		at += m->iov[i].iov_len;
	}
	return (long)total;
}

/* A msghdr's iovec as sendmsg and recvmsg check it: 0, -EFAULT or -EMSGSIZE. */
static long msg_check(const struct msghdr_k *m)
{
	if (!m || (m->iovlen && !m->iov))
		return -EFAULT;
	return m->iovlen > IOV_MAX ? -EMSGSIZE : 0;
}

UK_SYSCALL(sendmsg)
{
	int flags = (int)a2;
	long err;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err);
	const struct msghdr_k *m = PTR(a1);
	char *buf;

	if (!s)
		return err;
	if ((err = msg_check(m)))
		return err;
	long len = gather(m, &buf);
	if (len < 0)
		return len;
	long n = do_send(s, buf, (size_t)len, flags, m->name, m->namelen);
	uk_core_free(buf);
	return n;
}

static void scatter(const struct msghdr_k *m, const char *buf, size_t n)
{
	for (size_t i = 0, at = 0; i < m->iovlen && at < n; i++) {
		size_t chunk = m->iov[i].iov_len < n - at ? m->iov[i].iov_len : n - at;
		memcpy(m->iov[i].iov_base, buf + at, chunk);
		at += chunk;
	}
}

UK_SYSCALL(recvmsg)
{
	int flags = (int)a2;
	long err;
	struct uk_net_sock *s = sock_nb(a0, &flags, &err);
	struct msghdr_k *m = PTR(a1);
	size_t total, full;
	char *buf;

	if (!s)
		return err;
	if ((err = msg_check(m)))
		return err;
	total = iov_total(m);
	if (!(buf = uk_core_malloc(total ? total : 1)))
		return -ENOMEM;
	long n = do_recv(s, buf, total, flags, m->name, m->name ? &m->namelen : NULL, &full);
	if (n >= 0) {
		scatter(m, buf, (size_t)n);
		m->controllen = 0;
		m->flags = full > (size_t)n ? UK_MSG_TRUNC : 0;
		if (!m->name)
			m->namelen = 0;
	}
	uk_core_free(buf);
	return n >= 0 && (flags & UK_MSG_TRUNC) && full > (size_t)n ? (long)full : n;
}

UK_SYSCALL(shutdown)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)a0, NULL, &err);

	if (!s)
		return err;
	if (a1 < 0 || a1 > 2)
		return -EINVAL;
	if (s->type == UK_SOCK_STREAM && s->domain == UK_AF_INET)
		return uk_net_tcp_shutdown(s, (int)a1);
	if (!s->connected)
		return -ENOTCONN;
	s->rd_shut |= a1 != 1;
	s->wr_shut |= a1 != 0;
	uk_net_wake(s);
	if (s->peer)
		uk_net_wake(s->peer);
	return 0;
}

/* The local (peer = false) or remote end of a socket's pcb. */
static long name_of(long fd, void *uaddr, uint32_t *lenp, bool peer)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)fd, NULL, &err);
	const ip_addr_t *ip = NULL;
	uint16_t port = 0;

	if (!s)
		return err;
	if (!uaddr || !lenp)
		return -EFAULT;
	if (s->domain == UK_AF_UNIX) {
		struct uk_net_sock *o = peer ? s->peer : s;
		if (peer && !o && !s->udest)
			return -ENOTCONN;
		if (peer && !o)
			uk_net_unix_name_out(uaddr, lenp, s->udest, s->udestlen);
		else
			uk_net_unix_name_out(uaddr, lenp, o->uname, o->unamelen);
		return 0;
	}
	if (peer && (!s->connected || !s->pcb.tcp))
		return -ENOTCONN;
	if (s->pcb.tcp && s->type == UK_SOCK_STREAM) {
		ip = peer ? &s->pcb.tcp->remote_ip : &s->pcb.tcp->local_ip;
		port = peer ? s->pcb.tcp->remote_port : s->pcb.tcp->local_port;
	} else if (s->pcb.udp) {
		ip = peer ? &s->pcb.udp->remote_ip : &s->pcb.udp->local_ip;
		port = peer ? s->pcb.udp->remote_port : s->pcb.udp->local_port;
	}
	addr_out(uaddr, lenp, ip, port);
	return 0;
}

UK_SYSCALL(getsockname) { return name_of(a0, PTR(a1), PTR(a2), false); }
UK_SYSCALL(getpeername) { return name_of(a0, PTR(a1), PTR(a2), true); }
