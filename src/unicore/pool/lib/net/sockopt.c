/* net: socket options and ioctls. The options servers set are kept on the socket and, where
 * lwIP has the knob, applied to its pcb (SO_REUSEADDR/REUSEPORT: SOF_REUSEADDR, SO_KEEPALIVE,
 * TCP_NODELAY, TCP_KEEPIDLE/INTVL/CNT). Others that only tune Linux (TCP_DEFER_ACCEPT,
 * TCP_FASTOPEN, IP_TOS, ...) are accepted and have no effect; unknown ones give ENOPROTOOPT. */
#include <uk/syscall.h>
#include "net_priv.h"

#define SOL_SOCKET 1
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_IPV6 41
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define FIONREAD 0x541b
#define PTR(x) ((void *)(uintptr_t)(x))

struct timeval_k {
	int64_t sec, usec;
};

/* Accepted for compatibility, without effect here. */
static bool ignored(long level, long name)
{
	static const int sol[] = { 1, 5, 10, 12, 16, 17, 18, 36, 42, 43, 49 };        /* DEBUG..PASSCRED, BUSY_POLL... */
	static const int tcp[] = { 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 23, 18, 19, 20 }; /* MAXSEG, CORK, DEFER_ACCEPT... */
	static const int ip[] = { 1, 2, 3, 10, 11, 12, 15 };                         /* TOS, TTL, ..., MTU_DISCOVER */
	const int *list = level == SOL_SOCKET ? sol : level == IPPROTO_TCP ? tcp : level == IPPROTO_IP ? ip : NULL;
	size_t n = level == SOL_SOCKET ? sizeof(sol) : level == IPPROTO_TCP ? sizeof(tcp) : sizeof(ip);

	if (level == IPPROTO_IPV6)
		return true;
	for (size_t i = 0; list && i < n / sizeof(int); i++)
		if (list[i] == name)
			return true;
	return false;
}

static void pcb_flag(struct uk_net_sock *s, u8_t flag, bool on)
{
	struct ip_pcb *pcb = s->type == UK_SOCK_STREAM ? (struct ip_pcb *)s->pcb.tcp : (struct ip_pcb *)s->pcb.udp;

	if (!pcb || s->domain != UK_AF_INET)
		return;
	if (on)
		ip_set_option(pcb, flag);
	else
		ip_reset_option(pcb, flag);
}

static struct tcp_pcb *tcp_of(struct uk_net_sock *s)
{
	return s->type == UK_SOCK_STREAM && s->domain == UK_AF_INET && !s->listening ? s->pcb.tcp : NULL;
}

static long set_tcp(struct uk_net_sock *s, long name, int v)
{
	struct tcp_pcb *pcb = tcp_of(s);

	if (s->type != UK_SOCK_STREAM)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		s->nodelay = v;
		if (pcb && v)
			tcp_nagle_disable(pcb);
		else if (pcb)
			tcp_nagle_enable(pcb);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1)
			return -EINVAL;
		if (pcb && name == TCP_KEEPIDLE)
			pcb->keep_idle = (u32_t)v * 1000;
		if (pcb && name == TCP_KEEPINTVL)
			pcb->keep_intvl = (u32_t)v * 1000;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1)
			return -EINVAL;
		if (pcb)
			pcb->keep_cnt = (u32_t)v;
		return 0;
	}
	return ignored(IPPROTO_TCP, name) ? 0 : -ENOPROTOOPT;
}

static uint64_t timeval_ns(const void *p)
{
	const struct timeval_k *tv = p;

	return (uint64_t)tv->sec * 1000000000ULL + (uint64_t)tv->usec * 1000ULL;
}

static long set_socket(struct uk_net_sock *s, long name, const void *p, uint32_t len, int v)
{
	switch (name) {
	case SO_REUSEADDR:
	case SO_REUSEPORT:
		s->reuse = v;
		pcb_flag(s, SOF_REUSEADDR, v);
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = v;
		pcb_flag(s, SOF_KEEPALIVE, v);
		return 0;
	case SO_BROADCAST:
		pcb_flag(s, SOF_BROADCAST, v);
		return 0;
	case SO_RCVBUF:
		s->rcvbuf = v;
		return 0;
	case SO_SNDBUF:
		s->sndbuf = v;
		return 0;
	case SO_LINGER:
		s->linger0 = len >= 8 && ((const int *)p)[0] && !((const int *)p)[1];
		return 0;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		if (len < sizeof(struct timeval_k))
			return -EINVAL;
		*(name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo) = timeval_ns(p);
		return 0;
	}
	return ignored(SOL_SOCKET, name) ? 0 : -ENOPROTOOPT;
}

UK_SYSCALL(setsockopt)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)a0, NULL, &err);
	const void *p = PTR(a3);
	uint32_t len = (uint32_t)a4;

	if (!s)
		return err;
	if (!p && len)
		return -EFAULT;
	int v = len >= 4 ? *(const int *)p : len >= 1 ? *(const unsigned char *)p : 0;
	if (a1 == SOL_SOCKET)
		return set_socket(s, a2, p, len, v);
	if (a1 == IPPROTO_TCP)
		return set_tcp(s, a2, v);
	return ignored(a1, a2) ? 0 : -ENOPROTOOPT;
}

static long get_int(struct uk_net_sock *s, long level, long name, int *v)
{
	struct tcp_pcb *pcb = tcp_of(s);

	if (level == IPPROTO_TCP && s->type == UK_SOCK_STREAM) {
		switch (name) {
		case TCP_NODELAY: *v = s->nodelay; return 0;
		case TCP_KEEPIDLE: *v = pcb ? (int)(pcb->keep_idle / 1000) : 7200; return 0;
		case TCP_KEEPINTVL: *v = pcb ? (int)(pcb->keep_intvl / 1000) : 75; return 0;
		case TCP_KEEPCNT: *v = pcb ? (int)pcb->keep_cnt : 9; return 0;
		}
		return -ENOPROTOOPT;
	}
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_REUSEADDR: case SO_REUSEPORT: *v = s->reuse; return 0;
	case SO_KEEPALIVE: *v = s->keepalive; return 0;
	case SO_ERROR: *v = uk_net_err_take(s); return 0;
	case SO_TYPE: *v = s->type; return 0;
	case SO_DOMAIN: *v = s->domain; return 0;
	case SO_PROTOCOL: *v = s->domain == UK_AF_UNIX ? 0 : s->type == UK_SOCK_STREAM ? 6 : 17; return 0;
	case SO_ACCEPTCONN: *v = s->listening; return 0;
	case SO_RCVBUF: *v = s->rcvbuf ? s->rcvbuf : UK_NET_RING; return 0;
	case SO_SNDBUF: *v = s->sndbuf ? s->sndbuf : TCP_SND_BUF; return 0;
	}
	return -ENOPROTOOPT;
}

UK_SYSCALL(getsockopt)
{
	long err;
	struct uk_net_sock *s = uk_net_sock_of((int)a0, NULL, &err);
	uint32_t *lenp = PTR(a4);
	int v = 0;

	if (!s)
		return err;
	if (!lenp || !a3)
		return -EFAULT;
	if (a1 == SOL_SOCKET && a2 == SO_LINGER) {
		int l[2] = { s->linger0, 0 };
		memcpy(PTR(a3), l, *lenp < 8 ? *lenp : 8);
		*lenp = 8;
		return 0;
	}
	if ((err = get_int(s, a1, a2, &v)))
		return err;
	memcpy(PTR(a3), &v, *lenp < 4 ? *lenp : 4);
	*lenp = 4;
	return 0;
}

/* FIONREAD: bytes a read would return now (a datagram socket: the next datagram's). */
long uk_net_ioctl(struct uk_file *f, unsigned long cmd, void *arg)
{
	struct uk_net_sock *s = f->vn->priv;

	if (cmd != FIONREAD)
		return -ENOTTY;
	if (!arg)
		return -EFAULT;
	uk_net_kick();
	*(int *)arg = (int)(s->type == UK_SOCK_DGRAM ? (s->dq_head ? s->dq_head->len : 0) : s->len);
	return 0;
}
