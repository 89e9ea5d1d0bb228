/* net: UDP sockets on lwIP's raw API. Each datagram that arrives is copied into a queue
 * node (the pbuf goes back at once); a receive takes one whole datagram, truncating it to
 * the caller's buffer (MSG_TRUNC tells how long it was). The queue holds at most the
 * receive buffer's worth (SO_RCVBUF, default 256 KiB); beyond that datagrams are dropped. */
#include "net_priv.h"
#include "lwip/pbuf.h"

#define UDP_MAX 65507
#define QUEUE_DEFAULT (256 * 1024)

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct uk_net_sock *s = arg;
	size_t limit = s->rcvbuf > 0 ? (size_t)s->rcvbuf : QUEUE_DEFAULT;
	struct uk_net_dgram *d;

	(void)pcb;
	uk_net_activity();
	if (s->dq_bytes + p->tot_len > limit || !(d = uk_core_malloc(sizeof(*d) + p->tot_len))) {
		pbuf_free(p);
		return;
	}
	d->next = NULL;
	d->from = *addr;
	d->port = port;
	d->len = pbuf_copy_partial(p, d->data, p->tot_len, 0);
	pbuf_free(p);
	if (s->dq_tail)
		s->dq_tail->next = d;
	else
		s->dq_head = d;
	s->dq_tail = d;
	s->dq_bytes += d->len;
	uk_net_wake(s);
}

long uk_net_udp_open(struct uk_net_sock *s)
{
	if (!(s->pcb.udp = udp_new_ip_type(IPADDR_TYPE_V4)))
		return -ENOMEM;
	udp_recv(s->pcb.udp, on_recv, s);
	return 0;
}

long uk_net_udp_bind(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port)
{
	if (s->bound)
		return -EINVAL;
	if (s->reuse)
		ip_set_option(s->pcb.udp, SOF_REUSEADDR);
	err_t e = udp_bind(s->pcb.udp, ip, port);
	if (e)
		return -uk_net_errno(e);
	s->bound = true;
	return 0;
}

long uk_net_udp_connect(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port)
{
	if (!ip) {
		udp_disconnect(s->pcb.udp);
		s->connected = false;
		return 0;
	}
	err_t e = udp_connect(s->pcb.udp, ip, port);
	if (e)
		return -uk_net_errno(e);
	s->connected = s->bound = true;
	return 0;
}

long uk_net_udp_send(struct uk_net_sock *s, const void *buf, size_t len, const ip_addr_t *ip, uint16_t port)
{
	struct pbuf *p;
	err_t e;

	if (!ip && !s->connected)
		return -EDESTADDRREQ;
	if (len > UDP_MAX)
		return -EMSGSIZE;
	if (!(p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM)))
		return -ENOBUFS;
	memcpy(p->payload, buf, len);
	e = ip ? udp_sendto(s->pcb.udp, p, ip, port) : udp_send(s->pcb.udp, p);
	pbuf_free(p);
	s->bound = true;
	uk_net_kick();
	return e ? -uk_net_errno(e) : (long)len;
}

long uk_net_udp_recv(struct uk_net_sock *s, void *buf, size_t len, int flags, ip_addr_t *from, uint16_t *port,
		     size_t *full)
{
	struct uk_net_dgram *d;

	uk_net_kick();
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
	if (from)
		*from = d->from;
	if (port)
		*port = d->port;
	if (!(flags & UK_MSG_PEEK)) {
		s->dq_head = d->next;
		if (!s->dq_head)
			s->dq_tail = NULL;
		s->dq_bytes -= d->len;
		uk_core_free(d);
	}
	return (long)n;
}

void uk_net_udp_close(struct uk_net_sock *s)
{
	if (s->pcb.udp)
		udp_remove(s->pcb.udp);
	s->pcb.udp = NULL;
}

unsigned uk_net_udp_poll(struct uk_net_sock *s)
{
	return (s->dq_head || s->rd_shut ? UK_POLLIN : 0) | UK_POLLOUT;
}
